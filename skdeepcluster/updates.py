"""Cluster updates and initialisation: what changes the clusters outside the gradient step.

The training engine runs these as skorch callbacks:

* :class:`TargetDistributionUpdate`: DEC's periodic refresh of the target
  distribution, with its ``tol`` stopping rule;
* :class:`AlternatingKMeansUpdate`: DCN's reassignment and count-based
  centroid update after every step;
* :class:`CenterUpdate`: each centre moved to its members' mean after every
  epoch (DMAE's ``center_update="mean"``);
* :class:`AssignmentUpdate` and :class:`ClusteringStageSchedule`: the
  discriminative method's per-epoch assignments and its two stages;
* :class:`EpochTargetUpdate`: DEPICT's warm-up on the k-means labels, then
  its target refreshed once per epoch.
* :class:`PairThresholdSchedule`: DAC's thresholds of the pairs it labels,
  moved at each epoch's start.

The initialisations of the clustering heads live here too: k-means on the
features (:func:`kmeans_start`), k-means++ under any dissimilarity, the
Mahalanobis precisions, the Gaussian-mixture start and VaDE's diagonal
mixture prior (:func:`diagonal_mixture_start`).
"""

import numpy as np
import torch
from sklearn.cluster import KMeans
from sklearn.mixture import GaussianMixture
from sklearn.utils import check_random_state
from skorch.callbacks import Callback

from .dissimilarities import pairwise_dissimilarities
from .distributed import gather_rows, is_distributed
from .engine import evaluation_mode, map_in_chunks, store_in_place
from .losses.hardening import target_distribution
from .losses.kmeans import count_based_center_update, nearest_centers

__all__ = [
    "clustering_criterion",
    "kmeans_start",
    "start_sample",
    "dissimilarity_kmeans_plusplus",
    "precision_factors",
    "gaussian_mixture_start",
    "diagonal_mixture_start",
    "TargetDistributionUpdate",
    "AlternatingKMeansUpdate",
    "CenterUpdate",
    "AssignmentUpdate",
    "ClusteringStageSchedule",
    "EpochTargetUpdate",
    "PairThresholdSchedule",
]


def clustering_criterion(net):
    """The criterion term that holds the clustering state of ``net`` (targets, centres, stage).

    A composed criterion (:class:`~skdeepcluster.losses.CombinedLoss`) keeps
    it as its ``clustering`` term; a method's own criterion is that term.
    """
    criterion = net.criterion_
    return getattr(criterion, "clustering", criterion)


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


# ------------------------------------------------------------------ callbacks


def _percent(fraction):
    """``fraction`` as a short percentage: 0.001 -> '0.1%', 0.000556 -> '0.0556%'."""
    return f"{100 * fraction:.3g}%"


def _tol_stop_reason(net, delta, n_samples, tol, when):
    """The words of a stop by a ``tol`` rule: epoch, changed fraction, threshold."""
    changed = round(delta * n_samples)
    return (
        f"stopping at epoch {len(net.history)}: {_percent(delta)} of the assignments "
        f"({changed} of {n_samples}) changed {when}, below tol={_percent(tol)}"
    )


