"""CCNN: a network trained to classify its own mini-batch k-means clusters.

Recipe (Hsu and Lin, "CNN-Based Joint Clustering and Representation Learning
with Feature Drift Compensation for Large-Scale Image Data", IEEE
Transactions on Multimedia 2018):

* network: a CNN (or a fully connected network for vectors) whose internal
  layer gives the clustering features, topped by a ``K``-way softmax
  (:class:`~skdeepcluster.compose.SoftmaxHeadNetwork` without BatchNorm),
  from random weights or from your pretrained ``encoder``;
* clustering loss: the cross-entropy of the softmax against each sample's
  nearest centroid in the features (:class:`~skdeepcluster.compose.ClusterClassification`);
* cluster update: the centroids start on the features of ``K`` random
  samples and move after every step by mini-batch k-means, carried along
  with the drift the step caused in the features
  (:class:`~skdeepcluster.compose.MiniBatchKMeansCentres`);
* schedule: both from the first step, no pretraining;
* readout: k-means on the final features.
"""

from numbers import Integral, Real

import torch
from sklearn.cluster import KMeans
from sklearn.utils._param_validation import Interval, StrOptions
from torch import nn

from .compose import (
    ClusterClassification,
    DeepClustering,
    JointTraining,
    MiniBatchKMeansCentres,
    SoftmaxHeadNetwork,
)
from .compose.preset import Preset
from .losses.classification import DRIFT_COMPENSATIONS

__all__ = ["CCNNClustering"]


