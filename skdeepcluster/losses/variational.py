"""VaDE's evidence lower bound: the likelihood of the input and the KL to a mixture prior.

The generative model of VaDE (Jiang, Zheng, Tan, Tang and Zhou, "Variational
Deep Embedding: An Unsupervised and Generative Approach to Clustering", IJCAI
2017) draws a cluster ``c ~ Cat(pi)``, a latent ``z ~ N(mu_c, diag lam_c)`` and
``x ~ p(x | decoder(z))``.  The encoder gives ``q(z | x) = N(mu~, diag var~)``
and ``q(c | x)`` is approximated by the responsibilities ``g_c = p(c | z)``.
The negative ELBO of a sample is the reconstruction's negative
log-likelihood plus ``KL(q(z, c | x) || p(z, c))``, both pure functions here.
"""

import math

import torch
from torch import nn
from torch.nn import functional as F

__all__ = [
    "mixture_log_responsibilities",
    "mixture_prior_kl",
    "bernoulli_negative_log_likelihood",
    "gaussian_negative_log_likelihood",
    "MixturePriorKLLoss",
    "ELBOReconstructionTerm",
]


def mixture_log_responsibilities(z, log_weights, means, log_variances):
    """``log g_c = log p(c | z)`` under a Gaussian mixture of diagonal covariances.

    Parameters
    ----------
    z : torch.Tensor of shape (n_samples, n_dims)
        Latent points.
    log_weights : torch.Tensor of shape (n_clusters,)
        ``log pi_c`` (normalised).
    means, log_variances : torch.Tensor of shape (n_clusters, n_dims)
        ``mu_c`` and ``log lam_c`` of each component.

    Returns
    -------
    log_responsibilities : torch.Tensor of shape (n_samples, n_clusters)
        Each row's exponential sums to one.

    Examples
    --------
    >>> import torch
    >>> log_g = mixture_log_responsibilities(
    ...     torch.tensor([[1.0]]), torch.log(torch.tensor([0.5, 0.5])),
    ...     torch.tensor([[0.0], [2.0]]), torch.zeros(2, 1))
    >>> log_g.exp()
    tensor([[0.5000, 0.5000]])
    """
    squared = (z[:, None, :] - means[None]) ** 2 / log_variances.exp()[None]
    log_density = -0.5 * (math.log(2 * math.pi) + log_variances[None] + squared).sum(-1)
    return torch.log_softmax(log_weights[None] + log_density, dim=1)


def mixture_prior_kl(mean, log_variance, log_responsibilities, log_weights, means, log_variances):
    """``KL(q(z, c | x) || p(z, c))`` of each sample, in the form of the VaDE paper.

    ``sum_c g_c sum_j 0.5 [log lam_jc + var~_j / lam_jc + (mu~_j - mu_jc)^2 / lam_jc]
    - 0.5 sum_j (1 + log var~_j) - sum_c g_c log pi_c + sum_c g_c log g_c``
    (the paper's equation 12 without the likelihood), which equals
    ``sum_c g_c KL(N(mu~, var~) || N(mu_c, lam_c)) + KL(g || pi)``.  The
    authors' code puts ``log pi_c`` inside the sum over the latent dimensions
    (``pi_c`` to the power ``n_dims``) and adds constants; this is the
    paper's form.

    Parameters
    ----------
    mean, log_variance : torch.Tensor of shape (n_samples, n_dims)
        ``mu~`` and ``log var~`` of the encoder's ``q(z | x)``.
    log_responsibilities : torch.Tensor of shape (n_samples, n_clusters)
        ``log g_c``, the approximation of ``log q(c | x)``.
    log_weights : torch.Tensor of shape (n_clusters,)
        ``log pi_c``.
    means, log_variances : torch.Tensor of shape (n_clusters, n_dims)
        ``mu_c`` and ``log lam_c`` of the prior's components.

    Returns
    -------
    kl : torch.Tensor of shape (n_samples,)

    Examples
    --------
    A sample with ``q(z | x) = N(0, 1)``, shared evenly by components at 0
    and 2 of unit variance: ``0.5 * 0 + 0.5 * 2 = 1``.

    >>> import torch
    >>> mixture_prior_kl(
    ...     torch.zeros(1, 1), torch.zeros(1, 1), torch.log(torch.tensor([[0.5, 0.5]])),
    ...     torch.log(torch.tensor([0.5, 0.5])), torch.tensor([[0.0], [2.0]]), torch.zeros(2, 1))
    tensor([1.])
    """
    variance = log_variance.exp()
    per_component = 0.5 * (
        log_variances[None]
        + (variance[:, None, :] + (mean[:, None, :] - means[None]) ** 2)
        / log_variances.exp()[None]
    ).sum(-1)
    responsibilities = log_responsibilities.exp()
    return (
        (responsibilities * per_component).sum(1)
        - 0.5 * (1 + log_variance).sum(1)
        + (responsibilities * (log_responsibilities - log_weights[None])).sum(1)
    )


