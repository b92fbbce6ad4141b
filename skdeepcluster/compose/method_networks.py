"""Axis 1 of the taxonomy: the networks of single methods.

DEPICT's noisy autoencoder (:class:`NoisyAutoencoderNetwork`), the
embedding-space network's autoencoder with a representation network
(:class:`EmbeddingSpaceNetwork`) and JULE's encoder of L2-normalised
features (:class:`EmbeddingNetwork`).  The networks most methods share are
in :mod:`skdeepcluster.compose.networks`.
"""

import copy
from numbers import Integral

import numpy as np
from torch import nn

from ..networks.autoencoders import Autoencoder, Unflatten, glorot_init
from ..networks.embedding import JULEConvEncoder, MLPEncoder, normal_init
from ..networks.noisy import ConvNoisyAutoencoder, MLPNoisyAutoencoder
from ..networks.representation import MLPRepresentationAutoencoder, identity_init
from ._base import Component
from .networks import (
    AutoencoderNetwork,
    VariationalAutoencoderNetwork,
    _image_shape,
    _resolve_hidden_dims,
)

__all__ = ["NoisyAutoencoderNetwork", "EmbeddingSpaceNetwork", "EmbeddingNetwork"]


class NoisyAutoencoderNetwork(Component):
    """DEPICT's noisy autoencoder: a clean pass, a dropout pass, and every layer reconstructed.

    Dropout before every encoder layer makes the noisy pass, whose decoder
    reconstructs the clean pass's layers (with
    :class:`~skdeepcluster.compose.LayerwiseReconstruction`); the embedding
    ends in tanh.  The clustering features (``transform``) are the clean
    embedding; a softmax head put on it (by
    :class:`~skdeepcluster.compose.BalancedCrossEntropy`) gives the clean
    assignments ``p`` in evaluation and the noisy ``p~`` in training.

    Parameters
    ----------
    architecture : {"auto", "conv", "mlp"}, default="auto"
        The paper's convolutional network
        (:class:`~skdeepcluster.networks.ConvNoisyAutoencoder`: conv 50@4x4
        stride 2, conv 50@5x5 stride 2 pad 2, LeakyReLU 0.01, dense tanh,
        transposed convolutions back) for images ``(n, C, H, W)`` (or flat,
        with ``input_shape``), or a fully connected one
        (:class:`~skdeepcluster.networks.MLPNoisyAutoencoder`).  ``"auto"``
        is ``"conv"`` for images of at least 8x8, ``"mlp"`` otherwise.
    hidden_dims : tuple of int or "auto", default="auto"
        Hidden widths of the fully connected network, as for
        :class:`AutoencoderNetwork`.
    embedding_dim : int or None, default=None
        Width of the embedding; None is the number of clusters (DEPICT's).
    dropout : float, default=0.1
        Dropout rate of the noisy pass, on the input and every hidden layer.
    channels : tuple of int, default=(50, 50)
        Channels of the two convolutions.
    output_activation : {"auto", "tanh", "linear"}, default="auto"
        Of the reconstruction: ``"auto"`` is tanh (pixels in [-1, 1]) for
        the convolutional network, linear for the fully connected one.
    input_shape : tuple of int, default=None
        ``(C, H, W)`` of flat image input.
    weight_init : {"glorot", "torch"}, default="glorot"
        Glorot-uniform weights and zero biases (the authors' Lasagne
        defaults), or PyTorch's.

    Examples
    --------
    >>> from skdeepcluster.compose import NoisyAutoencoderNetwork
    >>> NoisyAutoencoderNetwork(hidden_dims=(16,)).build(8, None, n_clusters=3).embedding_dim
    3
    """

    # Never the user's modules: the noisy passes need the layers.
    encoder = decoder = None
    reference_hidden_dims = AutoencoderNetwork.reference_hidden_dims

    def __init__(
        self, architecture="auto", *, hidden_dims="auto", embedding_dim=None, dropout=0.1,
        channels=(50, 50), output_activation="auto", input_shape=None, weight_init="glorot",
    ):
        self.architecture = architecture
        self.hidden_dims = hidden_dims
        self.embedding_dim = embedding_dim
        self.dropout = dropout
        self.channels = channels
        self.output_activation = output_activation
        self.input_shape = input_shape
        self.weight_init = weight_init

    def has_decoder(self):
        return True

    def accepts_sparse(self):
        return self.architecture in ("mlp", "auto") and self.input_shape is None

    def resolve_input_shape(self, image_shape, n_features):
        """The image shape the network is built for (None: flat vectors)."""
        architecture = self.architecture
        if architecture == "auto":  # images if X or input_shape says so, never guessed
            architecture = "conv" if image_shape is not None else "mlp"
        return _image_shape(
            architecture, image_shape, self.input_shape, n_features, False, {"conv"}
        )

    def built_architecture(self, input_shape):
        """The architecture built for input of that image shape (None: flat vectors)."""
        if self.architecture != "auto":
            return self.architecture
        return "conv" if input_shape is not None and min(input_shape[-2:]) >= 8 else "mlp"

    def resolve_hidden_dims(self, n_features, input_shape=None):
        """The hidden widths of the network built for ``n_features`` (None: convolutional)."""
        return _resolve_hidden_dims(self, n_features, input_shape)

    def build(self, n_features, input_shape, n_clusters=None, n_runs=1):
        """The untrained :class:`~skdeepcluster.networks.NoisyAutoencoder`."""
        width = int(self.embedding_dim if self.embedding_dim is not None else n_clusters)
        if not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must lie in [0, 1); got {self.dropout!r}.")
        architecture = self.built_architecture(input_shape)
        activation = self.output_activation
        if architecture == "conv":
            if input_shape is None or len(input_shape) != 3:
                raise ValueError(
                    "architecture='conv' needs images: pass X as (n_samples, C, H, W) or set "
                    "input_shape=(C, H, W)."
                )
            network = ConvNoisyAutoencoder(
                input_shape, width, channels=self.channels, dropout=self.dropout,
                output_activation="tanh" if activation == "auto" else activation,
            )
        else:
            network = MLPNoisyAutoencoder(
                n_features, self.resolve_hidden_dims(n_features, input_shape), width,
                dropout=self.dropout,
                output_activation="linear" if activation == "auto" else activation,
            )
        return glorot_init(network) if self.weight_init == "glorot" else network


