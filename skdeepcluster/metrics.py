"""External clustering metrics: accuracy, NMI and ARI, and scorers for model selection.

A clustering is judged against ground-truth classes that it never saw, so
the cluster ids it emits are arbitrary names: a good metric must not change
when the clusters are renamed. The deep-clustering literature reports three
such metrics.

- **ACC** (unsupervised clustering accuracy), :func:`clustering_accuracy`: the
  fraction of samples correctly labelled under the best one-to-one mapping
  from clusters to classes, found by the Hungarian algorithm on the
  contingency table. It lies in ``[0, 1]``.
- **NMI**, :func:`sklearn.metrics.normalized_mutual_info_score`: the mutual
  information between clusters and classes divided by a mean of their
  entropies. It lies in ``[0, 1]``.
- **ARI**, :func:`sklearn.metrics.adjusted_rand_score`: the Rand index (the
  fraction of sample pairs on which the two partitions agree) corrected for
  chance, so that a random labelling scores about 0 and a perfect one 1.

:data:`CLUSTERING_SCORERS` wraps the three as scikit-learn scorers. Model
selection such as :class:`~sklearn.model_selection.GridSearchCV` fits each
candidate on the training folds and scores a held-out fold through the
fitted estimator's ``predict``, so the cluster ids compared with the
held-out classes are those that ``predict`` assigns to unseen samples.
"""

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import (
    adjusted_rand_score,
    make_scorer,
    normalized_mutual_info_score,
)
from sklearn.metrics.cluster import contingency_matrix
from sklearn.utils import check_consistent_length, column_or_1d

__all__ = [
    "CLUSTERING_SCORERS",
    "accuracy_scorer",
    "ari_scorer",
    "clustering_accuracy",
    "matched_contingency",
    "nmi_scorer",
]


def clustering_accuracy(y_true, y_pred):
    """Unsupervised clustering accuracy under the best cluster-to-class mapping.

    Each cluster is matched to at most one class, and each class to at most
    one cluster, so as to maximise the number of samples whose cluster is
    matched to their class (the Hungarian algorithm on the contingency
    table). The accuracy is that number divided by the number of samples.
    Samples in a cluster left unmatched (when there are more clusters than
    classes, or the reverse) count as errors.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Ground-truth class labels, of any hashable and sortable type.

    y_pred : array-like of shape (n_samples,)
        Cluster labels to evaluate, of any hashable and sortable type. The
        number of clusters may differ from the number of classes.

    Returns
    -------
    accuracy : float
        The accuracy, in ``[0, 1]``; 1 when the clustering equals the classes
        up to a renaming of the clusters.

    Raises
    ------
    ValueError
        If the inputs are empty, not one-dimensional, or of different lengths.

    See Also
    --------
    sklearn.metrics.normalized_mutual_info_score : Normalised mutual information.
    sklearn.metrics.adjusted_rand_score : Rand index adjusted for chance.

    Examples
    --------
    >>> from skdeepcluster.metrics import clustering_accuracy
    >>> clustering_accuracy([0, 0, 1, 1, 2, 2], [1, 1, 0, 0, 2, 2])
    1.0
    >>> clustering_accuracy([0, 0, 1, 1, 2, 2], [1, 1, 0, 0, 0, 2])
    0.8333333333333334
    >>> clustering_accuracy(["cat", "cat", "dog"], [-1, -1, -1])
    0.6666666666666666
    """
    counts, rows, cols = _matched_counts(y_true, y_pred)
    n_samples = counts.sum()
    if n_samples == 0:
        raise ValueError("clustering_accuracy needs at least one sample; got 0.")
    return float(counts[rows, cols].sum() / n_samples)


def _matched_counts(y_true, y_pred):
    """Validated contingency table and its Hungarian matching ``(counts, rows, cols)``."""
    # dtype=None keeps string and object labels as they are.
    y_true = column_or_1d(y_true, dtype=None)
    y_pred = column_or_1d(y_pred, dtype=None)
    check_consistent_length(y_true, y_pred)
    counts = contingency_matrix(y_true, y_pred)
    # The assignment solver accepts rectangular tables, leaving surplus rows or columns unmatched.
    rows, cols = linear_sum_assignment(counts, maximize=True)
    return counts, rows, cols


def matched_contingency(y_true, y_pred):
    """Contingency table with its clusters ordered as the classes they match.

    The clusters are matched to classes as in :func:`clustering_accuracy`
    (the Hungarian algorithm on the contingency table) and the columns put in
    the order of their classes, so that with as many clusters as classes the
    diagonal holds the matched counts and everything off it is an error.
    Clusters left unmatched follow, in their sorted order.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Ground-truth class labels, of any hashable and sortable type.

    y_pred : array-like of shape (n_samples,)
        Cluster labels, of any hashable and sortable type.

    Returns
    -------
    table : ndarray of shape (n_classes, n_clusters)
        Sample counts; rows are the sorted classes, columns the clusters in
        matched order.

    clusters : ndarray of shape (n_clusters,)
        The cluster label of every column.

    Raises
    ------
    ValueError
        If the inputs are not one-dimensional or of different lengths.

    Examples
    --------
    >>> from skdeepcluster.metrics import matched_contingency
    >>> table, clusters = matched_contingency([0, 0, 1, 1, 1], [5, 5, 7, 7, 5])
    >>> table
    array([[2, 0],
           [1, 2]])
    >>> clusters
    array([5, 7])
    """
    counts, rows, cols = _matched_counts(y_true, y_pred)
    clusters = np.unique(column_or_1d(y_pred, dtype=None))
    order = list(cols[np.argsort(rows)])
    order += [c for c in range(len(clusters)) if c not in order]
    return counts[:, order], clusters[order]


accuracy_scorer = make_scorer(clustering_accuracy)
nmi_scorer = make_scorer(normalized_mutual_info_score)
ari_scorer = make_scorer(adjusted_rand_score)

#: Scorers for ``scoring=`` in model selection, keyed by the name each metric
#: has in the deep-clustering literature; pick one with ``refit="accuracy"``.
CLUSTERING_SCORERS = {
    "accuracy": accuracy_scorer,
    "nmi": nmi_scorer,
    "ari": ari_scorer,
}
