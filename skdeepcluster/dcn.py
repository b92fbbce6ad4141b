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

Everything that is specific to DCN lives in this module: the loss terms as
pure tensor functions, the criterion, the clustering module (centroids and
counts as buffers: they are updated by the rule above, not by backprop), the
alternating-update callback and the estimator.
"""

from numbers import Integral, Real

import torch
from skorch.callbacks import Callback
from sklearn.utils._param_validation import Interval
from torch import nn

from .base import BaseDeepClustering
from .engine import evaluation_mode, map_in_chunks
from .losses import reconstruction_loss
from .networks import float32_head

__all__ = [
    "squared_distances",
    "nearest_centers",
    "kmeans_loss",
    "count_based_center_update",
    "KMeansClusteringLoss",
    "KMeansClusteringModule",
    "AlternatingKMeansUpdate",
    "DCNClustering",
]


# --------------------------------------------------------------- loss terms


def squared_distances(embeddings, centers):
    """Squared Euclidean distances between embeddings and centroids.

    Parameters
    ----------
    embeddings : torch.Tensor of shape (n_samples, n_dims)
        The embedded samples ``z_i``.
    centers : torch.Tensor of shape (n_clusters, n_dims)
        The centroids ``mu_k``.

    Returns
    -------
    distances : torch.Tensor of shape (n_samples, n_clusters)
        ``||z_i - mu_k||^2``.

    Examples
    --------
    >>> import torch
    >>> squared_distances(torch.tensor([[0.0, 0.0]]), torch.tensor([[3.0, 4.0], [1.0, 0.0]]))
    tensor([[25.,  1.]])
    """
    # The matrix-product shortcut of cdist loses digits far from the origin.
    return torch.cdist(embeddings, centers, compute_mode="donot_use_mm_for_euclid_dist").pow(2)


def nearest_centers(embeddings, centers):
    """Hard k-means assignment: the nearest centroid of each embedding.

    Parameters
    ----------
    embeddings : torch.Tensor of shape (n_samples, n_dims)
        The embedded samples.
    centers : torch.Tensor of shape (n_clusters, n_dims)
        The centroids.

    Returns
    -------
    labels : torch.Tensor of shape (n_samples,), int64
        Index of the nearest centroid (the lowest index on ties).
    distances : torch.Tensor of shape (n_samples,)
        Squared distance to that centroid.

    Examples
    --------
    >>> import torch
    >>> nearest_centers(torch.tensor([[0.0], [2.9]]), torch.tensor([[0.0], [3.0]]))
    (tensor([0, 1]), tensor([0.0000, 0.0100]))
    """
    distances, labels = squared_distances(embeddings, centers).min(dim=1)
    return labels, distances


def kmeans_loss(embeddings, centers, assignments):
    """The k-means objective of a batch: ``mean_i ||z_i - mu_{s_i}||^2``.

    Gradients flow to ``embeddings`` only when ``centers`` is a buffer (DCN
    moves the centroids by its count-based rule, not by backprop).

    Parameters
    ----------
    embeddings : torch.Tensor of shape (n_samples, n_dims)
        The embedded samples ``z_i``.
    centers : torch.Tensor of shape (n_clusters, n_dims)
        The centroids ``mu_k``.
    assignments : torch.Tensor of shape (n_samples,), int64
        Hard assignment ``s_i`` of each sample.

    Returns
    -------
    loss : torch.Tensor
        A scalar: squared distances summed over the dimensions, averaged over
        the samples.

    Examples
    --------
    >>> import torch
    >>> z = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
    >>> mu = torch.tensor([[0.0, 0.0], [0.0, 1.0]])
    >>> kmeans_loss(z, mu, torch.tensor([0, 1]))  # (1 + 1) / 2
    tensor(1.)
    """
    return (embeddings - centers[assignments]).pow(2).sum(dim=1).mean()


def count_based_center_update(centers, counts, embeddings, labels):
    """DCN's centroid update for a batch of newly assigned samples.

    The reference processes the samples one at a time: ``c_k <- c_k + 1`` then
    ``mu_k <- mu_k - (1 / c_k)(mu_k - z_i)`` for the cluster ``k`` of ``z_i``.
    That is a running mean that gives the old centroid the weight ``c_k``, so
    the ``m_k`` samples of cluster ``k`` in a batch give, in any order, the
    closed form used here (one vectorised step, no loop over samples)::

        mu_k <- (c_k * mu_k + sum_{s_i = k} z_i) / (c_k + m_k),   c_k <- c_k + m_k

    Clusters with no sample in the batch keep their centroid and count.

    Parameters
    ----------
    centers : torch.Tensor of shape (n_clusters, n_dims)
        Current centroids.
    counts : torch.Tensor of shape (n_clusters,)
        Number of samples ever assigned to each cluster (plus the initial
        count); all must be positive.
    embeddings : torch.Tensor of shape (n_samples, n_dims)
        The batch's embeddings.
    labels : torch.Tensor of shape (n_samples,), int64
        Their (new) hard assignments.

    Returns
    -------
    centers : torch.Tensor of shape (n_clusters, n_dims)
        Updated centroids (a new tensor).
    counts : torch.Tensor of shape (n_clusters,)
        Updated counts (a new tensor, dtype of ``counts``).

    Examples
    --------
    >>> import torch
    >>> centers, counts = count_based_center_update(
    ...     torch.tensor([[0.0], [10.0]]), torch.tensor([2, 5]),
    ...     torch.tensor([[3.0], [6.0]]), torch.tensor([0, 0]))
    >>> centers  # (2 * 0 + 3 + 6) / 4; cluster 1 unchanged
    tensor([[ 2.2500],
            [10.0000]])
    >>> counts
    tensor([4, 5])
    """
    batch_counts = torch.bincount(labels, minlength=centers.shape[0])
    sums = torch.zeros_like(centers).index_add_(0, labels, embeddings.to(centers.dtype))
    new_counts = counts + batch_counts.to(counts.dtype)
    weights = counts.to(centers.dtype).unsqueeze(1)
    moved = (weights * centers + sums) / new_counts.to(centers.dtype).unsqueeze(1)
    # Bit-for-bit unchanged where the batch has no sample of the cluster.
    return torch.where((batch_counts > 0).unsqueeze(1), moved, centers), new_counts


# ------------------------------------------------------ criterion and module


class KMeansClusteringLoss(nn.Module):
    """DCN objective: reconstruction plus ``(clustering_weight / 2)`` times the k-means loss.

    ``L = mean_i ||x_i - g(f(x_i))||^2 + (lambda / 2) mean_i ||f(x_i) - mu_{s_i}||^2``,
    both squared errors summed over features (per sample) and averaged over
    the batch, as the paper and ClustPy (unlike DEC/IDEC's per-element mean
    squared error), so that ``clustering_weight`` is the paper's ``lambda`` and
    ClustPy's ``clustering_loss_weight``.

    The centroids ``centers`` and the per-sample assignments ``assignments``
    of the whole training set are state of the training schedule:
    :class:`AlternatingKMeansUpdate` binds them before training (``centers`` is
    the clustering module's buffer), updates them in place after each step,
    and clears them afterwards.  The loss looks the batch up by its sample
    indices.

    Parameters
    ----------
    clustering_weight : float, default=0.1
        ``lambda``, the weight of the k-means loss.
    """

    def __init__(self, clustering_weight=0.1):
        super().__init__()
        self.clustering_weight = clustering_weight
        self.centers = None
        self.assignments = None

    def forward(self, outputs, X, indices):
        reconstruction = outputs["reconstruction"]
        n_features = reconstruction[0].numel()
        loss = n_features * reconstruction_loss(X, reconstruction)
        if self.clustering_weight:
            loss = loss + 0.5 * self.clustering_weight * kmeans_loss(
                outputs["embedding"], self.centers, self.assignments[indices]
            )
        return loss


class KMeansClusteringModule(nn.Module):
    """An autoencoder with k-means centroids, as DCN trains it.

    The centroids and their counts are buffers: the alternating-update schedule
    moves them (:func:`count_based_center_update`), backpropagation does not.
    Soft assignments for ``predict_proba`` are
    ``softmax_k(-||z - mu_k||^2)``, Gaussian responsibilities of unit variance
    with equal weights: their argmax is the nearest centroid, which is the
    hard DCN assignment.

    Parameters
    ----------
    autoencoder : Autoencoder
        The (pretrained) autoencoder; it must have a decoder.
    centers : array-like of shape (n_clusters, embedding_dim)
        Initial centroids.
    initial_count : int, default=100
        Initial value of every cluster's count ``c_k`` (100 in the authors'
        code: a new sample first moves its centroid by 1/101 of the gap).
    """

    def __init__(self, autoencoder, centers, initial_count=100):
        super().__init__()
        self.autoencoder = autoencoder
        centers = torch.as_tensor(centers, dtype=torch.float32).clone()
        self.register_buffer("centers", centers)
        self.register_buffer(
            "counts", torch.full((centers.shape[0],), int(initial_count), dtype=torch.int64)
        )
        self.initial_count = int(initial_count)

    def encode(self, x):
        return self.autoencoder.encode(x)

    @float32_head
    def assign(self, z):
        return torch.softmax(-squared_distances(z, self.centers.to(z.dtype)), dim=1)

    def forward(self, x):
        return self.autoencoder(x)


# -------------------------------------------------------------- the schedule


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
        criterion = net.criterion_
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
        module, criterion = net.module_, net.criterion_
        indices = batch[1]
        with torch.no_grad():
            embeddings = y_pred["embedding"].detach()
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

    def on_train_end(self, net, **kwargs):
        criterion = net.criterion_
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
        module, assignments = net.module_, net.criterion_.assignments
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


# --------------------------------------------------------------- estimator


class DCNClustering(BaseDeepClustering):
    """Deep Clustering Network (DCN): a k-means-friendly embedding.

    Pretrains an autoencoder, initialises centroids by k-means on its
    embedding, then alternates, for every mini-batch: one gradient step on the
    autoencoder for reconstruction plus the k-means loss with assignments and
    centroids fixed; reassignment of the batch's samples to their nearest
    centroid; and the count-based centroid update (Yang, Fu, Sidiropoulos and
    Hong, "Towards K-means-friendly Spaces: Simultaneous Deep Learning and
    Clustering", ICML 2017).  The loss is
    ``mean_i ||x_i - g(f(x_i))||^2 + (clustering_weight / 2) mean_i ||f(x_i) - mu_{s_i}||^2``
    (squared errors summed over features, as the paper and ClustPy).

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters.
    clustering_weight : float, default=0.1
        Weight ``lambda`` of the k-means loss (ClustPy's
        ``clustering_loss_weight``, same default and scale).
    hidden_dims : tuple of int, default=(500, 500, 2000)
        Hidden layer widths of the MLP encoder; the decoder mirrors them.
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
    weight_init : {"torch", "glorot"}, default="torch"
        Initialisation of the built-in network's layers: PyTorch's default
        (uniform within ``1 / sqrt(fan_in)``, for the weights the DEC Keras
        reference's), or Glorot-uniform weights and zero biases (the Keras
        default, which the IDEC reference uses; see
        :func:`~skdeepcluster.networks.glorot_init`).  On 10,000 MNIST
        images (50 + 40 epochs, seeds 0-2) DCN ended at a mean of 0.730 ACC
        with Glorot's against 0.649 with PyTorch's, but on all 70,000
        (seeds 0, 1) at 0.843 against 0.850, so the default stays PyTorch's.
        Your own ``encoder`` and ``decoder`` keep theirs.
    pretrain_epochs : int, default=100
        Epochs of autoencoder pretraining; 0 skips it.
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
        requirement as ``augment``.  On all 70,000 MNIST images, from an
        autoencoder pretrained with augmentation (k-means start 0.854, NMI
        0.812), DCN's 50 plain clustering epochs ended at 0.874 ACC / 0.843
        NMI (paper, without augmentation: 0.83 / 0.81), and from scratch with
        ``augment=True`` (seed 0) at 0.892 / 0.855; on 10,000 images
        augmenting the clustering phase too gave 0.810 / 0.830 against
        0.817 / 0.844 without.
    augment_rotation : float, default=10.0
        Largest rotation of ``augment`` and ``augment_clustering``, in degrees.
    augment_shift : float, default=0.1
        Largest shift of ``augment`` and ``augment_clustering``, as a fraction of the
        image's height and width.
    epochs : int, default=50
        Maximum epochs of the clustering phase.
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
    batch_size : int, default=256
        Mini-batch size of both phases.
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
        1 prints skorch's table of losses per epoch; 2 or more adds a progress
        bar over each epoch's batches (needs tqdm).

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
        **BaseDeepClustering._parameter_constraints,
        "clustering_weight": [Interval(Real, 0, None, closed="left")],
        "initial_count": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        **BaseDeepClustering._augmentation_constraints,
    }

    def __init__(
        self,
        n_clusters=8,
        *,
        clustering_weight=0.1,
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
        augment=False,
        augment_clustering=False,
        augment_rotation=10.0,
        augment_shift=0.1,
        epochs=50,
        lr=1e-4,
        optimizer="adam",
        initial_count=100,
        tol=0.0,
        n_init=20,
        batch_size=256,
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

    def _fit_clustering(self, autoencoder, X_train, seed):
        if autoencoder.decoder is None:
            raise ValueError("DCNClustering reconstructs its input: pass decoder= with encoder=.")
        centers = self._kmeans_centers(autoencoder, X_train, seed)
        module = KMeansClusteringModule(autoencoder, centers, initial_count=self.initial_count)
        schedule = AlternatingKMeansUpdate(tol=self.tol, batch_size=self._inference_batch_size)
        net = self._make_net(
            module,
            KMeansClusteringLoss(self.clustering_weight),
            epochs=self.epochs,
            lr=self.lr,
            optimizer=self.optimizer,
            seed=seed + 1,
            callbacks=[("alternating_kmeans", schedule), *self._named_user_callbacks()],
            augmentation=self._clustering_augmentation(),
        )
        return net.fit(X_train, None)

    def _init_module(self, n_features, state_dict):
        return KMeansClusteringModule(
            self._build_autoencoder(n_features),
            torch.zeros_like(state_dict["centers"]),
            initial_count=self.initial_count,
        )

    def _loading_criterion(self):
        return KMeansClusteringLoss(self.clustering_weight)
