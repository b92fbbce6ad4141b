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

from sklearn.utils._param_validation import HasMethods, Interval, StrOptions

from .compose import (
    DeepClustering,
    DissimilarityMixtureLoss,
    IdentityNetwork,
    Joint,
    MeanCentres,
    PretrainThenCluster,
    Reconstruction,
)
from .compose.preset import Preset
from .dissimilarities import DISSIMILARITIES

# Moved to the modules of the anatomy; importable from here as before.
from .losses.mixture import DMAELoss, dmm_loss, mixture_assignments  # noqa: F401
from .networks.heads import DissimilarityMixture, DMAEModule  # noqa: F401
from .updates import (  # noqa: F401
    CenterUpdate,
    dissimilarity_kmeans_plusplus,
    gaussian_mixture_start,
    precision_factors,
)

__all__ = ["DMMClustering", "DMAEClustering"]


class _MixturePreset(Preset):
    """What DMM and DMAE share: the dissimilarity mixture's parameters."""

    _mixture_constraints = {
        "dissimilarity": [StrOptions(set(DISSIMILARITIES)), callable],
        "dissimilarity_params": [dict, None],
        "alpha": [Interval(Real, 0, None, closed="neither")],
        "trainable_weights": ["boolean"],
        "init": [StrOptions({"auto", "k-means", "k-means++", "gaussian-mixture"})],
        "init_covariance_type": [StrOptions({"tied", "full", "diag", "spherical"})],
    }

    _reconstruction_parameters = {
        "assigned_centers": "reconstruction_weight",
        "embedding": "embedding_reconstruction_weight",
    }

    def _mixture(self, weight=1.0):
        return DissimilarityMixtureLoss(
            self.dissimilarity, dissimilarity_params=self.dissimilarity_params,
            alpha=self.alpha, weight=weight, trainable_weights=self.trainable_weights,
            init=self.init, init_covariance_type=self.init_covariance_type,
        )


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
        (one precision for every ``"mahalanobis"`` component), the steadier
        start on an autoencoder's embedding of images (see
        :ref:`user_guide`)."""


def _mixture_doc(default, alpha, alpha_note=""):
    return _MIXTURE_DOC.format(default=default, alpha=alpha, alpha_note=alpha_note)


class DMMClustering(_MixturePreset):
    __doc__ = f"""Dissimilarity mixture model (DMM): the shallow DMAE, no network.

    A mixture whose components are defined by any differentiable
    dissimilarity, trained by gradient descent on the DMM loss directly on
    the inputs: fast and interpretable on low-dimensional data, where the
    dissimilarity can encode the geometry (elongated clusters with
    ``"mahalanobis"``, a periodic domain with ``"toroidal"``).  With
    ``"sqeuclidean"`` and a large ``alpha`` it is a soft k-means.  The
    paper's "DMM" (Lara and González, "Dissimilarity Mixture Autoencoder for
    Deep Clustering"); :class:`DMAEClustering` puts the same mixture on the
    embedding of an autoencoder.  Each cluster is a ball of the dissimilarity
    around its centre, so clusters that are not of that shape in the input,
    such as two moons or a circle inside a ring, are the deep model's work
    (the paper clusters them with :class:`DMAEClustering`).

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters.
{_mixture_doc("euclidean", 100.0)}
    epochs : int or "auto", default="auto"
        Epochs of training.
        ``"auto"`` is 100, or more epochs on a data set too small for
        1,500 gradient steps in 100 (``epochs_`` holds the number used).
    lr : float, default=1e-3
        Learning rate.  Each step moves a centre by about ``lr`` (Adam), so
        scale the data to unit variance (e.g. ``StandardScaler``).
    optimizer : {{"adam", "sgd"}} or torch optimizer class, default="adam"
        Optimizer.
    n_init : int, default=10
        Number of k-means runs or k-means++ seedings of the initialisation.
    batch_size : int or "auto", default="auto"
        Mini-batch size.
        ``"auto"`` is 256 on data of at least 50 such batches, and
        ``n_samples // 50`` (at least 32) on smaller data (``batch_size_``
        holds the size used).
    precision : {{"float32", "tf32", "bf16"}}, default="float32"
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
        1 prints a line as each phase starts (pretraining, initialisation,
        clustering, readout) with its resolved settings, skorch's table of
        losses per epoch (coloured only on a terminal) and why training
        stopped early; 2 or more adds a progress bar over each epoch's
        batches (needs tqdm).

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
            name: Preset._parameter_constraints[name]
            for name in (
                "n_clusters", "epochs", "lr", "optimizer", "n_init", "batch_size",
                "precision", "callbacks", "device", "random_state", "verbose",
            )
        },
        **_MixturePreset._mixture_constraints,
    }

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
        epochs="auto",
        lr=1e-3,
        optimizer="adam",
        n_init=10,
        batch_size="auto",
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

    def to_deep_clustering(self):
        return DeepClustering(
            network=IdentityNetwork(),
            clustering_loss=self._mixture(),
            schedule=PretrainThenCluster(0, **self._lengths(epochs=100)),
            **self._common(),
        )


