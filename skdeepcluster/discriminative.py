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

import numpy as np
import torch
from sklearn.cluster import KMeans
from sklearn.utils._param_validation import Interval, StrOptions
from skorch.callbacks import Callback
from torch import nn
from torch.nn import functional as F

from .base import BaseDeepClustering
from .engine import evaluation_mode, map_in_chunks, store_in_place
from .losses import reconstruction_loss
from .networks import _EmbeddingOnly, float32_head

__all__ = [
    "cosine_similarity_matrix",
    "knn_anchor_pairs",
    "same_cluster_pairs",
    "discriminative_loss",
    "cluster_discriminative_loss",
    "centroid_cosine_loss",
    "worst_centroid_similarity",
    "DiscriminativePretrainingLoss",
    "DiscriminativeClusteringLoss",
    "CosineClusteringModule",
    "ClusteringStageSchedule",
    "AssignmentUpdate",
    "DiscriminativeLatentClustering",
]

_ANCHOR_METRICS = ("euclidean", "cosine")


# ----------------------------------------------------------------- functions


def cosine_similarity_matrix(embeddings):
    """Pairwise cosine similarities ``C = Zbar Zbar^T`` of a batch.

    Parameters
    ----------
    embeddings : torch.Tensor of shape (n_samples, n_dims)
        The batch ``Z``; each row is normalised to unit length (a zero row
        stays zero).

    Returns
    -------
    similarities : torch.Tensor of shape (n_samples, n_samples)
        ``C_ij = <z_i, z_j> / (||z_i|| ||z_j||)``.

    Examples
    --------
    >>> import torch
    >>> cosine_similarity_matrix(torch.tensor([[1.0, 0.0], [1.0, 1.0], [-2.0, 0.0]]))
    tensor([[ 1.0000,  0.7071, -1.0000],
            [ 0.7071,  1.0000, -0.7071],
            [-1.0000, -0.7071,  1.0000]])
    """
    normalized = F.normalize(embeddings, dim=1)
    return normalized @ normalized.T


def _input_distances(X, metric):
    """Symmetric pairwise dissimilarities of the input rows (smaller is more similar)."""
    X = X.reshape(X.shape[0], -1)
    if metric == "cosine":
        return 1.0 - cosine_similarity_matrix(X)
    # The matrix-product form: ~6x faster, and only the ranking of distances matters here.
    distances = torch.cdist(X, X, compute_mode="use_mm_for_euclid_dist")
    return 0.5 * (distances + distances.T)  # exactly symmetric


def knn_anchor_pairs(X, n_neighbors=5, anchor_fraction=0.25, metric="euclidean"):
    """Anchor pairs of a batch: the closest pairs of its k-nearest-neighbour graph.

    The graph links each sample to its ``n_neighbors`` nearest neighbours in
    input space; of its ``n_samples * n_neighbors`` directed edges, the
    ``anchor_fraction`` with the smallest input distance are kept, as the
    pairs most likely to share a cluster, and the result is symmetrised.  A fixed-shape
    computation (``topk`` and ``scatter``), so that it runs inside a captured
    CUDA graph.

    Parameters
    ----------
    X : torch.Tensor of shape (n_samples, ...)
        The input batch (rows are flattened).
    n_neighbors : int, default=5
        Neighbours per sample in the graph (``k``); at most ``n_samples - 1``
        are used.
    anchor_fraction : float, default=0.25
        Fraction of the ``n_samples * n_neighbors`` directed graph edges kept
        as anchors (at least one when the batch has two samples); 1 keeps the
        whole symmetrised kNN graph.
    metric : {"euclidean", "cosine"}, default="euclidean"
        Input-space distance of the graph.

    Returns
    -------
    anchors : torch.Tensor of shape (n_samples, n_samples), bool
        Symmetric, with a false diagonal.

    Examples
    --------
    >>> import torch
    >>> X = torch.tensor([[0.0], [0.1], [5.0], [5.3]])
    >>> knn_anchor_pairs(X, n_neighbors=1, anchor_fraction=1.0).int()
    tensor([[0, 1, 0, 0],
            [1, 0, 0, 0],
            [0, 0, 0, 1],
            [0, 0, 1, 0]], dtype=torch.int32)
    """
    n_samples = X.shape[0]
    n_neighbors = min(int(n_neighbors), n_samples - 1)
    if n_neighbors < 1:
        return torch.zeros((n_samples, n_samples), dtype=torch.bool, device=X.device)
    distances = _input_distances(X, metric)
    eye = torch.eye(n_samples, dtype=torch.bool, device=X.device)
    # masked_fill with a Python scalar: no host-to-device copy inside a captured graph.
    distances = distances.masked_fill(eye, float("inf"))
    nearest = distances.topk(n_neighbors, dim=1, largest=False)
    # The closest of the n_samples * n_neighbors directed edges i -> neighbour of i.
    n_anchors = max(1, round(anchor_fraction * n_samples * n_neighbors))
    kept = nearest.values.flatten().topk(n_anchors, largest=False).indices
    kept_edges = torch.zeros(n_samples * n_neighbors, dtype=torch.bool, device=X.device)
    kept_edges = kept_edges.scatter(0, kept, True).reshape(n_samples, n_neighbors)
    anchors = torch.zeros_like(eye).scatter(1, nearest.indices, kept_edges)
    return anchors | anchors.T


