"""DDC: deep divergence-based clustering, and its ensemble DDC-VOTE.

Recipe (Kampffmeyer, Løkse, Bianchi, Livi, Salberg and Jenssen, "Deep
divergence-based approach to clustering", Neural Networks 113, 2019):

* network: a backbone (the paper's LeNet-like CNN for images, a
  ``200-200-500`` fully connected net for vectors), a hidden layer
  ``FC(100) -> ReLU -> BatchNorm`` and a ``K``-way softmax;
* loss: the Cauchy–Schwarz divergence between the clusters, measured with a
  Gaussian kernel on the hidden layer, plus the orthogonality of the
  assignments ``triu(A A^T)`` and the divergence of their closeness to the
  simplex corners (:func:`ddc_loss`);
* no pretraining and no initialisation beyond the network's random weights:
  ``n_init`` runs are trained together as one vectorised model and the run
  with the lowest unsupervised loss is kept; DDC-VOTE aligns the next two to
  it with the Hungarian algorithm and takes the majority vote.

Not to be confused with ClustPy's ``DDC`` (a density-based method).
"""

import copy
import math
from numbers import Integral, Real

import numpy as np
import torch
import torch.nn.functional as F
from scipy.optimize import linear_sum_assignment
from sklearn.metrics.cluster import contingency_matrix
from sklearn.utils._param_validation import Interval, StrOptions
from torch import nn

from .base import BaseDeepClustering
from .engine import DeepClusteringNet, evaluation_mode
from .networks import Unflatten

__all__ = [
    "gaussian_kernel",
    "cauchy_schwarz_divergence",
    "orthogonality_loss",
    "simplex_corner_similarity",
    "ddc_loss",
    "DDCLoss",
    "DDCNetwork",
    "DDCClustering",
]

_EPS = 1e-9

# --------------------------------------------------------------------------- losses
#
# Pure functions of tensors.  Every one accepts leading batch dimensions, so that
# the ``n_init`` runs of one fit are evaluated in one call: ``(R, n, ...)``.


