"""InfoGAN's networks: a generator fed noise and codes, a discriminator with a code head.

Chen, Duan, Houthooft, Schulman, Sutskever and Abbeel, "InfoGAN:
Interpretable Representation Learning by Information Maximizing Generative
Adversarial Nets", NIPS 2016.  The generator maps a latent ``(noise, one-hot
categorical code, continuous codes)`` to a sample; the discriminator's trunk
feeds two heads, ``D`` (the logit of "real") and ``Q`` (the logits of the
categorical code and the means of the continuous codes).  On real data
``Q``'s categorical posterior is the cluster assignment.

Batches travel flat, ``(n, n_features)``, as everywhere in the package; the
convolutional networks reshape to and from ``(C, H, W)`` themselves.
"""

import torch
from torch import nn
from torch.func import functional_call

from ..losses.adversarial import batch_statistics_frozen
from .autoencoders import Unflatten

__all__ = [
    "conv_generator",
    "mlp_generator",
    "conv_discriminator_trunk",
    "mlp_discriminator_trunk",
    "Generator",
    "Discriminator",
    "InfoGANModule",
    "gan_normal_init_",
]


def conv_generator(latent_dim, image_shape):
    """InfoGAN's MNIST generator, without its output activation.

    ``dense 1024 -> BN -> ReLU -> dense 128 (H/4) (W/4) -> BN -> ReLU ->
    deconv 64 4x4 stride 2 -> BN -> ReLU -> deconv C 4x4 stride 2``, flat
    output.  ``H`` and ``W`` must be multiples of 4.
    """
    channels, height, width = image_shape
    small = (128, height // 4, width // 4)
    return nn.Sequential(
        nn.Linear(latent_dim, 1024), nn.BatchNorm1d(1024), nn.ReLU(),
        nn.Linear(1024, small[0] * small[1] * small[2]),
        nn.BatchNorm1d(small[0] * small[1] * small[2]), nn.ReLU(),
        Unflatten(small),
        nn.ConvTranspose2d(128, 64, 4, stride=2, padding=1), nn.BatchNorm2d(64), nn.ReLU(),
        nn.ConvTranspose2d(64, channels, 4, stride=2, padding=1),
        nn.Flatten(),
    )


def conv_discriminator_trunk(image_shape, negative_slope=0.1):
    """InfoGAN's MNIST discriminator trunk: flat images to 1024 features.

    ``conv 64 4x4 stride 2 -> LeakyReLU -> conv 128 4x4 stride 2 -> BN ->
    LeakyReLU -> dense 1024 -> BN -> LeakyReLU``.
    """
    channels, height, width = image_shape
    return nn.Sequential(
        Unflatten(image_shape),
        nn.Conv2d(channels, 64, 4, stride=2, padding=1), nn.LeakyReLU(negative_slope),
        nn.Conv2d(64, 128, 4, stride=2, padding=1), nn.BatchNorm2d(128),
        nn.LeakyReLU(negative_slope),
        nn.Flatten(),
        nn.Linear(128 * (height // 4) * (width // 4), 1024), nn.BatchNorm1d(1024),
        nn.LeakyReLU(negative_slope),
    )


def mlp_generator(latent_dim, n_features, hidden_dims):
    """A fully connected generator: ``Linear -> BN -> ReLU`` per width of ``hidden_dims``
    (in reverse: widest first, as the conv generator), then a linear output layer."""
    layers, width = [], latent_dim
    for hidden in reversed(hidden_dims):
        layers += [nn.Linear(width, hidden), nn.BatchNorm1d(hidden), nn.ReLU()]
        width = hidden
    return nn.Sequential(*layers, nn.Linear(width, n_features))


def mlp_discriminator_trunk(n_features, hidden_dims, negative_slope=0.1):
    """A fully connected discriminator trunk: ``Linear -> LeakyReLU`` per width, with
    BatchNorm on every layer but the first (as the conv trunk)."""
    layers, width = [], n_features
    for i, hidden in enumerate(hidden_dims):
        layers.append(nn.Linear(width, hidden))
        if i > 0:
            layers.append(nn.BatchNorm1d(hidden))
        layers.append(nn.LeakyReLU(negative_slope))
        width = hidden
    return nn.Sequential(*layers)


class Generator(nn.Module):
    """A generator network and its output activation: a sigmoid (pixels in [0, 1]) or none.

    Parameters
    ----------
    network : torch.nn.Module
        Maps ``(n, latent_dim)`` latents to flat ``(n, n_features)`` outputs.
    sigmoid : bool, default=True
        Follow ``network`` with a sigmoid.
    """

    def __init__(self, network, sigmoid=True):
        super().__init__()
        self.network = network
        # A buffer, so that weights-only loading restores the output with the weights.
        self.register_buffer("sigmoid", torch.tensor(bool(sigmoid)))
        self.sigmoid_output = bool(sigmoid)  # read in forward without a device sync

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
        self.sigmoid_output = bool(self.sigmoid)

    def forward(self, latent):
        out = self.network(latent)
        return torch.sigmoid(out) if self.sigmoid_output else out


class Discriminator(nn.Module):
    """A trunk with InfoGAN's two heads: ``D`` (one logit) and ``Q`` (the codes).

    ``Q`` is ``dense q_hidden -> BN -> LeakyReLU -> dense (n_categories +
    n_continuous)``: the categorical code's logits, then the continuous
    codes' means.

    Parameters
    ----------
    trunk : torch.nn.Module
        Maps flat inputs to ``(n, trunk_dim)`` features.
    trunk_dim : int
        Width of the trunk's output.
    n_categories : int
        Size of the categorical code (the number of clusters).
    n_continuous : int, default=2
        Number of continuous codes.
    q_hidden : int, default=128
        Width of ``Q``'s hidden layer.
    negative_slope : float, default=0.1
        Slope of the LeakyReLU.
    """

    def __init__(self, trunk, trunk_dim, n_categories, n_continuous=2, q_hidden=128,
                 negative_slope=0.1):
        super().__init__()
        self.trunk = trunk
        self.score = nn.Linear(trunk_dim, 1)
        self.code = nn.Sequential(
            nn.Linear(trunk_dim, q_hidden), nn.BatchNorm1d(q_hidden),
            nn.LeakyReLU(negative_slope), nn.Linear(q_hidden, n_categories + n_continuous),
        )
        self.n_categories = int(n_categories)

    def heads(self, features):
        """``(D's logit of shape (n,), Q's categorical logits, Q's continuous means)``."""
        code = self.code(features)
        k = self.n_categories
        return self.score(features)[:, 0], code[:, :k], code[:, k:]

    def forward(self, x):
        return self.heads(self.trunk(x))


class InfoGANModule(nn.Module):
    """InfoGAN's generator and discriminator as one module of the training engine.

    In evaluation mode ``forward(x)`` gives the trunk's features of ``x``
    (``"embedding"``) and ``Q``'s posterior over the categorical code
    (``"assignments"``): the clusters.  In training mode it also draws one
    latent per sample of the batch (noise and continuous codes uniform on
    [-1, 1], the categorical code uniform), generates a fake batch and
    scores it twice, so that each player's loss reaches only its own
    parameters in one backward pass:

    * the discriminator's pass sees the fake batch detached from the
      generator (``"fake_scores"``, ``"fake_code_logits"``,
      ``"fake_code_means"``);
    * the generator's pass runs the discriminator with detached parameters
      (:func:`torch.func.functional_call`; ``"generator_scores"``,
      ``"generator_code_logits"``, ``"generator_code_means"``), so gradients
      flow through it to the generator only.

    The fake passes normalise with their own batch statistics without moving
    BatchNorm's running averages (:func:`~skdeepcluster.losses.batch_statistics_frozen`),
    so that inference on real data normalises with real data's.

    Parameters
    ----------
    generator : Generator
        Maps ``(n, noise_dim + n_categories + n_continuous)`` latents to samples.
    discriminator : Discriminator
        The trunk and its ``D`` and ``Q`` heads.
    noise_dim : int, default=62
        Width of the incompressible noise.
    n_continuous : int, default=2
        Number of continuous codes.
    """

    def __init__(self, generator, discriminator, noise_dim=62, n_continuous=2):
        super().__init__()
        self.generator = generator
        self.discriminator = discriminator
        self.noise_dim = int(noise_dim)
        self.n_continuous = int(n_continuous)
        self.n_categories = discriminator.n_categories

    @property
    def embedding_dim(self):
        """Width of the trunk's features (what ``transform`` returns)."""
        return int(self.discriminator.score.in_features)

    def encode(self, x):
        return self.discriminator.trunk(x)

    def assign(self, features):
        """``Q``'s posterior over the categorical code of the trunk's ``features``."""
        return torch.softmax(self.discriminator.heads(features)[1], dim=1)

    def latent(self, noise, categories, continuous):
        """The generator's input: ``(noise, one-hot categories, continuous codes)`` side by side."""
        one_hot = nn.functional.one_hot(categories, self.n_categories).to(noise.dtype)
        return torch.cat([noise, one_hot, continuous], dim=1)

    def draw_latent(self, n, device, dtype=torch.float32):
        """``(noise, categories, continuous)`` of ``n`` latents from the prior (torch's RNG)."""
        noise = torch.rand(n, self.noise_dim, device=device, dtype=dtype) * 2 - 1
        categories = torch.randint(self.n_categories, (n,), device=device)
        continuous = torch.rand(n, self.n_continuous, device=device, dtype=dtype) * 2 - 1
        return noise, categories, continuous

    def generate(self, latent):
        return self.generator(latent)

    def forward(self, x):
        features = self.encode(x)
        real_scores, real_logits, _ = self.discriminator.heads(features)
        out = {
            "embedding": features, "code_logits": real_logits,
            "assignments": torch.softmax(real_logits, dim=1),
        }
        if not self.training:
            return out
        noise, categories, continuous = self.draw_latent(len(x), x.device, x.dtype)
        fake = self.generator(self.latent(noise, categories, continuous))
        frozen = {name: p.detach() for name, p in self.discriminator.named_parameters()}
        with batch_statistics_frozen(self.discriminator):
            fake_scores, fake_logits, fake_means = self.discriminator(fake.detach())
            generator_scores, generator_logits, generator_means = functional_call(
                self.discriminator, frozen, (fake,)
            )
        out.update(
            real_scores=real_scores, fake_scores=fake_scores, fake_code_logits=fake_logits,
            fake_code_means=fake_means, generator_scores=generator_scores,
            generator_code_logits=generator_logits, generator_code_means=generator_means,
            categories=categories, continuous_codes=continuous,
        )
        return out


def gan_normal_init_(module, std=0.02):
    """Weights of every linear and (transposed) convolution of ``module`` from ``N(0, std^2)``.

    Biases zero (InfoGAN's and DCGAN's); BatchNorm keeps ``(1, 0)``.  Returns ``module``.
    """
    for layer in module.modules():
        if isinstance(layer, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(layer.weight, 0.0, std)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
    return module
