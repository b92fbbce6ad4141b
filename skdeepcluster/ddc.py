"""DDC: deep divergence-based clustering, and its ensemble DDC-VOTE.

Recipe (Kampffmeyer, Løkse, Bianchi, Livi, Salberg and Jenssen, "Deep
divergence-based approach to clustering", Neural Networks 113, 2019):

* network: a backbone (the paper's LeNet-like CNN for images, a
  ``200-200-500`` fully connected net for vectors), a hidden layer
  ``FC(100) -> ReLU -> BatchNorm`` and a ``K``-way softmax;
* loss: the Cauchy–Schwarz divergence between the clusters, measured with a
  Gaussian kernel on the hidden layer, plus the orthogonality of the
  assignments ``triu(A A^T)`` and the divergence of their closeness to the
  simplex corners (:func:`ddc_loss`);
* no pretraining and no initialisation beyond the network's random weights:
  ``n_init`` runs are trained together as one vectorised model and the run
  with the lowest unsupervised loss is kept; DDC-VOTE aligns the next two to
  it with the Hungarian algorithm and takes the majority vote.

Not to be confused with ClustPy's ``DDC`` (a density-based method).
"""

from numbers import Integral, Real

import numpy as np
import torch
from sklearn.utils._param_validation import Interval, StrOptions
from torch import nn

from .compose import BestOfRuns, CauchySchwarz, DeepClustering, JointTraining, SoftmaxHeadNetwork
from .compose.auto import BATCHES_PER_EPOCH
from .compose.preset import Preset

# Moved to the modules of the anatomy; importable from here as before.
from .losses.divergence import (  # noqa: F401
    DDCLoss,
    cauchy_schwarz_divergence,
    ddc_loss,
    gaussian_kernel,
    orthogonality_loss,
    simplex_corner_similarity,
)
from .compose.readouts import align_to as _align_to  # noqa: F401
from .compose.readouts import majority_vote as _majority_vote  # noqa: F401
from .networks.runwise import (  # noqa: F401
    DDCConvBackbone,
    DDCMLPBackbone,
    DDCNet,
    DDCNetwork,
    RunLoopBackbone,
    RunwiseBatchNorm,
    RunwiseClippedAdam,
    RunwiseConv2d,
    RunwiseLinear,
    _ClipPerRun,
)

__all__ = ["DDCClustering"]

# "auto" epochs of a data set small enough for one batch: exact gradient steps.
FULL_BATCH_STEPS = 500


