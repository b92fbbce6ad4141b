"""DMAE's dissimilarity-mixture loss, as functions of tensors.

The soft assignments ``s_ik = softmax_k(-alpha d(z_i, theta_k) + log pi_k)``
and the DMM loss ``mean_i [d(z_i, theta~_i) - log(pi~_i) / alpha]`` (Lara and
González, "Dissimilarity Mixture Autoencoder for Deep Clustering").  The
dissimilarities themselves live in :mod:`skdeepcluster.dissimilarities`.
"""

import torch
from torch import nn

__all__ = [
    "mixture_assignments",
    "dmm_loss",
    "DMAELoss",
]

def mixture_assignments(dissimilarities, alpha, log_weights):
    """Soft assignments ``s_ik = softmax_k(-alpha * d_ik + log pi_k)`` (DMAE, eq. 15).

    Parameters
    ----------
    dissimilarities : torch.Tensor of shape (n_samples, n_clusters)
        ``d(z_i, theta_k)``.
    alpha : float
        Inverse temperature: the larger, the closer to hard assignments.
    log_weights : torch.Tensor of shape (n_clusters,)
        Logarithms of the mixing weights ``pi_k``.

    Returns
    -------
    s : torch.Tensor of shape (n_samples, n_clusters)
        Rows sum to one.

    Examples
    --------
    >>> import math, torch
    >>> d = torch.tensor([[0.0, math.log(3.0)]])
    >>> mixture_assignments(d, 1.0, torch.zeros(2))  # weights 1 and 1/3
    tensor([[0.7500, 0.2500]])
    """
    return torch.softmax(-alpha * dissimilarities + log_weights, dim=-1)


def dmm_loss(dissimilarity, z, assigned_centers, assigned_weights, alpha, **assigned_parameters):
    """The DMM loss ``mean_i [d(z_i, theta~_i) - log(pi~_i) / alpha]`` (DMAE, eq. 12).

    The paper sums over samples; the mean makes the learning rate independent
    of the batch size.

    Parameters
    ----------
    dissimilarity : callable
        ``d(z, theta, **parameters)``, see :mod:`skdeepcluster.dissimilarities`.
    z : torch.Tensor of shape (n_samples, n_features)
        Samples (embeddings).
    assigned_centers : torch.Tensor of shape (n_samples, n_features)
        ``theta~_i = sum_k s_ik theta_k``.
    assigned_weights : torch.Tensor of shape (n_samples,)
        ``pi~_i = sum_k s_ik pi_k``.
    alpha : float
        Inverse temperature of the assignments.
    **assigned_parameters : torch.Tensor of shape (n_samples, ...)
        The other assigned parameters (``precision`` for Mahalanobis).

    Returns
    -------
    loss : torch.Tensor
        A scalar.

    Examples
    --------
    >>> import math, torch
    >>> from skdeepcluster.dissimilarities import manhattan
    >>> z = torch.tensor([[1.0, 0.0], [0.0, 0.0]])
    >>> dmm_loss(manhattan, z, torch.zeros(2, 2), torch.tensor([1.0, math.exp(-2.0)]), alpha=2.0)
    tensor(1.)
    """
    distortion = dissimilarity(z, assigned_centers, **assigned_parameters)
    return (distortion - torch.log(assigned_weights) / alpha).mean()


class DMAELoss(nn.Module):
    """DMAE's clustering term ``clustering_weight * L_DMM``.

    DMAE adds the reconstruction of each sample from its assigned centre
    (and, optionally, from its embedding) as
    :class:`~skdeepcluster.losses.ReconstructionTerm` of a
    :class:`~skdeepcluster.losses.CombinedLoss`.

    Parameters
    ----------
    dissimilarity : callable
        The mixture's dissimilarity.
    alpha : float
        The mixture's inverse temperature.
    clustering_weight : float, default=1.0
        Weight of the DMM loss.
    parameter_names : tuple of str, default=()
        Per-cluster parameters besides the centre, read from the outputs as
        ``"assigned_<name>"``.
    """

    def __init__(self, dissimilarity, alpha, clustering_weight=1.0, parameter_names=()):
        super().__init__()
        self.dissimilarity = dissimilarity
        self.alpha = float(alpha)
        self.clustering_weight = float(clustering_weight)
        self.parameter_names = tuple(parameter_names)

    def per_sample(self, outputs):
        """``d(z_i, theta~_i) - log(pi~_i) / alpha`` for each sample."""
        parameters = {name: outputs["assigned_" + name] for name in self.parameter_names}
        distortion = self.dissimilarity(outputs["embedding"], outputs["assigned_centers"], **parameters)
        return distortion - torch.log(outputs["assigned_weights"]) / self.alpha

    def forward(self, outputs, X, indices):
        return self.clustering_weight * self.per_sample(outputs).mean()
