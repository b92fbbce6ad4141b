"""Clustering heads: the modules that sit on a network's features and assign clusters.

Each wraps a network (``encode(x)``, ``forward(x) -> dict``) and adds the
clustering parameters of one family of clustering losses: Student's t
centroids (DEC's hardening), k-means centroids and counts (DCN), a
dissimilarity mixture (DMAE), centroids on the unit sphere (the
discriminative latent space method), a softmax layer (DDC's head on an
autoencoder) or a Gaussian-mixture prior on a variational autoencoder's
latent space (VaDE).  ``assign(z)`` gives the soft assignments of features ``z``.
"""

import torch
from torch import nn
from torch.nn import functional as F

from ..dissimilarities import pairwise_dissimilarities
from ..losses.hardening import student_t_assignments, student_t_kernel
from ..losses.kmeans import squared_distances
from ..losses.mixture import mixture_assignments
from ..losses.variational import mixture_log_responsibilities
from .autoencoders import float32_head

__all__ = [
    "StudentTClusteringModule",
    "KMeansClusteringModule",
    "DissimilarityMixture",
    "DMAEModule",
    "CosineClusteringModule",
    "SoftmaxClusteringModule",
    "MixturePriorModule",
]


class StudentTClusteringModule(nn.Module):
    """An autoencoder with trainable centroids and Student's t soft assignments.

    The network of DEC (``reconstruct=False``: the decoder is not run) and of
    IDEC (``reconstruct=True``).

    Parameters
    ----------
    autoencoder : Autoencoder
        The (pretrained) autoencoder.
    centers : torch.Tensor of shape (n_clusters, embedding_dim)
        Initial centroids, trained by backpropagation.
    alpha : float, default=1.0
        Degrees of freedom of the Student's t kernel.
    reconstruct : bool, default=False
        Whether to run the decoder in ``forward``.
    dissimilarity : callable or None, default=None
        ``d(z, mu)`` in place of the squared Euclidean distance in the kernel
        (see :func:`~skdeepcluster.losses.student_t_kernel`); None is DEC's.
    """

    def __init__(self, autoencoder, centers, alpha=1.0, reconstruct=False, dissimilarity=None):
        super().__init__()
        self.autoencoder = autoencoder
        self.centers = nn.Parameter(torch.as_tensor(centers, dtype=torch.float32).clone())
        self.alpha = float(alpha)
        self.reconstruct = reconstruct
        self.dissimilarity = dissimilarity

    def encode(self, x):
        return self.autoencoder.encode(x)

    @float32_head
    def assign(self, z):
        if self.dissimilarity is None:
            return student_t_assignments(z, self.centers, self.alpha)
        distances = pairwise_dissimilarities(self.dissimilarity, z, self.centers)
        return student_t_kernel(distances.clamp_min(0.0), self.alpha)

    def forward(self, x):
        if self.reconstruct:
            out = self.autoencoder(x)
        else:
            out = {"embedding": self.autoencoder.encode(x)}
        out["assignments"] = self.assign(out["embedding"])
        return out


class KMeansClusteringModule(nn.Module):
    """An autoencoder with k-means centroids, as DCN trains it.

    The centroids and their counts are buffers: the alternating-update schedule
    moves them (:func:`count_based_center_update`), backpropagation does not.
    Soft assignments for ``predict_proba`` are
    ``softmax_k(-||z - mu_k||^2)``, Gaussian responsibilities of unit variance
    with equal weights: their argmax is the nearest centroid, which is the
    hard DCN assignment.

    Parameters
    ----------
    autoencoder : Autoencoder
        The (pretrained) autoencoder; it must have a decoder.
    centers : array-like of shape (n_clusters, embedding_dim)
        Initial centroids.
    initial_count : int, default=100
        Initial value of every cluster's count ``c_k`` (100 in the authors'
        code: a new sample first moves its centroid by 1/101 of the gap).
    """

    def __init__(self, autoencoder, centers, initial_count=100):
        super().__init__()
        self.autoencoder = autoencoder
        centers = torch.as_tensor(centers, dtype=torch.float32).clone()
        self.register_buffer("centers", centers)
        self.register_buffer(
            "counts", torch.full((centers.shape[0],), int(initial_count), dtype=torch.int64)
        )
        self.initial_count = int(initial_count)

    def encode(self, x):
        return self.autoencoder.encode(x)

    @float32_head
    def assign(self, z):
        return torch.softmax(-squared_distances(z, self.centers.to(z.dtype)), dim=1)

    def forward(self, x):
        if self.autoencoder.decoder is None:
            return {"embedding": self.autoencoder.encode(x)}
        return self.autoencoder(x)


