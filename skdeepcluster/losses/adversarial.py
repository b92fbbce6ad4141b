"""Virtual adversarial training (VAT): a smoothness regulariser of soft assignments.

Pure functions of tensors (Miyato, Maeda, Koyama and Ishii, "Virtual
Adversarial Training", 2018; as IMSAT's self-augmentation, Hu et al., ICML
2017).  The network enters as a callable ``forward(x) -> assignments``: the
loss compares its softmax output on ``x`` with that on ``x + r``, where ``r``
is the perturbation of a given per-sample length that changes the output
most (found by one power iteration).  Assignments are ``(n, K)``, or
``(n, R, K)`` for ``R`` runs; each run's value is computed on its own.
"""

import math
from contextlib import contextmanager

import torch
from torch import nn

from .information import _EPS, _runs

__all__ = [
    "kl_divergence",
    "virtual_adversarial_direction",
    "virtual_adversarial_loss",
    "batch_statistics_frozen",
    "kth_neighbor_distances",
    "VirtualAdversarialTerm",
]



def kl_divergence(p, q, eps=_EPS):
    """``KL(p || q)`` of each sample's assignments, averaged over the batch, per run.

    ``(1/n) sum_i sum_k p_ik (log(p_ik + eps) - log(q_ik + eps))``.

    Parameters
    ----------
    p, q : torch.Tensor of shape (n, K) or (n, R, K)
        Soft assignments (rows sum to one).
    eps : float, default=1e-8
        Added inside the logarithms.

    Returns
    -------
    divergence : torch.Tensor of shape (R,)

    Examples
    --------
    >>> import torch
    >>> p, q = torch.tensor([[0.5, 0.5]]), torch.tensor([[0.25, 0.75]])
    >>> kl_divergence(p, q)  # 0.5 log 2 + 0.5 log(2/3)
    tensor([0.1438])
    """
    p, q = _runs(p), _runs(q)
    return (p * (torch.log(p + eps) - torch.log(q + eps))).sum(dim=-1).mean(dim=0)


def _unit_rows(d):
    """Each sample's slice of ``d`` scaled to unit Euclidean length (zero stays zero)."""
    norms = d.reshape(len(d), -1).norm(dim=1).clamp_min(1e-30)
    return d / norms.view(-1, *([1] * (d.dim() - 1)))


def virtual_adversarial_direction(forward, x, p, xi=10.0, n_power_iterations=1, eps=_EPS):
    """Unit direction of each sample along which ``forward``'s output changes most.

    Starts from a random unit vector ``d`` per sample and repeats
    ``d <- normalise(grad_d KL(p || forward(x + xi d)))``
    ``n_power_iterations`` times (an approximation of the dominant
    eigenvector of the divergence's Hessian).

    Parameters
    ----------
    forward : callable
        Maps inputs shaped like ``x`` to soft assignments shaped like ``p``.
    x : torch.Tensor of shape (n, ...)
        The inputs.
    p : torch.Tensor of shape (n, K) or (n, R, K)
        The assignments of ``x`` (held constant).
    xi : float, default=10.0
        Length of the probe ``xi d`` of the power iteration.
    n_power_iterations : int, default=1
        Power iterations.
    eps : float, default=1e-8
        Added inside the logarithms.

    Returns
    -------
    d : torch.Tensor shaped like ``x``
        Unit length per sample (detached).
    """
    p = p.detach()
    x = x.detach()
    d = _unit_rows(torch.randn_like(x))
    for _ in range(n_power_iterations):
        d.requires_grad_(True)
        divergence = kl_divergence(p, forward(x + xi * d), eps).sum()
        (grad,) = torch.autograd.grad(divergence, d)
        d = _unit_rows(grad.detach())
    return d


