"""The embedding-space network: a denoising autoencoder and a representation network on its latent.

Dahal ("Learning Embedding Space for Clustering From Deep Representations",
IEEE Big Data 2018): the autoencoder keeps its latent space ``Z`` for
reconstruction, and a second network maps ``Z`` to the embedding space ``E``
where the clusters are separated.
"""

import torch
from torch import nn

from ..losses.embedding import scale_gradient
from .autoencoders import _mlp

__all__ = ["RepresentationAutoencoder", "MLPRepresentationAutoencoder", "identity_init"]


def identity_init(module):
    """Initialise ``module``'s ``Linear`` layers as TensorFlow's identity: ones on the diagonal.

    Each weight, of shape ``(out, in)``, is the rectangular identity (ones
    at ``[k, k]``, zeros elsewhere) and each bias zero, as the embedding-space
    author's code initialises its representation network.  Through ReLUs only
    the first ``min(widths)`` units of every layer can then ever be non-zero
    (the others have a zero input and a zero ReLU gradient), so such a network
    stays as narrow as its input.

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
    >>> identity_init(torch.nn.Linear(2, 3)).weight
    Parameter containing:
    tensor([[1., 0.],
            [0., 1.],
            [0., 0.]], requires_grad=True)
    """
    for layer in module.modules():
        if isinstance(layer, nn.Linear):
            with torch.no_grad():
                nn.init.eye_(layer.weight)
                if layer.bias is not None:
                    nn.init.zeros_(layer.bias)
    return module


class RepresentationAutoencoder(nn.Module):
    """A denoising autoencoder ``x -> z -> x^`` and a representation network ``z -> e``.

    ``forward`` returns the latent ``"latent"`` (``z``), the embedding
    ``"embedding"`` (``e``, the clustering features; ``encode`` gives it) and
    the reconstruction (``"reconstruction"``, with ``"reconstruction_logits"``
    when the decoder ends in a sigmoid, for a Bernoulli likelihood).  In
    training mode the encoder sees the input plus Gaussian noise of standard
    deviation ``noise`` (clipped to [0, 1] for a Bernoulli likelihood) and the
    decoder reconstructs the clean input.

    The gradient reaching the encoder through ``"latent"`` and ``"embedding"``
    is multiplied by ``latent_gradient_scale`` (that through the
    reconstruction is not): a loss of ``z`` and ``e`` then trains the
    representation network at full weight and the encoder at that fraction
    (the embedding-space method's 0.01).

    Parameters
    ----------
    encoder, decoder, representation : torch.nn.Module
        The decoder ends linear (the sigmoid is added for ``bernoulli``).
    noise : float, default=0.0
        Standard deviation of the training-time input noise.
    bernoulli : bool, default=False
        Follow the decoder with a sigmoid.
    latent_gradient_scale : float, default=1.0
    """

    def __init__(self, encoder, decoder, representation, *, noise=0.0, bernoulli=False,
                 latent_gradient_scale=1.0):
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder
        self.representation = representation
        self.noise = float(noise)
        self.latent_gradient_scale = float(latent_gradient_scale)
        # A buffer, so that weights-only loading restores the likelihood with the weights.
        self.register_buffer("bernoulli", torch.tensor(bool(bernoulli)))
        self.sigmoid_output = bool(bernoulli)  # read in forward without a device sync

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
        self.sigmoid_output = bool(self.bernoulli)

    def encode_latent(self, x):
        """The autoencoder's latent ``z`` (no noise)."""
        return self.encoder(x)

    def encode(self, x):
        """The embedding ``e = h(z)``: the clustering features."""
        return self.representation(self.encoder(x))

    def corrupt(self, x):
        """The encoder's input in training: ``x`` plus noise (clipped to [0, 1] if Bernoulli)."""
        if not (self.training and self.noise > 0):
            return x
        noisy = x + self.noise * torch.randn_like(x)
        return noisy.clamp(0.0, 1.0) if self.sigmoid_output else noisy

    def forward(self, x):
        z = self.encoder(self.corrupt(x))
        out = self.decoder(z)
        routed = scale_gradient(z, self.latent_gradient_scale)
        outputs = {"latent": routed, "embedding": self.representation(routed)}
        if self.sigmoid_output:
            outputs.update(reconstruction=torch.sigmoid(out), reconstruction_logits=out)
        else:
            outputs["reconstruction"] = out
        return outputs


class MLPRepresentationAutoencoder(RepresentationAutoencoder):
    """Fully connected: the autoencoder ``d-500-500-2000-10`` and its mirror, and ``10-2000-500-500-10``.

    ReLU after every hidden layer; the latent, the embedding and the
    decoder's output are linear.

    Parameters
    ----------
    input_dim : int
        Number of input features ``d``.
    hidden_dims : tuple of int, default=(500, 500, 2000)
        Widths of the encoder's hidden layers; the decoder mirrors them.
    embedding_dim : int, default=10
        Width of the latent ``z`` and of the embedding ``e``.
    representation_dims : tuple of int, default=(2000, 500, 500)
        Widths of the representation network's hidden layers.
    **kwargs
        ``noise``, ``bernoulli``, ``latent_gradient_scale`` of
        :class:`RepresentationAutoencoder`.

    Examples
    --------
    >>> import torch
    >>> net = MLPRepresentationAutoencoder(784, bernoulli=True)
    >>> out = net(torch.zeros(3, 784))
    >>> sorted(out), out["embedding"].shape
    (['embedding', 'latent', 'reconstruction', 'reconstruction_logits'], torch.Size([3, 10]))
    """

    def __init__(self, input_dim, hidden_dims=(500, 500, 2000), embedding_dim=10,
                 representation_dims=(2000, 500, 500), **kwargs):
        sizes = [int(input_dim), *map(int, hidden_dims), int(embedding_dim)]
        representation = [int(embedding_dim), *map(int, representation_dims), int(embedding_dim)]
        super().__init__(_mlp(sizes), _mlp(sizes[::-1]), _mlp(representation), **kwargs)
