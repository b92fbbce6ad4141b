"""DeepClustering: one estimator whose parameters are the axes of the taxonomy."""

import functools
import math
import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from skorch.history import History

from ..augment import ImageAugmentation
from ..base import _OPTIMIZERS, BaseDeepClustering, _count
from ..engine import PRECISIONS, DeepClusteringNet, evaluation_mode, seeded, to_training_tensor
from ..losses.combined import CombinedLoss
from ..losses.reconstruction import FeatureRegressionLoss, ReconstructionLoss
from ..networks.autoencoders import _EmbeddingOnly
from ..rows import host_array
from ..updates import _percent
from ._base import seeded_clone
from .losses import Hardening, start_samples
from .networks import AutoencoderNetwork, IdentityNetwork, LayerFeatures
from .auto import AUTO_MIN_STEPS
from .readouts import BestOfRuns, fit_clusterer
from .schedules import Augmentation, PretrainThenCluster
from .updates import CountedCentres

__all__ = ["DeepClustering"]


class _Composition:
    """The resolved components of one fit: defaults filled in, checked together."""

    def __init__(self, estimator):
        self.network = estimator.network if estimator.network is not None else AutoencoderNetwork()
        self.clustering_loss = (
            estimator.clustering_loss if estimator.clustering_loss is not None else Hardening()
        )
        losses = estimator.non_clustering_loss
        losses = [] if losses is None else list(losses) if isinstance(losses, (list, tuple)) else [losses]
        self.non_clustering_losses = [loss for loss in losses if loss.weight != 0]
        schedule = estimator.schedule
        if schedule is None:
            pretrain_steps, steps = AUTO_MIN_STEPS
            schedule = PretrainThenCluster(min_pretrain_steps=pretrain_steps, min_steps=steps)
        self.schedule = schedule
        update = estimator.cluster_update
        self.cluster_update = self.clustering_loss.updates[0]() if update == "auto" else update
        self.readout = estimator.readout
        self.augmentation = estimator.augmentation
        features = estimator.features
        if features == "auto":
            features = "hidden" if getattr(self.network, "has_softmax_head", False) else "embedding"
        self.features = features

    @property
    def n_runs(self):
        return self.readout.n_runs if isinstance(self.readout, BestOfRuns) else 1

    def outputs(self, estimator=None, X_train=None):
        """Network outputs the non-clustering terms read, and the terms.

        With the ``estimator`` and its training data, the terms that need
        the data (VAT's neighbour distances) compute it.
        """
        terms = []
        for loss in self.non_clustering_losses:
            source = getattr(loss, "source", None)
            output = None if source is None else self.clustering_loss.reconstruction_output(source)
            if X_train is None:
                terms.append((output, loss.term(output)))
            else:
                terms.append((output, loss.term(output, estimator, X_train)))
        return terms

    def head_flags(self):
        outputs = {output for output, _ in self.outputs()}
        flags = {"reconstruct": "reconstruction" in outputs}
        if "embedding_reconstruction" in outputs:
            flags["reconstruct_embedding"] = True
        if isinstance(self.cluster_update, CountedCentres):
            flags["initial_count"] = self.cluster_update.initial_count
        return flags

    def check(self, estimator):
        """Raise a ValueError naming both parts of an incompatible choice."""
        loss, network, update = self.clustering_loss, self.network, self.cluster_update
        name = type(loss).__name__
        if getattr(loss, "dissimilarity", None) == "toroidal" and not isinstance(
            network, IdentityNetwork
        ):
            warnings.warn(
                "dissimilarity='toroidal' measures coordinates on a periodic box, which a "
                f"network's embedding is not: {type(network).__name__}() maps the input's "
                "periodicity away. For periodic data cluster the input itself: "
                "DMMClustering(dissimilarity='toroidal'), or network=IdentityNetwork().",
                UserWarning, stacklevel=4,
            )
        if not isinstance(update, loss.updates):
            allowed = " or ".join(f"{cls.__name__}()" for cls in loss.updates)
            raise ValueError(
                f"cluster_update={update!r} does not fit clustering_loss={name}(): it works "
                f"with cluster_update={allowed} (or 'auto')."
            )
        has_softmax = getattr(network, "has_softmax_head", False)
        if has_softmax and not loss.uses_softmax:
            raise ValueError(
                f"network={type(network).__name__}() ends in a softmax head, which "
                f"clustering_loss={name}() does not use; use CauchySchwarz(), or "
                "AutoencoderNetwork()."
            )
        if self.n_runs > 1 and not has_softmax:
            raise ValueError(
                f"readout={self.readout!r} trains several runs together, which "
                f"network={type(network).__name__}() does not support; use "
                "SoftmaxHeadNetwork() or another readout."
            )
        if isinstance(self.readout, BestOfRuns):
            self.readout.check()
        for term in self.non_clustering_losses:
            if term.needs_decoder and not network.has_decoder():
                raise ValueError(estimator._no_decoder_message(term))
            if getattr(term, "needs_assignments", False) and not (has_softmax or loss.uses_softmax):
                raise ValueError(
                    f"non_clustering_loss={type(term).__name__}() compares soft assignments, "
                    f"which clustering_loss={name}() on network={type(network).__name__}() "
                    "does not give; use MutualInformation() or CauchySchwarz(), or "
                    "SoftmaxHeadNetwork()."
                )
        loss.check_update(update)
        if not loss.has_head:
            if isinstance(self.readout, (str, BestOfRuns)):
                raise ValueError(
                    f"clustering_loss={name}() puts no clustering head on the network, so "
                    f"readout={self.readout!r} has no assignments to read; pass a clusterer, "
                    "e.g. readout=KMeans()."
                )
            if not self.non_clustering_losses:
                raise ValueError(
                    f"clustering_loss={name}() trains on the non-clustering losses alone, and "
                    "there is none; pass non_clustering_loss=Reconstruction()."
                )
        loss.check_network(network)
        features = self.features
        if features == "hidden" and not has_softmax:
            raise ValueError(
                f"features='hidden' is the hidden layer before a softmax head; "
                f"network={type(network).__name__}() has none (use 'embedding' or 'layers')."
            )
        if features in ("embedding", "layers") and has_softmax:
            raise ValueError(
                f"network={type(network).__name__}() has no bottleneck embedding; use "
                "features='hidden' (or 'auto')."
            )
        if features == "layers":
            if not (type(network) is AutoencoderNetwork and network.encoder is None
                    and network.built_architecture(estimator.input_shape_) == "mlp"):
                raise ValueError(
                    "features='layers' concatenates the layers of a fully connected encoder; "
                    f"network={network!r} is not one."
                )
            if any(t.needs_decoder and (output != "reconstruction" or t.source != "embedding")
                   for (output, _), t in zip(self.outputs(), self.non_clustering_losses)):
                raise ValueError(
                    "features='layers' puts the clusters outside the embedding; the decoder "
                    "cannot reconstruct from their centres."
                )