class TargetDistributionUpdate(Callback):
    """DEC's schedule: refresh the target ``P`` and test convergence.

    Every ``update_interval`` batches the soft assignments ``Q`` of the whole
    training set are computed on the device, the target
    ``P = target_distribution(Q, power)`` is stored in the criterion's ``target``,
    and training stops when fewer than ``tol`` of the hard labels changed
    since the previous update.  The fraction is recorded in the history as
    ``delta_label``.

    Parameters
    ----------
    update_interval : int, default=140
        Batches between two refreshes of ``P``.
    tol : float, default=1e-3
        Stop when the fraction of changed labels falls below this.
    batch_size : int, default=4096
        Chunk size of the full-data inference.
    power : float, default=2.0
        Exponent of the assignments in the target (DEC's 2; DBC's boosting
        factor).
    """

    power = 2.0  # for objects pickled before it was a parameter

    def __init__(self, update_interval=140, tol=1e-3, batch_size=4096, power=2.0):
        self.update_interval = update_interval
        self.tol = tol
        self.batch_size = batch_size
        self.power = power

    def start_from(self, embeddings):
        """Compute the first target from ``embeddings`` instead of a pass over the data.

        ``embeddings`` must be those of the training set by the network as it
        starts training, such as the ones k-means was fitted on; they are used
        once, at the next train begin.  Returns the callback.
        """
        self.initial_embeddings_ = embeddings
        return self

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        self.X_ = X
        self.n_batches_ = 0
        self.labels_ = None
        embeddings, self.initial_embeddings_ = getattr(self, "initial_embeddings_", None), None
        self._refresh(net, embeddings)

    def on_batch_end(self, net, batch=None, training=False, **kwargs):
        # Refreshing after a batch (rather than before the next) lets a tol stop
        # that falls on the last batch of an epoch end training with that epoch.
        if not training:
            return
        self.n_batches_ += 1
        if self.n_batches_ % self.update_interval == 0:
            self._refresh(net)

    def _refresh(self, net, embeddings=None):
        with evaluation_mode(net.module_) as module:
            if embeddings is None:
                q = map_in_chunks(
                    lambda x: module.assign(module.encode(x)),
                    self.X_,
                    net.device,
                    batch_size=self.batch_size,
                    to_numpy=False,
                )
            else:
                with torch.no_grad():
                    z = torch.as_tensor(embeddings, dtype=torch.float32, device=net.device)
                    q = module.assign(z)
        store_in_place(clustering_criterion(net), "target", target_distribution(q, self.power))
        labels = q.argmax(dim=1)
        if self.labels_ is not None:
            delta = (labels != self.labels_).float().mean().item()
            net.history.record("delta_label", delta)
            if delta < self.tol:
                net.stop_requested_ = True
                net.stop_reason_ = _tol_stop_reason(
                    net, delta, len(labels), self.tol, "since the previous target refresh"
                )
        self.labels_ = labels

    def on_train_end(self, net, **kwargs):
        # Drop references to the training data so the fitted model does not keep it.
        self.X_ = None
        self.labels_ = None
        clustering_criterion(net).target = None


