"""Noisy autoencoders: a clean and a dropout-corrupted pass, and every layer to reconstruct.

DEPICT's network (Dizaji et al., ICCV 2017): dropout on the input and on
every hidden layer of the encoder makes a noisy pass, whose decoder
reconstructs each layer of the clean pass, as a ladder of denoising
autoencoders.
"""

import torch
from torch import nn

from .autoencoders import Unflatten, _conv_output_size

__all__ = ["NoisyAutoencoder", "ConvNoisyAutoencoder", "MLPNoisyAutoencoder"]


class NoisyAutoencoder(nn.Module):
    """An encoder of stages with dropout before each, and a decoder of the mirror stages.

    ``encode(x)`` is the clean pass (no dropout, whatever the mode).  In
    training, ``forward(x)`` runs the noisy pass (dropout on the input and on
    every hidden layer) for the ``"embedding"`` and the decoder, and the
    clean pass for ``"layer_targets"``; in evaluation both passes are the
    clean one.  Outputs:

    * ``"embedding"``: the (noisy, in training) embedding;
    * ``"reconstruction"``: the decoder's output, in the layout of ``x``;
    * ``"layer_targets"``: the clean encoder's hidden layers, first to last;
    * ``"layer_reconstructions"``: the decoder's layers of the same shapes.

    Parameters
    ----------
    stages : list of torch.nn.Module
        The encoder's hidden stages; the first reads ``x``.
    embedding : torch.nn.Module
        Maps the last hidden layer to the embedding.
    decoder_stages : list of torch.nn.Module
        ``len(stages) + 1`` stages from the embedding back: the last hidden
        layer's reconstruction first, the input's last.
    dropout : float, default=0.1
        Dropout rate of the noisy pass.
    input_shape : tuple of int, default=None
        ``(C, H, W)`` the stages see flat rows as; None keeps them flat.
    """

    def __init__(self, stages, embedding, decoder_stages, dropout=0.1, input_shape=None):
        super().__init__()
        if len(decoder_stages) != len(stages) + 1:
            raise ValueError("A noisy autoencoder needs one decoder stage per encoder stage, plus one.")
        self.stages = nn.ModuleList(stages)
        self.embedding = embedding
        self.decoder_stages = nn.ModuleList(decoder_stages)
        self.dropout = nn.Dropout(float(dropout))
        self.unflatten = None if input_shape is None else Unflatten(input_shape)
        self.embedding_dim = _width(embedding)

    @property
    def decoder(self):
        """The decoder stages (the engine asks whether there is a decoder)."""
        return self.decoder_stages

    def _shaped(self, x):
        return x if self.unflatten is None else self.unflatten(x)

    def _encoder(self, x, noisy):
        h = self._shaped(x)
        if noisy:
            h = self.dropout(h)
        layers = []
        for stage in self.stages:
            h = stage(h)
            if noisy:
                h = self.dropout(h)
            layers.append(h)
        return layers, self.embedding(h)

    def encode(self, x):
        return self._encoder(x, noisy=False)[1]

    def decode(self, z):
        """The decoder's layers from ``z``: the hidden layers' reconstructions, then the input's."""
        layers = []
        for stage in self.decoder_stages:
            z = stage(z)
            layers.append(z)
        return layers[-2::-1], layers[-1]

    def forward(self, x):
        targets, z = self._encoder(x, noisy=False)
        if self.training:
            z = self._encoder(x, noisy=True)[1]
        layers, reconstruction = self.decode(z)
        return {
            "embedding": z,
            "reconstruction": reconstruction.reshape(x.shape),
            "layer_targets": tuple(targets),
            "layer_reconstructions": tuple(layers),
        }


def _width(embedding):
    linears = [m for m in embedding.modules() if isinstance(m, nn.Linear)]
    return linears[-1].out_features if linears else None


def _leaky():
    return nn.LeakyReLU(0.01)


def _output_activation(name):
    if name == "tanh":
        return nn.Tanh()
    if name == "linear":
        return nn.Identity()
    raise ValueError(f"output_activation must be 'tanh' or 'linear'; got {name!r}.")