def _gram(factor):
    return factor @ factor.transpose(-1, -2)


class DissimilarityMixture(nn.Module):
    """The mixture layer: soft assignments and assigned parameters.

    Holds the trainable centres ``theta_k``, any other per-cluster parameter
    the dissimilarity reads (the Mahalanobis precision ``P_k``, learnt
    through its factor ``W_k`` so that it stays positive semi-definite), and
    the mixing weights ``pi = softmax(mixing_logits)``.

    Parameters
    ----------
    centers : array-like of shape (n_clusters, n_features)
        Initial centres.
    dissimilarity : callable
        ``d(z, theta, **cluster_parameters)``, hyper-parameters bound.
    alpha : float, default=100.0
        Inverse temperature of the assignments.
    precision_factors : array-like of shape (n_clusters, n_features, n_features), default=None
        Initial ``W_k`` for a dissimilarity that reads ``precision``.
    trainable_weights : bool, default=False
        Whether the mixing weights are learnt (otherwise uniform, a buffer).
    """

    def __init__(
        self, centers, dissimilarity, alpha=100.0, precision_factors=None, trainable_weights=False
    ):
        super().__init__()
        self.centers = nn.Parameter(torch.as_tensor(centers, dtype=torch.float32).clone())
        n_clusters = self.centers.shape[0]
        self.precision_factors = (
            None
            if precision_factors is None
            else nn.Parameter(torch.as_tensor(precision_factors, dtype=torch.float32).clone())
        )
        logits = torch.zeros(n_clusters)
        if trainable_weights:
            self.mixing_logits = nn.Parameter(logits)
        else:
            self.register_buffer("mixing_logits", logits)
        self.dissimilarity = dissimilarity
        self.alpha = float(alpha)

    def cluster_parameters(self):
        """The per-cluster parameters the dissimilarity reads besides the centre."""
        if self.precision_factors is None:
            return {}
        return {"precision": _gram(self.precision_factors)}

    @property
    def weights(self):
        """Mixing weights ``pi_k`` (they sum to one)."""
        return torch.softmax(self.mixing_logits, dim=0)

    @float32_head
    def assignments(self, z):
        """Soft assignments ``s`` of embeddings ``z``, shape ``(n, n_clusters)``."""
        d = pairwise_dissimilarities(self.dissimilarity, z, self.centers, **self.cluster_parameters())
        return mixture_assignments(d, self.alpha, torch.log_softmax(self.mixing_logits, dim=0))

    @float32_head
    def forward(self, z):
        parameters = self.cluster_parameters()
        d = pairwise_dissimilarities(self.dissimilarity, z, self.centers, **parameters)
        s = mixture_assignments(d, self.alpha, torch.log_softmax(self.mixing_logits, dim=0))
        out = {
            "assignments": s,
            "assigned_centers": s @ self.centers,
            "assigned_weights": s @ self.weights,
        }
        for name, value in parameters.items():
            out["assigned_" + name] = torch.einsum("nk,k...->n...", s, value)
        return out


