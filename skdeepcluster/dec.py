"""DEC and IDEC: clustering by hardening Student's t soft assignments.

Recipe (Xie et al. 2016; Guo et al. 2017):

* network: the ``d-500-500-2000-10`` autoencoder (or a convolutional one),
  pretrained on reconstruction;
* initialisation: k-means on the embeddings gives the centroids;
* loss: ``KL(P || Q)`` between the Student's t assignments ``Q`` and the
  sharpened target ``P`` (DEC), plus the reconstruction error (IDEC, whose
  decoder is kept);
* schedule: ``P`` is recomputed on all data every ``update_interval`` batches,
  and training stops when fewer than ``tol`` of the labels changed.
"""

from numbers import Integral, Real

from sklearn.cluster import KMeans
from sklearn.utils._param_validation import Interval

from .compose import (
    DeepClustering,
    Hardening,
    PretrainThenCluster,
    Reconstruction,
    TargetRefresh,
)
from .compose.preset import Preset

__all__ = ["DECClustering", "IDECClustering", "AljalboutClustering"]


class DECClustering(Preset):
    """Deep Embedded Clustering (DEC).

    Pretrains an autoencoder, initialises centroids by k-means on its
    embedding, then trains the encoder and the centroids to minimise
    ``KL(P || Q)``, where ``Q`` are Student's t soft assignments and ``P`` the
    target distribution that sharpens them (Xie, Girshick and Farhadi, "Unsupervised
    Deep Embedding for Clustering Analysis", ICML 2016).  It suits data whose
    classes an autoencoder embeds as compact groups, such as images of digits
    or text features; clusters that are not convex in the input, such as a
    circle inside a ring, it separates only in part, where
    :class:`~skdeepcluster.DDCClustering` and
    :class:`~skdeepcluster.DiscriminativeLatentClustering` separate them.

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters.
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
        ``(C, H, W)`` of flat image input for an image ``network``; a flat
        square input is read as one-channel images when not given.
    encoder, decoder : torch.nn.Module, default=None
        Your own networks, replacing ``network``.  The encoder maps a batch to
        ``(n, embedding_dim)``.  Without a decoder, ``pretrain_epochs`` must be
        0 (an encoder you trained already).  They are copied, never modified.
    weight_init : {"glorot", "torch"}, default="glorot"
        Initialisation of the built-in network's layers: Glorot-uniform
        weights and zero biases (the Keras default, which the IDEC reference
        uses; see :func:`~skdeepcluster.networks.glorot_init`), or PyTorch's
        default (uniform within ``1 / sqrt(fan_in)``; for the weights, the
        DEC Keras reference's VarianceScaling).  Glorot's is the better
        start for the paper's MNIST recipe; the user guide's IDEC section
        (:ref:`user_guide`) compares the two.  Your own ``encoder`` and
        ``decoder`` keep theirs.
    alpha : float, default=1.0
        Degrees of freedom of the Student's t kernel.
    pretrain_epochs : int or "auto", default="auto"
        Epochs of autoencoder pretraining; 0 skips it.
        ``"auto"`` is 100, or more epochs on a data set too small for
        3,000 gradient steps in 100 (``pretrain_epochs_`` holds the number used).
    pretrain_lr : float, default=1e-3
        Learning rate of pretraining.
    pretrain_optimizer : {"adam", "sgd"} or torch optimizer class, default="adam"
        Optimizer of pretraining: Adam (as the IDEC reference and ClustPy), or
        SGD with momentum 0.9, which the DEC Keras reference uses on MNIST with
        ``pretrain_lr=1.0`` for 300 epochs.
    augment : bool, default=False
        Pretrain on randomly rotated (up to ``augment_rotation`` degrees) and
        shifted (up to ``augment_shift`` of the size) images, as ConvDEC-DA;
        needs image input (``(n, C, H, W)`` or ``input_shape``).  See
        :class:`~skdeepcluster.augment.ImageAugmentation`.
    augment_clustering : bool, default=False
        Train the clustering phase on such images too, the target
        distribution computed on the original ones: with ``augment=True``,
        DEC-DA (Guo, Zhu, Liu and Yin, "Deep Embedded Clustering with Data
        Augmentation", ACML 2018).  Same input requirement as ``augment``.
        On images it usually clusters better than the plain clustering
        phase, for DEC and IDEC alike; the labels keep changing under
        augmentation, so expect it to run all ``epochs`` rather than stop by
        ``tol``.
    augment_rotation : float, default=10.0
        Largest rotation of ``augment`` and ``augment_clustering``, in degrees.
    augment_shift : float, default=0.1
        Largest shift of ``augment`` and ``augment_clustering``, as a fraction of the
        image's height and width.
    epochs : int or "auto", default="auto"
        Maximum epochs of the clustering phase.
        ``"auto"`` is 100, or more epochs on a data set too small for
        1,500 gradient steps in 100 (``epochs_`` holds the number used).
    lr : float, default=0.01
        Learning rate of the clustering phase.
    optimizer : {"sgd", "adam"} or torch optimizer class, default="sgd"
        Optimizer of the clustering phase; ``"sgd"`` uses momentum 0.9, as the
        paper.
    update_interval : int, default=140
        Batches between two refreshes of the target distribution.
    tol : float, default=1e-3
        Training stops when fewer than this fraction of labels change between
        two refreshes.
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
        Cluster of each training sample.
    cluster_centers_ : ndarray of shape (n_clusters, embedding_dim)
        Centroids in the embedding space.
    net_ : skorch.NeuralNet
        The trained clustering network (its ``module_`` holds encoder and centroids).
    history_ : skorch.History
        Losses and ``delta_label`` of the clustering phase.
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
    IDECClustering : DEC that keeps the decoder and its reconstruction loss.
    sklearn.cluster.KMeans : The shallow baseline DEC refines.
    :ref:`user_guide` : DEC step by step, and the choice of ``weight_init``
        and of augmentation.
    :ref:`auto_defaults` : How the ``"auto"`` defaults adapt to the data.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from skdeepcluster import DECClustering
    >>> X, _ = make_blobs(n_samples=60, centers=3, random_state=0)
    >>> dec = DECClustering(n_clusters=3, hidden_dims=(16,), embedding_dim=2,
    ...                     pretrain_epochs=5, epochs=5, random_state=0)
    >>> dec.fit_predict(X).shape
    (60,)
    >>> dec.transform(X).shape
    (60, 2)
    """

    _parameter_constraints = {
        **Preset._parameter_constraints,
        "alpha": [Interval(Real, 0, None, closed="neither")],
        "update_interval": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        **Preset._augmentation_constraints,
    }

    def __init__(
        self,
        n_clusters=8,
        *,
        hidden_dims="auto",
        embedding_dim=10,
        network="mlp",
        input_shape=None,
        encoder=None,
        decoder=None,
        weight_init="glorot",
        alpha=1.0,
        pretrain_epochs="auto",
        pretrain_lr=1e-3,
        pretrain_optimizer="adam",
        augment=False,
        augment_clustering=False,
        augment_rotation=10.0,
        augment_shift=0.1,
        epochs="auto",
        lr=0.01,
        optimizer="sgd",
        update_interval=140,
        tol=1e-3,
        n_init=20,
        batch_size="auto",
        precision="float32",
        callbacks=None,
        device="auto",
        random_state=None,
        verbose=0,
    ):
        self.n_clusters = n_clusters
        self.hidden_dims = hidden_dims
        self.embedding_dim = embedding_dim
        self.network = network
        self.input_shape = input_shape
        self.encoder = encoder
        self.decoder = decoder
        self.weight_init = weight_init
        self.alpha = alpha
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
        self.update_interval = update_interval
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
            non_clustering_loss=self._reconstruction(),
            clustering_loss=Hardening(alpha=self.alpha, weight=self._clustering_weight()),
            schedule=PretrainThenCluster(
                **self._lengths(100, 100), pretrain_lr=self.pretrain_lr,
                pretrain_optimizer=self.pretrain_optimizer,
            ),
            cluster_update=TargetRefresh(self.update_interval, self.tol, self._target_power()),
            augmentation=self._augmentation(),
            **self._common(),
        )

    def _reconstruction(self):
        return None  # DEC drops the decoder after pretraining

    def _clustering_weight(self):
        return 1.0

    def _target_power(self):
        return 2.0  # DEC's target squares the assignments