class EmbeddingSpaceNetwork(AutoencoderNetwork):
    """A denoising autoencoder and a representation network from its latent: Dahal's network.

    The fully connected autoencoder ``d-hidden_dims-embedding_dim`` and its
    mirror (:class:`AutoencoderNetwork`'s layers) learns a latent ``z`` that
    reconstructs the input from a noisy copy; the representation network
    ``embedding_dim-representation_dims-embedding_dim`` maps ``z`` to the
    embedding ``e``, the clustering features (``transform``)
    (:class:`~skdeepcluster.networks.MLPRepresentationAutoencoder`).  Its
    forward pass gives ``"latent"``, ``"embedding"`` and
    ``"reconstruction"``; with :class:`EmbeddingCrossEntropy` it is the
    embedding-space network of :class:`~skdeepcluster.EmbeddingSpaceClustering`.

    Parameters
    ----------
    hidden_dims : tuple of int or "auto", default="auto"
        Hidden widths of the encoder, as for :class:`AutoencoderNetwork`
        (``(500, 500, 2000)`` for inputs of more than 128 features).
    embedding_dim : int, default=10
        Width of the latent ``z`` and of the embedding ``e`` (the paper's ``d``).
    representation_dims : tuple of int or "auto", default="auto"
        Hidden widths of the representation network; ``"auto"`` is
        ``hidden_dims`` reversed (``(2000, 500, 500)``, the paper's; the
        author's code has ``(2000, 500, 500, 500)``).
    noise : float, default=0.5
        Standard deviation of the Gaussian noise added to the encoder's input
        in training (clipped to [0, 1] for the Bernoulli likelihood); 0 trains
        a plain autoencoder.
    likelihood : {"auto", "bernoulli", "gaussian"}, default="auto"
        The decoder's output: a sigmoid, for the cross-entropy on values in
        [0, 1] (the paper's), or linear, for the squared error.  ``"auto"`` is
        ``"bernoulli"`` when every training value lies in [0, 1].
    weight_init : {"glorot", "torch"}, default="glorot"
        Initial weights of the autoencoder (Glorot-uniform, the code's).
    representation_init : {"glorot", "torch", "identity"}, default="glorot"
        Initial weights of the representation network; ``"identity"`` is the
        author's code's (:func:`~skdeepcluster.networks.identity_init`), with
        which only its first ``embedding_dim`` units of each layer ever train.

    Examples
    --------
    >>> from skdeepcluster.compose import EmbeddingSpaceNetwork
    >>> net = EmbeddingSpaceNetwork(hidden_dims=(16,), embedding_dim=2).build(8, None)
    >>> net.representation
    Sequential(
      (0): Linear(in_features=2, out_features=16, bias=True)
      (1): ReLU()
      (2): Linear(in_features=16, out_features=2, bias=True)
    )
    """

    # A fully connected network of its own.
    architecture = "mlp"
    encoder = decoder = input_shape = None
    # The embedding-space loss reads its latent and embedding.
    has_representation = True

    def __init__(self, *, hidden_dims="auto", embedding_dim=10, representation_dims="auto",
                 noise=0.5, likelihood="auto", weight_init="glorot",
                 representation_init="glorot"):
        self.hidden_dims = hidden_dims
        self.embedding_dim = embedding_dim
        self.representation_dims = representation_dims
        self.noise = noise
        self.likelihood = likelihood
        self.weight_init = weight_init
        self.representation_init = representation_init

    resolve = VariationalAutoencoderNetwork.resolve

    def resolve_representation_dims(self, n_features):
        """The representation network's hidden widths for ``n_features`` inputs."""
        if isinstance(self.representation_dims, str) and self.representation_dims == "auto":
            return tuple(reversed(self.resolve_hidden_dims(n_features)))
        widths = np.asarray(self.representation_dims).ravel().tolist()
        if not all(isinstance(w, Integral) and w >= 1 for w in widths):
            raise ValueError(
                "representation_dims must hold positive integers or be 'auto'; got "
                f"{self.representation_dims!r}."
            )
        return tuple(widths)

    def build(self, n_features, input_shape, n_clusters=None, n_runs=1):
        """The untrained :class:`~skdeepcluster.networks.MLPRepresentationAutoencoder`."""
        if self.representation_init not in ("glorot", "torch", "identity"):
            raise ValueError(
                "representation_init must be 'glorot', 'torch' or 'identity'; got "
                f"{self.representation_init!r}."
            )
        network = MLPRepresentationAutoencoder(
            n_features, self.resolve_hidden_dims(n_features), self.embedding_dim,
            self.resolve_representation_dims(n_features), noise=self.noise,
            bernoulli=self.likelihood == "bernoulli",
        )
        if self.weight_init == "glorot":
            glorot_init(network.encoder)
            glorot_init(network.decoder)
        if self.representation_init == "glorot":
            glorot_init(network.representation)
        elif self.representation_init == "identity":
            identity_init(network.representation)
        return network
