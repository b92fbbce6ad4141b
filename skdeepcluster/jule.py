"""JULE: joint unsupervised learning of deep representations and image clusters.

Recipe (Yang, Parikh and Batra, CVPR 2016, as the authors' Torch code runs it):

* network: a CNN (``conv 5x5 50 - BN - ReLU - max-pool``, ``conv 5x5 50 - BN -
  ReLU``, dense 160) whose features are L2-normalised
  (:class:`~skdeepcluster.compose.EmbeddingNetwork`);
* cluster update (forward pass): agglomerative clustering by graph-degree
  linkage on the features, from nearest-neighbour chains, ``eta`` of the
  clusters merged each period (:class:`~skdeepcluster.compose.AgglomerativeMerges`);
* clustering loss (backward pass): the weighted triplet loss on the current
  labels (:class:`~skdeepcluster.compose.WeightedTriplet`);
* schedule: SGD, lr ``0.01 (1 + 1e-4 t) ** -0.75``, momentum 0.9, weight
  decay 5e-5, batches of 100, a period of epochs between two merges, until
  ``n_clusters`` are reached.
"""

from numbers import Integral, Real

import torch
from sklearn.utils._param_validation import Interval, StrOptions

from .compose import (
    AgglomerativeMerges,
    DeepClustering,
    EmbeddingNetwork,
    InverseDecay,
    JointTraining,
    WeightedTriplet,
)
from .compose.preset import Preset

__all__ = ["JULEClustering"]

# The authors' cap on training epochs over the whole recurrent process (epoch_max).
_MAX_EPOCHS = 1000