class IDECClustering(DECClustering):
    """Improved Deep Embedded Clustering (IDEC): DEC with local structure preserved.

    DEC's clustering objective plus the autoencoder's reconstruction error,
    ``L = L_rec + gamma * KL(P || Q)``, so that the decoder keeps the
    embedding from distorting (Guo, Gao, Liu and Yin, "Improved Deep Embedded
    Clustering with Local Structure Preservation", IJCAI 2017).

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters.
    gamma : float, default=0.1
        Weight of the clustering loss relative to the reconstruction loss.
    hidden_dims, embedding_dim, network, input_shape, encoder, decoder, alpha, \
pretrain_epochs, pretrain_lr, pretrain_optimizer, augment, augment_clustering, \
augment_rotation, augment_shift, epochs, update_interval, tol, n_init, batch_size, \
precision, callbacks, device, random_state, verbose
        As for :class:`DECClustering`.  ``decoder`` is required with ``encoder``.
    weight_init : {"glorot", "torch"}, default="glorot"
        Initialisation of the built-in network's layers, as for
        :class:`DECClustering`: Glorot-uniform weights and zero biases, as
        the IDEC reference (Keras's default), or PyTorch's.  Glorot's is the
        better start for the paper's MNIST recipe, more so on small subsets
        (see the user guide's IDEC section, :ref:`user_guide`).
    lr : float, default=1e-3
        Learning rate of the clustering phase.
    optimizer : {"adam", "sgd"} or torch optimizer class, default="adam"
        Optimizer of the clustering phase (Adam, as the IDEC paper).

    Attributes
    ----------
    labels_, cluster_centers_, net_, history_, pretrain_history_, device_, \
n_iter_, input_shape_, n_features_in_, feature_names_in_
        As for :class:`DECClustering`.

    See Also
    --------
    DECClustering : The same without the reconstruction term.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from skdeepcluster import IDECClustering
    >>> X, _ = make_blobs(n_samples=60, centers=3, random_state=0)
    >>> idec = IDECClustering(n_clusters=3, hidden_dims=(16,), embedding_dim=2,
    ...                       pretrain_epochs=5, epochs=5, random_state=0)
    >>> idec.fit(X).labels_.shape
    (60,)
    """

    _parameter_constraints = {
        **DECClustering._parameter_constraints,
        "gamma": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        n_clusters=8,
        *,
        gamma=0.1,
        hidden_dims="auto",
        embedding_dim=10,
        network="mlp",
        input_shape=None,
        encoder=None,
        decoder=None,
        weight_init="glorot",
        alpha=1.0,
        pretrain_epochs="auto",
        pretrain_lr=1e-3,
        pretrain_optimizer="adam",
        augment=False,
        augment_clustering=False,
        augment_rotation=10.0,
        augment_shift=0.1,
        epochs="auto",
        lr=1e-3,
        optimizer="adam",
        update_interval=140,
        tol=1e-3,
        n_init=20,
        batch_size="auto",
        precision="float32",
        callbacks=None,
        device="auto",
        random_state=None,
        verbose=0,
    ):
        super().__init__(
            n_clusters,
            hidden_dims=hidden_dims,
            embedding_dim=embedding_dim,
            network=network,
            input_shape=input_shape,
            encoder=encoder,
            decoder=decoder,
            weight_init=weight_init,
            alpha=alpha,
            pretrain_epochs=pretrain_epochs,
            pretrain_lr=pretrain_lr,
            pretrain_optimizer=pretrain_optimizer,
            augment=augment,
            augment_clustering=augment_clustering,
            augment_rotation=augment_rotation,
            augment_shift=augment_shift,
            epochs=epochs,
            lr=lr,
            optimizer=optimizer,
            update_interval=update_interval,
            tol=tol,
            n_init=n_init,
            batch_size=batch_size,
            precision=precision,
            callbacks=callbacks,
            device=device,
            random_state=random_state,
            verbose=verbose,
        )
        self.gamma = gamma

    def _reconstruction(self):
        return Reconstruction(weight=1.0)

    def _clustering_weight(self):
        return self.gamma


