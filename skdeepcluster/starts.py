"""The initialisations of the clustering heads, before any gradient step.

k-means on the features (:func:`kmeans_start`, on a uniform sample of at
most ``max_samples`` rows: :func:`start_sample`), k-means++ under any
dissimilarity (:func:`dissimilarity_kmeans_plusplus`), the Mahalanobis
precisions (:func:`precision_factors`), the Gaussian-mixture start
(:func:`gaussian_mixture_start`) and VaDE's diagonal mixture prior
(:func:`diagonal_mixture_start`).  :mod:`skdeepcluster.updates` re-exports
them.
"""

import numpy as np
import torch
from sklearn.cluster import KMeans
from sklearn.mixture import GaussianMixture
from sklearn.utils import check_random_state

from .dissimilarities import pairwise_dissimilarities
from .engine import map_in_chunks

__all__ = [
    "start_sample",
    "kmeans_start",
    "diagonal_mixture_start",
    "dissimilarity_kmeans_plusplus",
    "precision_factors",
    "gaussian_mixture_start",
]


def start_sample(n_samples, max_samples, random_state):
    """Rows of a uniform random sample of at most ``max_samples`` of ``n_samples``, sorted.

    None when every row is used (``max_samples`` is None or not smaller than
    ``n_samples``): the initialisations then run on all the features.
    """
    if max_samples is None or n_samples <= max_samples:
        return None
    rng = check_random_state(random_state)
    return np.sort(rng.choice(n_samples, max_samples, replace=False))


def kmeans_start(features, n_clusters, n_init, random_state, max_samples=None):
    """k-means on ``features``, the usual initialisation of a clustering head.

    Parameters
    ----------
    features : ndarray of shape (n_samples, n_features)
        The features the clusters live in (cast to float64).
    n_clusters, n_init : int
        As for :class:`~sklearn.cluster.KMeans`.
    random_state : int
        Seeds k-means (and the sample).
    max_samples : int or None, default=None
        Fit k-means on a uniform random sample of this many rows when there
        are more, and assign every row to the nearest of its centres; None
        fits it on all rows.

    Returns
    -------
    kmeans : sklearn.cluster.KMeans
        Fitted; its ``cluster_centers_`` start the head and its ``labels_``
        are the labels of all the rows of ``features``.
    """
    features = np.asarray(features)
    kmeans = KMeans(n_clusters, n_init=n_init, random_state=random_state)
    rows = start_sample(len(features), max_samples, random_state)
    if rows is None:
        return kmeans.fit(features.astype(np.float64))
    kmeans.fit(features[rows].astype(np.float64))
    kmeans.labels_ = np.concatenate([
        kmeans.predict(features[i:i + 65536].astype(np.float64))
        for i in range(0, len(features), 65536)
    ])
    return kmeans


def diagonal_mixture_start(features, n_clusters, n_init, random_state):
    """A Gaussian mixture of diagonal covariances on ``features``: VaDE's prior starts from it.

    Parameters
    ----------
    features : ndarray of shape (n_samples, n_features)
        The encoder's means of the training data (cast to float64).
    n_clusters, n_init : int
        As for :class:`~sklearn.mixture.GaussianMixture` (``n_components``;
        each run starts from k-means).
    random_state : int
        Seeds the mixture.

    Returns
    -------
    mixture : sklearn.mixture.GaussianMixture
        Fitted, ``covariance_type="diag"``; its ``means_`` and
        ``covariances_`` start the prior (the mixing weights start uniform).
    """
    mixture = GaussianMixture(
        n_clusters, covariance_type="diag", n_init=n_init, random_state=random_state
    )
    return mixture.fit(np.asarray(features).astype(np.float64))


