"""The base estimator: the scikit-learn protocol every deep clusterer shares.

Input validation, device choice, seeding, the training net's settings,
prediction in chunks, ``score`` and the tags live here once;
:class:`~skdeepcluster.DeepClustering` adds the composition of network,
losses, schedule, cluster updates and readout.
"""

import copy
import math
import time
import warnings

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    ClusterMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import assert_all_finite, check_array, check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data
from skorch.callbacks import LRScheduler

from .engine import (
    DeepClusteringNet,
    evaluation_mode,
    map_in_chunks,
    resolve_device,
    seeded,
    to_training_tensor,
)
from .distributed import device_of_this_process, ensure_process_group, world
from .losses import ReconstructionLoss
from .rows import RELEASE_EVERY, is_lazy_array, is_memory_mapped, release_mapped_pages

__all__ = ["BaseDeepClustering"]

_OPTIMIZERS = {"adam": torch.optim.Adam, "sgd": torch.optim.SGD, "rmsprop": torch.optim.RMSprop}
# Fused Adam runs on the CPU from torch 2.4 on.
_FUSED_CPU_ADAM = tuple(int(part) for part in torch.__version__.split(".")[:2]) >= (2, 4)


def _assert_finite_in_chunks(X):
    """scikit-learn's finiteness check on an on-disk ``X``, without holding all of it.

    ``X`` is a memory-mapped array (whose pages are released as the check
    goes) or an h5py / zarr array.
    """
    rows = max(1, RELEASE_EVERY // max(1, X[:1].nbytes))
    for start in range(0, X.shape[0], rows):
        assert_all_finite(np.asarray(X[start : start + rows]), input_name="X")
        release_mapped_pages(X)


def _count(n, noun, plural=None):
    """``n`` and ``noun``, in the plural unless ``n`` is 1: '1 sample', '3 samples'."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def _optimizer_params(optimizer, device, graph_safe=False):
    """skorch arguments for an optimizer given by name or class.

    ``graph_safe`` marks a class of this package that, like Adam, accepts
    ``capturable=True``.  A user's own class is passed on untouched.  On the
    CPU, Adam (by name, or a class of this package) runs fused: one kernel per
    parameter instead of a dozen, so each step takes less time, with the same
    updates.
    """
    ours = isinstance(optimizer, str) or graph_safe
    cls = _OPTIMIZERS[optimizer] if isinstance(optimizer, str) else optimizer
    params = {"optimizer": cls}
    if optimizer == "rmsprop":
        params["optimizer__alpha"] = 0.9  # Keras's rho, as the DAC reference
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
    """The scikit-learn protocol of the deep clustering estimators.

    Not meant to be instantiated: :class:`~skdeepcluster.DeepClustering`
    implements ``_fit_network(X_train, seed)``, which returns the fitted
    :class:`~skdeepcluster.engine.DeepClusteringNet` whose module has
    ``encode(x)`` (features) and ``assign(z)`` (soft assignments) methods.
    """

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
        start = time.perf_counter()
        X, seed = self._start_fit(X)
        with seeded(seed, self.device_):
            X_train = to_training_tensor(X, self.device_)
            self.net_ = self._fit_network(X_train, seed)
        del X_train
        self._set_fitted_attributes(X)
        self._warn_if_clusters_lost(X)
        n_found = np.unique(self.labels_).size
        self._say(
            f"fitted in {time.perf_counter() - start:.1f} s: {n_found} of "
            f"n_clusters={self.n_clusters} clusters hold samples"
        )
        return self

    def _start_fit(self, X):
        """Validate the training ``X``, choose the device; the validated ``X`` and the seed."""
        X = self._validate_input(X, reset=True)
        self._check_n_samples(X.shape[0])
        self._check_before_training()
        self.device_ = resolve_device(self.device)
        ensure_process_group(self.device_)  # under torchrun: train with the other processes
        self.device_ = device_of_this_process(self.device_)
        seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        return X, seed

    def _check_n_samples(self, n_samples):
        """A ValueError unless there are at least 2 samples and ``n_clusters`` of them."""
        if n_samples < self.n_clusters:
            # The same condition and words as KMeans, and what cannot be done.
            raise ValueError(
                f"n_samples={n_samples} should be >= n_clusters={self.n_clusters}: "
                f"{type(self).__name__} cannot make {self.n_clusters} clusters of "
                f"{_count(n_samples, 'sample')}."
            )
        if n_samples < 2:
            raise ValueError(
                f"{type(self).__name__} needs at least 2 samples to fit, got "
                f"{_count(n_samples, 'sample')}."
            )

    def _validate_lazy_input(self, X, reset):
        """An h5py dataset or zarr array: checked a chunk at a time, left on disk."""
        if len(X.shape) != 2:
            raise ValueError(
                f"An h5py or zarr array must have 2 dimensions (n_samples, n_features); got "
                f"shape {tuple(X.shape)}. Flatten images to rows when writing them."
            )
        if not np.issubdtype(np.dtype(X.dtype), np.number):
            raise ValueError(f"X must hold numbers; got dtype {X.dtype}.")
        # The first rows go through scikit-learn's checks (n_features_in_, at least
        # one sample and one feature); all rows through the finiteness check.
        validate_data(self, np.asarray(X[:2], dtype=np.float32), reset=reset,
                      dtype=[np.float64, np.float32])
        if reset:
            self.input_shape_ = self._resolve_input_shape(None, X.shape[1])
        _assert_finite_in_chunks(X)
        return X

    def _say(self, message):
        """Print one line of progress, prefixed with the estimator's name, at ``verbose >= 1``.

        Of several processes training together, only the first prints.
        """
        if self.verbose and world()[0] == 0:
            print(f"[{type(self).__name__}] {message}", flush=True)

    def _check_before_training(self):
        """Checks of the settings against the validated input, before any training."""

    def _batch_size(self):
        """The mini-batch size of training: ``batch_size`` as resolved at fit."""
        return getattr(self, "batch_size_", self.batch_size)

    def _set_fitted_attributes(self, X):
        """Fitted attributes read off the trained ``net_`` and the validated training ``X``."""
        self._n_features_out = self._embedding_dim(self.net_.module_)
        self.n_iter_ = max(len(self.net_.history), 1)
        self.labels_, self.cluster_centers_ = self._labels_and_centers(X)

    def _warn_if_clusters_lost(self, X):
        """A ``ConvergenceWarning`` when fewer clusters than ``n_clusters`` hold a sample."""
        n_found = np.unique(self.labels_).size
        if n_found >= self.n_clusters:
            return
        message = (
            f"{type(self).__name__} ended with {_count(n_found, 'non-empty cluster')} out of "
            f"n_clusters={self.n_clusters}."
        )
        in_memory = isinstance(X, np.ndarray) and X.ndim == 2 and not is_memory_mapped(X)
        # (the distinct rows of a file would be a sorted copy of all of it)
        n_distinct = np.unique(X, axis=0).shape[0] if in_memory else None
        if n_distinct is not None and n_distinct < self.n_clusters:
            message += f" X holds only {_count(n_distinct, 'distinct sample')}."
        else:
            message += " " + self._training_budget_advice(X.shape[0])
        warnings.warn(message, ConvergenceWarning, stacklevel=4)

    def _training_budget_advice(self, n_samples):
        """What to try when a fit lost clusters, with the gradient steps it took."""
        epochs = getattr(self, "epochs_", None)
        batch_size = getattr(self, "batch_size_", None)
        if epochs is None or batch_size is None:
            return "Train longer or try another random_state."
        from .compose.auto import AUTO_MIN_STEPS  # not at import: compose imports this module

        batches = math.ceil(n_samples / batch_size)
        steps = epochs * batches
        if steps < AUTO_MIN_STEPS[1]:
            return (
                f"Its clustering phase was short ({_count(steps, 'gradient step')}: "
                f"{_count(epochs, 'epoch')} of {_count(batches, 'batch', 'batches')}): "
                "train longer "
                f'(epochs="auto" takes at least {AUTO_MIN_STEPS[1]:,} steps) or use '
                "smaller batches."
            )
        return (
            f"It trained for {_count(steps, 'gradient step')}; try another random_state, a "
            "scaled input (e.g. StandardScaler), or fewer clusters."
        )

    def _labels_and_centers(self, X):
        """``labels_`` and ``cluster_centers_`` of the validated training ``X``."""
        return self._labels_in_chunks(X), self._cluster_centers(X)

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
            batch_size=self._batch_size(),
            train_split=None,
            device=self.device_,
            verbose=0,
            optimizer=optimizer,
        )
        return net.initialize()

    def _validate_input(self, X, reset):
        """Validate with scikit-learn's helpers; image batches are flattened.

        A memory-mapped array stays in its file: its values are checked a
        chunk at a time, and the pages read are released as the check goes.
        """
        image_shape = None
        if not reset:
            check_is_fitted(self)
        if is_lazy_array(X):
            return self._validate_lazy_input(X, reset)
        mapped = isinstance(X, np.ndarray) and is_memory_mapped(X)
        if getattr(X, "ndim", 2) > 2:
            X = check_array(X, allow_nd=True, dtype=[np.float64, np.float32],
                            ensure_all_finite=not mapped)
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
            self, X, reset=reset, dtype=[np.float64, np.float32], accept_sparse="csr",
            ensure_all_finite=not mapped,
        )
        if mapped:
            _assert_finite_in_chunks(X)
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
        """The image shape the network is built for, or None for flat input."""
        raise NotImplementedError

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
        capture says so with ``graph_safe_optimizer=True``), a callback may
        change the learning rate (a captured step keeps the value it was
        captured with) or the criterion runs the network itself
        (``needs_network``: VAT's extra passes and their gradient, not
        checked under capture).  ``net_params`` go to ``net_class``.
        """
        callbacks = list(callbacks)
        schedules_lr = any(
            isinstance(cb[1] if isinstance(cb, tuple) else cb, LRScheduler) for cb in callbacks
        )
        capturable = not schedules_lr and not getattr(criterion, "needs_network", False)
        return net_class(
            module=module,
            criterion=criterion,
            cuda_graph=(isinstance(optimizer, str) or graph_safe_optimizer) and capturable,
            lr=lr,
            max_epochs=epochs,
            batch_size=self._batch_size(),
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

    def _user_callbacks(self):
        # skorch re-initialises callbacks in place: hand it copies, never the user's objects.
        return copy.deepcopy(self.callbacks) if self.callbacks else []

    def _named_user_callbacks(self):
        """Copies of the user's callbacks as ``(name, callback)`` pairs, unique names."""
        return [
            cb if isinstance(cb, tuple) else (f"user_{i}_{type(cb).__name__}", cb)
            for i, cb in enumerate(self._user_callbacks())
        ]

    def _encode(self, module, X):
        with evaluation_mode(module):
            return map_in_chunks(
                module.encode, X, self.device_, batch_size=self._inference_batch_size
            )

    @staticmethod
    def _embedding_dim(module):
        """Width of the features ``transform`` returns."""
        width = getattr(module, "embedding_dim", None)
        if width is not None:
            return int(width)
        centers = getattr(module, "centers", None)
        if centers is not None:
            return int(centers.shape[1])
        output = getattr(module, "output", None)
        if output is not None:
            return int(output.weight.shape[-1])  # a softmax head on the features
        # a network without a clustering head: the width of its encoder's last dense layer
        linear = [m for m in module.encoder.modules() if isinstance(m, torch.nn.Linear)]
        return int(linear[-1].out_features)

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

    def _features(self, X):
        """The clustering features of validated ``X`` (what ``transform`` returns)."""
        return self._inference(X, lambda m, x: m.encode(x))

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
        return self._features(X)

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
        embeddings = self._features(X)
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