def gaussian_kernel(hidden, sigma_fraction=0.15):
    """Gaussian kernel matrix of a batch, with DDC's adaptive bandwidth.

    ``K_ij = exp(-D_ij / (2 sigma^2))`` with ``D_ij = ||h_i - h_j||^2`` and
    ``sigma^2 = sigma_fraction * median(D)``, the median taken over the whole
    ``n x n`` matrix (diagonal included), detached from the graph and floored
    at 1e-9 -- the rule of the DDC reference code; the paper words it as
    "15% of the median pairwise distance".

    Parameters
    ----------
    hidden : torch.Tensor of shape (..., n, d)
        Hidden representation of a batch (leading dimensions: independent runs).
    sigma_fraction : float, default=0.15
        Fraction of the median squared distance giving ``sigma^2``.

    Returns
    -------
    kernel : torch.Tensor of shape (..., n, n)

    Examples
    --------
    >>> import torch
    >>> gaussian_kernel(torch.tensor([[0.0], [1.0], [3.0]]), sigma_fraction=0.5)
    tensor([[1.0000e+00, 3.6788e-01, 1.2341e-04],
            [3.6788e-01, 1.0000e+00, 1.8316e-02],
            [1.2341e-04, 1.8316e-02, 1.0000e+00]])
    """
    squared_norms = hidden.pow(2).sum(-1)
    gram = hidden @ hidden.transpose(-1, -2)
    # The expanded form has a gradient everywhere (cdist's is undefined at zero distance).
    distances = (squared_norms[..., :, None] + squared_norms[..., None, :] - 2 * gram).clamp_min(0)
    flat = distances.detach().flatten(-2)
    # The lower median, by a sort: capturable in a CUDA graph.
    median = flat.sort(dim=-1).values[..., (flat.shape[-1] - 1) // 2]
    sigma2 = (sigma_fraction * median).clamp_min(_EPS)
    return torch.exp(-distances / (2 * sigma2[..., None, None]))


def cauchy_schwarz_divergence(weights, kernel, eps=_EPS):
    """Mean pairwise Cauchy–Schwarz similarity of ``K`` weighted clusters.

    With ``G = B^T K B``::

        d_cs(B) = 2 / (K (K - 1)) * sum_{a < b} G_ab / sqrt(G_aa G_bb)

    The numerators are clamped at ``eps`` and the products ``G_aa G_bb`` at
    ``eps**2`` (as the reference code), so an empty cluster counts as fully
    overlapping (ratio 1) instead of producing a NaN.  Lower is better.

    Parameters
    ----------
    weights : torch.Tensor of shape (..., n, K)
        Cluster weights of each sample: the assignments ``A``, or the simplex
        similarities ``M`` of :func:`simplex_corner_similarity`.
    kernel : torch.Tensor of shape (..., n, n)
        Kernel matrix, e.g. from :func:`gaussian_kernel`.
    eps : float, default=1e-9
        Numerical floor.

    Returns
    -------
    divergence : torch.Tensor of shape (...)
        Zero for a single cluster.

    Examples
    --------
    >>> import torch
    >>> A = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    >>> kernel = torch.tensor([[1.0, 0.5], [0.5, 1.0]])
    >>> cauchy_schwarz_divergence(A, kernel)
    tensor(0.5000)
    """
    n_clusters = weights.shape[-1]
    gram = weights.transpose(-1, -2) @ kernel @ weights
    if n_clusters < 2:  # no pair of clusters to compare
        return gram.sum(dim=(-2, -1)) * 0.0
    diagonal = torch.diagonal(gram, dim1=-2, dim2=-1)
    products = (diagonal[..., :, None] * diagonal[..., None, :]).clamp_min(eps**2)
    ratios = gram.clamp_min(eps) / products.sqrt()
    upper = torch.triu(ratios, diagonal=1).sum(dim=(-2, -1))
    return 2 * upper / (n_clusters * (n_clusters - 1))


def orthogonality_loss(assignments):
    """Mean inner product of the assignment vectors of distinct samples.

    ``triu(A A^T)``: the sum of the strictly upper triangular entries of
    ``A A^T``, divided by their number ``n (n - 1) / 2``.  Zero when samples
    of different clusters have orthogonal (one-hot) assignments.

    Parameters
    ----------
    assignments : torch.Tensor of shape (..., n, K)
        Soft assignments ``A``, rows on the simplex.  ``n >= 2``.

    Returns
    -------
    loss : torch.Tensor of shape (...)

    Examples
    --------
    >>> import torch
    >>> orthogonality_loss(torch.tensor([[1.0, 0.0], [0.5, 0.5], [0.0, 1.0]]))
    tensor(0.3333)
    """
    n = assignments.shape[-2]
    inner = assignments @ assignments.transpose(-1, -2)
    return 2 * torch.triu(inner, diagonal=1).sum(dim=(-2, -1)) / (n * (n - 1))


def simplex_corner_similarity(assignments):
    """Closeness of each assignment vector to each corner of the simplex.

    ``M_ik = exp(-||a_i - e_k||^2)``, where ``e_k`` is the ``k``-th one-hot
    vector: 1 when sample ``i`` sits in corner ``k``.

    Parameters
    ----------
    assignments : torch.Tensor of shape (..., n, K)

    Returns
    -------
    similarity : torch.Tensor of shape (..., n, K)

    Examples
    --------
    >>> import torch
    >>> simplex_corner_similarity(torch.tensor([[1.0, 0.0]]))
    tensor([[1.0000, 0.1353]])
    """
    squared_norms = assignments.pow(2).sum(-1, keepdim=True)
    return torch.exp(-(squared_norms - 2 * assignments + 1))


def ddc_loss(
    hidden,
    assignments,
    *,
    cs_weight=1.0,
    orthogonality_weight=1.0,
    simplex_weight=1.0,
    sigma_fraction=0.15,
):
    """The DDC loss ``L = d_cs(A) + triu(A A^T) + d_cs(M)``, each term weighted.

    Parameters
    ----------
    hidden : torch.Tensor of shape (..., n, d)
        Hidden representation the kernel is computed on.
    assignments : torch.Tensor of shape (..., n, K)
        Softmax assignments ``A``.
    cs_weight, orthogonality_weight, simplex_weight : float, default=1.0
        Weights of the Cauchy–Schwarz term on ``A``, of the orthogonality term
        and of the Cauchy–Schwarz term on the simplex similarities ``M`` (the
        paper weights all three by 1).
    sigma_fraction : float, default=0.15
        See :func:`gaussian_kernel`.

    Returns
    -------
    loss : torch.Tensor of shape (...)
        One value per leading index (per run).

    See Also
    --------
    cauchy_schwarz_divergence, orthogonality_loss, simplex_corner_similarity

    Examples
    --------
    >>> import torch
    >>> hidden = torch.tensor([[0.0], [0.1], [5.0], [5.1]])
    >>> good = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    >>> bad = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0]])
    >>> bool(ddc_loss(hidden, good) < ddc_loss(hidden, bad))
    True
    """
    kernel = gaussian_kernel(hidden, sigma_fraction)
    loss = 0.0
    if cs_weight:
        loss = loss + cs_weight * cauchy_schwarz_divergence(assignments, kernel)
    if orthogonality_weight:
        loss = loss + orthogonality_weight * orthogonality_loss(assignments)
    if simplex_weight:
        similarity = simplex_corner_similarity(assignments)
        loss = loss + simplex_weight * cauchy_schwarz_divergence(similarity, kernel)
    if not isinstance(loss, torch.Tensor):  # every weight zero
        loss = hidden.sum(dim=(-2, -1)) * 0.0
    return loss


class DDCLoss(nn.Module):
    """Criterion of :class:`DDCClustering`: :func:`ddc_loss` summed over the runs.

    Called by the engine as ``criterion(outputs, X_batch, indices)`` with
    ``outputs["embedding"]`` of shape ``(n, R, d)`` and
    ``outputs["assignments"]`` of shape ``(n, R, K)`` for ``R`` runs trained
    together.  The runs have disjoint parameters, so the gradient of the sum
    is each run's own gradient.

    Parameters
    ----------
    cs_weight, orthogonality_weight, simplex_weight, sigma_fraction
        As for :func:`ddc_loss`.
    """

    def __init__(self, cs_weight=1.0, orthogonality_weight=1.0, simplex_weight=1.0,
                 sigma_fraction=0.15):
        super().__init__()
        self.cs_weight = cs_weight
        self.orthogonality_weight = orthogonality_weight
        self.simplex_weight = simplex_weight
        self.sigma_fraction = sigma_fraction

    def per_run(self, outputs):
        """Loss of each run, shape ``(R,)``."""
        hidden = outputs["embedding"].transpose(0, 1)
        assignments = outputs["assignments"].transpose(0, 1)
        return ddc_loss(
            hidden,
            assignments,
            cs_weight=self.cs_weight,
            orthogonality_weight=self.orthogonality_weight,
            simplex_weight=self.simplex_weight,
            sigma_fraction=self.sigma_fraction,
        )

    def forward(self, outputs, X=None, indices=None):
        return self.per_run(outputs).sum()


# --------------------------------------------------------------------------- networks
#
# ``R`` independent networks evaluated as one: every parameter of a "runwise" layer
# has the run as its leading dimension, activations are ``(n, R, features)`` (or
# ``(n, R * channels, H, W)`` for convolutions, grouped by run).


class _Runwise(nn.Module):
    """Marker: every parameter and buffer has the run index as leading dimension."""


def _he_uniform_(weight, fan_in):
    bound = math.sqrt(6.0 / fan_in)  # He et al. 2015, as the paper's initialisation
    with torch.no_grad():
        return weight.uniform_(-bound, bound)


class RunwiseLinear(_Runwise):
    """``R`` independent linear layers; input ``(n, in)`` (shared) or ``(n, R, in)``."""

    def __init__(self, in_features, out_features, n_runs):
        super().__init__()
        weight = torch.empty(n_runs, out_features, in_features)
        self.weight = nn.Parameter(_he_uniform_(weight, in_features))
        self.bias = nn.Parameter(torch.zeros(n_runs, out_features))

    def forward(self, x):
        if x.dim() == 2:
            return torch.einsum("ni,roi->nro", x, self.weight) + self.bias
        return torch.einsum("nri,roi->nro", x, self.weight) + self.bias


class RunwiseBatchNorm(_Runwise):
    """``R`` independent ``BatchNorm1d`` layers on ``(n, R, features)``."""

    def __init__(self, num_features, n_runs, momentum=0.1, eps=1e-5):
        super().__init__()
        self.momentum = momentum
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(n_runs, num_features))
        self.bias = nn.Parameter(torch.zeros(n_runs, num_features))
        self.register_buffer("running_mean", torch.zeros(n_runs, num_features))
        self.register_buffer("running_var", torch.ones(n_runs, num_features))

    def forward(self, x):
        n = x.shape[0]
        # Views of the buffers: batch_norm updates the running statistics in place.
        out = F.batch_norm(
            x.reshape(n, -1),
            self.running_mean.view(-1),
            self.running_var.view(-1),
            self.weight.view(-1),
            self.bias.view(-1),
            self.training,
            self.momentum,
            self.eps,
        )
        return out.reshape(x.shape)


