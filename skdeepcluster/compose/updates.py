"""Axis 6 of the taxonomy: how clusters change outside the gradient step."""

from ..updates import (
    AlternatingKMeansUpdate,
    AssignmentUpdate,
    CenterUpdate,
    TargetDistributionUpdate,
)
from ._base import Component

__all__ = [
    "Joint", "TargetRefresh", "CountedCentres", "MeanCentres", "EpochAssignments",
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
    """

    def __init__(self, update_interval=140, tol=1e-3):
        self.update_interval = update_interval
        self.tol = tol

    def callbacks(self, estimator, start):
        schedule = TargetDistributionUpdate(
            update_interval=self.update_interval,
            tol=self.tol,
            batch_size=estimator._inference_batch_size,
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
        update = MiniBatchKMeansUpdate(
            start["centers"], int(self.initial_count), self.drift_compensation,
            random_state=start["seed"],
        )
        return [("minibatch_kmeans", update)]