def same_cluster_pairs(similarities):
    """Pairs of samples assigned to the same centroid (stage II's anchor pairs).

    Parameters
    ----------
    similarities : torch.Tensor of shape (n_samples, n_clusters)
        Cosine similarities of the samples to the centroids; each sample is
        assigned to the most similar one.

    Returns
    -------
    pairs : torch.Tensor of shape (n_samples, n_samples), bool
        Symmetric, with a false diagonal.

    Examples
    --------
    >>> import torch
    >>> same_cluster_pairs(torch.tensor([[0.9, 0.1], [0.2, 0.8], [0.7, 0.3]])).int()
    tensor([[0, 0, 1],
            [0, 0, 0],
            [1, 0, 0]], dtype=torch.int32)
    """
    labels = similarities.argmax(dim=1)
    eye = torch.eye(len(labels), dtype=torch.bool, device=labels.device)
    return (labels[:, None] == labels[None, :]) & ~eye


def discriminative_loss(similarities, anchors, beta=0.0):
    """The pairwise discriminative loss ``L_D`` of a batch (eq. 5 of the paper).

    ``L_D = mean_{(i, j) not anchors} |C_ij| - (1 - beta) * mean_{(i, j) anchors} C_ij``
    over the ordered pairs ``i != j``: all pairs are pushed apart (towards
    orthogonality, the L1 norm favouring sparse similarities), and anchor
    pairs pulled together (towards cosine 1, without absolute value).  The
    paper's normalisers ``N_b`` and ``|A|`` are the numbers of non-anchor and
    anchor pairs, so both terms are means; an empty set contributes 0.

    Parameters
    ----------
    similarities : torch.Tensor of shape (n_samples, n_samples)
        Pairwise cosine similarities ``C`` (:func:`cosine_similarity_matrix`).
    anchors : torch.Tensor of shape (n_samples, n_samples), bool
        The anchor pairs (:func:`knn_anchor_pairs`, :func:`same_cluster_pairs`).
        The diagonal is ignored.
    beta : float, default=0.0
        Discount of the anchor reward, ``0 <= beta <= 1``, for the uncertainty
        that anchor pairs really share a cluster.

    Returns
    -------
    loss : torch.Tensor
        A scalar in ``[-(1 - beta), 1]``.

    Examples
    --------
    >>> import torch
    >>> C = torch.tensor([[1.0, 0.5, -0.5], [0.5, 1.0, 0.0], [-0.5, 0.0, 1.0]])
    >>> A = torch.tensor([[0, 1, 0], [1, 0, 0], [0, 0, 0]]).bool()
    >>> discriminative_loss(C, A)  # mean(|-0.5|, |0|, |-0.5|, |0|) - mean(0.5, 0.5)
    tensor(-0.2500)
    """
    eye = torch.eye(similarities.shape[0], dtype=torch.bool, device=similarities.device)
    anchors = anchors & ~eye
    others = ~anchors & ~eye
    # Masked sums and clamped counts: fixed shapes, no branch on how many pairs there are.
    between = similarities.abs().masked_fill(~others, 0.0).sum() / others.sum().clamp_min(1)
    within = similarities.masked_fill(~anchors, 0.0).sum() / anchors.sum().clamp_min(1)
    return between - (1.0 - beta) * within