class RunwiseConv2d(_Runwise):
    """``R`` independent 2-d convolutions as one grouped convolution.

    Input ``(n, C, H, W)`` shared by all runs (``shared_input=True``) or
    ``(n, R * C, H, W)`` grouped by run; output ``(n, R * out, H', W')``.
    """

    def __init__(self, in_channels, out_channels, kernel_size, n_runs, shared_input=False):
        super().__init__()
        fan_in = in_channels * kernel_size * kernel_size
        weight = torch.empty(n_runs, out_channels, in_channels, kernel_size, kernel_size)
        self.weight = nn.Parameter(_he_uniform_(weight, fan_in))
        self.bias = nn.Parameter(torch.zeros(n_runs, out_channels))
        self.shared_input = shared_input

    def forward(self, x):
        n_runs = self.weight.shape[0]
        weight = self.weight.reshape(-1, *self.weight.shape[2:])
        groups = 1 if self.shared_input else n_runs
        return F.conv2d(x, weight, self.bias.reshape(-1), groups=groups)


class DDCMLPBackbone(nn.Module):
    """The paper's fully connected backbone for vectors, for ``R`` runs.

    ``Linear -> ReLU`` per width of ``hidden_dims``, with BatchNorm after the
    last one (the paper's ``200-200-500`` with BatchNorm on the 500 layer).
    Output ``(n, R, hidden_dims[-1])``; the identity (``(n, R, d)``) when
    ``hidden_dims`` is empty.
    """

    def __init__(self, input_dim, hidden_dims=(200, 200, 500), n_runs=1):
        super().__init__()
        sizes = [int(input_dim), *map(int, hidden_dims)]
        self.n_runs = n_runs
        self.layers = nn.ModuleList(
            RunwiseLinear(a, b, n_runs) for a, b in zip(sizes[:-1], sizes[1:])
        )
        self.norm = RunwiseBatchNorm(sizes[-1], n_runs) if len(sizes) > 1 else None
        self.output_dim = sizes[-1]

    def forward(self, x):
        if not self.layers:
            return x[:, None, :].expand(-1, self.n_runs, -1)
        for layer in self.layers:
            x = F.relu(layer(x))
        return self.norm(x)


