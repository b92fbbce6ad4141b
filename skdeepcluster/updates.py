"""Cluster updates and initialisation: what changes the clusters outside the gradient step.

The training engine runs these as skorch callbacks:

* :class:`TargetDistributionUpdate`: DEC's periodic refresh of the target
  distribution, with its ``tol`` stopping rule;
* :class:`AlternatingKMeansUpdate`: DCN's reassignment and count-based
  centroid update after every step;
* :class:`CenterUpdate`: each centre moved to its members' mean after every
  epoch (DMAE's ``center_update="mean"``);
* :class:`AssignmentUpdate` and :class:`ClusteringStageSchedule`: the
  discriminative method's per-epoch assignments and its two stages;
* :class:`EpochTargetUpdate`: DEPICT's warm-up on the k-means labels, then
  its target refreshed once per epoch.
* :class:`PairThresholdSchedule`: DAC's thresholds of the pairs it labels,
  moved at each epoch's start.

The initialisations of the clustering heads are importable from here too
(they live in :mod:`skdeepcluster.starts`): k-means on the features
(:func:`kmeans_start`), k-means++ under any dissimilarity, the Mahalanobis
precisions, the Gaussian-mixture start and VaDE's diagonal mixture prior
(:func:`diagonal_mixture_start`).
"""

import numpy as np
import torch
from skorch.callbacks import Callback

from .distributed import gather_rows, is_distributed
from .engine import evaluation_mode, map_in_chunks, store_in_place
from .losses.hardening import target_distribution
from .losses.kmeans import count_based_center_update, nearest_centers
from .starts import (  # the initialisations, part of this module's API
    diagonal_mixture_start,
    dissimilarity_kmeans_plusplus,
    gaussian_mixture_start,
    kmeans_start,
    precision_factors,
    start_sample,
)

__all__ = [
    "clustering_criterion",
    "kmeans_start",
    "start_sample",
    "dissimilarity_kmeans_plusplus",
    "precision_factors",
    "gaussian_mixture_start",
    "diagonal_mixture_start",
    "TargetDistributionUpdate",
    "AlternatingKMeansUpdate",
    "CenterUpdate",
    "AssignmentUpdate",
    "ClusteringStageSchedule",
    "EpochTargetUpdate",
    "PairThresholdSchedule",
]


def clustering_criterion(net):
    """The criterion term that holds the clustering state of ``net`` (targets, centres, stage).

    A composed criterion (:class:`~skdeepcluster.losses.CombinedLoss`) keeps
    it as its ``clustering`` term; a method's own criterion is that term.
    """
    criterion = net.criterion_
    return getattr(criterion, "clustering", criterion)


# ------------------------------------------------------------------ callbacks


def _percent(fraction):
    """``fraction`` as a short percentage: 0.001 -> '0.1%', 0.000556 -> '0.0556%'."""
    return f"{100 * fraction:.3g}%"


def _tol_stop_reason(net, delta, n_samples, tol, when):
    """The words of a stop by a ``tol`` rule: epoch, changed fraction, threshold."""
    changed = round(delta * n_samples)
    return (
        f"stopping at epoch {len(net.history)}: {_percent(delta)} of the assignments "
        f"({changed} of {n_samples}) changed {when}, below tol={_percent(tol)}"
    )


