"""Axis 4 of the taxonomy, DEPICT's clustering loss: softmax assignments towards a balanced target."""

import numpy as np
import torch

from ..losses.balanced import TARGETS, BalancedCrossEntropyLoss
from ..networks.heads import SoftmaxClusteringModule
from .losses import _kmeans_on_features, _SoftmaxAssignments
from .updates import EpochTargetRefresh

__all__ = ["BalancedCrossEntropy"]


class BalancedCrossEntropy(_SoftmaxAssignments):
    """DEPICT's clustering loss: ``weight * CE(Q, P~)``, the noisy assignments towards a balanced target.

    A softmax layer on the features gives the clean assignments ``p`` (in
    evaluation) and the noisy ``p~`` (in training, through a
    :class:`NoisyAutoencoderNetwork`'s dropout).  Its weights start as the
    unit-normalised centroids of k-means on the features, its bias at 0.
    The target ``Q`` is computed from the clean ``p`` of all the training
    data by :class:`EpochTargetRefresh` (after a warm-up on the k-means
    labels): ``q_ik ∝ p_ik / sqrt(sum_i p_ik)``
    (:func:`~skdeepcluster.losses.balanced_target_distribution`, the paper's)
    or DEC's ``p_ik^2 / sum_i p_ik`` (the authors' code).

    Parameters
    ----------
    weight : float, default=1.0
        Weight of the term.
    target : {"balanced", "squared"}, default="balanced"
        The paper's balanced target or DEC's squared one.
    """

    updates = (EpochTargetRefresh,)
    reference_batch_size = 100

    def __init__(self, weight=1.0, *, target="balanced"):
        self.weight = weight
        self.target = target

    def check_network(self, network):
        if self.target not in TARGETS:
            raise ValueError(
                f"BalancedCrossEntropy(target={self.target!r}): use 'balanced' or 'squared'."
            )
        if getattr(network, "has_softmax_head", False):
            raise ValueError(
                f"clustering_loss=BalancedCrossEntropy() puts its own softmax head, started by "
                f"k-means, on the features; network={type(network).__name__}() has one already: "
                "use NoisyAutoencoderNetwork() or AutoencoderNetwork()."
            )

    def describe_start(self, estimator, where, network):
        return (
            f"with k-means (n_init={estimator.n_init}) on {where}; the softmax head starts "
            "from the unit-length centroids"
        )

    def start(self, estimator, module, X_train, seed, reconstruct):
        embeddings, kmeans = _kmeans_on_features(estimator, module, X_train, seed)
        centers = torch.as_tensor(kmeans.cluster_centers_, dtype=torch.float32)
        head = SoftmaxClusteringModule(module, centers.shape[1], estimator.n_clusters, reconstruct)
        with torch.no_grad():
            head.output.weight.copy_(centers / centers.norm(dim=1, keepdim=True).clamp_min(1e-12))
            head.output.bias.zero_()
        labels = kmeans.labels_
        if len(labels) != len(embeddings):  # k-means saw a sample (out of core)
            labels = kmeans.predict(embeddings.astype(kmeans.cluster_centers_.dtype))
        return head.to(estimator.device_), {"labels": np.asarray(labels, dtype=np.int64)}

    def criterion(self):
        return BalancedCrossEntropyLoss(self.weight, self.target)