def dissimilarity_kmeans_plusplus(
    X, n_clusters, dissimilarity, *, n_init=1, random_state=None, device="cpu", batch_size=4096
):
    """The k-means++ seeding under any dissimilarity: centres drawn among the samples.

    The first centre is a uniformly drawn sample; each next one is drawn with
    probability proportional to its dissimilarity to the closest centre so
    far (``d`` itself, which is the squared distance that k-means++ uses when
    ``d`` is ``sqeuclidean``); as scikit-learn's greedy k-means++, ``2 +
    log(n_clusters)`` candidates are drawn each time and the one that lowers
    the total dissimilarity most is kept.  Of ``n_init`` seedings, the one
    with the smallest total dissimilarity to the closest centre is kept.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The samples (or embeddings).
    n_clusters : int
        Number of centres.
    dissimilarity : callable
        ``d(z, theta)``, hyper-parameters bound.
    n_init : int, default=1
        Number of seedings to draw.
    random_state : int, RandomState instance or None, default=None
        Seeds the draws.
    device : str, default="cpu"
        Where the dissimilarities are computed.
    batch_size : int, default=4096
        Samples per chunk of the computation.

    Returns
    -------
    centers : ndarray of shape (n_clusters, n_features)
        Rows of ``X``.

    Examples
    --------
    >>> import numpy as np
    >>> from skdeepcluster.dissimilarities import toroidal
    >>> X = np.array([[0.02, 0.5], [0.98, 0.5], [0.5, 0.5], [0.52, 0.5]])
    >>> C = dissimilarity_kmeans_plusplus(X, 2, toroidal, n_init=5, random_state=0)
    >>> sorted(np.round(C[:, 0], 1).tolist()) in ([0.0, 0.5], [0.5, 1.0])
    True
    """
    generator = check_random_state(random_state)
    X = np.asarray(X, dtype=np.float32)
    n_samples = X.shape[0]
    data = torch.as_tensor(X, device=device)

    def to_center(index):
        center = data[index : index + 1]
        return map_in_chunks(
            lambda x: pairwise_dissimilarities(dissimilarity, x, center)[:, 0],
            data,
            device,
            batch_size=batch_size,
        ).astype(np.float64)

    # Greedy seeding, as scikit-learn's kmeans_plusplus: of a few candidates drawn each
    # time, keep the one that lowers the total dissimilarity most.
    n_trials = 2 + int(np.log(n_clusters))
    best_indices, best_cost = None, np.inf
    for _ in range(n_init):
        indices = [int(generator.randint(n_samples))]
        closest = to_center(indices[0])
        for _ in range(1, n_clusters):
            total = closest.sum()
            if total > 0 and np.isfinite(total):
                candidates = generator.choice(n_samples, size=n_trials, p=closest / total)
            else:  # every sample sits on a centre already
                candidates = generator.randint(n_samples, size=n_trials)
            trials = [np.minimum(closest, to_center(int(c))) for c in candidates]
            best = int(np.argmin([trial.sum() for trial in trials]))
            indices.append(int(candidates[best]))
            closest = trials[best]
        cost = closest.sum()
        if best_indices is None or cost < best_cost:
            best_indices, best_cost = indices, cost
    return X[best_indices].astype(np.float64)


def precision_factors(X, labels, n_clusters, shrinkage=1e-3):
    """Cholesky factors ``W_k`` of each cluster's inverse covariance, ``P_k = W_k W_k^T``.

    The Mahalanobis initialisation of the DMAE reference code.  Each
    covariance is shrunk towards ``shrinkage * trace / d`` times the identity
    so that it is invertible; a cluster with at most ``n_features`` members
    uses the covariance of all the samples.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The samples (or embeddings).
    labels : ndarray of shape (n_samples,)
        Cluster of each sample, in ``0 .. n_clusters - 1``.
    n_clusters : int
        Number of clusters.
    shrinkage : float, default=1e-3
        Weight of the identity in the shrunk covariance, relative to its mean variance.

    Returns
    -------
    factors : ndarray of shape (n_clusters, n_features, n_features)
        Lower-triangular.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(2000, 2)) * [2.0, 0.5]
    >>> W = precision_factors(X, np.zeros(2000, dtype=int), 1)
    >>> np.round(W[0] @ W[0].T, 1)  # about diag(1/4, 4)
    array([[0.2, 0. ],
           [0. , 4. ]])
    """
    X = np.asarray(X, dtype=np.float64)
    n_features = X.shape[1]

    def factor(samples):
        covariance = np.atleast_2d(np.cov(samples, rowvar=False))
        scale = max(np.trace(covariance) / n_features, np.finfo(np.float64).eps)
        covariance = covariance + shrinkage * scale * np.eye(n_features)
        return np.linalg.cholesky(np.linalg.inv(covariance))

    overall = factor(X)
    factors = np.empty((n_clusters, n_features, n_features))
    for k in range(n_clusters):
        members = X[labels == k]
        factors[k] = factor(members) if len(members) > n_features else overall
    return factors


