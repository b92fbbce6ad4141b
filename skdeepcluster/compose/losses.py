"""Axis 4 of the taxonomy: the clustering loss (axis 3 is :mod:`.non_clustering`).

A clustering loss knows its formula, how its clustering head starts (k-means
on the features, a mixture, nothing), which cluster updates it works with,
and what it reads off the trained head (centres, mixing weights).
"""

import numpy as np
import torch
from sklearn.base import clone

from ..dissimilarities import (
    check_dissimilarity,
    cluster_parameter_names,
    get_dissimilarity,
    pairwise_dissimilarities,
)
from ..engine import map_in_chunks
from ..losses.discriminative import (
    auto_n_neighbors,
    DiscriminativeClusteringLoss,
    DiscriminativePretrainingLoss,
    resolve_anchor_metric,
)
from ..losses.divergence import DDCLoss
from ..losses.hardening import KLClusteringLoss
from ..losses.classification import ClusterClassificationLoss
from ..losses.information import MutualInformationLoss
from ..losses.kmeans import KMeansClusteringLoss
from ..losses.mixture import DMAELoss
from ..losses.variational import ELBOReconstructionTerm, MixturePriorKLLoss
from ..rows import LazyRows, MappedRows
from ..networks.heads import (
    CosineClusteringModule,
    DissimilarityMixture,
    DMAEModule,
    KMeansClusteringModule,
    MixturePriorModule,
    SoftmaxClusteringModule,
    StudentTClusteringModule,
    _gram,
)
from ..updates import (
    ClusteringStageSchedule,
    diagonal_mixture_start,
    dissimilarity_kmeans_plusplus,
    gaussian_mixture_start,
    kmeans_start,
    precision_factors,
    start_sample,
)
from ._base import Component
from .auto import auto_batch_size
from .networks import VariationalAutoencoderNetwork
# Where the non-clustering components lived before their own module: models pickled then
# name them skdeepcluster.compose.losses.<name>.
from .non_clustering import (  # noqa: F401
    ELBOReconstruction,
    GroupSparsity,
    LocalityPreservation,
    Reconstruction,
    VirtualAdversarial,
)
from .updates import (
    CountedCentres, EpochAssignments, Joint, MeanCentres, MiniBatchKMeansCentres, TargetRefresh,
)

__all__ = [
    "Hardening",
    "KMeansLoss",
    "CauchySchwarz",
    "DissimilarityMixtureLoss",
    "PairwiseDiscriminative",
    "NoClusteringLoss",
    "MutualInformation",
    "MixturePriorKL",
    "ClusterClassification",
]


# ------------------------------------------------------------------ clustering


class _ClusteringLoss(Component):
    """What every clustering loss answers; see :class:`~skdeepcluster.DeepClustering`."""

    # Cluster updates this loss works with; the first is its default.
    updates = (Joint,)
    # Whether the loss reads softmax assignments (a softmax-head network's, or its own head).
    uses_softmax = False
    # Whether the loss puts a clustering head on the network (whose assignments are labels).
    has_head = True

    # The batch size batch_size="auto" takes on large data (the method's paper's).
    reference_batch_size = 256

    def auto_batch_size(self, n_samples):
        """The batch size ``batch_size="auto"`` resolves to on ``n_samples`` training samples."""
        return auto_batch_size(n_samples, self.reference_batch_size)

    def check_update(self, update):
        """Raise a ValueError if ``update`` (one of :attr:`updates`) does not fit these settings."""

    def check_network(self, network):
        """Raise a ValueError if this loss cannot run on ``network`` (a component)."""

    def resolve(self, X_train, batch_size=None, n_clusters=None):
        """This loss with its ``"auto"`` settings resolved for the training data (a copy).

        ``batch_size`` and ``n_clusters`` are the fit's (resolved) ones.
        """
        return self

    def pretraining_criterion(self):
        """A clustering term for pretraining (None: pretrain on reconstruction)."""
        return None

    def reconstruction_output(self, source):
        """The network output a :class:`Reconstruction` from ``source`` reads."""
        if source != "embedding":
            raise ValueError(
                f"Reconstruction(source={source!r}) needs clustering_loss="
                f"DissimilarityMixtureLoss(); {type(self).__name__} has no assigned centres."
            )
        return "reconstruction"

    def callbacks(self, estimator, schedule):
        return []

    def describe_start(self, estimator, where, network):
        """How :meth:`start` initialises the clusters on ``where`` (the features), in words."""
        return f"with k-means (n_init={estimator.n_init}) on {where}"

    def centers(self, module):
        """Centres of the trained head, or None (the mean features of each cluster)."""
        return module.centers.detach().cpu().numpy().astype(np.float64)

    def fitted_attributes(self, module):
        return {}