class DDCConvBackbone(nn.Module):
    """The paper's LeNet-like backbone for images, for ``R`` runs.

    ``conv 5x5 (32) -> max-pool 2 -> ReLU -> conv 5x5 (64) -> max-pool 2 ->
    ReLU``, flattened to ``(n, R, 64 * h * w)``.  Takes flat rows and
    reshapes them to ``input_shape``.
    """

    def __init__(self, input_shape, channels=(32, 64), n_runs=1):
        super().__init__()
        input_shape = tuple(int(s) for s in input_shape)
        if len(input_shape) != 3:
            raise ValueError(f"input_shape must be (channels, height, width); got {input_shape}.")
        n_channels, height, width = input_shape
        h, w = height, width
        for _ in range(2):
            h, w = (h - 4) // 2, (w - 4) // 2
        if min(h, w) < 1:
            raise ValueError(
                f"Images of shape {input_shape} are too small for DDC's convolutional network "
                "(two 5x5 convolutions and two 2x2 poolings need at least 16x16); use "
                "network='mlp'."
            )
        c1, c2 = (int(c) for c in channels)
        self.unflatten = Unflatten(input_shape)
        self.conv1 = RunwiseConv2d(n_channels, c1, 5, n_runs, shared_input=True)
        self.conv2 = RunwiseConv2d(c1, c2, 5, n_runs)
        self.n_runs = n_runs
        self.output_dim = c2 * h * w

    def forward(self, x):
        x = F.relu(F.max_pool2d(self.conv1(self.unflatten(x)), 2))
        x = F.relu(F.max_pool2d(self.conv2(x), 2))
        return x.reshape(x.shape[0], self.n_runs, -1)


class RunLoopBackbone(nn.Module):
    """``R`` copies of a user's backbone, each re-initialised; output ``(n, R, features)``."""

    def __init__(self, copies):
        super().__init__()
        self.runs = nn.ModuleList(copies)
        self.n_runs = len(copies)

    def forward(self, x):
        return torch.stack([run(x).reshape(x.shape[0], -1) for run in self.runs], dim=1)


def _reset_parameters(module):
    for sub in module.modules():
        reset = getattr(sub, "reset_parameters", None)
        if callable(reset):
            reset()


class DDCNetwork(nn.Module):
    """Backbone, hidden layer and softmax of ``R`` DDC runs evaluated together.

    ``backbone -> FC(embedding_dim) -> ReLU -> BatchNorm -> FC(K) -> softmax``.
    ``forward`` returns ``{"embedding": (n, R, embedding_dim),
    "assignments": (n, R, K)}`` for training.  After a fit the network holds
    the kept runs, best first and with their output units aligned to it:
    :meth:`encode` and :meth:`assign` are those of the best run,
    :meth:`predict_proba` averages the runs' softmax and :meth:`vote` takes
    their majority vote (ties go to the best run).

    Parameters
    ----------
    backbone : torch.nn.Module
        Maps flat rows ``(n, d)`` to ``(n, R, backbone_dim)``.
    backbone_dim : int
        Width of the backbone's output.
    n_clusters : int
        Number of clusters ``K``.
    embedding_dim : int, default=100
        Width of the hidden layer the kernel is computed on.
    n_runs : int, default=1
        Number of independent runs ``R``.

    Examples
    --------
    >>> import torch
    >>> backbone = DDCMLPBackbone(5, (8,), n_runs=3)
    >>> net = DDCNetwork(backbone, 8, n_clusters=2, embedding_dim=4, n_runs=3)
    >>> out = net(torch.randn(6, 5))
    >>> out["embedding"].shape, out["assignments"].shape
    (torch.Size([6, 3, 4]), torch.Size([6, 3, 2]))
    """

    def __init__(self, backbone, backbone_dim, n_clusters, embedding_dim=100, n_runs=1):
        super().__init__()
        self.backbone = backbone
        self.hidden = RunwiseLinear(backbone_dim, embedding_dim, n_runs)
        self.hidden_norm = RunwiseBatchNorm(embedding_dim, n_runs)
        self.output = RunwiseLinear(embedding_dim, n_clusters, n_runs)
        self.n_runs = n_runs
        self.embedding_dim = embedding_dim
        self.n_clusters = n_clusters

    def hidden_all(self, x):
        return self.hidden_norm(F.relu(self.hidden(self.backbone(x))))

    def forward(self, x):
        hidden = self.hidden_all(x)
        return {"embedding": hidden, "assignments": torch.softmax(self.output(hidden), dim=-1)}

    def encode(self, x):
        """Hidden representation of the best (first) run, ``(n, embedding_dim)``."""
        return self.hidden_all(x)[:, 0]

    def assign(self, hidden):
        """Softmax assignments of the best run from its hidden representation."""
        logits = hidden @ self.output.weight[0].T + self.output.bias[0]
        return torch.softmax(logits, dim=-1)

    def predict_proba(self, x):
        """Mean of the runs' softmax assignments, ``(n, K)``."""
        return self(x)["assignments"].mean(dim=1)

    def vote(self, x):
        """Majority vote of the runs' hard assignments; ties go to the first run."""
        return self.vote_from_hidden(self.hidden_all(x))

    def vote_from_hidden(self, hidden):
        """:meth:`vote` from the runs' hidden representations ``(n, n_runs, embedding_dim)``."""
        labels = torch.softmax(self.output(hidden), dim=-1).argmax(dim=-1)
        votes = F.one_hot(labels, self.n_clusters).sum(dim=1).to(torch.float32)
        votes = votes + 0.5 * F.one_hot(labels[:, 0], self.n_clusters)
        return votes.argmax(dim=1)

    @torch.no_grad()
    def clip_grad_norm_per_run_(self, max_norm):
        """Clip the gradient norm of each run to ``max_norm`` in place (no host sync)."""
        batched = [
            p for m in self.modules() if isinstance(m, _Runwise)
            for p in m.parameters(recurse=False) if p.grad is not None
        ]
        looped = []
        if isinstance(self.backbone, RunLoopBackbone):
            looped = [
                [p for p in run.parameters() if p.grad is not None]
                for run in self.backbone.runs
            ]
        if not batched:
            return
        squared = sum(p.grad.reshape(self.n_runs, -1).pow(2).sum(dim=1) for p in batched)
        if any(looped):
            squared = squared + torch.stack([
                sum((p.grad.pow(2).sum() for p in params), squared.new_zeros(()))
                for params in looped
            ])
        coef = (max_norm / (squared.sqrt() + 1e-6)).clamp(max=1.0)
        for p in batched:
            p.grad.mul_(coef.view(-1, *([1] * (p.dim() - 1))))
        for run, params in enumerate(looped):
            for p in params:
                p.grad.mul_(coef[run])

    @torch.no_grad()
    def select_runs(self, runs, output_orders=None):
        """A copy holding only ``runs``, their output units reordered.

        ``output_orders[j][c]`` is the output unit of run ``runs[j]`` that
        becomes cluster ``c``.
        """
        runs = [int(r) for r in runs]
        index = torch.as_tensor(runs, device=self.output.weight.device)
        selected = copy.deepcopy(self)
        for module in selected.modules():
            if isinstance(module, _Runwise):
                for name, tensor in [*module._parameters.items(), *module._buffers.items()]:
                    tensor.data = tensor.data[index].clone()
        if isinstance(selected.backbone, RunLoopBackbone):
            selected.backbone.runs = nn.ModuleList(selected.backbone.runs[r] for r in runs)
        for module in selected.modules():
            if hasattr(module, "n_runs"):
                module.n_runs = len(runs)
        if output_orders is not None:
            order = torch.as_tensor(np.asarray(output_orders), device=index.device)
            rows = torch.arange(len(runs), device=index.device)[:, None]
            selected.output.weight.data = selected.output.weight.data[rows, order].clone()
            selected.output.bias.data = selected.output.bias.data[rows, order].clone()
        return selected


