"""CCNN's cluster classification and its mini-batch k-means centroids, as functions of tensors.

The network's softmax head is trained to predict each sample's mini-batch
k-means label (the nearest centroid of its features), and the centroids follow
the features by Sculley's mini-batch k-means, corrected for the drift of the
features the network's own step causes (Hsu and Lin, IEEE Trans. Multimedia
2018).  The count-based centroid step is DCN's
(:func:`~skdeepcluster.losses.count_based_center_update`): Sculley's per-sample
rule ``c_k <- c_k + 1, mu_k <- (1 - 1 / c_k) mu_k + (1 / c_k) z_i``, vectorised.
"""

import torch
from torch import nn

from .kmeans import nearest_centers

__all__ = [
    "cluster_classification_loss",
    "feature_drift_compensation",
    "ClusterClassificationLoss",
]

_EPS = 1e-8

DRIFT_COMPENSATIONS = ("cluster", "batch", "none")


def cluster_classification_loss(assignments, labels, eps=_EPS, balanced=False):
    """Cross-entropy of softmax assignments against hard cluster labels.

    ``mean_i -log(p_{i, y_i} + eps)``: the classification loss of a network
    whose targets are the clusters' labels (CCNN's mini-batch k-means labels).
    With ``balanced=True`` each sample weighs ``1 / n_{y_i}`` (the number of
    samples of its label in the batch), so that every label present counts
    alike: the mean over the labels of their mean cross-entropy.

    Parameters
    ----------
    assignments : torch.Tensor of shape (n_samples, n_clusters)
        Softmax assignments ``p_ik``, rows summing to one.
    labels : torch.Tensor of shape (n_samples,), int64
        Target cluster ``y_i`` of each sample.
    eps : float, default=1e-8
        Added inside the logarithm.
    balanced : bool, default=False
        Weigh the labels alike rather than the samples.

    Returns
    -------
    loss : torch.Tensor
        A scalar.

    Examples
    --------
    >>> import torch
    >>> p = torch.tensor([[0.5, 0.5], [0.25, 0.75]])
    >>> cluster_classification_loss(p, torch.tensor([0, 1]), eps=0.0)  # (ln 2 + ln 4/3) / 2
    tensor(0.4904)
    """
    picked = assignments.gather(-1, labels.unsqueeze(-1)).squeeze(-1)
    losses = -torch.log(picked + eps)
    if not balanced:
        return losses.mean()
    sizes = torch.bincount(labels, minlength=assignments.shape[-1]).to(losses.dtype)
    return (losses / sizes[labels]).sum() / (sizes > 0).sum()


def feature_drift_compensation(centers, counts, old_features, new_features, labels,
                               scope="cluster"):
    """Move the centroids with the features of their batch members, as the network moved them.

    A centroid is a running mean of features computed by earlier states of
    the network; after a gradient step the same samples have new features
    ``z'_i``.  With ``scope="batch"`` the batch's own contribution to each
    running mean is replaced, ``mu_k <- mu_k + (1 / c_k) sum_{y_i = k}
    (z'_i - z_i)`` (as if the centroid step had used the new features); with
    ``scope="cluster"`` the whole centroid is carried by the mean drift of its
    members in the batch, ``mu_k <- mu_k + mean_{y_i = k} (z'_i - z_i)``, on
    the assumption that its earlier members drifted alike.  Centroids with no
    member in the batch stay put.

    Parameters
    ----------
    centers : torch.Tensor of shape (n_clusters, n_dims)
        Centroids after the batch's mini-batch k-means step.
    counts : torch.Tensor of shape (n_clusters,)
        Their counts ``c_k`` after that step (all positive).
    old_features, new_features : torch.Tensor of shape (n_samples, n_dims)
        The batch's features before and after the network's step.
    labels : torch.Tensor of shape (n_samples,), int64
        The batch's clusters.
    scope : {"cluster", "batch"}, default="cluster"
        Which part of the centroid is carried along (see above).

    Returns
    -------
    centers : torch.Tensor of shape (n_clusters, n_dims)
        Compensated centroids (a new tensor).

    Examples
    --------
    >>> import torch
    >>> mu, c = torch.tensor([[0.0], [10.0]]), torch.tensor([4, 5])
    >>> old, new = torch.tensor([[1.0], [3.0]]), torch.tensor([[2.0], [5.0]])
    >>> feature_drift_compensation(mu, c, old, new, torch.tensor([0, 0]))  # mean drift 1.5
    tensor([[ 1.5000],
            [10.0000]])
    >>> feature_drift_compensation(mu, c, old, new, torch.tensor([0, 0]), scope="batch")
    tensor([[ 0.7500],
            [10.0000]])
    """
    if scope not in ("cluster", "batch"):
        raise ValueError(f"scope must be 'cluster' or 'batch'; got {scope!r}.")
    drift = (new_features - old_features).to(centers.dtype)
    sums = torch.zeros_like(centers).index_add_(0, labels, drift)
    members = torch.bincount(labels, minlength=centers.shape[0]).to(centers.dtype)
    divisor = members if scope == "cluster" else counts.to(centers.dtype)
    return centers + sums / divisor.clamp_min(1).unsqueeze(1)


class ClusterClassificationLoss(nn.Module):
    """``weight`` times the cross-entropy of the softmax against the nearest-centroid labels.

    Each sample's label is the nearest of the centroids ``centers`` to its
    features (``outputs["embedding"]``, held constant), as mini-batch
    k-means assigns the batch before moving them; the centroids are state of
    the training schedule, bound, moved and cleared by
    :class:`~skdeepcluster.minibatch_kmeans.MiniBatchKMeansUpdate`.

    Parameters
    ----------
    weight : float, default=1.0
        Weight of the term.
    balanced : bool, default=False
        Weigh the labels of the batch alike (see
        :func:`cluster_classification_loss`).
    """

    def __init__(self, weight=1.0, balanced=False):
        super().__init__()
        self.weight = weight
        self.balanced = balanced
        self.centers = None

    def forward(self, outputs, X=None, indices=None):
        features, assignments = outputs["embedding"], outputs["assignments"]
        if features.dim() == 3:  # a run-wise network: its single run
            features, assignments = features[:, 0], assignments[:, 0]
        with torch.no_grad():
            labels, _ = nearest_centers(features.detach().float(), self.centers)
        return self.weight * cluster_classification_loss(
            assignments.float(), labels, balanced=self.balanced
        )