# An out-of-core fit starts its clusters on a sample of this many rows' features.
OUT_OF_CORE_START_SAMPLES = 100_000


def start_samples(X_train):
    """How many rows' features the clusters start on: all (None), or a sample out of core.

    Data trained from its file (a memmap, an h5py dataset) may hold more rows
    than k-means or EM should see: they run on a uniform sample of
    :data:`OUT_OF_CORE_START_SAMPLES` rows, and every row is then assigned.
    """
    return OUT_OF_CORE_START_SAMPLES if isinstance(X_train, (MappedRows, LazyRows)) else None


def _kmeans_on_features(estimator, module, X_train, seed):
    embeddings = estimator._encode(module, X_train)
    kmeans = kmeans_start(
        embeddings, estimator.n_clusters, estimator.n_init, seed, start_samples(X_train)
    )
    return embeddings, kmeans


class Hardening(_ClusteringLoss):
    """DEC's cluster-assignment hardening: ``weight * KL(P || Q)``.

    ``Q`` are Student's t soft assignments of the features to trainable
    centroids (started by k-means), ``P`` the target distribution that
    sharpens them, refreshed by :class:`TargetRefresh`.

    Parameters
    ----------
    alpha : float, default=1.0
        Degrees of freedom of the Student's t kernel.
    weight : float, default=1.0
        Weight of the term (IDEC's ``gamma``).
    dissimilarity : str, callable or None, default=None
        A dissimilarity of :mod:`skdeepcluster.dissimilarities` in place of
        the squared Euclidean distance in the kernel; None is DEC's.
    dissimilarity_params : dict, default=None
        Its keyword arguments.
    """

    updates = (TargetRefresh,)

    def __init__(self, alpha=1.0, *, weight=1.0, dissimilarity=None, dissimilarity_params=None):
        self.alpha = alpha
        self.weight = weight
        self.dissimilarity = dissimilarity
        self.dissimilarity_params = dissimilarity_params

    def start(self, estimator, module, X_train, seed, reconstruct):
        embeddings, kmeans = _kmeans_on_features(estimator, module, X_train, seed)
        head = self.head(module, kmeans.cluster_centers_, reconstruct)
        return head, {"embeddings": embeddings}

    def head(self, module, centers, reconstruct):
        dissimilarity = None
        if self.dissimilarity is not None:
            dissimilarity = get_dissimilarity(self.dissimilarity, self.dissimilarity_params)
            if cluster_parameter_names(self.dissimilarity):
                raise ValueError(
                    f"Hardening(dissimilarity={self.dissimilarity!r}) needs per-cluster "
                    "parameters, which the Student's t head does not learn; use "
                    "DissimilarityMixtureLoss for it."
                )
        return StudentTClusteringModule(
            module, centers, alpha=self.alpha, reconstruct=reconstruct,
            dissimilarity=dissimilarity,
        )

    def empty_head(self, module, state_dict, reconstruct):
        return self.head(module, torch.zeros_like(state_dict["centers"]), reconstruct)

    def criterion(self):
        return KLClusteringLoss(clustering_weight=self.weight)


class KMeansLoss(_ClusteringLoss):
    """DCN's k-means loss: ``(weight / 2) mean_i ||f(x_i) - mu_{s_i}||^2``.

    Hard assignments and centroids (started by k-means) are held fixed in
    the gradient step and moved by :class:`CountedCentres`.

    Parameters
    ----------
    weight : float, default=0.1
        ``lambda``, the weight of the k-means loss.
    """

    updates = (CountedCentres,)

    def __init__(self, weight=0.1):
        self.weight = weight

    def start(self, estimator, module, X_train, seed, reconstruct, initial_count=100):
        _, kmeans = _kmeans_on_features(estimator, module, X_train, seed)
        return KMeansClusteringModule(module, kmeans.cluster_centers_, initial_count), {}

    def empty_head(self, module, state_dict, reconstruct, initial_count=100):
        return KMeansClusteringModule(
            module, torch.zeros_like(state_dict["centers"]), initial_count
        )

    def criterion(self):
        return KMeansClusteringLoss(self.weight)