def cluster_discriminative_loss(similarities, centroid_similarities, beta=0.0, labels=None):
    """Stage II's discriminative loss, its pairs taken from the current assignments (eq. 10).

    ``L = mean_{s_i != s_j} |C_ij| - (1 - beta) * (1 / K) * sum_k mean_{i != j in k} C_ij``:
    pairs from different clusters are pushed apart, pairs within a cluster
    pulled together.  The within term is averaged per cluster over all ``K``
    clusters, an empty (or single-sample) cluster counting 0: with a plain
    mean over within-cluster pairs, putting every sample in one cluster would
    score as well as a perfect clustering (no between pairs left, all pairs
    within), and training drifts there.

    Parameters
    ----------
    similarities : torch.Tensor of shape (n_samples, n_samples)
        Pairwise cosine similarities ``C`` of the batch.
    centroid_similarities : torch.Tensor of shape (n_samples, n_clusters)
        Cosine similarities of the samples to the centroids; each sample is
        assigned to the most similar one (no gradient flows through the choice).
    beta : float, default=0.0
        Discount of the within-cluster reward.
    labels : torch.Tensor of shape (n_samples,), int, default=None
        Cluster of each sample, replacing the argmax of
        ``centroid_similarities`` (which then only gives the number of
        clusters): the assignments of the whole training set, held fixed for
        an epoch (:class:`AssignmentUpdate`).

    Returns
    -------
    loss : torch.Tensor
        A scalar in ``[-(1 - beta), 1]``.

    Examples
    --------
    >>> import torch
    >>> C = torch.tensor([[1.0, 0.8, 0.1], [0.8, 1.0, -0.3], [0.1, -0.3, 1.0]])
    >>> S = torch.tensor([[0.9, 0.1], [0.8, 0.0], [0.2, 0.7]])  # clusters 0, 0, 1
    >>> cluster_discriminative_loss(C, S)  # mean(0.1, 0.3) - (0.8 + 0) / 2
    tensor(-0.2000)
    """
    n_clusters = centroid_similarities.shape[1]
    if labels is None:  # a static choice of the caller, not data: safe under graph capture
        labels = centroid_similarities.detach().argmax(dim=1)
    clusters = torch.arange(n_clusters, device=labels.device)
    # One-hot by comparison: F.one_hot checks its input on the host.
    members = (labels[:, None] == clusters[None, :]).to(similarities.dtype)
    counts = members.sum(dim=0)
    pair_sums = ((members.T @ similarities) * members.T).sum(dim=1)
    pair_sums = pair_sums - members.T @ similarities.diagonal()
    within = (pair_sums / (counts * (counts - 1)).clamp_min(1)).mean()
    different = labels[:, None] != labels[None, :]  # ~same_cluster_pairs, diagonal excluded
    between = similarities.abs().masked_fill(~different, 0.0).sum() / different.sum().clamp_min(1)
    return between - (1.0 - beta) * within


