"""IMSAT: information maximizing self-augmented training.

Recipe (Hu, Miyato, Tokui, Matsumoto and Sugiyama, "Learning Discrete
Representations via Information Maximizing Self-Augmented Training", ICML
2017), as its authors' chainer code runs it:

* network: a fully connected ``d-1200-1200-K`` network, BatchNorm and ReLU
  after each hidden layer, a softmax output, small initial weights
  (:class:`~skdeepcluster.compose.SoftmaxHeadNetwork` with
  ``batch_norm="before_relu", weight_init="small_normal"``);
* clustering loss: the information term ``lam * (H(Y|X) - mu * H(Y))``
  (:class:`~skdeepcluster.compose.MutualInformation`);
* regulariser: virtual adversarial training, the prediction of each sample
  kept under a perturbation of ``eps_scale`` times its distance to its
  10th nearest neighbour (:class:`~skdeepcluster.compose.VirtualAdversarial`);
* schedule: both from the first step, no pretraining (Adam, lr 0.002, 50
  epochs of batches of 250); the labels are the softmax's argmax.
"""

from numbers import Integral, Real

import torch
from sklearn.utils._param_validation import Interval, StrOptions

from .compose import (
    DeepClustering,
    JointTraining,
    MutualInformation,
    SoftmaxHeadNetwork,
    VirtualAdversarial,
)
from .compose.preset import Preset

__all__ = ["IMSATClustering"]


