"""Clustering in a discriminative latent space: pairwise cosine discrimination.

Recipe (Tzoreff, Kogan and Choukroun, "Deep Discriminative Latent Space for
Clustering", 2018, arXiv:1805.10795):

* network: an autoencoder whose embedding is read on the unit sphere
  (``zbar = z / ||z||``);
* pretraining: the **discriminative loss** of each batch, the mean absolute
  cosine similarity of all pairs minus a reward for *anchor pairs*, the most
  similar pairs of the batch's k-nearest-neighbour graph in input space,
  regularised by reconstruction (:func:`discriminative_loss`,
  :func:`knn_anchor_pairs`);
* initialisation: k-means on the normalised embeddings gives the centroids;
* clustering, stage I: maximise the cosine of each sample to its assigned
  (most similar) centroid, keeping the pretraining loss with its anchors;
* clustering, stage II: the anchor pairs become the pairs that share a
  cluster, and the most similar pair of centroids is penalised
  (:func:`worst_centroid_similarity`);
* schedule: :class:`ClusteringStageSchedule` switches from stage I to stage II;
  :class:`AssignmentUpdate` assigns the whole training set at the start of
  each epoch.

Centroids are trainable parameters, used normalised.  The cosine to the
centroid (eq. 7) uses each batch's most similar centroids; the pairs of stage
II come from the assignments of the whole training set, held fixed for an
epoch (the assignment step of the paper's alternating maximisation), while
gradient steps update the network and the centroids together.

Every loss here is a fixed-shape tensor computation (``topk``, ``scatter``,
masks; no host synchronisation and no data-dependent Python branch), so that
the engine can capture the training step in a CUDA graph; the stage weights
are a buffer of the criterion that the schedule updates in place.
"""

from numbers import Integral, Real

from sklearn.utils._param_validation import Interval, StrOptions

from .compose import (
    DeepClustering,
    EpochAssignments,
    PairwiseDiscriminative,
    PretrainThenCluster,
    Reconstruction,
)
from .compose.preset import Preset

# Moved to the modules of the anatomy; importable from here as before.
from .losses.discriminative import (  # noqa: F401
    _ANCHOR_METRICS,
    DiscriminativeClusteringLoss,
    DiscriminativePretrainingLoss,
    centroid_cosine_loss,
    cluster_discriminative_loss,
    cosine_similarity_matrix,
    discriminative_loss,
    knn_anchor_pairs,
    same_cluster_pairs,
    worst_centroid_similarity,
)
from .networks.heads import CosineClusteringModule  # noqa: F401
from .updates import AssignmentUpdate, ClusteringStageSchedule  # noqa: F401

__all__ = ["DiscriminativeLatentClustering"]