def centroid_cosine_loss(similarities):
    """Minus the mean cosine of each sample to its most similar centroid (eq. 7).

    Maximising ``sum_i <zbar_i, mubar_{s_i}>`` with the hard assignment
    ``s_i = argmax_k <zbar_i, mubar_k>`` fixed; the gradient reaches the
    embedding and the assigned centroid.

    Parameters
    ----------
    similarities : torch.Tensor of shape (n_samples, n_clusters)
        Cosine similarities of the samples to the centroids.

    Returns
    -------
    loss : torch.Tensor
        A scalar in ``[-1, 1]``.

    Examples
    --------
    >>> import torch
    >>> centroid_cosine_loss(torch.tensor([[0.9, 0.1], [0.2, 0.5]]))
    tensor(-0.7000)
    """
    return -similarities.max(dim=1).values.mean()


def worst_centroid_similarity(centers):
    """Absolute cosine similarity of the most similar pair of distinct centroids (eq. 9).

    Penalising it pushes apart the two clusters that are hardest to tell
    apart (the worst case), not all pairs on average.  As in the
    discriminative loss between clusters, the similarity is taken in absolute
    value (the paper's eq. 10 notes that *it* omits the absolute value of eq.
    9): the penalty drives the centroids towards orthogonality, where the L1
    term of :func:`cluster_discriminative_loss` drives the embeddings of
    different clusters, rather than towards opposite directions.

    Parameters
    ----------
    centers : torch.Tensor of shape (n_clusters, n_dims)
        The centroids (normalised here).

    Returns
    -------
    similarity : torch.Tensor
        A scalar in ``[0, 1]``; 0 for a single centroid.

    Examples
    --------
    >>> import torch
    >>> worst_centroid_similarity(torch.tensor([[1.0, 0.0], [1.0, 1.0], [0.0, 2.0]]))
    tensor(0.7071)
    >>> worst_centroid_similarity(torch.tensor([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0]]))  # opposite
    tensor(1.)
    """
    n_clusters = centers.shape[0]
    if n_clusters < 2:  # a static shape, not data: safe under graph capture
        return centers.sum() * 0.0
    similarities = cosine_similarity_matrix(centers).abs()
    eye = torch.eye(n_clusters, dtype=torch.bool, device=centers.device)
    return similarities.masked_fill(eye, -1.0).max()


# ------------------------------------------------------------------ criteria


class _KnnAnchors:
    """The ``anchor_pairs`` of a discriminative loss: the batch's input-space kNN graph."""

    def anchor_pairs(self, X, outputs):
        """Anchor pairs of the batch ``X`` (:func:`knn_anchor_pairs`); ``outputs`` unused."""
        return knn_anchor_pairs(X, self.n_neighbors, self.anchor_fraction, self.metric)


class DiscriminativePretrainingLoss(_KnnAnchors, nn.Module):
    """Pretraining objective ``L_D(kNN anchors) + reconstruction_weight * L_rec`` (eq. 6).

    Parameters
    ----------
    n_neighbors, anchor_fraction, metric
        Anchor pairs of each batch, see :func:`knn_anchor_pairs` (defaults 5,
        0.5 and ``"cosine"``, as the estimator).
    beta : float, default=0.5
        Discount of the anchor reward, see :func:`discriminative_loss`.
    reconstruction_weight : float, default=1.0
        Weight of the mean squared reconstruction error; 0 trains the
        encoder alone (no decoder needed).
    """

    def __init__(
        self, n_neighbors=5, anchor_fraction=0.5, metric="cosine", beta=0.5,
        reconstruction_weight=1.0,
    ):
        super().__init__()
        self.n_neighbors = n_neighbors
        self.anchor_fraction = anchor_fraction
        self.metric = metric
        self.beta = beta
        self.reconstruction_weight = reconstruction_weight

    def forward(self, outputs, X, indices):
        anchors = self.anchor_pairs(X, outputs)
        loss = discriminative_loss(
            cosine_similarity_matrix(outputs["embedding"]), anchors, self.beta
        )
        if self.reconstruction_weight:
            loss = loss + self.reconstruction_weight * reconstruction_loss(
                X, outputs["reconstruction"]
            )
        return loss