class DMAEModule(nn.Module):
    """Encoder, mixture layer and a decoder that reconstructs from the assigned centre.

    ``forward`` returns the embedding, the assignments, the assigned
    parameters and (with ``reconstruct=True``) ``decoder(theta~)``.

    Parameters
    ----------
    autoencoder : Autoencoder
        Its encoder maps inputs to the mixture's space (``nn.Identity`` for
        the shallow DMM); its decoder, if any, maps assigned centres back.
    mixture : DissimilarityMixture
        The mixture layer.
    reconstruct : bool, default=True
        Whether ``forward`` runs the decoder on the assigned centres
        (``"reconstruction"``).
    reconstruct_embedding : bool, default=False
        Whether ``forward`` also runs the decoder on the embeddings
        themselves (``"embedding_reconstruction"``), for
        :class:`DMAELoss`'s ``embedding_reconstruction_weight``.
    """

    def __init__(self, autoencoder, mixture, reconstruct=True, reconstruct_embedding=False):
        super().__init__()
        self.autoencoder = autoencoder
        self.mixture = mixture
        self.reconstruct = reconstruct
        self.reconstruct_embedding = reconstruct_embedding

    @property
    def centers(self):
        return self.mixture.centers

    def encode(self, x):
        return self.autoencoder.encode(x)

    def assign(self, z):
        return self.mixture.assignments(z)

    def forward(self, x):
        z = self.encode(x)
        out = self.mixture(z)
        out["embedding"] = z
        if self.reconstruct:
            out["reconstruction"] = self.autoencoder.decoder(out["assigned_centers"])
        if self.reconstruct_embedding:
            out["embedding_reconstruction"] = self.autoencoder.decoder(z)
        return out


class CosineClusteringModule(nn.Module):
    """An autoencoder with centroids on the unit sphere, assigning by maximal cosine.

    ``encode`` returns the *normalised* embedding ``zbar``, the space the
    clusters live in; ``assign`` returns ``softmax_k(cos(z, mu_k) / temperature)``,
    whose argmax is the most similar centroid.

    Parameters
    ----------
    autoencoder : skdeepcluster.networks.Autoencoder
        The (pretrained) autoencoder.
    centers : array-like of shape (n_clusters, embedding_dim)
        Initial centroids, trained by backpropagation and used normalised.
    temperature : float, default=0.1
        Temperature of the soft assignments.
    reconstruct : bool, default=True
        Whether ``forward`` runs the decoder.
    """

    def __init__(self, autoencoder, centers, temperature=0.1, reconstruct=True):
        super().__init__()
        self.autoencoder = autoencoder
        self.centers = nn.Parameter(torch.as_tensor(centers, dtype=torch.float32).clone())
        self.temperature = float(temperature)
        self.reconstruct = reconstruct

    def normalized_centers(self):
        return F.normalize(self.centers, dim=1)

    def encode(self, x):
        return F.normalize(self.autoencoder.encode(x), dim=1)

    @float32_head
    def similarities(self, z):
        """Cosine similarities of (normalised) embeddings to the centroids."""
        return F.normalize(z, dim=1) @ self.normalized_centers().T

    def assign(self, z):
        return torch.softmax(self.similarities(z) / self.temperature, dim=1)

    def forward(self, x):
        if self.reconstruct:
            out = self.autoencoder(x)
        else:
            out = {"embedding": self.autoencoder.encode(x)}
        out["similarities"] = self.similarities(out["embedding"])
        out["centers"] = self.centers
        return out


class SoftmaxClusteringModule(nn.Module):
    """A network with a softmax layer on its features: ``softmax(W z + b)``.

    DDC's head put on any network (an autoencoder, say): ``forward`` adds
    ``"assignments"`` to the network's outputs, and its ``"embedding"`` is
    the features a kernel-based loss compares.

    Parameters
    ----------
    autoencoder : torch.nn.Module
        The network; ``encode(x)`` gives its features.
    n_features : int
        Width of the features.
    n_clusters : int
        Number of softmax outputs.
    reconstruct : bool, default=True
        Whether ``forward`` runs the network's decoder.

    Examples
    --------
    >>> import torch
    >>> from skdeepcluster.networks import MLPAutoencoder
    >>> head = SoftmaxClusteringModule(MLPAutoencoder(4, (8,), 2), 2, n_clusters=3)
    >>> head(torch.zeros(5, 4))["assignments"].shape
    torch.Size([5, 3])
    """

    def __init__(self, autoencoder, n_features, n_clusters, reconstruct=True):
        super().__init__()
        self.autoencoder = autoencoder
        self.output = nn.Linear(int(n_features), int(n_clusters))
        self.reconstruct = reconstruct

    def encode(self, x):
        return self.autoencoder.encode(x)

    @float32_head
    def assign(self, z):
        return torch.softmax(self.output(z), dim=-1)

    def forward(self, x):
        if self.reconstruct:
            out = self.autoencoder(x)
        else:
            out = {"embedding": self.autoencoder.encode(x)}
        out["assignments"] = self.assign(out["embedding"])
        return out