class TargetDistributionUpdate(Callback):
    """DEC's schedule: refresh the target ``P`` and test convergence.

    Every ``update_interval`` batches the soft assignments ``Q`` of the whole
    training set are computed on the device, the target
    ``P = target_distribution(Q, power)`` is stored in the criterion's ``target``,
    and training stops when fewer than ``tol`` of the hard labels changed
    since the previous update.  The fraction is recorded in the history as
    ``delta_label``.

    Parameters
    ----------
    update_interval : int, default=140
        Batches between two refreshes of ``P``.
    tol : float, default=1e-3
        Stop when the fraction of changed labels falls below this.
    batch_size : int, default=4096
        Chunk size of the full-data inference.
    power : float, default=2.0
        Exponent of the assignments in the target (DEC's 2; DBC's boosting
        factor).
    """

    power = 2.0  # for objects pickled before it was a parameter

    def __init__(self, update_interval=140, tol=1e-3, batch_size=4096, power=2.0):
        self.update_interval = update_interval
        self.tol = tol
        self.batch_size = batch_size
        self.power = power

    def start_from(self, embeddings):
        """Compute the first target from ``embeddings`` instead of a pass over the data.

        ``embeddings`` must be those of the training set by the network as it
        starts training, such as the ones k-means was fitted on; they are used
        once, at the next train begin.  Returns the callback.
        """
        self.initial_embeddings_ = embeddings
        return self

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        self.X_ = X
        self.n_batches_ = 0
        self.labels_ = None
        embeddings, self.initial_embeddings_ = getattr(self, "initial_embeddings_", None), None
        self._refresh(net, embeddings)

    def on_batch_end(self, net, batch=None, training=False, **kwargs):
        # Refreshing after a batch (rather than before the next) lets a tol stop
        # that falls on the last batch of an epoch end training with that epoch.
        if not training:
            return
        self.n_batches_ += 1
        if self.n_batches_ % self.update_interval == 0:
            self._refresh(net)

    def _refresh(self, net, embeddings=None):
        with evaluation_mode(net.module_) as module:
            if embeddings is None:
                q = map_in_chunks(
                    lambda x: module.assign(module.encode(x)),
                    self.X_,
                    net.device,
                    batch_size=self.batch_size,
                    to_numpy=False,
                )
            else:
                with torch.no_grad():
                    z = torch.as_tensor(embeddings, dtype=torch.float32, device=net.device)
                    q = module.assign(z)
        store_in_place(clustering_criterion(net), "target", target_distribution(q, self.power))
        labels = q.argmax(dim=1)
        if self.labels_ is not None:
            delta = (labels != self.labels_).float().mean().item()
            net.history.record("delta_label", delta)
            if delta < self.tol:
                net.stop_requested_ = True
                net.stop_reason_ = _tol_stop_reason(
                    net, delta, len(labels), self.tol, "since the previous target refresh"
                )
        self.labels_ = labels

    def on_train_end(self, net, **kwargs):
        # Drop references to the training data so the fitted model does not keep it.
        self.X_ = None
        self.labels_ = None
        clustering_criterion(net).target = None