class DiscriminativeLatentClustering(Preset):
    """Deep clustering in a discriminative latent space (DDLS).

    Pretrains an autoencoder on a *pairwise discriminative* loss rather than
    on reconstruction alone: in each (large) batch the cosine similarities of
    all pairs of embeddings are pushed towards 0, and those of *anchor
    pairs* (the closest pairs of the batch's k-nearest-neighbour graph in
    input space) towards 1, with the reconstruction error as a regulariser.
    Centroids on the unit sphere are then initialised by k-means on the
    normalised embeddings and trained with the network to maximise each
    sample's cosine to its most similar centroid, in two stages: stage I keeps
    the kNN-anchored discriminative loss; stage II takes the pairs that share
    a cluster as anchors and penalises the most similar pair of centroids
    (Tzoreff, Kogan and Choukroun, "Deep Discriminative Latent Space for
    Clustering", 2018, arXiv:1805.10795).  Since the anchors follow the
    data's neighbourhoods, it also separates clusters that are not convex,
    such as two moons or a circle inside a ring, on centred features (see
    ``anchor_metric``).

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
        Dimension of the embedding (clusters live on its unit sphere).
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
        Your own networks, replacing ``network``; copied, never modified.
        Without a decoder, ``reconstruction_weight`` must be 0.
    weight_init : {"torch", "glorot"}, default="torch"
        Initialisation of the built-in network's layers: PyTorch's default
        (uniform within ``1 / sqrt(fan_in)``, for the weights the DEC Keras
        reference's), or Glorot-uniform weights and zero biases (the Keras
        default, which the IDEC reference uses; see
        :func:`~skdeepcluster.networks.glorot_init`).  Your own ``encoder``
        and ``decoder`` keep theirs.
    n_neighbors : int or "auto", default="auto"
        Neighbours per sample of each batch's input-space kNN graph (``k``).
        ``"auto"`` is the paper's 5 when a batch holds at least ten samples
        of each cluster (``batch_size_ >= 10 * n_clusters``), and otherwise
        half the samples a batch holds of a cluster, at least one, so that
        most neighbours can share the sample's cluster.
    anchor_fraction : float, default=0.5
        Fraction of the ``batch_size * n_neighbors`` kNN edges kept as anchor
        pairs, the closest first.
    anchor_metric : {"auto", "euclidean", "cosine"}, default="auto"
        Input-space distance of the kNN graph.  ``"auto"`` is ``"cosine"``
        when every training value is non-negative (images, counts: the cosine
        compares patterns) and ``"euclidean"`` otherwise (centred features,
        where the cosine compares only directions from the mean and so
        cannot separate a circle from the ring around it).
    beta : float, default=0.5
        The anchor reward is weighted ``1 - beta`` (the paper's discount for
        anchors that do not share a cluster after all).
    reconstruction_weight : float, default=1.0
        Weight of the mean squared reconstruction error, in pretraining and
        clustering (the paper's ``lambda``; a mean, not the paper's Frobenius
        norm, so that it does not scale with batch and input size).
    stage1_discriminative_weight : float, default=1.0
        Weight of the kNN-anchored discriminative loss in stage I.
    stage2_discriminative_weight : float, default=1.0
        Weight of the discriminative loss with same-cluster pairs as anchors in
        stage II.
    centroid_separation_weight : float, default=1.0
        Weight of the absolute cosine of the most similar pair of centroids in
        stage II (:func:`worst_centroid_similarity`).
    temperature : float, default=0.1
        Temperature of ``predict_proba``, ``softmax(cos(z, mu) / temperature)``.
    pretrain_epochs : int or "auto", default="auto"
        Epochs of discriminative pretraining (Adam); 0 skips it.
        ``"auto"`` is 50, or more epochs on a data set too small for
        3,000 gradient steps in 50 (``pretrain_epochs_`` holds the number used).
    pretrain_lr : float, default=1e-3
        Learning rate of pretraining.  The default lowers the loss fastest
        in the paper's MNIST setting (``network="conv_bn"``, batch 1000); a
        larger rate does not make up for fewer pretraining steps.
    epochs : int or "auto", default="auto"
        Epochs of the clustering phase, both stages.
        ``"auto"`` is 50, or more epochs on a data set too small for
        1,500 gradient steps in 50 (``epochs_`` holds the number used).
    stage1_fraction : float, default=0.75
        Fraction of ``epochs`` spent in stage I (rounded); the rest is stage II.
    lr : float, default=1e-3
        Learning rate of the clustering phase.
    optimizer : {"adam", "sgd"} or torch optimizer class, default="adam"
        Optimizer of the clustering phase.
    n_init : int, default=20
        Number of k-means runs of the centroid initialisation.
    batch_size : int or "auto", default="auto"
        Mini-batch size of both phases.  Large, as in the paper, so that each
        batch holds a few close neighbours of each sample and many more
        dissimilar pairs than similar ones.
        ``"auto"`` is 1000 on data of at least 50 such batches, and
        ``n_samples // 50`` (at least 32) on smaller data (``batch_size_``
        holds the size used).
    precision : {"float32", "tf32", "bf16"}, default="float32"
        Arithmetic of training (both phases): float32, TF32 products on CUDA,
        or the network's layers under bfloat16 autocast (the user guide's
        :ref:`precision` says what stays float32 and what it costs).
    callbacks : list of skorch callbacks, default=None
        Extra callbacks for the clustering phase (copied before use).
    device : str, default="auto"
        ``"auto"`` trains on CUDA when available, else on the CPU.
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
    pretrain_labels_ : ndarray of shape (n_samples,)
        k-means labels of the training samples on the pretrained, normalised
        embedding (the initialisation of the clustering phase).
    cluster_centers_ : ndarray of shape (n_clusters, embedding_dim)
        Centroids, of unit norm, in the space of :meth:`transform`.
    net_ : skorch.NeuralNet
        The trained clustering network (its ``module_`` holds the
        autoencoder and the centroids).
    history_ : skorch.History
        Losses and ``stage`` of each clustering epoch.
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
    DECClustering : Reconstruction pretraining, then KL hardening.
    sklearn.cluster.KMeans : The shallow baseline.

    Notes
    -----
    ``transform`` returns the *normalised* embedding, so that
    ``cluster_centers_`` and :meth:`score` (within-cluster squared distances,
    ``2 - 2 cos``) live in the space the method clusters.  ``predict`` is the
    centroid of maximal cosine; ``predict_proba`` is
    ``softmax(cos(z, mu) / temperature)``.

    Choices where the paper's text is silent or its constants were lost:

    * centroids are parameters trained by backpropagation (used normalised);
      the centroid term assigns each batch to its most similar centroids
      before the step, while the same- and different-cluster pairs of stage
      II come from assignments of the whole training set refreshed at the
      start of each epoch (:class:`AssignmentUpdate`, the assignment step of
      the paper's alternating maximisation).  Pairs from each batch's own
      assignments would pull a sample that changed cluster at once towards
      its new cluster-mates, so that whole groups move between clusters and
      stage II lowers the accuracy; with the epoch's assignments the
      clustering phase keeps it;
    * stage II's within-cluster reward is averaged per cluster over all
      clusters (:func:`cluster_discriminative_loss`): a plain mean over
      within-cluster pairs rewards putting every sample in one cluster;
    * the worst centroid pair is penalised on its absolute cosine, towards
      orthogonal centroids as the L1 between-cluster term wants for the
      embeddings (the signed cosine would push them towards opposite
      directions; the two cluster alike);
    * ``stage1_fraction=0.75``: stage I (kNN anchors) is where the
      clustering phase gains, stage II mostly holds the assignments;
    * the reconstruction error is a mean squared error;
    * the defaults (cosine kNN graph, the paper's ``n_neighbors=5`` on its batches,
      ``anchor_fraction=0.5``, ``beta=0.5``, unit weights) were chosen on
      MNIST subsets; :doc:`/benchmarks` describes how.

    The losses are written for the engine's CUDA-graph step (fixed shapes, no
    host synchronisation; the stage switch updates a buffer in place).

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from skdeepcluster.discriminative import DiscriminativeLatentClustering
    >>> X, _ = make_blobs(n_samples=60, centers=3, random_state=0)
    >>> ddls = DiscriminativeLatentClustering(
    ...     n_clusters=3, hidden_dims=(16,), embedding_dim=3, pretrain_epochs=5,
    ...     epochs=4, batch_size=60, random_state=0)
    >>> ddls.fit_predict(X).shape
    (60,)
    >>> ddls.predict_proba(X).shape
    (60, 3)
    """

    _parameter_constraints = {
        **Preset._parameter_constraints,
        "n_neighbors": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "anchor_fraction": [Interval(Real, 0, 1, closed="right")],
        "anchor_metric": [StrOptions({*_ANCHOR_METRICS, "auto"})],
        "beta": [Interval(Real, 0, 1, closed="both")],
        "reconstruction_weight": [Interval(Real, 0, None, closed="left")],
        "stage1_discriminative_weight": [Interval(Real, 0, None, closed="left")],
        "stage2_discriminative_weight": [Interval(Real, 0, None, closed="left")],
        "centroid_separation_weight": [Interval(Real, 0, None, closed="left")],
        "temperature": [Interval(Real, 0, None, closed="neither")],
        "stage1_fraction": [Interval(Real, 0, 1, closed="both")],
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
        weight_init="torch",
        n_neighbors="auto",
        anchor_fraction=0.5,
        anchor_metric="auto",
        beta=0.5,
        reconstruction_weight=1.0,
        stage1_discriminative_weight=1.0,
        stage2_discriminative_weight=1.0,
        centroid_separation_weight=1.0,
        temperature=0.1,
        pretrain_epochs="auto",
        pretrain_lr=1e-3,
        epochs="auto",
        stage1_fraction=0.75,
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
        self.hidden_dims = hidden_dims
        self.embedding_dim = embedding_dim
        self.network = network
        self.input_shape = input_shape
        self.encoder = encoder
        self.decoder = decoder
        self.weight_init = weight_init
        self.n_neighbors = n_neighbors
        self.anchor_fraction = anchor_fraction
        self.anchor_metric = anchor_metric
        self.beta = beta
        self.reconstruction_weight = reconstruction_weight
        self.stage1_discriminative_weight = stage1_discriminative_weight
        self.stage2_discriminative_weight = stage2_discriminative_weight
        self.centroid_separation_weight = centroid_separation_weight
        self.temperature = temperature
        self.pretrain_epochs = pretrain_epochs
        self.pretrain_lr = pretrain_lr
        self.epochs = epochs
        self.stage1_fraction = stage1_fraction
        self.lr = lr
        self.optimizer = optimizer
        self.n_init = n_init
        self.batch_size = batch_size
        self.precision = precision
        self.callbacks = callbacks
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    _reconstruction_parameters = {"embedding": "reconstruction_weight"}

    def to_deep_clustering(self):
        return DeepClustering(
            network=self._autoencoder(),
            non_clustering_loss=Reconstruction(self.reconstruction_weight),
            clustering_loss=PairwiseDiscriminative(
                n_neighbors=self.n_neighbors, anchor_fraction=self.anchor_fraction,
                anchor_metric=self.anchor_metric, beta=self.beta,
                stage1_discriminative_weight=self.stage1_discriminative_weight,
                stage2_discriminative_weight=self.stage2_discriminative_weight,
                centroid_separation_weight=self.centroid_separation_weight,
                temperature=self.temperature, stage1_fraction=self.stage1_fraction,
            ),
            schedule=PretrainThenCluster(
                **self._lengths(50, 50), pretrain_lr=self.pretrain_lr,
            ),
            cluster_update=EpochAssignments(),
            **self._common(),
        )
