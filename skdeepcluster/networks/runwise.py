"""DDC's networks: ``R`` independent runs evaluated as one module, and their training.

Every parameter of a "runwise" layer has the run as its leading dimension;
activations are ``(n, R, features)`` (or ``(n, R * channels, H, W)`` for
convolutions, grouped by run).  :class:`DDCNet` trains such a module with
per-run gradient clipping inside the optimizer step.
"""

import copy
import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..engine import DeepClusteringNet
from .autoencoders import Unflatten

__all__ = [
    "RunwiseLinear",
    "RunwiseBatchNorm",
    "RunwiseConv2d",
    "DDCMLPBackbone",
    "DDCConvBackbone",
    "DACConvBackbone",
    "RunLoopBackbone",
    "DDCNetwork",
    "small_normal_init_",
    "RunwiseClippedAdam",
    "DDCNet",
]

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

    def __init__(self, in_channels, out_channels, kernel_size, n_runs, shared_input=False,
                 padding=0):
        super().__init__()
        self.padding = padding
        fan_in = in_channels * kernel_size * kernel_size
        weight = torch.empty(n_runs, out_channels, in_channels, kernel_size, kernel_size)
        self.weight = nn.Parameter(_he_uniform_(weight, fan_in))
        self.bias = nn.Parameter(torch.zeros(n_runs, out_channels))
        self.shared_input = shared_input

    def forward(self, x):
        n_runs = self.weight.shape[0]
        weight = self.weight.reshape(-1, *self.weight.shape[2:])
        groups = 1 if self.shared_input else n_runs
        padding = getattr(self, "padding", 0)  # absent from modules pickled before it existed
        return F.conv2d(x, weight, self.bias.reshape(-1), padding=padding, groups=groups)


# Where the fully connected layers of a softmax-head network put BatchNorm.
BATCH_NORM_PLACEMENTS = ("after_relu", "before_relu", "none")


def _check_batch_norm(batch_norm):
    if batch_norm not in BATCH_NORM_PLACEMENTS:
        raise ValueError(f"batch_norm must be one of {BATCH_NORM_PLACEMENTS}; got {batch_norm!r}.")


class DDCMLPBackbone(nn.Module):
    """The paper's fully connected backbone for vectors, for ``R`` runs.

    ``Linear -> ReLU`` per width of ``hidden_dims``, with BatchNorm after the
    last one (``batch_norm="after_relu"``: the DDC paper's ``200-200-500``
    with BatchNorm on the 500 layer), or ``Linear -> BatchNorm -> ReLU`` on
    every layer (``"before_relu"``: IMSAT's network).  Output
    ``(n, R, hidden_dims[-1])``; the identity (``(n, R, d)``) when
    ``hidden_dims`` is empty.  ``batch_norm="none"`` has no BatchNorm at all
    (CCNN's, whose features must not depend on the batch).
    """

    def __init__(self, input_dim, hidden_dims=(200, 200, 500), n_runs=1, batch_norm="after_relu"):
        super().__init__()
        _check_batch_norm(batch_norm)
        sizes = [int(input_dim), *map(int, hidden_dims)]
        self.n_runs = n_runs
        self.batch_norm = batch_norm
        self.layers = nn.ModuleList(
            RunwiseLinear(a, b, n_runs) for a, b in zip(sizes[:-1], sizes[1:])
        )
        if batch_norm == "before_relu":
            self.norms = nn.ModuleList(RunwiseBatchNorm(b, n_runs) for b in sizes[1:])
        elif batch_norm == "none":
            self.norm = None
        else:
            self.norm = RunwiseBatchNorm(sizes[-1], n_runs) if len(sizes) > 1 else None
        self.output_dim = sizes[-1]

    def forward(self, x):
        if not self.layers:
            return x[:, None, :].expand(-1, self.n_runs, -1)
        if self.batch_norm == "before_relu":
            for layer, norm in zip(self.layers, self.norms):
                x = F.relu(norm(layer(x)))
            return x
        for layer in self.layers:
            x = F.relu(layer(x))
        return x if self.norm is None else self.norm(x)


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