class _SoftmaxAssignments(_ClusteringLoss):
    """A loss on softmax assignments: the network's own head, or a softmax layer on its features."""

    uses_softmax = True

    def describe_start(self, estimator, where, network):
        if getattr(network, "has_softmax_head", False):
            return "as the network's softmax head, from random weights (no k-means)"
        return f"as a softmax layer on {where}, from random weights (no k-means)"

    def start(self, estimator, module, X_train, seed, reconstruct):
        if getattr(module, "vote", None) is not None:  # the network has its softmax head
            return module, {}
        width = estimator._encode(module, X_train[:2]).shape[1]
        head = SoftmaxClusteringModule(module, width, estimator.n_clusters, reconstruct)
        return head, {}

    def empty_head(self, module, state_dict, reconstruct):
        if getattr(module, "vote", None) is not None:
            return module
        n_clusters, width = state_dict["output.weight"].shape
        return SoftmaxClusteringModule(module, width, n_clusters, reconstruct)

    def centers(self, module):
        return None


class CauchySchwarz(_SoftmaxAssignments):
    """DDC's loss: Cauchy–Schwarz divergence between clusters, orthogonality, simplex corners.

    Needs softmax assignments: those of :class:`SoftmaxHeadNetwork`, or a
    softmax layer this loss puts on any other network's features.

    Parameters
    ----------
    cs_weight, orthogonality_weight, simplex_weight : float, default=1.0
        Weights of the three terms (see :func:`~skdeepcluster.losses.ddc_loss`).
    sigma_fraction : float, default=0.15
        Kernel bandwidth: ``sigma^2`` is this fraction of the batch's median
        squared pairwise distance in the features.

    Notes
    -----
    The divergence is estimated on each batch.  ``batch_size="auto"`` takes
    the whole data set as one batch when it has at most
    :attr:`full_batch_size` samples: batches of a few dozen samples of so
    small a data set estimate the divergence too roughly to train on.
    """

    def __init__(
        self, cs_weight=1.0, orthogonality_weight=1.0, simplex_weight=1.0, sigma_fraction=0.15
    ):
        self.cs_weight = cs_weight
        self.orthogonality_weight = orthogonality_weight
        self.simplex_weight = simplex_weight
        self.sigma_fraction = sigma_fraction

    reference_batch_size = 100
    # Data of at most this many samples (two of the paper's batches) train in one batch.
    full_batch_size = 200

    def auto_batch_size(self, n_samples):
        if n_samples <= self.full_batch_size:
            return int(n_samples)
        return super().auto_batch_size(n_samples)

    def criterion(self):
        return DDCLoss(
            cs_weight=self.cs_weight, orthogonality_weight=self.orthogonality_weight,
            simplex_weight=self.simplex_weight, sigma_fraction=self.sigma_fraction,
        )


class MutualInformation(_SoftmaxAssignments):
    """IMSAT's information maximisation: ``weight * (H(Y|X) - mu * H(Y))`` on each batch.

    Minimising it makes each sample's assignment confident (low conditional
    entropy ``H(Y|X)``) and the clusters equally used (high entropy ``H(Y)``
    of the batch's mean assignment); with ``mu = 1`` it is minus the mutual
    information between inputs and clusters
    (:func:`~skdeepcluster.losses.information_maximization_loss`).  Needs
    softmax assignments: those of :class:`SoftmaxHeadNetwork`, or a softmax
    layer this loss puts on any other network's features.  Alone it has
    trivial minima (any balanced partition); IMSAT pairs it with
    :class:`VirtualAdversarial`.

    Parameters
    ----------
    weight : float, default=0.1
        Weight of the term (the paper's ``lambda``).
    mu : float, default=4.0
        Weight of the marginal entropy ``H(Y)``, the balance of the clusters.

    Notes
    -----
    ``H(Y)`` is estimated on each batch; ``batch_size="auto"`` is the
    paper's 250 on data of at least 50 such batches.
    """

    reference_batch_size = 250

    def __init__(self, weight=0.1, mu=4.0):
        self.weight = weight
        self.mu = mu

    def criterion(self):
        return MutualInformationLoss(weight=self.weight, mu=self.mu)


