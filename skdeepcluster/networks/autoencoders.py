"""Autoencoders: the networks of the autoencoder-based methods.

Every module here returns a dict of named outputs (``"embedding"``,
``"reconstruction"``), so that the losses in :mod:`skdeepcluster.losses` can
pick what they need whatever the network.
"""

import functools

import torch
from torch import nn

from ..engine import float32_outputs

__all__ = [
    "Autoencoder",
    "Unflatten",
    "MLPAutoencoder",
    "VariationalAutoencoder",
    "MLPVariationalAutoencoder",
    "ConvAutoencoder",
    "BatchNormConvAutoencoder",
    "float32_head",
    "glorot_init",
]


def _mlp(sizes, final_activation=False):
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(n_in, n_out))
        if final_activation or i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def glorot_init(module):
    """Re-initialise ``module``'s layers as Keras does: Glorot-uniform weights, zero biases.

    Applies to every ``Linear``, ``Conv2d`` and ``ConvTranspose2d`` inside
    ``module``, in place; other layers (BatchNorm) keep their initialisation.
    PyTorch's own default draws weights and biases uniformly within
    ``1 / sqrt(fan_in)`` (for weights the VarianceScaling(1/3) of the DEC Keras
    reference); the IDEC reference uses the Keras default that this restores.

    Parameters
    ----------
    module : torch.nn.Module

    Returns
    -------
    module : torch.nn.Module
        The same module.

    Examples
    --------
    >>> import torch
    >>> layer = glorot_init(torch.nn.Linear(4, 2))
    >>> bool((layer.bias == 0).all())
    True
    """
    for layer in module.modules():
        if isinstance(layer, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.xavier_uniform_(layer.weight)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
    return module


def _autocast_enabled(device_type):
    try:
        return torch.is_autocast_enabled(device_type)
    except TypeError:  # torch < 2.4 has one flag per device kind
        if device_type == "cpu":
            return torch.is_autocast_cpu_enabled()
        return torch.is_autocast_enabled()


def float32_head(method):
    """Run a clustering head's method in float32, outside any autocast region.

    Training with ``precision="bf16"`` runs the forward pass under bfloat16
    autocast.  That speeds up the network's layers, but a clustering head
    (distances to centroids, a kernel, mixture responsibilities) is small
    and sensitive: bf16 keeps 8 bits of mantissa, and a squared distance
    scaled by DMAE's ``alpha=1000`` would lose the assignments.  A method
    decorated so receives its first argument (the embeddings) in float32
    and runs with autocast off; outside autocast it is called unchanged.

    Parameters
    ----------
    method : callable
        A method ``method(self, z, *args, **kwargs)``.

    Returns
    -------
    method : callable

    Examples
    --------
    >>> import torch
    >>> class Head(torch.nn.Module):
    ...     @float32_head
    ...     def forward(self, z):
    ...         return z @ z.T
    >>> with torch.autocast("cpu", dtype=torch.bfloat16):
    ...     Head()(torch.ones(2, 3, dtype=torch.bfloat16)).dtype
    torch.float32
    """

    @functools.wraps(method)
    def head(self, z, *args, **kwargs):
        device_type = z.device.type
        if not _autocast_enabled(device_type):
            return method(self, z, *args, **kwargs)
        with torch.autocast(device_type, enabled=False):
            return method(self, float32_outputs(z), *args, **kwargs)

    return head


class Autoencoder(nn.Module):
    """An encoder and a decoder, either of which may be any ``torch.nn.Module``.

    Parameters
    ----------
    encoder : torch.nn.Module
        Maps a batch of inputs to a batch of embeddings ``(n, embedding_dim)``.
    decoder : torch.nn.Module or None
        Maps embeddings back to the input space.  ``None`` for methods that
        need no reconstruction.
    """

    def __init__(self, encoder, decoder=None):
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder

    def encode(self, x):
        return self.encoder(x)

    def forward(self, x):
        z = self.encoder(x)
        return {"embedding": z, "reconstruction": self.decoder(z)}


class _EmbeddingOnly(nn.Module):
    """An autoencoder run without its decoder, its output ``{"embedding": z}``.

    For pretraining stages that need no reconstruction (the discriminative
    method's, DMAE's ``pretrain_features``).
    """

    def __init__(self, autoencoder):
        super().__init__()
        self.autoencoder = autoencoder

    def encode(self, x):
        return self.autoencoder.encode(x)

    def forward(self, x):
        return {"embedding": self.autoencoder.encode(x)}


class MLPAutoencoder(Autoencoder):
    """Fully connected autoencoder ``d-500-500-2000-10`` and its mirror (DEC).

    ReLU activations everywhere except on the embedding and the output layer,
    which are linear, as in the DEC and IDEC papers.

    Parameters
    ----------
    input_dim : int
        Number of input features ``d``.
    hidden_dims : tuple of int, default=(500, 500, 2000)
        Widths of the encoder's hidden layers; the decoder mirrors them.
    embedding_dim : int, default=10
        Width of the embedding.

    Examples
    --------
    >>> import torch
    >>> ae = MLPAutoencoder(784)
    >>> out = ae(torch.zeros(3, 784))
    >>> out["embedding"].shape, out["reconstruction"].shape
    (torch.Size([3, 10]), torch.Size([3, 784]))
    """

    def __init__(self, input_dim, hidden_dims=(500, 500, 2000), embedding_dim=10):
        sizes = [int(input_dim), *map(int, hidden_dims), int(embedding_dim)]
        super().__init__(_mlp(sizes), _mlp(sizes[::-1]))


class VariationalAutoencoder(nn.Module):
    """A variational autoencoder: a trunk, mean and log-variance heads, and a decoder.

    The trunk maps a batch to ``(n, trunk_dim)`` features; two linear heads of
    width ``embedding_dim`` give the mean ``mu~`` and the log variance
    ``log var~`` of ``q(z | x)``; the decoder maps latents back, linear or
    followed by a sigmoid for a Bernoulli likelihood.  ``encode`` and
    ``forward`` use the mean, so that the network pretrains as a plain
    autoencoder on its mean head.

    Parameters
    ----------
    trunk : torch.nn.Module
        The encoder up to the heads.
    decoder : torch.nn.Module
        Maps ``(n, embedding_dim)`` latents to the input space, without a
        final sigmoid.
    trunk_dim : int
        Width of the trunk's output.
    embedding_dim : int, default=10
        Width of the latent space.
    bernoulli : bool, default=False
        Follow the decoder with a sigmoid; its outputs then come with their
        logits (``"reconstruction_logits"``) for the Bernoulli likelihood.
    """

    def __init__(self, trunk, decoder, trunk_dim, embedding_dim=10, bernoulli=False):
        super().__init__()
        self.trunk = trunk
        self.mean = nn.Linear(int(trunk_dim), int(embedding_dim))
        self.log_variance = nn.Linear(int(trunk_dim), int(embedding_dim))
        self.decoder = decoder
        # A buffer, so that weights-only loading restores the likelihood with the weights.
        self.register_buffer("bernoulli", torch.tensor(bool(bernoulli)))
        self.sigmoid_output = bool(bernoulli)  # read in forward without a device sync

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
        self.sigmoid_output = bool(self.bernoulli)

    def encode_distribution(self, x):
        """``(mu~, log var~)`` of ``q(z | x)``."""
        hidden = self.trunk(x)
        return self.mean(hidden), self.log_variance(hidden)

    def encode(self, x):
        return self.mean(self.trunk(x))

    def decode(self, z):
        """The decoder's mean of ``p(x | z)`` (``"reconstruction"``), its logits if Bernoulli."""
        out = self.decoder(z)
        if self.sigmoid_output:
            return {"reconstruction": torch.sigmoid(out), "reconstruction_logits": out}
        return {"reconstruction": out}

    def forward(self, x):
        z = self.encode(x)
        return {"embedding": z, **self.decode(z)}


class MLPVariationalAutoencoder(VariationalAutoencoder):
    """Fully connected variational autoencoder: VaDE's ``d-500-500-2000`` trunk and ``10``-d heads.

    The trunk has a ReLU after every layer, its last included; the decoder
    mirrors it (:class:`MLPAutoencoder`'s layers), ending linear.

    Parameters
    ----------
    input_dim : int
        Number of input features ``d``.
    hidden_dims : tuple of int, default=(500, 500, 2000)
        Widths of the trunk; the decoder mirrors them.
    embedding_dim : int, default=10
        Width of the latent space.
    bernoulli : bool, default=False
        As for :class:`VariationalAutoencoder`.

    Examples
    --------
    >>> import torch
    >>> vae = MLPVariationalAutoencoder(784, bernoulli=True)
    >>> mean, log_variance = vae.encode_distribution(torch.zeros(3, 784))
    >>> mean.shape, sorted(vae(torch.zeros(3, 784)))
    (torch.Size([3, 10]), ['embedding', 'reconstruction', 'reconstruction_logits'])
    """

    def __init__(self, input_dim, hidden_dims=(500, 500, 2000), embedding_dim=10,
                 bernoulli=False):
        sizes = [int(input_dim), *map(int, hidden_dims)]
        super().__init__(
            _mlp(sizes, final_activation=True), _mlp([int(embedding_dim), *sizes[::-1]]),
            sizes[-1], embedding_dim, bernoulli,
        )


class Unflatten(nn.Module):
    """Reshape flat rows ``(n, prod(shape))`` into ``(n, *shape)``.

    Parameters
    ----------
    shape : tuple of int
        Shape of one sample, e.g. ``(C, H, W)``.
    """

    def __init__(self, shape):
        super().__init__()
        self.shape = tuple(shape)

    def forward(self, x):
        return x.reshape(x.shape[0], *self.shape)


def _conv_output_size(size, kernel, stride, padding):
    return (size + 2 * padding - kernel) // stride + 1


class _ImageAutoencoder(Autoencoder):
    """An autoencoder of ``(C, H, W)`` images, given as images or flat rows.

    Its reconstruction has the layout of its input.
    """

    def __init__(self, encoder, decoder, input_shape):
        super().__init__(encoder, decoder)
        self.input_shape = input_shape

    @staticmethod
    def _check_input_shape(input_shape):
        input_shape = tuple(int(s) for s in input_shape)
        if len(input_shape) != 3:
            raise ValueError(
                f"input_shape must be (channels, height, width); got {input_shape}."
            )
        return input_shape

    def forward(self, x):
        out = super().forward(x)
        out["reconstruction"] = out["reconstruction"].reshape(x.shape)
        return out


class ConvAutoencoder(_ImageAutoencoder):
    """Convolutional autoencoder for images (DCEC's architecture).

    Encoder: ``conv5x5(32, stride 2) - conv5x5(64, stride 2) - conv3x3(128,
    stride 2) - dense(embedding_dim)`` with ReLU; the decoder mirrors it with
    transposed convolutions.  Inputs may be images ``(n, C, H, W)`` or flat
    vectors ``(n, C*H*W)``; the reconstruction has the shape of the input.

    Parameters
    ----------
    input_shape : tuple of int
        ``(C, H, W)`` of one image.
    channels : tuple of int, default=(32, 64, 128)
        Output channels of the three convolutions.
    embedding_dim : int, default=10
        Width of the embedding.

    Examples
    --------
    >>> import torch
    >>> ae = ConvAutoencoder((1, 28, 28))
    >>> out = ae(torch.zeros(2, 784))
    >>> out["embedding"].shape, out["reconstruction"].shape
    (torch.Size([2, 10]), torch.Size([2, 784]))
    """

    def __init__(self, input_shape, channels=(32, 64, 128), embedding_dim=10):
        input_shape = self._check_input_shape(input_shape)
        n_channels, height, width = input_shape
        c1, c2, c3 = (int(c) for c in channels)
        specs = [(5, 2, 2), (5, 2, 2), (3, 2, 0)]  # kernel, stride, padding
        sizes = [(height, width)]
        for kernel, stride, padding in specs:
            h, w = sizes[-1]
            sizes.append(
                (
                    _conv_output_size(h, kernel, stride, padding),
                    _conv_output_size(w, kernel, stride, padding),
                )
            )
        if min(sizes[-1]) < 1:
            raise ValueError(
                f"Images of shape {input_shape} are too small for the convolutional "
                "autoencoder (three stride-2 convolutions); use the MLP network."
            )
        flat = c3 * sizes[-1][0] * sizes[-1][1]
        encoder = nn.Sequential(
            Unflatten(input_shape),
            nn.Conv2d(n_channels, c1, 5, stride=2, padding=2),
            nn.ReLU(),
            nn.Conv2d(c1, c2, 5, stride=2, padding=2),
            nn.ReLU(),
            nn.Conv2d(c2, c3, 3, stride=2, padding=0),
            nn.ReLU(),
            nn.Flatten(),
            nn.Linear(flat, int(embedding_dim)),
        )

        def output_padding(i):
            # Transposed convolutions cannot infer which input size was rounded down.
            kernel, stride, padding = specs[i]
            h, w = sizes[i]
            hh, ww = sizes[i + 1]
            return (
                h - ((hh - 1) * stride - 2 * padding + kernel),
                w - ((ww - 1) * stride - 2 * padding + kernel),
            )

        decoder = nn.Sequential(
            nn.Linear(int(embedding_dim), flat),
            nn.ReLU(),
            Unflatten((c3, *sizes[3])),
            nn.ConvTranspose2d(c3, c2, 3, stride=2, padding=0, output_padding=output_padding(2)),
            nn.ReLU(),
            nn.ConvTranspose2d(c2, c1, 5, stride=2, padding=2, output_padding=output_padding(1)),
            nn.ReLU(),
            nn.ConvTranspose2d(c1, n_channels, 5, stride=2, padding=2, output_padding=output_padding(0)),
        )
        super().__init__(encoder, decoder, input_shape)


def _conv_block(in_channels, out_channels):
    return [
        nn.Conv2d(in_channels, out_channels, 3, padding=1),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(),
    ]


class BatchNormConvAutoencoder(_ImageAutoencoder):
    """Convolutional autoencoder with batch normalisation and max pooling (DBC).

    The fully convolutional autoencoder of DBC (Li et al. 2017) that the
    discriminative latent space paper (Tzoreff et al. 2018) trains: three
    ``conv3x3 - BatchNorm - ReLU - maxpool 2`` blocks and a dense embedding;
    the decoder maps the embedding back to the smallest feature map and
    alternates nearest-neighbour upsampling (to the encoder's sizes) with
    ``conv3x3 - BatchNorm - ReLU``, ending in one plain ``conv3x3`` to the
    input channels.  Inputs may be images ``(n, C, H, W)`` or flat vectors
    ``(n, C*H*W)``; the reconstruction has the shape of the input.

    Batch normalisation uses batch statistics while training and the running
    ones in evaluation mode, so predictions do not depend on the batch.

    Parameters
    ----------
    input_shape : tuple of int
        ``(C, H, W)`` of one image; each side needs at least 8 pixels.
    channels : tuple of int, default=(32, 64, 128)
        Output channels of the three encoder blocks (the decoder runs them
        backwards).
    embedding_dim : int, default=10
        Width of the embedding.

    Examples
    --------
    >>> import torch
    >>> ae = BatchNormConvAutoencoder((1, 28, 28))
    >>> out = ae(torch.zeros(2, 784))
    >>> out["embedding"].shape, out["reconstruction"].shape
    (torch.Size([2, 10]), torch.Size([2, 784]))
    """

    def __init__(self, input_shape, channels=(32, 64, 128), embedding_dim=10):
        input_shape = self._check_input_shape(input_shape)
        n_channels, height, width = input_shape
        c1, c2, c3 = (int(c) for c in channels)
        sizes = [(height, width)]
        for _ in range(3):
            sizes.append((sizes[-1][0] // 2, sizes[-1][1] // 2))
        if min(sizes[-1]) < 1:
            raise ValueError(
                f"Images of shape {input_shape} are too small for the batch-normalised "
                "convolutional autoencoder (three 2x2 max poolings need 8 pixels a "
                "side); use the MLP network."
            )
        flat = c3 * sizes[3][0] * sizes[3][1]
        encoder = nn.Sequential(
            Unflatten(input_shape),
            *_conv_block(n_channels, c1),
            nn.MaxPool2d(2),
            *_conv_block(c1, c2),
            nn.MaxPool2d(2),
            *_conv_block(c2, c3),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(flat, int(embedding_dim)),
        )
        decoder = nn.Sequential(
            nn.Linear(int(embedding_dim), flat),
            Unflatten((c3, *sizes[3])),
            nn.Upsample(size=sizes[2]),
            *_conv_block(c3, c2),
            nn.Upsample(size=sizes[1]),
            *_conv_block(c2, c1),
            nn.Upsample(size=sizes[0]),
            nn.Conv2d(c1, n_channels, 3, padding=1),
        )
        super().__init__(encoder, decoder, input_shape)
