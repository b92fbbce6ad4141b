"""The discriminative latent space method's losses: pairwise cosine discrimination.

Pure functions of tensors and the criterion modules (Tzoreff, Kogan and
Choukroun, "Deep Discriminative Latent Space for Clustering", 2018): the
discriminative loss of a batch against its kNN *anchor pairs*, its
cluster-anchored form, the cosine to the assigned centroid and the worst
centroid pair.  Every loss is a fixed-shape tensor computation (``topk``,
``scatter``, masks; no host synchronisation and no data-dependent Python
branch), so that the engine can capture the training step in a CUDA graph.
"""

import torch
from torch import nn
from torch.nn import functional as F

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


# The paper's neighbours per sample (k), on batches of 1,000 samples of 10 clusters.
N_NEIGHBORS = 5


def auto_n_neighbors(batch_size, n_clusters):
    """The ``n_neighbors`` that ``"auto"`` means: the paper's 5, fewer on small batches.

    A batch of ``batch_size`` samples holds about ``batch_size / n_clusters``
    of each cluster; a sample's neighbours are kept at most half that many,
    at least one, so that most of them can be of its own cluster.

    >>> auto_n_neighbors(1000, 10), auto_n_neighbors(35, 10), auto_n_neighbors(32, 4)
    (5, 1, 4)
    """
    return int(min(N_NEIGHBORS, max(1, batch_size // (2 * max(1, n_clusters)))))


def resolve_anchor_metric(X):
    """The anchor metric ``"auto"`` means for training data ``X``.

    ``"cosine"`` when every value is non-negative (pixel intensities, counts:
    the cosine compares patterns), ``"euclidean"`` otherwise (centred
    features, where the cosine would compare only the directions from the
    mean and join points at the same angle, near it or far from it).

    >>> import torch
    >>> resolve_anchor_metric(torch.rand(5, 3)), resolve_anchor_metric(torch.randn(50, 3))
    ('cosine', 'euclidean')
    """
    from ..rows import LazyRows, MappedRows

    if isinstance(X, (MappedRows, LazyRows)):  # a file: read it a chunk at a time
        minimum = min(float(X[start : start + 4096].min()) for start in range(0, len(X), 4096))
    else:
        minimum = getattr(X, "X", X).min()  # HostRows keep the data as given in X
    return "cosine" if float(minimum) >= 0 else "euclidean"


def _input_distances(X, metric):
    """Symmetric pairwise dissimilarities of the input rows (smaller is more similar)."""
    X = X.reshape(X.shape[0], -1)
    if metric == "cosine":
        return 1.0 - cosine_similarity_matrix(X)
    # The matrix-product form: faster, and only the ranking of distances matters here.
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
    """Pretraining's discriminative term ``L_D(kNN anchors)`` (eq. 6).

    The method adds the reconstruction error as a
    :class:`~skdeepcluster.losses.ReconstructionTerm` of a
    :class:`~skdeepcluster.losses.CombinedLoss`.

    Parameters
    ----------
    n_neighbors, anchor_fraction, metric
        Anchor pairs of each batch, see :func:`knn_anchor_pairs` (defaults 5,
        0.5 and ``"cosine"``, as the estimator).
    beta : float, default=0.5
        Discount of the anchor reward, see :func:`discriminative_loss`.
    """

    def __init__(self, n_neighbors=5, anchor_fraction=0.5, metric="cosine", beta=0.5):
        super().__init__()
        self.n_neighbors = n_neighbors
        self.anchor_fraction = anchor_fraction
        self.metric = metric
        self.beta = beta

    def forward(self, outputs, X, indices):
        anchors = self.anchor_pairs(X, outputs)
        return discriminative_loss(
            cosine_similarity_matrix(outputs["embedding"]), anchors, self.beta
        )


class DiscriminativeClusteringLoss(_KnnAnchors, nn.Module):
    """Both stages of the clustering objective, weighted by a stage buffer.

    ``L = -mean_i cos(z_i, mu_{s_i})
    + w_knn * L_D(kNN anchors)
    + w_pairs * L_D(current assignments)
    + w_centroids * max_{k != l} cos(mu_k, mu_l)``; the method adds the
    reconstruction error as a separate term.

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
    """

    def __init__(
        self, n_neighbors=5, anchor_fraction=0.5, metric="cosine", beta=0.5,
        stage1_discriminative_weight=1.0, stage2_discriminative_weight=1.0,
        centroid_separation_weight=1.0,
    ):
        super().__init__()
        self.n_neighbors = n_neighbors
        self.anchor_fraction = anchor_fraction
        self.metric = metric
        self.beta = beta
        self.stage1_discriminative_weight = stage1_discriminative_weight
        self.stage2_discriminative_weight = stage2_discriminative_weight
        self.centroid_separation_weight = centroid_separation_weight
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
        return centroid_cosine_loss(similarities) + (self.stage_weights * terms).sum()
