"""InfoGAN: a generative adversarial network whose categorical code is the cluster.

Recipe (Chen, Duan, Houthooft, Schulman, Sutskever and Abbeel, "InfoGAN:
Interpretable Representation Learning by Information Maximizing Generative
Adversarial Nets", NIPS 2016, and the authors' code):

* network: a generator of 62 noise values, a one-hot categorical code of
  ``K`` values and 2 continuous codes, and a discriminator whose trunk feeds
  ``D`` (real or generated) and ``Q`` (the codes back); convolutional for
  images, fully connected for vectors
  (:class:`~skdeepcluster.compose.GenerativeAdversarialNetwork`);
* non-clustering loss: the GAN game (:class:`~skdeepcluster.compose.AdversarialGame`);
* clustering loss: ``lambda`` times the information term of the codes, on
  both players (:class:`~skdeepcluster.compose.CategoricalCode`);
* schedule: both from the first step, no pretraining; Adam (beta1 0.5), lr
  2e-4 for the discriminator and ``Q``, 1e-3 for the generator, batches of
  128, 5,000 iterations;
* labels: the argmax of ``Q``'s categorical logits on real data.
"""

from numbers import Integral, Real

import numpy as np
import torch
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions, validate_params
from sklearn.utils.validation import check_is_fitted

from .compose import (
    AdversarialGame,
    CategoricalCode,
    DeepClustering,
    GenerativeAdversarialNetwork,
    JointTraining,
)
from .compose.preset import Preset

__all__ = ["InfoGANClustering"]

# The paper's schedule: 5,000 iterations (of batches of 128).
PAPER_ITERATIONS = 5000