class CCNNClustering(Preset):
    """CNN-based joint clustering with feature drift compensation (CCNN) of Hsu and Lin (2018).

    A network with a ``K``-way softmax head on an internal layer is trained,
    from the first step, to classify each sample into the cluster that
    mini-batch k-means gives it in that layer's features: in each batch every
    sample is assigned to its nearest centroid, the network takes one
    gradient step on the cross-entropy of its softmax against these labels,
    and the centroids move towards their new members by Sculley's
    per-centroid rate ``1 / c_k``.  The step changes the features, so the
    centroids, running means of features computed by earlier networks, drift
    away from the samples they stand for; the feature drift compensation
    encodes the batch again with the updated network and carries each
    centroid along with its members.  The centroids start on the features of
    ``n_clusters`` random samples.  After training, k-means on the final
    features gives the labels; ``predict`` is the nearest k-means centre and
    ``transform`` the features.

    The method bootstraps: a class the initial features do not separate is
    rarely separated later, so it depends on good initial features (the
    paper's ImageNet-pretrained CNN) more than the autoencoder methods do.
    From random weights, as here by default, expect little more than k-means
    on the raw input; pass a pretrained ``encoder`` when you have one.

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters ``K``, the softmax's width.
    network : {"mlp", "conv"}, default="mlp"
        The fully connected backbone for vectors, or the LeNet-like CNN
        (conv 5x5x32, pool, conv 5x5x64, pool) for images of at least
        16x16 (input ``(n, C, H, W)``, ``(n, H, W)``, or flat with
        ``input_shape``).  Ignored with ``encoder``.
    hidden_dims : tuple of int or "auto", default="auto"
        Widths of the fully connected backbone; ``"auto"`` is
        ``(200, 200, 500)`` for inputs of more than 64 features, narrower
        for fewer (``hidden_dims_``).
    embedding_dim : int, default=100
        Width of the internal layer whose features are clustered
        (``FC -> ReLU`` on the backbone).
    input_shape : tuple of int, default=None
        ``(C, H, W)`` of flat image input.
    encoder : torch.nn.Module, default=None
        Your own backbone, e.g. a pretrained CNN, mapping flat rows (or
        images, with ``input_shape``) to features; it is copied and trained
        on from its own weights (not re-initialised).
    drift_compensation : {"cluster", "batch", "none"}, default="cluster"
        How the centroids follow the network's step (see Notes):
        ``"cluster"`` moves each centroid by the mean drift of its members
        in the batch, ``"batch"`` replaces only the batch's share of the
        running mean, ``"none"`` is plain mini-batch k-means.
    initial_count : int, default=1
        Starting count ``c_k`` of each centroid: the sample it came from.
    balanced : bool, default=True
        Weigh each batch's labels alike in the cross-entropy (each sample by
        ``1 / n_{y_i}``) rather than its samples, so that a cluster growing
        at the others' expense does not dominate the loss (see Notes).
    epochs : int or "auto", default="auto"
        Training epochs; ``"auto"`` is 20, or more on data too small for
        1,500 gradient steps (``epochs_``).
    lr : float, default=1e-4
        Adam's learning rate (see Notes).
    n_init : int, default=10
        Number of runs of the final k-means.
    batch_size : int or "auto", default="auto"
        Mini-batch size; ``"auto"`` is 256 on data of at least 50 such
        batches, ``n_samples // 50`` (at least 32) on smaller data.
    max_grad_norm : float or None, default=5.0
        Gradient-norm clipping; None disables it.
    precision : {"float32", "tf32", "bf16"}, default="float32"
        Arithmetic of training (the user guide's :ref:`precision`).
    callbacks : list of skorch callbacks, default=None
        Extra callbacks of the training (copied before use).
    device : str, default="auto"
        ``"auto"`` trains on CUDA when available, else on the CPU.
    random_state : int, RandomState instance or None, default=None
        Seeds the weights, the initial centroids, the batch order and the
        final k-means.
    verbose : int, default=0
        1 prints a line as each phase starts and skorch's table of losses
        (with ``delta_label``, the fraction of labels changed in the epoch);
        2 or more adds a progress bar over each epoch's batches.

    Attributes
    ----------
    labels_ : ndarray of shape (n_samples,)
        Cluster of each training sample (the final k-means').
    cluster_centers_ : ndarray of shape (n_clusters, embedding_dim)
        The final k-means centres in the features.
    readout_ : sklearn.cluster.KMeans
        The final k-means.
    net_ : skorch.NeuralNet
        The trained network (:class:`~skdeepcluster.networks.DDCNetwork`
        with one run and no BatchNorm).
    history_ : skorch.History
        Training losses, ``delta_label`` and ``n_reseeded`` per epoch.
    device_ : str
        Device the network was trained on.
    n_iter_ : int
        Epochs run.
    batch_size_ : int
        Mini-batch size used.
    epochs_ : int
        Epochs of training, ``epochs`` resolved.
    hidden_dims_ : tuple of int or None
        Widths of the fully connected backbone built, None for others.
    input_shape_ : tuple of int or None
        Image shape the network was built for, if any.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    skdeepcluster.losses.cluster_classification_loss : The clustering loss.
    skdeepcluster.losses.feature_drift_compensation : The centroids' drift correction.
    DCNClustering : Count-based k-means centroids on an autoencoder's embedding.
    DDCClustering : A softmax-head network trained from scratch on a divergence.
    sklearn.cluster.MiniBatchKMeans : The same centroid update on fixed features.

    Notes
    -----
    Only the paper's abstract could be read here; the rest is our choice.
    From the paper: ``K`` random samples' features as initial centroids,
    mini-batch k-means labels, joint updates of the network (cross-entropy
    of a classification layer) and of the centroids, a drift compensation of
    the centroids, k-means at the end.  Our choices: the centroid step is
    Sculley's (counts from ``initial_count``, rate ``1 / c_k``, one
    vectorised step per batch); the labels are those of the features of the
    training forward pass, before the step; the drift compensation
    (``"cluster"`` by default; ``"batch"`` is the conservative reading)
    re-encodes the batch after the step; a centroid no sample chose in an
    epoch is reseeded on a random feature of the epoch's last batch (as
    scikit-learn's ``MiniBatchKMeans`` reassigns its low-count centres);
    Adam instead of SGD; no BatchNorm, so a sample's features do not depend
    on its batch; and the small CNN instead of the paper's ImageNet-pretrained
    one, which cannot be downloaded here (pass it as ``encoder``).  From
    random weights the plain cross-entropy lets one cluster grow at the
    others' expense (the trivial solution of self-labelling): on the scaled
    digits, 10 epochs at Adam's 1e-3 gave NMI 0.32 with the plain loss and
    0.50 with ``balanced=True``, and 0.64 balanced at 1e-4 (seed 0; k-means
    0.74), hence the defaults ``balanced=True, lr=1e-4``.  With the plain
    loss for 6 epochs, ``drift_compensation="none"`` and ``"batch"``
    reseeded 13 to 27 dead centroids and ended at NMI 0.07 to 0.55, against
    0.52 and 0.67 (lr 1e-3 and 1e-4) for ``"cluster"``, which reseeded none.
    ``predict_proba`` is the one-hot of the k-means label: the softmax head
    is trained on the moving mini-batch k-means labels, whose numbering the
    final k-means does not keep.

    References
    ----------
    C.-C. Hsu and C.-W. Lin, "CNN-Based Joint Clustering and Representation
    Learning with Feature Drift Compensation for Large-Scale Image Data",
    IEEE Transactions on Multimedia 20(2), 421-429, 2018 (arXiv:1705.07091).

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from skdeepcluster import CCNNClustering
    >>> X, _ = make_blobs(n_samples=60, centers=3, random_state=0)
    >>> ccnn = CCNNClustering(n_clusters=3, hidden_dims=(16,), embedding_dim=8,
    ...                       epochs=5, batch_size=20, random_state=0)
    >>> ccnn.fit_predict(X).shape
    (60,)
    >>> ccnn.transform(X).shape
    (60, 8)
    """

    _parameter_constraints = {
        "n_clusters": [Interval(Integral, 1, None, closed="left")],
        "network": [StrOptions({"mlp", "conv"})],
        "hidden_dims": ["array-like", StrOptions({"auto"})],
        "embedding_dim": [Interval(Integral, 1, None, closed="left")],
        "input_shape": ["array-like", None],
        "encoder": [nn.Module, None],
        "drift_compensation": [StrOptions(set(DRIFT_COMPENSATIONS))],
        "initial_count": [Interval(Integral, 1, None, closed="left")],
        "balanced": ["boolean"],
        "epochs": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 2, None, closed="left"), StrOptions({"auto"})],
        "max_grad_norm": [Interval(Real, 0, None, closed="neither"), None],
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
        network="mlp",
        hidden_dims="auto",
        embedding_dim=100,
        input_shape=None,
        encoder=None,
        drift_compensation="cluster",
        initial_count=1,
        balanced=True,
        epochs="auto",
        lr=1e-4,
        n_init=10,
        batch_size="auto",
        max_grad_norm=5.0,
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
        self.encoder = encoder
        self.drift_compensation = drift_compensation
        self.initial_count = initial_count
        self.balanced = balanced
        self.epochs = epochs
        self.lr = lr
        self.n_init = n_init
        self.batch_size = batch_size
        self.max_grad_norm = max_grad_norm
        self.precision = precision
        self.callbacks = callbacks
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def to_deep_clustering(self):
        return DeepClustering(
            network=SoftmaxHeadNetwork(
                self.network, hidden_dims=self.hidden_dims, hidden_dim=self.embedding_dim,
                input_shape=self.input_shape, encoder=self.encoder,
                max_grad_norm=self.max_grad_norm, batch_norm="none", reset_encoder=False,
            ),
            clustering_loss=ClusterClassification(balanced=self.balanced),
            cluster_update=MiniBatchKMeansCentres(self.initial_count, self.drift_compensation),
            schedule=JointTraining(**self._lengths(epochs=20)),
            readout=KMeans(n_init=self.n_init),
            **self._common(n_init=1, optimizer="adam"),
        )
