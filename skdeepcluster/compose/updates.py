"""Axis 6 of the taxonomy: how clusters change outside the gradient step."""

import numpy as np
import torch

from ..agglomeration import AgglomerativeUpdate
from ..updates import (
    AlternatingKMeansUpdate,
    AssignmentUpdate,
    CenterUpdate,
    EpochTargetUpdate,
    PairThresholdSchedule,
    TargetDistributionUpdate,
)
from ._base import Component

__all__ = [
    "Joint", "TargetRefresh", "CountedCentres", "MeanCentres", "EpochAssignments",
    "EpochTargetRefresh",
    "AdaptiveThresholds", "DecreasingThreshold",
    "AgglomerativeMerges",
    "MiniBatchKMeansCentres",
]


class Joint(Component):
    """Clusters move with the network, by gradient only (DDC, DMAE)."""

    def callbacks(self, estimator, start):
        return []


class TargetRefresh(Component):
    """DEC's schedule: refresh the target distribution, stop when the labels settle.

    Parameters
    ----------
    update_interval : int, default=140
        Batches between two refreshes of the target distribution.
    tol : float, default=1e-3
        Training stops when fewer than this fraction of labels change between
        two refreshes.
    power : float, default=2.0
        Exponent of the soft assignments in the target ``p_ik ∝ q_ik^power /
        f_k`` (:func:`~skdeepcluster.losses.target_distribution`): DEC's 2,
        or DBC's boosting factor.
    """

    power = 2.0  # for objects pickled before it was a parameter

    def __init__(self, update_interval=140, tol=1e-3, power=2.0):
        self.update_interval = update_interval
        self.tol = tol
        self.power = power

    def callbacks(self, estimator, start):
        schedule = TargetDistributionUpdate(
            update_interval=self.update_interval,
            tol=self.tol,
            batch_size=estimator._inference_batch_size,
            power=self.power,
        )
        # The first target from the embeddings k-means saw: one pass over the data fewer.
        return [("target_distribution", schedule.start_from(start["embeddings"]))]


class CountedCentres(Component):
    """DCN's alternation: after each step, reassign the batch and move its centroids by counts.

    Parameters
    ----------
    initial_count : int, default=100
        Initial count ``c_k`` of every cluster in
        ``mu_k <- mu_k - (1 / c_k)(mu_k - z_i)``.
    tol : float, default=0.0
        Training stops when fewer than this fraction of samples changed
        cluster during an epoch; 0 runs every epoch.
    """

    def __init__(self, initial_count=100, tol=0.0):
        self.initial_count = initial_count
        self.tol = tol

    def callbacks(self, estimator, start):
        update = AlternatingKMeansUpdate(tol=self.tol, batch_size=estimator._inference_batch_size)
        return [("alternating_kmeans", update)]


class MeanCentres(Component):
    """Each centre moves to the mean of its members after every epoch (a Lloyd step)."""

    def callbacks(self, estimator, start):
        return [("center_update", CenterUpdate(estimator._inference_batch_size))]


class EpochAssignments(Component):
    """The whole training set is assigned at the start of each epoch; centres move by gradient."""

    def callbacks(self, estimator, start):
        return [("assignment_update", AssignmentUpdate())]


class EpochTargetRefresh(Component):
    """DEPICT's schedule: a warm-up on the k-means labels, then the target refreshed every epoch.

    The first ``warmup_epochs`` epochs of the clustering phase train the
    softmax head towards the one-hot labels of the k-means start (the
    authors' initialisation phase); then, after every epoch, the clean soft
    assignments of all the training data give the next target
    (:class:`~skdeepcluster.compose.BalancedCrossEntropy`'s), and training
    stops when it has settled.

    Parameters
    ----------
    warmup_epochs : int, default=5
        Epochs trained towards the k-means labels (0: none).
    tol : float, default=1e-7
        Training stops when the mean squared change of the target between
        two epochs falls below this (the authors' code).
    """

    def __init__(self, warmup_epochs=5, tol=1e-7):
        self.warmup_epochs = warmup_epochs
        self.tol = tol

    def stop_words(self):
        """The stopping rule, in words (for ``verbose``)."""
        return (f"warm-up of {self.warmup_epochs} epochs on the k-means labels; stops early "
                f"when the target moves by a mean squared change below tol={self.tol:g}")

    def callbacks(self, estimator, start):
        update = EpochTargetUpdate(
            start["labels"], warmup_epochs=self.warmup_epochs, tol=self.tol,
            batch_size=estimator._inference_batch_size,
        )
        return [("epoch_target", update)]
class AdaptiveThresholds(Component):
    """DAC's two thresholds: ``u = upper - lam``, ``l = lower + lower_rate * lam``, ``lam`` grows.

    ``lam`` starts at 0 and grows by ``step`` after each epoch; pairs of
    cosine at least ``u`` are labelled "same", below ``l`` "different".
    Training ends when ``u <= l``, every pair then being labelled.

    Parameters
    ----------
    upper : float, default=0.95
        ``u`` at the start.
    lower : float, default=0.455
        ``l`` at the start.
    lower_rate : float, default=0.1
        How much slower ``l`` rises than ``u`` falls.
    step : float or "auto", default="auto"
        Growth of ``lam`` per epoch: the paper's is ``1.1 * 0.009`` (the
        thresholds meet after 46 epochs).  ``"auto"`` makes them meet at the
        end of the fit's ``epochs_`` (46 epochs: a step of 0.0098).
    """

    def __init__(self, upper=0.95, lower=0.455, lower_rate=0.1, step="auto"):
        self.upper = upper
        self.lower = lower
        self.lower_rate = lower_rate
        self.step = step

    def thresholds(self, epochs):
        """``(u, l)`` of each epoch, up to the last before they meet (at most ``epochs``)."""
        meet = (self.upper - self.lower) / (1 + self.lower_rate)  # the lam where u == l
        step = meet / epochs if self.step == "auto" else float(self.step)
        schedule = []
        for epoch in range(int(epochs)):
            lam = epoch * step
            upper, lower = self.upper - lam, self.lower + self.lower_rate * lam
            if upper <= lower + 1e-12:
                break
            schedule.append((upper, lower))
        return schedule or [(self.upper, self.lower)]

    def callbacks(self, estimator, start):
        return [("pair_thresholds", PairThresholdSchedule(self.thresholds(estimator.epochs_)))]