class JULEClustering(Preset):
    """Joint Unsupervised LEarning (JULE) of Yang, Parikh and Batra (2016).

    Agglomerative clustering and a network are learnt together, as a
    recurrent process.  The clusters start as the chains of each sample's
    nearest neighbour in the input.  Each *period* trains the
    network for ``epochs_per_period`` epochs on the weighted triplet loss
    ``max(0, gamma ||z_i - z_j||^2 - ||z_i - z_k||^2 + margin)`` of its
    L2-normalised features ``z``, over the triplets of each batch (two samples
    of one current cluster, ``n_negatives`` samples of others); then
    ``ceil(eta * n)`` of the ``n`` clusters merge on the new features, one
    pair at a time, by graph-degree linkage on the ``n_neighbors``-nearest-
    neighbour graph (with the paper's criterion over ``k_c`` neighbouring
    clusters while there are more than 100).  Training stops when
    ``n_clusters`` are reached, and these are the clusters (the paper; the
    authors' code clusters the trained features anew, ``final_clustering="restart"``).
    ``predict`` assigns new samples to the nearest cluster centre (the mean
    normalised features of a final cluster); ``transform`` returns the
    normalised features.

    The clusters follow the neighbourhood graph, so they need not be convex,
    and no cluster size is assumed; the price is a neighbour search over all
    training samples at every period (``O(n^2)`` distances) and merges in
    Python, which on data of tens of thousands of samples costs minutes a
    period on one CPU thread.  The method is the wrong tool when the classes
    do not form separate regions of the input's neighbourhood graph to start
    from (the first chains come from raw pixels), for data too small for
    triplets within batches of 100, and where ``predict`` on new data must
    match the training clusters exactly (it uses the nearest centre, a
    convex rule).

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters the merges stop at.
    network : {"auto", "mlp", "conv"}, default="auto"
        JULE's convolutional network for images (``X`` of shape ``(n, C, H,
        W)`` or ``(n, H, W)``, or flat with ``input_shape``; at least 14
        pixels a side), or a fully connected one.  ``"auto"`` is ``"conv"``
        for such images, ``"mlp"`` otherwise.
    hidden_dims : tuple of int, default=(500, 500)
        Hidden widths of the fully connected network (``Linear - BatchNorm -
        ReLU`` each).
    embedding_dim : int, default=160
        Width of the features (the paper's 160).
    input_shape : tuple of int, default=None
        ``(C, H, W)`` of flat image input.
    eta : float, default=0.9
        Unrolling rate: the fraction of the clusters merged in each period
        (the authors' README: 0.9 on MNIST, 0.2 on small image sets).
    epochs_per_period : int, default=20
        Epochs of training between two periods of merges (the code's
        ``epoch_pp``).
    n_neighbors : int, default=20
        ``K_s``: neighbours of each sample in the affinity graph.
    k_c : int, default=5
        ``K_c``: neighbouring clusters of the merge criterion.
    final_clustering : {"continue", "restart"}, default="continue"
        The final clusters: those the recurrent merges reached, as the paper
        (merged on down to ``n_clusters`` on the final features if training
        ran out of ``epochs`` first); or, as the authors' code, merged anew
        from the nearest-neighbour chains of the trained features.
    gamma : float, default=1.0
        Weight of the positive distance of the triplet loss.
    margin : float, default=0.2
        Margin of the triplet loss.
    n_negatives : int, default=20
        Negatives per positive pair.
    epochs : int or "auto", default="auto"
        Most training epochs in all (``"auto"``: the code's 1000); training
        stops earlier, when the merges reach ``n_clusters``.
    lr : float, default=0.01
        Initial learning rate, decayed as ``lr (1 + 1e-4 t) ** -0.75`` at
        gradient step ``t``; the weight decay is 5e-5.
    optimizer : {"sgd", "adam"} or torch optimizer class, default="sgd"
        The paper's SGD has momentum 0.9.
    batch_size : int or "auto", default="auto"
        Mini-batch size: ``"auto"`` is the paper's 100 on data of at least 50
        such batches, ``n_samples // 50`` (at least 32) on smaller data.
    precision : {"float32", "tf32", "bf16"}, default="float32"
        Arithmetic of training (the user guide's :ref:`precision`).
    callbacks : list of skorch callbacks, default=None
        Extra callbacks of the training (copied before use).
    device : str, default="auto"
        ``"auto"`` trains on CUDA when available, else on the CPU.
    random_state : int, RandomState instance or None, default=None
        Seeds the weights, the batch order and the negatives drawn.
    verbose : int, default=0
        1 prints a line as each phase starts and skorch's table of losses per
        epoch (with the number of clusters); 2 or more adds progress bars.

    Attributes
    ----------
    labels_ : ndarray of shape (n_samples,)
        Final agglomerative cluster of each training sample.
    cluster_centers_ : ndarray of shape (n_clusters, embedding_dim)
        Mean normalised features of each final cluster.
    net_ : skorch.NeuralNet
        The trained network.
    history_ : skorch.History
        Training losses, with the number of clusters of each epoch.
    device_ : str
        Device the network was trained on.
    n_iter_ : int
        Epochs run.
    batch_size_ : int
        Mini-batch size used.
    epochs_ : int
        Most epochs of training, ``epochs`` resolved.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    skdeepcluster.agglomeration : The merges, the linkage and the sample affinities.
    skdeepcluster.losses.weighted_triplet_loss : The clustering loss.
    sklearn.cluster.AgglomerativeClustering : Agglomerative clustering without learning.

    Notes
    -----
    Where the paper and the authors' code differ: the merge criterion is the
    paper's (each cluster with its most affine cluster, weighed against its
    ``K_c`` most affine ones; the code compares the clusters of one triangle
    of the affinity matrix), and the affinities are updated exactly after
    each merge (the code's default ``use_fast`` approximates the affinity of
    paths through other clusters).  The final clusters are the merges' own
    by default (the paper); the code clusters the trained features anew
    (``final_clustering="restart"``).  The first chains are of the input as
    given (the code L2-normalises it, which on low-dimensional tabular data
    keeps only each sample's direction; scale tabular data instead).  From
    the code: ``ceil(eta * n)`` merges per period, the triplets (every
    same-cluster pair of a batch, 20 distinct negatives of the batch, the
    mean over triplets), normal initial weights of standard deviation 0.01.
    Two choices of ours: clusters with no graph link to any other merge with
    the cluster of closest mean features (the code merges such clusters at
    the start of a period), and when the chains give no more clusters than
    ``n_clusters`` (tiny data), the merges start from every sample alone.
    The MNIST benchmark shortens the periods to 5 epochs
    (``epochs_per_period=5``, the code: 20) to fit a CPU session, on 10,000
    images (see the benchmarks page).

    References
    ----------
    J. Yang, D. Parikh and D. Batra, "Joint Unsupervised Learning of Deep
    Representations and Image Clusters", CVPR 2016.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from skdeepcluster import JULEClustering
    >>> X, _ = make_blobs(n_samples=60, centers=3, random_state=0)
    >>> jule = JULEClustering(n_clusters=3, hidden_dims=(16,), embedding_dim=8,
    ...                       epochs_per_period=2, batch_size=20, random_state=0)
    >>> jule.fit_predict(X).shape
    (60,)
    >>> jule.predict(X).shape, jule.transform(X).shape
    ((60,), (60, 8))
    """

    _parameter_constraints = {
        "n_clusters": [Interval(Integral, 1, None, closed="left")],
        "network": [StrOptions({"auto", "mlp", "conv"})],
        "hidden_dims": ["array-like"],
        "embedding_dim": [Interval(Integral, 1, None, closed="left")],
        "input_shape": ["array-like", None],
        "eta": [Interval(Real, 0, 1, closed="right")],
        "epochs_per_period": [Interval(Integral, 1, None, closed="left")],
        "n_neighbors": [Interval(Integral, 1, None, closed="left")],
        "k_c": [Interval(Integral, 1, None, closed="left")],
        "final_clustering": [StrOptions({"continue", "restart"})],
        "gamma": [Interval(Real, 0, None, closed="left")],
        "margin": [Interval(Real, 0, None, closed="left")],
        "n_negatives": [Interval(Integral, 1, None, closed="left")],
        "epochs": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "optimizer": Preset._parameter_constraints["optimizer"],
        "batch_size": [Interval(Integral, 2, None, closed="left"), StrOptions({"auto"})],
        "precision": Preset._parameter_constraints["precision"],
        "callbacks": [list, None],
        "device": [str, torch.device, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    _unsaved_attributes = ("net_",)

    def __init__(
        self,
        n_clusters=8,
        *,
        network="auto",
        hidden_dims=(500, 500),
        embedding_dim=160,
        input_shape=None,
        eta=0.9,
        epochs_per_period=20,
        n_neighbors=20,
        k_c=5,
        final_clustering="continue",
        gamma=1.0,
        margin=0.2,
        n_negatives=20,
        epochs="auto",
        lr=0.01,
        optimizer="sgd",
        batch_size="auto",
        precision="float32",
        callbacks=None,
        device="auto",
        random_state=None,
        verbose=0,
    ):
        self.n_clusters = n_clusters
        self.network = network
        self.hidden_dims = hidden_dims
        self.embedding_dim = embedding_dim
        self.input_shape = input_shape
        self.eta = eta
        self.epochs_per_period = epochs_per_period
        self.n_neighbors = n_neighbors
        self.k_c = k_c
        self.final_clustering = final_clustering
        self.gamma = gamma
        self.margin = margin
        self.n_negatives = n_negatives
        self.epochs = epochs
        self.lr = lr
        self.optimizer = optimizer
        self.batch_size = batch_size
        self.precision = precision
        self.callbacks = callbacks
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def to_deep_clustering(self):
        return DeepClustering(
            network=EmbeddingNetwork(
                self.network, hidden_dims=self.hidden_dims, embedding_dim=self.embedding_dim,
                input_shape=self.input_shape,
            ),
            clustering_loss=WeightedTriplet(self.gamma, self.margin, self.n_negatives),
            cluster_update=AgglomerativeMerges(
                self.eta, self.epochs_per_period, self.n_neighbors, self.k_c,
                final=self.final_clustering,
            ),
            schedule=JointTraining(
                _MAX_EPOCHS if self.epochs == "auto" else self.epochs,
                lr_decay=InverseDecay(1e-4, 0.75), weight_decay=5e-5,
            ),
            **self._common(n_init=1),
        )