class ConvNoisyAutoencoder(NoisyAutoencoder):
    """DEPICT's convolutional noisy autoencoder.

    Encoder: dropout, ``conv 4x4 (channels[0], stride 2)``, LeakyReLU(0.01),
    dropout, ``conv 5x5 (channels[1], stride 2, padding 2)``, LeakyReLU,
    dropout, dense ``embedding_dim`` with tanh.  Decoder: dense with
    LeakyReLU back to the second layer, transposed convolutions back to the
    first (LeakyReLU) and to the image (``output_activation``).

    Parameters
    ----------
    input_shape : tuple of int
        ``(C, H, W)`` of one image (at least 8x8).
    embedding_dim : int
        Width of the embedding (DEPICT's: the number of clusters).
    channels : tuple of int, default=(50, 50)
        Output channels of the two convolutions.
    dropout : float, default=0.1
        Dropout rate of the noisy pass.
    output_activation : {"tanh", "linear"}, default="tanh"
        Of the reconstruction: tanh for pixels in [-1, 1].

    Examples
    --------
    >>> import torch
    >>> ae = ConvNoisyAutoencoder((1, 28, 28), embedding_dim=10)
    >>> out = ae(torch.zeros(2, 784))
    >>> out["embedding"].shape, [t.shape[1:] for t in out["layer_targets"]]
    (torch.Size([2, 10]), [torch.Size([50, 13, 13]), torch.Size([50, 7, 7])])
    """

    def __init__(self, input_shape, embedding_dim, channels=(50, 50), dropout=0.1,
                 output_activation="tanh"):
        n_channels, height, width = (int(s) for s in input_shape)
        c1, c2 = (int(c) for c in channels)
        specs = [(4, 2, 0), (5, 2, 2)]  # kernel, stride, padding (the authors' MNIST settings)
        sizes = [(height, width)]
        for kernel, stride, padding in specs:
            sizes.append(tuple(_conv_output_size(s, kernel, stride, padding) for s in sizes[-1]))
        if min(height, width) < 8:  # two stride-2 convolutions leave at least 2x2
            raise ValueError(
                f"Images of shape {tuple(input_shape)} are too small for the convolutional "
                "noisy autoencoder (at least 8x8); use network='mlp'."
            )

        def output_padding(i):
            # Transposed convolutions cannot infer which input size was rounded down.
            kernel, stride, padding = specs[i]
            return tuple(
                big - ((small - 1) * stride - 2 * padding + kernel)
                for big, small in zip(sizes[i], sizes[i + 1])
            )

        flat = c2 * sizes[2][0] * sizes[2][1]
        super().__init__(
            stages=[
                nn.Sequential(nn.Conv2d(n_channels, c1, 4, stride=2), _leaky()),
                nn.Sequential(nn.Conv2d(c1, c2, 5, stride=2, padding=2), _leaky()),
            ],
            embedding=nn.Sequential(nn.Flatten(), nn.Linear(flat, int(embedding_dim)), nn.Tanh()),
            decoder_stages=[
                nn.Sequential(nn.Linear(int(embedding_dim), flat), _leaky(),
                              Unflatten((c2, *sizes[2]))),
                nn.Sequential(nn.ConvTranspose2d(c2, c1, 5, stride=2, padding=2,
                                                 output_padding=output_padding(1)), _leaky()),
                nn.Sequential(nn.ConvTranspose2d(c1, n_channels, 4, stride=2,
                                                 output_padding=output_padding(0)),
                              _output_activation(output_activation)),
            ],
            dropout=dropout,
            input_shape=(n_channels, height, width),
        )


class MLPNoisyAutoencoder(NoisyAutoencoder):
    """A fully connected noisy autoencoder: DEPICT's network for vectors.

    ``d - hidden_dims - embedding_dim`` with dropout before every layer,
    LeakyReLU(0.01) on the hidden layers and tanh on the embedding; the
    decoder mirrors it (LeakyReLU), ending in ``output_activation``.

    Parameters
    ----------
    input_dim : int
        Number of input features.
    hidden_dims : tuple of int
        Widths of the hidden layers (at least one).
    embedding_dim : int
        Width of the embedding.
    dropout : float, default=0.1
        Dropout rate of the noisy pass.
    output_activation : {"tanh", "linear"}, default="linear"
        Of the reconstruction: linear for standardised features.

    Examples
    --------
    >>> import torch
    >>> ae = MLPNoisyAutoencoder(8, (16,), 3)
    >>> ae(torch.zeros(2, 8))["layer_reconstructions"][0].shape
    torch.Size([2, 16])
    """

    def __init__(self, input_dim, hidden_dims, embedding_dim, dropout=0.1,
                 output_activation="linear"):
        sizes = [int(input_dim), *(int(w) for w in hidden_dims)]
        if len(sizes) < 2:
            raise ValueError("MLPNoisyAutoencoder needs at least one hidden layer.")
        stages = [nn.Sequential(nn.Linear(a, b), _leaky()) for a, b in zip(sizes, sizes[1:])]
        reverse = sizes[::-1]
        decoder = [nn.Sequential(nn.Linear(int(embedding_dim), reverse[0]), _leaky())]
        decoder += [nn.Sequential(nn.Linear(a, b), _leaky()) for a, b in zip(reverse[:-2], reverse[1:-1])]
        decoder.append(nn.Sequential(nn.Linear(reverse[-2], reverse[-1]),
                                     _output_activation(output_activation)))
        super().__init__(
            stages=stages,
            embedding=nn.Sequential(nn.Linear(sizes[-1], int(embedding_dim)), nn.Tanh()),
            decoder_stages=decoder,
            dropout=dropout,
        )
