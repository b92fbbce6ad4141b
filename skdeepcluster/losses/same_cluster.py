"""DAC's clustering loss: is each pair of samples in the same cluster?

Pure functions of tensors (Chang, Wang, Meng, Xiang and Pan, "Deep Adaptive
Image Clustering", ICCV 2017).  The assignments ``p`` are softmax outputs of
shape ``(n, K)``, or ``(n, R, K)`` for ``R`` runs trained together; each
run's value is computed on its own.

Each sample's assignment scaled to unit length is its *indicator feature*
``l_i = p_i / ||p_i||``; the cosine ``g_ij = l_i . l_j`` of two of them (in
``[0, 1]``, as assignments are not negative) estimates whether ``i`` and
``j`` are in the same cluster.  Pairs the network is already sure of are
labelled (``g_ij >= upper``: same, ``g_ij < lower``: different), the others
are left out, and the network learns to classify the labelled pairs; the
thresholds move towards each other over training, so that more and more
pairs are labelled.
"""

import torch
from torch import nn

__all__ = [
    "indicator_cosines",
    "select_pairs",
    "same_cluster_loss",
    "SameClusterLoss",
]

# Cosines are clipped to [_EPS, 1 - _EPS] inside the logarithms of the cross-entropy.
_EPS = 1e-7

# The pairwise losses: the paper's binary cross-entropy, the authors' MNIST code's squared error.
PAIR_LOSSES = ("binary_cross_entropy", "squared_error")


def _runs(p):
    """``p`` as ``(R, n, K)``: one run when it has no run axis."""
    return p[None] if p.dim() == 2 else p.transpose(0, 1)


def indicator_cosines(p):
    """The cosine ``g_ij = <l_i, l_j>`` of every pair, per run, with ``l_i = p_i / ||p_i||``.

    Parameters
    ----------
    p : torch.Tensor of shape (n, K) or (n, R, K)
        Soft assignments (not negative).

    Returns
    -------
    cosines : torch.Tensor of shape (R, n, n)
        ``R = 1`` without a run axis.

    Examples
    --------
    >>> import torch
    >>> indicator_cosines(torch.tensor([[1.0, 0.0], [0.5, 0.5]]))  # 1 / sqrt(2) off the diagonal
    tensor([[[1.0000, 0.7071],
             [0.7071, 1.0000]]])
    """
    indicators = nn.functional.normalize(_runs(p), dim=-1)
    return indicators @ indicators.transpose(-1, -2)


def select_pairs(cosines, upper, lower):
    """The paper's selection: labels ``r_ij = [g_ij >= upper]``, pairs ``v_ij = r_ij or g_ij < lower``.

    Pairs of cosine in ``[lower, upper)`` are left out.  With ``upper ==
    lower`` every pair is labelled (the authors' MNIST code's one
    threshold).

    Parameters
    ----------
    cosines : torch.Tensor
        The cosines ``g_ij`` (any shape).
    upper, lower : float or torch.Tensor
        The thresholds ``u(lambda)`` and ``l(lambda)``.

    Returns
    -------
    labels, selected : torch.Tensor
        Float tensors of the shape of ``cosines``, without gradient: 1 where a
        pair is labelled "same" (``labels``) and where it is used
        (``selected``).

    Examples
    --------
    >>> import torch
    >>> select_pairs(torch.tensor([0.99, 0.7, 0.2]), upper=0.95, lower=0.5)
    (tensor([1., 0., 0.]), tensor([1., 0., 1.]))
    """
    cosines = cosines.detach()
    same = cosines >= upper
    return same.to(cosines.dtype), (same | (cosines < lower)).to(cosines.dtype)


def same_cluster_loss(p, upper, lower, loss="binary_cross_entropy", eps=_EPS):
    """DAC's objective on a batch, per run: the mean pair loss over the selected pairs.

    ``sum_ij v_ij L(r_ij, g_ij) / sum_ij v_ij`` with the pairs and labels of
    :func:`select_pairs` (constants: no gradient flows through the
    selection) and ``L`` the binary cross-entropy ``-r log g - (1 - r)
    log(1 - g)`` (the paper's) or the squared error ``(g - r)^2`` (the
    authors' MNIST code's).  Every pair ``(i, j)`` of the batch counts, the
    pair of a sample with itself included (as both the paper's sum and the
    code's mean do).

    Parameters
    ----------
    p : torch.Tensor of shape (n, K) or (n, R, K)
        Soft assignments.
    upper, lower : float or torch.Tensor
        The thresholds.
    loss : {"binary_cross_entropy", "squared_error"}, default="binary_cross_entropy"
        The loss of a pair.
    eps : float, default=1e-7
        Cosines are clipped to ``[eps, 1 - eps]`` inside the logarithms.

    Returns
    -------
    loss : torch.Tensor of shape (R,)
        Zero for a run with no selected pair.

    Examples
    --------
    >>> import torch
    >>> p = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    >>> same_cluster_loss(p, upper=0.9, lower=0.1)  # every pair right: no loss
    tensor([1.1921e-07])
    """
    if loss not in PAIR_LOSSES:
        raise ValueError(f"loss must be one of {PAIR_LOSSES}; got {loss!r}.")
    cosines = indicator_cosines(p)
    labels, selected = select_pairs(cosines, upper, lower)
    if loss == "squared_error":
        per_pair = (cosines - labels) ** 2
    else:
        g = cosines.clamp(eps, 1 - eps)
        per_pair = -(labels * torch.log(g) + (1 - labels) * torch.log(1 - g))
    total = (selected * per_pair).sum(dim=(-1, -2))
    return total / selected.sum(dim=(-1, -2)).clamp(min=1)


class SameClusterLoss(nn.Module):
    """``weight * same_cluster_loss`` of the ``"assignments"`` output, summed over runs.

    The thresholds are tensors set in place at each epoch's start by
    :class:`~skdeepcluster.updates.PairThresholdSchedule` (so that a captured
    CUDA graph reads the new values).

    Parameters
    ----------
    loss : {"binary_cross_entropy", "squared_error"}, default="binary_cross_entropy"
        The loss of a pair.
    weight : float, default=1.0
        Weight of the term.
    upper, lower : float, default=0.95, 0.455
        The thresholds until the schedule sets them (the paper's at ``lambda = 0``).
    """

    def __init__(self, loss="binary_cross_entropy", weight=1.0, upper=0.95, lower=0.455):
        super().__init__()
        if loss not in PAIR_LOSSES:
            raise ValueError(f"loss must be one of {PAIR_LOSSES}; got {loss!r}.")
        self.loss = loss
        self.weight = weight
        self.register_buffer("upper", torch.tensor(float(upper)))
        self.register_buffer("lower", torch.tensor(float(lower)))

    def set_thresholds(self, upper, lower):
        """Set both thresholds in place."""
        self.upper.fill_(float(upper))
        self.lower.fill_(float(lower))

    def per_run(self, outputs):
        """Loss of each run, shape ``(R,)``."""
        p = outputs["assignments"]
        return self.weight * same_cluster_loss(p, self.upper, self.lower, self.loss)

    def forward(self, outputs, X=None, indices=None):
        return self.per_run(outputs).sum()