def bernoulli_negative_log_likelihood(x, logits):
    """``-log p(x | z)`` of each sample under independent Bernoullis: the summed cross-entropy.

    Parameters
    ----------
    x : torch.Tensor of shape (n_samples, n_features)
        Targets in [0, 1] (pixel intensities; not necessarily binary).
    logits : torch.Tensor of the same shape
        The decoder's pre-sigmoid outputs.

    Returns
    -------
    nll : torch.Tensor of shape (n_samples,)

    Examples
    --------
    >>> import torch
    >>> bernoulli_negative_log_likelihood(torch.ones(1, 2), torch.zeros(1, 2))
    tensor([1.3863])
    """
    x = x.reshape(logits.shape)
    return F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(1)


def gaussian_negative_log_likelihood(x, mean):
    """``-log p(x | z)`` of each sample under a unit-variance Gaussian, up to a constant.

    ``0.5 ||x - mean||^2`` (the constant ``0.5 d log 2 pi`` left out).

    Parameters
    ----------
    x : torch.Tensor of shape (n_samples, n_features)
    mean : torch.Tensor of the same shape
        The decoder's outputs.

    Returns
    -------
    nll : torch.Tensor of shape (n_samples,)

    Examples
    --------
    >>> import torch
    >>> gaussian_negative_log_likelihood(torch.zeros(1, 2), torch.ones(1, 2))
    tensor([1.])
    """
    return 0.5 * ((x.reshape(mean.shape) - mean) ** 2).sum(1)


class MixturePriorKLLoss(nn.Module):
    """``weight`` times the batch mean of :func:`mixture_prior_kl`, VaDE's clustering term.

    Reads the outputs of :class:`~skdeepcluster.networks.MixturePriorModule`:
    ``"embedding"`` (the encoder's mean), ``"log_variance"``,
    ``"log_assignments"`` (of the sampled latent) and the prior's
    ``"prior_log_weights"``, ``"prior_means"`` and ``"prior_log_variances"``.

    Parameters
    ----------
    weight : float, default=1.0
        Weight of the KL term (1 is the ELBO; other values, as a beta-VAE's).
    """

    def __init__(self, weight=1.0):
        super().__init__()
        self.weight = weight

    def per_sample(self, outputs):
        dtype = outputs["prior_means"].dtype  # float32 under bf16 autocast, float64 in float64
        return mixture_prior_kl(
            outputs["embedding"].to(dtype), outputs["log_variance"].to(dtype),
            outputs["log_assignments"], outputs["prior_log_weights"],
            outputs["prior_means"], outputs["prior_log_variances"],
        )

    def forward(self, outputs, X, indices):
        return self.weight * self.per_sample(outputs).mean()


class ELBOReconstructionTerm(nn.Module):
    """``weight`` times the batch mean of the reconstruction's negative log-likelihood.

    The Bernoulli likelihood (:func:`bernoulli_negative_log_likelihood`) when
    the network gives ``"reconstruction_logits"`` (a sigmoid decoder), the
    unit Gaussian one (:func:`gaussian_negative_log_likelihood`) otherwise.

    Parameters
    ----------
    weight : float, default=1.0
        Weight of the term.
    output : str, default="reconstruction"
        The output holding the decoder's mean.
    """

    def __init__(self, weight=1.0, output="reconstruction"):
        super().__init__()
        self.weight = weight
        self.output = output

    def per_sample(self, outputs, X):
        logits = outputs.get(self.output + "_logits")
        mean = outputs[self.output] if logits is None else logits
        dtype = torch.promote_types(mean.dtype, torch.float32)  # at least float32 (bf16 training)
        if logits is not None:
            return bernoulli_negative_log_likelihood(X.to(dtype), logits.to(dtype))
        return gaussian_negative_log_likelihood(X.to(dtype), mean.to(dtype))

    def forward(self, outputs, X, indices):
        return self.weight * self.per_sample(outputs, X).mean()