class ClusterClassification(_SoftmaxAssignments):
    """CCNN's: ``weight`` times the cross-entropy of the softmax against mini-batch k-means labels.

    Each sample's target is its nearest centroid in the features
    (:class:`~skdeepcluster.losses.ClusterClassificationLoss`); the centroids
    start on the features of ``n_clusters`` random samples and move by
    :class:`MiniBatchKMeansCentres`.

    Parameters
    ----------
    weight : float, default=1.0
        Weight of the term.
    balanced : bool, default=False
        Weigh each batch's labels alike rather than its samples.
    """

    updates = (MiniBatchKMeansCentres,)

    def __init__(self, weight=1.0, balanced=False):
        self.weight = weight
        self.balanced = balanced

    def describe_start(self, estimator, where, network):
        return f"on {where} of {estimator.n_clusters} random samples"

    def start(self, estimator, module, X_train, seed, reconstruct):
        head, _ = super().start(estimator, module, X_train, seed, reconstruct)
        if getattr(head, "n_runs", 1) > 1:
            raise ValueError("ClusterClassification trains a single run; use another readout.")
        rows = np.sort(np.random.RandomState(seed).choice(
            len(X_train), estimator.n_clusters, replace=False))
        centers = estimator._encode(head, X_train[torch.as_tensor(rows)])
        return head, {"centers": torch.as_tensor(centers, dtype=torch.float32), "seed": seed}

    def criterion(self):
        return ClusterClassificationLoss(self.weight, self.balanced)


