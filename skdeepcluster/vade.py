"""VaDE: variational deep embedding, a variational autoencoder with a Gaussian-mixture prior.

Recipe (Jiang, Zheng, Tan, Tang and Zhou, "Variational Deep Embedding: An
Unsupervised and Generative Approach to Clustering", IJCAI 2017, and the
authors' code):

* network: a variational autoencoder, trunk ``d-500-500-2000`` with two
  linear heads (mean and log variance of ``q(z | x)``, 10-d) and the mirrored
  decoder, sigmoid and Bernoulli likelihood on pixels in [0, 1];
* pretraining: the network as a plain autoencoder on its mean head (DEC's);
* initialisation: a diagonal Gaussian mixture on the encoder's means of all
  the data gives ``mu_c`` and ``lam_c``, ``pi`` uniform;
* loss: the negative ELBO, the reconstruction's negative log-likelihood of
  one latent sample plus ``KL(q(z, c | x) || p(z, c))`` to the mixture prior;
* optimiser: Adam (lr 0.002, eps 1e-4) on the network and the prior
  together, the learning rate times 0.9 every 10 epochs down to 0.0002,
  batches of 100;
* labels: the responsibilities ``p(c | z)`` at the encoder's mean; new
  samples of a cluster by decoding ``z ~ N(mu_c, lam_c)``.
"""

from numbers import Integral, Real

import numpy as np
import torch
from sklearn.utils import check_random_state
from torch import nn
from sklearn.utils._param_validation import Interval, StrOptions, validate_params
from sklearn.utils.validation import check_is_fitted

from .base import _OPTIMIZERS
from .compose import (
    DeepClustering,
    ELBOReconstruction,
    MixturePriorKL,
    PretrainThenCluster,
    StepDecay,
    VariationalAutoencoderNetwork,
)
from .compose.preset import Preset
from .engine import PRECISIONS

__all__ = ["VaDEClustering"]


