"""DAC: deep adaptive image clustering.

Recipe (Chang, Wang, Meng, Xiang and Pan, "Deep Adaptive Image Clustering",
ICCV 2017), with its authors' Keras code:

* network: a softmax head on the authors' all-convolutional network for
  images (:class:`~skdeepcluster.networks.DACConvBackbone`), or on a fully
  connected one for vectors (:class:`~skdeepcluster.compose.SoftmaxHeadNetwork`);
* clustering loss: is each pair of a batch in the same cluster?  The cosine
  of two unit-length softmax outputs is labelled "same" above a threshold
  ``u`` and "different" below ``l``, and the network classifies the labelled
  pairs (:class:`~skdeepcluster.compose.SameClusterPairs`);
* cluster update: the thresholds move towards each other after each epoch
  and training ends where they meet
  (:class:`~skdeepcluster.compose.AdaptiveThresholds`), or, as the authors'
  MNIST code, one threshold falls (:class:`~skdeepcluster.compose.DecreasingThreshold`);
* schedule: from the first step, no pretraining; the labels are the
  softmax's argmax.
"""

from numbers import Integral, Real

import torch
from sklearn.utils._param_validation import Interval, StrOptions

from .base import _OPTIMIZERS
from .compose import (
    AdaptiveThresholds,
    Augmentation,
    DecreasingThreshold,
    DeepClustering,
    JointTraining,
    SameClusterPairs,
    SoftmaxHeadNetwork,
)
from .compose.preset import Preset

__all__ = ["DACClustering"]

# The training lengths of the two variants: the paper's thresholds meet after 46 epochs
# (lam += 1.1 * 0.009 from 0 until 0.95 - lam <= 0.455 + 0.1 lam); the code runs 20.
_EPOCHS = {"paper": 46, "authors": 20}


