"""Axis 1 and 2 of the taxonomy: the network, and the features the clustering sees."""

import copy
import math
from numbers import Integral

import numpy as np
import torch
from sklearn.base import clone
from torch import nn

from ..networks.autoencoders import (
    Autoencoder,
    BatchNormConvAutoencoder,
    ConvAutoencoder,
    MLPAutoencoder,
    Unflatten,
    MLPVariationalAutoencoder,
    VariationalAutoencoder,
    glorot_init,
)
from ..networks.runwise import (
    DAC_PADDED_MIN_SIDE,
    DACConvBackbone,
    DDCConvBackbone,
    DDCMLPBackbone,
    DDCNet,
    DDCNetwork,
    RunLoopBackbone,
    RunwiseClippedAdam,
    _reset_parameters,
    small_normal_init_,
)
from ._base import Component
from .auto import auto_hidden_dims

__all__ = [
    "AutoencoderNetwork",
    "VariationalAutoencoderNetwork",
    "IdentityNetwork",
    "SoftmaxHeadNetwork",
    "LayerFeatures",
]

# The built-in image autoencoders, by the name ``architecture`` takes.
_IMAGE_NETWORKS = {"conv": ConvAutoencoder, "conv_bn": BatchNormConvAutoencoder}


def _image_shape(architecture, image_shape, input_shape, n_features, user_module, image_kinds):
    """``(C, H, W)`` the network is built for, or None for flat input."""
    if image_shape is not None:
        shape = tuple(int(s) for s in image_shape)
        if architecture in image_kinds and not user_module:
            if len(shape) == 2:  # (n, H, W): one-channel images
                shape = (1, *shape)
            elif len(shape) != 3:
                raise ValueError(
                    f"network={architecture!r} needs images of shape (n_samples, C, H, W) or "
                    f"(n_samples, H, W); got X with {len(shape) + 1} dimensions."
                )
        return shape
    if input_shape is not None:
        shape = tuple(int(s) for s in input_shape)
        if math.prod(shape) != n_features:
            raise ValueError(
                f"input_shape={shape} holds {math.prod(shape)} values but X has "
                f"{n_features} features."
            )
        return shape
    if architecture in image_kinds and not user_module:
        side = math.isqrt(n_features)
        if side * side != n_features:
            raise ValueError(
                f"network={architecture!r} needs images: pass X as (n_samples, C, H, W) or set "
                f"input_shape=(C, H, W); {n_features} flat features are not a square "
                "one-channel image."
            )
        return (1, side, side)
    return None


def _resolve_hidden_dims(network, n_features, input_shape=None):
    if network.encoder is not None or network.built_architecture(input_shape) != "mlp":
        return None
    if isinstance(network.hidden_dims, str) and network.hidden_dims == "auto":
        return auto_hidden_dims(n_features, network.reference_hidden_dims)
    widths = np.asarray(network.hidden_dims).ravel().tolist()
    if not all(isinstance(w, Integral) and w >= 1 for w in widths):
        raise ValueError(
            f"hidden_dims must hold positive integers or be 'auto'; got {network.hidden_dims!r}."
        )
    return tuple(widths)


