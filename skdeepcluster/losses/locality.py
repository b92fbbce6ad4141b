"""DEN's regularisers of the embedding: locality preservation and group sparsity.

Deep Embedding Network (Huang et al., "Deep Embedding Network for
Clustering", ICPR 2014) trains an autoencoder with two more terms: samples
that are neighbours in the input stay close in the embedding, weighted by a
heat kernel of their input distance, and the embedding, cut into one group
of units per cluster, pays a group lasso so that each sample lights up few
groups.  Pure functions of tensors.
"""

import math

import torch

__all__ = ["locality_preserving_loss", "group_sparsity_loss", "heat_kernel"]


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
