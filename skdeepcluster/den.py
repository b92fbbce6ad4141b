"""DEN: an autoencoder whose embedding keeps input neighbours close and is group-sparse.

Recipe (Huang et al. 2014, as ClustPy's reimplementation has it; the paper's
details are not available):

* network: a fully connected autoencoder, trained from scratch on
  reconstruction plus two regularisers of the embedding;
* locality preservation: each sample's input neighbours stay close in the
  embedding, weighted by a heat kernel of their input distance;
* group sparsity: a group lasso over one slice of the embedding per cluster;
* k-means on the embedding after training.
"""

from numbers import Integral, Real

from sklearn.cluster import KMeans
from sklearn.utils._param_validation import Interval, StrOptions

from .compose import (
    AutoencoderNetwork,
    DeepClustering,
    GroupSparsity,
    JointTraining,
    LocalityPreservation,
    NoClusteringLoss,
    Reconstruction,
)
from .compose.auto import AUTO_MIN_STEPS
from .compose.preset import Preset

__all__ = ["DENClustering"]

_SHARED = (
    "n_clusters", "hidden_dims", "weight_init", "epochs", "lr", "optimizer", "n_init",
    "batch_size", "precision", "callbacks", "device", "random_state", "verbose",
)


class DENClustering(Preset):
    """Deep Embedding Network (DEN): locality-preserving, group-sparse embedding, then k-means.

    Trains a fully connected autoencoder on its reconstruction error (summed
    over the features and averaged over the samples, as the other two terms
    are per-sample sums) plus two terms on the embedding: each sample's nearest input neighbours stay close
    in the embedding, weighted by a heat kernel of their input distance
    (locality preservation), and the embedding, cut into one slice per
    cluster, pays a group lasso so that each sample lights up few slices
    (group sparsity).  k-means on the trained embedding gives the clusters
    (Huang, Huang, Wang and Wang, "Deep Embedding Network for Clustering",
    ICPR 2014).  The paper's constants are not available; the defaults are
    those of ClustPy's reimplementation, except the group lasso's weight
    (0.1, not 1) and the heat kernel's width, which ``t="auto"`` takes from
    the data.  No clustering objective shapes
    the network, so, like :class:`NeuralClustering`, it suits data whose
    classes an autoencoder already separates; for non-convex clusters use
    :class:`~skdeepcluster.DDCClustering`.

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters, and of groups of the embedding.
    locality_weight : float, default=0.5
        Weight of the locality-preserving term.
    sparsity_weight : float, default=0.1
        Weight of the group-sparsity term (ClustPy's default is 1, which,
        against the reconstruction summed over the features, silenced most
        of the embedding of the scaled digits).
    n_neighbors : int, default=2
        Input neighbours of each sample the locality term keeps close
        (itself excluded; ClustPy's ``n_neighbors=3`` counts itself).
    t : float or "auto", default="auto"
        Width of the heat kernel ``exp(-||x_i - x_j||^2 / t)``; ``"auto"`` is
        the mean squared distance of the samples to their neighbours.
    group_size : int, default=2
        Units of the embedding per cluster: the embedding has
        ``group_size * n_clusters`` dimensions.
    hidden_dims : tuple of int or "auto", default="auto"
        Hidden layer widths of the encoder; the decoder mirrors them.
        ``"auto"`` is ``(500, 500, 2000)`` for inputs of more than 128
        features, narrower for fewer.
    weight_init : {"glorot", "torch"}, default="glorot"
        Initial weights of the dense layers.
    epochs : int or "auto", default="auto"
        Epochs of training; ``"auto"`` is 100, or more on small data so that
        training takes at least 3,000 gradient steps.
    lr : float, default=1e-3
        Learning rate.
    optimizer : {"adam", "sgd"} or torch optimizer class, default="adam"
        Optimizer (``"sgd"`` with momentum 0.9).
    n_init : int, default=10
        Number of runs of the final k-means.
    batch_size : int or "auto", default="auto"
        Mini-batch size; ``"auto"`` is 256 on data of at least 50 such
        batches, ``n_samples // 50`` (at least 32) on smaller data.
    precision : {"float32", "tf32", "bf16"}, default="float32"
        Arithmetic of training.
    callbacks : list of skorch callbacks, default=None
        Extra callbacks of training (copied before use).
    device : str, default="auto"
        ``"auto"`` trains on CUDA when available, else on the CPU.
    random_state : int, RandomState instance or None, default=None
        Seeds weights, batch order and k-means.
    verbose : int, default=0
        1 prints each phase with its settings and the losses per epoch.

    Attributes
    ----------
    labels_ : ndarray of shape (n_samples,)
        Cluster of each training sample.
    cluster_centers_ : ndarray of shape (n_clusters, group_size * n_clusters)
        The k-means centres in the embedding.
    readout_ : sklearn.cluster.KMeans
        The k-means fitted on the trained embedding; it gives ``labels_``
        and ``predict``.
    net_ : skorch.NeuralNet
        The trained autoencoder.
    history_ : skorch.History
        The loss per epoch.
    device_ : str
        Device the network was trained on.
    n_iter_, epochs_, batch_size_, hidden_dims_ : int, int, int, tuple of int
        Epochs run, epochs and batch size resolved, widths built.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    NeuralClustering : An autoencoder on reconstruction alone, then k-means.
    DeepClustering : The composition this preset is one choice of.

    Examples
    --------
    >>> import numpy as np
    >>> from skdeepcluster import DENClustering
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(c, 0.1, (30, 6)) for c in (0.0, 1.0, 2.0)])
    >>> model = DENClustering(n_clusters=3, hidden_dims=(16,), epochs=5,
    ...                       random_state=0).fit(X)
    >>> model.transform(X).shape  # two units of the embedding per cluster
    (90, 6)
    """

    _parameter_constraints = {
        **{name: Preset._parameter_constraints[name] for name in _SHARED},
        "locality_weight": [Interval(Real, 0, None, closed="left")],
        "sparsity_weight": [Interval(Real, 0, None, closed="left")],
        "n_neighbors": [Interval(Integral, 1, None, closed="left")],
        "t": [Interval(Real, 0, None, closed="neither"), StrOptions({"auto"})],
        "group_size": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        n_clusters=8,
        *,
        locality_weight=0.5,
        sparsity_weight=0.1,
        n_neighbors=2,
        t="auto",
        group_size=2,
        hidden_dims="auto",
        weight_init="glorot",
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
        self.locality_weight = locality_weight
        self.sparsity_weight = sparsity_weight
        self.n_neighbors = n_neighbors
        self.t = t
        self.group_size = group_size
        self.hidden_dims = hidden_dims
        self.weight_init = weight_init
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
        auto = isinstance(self.epochs, str)
        return DeepClustering(
            network=AutoencoderNetwork(
                "mlp", hidden_dims=self.hidden_dims,
                embedding_dim=self.group_size * self.n_clusters, weight_init=self.weight_init,
            ),
            non_clustering_loss=[
                # summed over the features, as the other two terms are per sample
                Reconstruction(reduction="sum"),
                LocalityPreservation(self.locality_weight, n_neighbors=self.n_neighbors,
                                     t=self.t),
                GroupSparsity(self.sparsity_weight),
            ],
            clustering_loss=NoClusteringLoss(),
            schedule=JointTraining(
                100 if auto else self.epochs, min_steps=AUTO_MIN_STEPS[0] if auto else 0
            ),
            readout=KMeans(n_init=self.n_init),
            **self._common(),
        )