class AutoencoderNetwork(Component):
    """An autoencoder: fully connected, convolutional, or your own encoder and decoder.

    Parameters
    ----------
    architecture : {"mlp", "conv", "conv_bn", "auto"}, default="mlp"
        The ``d-hidden_dims-embedding_dim`` fully connected autoencoder and
        its mirror (:class:`~skdeepcluster.networks.MLPAutoencoder`), the
        strided convolutional one (:class:`~skdeepcluster.networks.ConvAutoencoder`)
        or the one with batch normalisation and max pooling
        (:class:`~skdeepcluster.networks.BatchNormConvAutoencoder`) for
        images ``(n, C, H, W)`` (or flat, with ``input_shape``).  ``"auto"``
        is ``"conv_bn"`` for images (``X`` of 3 or 4 dimensions, or
        ``input_shape`` given) of at least 8x8 pixels, ``"mlp"`` otherwise.
    hidden_dims : tuple of int or "auto", default="auto"
        Hidden widths of the fully connected encoder; the decoder mirrors them.
        ``"auto"`` is ``(500, 500, 2000)`` (DEC's) for inputs of more than
        128 features, and proportionally narrower for fewer: the first layer the
        smallest power of two at least twice the input's width, at least 32
        (``(128, 128, 512)`` for 64 features, ``(32, 32, 128)`` for 2).
    embedding_dim : int, default=10
        Width of the embedding.
    input_shape : tuple of int, default=None
        ``(C, H, W)`` of flat image input.
    encoder, decoder : torch.nn.Module, default=None
        Your own networks, replacing ``architecture`` (copied, never
        modified; they keep their own initialisation).  Without a decoder,
        nothing can be reconstructed.
    weight_init : {"glorot", "torch"}, default="glorot"
        Glorot-uniform weights and zero biases for the built-in layers
        (:func:`~skdeepcluster.networks.glorot_init`; the Keras default, which
        the reference codes use), or PyTorch's default initialisation.

    Examples
    --------
    >>> from skdeepcluster.compose import AutoencoderNetwork
    >>> AutoencoderNetwork(hidden_dims=(64,), embedding_dim=5).build(20, None).encoder
    Sequential(
      (0): Linear(in_features=20, out_features=64, bias=True)
      (1): ReLU()
      (2): Linear(in_features=64, out_features=5, bias=True)
    )
    """

    def __init__(
        self, architecture="mlp", *, hidden_dims="auto", embedding_dim=10,
        input_shape=None, encoder=None, decoder=None, weight_init="glorot",
    ):
        self.architecture = architecture
        self.hidden_dims = hidden_dims
        self.embedding_dim = embedding_dim
        self.input_shape = input_shape
        self.encoder = encoder
        self.decoder = decoder
        self.weight_init = weight_init

    # The widths "auto" resolves to on a wide input.
    reference_hidden_dims = (500, 500, 2000)

    def has_decoder(self):
        return self.encoder is None or self.decoder is not None

    def accepts_sparse(self):
        return self.architecture in ("mlp", "auto") and self.input_shape is None

    def resolve_input_shape(self, image_shape, n_features):
        """The image shape the network is built for (None: flat vectors)."""
        architecture = self.architecture
        if architecture == "auto":  # images if X or input_shape says so, never guessed
            architecture = "conv_bn" if image_shape is not None else "mlp"
        return _image_shape(
            architecture, image_shape, self.input_shape, n_features,
            self.encoder is not None, _IMAGE_NETWORKS,
        )

    def built_architecture(self, input_shape):
        """The architecture built for input of that image shape (None: flat vectors)."""
        if self.architecture != "auto":
            return self.architecture
        if input_shape is not None and min(input_shape[-2:]) >= 8:
            return "conv_bn"
        return "mlp"

    def resolve_hidden_dims(self, n_features, input_shape=None):
        """The hidden widths of the network built for ``n_features`` (None: not fully connected)."""
        return _resolve_hidden_dims(self, n_features, input_shape)

    def build(self, n_features, input_shape, n_clusters=None, n_runs=1):
        """The untrained :class:`~skdeepcluster.networks.Autoencoder`."""
        if self.encoder is not None:
            encoder = copy.deepcopy(self.encoder)
            decoder = copy.deepcopy(self.decoder) if self.decoder is not None else None
            if input_shape is not None:
                # Batches travel flat; the user's modules see images and may return them.
                encoder = nn.Sequential(Unflatten(input_shape), encoder)
                if decoder is not None:
                    decoder = nn.Sequential(decoder, nn.Flatten())
            return Autoencoder(encoder, decoder)
        if self.decoder is not None:
            raise ValueError("decoder was given without an encoder; pass both.")
        architecture = self.built_architecture(input_shape)
        if architecture in _IMAGE_NETWORKS:
            autoencoder = _IMAGE_NETWORKS[architecture](
                input_shape, embedding_dim=self.embedding_dim
            )
        else:
            autoencoder = MLPAutoencoder(
                n_features, self.resolve_hidden_dims(n_features, input_shape), self.embedding_dim
            )
        if self.weight_init == "glorot":
            glorot_init(autoencoder)
        return autoencoder


