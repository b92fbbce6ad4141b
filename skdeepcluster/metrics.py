"""Clustering metrics and scorers for model selection, with labels and without.

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

Without labels, :data:`LABEL_FREE_SCORERS` judge a partition by its own
geometry: the silhouette, Calinski--Harabasz and Davies--Bouldin indices of
the estimator's features (``transform``) under its labels (``predict``), the
silhouette of the input itself under those labels, and the method's own
objective (``score``).  They need no ``y``, so a search runs as
``GridSearchCV(..., scoring=LABEL_FREE_SCORERS, refit="silhouette").fit(X)``.
:func:`get_scorer` finds any of them, or scikit-learn's, by name.  Which of
them can compare different ``n_clusters``, or different networks, is the
subject of the user guide's :ref:`choosing_k`.
"""

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import (
    adjusted_rand_score,
    calinski_harabasz_score,
    davies_bouldin_score,
    make_scorer,
    normalized_mutual_info_score,
    silhouette_score,
)
from sklearn.metrics import get_scorer as _sklearn_get_scorer
from sklearn.metrics.cluster import contingency_matrix
from sklearn.utils import check_consistent_length, column_or_1d

__all__ = [
    "CLUSTERING_SCORERS",
    "LABEL_FREE_SCORERS",
    "LabelFreeScorer",
    "get_scorer",
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


# --------------------------------------------------------------- without labels


class LabelFreeScorer:
    """A scorer that judges an estimator's partition of ``X`` without labels.

    Called as scikit-learn calls a scorer, ``scorer(estimator, X, y=None)``
    (``y`` is ignored); higher is better.  The labels are
    ``estimator.predict(X)``; the points are ``estimator.transform(X)`` (the
    features the clusters live in) or ``X`` itself.

    Parameters
    ----------
    metric : {"silhouette", "calinski_harabasz", "davies_bouldin"}
        The index: :func:`~sklearn.metrics.silhouette_score`,
        :func:`~sklearn.metrics.calinski_harabasz_score`, or the opposite of
        :func:`~sklearn.metrics.davies_bouldin_score` (so that higher is
        better).
    space : {"features", "input"}, default="features"
        Measure distances between the estimator's features, or between the
        rows of ``X`` (flattened), which every candidate of a search shares.
    max_samples : int, default=5000
        The silhouette (quadratic in the samples) is computed on a fixed
        random sample of this many rows when there are more.

    Notes
    -----
    A partition with a single cluster has no index: it scores -1 (silhouette),
    0 (Calinski--Harabasz) or ``-inf`` (Davies--Bouldin), the worst values.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.cluster import KMeans
    >>> from skdeepcluster.metrics import LabelFreeScorer
    >>> X = np.array([[0.0], [0.1], [5.0], [5.1]])
    >>> model = KMeans(2, n_init=1, random_state=0).fit(X)
    >>> round(LabelFreeScorer("silhouette", space="input")(model, X), 3)
    0.98
    """

    _functions = {
        "silhouette": (silhouette_score, 1.0, -1.0),
        "calinski_harabasz": (calinski_harabasz_score, 1.0, 0.0),
        "davies_bouldin": (davies_bouldin_score, -1.0, -np.inf),
    }

    def __init__(self, metric, *, space="features", max_samples=5000):
        if metric not in self._functions:
            raise ValueError(
                f"metric={metric!r} is not a label-free index; choose from "
                f"{sorted(self._functions)}."
            )
        if space not in ("features", "input"):
            raise ValueError(f"space={space!r}: choose 'features' or 'input'.")
        self.metric = metric
        self.space = space
        self.max_samples = max_samples

    def __repr__(self):
        return f"LabelFreeScorer({self.metric!r}, space={self.space!r})"

    def __call__(self, estimator, X, y=None):
        function, sign, worst = self._functions[self.metric]
        n_samples = len(X)
        rows = None
        if self.metric == "silhouette" and n_samples > self.max_samples:
            rows = np.sort(np.random.RandomState(0).choice(n_samples, self.max_samples,
                                                           replace=False))
            X = X.iloc[rows] if hasattr(X, "iloc") else X[rows]
        labels = np.asarray(estimator.predict(X))
        if np.unique(labels).size < 2 or np.unique(labels).size >= len(labels):
            return float(worst)
        if self.space == "features":
            points = estimator.transform(X)
        else:
            points = np.asarray(X).reshape(len(labels), -1)
        return float(sign * function(np.asarray(points, dtype=np.float64), labels))


def objective_score(estimator, X, y=None):
    """The estimator's own objective, ``estimator.score(X)``, as a scorer (``y`` ignored).

    For the methods of this package the objective of the clustering loss or
    the within-cluster sum of squares of the features: comparable between
    fits of one network with one ``n_clusters``, not across them.
    """
    return float(estimator.score(X))


#: Label-free scorers for ``scoring=`` in model selection (``fit(X)``, no ``y``).
LABEL_FREE_SCORERS = {
    "silhouette": LabelFreeScorer("silhouette"),
    "calinski_harabasz": LabelFreeScorer("calinski_harabasz"),
    "davies_bouldin": LabelFreeScorer("davies_bouldin"),
    "input_silhouette": LabelFreeScorer("silhouette", space="input"),
    "objective": objective_score,
}


def get_scorer(scoring):
    """A scorer of this package, or of scikit-learn, by name.

    Parameters
    ----------
    scoring : str or callable
        A key of :data:`CLUSTERING_SCORERS` or :data:`LABEL_FREE_SCORERS`,
        any name :func:`sklearn.metrics.get_scorer` knows, or a callable
        (returned as it is).

    Returns
    -------
    scorer : callable
        Called as ``scorer(estimator, X, y=None)``.

    Examples
    --------
    >>> from skdeepcluster.metrics import get_scorer
    >>> get_scorer("input_silhouette")
    LabelFreeScorer('silhouette', space='input')
    """
    if callable(scoring):
        return scoring
    for registry in (CLUSTERING_SCORERS, LABEL_FREE_SCORERS):
        if scoring in registry:
            return registry[scoring]
    try:
        return _sklearn_get_scorer(scoring)
    except ValueError:
        known = sorted({*CLUSTERING_SCORERS, *LABEL_FREE_SCORERS})
        raise ValueError(
            f"scoring={scoring!r} is not a scorer of skdeepcluster ({known}) or of "
            "scikit-learn (sklearn.metrics.get_scorer_names())."
        ) from None
