"""JULE's clustering loss: the weighted triplet loss on the current cluster labels.

Pure functions of tensors (Yang, Parikh and Batra, "Joint Unsupervised
Learning of Deep Representations and Image Clusters", CVPR 2016).  Within a
batch, every two samples of the same cluster form a positive pair
``(i, j)``; each pair takes negatives ``k`` of other clusters, and

``L = mean over triplets of max(0, gamma ||z_i - z_j||^2 - ||z_i - z_k||^2 + m)``.
"""

import torch
from torch import nn

__all__ = ["sample_triplets", "weighted_triplet_loss", "WeightedTripletLoss"]


def sample_triplets(labels, n_negatives=20, generator=None):
    """Triplets of a batch: every same-cluster pair with up to ``n_negatives`` negatives.

    As the authors' code: the anchor is the first sample of the pair (in
    batch order), and each pair draws ``n_negatives`` distinct samples of
    other clusters from the batch at random (all of them when the batch holds
    fewer).

    Parameters
    ----------
    labels : torch.Tensor of shape (n,)
        Cluster labels of the batch.
    n_negatives : int, default=20
        Negatives per positive pair.
    generator : torch.Generator, default=None
        Source of randomness (the global one by default).

    Returns
    -------
    anchors, positives, negatives : torch.Tensor of shape (n_triplets,)
        Indices into the batch.

    Examples
    --------
    >>> import torch
    >>> a, p, n = sample_triplets(torch.tensor([0, 0, 1]))
    >>> a.tolist(), p.tolist(), n.tolist()
    ([0], [1], [2])
    """
    labels = labels.reshape(-1)
    same = labels[:, None] == labels[None, :]
    pairs = torch.triu(same, diagonal=1).nonzero()
    empty = labels.new_zeros(0, dtype=torch.int64)
    if len(pairs) == 0 or n_negatives < 1:
        return empty, empty, empty
    anchors, positives = pairs[:, 0], pairs[:, 1]
    # a random order of the other clusters' samples for each pair, its first ones taken
    keys = torch.rand(len(pairs), len(labels), generator=generator, device=labels.device)
    keys = keys.masked_fill(same[anchors], float("inf"))
    k = min(int(n_negatives), len(labels))
    picked_keys, negatives = keys.topk(k, dim=1, largest=False)
    valid = torch.isfinite(picked_keys)
    rows = torch.arange(len(pairs), device=labels.device)[:, None].expand(-1, k)[valid]
    return anchors[rows], positives[rows], negatives[valid]


def weighted_triplet_loss(z, anchors, positives, negatives, gamma=1.0, margin=0.2):
    """``mean max(0, gamma ||z_a - z_p||^2 - ||z_a - z_n||^2 + margin)`` over the triplets.

    Parameters
    ----------
    z : torch.Tensor of shape (n, d)
        Features of the batch (JULE's are L2-normalised).
    anchors, positives, negatives : torch.Tensor of shape (n_triplets,)
        Indices into ``z`` (:func:`sample_triplets`).
    gamma : float, default=1.0
        Weight of the positive distance (the paper's ``lambda``).
    margin : float, default=0.2
        The margin ``m``.

    Returns
    -------
    loss : torch.Tensor of shape ()
        0 (with a gradient of zeros) when there is no triplet.

    Examples
    --------
    >>> import torch
    >>> z = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    >>> i = torch.tensor([0])
    >>> weighted_triplet_loss(z, i, i + 1, i + 2)  # 1 * 2 - 0 + 0.2
    tensor(2.2000)
    """
    if len(anchors) == 0:
        return z.sum() * 0.0
    positive = (z[anchors] - z[positives]).pow(2).sum(dim=1)
    negative = (z[anchors] - z[negatives]).pow(2).sum(dim=1)
    return torch.relu(gamma * positive - negative + margin).mean()


class WeightedTripletLoss(nn.Module):
    """The triplet loss of each batch, its labels those of the current clusters.

    Holds ``assignments``, the cluster label of every training sample, which
    the agglomerative update (:class:`~skdeepcluster.agglomeration.AgglomerativeUpdate`)
    refreshes at each period; the batch's labels are read by index.  Called
    as ``criterion(outputs, X, indices)`` with the features in
    ``outputs["embedding"]``.

    Parameters
    ----------
    gamma : float, default=1.0
        Weight of the positive distance.
    margin : float, default=0.2
        The margin.
    n_negatives : int, default=20
        Negatives per positive pair.
    """

    def __init__(self, gamma=1.0, margin=0.2, n_negatives=20):
        super().__init__()
        self.gamma = gamma
        self.margin = margin
        self.n_negatives = n_negatives
        self.assignments = None

    def forward(self, outputs, X, indices):
        z = outputs["embedding"]
        if self.assignments is None:
            raise RuntimeError(
                "WeightedTripletLoss has no cluster labels: it trains with the "
                "AgglomerativeMerges cluster update, which sets them."
            )
        labels = self.assignments[indices.to(self.assignments.device)].to(z.device)
        triplet = sample_triplets(labels, self.n_negatives)
        return weighted_triplet_loss(z, *triplet, gamma=self.gamma, margin=self.margin)