class RunwiseBatchNorm2d(_Runwise):
    """``R`` independent ``BatchNorm2d`` layers on ``(n, R * channels, H, W)``, grouped by run."""

    def __init__(self, num_channels, n_runs, momentum=0.1, eps=1e-5):
        super().__init__()
        self.momentum, self.eps = momentum, eps
        self.weight = nn.Parameter(torch.ones(n_runs, num_channels))
        self.bias = nn.Parameter(torch.zeros(n_runs, num_channels))
        self.register_buffer("running_mean", torch.zeros(n_runs, num_channels))
        self.register_buffer("running_var", torch.ones(n_runs, num_channels))

    def forward(self, x):
        return F.batch_norm(
            x, self.running_mean.view(-1), self.running_var.view(-1), self.weight.view(-1),
            self.bias.view(-1), self.training, self.momentum, self.eps,
        )


# Smallest image side DAC's unpadded network takes: three 3x3 convolutions, a pool, three
# more and a pool; smaller images, down to DAC_PADDED_MIN_SIDE, get padded convolutions.
DAC_MIN_SIDE = 22
DAC_PADDED_MIN_SIDE = 8


class DACConvBackbone(nn.Module):
    """DAC's all-convolutional network for images (its authors' MNIST code), for ``R`` runs.

    Three ``conv 3x3 (64) -> BatchNorm -> ReLU``, max-pool 2, BatchNorm; three
    ``conv 3x3 (128) -> BatchNorm -> ReLU``, max-pool 2, BatchNorm; ``conv
    1x1 (10) -> BatchNorm -> ReLU``, global average pool, BatchNorm.  Unpadded
    convolutions, as the code's; the average pool covers the whole map (the
    code's 2x2 pool on MNIST's 2x2 map).  Output ``(n, R, 10)``; the code's
    two dense layers are the hidden and output layers of :class:`DDCNetwork`
    (``batch_norm="before_relu", output_batch_norm=True``).
    """

    def __init__(self, input_shape, channels=(64, 128), width=10, n_runs=1):
        super().__init__()
        input_shape = tuple(int(s) for s in input_shape)
        if len(input_shape) != 3:
            raise ValueError(f"input_shape must be (channels, height, width); got {input_shape}.")
        if min(input_shape[1:]) < DAC_PADDED_MIN_SIDE:
            raise ValueError(
                f"Images of shape {input_shape} are too small for DAC's convolutional network "
                f"(two poolings of padded convolutions need at least "
                f"{DAC_PADDED_MIN_SIDE}x{DAC_PADDED_MIN_SIDE}); use network='mlp'."
            )
        padding = 0 if min(input_shape[1:]) >= DAC_MIN_SIDE else 1
        self.unflatten = Unflatten(input_shape)
        self.n_runs = n_runs
        layers, n_in = [], input_shape[0]
        for block, n_out in enumerate(int(c) for c in channels):
            for _ in range(3):
                conv = RunwiseConv2d(n_in, n_out, 3, n_runs, shared_input=not layers,
                                     padding=padding)
                layers += [conv, RunwiseBatchNorm2d(n_out, n_runs), nn.ReLU()]
                n_in = n_out
            layers += [nn.MaxPool2d(2), RunwiseBatchNorm2d(n_out, n_runs)]
        layers += [RunwiseConv2d(n_in, width, 1, n_runs), RunwiseBatchNorm2d(width, n_runs),
                   nn.ReLU(), nn.AdaptiveAvgPool2d(1), RunwiseBatchNorm2d(width, n_runs)]
        self.convolutions = nn.Sequential(*layers)
        self.output_dim = width

    def forward(self, x):
        return self.convolutions(self.unflatten(x)).reshape(x.shape[0], self.n_runs, -1)


class RunLoopBackbone(nn.Module):
    """``R`` copies of a user's backbone, each re-initialised; output ``(n, R, features)``."""

    def __init__(self, copies):
        super().__init__()
        self.runs = nn.ModuleList(copies)
        self.n_runs = len(copies)

    def forward(self, x):
        return torch.stack([run(x).reshape(x.shape[0], -1) for run in self.runs], dim=1)