class DACClustering(Preset):
    """Deep Adaptive Clustering (DAC) of Chang et al. (2017).

    A network ending in a softmax is trained from random weights (no
    autoencoder, no pretraining, no k-means) to tell whether two samples
    are in the same cluster.  Each sample's softmax output scaled to unit
    length is its indicator feature ``l_i``, and the cosine ``g_ij = l_i .
    l_j`` of two of them is the network's belief that they are together.
    In each batch, the pairs with ``g_ij >= u`` are labelled "same", those
    with ``g_ij < l`` "different", the others are ignored, and the network
    minimises the binary cross-entropy of the labelled pairs: it learns
    from the pairs it is already sure of.  After each epoch ``u = 0.95 -
    lam`` falls and ``l = 0.455 + 0.1 lam`` rises (``lam`` grows), so that
    more pairs are labelled, until they meet and training ends.  The labels
    are the argmax of the softmax; ``predict_proba`` is the softmax.

    The labels come from the network's own outputs, so any confident
    partition, all samples in one cluster included, is a minimum of the
    loss: DAC needs a network whose first, random outputs already group
    similar samples, as convolutions on images do (the paper's setting),
    and a long schedule.  It is the wrong tool for small or
    low-dimensional tabular data: at its defaults it stays below k-means
    on the scaled digits, iris, blobs, two moons and a circle in a ring,
    and on the moons it put every sample in one cluster on two seeds of
    three (see the benchmarks page).  It has no notion of cluster balance
    beyond the BatchNorm of its logits and the "different" pairs.

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters, the softmax's width ``K``.
    variant : {"paper", "authors"}, default="paper"
        ``"paper"``: the two thresholds and the binary cross-entropy.
        ``"authors"``: the authors' MNIST code ("DAC*"): one threshold from
        0.9 down to 0.5 over the epochs, every pair labelled, the squared
        error between the cosine and the label.
    network : {"auto", "conv", "mlp"}, default="auto"
        ``"conv"``: the authors' CNN for images ``(n, C, H, W)`` (or flat
        with ``input_shape``): unpadded convolutions on images of at least
        22x22, padded ones on smaller images down to 8x8.  ``"mlp"``: a fully
        connected network, ``hidden_dims`` then BatchNorm and ReLU.
        ``"auto"``: ``"conv"`` for images of at least 8x8, else ``"mlp"``.
    hidden_dims : tuple of int or "auto", default="auto"
        Widths of the fully connected network (``"mlp"``).  ``"auto"`` is
        ``(200, 200, 500)`` for inputs of more than 64 features, and
        proportionally narrower for fewer.
    embedding_dim : int, default=10
        Width of the hidden layer between the network and the ``K``-way
        output layer (the first of the code's two dense layers of 10);
        ``transform`` returns it.
    input_shape : tuple of int, default=None
        ``(C, H, W)`` of flat image input.
    augment : bool, default=False
        Random rotations, shifts and zooms of each training batch (the
        authors' MNIST code: ``augment_rotation=10``, ``augment_shift=0.1``,
        ``augment_zoom=0.05``).  Needs image input.
    augment_rotation, augment_shift, augment_zoom : float, default=10.0, 0.1, 0.05
        Largest rotation (degrees), shift (fraction of the size) and zoom.
    upper, lower : float, default=0.95, 0.455
        The thresholds at the start (``variant="paper"``); ignored by
        ``variant="authors"``, whose threshold falls from 0.9 to 0.5.
    threshold_step : float or "auto", default="auto"
        How far the thresholds move per epoch: ``lam``'s step (the paper's
        ``1.1 * 0.009``) or the single threshold's fall (the code's 0.02).
        ``"auto"`` spreads the whole schedule over the fit's epochs, so that
        the thresholds meet (fall to 0.5) at the end: 0.0098 over the paper's
        46 epochs, 0.02 over the code's 20.
    epochs : int or "auto", default="auto"
        Training epochs (at most, with ``variant="paper"``).  ``"auto"`` is
        46 (``"paper"``) or 20 (``"authors"``), or more on data too small for
        1,500 gradient steps.
    lr : float, default=1e-3
        Learning rate.
    optimizer : {"rmsprop", "adam", "sgd"} or torch optimizer class, default="rmsprop"
        The authors' RMSprop (``rho = 0.9``, Keras's).
    batch_size : int or "auto", default="auto"
        Mini-batch size; the pairs are those of each batch.  ``"auto"`` is
        the code's 128 on data of at least 50 such batches, ``n_samples //
        50`` (at least 32) on smaller data.
    precision : {"float32", "tf32", "bf16"}, default="float32"
        Arithmetic of training (the user guide's :ref:`precision`).
    callbacks : list of skorch callbacks, default=None
        Extra callbacks of the training (copied before use).
    device : str, default="auto"
        ``"auto"`` trains on CUDA when available, else on the CPU.
    random_state : int, RandomState instance or None, default=None
        Seeds the weights, the batch order and the augmentation.
    verbose : int, default=0
        1 prints a line as each phase starts and skorch's table of losses
        (with the thresholds ``upper`` and ``lower``) per epoch; 2 or more
        adds a progress bar (needs tqdm).

    Attributes
    ----------
    labels_ : ndarray of shape (n_samples,)
        Cluster of each training sample (argmax of its softmax).
    cluster_centers_ : ndarray of shape (n_clusters, embedding_dim)
        Mean last hidden layer of each cluster's training samples; the
        overall mean for an empty cluster.
    net_ : skorch.NeuralNet
        The trained network (:class:`~skdeepcluster.networks.DDCNetwork`
        with one run).
    history_ : skorch.History
        Training losses and the thresholds of each epoch.
    device_ : str
        Device the network was trained on.
    n_iter_ : int
        Epochs run (fewer than ``epochs_`` when the thresholds met first).
    batch_size_ : int
        Mini-batch size used.
    epochs_ : int
        Epochs of training, ``epochs`` resolved.
    hidden_dims_ : tuple of int or None
        Widths of the fully connected network built, None for the CNN.
    input_shape_ : tuple of int or None
        Image shape the network was built for, if any.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    skdeepcluster.losses.same_cluster_loss : The pairwise loss.
    skdeepcluster.compose.SameClusterPairs : The loss as a component, for any softmax head.
    IMSATClustering, DDCClustering : Other softmax heads trained from scratch.
    sklearn.cluster.KMeans : The shallow baseline.

    Notes
    -----
    The paper gives the selection, the loss and the adaptive thresholds but
    not their constants; the schedule ``u = 0.95 - lam``, ``l = 0.455 + 0.1
    lam``, ``lam += 1.1 * 0.009`` per epoch is that of several
    reimplementations, and the default here.  The authors' MNIST code is a
    variant (``variant="authors"``): one threshold, every pair used, squared
    error, RMSprop, augmented batches.  Deviations from that code: (1) the
    code labels the pairs of a block of 1,000 clean images once and trains
    5 passes of augmented batches of 128 on those labels; here each batch
    is labelled by the same (augmented) forward pass it trains on, as the
    paper's algorithm does; (2) the layers are the code's (its two dense
    layers are the hidden layer and the ``K``-way output layer, each with
    BatchNorm and ReLU, the softmax on the latter: ``output_batch_norm``
    of :class:`~skdeepcluster.compose.SoftmaxHeadNetwork`, which keeps all
    ``K`` outputs in use), but the fully connected network for vectors is
    this package's; (3) BatchNorm uses running
    averages at inference (the code's Keras ``mode=2`` normalises every
    batch by its own statistics), and the layers start He-uniform (the
    code: He-normal convolutions, identity dense layers); (4) augmentation
    fills with zeros (the code: nearest pixel), without the code's channel
    shift and rescaling, and the code subtracts the mean pixel, which here
    is left to the user.

    References
    ----------
    J. Chang, L. Wang, G. Meng, S. Xiang and C. Pan, "Deep Adaptive Image
    Clustering", ICCV 2017.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from skdeepcluster import DACClustering
    >>> X, _ = make_blobs(n_samples=60, centers=3, random_state=0)
    >>> dac = DACClustering(n_clusters=3, hidden_dims=(16,), epochs=5, batch_size=30,
    ...                     random_state=0)
    >>> dac.fit_predict(X).shape
    (60,)
    >>> dac.predict_proba(X).shape, dac.transform(X).shape
    ((60, 3), (60, 10))
    """

    _parameter_constraints = {
        "n_clusters": [Interval(Integral, 1, None, closed="left")],
        "variant": [StrOptions({"paper", "authors"})],
        "network": [StrOptions({"auto", "conv", "mlp"})],
        "hidden_dims": ["array-like", StrOptions({"auto"})],
        "embedding_dim": [Interval(Integral, 1, None, closed="left")],
        "input_shape": ["array-like", None],
        "augment": ["boolean"],
        "augment_rotation": [Interval(Real, 0, 180, closed="both")],
        "augment_shift": [Interval(Real, 0, 1, closed="both")],
        "augment_zoom": [Interval(Real, 0, 1, closed="left")],
        "upper": [Interval(Real, 0, 1, closed="both")],
        "lower": [Interval(Real, 0, 1, closed="both")],
        "threshold_step": [Interval(Real, 0, None, closed="neither"), StrOptions({"auto"})],
        "epochs": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "optimizer": [StrOptions(set(_OPTIMIZERS)), type],
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
        variant="paper",
        network="auto",
        hidden_dims="auto",
        embedding_dim=10,
        input_shape=None,
        augment=False,
        augment_rotation=10.0,
        augment_shift=0.1,
        augment_zoom=0.05,
        upper=0.95,
        lower=0.455,
        threshold_step="auto",
        epochs="auto",
        lr=1e-3,
        optimizer="rmsprop",
        batch_size="auto",
        precision="float32",
        callbacks=None,
        device="auto",
        random_state=None,
        verbose=0,
    ):
        self.n_clusters = n_clusters
        self.variant = variant
        self.network = network
        self.hidden_dims = hidden_dims
        self.embedding_dim = embedding_dim
        self.input_shape = input_shape
        self.augment = augment
        self.augment_rotation = augment_rotation
        self.augment_shift = augment_shift
        self.augment_zoom = augment_zoom
        self.upper = upper
        self.lower = lower
        self.threshold_step = threshold_step
        self.epochs = epochs
        self.lr = lr
        self.optimizer = optimizer
        self.batch_size = batch_size
        self.precision = precision
        self.callbacks = callbacks
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def _augmentation_switch(self, phase):
        return "augment=True"

    def to_deep_clustering(self):
        authors = self.variant == "authors"
        if authors:
            thresholds = DecreasingThreshold(start=0.9, end=0.5, step=self.threshold_step)
        else:
            thresholds = AdaptiveThresholds(upper=self.upper, lower=self.lower,
                                            step=self.threshold_step)
        augmentation = None
        if self.augment:
            augmentation = Augmentation(
                self.augment_rotation, self.augment_shift, zoom=self.augment_zoom,
                pretraining=False, clustering=True,
            )
        return DeepClustering(
            network=SoftmaxHeadNetwork(
                "conv_bn" if self.network == "conv" else self.network,
                hidden_dims=self.hidden_dims, hidden_dim=self.embedding_dim,
                input_shape=self.input_shape, max_grad_norm=None, batch_norm="before_relu",
                output_batch_norm=True,
            ),
            clustering_loss=SameClusterPairs(
                "squared_error" if authors else "binary_cross_entropy"
            ),
            cluster_update=thresholds,
            augmentation=augmentation,
            schedule=JointTraining(**self._lengths(epochs=_EPOCHS[self.variant])),
            **self._common(n_init=1),
        )
