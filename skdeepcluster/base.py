"""The base estimator: what every deep clusterer shares.

Input validation, device choice, seeding, autoencoder construction and
pretraining, prediction in chunks and the scikit-learn protocol live here
once; a method's estimator adds its network, its loss and its schedule.
"""

import copy
import functools
import math
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    ClusterMixin,
    TransformerMixin,
    _fit_context,
    clone,
)
from sklearn.cluster import KMeans
from sklearn.utils import check_array, check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data
from skorch.callbacks import LRScheduler
from skorch.history import History
from torch import nn

from .augment import ImageAugmentation
from .engine import (
    PRECISIONS,
    DeepClusteringNet,
    SparseRows,
    evaluation_mode,
    map_in_chunks,
    resolve_device,
    seeded,
    to_training_tensor,
)
from .losses import FeatureRegressionLoss, ReconstructionLoss
from .networks import (
    Autoencoder,
    BatchNormConvAutoencoder,
    ConvAutoencoder,
    MLPAutoencoder,
    Unflatten,
    _EmbeddingOnly,
    glorot_init,
)

__all__ = ["BaseDeepClustering"]

# The built-in image autoencoders, by the name ``network`` takes.
_IMAGE_NETWORKS = {"conv": ConvAutoencoder, "conv_bn": BatchNormConvAutoencoder}

_OPTIMIZERS = {"adam": torch.optim.Adam, "sgd": torch.optim.SGD}
# Fused Adam runs on the CPU from torch 2.4 on.
_FUSED_CPU_ADAM = tuple(int(part) for part in torch.__version__.split(".")[:2]) >= (2, 4)


def _optimizer_params(optimizer, device, graph_safe=False):
    """skorch arguments for an optimizer given by name or class.

    ``graph_safe`` marks a class of this package that, like Adam, accepts
    ``capturable=True``.  A user's own class is passed on untouched.  On the
    CPU, Adam (by name, or a class of this package) runs fused: one kernel per
    parameter instead of a dozen, about 4x less time per step on the
    ``d-500-500-2000-10`` autoencoder and the same updates.
    """
    ours = isinstance(optimizer, str) or graph_safe
    cls = _OPTIMIZERS[optimizer] if isinstance(optimizer, str) else optimizer
    params = {"optimizer": cls}
    if optimizer == "sgd":
        params["optimizer__momentum"] = 0.9  # as the DEC reference
    elif ours and torch.device(device).type == "cuda":
        params["optimizer__capturable"] = True  # lets the engine capture the step in a CUDA graph
    elif ours and _FUSED_CPU_ADAM and issubclass(cls, torch.optim.Adam):
        params["optimizer__fused"] = True
    return params


