"""Axis 6 of the taxonomy: how clusters change outside the gradient step."""

from ..updates import (
    AlternatingKMeansUpdate,
    AssignmentUpdate,
    CenterUpdate,
    EpochTargetUpdate,
    TargetDistributionUpdate,
)
from ._base import Component

__all__ = [
    "Joint", "TargetRefresh", "CountedCentres", "MeanCentres", "EpochAssignments",
    "EpochTargetRefresh",
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
