"""DDC's loss: Cauchy–Schwarz divergence between clusters under a Gaussian kernel.

Pure functions of tensors (Kampffmeyer et al., "Deep divergence-based
approach to clustering", Neural Networks 113, 2019).  Every one accepts
leading batch dimensions, so that the ``n_init`` runs of one fit are
evaluated in one call: ``(R, n, ...)``.
"""

import torch
from torch import nn

__all__ = [
    "gaussian_kernel",
    "cauchy_schwarz_divergence",
    "orthogonality_loss",
    "simplex_corner_similarity",
    "ddc_loss",
    "DDCLoss",
]

_EPS = 1e-9

def gaussian_kernel(hidden, sigma_fraction=0.15):
    """Gaussian kernel matrix of a batch, with DDC's adaptive bandwidth.

    ``K_ij = exp(-D_ij / (2 sigma^2))`` with ``D_ij = ||h_i - h_j||^2`` and
    ``sigma^2 = sigma_fraction * median(D)``, the median taken over the whole
    ``n x n`` matrix (diagonal included), detached from the graph and floored
    at 1e-9 -- the rule of the DDC reference code; the paper words it as
    "15% of the median pairwise distance".

    Parameters
    ----------
    hidden : torch.Tensor of shape (..., n, d)
        Hidden representation of a batch (leading dimensions: independent runs).
    sigma_fraction : float, default=0.15
        Fraction of the median squared distance giving ``sigma^2``.

    Returns
    -------
    kernel : torch.Tensor of shape (..., n, n)

    Examples
    --------
    >>> import torch
    >>> gaussian_kernel(torch.tensor([[0.0], [1.0], [3.0]]), sigma_fraction=0.5)
    tensor([[1.0000e+00, 3.6788e-01, 1.2341e-04],
            [3.6788e-01, 1.0000e+00, 1.8316e-02],
            [1.2341e-04, 1.8316e-02, 1.0000e+00]])
    """
    squared_norms = hidden.pow(2).sum(-1)
    gram = hidden @ hidden.transpose(-1, -2)
    # The expanded form has a gradient everywhere (cdist's is undefined at zero distance).
    distances = (squared_norms[..., :, None] + squared_norms[..., None, :] - 2 * gram).clamp_min(0)
    flat = distances.detach().flatten(-2)
    # The lower median, by a sort: capturable in a CUDA graph.
    median = flat.sort(dim=-1).values[..., (flat.shape[-1] - 1) // 2]
    sigma2 = (sigma_fraction * median).clamp_min(_EPS)
    return torch.exp(-distances / (2 * sigma2[..., None, None]))


def cauchy_schwarz_divergence(weights, kernel, eps=_EPS):
    """Mean pairwise Cauchy–Schwarz similarity of ``K`` weighted clusters.

    With ``G = B^T K B``::

        d_cs(B) = 2 / (K (K - 1)) * sum_{a < b} G_ab / sqrt(G_aa G_bb)

    The numerators are clamped at ``eps`` and the products ``G_aa G_bb`` at
    ``eps**2`` (as the reference code), so an empty cluster counts as fully
    overlapping (ratio 1) instead of producing a NaN.  Lower is better.

    Parameters
    ----------
    weights : torch.Tensor of shape (..., n, K)
        Cluster weights of each sample: the assignments ``A``, or the simplex
        similarities ``M`` of :func:`simplex_corner_similarity`.
    kernel : torch.Tensor of shape (..., n, n)
        Kernel matrix, e.g. from :func:`gaussian_kernel`.
    eps : float, default=1e-9
        Numerical floor.

    Returns
    -------
    divergence : torch.Tensor of shape (...)
        Zero for a single cluster.

    Examples
    --------
    >>> import torch
    >>> A = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    >>> kernel = torch.tensor([[1.0, 0.5], [0.5, 1.0]])
    >>> cauchy_schwarz_divergence(A, kernel)
    tensor(0.5000)
    """
    n_clusters = weights.shape[-1]
    gram = weights.transpose(-1, -2) @ kernel @ weights
    if n_clusters < 2:  # no pair of clusters to compare
        return gram.sum(dim=(-2, -1)) * 0.0
    diagonal = torch.diagonal(gram, dim1=-2, dim2=-1)
    products = (diagonal[..., :, None] * diagonal[..., None, :]).clamp_min(eps**2)
    ratios = gram.clamp_min(eps) / products.sqrt()
    upper = torch.triu(ratios, diagonal=1).sum(dim=(-2, -1))
    return 2 * upper / (n_clusters * (n_clusters - 1))


def orthogonality_loss(assignments):
    """Mean inner product of the assignment vectors of distinct samples.

    ``triu(A A^T)``: the sum of the strictly upper triangular entries of
    ``A A^T``, divided by their number ``n (n - 1) / 2``.  Zero when samples
    of different clusters have orthogonal (one-hot) assignments.

    Parameters
    ----------
    assignments : torch.Tensor of shape (..., n, K)
        Soft assignments ``A``, rows on the simplex.  ``n >= 2``.

    Returns
    -------
    loss : torch.Tensor of shape (...)

    Examples
    --------
    >>> import torch
    >>> orthogonality_loss(torch.tensor([[1.0, 0.0], [0.5, 0.5], [0.0, 1.0]]))
    tensor(0.3333)
    """
    n = assignments.shape[-2]
    inner = assignments @ assignments.transpose(-1, -2)
    return 2 * torch.triu(inner, diagonal=1).sum(dim=(-2, -1)) / (n * (n - 1))


def simplex_corner_similarity(assignments):
    """Closeness of each assignment vector to each corner of the simplex.

    ``M_ik = exp(-||a_i - e_k||^2)``, where ``e_k`` is the ``k``-th one-hot
    vector: 1 when sample ``i`` sits in corner ``k``.

    Parameters
    ----------
    assignments : torch.Tensor of shape (..., n, K)

    Returns
    -------
    similarity : torch.Tensor of shape (..., n, K)

    Examples
    --------
    >>> import torch
    >>> simplex_corner_similarity(torch.tensor([[1.0, 0.0]]))
    tensor([[1.0000, 0.1353]])
    """
    squared_norms = assignments.pow(2).sum(-1, keepdim=True)
    return torch.exp(-(squared_norms - 2 * assignments + 1))


def ddc_loss(
    hidden,
    assignments,
    *,
    cs_weight=1.0,
    orthogonality_weight=1.0,
    simplex_weight=1.0,
    sigma_fraction=0.15,
):
    """The DDC loss ``L = d_cs(A) + triu(A A^T) + d_cs(M)``, each term weighted.

    Parameters
    ----------
    hidden : torch.Tensor of shape (..., n, d)
        Hidden representation the kernel is computed on.
    assignments : torch.Tensor of shape (..., n, K)
        Softmax assignments ``A``.
    cs_weight, orthogonality_weight, simplex_weight : float, default=1.0
        Weights of the Cauchy–Schwarz term on ``A``, of the orthogonality term
        and of the Cauchy–Schwarz term on the simplex similarities ``M`` (the
        paper weights all three by 1).
    sigma_fraction : float, default=0.15
        See :func:`gaussian_kernel`.

    Returns
    -------
    loss : torch.Tensor of shape (...)
        One value per leading index (per run).

    See Also
    --------
    cauchy_schwarz_divergence, orthogonality_loss, simplex_corner_similarity

    Examples
    --------
    >>> import torch
    >>> hidden = torch.tensor([[0.0], [0.1], [5.0], [5.1]])
    >>> good = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    >>> bad = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0]])
    >>> bool(ddc_loss(hidden, good) < ddc_loss(hidden, bad))
    True
    """
    kernel = gaussian_kernel(hidden, sigma_fraction)
    loss = 0.0
    if cs_weight:
        loss = loss + cs_weight * cauchy_schwarz_divergence(assignments, kernel)
    if orthogonality_weight:
        loss = loss + orthogonality_weight * orthogonality_loss(assignments)
    if simplex_weight:
        similarity = simplex_corner_similarity(assignments)
        loss = loss + simplex_weight * cauchy_schwarz_divergence(similarity, kernel)
    if not isinstance(loss, torch.Tensor):  # every weight zero
        loss = hidden.sum(dim=(-2, -1)) * 0.0
    return loss


class DDCLoss(nn.Module):
    """Criterion of :class:`DDCClustering`: :func:`ddc_loss` summed over the runs.

    Called by the engine as ``criterion(outputs, X_batch, indices)`` with
    ``outputs["embedding"]`` of shape ``(n, R, d)`` and
    ``outputs["assignments"]`` of shape ``(n, R, K)`` for ``R`` runs trained
    together.  The runs have disjoint parameters, so the gradient of the sum
    is each run's own gradient.

    Parameters
    ----------
    cs_weight, orthogonality_weight, simplex_weight, sigma_fraction
        As for :func:`ddc_loss`.
    """

    def __init__(self, cs_weight=1.0, orthogonality_weight=1.0, simplex_weight=1.0,
                 sigma_fraction=0.15):
        super().__init__()
        self.cs_weight = cs_weight
        self.orthogonality_weight = orthogonality_weight
        self.simplex_weight = simplex_weight
        self.sigma_fraction = sigma_fraction

    def per_run(self, outputs):
        """Loss of each run, shape ``(R,)`` (one run for outputs without a run axis)."""
        hidden, assignments = outputs["embedding"], outputs["assignments"]
        if assignments.dim() == 2:
            hidden, assignments = hidden[:, None], assignments[:, None]
        hidden, assignments = hidden.transpose(0, 1), assignments.transpose(0, 1)
        return ddc_loss(
            hidden,
            assignments,
            cs_weight=self.cs_weight,
            orthogonality_weight=self.orthogonality_weight,
            simplex_weight=self.simplex_weight,
            sigma_fraction=self.sigma_fraction,
        )

    def forward(self, outputs, X=None, indices=None):
        return self.per_run(outputs).sum()