class IMSATClustering(Preset):
    """Information Maximizing Self-Augmented Training (IMSAT) of Hu et al. (2017).

    A fully connected network with a softmax output is trained from random
    weights (no autoencoder, no pretraining, no k-means) to minimise

    ``R_vat + lam * (H(Y|X) - mu * H(Y))``

    on each mini-batch: the conditional entropy ``H(Y|X)`` makes each
    sample's assignment confident, the marginal entropy ``H(Y)`` of the
    batch's mean assignment keeps the clusters balanced, and the virtual
    adversarial term ``R_vat`` (self-augmented training) keeps each sample's
    assignment when the sample is moved by a small perturbation in the
    direction that would change it most.  The perturbation of a sample is
    ``eps_scale`` times its distance to its ``n_neighbors``-th nearest
    other training sample, so the clusters follow the data's local density.
    The labels are the argmax of the softmax; ``predict_proba`` is the
    softmax.

    The method assumes clusters of about equal size (``mu * H(Y)`` pushes
    towards them; lower ``mu`` for unbalanced clusters) and perturbations
    measured in the input's own Euclidean geometry: scale the features
    first.  The paper's MNIST input is the pixels scaled to ``[-1, 1]``
    (``x / 128 - 1``); for tabular data use a ``StandardScaler`` or
    ``MinMaxScaler``.  Training measures every sample's distance to its
    neighbours once, by an exact search quadratic in the number of
    samples.  The perturbation is small against clusters that are thin and
    curved (two interleaved moons): the balance term is then as content
    with a cut across them as with the gap between them, and k-means may do
    better (see the benchmarks page).

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters, the softmax's width ``K``.
    hidden_dims : tuple of int, default=(1200, 1200)
        Widths of the fully connected layers, each ``Linear -> BatchNorm ->
        ReLU``; the last one's output is what ``transform`` returns.  The
        paper uses ``(1200, 1200)`` on every data set.
    lam : float, default=0.1
        Weight of the information term (the paper's ``lambda``); VAT has
        weight ``vat_weight``.
    mu : float, default=4.0
        Weight of the marginal entropy ``H(Y)`` inside the information term:
        larger favours clusters of equal size.
    vat_weight : float, default=1.0
        Weight of the virtual adversarial term; 0 trains on the information
        term alone (no neighbour search).
    xi : float, default=10.0
        Length of the probe of the power iteration that finds the
        adversarial direction (the authors' code).
    eps_scale : float, default=0.25
        Length of each sample's perturbation as a fraction of its distance to
        its ``n_neighbors``-th nearest neighbour.
    n_neighbors : int, default=10
        Which neighbour's distance: the 10th nearest other sample, as the
        paper says (the authors' code takes the 11th: ``n_neighbors=11``).
    epochs : int or "auto", default="auto"
        Training epochs.  ``"auto"`` is the paper's 50 (280 batches of 250 on
        MNIST's 70,000 images), or more on data too small for 1,500
        gradient steps in 50 epochs; ``epochs_`` holds the number used.
    lr : float, default=2e-3
        Adam's learning rate.
    batch_size : int or "auto", default="auto"
        Mini-batch size; ``H(Y)`` is estimated on each batch.  ``"auto"`` is
        the paper's 250 on data of at least 50 such batches, ``n_samples //
        50`` (at least 32) on smaller data (``batch_size_`` holds the size
        used).  A last batch of a single sample is skipped.
    precision : {"float32", "tf32", "bf16"}, default="float32"
        Arithmetic of training (the user guide's :ref:`precision`); the VAT
        passes run in float32.
    callbacks : list of skorch callbacks, default=None
        Extra callbacks of the training (copied before use).
    device : str, default="auto"
        ``"auto"`` trains on CUDA when available, else on the CPU.
    random_state : int, RandomState instance or None, default=None
        Seeds the weights, the batch order and the random starts of the
        adversarial directions.
    verbose : int, default=0
        1 prints a line as each phase starts with its resolved settings and
        skorch's table of losses per epoch; 2 or more adds a progress bar
        over each epoch's batches (needs tqdm).

    Attributes
    ----------
    labels_ : ndarray of shape (n_samples,)
        Cluster of each training sample (argmax of its softmax).
    cluster_centers_ : ndarray of shape (n_clusters, hidden_dims[-1])
        Mean last hidden layer of each cluster's training samples; the
        overall mean for an empty cluster.
    net_ : skorch.NeuralNet
        The trained network (:class:`~skdeepcluster.networks.DDCNetwork`
        with one run).
    history_ : skorch.History
        Training losses (VAT plus the weighted information term).
    device_ : str
        Device the network was trained on.
    n_iter_ : int
        Epochs run.
    batch_size_ : int
        Mini-batch size used.
    epochs_ : int
        Epochs of training, ``epochs`` resolved.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    skdeepcluster.losses.information_maximization_loss : The information term.
    skdeepcluster.losses.virtual_adversarial_loss : The VAT term.
    DDCClustering : Another softmax-head network trained from scratch.
    sklearn.cluster.KMeans : The shallow baseline.

    Notes
    -----
    This follows the authors' code where the paper leaves a choice open:
    BatchNorm before each ReLU, normal initial weights of variance
    ``0.1 / fan_in`` (``1e-4 / fan_in`` for the softmax layer: chainer's
    ``wscale``),
    ``xi = 10``, logarithms of ``p + 1e-8``, and VAT passes that normalise
    with the batch's statistics without moving BatchNorm's running averages.
    The clean assignments VAT compares with are those of the training
    forward pass (the same batch statistics as the code's separate clean
    pass).  Two deviations: each epoch is a random permutation of the data
    in batches (the code draws every batch at random), and the neighbour is
    the paper's 10th, not the code's 11th (``n_neighbors=11``).  The
    paper's data augmentation variant (IMSAT with random affine
    perturbations instead of VAT) is not implemented.  On CUDA the training
    steps run eagerly, not as a captured CUDA graph as the other presets'
    do.

    References
    ----------
    W. Hu, T. Miyato, S. Tokui, E. Matsumoto and M. Sugiyama, "Learning
    Discrete Representations via Information Maximizing Self-Augmented
    Training", ICML 2017.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from skdeepcluster import IMSATClustering
    >>> X, _ = make_blobs(n_samples=60, centers=3, random_state=0)
    >>> imsat = IMSATClustering(n_clusters=3, hidden_dims=(16, 16), epochs=5,
    ...                         batch_size=30, random_state=0)
    >>> imsat.fit_predict(X).shape
    (60,)
    >>> imsat.predict_proba(X).shape, imsat.transform(X).shape
    ((60, 3), (60, 16))
    """

    _parameter_constraints = {
        "n_clusters": [Interval(Integral, 1, None, closed="left")],
        "hidden_dims": ["array-like"],
        "lam": [Interval(Real, 0, None, closed="left")],
        "mu": [Interval(Real, 0, None, closed="left")],
        "vat_weight": [Interval(Real, 0, None, closed="left")],
        "xi": [Interval(Real, 0, None, closed="neither")],
        "eps_scale": [Interval(Real, 0, None, closed="left")],
        "n_neighbors": [Interval(Integral, 1, None, closed="left")],
        "epochs": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "lr": [Interval(Real, 0, None, closed="neither")],
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
        hidden_dims=(1200, 1200),
        lam=0.1,
        mu=4.0,
        vat_weight=1.0,
        xi=10.0,
        eps_scale=0.25,
        n_neighbors=10,
        epochs="auto",
        lr=2e-3,
        batch_size="auto",
        precision="float32",
        callbacks=None,
        device="auto",
        random_state=None,
        verbose=0,
    ):
        self.n_clusters = n_clusters
        self.hidden_dims = hidden_dims
        self.lam = lam
        self.mu = mu
        self.vat_weight = vat_weight
        self.xi = xi
        self.eps_scale = eps_scale
        self.n_neighbors = n_neighbors
        self.epochs = epochs
        self.lr = lr
        self.batch_size = batch_size
        self.precision = precision
        self.callbacks = callbacks
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def _widths(self):
        widths = [int(w) for w in self.hidden_dims]
        if not widths or min(widths) < 1:
            raise ValueError(
                f"hidden_dims must hold at least one positive width; got {self.hidden_dims!r}."
            )
        return widths

    def to_deep_clustering(self):
        *backbone, hidden = self._widths()
        return DeepClustering(
            network=SoftmaxHeadNetwork(
                "mlp", hidden_dims=tuple(backbone), hidden_dim=hidden, max_grad_norm=None,
                batch_norm="before_relu", weight_init="small_normal",
            ),
            clustering_loss=MutualInformation(self.lam, self.mu),
            non_clustering_loss=VirtualAdversarial(
                self.vat_weight, xi=self.xi, eps_scale=self.eps_scale,
                n_neighbors=self.n_neighbors,
            ),
            schedule=JointTraining(**self._lengths(epochs=50)),
            **self._common(n_init=1, optimizer="adam"),
        )
