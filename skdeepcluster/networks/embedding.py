"""Encoders without a decoder, and a head of centres on their L2-normalised features (JULE).

* :class:`JULEConvEncoder`: the authors' MNIST network, ``conv 5x5 (50) -
  BatchNorm - ReLU - max-pool 2``, ``conv 5x5 (50) - BatchNorm - ReLU``, a
  dense layer of 160;
* :class:`MLPEncoder`: its fully connected counterpart for tabular data;
* :class:`NormalizedEmbeddingModule`: the features scaled to unit length, and
  the cluster centres that assign new samples to the nearest.
"""

import torch
from torch import nn
from torch.nn import functional as F

from ..losses.kmeans import squared_distances
from .autoencoders import Unflatten, float32_head

__all__ = ["JULEConvEncoder", "MLPEncoder", "NormalizedEmbeddingModule", "normal_init"]


def normal_init(module, std=0.01):
    """Normal weights of standard deviation ``std`` and zero biases for every conv and dense layer.

    The initialisation of JULE's code (``NetInit``); BatchNorm layers keep
    theirs.
    """
    for layer in module.modules():
        if isinstance(layer, (nn.Conv2d, nn.Linear)):
            nn.init.normal_(layer.weight, 0.0, std)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
    return module


def _conv_bn_relu(in_channels, out_channels):
    return [nn.Conv2d(in_channels, out_channels, 5), nn.BatchNorm2d(out_channels), nn.ReLU()]


class JULEConvEncoder(nn.Sequential):
    """JULE's CNN for MNIST: two 5x5 convolutions of 50 channels and a dense layer of 160.

    ``conv 5x5 - BatchNorm - ReLU - max-pool 2x2`` (rounding up, as the
    code's ``ceil`` pooling), ``conv 5x5 - BatchNorm - ReLU``, then a dense
    layer; flat input ``(n, C*H*W)`` is reshaped to ``input_shape``.

    Parameters
    ----------
    input_shape : tuple of int
        ``(C, H, W)``; each side needs at least 14 pixels.
    channels : tuple of int, default=(50, 50)
        Output channels of the two convolutions.
    embedding_dim : int, default=160
        Width of the dense layer.

    Examples
    --------
    >>> import torch
    >>> JULEConvEncoder((1, 28, 28))(torch.zeros(2, 784)).shape
    torch.Size([2, 160])
    """

    def __init__(self, input_shape, channels=(50, 50), embedding_dim=160):
        n_channels, height, width = (int(s) for s in input_shape)
        c1, c2 = (int(c) for c in channels)
        sides = [-(-(side - 4) // 2) - 4 for side in (height, width)]
        if min(sides) < 1:
            raise ValueError(
                f"Images of shape {tuple(input_shape)} are too small for JULE's convolutional "
                "network (two 5x5 convolutions and a 2x2 pooling need 14 pixels a side); use "
                "network='mlp'."
            )
        super().__init__(
            Unflatten((n_channels, height, width)),
            *_conv_bn_relu(n_channels, c1),
            nn.MaxPool2d(2, ceil_mode=True),
            *_conv_bn_relu(c1, c2),
            nn.Flatten(),
            nn.Linear(c2 * sides[0] * sides[1], int(embedding_dim)),
        )


class MLPEncoder(nn.Sequential):
    """Fully connected encoder: ``Linear - BatchNorm - ReLU`` per hidden layer, then a dense layer.

    Parameters
    ----------
    input_dim : int
        Number of input features.
    hidden_dims : tuple of int, default=(500, 500)
        Widths of the hidden layers.
    embedding_dim : int, default=160
        Width of the output.

    Examples
    --------
    >>> import torch
    >>> MLPEncoder(4, (8,), 3)(torch.zeros(2, 4)).shape
    torch.Size([2, 3])
    """

    def __init__(self, input_dim, hidden_dims=(500, 500), embedding_dim=160):
        layers, width = [], int(input_dim)
        for hidden in hidden_dims:
            layers += [nn.Linear(width, int(hidden)), nn.BatchNorm1d(int(hidden)), nn.ReLU()]
            width = int(hidden)
        super().__init__(*layers, nn.Linear(width, int(embedding_dim)))


class NormalizedEmbeddingModule(nn.Module):
    """A network's features scaled to unit length, with cluster centres among them.

    ``encode`` returns the L2-normalised features; ``centers`` is a buffer
    set after training (the mean features of each cluster), and
    ``assign(z) = softmax_k(-||z - mu_k||^2)``, whose argmax is the nearest
    centre.

    Parameters
    ----------
    autoencoder : skdeepcluster.networks.Autoencoder
        The network (its decoder unused).
    centers : array-like of shape (n_clusters, embedding_dim)
        Initial centres.
    """

    def __init__(self, autoencoder, centers):
        super().__init__()
        self.autoencoder = autoencoder
        self.register_buffer("centers", torch.as_tensor(centers, dtype=torch.float32).clone())

    @property
    def embedding_dim(self):
        return int(self.centers.shape[1])

    def encode(self, x):
        return F.normalize(self.autoencoder.encode(x), dim=1)

    @float32_head
    def assign(self, z):
        return torch.softmax(-squared_distances(z, self.centers.to(z.dtype)), dim=1)

    def forward(self, x):
        return {"embedding": self.encode(x)}
