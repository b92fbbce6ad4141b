"""Cluster-assignment hardening (DEC): Student's t assignments and their sharpened target.

``KL(P || Q)`` between the soft assignments ``Q`` and the target ``P`` that
sharpens them (Xie, Girshick and Farhadi, ICML 2016).
"""

import torch
from torch import nn
from torch.nn import functional as F

__all__ = [
    "student_t_assignments",
    "student_t_kernel",
    "target_distribution",
    "kl_clustering_loss",
    "KLClusteringLoss",
]

def student_t_assignments(embeddings, centers, alpha=1.0):
    """Soft assignments of embeddings to centroids under a Student's t kernel.

    ``q_ik`` is proportional to ``(1 + ||z_i - mu_k||^2 / alpha)^(-(alpha + 1) / 2)``,
    normalised over the clusters ``k`` (DEC, Xie et al. 2016, eq. 1).

    Parameters
    ----------
    embeddings : torch.Tensor of shape (n_samples, n_dims)
        The embedded samples ``z_i``.
    centers : torch.Tensor of shape (n_clusters, n_dims)
        The centroids ``mu_k``.
    alpha : float, default=1.0
        Degrees of freedom of the Student's t distribution.

    Returns
    -------
    q : torch.Tensor of shape (n_samples, n_clusters)
        Rows sum to one.

    Examples
    --------
    >>> import torch
    >>> z = torch.tensor([[0.0, 0.0]])
    >>> mu = torch.tensor([[0.0, 0.0], [1.0, 0.0]])
    >>> student_t_assignments(z, mu)  # kernel values 1 and 1/2
    tensor([[0.6667, 0.3333]])
    """
    # The matrix-product shortcut of cdist loses most digits far from the origin.
    squared_distances = torch.cdist(
        embeddings, centers, compute_mode="donot_use_mm_for_euclid_dist"
    ).pow(2)
    return student_t_kernel(squared_distances, alpha)


def student_t_kernel(dissimilarities, alpha=1.0):
    """Student's t soft assignments from any dissimilarities ``d_ik`` (squared distances for DEC).

    ``q_ik`` is proportional to ``(1 + d_ik / alpha)^(-(alpha + 1) / 2)``,
    normalised over ``k``; :func:`student_t_assignments` with ``d`` the
    squared Euclidean distance.

    Parameters
    ----------
    dissimilarities : torch.Tensor of shape (n_samples, n_clusters)
        Non-negative ``d(z_i, mu_k)``.
    alpha : float, default=1.0
        Degrees of freedom.

    Returns
    -------
    q : torch.Tensor of shape (n_samples, n_clusters)

    Examples
    --------
    >>> import torch
    >>> student_t_kernel(torch.tensor([[0.0, 1.0]]))
    tensor([[0.6667, 0.3333]])
    """
    # log-space keeps large distances from underflowing to an all-zero row.
    logits = -(alpha + 1.0) / 2.0 * torch.log1p(dissimilarities / alpha)
    return torch.softmax(logits, dim=1)


def target_distribution(q, power=2.0):
    """DEC's auxiliary target distribution ``p_ik ∝ q_ik^power / f_k``.

    ``f_k = sum_i q_ik`` are the soft cluster frequencies over all the samples
    passed in, so call it on the whole data set, as the paper does.  DEC
    squares the assignments (``power=2``); DBC calls ``power`` the boosting
    factor: the larger, the more the confident assignments stand out.

    Parameters
    ----------
    q : torch.Tensor of shape (n_samples, n_clusters)
        Soft assignments.
    power : float, default=2.0
        Exponent of the assignments; 1 keeps them, divided by the
        frequencies only.

    Returns
    -------
    p : torch.Tensor of shape (n_samples, n_clusters)
        Sharpened assignments; rows sum to one.

    Examples
    --------
    >>> import torch
    >>> target_distribution(torch.tensor([[0.5, 0.5], [0.5, 0.5]]))
    tensor([[0.5000, 0.5000],
            [0.5000, 0.5000]])
    >>> target_distribution(torch.tensor([[0.75, 0.25], [0.25, 0.75]]), power=3)
    tensor([[0.9643, 0.0357],
            [0.0357, 0.9643]])
    """
    weight = q.pow(power) / q.sum(dim=0).clamp_min(torch.finfo(q.dtype).tiny)
    return weight / weight.sum(dim=1, keepdim=True)


def kl_clustering_loss(p, q):
    """``KL(P || Q)`` summed over clusters and averaged over the batch.

    Parameters
    ----------
    p : torch.Tensor of shape (n_samples, n_clusters)
        Target distribution (treated as a constant).
    q : torch.Tensor of shape (n_samples, n_clusters)
        Soft assignments.

    Returns
    -------
    loss : torch.Tensor
        A scalar; zero when ``p == q``.

    Examples
    --------
    >>> import torch
    >>> p = torch.tensor([[1.0, 0.0]])
    >>> q = torch.tensor([[0.5, 0.5]])
    >>> kl_clustering_loss(p, q)  # log 2
    tensor(0.6931)
    """
    eps = torch.finfo(q.dtype).tiny
    return F.kl_div(q.clamp_min(eps).log(), p, reduction="batchmean")


class KLClusteringLoss(nn.Module):
    """DEC's clustering term ``clustering_weight * KL(P || Q)``.

    The target distribution ``P`` of all training samples is held in
    :attr:`target` and looked up by the batch's sample indices; the training
    schedule refreshes it (see
    :class:`skdeepcluster.updates.TargetDistributionUpdate`).

    Parameters
    ----------
    clustering_weight : float, default=1.0
        Weight of ``KL(P || Q)`` (IDEC's ``gamma``; IDEC adds the
        reconstruction error as a :class:`~skdeepcluster.losses.ReconstructionTerm`
        of a :class:`~skdeepcluster.losses.CombinedLoss`).
    """

    def __init__(self, clustering_weight=1.0):
        super().__init__()
        self.clustering_weight = clustering_weight
        self.target = None

    def forward(self, outputs, X, indices):
        return self.clustering_weight * kl_clustering_loss(
            self.target[indices], outputs["assignments"]
        )