# --------------------------------------------------------------------------- training


class RunwiseClippedAdam(torch.optim.Adam):
    """Adam that first applies ``clip`` (set by :class:`DDCNet`) to the gradients.

    Clipping inside ``step`` keeps it in the engine's captured CUDA graph,
    whose step calls ``optimizer.step()`` directly.
    """

    clip = None

    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        clip = getattr(self, "clip", None)
        if clip is not None:
            clip()
        super().step()
        return loss


class _ClipPerRun:
    # A picklable callable (a lambda would make the fitted net unpicklable).
    def __init__(self, module, max_norm):
        self.module = module
        self.max_norm = max_norm

    def __call__(self):
        self.module.clip_grad_norm_per_run_(self.max_norm)


class _SkipSingletons:
    """Batches of an iterator, without those of one sample (BatchNorm cannot train on them)."""

    def __init__(self, iterator):
        self.iterator = iterator

    def __len__(self):
        return len(self.iterator)

    def __iter__(self):
        for batch in self.iterator:
            if len(batch[0]) > 1:
                yield batch


class DDCNet(DeepClusteringNet):
    """:class:`~skdeepcluster.engine.DeepClusteringNet` for DDC.

    Adds per-run gradient-norm clipping (``max_grad_norm``; inside the
    optimizer step, so also in the CUDA graph) and skips a last training
    batch of a single sample.
    """

    def __init__(self, module, criterion, *, max_grad_norm=None, **kwargs):
        super().__init__(module, criterion, **kwargs)
        self.max_grad_norm = max_grad_norm

    def get_iterator(self, dataset, training=False):
        iterator = super().get_iterator(dataset, training=training)
        return _SkipSingletons(iterator) if training else iterator

    def initialize_optimizer(self, *args, **kwargs):
        super().initialize_optimizer(*args, **kwargs)
        if self.max_grad_norm is not None and hasattr(self.module_, "clip_grad_norm_per_run_"):
            self.optimizer_.clip = _ClipPerRun(self.module_, self.max_grad_norm)
        return self


def _align_to(reference, labels, n_clusters):
    """Output order of a run matching ``reference``: ``order[c]`` is its unit for cluster ``c``."""
    table = contingency_matrix(reference, labels, sparse=False)
    full = np.zeros((n_clusters, n_clusters), dtype=np.int64)
    ref_values, run_values = np.unique(reference), np.unique(labels)
    full[np.ix_(ref_values, run_values)] = table
    rows, cols = linear_sum_assignment(full, maximize=True)
    order = np.empty(n_clusters, dtype=np.int64)
    order[rows] = cols
    return order


def _majority_vote(labels, n_clusters):
    """Column-wise majority of ``labels`` (runs x samples); ties go to the first run."""
    votes = np.zeros((labels.shape[1], n_clusters))
    for run in labels:
        votes[np.arange(labels.shape[1]), run] += 1
    votes[np.arange(labels.shape[1]), labels[0]] += 0.5
    return votes.argmax(axis=1)