class DeepClustering(BaseDeepClustering):
    """Deep clustering composed along the axes of the taxonomy of Aljalbout et al. (2018).

    Every deep clustering method is a choice of network, of the features the
    clustering sees, of a non-clustering loss, of a clustering loss, of how
    the losses combine over training, of how the clusters are updated and of
    how the labels come out.  Each parameter below is one axis, filled by a
    small component; the named estimators (:class:`DECClustering`,
    :class:`DCNClustering`, ...) are presets of this one, and each hands its
    composition over with ``to_deep_clustering()``.  See
    :ref:`taxonomy`.

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters.
    network : component, default=None
        Axis 1: :class:`~skdeepcluster.compose.AutoencoderNetwork` (the
        default, ``AutoencoderNetwork()``: ``d-500-500-2000-10``),
        :class:`~skdeepcluster.compose.SoftmaxHeadNetwork` (DDC's),
        :class:`~skdeepcluster.compose.VariationalAutoencoderNetwork` (VaDE's)
        or :class:`~skdeepcluster.compose.IdentityNetwork` (no network).
    features : {"auto", "embedding", "hidden", "layers"}, default="auto"
        Axis 2: the autoencoder's embedding, the hidden layer before a
        softmax head, or all layers of a fully connected encoder side by
        side.  ``"auto"`` is ``"hidden"`` for a softmax-head network and
        ``"embedding"`` otherwise.  ``transform`` returns them.
    non_clustering_loss : component, list of them, or None, default=None
        Axis 3: :class:`~skdeepcluster.compose.Reconstruction` (kept during
        the clustering phase), :class:`~skdeepcluster.compose.ELBOReconstruction`
        (a variational network's), several, or none.
    clustering_loss : component, default=None
        Axis 4: :class:`~skdeepcluster.compose.Hardening` (the default; DEC),
        :class:`~skdeepcluster.compose.KMeansLoss` (DCN),
        :class:`~skdeepcluster.compose.CauchySchwarz` (DDC),
        :class:`~skdeepcluster.compose.DissimilarityMixtureLoss` (DMAE),
        :class:`~skdeepcluster.compose.PairwiseDiscriminative` or
        :class:`~skdeepcluster.compose.MixturePriorKL` (VaDE).
    schedule : component, default=None
        Axis 5: :class:`~skdeepcluster.compose.PretrainThenCluster` or
        :class:`~skdeepcluster.compose.JointTraining`.  None is
        ``PretrainThenCluster(min_pretrain_steps=3000, min_steps=1500)``:
        100 epochs of pretraining and at most 100 of clustering, more on a
        data set too small for that many gradient steps.
    cluster_update : component or "auto", default="auto"
        Axis 6: :class:`~skdeepcluster.compose.Joint`,
        :class:`~skdeepcluster.compose.TargetRefresh`,
        :class:`~skdeepcluster.compose.CountedCentres`,
        :class:`~skdeepcluster.compose.MeanCentres` or
        :class:`~skdeepcluster.compose.EpochAssignments`; ``"auto"`` is the
        clustering loss's own.
    readout : "assignments", scikit-learn clusterer or component, default="assignments"
        Axis 7: the clustering head's assignments; a scikit-learn clusterer
        fitted on the final features (``KMeans()``, ``GaussianMixture()``; its
        ``n_clusters`` or ``n_components`` is set to ``n_clusters``), which
        then also predicts; or :class:`~skdeepcluster.compose.BestOfRuns`.
    augmentation : component or None, default=None
        :class:`~skdeepcluster.compose.Augmentation` of training images.
    lr : float, default=1e-3
        Learning rate of the clustering phase.
    optimizer : {"adam", "sgd"} or torch optimizer class, default="adam"
        Optimizer of the clustering phase (``"sgd"`` with momentum 0.9).
    n_init : int, default=20
        Number of k-means runs of the clustering head's initialisation.
    batch_size : int or "auto", default="auto"
        Mini-batch size of every phase.  ``"auto"`` is the clustering loss's
        paper's (256; 100 for :class:`~skdeepcluster.compose.CauchySchwarz`
        and :class:`~skdeepcluster.compose.MixturePriorKL`, 1000 for
        :class:`~skdeepcluster.compose.PairwiseDiscriminative`) on data of at
        least 50 such batches, and ``n_samples // 50`` (at least 32) on
        smaller data.
    precision : {"float32", "tf32", "bf16"}, default="float32"
        Arithmetic of training (see the user guide's :ref:`precision`).
    callbacks : list of skorch callbacks, default=None
        Extra callbacks of the clustering phase (copied before use).
    device : str, default="auto"
        ``"auto"`` trains on CUDA when available, else on the CPU.
    random_state : int, RandomState instance or None, default=None
        Seeds weights, batch order, initialisation and augmentation.
    verbose : int, default=0
        1 prints a line as each phase starts (pretraining, initialisation,
        clustering, readout) with its resolved settings, skorch's table of
        losses per epoch (coloured only on a terminal) and why training
        stopped early; 2 or more adds a progress bar over each epoch's
        batches (needs tqdm).

    Attributes
    ----------
    labels_ : ndarray of shape (n_samples,)
        Cluster of each training sample.
    cluster_centers_ : ndarray of shape (n_clusters, n_features_out)
        Centres in the feature space.
    net_ : skorch.NeuralNet
        The trained network with its clustering head.
    history_ : skorch.History
        Losses of the clustering phase.
    pretrain_history_ : skorch.History or None
        Losses of pretraining.
    readout_ : scikit-learn clusterer
        The fitted clusterer, when ``readout`` is one.
    device_ : str
        Device the network was trained on.
    n_iter_ : int
        Epochs of the clustering phase.
    batch_size_ : int
        Mini-batch size used (``batch_size`` resolved).
    pretrain_epochs_, epochs_ : int
        Epochs of pretraining and (at most) of the clustering phase, as the
        schedule resolved them for the training data.
    hidden_dims_ : tuple of int or None
        Hidden widths of the fully connected network built (``hidden_dims``
        resolved), None for other networks.
    input_shape_ : tuple of int or None
        Image shape the network was built for, if any.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    DECClustering, IDECClustering, DCNClustering, DDCClustering, DMAEClustering,
    DMMClustering, DiscriminativeLatentClustering, VaDEClustering : The presets.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from skdeepcluster import DeepClustering
    >>> from skdeepcluster.compose import (
    ...     AutoencoderNetwork, Hardening, PretrainThenCluster, Reconstruction)
    >>> X, _ = make_blobs(n_samples=60, centers=3, random_state=0)
    >>> model = DeepClustering(
    ...     3, network=AutoencoderNetwork(hidden_dims=(16,), embedding_dim=2),
    ...     non_clustering_loss=Reconstruction(weight=1.0),
    ...     clustering_loss=Hardening(weight=0.1),
    ...     schedule=PretrainThenCluster(pretrain_epochs=5, epochs=5), random_state=0)
    >>> model.fit_predict(X).shape
    (60,)
    >>> model.set_params(clustering_loss__alpha=2.0).get_params()["clustering_loss__alpha"]
    2.0
    """

    _parameter_constraints = {
        "n_clusters": [Interval(Integral, 1, None, closed="left")],
        "network": [HasMethods(["build", "resolve_input_shape"]), None],
        "features": [StrOptions({"auto", "embedding", "hidden", "layers"})],
        "non_clustering_loss": [HasMethods(["term"]), list, tuple, None],
        "clustering_loss": [HasMethods(["criterion", "start"]), None],
        "schedule": [HasMethods(["get_params"]), None],
        "cluster_update": [StrOptions({"auto"}), HasMethods(["callbacks"])],
        "readout": [StrOptions({"assignments"}), HasMethods(["fit"]), HasMethods(["select"])],
        "augmentation": [Augmentation, None],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "optimizer": [StrOptions(set(_OPTIMIZERS)), type],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "precision": [StrOptions(set(PRECISIONS))],
        "callbacks": [list, None],
        "device": [str, torch.device, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        n_clusters=8,
        *,
        network=None,
        features="auto",
        non_clustering_loss=None,
        clustering_loss=None,
        schedule=None,
        cluster_update="auto",
        readout="assignments",
        augmentation=None,
        lr=1e-3,
        optimizer="adam",
        n_init=20,
        batch_size="auto",
        precision="float32",
        callbacks=None,
        device="auto",
        random_state=None,
        verbose=0,
    ):
        self.n_clusters = n_clusters
        self.network = network
        self.features = features
        self.non_clustering_loss = non_clustering_loss
        self.clustering_loss = clustering_loss
        self.schedule = schedule
        self.cluster_update = cluster_update
        self.readout = readout
        self.augmentation = augmentation
        self.lr = lr
        self.optimizer = optimizer
        self.n_init = n_init
        self.batch_size = batch_size
        self.precision = precision
        self.callbacks = callbacks
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    # ---------------------------------------------------------- composition

    def _composition(self):
        return _Composition(self)

    def _resolve_input_shape(self, image_shape, n_features):
        return self._composition().network.resolve_input_shape(image_shape, n_features)

    def _augmentations(self):
        """The (pretraining, clustering) batch augmentations, or None each."""
        augmentation = self._composition().augmentation
        if augmentation is None or not (augmentation.pretraining or augmentation.clustering):
            return None, None
        if self.input_shape_ is None:
            switch = self._augmentation_switch("pretraining" if augmentation.pretraining else
                                               "clustering")
            raise ValueError(
                f"{switch} needs images: pass X as (n_samples, C, H, W) or set "
                "input_shape=(C, H, W)."
            )
        transform = ImageAugmentation(
            self.input_shape_, rotation=augmentation.rotation, shift=augmentation.shift,
            zoom=getattr(augmentation, "zoom", 0.0),
        )
        return (
            transform if augmentation.pretraining else None,
            transform if augmentation.clustering else None,
        )

    def _augmentation_switch(self, phase):
        """How the user asked for augmenting ``phase``, for error messages."""
        return f"augmentation=Augmentation({phase}=True)"

    def _no_decoder_message(self, loss):
        """The error for a reconstruction ``loss`` on a network without a decoder."""
        return (f"non_clustering_loss={loss!r} needs a decoder, but the network has none: "
                "pass decoder= with encoder=, or leave the reconstruction out.")

    def _check_before_training(self):
        self._composition().check(self)
        self._augmentations()  # image input checked before any training

    # ------------------------------------------------------------------ fit

    def _resolve_auto(self, c, n_samples, n_features):
        """Resolve the ``"auto"`` settings for the training data into fitted attributes."""
        batch_size = self.batch_size
        if batch_size == "auto":
            batch_size = c.clustering_loss.auto_batch_size(n_samples)
        self.batch_size_ = int(batch_size)
        self.pretrain_epochs_, self.epochs_ = c.schedule.resolve_epochs(
            n_samples, self.batch_size_
        )
        resolve = getattr(c.network, "resolve_hidden_dims", None)
        self.hidden_dims_ = resolve(n_features, self.input_shape_) if resolve is not None else None

    def _features_words(self, c):
        """The features the clusters live on, in words (for ``verbose``)."""
        if isinstance(c.network, IdentityNetwork):
            return "the input"
        return {
            "embedding": "the embedding", "hidden": "the hidden layer",
            "layers": "the encoder's layers side by side",
        }[c.features]

    def _phase_words(self, n_samples, epochs, lr, optimizer):
        """A training phase's resolved length and settings, in words (for ``verbose``)."""
        batches = math.ceil(n_samples / self.batch_size_)
        name = getattr(optimizer, "__name__", optimizer)  # a name, or an optimizer class
        return (
            f"{_count(epochs, 'epoch')} of {_count(batches, 'batch', 'batches')} of "
            f"{self.batch_size_} ({_count(epochs * batches, 'step')}), optimizer={name}, "
            f"lr={lr:g}"
        )

    def _fit_network(self, X_train, seed):
        c = self._composition()
        self._resolve_auto(c, *X_train.shape)
        n_samples = X_train.shape[0]
        self._say(
            f"fitting n_clusters={self.n_clusters} on {_count(n_samples, 'sample')} of "
            f"{_count(X_train.shape[1], 'feature')} on {self.device_}, batch size "
            f"{self.batch_size_}{' (auto)' if self.batch_size == 'auto' else ''}"
            + (f", hidden_dims={self.hidden_dims_}" if self.hidden_dims_ is not None else "")
        )
        c.clustering_loss = c.clustering_loss.resolve(X_train, self.batch_size_, self.n_clusters)
        if hasattr(c.network, "resolve"):  # a setting read off the data (a likelihood)
            c.network = c.network.resolve(X_train)
        pretrain_augmentation, clustering_augmentation = self._augmentations()
        module = c.network.build(X_train.shape[1], self.input_shape_, self.n_clusters, c.n_runs)
        if isinstance(c.schedule, PretrainThenCluster) and not isinstance(
            c.network, IdentityNetwork
        ):
            module, self.pretrain_history_ = self._pretrain(
                c, module, X_train, seed, pretrain_augmentation
            )
        else:
            module = module.to(self.device_)
        if c.features == "layers":
            module = LayerFeatures(module)
        where = self._features_words(c)
        sample = start_samples(X_train)
        self._say(
            f"initialising {_count(self.n_clusters, 'cluster')} "
            + c.clustering_loss.describe_start(self, where, c.network)
            + (f", on a uniform sample of {sample:,} rows (out of core)"
               if sample is not None and n_samples > sample else "")
        )
        head, start = c.clustering_loss.start(self, module, X_train, seed, **c.head_flags())
        criterion = CombinedLoss(
            c.clustering_loss.criterion(), [t for _, t in c.outputs(self, X_train)]
        )
        callbacks = [
            *c.clustering_loss.callbacks(self, c.schedule),
            *c.cluster_update.callbacks(self, start),
            *getattr(c.schedule, "callbacks", lambda lr: [])(self.lr),
            *self._named_user_callbacks(),
        ]
        if hasattr(c.network, "net_options"):
            options = c.network.net_options(getattr(self, "optimizer", "adam"))
        else:
            options = dict(optimizer=self.optimizer)
            if hasattr(c.schedule, "optimizer_options"):
                options.update(c.schedule.optimizer_options(self.optimizer))
        net = self._make_net(
            head, criterion, epochs=self.epochs_, lr=self.lr,
            seed=seed + c.schedule.clustering_seed_offset, callbacks=callbacks,
            augmentation=clustering_augmentation, **options,
        )
        encoder = getattr(module, "encoder", None)
        frozen = c.schedule.freeze_encoder and encoder is not None
        self._say(
            ("clustering phase" if isinstance(c.schedule, PretrainThenCluster) else
             "joint training (no pretraining)") + ": "
            + self._phase_words(n_samples, self.epochs_, self.lr, options["optimizer"])
            + (", encoder frozen" if frozen else "")
            + (f"; {c.cluster_update.stop_words()}" if hasattr(c.cluster_update, "stop_words")
               else f"; stops early when fewer than tol={_percent(c.cluster_update.tol)} of the "
               "assignments change" if getattr(c.cluster_update, "tol", 0) else "")
        )
        if frozen:
            encoder.requires_grad_(False)
        try:
            net.fit(X_train, None)
        finally:
            if frozen:
                encoder.requires_grad_(True)
        if getattr(net, "stop_reason_", None):
            self._say(net.stop_reason_)
        self._say_readout(c, where)
        for name, value in start.get("fitted", {}).items():
            setattr(self, name, value)
        if isinstance(c.readout, BestOfRuns):
            for name, value in c.readout.select(self, net, X_train).items():
                setattr(self, name, value)
        elif not isinstance(c.readout, str):  # a clusterer on the final features
            features = self._encode(net.module_, X_train)
            self.readout_ = fit_clusterer(c.readout, features, self.n_clusters, seed)
        return net

    def _reusable_pretraining(self):
        """Whether this composition's pretraining is independent of ``n_clusters``.

        It is when an autoencoder pretrains on reconstruction: one pretrained
        network then serves every ``n_clusters`` (see
        :func:`skdeepcluster.selection.choose_n_clusters`).
        """
        c = self._composition()
        return (
            isinstance(c.schedule, PretrainThenCluster) and isinstance(c.network, AutoencoderNetwork)
            and c.clustering_loss.pretraining_criterion() is None and c.n_runs == 1
        )

    def _pretrained_autoencoder(self, X):
        """The autoencoder after this composition's pretraining on ``X``, and its embedding.

        The same network, to the bit, that :meth:`fit` with this
        ``random_state`` starts its clustering phase from; the embedding of
        ``X`` is the one that phase's k-means start sees.
        """
        X, seed = self._start_fit(X)
        c = self._composition()
        with seeded(seed, self.device_):
            X_train = to_training_tensor(X, self.device_)
            self._resolve_auto(c, *X_train.shape)
            module = c.network.build(X_train.shape[1], self.input_shape_, self.n_clusters, 1)
            module, _ = self._pretrain(c, module, X_train, seed, self._augmentations()[0])
            embedding = self._encode(module, X_train)
        return module, embedding

    def _training_budget_advice(self, n_samples):
        if self._composition().clustering_loss.has_head:
            return super()._training_budget_advice(n_samples)
        return (
            f"The readout {type(self.readout_).__name__} found them on the trained features; "
            "try another random_state, a scaled input (e.g. StandardScaler), or fewer clusters."
        )

    def _say_readout(self, c, where):
        readout = c.readout
        if isinstance(readout, BestOfRuns):
            runs = _count(readout.n_runs, "run")
            self._say(
                f"readout: the three runs of lowest loss vote, of {runs} trained together"
                if readout.voting else
                f"readout: keeping the run of lowest loss, of {runs} trained together"
            )
        elif isinstance(readout, str):
            self._say("readout: the labels are the clustering head's assignments")
        else:
            self._say(
                f"readout: fitting {type(readout).__name__} with "
                f"{_count(self.n_clusters, 'cluster')} on {where} of the trained network"
            )

    def _pretrain(self, c, autoencoder, X_train, seed, augmentation):
        """Pretrain the network for the schedule's ``pretrain_epochs``; returns it and the history.

        On reconstruction by default; on the clustering loss's own pretraining
        term (plus the non-clustering terms) when it has one; in two stages
        with the schedule's ``pretrain_features``.
        """
        schedule = c.schedule
        if self.pretrain_epochs_ == 0:
            self._say("no pretraining (0 pretraining epochs)")
            return autoencoder.to(self.device_), None
        settings = self._phase_words(
            X_train.shape[0], self.pretrain_epochs_, schedule.pretrain_lr,
            schedule.pretrain_optimizer,
        )
        make_net = functools.partial(
            self._make_net, epochs=self.pretrain_epochs_, lr=schedule.pretrain_lr,
            optimizer=schedule.pretrain_optimizer, seed=seed, augmentation=augmentation,
        )
        own = c.clustering_loss.pretraining_criterion()
        if own is not None:
            self._say(f"pretraining the network on {type(own).__name__}: {settings}")
            terms = [t for _, t in c.outputs()]
            module = autoencoder if terms else _EmbeddingOnly(autoencoder)
            net = make_net(module, CombinedLoss(own, terms))
            net.fit(X_train, None)
            return autoencoder, net.history
        if autoencoder.decoder is None:
            raise ValueError(
                "pretraining needs a decoder: pass decoder= with encoder=, or set "
                "pretrain_epochs=0 for an encoder that is already trained."
            )
        features = schedule.pretrain_features
        if features is None:
            words, criterion = schedule.pretraining_criterion(
                [t for loss, (_, t) in zip(c.non_clustering_losses, c.outputs())
                 if getattr(loss, "pretrains", False)]
            )
            self._say(f"pretraining the autoencoder on {words}: {settings}")
            net = make_net(autoencoder, criterion)
            net.fit(X_train, None)
            return net.module_, net.history
        self._say(
            f"pretraining, stage 1 of 2: the encoder regresses the features of "
            f"{type(features).__name__}: {settings}"
        )
        targets = self._pretrain_targets(features, autoencoder, X_train, seed)
        encoder_net = make_net(_EmbeddingOnly(autoencoder), FeatureRegressionLoss(targets))
        encoder_net.fit(X_train, None)
        autoencoder = encoder_net.module_.autoencoder
        autoencoder.encoder.requires_grad_(False)
        self._say(f"pretraining, stage 2 of 2: the decoder reconstructs X: {settings}")
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
        features = seeded_clone(features, seed)
        X = host_array(X_train)
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

    # ------------------------------------------------------------- readout

    def _set_fitted_attributes(self, X):
        c = self._composition()
        super()._set_fitted_attributes(X)
        for name, value in c.clustering_loss.fitted_attributes(self.net_.module_).items():
            setattr(self, name, value)

    def _labels_and_centers(self, X):
        c = self._composition()
        if isinstance(c.readout, BestOfRuns):
            return self._vote_and_centers(X)
        if hasattr(self, "readout_"):
            features = self._features(X)
            labels = self._readout_labels(features)
            return labels, self._readout_centers(features, labels)
        labels = self._labels_in_chunks(X)
        centers = c.clustering_loss.centers(self.net_.module_)
        if centers is None:
            centers = self._mean_features(self._features(X), labels)
        return labels, centers

    def _mean_features(self, features, labels):
        """Mean features of each cluster (of all samples for an empty one)."""
        features = np.asarray(features, dtype=np.float64)
        centers = np.tile(features.mean(axis=0), (self.n_clusters, 1))
        for k in np.unique(labels):
            centers[k] = features[labels == k].mean(axis=0)
        return centers

    def _readout_labels(self, features):
        return np.asarray(self.readout_.predict(features.astype(np.float64)), dtype=np.int64)

    def _readout_centers(self, features, labels):
        for name in ("cluster_centers_", "means_"):
            centers = getattr(self.readout_, name, None)
            if centers is not None and np.shape(centers) == (self.n_clusters, self._n_features_out):
                return np.asarray(centers, dtype=np.float64)
        return self._mean_features(features, labels)

    def _vote_and_centers(self, X):
        # One pass of the kept runs over X: the vote and the best run's hidden
        # representation come out of the same forward pass.
        def vote_and_hidden(module, x):
            hidden = module.hidden_all(x)
            labels = module.vote_from_hidden(hidden)
            return torch.cat([labels[:, None].to(hidden.dtype), hidden[:, 0]], dim=1)

        both = self._inference(X, vote_and_hidden)
        labels = both[:, 0].astype(np.int64)
        return labels, self._mean_features(both[:, 1:], labels)

    def _predict_in_chunks(self, X):
        c = self._composition()
        if isinstance(c.readout, BestOfRuns):
            return self._inference(X, lambda m, x: m.predict_proba(x))
        if hasattr(self, "readout_"):
            features = self._features(X)
            if hasattr(self.readout_, "predict_proba"):
                return self.readout_.predict_proba(features.astype(np.float64)).astype(X.dtype)
            one_hot = np.zeros((len(features), self.n_clusters), dtype=X.dtype)
            one_hot[np.arange(len(features)), self._readout_labels(features)] = 1
            return one_hot
        return super()._predict_in_chunks(X)

    def _labels_in_chunks(self, X):
        c = self._composition()
        if isinstance(c.readout, BestOfRuns):
            return self._inference(X, lambda m, x: m.vote(x)).astype(np.int64)
        if hasattr(self, "readout_"):
            return self._readout_labels(self._features(X))
        return super()._labels_in_chunks(X)

    def score(self, X, y=None):
        """The method's own objective on ``X`` (higher is better).

        The opposite of the dissimilarity-mixture loss for
        :class:`~skdeepcluster.compose.DissimilarityMixtureLoss`, the ELBO
        (at the encoder's mean) for
        :class:`~skdeepcluster.compose.MixturePriorKL`; otherwise the
        opposite of the within-cluster sum of squares of the features around
        ``cluster_centers_``, as ``KMeans.score`` on ``transform(X)``.
        Comparable between fits of one network, not across networks or
        ``n_clusters``.

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
        objective = getattr(self._composition().clustering_loss, "objective", None)
        if objective is None:
            return super().score(X, y)
        X = self._validate_input(X, reset=False)
        return -float(np.sum(self._inference(X, objective()), dtype=np.float64))

    # ---------------------------------------------------- weights-only loading

    def _init_module(self, n_features, state_dict):
        c = self._composition()
        n_runs = state_dict["output.weight"].shape[0] if isinstance(c.readout, BestOfRuns) else 1
        module = c.network.build(n_features, self.input_shape_, self.n_clusters, n_runs)
        if c.features == "layers":
            module = LayerFeatures(module)
        return c.clustering_loss.empty_head(module, state_dict, **c.head_flags())

    def _loading_criterion(self):
        c = self._composition()
        return CombinedLoss(c.clustering_loss.criterion(), [t for _, t in c.outputs()])

    def _wrap_module(self, module, net_class=DeepClusteringNet, optimizer=torch.optim.Adam):
        network = self._composition().network
        if hasattr(network, "net_options"):
            options = network.net_options()
            net_class, optimizer = options["net_class"], options["optimizer"]
        return super()._wrap_module(module, net_class=net_class, optimizer=optimizer)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = self._composition().network.accepts_sparse()
        return tags