def virtual_adversarial_loss(forward, x, p, radii, xi=10.0, n_power_iterations=1, eps=_EPS):
    """VAT's local distributional smoothness: ``KL(p || forward(x + r_adv))``, per run.

    ``r_adv_i = radii_i * d_i`` with ``d`` from
    :func:`virtual_adversarial_direction`; the gradient flows through the
    perturbed pass only (``p`` is held constant, as in VAT and IMSAT).

    Parameters
    ----------
    forward : callable
        Maps inputs shaped like ``x`` to soft assignments shaped like ``p``.
    x : torch.Tensor of shape (n, ...)
        The inputs.
    p : torch.Tensor of shape (n, K) or (n, R, K)
        The assignments of ``x``.
    radii : torch.Tensor of shape (n,) or float
        Length of each sample's perturbation (IMSAT: ``0.25`` times its
        distance to its 10th nearest neighbour).
    xi : float, default=10.0
        Length of the power iteration's probe.
    n_power_iterations : int, default=1
        Power iterations.
    eps : float, default=1e-8
        Added inside the logarithms.

    Returns
    -------
    loss : torch.Tensor of shape (R,)

    Examples
    --------
    >>> import torch
    >>> layer = torch.nn.Linear(3, 2)
    >>> forward = lambda x: torch.softmax(layer(x), dim=-1)
    >>> x = torch.randn(4, 3)
    >>> virtual_adversarial_loss(forward, x, forward(x), radii=0.0)  # no perturbation
    tensor([0.], grad_fn=<MeanBackward1>)
    """
    p = p.detach()
    d = virtual_adversarial_direction(forward, x, p, xi, n_power_iterations, eps)
    radii = torch.as_tensor(radii, dtype=x.dtype, device=x.device)
    if radii.dim() > 0:
        radii = radii.view(-1, *([1] * (x.dim() - 1)))
    return kl_divergence(p, forward(x.detach() + radii * d), eps)


def _is_batch_norm(module):
    return isinstance(getattr(module, "running_mean", None), torch.Tensor) and hasattr(
        module, "momentum"
    )


@contextmanager
def batch_statistics_frozen(module):
    """Within the block, BatchNorm layers of ``module`` leave their running averages alone.

    In training mode they still normalise with the batch's statistics; the
    extra passes of VAT thus neither see nor move the averages that
    inference uses (the authors' ``update_batch_stats=False``).  Covers
    torch's BatchNorm layers and any layer with ``running_mean`` and
    ``momentum`` that updates them as ``(1 - momentum) * running +
    momentum * batch``.

    Examples
    --------
    >>> import torch
    >>> norm = torch.nn.BatchNorm1d(2)
    >>> with batch_statistics_frozen(norm):
    ...     _ = norm(torch.randn(8, 2) + 5)
    >>> norm.running_mean
    tensor([0., 0.])
    """
    saved = []
    for layer in module.modules():
        if _is_batch_norm(layer):
            counter = getattr(layer, "num_batches_tracked", None)
            saved.append((layer, layer.momentum, None if counter is None else counter.clone()))
            layer.momentum = 0.0
    try:
        yield module
    finally:
        for layer, momentum, counter in saved:
            layer.momentum = momentum
            if counter is not None:
                layer.num_batches_tracked.copy_(counter)


def _float_rows(X, start, stop, device):
    rows = X[start:stop]
    if hasattr(rows, "toarray"):
        rows = rows.toarray()
    return torch.as_tensor(rows, dtype=torch.float32).to(device)


def _merge_nearest(nearest, candidates, k):
    """The ``k`` smallest of each row of ``nearest`` and ``candidates``, ascending."""
    both = torch.cat([nearest, candidates], dim=1)
    return both.topk(k, dim=1, largest=False, sorted=True).values


