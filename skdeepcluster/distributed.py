"""Data-parallel training on ``torch.distributed``: one model, several processes.

Launch the same script on ``N`` processes (``torchrun --nproc_per_node=N
script.py``, on one machine or several) and call ``fit`` in each on the same
data (a :class:`numpy.memmap` keeps one copy on disk).  The estimators see
the process group and train one model together:

* every process draws the same order of the samples each epoch, and takes
  its share of each mini-batch (``batch_size`` is the batch of all processes
  together);
* after each backward pass the gradients are averaged over the processes,
  weighted by their shares of the batch, so that every loss, a mean over the
  samples of a batch, is that of the whole batch, and so is the loss logged;
* the network starts from process 0's weights, and the statistics the
  clustering needs are global: DEC's target distribution is computed on all
  the data in each process, DCN's centroid updates see the embeddings of the
  whole batch;
* only process 0 prints.

Losses whose value is not a mean over samples (DDC's kernel of a batch) are
taken per process, as the paper's per-batch loss, and averaged.

The process group is the caller's (``torch.distributed.init_process_group``);
under ``torchrun`` with ``WORLD_SIZE`` above 1 and no group yet, ``fit``
starts one (``"nccl"`` on CUDA, ``"gloo"`` on the CPU).
"""

import os

import torch

__all__ = ["world", "is_distributed", "ensure_process_group", "device_of_this_process"]


def world():
    """``(rank, world_size)`` of this process; ``(0, 1)`` outside a process group."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def is_distributed():
    """Whether this process trains together with others."""
    return world()[1] > 1


def ensure_process_group(device):
    """Start the process group ``torchrun`` describes in the environment, if none is."""
    import torch.distributed as dist

    if not dist.is_available() or dist.is_initialized():
        return
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        backend = "nccl" if torch.device(device).type == "cuda" else "gloo"
        dist.init_process_group(backend)


def device_of_this_process(device):
    """``device``, or this process's own GPU for a plain ``"cuda"`` among several processes.

    Processes training together on one machine take the GPU of their local
    rank (``LOCAL_RANK``, set by ``torchrun``), so that ``device="auto"`` puts
    each on its own GPU; a device with an index is used as given.

    >>> device_of_this_process("cpu")
    'cpu'
    """
    if device != "cuda" or not is_distributed():
        return device
    return f"cuda:{int(os.environ.get('LOCAL_RANK', world()[0])) % torch.cuda.device_count()}"


def shard(indices):
    """This process's share of a batch's ``indices`` (all of them outside a group)."""
    rank, size = world()
    return indices if size == 1 else indices[rank::size]


def average_gradients(parameters, n_local):
    """Replace each gradient by the batch-share-weighted mean over the processes.

    Returns the number of samples of the whole batch.
    """
    import torch.distributed as dist

    grads = [p.grad for p in parameters if p.grad is not None]
    device = grads[0].device if grads else torch.device("cpu")
    total = torch.tensor([float(n_local)], device=device)
    dist.all_reduce(total)
    if grads:
        flat = torch.cat([g.reshape(-1) for g in grads]) * n_local
        dist.all_reduce(flat)
        flat /= total
        offset = 0
        for g in grads:
            g.copy_(flat[offset : offset + g.numel()].view_as(g))
            offset += g.numel()
    return total


def weighted_mean(value, n_local, total):
    """The batch-share-weighted mean of a scalar over the processes."""
    import torch.distributed as dist

    value = value.detach().reshape(1).to(total.dtype) * n_local
    dist.all_reduce(value)
    return (value / total)[0]


def gather_rows(*tensors):
    """Every process's rows of each tensor, process 0's first (equal on all processes).

    The shares of a batch differ by at most one row; they are padded to the
    same length for ``all_gather`` and cut back after.
    """
    import torch.distributed as dist

    _, size = world()
    n_local = torch.tensor([len(tensors[0])], device=tensors[0].device)
    counts = [torch.zeros_like(n_local) for _ in range(size)]
    dist.all_gather(counts, n_local)
    counts = [int(c) for c in counts]
    longest = max(counts)
    gathered = []
    for tensor in tensors:
        padded = tensor.new_zeros((longest, *tensor.shape[1:]))
        padded[: len(tensor)] = tensor
        parts = [torch.empty_like(padded) for _ in range(size)]
        dist.all_gather(parts, padded)
        gathered.append(torch.cat([part[:count] for part, count in zip(parts, counts)]))
    return gathered


def broadcast_module(module):
    """Give every process process 0's parameters and buffers."""
    import torch.distributed as dist

    with torch.no_grad():
        for tensor in list(module.parameters()) + list(module.buffers()):
            dist.broadcast(tensor.data, 0)