def small_normal_init_(network, wscale=0.1, output_wscale=1e-4):
    """Re-draw the run-wise layers of ``network`` small, as IMSAT's code; returns it.

    Weights of every :class:`RunwiseLinear` and :class:`RunwiseConv2d` are
    drawn from ``N(0, wscale / fan_in)``, those of the output layer
    ``network.output`` with ``output_wscale``, and the biases are zero: the
    authors' chainer (v1) ``Linear(..., wscale=0.1)``, and ``wscale=0.0001``
    for the last layer, so that the softmax starts almost uniform.  A user's
    backbone (:class:`RunLoopBackbone`) keeps its own initialisation.

    Examples
    --------
    >>> import torch
    >>> _ = torch.manual_seed(0)
    >>> net = small_normal_init_(DDCNetwork(DDCMLPBackbone(4, (8,)), 8, 3, embedding_dim=8))
    >>> bool(net.output.weight.std() < 1e-2)  # sqrt(0.0001 / 8), about 0.0035
    True
    """
    with torch.no_grad():
        for module in network.modules():
            if isinstance(module, (RunwiseLinear, RunwiseConv2d)):
                fan_in = math.prod(module.weight.shape[2:])
                variance = (output_wscale if module is network.output else wscale) / fan_in
                module.weight.normal_(0.0, math.sqrt(variance))
                module.bias.zero_()
    return network


def _reset_parameters(module):
    for sub in module.modules():
        reset = getattr(sub, "reset_parameters", None)
        if callable(reset):
            reset()


class DDCNetwork(nn.Module):
    """Backbone, hidden layer and softmax of ``R`` DDC runs evaluated together.

    ``backbone -> FC(embedding_dim) -> ReLU -> BatchNorm -> FC(K) -> softmax``
    (BatchNorm before the ReLU with ``batch_norm="before_relu"``).
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
    batch_norm : {"after_relu", "before_relu", "none"}, default="after_relu"
        The hidden layer's order: ``FC -> ReLU -> BatchNorm`` (DDC's),
        ``FC -> BatchNorm -> ReLU`` (IMSAT's), or ``"none"``: ``FC -> ReLU``.
    output_batch_norm : bool, default=False
        ``FC(K) -> BatchNorm -> ReLU -> softmax`` (DAC's code): each output
        unit is normalised over the batch before the softmax.

    Examples
    --------
    >>> import torch
    >>> backbone = DDCMLPBackbone(5, (8,), n_runs=3)
    >>> net = DDCNetwork(backbone, 8, n_clusters=2, embedding_dim=4, n_runs=3)
    >>> out = net(torch.randn(6, 5))
    >>> out["embedding"].shape, out["assignments"].shape
    (torch.Size([6, 3, 4]), torch.Size([6, 3, 2]))
    """

    def __init__(
        self, backbone, backbone_dim, n_clusters, embedding_dim=100, n_runs=1,
        batch_norm="after_relu", output_batch_norm=False,
    ):
        super().__init__()
        _check_batch_norm(batch_norm)
        self.batch_norm = batch_norm
        if output_batch_norm:
            self.output_norm = RunwiseBatchNorm(n_clusters, n_runs)
        self.backbone = backbone
        self.hidden = RunwiseLinear(backbone_dim, embedding_dim, n_runs)
        self.hidden_norm = (
            nn.Identity() if batch_norm == "none" else RunwiseBatchNorm(embedding_dim, n_runs)
        )
        self.output = RunwiseLinear(embedding_dim, n_clusters, n_runs)
        self.n_runs = n_runs
        self.embedding_dim = embedding_dim
        self.n_clusters = n_clusters

    def hidden_all(self, x):
        hidden = self.hidden(self.backbone(x))
        if self.batch_norm == "before_relu":
            return F.relu(self.hidden_norm(hidden))
        return self.hidden_norm(F.relu(hidden))

    def logits(self, hidden):
        """The runs' inputs of the softmax, ``(n, R, K)``, from their hidden layers."""
        logits = self.output(hidden)
        norm = getattr(self, "output_norm", None)
        return logits if norm is None else F.relu(norm(logits))

    def forward(self, x):
        hidden = self.hidden_all(x)
        return {"embedding": hidden, "assignments": torch.softmax(self.logits(hidden), dim=-1)}

    def encode(self, x):
        """Hidden representation of the best (first) run, ``(n, embedding_dim)``."""
        return self.hidden_all(x)[:, 0]

    def assign(self, hidden):
        """Softmax assignments of the best run from its hidden representation."""
        if getattr(self, "output_norm", None) is not None:
            return torch.softmax(self.logits(hidden)[:, 0], dim=-1)
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
        labels = torch.softmax(self.logits(hidden), dim=-1).argmax(dim=-1)
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
            norm = getattr(selected, "output_norm", None)
            for module in (selected.output, *([] if norm is None else [norm])):
                for tensor in [*module._parameters.values(), *module._buffers.values()]:
                    tensor.data = tensor.data[rows, order].clone()
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
