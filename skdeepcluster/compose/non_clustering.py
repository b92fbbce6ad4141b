"""Axis 3 of the taxonomy: the non-clustering losses.

Each component stores its settings and builds, with :meth:`term`, the
criterion term that the training engine adds to the clustering loss.  A term
that needs the training data (VAT's neighbour distances, DEN's neighbours)
computes it from ``X_train`` when the fit starts.
"""

import numpy as np
import torch

from ..losses.adversarial import VirtualAdversarialTerm, kth_neighbor_distances
from ..losses.balanced import LayerwiseReconstructionTerm
from ..losses.combined import ReconstructionTerm
from ..losses.locality import GroupSparsityTerm, LocalityPreservingTerm, heat_kernel
from ..losses.variational import ELBOReconstructionTerm
from ..rows import host_array
from ._base import Component

__all__ = [
    "Reconstruction",
    "ELBOReconstruction",
    "VirtualAdversarial",
    "LocalityPreservation",
    "GroupSparsity",
    "LayerwiseReconstruction",
]


class Reconstruction(Component):
    """The autoencoder's reconstruction error, ``weight * MSE(x, g(.))``.

    Parameters
    ----------
    weight : float, default=1.0
        Weight of the term in the clustering phase.
    reduction : {"mean", "sum"}, default="mean"
        Squared error averaged over samples and features, or summed over the
        features and averaged over the samples (DCN's scale).
    source : {"embedding", "assigned_centers"}, default="embedding"
        What the decoder reconstructs from: each sample's embedding, or its
        assigned mixture centre (DMAE; needs
        :class:`DissimilarityMixtureLoss`).
    """

    needs_decoder = True
    needs_assignments = False

    def __init__(self, weight=1.0, *, reduction="mean", source="embedding"):
        self.weight = weight
        self.reduction = reduction
        self.source = source

    def term(self, output="reconstruction", estimator=None, X_train=None):
        """The criterion term reading the network output ``output``."""
        return ReconstructionTerm(self.weight, self.reduction, output)


class LayerwiseReconstruction(Component):
    """DEPICT's reconstruction of every layer: the noisy decoder's layers against the clean encoder's.

    ``weight * [mean(x^ - x)^2 + layer_weight * sum_l mean(z^_l - z_l)^2]``
    (:func:`~skdeepcluster.losses.layerwise_reconstruction_loss`), where
    ``z_l`` are the clean encoder's hidden layers and ``x^``, ``z^_l`` the
    decoder's layers from the noisy (dropout) embedding of
    :class:`NoisyAutoencoderNetwork`; on a network that gives no hidden
    layers it is the plain reconstruction error.  It is also what the
    network pretrains on, in place of the plain reconstruction.

    Parameters
    ----------
    weight : float, default=1.0
        Weight of the term in the clustering phase.
    layer_weight : float, default=0.1
        Weight of each hidden layer's error against the input's 1 (the
        authors' code).
    """

    needs_decoder = True
    needs_assignments = False
    source = "embedding"
    # The schedule's pretraining minimises this term instead of the plain reconstruction.
    pretrains = True

    def __init__(self, weight=1.0, *, layer_weight=0.1):
        self.weight = weight
        self.layer_weight = layer_weight

    def term(self, output="reconstruction", estimator=None, X_train=None):
        """The criterion term reading the network's layers."""
        return LayerwiseReconstructionTerm(self.weight, self.layer_weight)


class ELBOReconstruction(Component):
    """The reconstruction term of a variational ELBO: ``weight * E_q[-log p(x | z)]``.

    The negative log-likelihood of the input under the decoder's output for
    one latent drawn from ``q(z | x)``, summed over the features and averaged
    over the batch: Bernoulli (cross-entropy) for a network with a sigmoid
    decoder, a unit Gaussian (half the squared error) otherwise (see
    :class:`VariationalAutoencoderNetwork`'s ``likelihood``).  With
    :class:`MixturePriorKL` it makes VaDE's negative ELBO.

    Parameters
    ----------
    weight : float, default=1.0
        Weight of the term (1 in the ELBO).
    """

    needs_decoder = True
    source = "embedding"

    def __init__(self, weight=1.0):
        self.weight = weight

    def term(self, output="reconstruction", estimator=None, X_train=None):
        """The criterion term reading the network output ``output``."""
        return ELBOReconstructionTerm(self.weight, output)


