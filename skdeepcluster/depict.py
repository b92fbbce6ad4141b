"""DEPICT: deep embedded regularized clustering, a noisy autoencoder with a softmax head.

Recipe (Dizaji, Herandi, Deng, Cai and Huang, "Deep Clustering via Joint
Convolutional Autoencoder Embedding and Relative Entropy Minimization", ICCV
2017, and the authors' Theano code):

* network: a denoising autoencoder whose noise is dropout (0.1) on the input
  and on every hidden layer; on images the paper's ``conv 50@4x4 / 2 -
  conv 50@5x5 / 2 - dense K (tanh)`` and transposed convolutions back
  (:class:`~skdeepcluster.compose.NoisyAutoencoderNetwork`); a softmax
  layer on the ``K``-dimensional embedding gives the clean assignments
  ``p`` and, through the dropout pass, the noisy ``p~``;
* non-clustering loss: every layer reconstructed, the noisy decoder's
  against the clean encoder's, ``mean(x^ - x)^2 + 0.1 sum_l mean(z^_l -
  z_l)^2`` (:class:`~skdeepcluster.compose.LayerwiseReconstruction`);
* clustering loss: ``CE(Q, P~)`` towards the balanced target ``q_ik ∝ p_ik
  / sqrt(sum_i p_ik)`` of the clean assignments of all the data, refreshed
  every epoch (:class:`~skdeepcluster.compose.BalancedCrossEntropy`,
  :class:`~skdeepcluster.compose.EpochTargetRefresh`);
* schedule: pretrain the autoencoder on the layer-wise reconstruction
  (Adam, lr 1e-4, batches of 100); k-means (40 starts) on the embedding;
  softmax weights = the unit-length centroids, bias 0; a warm-up on the
  k-means labels; then the main phase (Adam, lr 1e-4), stopped when the
  target settles.  Labels are the argmax of the clean softmax.
"""

from numbers import Integral, Real

import torch
from sklearn.utils._param_validation import Interval, StrOptions

from .base import _OPTIMIZERS
from .compose import (
    BalancedCrossEntropy,
    DeepClustering,
    EpochTargetRefresh,
    LayerwiseReconstruction,
    NoisyAutoencoderNetwork,
    PretrainThenCluster,
)
from .compose.preset import Preset

__all__ = ["DEPICTClustering"]