class AlternatingKMeansUpdate(Callback):
    """DCN's alternation: after each network step, reassign the batch and move the centroids.

    * Before training, every sample is assigned to its nearest centroid (one
      pass over the training set), and the criterion's ``centers`` and
      ``assignments`` are bound.
    * After every training step (``on_batch_end``), the batch's embeddings
      (computed in that step's forward pass, before the optimizer moved the
      weights: it saves the reference's second forward pass) are reassigned to
      their nearest centroid, and the centroids move by
      :func:`count_based_center_update`.  Everything stays on the device, in
      place (a captured CUDA graph of the step reads these tensors by address),
      with no host synchronisation.
    * After every epoch, the fraction of samples whose assignment changed is
      recorded as ``delta_label`` (training stops when it falls below
      ``tol``), and empty clusters are reseeded.

    An empty cluster (no training sample assigned to it) would keep its
    centroid forever and silently lose a cluster.  Instead, it is moved onto
    the embedding of the sample farthest from its centroid (as scikit-learn's
    k-means does), its count reset to the initial count, and that sample
    assigned to it.  This is checked on the running assignments after every
    epoch, and on fresh assignments of all samples at the end of training.
    The number of reseeded clusters is recorded as ``n_reseeded``.

    Parameters
    ----------
    tol : float, default=0.0
        Stop when fewer than this fraction of labels changed during an epoch.
    batch_size : int, default=4096
        Chunk size of the full-data passes.
    """

    def __init__(self, tol=0.0, batch_size=4096):
        self.tol = tol
        self.batch_size = batch_size

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        self.X_ = X
        labels, distances = self._assign_all(net)
        criterion = clustering_criterion(net)
        criterion.centers = net.module_.centers
        criterion.assignments = labels
        self.distances_ = distances
        self.changed_ = torch.zeros((), dtype=torch.int64, device=labels.device)
        self.batches_per_epoch_ = -(-len(X) // net.batch_size)
        self.epoch_batches_ = 0
        self._reseed_empty_clusters(net)

    def on_batch_end(self, net, batch=None, training=False, y_pred=None, **kwargs):
        if not training:
            return
        module, criterion = net.module_, clustering_criterion(net)
        indices = batch[1]
        with torch.no_grad():
            embeddings = y_pred["embedding"].detach()
            if is_distributed():  # the whole batch, the same in every process
                embeddings, indices = gather_rows(embeddings, indices)
            labels, distances = nearest_centers(embeddings, module.centers)
            assignments = criterion.assignments
            self.changed_ += (assignments[indices] != labels).sum()
            assignments[indices] = labels
            self.distances_[indices] = distances.to(self.distances_.dtype)
            centers, counts = count_based_center_update(
                module.centers, module.counts, embeddings, labels
            )
            module.centers.copy_(centers)
            module.counts.copy_(counts)
        # Epoch statistics at the epoch's last batch, so that the progress table has them.
        self.epoch_batches_ += 1
        if self.epoch_batches_ == self.batches_per_epoch_:
            self._end_epoch(net)

    def on_epoch_end(self, net, **kwargs):
        if self.epoch_batches_:  # an epoch cut short by another callback
            self._end_epoch(net)

    def _end_epoch(self, net):
        self.epoch_batches_ = 0
        delta = self.changed_.item() / len(self.X_)
        self.changed_.zero_()
        net.history.record("delta_label", delta)
        net.history.record("n_reseeded", self._reseed_empty_clusters(net))
        if delta < self.tol:
            net.stop_requested_ = True
            net.stop_reason_ = _tol_stop_reason(
                net, delta, len(self.X_), self.tol, "during the epoch"
            )

    def on_train_end(self, net, **kwargs):
        criterion = clustering_criterion(net)
        if self.X_ is not None and criterion.assignments is not None:
            # Fresh assignments with the final network: the fitted model has no empty cluster.
            criterion.assignments, self.distances_ = self._assign_all(net)
            self._reseed_empty_clusters(net)
        # Drop training data and per-sample state so the fitted model does not keep them.
        self.X_ = None
        self.distances_ = None
        self.changed_ = None
        criterion.centers = None
        criterion.assignments = None

    def _assign_all(self, net):
        module = net.module_
        embeddings = self._encode(net, self.X_)
        return nearest_centers(embeddings, module.centers)

    def _encode(self, net, X):
        with evaluation_mode(net.module_) as module:
            return map_in_chunks(
                module.encode, X, net.device, batch_size=self.batch_size, to_numpy=False
            )

    def _reseed_empty_clusters(self, net):
        module, assignments = net.module_, clustering_criterion(net).assignments
        n_clusters = module.centers.shape[0]
        sizes = torch.bincount(assignments, minlength=n_clusters)
        empty = torch.nonzero(sizes == 0).flatten()
        n_empty = len(empty)  # one host synchronisation per epoch
        if n_empty == 0:
            return 0
        n_empty = min(n_empty, len(assignments))
        empty = empty[:n_empty]
        farthest = torch.topk(self.distances_, n_empty).indices
        rows = self.X_[farthest.to(self.X_.device)]
        with torch.no_grad():
            embeddings = self._encode(net, rows)
            module.centers[empty] = embeddings.to(module.centers.dtype)
            module.counts[empty] = module.initial_count
            assignments[farthest] = empty
            self.distances_[farthest] = 0.0
        return n_empty


class CenterUpdate(Callback):
    """Move each centre to the mean of its embeddings after every epoch.

    ``theta_k = sum_i s_ik z_i / sum_i s_ik`` over the whole training set,
    with the network as it ends the epoch: a k-means (Lloyd) step on the
    current embedding, which keeps the centres with the samples they stand
    for while the encoder moves them (``DMAEClustering(center_update="mean")``).
    A centre with less than one sample's worth of assignment stays where it
    is.  The largest move, relative to the mean distance between centres, is
    recorded in the history as ``center_shift``.  The centres are written in
    place, so a training step captured in a CUDA graph sees them.

    Parameters
    ----------
    batch_size : int, default=4096
        Chunk size of the full-data inference.
    """

    def __init__(self, batch_size=4096):
        self.batch_size = batch_size

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        self.X_ = X

    def on_epoch_end(self, net, **kwargs):
        with evaluation_mode(net.module_) as module:
            centers = module.mixture.centers
            n_clusters, n_features = centers.shape

            def sums(x):
                z = module.encode(x)
                s = module.assign(z)
                return torch.cat([s.T @ z, s.sum(0, keepdim=True).T], dim=1)

            totals = map_in_chunks(
                sums, self.X_, net.device, batch_size=self.batch_size, to_numpy=False
            ).reshape(-1, n_clusters, n_features + 1).sum(0)
            mass = totals[:, -1:]
            with torch.no_grad():
                new = torch.where(mass >= 1.0, totals[:, :-1] / mass.clamp_min(1.0), centers)
                new = new.to(centers.dtype)
                spacing = torch.cdist(centers, centers).sum() / max(
                    n_clusters * (n_clusters - 1), 1
                )
                shift = (new - centers).norm(dim=1).max() / spacing.clamp_min(1e-12)
                centers.copy_(new)
        net.history.record("center_shift", float(shift))

    def on_train_end(self, net, **kwargs):
        self.X_ = None  # the fitted model does not keep the training data


class ClusteringStageSchedule(Callback):
    """Stage I for the first ``stage1_epochs`` epochs of the clustering phase, then stage II.

    Sets the stage of a :class:`DiscriminativeClusteringLoss` at the start of
    each epoch (in place) and records it in the history as ``stage``.

    Parameters
    ----------
    stage1_epochs : int
        Epochs of stage I.
    """

    def __init__(self, stage1_epochs):
        self.stage1_epochs = stage1_epochs

    def on_epoch_begin(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        stage = 1 if len(net.history) <= self.stage1_epochs else 2
        clustering_criterion(net).set_stage(stage)
        net.history.record("stage", stage)


class AssignmentUpdate(Callback):
    """Assign the whole training set at the start of each epoch (the paper's assignment step).

    Sets ``criterion_.assignments`` to the most similar centroid of every
    training sample, refreshed in place at the start of each epoch, so that
    stage II draws its within- and between-cluster pairs from assignments that
    are fixed while the network and the centroids take the epoch's steps (the
    alternating maximisation of the paper).  Assigning each batch with the
    centroids of the moment instead lets a sample that flips cluster be pulled
    at once towards its new cluster-mates, a feedback that moves whole groups
    between clusters and lowers the accuracy.

    Parameters
    ----------
    batch_size : int, default=4096
        Chunk size of the assignment pass.
    """

    def __init__(self, batch_size=4096):
        self.batch_size = batch_size

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        self.X_ = X
        self._refresh(net)  # before the first step: a captured graph reads the tensor

    def on_epoch_begin(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        if len(net.history) > 1:  # the first epoch uses the assignments of on_train_begin
            self._refresh(net)

    def _refresh(self, net):
        with evaluation_mode(net.module_) as module:
            labels = map_in_chunks(
                lambda x: module.similarities(module.autoencoder.encode(x)).argmax(dim=1),
                self.X_,
                net.device,
                batch_size=self.batch_size,
                dtype=torch.float32,
                to_numpy=False,
            )
        store_in_place(clustering_criterion(net), "assignments", labels)

    def on_train_end(self, net, **kwargs):
        # Drop the training data and the per-sample state: the fitted model keeps neither.
        self.X_ = None
        clustering_criterion(net).assignments = None


class EpochTargetUpdate(Callback):
    """DEPICT's schedule: a warm-up on fixed labels, then a target refreshed once per epoch.

    For the first ``warmup_epochs`` epochs the criterion's ``target`` is the
    one-hot ``labels`` (the k-means start's); after each later epoch (and
    before the first when there is no warm-up) the clean soft assignments of
    the whole training set give the next target, through the criterion's
    ``make_target``.  Training stops when the mean squared change of the
    target between two refreshes falls below ``tol`` (recorded as
    ``delta_target``).

    Parameters
    ----------
    labels : ndarray of shape (n_samples,)
        The warm-up's labels.
    warmup_epochs : int, default=0
        Epochs trained towards ``labels``.
    tol : float, default=1e-7
        Stop when ``mean (q_t - q_{t-1})^2`` falls below this.
    batch_size : int, default=4096
        Chunk size of the full-data inference.
    """

    def __init__(self, labels, warmup_epochs=0, tol=1e-7, batch_size=4096):
        self.labels = labels
        self.warmup_epochs = warmup_epochs
        self.tol = tol
        self.batch_size = batch_size

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        self.X_ = X
        self.previous_ = None
        if self.warmup_epochs > 0:
            labels = torch.as_tensor(np.asarray(self.labels), dtype=torch.long, device=net.device)
            n_clusters = net.module_.output.out_features
            one_hot = torch.nn.functional.one_hot(labels, n_clusters).to(torch.float32)
            store_in_place(clustering_criterion(net), "target", one_hot)
        else:
            self._refresh(net)

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) >= self.warmup_epochs:
            self._refresh(net)

    def _refresh(self, net):
        with evaluation_mode(net.module_) as module:
            p = map_in_chunks(
                lambda x: module.assign(module.encode(x)), self.X_, net.device,
                batch_size=self.batch_size, to_numpy=False,
            )
        criterion = clustering_criterion(net)
        target = criterion.make_target(p)
        if self.previous_ is not None:
            delta = (target - self.previous_).pow(2).mean().item()
            net.history.record("delta_target", delta)
            if delta < self.tol:
                net.stop_requested_ = True
                net.stop_reason_ = (
                    f"stopping at epoch {len(net.history)}: the target moved by a mean squared "
                    f"{delta:.3g} since the previous epoch, below tol={self.tol:g}"
                )
        self.previous_ = target
        store_in_place(criterion, "target", target.clone())

    def on_train_end(self, net, **kwargs):
        # Drop the training data and the per-sample state: the fitted model keeps neither.
        self.X_ = None
        self.previous_ = None
        self.labels = None
        clustering_criterion(net).target = None
class PairThresholdSchedule(Callback):
    """DAC's thresholds: epoch ``e`` (from 0) labels its pairs with ``thresholds[e]``.

    Sets ``upper`` and ``lower`` of a
    :class:`~skdeepcluster.losses.SameClusterLoss` at the start of each
    epoch (in place) and records them in the history.  When the schedule
    holds fewer entries than the training has epochs, training stops after
    the last one: the thresholds have met (the paper's ``u <= l``).

    Parameters
    ----------
    thresholds : list of (float, float)
        ``(upper, lower)`` of each epoch.
    """

    def __init__(self, thresholds):
        self.thresholds = thresholds

    def on_epoch_begin(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        epoch = min(len(net.history), len(self.thresholds)) - 1
        upper, lower = self.thresholds[epoch]
        clustering_criterion(net).set_thresholds(upper, lower)
        net.history.record("upper", upper)
        net.history.record("lower", lower)

    def on_epoch_end(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        epochs = len(net.history)
        if epochs >= len(self.thresholds) and epochs < net.max_epochs:
            net.stop_requested_ = True
            net.stop_reason_ = (
                f"stopping at epoch {epochs}: the thresholds have met (upper <= lower), every "
                "pair is labelled"
            )
