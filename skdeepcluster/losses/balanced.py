"""DEPICT's losses: a balanced target for softmax assignments, and layer-wise reconstruction.

Dizaji, Herandi, Deng, Cai and Huang, "Deep Clustering via Joint
Convolutional Autoencoder Embedding and Relative Entropy Minimization",
ICCV 2017: the clean softmax assignments ``P`` of all the data give a
target ``Q`` whose clusters are pushed towards equal sizes; the noisy
assignments ``P~`` learn it by cross-entropy, while a denoising autoencoder
reconstructs every clean encoder layer from its noisy decoder layer.
"""

import torch
from torch import nn

from .hardening import target_distribution

__all__ = [
    "balanced_target_distribution",
    "soft_cross_entropy",
    "layerwise_reconstruction_loss",
    "BalancedCrossEntropyLoss",
    "LayerwiseReconstructionTerm",
]

# The targets BalancedCrossEntropyLoss knows: the paper's, and DEC's (the authors' code).
TARGETS = ("balanced", "squared")


def balanced_target_distribution(p):
    """DEPICT's target ``q_ik ∝ p_ik / sqrt(sum_i p_ik)`` (the paper's eq. 9).

    Dividing by the square root of each cluster's soft size ``f_k = sum_i
    p_ik`` favours the smaller clusters: the minimiser of ``KL(Q || P)``
    plus ``KL(f || u)``, the divergence of the cluster sizes from uniform.
    Call it on the whole data set: ``f_k`` are sums over all samples.  DEC's
    ``p_ik^2 / f_k`` (:func:`~skdeepcluster.losses.target_distribution`) is
    what the authors' code uses instead.

    Parameters
    ----------
    p : torch.Tensor of shape (n_samples, n_clusters)
        Soft assignments (rows sum to one).

    Returns
    -------
    q : torch.Tensor of shape (n_samples, n_clusters)
        The target; rows sum to one.

    Examples
    --------
    >>> import torch
    >>> p = torch.tensor([[0.5, 0.5], [1.0, 0.0], [1.0, 0.0], [1.0, 0.0]])
    >>> balanced_target_distribution(p)[0]  # f = (3.5, 0.5): 0.5/sqrt(3.5) vs 0.5/sqrt(0.5)
    tensor([0.2743, 0.7257])
    """
    weight = p / p.sum(dim=0).clamp_min(torch.finfo(p.dtype).tiny).sqrt()
    return weight / weight.sum(dim=1, keepdim=True).clamp_min(torch.finfo(p.dtype).tiny)


def soft_cross_entropy(q, p):
    """``-mean_i sum_k q_ik log p_ik``: the cross-entropy of assignments ``p`` to a target ``q``.

    It differs from ``KL(Q || P)`` (the paper's objective) by the entropy of
    ``q``, a constant of the gradient step, so both train alike.

    Parameters
    ----------
    q : torch.Tensor of shape (n_samples, n_clusters)
        The target (a constant).
    p : torch.Tensor of shape (n_samples, n_clusters)
        Soft assignments.

    Returns
    -------
    loss : torch.Tensor
        A scalar.

    Examples
    --------
    >>> import torch
    >>> soft_cross_entropy(torch.tensor([[1.0, 0.0]]), torch.tensor([[0.5, 0.5]]))  # log 2
    tensor(0.6931)
    """
    log_p = p.clamp_min(torch.finfo(p.dtype).tiny).log()
    return -(q * log_p).sum(dim=1).mean()


def layerwise_reconstruction_loss(targets, reconstructions, weights):
    """``sum_l w_l mean((r_l - t_l)^2)``: every layer's reconstruction error, weighted.

    DEPICT's non-clustering loss: the noisy decoder's layers ``r_l``
    reconstruct the clean encoder's layers ``t_l`` (``t_0`` the input),
    with the weights ``(1, 0.1, 0.1)`` of the authors' code.

    Parameters
    ----------
    targets : sequence of torch.Tensor
        The clean layers, input first (treated as constants by the caller).
    reconstructions : sequence of torch.Tensor
        The decoder's layers of the same shapes, in the same order.
    weights : sequence of float
        One weight per layer.

    Returns
    -------
    loss : torch.Tensor
        A scalar.

    Examples
    --------
    >>> import torch
    >>> t = [torch.zeros(2, 3), torch.zeros(2, 4)]
    >>> r = [torch.ones(2, 3), 2 * torch.ones(2, 4)]
    >>> layerwise_reconstruction_loss(t, r, [1.0, 0.1])  # 1 + 0.1 * 4
    tensor(1.4000)
    """
    if not (len(targets) == len(reconstructions) == len(weights)):
        raise ValueError(
            f"{len(targets)} target layers, {len(reconstructions)} reconstructions and "
            f"{len(weights)} weights: give one of each per layer."
        )
    loss = 0.0
    for target, reconstruction, weight in zip(targets, reconstructions, weights):
        loss = loss + weight * (reconstruction - target.reshape(reconstruction.shape)).pow(2).mean()
    return loss


class BalancedCrossEntropyLoss(nn.Module):
    """DEPICT's clustering term ``weight * CE(Q, P~)`` on the noisy assignments.

    The target ``Q`` of all training samples is held in :attr:`target` and
    looked up by the batch's sample indices; the cluster update
    (:class:`~skdeepcluster.updates.EpochTargetUpdate`) sets it, with
    :meth:`make_target`, once per epoch from the clean assignments.

    Parameters
    ----------
    weight : float, default=1.0
        Weight of the term.
    target : {"balanced", "squared"}, default="balanced"
        :func:`balanced_target_distribution` (the paper's) or DEC's
        :func:`~skdeepcluster.losses.target_distribution` (the authors' code).
    """

    def __init__(self, weight=1.0, target="balanced"):
        super().__init__()
        if target not in TARGETS:
            raise ValueError(f"target must be one of {TARGETS}; got {target!r}.")
        self.weight = weight
        self.target_kind = target
        self.target = None

    def make_target(self, p):
        """The target of the clean assignments ``p`` of the whole training set."""
        if self.target_kind == "balanced":
            return balanced_target_distribution(p)
        return target_distribution(p)

    def forward(self, outputs, X, indices):
        return self.weight * soft_cross_entropy(self.target[indices], outputs["assignments"])


class LayerwiseReconstructionTerm(nn.Module):
    """``weight * [mean(x^ - x)^2 + layer_weight * sum_l mean(z^_l - z_l)^2]`` of a noisy autoencoder.

    Reads the network's ``"reconstruction"`` and its ``"layer_targets"``
    (the clean encoder's hidden layers) and ``"layer_reconstructions"`` (the
    noisy decoder's), as :class:`~skdeepcluster.networks.NoisyAutoencoder`
    gives them; a network without them is held to its input's
    reconstruction alone.

    Parameters
    ----------
    weight : float, default=1.0
        Weight of the whole term.
    layer_weight : float, default=0.1
        Weight of each hidden layer against the input's 1 (the authors' code).
    """

    def __init__(self, weight=1.0, layer_weight=0.1):
        super().__init__()
        self.weight = weight
        self.layer_weight = layer_weight

    def forward(self, outputs, X, indices):
        targets = [X, *outputs.get("layer_targets", ())]
        reconstructions = [outputs["reconstruction"], *outputs.get("layer_reconstructions", ())]
        weights = [1.0] + [self.layer_weight] * (len(targets) - 1)
        return self.weight * layerwise_reconstruction_loss(targets, reconstructions, weights)