class DEPICTClustering(Preset):
    """Deep Embedded regularIzed ClusTering (DEPICT) of Dizaji et al. (2017).

    A noisy (dropout) autoencoder is pretrained to reconstruct, from its
    corrupted pass, every layer of its clean pass; a softmax layer on its
    ``K``-dimensional tanh embedding, started from the k-means centroids of
    the embedding, then learns the target ``Q`` by cross-entropy from the
    noisy pass, with the reconstruction kept as a regulariser.  The target
    sharpens the clean assignments ``P`` of all the data and divides each
    cluster's column by the square root of its size, ``q_ik ∝ p_ik / sqrt(
    sum_i p_ik)``, which keeps the clusters from collapsing into a few; it
    is refreshed once per epoch and training stops when it settles.  The
    labels are the argmax of the clean softmax; ``predict_proba`` is the
    clean softmax; ``transform`` the clean embedding.

    The convolutional network is the paper's, for images of pixels scaled to
    ``[-1, 1]`` (``x / 127.5 - 1``; its output is a tanh).  On tabular data
    the fully connected network reconstructs through a linear output:
    standardise the features (``StandardScaler``) or scale them into
    ``[-1, 1]``.  The input dropout is the paper's noise for images, where a
    dropped pixel is one of hundreds; on low-dimensional data it deletes a
    large part of each sample, and ``dropout=0`` does better (four 2-D
    blobs: median ACC 0.931 against 0.855 at the default, k-means 0.976).
    The target pushes towards clusters of equal size and the clusters are
    those a softmax on a k-means-initialised embedding draws, so it is the
    wrong tool for clusters of very unequal sizes and, as the other
    embedding methods, for clusters that are not convex (a circle in a
    ring: 0.589 against k-means' 0.703); on the scaled digits, iris and two
    moons it stays a little below k-means at its defaults (see the
    benchmarks page).

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters ``K``: the softmax's width, and by default the
        embedding's.
    network : {"auto", "conv", "mlp"}, default="auto"
        The paper's convolutional noisy autoencoder (for images, ``(n, C, H,
        W)``, ``(n, H, W)`` or flat square ones, or with ``input_shape``) or a
        fully connected one.  ``"auto"`` is ``"conv"`` for images (``X`` of 3
        or 4 dimensions, or ``input_shape`` given) and ``"mlp"`` otherwise.
    hidden_dims : tuple of int or "auto", default="auto"
        Hidden widths of the fully connected network (LeakyReLU); ``"auto"``
        as for :class:`~skdeepcluster.compose.AutoencoderNetwork`
        (``(500, 500, 2000)`` for inputs of more than 128 features, narrower
        for fewer).
    embedding_dim : int or None, default=None
        Width of the tanh embedding; None is ``n_clusters`` (the paper's).
    input_shape : tuple of int, default=None
        ``(C, H, W)`` of flat image input.
    dropout : float, default=0.1
        Dropout rate of the noisy pass (on the input and every hidden layer).
    reconstruction_weight : float, default=1.0
        Weight of the layer-wise reconstruction in the clustering phase; 0
        drops it there (pretraining then reconstructs the input alone).
    layer_weight : float, default=0.1
        Weight of each hidden layer's reconstruction against the input's 1.
    clustering_weight : float, default=1.0
        Weight of the cross-entropy to the target.
    target : {"balanced", "squared"}, default="balanced"
        The paper's balanced target ``p / sqrt(sum_i p)``, or the authors'
        code's DEC target ``p^2 / sum_i p``.
    pretrain_epochs : int or "auto", default="auto"
        Epochs of pretraining.  ``"auto"`` is 100, or more on data too
        small for 3,000 gradient steps in 100 epochs (the code instead
        early-stops on a held-out 10%, after up to 1,000 epochs).
    pretrain_lr : float, default=1e-4
        Adam's learning rate in pretraining.
    warmup_epochs : int, default=5
        Epochs of the warm-up on the k-means labels (the code early-stops
        it on the labels of a held-out 10%).
    epochs : int or "auto", default="auto"
        Epochs of the main phase at most (after the warm-up).  ``"auto"`` is
        50, or more on data too small for 1,500 gradient steps.
    lr : float, default=1e-4
        Adam's learning rate in the warm-up and the main phase.
    optimizer : {"adam", "sgd"} or torch optimizer class, default="adam"
        Optimizer of the warm-up and the main phase.
    tol : float, default=1e-7
        Training stops when the mean squared change of the target between
        two epochs falls below this.
    n_init : int, default=40
        Starts of the k-means that initialises the softmax layer.
    batch_size : int or "auto", default="auto"
        Mini-batch size.  ``"auto"`` is the paper's 100 on data of at least
        50 such batches, ``n_samples // 50`` (at least 32) on smaller data.
    precision : {"float32", "tf32", "bf16"}, default="float32"
        Arithmetic of training (the user guide's :ref:`precision`).
    callbacks : list of skorch callbacks, default=None
        Extra callbacks of the clustering phase (copied before use).
    device : str, default="auto"
        ``"auto"`` trains on CUDA when available, else on the CPU.
    random_state : int, RandomState instance or None, default=None
        Seeds the weights, the dropout, the batch order and k-means.
    verbose : int, default=0
        1 prints a line as each phase starts and skorch's table of losses
        per epoch; 2 or more adds a progress bar over each epoch's batches.

    Attributes
    ----------
    labels_ : ndarray of shape (n_samples,)
        Cluster of each training sample (argmax of its clean softmax).
    cluster_centers_ : ndarray of shape (n_clusters, embedding_dim)
        Mean embedding of each cluster's training samples; the overall mean
        for an empty cluster.
    net_ : skorch.NeuralNet
        The trained network with its softmax layer.
    history_ : skorch.History
        Losses of the warm-up and the main phase, and ``delta_target``.
    pretrain_history_ : skorch.History or None
        Losses of pretraining.
    device_ : str
        Device the network was trained on.
    n_iter_ : int
        Epochs of the warm-up and the main phase run.
    batch_size_ : int
        Mini-batch size used.
    pretrain_epochs_, epochs_ : int
        Epochs of pretraining, and of the warm-up plus the main phase at most.
    hidden_dims_ : tuple of int or None
        Hidden widths of the fully connected network, None for the
        convolutional one.
    input_shape_ : tuple of int or None
        Image shape the network was built for, if any.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    skdeepcluster.losses.balanced_target_distribution : The balanced target.
    skdeepcluster.losses.layerwise_reconstruction_loss : The reconstruction of every layer.
    DECClustering : The squared target on Student's t assignments.
    IMSATClustering : Another softmax clustering that balances the clusters.

    Notes
    -----
    This follows the paper for the target (``p / sqrt(sum_i p)``; the
    authors' code uses DEC's ``p^2 / sum_i p``, ``target="squared"``) and
    the code for what the paper leaves open: the dropout of 0.1 on the
    input and after each convolution, the hidden layers' weight 0.1, the
    reconstruction targets that keep their gradient (the clean pass is
    trained too), Glorot-uniform weights, k-means with 40 starts, the
    softmax layer started from the unit-length centroids and the ``tol``
    rule on the target's mean squared change.  Deviations: the pretraining
    and the warm-up run a fixed number of epochs on all the data, where the
    code early-stops each on a held-out 10% (pretraining after 100 epochs
    without a better validation loss, the warm-up after 5 without a better
    validation NMI to the k-means labels); the target is computed by a
    clean pass over all the data at the end of each epoch, where the code
    collects each batch's clean prediction right after its step; and the
    warm-up and the main phase share one Adam, where the code starts a new
    one.  Pixels are in ``[-1, 1]`` as in the code.

    References
    ----------
    K. G. Dizaji, A. Herandi, C. Deng, W. Cai and H. Huang, "Deep Clustering
    via Joint Convolutional Autoencoder Embedding and Relative Entropy
    Minimization", ICCV 2017.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from skdeepcluster import DEPICTClustering
    >>> X, _ = make_blobs(n_samples=60, centers=3, random_state=0)
    >>> depict = DEPICTClustering(n_clusters=3, hidden_dims=(16,), pretrain_epochs=5,
    ...                           warmup_epochs=1, epochs=3, n_init=2, random_state=0)
    >>> depict.fit_predict(X).shape
    (60,)
    >>> depict.predict_proba(X).shape, depict.transform(X).shape
    ((60, 3), (60, 3))
    """

    _parameter_constraints = {
        **{name: Preset._parameter_constraints[name] for name in (
            "n_clusters", "hidden_dims", "input_shape", "pretrain_epochs", "pretrain_lr",
            "epochs", "lr", "optimizer", "n_init", "batch_size", "precision", "callbacks",
            "device", "random_state", "verbose",
        )},
        "network": [StrOptions({"auto", "conv", "mlp"})],
        "embedding_dim": [Interval(Integral, 1, None, closed="left"), None],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "reconstruction_weight": [Interval(Real, 0, None, closed="left")],
        "layer_weight": [Interval(Real, 0, None, closed="left")],
        "clustering_weight": [Interval(Real, 0, None, closed="left")],
        "target": [StrOptions({"balanced", "squared"})],
        "warmup_epochs": [Interval(Integral, 0, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        n_clusters=8,
        *,
        network="auto",
        hidden_dims="auto",
        embedding_dim=None,
        input_shape=None,
        dropout=0.1,
        reconstruction_weight=1.0,
        layer_weight=0.1,
        clustering_weight=1.0,
        target="balanced",
        pretrain_epochs="auto",
        pretrain_lr=1e-4,
        warmup_epochs=5,
        epochs="auto",
        lr=1e-4,
        optimizer="adam",
        tol=1e-7,
        n_init=40,
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
        self.dropout = dropout
        self.reconstruction_weight = reconstruction_weight
        self.layer_weight = layer_weight
        self.clustering_weight = clustering_weight
        self.target = target
        self.pretrain_epochs = pretrain_epochs
        self.pretrain_lr = pretrain_lr
        self.warmup_epochs = warmup_epochs
        self.epochs = epochs
        self.lr = lr
        self.optimizer = optimizer
        self.tol = tol
        self.n_init = n_init
        self.batch_size = batch_size
        self.precision = precision
        self.callbacks = callbacks
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def to_deep_clustering(self):
        lengths = self._lengths(pretrain_epochs=100, epochs=50)
        lengths["epochs"] += self.warmup_epochs  # the warm-up opens the clustering phase
        return DeepClustering(
            network=NoisyAutoencoderNetwork(
                self.network, hidden_dims=self.hidden_dims, embedding_dim=self.embedding_dim,
                dropout=self.dropout, input_shape=self.input_shape,
            ),
            non_clustering_loss=LayerwiseReconstruction(
                self.reconstruction_weight, layer_weight=self.layer_weight
            ),
            clustering_loss=BalancedCrossEntropy(self.clustering_weight, target=self.target),
            schedule=PretrainThenCluster(
                **lengths, pretrain_lr=self.pretrain_lr, pretrain_optimizer="adam",
            ),
            cluster_update=EpochTargetRefresh(warmup_epochs=self.warmup_epochs, tol=self.tol),
            **self._common(),
        )
