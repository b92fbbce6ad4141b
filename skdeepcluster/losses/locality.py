"""DEN's regularisers of the embedding: locality preservation and group sparsity.

Deep Embedding Network (Huang et al., "Deep Embedding Network for
Clustering", ICPR 2014) trains an autoencoder with two more terms: samples
that are neighbours in the input stay close in the embedding, weighted by a
heat kernel of their input distance, and the embedding, cut into one group
of units per cluster, pays a group lasso so that each sample lights up few
groups.  Pure functions of tensors.
"""

import math

import numpy as np
import torch
from torch import nn

__all__ = [
    "locality_preserving_loss",
    "group_sparsity_loss",
    "heat_kernel",
    "LocalityPreservingTerm",
    "GroupSparsityTerm",
]


def heat_kernel(squared_distances, t=1.0):
    """``exp(-d / t)`` of squared input distances ``d``: the weight of a pair of neighbours.

    Examples
    --------
    >>> import torch
    >>> heat_kernel(torch.tensor([0.0, 2.0]), t=2.0)
    tensor([1.0000, 0.3679])
    """
    return torch.exp(-squared_distances / t)


def locality_preserving_loss(embedding, neighbour_embeddings, weights):
    """``mean_i sum_j w_ij ||z_i - z_j||^2`` over each sample's neighbours ``j``.

    Parameters
    ----------
    embedding : torch.Tensor of shape (n_samples, n_dims)
        The embeddings ``z_i`` of a batch.
    neighbour_embeddings : torch.Tensor of shape (n_samples, n_neighbors, n_dims)
        The embeddings of each sample's neighbours in the input.
    weights : torch.Tensor of shape (n_samples, n_neighbors)
        The weight of each pair, such as :func:`heat_kernel` of their
        squared input distance.

    Returns
    -------
    loss : torch.Tensor
        A scalar.

    Examples
    --------
    >>> import torch
    >>> z = torch.tensor([[0.0, 0.0], [1.0, 1.0]])
    >>> neighbours = torch.tensor([[[1.0, 0.0]], [[1.0, 3.0]]])
    >>> locality_preserving_loss(z, neighbours, torch.tensor([[1.0], [0.5]]))
    tensor(1.5000)
    """
    squared = (embedding.unsqueeze(1) - neighbour_embeddings).pow(2).sum(dim=2)
    return (weights * squared).sum(dim=1).mean()


def group_sparsity_loss(embedding, group_sizes):
    """``mean_i sum_g sqrt(n_g) ||z_i[g]||``: a group lasso over slices of the embedding.

    Parameters
    ----------
    embedding : torch.Tensor of shape (n_samples, n_dims)
        The embeddings of a batch.
    group_sizes : sequence of int
        The widths ``n_g`` of consecutive groups of units; they sum to
        ``n_dims``.

    Returns
    -------
    loss : torch.Tensor
        A scalar.

    Examples
    --------
    >>> import torch
    >>> z = torch.tensor([[3.0, 4.0, 1.0], [0.0, 0.0, -2.0]])
    >>> group_sparsity_loss(z, [2, 1])  # (sqrt(2) * 5 + 1 + 2) / 2
    tensor(5.0355)
    """
    if sum(group_sizes) != embedding.shape[1]:
        raise ValueError(
            f"the groups' widths {list(group_sizes)} add up to {sum(group_sizes)}, not to the "
            f"embedding's {embedding.shape[1]} dimensions."
        )
    total = embedding.new_zeros(())
    for group in torch.split(embedding, list(group_sizes), dim=1):
        # the small constant keeps the gradient of the norm finite at zero
        norms = (group.pow(2).sum(dim=1) + 1e-10).sqrt()
        total = total + math.sqrt(group.shape[1]) * norms.sum()
    return total / embedding.shape[0]


class LocalityPreservingTerm(nn.Module):
    """``weight * mean_i sum_j w_ij ||f(x_i) - f(x_j)||^2`` of a batch, for the engine's criterion.

    Each training sample's input neighbours and their weights are fixed at
    the start of training; the term encodes the neighbours of the batch's
    samples with the network it is handed (it declares ``needs_network``).

    Parameters
    ----------
    weight : float, default=1.0
        Weight of the term.
    neighbors : torch.Tensor of shape (n_samples, n_neighbors) or None
        Indices of each training sample's neighbours; None for a term that
        is not trained (a loaded model's).
    weights : torch.Tensor of shape (n_samples, n_neighbors) or None
        The weight of each pair (:func:`heat_kernel` of their distance).
    rows : tensor or row container, default=None
        The training samples, indexed by ``neighbors`` (not pickled).
    output : str, default="embedding"
        The network output holding the embedding.
    """

    needs_network = True

    def __init__(self, weight=1.0, neighbors=None, weights=None, rows=None, output="embedding"):
        super().__init__()
        self.weight = weight
        self.neighbors = neighbors
        self.weights = weights
        self.rows = rows
        self.output = output

    def __getstate__(self):
        # the training data stay out of a pickled model; a loaded term does not train
        state = super().__getstate__() if hasattr(super(), "__getstate__") else dict(self.__dict__)
        return {**state, "rows": None}

    def forward(self, outputs, X, indices, network=None):
        if network is None or self.rows is None:
            raise RuntimeError(
                "LocalityPreservingTerm needs the network and the training samples' neighbours."
            )
        embedding = outputs[self.output]
        neighbors = self.neighbors[indices.cpu()]
        rows = self.rows[neighbors.reshape(-1)].to(X.device, X.dtype)
        encoded = network.encode(rows).reshape(*neighbors.shape, -1)
        weights = self.weights[indices.cpu()].to(embedding.device, embedding.dtype)
        return self.weight * locality_preserving_loss(embedding, encoded, weights)


class GroupSparsityTerm(nn.Module):
    """``weight * `` :func:`group_sparsity_loss` of the embedding cut into ``n_groups`` slices.

    Parameters
    ----------
    weight : float, default=1.0
        Weight of the term.
    n_groups : int or None
        Number of groups (as equal as the width allows); None for a term that
        is not trained.
    output : str, default="embedding"
        The network output holding the embedding.
    """

    def __init__(self, weight=1.0, n_groups=None, output="embedding"):
        super().__init__()
        self.weight = weight
        self.n_groups = n_groups
        self.output = output

    def forward(self, outputs, X, indices):
        embedding = outputs[self.output]
        width = embedding.shape[1]
        sizes = [len(part) for part in np.array_split(np.arange(width), self.n_groups)]
        return self.weight * group_sparsity_loss(embedding, sizes)
