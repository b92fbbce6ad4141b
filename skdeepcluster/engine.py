"""The training engine: one skorch ``NeuralNet`` and the callbacks of the schedules.

Every method of the package trains through :class:`DeepClusteringNet`.  A
method supplies three things, the axes of the deep-clustering anatomy:

* a **network** (a module from :mod:`skdeepcluster.networks` returning a dict
  of named outputs),
* a **loss** (a criterion module from :mod:`skdeepcluster.losses`, called as
  ``criterion(outputs, X_batch, batch_indices)``; one whose ``needs_network``
  is true also gets ``network=`` the module, to run it on other inputs),
* a **schedule** (skorch callbacks such as :class:`TargetDistributionUpdate`).

The data path keeps the whole training set on the training device when it
fits and draws mini-batches there by index (:class:`ResidentBatches`); each
batch carries the indices of its samples, so that callbacks and losses can
keep per-sample state (targets, assignments) in device tensors.  Batch losses
are gathered on the device and copied to the host once per epoch, so an epoch
has no host synchronisation per batch.
"""

import math
import os
import re
import sys
from contextlib import contextmanager

import numpy as np
import torch
from skorch import NeuralNet
from skorch.callbacks import PrintLog

from .distributed import (
    average_gradients,
    broadcast_module,
    is_distributed,
    shard,
    weighted_mean,
    world,
)

# The host-side data containers live in .rows; importable from here as before.
from .rows import (  # noqa: F401
    RELEASE_EVERY,
    LazyRows,
    MappedRows,
    SparseRows,
    is_lazy_array,
    is_memory_mapped,
    release_mapped_pages,
)

__all__ = [
    "DeepClusteringNet",
    "ResidentBatches",
    "resolve_device",
    "seeded",
    "to_training_tensor",
    "SparseRows",
    "map_in_chunks",
    "evaluation_mode",
    "store_in_place",
    "PRECISIONS",
    "tf32_matmuls",
    "float32_outputs",
]

# Fraction of the free device memory the resident training set may take.
_RESIDENT_FRACTION = 0.5

# The arithmetic a ``precision`` parameter may ask of training.
PRECISIONS = ("float32", "tf32", "bf16")


def resolve_device(device):
    """Turn a ``device`` parameter into a concrete torch device string.

    Parameters
    ----------
    device : str, torch.device or None
        ``"auto"`` (or None) picks CUDA when available, else the CPU; any
        other value must name a device that exists here.

    Returns
    -------
    device : str
        For example ``"cpu"`` or ``"cuda"`` or ``"cuda:1"``.

    Examples
    --------
    >>> resolve_device("cpu")
    'cpu'
    """
    if device is None or (isinstance(device, str) and device == "auto"):
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        raise ValueError(
            f"device={device!r} is not a valid torch device; use 'auto', 'cpu', "
            "'cuda' or 'cuda:N'."
        ) from None
    if resolved.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(
                f"device={device!r} was requested but CUDA is not available on this "
                "machine; use device='auto' or device='cpu'."
            )
        if resolved.index is not None and resolved.index >= torch.cuda.device_count():
            raise ValueError(
                f"device={device!r} was requested but only "
                f"{torch.cuda.device_count()} CUDA device(s) are visible."
            )
    elif resolved.type == "mps":
        if not torch.backends.mps.is_available():
            raise ValueError(f"device={device!r} was requested but MPS is not available here.")
    elif resolved.type != "cpu":
        raise ValueError(f"device={device!r} is not supported; use 'auto', 'cpu' or 'cuda'.")
    return str(resolved)


@contextmanager
def seeded(seed, device):
    """Run a block under torch's global seed ``seed``, restoring the RNG state after.

    skorch has no seeding of its own; weight initialisation and dropout draw
    from torch's global generators, which this forks so that fitting an
    estimator does not disturb the caller's random state.
    """
    device = torch.device(device)
    cuda_devices = []
    if device.type == "cuda":
        cuda_devices = [device.index if device.index is not None else torch.cuda.current_device()]
    with torch.random.fork_rng(devices=cuda_devices):
        torch.manual_seed(seed)
        yield


