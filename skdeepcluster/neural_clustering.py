"""Neural Clustering: k-means on the concatenated layers of a trained autoencoder.

Recipe (Saito and Tan 2017, as the taxonomy of Aljalbout et al. 2018 gives it):

* network: a fully connected autoencoder, trained on reconstruction alone;
* features: the outputs of every encoder layer, side by side, not only the
  bottleneck;
* no clustering loss; a clusterer on those features gives the labels.
"""

from numbers import Integral, Real

from sklearn.cluster import KMeans
from sklearn.utils._param_validation import HasMethods, StrOptions

from .compose import (
    AutoencoderNetwork,
    DeepClustering,
    JointTraining,
    NoClusteringLoss,
    Reconstruction,
)
from .compose.auto import AUTO_MIN_STEPS
from .compose.preset import Preset

__all__ = ["NeuralClustering"]

_SHARED = (
    "n_clusters", "hidden_dims", "embedding_dim", "weight_init", "epochs", "lr", "optimizer",
    "n_init", "batch_size", "precision", "callbacks", "device", "random_state", "verbose",
)


class NeuralClustering(Preset):
    """Neural Clustering: an autoencoder's layers, concatenated, clustered by k-means.

    Trains a fully connected autoencoder on reconstruction alone, then fits a
    clusterer (k-means by default) on the outputs of all its encoder layers
    side by side (Saito and Tan, "Neural Clustering: Concatenating Layers for
    Better Projections", ICLR workshop 2017).  The wide hidden layers keep
    detail the bottleneck drops.  With ``features="embedding"`` it is the
    usual autoencoder-then-k-means baseline.  No clustering objective shapes
    the network, so it suits data whose classes an autoencoder already
    separates (images of digits); for clusters that are not convex, such as a
    circle inside a ring, use :class:`~skdeepcluster.DDCClustering`.

    The survey that reports the method names "k-nearest neighbours" as its
    clustering step without saying how labels come from it; this estimator
    uses k-means, and any scikit-learn clusterer through ``clusterer``.

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters.
    features : {"layers", "embedding"}, default="layers"
        What the clusterer sees: every encoder layer's output, side by side
        (the method's), or the bottleneck embedding only.
    hidden_dims : tuple of int or "auto", default="auto"
        Hidden layer widths of the encoder; the decoder mirrors them.
        ``"auto"`` is ``(500, 500, 2000)`` for inputs of more than 128
        features, narrower for fewer (``hidden_dims_`` holds the widths used).
    embedding_dim : int, default=10
        Width of the bottleneck.
    weight_init : {"glorot", "torch"}, default="glorot"
        Initial weights of the dense layers: Glorot uniform with zero biases
        (as DEC's autoencoder), or PyTorch's default.
    epochs : int or "auto", default="auto"
        Epochs of training on reconstruction; ``"auto"`` is 100, or more on
        small data so that training takes at least 3,000 gradient steps.
    lr : float, default=1e-3
        Learning rate.
    optimizer : {"adam", "sgd"} or torch optimizer class, default="adam"
        Optimizer (``"sgd"`` with momentum 0.9).
    clusterer : scikit-learn clusterer or None, default=None
        Fitted on the trained features; its ``n_clusters`` (or
        ``n_components``) is set to ``n_clusters``, and it also predicts.
        None is ``KMeans(n_init=n_init)``.
    n_init : int, default=10
        Number of k-means runs of the default clusterer.
    batch_size : int or "auto", default="auto"
        Mini-batch size; ``"auto"`` is 256 on data of at least 50 such
        batches, ``n_samples // 50`` (at least 32) on smaller data.
    precision : {"float32", "tf32", "bf16"}, default="float32"
        Arithmetic of training (see the user guide's :ref:`precision`).
    callbacks : list of skorch callbacks, default=None
        Extra callbacks of training (copied before use).
    device : str, default="auto"
        ``"auto"`` trains on CUDA when available, else on the CPU.
    random_state : int, RandomState instance or None, default=None
        Seeds weights, batch order and the clusterer.
    verbose : int, default=0
        1 prints each phase with its settings and the losses per epoch.

    Attributes
    ----------
    labels_ : ndarray of shape (n_samples,)
        Cluster of each training sample.
    cluster_centers_ : ndarray of shape (n_clusters, n_features_out)
        The clusterer's centres in the feature space (``transform``'s).
    readout_ : scikit-learn clusterer
        The clusterer fitted on the trained features; it gives ``labels_``
        and ``predict``.
    net_ : skorch.NeuralNet
        The trained autoencoder.
    history_ : skorch.History
        Reconstruction loss per epoch.
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
    DECClustering : An autoencoder whose embedding is then trained to cluster.
    DeepClustering : The composition this preset is one choice of.

    Examples
    --------
    >>> import numpy as np
    >>> from skdeepcluster import NeuralClustering
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(c, 0.1, (30, 6)) for c in (0.0, 1.0, 2.0)])
    >>> model = NeuralClustering(n_clusters=3, hidden_dims=(16,), epochs=5,
    ...                          random_state=0).fit(X)
    >>> model.transform(X).shape  # the hidden layer (16) and the embedding (10)
    (90, 26)
    """

    _parameter_constraints = {
        **{name: Preset._parameter_constraints[name] for name in _SHARED},
        "features": [StrOptions({"layers", "embedding"})],
        "clusterer": [HasMethods(["fit", "predict"]), None],
    }

    def __init__(
        self,
        n_clusters=8,
        *,
        features="layers",
        hidden_dims="auto",
        embedding_dim=10,
        weight_init="glorot",
        epochs="auto",
        lr=1e-3,
        optimizer="adam",
        clusterer=None,
        n_init=10,
        batch_size="auto",
        precision="float32",
        callbacks=None,
        device="auto",
        random_state=None,
        verbose=0,
    ):
        self.n_clusters = n_clusters
        self.features = features
        self.hidden_dims = hidden_dims
        self.embedding_dim = embedding_dim
        self.weight_init = weight_init
        self.epochs = epochs
        self.lr = lr
        self.optimizer = optimizer
        self.clusterer = clusterer
        self.n_init = n_init
        self.batch_size = batch_size
        self.precision = precision
        self.callbacks = callbacks
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def to_deep_clustering(self):
        auto = isinstance(self.epochs, str)
        clusterer = KMeans(n_init=self.n_init) if self.clusterer is None else self.clusterer
        return DeepClustering(
            network=AutoencoderNetwork(
                "mlp", hidden_dims=self.hidden_dims, embedding_dim=self.embedding_dim,
                weight_init=self.weight_init,
            ),
            features=self.features,
            non_clustering_loss=Reconstruction(),
            clustering_loss=NoClusteringLoss(),
            # the autoencoder's training, as long as DEC's pretraining
            schedule=JointTraining(
                100 if auto else self.epochs, min_steps=AUTO_MIN_STEPS[0] if auto else 0
            ),
            readout=clusterer,
            **self._common(),
        )