class DiscriminativeClusteringLoss(_KnnAnchors, nn.Module):
    """Both stages of the clustering objective, weighted by a stage buffer.

    ``L = -mean_i cos(z_i, mu_{s_i})
    + w_knn * L_D(kNN anchors)
    + w_pairs * L_D(current assignments)
    + w_centroids * max_{k != l} cos(mu_k, mu_l)
    + reconstruction_weight * L_rec``

    Stage I (eq. 8) has ``w_knn = stage1_discriminative_weight`` and the other
    two 0; stage II (eq. 11) has ``w_knn = 0``, ``w_pairs =
    stage2_discriminative_weight`` (:func:`cluster_discriminative_loss`, the
    within-cluster reward and the between-cluster L1 of eq. 10) and ``w_centroids =
    centroid_separation_weight``.  The current weights live in the buffer
    :attr:`stage_weights` that :meth:`set_stage` overwrites in place, so a
    training step captured in a CUDA graph follows the schedule.

    The pairs of stage II come from :attr:`assignments`, the cluster of every
    training sample, which :class:`AssignmentUpdate` recomputes (in place) at
    the start of each epoch; when it is None, from each batch's own argmax.

    Parameters
    ----------
    n_neighbors, anchor_fraction, metric, beta
        Anchor pairs and their discount, as for
        :class:`DiscriminativePretrainingLoss`.
    stage1_discriminative_weight : float, default=1.0
        Weight of the kNN-anchored discriminative loss in stage I.
    stage2_discriminative_weight : float, default=1.0
        Weight of the assignment-anchored discriminative loss in stage II.
    centroid_separation_weight : float, default=1.0
        Weight of the worst centroid pair's absolute cosine in stage II.
    reconstruction_weight : float, default=1.0
        Weight of the reconstruction error in both stages.
    """

    def __init__(
        self, n_neighbors=5, anchor_fraction=0.5, metric="cosine", beta=0.5,
        stage1_discriminative_weight=1.0, stage2_discriminative_weight=1.0,
        centroid_separation_weight=1.0, reconstruction_weight=1.0,
    ):
        super().__init__()
        self.n_neighbors = n_neighbors
        self.anchor_fraction = anchor_fraction
        self.metric = metric
        self.beta = beta
        self.stage1_discriminative_weight = stage1_discriminative_weight
        self.stage2_discriminative_weight = stage2_discriminative_weight
        self.centroid_separation_weight = centroid_separation_weight
        self.reconstruction_weight = reconstruction_weight
        self.register_buffer("stage_weights", self._weights(1))
        # Cluster of every training sample, set by AssignmentUpdate (None: each
        # batch's own argmax).  An attribute, not a buffer: it is training state.
        self.assignments = None

    def _weights(self, stage):
        if stage == 1:
            return torch.tensor([self.stage1_discriminative_weight, 0.0, 0.0])
        return torch.tensor(
            [0.0, self.stage2_discriminative_weight, self.centroid_separation_weight]
        )

    def set_stage(self, stage):
        """Switch to stage 1 or 2, in place."""
        self.stage_weights.copy_(self._weights(stage))

    def forward(self, outputs, X, indices):
        similarities = outputs["similarities"]
        batch_similarities = cosine_similarity_matrix(outputs["embedding"])
        anchors = self.anchor_pairs(X, outputs)
        # Stage II's pairs: the assignments of the epoch (a gather by index, fixed shape).
        labels = None if self.assignments is None else self.assignments[indices]
        terms = torch.stack(
            [
                discriminative_loss(batch_similarities, anchors, self.beta),
                cluster_discriminative_loss(
                    batch_similarities, similarities, self.beta, labels=labels
                ),
                worst_centroid_similarity(outputs["centers"]),
            ]
        )
        loss = centroid_cosine_loss(similarities) + (self.stage_weights * terms).sum()
        if self.reconstruction_weight:
            loss = loss + self.reconstruction_weight * reconstruction_loss(
                X, outputs["reconstruction"]
            )
        return loss


# ------------------------------------------------------------------- modules