class EmbeddingNetwork(Component):
    """An encoder without a decoder whose features are L2-normalised (JULE's network).

    Parameters
    ----------
    architecture : {"auto", "mlp", "conv"}, default="auto"
        JULE's convolutional network for images
        (:class:`~skdeepcluster.networks.JULEConvEncoder`), or the fully
        connected :class:`~skdeepcluster.networks.MLPEncoder`.  ``"auto"`` is
        ``"conv"`` for images (``X`` of 3 or 4 dimensions, or ``input_shape``
        given) of at least 14x14 pixels, ``"mlp"`` otherwise.
    hidden_dims : tuple of int, default=(500, 500)
        Hidden widths of the fully connected encoder.
    embedding_dim : int, default=160
        Width of the features.
    input_shape : tuple of int, default=None
        ``(C, H, W)`` of flat image input.
    encoder : torch.nn.Module, default=None
        Your own encoder, replacing ``architecture`` (copied, never modified).
    weight_init : {"normal", "torch"}, default="normal"
        Normal weights of standard deviation 0.01 and zero biases (JULE's
        code), or PyTorch's default initialisation.

    Examples
    --------
    >>> from skdeepcluster.compose import EmbeddingNetwork
    >>> EmbeddingNetwork(hidden_dims=(8,), embedding_dim=3).build(4, None).decoder is None
    True
    """

    def __init__(self, architecture="auto", *, hidden_dims=(500, 500), embedding_dim=160,
                 input_shape=None, encoder=None, weight_init="normal"):
        self.architecture = architecture
        self.hidden_dims = hidden_dims
        self.embedding_dim = embedding_dim
        self.input_shape = input_shape
        self.encoder = encoder
        self.weight_init = weight_init

    def has_decoder(self):
        return False

    def accepts_sparse(self):
        return (self.architecture in ("mlp", "auto") and self.input_shape is None
                and self.encoder is None)

    def resolve_input_shape(self, image_shape, n_features):
        architecture = self.architecture
        if architecture == "auto":
            architecture = "conv" if image_shape is not None else "mlp"
        return _image_shape(
            architecture, image_shape, self.input_shape, n_features,
            self.encoder is not None, {"conv": JULEConvEncoder},
        )

    def built_architecture(self, input_shape):
        if self.architecture != "auto":
            return self.architecture
        if input_shape is not None and min(input_shape[-2:]) >= 14:
            return "conv"
        return "mlp"

    def resolve_hidden_dims(self, n_features, input_shape=None):
        if self.encoder is not None or self.built_architecture(input_shape) != "mlp":
            return None
        widths = np.asarray(self.hidden_dims).ravel().tolist()
        if not all(isinstance(w, Integral) and w >= 1 for w in widths):
            raise ValueError(f"hidden_dims must hold positive integers; got {self.hidden_dims!r}.")
        return tuple(widths)

    def build(self, n_features, input_shape, n_clusters=None, n_runs=1):
        """The untrained :class:`~skdeepcluster.networks.Autoencoder`, without a decoder."""
        if self.encoder is not None:
            encoder = copy.deepcopy(self.encoder)
            if input_shape is not None:
                encoder = nn.Sequential(Unflatten(input_shape), encoder)
            return Autoencoder(encoder)
        if self.built_architecture(input_shape) == "conv":
            encoder = JULEConvEncoder(input_shape, embedding_dim=self.embedding_dim)
        else:
            encoder = MLPEncoder(
                n_features, self.resolve_hidden_dims(n_features, input_shape), self.embedding_dim
            )
        if self.weight_init == "normal":
            normal_init(encoder)
        return Autoencoder(encoder)