class DecreasingThreshold(Component):
    """One threshold from ``start`` down by ``step`` per epoch: every pair labelled (DAC's code).

    The authors' MNIST code labels a pair "same" when its cosine exceeds
    the threshold and "different" otherwise, from 0.9 down by
    ``(0.9 - 0.5) / 20`` per epoch over its 20 epochs.

    Parameters
    ----------
    start : float, default=0.9
        The threshold of the first epoch.
    end : float, default=0.5
        Where ``step="auto"`` leads it after the fit's ``epochs_``.
    step : float or "auto", default="auto"
        Decrease per epoch; ``"auto"`` is ``(start - end) / epochs_`` (the
        code's 0.02 over 20 epochs).
    """

    def __init__(self, start=0.9, end=0.5, step="auto"):
        self.start = start
        self.end = end
        self.step = step

    def thresholds(self, epochs):
        """The threshold of each of ``epochs`` epochs, as ``(upper, lower)`` pairs."""
        step = (self.start - self.end) / epochs if self.step == "auto" else float(self.step)
        return [(self.start - e * step,) * 2 for e in range(int(epochs))]

    def callbacks(self, estimator, start):
        return [("pair_thresholds", PairThresholdSchedule(self.thresholds(estimator.epochs_)))]
class AgglomerativeMerges(Component):
    """JULE's recurrent process: clusters merge by graph-degree linkage at period boundaries.

    Training starts from nearest-neighbour chains of the input; after every
    ``epochs_per_period`` epochs, ``ceil(eta * n)`` of the ``n`` current
    clusters merge on the network's L2-normalised features (no further than
    ``n_clusters``), and training stops when ``n_clusters`` are reached (see
    :class:`~skdeepcluster.agglomeration.AgglomerativeUpdate`).

    Parameters
    ----------
    eta : float, default=0.9
        Fraction of the clusters merged in each period (the unrolling rate).
    epochs_per_period : int, default=20
        Epochs of training between two periods of merges.
    n_neighbors : int, default=20
        ``K_s``: neighbours of each sample in the affinity graph.
    k_c : int, default=5
        ``K_c``: neighbouring clusters of the merge criterion.
    final : {"continue", "restart"}, default="continue"
        The final clusters: those the merges reached (the paper), or merged
        anew from the nearest-neighbour chains of the trained features (the
        authors' code).
    """

    def __init__(self, eta=0.9, epochs_per_period=20, n_neighbors=20, k_c=5, final="continue"):
        self.eta = eta
        self.epochs_per_period = epochs_per_period
        self.n_neighbors = n_neighbors
        self.k_c = k_c
        self.final = final

    def callbacks(self, estimator, start):
        update = AgglomerativeUpdate(
            estimator.n_clusters, eta=self.eta, epochs_per_period=self.epochs_per_period,
            n_neighbors=self.n_neighbors, k_c=self.k_c, final=self.final,
            batch_size=estimator._inference_batch_size,
        )
        return [("agglomerative_merges", update)]
class MiniBatchKMeansCentres(Component):
    """CCNN's: mini-batch k-means after each step, centroids carried with the features' drift.

    The centroids start on the features of ``n_clusters`` random samples;
    after each gradient step the batch is assigned to its nearest centroid
    and the centroids move by Sculley's rate ``1 / c_k``, then are
    compensated for the drift the step caused in the batch's features
    (:class:`~skdeepcluster.minibatch_kmeans.MiniBatchKMeansUpdate`).

    Parameters
    ----------
    initial_count : int, default=1
        Starting count ``c_k`` of every centroid.
    drift_compensation : {"cluster", "batch", "none"}, default="cluster"
        How the centroids follow the network's step: by the mean drift of
        their members in the batch, by the batch's own share of the running
        mean, or not at all
        (:func:`~skdeepcluster.losses.feature_drift_compensation`).
    """

    def __init__(self, initial_count=1, drift_compensation="cluster"):
        self.initial_count = initial_count
        self.drift_compensation = drift_compensation

    def callbacks(self, estimator, start):
        from ..losses.classification import DRIFT_COMPENSATIONS
        from ..minibatch_kmeans import MiniBatchKMeansUpdate

        if self.drift_compensation not in DRIFT_COMPENSATIONS:
            raise ValueError(
                f"drift_compensation must be one of {DRIFT_COMPENSATIONS}; "
                f"got {self.drift_compensation!r}."
            )
        # The starting centres on the host: the callback is pickled with the fitted net.
        centers = np.asarray(torch.as_tensor(start["centers"]).detach().cpu())
        update = MiniBatchKMeansUpdate(
            centers, int(self.initial_count), self.drift_compensation,
            random_state=start["seed"],
        )
        return [("minibatch_kmeans", update)]