def gaussian_mixture_start(
    X, centers, covariance_type="tied", random_state=None, full_covariance_start=True
):
    """Centres and precision factors of a Gaussian mixture started from ``centers``.

    Runs scikit-learn's :class:`~sklearn.mixture.GaussianMixture` (EM) from
    the given means, usually those of k-means, and returns its means and the
    factors ``W_k`` of its precisions (``P_k = W_k W_k^T``).  EM weighs each
    sample by its responsibility under every component's covariance, where
    k-means only sees the nearest centre, so on elongated or unequal clusters
    its means sit closer to the clusters' own.  This is the
    ``init="gaussian-mixture"`` of :class:`DMMClustering` and
    :class:`DMAEClustering`: a likelihood-trained mixture on the embedding,
    in the place of the paper's shallow mixture trained on it before the
    end-to-end phase (the Mahalanobis DMM has no log-determinant term, so
    trained long on its own its precisions shrink towards zero).

    A shared (``"tied"``) or constrained covariance can keep EM in the
    partition k-means started it from.  So for every ``covariance_type`` but
    ``"full"``, EM also runs from a second start: the means of a
    full-covariance mixture fitted from ``centers``, whose components each
    take their cluster's own shape and so can leave that partition.  Of the
    two fits the one with the higher mean log-likelihood
    (:meth:`~sklearn.mixture.GaussianMixture.score`, EM's own objective) is
    returned; no labels are used.  Where k-means starts in a poor partition
    the second start can reach a better mixture, of higher likelihood; where
    k-means already starts well both end in the same mixture (see the user
    guide's DMAE section, :ref:`user_guide`).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The samples (or embeddings).
    centers : array-like of shape (n_clusters, n_features)
        Initial means.
    covariance_type : {"tied", "full", "diag", "spherical"}, default="tied"
        As in :class:`~sklearn.mixture.GaussianMixture`; ``"tied"`` (one
        covariance shared by all components) gives every ``W_k`` the same
        value.
    random_state : int, RandomState instance or None, default=None
        Passed to the mixtures.
    full_covariance_start : bool, default=True
        Also run EM from a full-covariance mixture's means and keep the fit
        with the higher likelihood (no effect with ``covariance_type="full"``).
        ``False`` runs EM from ``centers`` alone.

    Returns
    -------
    means : ndarray of shape (n_clusters, n_features)
    factors : ndarray of shape (n_clusters, n_features, n_features)

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(size=(500, 2)) * [3.0, 0.3] + [0, s] for s in (1, 3)])
    >>> means, W = gaussian_mixture_start(X, [[0.0, 1.5], [0.0, 2.5]], random_state=0)
    >>> np.round(means[:, 1], 1)
    array([1., 3.])
    >>> W.shape
    (2, 2, 2)
    """
    X = np.asarray(X, dtype=np.float64)
    centers = np.asarray(centers, dtype=np.float64)
    n_clusters, n_features = centers.shape

    def em_from(means, kind):
        return GaussianMixture(
            n_clusters, covariance_type=kind, means_init=means, random_state=random_state,
        ).fit(X)

    mixture = em_from(centers, covariance_type)
    if full_covariance_start and covariance_type != "full":
        second = em_from(em_from(centers, "full").means_, covariance_type)
        if second.score(X) > mixture.score(X):
            mixture = second
    cholesky = mixture.precisions_cholesky_  # P = U U^T, U upper triangular (full, tied)
    if covariance_type == "full":
        factors = cholesky
    elif covariance_type == "tied":
        factors = np.broadcast_to(cholesky, (n_clusters, n_features, n_features))
    elif covariance_type == "diag":
        factors = cholesky[:, :, None] * np.eye(n_features)
    else:  # spherical
        factors = cholesky[:, None, None] * np.eye(n_features)
    return mixture.means_, np.array(factors, dtype=np.float64)
