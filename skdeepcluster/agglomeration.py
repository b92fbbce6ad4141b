"""Agglomerative clustering by graph-degree linkage: JULE's forward pass.

The clusters of JULE (Yang, Parikh and Batra, CVPR 2016) grow by merges on a
k-nearest-neighbour graph of the features:

* :func:`knn_affinity`: ``W_ij = exp(-||x_i - x_j||^2 / sigma^2)`` over each
  sample's ``K_s`` nearest neighbours, ``sigma^2`` their mean squared distance;
* :func:`nearest_neighbour_chains`: the first clusters, each sample linked to
  its nearest neighbour;
* :func:`graph_degree_linkage`: the affinity of every two clusters,
  ``A(Ci, Cj) = 1'W[Cj,Ci] W[Ci,Cj]1 / |Cj|^2 + 1'W[Ci,Cj] W[Cj,Ci]1 / |Ci|^2``,
  sparse (non-zero only between clusters the graph connects);
* :func:`agglomerate`: the greedy merges, with the paper's local-structure
  criterion over ``K_c`` neighbouring clusters;
* :class:`AgglomerativeUpdate`: the merges of one period at the epoch
  boundaries of training, and the labels the triplet loss trains on.
"""

import heapq
import math

import numpy as np
import scipy.sparse as sp
import torch
from scipy.sparse.csgraph import connected_components
from skorch.callbacks import Callback
from sklearn.neighbors import NearestNeighbors

from .engine import evaluation_mode, map_in_chunks, store_in_place
from .rows import host_array
from .updates import clustering_criterion

__all__ = [
    "knn_affinity",
    "nearest_neighbour_chains",
    "graph_degree_linkage",
    "agglomerate",
    "AgglomerativeUpdate",
]

# Above this many clusters a merge weighs the local structure of K_c neighbours (the
# authors' code); at or below it, the pair of largest affinity merges.
LOCAL_STRUCTURE_MIN_CLUSTERS = 100


def l2_normalize(features):
    """Rows scaled to unit Euclidean length (zero rows stay zero), as float64."""
    features = np.asarray(features, dtype=np.float64).reshape(len(features), -1)
    norms = np.linalg.norm(features, axis=1, keepdims=True)
    return features / np.maximum(norms, 1e-12)


def _as_float(features):
    """Samples as a float64 array, or a sparse matrix kept sparse."""
    if sp.issparse(features):
        return sp.csr_matrix(features, dtype=np.float64)
    features = np.asarray(features, dtype=np.float64)
    return features.reshape(len(features), -1)


def knn_affinity(features, n_neighbors=20):
    """Sample affinities over each sample's nearest neighbours.

    Parameters
    ----------
    features : array-like or sparse matrix of shape (n_samples, n_features)
        The samples.
    n_neighbors : int, default=20
        ``K_s``; at most ``n_samples - 1`` are used.

    Returns
    -------
    W : scipy.sparse.csr_matrix of shape (n_samples, n_samples)
        ``W_ij = exp(-||x_i - x_j||^2 / sigma^2)`` for ``j`` among the
        neighbours of ``i`` (not symmetric), 0 elsewhere; ``sigma^2`` is the
        mean squared distance of all samples to their neighbours (1 if 0).
    neighbours : ndarray of shape (n_samples, k)
        The neighbours of each sample, nearest first (the sample itself
        excluded).
    """
    features = _as_float(features)
    n_samples = features.shape[0]
    k = min(int(n_neighbors), n_samples - 1)
    if k < 1:
        return sp.csr_matrix((n_samples, n_samples)), np.zeros((n_samples, 0), dtype=np.int64)
    distances, neighbours = NearestNeighbors(n_neighbors=k).fit(features).kneighbors()
    squared = distances ** 2
    sigma2 = squared.mean()
    if not sigma2 > 0:
        sigma2 = 1.0
    rows = np.repeat(np.arange(n_samples), k)
    W = sp.csr_matrix(
        (np.exp(-squared / sigma2).ravel(), (rows, neighbours.ravel())),
        shape=(n_samples, n_samples),
    )
    return W, neighbours