class DissimilarityMixtureLoss(_ClusteringLoss):
    """DMAE's dissimilarity mixture: ``weight * mean_i [d(z_i, theta~_i) - log(pi~_i) / alpha]``.

    Parameters
    ----------
    dissimilarity : str or callable, default="euclidean"
        The dissimilarity of the components (see
        :mod:`skdeepcluster.dissimilarities`).
    dissimilarity_params : dict, default=None
        Its keyword arguments.
    alpha : float, default=100.0
        Inverse temperature of the soft assignments.
    weight : float, default=1.0
        Weight of the term.
    trainable_weights : bool, default=False
        Learn the mixing weights.
    init : {"auto", "k-means", "k-means++", "gaussian-mixture"}, default="auto"
        How the centres start (see :class:`~skdeepcluster.DMAEClustering`).
    init_covariance_type : {"tied", "full", "diag", "spherical"}, default="tied"
        Covariances of ``init="gaussian-mixture"``.
    """

    updates = (Joint, MeanCentres)

    def __init__(
        self, dissimilarity="euclidean", *, dissimilarity_params=None, alpha=100.0, weight=1.0,
        trainable_weights=False, init="auto", init_covariance_type="tied",
    ):
        self.dissimilarity = dissimilarity
        self.dissimilarity_params = dissimilarity_params
        self.alpha = alpha
        self.weight = weight
        self.trainable_weights = trainable_weights
        self.init = init
        self.init_covariance_type = init_covariance_type

    def _function(self):
        return get_dissimilarity(self.dissimilarity, self.dissimilarity_params)

    def _parameter_names(self):
        return cluster_parameter_names(self.dissimilarity)

    def reconstruction_output(self, source):
        return "reconstruction" if source == "assigned_centers" else "embedding_reconstruction"

    def check_update(self, update):
        if isinstance(update, MeanCentres) and self.dissimilarity == "toroidal":
            raise ValueError(
                'center_update="mean" averages the embeddings, which is wrong on a torus; use '
                'center_update="gradient" with dissimilarity="toroidal".'
            )

    def _init_method(self):
        if self.init != "auto":
            return self.init
        # k-means suits the dissimilarities of vector spaces; a periodic or a user's one
        # needs seeding under its own geometry.
        if callable(self.dissimilarity) or self.dissimilarity == "toroidal":
            return "k-means++"
        return "k-means"

    def mixture(self, estimator, Z, seed, shallow):
        """The mixture layer initialised on the samples (features) ``Z``."""
        Z = np.asarray(Z, dtype=np.float64)
        function = self._function()
        needs_precision = "precision" in self._parameter_names()
        n_features = Z.shape[1]
        check_dissimilarity(
            function,
            n_features,
            **({"precision": torch.eye(n_features).expand(2, n_features, n_features)}
               if needs_precision else {}),
        )
        if self.dissimilarity == "itakura_saito" and not np.all(Z > 0):
            where = "X" if shallow else "The encoder's embeddings"
            raise ValueError(
                f"dissimilarity='itakura_saito' needs positive data; {where} has values <= 0. "
                + ("Shift or rescale X to positive values." if shallow else
                   "End your encoder with a positive activation (e.g. torch.nn.Softplus).")
            )
        init = self._init_method()
        factors = None
        n_clusters, n_init = estimator.n_clusters, estimator.n_init
        if init in ("k-means", "gaussian-mixture"):
            kmeans = kmeans_start(Z, n_clusters, n_init, seed)
            centers, labels = kmeans.cluster_centers_, kmeans.labels_
            if init == "gaussian-mixture":
                centers, factors = gaussian_mixture_start(
                    Z, centers, self.init_covariance_type, random_state=seed
                )
        else:
            # Mahalanobis is seeded as k-means++ (identity precision), then gets per-cluster ones.
            seeding = get_dissimilarity("sqeuclidean") if needs_precision else function
            centers = dissimilarity_kmeans_plusplus(
                Z, n_clusters, seeding, n_init=n_init, random_state=seed,
                device=estimator.device_, batch_size=estimator._inference_batch_size,
            )
            labels = map_in_chunks(
                lambda x: pairwise_dissimilarities(
                    seeding, x, torch.as_tensor(centers, dtype=x.dtype, device=x.device)
                ).argmin(dim=1),
                Z, estimator.device_, batch_size=estimator._inference_batch_size,
            )
        if not needs_precision:
            factors = None
        elif factors is None:
            factors = precision_factors(Z, labels, n_clusters)
        return DissimilarityMixture(
            centers, function, alpha=self.alpha, precision_factors=factors,
            trainable_weights=self.trainable_weights,
        ).to(estimator.device_)

    def describe_start(self, estimator, where, network):
        init, n_init = self._init_method(), estimator.n_init
        if init == "k-means++":
            name = getattr(self.dissimilarity, "__name__", self.dissimilarity)
            return (
                f"with k-means++ seeding under the {name} dissimilarity (n_init={n_init}) "
                f"on {where}"
            )
        if init == "gaussian-mixture":
            return (
                f"with k-means (n_init={n_init}) and a Gaussian mixture "
                f"({self.init_covariance_type} covariance) on {where}"
            )
        return super().describe_start(estimator, where, network)

    def start(self, estimator, module, X_train, seed, reconstruct, reconstruct_embedding=False):
        shallow = isinstance(getattr(module, "encoder", None), torch.nn.Identity)
        # Out of core, the mixture starts on a sample's features, not on all rows in memory.
        rows = start_sample(len(X_train), start_samples(X_train), seed)
        features = estimator._encode(module, X_train if rows is None else X_train[rows])
        mixture = self.mixture(estimator, features, seed, shallow)
        head = DMAEModule(
            module, mixture, reconstruct=reconstruct, reconstruct_embedding=reconstruct_embedding
        )
        return head, {}

    def empty_head(self, module, state_dict, reconstruct, reconstruct_embedding=False):
        centers = state_dict["mixture.centers"]
        factors = state_dict.get("mixture.precision_factors")
        mixture = DissimilarityMixture(
            torch.zeros_like(centers), self._function(), alpha=self.alpha,
            precision_factors=None if factors is None else torch.zeros_like(factors),
            trainable_weights=self.trainable_weights,
        )
        return DMAEModule(
            module, mixture, reconstruct=reconstruct, reconstruct_embedding=reconstruct_embedding
        )

    def criterion(self):
        return DMAELoss(
            self._function(), self.alpha, clustering_weight=self.weight,
            parameter_names=self._parameter_names(),
        )

    def centers(self, module):
        centers = super().centers(module)
        if self.dissimilarity == "toroidal":  # report the centres inside the box
            period = (self.dissimilarity_params or {}).get("period", 1.0)
            centers = np.mod(centers, np.asarray(period, dtype=np.float64))
        return centers

    def fitted_attributes(self, module):
        mixture = module.mixture
        attributes = {"weights_": mixture.weights.detach().cpu().numpy().astype(np.float64)}
        if mixture.precision_factors is not None:
            attributes["precisions_"] = (
                _gram(mixture.precision_factors.detach()).cpu().numpy().astype(np.float64)
            )
        return attributes

    def objective(self):
        """``per_sample(module, x)``: the DMM loss of each sample (for ``score``)."""
        criterion = DMAELoss(self._function(), self.alpha, parameter_names=self._parameter_names())

        def per_sample(module, x):
            z = module.encode(x)
            out = module.mixture(z)
            out["embedding"] = z
            return criterion.per_sample(out)

        return per_sample