class VirtualAdversarial(Component):
    """Virtual adversarial training (VAT): assignments that resist small input perturbations.

    ``weight * KL(p(x) || p(x + r_adv))``, where ``r_adv`` is the
    perturbation of each sample that changes its soft assignments most (one
    power iteration from a random direction, probe length ``xi``), of length
    ``eps_scale`` times the sample's distance to its ``n_neighbors``-th
    nearest other training sample (IMSAT's self-augmented training,
    :func:`~skdeepcluster.losses.virtual_adversarial_loss`).  The distances
    are computed once at the start of training, by exact brute force over
    the whole training set (:func:`~skdeepcluster.losses.kth_neighbor_distances`:
    quadratic in the number of samples).  The extra passes use batch
    statistics without moving BatchNorm's running averages.

    Needs soft assignments: a softmax-head network
    (:class:`SoftmaxHeadNetwork`) or a clustering loss that reads softmax
    assignments (:class:`MutualInformation`, :class:`CauchySchwarz`).  Each
    step costs about two more forward passes and one more backward pass.

    Parameters
    ----------
    weight : float, default=1.0
        Weight of the term.
    xi : float, default=10.0
        Length of the probe ``xi * d`` of the power iteration (IMSAT's code;
        the VAT paper uses 1e-6 on inputs of another scale).
    eps_scale : float, default=0.25
        Each perturbation's length as a fraction of the sample's
        neighbour distance.
    n_neighbors : int, default=10
        Which neighbour's distance scales the perturbation: the 10th nearest
        other sample (the IMSAT paper's); the authors' code takes the 11th.
    n_power_iterations : int, default=1
        Power iterations of the direction search.
    """

    needs_decoder = False
    needs_assignments = True
    source = None

    def __init__(self, weight=1.0, *, xi=10.0, eps_scale=0.25, n_neighbors=10,
                 n_power_iterations=1):
        self.weight = weight
        self.xi = xi
        self.eps_scale = eps_scale
        self.n_neighbors = n_neighbors
        self.n_power_iterations = n_power_iterations

    def term(self, output=None, estimator=None, X_train=None):
        """The criterion term; with ``X_train``, its neighbour distances are computed."""
        distances = None
        if X_train is not None:
            estimator._say(
                f"computing each sample's distance to its {_ordinal(self.n_neighbors)} "
                "nearest neighbour (the scale of its VAT perturbation)"
            )
            distances = kth_neighbor_distances(
                X_train, self.n_neighbors, estimator.device_,
                batch_size=estimator._inference_batch_size // 2,
            )
        return VirtualAdversarialTerm(
            self.weight, xi=self.xi, eps_scale=self.eps_scale,
            n_power_iterations=self.n_power_iterations, distances=distances,
        )


class LocalityPreservation(Component):
    """DEN's locality preservation: input neighbours stay close in the embedding.

    ``weight * mean_i sum_j w_ij ||z_i - z_j||^2`` over each sample's
    ``n_neighbors`` nearest other training samples in the input, with the
    heat kernel ``w_ij = exp(-||x_i - x_j||^2 / t)``
    (:func:`~skdeepcluster.losses.locality_preserving_loss`).  The neighbours
    are found once, at the start of training, by scikit-learn's
    :class:`~sklearn.neighbors.NearestNeighbors` on the training data; each
    step encodes the batch's neighbours too (the term is handed the network).

    Parameters
    ----------
    weight : float, default=0.5
        Weight of the term.
    n_neighbors : int, default=2
        Neighbours of each sample, itself excluded (at most the other
        training samples).
    t : float or "auto", default="auto"
        Width of the heat kernel; ``"auto"`` is the mean squared distance of
        the training samples to their neighbours, so that a typical pair
        weighs ``exp(-1)``.
    """

    needs_decoder = False
    source = None

    def __init__(self, weight=0.5, *, n_neighbors=2, t="auto"):
        self.weight = weight
        self.n_neighbors = n_neighbors
        self.t = t

    def term(self, output=None, estimator=None, X_train=None):
        """The criterion term; with ``X_train``, each sample's neighbours are found."""
        if X_train is None:
            return LocalityPreservingTerm(self.weight)
        from sklearn.neighbors import NearestNeighbors

        n_neighbors = min(self.n_neighbors, X_train.shape[0] - 1)  # tiny data: all the others
        estimator._say(
            f"finding each sample's {n_neighbors} nearest neighbours in the input "
            "(DEN's locality preservation)"
        )
        X = host_array(X_train)
        if X.ndim > 2:  # images: neighbours over the flat pixels
            X = X.reshape(len(X), -1)
        distances, neighbors = NearestNeighbors(n_neighbors=n_neighbors).fit(X).kneighbors()
        squared = distances.astype(np.float64) ** 2
        t = float(squared.mean()) if self.t == "auto" else float(self.t)
        weights = heat_kernel(torch.as_tensor(squared, dtype=torch.float32), max(t, 1e-12))
        return LocalityPreservingTerm(
            self.weight, torch.as_tensor(neighbors, dtype=torch.long), weights, rows=X_train,
        )


class GroupSparsity(Component):
    """DEN's group sparsity: a group lasso over one slice of the embedding per cluster.

    ``weight * mean_i sum_g sqrt(n_g) ||z_i[g]||`` with the embedding cut
    into ``n_clusters`` slices as equal as its width allows
    (:func:`~skdeepcluster.losses.group_sparsity_loss`), so that each sample
    lights up few slices.

    Parameters
    ----------
    weight : float, default=1.0
        Weight of the term.
    """

    needs_decoder = False
    source = None

    def __init__(self, weight=1.0):
        self.weight = weight

    def term(self, output=None, estimator=None, X_train=None):
        """The criterion term, with one group per cluster of ``estimator``."""
        n_groups = None if estimator is None else estimator.n_clusters
        return GroupSparsityTerm(self.weight, n_groups)


def _ordinal(n):
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