class VaDEClustering(Preset):
    """Variational Deep Embedding (VaDE): a VAE whose prior is a Gaussian mixture.

    A cluster ``c ~ Cat(pi)`` and a latent ``z ~ N(mu_c, diag lam_c)``
    generate each sample through the decoder; the encoder infers
    ``q(z | x)``, and the clusters are the responsibilities ``p(c | z)``.
    Training maximises the evidence lower bound (ELBO) of the network and of
    the mixture together (Jiang, Zheng, Tan, Tang and Zhou, "Variational Deep
    Embedding: An Unsupervised and Generative Approach to Clustering", IJCAI
    2017).  Being generative, it also draws new samples of each cluster
    (:meth:`sample`).

    It suits data an autoencoder embeds as roughly Gaussian groups, such as
    images of digits; as the other embedding methods, it does not separate
    clusters that are not convex in the embedding (two moons, a circle in a
    ring), where :class:`~skdeepcluster.DDCClustering` does better.  Its
    authors note that without a good pretraining every point may fall into
    one cluster; the clustering phase is long (the reference runs 3,000
    epochs on MNIST) and its result varies between runs.

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters (mixture components).
    hidden_dims : tuple of int or "auto", default="auto"
        Widths of the fully connected encoder's trunk (ReLU after each
        layer); the decoder mirrors them.  ``"auto"``
        is ``(500, 500, 2000)`` (the paper's) for inputs of more than 128
        features, narrower for fewer (see
        :class:`~skdeepcluster.compose.AutoencoderNetwork`).
    embedding_dim : int, default=10
        Dimension of the latent space.
    encoder, decoder : torch.nn.Module, default=None
        Your own networks, replacing the fully connected ones: the encoder's
        output feeds the two linear heads (mean and log variance, of width
        ``embedding_dim``); the decoder maps latents to the input and ends
        linear (the Bernoulli likelihood adds the sigmoid).  Both or neither;
        they are copied, never modified, and keep their initialisation.
    input_shape : tuple of int, default=None
        ``(C, H, W)`` your ``encoder`` and ``decoder`` see images in, from flat
        input.
    likelihood : {"auto", "bernoulli", "gaussian"}, default="auto"
        ``p(x | z)``: Bernoulli on a sigmoid decoder (the paper's, for
        values in [0, 1] such as pixels / 255, not binarised) or a Gaussian
        of unit variance (half the squared error; for standardised data).
        ``"auto"`` is ``"bernoulli"`` when every training value lies in
        [0, 1] and ``"gaussian"`` otherwise.  The unit variance is this
        package's choice: the paper's Gaussian case learns none.
    weight_init : {"glorot", "torch"}, default="glorot"
        Initialisation of the layers: Glorot-uniform weights and zero biases
        (the Keras default of the reference) or PyTorch's.
    kl_weight : float, default=1.0
        Weight of ``KL(q(z, c | x) || p(z, c))`` against the reconstruction
        term; 1 is the ELBO.  Reachable by ``GridSearchCV``.
    pretrain_epochs : int or "auto", default="auto"
        Epochs of pretraining the network as an autoencoder on its mean
        head (reconstruction, squared error; DEC's recipe, since the
        reference ships pretrained weights without their code); 0 skips it.
        ``"auto"`` is 100, or more on a data set too small for 3,000 steps.
    pretrain_lr : float, default=1e-3
        Learning rate of pretraining.
    pretrain_optimizer : {"adam", "sgd"} or torch optimizer class, default="adam"
        Optimizer of pretraining.
    epochs : int or "auto", default="auto"
        Epochs of the clustering phase.  ``"auto"`` is 250 (the learning rate
        reaches ``min_lr`` after 220), or more on a data set too small for
        1,500 steps; the reference runs 3,000 on MNIST.
    lr : float, default=0.002
        Initial learning rate of the clustering phase (the reference's).
    lr_decay : float, default=0.9
        Factor of the learning rate every ``lr_decay_epochs`` epochs.
    lr_decay_epochs : int, default=10
        Epochs between two decays.
    min_lr : float, default=0.0002
        Floor of the decayed learning rate.
    optimizer : {"adam", "sgd"} or torch optimizer class, default="adam"
        Optimizer of the clustering phase; one optimizer over the network
        and the prior's parameters (the reference's two Adams with equal
        settings make the same steps, Adam being per-element).
    adam_eps : float, default=1e-4
        ``eps`` of Adam in the clustering phase (the reference's).
    n_init : int, default=10
        Runs of the Gaussian mixture that starts the prior (each from
        k-means); the best is kept.
    batch_size : int or "auto", default="auto"
        Mini-batch size of both phases.  ``"auto"`` is 100 (the paper's) on
        data of at least 50 such batches, ``n_samples // 50`` (at least 32)
        on smaller data.
    precision : {"float32", "tf32", "bf16"}, default="float32"
        Arithmetic of training (see the user guide's :ref:`precision`).
    callbacks : list of skorch callbacks, default=None
        Extra callbacks of the clustering phase (copied before use).
    device : str, default="auto"
        ``"auto"`` trains on CUDA when available, else on the CPU.
    random_state : int, RandomState instance or None, default=None
        Seeds the weights, batch order, latent draws and the mixture.
    verbose : int, default=0
        1 prints a line as each phase starts and skorch's table of losses
        per epoch; 2 or more adds a progress bar over each epoch's batches.

    Attributes
    ----------
    labels_ : ndarray of shape (n_samples,)
        Cluster of each training sample (the most responsible component at
        its encoder mean).
    cluster_centers_ : ndarray of shape (n_clusters, embedding_dim)
        The prior's means ``mu_c``.
    covariances_ : ndarray of shape (n_clusters, embedding_dim)
        The prior's diagonal variances ``lam_c``.
    weights_ : ndarray of shape (n_clusters,)
        The prior's mixing weights ``pi_c``.
    net_ : skorch.NeuralNet
        The trained network with its prior.
    history_ : skorch.History
        Losses of the clustering phase (the negative ELBO per sample).
    pretrain_history_ : skorch.History or None
        Losses of pretraining.
    device_ : str
        Device the network was trained on.
    n_iter_ : int
        Epochs of the clustering phase.
    batch_size_, pretrain_epochs_, epochs_, hidden_dims_ : int or tuple
        The ``"auto"`` settings as resolved for the training data.
    input_shape_ : tuple of int or None
        Shape of image input, if ``X`` was given as images.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    DECClustering : Clusters by hardening Student's t assignments, not generative.
    sklearn.mixture.GaussianMixture : The shallow mixture; VaDE's prior is one.
    DeepClustering : The composition this preset is one choice of.

    Notes
    -----
    Where the paper and the authors' code differ this follows the paper: the
    KL term has ``sum_c g_c log pi_c`` once per sample (the code raises
    ``pi_c`` to the latent dimension and adds constants), and ``pi`` is a
    softmax of free logits and ``lam`` an exponential, so they stay on the
    simplex and positive (the code trains ``pi`` and ``lam`` themselves,
    unconstrained).  Two choices are this package's: the encoder's
    log-variance head, which pretraining leaves untrained, starts the
    clustering phase with zero weights and the log of the prior's average
    variance as bias (``to_deep_clustering().set_params(
    clustering_loss__variance_start="network")`` keeps the reference's
    random head), and the Gaussian likelihood for data outside [0, 1].  The responsibilities are
    computed from the drawn latent, with their gradient, as the code does.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from skdeepcluster import VaDEClustering
    >>> X, _ = make_blobs(n_samples=60, centers=3, random_state=0)
    >>> vade = VaDEClustering(n_clusters=3, hidden_dims=(16,), embedding_dim=2,
    ...                       pretrain_epochs=5, epochs=5, random_state=0)
    >>> vade.fit_predict(X).shape
    (60,)
    >>> vade.predict_proba(X).shape
    (60, 3)
    >>> X_new, labels = vade.sample(4, random_state=0)
    >>> X_new.shape, labels.shape
    ((4, 2), (4,))
    """

    _parameter_constraints = {
        "n_clusters": [Interval(Integral, 1, None, closed="left")],
        "hidden_dims": ["array-like", StrOptions({"auto"})],
        "embedding_dim": [Interval(Integral, 1, None, closed="left")],
        "encoder": [nn.Module, None],
        "decoder": [nn.Module, None],
        "input_shape": ["array-like", None],
        "likelihood": [StrOptions({"auto", "bernoulli", "gaussian"})],
        "weight_init": [StrOptions({"torch", "glorot"})],
        "kl_weight": [Interval(Real, 0, None, closed="left")],
        "pretrain_epochs": [Interval(Integral, 0, None, closed="left"), StrOptions({"auto"})],
        "pretrain_lr": [Interval(Real, 0, None, closed="neither")],
        "pretrain_optimizer": [StrOptions(set(_OPTIMIZERS)), type],
        "epochs": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "lr_decay": [Interval(Real, 0, 1, closed="right")],
        "lr_decay_epochs": [Interval(Integral, 1, None, closed="left")],
        "min_lr": [Interval(Real, 0, None, closed="left")],
        "optimizer": [StrOptions(set(_OPTIMIZERS)), type],
        "adam_eps": [Interval(Real, 0, None, closed="neither")],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "precision": [StrOptions(set(PRECISIONS))],
        "callbacks": [list, None],
        "device": [str, torch.device, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        n_clusters=8,
        *,
        hidden_dims="auto",
        embedding_dim=10,
        encoder=None,
        decoder=None,
        input_shape=None,
        likelihood="auto",
        weight_init="glorot",
        kl_weight=1.0,
        pretrain_epochs="auto",
        pretrain_lr=1e-3,
        pretrain_optimizer="adam",
        epochs="auto",
        lr=0.002,
        lr_decay=0.9,
        lr_decay_epochs=10,
        min_lr=0.0002,
        optimizer="adam",
        adam_eps=1e-4,
        n_init=10,
        batch_size="auto",
        precision="float32",
        callbacks=None,
        device="auto",
        random_state=None,
        verbose=0,
    ):
        self.n_clusters = n_clusters
        self.hidden_dims = hidden_dims
        self.embedding_dim = embedding_dim
        self.encoder = encoder
        self.decoder = decoder
        self.input_shape = input_shape
        self.likelihood = likelihood
        self.weight_init = weight_init
        self.kl_weight = kl_weight
        self.pretrain_epochs = pretrain_epochs
        self.pretrain_lr = pretrain_lr
        self.pretrain_optimizer = pretrain_optimizer
        self.epochs = epochs
        self.lr = lr
        self.lr_decay = lr_decay
        self.lr_decay_epochs = lr_decay_epochs
        self.min_lr = min_lr
        self.optimizer = optimizer
        self.adam_eps = adam_eps
        self.n_init = n_init
        self.batch_size = batch_size
        self.precision = precision
        self.callbacks = callbacks
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def to_deep_clustering(self):
        return DeepClustering(
            network=VariationalAutoencoderNetwork(
                hidden_dims=self.hidden_dims, embedding_dim=self.embedding_dim,
                likelihood=self.likelihood, encoder=self.encoder, decoder=self.decoder,
                input_shape=self.input_shape, weight_init=self.weight_init,
            ),
            non_clustering_loss=ELBOReconstruction(weight=1.0),
            clustering_loss=MixturePriorKL(weight=self.kl_weight),
            schedule=PretrainThenCluster(
                **self._lengths(100, 250), pretrain_lr=self.pretrain_lr,
                pretrain_optimizer=self.pretrain_optimizer,
                lr_decay=StepDecay(self.lr_decay_epochs, self.lr_decay, self.min_lr),
                adam_eps=self.adam_eps,
            ),
            **self._common(),
        )

    @validate_params(
        {
            "n_samples": [Interval(Integral, 1, None, closed="left")],
            "cluster": [Interval(Integral, 0, None, closed="left"), None],
            "random_state": ["random_state"],
        },
        prefer_skip_nested_validation=True,
    )
    def sample(self, n_samples=1, cluster=None, *, random_state=None):
        """Generate new samples from the fitted model, as ``GaussianMixture.sample``.

        Each sample's cluster is drawn from the mixing weights ``pi`` (or is
        ``cluster``), its latent from ``N(mu_c, diag lam_c)``, and the
        decoder maps the latent to the mean of ``p(x | z)``: intensities in
        [0, 1] for the Bernoulli likelihood (no pixel is drawn), the
        Gaussian's mean otherwise.

        Parameters
        ----------
        n_samples : int, default=1
            Number of samples to generate.
        cluster : int, default=None
            Draw every sample from this cluster; None draws the clusters
            from the mixing weights.
        random_state : int, RandomState instance or None, default=None
            Seeds the clusters and latents drawn.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
            The generated samples, sorted by cluster; of shape
            ``(n_samples, *input_shape_)`` when the model was fitted on images.
        labels : ndarray of shape (n_samples,)
            The cluster of each sample.
        """
        check_is_fitted(self)
        if cluster is not None and cluster >= self.n_clusters:
            raise ValueError(
                f"cluster={cluster} is not a cluster of this model: it has "
                f"n_clusters={self.n_clusters} (0 to {self.n_clusters - 1})."
            )
        rng = check_random_state(random_state)
        if cluster is None:
            weights = self.weights_ / self.weights_.sum()
            counts = rng.multinomial(n_samples, weights)
        else:
            counts = np.zeros(self.n_clusters, dtype=np.int64)
            counts[cluster] = n_samples
        labels = np.repeat(np.arange(self.n_clusters), counts)
        noise = rng.standard_normal((n_samples, self.cluster_centers_.shape[1]))
        z = self.cluster_centers_[labels] + np.sqrt(self.covariances_[labels]) * noise
        X = self._inference(
            z.astype(np.float32), lambda module, latent: module.decode(latent)["reconstruction"]
        )
        if self.input_shape_ is not None:
            X = X.reshape(n_samples, *self.input_shape_)
        return X, labels.astype(np.int64)
