"""Axis 7 of the taxonomy: how labels come out after training."""

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment
from sklearn.metrics.cluster import contingency_matrix

from ..engine import evaluation_mode
from ..updates import clustering_criterion
from ._base import Component, seeded_clone

__all__ = ["BestOfRuns", "align_to", "majority_vote"]


def align_to(reference, labels, n_clusters):
    """Output order of a run matching ``reference``: ``order[c]`` is its unit for cluster ``c``.

    The Hungarian algorithm on the contingency table of the two labellings.

    Examples
    --------
    >>> import numpy as np
    >>> align_to(np.array([0, 0, 1]), np.array([1, 1, 0]), 2)
    array([1, 0])
    """
    table = contingency_matrix(reference, labels, sparse=False)
    full = np.zeros((n_clusters, n_clusters), dtype=np.int64)
    ref_values, run_values = np.unique(reference), np.unique(labels)
    full[np.ix_(ref_values, run_values)] = table
    rows, cols = linear_sum_assignment(full, maximize=True)
    order = np.empty(n_clusters, dtype=np.int64)
    order[rows] = cols
    return order


def majority_vote(labels, n_clusters):
    """Column-wise majority of ``labels`` (runs x samples); ties go to the first run.

    Examples
    --------
    >>> import numpy as np
    >>> majority_vote(np.array([[0, 1], [1, 1], [1, 0]]), 2)
    array([1, 1])
    """
    votes = np.zeros((labels.shape[1], n_clusters))
    for run in labels:
        votes[np.arange(labels.shape[1]), run] += 1
    votes[np.arange(labels.shape[1]), labels[0]] += 0.5
    return votes.argmax(axis=1)


class BestOfRuns(Component):
    """Train ``n_runs`` networks together; keep the one with the lowest loss, or let three vote.

    The runs are one vectorised module (a network that supports runs:
    :class:`~skdeepcluster.compose.SoftmaxHeadNetwork`).  After training,
    every run's loss on the training data is measured in inference mode; the
    best run is kept, and with ``voting=True`` the next two are aligned to it
    by the Hungarian algorithm and the three take the majority vote
    (DDC-VOTE).

    Parameters
    ----------
    n_runs : int, default=10
        Runs trained together.
    voting : bool, default=False
        The three best runs vote (needs ``n_runs >= 3``).
    """

    def __init__(self, n_runs=10, *, voting=False):
        self.n_runs = n_runs
        self.voting = voting

    def check(self):
        if self.voting and self.n_runs < 3:
            raise ValueError(
                f"voting=True takes the vote of the three best runs and needs n_init >= 3; "
                f"got n_init={self.n_runs}."
            )

    def select(self, estimator, net, X_train):
        """Keep the best run(s) in ``net``; returns the fitted attributes."""
        n_clusters = estimator.n_clusters
        losses, labels = _evaluate_runs(estimator, net, X_train)
        ranking = np.argsort(losses, kind="stable")
        kept = ranking[: 3 if self.voting else 1]
        orders = [np.arange(n_clusters)]
        for run in kept[1:]:
            orders.append(align_to(labels[kept[0]], labels[run], n_clusters))
        aligned = np.stack([np.argsort(order)[labels[run]] for order, run in zip(orders, kept)])
        consensus = majority_vote(aligned, n_clusters)
        # Number the clusters so that those with training samples come first.
        used = np.unique(consensus)
        renumber = np.concatenate([used, np.setdiff1d(np.arange(n_clusters), used)])
        orders = [order[renumber] for order in orders]
        net.module_ = net.module_.select_runs(kept, orders)
        net.module = net.module_
        net.initialize_optimizer()
        return {"run_losses_": losses, "kept_runs_": kept.astype(np.int64)}


def _evaluate_runs(estimator, net, X_train):
    """Loss (mean over batches) and training labels of every run, in inference mode."""
    criterion = clustering_criterion(net)
    n_samples = X_train.shape[0]
    batch_size = int(estimator._batch_size())
    totals, weights, labels = 0.0, 0, []
    with evaluation_mode(net.module_) as module, torch.no_grad():
        for start in range(0, n_samples, batch_size):
            chunk = X_train[start : start + batch_size].to(estimator.device_)
            out = module(chunk)
            labels.append(out["assignments"].argmax(dim=-1).T)
            if len(chunk) > 1:
                totals = totals + criterion.per_run(out) * len(chunk)
                weights += len(chunk)
    losses = (totals / weights).double().cpu().numpy()
    losses = np.where(np.isfinite(losses), losses, np.inf)
    return losses, torch.cat(labels, dim=1).cpu().numpy()


def fit_clusterer(clusterer, features, n_clusters, seed):
    """A clone of the scikit-learn ``clusterer`` fitted on ``features``.

    Its ``n_clusters`` (or ``n_components``) is set to ``n_clusters``, so that
    the readout follows the estimator's; an unset ``random_state`` is ``seed``.
    """
    clusterer = seeded_clone(clusterer, seed)
    for name in ("n_clusters", "n_components"):
        if name in clusterer.get_params():
            clusterer.set_params(**{name: n_clusters})
    return clusterer.fit(np.asarray(features, dtype=np.float64))
