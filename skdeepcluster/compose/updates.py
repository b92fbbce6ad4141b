"""Axis 6 of the taxonomy: how clusters change outside the gradient step."""

from ..updates import (
    AlternatingKMeansUpdate,
    AssignmentUpdate,
    CenterUpdate,
    TargetDistributionUpdate,
)
from ._base import Component

__all__ = ["Joint", "TargetRefresh", "CountedCentres", "MeanCentres", "EpochAssignments"]


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