@contextmanager
def tf32_matmuls(device):
    """Let float32 matrix products and convolutions on CUDA use TF32 for the block.

    TF32 tensor cores (Ampere GPUs and newer) multiply with a 10-bit mantissa
    and accumulate in float32.  The previous settings are restored after the
    block; on any other device this does nothing.
    """
    if torch.device(device).type != "cuda":
        yield
        return
    matmul, conv = torch.backends.cuda.matmul, torch.backends.cudnn
    if hasattr(matmul, "fp32_precision"):  # torch >= 2.9 (the legacy flags may not be mixed in)
        conv = torch.backends.cudnn.conv
        flag, on = "fp32_precision", "tf32"
    else:
        flag, on = "allow_tf32", True
    saved = getattr(matmul, flag), getattr(conv, flag)
    setattr(matmul, flag, on)
    setattr(conv, flag, on)
    try:
        yield
    finally:
        setattr(matmul, flag, saved[0])
        setattr(conv, flag, saved[1])


def float32_outputs(outputs):
    """``outputs`` (a tensor, dict or tuple of them) with half-precision tensors cast to float32.

    Float16 and bfloat16 tensors are cast; everything else is returned as it is.

    Examples
    --------
    >>> import torch
    >>> out = float32_outputs({"z": torch.ones(2, dtype=torch.bfloat16), "k": 3})
    >>> out["z"].dtype, out["k"]
    (torch.float32, 3)
    """
    if isinstance(outputs, dict):
        return {key: float32_outputs(value) for key, value in outputs.items()}
    if isinstance(outputs, tuple):
        return tuple(float32_outputs(value) for value in outputs)
    if isinstance(outputs, torch.Tensor) and outputs.dtype in (torch.bfloat16, torch.float16):
        return outputs.float()
    return outputs


def to_training_tensor(X, device):
    """Copy a float array into a float32 tensor for training.

    The tensor lives on ``device`` when it takes at most half of the device's
    free memory; otherwise it stays in (pinned) host memory and
    :class:`ResidentBatches` moves one batch at a time.  A scipy sparse
    matrix becomes :class:`SparseRows`: it stays sparse on the host and is
    densified a batch at a time.  A memory-mapped array becomes
    :class:`MappedRows`: it stays in its file and is read a batch at a time.
    """
    import scipy.sparse as sp

    if sp.issparse(X):
        return SparseRows(X)
    if is_memory_mapped(X):
        return MappedRows(X)
    if is_lazy_array(X):
        return LazyRows(X)
    X = np.asarray(X)
    device = torch.device(device)
    host = torch.tensor(X, dtype=torch.float32)  # always a copy: the caller's data stays untouched
    if device.type != "cuda":
        return host
    free, _ = torch.cuda.mem_get_info(device)
    if host.numel() * host.element_size() <= _RESIDENT_FRACTION * free:
        return host.to(device)
    return host.pin_memory()


@contextmanager
def evaluation_mode(module):
    """Put ``module`` in evaluation mode for the block, then restore its previous mode.

    Examples
    --------
    >>> from torch import nn
    >>> layer = nn.Dropout()
    >>> with evaluation_mode(layer):
    ...     layer.training
    False
    >>> layer.training
    True
    """
    was_training = module.training
    module.eval()
    try:
        yield module
    finally:
        module.train(was_training)


def store_in_place(owner, name, value):
    """Set ``owner.<name>`` to ``value``, copying into the tensor already there if shapes match.

    A training step captured in a CUDA graph keeps reading the memory of the
    tensor it saw, so per-sample state that a loss reads by index (DEC's
    target, the discriminative method's assignments) is refreshed in place.
    """
    current = getattr(owner, name, None)
    if current is not None and current.shape == value.shape:
        current.copy_(value)
    else:
        setattr(owner, name, value)