def nearest_neighbour_chains(nearest):
    """Clusters of samples linked to their nearest neighbour: the chains of the 1-NN graph.

    Parameters
    ----------
    nearest : array-like of shape (n_samples,)
        Index of each sample's nearest neighbour.

    Returns
    -------
    labels : ndarray of shape (n_samples,)
        Consecutive cluster labels, the weakly connected components of the
        graph with an edge from each sample to its nearest neighbour.
    """
    nearest = np.asarray(nearest, dtype=np.int64)
    n = len(nearest)
    graph = sp.csr_matrix((np.ones(n), (np.arange(n), nearest)), shape=(n, n))
    return connected_components(graph, directed=True, connection="weak")[1].astype(np.int64)


def _membership(labels, n_clusters):
    n = len(labels)
    return sp.csr_matrix((np.ones(n), (np.arange(n), labels)), shape=(n, n_clusters))


def _paths_through(W, labels, n_clusters):
    """``U[a, b] = 1'W[Cb,Ca] W[Ca,Cb]1``: the two-step paths from ``Cb`` through ``Ca`` to ``Cb``.

    Also returns ``into = W' M`` and ``out = W M`` (``M`` the membership
    matrix): ``into[k, b]`` is the affinity of cluster ``b`` to sample ``k``,
    ``out[k, b]`` that of sample ``k`` to cluster ``b``.
    """
    M = _membership(labels, n_clusters)
    W = sp.csr_matrix(W)
    into, out = sp.csr_matrix(W.T @ M), sp.csr_matrix(W @ M)
    return sp.csr_matrix(M.T @ into.multiply(out)), into, out


def graph_degree_linkage(W, labels):
    """Affinities of every two clusters by graph-degree linkage (Zhang et al. 2012).

    Parameters
    ----------
    W : sparse matrix or ndarray of shape (n_samples, n_samples)
        Sample affinities (:func:`knn_affinity`).
    labels : array-like of shape (n_samples,)
        Consecutive cluster labels ``0 .. n_clusters - 1``.

    Returns
    -------
    A : scipy.sparse.csr_matrix of shape (n_clusters, n_clusters)
        Symmetric, zero diagonal:
        ``A(Ci, Cj) = 1'W[Cj,Ci] W[Ci,Cj]1 / |Cj|^2 + 1'W[Ci,Cj] W[Cj,Ci]1 / |Ci|^2``.
    """
    labels = np.asarray(labels, dtype=np.int64)
    n_clusters = int(labels.max()) + 1
    U, _, _ = _paths_through(W, labels, n_clusters)
    inverse_square = 1.0 / np.bincount(labels, minlength=n_clusters).astype(np.float64) ** 2
    A = sp.csr_matrix(U.multiply(inverse_square[None, :]) + U.T.multiply(inverse_square[:, None]))
    A.setdiag(0)
    A.eliminate_zeros()
    return A


def _columns_as_dicts(matrix, n_clusters):
    """Each column of a sparse ``(n_samples, n_clusters)`` matrix as a dict ``{row: value}``."""
    coo = matrix.tocoo()
    columns = [{} for _ in range(n_clusters)]
    for row, col, value in zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist()):
        columns[col][row] = value
    return columns