class MixturePriorModule(nn.Module):
    """A variational autoencoder with a Gaussian-mixture prior on its latent space (VaDE).

    The prior ``p(c) = pi_c``, ``p(z | c) = N(mu_c, diag lam_c)`` has free
    parameters: ``pi = softmax(mixing_logits)`` stays on the simplex and
    ``lam = exp(log_variances)`` positive.  In training ``forward`` draws one
    latent ``z = mu~ + exp(log var~ / 2) * eps`` per sample (the
    reparameterisation), decodes it and gives its responsibilities
    ``g = p(c | z)``; in evaluation ``z`` is the mean ``mu~``, so the
    assignments are those of ``predict``.

    Parameters
    ----------
    vae : VariationalAutoencoder
        The (pretrained) network: ``encode_distribution(x)``, ``encode(x)``
        (the mean) and ``decode(z)``.
    means, variances : array-like of shape (n_clusters, embedding_dim)
        Initial ``mu_c`` and ``lam_c``.
    weights : array-like of shape (n_clusters,), default=None
        Initial ``pi_c``; None is uniform.
    reconstruct : bool, default=True
        Whether ``forward`` decodes the latent.
    """

    def __init__(self, vae, means, variances, weights=None, reconstruct=True):
        super().__init__()
        self.vae = vae
        means = torch.as_tensor(means, dtype=torch.float32).clone()
        self.means = nn.Parameter(means)
        self.log_variances = nn.Parameter(
            torch.log(torch.as_tensor(variances, dtype=torch.float32)).clone()
        )
        logits = torch.zeros(means.shape[0]) if weights is None else torch.log(
            torch.as_tensor(weights, dtype=torch.float32)
        )
        self.mixing_logits = nn.Parameter(logits.clone())
        self.reconstruct = reconstruct

    @property
    def centers(self):
        return self.means

    @property
    def weights(self):
        """Mixing weights ``pi_c`` (they sum to one)."""
        return torch.softmax(self.mixing_logits, dim=0)

    @property
    def decoder(self):
        return self.vae.decoder

    def encode(self, x):
        return self.vae.encode(x)

    @float32_head
    def log_assign(self, z):
        """``log p(c | z)``, shape ``(n, n_clusters)``."""
        return mixture_log_responsibilities(
            z, torch.log_softmax(self.mixing_logits, dim=0), self.means, self.log_variances
        )

    def assign(self, z):
        return self.log_assign(z).exp()

    def decode(self, z):
        """The decoder's outputs for latents ``z`` (see :meth:`VariationalAutoencoder.decode`)."""
        return self.vae.decode(z)

    def forward(self, x):
        mean, log_variance = self.vae.encode_distribution(x)
        z = mean
        if self.training:
            z = mean + torch.exp(0.5 * log_variance) * torch.randn_like(mean)
        log_g = self.log_assign(z)
        out = {
            "embedding": mean, "log_variance": log_variance, "log_assignments": log_g,
            "assignments": log_g.exp(),
            "prior_log_weights": torch.log_softmax(self.mixing_logits, dim=0),
            "prior_means": self.means, "prior_log_variances": self.log_variances,
        }
        if self.reconstruct:
            out.update(self.vae.decode(z))
        return out