def map_in_chunks(fn, X, device, batch_size=4096, dtype=torch.float32, to_numpy=True):
    """Apply ``fn`` to ``X`` chunk by chunk without gradients.

    Memory beyond the input is bounded by one chunk and the outputs, whatever
    the number of samples.

    Parameters
    ----------
    fn : callable
        Maps a batch tensor to a tensor.
    X : ndarray or torch.Tensor of shape (n_samples, ...)
        The inputs, on any device.
    device : str or torch.device
        Where ``fn`` runs.
    batch_size : int, default=4096
        Chunk size.
    dtype : torch.dtype, default=torch.float32
        Dtype the chunks are cast to.
    to_numpy : bool, default=True
        Return a numpy array on the host; otherwise a tensor on ``device``.
    """
    n_samples = X.shape[0]
    result, outputs = None, []
    mapped = isinstance(X, np.ndarray) and is_memory_mapped(X)
    read = 0
    with torch.no_grad():
        for start in range(0, n_samples, batch_size):
            chunk = X[start : start + batch_size]
            if mapped:
                read += chunk.nbytes
                if read >= RELEASE_EVERY:
                    read = 0
                    release_mapped_pages(X)
            if hasattr(chunk, "toarray"):  # a scipy sparse chunk: densify these rows only
                chunk = chunk.toarray()
            if isinstance(chunk, np.ndarray):
                # torch.tensor copies, which read-only memmaps need.
                chunk = torch.tensor(chunk, dtype=dtype, device=device)
            else:
                chunk = chunk.to(device=device, dtype=dtype, non_blocking=True)
            out = fn(chunk)
            if not to_numpy:
                outputs.append(out)
                continue
            if result is None:
                # One allocation for all outputs: small per-chunk arrays left between
                # freed activation buffers would fragment the heap and keep it growing.
                result = np.empty((n_samples, *out.shape[1:]), dtype=_numpy_dtype(out.dtype))
            result[start : start + len(out)] = out.cpu().numpy()
    if to_numpy:
        return result if result is not None else np.empty((0,), dtype=_numpy_dtype(dtype))
    return torch.cat(outputs) if outputs else torch.empty((0,), dtype=dtype, device=device)


def _numpy_dtype(torch_dtype):
    return torch.empty((), dtype=torch_dtype).numpy().dtype


class ResidentBatches:
    """Mini-batches drawn by index from a tensor, yielding ``(X_batch, indices)``.

    When the data already lives on the training device, a batch is a gather
    on that device: no copy through host memory.  Otherwise each batch is
    gathered on the host and moved asynchronously.

    Parameters
    ----------
    dataset : skorch.dataset.Dataset or torch.Tensor
        The training data; for a skorch ``Dataset`` its ``X`` is used.
    batch_size : int
        Samples per batch.
    shuffle : bool, default=True
        Draw a new permutation each epoch.
    seed : int, default=0
        Seed of the permutation generator.
    device : str, default="cpu"
        The training device.
    net : DeepClusteringNet or None, default=None
        When given, iteration stops early once ``net.stop_requested_`` is set.
    """

    def __init__(self, dataset, batch_size, shuffle=True, seed=0, device="cpu", net=None):
        self.X = getattr(dataset, "X", dataset)
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.device = torch.device(device)
        self.net = net
        generator_device = self.X.device if self.X.device.type == "cuda" else "cpu"
        self.generator = torch.Generator(device=generator_device)
        self.generator.manual_seed(int(seed))

    def __len__(self):
        return math.ceil(len(self.X) / self.batch_size)

    def __iter__(self):
        n_samples = len(self.X)
        generator_device = self.generator.device
        if self.shuffle:
            order = torch.randperm(n_samples, generator=self.generator, device=generator_device)
        else:
            order = torch.arange(n_samples, device=generator_device)
        resident = self.X.device.type == self.device.type and (
            self.device.index is None or self.X.device.index == self.device.index
        )
        for start in range(0, n_samples, self.batch_size):
            if self.net is not None and self.net.stop_requested_:
                return
            indices = shard(order[start : start + self.batch_size])  # this process's share
            if resident:
                yield self.X[indices], indices
            else:
                batch = self.X[indices.cpu()]
                if self.device.type == "cuda" and not batch.is_pinned():
                    batch = batch.pin_memory()
                yield batch.to(self.device, non_blocking=True), indices.to(self.device)