class _Merges:
    """The state of the greedy merges: kept exact as clusters merge, no recomputation.

    For each cluster ``c``: ``into[c]`` (sample -> affinity of ``c`` to it),
    ``out[c]`` (sample -> its affinity to ``c``), ``paths[c]`` (cluster ``x``
    -> ``U[c, x]``, paths from ``x`` through ``c`` back to ``x``) and
    ``affinity[c]`` (cluster ``x`` -> ``A(c, x)``).  Merging ``b`` into ``a``
    adds ``b``'s sums to ``a``'s; the paths through another cluster ``x``
    between ``a`` and ``b`` are the only new terms, found from the smaller
    cluster's entries.
    """

    def __init__(self, W, labels, features, k_c):
        labels = np.asarray(labels, dtype=np.int64).copy()
        n_clusters = int(labels.max()) + 1
        U, into, out = _paths_through(W, labels, n_clusters)
        self.labels = labels
        self.sizes = np.bincount(labels, minlength=n_clusters).astype(np.int64)
        self.members = [[] for _ in range(n_clusters)]
        for i, label in enumerate(labels.tolist()):
            self.members[label].append(i)
        self.into = _columns_as_dicts(into, n_clusters)
        self.out = _columns_as_dicts(out, n_clusters)
        self.paths = [{} for _ in range(n_clusters)]
        U = U.tocoo()
        for a, b, value in zip(U.row.tolist(), U.col.tolist(), U.data.tolist()):
            if a != b:
                self.paths[a][b] = value
        self.affinity = [{} for _ in range(n_clusters)]
        for a in range(n_clusters):
            for b in self.paths[a]:
                self._set_affinity(a, b)
        sums = _membership(labels, n_clusters).T @ features
        self.sums = sums.toarray() if sp.issparse(sums) else np.asarray(sums)
        self.alive = np.ones(n_clusters, dtype=bool)
        self.n_clusters = n_clusters
        self.k_c = int(k_c)
        self.local = self._local()
        self.scores = np.full(n_clusters, -np.inf)
        self.partners = np.full(n_clusters, -1, dtype=np.int64)
        for a in range(n_clusters):
            self._score(a)

    def _local(self):
        return self.k_c > 1 and self.n_clusters > LOCAL_STRUCTURE_MIN_CLUSTERS

    def _set_affinity(self, a, b):
        value = (self.paths[a].get(b, 0.0) / self.sizes[b] ** 2
                 + self.paths[b].get(a, 0.0) / self.sizes[a] ** 2)
        if value > 0:
            self.affinity[a][b] = self.affinity[b][a] = value
        else:  # no path left between them (an affinity that underflowed)
            self.affinity[a].pop(b, None)
            self.affinity[b].pop(a, None)

    def _score(self, a):
        """The merge criterion of cluster ``a`` with its nearest cluster (the paper's eq. 8)."""
        neighbours = self.affinity[a]
        if not neighbours:
            self.scores[a], self.partners[a] = -np.inf, -1
            return
        if self.local:
            top = heapq.nlargest(self.k_c, neighbours.items(), key=lambda kv: (kv[1], -kv[0]))
            partner, best = top[0]
            values = [value for _, value in top[1:]] + [0.0] * (self.k_c - len(top))
            score = best + sum(best - value for value in values) / (self.k_c - 1)
        else:
            partner = max(neighbours.items(), key=lambda kv: (kv[1], -kv[0]))[0]
            score = neighbours[partner]
        self.scores[a], self.partners[a] = score, partner

    def _nearest_centroids(self):
        """The two alive clusters with the closest mean features (no affinity left to go by)."""
        alive = np.flatnonzero(self.alive)
        centroids = self.sums[alive] / self.sizes[alive, None]
        distances, neighbours = NearestNeighbors(n_neighbors=1).fit(centroids).kneighbors()
        first = int(np.argmin(distances[:, 0]))
        return int(alive[first]), int(alive[neighbours[first, 0]])

    def merge_best(self):
        """Merge the pair of highest criterion (of closest centroids when no pair is linked)."""
        a = int(np.argmax(self.scores))
        if self.scores[a] == -np.inf:
            a, b = self._nearest_centroids()
        else:
            b = int(self.partners[a])
        self.merge(a, b)

    def merge(self, a, b):
        """Merge clusters ``a`` and ``b``; the larger keeps its index."""
        if len(self.into[a]) + len(self.out[a]) < len(self.into[b]) + len(self.out[b]):
            a, b = b, a
        into_a, out_a, into_b, out_b = self.into[a], self.out[a], self.into[b], self.out[b]
        labels = self.labels
        # paths from a through x to b, and from b through x to a (x outside a and b)
        cross = {}
        for k, value in into_b.items():
            if k in out_a:
                x = labels[k]
                cross[x] = cross.get(x, 0.0) + value * out_a[k]
        for k, value in out_b.items():
            if k in into_a:
                x = labels[k]
                cross[x] = cross.get(x, 0.0) + value * into_a[k]
        for k, value in into_b.items():
            into_a[k] = into_a.get(k, 0.0) + value
        for k, value in out_b.items():
            out_a[k] = out_a.get(k, 0.0) + value
        self.into[b], self.out[b] = {}, {}
        members_b = self.members[b]
        labels[members_b] = a
        self.members[a].extend(members_b)
        self.members[b] = []
        self.sizes[a] += self.sizes[b]
        self.sizes[b] = 0
        self.sums[a] += self.sums[b]
        self.alive[b] = False
        # paths through the merged cluster add up; paths through x to it gain the cross terms
        paths_a = self.paths[a]
        for x, value in self.paths[b].items():
            paths_a[x] = paths_a.get(x, 0.0) + value
        self.paths[b] = {}
        paths_a.pop(a, None)
        paths_a.pop(b, None)
        neighbours = set(self.affinity[a]) | set(self.affinity[b]) | set(cross)
        neighbours.discard(a)
        neighbours.discard(b)
        for x in self.affinity[b]:
            self.affinity[x].pop(b, None)
        self.affinity[b] = {}
        self.affinity[a] = {}
        for x in neighbours:
            paths_x = self.paths[x]
            through = paths_x.pop(a, 0.0) + paths_x.pop(b, 0.0) + cross.get(x, 0.0)
            if through:
                paths_x[a] = through
            self._set_affinity(a, x)
        self.scores[b], self.partners[b] = -np.inf, -1
        self.n_clusters -= 1
        if self.local and not self._local():  # below the threshold, every score changes
            self.local = False
            for x in np.flatnonzero(self.alive):
                self._score(int(x))
            return
        self._score(a)
        for x in neighbours:
            self._score(x)

    def consecutive_labels(self):
        return np.unique(self.labels, return_inverse=True)[1].astype(np.int64)


