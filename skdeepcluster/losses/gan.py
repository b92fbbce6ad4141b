"""InfoGAN's losses: the adversarial game and the information term of its codes.

Pure functions of tensors (Chen, Duan, Houthooft, Schulman, Sutskever and
Abbeel, "InfoGAN: Interpretable Representation Learning by Information
Maximizing Generative Adversarial Nets", NIPS 2016).  The discriminator
``D(x) = sigmoid(s(x))`` is given by its logits ``s``; logarithms of
sigmoids are computed as ``-softplus(-s)``, exactly and without the
authors' ``+ 1e-8``.

The two players minimise

* ``L_D = -mean[log D(x)] - mean[log(1 - D(G(z, c)))] - lam L_I``,
* ``L_G = -mean[log D(G(z, c))] - lam L_I``,

with ``L_I = H(c) - CE(Q(c | G(z, c)), c)`` the variational lower bound of
the mutual information between the codes and the generated sample.
"""

import math

import torch
from torch import nn
from torch.nn import functional as F

__all__ = [
    "discriminator_loss",
    "generator_loss",
    "categorical_code_information",
    "gaussian_code_information",
    "AdversarialGameLoss",
    "CodeInformationLoss",
]


def discriminator_loss(real_logits, fake_logits):
    """The discriminator's GAN loss: ``-mean[log D(x)] - mean[log(1 - D(G(z)))]``.

    Parameters
    ----------
    real_logits, fake_logits : torch.Tensor of shape (n,) and (m,)
        ``D``'s logits on real and generated samples.

    Returns
    -------
    loss : torch.Tensor (scalar)

    Examples
    --------
    >>> import torch
    >>> discriminator_loss(torch.zeros(3), torch.zeros(2))  # D = 1/2 everywhere: 2 log 2
    tensor(1.3863)
    """
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def generator_loss(fake_logits):
    """The generator's (non-saturating) GAN loss: ``-mean[log D(G(z))]``.

    Parameters
    ----------
    fake_logits : torch.Tensor of shape (m,)
        ``D``'s logits on generated samples.

    Returns
    -------
    loss : torch.Tensor (scalar)

    Examples
    --------
    >>> import torch
    >>> generator_loss(torch.zeros(4))  # log 2
    tensor(0.6931)
    """
    return F.softplus(-fake_logits).mean()


def categorical_code_information(logits, categories):
    """``L_I`` of a uniform categorical code: ``log K - mean_i[-log Q(c_i | x_i)]``.

    The lower bound on the mutual information ``I(c; G(z, c))``: the
    entropy of the uniform code (``log K``) minus the cross-entropy of
    ``Q``'s posterior at the drawn codes.  At most ``log K``, reached when
    ``Q`` recovers every code with certainty.

    Parameters
    ----------
    logits : torch.Tensor of shape (n, K)
        ``Q``'s logits of the categorical code.
    categories : torch.Tensor of shape (n,)
        The drawn codes (integers in ``[0, K)``).

    Returns
    -------
    information : torch.Tensor (scalar)

    Examples
    --------
    >>> import torch
    >>> categorical_code_information(torch.zeros(2, 4), torch.tensor([0, 3]))  # log 4 - log 4
    tensor(0.)
    """
    return math.log(logits.shape[1]) - F.cross_entropy(logits, categories)


def gaussian_code_information(means, codes, std=1.0, low=-1.0, high=1.0):
    """``L_I`` of continuous codes uniform on ``[low, high]``, ``Q`` a Gaussian of fixed ``std``.

    ``sum_j [log(high - low) - mean_i(-log N(c_ij; mu_ij, std^2))]``: the
    uniform prior's entropy minus the Gaussian cross-entropy, summed over the
    codes.  The authors' code fixes ``std = 1`` and counts the prior's
    entropy as 0, a constant that changes no gradient.

    Parameters
    ----------
    means : torch.Tensor of shape (n, J)
        ``Q``'s means of the continuous codes.
    codes : torch.Tensor of shape (n, J)
        The drawn codes.
    std : float, default=1.0
        Standard deviation of ``Q``'s Gaussian.
    low, high : float, default=-1.0, 1.0
        Range of the uniform prior.

    Returns
    -------
    information : torch.Tensor (scalar)

    Examples
    --------
    >>> import torch
    >>> value = gaussian_code_information(torch.zeros(1, 1), torch.zeros(1, 1))
    >>> round(value.item(), 4)  # log 2 - log sqrt(2 pi)
    -0.2258
    """
    if means.shape[1] == 0:
        return means.new_zeros(())
    negative_log_likelihood = (
        0.5 * math.log(2 * math.pi * std**2) + (codes - means) ** 2 / (2 * std**2)
    )
    entropy = means.shape[1] * math.log(high - low)
    return entropy - negative_log_likelihood.sum(dim=1).mean()


class AdversarialGameLoss(nn.Module):
    """``weight * (L_D^GAN + L_G^GAN)`` of one training step, each player's part on its own pass.

    ``L_D^GAN`` (:func:`discriminator_loss`) reads ``"real_scores"`` and
    ``"fake_scores"`` (the fake batch detached from the generator), and
    ``L_G^GAN`` (:func:`generator_loss`) reads ``"generator_scores"`` (the
    discriminator's parameters detached), so the sum's gradient is each
    player's own loss's gradient on its own parameters
    (:class:`~skdeepcluster.networks.InfoGANModule`).

    Parameters
    ----------
    weight : float, default=1.0
        Weight of the game.
    """

    def __init__(self, weight=1.0):
        super().__init__()
        self.weight = weight

    def forward(self, outputs, X=None, indices=None):
        if "generator_scores" not in outputs:
            raise ValueError(
                "AdversarialGameLoss needs the outputs of a generative adversarial network "
                "(InfoGANModule in training mode)."
            )
        game = discriminator_loss(outputs["real_scores"], outputs["fake_scores"]) + \
            generator_loss(outputs["generator_scores"])
        return self.weight * game


class CodeInformationLoss(nn.Module):
    """``-weight * (L_I^D + L_I^G)``: each player's information term, on its own pass.

    ``L_I`` of the categorical code (:func:`categorical_code_information`)
    plus that of the continuous codes (:func:`gaussian_code_information`),
    once on the discriminator's pass (``"fake_code_logits"``,
    ``"fake_code_means"``: gradient to ``Q`` and the trunk) and once on the
    generator's (``"generator_code_*"``: gradient to the generator).

    Parameters
    ----------
    weight : float, default=1.0
        InfoGAN's ``lambda``.
    """

    def __init__(self, weight=1.0):
        super().__init__()
        self.weight = weight

    def forward(self, outputs, X=None, indices=None):
        if "generator_code_logits" not in outputs:
            raise ValueError(
                "CodeInformationLoss needs the outputs of a generative adversarial network "
                "(InfoGANModule in training mode)."
            )
        categories, continuous = outputs["categories"], outputs["continuous_codes"]
        information = 0.0
        for player in ("fake", "generator"):
            information = information + categorical_code_information(
                outputs[f"{player}_code_logits"], categories
            ) + gaussian_code_information(outputs[f"{player}_code_means"], continuous)
        return -self.weight * information