class CosineClusteringModule(nn.Module):
    """An autoencoder with centroids on the unit sphere, assigning by maximal cosine.

    ``encode`` returns the *normalised* embedding ``zbar``, the space the
    clusters live in; ``assign`` returns ``softmax_k(cos(z, mu_k) / temperature)``,
    whose argmax is the most similar centroid.

    Parameters
    ----------
    autoencoder : skdeepcluster.networks.Autoencoder
        The (pretrained) autoencoder.
    centers : array-like of shape (n_clusters, embedding_dim)
        Initial centroids, trained by backpropagation and used normalised.
    temperature : float, default=0.1
        Temperature of the soft assignments.
    reconstruct : bool, default=True
        Whether ``forward`` runs the decoder.
    """

    def __init__(self, autoencoder, centers, temperature=0.1, reconstruct=True):
        super().__init__()
        self.autoencoder = autoencoder
        self.centers = nn.Parameter(torch.as_tensor(centers, dtype=torch.float32).clone())
        self.temperature = float(temperature)
        self.reconstruct = reconstruct

    def normalized_centers(self):
        return F.normalize(self.centers, dim=1)

    def encode(self, x):
        return F.normalize(self.autoencoder.encode(x), dim=1)

    @float32_head
    def similarities(self, z):
        """Cosine similarities of (normalised) embeddings to the centroids."""
        return F.normalize(z, dim=1) @ self.normalized_centers().T

    def assign(self, z):
        return torch.softmax(self.similarities(z) / self.temperature, dim=1)

    def forward(self, x):
        if self.reconstruct:
            out = self.autoencoder(x)
        else:
            out = {"embedding": self.autoencoder.encode(x)}
        out["similarities"] = self.similarities(out["embedding"])
        out["centers"] = self.centers
        return out


# ------------------------------------------------------------------ schedule