def data_in_unit_interval(X):
    """Whether every value of the training data ``X`` lies in [0, 1] (pixel intensities).

    ``X`` is a tensor, the engine's rows (in memory, sparse, or a file read a
    chunk at a time).

    >>> import torch
    >>> data_in_unit_interval(torch.rand(5, 3)), data_in_unit_interval(torch.randn(50, 3))
    (True, False)
    """
    from ..rows import LazyRows, MappedRows

    if isinstance(X, (MappedRows, LazyRows)):  # a file: read it a chunk at a time
        chunks = [X[start : start + 4096] for start in range(0, len(X), 4096)]
        low, high = min(float(c.min()) for c in chunks), max(float(c.max()) for c in chunks)
    else:
        X = getattr(X, "X", X)  # HostRows keep the data as given in X
        low, high = float(X.min()), float(X.max())
    return low >= 0.0 and high <= 1.0


class VariationalAutoencoderNetwork(AutoencoderNetwork):
    """A variational autoencoder: VaDE's network.

    A trunk with two linear heads of width ``embedding_dim`` (the mean and
    the log variance of ``q(z | x)``) and a decoder: the fully connected
    ``d-hidden_dims`` trunk and its mirror
    (:class:`~skdeepcluster.networks.MLPVariationalAutoencoder`, the layers
    of :class:`AutoencoderNetwork`), or your own trunk and decoder.  It
    pretrains as an autoencoder on its mean head, and the clustering
    features (``transform``) are the mean.

    Parameters
    ----------
    hidden_dims : tuple of int or "auto", default="auto"
        Widths of the trunk, as for :class:`AutoencoderNetwork`
        (``(500, 500, 2000)``, VaDE's, for inputs of more than 128 features).
    embedding_dim : int, default=10
        Width of the latent space.
    likelihood : {"auto", "bernoulli", "gaussian"}, default="auto"
        ``p(x | z)``: independent Bernoullis on a sigmoid decoder (the
        paper's, for intensities in [0, 1]; not binarised), or a Gaussian of
        unit variance on a linear one (squared error, for standardised
        data).  ``"auto"`` is ``"bernoulli"`` when every training value lies
        in [0, 1], ``"gaussian"`` otherwise.
    encoder, decoder : torch.nn.Module, default=None
        Your own trunk (its output feeds the two heads, whose width is probed
        on a batch) and decoder (from ``embedding_dim`` latents to the input,
        ending linear: the sigmoid of the Bernoulli likelihood is added);
        both or neither.  They are copied and keep their own initialisation.
    input_shape : tuple of int, default=None
        ``(C, H, W)`` your modules see images in, from flat input.
    weight_init : {"glorot", "torch"}, default="glorot"
        As for :class:`AutoencoderNetwork` (the built-in layers only).

    Examples
    --------
    >>> from skdeepcluster.compose import VariationalAutoencoderNetwork
    >>> network = VariationalAutoencoderNetwork(hidden_dims=(16,), likelihood="bernoulli")
    >>> network.build(8, None).mean
    Linear(in_features=16, out_features=10, bias=True)
    """

    # A fully connected network of its own, or the user's modules.
    architecture = "mlp"

    def __init__(self, *, hidden_dims="auto", embedding_dim=10, likelihood="auto",
                 encoder=None, decoder=None, input_shape=None, weight_init="glorot"):
        self.hidden_dims = hidden_dims
        self.embedding_dim = embedding_dim
        self.likelihood = likelihood
        self.encoder = encoder
        self.decoder = decoder
        self.input_shape = input_shape
        self.weight_init = weight_init

    def resolve(self, X_train):
        """This network with ``likelihood="auto"`` resolved for the training data (a copy)."""
        if self.likelihood != "auto":
            return self
        likelihood = "bernoulli" if data_in_unit_interval(X_train) else "gaussian"
        return clone(self).set_params(likelihood=likelihood)

    def build(self, n_features, input_shape, n_clusters=None, n_runs=1):
        """The untrained :class:`~skdeepcluster.networks.VariationalAutoencoder`."""
        bernoulli = self.likelihood == "bernoulli"
        if self.encoder is None and self.decoder is None:
            vae = MLPVariationalAutoencoder(
                n_features, self.resolve_hidden_dims(n_features, input_shape),
                self.embedding_dim, bernoulli=bernoulli,
            )
            if self.weight_init == "glorot":
                glorot_init(vae)
            return vae
        if self.encoder is None or self.decoder is None:
            raise ValueError(
                "A variational autoencoder reconstructs its input: pass both encoder= and "
                "decoder=, or neither."
            )
        trunk, decoder = copy.deepcopy(self.encoder), copy.deepcopy(self.decoder)
        if input_shape is not None:
            # Batches travel flat; the user's modules see images and may return them.
            trunk, decoder = nn.Sequential(Unflatten(input_shape), trunk), nn.Sequential(
                decoder, nn.Flatten()
            )
        trunk = nn.Sequential(trunk, nn.Flatten())
        probe = copy.deepcopy(trunk).eval()
        with torch.no_grad():
            width = probe(torch.zeros(2, n_features)).shape[1]
        return VariationalAutoencoder(trunk, decoder, width, self.embedding_dim, bernoulli)