_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


def _stdout_is_terminal():
    """Whether ``sys.stdout`` (as it is now) is a terminal that shows colours."""
    if os.environ.get("NO_COLOR"):
        return False
    try:
        return bool(sys.stdout.isatty())
    except (AttributeError, ValueError):  # replaced by an object without it, or closed
        return False


class PlainPrintLog(PrintLog):
    """skorch's ``PrintLog``, with its colour codes only on a terminal.

    skorch highlights the best loss with ANSI escape codes; in a log file or
    captured output they are noise.  They are kept when the table is printed
    to a ``sys.stdout`` that is a terminal (and ``NO_COLOR`` is not set), and
    stripped otherwise, also for another ``sink``.  The columns are those of
    the first epoch, so that the rows stay under their headers; a value some
    epochs add (such as DEC's ``delta_label`` at a target refresh) stays in
    the history.
    """

    def initialize(self):
        super().initialize()
        self.columns_ = None
        return self

    def _sorted_keys(self, keys):
        if getattr(self, "columns_", None) is None:
            self.columns_ = super()._sorted_keys(keys)
        return [key for key in self.columns_ if key in keys]

    def on_epoch_end(self, net, **kwargs):
        if world()[0] == 0:  # only the first of several processes prints
            super().on_epoch_end(net, **kwargs)

    def table(self, row):
        text = super().table(row)
        if self.sink is print and _stdout_is_terminal():
            return text
        return _ANSI_ESCAPE.sub("", text)


