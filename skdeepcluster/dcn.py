"""DCN: the k-means loss in an autoencoder's embedding, with alternating updates.

Recipe (Yang, Fu, Sidiropoulos and Hong, "Towards K-means-friendly Spaces:
Simultaneous Deep Learning and Clustering", ICML 2017):

* network: the ``d-500-500-2000-10`` autoencoder (or a convolutional one),
  pretrained on reconstruction;
* initialisation: k-means on the embeddings gives the centroids, and every
  sample is assigned to its nearest centroid;
* loss: ``mean_i ||x_i - g(f(x_i))||^2 + (lambda / 2) mean_i ||f(x_i) - mu_{s_i}||^2``
  with hard assignments ``s_i`` and centroids ``mu`` held fixed during the
  gradient step (:func:`kmeans_loss`, :class:`KMeansClusteringLoss`);
* schedule: after every network step, the batch's samples are reassigned to
  their nearest centroid and each centroid moves by the count-based rule
  ``mu_k <- mu_k - (1 / c_k)(mu_k - z_i)`` (:class:`AlternatingKMeansUpdate`).

The loss lives in :mod:`skdeepcluster.losses.kmeans`, the clustering head
(centroids and counts as buffers) in :mod:`skdeepcluster.networks.heads`, the
alternating update in :mod:`skdeepcluster.updates`; this module maps DCN's
parameters onto them.
"""

from numbers import Integral, Real

from sklearn.utils._param_validation import Interval

from .compose import CountedCentres, DeepClustering, KMeansLoss, PretrainThenCluster, Reconstruction
from .compose.preset import Preset

# Moved to the modules of the anatomy; importable from here as before.
from .losses.kmeans import (  # noqa: F401
    KMeansClusteringLoss,
    count_based_center_update,
    kmeans_loss,
    nearest_centers,
    squared_distances,
)
from .networks.heads import KMeansClusteringModule  # noqa: F401
from .updates import AlternatingKMeansUpdate  # noqa: F401

__all__ = ["DCNClustering"]


