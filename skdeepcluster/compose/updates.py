"""Axis 6 of the taxonomy: how clusters change outside the gradient step."""

from ..agglomeration import AgglomerativeUpdate
from ..updates import (
    AlternatingKMeansUpdate,
    AssignmentUpdate,
    CenterUpdate,
    TargetDistributionUpdate,
)
from ._base import Component

__all__ = [
    "Joint", "TargetRefresh", "CountedCentres", "MeanCentres", "EpochAssignments",
    "AgglomerativeMerges",
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