class AlternatingKMeansUpdate(Callback):
    """DCN's alternation: after each network step, reassign the batch and move the centroids.

    * Before training, every sample is assigned to its nearest centroid (one
      pass over the training set), and the criterion's ``centers`` and
      ``assignments`` are bound.
    * After every training step (``on_batch_end``), the batch's embeddings
      (computed in that step's forward pass, before the optimizer moved the
      weights: it saves the reference's second forward pass) are reassigned to
      their nearest centroid, and the centroids move by
      :func:`count_based_center_update`.  Everything stays on the device, in
      place (a captured CUDA graph of the step reads these tensors by address),
      with no host synchronisation.
    * After every epoch, the fraction of samples whose assignment changed is
      recorded as ``delta_label`` (training stops when it falls below
      ``tol``), and empty clusters are reseeded.

    An empty cluster (no training sample assigned to it) would keep its
    centroid forever and silently lose a cluster.  Instead, it is moved onto
    the embedding of the sample farthest from its centroid (as scikit-learn's
    k-means does), its count reset to the initial count, and that sample
    assigned to it.  This is checked on the running assignments after every
    epoch, and on fresh assignments of all samples at the end of training.
    The number of reseeded clusters is recorded as ``n_reseeded``.

    Parameters
    ----------
    tol : float, default=0.0
        Stop when fewer than this fraction of labels changed during an epoch.
    batch_size : int, default=4096
        Chunk size of the full-data passes.
    """

    def __init__(self, tol=0.0, batch_size=4096):
        self.tol = tol
        self.batch_size = batch_size

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        self.X_ = X
        labels, distances = self._assign_all(net)
        criterion = clustering_criterion(net)
        criterion.centers = net.module_.centers
        criterion.assignments = labels
        self.distances_ = distances
        self.changed_ = torch.zeros((), dtype=torch.int64, device=labels.device)
        self.batches_per_epoch_ = -(-len(X) // net.batch_size)
        self.epoch_batches_ = 0
        self._reseed_empty_clusters(net)

    def on_batch_end(self, net, batch=None, training=False, y_pred=None, **kwargs):
        if not training:
            return
        module, criterion = net.module_, clustering_criterion(net)
        indices = batch[1]
        with torch.no_grad():
            embeddings = y_pred["embedding"].detach()
            if is_distributed():  # the whole batch, the same in every process
                embeddings, indices = gather_rows(embeddings, indices)
            labels, distances = nearest_centers(embeddings, module.centers)
            assignments = criterion.assignments
            self.changed_ += (assignments[indices] != labels).sum()
            assignments[indices] = labels
            self.distances_[indices] = distances.to(self.distances_.dtype)
            centers, counts = count_based_center_update(
                module.centers, module.counts, embeddings, labels
            )
            module.centers.copy_(centers)
            module.counts.copy_(counts)
        # Epoch statistics at the epoch's last batch, so that the progress table has them.
        self.epoch_batches_ += 1
        if self.epoch_batches_ == self.batches_per_epoch_:
            self._end_epoch(net)

    def on_epoch_end(self, net, **kwargs):
        if self.epoch_batches_:  # an epoch cut short by another callback
            self._end_epoch(net)

    def _end_epoch(self, net):
        self.epoch_batches_ = 0
        delta = self.changed_.item() / len(self.X_)
        self.changed_.zero_()
        net.history.record("delta_label", delta)
        net.history.record("n_reseeded", self._reseed_empty_clusters(net))
        if delta < self.tol:
            net.stop_requested_ = True
            net.stop_reason_ = _tol_stop_reason(
                net, delta, len(self.X_), self.tol, "during the epoch"
            )

    def on_train_end(self, net, **kwargs):
        criterion = clustering_criterion(net)
        if self.X_ is not None and criterion.assignments is not None:
            # Fresh assignments with the final network: the fitted model has no empty cluster.
            criterion.assignments, self.distances_ = self._assign_all(net)
            self._reseed_empty_clusters(net)
        # Drop training data and per-sample state so the fitted model does not keep them.
        self.X_ = None
        self.distances_ = None
        self.changed_ = None
        criterion.centers = None
        criterion.assignments = None

    def _assign_all(self, net):
        module = net.module_
        embeddings = self._encode(net, self.X_)
        return nearest_centers(embeddings, module.centers)

    def _encode(self, net, X):
        with evaluation_mode(net.module_) as module:
            return map_in_chunks(
                module.encode, X, net.device, batch_size=self.batch_size, to_numpy=False
            )

    def _reseed_empty_clusters(self, net):
        module, assignments = net.module_, clustering_criterion(net).assignments
        n_clusters = module.centers.shape[0]
        sizes = torch.bincount(assignments, minlength=n_clusters)
        empty = torch.nonzero(sizes == 0).flatten()
        n_empty = len(empty)  # one host synchronisation per epoch
        if n_empty == 0:
            return 0
        n_empty = min(n_empty, len(assignments))
        empty = empty[:n_empty]
        farthest = torch.topk(self.distances_, n_empty).indices
        rows = self.X_[farthest.to(self.X_.device)]
        with torch.no_grad():
            embeddings = self._encode(net, rows)
            module.centers[empty] = embeddings.to(module.centers.dtype)
            module.counts[empty] = module.initial_count
            assignments[farthest] = empty
            self.distances_[farthest] = 0.0
        return n_empty


class CenterUpdate(Callback):
    """Move each centre to the mean of its embeddings after every epoch.

    ``theta_k = sum_i s_ik z_i / sum_i s_ik`` over the whole training set,
    with the network as it ends the epoch: a k-means (Lloyd) step on the
    current embedding, which keeps the centres with the samples they stand
    for while the encoder moves them (``DMAEClustering(center_update="mean")``).
    A centre with less than one sample's worth of assignment stays where it
    is.  The largest move, relative to the mean distance between centres, is
    recorded in the history as ``center_shift``.  The centres are written in
    place, so a training step captured in a CUDA graph sees them.

    Parameters
    ----------
    batch_size : int, default=4096
        Chunk size of the full-data inference.
    """

    def __init__(self, batch_size=4096):
        self.batch_size = batch_size

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        self.X_ = X

    def on_epoch_end(self, net, **kwargs):
        with evaluation_mode(net.module_) as module:
            centers = module.mixture.centers
            n_clusters, n_features = centers.shape

            def sums(x):
                z = module.encode(x)
                s = module.assign(z)
                return torch.cat([s.T @ z, s.sum(0, keepdim=True).T], dim=1)

            totals = map_in_chunks(
                sums, self.X_, net.device, batch_size=self.batch_size, to_numpy=False
            ).reshape(-1, n_clusters, n_features + 1).sum(0)
            mass = totals[:, -1:]
            with torch.no_grad():
                new = torch.where(mass >= 1.0, totals[:, :-1] / mass.clamp_min(1.0), centers)
                new = new.to(centers.dtype)
                spacing = torch.cdist(centers, centers).sum() / max(
                    n_clusters * (n_clusters - 1), 1
                )
                shift = (new - centers).norm(dim=1).max() / spacing.clamp_min(1e-12)
                centers.copy_(new)
        net.history.record("center_shift", float(shift))

    def on_train_end(self, net, **kwargs):
        self.X_ = None  # the fitted model does not keep the training data


class ClusteringStageSchedule(Callback):
    """Stage I for the first ``stage1_epochs`` epochs of the clustering phase, then stage II.

    Sets the stage of a :class:`DiscriminativeClusteringLoss` at the start of
    each epoch (in place) and records it in the history as ``stage``.

    Parameters
    ----------
    stage1_epochs : int
        Epochs of stage I.
    """

    def __init__(self, stage1_epochs):
        self.stage1_epochs = stage1_epochs

    def on_epoch_begin(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        stage = 1 if len(net.history) <= self.stage1_epochs else 2
        clustering_criterion(net).set_stage(stage)
        net.history.record("stage", stage)


class AssignmentUpdate(Callback):
    """Assign the whole training set at the start of each epoch (the paper's assignment step).

    Sets ``criterion_.assignments`` to the most similar centroid of every
    training sample, refreshed in place at the start of each epoch, so that
    stage II draws its within- and between-cluster pairs from assignments that
    are fixed while the network and the centroids take the epoch's steps (the
    alternating maximisation of the paper).  Assigning each batch with the
    centroids of the moment instead lets a sample that flips cluster be pulled
    at once towards its new cluster-mates, a feedback that moves whole groups
    between clusters and lowers the accuracy.

    Parameters
    ----------
    batch_size : int, default=4096
        Chunk size of the assignment pass.
    """

    def __init__(self, batch_size=4096):
        self.batch_size = batch_size

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        self.X_ = X
        self._refresh(net)  # before the first step: a captured graph reads the tensor

    def on_epoch_begin(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        if len(net.history) > 1:  # the first epoch uses the assignments of on_train_begin
            self._refresh(net)

    def _refresh(self, net):
        with evaluation_mode(net.module_) as module:
            labels = map_in_chunks(
                lambda x: module.similarities(module.autoencoder.encode(x)).argmax(dim=1),
                self.X_,
                net.device,
                batch_size=self.batch_size,
                dtype=torch.float32,
                to_numpy=False,
            )
        store_in_place(clustering_criterion(net), "assignments", labels)

    def on_train_end(self, net, **kwargs):
        # Drop the training data and the per-sample state: the fitted model keeps neither.
        self.X_ = None
        clustering_criterion(net).assignments = None


class EpochTargetUpdate(Callback):
    """DEPICT's schedule: a warm-up on fixed labels, then a target refreshed once per epoch.

    For the first ``warmup_epochs`` epochs the criterion's ``target`` is the
    one-hot ``labels`` (the k-means start's); after each later epoch (and
    before the first when there is no warm-up) the clean soft assignments of
    the whole training set give the next target, through the criterion's
    ``make_target``.  Training stops when the mean squared change of the
    target between two refreshes falls below ``tol`` (recorded as
    ``delta_target``).

    Parameters
    ----------
    labels : ndarray of shape (n_samples,)
        The warm-up's labels.
    warmup_epochs : int, default=0
        Epochs trained towards ``labels``.
    tol : float, default=1e-7
        Stop when ``mean (q_t - q_{t-1})^2`` falls below this.
    batch_size : int, default=4096
        Chunk size of the full-data inference.
    """

    def __init__(self, labels, warmup_epochs=0, tol=1e-7, batch_size=4096):
        self.labels = labels
        self.warmup_epochs = warmup_epochs
        self.tol = tol
        self.batch_size = batch_size

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        self.X_ = X
        self.previous_ = None
        if self.warmup_epochs > 0:
            labels = torch.as_tensor(np.asarray(self.labels), dtype=torch.long, device=net.device)
            n_clusters = net.module_.output.out_features
            one_hot = torch.nn.functional.one_hot(labels, n_clusters).to(torch.float32)
            store_in_place(clustering_criterion(net), "target", one_hot)
        else:
            self._refresh(net)

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) >= self.warmup_epochs:
            self._refresh(net)

    def _refresh(self, net):
        with evaluation_mode(net.module_) as module:
            p = map_in_chunks(
                lambda x: module.assign(module.encode(x)), self.X_, net.device,
                batch_size=self.batch_size, to_numpy=False,
            )
        criterion = clustering_criterion(net)
        target = criterion.make_target(p)
        if self.previous_ is not None:
            delta = (target - self.previous_).pow(2).mean().item()
            net.history.record("delta_target", delta)
            if delta < self.tol:
                net.stop_requested_ = True
                net.stop_reason_ = (
                    f"stopping at epoch {len(net.history)}: the target moved by a mean squared "
                    f"{delta:.3g} since the previous epoch, below tol={self.tol:g}"
                )
        self.previous_ = target
        store_in_place(criterion, "target", target.clone())

    def on_train_end(self, net, **kwargs):
        # Drop the training data and the per-sample state: the fitted model keeps neither.
        self.X_ = None
        self.previous_ = None
        self.labels = None
        clustering_criterion(net).target = None
class PairThresholdSchedule(Callback):
    """DAC's thresholds: epoch ``e`` (from 0) labels its pairs with ``thresholds[e]``.

    Sets ``upper`` and ``lower`` of a
    :class:`~skdeepcluster.losses.SameClusterLoss` at the start of each
    epoch (in place) and records them in the history.  When the schedule
    holds fewer entries than the training has epochs, training stops after
    the last one: the thresholds have met (the paper's ``u <= l``).

    Parameters
    ----------
    thresholds : list of (float, float)
        ``(upper, lower)`` of each epoch.
    """

    def __init__(self, thresholds):
        self.thresholds = thresholds

    def on_epoch_begin(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        epoch = min(len(net.history), len(self.thresholds)) - 1
        upper, lower = self.thresholds[epoch]
        clustering_criterion(net).set_thresholds(upper, lower)
        net.history.record("upper", upper)
        net.history.record("lower", lower)

    def on_epoch_end(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        epochs = len(net.history)
        if epochs >= len(self.thresholds) and epochs < net.max_epochs:
            net.stop_requested_ = True
            net.stop_reason_ = (
                f"stopping at epoch {epochs}: the thresholds have met (upper <= lower), every "
                "pair is labelled"
            )