class DCNClustering(Preset):
    """Deep Clustering Network (DCN): a k-means-friendly embedding.

    Pretrains an autoencoder, initialises centroids by k-means on its
    embedding, then alternates, for every mini-batch: one gradient step on the
    autoencoder for reconstruction plus the k-means loss with assignments and
    centroids fixed; reassignment of the batch's samples to their nearest
    centroid; and the count-based centroid update (Yang, Fu, Sidiropoulos and
    Hong, "Towards K-means-friendly Spaces: Simultaneous Deep Learning and
    Clustering", ICML 2017).  The loss is
    ``mean_i ||x_i - g(f(x_i))||^2 + (clustering_weight / 2) mean_i ||f(x_i) - mu_{s_i}||^2``
    (squared errors summed over features, as the paper and ClustPy).  Like
    k-means, it looks for compact, hard-assigned clusters in the embedding.

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters.
    clustering_weight : float, default=0.1
        Weight ``lambda`` of the k-means loss (ClustPy's
        ``clustering_loss_weight``, same default and scale).
    hidden_dims : tuple of int or "auto", default="auto"
        Hidden layer widths of the MLP encoder; the decoder mirrors them.
        ``"auto"`` is ``(500, 500, 2000)`` for inputs of more than 128
        features, narrower for fewer (``hidden_dims_`` holds the widths used;
        see :class:`~skdeepcluster.compose.AutoencoderNetwork`).
    embedding_dim : int, default=10
        Dimension of the embedding the clusters live in.
    network : {"mlp", "conv", "conv_bn"}, default="mlp"
        Fully connected autoencoder, or one for images (input ``(n, C, H, W)``,
        or flat with ``input_shape``): ``"conv"`` the strided convolutional
        :class:`~skdeepcluster.networks.ConvAutoencoder`, ``"conv_bn"`` the
        :class:`~skdeepcluster.networks.BatchNormConvAutoencoder` with batch
        normalisation and max pooling (DBC's, which the discriminative latent
        space paper trains).
    input_shape : tuple of int, default=None
        ``(C, H, W)`` of flat image input for an image ``network``.
    encoder, decoder : torch.nn.Module, default=None
        Your own networks, replacing ``network``; DCN reconstructs its input,
        so ``decoder`` is required with ``encoder``.  They are copied, never
        modified.
    weight_init : {"glorot", "torch"}, default="glorot"
        Initialisation of the built-in network's layers: Glorot-uniform
        weights and zero biases (the default of Lasagne, which the DCN
        reference is written in, and of Keras; see
        :func:`~skdeepcluster.networks.glorot_init`), or PyTorch's default
        (uniform within ``1 / sqrt(fan_in)``).  Your own ``encoder`` and
        ``decoder`` keep theirs.
    pretrain_epochs : int or "auto", default="auto"
        Epochs of autoencoder pretraining; 0 skips it.
        ``"auto"`` is 100, or more epochs on a data set too small for
        3,000 gradient steps in 100 (``pretrain_epochs_`` holds the number used).
    pretrain_lr : float, default=1e-3
        Learning rate of pretraining.
    pretrain_optimizer : {"adam", "sgd"} or torch optimizer class, default="adam"
        Optimizer of pretraining: Adam, as ClustPy; or SGD with momentum 0.9.
    augment : bool, default=False
        Pretrain on randomly rotated (up to ``augment_rotation`` degrees) and
        shifted (up to ``augment_shift`` of the size) images (not in the paper;
        as DEC-DA and DMAE); needs image input (``(n, C, H, W)`` or
        ``input_shape``).  See
        :class:`~skdeepcluster.augment.ImageAugmentation`.
    augment_clustering : bool, default=False
        Train the clustering phase on such images too: the gradient step and
        the reassignment of each batch see its augmented images; the initial
        assignment, ``labels_`` and inference the original ones.  Same input
        requirement as ``augment``.  For DCN the gain on images comes from
        augmented pretraining (``augment=True``); augmenting the clustering
        phase as well has not been found to add to it.
    augment_rotation : float, default=10.0
        Largest rotation of ``augment`` and ``augment_clustering``, in degrees.
    augment_shift : float, default=0.1
        Largest shift of ``augment`` and ``augment_clustering``, as a fraction of the
        image's height and width.
    epochs : int or "auto", default="auto"
        Maximum epochs of the clustering phase.
        ``"auto"`` is 50, or more epochs on a data set too small for
        1,500 gradient steps in 50 (``epochs_`` holds the number used).
    lr : float, default=1e-4
        Learning rate of the clustering phase (ClustPy's; ten times below
        pretraining).
    optimizer : {"adam", "sgd"} or torch optimizer class, default="adam"
        Optimizer of the clustering phase.
    initial_count : int, default=100
        Initial count ``c_k`` of every cluster in the centroid update
        ``mu_k <- mu_k - (1 / c_k)(mu_k - z_i)``: 100 in the authors' code and
        ClustPy, so that early batches do not drag the k-means centroids far.
    tol : float, default=0.0
        Training stops when fewer than this fraction of samples changed
        cluster during an epoch; 0 runs all ``epochs``.
    n_init : int, default=20
        Number of k-means runs of the centroid initialisation.
    batch_size : int or "auto", default="auto"
        Mini-batch size of both phases.
        ``"auto"`` is 256 on data of at least 50 such batches, and
        ``n_samples // 50`` (at least 32) on smaller data (``batch_size_``
        holds the size used).
    precision : {"float32", "tf32", "bf16"}, default="float32"
        Arithmetic of training (both phases): float32, TF32 products on CUDA,
        or the network's layers under bfloat16 autocast (the user guide's
        :ref:`precision` says what stays float32 and what it costs).
    callbacks : list of skorch callbacks, default=None
        Extra callbacks for the clustering phase (copied before use).
    device : str, default="auto"
        ``"auto"`` trains on CUDA when available, else on the CPU; or
        ``"cpu"``, ``"cuda"``, ``"cuda:1"``...
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, batch order and k-means.
    verbose : int, default=0
        1 prints a line as each phase starts (pretraining, initialisation,
        clustering, readout) with its resolved settings, skorch's table of
        losses per epoch (coloured only on a terminal) and why training
        stopped early; 2 or more adds a progress bar over each epoch's
        batches (needs tqdm).

    Attributes
    ----------
    labels_ : ndarray of shape (n_samples,)
        Cluster of each training sample (its nearest centroid).
    cluster_centers_ : ndarray of shape (n_clusters, embedding_dim)
        Centroids in the embedding space.
    net_ : skorch.NeuralNet
        The trained clustering network (its ``module_`` holds the autoencoder,
        the centroids and their counts).
    history_ : skorch.History
        Losses, ``delta_label`` (fraction of samples that changed cluster in
        the epoch) and ``n_reseeded`` (empty clusters reseeded) per epoch.
    pretrain_history_ : skorch.History or None
        Losses of the pretraining phase.
    device_ : str
        Device the network was trained on.
    n_iter_ : int
        Epochs run in the clustering phase.
    input_shape_ : tuple of int or None
        Image shape the network was built for, if any.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    IDECClustering : Reconstruction plus a soft (Student's t) clustering loss.
    sklearn.cluster.KMeans : The shallow objective DCN makes its embedding fit.
    :ref:`user_guide` : The other methods and the choice of augmentation.
    :ref:`auto_defaults` : How the ``"auto"`` defaults adapt to the data.

    Notes
    -----
    * ``predict`` gives the nearest centroid; ``predict_proba`` gives
      ``softmax_k(-||z - mu_k||^2)`` (unit-variance Gaussian responsibilities),
      whose argmax is that centroid; ``transform`` gives the embedding.
    * The centroid update uses the embeddings of the gradient step's forward
      pass, computed just before that step; the reference code encodes the
      batch again after the step.  The difference is one small Adam step and
      saves a forward pass per batch.
    * The per-sample updates of a batch are applied in their closed form,
      which equals the sequential rule exactly (see
      :func:`count_based_center_update`).
    * Empty clusters are reseeded at the farthest sample (see
      :class:`AlternatingKMeansUpdate`); the centroid update never divides by
      zero because counts start at ``initial_count >= 1``.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from skdeepcluster.dcn import DCNClustering
    >>> X, _ = make_blobs(n_samples=60, centers=3, random_state=0)
    >>> dcn = DCNClustering(n_clusters=3, hidden_dims=(16,), embedding_dim=2,
    ...                     pretrain_epochs=5, epochs=5, random_state=0)
    >>> dcn.fit_predict(X).shape
    (60,)
    >>> dcn.transform(X).shape
    (60, 2)
    """

    _parameter_constraints = {
        **Preset._parameter_constraints,
        "clustering_weight": [Interval(Real, 0, None, closed="left")],
        "initial_count": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        **Preset._augmentation_constraints,
    }

    def __init__(
        self,
        n_clusters=8,
        *,
        clustering_weight=0.1,
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
        augment=False,
        augment_clustering=False,
        augment_rotation=10.0,
        augment_shift=0.1,
        epochs="auto",
        lr=1e-4,
        optimizer="adam",
        initial_count=100,
        tol=0.0,
        n_init=20,
        batch_size="auto",
        precision="float32",
        callbacks=None,
        device="auto",
        random_state=None,
        verbose=0,
    ):
        self.n_clusters = n_clusters
        self.clustering_weight = clustering_weight
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
        self.augment = augment
        self.augment_clustering = augment_clustering
        self.augment_rotation = augment_rotation
        self.augment_shift = augment_shift
        self.epochs = epochs
        self.lr = lr
        self.optimizer = optimizer
        self.initial_count = initial_count
        self.tol = tol
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
            non_clustering_loss=Reconstruction(weight=1.0, reduction="sum"),
            clustering_loss=KMeansLoss(weight=self.clustering_weight),
            schedule=PretrainThenCluster(
                **self._lengths(100, 50), pretrain_lr=self.pretrain_lr,
                pretrain_optimizer=self.pretrain_optimizer,
            ),
            cluster_update=CountedCentres(self.initial_count, self.tol),
            augmentation=self._augmentation(),
            **self._common(),
        )
