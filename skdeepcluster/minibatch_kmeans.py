"""CCNN's cluster update: mini-batch k-means on the features, with feature drift compensation.

The training engine runs :class:`MiniBatchKMeansUpdate` as a skorch
callback; the arithmetic is in :mod:`skdeepcluster.losses.classification`
and :func:`~skdeepcluster.losses.count_based_center_update`.
"""

import torch
from skorch.callbacks import Callback

from .engine import evaluation_mode
from .losses.classification import feature_drift_compensation
from .losses.kmeans import count_based_center_update, nearest_centers
from .updates import clustering_criterion

__all__ = ["MiniBatchKMeansUpdate"]


def _single_run(features):
    return features[:, 0] if features.dim() == 3 else features


class MiniBatchKMeansUpdate(Callback):
    """Mini-batch k-means centroids that follow the network, batch by batch.

    * Before training the criterion's ``centers`` are bound to
      ``initial_centers`` (the features of ``n_clusters`` random samples), each
      with the count ``initial_count``.
    * After every training step (``on_batch_end``), the batch's features of
      that step's forward pass (before the optimizer moved the weights) are
      assigned to their nearest centroid -- the labels the step was trained
      on -- and the centroids move by Sculley's per-centroid rate ``1 / c_k``
      (:func:`~skdeepcluster.losses.count_based_center_update`).  With
      ``drift_compensation`` other than ``"none"`` the batch is then encoded
      again by the updated network and the centroids carried along
      (:func:`~skdeepcluster.losses.feature_drift_compensation`).
    * A centroid that no sample of an epoch chose is reseeded, at the
      epoch's end, on the feature of a random sample of the epoch's last
      batch, its count reset (``n_reseeded`` in the history); the fraction of
      samples whose label changed from the previous epoch is recorded as
      ``delta_label``.

    Parameters
    ----------
    initial_centers : torch.Tensor of shape (n_clusters, n_dims)
        The starting centroids.
    initial_count : int, default=1
        Starting count of every centroid (1: the sample it came from).
    drift_compensation : {"cluster", "batch", "none"}, default="cluster"
        ``scope`` of :func:`~skdeepcluster.losses.feature_drift_compensation`,
        or no compensation.
    random_state : int, default=0
        Seeds the choice of reseeding samples.
    """

    def __init__(self, initial_centers, initial_count=1, drift_compensation="cluster",
                 random_state=0):
        self.initial_centers = initial_centers
        self.initial_count = initial_count
        self.drift_compensation = drift_compensation
        self.random_state = random_state

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        criterion = clustering_criterion(net)
        centers = torch.as_tensor(self.initial_centers, dtype=torch.float32)
        criterion.centers = centers.to(net.device).clone()
        self.counts_ = torch.full(
            (len(centers),), int(self.initial_count), dtype=torch.int64, device=net.device
        )
        self.labels_ = torch.full((len(X),), -1, dtype=torch.int64, device=net.device)
        self.changed_ = torch.zeros((), dtype=torch.int64, device=net.device)
        self.chosen_ = torch.zeros(len(centers), dtype=torch.int64, device=net.device)
        self.generator_ = torch.Generator().manual_seed(int(self.random_state))
        self.last_features_ = None

    def on_batch_end(self, net, batch=None, training=False, y_pred=None, **kwargs):
        if not training:
            return
        criterion = clustering_criterion(net)
        X_batch, indices = batch[0], batch[1]
        with torch.no_grad():
            old = _single_run(y_pred["embedding"]).detach().float()
            centers = criterion.centers
            labels, _ = nearest_centers(old, centers)
            moved, self.counts_ = count_based_center_update(centers, self.counts_, old, labels)
            if self.drift_compensation != "none":
                with evaluation_mode(net.module_) as module:
                    new = _single_run(module(X_batch.to(net.device))["embedding"]).float()
                moved = feature_drift_compensation(
                    moved, self.counts_, old, new, labels, scope=self.drift_compensation
                )
            centers.copy_(moved)  # in place: the criterion reads this tensor
            self.changed_ += (self.labels_[indices] != labels).sum()
            self.labels_[indices] = labels
            self.chosen_ += torch.bincount(labels, minlength=len(centers))
            self.last_features_ = old

    def on_epoch_end(self, net, **kwargs):
        net.history.record("delta_label", self.changed_.item() / len(self.labels_))
        self.changed_.zero_()
        empty = torch.nonzero(self.chosen_ == 0).flatten()
        n_empty = min(len(empty), 0 if self.last_features_ is None else len(self.last_features_))
        if n_empty:
            rows = torch.randperm(len(self.last_features_), generator=self.generator_)[:n_empty]
            with torch.no_grad():
                clustering_criterion(net).centers[empty[:n_empty]] = self.last_features_[
                    rows.to(self.last_features_.device)
                ]
                self.counts_[empty[:n_empty]] = int(self.initial_count)
        net.history.record("n_reseeded", int(n_empty))
        self.chosen_.zero_()

    def on_train_end(self, net, **kwargs):
        # The fitted model keeps no training state: the readout has its own centres.
        clustering_criterion(net).centers = None
        self.labels_ = self.counts_ = self.chosen_ = self.last_features_ = None
        self.changed_ = self.generator_ = None
