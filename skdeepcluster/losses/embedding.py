"""The embedding-space loss: pairwise Student's t affinities of the latent space and the embedding.

Dahal ("Learning Embedding Space for Clustering From Deep Representations",
IEEE Big Data 2018) trains a representation network ``h`` that maps an
autoencoder's latent points ``z_i`` to an embedding ``e_i = h(z_i)``, as a
parametric t-SNE does: the pairwise affinities of a batch in the latent space,

``p_ij ∝ (1 + ||z_i - z_j||^2 / a)^(-(a + 1) / 2)``, ``a = 2 d``,

are the targets of those in the embedding, ``q_ij ∝ (1 + ||e_i - e_j||^2)^-1``
(a Student's t of one degree of freedom, whose heavy tails push clusters
apart), both with ``i != j``, and the loss is their cross-entropy
``L_E = -sum_ij p_ij log q_ij``.  The paper normalises each over all pairs of
the batch; the author's code normalises each column ``j`` over ``i``.
Everything here is a pure function of tensors.
"""

import torch
from torch import nn

__all__ = [
    "pairwise_squared_distances",
    "student_t_log_affinities",
    "student_t_affinities",
    "embedding_cross_entropy",
    "scale_gradient",
    "EmbeddingCrossEntropyLoss",
]

NORMALIZATIONS = ("pairs", "columns")


def pairwise_squared_distances(x):
    """``||x_i - x_j||^2`` of every pair of rows, exactly (no Gram-matrix cancellation).

    Parameters
    ----------
    x : torch.Tensor of shape (n_samples, n_dims)

    Returns
    -------
    distances : torch.Tensor of shape (n_samples, n_samples)
        Zero on the diagonal; differentiable there too.

    Examples
    --------
    >>> import torch
    >>> pairwise_squared_distances(torch.tensor([[0.0, 0.0], [3.0, 4.0]]))
    tensor([[ 0., 25.],
            [25.,  0.]])
    """
    return (x[:, None, :] - x[None, :, :]).pow(2).sum(-1)


def student_t_log_affinities(x, dof, normalization="pairs"):
    """``log p_ij`` of the Student's t affinities of the rows of ``x``, ``-inf`` on the diagonal.

    ``p_ij ∝ (1 + ||x_i - x_j||^2 / dof)^(-(dof + 1) / 2)`` for ``i != j``,
    normalised over all pairs (``"pairs"``: the entries sum to one, the
    paper's) or over each column (``"columns"``: ``sum_i p_ij = 1`` for every
    ``j``, the author's code).  Computed in log space, so no affinity
    underflows.

    Parameters
    ----------
    x : torch.Tensor of shape (n_samples, n_dims)
        At least two rows.
    dof : float
        Degrees of freedom of the Student's t kernel.
    normalization : {"pairs", "columns"}, default="pairs"

    Returns
    -------
    log_affinities : torch.Tensor of shape (n_samples, n_samples)
    """
    if normalization not in NORMALIZATIONS:
        raise ValueError(f"normalization must be 'pairs' or 'columns'; got {normalization!r}.")
    n = x.shape[0]
    if n < 2:
        raise ValueError(f"pairwise affinities need at least 2 samples; got {n}.")
    dof = float(dof)
    log_kernel = -0.5 * (dof + 1.0) * torch.log1p(pairwise_squared_distances(x) / dof)
    diagonal = torch.eye(n, dtype=torch.bool, device=x.device)
    log_kernel = log_kernel.masked_fill(diagonal, float("-inf"))
    if normalization == "pairs":
        return log_kernel - torch.logsumexp(log_kernel.reshape(-1), dim=0)
    return log_kernel - torch.logsumexp(log_kernel, dim=0, keepdim=True)


def student_t_affinities(x, dof, normalization="pairs"):
    """The Student's t affinities ``p_ij`` of the rows of ``x``, zero on the diagonal.

    See :func:`student_t_log_affinities`.

    Examples
    --------
    Three points on a line, one degree of freedom: the kernel of the pairs at
    distance 1 is ``1 / 2``, of the pair at distance 2 ``1 / 5``; the six
    off-diagonal entries sum to ``4 / 2 + 2 / 5 = 2.4``.

    >>> import torch
    >>> p = student_t_affinities(torch.tensor([[0.0], [1.0], [2.0]]), dof=1.0)
    >>> torch.allclose(p[0, 1], torch.tensor(0.5 / 2.4)), round(float(p.sum()), 6)
    (True, 1.0)
    """
    return student_t_log_affinities(x, dof, normalization).exp()


