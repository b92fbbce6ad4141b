"""IMSAT's clustering loss: the mutual information between inputs and cluster assignments.

Pure functions of tensors (Hu, Miyato, Tokui, Matsumoto and Sugiyama,
"Learning Discrete Representations via Information Maximizing Self-Augmented
Training", ICML 2017).  The assignments ``p`` are softmax outputs of shape
``(n, K)``, or ``(n, R, K)`` for ``R`` runs trained together; each run's
value is computed on its own and the runs' values are summed.
"""

import torch
from torch import nn

__all__ = [
    "conditional_entropy",
    "marginal_entropy",
    "information_maximization_loss",
    "MutualInformationLoss",
]

# Added inside every logarithm, as the authors' code.
_EPS = 1e-8


def _runs(p):
    """``p`` as ``(n, R, K)``: one run when it has no run axis."""
    return p[:, None] if p.dim() == 2 else p


def conditional_entropy(p, eps=_EPS):
    """``H(Y|X)``: the mean over the batch of each sample's assignment entropy, per run.

    ``H(Y|X) = -(1/n) sum_i sum_k p_ik log(p_ik + eps)``.  Low when each
    sample is assigned confidently.

    Parameters
    ----------
    p : torch.Tensor of shape (n, K) or (n, R, K)
        Soft assignments (rows sum to one).
    eps : float, default=1e-8
        Added inside the logarithm.

    Returns
    -------
    entropy : torch.Tensor of shape (R,)
        One value per run (``R = 1`` without a run axis).

    Examples
    --------
    >>> import torch
    >>> conditional_entropy(torch.tensor([[0.5, 0.5], [1.0, 0.0]]))  # (log 2 + 0) / 2
    tensor([0.3466])
    """
    p = _runs(p)
    return -(p * torch.log(p + eps)).sum(dim=-1).mean(dim=0)


def marginal_entropy(p, eps=_EPS):
    """``H(Y)``: the entropy of the batch's mean assignment, per run.

    ``H(Y) = -sum_k pbar_k log(pbar_k + eps)`` with ``pbar = (1/n) sum_i p_i``.
    High when the clusters are used equally often.

    Parameters
    ----------
    p : torch.Tensor of shape (n, K) or (n, R, K)
        Soft assignments (rows sum to one).
    eps : float, default=1e-8
        Added inside the logarithm.

    Returns
    -------
    entropy : torch.Tensor of shape (R,)

    Examples
    --------
    >>> import torch
    >>> marginal_entropy(torch.tensor([[1.0, 0.0], [0.0, 1.0]]))  # log 2
    tensor([0.6931])
    """
    mean = _runs(p).mean(dim=0)
    return -(mean * torch.log(mean + eps)).sum(dim=-1)


def information_maximization_loss(p, mu=4.0, eps=_EPS):
    """IMSAT's information term to minimise, per run: ``H(Y|X) - mu * H(Y)``.

    With ``mu = 1`` this is minus the mutual information ``I(X; Y) = H(Y) -
    H(Y|X)`` of the batch; ``mu > 1`` weighs the balance of the clusters more
    (the paper's and the authors' code's clustering setting is ``mu = 4``).

    Parameters
    ----------
    p : torch.Tensor of shape (n, K) or (n, R, K)
        Soft assignments (rows sum to one).
    mu : float, default=4.0
        Weight of the marginal entropy ``H(Y)``.
    eps : float, default=1e-8
        Added inside the logarithms.

    Returns
    -------
    loss : torch.Tensor of shape (R,)

    Examples
    --------
    >>> import torch
    >>> p = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    >>> information_maximization_loss(p, mu=1.0)  # 0 - log 2
    tensor([-0.6931])
    """
    return conditional_entropy(p, eps) - mu * marginal_entropy(p, eps)


class MutualInformationLoss(nn.Module):
    """``weight * (H(Y|X) - mu * H(Y))`` of the ``"assignments"`` output, summed over runs.

    Parameters
    ----------
    weight : float, default=0.1
        Weight of the term (the paper's ``lambda``).
    mu : float, default=4.0
        Weight of the marginal entropy inside it.
    """

    def __init__(self, weight=0.1, mu=4.0):
        super().__init__()
        self.weight = weight
        self.mu = mu

    def per_run(self, outputs):
        """Loss of each run, shape ``(R,)`` (one run for outputs without a run axis)."""
        return self.weight * information_maximization_loss(outputs["assignments"], self.mu)

    def forward(self, outputs, X=None, indices=None):
        return self.per_run(outputs).sum()