class DeepClusteringNet(NeuralNet):
    """skorch ``NeuralNet`` for deep clustering: dict outputs, index-carrying batches.

    The criterion is called as ``criterion(outputs, X_batch, indices)``.
    A callback may set ``stop_requested_`` to end training before the next
    batch (DEC's ``tol`` rule does), and ``stop_reason_`` to say why in
    words (the estimators print it at ``verbose >= 1``).  Losses that are not finite stop
    training with a ``FloatingPointError`` rather than produce garbage.

    On CUDA, small networks are bound by kernel-launch overhead, not
    arithmetic.  With ``cuda_graph=True`` the whole training step (forward,
    backward and optimizer step) of full-size batches is captured once in a
    CUDA graph and replayed for every later batch; the first steps and any
    smaller last batch run eagerly.  The optimizer must support capture
    (Adam is built with ``capturable=True``; SGD needs nothing).  Per-sample
    state that a loss reads by index (such as DEC's target) must be updated
    in place so the graph keeps seeing it.

    With ``precision="bf16"`` the forward pass of each training step runs
    under bfloat16 autocast and its outputs are cast back to float32 before
    the loss, so the network's layers run in bf16 while parameters, optimizer
    state, losses and inference stay float32 (clustering heads decorated with
    :func:`~skdeepcluster.networks.float32_head` opt out of autocast).  With
    ``precision="tf32"`` float32 products may use TF32 on CUDA during
    training (:func:`tf32_matmuls`).

    Parameters
    ----------
    module, criterion
        As for :class:`skorch.NeuralNet`.
    cuda_graph : bool, default=False
        Capture and replay the training step when training on CUDA.
    precision : {"float32", "tf32", "bf16"}, default="float32"
        Arithmetic of training steps; see above.
    verbose : int, default=1
        As skorch: 1 prints a table of losses per epoch; 2 or more also shows
        a progress bar over the batches of each epoch (needs ``tqdm``).
    augmentation : callable or None, default=None
        Applied to each training batch before the forward pass (for example
        :class:`~skdeepcluster.augment.ImageAugmentation`); the loss sees the
        augmented batch too.  Inference is never augmented.
    **kwargs
        As for :class:`skorch.NeuralNet`.  ``iterator_train__seed`` seeds the
        batch order.
    """

    # Eager steps before capture, so that lazy state (optimizer moments,
    # cuBLAS workspaces) exists before the graph records its addresses.
    _graph_warmup_steps = 3

    def __init__(
        self, module, criterion, *, cuda_graph=False, augmentation=None, precision="float32",
        **kwargs,
    ):
        super().__init__(module, criterion, **kwargs)
        self.cuda_graph = cuda_graph
        self.augmentation = augmentation
        self.precision = precision

    stop_requested_ = False
    # Why a callback requested the stop, in words (None: no reason given).
    stop_reason_ = None

    # Stands in a pickle for a parameter that is the fitted attribute itself.
    _FITTED = "<the fitted attribute>"

    def __getstate__(self):
        # The network and criterion reach skorch as instances, so its ``module`` and
        # ``criterion`` parameters *are* ``module_`` and ``criterion_``.  skorch pickles
        # those with a map_location on load; pickled again as plain parameters their
        # CUDA tensors would refuse to load on a CPU-only machine (and load as a copy).
        state = super().__getstate__()
        for name in ("module", "criterion"):
            if state.get(name) is not None and state[name] is getattr(self, name + "_", None):
                state[name] = self._FITTED
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        for name in ("module", "criterion"):
            if isinstance(self.__dict__.get(name), str) and self.__dict__[name] == self._FITTED:
                self.__dict__[name] = self.__dict__[name + "_"]

    def get_default_callbacks(self):
        callbacks = [
            ("print_log", PlainPrintLog()) if name == "print_log" else (name, cb)
            for name, cb in super().get_default_callbacks()
        ]
        if isinstance(self.verbose, (int, np.integer)) and self.verbose >= 2:
            try:
                import tqdm  # noqa: F401
            except ImportError:
                pass  # the per-epoch table of verbose=1 is still printed
            else:
                from skorch.callbacks import ProgressBar

                callbacks.append(("progress_bar", ProgressBar()))
        return callbacks

    def get_iterator(self, dataset, training=False):
        if not training:
            return super().get_iterator(dataset, training=training)
        kwargs = self.get_params_for("iterator_train")
        return ResidentBatches(
            dataset,
            batch_size=kwargs.pop("batch_size", self.batch_size),
            device=self.device,
            net=self,
            **kwargs,
        )

    def forward(self, X, training=False, device="cpu"):
        """All outputs on ``X``; a dict of concatenated tensors for dict-returning modules."""
        outputs = list(self.forward_iter(X, training=training, device=device))
        if outputs and isinstance(outputs[0], dict):
            return {key: torch.cat([out[key] for out in outputs]) for key in outputs[0]}
        if outputs and isinstance(outputs[0], tuple):
            return tuple(map(torch.cat, zip(*outputs)))
        return torch.cat(outputs)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        # A criterion that runs the network itself (VAT's perturbed passes) says so.
        if getattr(self.criterion_, "needs_network", False):
            return self.criterion_(y_pred, X, y_true, network=self.module_)
        return self.criterion_(y_pred, X, y_true)

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        super().on_train_begin(net, X=X, y=y, **kwargs)
        if is_distributed():
            broadcast_module(self.module_)  # one model: process 0's start
        self.stop_requested_ = False
        self.stop_reason_ = None
        self._graph_state = {"eager_steps": 0}

    def on_epoch_begin(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        if self.stop_requested_:
            # skorch's way to end fit_loop cleanly; every callback saw the last epoch's end.
            raise KeyboardInterrupt
        super().on_epoch_begin(net, dataset_train=dataset_train, dataset_valid=dataset_valid, **kwargs)

    def on_train_end(self, net, X=None, y=None, **kwargs):
        super().on_train_end(net, X=X, y=y, **kwargs)
        # Graphs and their static buffers neither pickle nor outlive training.
        self._graph_state = None

    def fit_loop(self, X, y=None, epochs=None, **fit_params):
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision={self.precision!r} is not one of {PRECISIONS}.")
        if self.precision != "tf32":
            return super().fit_loop(X, y, epochs=epochs, **fit_params)
        with tf32_matmuls(self.device):
            return super().fit_loop(X, y, epochs=epochs, **fit_params)

    def _training_forward(self, X, **fit_params):
        """The outputs of a training forward pass, in float32 whatever ``precision``."""
        if self.precision != "bf16":
            return self.infer(X, **fit_params)
        device_type = torch.device(self.device).type
        with torch.autocast(device_type, dtype=torch.bfloat16, cache_enabled=False):
            outputs = self.infer(X, **fit_params)
        return float32_outputs(outputs)

    def train_step_single(self, batch, **fit_params):
        self._set_training(True)
        Xi, indices = batch
        if self.augmentation is not None:
            Xi = self.augmentation(Xi)
        y_pred = self._training_forward(Xi, **fit_params)
        loss = self.get_loss(y_pred, indices, X=Xi, training=True)
        loss.backward()
        if is_distributed():  # the whole batch's gradient and loss, in every process
            total = average_gradients(self.module_.parameters(), len(Xi))
            loss = weighted_mean(loss, len(Xi), total)
        return {"loss": loss, "y_pred": y_pred}

    def train_step(self, batch, **fit_params):
        Xi, indices = batch
        state = getattr(self, "_graph_state", None)
        if (
            not self.cuda_graph
            or is_distributed()
            or state is None
            or fit_params
            or not isinstance(Xi, torch.Tensor)
            or not Xi.is_cuda
            or len(Xi) != self.batch_size
        ):
            return super().train_step(batch, **fit_params)
        if "graph" not in state:
            if state["eager_steps"] < self._graph_warmup_steps:
                state["eager_steps"] += 1
                return self._side_stream_step(batch, **fit_params)
            self._capture_train_step(Xi, indices)
        state["X"].copy_(Xi)
        state["indices"].copy_(indices)
        state["graph"].replay()
        return {"loss": state["loss"].detach().clone(), "y_pred": state["y_pred"]}

    def _side_stream_step(self, batch, **fit_params):
        stream = torch.cuda.Stream()
        stream.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(stream):
            step = super().train_step(batch, **fit_params)
        torch.cuda.current_stream().wait_stream(stream)
        return step

    def _capture_train_step(self, Xi, indices):
        state = self._graph_state
        state["X"] = Xi.clone()
        state["indices"] = indices.clone()
        self._set_training(True)
        self.optimizer_.zero_grad(set_to_none=True)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            X = state["X"] if self.augmentation is None else self.augmentation(state["X"])
            y_pred = self._training_forward(X)
            loss = self.get_loss(y_pred, state["indices"], X=X, training=True)
            loss.backward()
            self.optimizer_.step()
        # Detached views of the static outputs: holding their autograd graph would keep
        # capture-stream nodes alive into later eager steps.
        state.update(
            graph=graph,
            loss=loss.detach(),
            y_pred={key: value.detach() for key, value in y_pred.items()},
        )

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        if iterator is None:
            return
        losses, sizes = [], []
        for batch in iterator:
            self.notify("on_batch_begin", batch=batch, training=training)
            if self.stop_requested_:
                self.history[-1]["batches"].pop()  # the batch that was never run
                break
            step = step_fn(batch, **fit_params)
            losses.append(step["loss"].detach())
            sizes.append(len(batch[0]))
            self.notify("on_batch_end", batch=batch, training=training, **step)
        # One host synchronisation per epoch instead of one per batch.
        values = torch.stack(losses).float().cpu().numpy() if losses else np.empty(0)
        if not np.all(np.isfinite(values)):
            raise FloatingPointError(
                f"The training loss became {values[~np.isfinite(values)][0]} in epoch "
                f"{len(self.history)}; training stopped. Scale the input features "
                "(e.g. StandardScaler or MinMaxScaler) or lower the learning rate."
            )
        entries = self.history[-1]["batches"][len(self.history[-1]["batches"]) - len(values) :]
        for entry, loss, size in zip(entries, values.tolist(), sizes):
            entry[prefix + "_loss"] = loss
            entry[prefix + "_batch_size"] = size
        self.history.record(prefix + "_batch_count", len(values))


def __getattr__(name):
    # TargetDistributionUpdate lived here before the cluster updates had a module of their own.
    if name == "TargetDistributionUpdate":
        from .updates import TargetDistributionUpdate

        return TargetDistributionUpdate
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
