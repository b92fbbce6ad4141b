"""DCN's k-means loss and its count-based centroid update, as functions of tensors.

``L = mean_i ||x_i - g(f(x_i))||^2 + (lambda / 2) mean_i ||f(x_i) - mu_{s_i}||^2``
with hard assignments ``s_i`` and centroids ``mu`` held fixed during the
gradient step (Yang, Fu, Sidiropoulos and Hong, ICML 2017).
"""

import torch
from torch import nn

__all__ = [
    "squared_distances",
    "nearest_centers",
    "kmeans_loss",
    "count_based_center_update",
    "KMeansClusteringLoss",
]

def squared_distances(embeddings, centers):
    """Squared Euclidean distances between embeddings and centroids.

    Parameters
    ----------
    embeddings : torch.Tensor of shape (n_samples, n_dims)
        The embedded samples ``z_i``.
    centers : torch.Tensor of shape (n_clusters, n_dims)
        The centroids ``mu_k``.

    Returns
    -------
    distances : torch.Tensor of shape (n_samples, n_clusters)
        ``||z_i - mu_k||^2``.

    Examples
    --------
    >>> import torch
    >>> squared_distances(torch.tensor([[0.0, 0.0]]), torch.tensor([[3.0, 4.0], [1.0, 0.0]]))
    tensor([[25.,  1.]])
    """
    # The matrix-product shortcut of cdist loses digits far from the origin.
    return torch.cdist(embeddings, centers, compute_mode="donot_use_mm_for_euclid_dist").pow(2)


def nearest_centers(embeddings, centers):
    """Hard k-means assignment: the nearest centroid of each embedding.

    Parameters
    ----------
    embeddings : torch.Tensor of shape (n_samples, n_dims)
        The embedded samples.
    centers : torch.Tensor of shape (n_clusters, n_dims)
        The centroids.

    Returns
    -------
    labels : torch.Tensor of shape (n_samples,), int64
        Index of the nearest centroid (the lowest index on ties).
    distances : torch.Tensor of shape (n_samples,)
        Squared distance to that centroid.

    Examples
    --------
    >>> import torch
    >>> nearest_centers(torch.tensor([[0.0], [2.9]]), torch.tensor([[0.0], [3.0]]))
    (tensor([0, 1]), tensor([0.0000, 0.0100]))
    """
    distances, labels = squared_distances(embeddings, centers).min(dim=1)
    return labels, distances


def kmeans_loss(embeddings, centers, assignments):
    """The k-means objective of a batch: ``mean_i ||z_i - mu_{s_i}||^2``.

    Gradients flow to ``embeddings`` only when ``centers`` is a buffer (DCN
    moves the centroids by its count-based rule, not by backprop).

    Parameters
    ----------
    embeddings : torch.Tensor of shape (n_samples, n_dims)
        The embedded samples ``z_i``.
    centers : torch.Tensor of shape (n_clusters, n_dims)
        The centroids ``mu_k``.
    assignments : torch.Tensor of shape (n_samples,), int64
        Hard assignment ``s_i`` of each sample.

    Returns
    -------
    loss : torch.Tensor
        A scalar: squared distances summed over the dimensions, averaged over
        the samples.

    Examples
    --------
    >>> import torch
    >>> z = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
    >>> mu = torch.tensor([[0.0, 0.0], [0.0, 1.0]])
    >>> kmeans_loss(z, mu, torch.tensor([0, 1]))  # (1 + 1) / 2
    tensor(1.)
    """
    return (embeddings - centers[assignments]).pow(2).sum(dim=1).mean()


def count_based_center_update(centers, counts, embeddings, labels):
    """DCN's centroid update for a batch of newly assigned samples.

    The reference processes the samples one at a time: ``c_k <- c_k + 1`` then
    ``mu_k <- mu_k - (1 / c_k)(mu_k - z_i)`` for the cluster ``k`` of ``z_i``.
    That is a running mean that gives the old centroid the weight ``c_k``, so
    the ``m_k`` samples of cluster ``k`` in a batch give, in any order, the
    closed form used here (one vectorised step, no loop over samples)::

        mu_k <- (c_k * mu_k + sum_{s_i = k} z_i) / (c_k + m_k),   c_k <- c_k + m_k

    Clusters with no sample in the batch keep their centroid and count.

    Parameters
    ----------
    centers : torch.Tensor of shape (n_clusters, n_dims)
        Current centroids.
    counts : torch.Tensor of shape (n_clusters,)
        Number of samples ever assigned to each cluster (plus the initial
        count); all must be positive.
    embeddings : torch.Tensor of shape (n_samples, n_dims)
        The batch's embeddings.
    labels : torch.Tensor of shape (n_samples,), int64
        Their (new) hard assignments.

    Returns
    -------
    centers : torch.Tensor of shape (n_clusters, n_dims)
        Updated centroids (a new tensor).
    counts : torch.Tensor of shape (n_clusters,)
        Updated counts (a new tensor, dtype of ``counts``).

    Examples
    --------
    >>> import torch
    >>> centers, counts = count_based_center_update(
    ...     torch.tensor([[0.0], [10.0]]), torch.tensor([2, 5]),
    ...     torch.tensor([[3.0], [6.0]]), torch.tensor([0, 0]))
    >>> centers  # (2 * 0 + 3 + 6) / 4; cluster 1 unchanged
    tensor([[ 2.2500],
            [10.0000]])
    >>> counts
    tensor([4, 5])
    """
    batch_counts = torch.bincount(labels, minlength=centers.shape[0])
    sums = torch.zeros_like(centers).index_add_(0, labels, embeddings.to(centers.dtype))
    new_counts = counts + batch_counts.to(counts.dtype)
    weights = counts.to(centers.dtype).unsqueeze(1)
    moved = (weights * centers + sums) / new_counts.to(centers.dtype).unsqueeze(1)
    # Bit-for-bit unchanged where the batch has no sample of the cluster.
    return torch.where((batch_counts > 0).unsqueeze(1), moved, centers), new_counts


# ------------------------------------------------------ criterion and module


class KMeansClusteringLoss(nn.Module):
    """DCN's clustering term: ``(clustering_weight / 2)`` times the k-means loss.

    ``(lambda / 2) mean_i ||f(x_i) - mu_{s_i}||^2``, the squared distances
    summed over the features and averaged over the batch, as the paper and
    ClustPy, so that ``clustering_weight`` is the paper's ``lambda`` and
    ClustPy's ``clustering_loss_weight``.  DCN adds the reconstruction error
    on the same scale (summed over features:
    ``ReconstructionTerm(reduction="sum")`` in a
    :class:`~skdeepcluster.losses.CombinedLoss`).

    The centroids ``centers`` and the per-sample assignments ``assignments``
    of the whole training set are state of the training schedule:
    :class:`AlternatingKMeansUpdate` binds them before training (``centers`` is
    the clustering module's buffer), updates them in place after each step,
    and clears them afterwards.  The loss looks the batch up by its sample
    indices.

    Parameters
    ----------
    clustering_weight : float, default=0.1
        ``lambda``, the weight of the k-means loss.
    """

    def __init__(self, clustering_weight=0.1):
        super().__init__()
        self.clustering_weight = clustering_weight
        self.centers = None
        self.assignments = None

    def forward(self, outputs, X, indices):
        return 0.5 * self.clustering_weight * kmeans_loss(
            outputs["embedding"], self.centers, self.assignments[indices]
        )