def agglomerate(W, labels, n_merges, features, k_c=5):
    """Greedy agglomerative merges by graph-degree linkage.

    Each step merges cluster ``Ci`` with its nearest cluster ``C_i^1`` for the
    ``Ci`` that maximises the paper's criterion
    ``A(Ci, C_i^1) + 1/(K_c - 1) sum_{k=2..K_c} [A(Ci, C_i^1) - A(Ci, C_i^k)]``
    (``C_i^k`` the ``k``-th most affine cluster to ``Ci``, affinity 0 where
    there are fewer) while there are more than 100 clusters, the largest
    affinity ``A(Ci, C_i^1)`` below.  The affinities are updated exactly after
    each merge.  When no two clusters are linked by the graph any more, the
    two of closest mean ``features`` merge.

    Parameters
    ----------
    W : sparse matrix of shape (n_samples, n_samples)
        Sample affinities (:func:`knn_affinity`).
    labels : array-like of shape (n_samples,)
        Consecutive starting labels.
    n_merges : int
        Merges to make (at most the number of clusters less one).
    features : array-like of shape (n_samples, n_features)
        The samples (for merges without a graph link).
    k_c : int, default=5
        ``K_c``, clusters of the local structure; 1 merges by largest affinity
        throughout.

    Returns
    -------
    labels : ndarray of shape (n_samples,)
        Consecutive labels after the merges.
    """
    state = _Merges(W, labels, _as_float(features), k_c)
    for _ in range(min(int(n_merges), state.n_clusters - 1)):
        state.merge_best()
    return state.consecutive_labels()


def initial_clusters(features, n_clusters, n_neighbors=20):
    """The first clusters: nearest-neighbour chains, or each sample alone if they are too few.

    Returns ``(labels, W)`` with ``W`` the sample affinities of ``features``.
    """
    W, neighbours = knn_affinity(features, n_neighbors)
    if neighbours.shape[1] == 0:
        return np.zeros(features.shape[0], dtype=np.int64), W
    labels = nearest_neighbour_chains(neighbours[:, 0])
    if labels.max() + 1 <= n_clusters:  # fewer chains than clusters: start from the samples
        labels = np.arange(features.shape[0], dtype=np.int64)
    return labels, W


def period_merges(n_current, n_target, eta):
    """Merges of one period: ``ceil(eta * n_current)``, no further than ``n_target`` clusters."""
    return max(0, min(math.ceil(eta * n_current), n_current - n_target))


