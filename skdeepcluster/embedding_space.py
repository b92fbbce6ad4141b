"""The embedding-space network: an autoencoder's latent space mapped to a space made for clustering.

Recipe (Dahal, "Learning Embedding Space for Clustering From Deep
Representations", IEEE Big Data 2018, and the author's code):

* network: a denoising autoencoder ``d-500-500-2000-10`` with a sigmoid
  decoder and the cross-entropy reconstruction ``L_R`` (inputs in [0, 1]),
  and a representation network ``10-2000-500-500-10`` from its latent ``z``
  to the embedding ``e``;
* pretraining: the autoencoder on ``L_R``;
* joint training: ``L_E``, the cross-entropy of the batch's pairwise
  Student's t affinities of ``z`` (``2 d`` degrees of freedom) to those of
  ``e`` (one degree), trains the representation network; the encoder trains
  on ``L_R + 0.01 L_E``, the decoder on ``L_R``; Adam, lr 0.001, batches of 100;
* labels: k-means (10 runs) on the embedding ``e``.
"""

from numbers import Integral, Real

from sklearn.cluster import KMeans
from sklearn.utils._param_validation import Interval, StrOptions

from .compose import (
    DeepClustering,
    ELBOReconstruction,
    EmbeddingCrossEntropy,
    EmbeddingSpaceNetwork,
    PretrainThenCluster,
)
from .compose.preset import Preset

__all__ = ["EmbeddingSpaceClustering"]

_SHARED = (
    "n_clusters", "hidden_dims", "embedding_dim", "weight_init", "pretrain_epochs",
    "pretrain_lr", "pretrain_optimizer", "epochs", "lr", "optimizer", "n_init", "batch_size",
    "precision", "callbacks", "device", "random_state", "verbose",
)