class PairwiseDiscriminative(_ClusteringLoss):
    """The discriminative latent space method's pairwise cosine losses, in two stages.

    Pretraining pulls each batch's kNN anchor pairs together and pushes all
    other pairs apart on the unit sphere; the clustering phase adds the
    cosine to the assigned centroid (stage I) and then anchors the pairs on
    the clusters and separates the centroids (stage II).

    Parameters
    ----------
    n_neighbors, anchor_fraction, anchor_metric, beta, stage1_discriminative_weight, \
stage2_discriminative_weight, centroid_separation_weight, temperature, stage1_fraction
        As for :class:`~skdeepcluster.DiscriminativeLatentClustering`.
    """

    updates = (EpochAssignments,)
    reference_batch_size = 1000

    def __init__(
        self, *, n_neighbors="auto", anchor_fraction=0.5, anchor_metric="auto", beta=0.5,
        stage1_discriminative_weight=1.0, stage2_discriminative_weight=1.0,
        centroid_separation_weight=1.0, temperature=0.1, stage1_fraction=0.75,
    ):
        self.n_neighbors = n_neighbors
        self.anchor_fraction = anchor_fraction
        self.anchor_metric = anchor_metric
        self.beta = beta
        self.stage1_discriminative_weight = stage1_discriminative_weight
        self.stage2_discriminative_weight = stage2_discriminative_weight
        self.centroid_separation_weight = centroid_separation_weight
        self.temperature = temperature
        self.stage1_fraction = stage1_fraction

    def resolve(self, X_train, batch_size=None, n_clusters=None):
        resolved = {}
        if self.anchor_metric == "auto":
            resolved["anchor_metric"] = resolve_anchor_metric(X_train)
        if self.n_neighbors == "auto":
            resolved["n_neighbors"] = auto_n_neighbors(batch_size, n_clusters)
        return clone(self).set_params(**resolved) if resolved else self

    def _anchors(self):
        return dict(
            n_neighbors=self.n_neighbors, anchor_fraction=self.anchor_fraction,
            metric=self.anchor_metric, beta=self.beta,
        )

    def pretraining_criterion(self):
        return DiscriminativePretrainingLoss(**self._anchors())

    def describe_start(self, estimator, where, network):
        return f"with k-means (n_init={estimator.n_init}) on {where}, scaled to unit length"

    def start(self, estimator, module, X_train, seed, reconstruct):
        embeddings = estimator._encode(module, X_train).astype(np.float64)
        embeddings /= np.maximum(np.linalg.norm(embeddings, axis=1, keepdims=True), 1e-12)
        kmeans = kmeans_start(
            embeddings, estimator.n_clusters, estimator.n_init, seed, start_samples(X_train)
        )
        labels = kmeans.labels_.astype(np.int64)
        head = CosineClusteringModule(
            module, kmeans.cluster_centers_, temperature=self.temperature, reconstruct=reconstruct
        )
        return head, {"fitted": {"pretrain_labels_": labels}}

    def empty_head(self, module, state_dict, reconstruct):
        return CosineClusteringModule(
            module, torch.zeros_like(state_dict["centers"]), temperature=self.temperature,
            reconstruct=reconstruct,
        )

    def criterion(self):
        return DiscriminativeClusteringLoss(
            **self._anchors(),
            stage1_discriminative_weight=self.stage1_discriminative_weight,
            stage2_discriminative_weight=self.stage2_discriminative_weight,
            centroid_separation_weight=self.centroid_separation_weight,
        )

    def callbacks(self, estimator, schedule):
        stage1_epochs = round(self.stage1_fraction * estimator.epochs_)
        return [("stage_schedule", ClusteringStageSchedule(stage1_epochs))]

    def centers(self, module):
        return module.normalized_centers().detach().cpu().numpy().astype(np.float64)


class NoClusteringLoss(_ClusteringLoss):
    """No clustering term: the network trains on its non-clustering losses alone.

    The taxonomy's "-" in the clustering-loss column (Neural Clustering, and
    the autoencoder-then-k-means baseline): no head is put on the network, and
    the clusters come from the readout, a scikit-learn clusterer fitted on
    the trained features (``readout=KMeans()``), which also predicts.  Needs
    a non-clustering loss to train on, such as
    :class:`Reconstruction`, and a clusterer as ``readout``.
    """

    has_head = False

    def __init__(self):
        pass

    def describe_start(self, estimator, where, network):
        return f"by the readout on {where} after training (no clustering head)"

    def start(self, estimator, module, X_train, seed, reconstruct):
        return module, {}

    def empty_head(self, module, state_dict, reconstruct):
        return module

    def criterion(self):
        return None

    def centers(self, module):
        return None