class DDCClustering(BaseDeepClustering):
    """Deep Divergence-based Clustering (DDC) and its ensemble DDC-VOTE.

    A network ending in a hidden layer and a softmax is trained from scratch
    (no autoencoder, no pretraining) to minimise the loss of Kampffmeyer et
    al. (2019): the Cauchy–Schwarz divergence between clusters measured with a
    Gaussian kernel on the hidden layer, the orthogonality of the assignment
    vectors and their closeness to the corners of the simplex
    (:func:`ddc_loss`).  ``n_init`` runs are trained together as one
    vectorised model; the run with the lowest unsupervised loss is kept, and
    with ``voting=True`` the next two are aligned to it by the Hungarian
    algorithm and the three vote (DDC-VOTE).

    Not to be confused with ClustPy's ``DDC``, a density-based method.

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters (1 gives one cluster, as ``KMeans``).
    network : {"mlp", "conv"}, default="mlp"
        Backbone: the paper's fully connected network for vectors, or its
        LeNet-like CNN (conv 5x5x32, pool, conv 5x5x64, pool) for images of
        at least 16x16 (input ``(n, C, H, W)``, ``(n, H, W)``, or flat with
        ``input_shape``).
    hidden_dims : tuple of int, default=(200, 200, 500)
        Widths of the fully connected backbone, BatchNorm on the last one.
    embedding_dim : int, default=100
        Width of the hidden layer (``FC -> ReLU -> BatchNorm``) on which the
        kernel is computed; ``transform`` returns it.
    input_shape : tuple of int, default=None
        ``(C, H, W)`` of flat image input for ``network="conv"``.
    encoder : torch.nn.Module, default=None
        Your own backbone, replacing ``network``: maps a batch (images when
        the input is images) to ``(n, features)``.  It is copied once per run
        and every copy is re-initialised (its layers' ``reset_parameters``),
        so each run starts from scratch; the given module is not modified.
    cs_weight : float, default=1.0
        Weight of the Cauchy–Schwarz term on the assignments.
    orthogonality_weight : float, default=1.0
        Weight of the orthogonality term ``triu(A A^T)``.
    simplex_weight : float, default=1.0
        Weight of the Cauchy–Schwarz term on the simplex-corner similarities.
    sigma_fraction : float, default=0.15
        Kernel bandwidth: ``sigma^2`` is this fraction of the batch's median
        squared pairwise distance in the hidden layer.
    n_init : int, default=10
        Independent runs (the paper uses 20); the one with the lowest loss is
        kept.
    voting : bool, default=False
        DDC-VOTE: the three best runs vote (needs ``n_init >= 3``).
    epochs : int, default=100
        Training epochs of every run (the paper: 70,000 batches of 100).
    lr : float, default=1e-3
        Adam's learning rate (the paper: 1e-3 for the CNN, 1e-5 for the fully
        connected network over 70,000 iterations; 1e-3 works on vectors with
        fewer iterations).
    batch_size : int, default=100
        Mini-batch size (the paper: 100); the kernel is computed per batch.
        A last batch of a single sample is skipped.
    max_grad_norm : float or None, default=5.0
        Gradient-norm clipping of each run, as the paper; None disables it.
    precision : {"float32", "tf32", "bf16"}, default="float32"
        Arithmetic of training: float32, TF32 products on CUDA,
        or the network's layers under bfloat16 autocast (the user guide's
        :ref:`precision` says what stays float32 and what it costs).
    callbacks : list of skorch callbacks, default=None
        Extra callbacks of the training (copied before use).
    device : str, default="auto"
        ``"auto"`` trains on CUDA when available, else on the CPU; or
        ``"cpu"``, ``"cuda"``, ``"cuda:1"``...
    random_state : int, RandomState instance or None, default=None
        Seeds the weights of every run and the batch order (shared by the
        runs).
    verbose : int, default=0
        1 prints skorch's table of losses per epoch; 2 or more adds a progress
        bar over each epoch's batches (needs tqdm).

    Attributes
    ----------
    labels_ : ndarray of shape (n_samples,)
        Cluster of each training sample: the best run's, or the vote with
        ``voting=True``.  Clusters are numbered so that the non-empty ones
        come first.
    cluster_centers_ : ndarray of shape (n_clusters, embedding_dim)
        Mean hidden representation (best run) of each cluster's training
        samples; the overall mean for an empty cluster.
    run_losses_ : ndarray of shape (n_init,)
        Final unsupervised loss of each run on the training data (mean of
        :func:`ddc_loss` over batches of ``batch_size``, BatchNorm in
        inference mode).
    kept_runs_ : ndarray of shape (1,) or (3,)
        Indices of the runs kept, best first.
    net_ : skorch.NeuralNet
        The trained network; its ``module_`` (:class:`DDCNetwork`) holds the
        kept runs.
    history_ : skorch.History
        Training losses (summed over the ``n_init`` runs).
    device_ : str
        Device the network was trained on.
    n_iter_ : int
        Epochs run.
    input_shape_ : tuple of int or None
        Image shape the network was built for, if any.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    ddc_loss : The loss, as a function of tensors.
    DECClustering : Clustering of a pretrained autoencoder's embedding.
    sklearn.cluster.KMeans : The shallow baseline.

    Notes
    -----
    ``predict`` on new data is the best run's argmax, or with
    ``voting=True`` the majority vote of the three kept runs (aligned to the
    best; ties go to the best run), the same rule that gave ``labels_``.
    ``predict_proba`` is the best run's softmax, or the mean of the three
    aligned softmaxes; with voting its argmax may differ from ``predict`` on
    samples where the runs disagree.  ``transform`` is the best run's hidden
    layer.

    The paper's vector network is ``200-200-500-K`` with the BatchNorm'd
    500-unit layer as the kernel's hidden layer; the default here follows the
    project's specification (that backbone, then a hidden ``FC(100)``);
    ``hidden_dims=(200, 200), embedding_dim=500`` is close to the paper's
    layout.

    The runs share the order of the mini-batches and differ by their initial
    weights.  On CUDA the training step, clipping included, runs as a CUDA
    graph.

    References
    ----------
    M. Kampffmeyer, S. Løkse, F. M. Bianchi, L. Livi, A.-B. Salberg and
    R. Jenssen, "Deep divergence-based approach to clustering", Neural
    Networks 113 (2019) 91-101.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from skdeepcluster.ddc import DDCClustering
    >>> X, _ = make_blobs(n_samples=60, centers=3, random_state=0)
    >>> ddc = DDCClustering(n_clusters=3, hidden_dims=(16,), embedding_dim=8,
    ...                     n_init=3, voting=True, epochs=5, batch_size=30,
    ...                     random_state=0)
    >>> ddc.fit_predict(X).shape
    (60,)
    >>> ddc.predict_proba(X).shape, ddc.transform(X).shape
    ((60, 3), (60, 8))
    """

    _parameter_constraints = {
        "n_clusters": [Interval(Integral, 1, None, closed="left")],
        "network": [StrOptions({"mlp", "conv"})],
        "hidden_dims": ["array-like"],
        "embedding_dim": [Interval(Integral, 1, None, closed="left")],
        "input_shape": ["array-like", None],
        "encoder": [nn.Module, None],
        "cs_weight": [Interval(Real, 0, None, closed="left")],
        "orthogonality_weight": [Interval(Real, 0, None, closed="left")],
        "simplex_weight": [Interval(Real, 0, None, closed="left")],
        "sigma_fraction": [Interval(Real, 0, None, closed="neither")],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "voting": ["boolean"],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "batch_size": [Interval(Integral, 2, None, closed="left")],
        "precision": BaseDeepClustering._parameter_constraints["precision"],
        "max_grad_norm": [Interval(Real, 0, None, closed="neither"), None],
        "callbacks": [list, None],
        "device": [str, torch.device, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    _unsaved_attributes = ("net_",)

    def __init__(
        self,
        n_clusters=8,
        *,
        network="mlp",
        hidden_dims=(200, 200, 500),
        embedding_dim=100,
        input_shape=None,
        encoder=None,
        cs_weight=1.0,
        orthogonality_weight=1.0,
        simplex_weight=1.0,
        sigma_fraction=0.15,
        n_init=10,
        voting=False,
        epochs=100,
        lr=1e-3,
        batch_size=100,
        precision="float32",
        max_grad_norm=5.0,
        callbacks=None,
        device="auto",
        random_state=None,
        verbose=0,
    ):
        self.n_clusters = n_clusters
        self.network = network
        self.hidden_dims = hidden_dims
        self.embedding_dim = embedding_dim
        self.input_shape = input_shape
        self.encoder = encoder
        self.cs_weight = cs_weight
        self.orthogonality_weight = orthogonality_weight
        self.simplex_weight = simplex_weight
        self.sigma_fraction = sigma_fraction
        self.n_init = n_init
        self.voting = voting
        self.epochs = epochs
        self.lr = lr
        self.batch_size = batch_size
        self.precision = precision
        self.max_grad_norm = max_grad_norm
        self.callbacks = callbacks
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ fit

    @staticmethod
    def _embedding_dim(module):
        return module.embedding_dim

    def _labels_and_centers(self, X):
        # One pass of the kept runs over X: the vote and the best run's hidden
        # representation come out of the same forward pass.
        def vote_and_hidden(module, x):
            hidden = module.hidden_all(x)
            labels = module.vote_from_hidden(hidden)
            return torch.cat([labels[:, None].to(hidden.dtype), hidden[:, 0]], dim=1)

        both = self._inference(X, vote_and_hidden)
        labels, hidden = both[:, 0].astype(np.int64), both[:, 1:].astype(np.float64)
        # The mean hidden representation of each cluster (of all samples for an empty one).
        centers = np.tile(hidden.mean(axis=0), (self.n_clusters, 1))
        for k in np.unique(labels):
            centers[k] = hidden[labels == k].mean(axis=0)
        return labels, centers

    def _build_network(self, n_features, n_runs):
        """The ``n_runs``-run :class:`DDCNetwork` from the parameters."""
        if self.encoder is not None:
            copies = []
            for _ in range(n_runs):
                run = copy.deepcopy(self.encoder)
                _reset_parameters(run)
                if self.input_shape_ is not None:
                    run = nn.Sequential(Unflatten(self.input_shape_), run)
                copies.append(run)
            backbone = RunLoopBackbone(copies)
            probe = copy.deepcopy(copies[0]).eval()
            try:
                with torch.no_grad():
                    out = probe(torch.zeros(2, n_features))
            except Exception as exc:  # a user's module: report its failure as a ValueError
                raise ValueError(
                    f"encoder could not process a batch of the input (shape (2, "
                    f"{self.input_shape_ or n_features})): {exc}"
                ) from exc
            backbone_dim = int(np.prod(out.shape[1:]))
        elif self.network == "conv":
            backbone = DDCConvBackbone(self.input_shape_, n_runs=n_runs)
            backbone_dim = backbone.output_dim
        else:
            widths = np.asarray(self.hidden_dims).ravel()
            if not all(isinstance(w, Integral) and w >= 1 for w in widths.tolist()):
                raise ValueError(
                    f"hidden_dims must hold positive integers; got {self.hidden_dims!r}."
                )
            backbone = DDCMLPBackbone(n_features, widths.tolist(), n_runs=n_runs)
            backbone_dim = backbone.output_dim
        return DDCNetwork(
            backbone, backbone_dim, self.n_clusters, int(self.embedding_dim), n_runs=n_runs
        )

    def _criterion(self):
        return DDCLoss(
            cs_weight=self.cs_weight,
            orthogonality_weight=self.orthogonality_weight,
            simplex_weight=self.simplex_weight,
            sigma_fraction=self.sigma_fraction,
        )

    def _fit_network(self, X_train, seed):
        if self.voting and self.n_init < 3:
            raise ValueError(
                f"voting=True takes the vote of the three best runs and needs n_init >= 3; "
                f"got n_init={self.n_init}."
            )
        n_runs = int(self.n_init)
        module = self._build_network(X_train.shape[1], n_runs)
        net = self._make_net(
            module,
            self._criterion(),
            epochs=self.epochs,
            lr=self.lr,
            optimizer=RunwiseClippedAdam,
            seed=seed,
            callbacks=self._named_user_callbacks(),
            net_class=DDCNet,
            graph_safe_optimizer=True,
            max_grad_norm=self.max_grad_norm,
        )
        net.fit(X_train, None)

        losses, labels = self._evaluate_runs(net, X_train)
        self.run_losses_ = losses
        ranking = np.argsort(losses, kind="stable")
        kept = ranking[: 3 if self.voting else 1]
        orders = [np.arange(self.n_clusters)]
        for run in kept[1:]:
            orders.append(_align_to(labels[kept[0]], labels[run], self.n_clusters))
        aligned = np.stack([np.argsort(order)[labels[run]] for order, run in zip(orders, kept)])
        consensus = _majority_vote(aligned, self.n_clusters)
        # Number the clusters so that those with training samples come first.
        used = np.unique(consensus)
        renumber = np.concatenate([used, np.setdiff1d(np.arange(self.n_clusters), used)])
        orders = [order[renumber] for order in orders]
        self.kept_runs_ = kept.astype(np.int64)
        net.module_ = module.select_runs(kept, orders)
        net.module = net.module_
        net.initialize_optimizer()
        return net

    def _evaluate_runs(self, net, X_train):
        """Loss (mean over batches) and training labels of every run, in inference mode."""
        criterion = net.criterion_
        n_samples = X_train.shape[0]
        batch_size = int(self.batch_size)
        totals, weights, labels = 0.0, 0, []
        with evaluation_mode(net.module_) as module, torch.no_grad():
            for start in range(0, n_samples, batch_size):
                chunk = X_train[start : start + batch_size].to(self.device_)
                out = module(chunk)
                labels.append(out["assignments"].argmax(dim=-1).T)
                if len(chunk) > 1:
                    totals = totals + criterion.per_run(out) * len(chunk)
                    weights += len(chunk)
        losses = (totals / weights).double().cpu().numpy()
        losses = np.where(np.isfinite(losses), losses, np.inf)
        return losses, torch.cat(labels, dim=1).cpu().numpy()

    # ------------------------------------------------------------ inference

    def _predict_in_chunks(self, X):
        return self._inference(X, lambda m, x: m.predict_proba(x))

    def _labels_in_chunks(self, X):
        return self._inference(X, lambda m, x: m.vote(x)).astype(np.int64)

    def predict(self, X):
        """Cluster index of each sample: the best run's, or the vote of the three kept runs.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, C, H, W)
            New data.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Index of the cluster each sample belongs to.
        """
        X = self._validate_input(X, reset=False)
        return self._labels_in_chunks(X)

    def predict_runs(self, X):
        """Cluster index of each sample under each kept run, best run first.

        The kept runs are aligned to the best one (the same numbering as
        ``labels_``), so the columns can be compared directly; with
        ``voting=True``, ``predict`` is their majority vote.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, C, H, W)
            New data.

        Returns
        -------
        labels : ndarray of shape (n_samples, n_kept_runs)
            Column ``r`` holds the labels of run ``kept_runs_[r]``.

        Examples
        --------
        >>> from sklearn.datasets import make_blobs
        >>> from skdeepcluster import DDCClustering
        >>> X, _ = make_blobs(90, centers=3, random_state=0)
        >>> ddc = DDCClustering(3, n_init=3, voting=True, epochs=5, batch_size=30,
        ...                     device="cpu", random_state=0).fit(X)
        >>> ddc.predict_runs(X).shape
        (90, 3)
        """
        X = self._validate_input(X, reset=False)
        return self._inference(
            X, lambda m, x: m(x)["assignments"].argmax(dim=-1)
        ).astype(np.int64)

    # ---------------------------------------------------- weights-only loading

    def _init_module(self, n_features, state_dict):
        return self._build_network(n_features, int(state_dict["output.weight"].shape[0]))

    def _loading_criterion(self):
        return self._criterion()

    def _wrap_module(self, module):
        return super()._wrap_module(module, net_class=DDCNet, optimizer=RunwiseClippedAdam)