class ClusteringStageSchedule(Callback):
    """Stage I for the first ``stage1_epochs`` epochs of the clustering phase, then stage II.

    Sets the stage of a :class:`DiscriminativeClusteringLoss` at the start of
    each epoch (in place) and records it in the history as ``stage``.

    Parameters
    ----------
    stage1_epochs : int
        Epochs of stage I.
    """

    def __init__(self, stage1_epochs):
        self.stage1_epochs = stage1_epochs

    def on_epoch_begin(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        stage = 1 if len(net.history) <= self.stage1_epochs else 2
        net.criterion_.set_stage(stage)
        net.history.record("stage", stage)


class AssignmentUpdate(Callback):
    """Assign the whole training set at the start of each epoch (the paper's assignment step).

    Sets ``criterion_.assignments`` to the most similar centroid of every
    training sample, refreshed in place at the start of each epoch, so that
    stage II draws its within- and between-cluster pairs from assignments that
    are fixed while the network and the centroids take the epoch's steps (the
    alternating maximisation of the paper).  Assigning each batch with the
    centroids of the moment instead lets a sample that flips cluster be pulled
    at once towards its new cluster-mates, a feedback that moved whole groups
    between clusters and lowered the accuracy on MNIST subsets.

    Parameters
    ----------
    batch_size : int, default=4096
        Chunk size of the assignment pass.
    """

    def __init__(self, batch_size=4096):
        self.batch_size = batch_size

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        self.X_ = X
        self._refresh(net)  # before the first step: a captured graph reads the tensor

    def on_epoch_begin(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        if len(net.history) > 1:  # the first epoch uses the assignments of on_train_begin
            self._refresh(net)

    def _refresh(self, net):
        with evaluation_mode(net.module_) as module:
            labels = map_in_chunks(
                lambda x: module.similarities(module.autoencoder.encode(x)).argmax(dim=1),
                self.X_,
                net.device,
                batch_size=self.batch_size,
                dtype=torch.float32,
                to_numpy=False,
            )
        store_in_place(net.criterion_, "assignments", labels)

    def on_train_end(self, net, **kwargs):
        # Drop the training data and the per-sample state: the fitted model keeps neither.
        self.X_ = None
        net.criterion_.assignments = None


# ----------------------------------------------------------------- estimator


class DiscriminativeLatentClustering(BaseDeepClustering):
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
    Clustering", 2018, arXiv:1805.10795).

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters.
    hidden_dims : tuple of int, default=(500, 500, 2000)
        Hidden layer widths of the MLP encoder; the decoder mirrors them.
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
    n_neighbors : int, default=5
        Neighbours per sample of each batch's input-space kNN graph (``k``).
    anchor_fraction : float, default=0.5
        Fraction of the ``batch_size * n_neighbors`` kNN edges kept as anchor
        pairs, the closest first.
    anchor_metric : {"euclidean", "cosine"}, default="cosine"
        Input-space distance of the kNN graph.
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
    pretrain_epochs : int, default=50
        Epochs of discriminative pretraining (Adam); 0 skips it.
    pretrain_lr : float, default=1e-3
        Learning rate of pretraining.  On MNIST-70k (``network="conv_bn"``,
        batch 1000) it lowered the loss faster than 5e-4, 2e-3 or 4e-3 over
        the first 630 steps.
    epochs : int, default=50
        Epochs of the clustering phase, both stages.
    stage1_fraction : float, default=0.75
        Fraction of ``epochs`` spent in stage I (rounded); the rest is stage II.
    lr : float, default=1e-3
        Learning rate of the clustering phase.
    optimizer : {"adam", "sgd"} or torch optimizer class, default="adam"
        Optimizer of the clustering phase.
    n_init : int, default=20
        Number of k-means runs of the centroid initialisation.
    batch_size : int, default=1000
        Mini-batch size of both phases.  Large, as in the paper, so that each
        batch holds a few close neighbours of each sample and many more
        dissimilar pairs than similar ones.
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
        1 prints skorch's table of losses per epoch; 2 or more adds a progress
        bar over each epoch's batches (needs tqdm).

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
      the paper's alternating maximisation).  Taking those pairs from each
      batch's own assignments, as earlier versions did, let a sample that
      changed cluster be pulled at once towards its new cluster-mates; on
      MNIST subsets whole groups then moved between clusters and stage II
      lowered the accuracy (5000 samples, seeds 0 / 1: 0.737 / 0.679 after
      pretraining -> 0.721 / 0.655), while with the epoch's assignments the
      clustering phase keeps it (0.741 / 0.676);
    * stage II's within-cluster reward is averaged per cluster over all
      clusters (:func:`cluster_discriminative_loss`): a plain mean over
      within-cluster pairs rewards putting every sample in one cluster;
    * the worst centroid pair is penalised on its absolute cosine, towards
      orthogonal centroids as the L1 between-cluster term wants for the
      embeddings (the signed cosine pushed them towards opposite directions;
      the two measured alike, within 0.01 ACC, on MNIST subsets);
    * ``stage1_fraction=0.75``: on MNIST subsets stage I (kNN anchors) is
      where the clustering phase gained, stage II mostly holds the
      assignments (5000 samples, seeds 0 / 1, and 10000 samples, with the
      unfused Adam of earlier versions: 0.743 / 0.682 / 0.749 against 0.740
      / 0.680 / 0.743 with 0.5, from 0.737 / 0.679 / 0.738 after
      pretraining);
    * the reconstruction error is a mean squared error;
    * the defaults (cosine kNN graph, ``n_neighbors=5``,
      ``anchor_fraction=0.5``, ``beta=0.5``, unit weights) come from small
      experiments on MNIST subsets, recorded in
      ``benchmarks/bench_discriminative.py``.

    The losses are written for the engine's CUDA-graph step (fixed shapes, no
    host synchronisation; the stage switch updates a buffer in place); this
    has not been run on a GPU yet.

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
        **BaseDeepClustering._parameter_constraints,
        "n_neighbors": [Interval(Integral, 1, None, closed="left")],
        "anchor_fraction": [Interval(Real, 0, 1, closed="right")],
        "anchor_metric": [StrOptions(set(_ANCHOR_METRICS))],
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
        hidden_dims=(500, 500, 2000),
        embedding_dim=10,
        network="mlp",
        input_shape=None,
        encoder=None,
        decoder=None,
        weight_init="torch",
        n_neighbors=5,
        anchor_fraction=0.5,
        anchor_metric="cosine",
        beta=0.5,
        reconstruction_weight=1.0,
        stage1_discriminative_weight=1.0,
        stage2_discriminative_weight=1.0,
        centroid_separation_weight=1.0,
        temperature=0.1,
        pretrain_epochs=50,
        pretrain_lr=1e-3,
        epochs=50,
        stage1_fraction=0.75,
        lr=1e-3,
        optimizer="adam",
        n_init=20,
        batch_size=1000,
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

    def _anchor_params(self):
        return dict(
            n_neighbors=self.n_neighbors,
            anchor_fraction=self.anchor_fraction,
            metric=self.anchor_metric,
            beta=self.beta,
            reconstruction_weight=self.reconstruction_weight,
        )

    def _clustering_loss(self):
        return DiscriminativeClusteringLoss(
            **self._anchor_params(),
            stage1_discriminative_weight=self.stage1_discriminative_weight,
            stage2_discriminative_weight=self.stage2_discriminative_weight,
            centroid_separation_weight=self.centroid_separation_weight,
        )

    def _fit_network(self, X_train, seed):
        autoencoder = self._build_autoencoder(X_train.shape[1])
        if self.reconstruction_weight > 0 and autoencoder.decoder is None:
            raise ValueError(
                "reconstruction_weight > 0 needs a decoder: pass decoder= with encoder=, "
                "or set reconstruction_weight=0."
            )
        autoencoder, self.pretrain_history_ = self._pretrain(autoencoder, X_train, seed)
        return self._fit_clustering(autoencoder, X_train, seed)

    def _pretrain(self, autoencoder, X_train, seed):
        """Train the autoencoder on the discriminative loss for ``pretrain_epochs``."""
        if self.pretrain_epochs == 0:
            return autoencoder.to(self.device_), None
        module = autoencoder if self.reconstruction_weight > 0 else _EmbeddingOnly(autoencoder)
        net = self._make_net(
            module,
            DiscriminativePretrainingLoss(**self._anchor_params()),
            epochs=self.pretrain_epochs,
            lr=self.pretrain_lr,
            optimizer="adam",
            seed=seed,
        )
        net.fit(X_train, None)
        return autoencoder, net.history

    def _fit_clustering(self, autoencoder, X_train, seed):
        embeddings = self._encode(autoencoder, X_train).astype(np.float64)
        embeddings /= np.maximum(np.linalg.norm(embeddings, axis=1, keepdims=True), 1e-12)
        kmeans = KMeans(self.n_clusters, n_init=self.n_init, random_state=seed)
        self.pretrain_labels_ = kmeans.fit_predict(embeddings).astype(np.int64)
        module = CosineClusteringModule(
            autoencoder,
            kmeans.cluster_centers_,
            temperature=self.temperature,
            reconstruct=self.reconstruction_weight > 0,
        )
        schedule = ClusteringStageSchedule(round(self.stage1_fraction * self.epochs))
        net = self._make_net(
            module,
            self._clustering_loss(),
            epochs=self.epochs,
            lr=self.lr,
            optimizer=self.optimizer,
            seed=seed + 1,
            callbacks=[
                ("stage_schedule", schedule),
                ("assignment_update", AssignmentUpdate()),
                *self._named_user_callbacks(),
            ],
        )
        return net.fit(X_train, None)

    def _cluster_centers(self, X):
        centers = self.net_.module_.normalized_centers()
        return centers.detach().cpu().numpy().astype(np.float64)

    def _init_module(self, n_features, state_dict):
        return CosineClusteringModule(
            self._build_autoencoder(n_features),
            torch.zeros_like(state_dict["centers"]),
            temperature=self.temperature,
            reconstruct=self.reconstruction_weight > 0,
        )

    def _loading_criterion(self):
        return self._clustering_loss()