def kth_neighbor_distances(X, n_neighbors=10, device="cpu", batch_size=2048):
    """Euclidean distance of each sample to its ``n_neighbors``-th nearest other sample.

    An exact brute-force search over blocks of ``batch_size`` samples (memory
    stays bounded whatever the number of samples), on ``device``; each pair
    of blocks is compared once and serves both, so the search costs half of
    the ``n^2`` distances.  Distances in float32 (through ``|a|^2 + |b|^2 -
    2 a.b``).  A sample is not its own neighbour; its duplicates are, at
    distance 0.  IMSAT scales each sample's VAT perturbation by this
    distance.

    Parameters
    ----------
    X : torch.Tensor, ndarray or row container of shape (n_samples, n_features)
        The samples; anything whose slices ``X[a:b]`` give rows (a tensor,
        an array, a scipy sparse matrix, a :class:`~skdeepcluster.rows.HostRows`).
    n_neighbors : int, default=10
        Which neighbour: 1 is the nearest.  Capped at ``n_samples - 1``.
    device : str, default="cpu"
        Where the distances are computed.
    batch_size : int, default=2048
        Block size.

    Returns
    -------
    distances : torch.Tensor of shape (n_samples,)
        On ``device``.

    Examples
    --------
    >>> import torch
    >>> kth_neighbor_distances(torch.tensor([[0.0], [1.0], [3.0]]), n_neighbors=1)
    tensor([1., 1., 2.])
    """
    n_samples = X.shape[0]
    k = min(int(n_neighbors), n_samples - 1)
    if k < 1:
        return torch.zeros(n_samples, device=device)
    starts = list(range(0, n_samples, batch_size))
    nearest = [None] * len(starts)
    for i, start in enumerate(starts):
        queries = _float_rows(X, start, start + batch_size, device)
        query_norms = queries.pow(2).sum(dim=1)
        if nearest[i] is None:
            nearest[i] = torch.full((len(queries), k), math.inf, device=device)
        for j in range(i, len(starts)):
            reference = queries if j == i else _float_rows(X, starts[j], starts[j] + batch_size,
                                                           device)
            squared = (
                query_norms[:, None] + reference.pow(2).sum(dim=1)[None, :]
                - 2 * queries @ reference.T
            ).clamp_min(0)
            if j == i:  # a sample is not its own neighbour
                rows = torch.arange(len(queries), device=device)
                squared[rows, rows] = math.inf
            nearest[i] = _merge_nearest(nearest[i], squared, k)
            if j > i:  # the same distances, seen from the other block
                if nearest[j] is None:
                    nearest[j] = torch.full((len(reference), k), math.inf, device=device)
                nearest[j] = _merge_nearest(nearest[j], squared.T, k)
    return torch.cat([block[:, -1] for block in nearest]).sqrt()


class VirtualAdversarialTerm(nn.Module):
    """``weight * sum_runs KL(p || f(x + r_adv))`` of a batch, for the engine's criterion.

    Runs the network on perturbed batches (it declares ``needs_network``),
    with its BatchNorm layers on batch statistics that do not move their
    running averages (:func:`batch_statistics_frozen`).  The clean
    assignments ``p`` are the training forward pass's output (the same
    batch statistics), held constant.

    Parameters
    ----------
    weight : float, default=1.0
        Weight of the term.
    xi : float, default=10.0
        Length of the power iteration's probe.
    eps_scale : float, default=0.25
        Sample ``i``'s perturbation has length ``eps_scale * distances[i]``.
    n_power_iterations : int, default=1
        Power iterations.
    distances : torch.Tensor of shape (n_samples,) or None
        Per-sample distance of the training samples, read by the batch's
        indices (:func:`kth_neighbor_distances`); None for a term that is not
        trained (a loaded model's).
    output : str, default="assignments"
        The network output holding the soft assignments.
    """

    needs_network = True

    def __init__(
        self, weight=1.0, xi=10.0, eps_scale=0.25, n_power_iterations=1, distances=None,
        output="assignments",
    ):
        super().__init__()
        self.weight = weight
        self.xi = xi
        self.eps_scale = eps_scale
        self.n_power_iterations = n_power_iterations
        self.distances = distances
        self.output = output

    def forward(self, outputs, X, indices, network=None):
        if network is None or self.distances is None:
            raise RuntimeError(
                "VirtualAdversarialTerm needs the network and the training samples' distances."
            )
        radii = self.eps_scale * self.distances[indices].to(X.dtype)

        def forward(x):
            return network(x)[self.output]

        with batch_statistics_frozen(network):
            loss = virtual_adversarial_loss(
                forward, X, outputs[self.output], radii, self.xi, self.n_power_iterations
            )
        return self.weight * loss.sum()