class BaseDeepClustering(
    ClassNamePrefixFeaturesOutMixin, TransformerMixin, ClusterMixin, BaseEstimator
):
    """Shared machinery of the deep clustering estimators.

    Not meant to be instantiated; subclasses implement
    ``_fit_clustering(autoencoder, X_train, seed)`` (or override
    ``_fit_network(X_train, seed)``) that returns the fitted
    :class:`~skdeepcluster.engine.DeepClusteringNet` whose module has
    ``encode(x)`` (embeddings) and ``assign(z)`` (soft assignments) methods.
    """

    _parameter_constraints = {
        "n_clusters": [Interval(Integral, 1, None, closed="left")],
        "hidden_dims": ["array-like"],
        "embedding_dim": [Interval(Integral, 1, None, closed="left")],
        "network": [StrOptions({"mlp", "conv", "conv_bn"})],
        "input_shape": ["array-like", None],
        "encoder": [nn.Module, None],
        "decoder": [nn.Module, None],
        "pretrain_epochs": [Interval(Integral, 0, None, closed="left")],
        "pretrain_lr": [Interval(Real, 0, None, closed="neither")],
        "pretrain_optimizer": [StrOptions(set(_OPTIMIZERS)), type],
        "weight_init": [StrOptions({"torch", "glorot"})],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "optimizer": [StrOptions(set(_OPTIMIZERS)), type],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "precision": [StrOptions(set(PRECISIONS))],
        "callbacks": [list, None],
        "device": [str, torch.device, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    # Chunk size of inference: memory stays bounded whatever the number of samples.
    _inference_batch_size = 4096

    # Fitted attributes that skdeepcluster.persistence.save stores otherwise (weights,
    # histories) or not at all.
    _unsaved_attributes = ("net_", "pretrain_history_")

    # ------------------------------------------------------------------ fit

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Train the network and cluster ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, C, H, W)
            Training data.  Images may also be given flat, with ``input_shape``.
        y : Ignored
            Not used, present for API consistency.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        X = self._validate_input(X, reset=True)
        n_samples = X.shape[0]
        if n_samples < max(2, self.n_clusters):
            raise ValueError(
                f"n_samples={n_samples} should be >= n_clusters={self.n_clusters} "
                "(and at least 2)."
            )
        for switch in ("augment", "augment_clustering"):
            self._augmentation(switch)  # image input checked before any training
        self.device_ = resolve_device(self.device)
        seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        with seeded(seed, self.device_):
            X_train = to_training_tensor(X, self.device_)
            self.net_ = self._fit_network(X_train, seed)
        del X_train
        self._set_fitted_attributes(X)
        return self

    def _set_fitted_attributes(self, X):
        """Fitted attributes read off the trained ``net_`` and the validated training ``X``."""
        self._n_features_out = self._embedding_dim(self.net_.module_)
        self.n_iter_ = max(len(self.net_.history), 1)
        self.labels_, self.cluster_centers_ = self._labels_and_centers(X)

    def _labels_and_centers(self, X):
        """``labels_`` and ``cluster_centers_`` of the validated training ``X``."""
        return self._labels_in_chunks(X), self._cluster_centers(X)

    def _fit_network(self, X_train, seed):
        """Train and return the clustering :class:`DeepClusteringNet`.

        The default is the autoencoder recipe: build the autoencoder, pretrain
        it on reconstruction (``pretrain_history_``), then hand it to the
        method's ``_fit_clustering(autoencoder, X_train, seed)``.  Methods
        without an autoencoder (DDC) override this instead.
        """
        autoencoder = self._build_autoencoder(X_train.shape[1])
        autoencoder, self.pretrain_history_ = self._pretrain(autoencoder, X_train, seed)
        return self._fit_clustering(autoencoder, X_train, seed)

    # ---------------------------------------------------- weights-only loading

    def _init_module(self, n_features, state_dict):
        """An untrained clustering module shaped like the fitted one (for loading weights).

        ``state_dict`` is the saved one, for shapes the parameters do not
        determine.  Each method implements it; see
        :mod:`skdeepcluster.persistence`.
        """
        raise NotImplementedError(f"{type(self).__name__} does not support weights-only loading.")

    def _loading_criterion(self):
        """The criterion a loaded network carries (it is not used for inference)."""
        return ReconstructionLoss()

    def _wrap_module(self, module, net_class=DeepClusteringNet, optimizer=torch.optim.Adam):
        """A fitted-looking :class:`DeepClusteringNet` (or ``net_class``) around loaded ``module``."""
        net = net_class(
            module=module.to(self.device_),
            criterion=self._loading_criterion(),
            batch_size=self.batch_size,
            train_split=None,
            device=self.device_,
            verbose=0,
            optimizer=optimizer,
        )
        return net.initialize()

    def _validate_input(self, X, reset):
        """Validate with scikit-learn's helpers; image batches are flattened."""
        image_shape = None
        if not reset:
            check_is_fitted(self)
        if getattr(X, "ndim", 2) > 2:
            X = check_array(X, allow_nd=True, dtype=[np.float64, np.float32])
            image_shape = X.shape[1:]
            X = X.reshape(X.shape[0], -1)
            if not reset and self.input_shape_ is not None:
                fitted = tuple(self.input_shape_)
                if tuple(image_shape) != fitted and (1, *image_shape) != fitted:
                    raise ValueError(
                        f"X has images of shape {tuple(image_shape)}, but "
                        f"{type(self).__name__} was fitted on images of shape {fitted}."
                    )
        X = validate_data(
            self, X, reset=reset, dtype=[np.float64, np.float32], accept_sparse="csr"
        )
        if reset:
            self.input_shape_ = self._resolve_input_shape(image_shape, X.shape[1])
            if sp.issparse(X) and self.input_shape_ is not None:
                raise ValueError(
                    "Sparse input is supported by fully connected networks only; the "
                    f"{type(self).__name__} was set up for images of shape {self.input_shape_} "
                    "(an image network or input_shape). Use X.toarray() for images."
                )
        return X

    def _resolve_input_shape(self, image_shape, n_features):
        if image_shape is not None:
            shape = tuple(int(s) for s in image_shape)
            if self.network in _IMAGE_NETWORKS and self.encoder is None:
                if len(shape) == 2:  # (n, H, W): one-channel images
                    shape = (1, *shape)
                elif len(shape) != 3:
                    raise ValueError(
                        f"network={self.network!r} needs images of shape (n_samples, C, H, W) or "
                        f"(n_samples, H, W); got X with {len(shape) + 1} dimensions."
                    )
            return shape
        if self.input_shape is not None:
            shape = tuple(int(s) for s in self.input_shape)
            if math.prod(shape) != n_features:
                raise ValueError(
                    f"input_shape={shape} holds {math.prod(shape)} values but X has "
                    f"{n_features} features."
                )
            return shape
        if self.network in _IMAGE_NETWORKS:
            side = math.isqrt(n_features)
            if side * side != n_features:
                raise ValueError(
                    f"network={self.network!r} needs images: pass X as (n_samples, C, H, W) or set "
                    f"input_shape=(C, H, W); {n_features} flat features are not a square "
                    "one-channel image."
                )
            return (1, side, side)
        return None

    def _build_autoencoder(self, n_features):
        """The network from the parameters, or a deep copy of the user's modules."""
        if self.encoder is not None:  # they keep their own initialisation
            encoder = copy.deepcopy(self.encoder)
            decoder = copy.deepcopy(self.decoder) if self.decoder is not None else None
            if self.input_shape_ is not None:
                # Batches travel flat; the user's modules see images and may return them.
                encoder = nn.Sequential(Unflatten(self.input_shape_), encoder)
                if decoder is not None:
                    decoder = nn.Sequential(decoder, nn.Flatten())
            return Autoencoder(encoder, decoder)
        if self.decoder is not None:
            raise ValueError("decoder was given without an encoder; pass both.")
        if self.network in _IMAGE_NETWORKS:
            network = _IMAGE_NETWORKS[self.network]
            autoencoder = network(self.input_shape_, embedding_dim=self.embedding_dim)
        else:
            autoencoder = MLPAutoencoder(n_features, self.hidden_dims, self.embedding_dim)
        if getattr(self, "weight_init", "torch") == "glorot":
            glorot_init(autoencoder)
        return autoencoder

    def _make_net(
        self,
        module,
        criterion,
        *,
        epochs,
        lr,
        optimizer,
        seed,
        callbacks=(),
        augmentation=None,
        net_class=DeepClusteringNet,
        graph_safe_optimizer=False,
        **net_params,
    ):
        """A :class:`DeepClusteringNet` (or ``net_class``) with the estimator's shared settings.

        On CUDA the training step runs as a CUDA graph, unless the optimizer
        is a user's class (an optimizer class of this package that supports
        capture says so with ``graph_safe_optimizer=True``) or a callback may
        change the learning rate (a captured step keeps the value it was
        captured with).  ``net_params`` go to ``net_class``.
        """
        callbacks = list(callbacks)
        schedules_lr = any(
            isinstance(cb[1] if isinstance(cb, tuple) else cb, LRScheduler) for cb in callbacks
        )
        return net_class(
            module=module,
            criterion=criterion,
            cuda_graph=(isinstance(optimizer, str) or graph_safe_optimizer) and not schedules_lr,
            lr=lr,
            max_epochs=epochs,
            batch_size=self.batch_size,
            train_split=None,
            device=self.device_,
            verbose=self.verbose,
            callbacks=callbacks,
            iterator_train__seed=seed,
            augmentation=augmentation,
            precision=getattr(self, "precision", "float32"),
            **_optimizer_params(optimizer, self.device_, graph_safe=graph_safe_optimizer),
            **net_params,
        )

    def _pretrain(self, autoencoder, X_train, seed):
        """Train the autoencoder on reconstruction for ``pretrain_epochs``.

        With a ``pretrain_features`` transformer (estimators that take one),
        the encoder is first trained for ``pretrain_epochs`` to regress the
        transformer's features of ``X_train``, then the decoder alone, the
        encoder frozen, on reconstruction.  Returns the autoencoder and the
        pretraining history (both stages, their rows marked by ``"stage"``).
        """
        if self.pretrain_epochs == 0:
            return autoencoder.to(self.device_), None
        if autoencoder.decoder is None:
            raise ValueError(
                "pretraining needs a decoder: pass decoder= with encoder=, or set "
                "pretrain_epochs=0 for an encoder that is already trained."
            )
        make_net = functools.partial(
            self._make_net,
            epochs=self.pretrain_epochs,
            lr=self.pretrain_lr,
            optimizer=getattr(self, "pretrain_optimizer", "adam"),
            seed=seed,
            augmentation=self._pretrain_augmentation(),
        )
        features = getattr(self, "pretrain_features", None)
        if features is None:
            net = make_net(autoencoder, ReconstructionLoss())
            net.fit(X_train, None)
            return net.module_, net.history
        targets = self._pretrain_targets(features, autoencoder, X_train, seed)
        encoder_net = make_net(_EmbeddingOnly(autoencoder), FeatureRegressionLoss(targets))
        encoder_net.fit(X_train, None)
        autoencoder = encoder_net.module_.autoencoder
        autoencoder.encoder.requires_grad_(False)
        try:
            decoder_net = make_net(autoencoder, ReconstructionLoss())
            decoder_net.fit(X_train, None)
        finally:
            autoencoder.encoder.requires_grad_(True)
        history = History()
        for stage, net in (("features", encoder_net), ("reconstruction", decoder_net)):
            for row in net.history:
                history.append({**row, "epoch": len(history) + 1, "stage": stage})
        return decoder_net.module_, history

    def _pretrain_targets(self, features, autoencoder, X_train, seed):
        """``pretrain_features``' transform of the training data, checked against the embedding."""
        features = clone(features)
        if features.get_params().get("random_state", 0) is None:
            features.set_params(random_state=seed)  # reproducible under the estimator's seed
        X = X_train.X if isinstance(X_train, SparseRows) else X_train.cpu().numpy()
        targets = features.fit_transform(X)
        targets = targets.toarray() if sp.issparse(targets) else np.asarray(targets)
        device = next(autoencoder.parameters()).device
        with evaluation_mode(autoencoder), torch.no_grad():
            width = autoencoder.encode(X_train[:1].to(device)).shape[1]
        if targets.ndim != 2 or targets.shape != (X.shape[0], width):
            raise ValueError(
                f"pretrain_features={features!r} gave features of shape {targets.shape}, but the "
                f"encoder embeds {X.shape[0]} samples in {width} dimensions; make them agree "
                "(embedding_dim, or the transformer's n_components)."
            )
        if not np.isfinite(targets).all():
            raise ValueError(f"pretrain_features={features!r} gave non-finite features.")
        return torch.as_tensor(targets, dtype=torch.float32, device=self.device_)

    def _pretrain_augmentation(self):
        """Random rotations and shifts of pretraining images, for estimators with ``augment=True``."""
        return self._augmentation("augment")

    def _clustering_augmentation(self):
        """The same for the clustering phase, for estimators with ``augment_clustering=True``."""
        return self._augmentation("augment_clustering")

    def _augmentation(self, switch):
        if not getattr(self, switch, False):
            return None
        if self.input_shape_ is None:
            raise ValueError(
                f"{switch}=True needs images: pass X as (n_samples, C, H, W) or set "
                "input_shape=(C, H, W)."
            )
        return ImageAugmentation(
            self.input_shape_, rotation=self.augment_rotation, shift=self.augment_shift
        )

    # The constraints of the switches above and their ranges, for the estimators that take them.
    _augmentation_constraints = {
        "augment": ["boolean"],
        "augment_clustering": ["boolean"],
        "augment_rotation": [Interval(Real, 0, 180, closed="both")],
        "augment_shift": [Interval(Real, 0, 1, closed="both")],
    }

    def _user_callbacks(self):
        # skorch re-initialises callbacks in place: hand it copies, never the user's objects.
        return copy.deepcopy(self.callbacks) if self.callbacks else []

    def _named_user_callbacks(self):
        """Copies of the user's callbacks as ``(name, callback)`` pairs, unique names."""
        return [
            cb if isinstance(cb, tuple) else (f"user_{i}_{type(cb).__name__}", cb)
            for i, cb in enumerate(self._user_callbacks())
        ]

    def _kmeans_centers(self, autoencoder, X_train, seed):
        """k-means on the embeddings, the usual centroid initialisation."""
        return self._kmeans_on(self._encode(autoencoder, X_train), seed)

    def _kmeans_on(self, embeddings, seed):
        kmeans = KMeans(self.n_clusters, n_init=self.n_init, random_state=seed)
        kmeans.fit(embeddings.astype(np.float64))
        return kmeans.cluster_centers_

    def _encode(self, module, X):
        with evaluation_mode(module):
            return map_in_chunks(
                module.encode, X, self.device_, batch_size=self._inference_batch_size
            )

    @staticmethod
    def _embedding_dim(module):
        centers = getattr(module, "centers", None)
        if centers is not None:
            return int(centers.shape[1])
        raise AttributeError("the clustering module exposes no centers")

    def _cluster_centers(self, X):
        """``cluster_centers_`` after training on ``X``: the module's centroids by default."""
        return self.net_.module_.centers.detach().cpu().numpy().astype(np.float64)

    # ------------------------------------------------------------ inference

    def _inference(self, X, fn):
        """Apply ``fn(module, x)`` to validated ``X`` in chunks, in the dtype of ``X``.

        float64 input runs through a float64 copy of the network, so results do
        not depend on how the samples are batched.
        """
        module = self.net_.module_
        device = next(module.parameters()).device
        dtype = torch.float64 if X.dtype == np.float64 else torch.float32
        if dtype == torch.float64:
            module = copy.deepcopy(module).double()
        with evaluation_mode(module):
            return map_in_chunks(
                lambda x: fn(module, x), X, device, batch_size=self._inference_batch_size, dtype=dtype
            )

    def _predict_in_chunks(self, X):
        return self._inference(X, lambda m, x: m.assign(m.encode(x)))

    def _labels_in_chunks(self, X):
        """Hard labels of validated ``X`` (``labels_``, ``predict``, ``score``)."""
        return self._predict_in_chunks(X).argmax(axis=1).astype(np.int64)

    def predict(self, X):
        """Cluster index of each sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, C, H, W)
            New data.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Index of the cluster each sample belongs to.
        """
        X = self._validate_input(X, reset=False)
        return self._labels_in_chunks(X)

    def predict_proba(self, X):
        """Soft cluster assignments.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, C, H, W)
            New data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_clusters)
            Rows sum to one.
        """
        X = self._validate_input(X, reset=False)
        return self._predict_in_chunks(X)

    def transform(self, X):
        """Embed ``X`` with the trained encoder.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, C, H, W)
            New data.

        Returns
        -------
        embeddings : ndarray of shape (n_samples, embedding_dim)
            float64 for float64 input, float32 otherwise.
        """
        X = self._validate_input(X, reset=False)
        return self._inference(X, lambda m, x: m.encode(x))

    def fit_predict(self, X, y=None):
        """Fit and return the cluster index of each training sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, C, H, W)
            Training data.
        y : Ignored
            Not used, present for API consistency.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
        """
        return self.fit(X).labels_

    def score(self, X, y=None):
        """Opposite of the within-cluster sum of squares in the embedding space.

        The k-means objective of the embeddings of ``X`` around
        ``cluster_centers_`` (higher is better), as ``KMeans.score`` on
        ``transform(X)``.  Comparable between fits of one network, not between
        networks whose embeddings have different scales.

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
        embeddings = self._inference(X, lambda m, x: m.encode(x))
        residuals = embeddings - self.cluster_centers_[self._labels_in_chunks(X)]
        return -float(np.sum(residuals.astype(np.float64) ** 2))

    @property
    def history_(self):
        """skorch ``History`` of the clustering phase (losses, ``delta_label``)."""
        check_is_fitted(self)
        return self.net_.history

    def __setstate__(self, state):
        super().__setstate__(state)
        net = self.__dict__.get("net_")
        if net is not None:
            # skorch maps a net pickled on CUDA to the CPU where CUDA is absent; so does inference.
            self.device_ = str(net.device)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = False
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        # Fully connected networks take sparse rows (densified a batch at a time).
        tags.input_tags.sparse = (
            getattr(self, "network", "mlp") == "mlp"
            and getattr(self, "input_shape", None) is None
        )
        return tags
