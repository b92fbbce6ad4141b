"""InfoGAN's components, one per axis it fills.

* axis 1, the network: :class:`GenerativeAdversarialNetwork`, a generator
  fed noise and codes and a discriminator whose ``Q`` head reads the codes
  back;
* axis 3, the non-clustering loss: :class:`AdversarialGame`, the GAN game of
  both players;
* axis 4, the clustering loss: :class:`CategoricalCode`, the information
  term of the codes; ``Q``'s posterior over the categorical code is the
  cluster assignment.

How the two players update: in **one simultaneous step**.  The network's
training pass scores the fake batch twice, once detached from the generator
(the discriminator's loss) and once through a copy of the discriminator with
detached parameters (the generator's loss), so one backward pass of the sum
``L_D + L_G`` gives each player the gradient of its own loss on its own
parameters only, and one optimizer (Adam with a parameter group of its own
learning rate for the generator) steps both.  The authors' code alternates
(a discriminator step, then a generator step on new noise against the
updated discriminator); the engine's one-step-per-batch loop needs no new
hook this way.
"""

import torch
from sklearn.base import clone

from ..losses.gan import AdversarialGameLoss, CodeInformationLoss
from ..networks.gan import (
    Discriminator,
    Generator,
    InfoGANModule,
    conv_discriminator_trunk,
    conv_generator,
    gan_normal_init_,
    mlp_discriminator_trunk,
    mlp_generator,
)
from ..networks.runwise import DDCNet
from ._base import Component
from .losses import _ClusteringLoss
from .networks import _image_shape, _resolve_hidden_dims, data_in_unit_interval

__all__ = ["GenerativeAdversarialNetwork", "AdversarialGame", "CategoricalCode"]


def _conv_fits(input_shape):
    """Whether InfoGAN's conv networks fit images of that shape (H and W multiples of 4)."""
    return (
        input_shape is not None and len(input_shape) == 3
        and all(side % 4 == 0 and side >= 8 for side in input_shape[1:])
    )


class GenerativeAdversarialNetwork(Component):
    """InfoGAN's networks: a generator of noise and codes, a discriminator with ``D`` and ``Q``.

    The generator's input is ``noise_dim`` noise values and ``n_continuous``
    continuous codes, all uniform on [-1, 1], and a one-hot categorical code
    of ``n_clusters`` values; ``D`` says how real a sample looks and ``Q``
    recovers the codes.  The clustering features (``transform``) are the
    discriminator's trunk, the labels ``Q``'s categorical posterior
    (:class:`~skdeepcluster.networks.InfoGANModule`).

    Parameters
    ----------
    architecture : {"auto", "conv", "mlp"}, default="auto"
        ``"conv"``: the paper's MNIST networks (generator ``dense 1024 ->
        dense 128 (H/4) (W/4) -> deconv 64 -> deconv C``, discriminator
        ``conv 64 -> conv 128 -> dense 1024``; 4x4 kernels of stride 2), for
        images whose sides are multiples of 4.  ``"mlp"``: fully connected
        ones for vectors (the discriminator ``d-hidden_dims``, the generator
        its mirror).  ``"auto"`` is ``"conv"`` for such images (``X`` of 3
        or 4 dimensions, or ``input_shape``), ``"mlp"`` otherwise.
    hidden_dims : tuple of int or "auto", default="auto"
        Widths of the fully connected discriminator's trunk (the generator's
        in reverse).  ``"auto"`` is ``(512, 1024)`` for inputs of more than
        256 features, proportionally narrower for fewer (``(32, 64)`` for 2).
    noise_dim : int, default=62
        Width of the incompressible noise (the paper's 62).
    n_continuous : int, default=2
        Number of continuous codes (the paper's 2 on MNIST).
    input_shape : tuple of int, default=None
        ``(C, H, W)`` of flat image input.
    output : {"auto", "sigmoid", "linear"}, default="auto"
        The generator's output: a sigmoid (the paper's, for pixels in [0,
        1]) or linear (for standardised data).  ``"auto"`` is ``"sigmoid"``
        when every training value lies in [0, 1].
    negative_slope : float, default=0.1
        Slope of the LeakyReLUs (the paper's; the authors' code: 0.01).
    generator_lr : float, default=1e-3
        Learning rate of the generator's parameters (the paper's); the
        discriminator's is the estimator's ``lr``.
    beta1 : float, default=0.5
        Adam's first-moment decay for both players (the paper's).
    weight_std : float, default=0.02
        Initial weights drawn from ``N(0, weight_std^2)``, biases zero.
    """

    def __init__(
        self, architecture="auto", *, hidden_dims="auto", noise_dim=62, n_continuous=2,
        input_shape=None, output="auto", negative_slope=0.1, generator_lr=1e-3, beta1=0.5,
        weight_std=0.02,
    ):
        self.architecture = architecture
        self.hidden_dims = hidden_dims
        self.noise_dim = noise_dim
        self.n_continuous = n_continuous
        self.input_shape = input_shape
        self.output = output
        self.negative_slope = negative_slope
        self.generator_lr = generator_lr
        self.beta1 = beta1
        self.weight_std = weight_std

    # The widths "auto" resolves to on a wide input.
    reference_hidden_dims = (512, 1024)
    # A user's encoder is not supported: the package builds both players.
    encoder = None

    def has_decoder(self):
        return False

    def accepts_sparse(self):
        return self.architecture in ("mlp", "auto") and self.input_shape is None

    def resolve_input_shape(self, image_shape, n_features):
        """The image shape of the input (None: flat vectors)."""
        images = image_shape is not None or self.input_shape is not None
        architecture = "conv" if self.architecture == "auto" and images else self.architecture
        shape = _image_shape(architecture, image_shape, self.input_shape, n_features, False,
                             {"conv"})
        if self.architecture == "conv" and not _conv_fits(shape):
            small = shape is not None and len(shape) == 3 and min(shape[1:]) < 8
            raise ValueError(
                f"network='conv' builds InfoGAN's convolutional networks, which need images "
                f"of at least 8x8 pixels whose height and width are multiples of 4; got "
                f"{shape}{', too small' if small else ''}. Use network='mlp'."
            )
        return shape

    def built_architecture(self, input_shape):
        if self.architecture != "auto":
            return self.architecture
        return "conv" if _conv_fits(input_shape) else "mlp"

    def resolve_hidden_dims(self, n_features, input_shape=None):
        """The fully connected trunk's widths (None: the conv networks)."""
        return _resolve_hidden_dims(self, n_features, input_shape)

    def resolve(self, X_train):
        """This network with ``output="auto"`` resolved for the training data (a copy)."""
        if self.output != "auto":
            return self
        output = "sigmoid" if data_in_unit_interval(X_train) else "linear"
        return clone(self).set_params(output=output)

    def net_options(self, optimizer="adam"):
        """The engine's settings: Adam with InfoGAN's ``beta1`` and the generator's own lr.

        The net skips a last batch of a single sample, which BatchNorm cannot
        normalise (DDC's net, without its gradient clipping).  ``optimizer``,
        the estimator's, is not used: both players train with Adam.
        """
        return dict(
            net_class=DDCNet, max_grad_norm=None, optimizer=torch.optim.Adam,
            optimizer__betas=(float(self.beta1), 0.999),
            optimizer__param_groups=[("generator.*", {"lr": float(self.generator_lr)})],
        )

    def build(self, n_features, input_shape, n_clusters=None, n_runs=1):
        """The untrained :class:`~skdeepcluster.networks.InfoGANModule`."""
        if n_runs != 1:
            raise ValueError("GenerativeAdversarialNetwork trains one run at a time.")
        n_clusters = int(n_clusters)
        latent_dim = int(self.noise_dim) + n_clusters + int(self.n_continuous)
        slope = float(self.negative_slope)
        if self.built_architecture(input_shape) == "conv":
            if not _conv_fits(input_shape):
                raise ValueError(
                    f"network='conv' needs images whose sides are multiples of 4; got "
                    f"{input_shape}."
                )
            generator = conv_generator(latent_dim, input_shape)
            trunk, trunk_dim, q_hidden = conv_discriminator_trunk(input_shape, slope), 1024, 128
        else:
            widths = self.resolve_hidden_dims(n_features, input_shape)
            generator = mlp_generator(latent_dim, n_features, widths)
            trunk = mlp_discriminator_trunk(n_features, widths, slope)
            trunk_dim, q_hidden = widths[-1], min(128, widths[-1])
        module = InfoGANModule(
            Generator(generator, sigmoid=self.output != "linear"),
            Discriminator(trunk, trunk_dim, n_clusters, int(self.n_continuous), q_hidden, slope),
            noise_dim=int(self.noise_dim), n_continuous=int(self.n_continuous),
        )
        return gan_normal_init_(module, float(self.weight_std)) if self.weight_std else module