class DDCClustering(Preset):
    """Deep Divergence-based Clustering (DDC) and its ensemble DDC-VOTE.

    A network ending in a hidden layer and a softmax is trained from scratch
    (no autoencoder, no pretraining) to minimise the loss of Kampffmeyer et
    al. (2019): the Cauchy–Schwarz divergence between clusters measured with a
    Gaussian kernel on the hidden layer, the orthogonality of the assignment
    vectors and their closeness to the corners of the simplex
    (:func:`ddc_loss`).  ``n_init`` runs are trained together as one
    vectorised model; the run with the lowest unsupervised loss is kept, and
    with ``voting=True`` the next two are aligned to it by the Hungarian
    algorithm and the three vote (DDC-VOTE).  At its defaults it separates
    clusters that are not convex, such as a circle inside a ring (the paper's
    Figure 3); the paper makes no such claim for two moons, where it does no
    better than k-means.

    Not to be confused with ClustPy's ``DDC``, a density-based method.

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters (1 gives one cluster, as ``KMeans``).
    network : {"mlp", "conv"}, default="mlp"
        Backbone: the paper's fully connected network for vectors, or its
        LeNet-like CNN (conv 5x5x32, pool, conv 5x5x64, pool) for images of
        at least 16x16 (input ``(n, C, H, W)``, ``(n, H, W)``, or flat with
        ``input_shape``).
    hidden_dims : tuple of int or "auto", default="auto"
        Widths of the fully connected backbone, BatchNorm on the last one.
        ``"auto"`` is ``(200, 200, 500)`` for inputs of more than 64
        features, narrower for fewer (``hidden_dims_`` holds the widths used;
        see :class:`~skdeepcluster.compose.SoftmaxHeadNetwork`).
    embedding_dim : int, default=100
        Width of the hidden layer (``FC -> ReLU -> BatchNorm``) on which the
        kernel is computed; ``transform`` returns it.
    input_shape : tuple of int, default=None
        ``(C, H, W)`` of flat image input for ``network="conv"``.
    encoder : torch.nn.Module, default=None
        Your own backbone, replacing ``network``: maps a batch (images when
        the input is images) to ``(n, features)``.  It is copied once per run
        and every copy is re-initialised (its layers' ``reset_parameters``),
        so each run starts from scratch; the given module is not modified.
    cs_weight : float, default=1.0
        Weight of the Cauchy–Schwarz term on the assignments.
    orthogonality_weight : float, default=1.0
        Weight of the orthogonality term ``triu(A A^T)``.
    simplex_weight : float, default=1.0
        Weight of the Cauchy–Schwarz term on the simplex-corner similarities.
    sigma_fraction : float, default=0.15
        Kernel bandwidth: ``sigma^2`` is this fraction of the batch's median
        squared pairwise distance in the hidden layer.
    n_init : int, default=10
        Independent runs (the paper uses 20); the one with the lowest loss is
        kept.
    voting : bool, default=False
        DDC-VOTE: the three best runs vote (needs ``n_init >= 3``).
    epochs : int or "auto", default="auto"
        Training epochs of every run (the paper: 70,000 batches of 100).
        ``"auto"`` is 100 on data of at least 5,000 samples (50 batches of
        100), 1,500 gradient steps on smaller data (29 epochs of the 1,797
        digits), and 500 on data small enough to train in one batch;
        ``epochs_`` holds the number used.
    lr : float, default=1e-3
        Adam's learning rate (the paper: 1e-3 for the CNN, 1e-5 for the fully
        connected network over 70,000 iterations; 1e-3 works on vectors with
        fewer iterations).
    batch_size : int or "auto", default="auto"
        Mini-batch size (the paper: 100); the kernel is computed per batch.
        ``"auto"`` is 100 on data of at least 50 such batches,
        ``n_samples // 50`` (at least 32) on smaller data, and the whole data
        set on data of at most 200 samples, where small batches estimate the
        divergence too roughly (``batch_size_`` holds the size used).
        A last batch of a single sample is skipped.
    max_grad_norm : float or None, default=5.0
        Gradient-norm clipping of each run, as the paper; None disables it.
    precision : {"float32", "tf32", "bf16"}, default="float32"
        Arithmetic of training: float32, TF32 products on CUDA,
        or the network's layers under bfloat16 autocast (the user guide's
        :ref:`precision` says what stays float32 and what it costs).
    callbacks : list of skorch callbacks, default=None
        Extra callbacks of the training (copied before use).
    device : str, default="auto"
        ``"auto"`` trains on CUDA when available, else on the CPU; or
        ``"cpu"``, ``"cuda"``, ``"cuda:1"``...
    random_state : int, RandomState instance or None, default=None
        Seeds the weights of every run and the batch order (shared by the
        runs).
    verbose : int, default=0
        1 prints a line as each phase starts (pretraining, initialisation,
        clustering, readout) with its resolved settings, skorch's table of
        losses per epoch (coloured only on a terminal) and why training
        stopped early; 2 or more adds a progress bar over each epoch's
        batches (needs tqdm).

    Attributes
    ----------
    labels_ : ndarray of shape (n_samples,)
        Cluster of each training sample: the best run's, or the vote with
        ``voting=True``.  Clusters are numbered so that the non-empty ones
        come first.
    cluster_centers_ : ndarray of shape (n_clusters, embedding_dim)
        Mean hidden representation (best run) of each cluster's training
        samples; the overall mean for an empty cluster.
    run_losses_ : ndarray of shape (n_init,)
        Final unsupervised loss of each run on the training data (mean of
        :func:`ddc_loss` over batches of ``batch_size``, BatchNorm in
        inference mode).
    kept_runs_ : ndarray of shape (1,) or (3,)
        Indices of the runs kept, best first.
    net_ : skorch.NeuralNet
        The trained network; its ``module_`` (:class:`DDCNetwork`) holds the
        kept runs.
    history_ : skorch.History
        Training losses (summed over the ``n_init`` runs).
    device_ : str
        Device the network was trained on.
    n_iter_ : int
        Epochs run.
    input_shape_ : tuple of int or None
        Image shape the network was built for, if any.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    ddc_loss : The loss, as a function of tensors.
    DECClustering : Clustering of a pretrained autoencoder's embedding.
    sklearn.cluster.KMeans : The shallow baseline.

    Notes
    -----
    ``predict`` on new data is the best run's argmax, or with
    ``voting=True`` the majority vote of the three kept runs (aligned to the
    best; ties go to the best run), the same rule that gave ``labels_``.
    ``predict_proba`` is the best run's softmax, or the mean of the three
    aligned softmaxes; with voting its argmax may differ from ``predict`` on
    samples where the runs disagree.  ``transform`` is the best run's hidden
    layer.

    The paper's vector network is ``200-200-500-K`` with the BatchNorm'd
    500-unit layer as the kernel's hidden layer; the default here follows the
    project's specification (that backbone, then a hidden ``FC(100)``);
    ``hidden_dims=(200, 200), embedding_dim=500`` is close to the paper's
    layout.

    The runs share the order of the mini-batches and differ by their initial
    weights.  On CUDA the training step, clipping included, runs as a CUDA
    graph.

    References
    ----------
    M. Kampffmeyer, S. Løkse, F. M. Bianchi, L. Livi, A.-B. Salberg and
    R. Jenssen, "Deep divergence-based approach to clustering", Neural
    Networks 113 (2019) 91-101.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from skdeepcluster.ddc import DDCClustering
    >>> X, _ = make_blobs(n_samples=60, centers=3, random_state=0)
    >>> ddc = DDCClustering(n_clusters=3, hidden_dims=(16,), embedding_dim=8,
    ...                     n_init=3, voting=True, epochs=5, batch_size=30,
    ...                     random_state=0)
    >>> ddc.fit_predict(X).shape
    (60,)
    >>> ddc.predict_proba(X).shape, ddc.transform(X).shape
    ((60, 3), (60, 8))
    """

    _parameter_constraints = {
        "n_clusters": [Interval(Integral, 1, None, closed="left")],
        "network": [StrOptions({"mlp", "conv"})],
        "hidden_dims": ["array-like", StrOptions({"auto"})],
        "embedding_dim": [Interval(Integral, 1, None, closed="left")],
        "input_shape": ["array-like", None],
        "encoder": [nn.Module, None],
        "cs_weight": [Interval(Real, 0, None, closed="left")],
        "orthogonality_weight": [Interval(Real, 0, None, closed="left")],
        "simplex_weight": [Interval(Real, 0, None, closed="left")],
        "sigma_fraction": [Interval(Real, 0, None, closed="neither")],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "voting": ["boolean"],
        "epochs": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "batch_size": [Interval(Integral, 2, None, closed="left"), StrOptions({"auto"})],
        "precision": Preset._parameter_constraints["precision"],
        "max_grad_norm": [Interval(Real, 0, None, closed="neither"), None],
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
        network="mlp",
        hidden_dims="auto",
        embedding_dim=100,
        input_shape=None,
        encoder=None,
        cs_weight=1.0,
        orthogonality_weight=1.0,
        simplex_weight=1.0,
        sigma_fraction=0.15,
        n_init=10,
        voting=False,
        epochs="auto",
        lr=1e-3,
        batch_size="auto",
        precision="float32",
        max_grad_norm=5.0,
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
        self.encoder = encoder
        self.cs_weight = cs_weight
        self.orthogonality_weight = orthogonality_weight
        self.simplex_weight = simplex_weight
        self.sigma_fraction = sigma_fraction
        self.n_init = n_init
        self.voting = voting
        self.epochs = epochs
        self.lr = lr
        self.batch_size = batch_size
        self.precision = precision
        self.max_grad_norm = max_grad_norm
        self.callbacks = callbacks
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def to_deep_clustering(self):
        return DeepClustering(
            network=SoftmaxHeadNetwork(
                self.network, hidden_dims=self.hidden_dims, hidden_dim=self.embedding_dim,
                input_shape=self.input_shape, encoder=self.encoder,
                max_grad_norm=self.max_grad_norm,
            ),
            clustering_loss=CauchySchwarz(
                self.cs_weight, self.orthogonality_weight, self.simplex_weight,
                self.sigma_fraction,
            ),
            schedule=JointTraining(
                **self._lengths(epochs=100),
                # "auto" on data smaller than 50 of the paper's batches: just the step budget
                small_data_size=BATCHES_PER_EPOCH * CauchySchwarz.reference_batch_size,
                full_batch_steps=FULL_BATCH_STEPS,
            ),
            readout=BestOfRuns(self.n_init, voting=self.voting),
            **self._common(n_init=1, optimizer="adam"),
        )

    def predict(self, X):
        """Cluster index of each sample: the best run's, or the vote of the three kept runs.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, C, H, W)
            New data.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Index of the cluster each sample belongs to.
        """
        X = self._validate_input(X, reset=False)
        return self._labels_in_chunks(X)

    def predict_runs(self, X):
        """Cluster index of each sample under each kept run, best run first.

        The kept runs are aligned to the best one (the same numbering as
        ``labels_``), so the columns can be compared directly; with
        ``voting=True``, ``predict`` is their majority vote.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, C, H, W)
            New data.

        Returns
        -------
        labels : ndarray of shape (n_samples, n_kept_runs)
            Column ``r`` holds the labels of run ``kept_runs_[r]``.

        Examples
        --------
        >>> from sklearn.datasets import make_blobs
        >>> from skdeepcluster import DDCClustering
        >>> X, _ = make_blobs(90, centers=3, random_state=0)
        >>> ddc = DDCClustering(3, n_init=3, voting=True, epochs=5, batch_size=30,
        ...                     device="cpu", random_state=0).fit(X)
        >>> ddc.predict_runs(X).shape
        (90, 3)
        """
        X = self._validate_input(X, reset=False)
        return self._inference(
            X, lambda m, x: m(x)["assignments"].argmax(dim=-1)
        ).astype(np.int64)
