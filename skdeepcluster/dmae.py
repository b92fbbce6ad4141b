"""DMAE and DMM: clustering with a mixture of any differentiable dissimilarity.

Recipe (Lara and González, "Dissimilarity Mixture Autoencoder for Deep
Clustering"):

* mixture: ``K`` components, each a centre ``theta_k`` (plus, for the
  Mahalanobis dissimilarity, a precision ``W_k W_k^T``) and a mixing weight
  ``pi_k``; the soft assignments are ``s_ik = softmax_k(-alpha d(z_i, theta_k)
  + log pi_k)`` (the E-step, the "DM-encoder");
* assigned parameters: ``theta~_i = sum_k s_ik theta_k`` (the "DM-decoder");
* loss: the DMM loss ``mean_i [d(z_i, theta~_i) - log(pi~_i) / alpha]`` (the
  M-step, by gradient descent);
* shallow model (:class:`DMMClustering`): the mixture on the inputs
  themselves (an identity encoder);
* deep model (:class:`DMAEClustering`): pretrain the ``d-500-500-2000-10``
  autoencoder (optionally on augmented images), initialise the mixture on
  its embedding, then train end to end
  ``L = clustering_weight * L_DMM + reconstruction_weight * MSE(x, g(theta~))``,
  the decoder reconstructing each sample from its assigned centre;
  optionally (not in the paper) the centres are moved to the mean of their
  members after every epoch (``center_update="mean"``, :class:`CenterUpdate`)
  and the decoder also reconstructs each sample from its embedding
  (``embedding_reconstruction_weight``).

Both estimators train the same module, :class:`DMAEModule`, through the same
engine; the shallow one has an identity encoder and no decoder.
"""

from numbers import Real

import numpy as np
import torch
from sklearn.cluster import KMeans
from sklearn.mixture import GaussianMixture
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from skorch.callbacks import Callback
from torch import nn

from .base import BaseDeepClustering
from .dissimilarities import (
    DISSIMILARITIES,
    check_dissimilarity,
    cluster_parameter_names,
    get_dissimilarity,
    pairwise_dissimilarities,
)
from .engine import evaluation_mode, map_in_chunks
from .losses import reconstruction_loss
from .networks import Autoencoder, float32_head

__all__ = [
    "mixture_assignments",
    "dmm_loss",
    "dissimilarity_kmeans_plusplus",
    "precision_factors",
    "gaussian_mixture_start",
    "DissimilarityMixture",
    "DMAEModule",
    "DMAELoss",
    "CenterUpdate",
    "DMMClustering",
    "DMAEClustering",
]


# ----------------------------------------------------------------- functions


def mixture_assignments(dissimilarities, alpha, log_weights):
    """Soft assignments ``s_ik = softmax_k(-alpha * d_ik + log pi_k)`` (DMAE, eq. 15).

    Parameters
    ----------
    dissimilarities : torch.Tensor of shape (n_samples, n_clusters)
        ``d(z_i, theta_k)``.
    alpha : float
        Inverse temperature: the larger, the closer to hard assignments.
    log_weights : torch.Tensor of shape (n_clusters,)
        Logarithms of the mixing weights ``pi_k``.

    Returns
    -------
    s : torch.Tensor of shape (n_samples, n_clusters)
        Rows sum to one.

    Examples
    --------
    >>> import math, torch
    >>> d = torch.tensor([[0.0, math.log(3.0)]])
    >>> mixture_assignments(d, 1.0, torch.zeros(2))  # weights 1 and 1/3
    tensor([[0.7500, 0.2500]])
    """
    return torch.softmax(-alpha * dissimilarities + log_weights, dim=-1)