class AljalboutClustering(IDECClustering):
    """The method Aljalbout et al. (2018) compose from their taxonomy of deep clustering.

    A convolutional autoencoder (with batch normalisation) is pretrained on
    reconstruction; then the reconstruction loss and DEC's cluster-assignment
    hardening are minimised jointly (as IDEC, so the decoder keeps the
    embedding from degenerating); finally k-means on the trained embedding
    gives the clusters, and ``predict`` assigns new samples to its nearest
    centre (Aljalbout, Golkov, Siddiqui and Cremers, "Clustering with Deep
    Learning: Taxonomy and New Methods", 2018, section 4).

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters.
    gamma : float, default=0.1
        Weight of the hardening loss relative to the reconstruction loss.
    network : {"auto", "conv_bn", "conv", "mlp"}, default="auto"
        The autoencoder: convolutional with batch normalisation and max
        pooling (:class:`~skdeepcluster.networks.BatchNormConvAutoencoder`),
        strided convolutional, or fully connected (``hidden_dims``).  The
        image networks take ``(n, C, H, W)``, ``(n, H, W)`` or flat square
        images.  ``"auto"`` is ``"conv_bn"`` (the paper's) for images, given
        as ``(n, C, H, W)``, ``(n, H, W)`` or with ``input_shape``, of at
        least 8x8 pixels, and ``"mlp"`` for other input.
    lr : float, default=1e-3
        Learning rate of the joint phase.
    optimizer : {"adam", "sgd"} or torch optimizer class, default="adam"
        Optimizer of the joint phase.  The paper uses SGD with ``lr=0.01``
        and momentum 0.9 (``optimizer="sgd"``), which needs scaled input.
    hidden_dims, embedding_dim, input_shape, encoder, decoder, weight_init, alpha, \
pretrain_epochs, pretrain_lr, pretrain_optimizer, augment, augment_clustering, \
augment_rotation, augment_shift, epochs, update_interval, tol, n_init, batch_size, \
precision, callbacks, device, random_state, verbose
        As for :class:`IDECClustering`; ``n_init`` also sets the k-means runs
        on the final embedding.

    Attributes
    ----------
    labels_, net_, history_, pretrain_history_, device_, n_iter_, input_shape_, \
n_features_in_, feature_names_in_
        As for :class:`DECClustering`.
    cluster_centers_ : ndarray of shape (n_clusters, embedding_dim)
        The final k-means centres in the embedding.
    readout_ : sklearn.cluster.KMeans
        The k-means fitted on the final embedding; it gives ``labels_`` and
        ``predict``.

    See Also
    --------
    IDECClustering : The same joint objective, labels from the soft assignments.
    DeepClustering : The composition this preset is one choice of.

    Examples
    --------
    >>> import numpy as np
    >>> from skdeepcluster import AljalboutClustering
    >>> rng = np.random.default_rng(0)
    >>> X = rng.random((60, 1, 8, 8)).astype(np.float32)
    >>> model = AljalboutClustering(n_clusters=3, pretrain_epochs=2, epochs=2, n_init=2,
    ...                             random_state=0).fit(X)
    >>> model.cluster_centers_.shape
    (3, 10)
    """

    def __init__(
        self,
        n_clusters=8,
        *,
        gamma=0.1,
        hidden_dims="auto",
        embedding_dim=10,
        network="auto",
        input_shape=None,
        encoder=None,
        decoder=None,
        weight_init="glorot",
        alpha=1.0,
        pretrain_epochs="auto",
        pretrain_lr=1e-3,
        pretrain_optimizer="adam",
        augment=False,
        augment_clustering=False,
        augment_rotation=10.0,
        augment_shift=0.1,
        epochs="auto",
        lr=1e-3,
        optimizer="adam",
        update_interval=140,
        tol=1e-3,
        n_init=20,
        batch_size="auto",
        precision="float32",
        callbacks=None,
        device="auto",
        random_state=None,
        verbose=0,
    ):
        super().__init__(
            n_clusters,
            gamma=gamma,
            hidden_dims=hidden_dims,
            embedding_dim=embedding_dim,
            network=network,
            input_shape=input_shape,
            encoder=encoder,
            decoder=decoder,
            weight_init=weight_init,
            alpha=alpha,
            pretrain_epochs=pretrain_epochs,
            pretrain_lr=pretrain_lr,
            pretrain_optimizer=pretrain_optimizer,
            augment=augment,
            augment_clustering=augment_clustering,
            augment_rotation=augment_rotation,
            augment_shift=augment_shift,
            epochs=epochs,
            lr=lr,
            optimizer=optimizer,
            update_interval=update_interval,
            tol=tol,
            n_init=n_init,
            batch_size=batch_size,
            precision=precision,
            callbacks=callbacks,
            device=device,
            random_state=random_state,
            verbose=verbose,
        )

    def to_deep_clustering(self):
        # k-means on the final embedding gives the labels (the taxonomy's last axis).
        return super().to_deep_clustering().set_params(readout=KMeans(n_init=self.n_init))