class EmbeddingSpaceClustering(Preset):
    """Embedding-space network (Dahal 2018): k-means on a learned t-SNE-like map of a latent space.

    A denoising autoencoder learns a latent space ``Z`` that reconstructs the
    input; a representation network maps ``Z`` to an embedding space ``E``,
    trained, as a parametric t-SNE, so that the pairwise affinities of a
    batch in ``E`` (Student's t of one degree of freedom, heavy-tailed, which
    pushes clusters apart) match those in ``Z`` (Student's t of ``2 d``
    degrees).  The encoder feels a hundredth of that loss besides its
    reconstruction, so ``Z`` stays good for reconstructing while ``E``
    separates the clusters; k-means on ``E`` gives the labels (Dahal,
    "Learning Embedding Space for Clustering From Deep Representations",
    IEEE Big Data 2018).

    Like the other embedding methods it suits data whose classes an
    autoencoder's latent space already groups (images of digits, text as
    tf-idf); the embedding only re-arranges the latent space, and the labels
    are k-means', so it learns no clusters of its own: for non-convex
    clusters (two moons, a circle in a ring) use
    :class:`~skdeepcluster.DDCClustering`.  Its loss compares the pairs of
    each batch, so a batch must hold several samples of each cluster (the
    paper's batches of 100 for 10 clusters).

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters of the final k-means.
    embedding_weight : float, default=0.01
        Weight of the embedding loss ``L_E`` in the encoder's loss
        (``L_R + embedding_weight * L_E``; the paper's 0.01, the code's
        ``latent_weight``).  Reachable by ``GridSearchCV``.
    latent_dof : float or "auto", default="auto"
        Degrees of freedom of the latent affinities; ``"auto"`` is
        ``2 * embedding_dim`` (the paper's).
    embedding_dof : float, default=1.0
        Degrees of freedom of the embedding's affinities (the paper's).
    normalization : {"pairs", "columns"}, default="pairs"
        The affinities normalised over all pairs of a batch (the paper's) or
        over each column, the loss summed over the columns (the author's
        code: about ``batch_size`` times larger, so ``embedding_weight`` weighs
        that much more on the encoder).
    noise : float, default=0.5
        Standard deviation of the Gaussian noise on the encoder's input in
        training (clipped to [0, 1] for the cross-entropy): a denoising
        autoencoder, as the paper's; 0 is the code's effective behaviour.
    hidden_dims : tuple of int or "auto", default="auto"
        Hidden widths of the encoder; the decoder mirrors them.  ``"auto"`` is
        ``(500, 500, 2000)`` for inputs of more than 128 features, narrower
        for fewer.
    embedding_dim : int, default=10
        Width of the latent space and of the embedding (the paper's ``d``).
    representation_dims : tuple of int or "auto", default="auto"
        Hidden widths of the representation network; ``"auto"`` is
        ``hidden_dims`` reversed (``(2000, 500, 500)``, the paper's).
    likelihood : {"auto", "bernoulli", "gaussian"}, default="auto"
        Reconstruction loss: the cross-entropy of a sigmoid decoder summed
        over the features (the paper's, for values in [0, 1]), or half the
        squared error.  ``"auto"`` is ``"bernoulli"`` when every training
        value lies in [0, 1].
    weight_init : {"glorot", "torch"}, default="glorot"
        Initial weights of the autoencoder (Glorot-uniform, the code's).
    representation_init : {"glorot", "torch", "identity"}, default="glorot"
        Initial weights of the representation network; ``"identity"`` is the
        code's (see Notes).
    pretrain_epochs : int or "auto", default="auto"
        Epochs of pretraining the autoencoder on its reconstruction; 0
        skips it.  ``"auto"`` is 10 (the code's), or more on a data set too
        small for 3,000 steps.
    pretrain_lr : float, default=1e-3
        Learning rate of pretraining.
    pretrain_optimizer : {"adam", "sgd"} or torch optimizer class, default="adam"
        Optimizer of pretraining.
    epochs : int or "auto", default="auto"
        Epochs of joint training.  ``"auto"`` is 50 (the code's on MNIST), or
        more on a data set too small for 1,500 steps.
    lr : float, default=1e-3
        Learning rate of joint training (the paper's).
    optimizer : {"adam", "sgd"} or torch optimizer class, default="adam"
        Optimizer of joint training (the paper's Adam).
    n_init : int, default=10
        Runs of the final k-means (the code's).
    batch_size : int or "auto", default="auto"
        Mini-batch size; the affinities are computed within each batch.
        ``"auto"`` is 100 (the paper's) on data of at least 50 such batches,
        ``n_samples // 50`` (at least 32) on smaller data.
    precision : {"float32", "tf32", "bf16"}, default="float32"
        Arithmetic of training (the affinities are computed in float32).
    callbacks : list of skorch callbacks, default=None
        Extra callbacks of joint training (copied before use).
    device : str, default="auto"
        ``"auto"`` trains on CUDA when available, else on the CPU.
    random_state : int, RandomState instance or None, default=None
        Seeds the weights, batch order, input noise and k-means.
    verbose : int, default=0
        1 prints each phase with its settings and the losses per epoch.

    Attributes
    ----------
    labels_ : ndarray of shape (n_samples,)
        Cluster of each training sample.
    cluster_centers_ : ndarray of shape (n_clusters, embedding_dim)
        The k-means centres in the embedding.
    readout_ : sklearn.cluster.KMeans
        The k-means fitted on the trained embedding; it gives ``labels_``
        and ``predict``.
    net_ : skorch.NeuralNet
        The trained network (autoencoder and representation network).
    history_ : skorch.History
        Losses of joint training.
    pretrain_history_ : skorch.History or None
        Losses of pretraining.
    device_ : str
        Device the network was trained on.
    n_iter_, pretrain_epochs_, epochs_, batch_size_, hidden_dims_ : int or tuple
        Epochs run, and the ``"auto"`` settings as resolved for the data.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    DECClustering : Student's t assignments to centroids, sharpened.
    NeuralClustering : An autoencoder on reconstruction alone, then k-means.
    DeepClustering : The composition this preset is one choice of.

    Notes
    -----
    Where the paper and the author's code (github.com/parasdahal/deepclustering)
    differ this follows the paper, and offers the code's as a setting: the
    affinities are normalised over the pairs of a batch (the code: per
    column, ``normalization="columns"``); the representation network is
    ``d-2000-500-500-d`` (the code: ``d-2000-500-500-500-d`` from the
    identity, ``representation_dims=(2000, 500, 500, 500),
    representation_init="identity"``, where only ``d`` units of each layer
    ever train; its Glorot weights are this package's choice, as the
    autoencoder's); the autoencoder is denoising (the code computes the
    noisy input and then encodes the clean one, ``noise=0``; the noise's
    scale, 0.5, is the code's default); Adam at lr 0.001 (the code's MNIST
    run: SGD with Nesterov momentum 0.9 at 0.001, 10 + 50 epochs, which
    ``epochs="auto"`` and ``pretrain_epochs="auto"`` follow).  The gradient
    of ``L_E`` reaches the encoder through both affinities, as in the code.  The code reports the best accuracy over the
    epochs of training, chosen with the labels; here the last epoch's
    embedding is clustered.

    References
    ----------
    P. Dahal, "Learning Embedding Space for Clustering From Deep
    Representations", IEEE International Conference on Big Data, 2018,
    pp. 3747-3755.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from skdeepcluster import EmbeddingSpaceClustering
    >>> X, _ = make_blobs(n_samples=60, centers=3, random_state=0)
    >>> model = EmbeddingSpaceClustering(
    ...     n_clusters=3, hidden_dims=(16,), embedding_dim=2, pretrain_epochs=3,
    ...     epochs=3, random_state=0).fit(X)
    >>> model.labels_.shape, model.transform(X).shape
    ((60,), (60, 2))
    """

    _parameter_constraints = {
        **{name: Preset._parameter_constraints[name] for name in _SHARED},
        "embedding_weight": [Interval(Real, 0, None, closed="left")],
        "latent_dof": [Interval(Real, 0, None, closed="neither"), StrOptions({"auto"})],
        "embedding_dof": [Interval(Real, 0, None, closed="neither")],
        "normalization": [StrOptions({"pairs", "columns"})],
        "noise": [Interval(Real, 0, None, closed="left")],
        "representation_dims": ["array-like", StrOptions({"auto"})],
        "likelihood": [StrOptions({"auto", "bernoulli", "gaussian"})],
        "representation_init": [StrOptions({"glorot", "torch", "identity"})],
    }

    def __init__(
        self,
        n_clusters=8,
        *,
        embedding_weight=0.01,
        latent_dof="auto",
        embedding_dof=1.0,
        normalization="pairs",
        noise=0.5,
        hidden_dims="auto",
        embedding_dim=10,
        representation_dims="auto",
        likelihood="auto",
        weight_init="glorot",
        representation_init="glorot",
        pretrain_epochs="auto",
        pretrain_lr=1e-3,
        pretrain_optimizer="adam",
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
        self.embedding_weight = embedding_weight
        self.latent_dof = latent_dof
        self.embedding_dof = embedding_dof
        self.normalization = normalization
        self.noise = noise
        self.hidden_dims = hidden_dims
        self.embedding_dim = embedding_dim
        self.representation_dims = representation_dims
        self.likelihood = likelihood
        self.weight_init = weight_init
        self.representation_init = representation_init
        self.pretrain_epochs = pretrain_epochs
        self.pretrain_lr = pretrain_lr
        self.pretrain_optimizer = pretrain_optimizer
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
            network=EmbeddingSpaceNetwork(
                hidden_dims=self.hidden_dims, embedding_dim=self.embedding_dim,
                representation_dims=self.representation_dims, noise=self.noise,
                likelihood=self.likelihood, weight_init=self.weight_init,
                representation_init=self.representation_init,
            ),
            non_clustering_loss=ELBOReconstruction(weight=1.0),
            clustering_loss=EmbeddingCrossEntropy(
                self.embedding_weight, latent_dof=self.latent_dof,
                embedding_dof=self.embedding_dof, normalization=self.normalization,
            ),
            schedule=PretrainThenCluster(
                **self._lengths(10, 50), pretrain_lr=self.pretrain_lr,
                pretrain_optimizer=self.pretrain_optimizer, pretrain_loss=ELBOReconstruction(),
            ),
            readout=KMeans(n_init=self.n_init),
            **self._common(),
        )