def dmm_loss(dissimilarity, z, assigned_centers, assigned_weights, alpha, **assigned_parameters):
    """The DMM loss ``mean_i [d(z_i, theta~_i) - log(pi~_i) / alpha]`` (DMAE, eq. 12).

    The paper sums over samples; the mean makes the learning rate independent
    of the batch size.

    Parameters
    ----------
    dissimilarity : callable
        ``d(z, theta, **parameters)``, see :mod:`skdeepcluster.dissimilarities`.
    z : torch.Tensor of shape (n_samples, n_features)
        Samples (embeddings).
    assigned_centers : torch.Tensor of shape (n_samples, n_features)
        ``theta~_i = sum_k s_ik theta_k``.
    assigned_weights : torch.Tensor of shape (n_samples,)
        ``pi~_i = sum_k s_ik pi_k``.
    alpha : float
        Inverse temperature of the assignments.
    **assigned_parameters : torch.Tensor of shape (n_samples, ...)
        The other assigned parameters (``precision`` for Mahalanobis).

    Returns
    -------
    loss : torch.Tensor
        A scalar.

    Examples
    --------
    >>> import math, torch
    >>> from skdeepcluster.dissimilarities import manhattan
    >>> z = torch.tensor([[1.0, 0.0], [0.0, 0.0]])
    >>> dmm_loss(manhattan, z, torch.zeros(2, 2), torch.tensor([1.0, math.exp(-2.0)]), alpha=2.0)
    tensor(1.)
    """
    distortion = dissimilarity(z, assigned_centers, **assigned_parameters)
    return (distortion - torch.log(assigned_weights) / alpha).mean()


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
    returned; no labels are used.  On an augmented MNIST-70k embedding where
    k-means' partition had ACC 0.860, tied EM from the k-means centres ended
    at 0.871 and from the full mixture's means at 0.945, with the higher
    likelihood; on one where k-means already started well, both ended in the
    same mixture (the README's "DMAE with the Mahalanobis dissimilarity").

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


# ------------------------------------------------------------------ modules


def _gram(factor):
    return factor @ factor.transpose(-1, -2)


class DissimilarityMixture(nn.Module):
    """The mixture layer: soft assignments and assigned parameters.

    Holds the trainable centres ``theta_k``, any other per-cluster parameter
    the dissimilarity reads (the Mahalanobis precision ``P_k``, learnt
    through its factor ``W_k`` so that it stays positive semi-definite), and
    the mixing weights ``pi = softmax(mixing_logits)``.

    Parameters
    ----------
    centers : array-like of shape (n_clusters, n_features)
        Initial centres.
    dissimilarity : callable
        ``d(z, theta, **cluster_parameters)``, hyper-parameters bound.
    alpha : float, default=100.0
        Inverse temperature of the assignments.
    precision_factors : array-like of shape (n_clusters, n_features, n_features), default=None
        Initial ``W_k`` for a dissimilarity that reads ``precision``.
    trainable_weights : bool, default=False
        Whether the mixing weights are learnt (otherwise uniform, a buffer).
    """

    def __init__(
        self, centers, dissimilarity, alpha=100.0, precision_factors=None, trainable_weights=False
    ):
        super().__init__()
        self.centers = nn.Parameter(torch.as_tensor(centers, dtype=torch.float32).clone())
        n_clusters = self.centers.shape[0]
        self.precision_factors = (
            None
            if precision_factors is None
            else nn.Parameter(torch.as_tensor(precision_factors, dtype=torch.float32).clone())
        )
        logits = torch.zeros(n_clusters)
        if trainable_weights:
            self.mixing_logits = nn.Parameter(logits)
        else:
            self.register_buffer("mixing_logits", logits)
        self.dissimilarity = dissimilarity
        self.alpha = float(alpha)

    def cluster_parameters(self):
        """The per-cluster parameters the dissimilarity reads besides the centre."""
        if self.precision_factors is None:
            return {}
        return {"precision": _gram(self.precision_factors)}

    @property
    def weights(self):
        """Mixing weights ``pi_k`` (they sum to one)."""
        return torch.softmax(self.mixing_logits, dim=0)

    @float32_head
    def assignments(self, z):
        """Soft assignments ``s`` of embeddings ``z``, shape ``(n, n_clusters)``."""
        d = pairwise_dissimilarities(self.dissimilarity, z, self.centers, **self.cluster_parameters())
        return mixture_assignments(d, self.alpha, torch.log_softmax(self.mixing_logits, dim=0))

    @float32_head
    def forward(self, z):
        parameters = self.cluster_parameters()
        d = pairwise_dissimilarities(self.dissimilarity, z, self.centers, **parameters)
        s = mixture_assignments(d, self.alpha, torch.log_softmax(self.mixing_logits, dim=0))
        out = {
            "assignments": s,
            "assigned_centers": s @ self.centers,
            "assigned_weights": s @ self.weights,
        }
        for name, value in parameters.items():
            out["assigned_" + name] = torch.einsum("nk,k...->n...", s, value)
        return out


class DMAEModule(nn.Module):
    """Encoder, mixture layer and a decoder that reconstructs from the assigned centre.

    ``forward`` returns the embedding, the assignments, the assigned
    parameters and (with ``reconstruct=True``) ``decoder(theta~)``.

    Parameters
    ----------
    autoencoder : Autoencoder
        Its encoder maps inputs to the mixture's space (``nn.Identity`` for
        the shallow DMM); its decoder, if any, maps assigned centres back.
    mixture : DissimilarityMixture
        The mixture layer.
    reconstruct : bool, default=True
        Whether ``forward`` runs the decoder on the assigned centres
        (``"reconstruction"``).
    reconstruct_embedding : bool, default=False
        Whether ``forward`` also runs the decoder on the embeddings
        themselves (``"embedding_reconstruction"``), for
        :class:`DMAELoss`'s ``embedding_reconstruction_weight``.
    """

    def __init__(self, autoencoder, mixture, reconstruct=True, reconstruct_embedding=False):
        super().__init__()
        self.autoencoder = autoencoder
        self.mixture = mixture
        self.reconstruct = reconstruct
        self.reconstruct_embedding = reconstruct_embedding

    @property
    def centers(self):
        return self.mixture.centers

    def encode(self, x):
        return self.autoencoder.encode(x)

    def assign(self, z):
        return self.mixture.assignments(z)

    def forward(self, x):
        z = self.encode(x)
        out = self.mixture(z)
        out["embedding"] = z
        if self.reconstruct:
            out["reconstruction"] = self.autoencoder.decoder(out["assigned_centers"])
        if self.reconstruct_embedding:
            out["embedding_reconstruction"] = self.autoencoder.decoder(z)
        return out


class DMAELoss(nn.Module):
    """``clustering_weight * L_DMM + reconstruction_weight * MSE(x, g(theta~)) [+ ...]``.

    With ``embedding_reconstruction_weight > 0`` it adds
    ``embedding_reconstruction_weight * MSE(x, g(z))``, the autoencoder's own
    reconstruction error (as IDEC adds to DEC).

    Parameters
    ----------
    dissimilarity : callable
        The mixture's dissimilarity.
    alpha : float
        The mixture's inverse temperature.
    clustering_weight : float, default=1.0
        Weight of the DMM loss.
    reconstruction_weight : float, default=0.0
        Weight of the reconstruction error; 0 skips the reconstruction term (the outputs need no
        ``"reconstruction"`` then).
    parameter_names : tuple of str, default=()
        Per-cluster parameters besides the centre, read from the outputs as
        ``"assigned_<name>"``.
    embedding_reconstruction_weight : float, default=0.0
        Weight of the error of the decoder reconstructing each sample from
        its own embedding; 0 skips it (the outputs need no
        ``"embedding_reconstruction"`` then).
    """

    def __init__(
        self,
        dissimilarity,
        alpha,
        clustering_weight=1.0,
        reconstruction_weight=0.0,
        parameter_names=(),
        embedding_reconstruction_weight=0.0,
    ):
        super().__init__()
        self.dissimilarity = dissimilarity
        self.alpha = float(alpha)
        self.clustering_weight = float(clustering_weight)
        self.reconstruction_weight = float(reconstruction_weight)
        self.parameter_names = tuple(parameter_names)
        self.embedding_reconstruction_weight = float(embedding_reconstruction_weight)

    def per_sample(self, outputs):
        """``d(z_i, theta~_i) - log(pi~_i) / alpha`` for each sample."""
        parameters = {name: outputs["assigned_" + name] for name in self.parameter_names}
        distortion = self.dissimilarity(outputs["embedding"], outputs["assigned_centers"], **parameters)
        return distortion - torch.log(outputs["assigned_weights"]) / self.alpha

    def forward(self, outputs, X, indices):
        loss = self.clustering_weight * self.per_sample(outputs).mean()
        if self.reconstruction_weight > 0:
            loss = loss + self.reconstruction_weight * reconstruction_loss(
                X, outputs["reconstruction"]
            )
        if self.embedding_reconstruction_weight > 0:
            loss = loss + self.embedding_reconstruction_weight * reconstruction_loss(
                X, outputs["embedding_reconstruction"]
            )
        return loss


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


# --------------------------------------------------------------- estimators


class _DissimilarityMixtureMixin:
    """What DMM and DMAE share: the dissimilarity, the initialisation, the fitted mixture."""

    _mixture_constraints = {
        "dissimilarity": [StrOptions(set(DISSIMILARITIES)), callable],
        "dissimilarity_params": [dict, None],
        "alpha": [Interval(Real, 0, None, closed="neither")],
        "trainable_weights": ["boolean"],
        "init": [StrOptions({"auto", "k-means", "k-means++", "gaussian-mixture"})],
        "init_covariance_type": [StrOptions({"tied", "full", "diag", "spherical"})],
    }

    def _dissimilarity_function(self):
        return get_dissimilarity(self.dissimilarity, self.dissimilarity_params)

    def _parameter_names(self):
        return cluster_parameter_names(self.dissimilarity)

    def _init_method(self):
        if self.init != "auto":
            return self.init
        # k-means suits the dissimilarities of vector spaces; a periodic or a user's one
        # needs seeding under its own geometry.
        if callable(self.dissimilarity) or self.dissimilarity == "toroidal":
            return "k-means++"
        return "k-means"

    def _init_mixture(self, Z, seed):
        """The mixture layer initialised on the samples (embeddings) ``Z``."""
        Z = np.asarray(Z, dtype=np.float64)
        function = self._dissimilarity_function()
        needs_precision = "precision" in self._parameter_names()
        n_features = Z.shape[1]
        check_dissimilarity(
            function,
            n_features,
            **({"precision": torch.eye(n_features).expand(2, n_features, n_features)}
               if needs_precision else {}),
        )
        if self.dissimilarity == "itakura_saito" and not np.all(Z > 0):
            where = "X" if self._shallow else "The encoder's embeddings"
            raise ValueError(
                f"dissimilarity='itakura_saito' needs positive data; {where} has values <= 0. "
                + ("Shift or rescale X to positive values." if self._shallow else
                   "End your encoder with a positive activation (e.g. torch.nn.Softplus).")
            )
        init = self._init_method()
        factors = None
        if init in ("k-means", "gaussian-mixture"):
            kmeans = KMeans(self.n_clusters, n_init=self.n_init, random_state=seed).fit(Z)
            centers, labels = kmeans.cluster_centers_, kmeans.labels_
            if init == "gaussian-mixture":
                centers, factors = gaussian_mixture_start(
                    Z, centers, self.init_covariance_type, random_state=seed
                )
        else:
            # Mahalanobis is seeded as k-means++ (identity precision), then gets per-cluster ones.
            seeding = get_dissimilarity("sqeuclidean") if needs_precision else function
            centers = dissimilarity_kmeans_plusplus(
                Z, self.n_clusters, seeding, n_init=self.n_init, random_state=seed,
                device=self.device_, batch_size=self._inference_batch_size,
            )
            labels = map_in_chunks(
                lambda x: pairwise_dissimilarities(
                    seeding, x, torch.as_tensor(centers, dtype=x.dtype, device=x.device)
                ).argmin(dim=1),
                Z, self.device_, batch_size=self._inference_batch_size,
            )
        if not needs_precision:
            factors = None
        elif factors is None:
            factors = precision_factors(Z, labels, self.n_clusters)
        return DissimilarityMixture(
            centers, function, alpha=self.alpha, precision_factors=factors,
            trainable_weights=self.trainable_weights,
        ).to(self.device_)

    def _criterion(
        self, clustering_weight=1.0, reconstruction_weight=0.0, embedding_reconstruction_weight=0.0
    ):
        return DMAELoss(
            self._dissimilarity_function(), self.alpha, clustering_weight=clustering_weight,
            reconstruction_weight=reconstruction_weight, parameter_names=self._parameter_names(),
            embedding_reconstruction_weight=embedding_reconstruction_weight,
        )

    def _set_fitted_attributes(self, X):
        super()._set_fitted_attributes(X)
        mixture = self.net_.module_.mixture
        self.weights_ = mixture.weights.detach().cpu().numpy().astype(np.float64)
        if mixture.precision_factors is not None:
            self.precisions_ = (
                _gram(mixture.precision_factors.detach()).cpu().numpy().astype(np.float64)
            )

    def _cluster_centers(self, X):
        centers = super()._cluster_centers(X)
        if self.dissimilarity == "toroidal":  # report the centres inside the box
            period = (self.dissimilarity_params or {}).get("period", 1.0)
            centers = np.mod(centers, np.asarray(period, dtype=np.float64))
        return centers

    def _mixture_module_like(
        self, autoencoder, state_dict, reconstruct, reconstruct_embedding=False
    ):
        """An untrained module shaped like a saved one (weights-only loading)."""
        prefix = "mixture."
        centers = state_dict[prefix + "centers"]
        factors = state_dict.get(prefix + "precision_factors")
        mixture = DissimilarityMixture(
            torch.zeros_like(centers), self._dissimilarity_function(), alpha=self.alpha,
            precision_factors=None if factors is None else torch.zeros_like(factors),
            trainable_weights=self.trainable_weights,
        )
        return DMAEModule(
            autoencoder, mixture, reconstruct=reconstruct,
            reconstruct_embedding=reconstruct_embedding,
        )

    def score(self, X, y=None):
        """Opposite of the DMM loss of ``X``, summed over the samples (higher is better).

        ``-sum_i [d(z_i, theta~_i) - log(pi~_i) / alpha]``, the objective the
        mixture minimises, under the fitted dissimilarity.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, C, H, W)
            New data.
        y : Ignored
            Not used, present for API consistency.

        Returns
        -------
        score : float
        """
        X = self._validate_input(X, reset=False)
        criterion = self._criterion()

        def per_sample(module, x):
            z = module.encode(x)
            out = module.mixture(z)
            out["embedding"] = z
            return criterion.per_sample(out)

        return -float(np.sum(self._inference(X, per_sample), dtype=np.float64))


_MIXTURE_DOC = """\
    dissimilarity : str or callable, default={default!r}
        The dissimilarity ``d(z, theta)`` of the mixture components: one of
        ``"euclidean"`` (not squared), ``"sqeuclidean"``, ``"manhattan"``,
        ``"minkowski"``, ``"chebyshev"``, ``"cosine"``, ``"mahalanobis"``
        (learns a precision ``W_k W_k^T`` per cluster), ``"toroidal"``
        (periodic box), ``"kullback_leibler"`` (between normalised
        vectors), ``"itakura_saito"`` (positive data only), or your own
        differentiable callable that compares along the last axis and
        broadcasts over the leading ones (see
        :mod:`skdeepcluster.dissimilarities`; a lambda does not pickle).
    dissimilarity_params : dict, default=None
        Keyword arguments of the dissimilarity, such as ``{{"p": 3}}`` for
        ``"minkowski"``, ``{{"period": 2.0}}`` for ``"toroidal"`` or
        ``{{"normalization": "softmax"}}`` for ``"kullback_leibler"``.
    alpha : float, default={alpha}
        Inverse temperature of the soft assignments
        ``softmax(-alpha * d + log pi)``.  It is not scale-free: the larger
        ``alpha`` times the typical dissimilarity between clusters, the harder
        the assignments.{alpha_note}
    trainable_weights : bool, default=False
        Learn the mixing weights ``pi`` (a softmax of trainable logits).  Off
        by default, as the paper: the ``-log(pi~)`` term rewards putting
        weight on the clusters that already hold most samples, so learnt
        weights can empty small clusters.
    init : {{"auto", "k-means", "k-means++", "gaussian-mixture"}}, default="auto"
        Initial centres: k-means (with ``n_init`` runs; for
        ``"mahalanobis"`` each precision starts as the inverse covariance
        of its k-means cluster, through its Cholesky factor), k-means++
        seeding under the chosen dissimilarity (the best of ``n_init``
        seedings), or a Gaussian mixture fitted by EM from the k-means
        centres (its means, and for ``"mahalanobis"`` its precisions; see
        :func:`gaussian_mixture_start`).  ``"auto"`` is k-means++ seeding
        for ``"toroidal"`` and callables, k-means otherwise.  Like
        k-means, the Gaussian mixture ignores a torus's periodicity.
    init_covariance_type : {{"tied", "full", "diag", "spherical"}}, default="tied"
        The Gaussian mixture's covariances, as in
        :class:`~sklearn.mixture.GaussianMixture`; only with
        ``init="gaussian-mixture"``.  ``"tied"`` shares one covariance
        (one precision for every ``"mahalanobis"`` component); it was the
        steadier on MNIST embeddings (see the user guide)."""


def _mixture_doc(default, alpha, alpha_note=""):
    return _MIXTURE_DOC.format(default=default, alpha=alpha, alpha_note=alpha_note)


class DMMClustering(_DissimilarityMixtureMixin, BaseDeepClustering):
    __doc__ = f"""Dissimilarity mixture model (DMM): the shallow DMAE, no network.

    A mixture whose components are defined by any differentiable
    dissimilarity, trained by gradient descent on the DMM loss directly on
    the inputs: fast and interpretable on low-dimensional data, where the
    dissimilarity can encode the geometry (elongated clusters with
    ``"mahalanobis"``, a periodic domain with ``"toroidal"``).  With
    ``"sqeuclidean"`` and a large ``alpha`` it is a soft k-means.  The
    paper's "DMM" (Lara and González, "Dissimilarity Mixture Autoencoder for
    Deep Clustering"); :class:`DMAEClustering` puts the same mixture on the
    embedding of an autoencoder.

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters.
{_mixture_doc("euclidean", 100.0)}
    epochs : int, default=100
        Epochs of training.
    lr : float, default=1e-3
        Learning rate.  Each step moves a centre by about ``lr`` (Adam), so
        scale the data to unit variance (e.g. ``StandardScaler``).
    optimizer : {{"adam", "sgd"}} or torch optimizer class, default="adam"
        Optimizer.
    n_init : int, default=10
        Number of k-means runs or k-means++ seedings of the initialisation.
    batch_size : int, default=256
        Mini-batch size.
    precision : {"float32", "tf32", "bf16"}, default="float32"
        Arithmetic of training: float32, TF32 products on CUDA,
        or the network's layers under bfloat16 autocast (the user guide's
        :ref:`precision` says what stays float32 and what it costs).
    callbacks : list of skorch callbacks, default=None
        Extra callbacks (copied before use).
    device : str, default="auto"
        ``"auto"`` trains on CUDA when available, else on the CPU.
    random_state : int, RandomState instance or None, default=None
        Seeds the initialisation and the batch order.
    verbose : int, default=0
        1 prints skorch's table of losses per epoch; 2 or more adds a progress
        bar over each epoch's batches (needs tqdm).

    Attributes
    ----------
    labels_ : ndarray of shape (n_samples,)
        Cluster of each training sample.
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
        Centres ``theta_k`` (inside the box for ``"toroidal"``).
    weights_ : ndarray of shape (n_clusters,)
        Mixing weights ``pi_k``.
    precisions_ : ndarray of shape (n_clusters, n_features, n_features)
        Precisions ``W_k W_k^T``; only with ``dissimilarity="mahalanobis"``.
    net_ : skorch.NeuralNet
        The trained network (its ``module_.mixture`` is the mixture layer).
    history_ : skorch.History
        Losses per epoch.
    device_ : str
        Device the mixture was trained on.
    n_iter_ : int
        Epochs run.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    DMAEClustering : The same mixture on a deep autoencoder's embedding.
    sklearn.cluster.KMeans : The squared-Euclidean, hard-assignment special case.
    sklearn.mixture.GaussianMixture : The likelihood-based mixture of Gaussians.

    Examples
    --------
    >>> from skdeepcluster.dmae import DMMClustering
    >>> from skdeepcluster.datasets import make_toroidal_blobs
    >>> X, y = make_toroidal_blobs(n_samples=200, random_state=0)
    >>> dmm = DMMClustering(n_clusters=4, dissimilarity="toroidal", epochs=5,
    ...                     random_state=0).fit(X)
    >>> dmm.cluster_centers_.shape
    (4, 2)
    >>> from skdeepcluster.metrics import clustering_accuracy
    >>> float(clustering_accuracy(y, dmm.labels_))
    1.0
    """

    _parameter_constraints = {
        **{
            name: BaseDeepClustering._parameter_constraints[name]
            for name in (
                "n_clusters", "epochs", "lr", "optimizer", "n_init", "batch_size",
                "precision", "callbacks", "device", "random_state", "verbose",
            )
        },
        **_DissimilarityMixtureMixin._mixture_constraints,
    }

    _shallow = True
    _unsaved_attributes = ("net_",)

    def __init__(
        self,
        n_clusters=8,
        *,
        dissimilarity="euclidean",
        dissimilarity_params=None,
        alpha=100.0,
        trainable_weights=False,
        init="auto",
        init_covariance_type="tied",
        epochs=100,
        lr=1e-3,
        optimizer="adam",
        n_init=10,
        batch_size=256,
        precision="float32",
        callbacks=None,
        device="auto",
        random_state=None,
        verbose=0,
    ):
        self.n_clusters = n_clusters
        self.dissimilarity = dissimilarity
        self.dissimilarity_params = dissimilarity_params
        self.alpha = alpha
        self.trainable_weights = trainable_weights
        self.init = init
        self.init_covariance_type = init_covariance_type
        self.epochs = epochs
        self.lr = lr
        self.optimizer = optimizer
        self.n_init = n_init
        self.batch_size = batch_size
        self.precision = precision
        self.callbacks = callbacks
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def _resolve_input_shape(self, image_shape, n_features):
        # No network to shape: images are clustered as flat vectors.
        return None if image_shape is None else tuple(int(s) for s in image_shape)

    def _fit_network(self, X_train, seed):
        Z = map_in_chunks(lambda x: x, X_train, self.device_, batch_size=self._inference_batch_size)
        module = DMAEModule(
            Autoencoder(nn.Identity()), self._init_mixture(Z, seed), reconstruct=False
        )
        net = self._make_net(
            module, self._criterion(), epochs=self.epochs, lr=self.lr,
            optimizer=self.optimizer, seed=seed + 1, callbacks=self._named_user_callbacks(),
        )
        return net.fit(X_train, None)

    def _init_module(self, n_features, state_dict):
        return self._mixture_module_like(Autoencoder(nn.Identity()), state_dict, reconstruct=False)

    def _loading_criterion(self):
        return self._criterion()


_DEEP_ALPHA_NOTE = """  The default is the reference code's MNIST
        value (the paper explored 100 to 1000).  On the embedding of the
        pretrained ``d-500-500-2000-10`` network, whose cluster centres lie 2
        to 3 units apart, it makes the assignments hard (mean largest
        ``s_ik`` 1.0).  Softer assignments let end-to-end training cheat:
        the encoder moves the samples between the centres, where a soft
        mixture ``theta~`` is close to each sample and carries enough of it
        for the decoder to reconstruct from.  With ``alpha=10`` on a
        10,000-image MNIST subset the mean largest ``s_ik`` fell from 0.93
        to 0.47, the embedding shrank to a quarter of its spread and
        accuracy fell from 0.65 (k-means on the embedding) to 0.51 in 10
        epochs (0.75 to 0.54 with an autoencoder pretrained on augmented
        images); ``alpha=100`` still lost 0.03 to 0.07."""


class DMAEClustering(_DissimilarityMixtureMixin, BaseDeepClustering):
    __doc__ = f"""Dissimilarity Mixture Autoencoder (DMAE).

    Pretrains an autoencoder on reconstruction (optionally on randomly
    rotated and shifted images), initialises a dissimilarity mixture on its
    embedding (:class:`DMMClustering`'s mixture), then trains everything end
    to end on ``clustering_weight * L_DMM + reconstruction_weight * L_rec``,
    where ``L_rec`` is the error of the decoder reconstructing each sample
    from its *assigned centre* ``theta~_i = sum_k s_ik theta_k`` (Lara and
    González, "Dissimilarity Mixture Autoencoder for Deep Clustering").
    Predictions are ``argmax_k s_ik``.

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters.
{_mixture_doc("euclidean", 1000.0, _DEEP_ALPHA_NOTE)}
    clustering_weight : float, default=0.01
        Weight ``lambda_c`` of the DMM loss.
    reconstruction_weight : float, default=1.0
        Weight ``lambda_r`` of the reconstruction from the assigned centre;
        0 drops the decoder.  The paper's two reference configurations
        disagree (1.0/0.01 and 0.01/1.0); the default is the second, the
        one that moved a k-means initialisation least on MNIST subsets.
        With hard assignments the encoder learns from the DMM loss (which
        pulls each sample to its centre) and, through the few samples
        between two centres, from the reconstruction (which moves them to
        the centre whose decoded image is closer in pixel space).  Either
        alone lowered accuracy on a 10,000-image MNIST subset (``alpha=1000``,
        ``lr=1e-4``, 10 epochs, from 0.65: weights 1.0/0 gave 0.54, 0/1.0
        gave 0.59, 1.0/1.0 gave 0.57, 0.01/1.0 gave 0.64): the DMM loss lets
        the largest clusters absorb their neighbours, the pixel-space pull
        leans towards k-means on the pixels.  The reference code sums the
        DMM loss over each batch of 256 where this mean averages it, so its
        0.01/1.0 weighs the DMM loss like about 2.5/1.0 here.  Tune both
        weights and ``alpha`` on your data, e.g. with
        :class:`~sklearn.model_selection.GridSearchCV` and the clustering
        scorers.
    embedding_reconstruction_weight : float, default=0.0
        Weight of a term the paper does not have: the error of the decoder
        reconstructing each sample from its own embedding ``z_i`` (the
        autoencoder's pretraining loss, kept on as IDEC keeps it on DEC);
        0 drops it.  It slows the drift of the end-to-end phase without
        stopping it: on a 10,000-image MNIST subset (seed 0, 40 + 20 epochs)
        accuracy went from 0.648 to 0.641 with weight 1.0 against 0.633
        without (0.745 to 0.738 against 0.728 with augmented pretraining);
        ``center_update="mean"`` addresses the cause on that subset (not on
        the full MNIST; see below).
    center_update : {{"gradient", "mean"}}, default="gradient"
        How the centres follow the encoder during end-to-end training.
        ``"gradient"``, the paper's: only by gradient descent on the loss,
        at ``lr``.  ``"mean"``: also, after every epoch, set each centre to
        the mean of the training embeddings weighted by their assignments
        (a k-means step, :class:`CenterUpdate`); not for ``"toroidal"``.
        At ``lr=1e-5`` Adam moves each centre coordinate by at most about
        ``lr`` per step, 0.008 in the 800 steps of 20 epochs over 10,000
        samples, while the encoder moves the samples by a tenth or more of
        the distance between centres; the centres stop being the means of
        their members (and the reconstruction from the centres pulls them
        towards what the decoder prefers), the largest clusters absorb their
        neighbours and accuracy drifts down.  On that MNIST subset (seed 0)
        ``"gradient"`` went from 0.648 to 0.633 ACC (NMI 0.573 to 0.567)
        and ``"mean"`` to 0.647 (NMI 0.593); with augmented pretraining
        from 0.745 to 0.728 (NMI 0.677 to 0.661) and to 0.751 (NMI 0.686).
        A 100 times larger learning rate for the centres did not help
        (0.633): their gradient does not lead to their members' mean.  On
        all 70,000 MNIST images ``"gradient"`` went from 0.837 to 0.775
        (from 0.862 to 0.858 with augmented pretraining) and ``"mean"``
        from 0.837 to 0.703.  See the project's README for more seeds.  It
        is not the default: it lowered the accuracy there, and on the 2-D
        embedding of the synthetic moons and circles (``alpha=10``) from
        0.905 to 0.817 and from 0.796 to 0.682.
    freeze_encoder : bool, default=False
        Train only the mixture (and decoder) on the fixed pretrained
        embedding: the paper's "AE+DMM" ablation.
    hidden_dims : tuple of int, default=(500, 500, 2000)
        Hidden layer widths of the MLP encoder; the decoder mirrors them.
    embedding_dim : int, default=10
        Dimension of the embedding the mixture lives in.
    network : {{"mlp", "conv", "conv_bn"}}, default="mlp"
        Fully connected autoencoder, or one for images (input ``(n, C, H, W)``,
        or flat with ``input_shape``): ``"conv"`` the strided convolutional
        :class:`~skdeepcluster.networks.ConvAutoencoder`, ``"conv_bn"`` the
        :class:`~skdeepcluster.networks.BatchNormConvAutoencoder` with batch
        normalisation and max pooling (DBC's, which the discriminative latent
        space paper trains).
    input_shape : tuple of int, default=None
        ``(C, H, W)`` of flat image input (for an image ``network`` or
        ``augment=True``).
    encoder, decoder : torch.nn.Module, default=None
        Your own networks, replacing ``network`` (copied, never modified).
        A decoder is needed for pretraining and for the reconstruction term.
    weight_init : {{"torch", "glorot"}}, default="torch"
        Initialisation of the built-in network's layers: PyTorch's default
        (uniform within ``1 / sqrt(fan_in)``, for the weights the DEC Keras
        reference's), or Glorot-uniform weights and zero biases (the Keras
        default, which the IDEC reference uses; see
        :func:`~skdeepcluster.networks.glorot_init`).  Your own ``encoder``
        and ``decoder`` keep theirs.
    pretrain_epochs : int, default=100
        Epochs of autoencoder pretraining; 0 skips it.
    pretrain_lr : float, default=1e-3
        Learning rate of pretraining.
    pretrain_optimizer : {{"adam", "sgd"}} or torch optimizer class, default="adam"
        Optimizer of pretraining: Adam; or SGD with momentum 0.9, which the authors' code uses
        with ``pretrain_lr=1.0`` for 500 epochs.  On 10,000 MNIST images with ``augment=True``
        that SGD trailed Adam after 200 epochs (k-means on the embedding 0.795 against 0.816).
    pretrain_features : scikit-learn transformer, default=None
        ``None`` pretrains the autoencoder on reconstruction.  A transformer
        (cloned; an unset ``random_state`` is drawn from ``random_state``)
        pretrains in two stages, as the authors' code does for the synthetic
        moons and circles: for ``pretrain_epochs`` the encoder learns to map
        each sample to its row of ``pretrain_features.fit_transform(X)``,
        then for ``pretrain_epochs`` more the decoder alone (the encoder
        frozen) learns to reconstruct ``X``.  With random Fourier features
        (:class:`~sklearn.kernel_approximation.RBFSampler`) the embedding
        starts as an approximate RBF kernel map, which separates clusters
        that are not convex in the input, such as a circle inside a ring;
        the transformer's output width must be the embedding's
        (``embedding_dim``).  ``pretrain_history_`` holds both stages, each
        row's ``"stage"`` saying which.
    augment : bool, default=False
        Pretrain on randomly rotated (up to ``augment_rotation`` degrees) and
        shifted (up to ``augment_shift`` of the size) images, as the paper did
        for MNIST and USPS; needs image input (``(n, C, H, W)`` or
        ``input_shape``).  See
        :class:`~skdeepcluster.augment.ImageAugmentation`.
    augment_clustering : bool, default=False
        Train the end-to-end phase on such images too (not in the paper; as
        DEC-DA does for DEC, see :class:`~skdeepcluster.DECClustering`).  Same
        input requirement as ``augment``.  It did not help DMAE: on all
        70,000 MNIST images the end-to-end phase took a start of 0.854 to
        0.785 ACC with it, where without it 0.862 went to 0.858.
    augment_rotation : float, default=17.19
        Largest rotation of ``augment`` and ``augment_clustering``, in degrees:
        the authors' code's 0.3 rad.
    augment_shift : float, default=2 / 28
        Largest shift of ``augment`` and ``augment_clustering``, as a fraction of the
        image's height and width: the authors' code's 2 pixels on 28 x 28 images.
        DEC, IDEC and DCN default to DEC-DA's ranges instead (10 degrees, 0.1),
        which were DMAE's too until the paper's ranges beat them: on 10,000
        MNIST images (100 pretraining epochs, seeds 0 and 1) k-means on the
        pretrained embedding rose from 0.786 / 0.792 to 0.807 / 0.810 ACC
        (NMI 0.722 / 0.726 to 0.739 / 0.748), and on all 70,000 images
        (``augment=True``, seeds 0-2) DMAE ended at 0.949 / 0.856 / 0.863 ACC
        (mean 0.889, NMI 0.852) against 0.858 / 0.851 / 0.845 (mean 0.851,
        NMI 0.820).
    epochs : int, default=50
        Epochs of end-to-end training.
    lr : float, default=1e-5
        Learning rate of end-to-end training (Adam), the reference code's.
        End-to-end training moves the partition it starts from (k-means on
        the pretrained embedding) in proportion to how far the encoder
        moves: on a 10,000-image MNIST subset with an autoencoder pretrained
        on augmented images, 10 epochs at ``1e-4`` lowered accuracy from
        0.75 to 0.71, at ``1e-5`` to 0.73.
    optimizer : {{"adam", "sgd"}} or torch optimizer class, default="adam"
        Optimizer of end-to-end training.
    n_init : int, default=10
        Number of k-means runs or k-means++ seedings of the initialisation.
    batch_size : int, default=256
        Mini-batch size of both phases.
    precision : {"float32", "tf32", "bf16"}, default="float32"
        Arithmetic of training (both phases): float32, TF32 products on CUDA,
        or the network's layers under bfloat16 autocast (the user guide's
        :ref:`precision` says what stays float32 and what it costs).
    callbacks : list of skorch callbacks, default=None
        Extra callbacks for the end-to-end phase (copied before use).
    device : str, default="auto"
        ``"auto"`` trains on CUDA when available, else on the CPU.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, batch order, augmentation and k-means.
    verbose : int, default=0
        1 prints skorch's table of losses per epoch; 2 or more adds a progress
        bar over each epoch's batches (needs tqdm).

    Attributes
    ----------
    labels_ : ndarray of shape (n_samples,)
        Cluster of each training sample.
    cluster_centers_ : ndarray of shape (n_clusters, embedding_dim)
        Centres ``theta_k`` in the embedding space.
    weights_ : ndarray of shape (n_clusters,)
        Mixing weights ``pi_k``.
    precisions_ : ndarray of shape (n_clusters, embedding_dim, embedding_dim)
        Precisions ``W_k W_k^T``; only with ``dissimilarity="mahalanobis"``.
    net_ : skorch.NeuralNet
        The trained network (``module_.autoencoder`` and ``module_.mixture``).
    history_ : skorch.History
        Losses of the end-to-end phase.
    pretrain_history_ : skorch.History or None
        Losses of pretraining.
    device_ : str
        Device the network was trained on.
    n_iter_ : int
        Epochs of the end-to-end phase.
    input_shape_ : tuple of int or None
        Image shape the network was built for, if any.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    DMMClustering : The mixture alone, on the inputs.
    skdeepcluster.DECClustering : Student's t assignments hardened by a target distribution.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from skdeepcluster.dmae import DMAEClustering
    >>> X, _ = make_blobs(n_samples=60, centers=3, random_state=0)
    >>> dmae = DMAEClustering(n_clusters=3, hidden_dims=(16,), embedding_dim=2,
    ...                       pretrain_epochs=5, epochs=5, random_state=0)
    >>> dmae.fit_predict(X).shape
    (60,)
    >>> dmae.predict_proba(X).shape
    (60, 3)
    """

    _parameter_constraints = {
        **BaseDeepClustering._parameter_constraints,
        **_DissimilarityMixtureMixin._mixture_constraints,
        "clustering_weight": [Interval(Real, 0, None, closed="left")],
        "reconstruction_weight": [Interval(Real, 0, None, closed="left")],
        "embedding_reconstruction_weight": [Interval(Real, 0, None, closed="left")],
        "center_update": [StrOptions({"gradient", "mean"})],
        "freeze_encoder": ["boolean"],
        "pretrain_features": [HasMethods(["fit_transform"]), None],
        **BaseDeepClustering._augmentation_constraints,
    }

    _shallow = False

    def __init__(
        self,
        n_clusters=8,
        *,
        dissimilarity="euclidean",
        dissimilarity_params=None,
        alpha=1000.0,
        trainable_weights=False,
        init="auto",
        init_covariance_type="tied",
        clustering_weight=0.01,
        reconstruction_weight=1.0,
        embedding_reconstruction_weight=0.0,
        center_update="gradient",
        freeze_encoder=False,
        hidden_dims=(500, 500, 2000),
        embedding_dim=10,
        network="mlp",
        input_shape=None,
        encoder=None,
        decoder=None,
        weight_init="torch",
        pretrain_epochs=100,
        pretrain_lr=1e-3,
        pretrain_optimizer="adam",
        pretrain_features=None,
        augment=False,
        augment_clustering=False,
        augment_rotation=17.19,
        augment_shift=2 / 28,
        epochs=50,
        lr=1e-5,
        optimizer="adam",
        n_init=10,
        batch_size=256,
        precision="float32",
        callbacks=None,
        device="auto",
        random_state=None,
        verbose=0,
    ):
        self.n_clusters = n_clusters
        self.dissimilarity = dissimilarity
        self.dissimilarity_params = dissimilarity_params
        self.alpha = alpha
        self.trainable_weights = trainable_weights
        self.init = init
        self.init_covariance_type = init_covariance_type
        self.clustering_weight = clustering_weight
        self.reconstruction_weight = reconstruction_weight
        self.embedding_reconstruction_weight = embedding_reconstruction_weight
        self.center_update = center_update
        self.freeze_encoder = freeze_encoder
        self.hidden_dims = hidden_dims
        self.embedding_dim = embedding_dim
        self.network = network
        self.input_shape = input_shape
        self.encoder = encoder
        self.decoder = decoder
        self.weight_init = weight_init
        self.pretrain_epochs = pretrain_epochs
        self.pretrain_lr = pretrain_lr
        self.pretrain_optimizer = pretrain_optimizer
        self.pretrain_features = pretrain_features
        self.augment = augment
        self.augment_clustering = augment_clustering
        self.augment_rotation = augment_rotation
        self.augment_shift = augment_shift
        self.epochs = epochs
        self.lr = lr
        self.optimizer = optimizer
        self.n_init = n_init
        self.batch_size = batch_size
        self.precision = precision
        self.callbacks = callbacks
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def _fit_clustering(self, autoencoder, X_train, seed):
        reconstruct = self.reconstruction_weight > 0
        reconstruct_embedding = self.embedding_reconstruction_weight > 0
        for name, needed in (("reconstruction_weight", reconstruct),
                             ("embedding_reconstruction_weight", reconstruct_embedding)):
            if needed and autoencoder.decoder is None:
                raise ValueError(
                    f"{name} > 0 needs a decoder: pass decoder= with encoder=, or "
                    f"set {name}=0."
                )
        if self.center_update == "mean" and self.dissimilarity == "toroidal":
            raise ValueError(
                'center_update="mean" averages the embeddings, which is wrong on a torus; use '
                'center_update="gradient" with dissimilarity="toroidal".'
            )
        mixture = self._init_mixture(self._encode(autoencoder, X_train), seed)
        module = DMAEModule(
            autoencoder, mixture, reconstruct=reconstruct,
            reconstruct_embedding=reconstruct_embedding,
        )
        criterion = self._loading_criterion()
        callbacks = self._named_user_callbacks()
        if self.center_update == "mean":
            callbacks.insert(0, ("center_update", CenterUpdate(self._inference_batch_size)))
        net = self._make_net(
            module, criterion, epochs=self.epochs, lr=self.lr, optimizer=self.optimizer,
            seed=seed + 1, callbacks=callbacks, augmentation=self._clustering_augmentation(),
        )
        autoencoder.encoder.requires_grad_(not self.freeze_encoder)
        try:
            net.fit(X_train, None)
        finally:
            autoencoder.encoder.requires_grad_(True)
        return net

    def _init_module(self, n_features, state_dict):
        return self._mixture_module_like(
            self._build_autoencoder(n_features), state_dict,
            reconstruct=self.reconstruction_weight > 0,
            reconstruct_embedding=self.embedding_reconstruction_weight > 0,
        )

    def _loading_criterion(self):
        return self._criterion(
            self.clustering_weight, self.reconstruction_weight,
            self.embedding_reconstruction_weight,
        )