class IdentityNetwork(Component):
    """No network: the clustering runs on the inputs themselves (a shallow model, as DMM).

    Examples
    --------
    >>> import torch
    >>> from skdeepcluster.compose import IdentityNetwork
    >>> IdentityNetwork().build(3, None).encode(torch.ones(1, 3))
    tensor([[1., 1., 1.]])
    """

    def has_decoder(self):
        return False

    def accepts_sparse(self):
        return True

    def resolve_input_shape(self, image_shape, n_features):
        # Nothing to shape: images are clustered as flat vectors.
        return None if image_shape is None else tuple(int(s) for s in image_shape)

    def build(self, n_features, input_shape, n_clusters=None, n_runs=1):
        return Autoencoder(nn.Identity())


class SoftmaxHeadNetwork(Component):
    """A backbone, a hidden layer and a ``K``-way softmax (DDC's, IMSAT's), for ``R`` runs at once.

    ``backbone -> FC(hidden_dim) -> ReLU -> BatchNorm -> FC(K) -> softmax``
    (DDC's), or with ``batch_norm="before_relu"`` ``FC -> BatchNorm -> ReLU``
    on every fully connected layer (IMSAT's ``d-1200-1200-K``:
    ``hidden_dims=(1200,), hidden_dim=1200``); the clustering features are
    the hidden layer.  The runs of :class:`~skdeepcluster.compose.BestOfRuns`
    are trained together as one vectorised module
    (:class:`~skdeepcluster.networks.DDCNetwork`).

    Parameters
    ----------
    architecture : {"mlp", "conv", "conv_bn", "auto"}, default="mlp"
        The fully connected backbone (BatchNorm on its last layer), DDC's
        LeNet-like CNN (conv 5x5x32, pool, conv 5x5x64, pool) for images of
        at least 16x16, or DAC's all-convolutional network with BatchNorm
        (:class:`~skdeepcluster.networks.DACConvBackbone`) for images of at
        least 8x8.  ``"auto"`` is ``"conv_bn"`` for images (``X`` of 3 or 4
        dimensions, or ``input_shape`` given) of at least 8x8, ``"mlp"``
        otherwise.
    hidden_dims : tuple of int or "auto", default="auto"
        Widths of the fully connected backbone.  ``"auto"`` is
        ``(200, 200, 500)`` (DDC's) for inputs of more than 64 features, and
        proportionally narrower for fewer, as in
        :class:`~skdeepcluster.compose.AutoencoderNetwork`.
    hidden_dim : int, default=100
        Width of the hidden layer the features come from.
    input_shape : tuple of int, default=None
        ``(C, H, W)`` of flat image input.
    encoder : torch.nn.Module, default=None
        Your own backbone, copied and re-initialised once per run (kept as
        given with ``reset_encoder=False``).
    reset_encoder : bool, default=True
        Whether ``encoder`` is re-initialised; False trains a pretrained
        encoder on from its weights (CCNN's start).
    max_grad_norm : float or None, default=5.0
        Gradient-norm clipping of each run; None disables it.
    batch_norm : {"after_relu", "before_relu", "none"}, default="after_relu"
        BatchNorm after the ReLU of the backbone's last layer and of the
        hidden layer (DDC's), between every fully connected layer and its
        ReLU (IMSAT's), or nowhere (CCNN's: features that do not depend on
        the batch); the convolutional backbone has none either way.
    weight_init : {"he", "small_normal"}, default="he"
        He-uniform weights (DDC's), or normal weights of variance
        ``0.1 / fan_in`` and ``1e-4 / fan_in`` for the softmax layer, so that
        the assignments start almost uniform (IMSAT's code;
        :func:`~skdeepcluster.networks.small_normal_init_`).  A user's
        ``encoder`` keeps its own initialisation.
    output_batch_norm : bool, default=False
        BatchNorm and ReLU between the ``K``-way layer and the softmax
        (DAC's code): every output unit is normalised over the batch, which
        keeps all ``K`` in use.
    """

    def __init__(
        self, architecture="mlp", *, hidden_dims="auto", hidden_dim=100,
        input_shape=None, encoder=None, max_grad_norm=5.0, batch_norm="after_relu",
        weight_init="he", output_batch_norm=False, reset_encoder=True,
    ):
        self.architecture = architecture
        self.hidden_dims = hidden_dims
        self.hidden_dim = hidden_dim
        self.input_shape = input_shape
        self.encoder = encoder
        self.max_grad_norm = max_grad_norm
        self.batch_norm = batch_norm
        self.weight_init = weight_init
        self.output_batch_norm = output_batch_norm
        self.reset_encoder = reset_encoder

    # The head is part of this network: a softmax loss needs no head of its own.
    has_softmax_head = True

    # The widths "auto" resolves to on a wide input.
    reference_hidden_dims = (200, 200, 500)

    def built_architecture(self, input_shape):
        if self.architecture != "auto":
            return self.architecture
        if input_shape is not None and min(input_shape[-2:]) >= DAC_PADDED_MIN_SIDE:
            return "conv_bn"
        return "mlp"

    def resolve_hidden_dims(self, n_features, input_shape=None):
        """The backbone's widths for ``n_features`` (None: not fully connected)."""
        return _resolve_hidden_dims(self, n_features, input_shape)

    def has_decoder(self):
        return False

    def accepts_sparse(self):
        return self.architecture in ("mlp", "auto") and self.input_shape is None

    def resolve_input_shape(self, image_shape, n_features):
        architecture = self.architecture
        if architecture == "auto":  # images if X or input_shape says so, never guessed
            architecture = "conv_bn" if image_shape is not None else "mlp"
        return _image_shape(
            architecture, image_shape, self.input_shape, n_features,
            self.encoder is not None, {"conv", "conv_bn"},
        )

    def net_options(self, optimizer="adam"):
        """The engine's training settings for run-wise modules.

        Adam clips each run's gradient norm inside its step; another
        ``optimizer`` (a name or class, e.g. DAC's ``"rmsprop"``) trains
        without clipping.
        """
        if optimizer != "adam":
            return dict(net_class=DDCNet, optimizer=optimizer, max_grad_norm=None)
        return dict(
            net_class=DDCNet, optimizer=RunwiseClippedAdam, graph_safe_optimizer=True,
            max_grad_norm=self.max_grad_norm,
        )

    def build(self, n_features, input_shape, n_clusters=None, n_runs=1):
        """The untrained ``n_runs``-run :class:`~skdeepcluster.networks.DDCNetwork`."""
        if self.encoder is not None:
            copies = []
            for _ in range(n_runs):
                run = copy.deepcopy(self.encoder)
                if self.reset_encoder:
                    _reset_parameters(run)
                if input_shape is not None:
                    run = nn.Sequential(Unflatten(input_shape), run)
                copies.append(run)
            backbone = RunLoopBackbone(copies)
            probe = copy.deepcopy(copies[0]).eval()
            try:
                with torch.no_grad():
                    out = probe(torch.zeros(2, n_features))
            except Exception as exc:  # a user's module: report its failure as a ValueError
                raise ValueError(
                    f"encoder could not process a batch of the input (shape (2, "
                    f"{input_shape or n_features})): {exc}"
                ) from exc
            backbone_dim = int(np.prod(out.shape[1:]))
        elif self.built_architecture(input_shape) in ("conv", "conv_bn"):
            cls = DDCConvBackbone if self.built_architecture(input_shape) == "conv" else (
                DACConvBackbone)
            backbone = cls(input_shape, n_runs=n_runs)
            backbone_dim = backbone.output_dim
        else:
            widths = self.resolve_hidden_dims(n_features, input_shape)
            backbone = DDCMLPBackbone(
                n_features, list(widths), n_runs=n_runs, batch_norm=self.batch_norm
            )
            backbone_dim = backbone.output_dim
        if self.weight_init not in ("he", "small_normal"):
            raise ValueError(
                f"weight_init must be 'he' or 'small_normal'; got {self.weight_init!r}."
            )
        network = DDCNetwork(
            backbone, backbone_dim, n_clusters, int(self.hidden_dim), n_runs=n_runs,
            batch_norm=self.batch_norm, output_batch_norm=self.output_batch_norm,
        )
        return small_normal_init_(network) if self.weight_init == "small_normal" else network