_DEEP_ALPHA_NOTE = """  The default is the reference code's MNIST
        value (the paper explored 100 to 1000); on the embedding of the
        pretrained ``d-500-500-2000-10`` network it makes the assignments
        hard.  Softer assignments let end-to-end training cheat on such
        embeddings: the encoder moves the samples between the centres, where
        a soft mixture ``theta~`` is close to each sample and carries enough
        of it for the decoder to reconstruct from, so the embedding shrinks
        and the clusters blur.  Lower it for small embeddings of
        low-dimensional data, as the two-moons recipe (``alpha=10``) does."""


class DMAEClustering(_MixturePreset):
    __doc__ = f"""Dissimilarity Mixture Autoencoder (DMAE).

    Pretrains an autoencoder on reconstruction (optionally on randomly
    rotated and shifted images), initialises a dissimilarity mixture on its
    embedding (:class:`DMMClustering`'s mixture), then trains everything end
    to end on ``clustering_weight * L_DMM + reconstruction_weight * L_rec``,
    where ``L_rec`` is the error of the decoder reconstructing each sample
    from its *assigned centre* ``theta~_i = sum_k s_ik theta_k`` (Lara and
    González, "Dissimilarity Mixture Autoencoder for Deep Clustering").
    Predictions are ``argmax_k s_ik``.

    The defaults are the paper's MNIST settings.  Clusters that are not convex
    in the input need others: for two moons, ``alpha=10, lr=1e-3,
    weight_init="torch"``; for a circle inside a ring, an encoder pretrained
    on random Fourier features (``pretrain_features``; :ref:`user_guide`
    gives the recipe).  Data on a periodic domain are clustered in the
    input itself, by ``DMMClustering(dissimilarity="toroidal")``: an
    embedding is not periodic.

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
        one that disturbs the k-means initialisation least.
        With hard assignments the encoder learns from the DMM loss (which
        pulls each sample to its centre) and, through the few samples
        between two centres, from the reconstruction (which moves them to
        the centre whose decoded image is closer in pixel space).  Either
        alone degrades the partition: the DMM loss lets the largest
        clusters absorb their neighbours, the pixel-space pull leans
        towards k-means on the pixels.  The reference code sums the
        DMM loss over each batch of 256 where this mean averages it, so its
        0.01/1.0 weighs the DMM loss like about 2.5/1.0 here.  Tune both
        weights and ``alpha`` on your data, e.g. with
        :class:`~sklearn.model_selection.GridSearchCV` and the clustering
        scorers.
    embedding_reconstruction_weight : float, default=0.0
        Weight of a term the paper does not have: the error of the decoder
        reconstructing each sample from its own embedding ``z_i`` (the
        autoencoder's pretraining loss, kept on as IDEC keeps it on DEC);
        0 drops it.  It slows the drift of the end-to-end phase away from
        its start without stopping it; ``center_update`` below describes
        the cause.
    center_update : {{"gradient", "mean"}}, default="gradient"
        How the centres follow the encoder during end-to-end training.
        ``"gradient"``, the paper's: only by gradient descent on the loss,
        at ``lr``.  ``"mean"``: also, after every epoch, set each centre to
        the mean of the training embeddings weighted by their assignments
        (a k-means step, :class:`CenterUpdate`); not for ``"toroidal"``.
        At the default ``lr`` Adam moves each centre coordinate by at most
        about ``lr`` per step, much less over the phase than the encoder
        moves the samples; the centres stop being the means of their members
        (and the reconstruction from the centres pulls them towards what
        the decoder prefers), the largest clusters absorb their neighbours
        and accuracy drifts down.  ``"mean"`` holds the centres at their
        members' means; a larger learning rate for the centres does not,
        since their gradient does not lead there.  It is not the default:
        it can keep the start on small image subsets, but lowers the
        accuracy on a full image data set and on the 2-D embeddings of the
        synthetic moons and circles.
    freeze_encoder : bool, default=False
        Train only the mixture (and decoder) on the fixed pretrained
        embedding: the paper's "AE+DMM" ablation.
    hidden_dims : tuple of int or "auto", default="auto"
        Hidden layer widths of the MLP encoder; the decoder mirrors them.
        ``"auto"`` is ``(500, 500, 2000)`` for inputs of more than 128
        features, narrower for fewer (``hidden_dims_`` holds the widths used;
        see :class:`~skdeepcluster.compose.AutoencoderNetwork`).
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
    weight_init : {{"glorot", "torch"}}, default="glorot"
        Initialisation of the built-in network's layers: Glorot-uniform
        weights and zero biases (the default of Keras, which the DMAE
        reference is written in; see :func:`~skdeepcluster.networks.glorot_init`),
        or PyTorch's default (uniform within ``1 / sqrt(fan_in)``).  Your own
        ``encoder`` and ``decoder`` keep theirs.
    pretrain_epochs : int or "auto", default="auto"
        Epochs of autoencoder pretraining; 0 skips it.
        ``"auto"`` is 100, or more epochs on a data set too small for
        3,000 gradient steps in 100 (``pretrain_epochs_`` holds the number used).
    pretrain_lr : float, default=1e-3
        Learning rate of pretraining.
    pretrain_optimizer : {{"adam", "sgd"}} or torch optimizer class, default="adam"
        Optimizer of pretraining: Adam; or SGD with momentum 0.9, which the authors' code uses
        with ``pretrain_lr=1.0`` for 500 epochs.  Adam reaches as good an embedding in fewer
        epochs.
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
        input requirement as ``augment``.  It does not help DMAE: with it
        the end-to-end phase drifts further from its start.
    augment_rotation : float, default=17.19
        Largest rotation of ``augment`` and ``augment_clustering``, in degrees:
        the authors' code's 0.3 rad.
    augment_shift : float, default=2 / 28
        Largest shift of ``augment`` and ``augment_clustering``, as a fraction of the
        image's height and width: the authors' code's 2 pixels on 28 x 28 images.
        DEC, IDEC and DCN default to DEC-DA's wider ranges instead (10
        degrees, 0.1); for DMAE the authors' narrower ranges pretrain the
        better embedding.
    epochs : int or "auto", default="auto"
        Epochs of end-to-end training.
        ``"auto"`` is 50, or more epochs on a data set too small for
        1,500 gradient steps in 50 (``epochs_`` holds the number used).
    lr : float, default=1e-5
        Learning rate of end-to-end training (Adam), the reference code's.
        End-to-end training moves the partition it starts from (k-means on
        the pretrained embedding) in proportion to how far the encoder
        moves, so a larger ``lr`` drifts further from that start.
    optimizer : {{"adam", "sgd"}} or torch optimizer class, default="adam"
        Optimizer of end-to-end training.
    n_init : int, default=10
        Number of k-means runs or k-means++ seedings of the initialisation.
    batch_size : int or "auto", default="auto"
        Mini-batch size of both phases.
        ``"auto"`` is 256 on data of at least 50 such batches, and
        ``n_samples // 50`` (at least 32) on smaller data (``batch_size_``
        holds the size used).
    precision : {{"float32", "tf32", "bf16"}}, default="float32"
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
        1 prints a line as each phase starts (pretraining, initialisation,
        clustering, readout) with its resolved settings, skorch's table of
        losses per epoch (coloured only on a terminal) and why training
        stopped early; 2 or more adds a progress bar over each epoch's
        batches (needs tqdm).

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
    :ref:`user_guide` : DMAE's recipes for the synthetic data sets, and the choice of
        ``alpha``, the loss weights, ``center_update`` and the augmentation ranges.

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
        **Preset._parameter_constraints,
        **_MixturePreset._mixture_constraints,
        "clustering_weight": [Interval(Real, 0, None, closed="left")],
        "reconstruction_weight": [Interval(Real, 0, None, closed="left")],
        "embedding_reconstruction_weight": [Interval(Real, 0, None, closed="left")],
        "center_update": [StrOptions({"gradient", "mean"})],
        "freeze_encoder": ["boolean"],
        "pretrain_features": [HasMethods(["fit_transform"]), None],
        **Preset._augmentation_constraints,
    }


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
        hidden_dims="auto",
        embedding_dim=10,
        network="mlp",
        input_shape=None,
        encoder=None,
        decoder=None,
        weight_init="glorot",
        pretrain_epochs="auto",
        pretrain_lr=1e-3,
        pretrain_optimizer="adam",
        pretrain_features=None,
        augment=False,
        augment_clustering=False,
        augment_rotation=17.19,
        augment_shift=2 / 28,
        epochs="auto",
        lr=1e-5,
        optimizer="adam",
        n_init=10,
        batch_size="auto",
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

    def to_deep_clustering(self):
        return DeepClustering(
            network=self._autoencoder(),
            non_clustering_loss=[
                Reconstruction(self.reconstruction_weight, source="assigned_centers"),
                Reconstruction(self.embedding_reconstruction_weight),
            ],
            clustering_loss=self._mixture(self.clustering_weight),
            schedule=PretrainThenCluster(
                **self._lengths(100, 50), pretrain_lr=self.pretrain_lr,
                pretrain_optimizer=self.pretrain_optimizer,
                pretrain_features=self.pretrain_features, freeze_encoder=self.freeze_encoder,
            ),
            cluster_update=MeanCentres() if self.center_update == "mean" else Joint(),
            augmentation=self._augmentation(),
            **self._common(),
        )