class AgglomerativeUpdate(Callback):
    """JULE's recurrent process: agglomerative merges at period boundaries of training.

    As training starts, the input itself is clustered into nearest-neighbour
    chains.  After every ``epochs_per_period`` epochs, the
    features of the whole training set are computed, L2-normalised, and
    ``ceil(eta * n)`` of the ``n`` current clusters are merged (no further
    than ``n_clusters``) by :func:`agglomerate` on their :func:`knn_affinity`;
    the labels are stored in the criterion's ``assignments`` for the triplets
    of the next period.  Training stops when ``n_clusters`` are reached.  As
    it ends, the clusters are merged down to ``n_clusters`` on the final
    features if training stopped before (``final="continue"``, the paper), or
    clustered anew from the final features' nearest-neighbour chains
    (``final="restart"``, the authors' code); those labels become the
    estimator's ``labels_`` and their mean features the module's
    ``centers``.  The number of clusters is recorded in the
    history as ``n_clusters``.

    Parameters
    ----------
    n_clusters : int
        Target number of clusters.
    eta : float, default=0.9
        Fraction of the clusters merged in each period (the unrolling rate).
    epochs_per_period : int, default=20
        Epochs of training between two periods of merges.
    n_neighbors : int, default=20
        ``K_s`` of :func:`knn_affinity`.
    k_c : int, default=5
        ``K_c`` of :func:`agglomerate`.
    final : {"continue", "restart"}, default="continue"
        The final clusters: the merges' own, or merged anew from chains.
    batch_size : int, default=4096
        Chunk size of the feature extraction.
    """

    def __init__(self, n_clusters, eta=0.9, epochs_per_period=20, n_neighbors=20, k_c=5,
                 final="continue", batch_size=4096):
        self.n_clusters = n_clusters
        self.eta = eta
        self.epochs_per_period = epochs_per_period
        self.n_neighbors = n_neighbors
        self.k_c = k_c
        self.final = final
        self.batch_size = batch_size

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        self.X_ = X
        # the input as given: normalised, low-dimensional data would keep only its directions
        features = _as_float(host_array(X))
        self.labels_, _ = initial_clusters(features, self.n_clusters, self.n_neighbors)
        self._store(net)

    def on_epoch_begin(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        net.history.record("n_clusters", int(self.labels_.max()) + 1)

    def on_epoch_end(self, net, **kwargs):
        n_current = int(self.labels_.max()) + 1
        if len(net.history) % self.epochs_per_period or n_current <= self.n_clusters:
            return
        features = self._features(net)
        W, _ = knn_affinity(features, self.n_neighbors)
        n_merges = period_merges(n_current, self.n_clusters, self.eta)
        self.labels_ = agglomerate(W, self.labels_, n_merges, features, self.k_c)
        self._store(net)
        if int(self.labels_.max()) + 1 <= self.n_clusters:
            net.stop_requested_ = True
            net.stop_reason_ = (
                f"stopping at epoch {len(net.history)}: the merges reached "
                f"n_clusters={self.n_clusters}"
            )

    def _features(self, net):
        with evaluation_mode(net.module_) as module:
            features = map_in_chunks(module.encode, self.X_, net.device,
                                     batch_size=self.batch_size)
        return l2_normalize(features)

    def _store(self, net):
        labels = torch.as_tensor(self.labels_, dtype=torch.int64, device=net.device)
        store_in_place(clustering_criterion(net), "assignments", labels)

    def on_train_end(self, net, **kwargs):
        features = self._features(net)
        if self.final == "restart":
            labels, W = initial_clusters(features, self.n_clusters, self.n_neighbors)
        else:
            labels, W = self.labels_, None
        n_merges = int(labels.max()) + 1 - self.n_clusters
        if n_merges > 0:  # training ended before the merges reached n_clusters
            if W is None:
                W, _ = knn_affinity(features, self.n_neighbors)
            labels = agglomerate(W, labels, n_merges, features, self.k_c)
        module = net.module_
        centers = np.zeros((self.n_clusters, features.shape[1]))
        np.add.at(centers, labels, features)
        centers /= np.maximum(np.bincount(labels, minlength=self.n_clusters), 1)[:, None]
        with torch.no_grad():
            module.centers.copy_(torch.as_tensor(centers, dtype=module.centers.dtype))
        module.training_labels = labels  # read once by the estimator, then dropped
        # the fitted model keeps neither the training data nor per-sample state
        self.X_ = None
        self.labels_ = None
        clustering_criterion(net).assignments = None