def embedding_cross_entropy(latent, embedding, latent_dof, embedding_dof=1.0,
                            normalization="pairs"):
    """``L_E = -sum_{i != j} p_ij log q_ij``: the latent affinities' cross-entropy to the embedding's.

    ``p`` are the Student's t affinities of ``latent`` with ``latent_dof``
    degrees of freedom (the paper's ``2 d``), ``q`` those of ``embedding``
    with ``embedding_dof`` (the paper's 1).  Both keep their gradient: the
    loss moves the latent points too (the author's code does not stop it).
    With ``normalization="columns"`` (the author's code) each column of ``p``
    and ``q`` sums to one and the loss sums over all columns, so it is about
    ``n_samples`` times the paper's value.  The code clips ``q`` at
    ``1e-10``; here ``log q`` is computed in log space instead.

    Parameters
    ----------
    latent : torch.Tensor of shape (n_samples, n_latent)
        The autoencoder's latent points ``z``.
    embedding : torch.Tensor of shape (n_samples, n_embedding)
        The representation network's outputs ``e``.
    latent_dof : float
        Degrees of freedom of ``p``.
    embedding_dof : float, default=1.0
        Degrees of freedom of ``q``.
    normalization : {"pairs", "columns"}, default="pairs"

    Returns
    -------
    loss : torch.Tensor
        A scalar.

    Examples
    --------
    When the embedding repeats the latent points with the same kernel, the
    loss is the entropy of ``p``; two points have two affinities of 1/2,
    whose entropy is ``log 2``.

    >>> import torch
    >>> z = torch.tensor([[0.0], [1.0]])
    >>> embedding_cross_entropy(z, z, latent_dof=1.0)
    tensor(0.6931)
    """
    p = student_t_affinities(latent, latent_dof, normalization)
    log_q = student_t_log_affinities(embedding, embedding_dof, normalization)
    # p_ii = 0: a finite log q_ii keeps 0 * log q_ii (and its gradient) zero, not nan
    diagonal = torch.eye(len(p), dtype=torch.bool, device=p.device)
    return -(p * log_q.masked_fill(diagonal, 0.0)).sum()


class _ScaleGradient(torch.autograd.Function):
    """The identity forward; the gradient times ``factor`` backward."""

    @staticmethod
    def forward(ctx, x, factor):
        ctx.factor = factor
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.factor, None


def scale_gradient(x, factor):
    """``x`` unchanged, but the gradient flowing back through it is multiplied by ``factor``.

    Routes a loss with different weights to different parts of a network:
    the representation network's embedding ``e = h(scale_gradient(z, 0.01))``
    trains ``h`` on the full gradient of a loss of ``e``, and the encoder
    before ``z`` on a hundredth of it.

    Parameters
    ----------
    x : torch.Tensor
    factor : float

    Returns
    -------
    x : torch.Tensor
        Equal to ``x``.

    Examples
    --------
    >>> import torch
    >>> x = torch.ones(2, requires_grad=True)
    >>> scale_gradient(x, 0.01).sum().backward()
    >>> x.grad
    tensor([0.0100, 0.0100])
    """
    if factor == 1:
        return x
    return _ScaleGradient.apply(x, float(factor))


class EmbeddingCrossEntropyLoss(nn.Module):
    """The criterion of the embedding-space network: :func:`embedding_cross_entropy` of a batch.

    Reads the network's outputs ``"latent"`` (``z``) and ``"embedding"``
    (``e``), in float32 whatever the training precision.

    Parameters
    ----------
    latent_dof : float or "auto"
        Degrees of freedom of the latent affinities ``p``; ``"auto"`` is twice
        the latent width (the paper's ``a = 2 d``).
    embedding_dof : float, default=1.0
        Degrees of freedom of the embedding's affinities ``q``.
    normalization : {"pairs", "columns"}, default="pairs"
    weight : float, default=1.0
        Weight of the term.

    Examples
    --------
    >>> import torch
    >>> loss = EmbeddingCrossEntropyLoss(latent_dof=1.0)
    >>> z = torch.tensor([[0.0], [1.0]])
    >>> loss({"latent": z, "embedding": z}, None, None)
    tensor(0.6931)
    """

    def __init__(self, latent_dof, embedding_dof=1.0, normalization="pairs", weight=1.0):
        super().__init__()
        self.latent_dof = latent_dof
        self.embedding_dof = embedding_dof
        self.normalization = normalization
        self.weight = weight

    def forward(self, outputs, X, indices):
        latent, embedding = outputs["latent"].float(), outputs["embedding"].float()
        if len(latent) < 2:  # a last batch of one sample has no pairs
            return embedding.sum() * 0.0
        dof = 2 * latent.shape[1] if self.latent_dof == "auto" else self.latent_dof
        return self.weight * embedding_cross_entropy(
            latent, embedding, dof, self.embedding_dof, self.normalization
        )