class MixturePriorKL(_ClusteringLoss):
    """VaDE's clustering term: ``weight * KL(q(z, c | x) || p(z, c))`` to a Gaussian-mixture prior.

    The prior's ``pi_c``, ``mu_c`` and diagonal ``lam_c`` live in the head
    (:class:`~skdeepcluster.networks.MixturePriorModule`), trained with the
    network; a diagonal :class:`~sklearn.mixture.GaussianMixture` on the
    encoder's means of all the training data starts ``mu_c`` and ``lam_c``
    (``pi`` uniform).  The soft assignments are the responsibilities
    ``g_c = p(c | z)`` (see :func:`~skdeepcluster.losses.mixture_prior_kl`).
    Needs :class:`VariationalAutoencoderNetwork`.

    Parameters
    ----------
    weight : float, default=1.0
        Weight of the KL term: 1 is the ELBO; less lets the latent spread
        beyond the prior, more pulls it onto the mixture (as a beta-VAE).
    variance_start : {"prior", "network"}, default="prior"
        How the encoder's log-variance head starts the clustering phase
        (pretraining trains only the mean head).  ``"prior"``: zero weights
        and, as bias, the log of the prior's variances averaged over the
        components, so the first latent draws spread as far as a cluster;
        ``"network"``: as it was built (the reference's, whose untrained head
        can draw latents at a scale unrelated to the embedding's and break up
        tight clusters of a short pretraining).
    """

    reference_batch_size = 100

    def __init__(self, weight=1.0, *, variance_start="prior"):
        self.weight = weight
        self.variance_start = variance_start

    def describe_start(self, estimator, where, network):
        return (
            f"with a diagonal Gaussian mixture (n_init={estimator.n_init}) on {where} "
            "(the encoder's means), uniform weights"
        )

    def check_network(self, network):
        if self.variance_start not in ("prior", "network"):
            raise ValueError(
                f"MixturePriorKL(variance_start={self.variance_start!r}): use 'prior' or "
                "'network'."
            )
        if not isinstance(network, VariationalAutoencoderNetwork):
            raise ValueError(
                f"clustering_loss=MixturePriorKL() needs a variational network (the mean and "
                f"variance of q(z | x)); network={type(network).__name__}() has none: use "
                "network=VariationalAutoencoderNetwork()."
            )

    def start(self, estimator, module, X_train, seed, reconstruct):
        # out of core, the mixture starts on a sample's features, as DMAE's does
        rows = start_sample(len(X_train), start_samples(X_train), seed)
        features = estimator._encode(module, X_train if rows is None else X_train[rows])
        mixture = diagonal_mixture_start(features, estimator.n_clusters, estimator.n_init, seed)
        head = MixturePriorModule(module, mixture.means_, mixture.covariances_,
                                  reconstruct=reconstruct)
        if self.variance_start == "prior":
            with torch.no_grad():
                module.log_variance.weight.zero_()
                module.log_variance.bias.copy_(head.log_variances.exp().mean(0).log())
        return head, {}

    def empty_head(self, module, state_dict, reconstruct):
        means = state_dict["means"]
        return MixturePriorModule(module, torch.zeros_like(means), torch.ones_like(means),
                                  reconstruct=reconstruct)

    def criterion(self):
        return MixturePriorKLLoss(self.weight)

    def objective(self):
        """``per_sample(module, x)``: the negative ELBO of each sample at its mean (for ``score``).

        The reconstruction's negative log-likelihood plus the KL to the prior,
        unweighted, with the latent at the encoder's mean (no draw), so that
        ``score`` is deterministic.
        """
        kl, reconstruction = MixturePriorKLLoss(), ELBOReconstructionTerm()

        def per_sample(module, x):
            out = module(x)  # in evaluation mode the latent is the mean
            if "reconstruction" not in out:
                out.update(module.decode(out["embedding"]))
            return reconstruction.per_sample(out, x) + kl.per_sample(out)

        return per_sample

    def fitted_attributes(self, module):
        return {
            "weights_": module.weights.detach().cpu().numpy().astype(np.float64),
            "covariances_": module.log_variances.detach().exp().cpu().numpy().astype(np.float64),
        }