class AdversarialGame(Component):
    """The GAN game: the discriminator tells real from generated, the generator fools it.

    ``weight * (L_D + L_G)`` with ``L_D = -mean[log D(x)] - mean[log(1 -
    D(G(z)))]`` on the discriminator's parameters and the non-saturating
    ``L_G = -mean[log D(G(z))]`` on the generator's
    (:class:`~skdeepcluster.losses.AdversarialGameLoss`).  Needs
    :class:`GenerativeAdversarialNetwork`.

    Parameters
    ----------
    weight : float, default=1.0
        Weight of the game.
    """

    needs_decoder = False
    needs_assignments = False
    source = None

    def __init__(self, weight=1.0):
        self.weight = weight

    def term(self, output=None, estimator=None, X_train=None):
        """The criterion term."""
        return AdversarialGameLoss(self.weight)


class CategoricalCode(_ClusteringLoss):
    """InfoGAN's information term: ``Q`` recovers the codes of generated samples.

    ``-weight * L_I`` for each player, ``L_I = H(c) - CE(Q(c | G(z, c)),
    c)`` of the categorical code plus the Gaussian term of the continuous
    codes (:class:`~skdeepcluster.losses.CodeInformationLoss`): a lower
    bound of the mutual information between the codes and the sample.  The
    categorical code has ``n_clusters`` values and ``Q``'s posterior over it
    on real data is the cluster assignment: the clusters start from random
    weights (no k-means).  Needs :class:`GenerativeAdversarialNetwork` (and
    its game, :class:`AdversarialGame`).

    Parameters
    ----------
    weight : float, default=1.0
        InfoGAN's ``lambda``.
    """

    uses_softmax = True
    reference_batch_size = 128

    def __init__(self, weight=1.0):
        self.weight = weight

    def check_network(self, network):
        if not isinstance(network, GenerativeAdversarialNetwork):
            raise ValueError(
                f"clustering_loss=CategoricalCode() reads the codes a generator was fed; "
                f"network={type(network).__name__}() has no generator: use "
                "network=GenerativeAdversarialNetwork()."
            )

    def describe_start(self, estimator, where, network):
        return "as the discriminator's Q head on the categorical code, from random weights"

    def start(self, estimator, module, X_train, seed, reconstruct):
        return module, {}

    def empty_head(self, module, state_dict, reconstruct):
        return module

    def criterion(self):
        return CodeInformationLoss(self.weight)

    def centers(self, module):
        return None