class LayerFeatures(nn.Module):
    """An autoencoder whose clustering features are all its encoder's layers, concatenated.

    ``features="layers"`` of :class:`~skdeepcluster.DeepClustering`: the
    outputs of every activation of the encoder and its embedding, side by
    side (as Neural Clustering does); the decoder still reconstructs from the
    embedding.

    Parameters
    ----------
    autoencoder : skdeepcluster.networks.Autoencoder
        A fully connected autoencoder (its encoder an ``nn.Sequential``).
    """

    def __init__(self, autoencoder):
        super().__init__()
        self.autoencoder = autoencoder
        self.decoder = autoencoder.decoder

    @property
    def embedding_dim(self):
        """Width of the features: every layer of the encoder, side by side."""
        return sum(
            layer.out_features for layer in self.autoencoder.encoder
            if isinstance(layer, nn.Linear)
        )

    def _layers(self, x):
        outputs = []
        for layer in self.autoencoder.encoder:
            x = layer(x)
            if isinstance(layer, nn.ReLU):
                outputs.append(x)
        return outputs, x

    def encode(self, x):
        outputs, z = self._layers(x)
        return torch.cat([*outputs, z], dim=1)

    def forward(self, x):
        outputs, z = self._layers(x)
        out = {"embedding": torch.cat([*outputs, z], dim=1)}
        if self.autoencoder.decoder is not None:
            out["reconstruction"] = self.autoencoder.decoder(z)
        return out