class InfoGANClustering(Preset):
    """InfoGAN: a GAN that names a categorical code in its samples, read back as the cluster.

    A generator maps noise and codes (a categorical code with ``n_clusters``
    values and ``n_continuous`` continuous ones) to samples; a discriminator
    learns to tell them from the data, and its ``Q`` head learns to read the
    codes back from the generated samples.  Maximising (a lower bound of)
    the mutual information between the codes and the samples makes the
    generator express each categorical value as a distinct kind of sample,
    and on MNIST these kinds are the digits.  The cluster of a real sample
    is the categorical value ``Q`` reads in it (Chen, Duan, Houthooft,
    Schulman, Sutskever and Abbeel, "InfoGAN: Interpretable Representation
    Learning by Information Maximizing Generative Adversarial Nets", NIPS
    2016).  Being generative, it draws new samples of each cluster
    (:meth:`sample`).

    It suits many samples of images whose classes differ in shape, where
    the generator can learn the data's distribution: the paper's MNIST
    (70,000 images).  A GAN is the wrong tool on small or low-dimensional
    tabular data (a few hundred or thousand points in a handful of
    dimensions): its two networks play their game for the paper's 5,000
    iterations whatever the data, and the categorical code is free to mark
    any split the generator finds easy, not necessarily the data's clusters.
    At its defaults it was above k-means on the two moons only (median ACC
    0.883 against 0.849), below it on the scaled 8x8 digits (0.750 against
    0.794), iris and the four blobs, and lost the circle inside a ring
    entirely (NMI 0.003), at several hundred times k-means' cost (see the
    benchmarks page); use k-means, a Gaussian mixture or
    :class:`~skdeepcluster.DDCClustering` there.  Its result varies from
    seed to seed, as a GAN's does.

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters: the size of the categorical code (10 for MNIST).
    network : {"auto", "conv", "mlp"}, default="auto"
        The paper's convolutional networks for images whose sides are
        multiples of 4, or fully connected ones for vectors.  ``"auto"`` is
        ``"conv"`` for such images (``X`` of shape ``(n, C, H, W)``,
        ``(n, H, W)`` or flat with ``input_shape``), ``"mlp"`` otherwise.
    hidden_dims : tuple of int or "auto", default="auto"
        Widths of the fully connected discriminator's trunk (the generator
        mirrors them).  ``"auto"`` is ``(512, 1024)`` for inputs of more
        than 256 features, proportionally narrower for fewer.
    input_shape : tuple of int, default=None
        ``(C, H, W)`` of flat image input.
    noise_dim : int, default=62
        Width of the generator's incompressible noise.
    n_continuous : int, default=2
        Number of continuous codes (uniform on [-1, 1]).
    lam : float, default=1.0
        Weight of the information term (the paper's ``lambda``); reachable by
        ``GridSearchCV``.
    output : {"auto", "sigmoid", "linear"}, default="auto"
        The generator's output: a sigmoid (for values in [0, 1], such as
        pixels / 255) or linear (standardised data).  ``"auto"`` is
        ``"sigmoid"`` when every training value lies in [0, 1].
    negative_slope : float, default=0.1
        Slope of the discriminator's LeakyReLUs.
    epochs : int or "auto", default="auto"
        Training epochs.  ``"auto"`` is the paper's 5,000 iterations rounded
        up to whole epochs (12 epochs of 430 batches on 55,000 images).
    lr : float, default=2e-4
        Adam's learning rate of the discriminator and ``Q``.
    generator_lr : float, default=1e-3
        Adam's learning rate of the generator.
    beta1 : float, default=0.5
        Adam's first-moment decay.
    batch_size : int or "auto", default="auto"
        Mini-batch size, of real and of generated samples.  ``"auto"`` is
        128 (the paper's) on data of at least 50 such batches, ``n_samples
        // 50`` (at least 32) on smaller data.  A last batch of a single
        sample is skipped.
    precision : {"float32", "tf32", "bf16"}, default="float32"
        Arithmetic of training (see the user guide's :ref:`precision`).
    callbacks : list of skorch callbacks, default=None
        Extra callbacks of the training (copied before use).
    device : str, default="auto"
        ``"auto"`` trains on CUDA when available, else on the CPU.
    random_state : int, RandomState instance or None, default=None
        Seeds the weights, the batch order and the latents drawn.
    verbose : int, default=0
        1 prints a line as each phase starts and skorch's table of losses
        per epoch; 2 or more adds a progress bar over each epoch's batches.

    Attributes
    ----------
    labels_ : ndarray of shape (n_samples,)
        Cluster of each training sample (argmax of ``Q``'s categorical logits).
    cluster_centers_ : ndarray of shape (n_clusters, n_features_out)
        Mean discriminator features of each cluster's training samples; the
        overall mean for an empty cluster.
    net_ : skorch.NeuralNet
        The trained generator and discriminator
        (:class:`~skdeepcluster.networks.InfoGANModule`).
    history_ : skorch.History
        Training losses: the sum of both players' losses (``L_D + L_G``).
    device_ : str
        Device the network was trained on.
    n_iter_ : int
        Epochs run.
    batch_size_, epochs_, hidden_dims_ : int or tuple
        The ``"auto"`` settings as resolved for the training data
        (``hidden_dims_`` is None for the convolutional networks).
    input_shape_ : tuple of int or None
        Shape of image input, if ``X`` was given as images.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    VaDEClustering : Another generative method, a VAE with a mixture prior.
    IMSATClustering : Maximises the information between inputs and clusters directly.
    DeepClustering : The composition this preset is one choice of.

    Notes
    -----
    The networks, codes, losses and optimiser settings are the paper's (and
    agree with the authors' code), except the LeakyReLU slope (the paper's
    0.1; the code's 0.01 is ``negative_slope=0.01``).  Three choices are this
    package's:

    * **Simultaneous updates.**  One training step computes both players'
      losses on one batch of real and one of generated samples and updates
      both players at once: the fake batch is detached for the
      discriminator's loss, and the generator's loss runs the
      discriminator with detached parameters, so each gradient reaches only
      its own player.  The authors' code alternates a discriminator step and
      a generator step on new noise (against the updated discriminator).
      One optimizer (Adam) holds both players, the generator in a parameter
      group of its own learning rate; Adam being per-parameter, this is the
      code's two optimizers.
    * The batches are epochs of a random permutation of the data; the code
      draws each batch at random.
    * The generated batches are normalised by their own batch statistics
      without moving the discriminator's running averages, so that ``predict``
      normalises real data with real data's statistics; the code's
      inference on real data is not specified.

    ``L_I`` of the continuous codes uses a Gaussian of unit variance for
    ``Q``, as the code (the paper leaves it open) and the uniform prior's
    entropy ``log 2`` per code (the code counts 0; a constant).  The paper
    reports 5% error on MNIST without saying on which split and how
    categories were matched to digits; the benchmarks report the Hungarian
    accuracy.  On CUDA the training steps run eagerly, not as a captured
    CUDA graph.

    References
    ----------
    X. Chen, Y. Duan, R. Houthooft, J. Schulman, I. Sutskever and P. Abbeel,
    "InfoGAN: Interpretable Representation Learning by Information
    Maximizing Generative Adversarial Nets", NIPS 2016.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from skdeepcluster import InfoGANClustering
    >>> X, _ = make_blobs(n_samples=60, centers=3, random_state=0)
    >>> gan = InfoGANClustering(n_clusters=3, hidden_dims=(16, 16), noise_dim=4,
    ...                         epochs=3, batch_size=20, random_state=0)
    >>> gan.fit_predict(X).shape
    (60,)
    >>> gan.predict_proba(X).shape, gan.transform(X).shape
    ((60, 3), (60, 16))
    >>> X_new, labels = gan.sample(4, cluster=1, random_state=0)
    >>> X_new.shape, labels.tolist()
    ((4, 2), [1, 1, 1, 1])
    """

    _parameter_constraints = {
        "n_clusters": [Interval(Integral, 1, None, closed="left")],
        "network": [StrOptions({"auto", "conv", "mlp"})],
        "hidden_dims": ["array-like", StrOptions({"auto"})],
        "input_shape": ["array-like", None],
        "noise_dim": [Interval(Integral, 0, None, closed="left")],
        "n_continuous": [Interval(Integral, 0, None, closed="left")],
        "lam": [Interval(Real, 0, None, closed="left")],
        "output": [StrOptions({"auto", "sigmoid", "linear"})],
        "negative_slope": [Interval(Real, 0, None, closed="left")],
        "epochs": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "generator_lr": [Interval(Real, 0, None, closed="neither")],
        "beta1": [Interval(Real, 0, 1, closed="left")],
        "batch_size": [Interval(Integral, 2, None, closed="left"), StrOptions({"auto"})],
        "precision": Preset._parameter_constraints["precision"],
        "callbacks": [list, None],
        "device": [str, torch.device, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        n_clusters=8,
        *,
        network="auto",
        hidden_dims="auto",
        input_shape=None,
        noise_dim=62,
        n_continuous=2,
        lam=1.0,
        output="auto",
        negative_slope=0.1,
        epochs="auto",
        lr=2e-4,
        generator_lr=1e-3,
        beta1=0.5,
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
        self.input_shape = input_shape
        self.noise_dim = noise_dim
        self.n_continuous = n_continuous
        self.lam = lam
        self.output = output
        self.negative_slope = negative_slope
        self.epochs = epochs
        self.lr = lr
        self.generator_lr = generator_lr
        self.beta1 = beta1
        self.batch_size = batch_size
        self.precision = precision
        self.callbacks = callbacks
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def to_deep_clustering(self):
        if self.epochs == "auto":  # the paper's iterations, in whole epochs
            schedule = JointTraining(epochs=1, min_steps=PAPER_ITERATIONS)
        else:
            schedule = JointTraining(epochs=self.epochs)
        return DeepClustering(
            network=GenerativeAdversarialNetwork(
                self.network, hidden_dims=self.hidden_dims, noise_dim=self.noise_dim,
                n_continuous=self.n_continuous, input_shape=self.input_shape,
                output=self.output, negative_slope=self.negative_slope,
                generator_lr=self.generator_lr, beta1=self.beta1,
            ),
            non_clustering_loss=AdversarialGame(1.0),
            clustering_loss=CategoricalCode(self.lam),
            schedule=schedule,
            **self._common(n_init=1, optimizer="adam"),
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
        """Generate new samples, as ``GaussianMixture.sample``: the generator's output.

        Each sample's categorical code (its cluster) is drawn uniformly (or
        is ``cluster``), its noise and continuous codes uniformly on [-1, 1].
        ``predict`` of a generated sample is its cluster when ``Q`` reads
        the code back, as training asks it to.

        Parameters
        ----------
        n_samples : int, default=1
            Number of samples to generate.
        cluster : int, default=None
            Generate every sample with this categorical code; None draws
            the codes uniformly.
        random_state : int, RandomState instance or None, default=None
            Seeds the codes and noise drawn.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
            The generated samples, sorted by cluster; of shape
            ``(n_samples, *input_shape_)`` when the model was fitted on images.
        labels : ndarray of shape (n_samples,)
            The categorical code (cluster) of each sample.
        """
        check_is_fitted(self)
        if cluster is not None and cluster >= self.n_clusters:
            raise ValueError(
                f"cluster={cluster} is not a cluster of this model: it has "
                f"n_clusters={self.n_clusters} (0 to {self.n_clusters - 1})."
            )
        rng = check_random_state(random_state)
        if cluster is None:
            labels = np.sort(rng.randint(self.n_clusters, size=n_samples))
        else:
            labels = np.full(n_samples, cluster, dtype=np.int64)
        module = self.net_.module_
        noise = rng.uniform(-1, 1, size=(n_samples, module.noise_dim))
        continuous = rng.uniform(-1, 1, size=(n_samples, module.n_continuous))
        one_hot = np.eye(self.n_clusters)[labels]
        latent = np.hstack([noise, one_hot, continuous]).astype(np.float32)
        X = self._inference(latent, lambda m, z: m.generate(z))
        if self.input_shape_ is not None:
            X = X.reshape(n_samples, *self.input_shape_)
        return X, labels.astype(np.int64)
