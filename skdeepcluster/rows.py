"""Training data kept on the host as given, handed out a batch of rows at a time.

Data that should not become one float32 tensor -- a scipy sparse matrix, a
memory-mapped file, an h5py or zarr array -- is wrapped in a :class:`HostRows`
by :func:`~skdeepcluster.engine.to_training_tensor`; the training batches and
the chunked inference of :mod:`skdeepcluster.engine` index it like a tensor.
"""

import os

import numpy as np
import torch

__all__ = [
    "HostRows",
    "host_array",
    "SparseRows",
    "MappedRows",
    "LazyRows",
    "is_memory_mapped",
    "is_lazy_array",
    "release_mapped_pages",
    "return_large_blocks_to_the_system",
    "RELEASE_EVERY",
]


def host_array(X_train):
    """The training rows as a host array: a :class:`HostRows`' own data, or a tensor's copy.

    For the steps that hand the whole training set to scikit-learn (a
    transformer, a neighbour search) rather than a batch at a time.
    """
    return X_train.X if isinstance(X_train, HostRows) else X_train.cpu().numpy()


class HostRows:
    """Training data kept on the host as given, handed out a batch of rows at a time.

    Indexing with integer indices (an array or a tensor) or a slice returns the
    selected rows as a float tensor on the CPU; :class:`ResidentBatches` and
    :func:`map_in_chunks` move each batch to the training device.  The data
    itself is in ``X``.
    """

    device = torch.device("cpu")

    def __init__(self, X, dtype=torch.float32):
        self.X = X
        self.dtype = dtype

    @property
    def shape(self):
        return self.X.shape

    def __len__(self):
        return self.X.shape[0]

    def __getitem__(self, index):
        if isinstance(index, torch.Tensor):
            index = index.cpu().numpy()
        return torch.from_numpy(self._rows(index)).to(self.dtype)

    def _rows(self, index):
        raise NotImplementedError


_LARGE_BLOCKS_RETURNED = False


def return_large_blocks_to_the_system():
    """Have glibc's ``malloc`` return freed blocks of at least 1 MiB to the system.

    glibc otherwise raises its threshold for that as large blocks are freed,
    and serves later large blocks from a heap that keeps its freed space: a
    training step's batch-sized temporaries, freed between small allocations
    that live on (the history's per-batch entries), then grow the heap by a
    batch per step through the first epoch.  Set once per process; a no-op
    where ``malloc`` is not glibc's.
    """
    global _LARGE_BLOCKS_RETURNED
    if _LARGE_BLOCKS_RETURNED:
        return
    _LARGE_BLOCKS_RETURNED = True
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 1 << 20)  # M_MMAP_THRESHOLD: fixed at 1 MiB
    except (OSError, AttributeError):
        pass


# Bytes of a memory-mapped file read between two releases of its pages.
RELEASE_EVERY = 64 * 2**20


def _memmap_base(X):
    """The :class:`numpy.memmap` the array ``X`` is (a view of), or None."""
    while X is not None and not isinstance(X, np.memmap):
        X = getattr(X, "base", None)
    return X


def release_mapped_pages(X):
    """Drop the pages of ``X``'s memory-mapped file from this process.

    They stay in the operating system's file cache, and are read again from
    there (or from the file) when next needed; the process's resident memory
    no longer counts them.
    """
    import mmap

    mapping = getattr(_memmap_base(X), "_mmap", None)
    if mapping is not None and hasattr(mmap, "MADV_DONTNEED"):
        mapping.madvise(mmap.MADV_DONTNEED)


def is_memory_mapped(X):
    """Whether the numpy array ``X`` is (a view of) a memory-mapped file.

    >>> import numpy as np
    >>> is_memory_mapped(np.zeros(3))
    False
    """
    import mmap

    while X is not None:
        if isinstance(X, (np.memmap, mmap.mmap)):
            return True
        X = getattr(X, "base", None)
    return False


class MappedRows(HostRows):
    """A memory-mapped array (a :class:`numpy.memmap`) read a batch of rows at a time.

    The file is never read whole into memory, nor copied: each batch reads its
    rows from the file straight into a float32 buffer (``os.preadv``, not
    through the mapping, whose page faults would map much of the file around
    each row), so memory beyond the model is a few batches, whatever the size
    of the file.  The buffers are reused: a batch stays valid until the next
    but one is read (a training step reads one).  On Linux (glibc), blocks of
    at least 1 MiB are returned to the system when freed
    (:func:`return_large_blocks_to_the_system`), since a training step's
    batch-sized temporaries would otherwise stay in the heap.

    Parameters
    ----------
    X : numpy.memmap or a view of one, of shape (n_samples, n_features)
        Read only; the caller's file is never modified.
    dtype : torch.dtype, default=torch.float32
        Dtype of the batches.
    """

    def __init__(self, X, dtype=torch.float32):
        super().__init__(X, dtype)
        self._buffers = {}  # rows -> two float32 buffers, used in turn
        self._file = _file_rows(X)  # (path, offset of row 0, row stride), or None
        return_large_blocks_to_the_system()

    def _buffer(self, n_rows, dtype=np.float32):
        pair = self._buffers.get((n_rows, dtype))
        if pair is None:
            shape = (n_rows, *self.X.shape[1:])
            pair = self._buffers[(n_rows, dtype)] = [np.empty(shape, dtype) for _ in range(2)]
        pair.reverse()
        return pair[0]

    def _rows(self, index):
        if isinstance(index, slice):
            index = np.arange(*index.indices(len(self)))
        index = np.asarray(index, dtype=np.intp)
        out = self._buffer(len(index))
        if self._file is None:  # not a plain file of rows: through the mapping
            out[...] = self.X[index]
            release_mapped_pages(self.X)
            return out
        path, start, stride = self._file
        rows = out if self.X.dtype == np.float32 else self._buffer(len(index), self.X.dtype)
        fd = os.open(path, os.O_RDONLY)
        try:
            for row, i in zip(rows, index.tolist()):
                os.preadv(fd, [row], start + i * stride)
        finally:
            os.close(fd)
        if rows is not out:
            out[...] = rows
        return out

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_buffers"] = {}
        return state


def _file_rows(X):
    """``(path, byte offset of row 0, row stride)`` of a memory-mapped ``X`` whose
    rows are contiguous in its file, or None."""
    base = _memmap_base(X)
    if (base is None or getattr(base, "filename", None) is None or not hasattr(os, "preadv")
            or X.ndim < 1 or not X[:1].flags.c_contiguous or X.strides[0] <= 0):
        return None
    start = base.offset + (X.__array_interface__["data"][0] - base.__array_interface__["data"][0])
    return os.fspath(base.filename), start, X.strides[0]


def is_lazy_array(X):
    """Whether ``X`` is an on-disk array of h5py or zarr, read only where indexed.

    >>> import numpy as np
    >>> is_lazy_array(np.zeros((2, 2)))
    False
    """
    return type(X).__module__.split(".")[0] in ("h5py", "zarr") and hasattr(X, "shape")


class LazyRows(HostRows):
    """An h5py dataset or a zarr array read a batch of rows at a time.

    The rows of a batch are read in increasing order (as HDF5 requires) and
    put back in the batch's order, as float32.

    Parameters
    ----------
    X : h5py.Dataset or zarr.Array of shape (n_samples, n_features)
        Read only.
    dtype : torch.dtype, default=torch.float32
        Dtype of the batches.
    """

    def _rows(self, index):
        if isinstance(index, slice):
            return np.asarray(self.X[index], dtype=np.float32)
        index = np.asarray(index, dtype=np.intp)
        increasing = np.unique(index)
        rows = self.X.oindex[increasing] if hasattr(self.X, "oindex") else self.X[increasing]
        # each requested row, from the one read of the rows in increasing order
        return np.asarray(rows, dtype=np.float32)[np.searchsorted(increasing, index)]


class SparseRows(HostRows):
    """A scipy sparse matrix that hands out dense float rows, a batch at a time.

    Sparse data (TF-IDF text, say) stays sparse on the host; indexing with
    integer indices or a slice densifies only the selected rows, as a float32
    tensor on the CPU.  :class:`ResidentBatches` and :func:`map_in_chunks`
    move each dense batch to the training device.

    Parameters
    ----------
    X : scipy.sparse matrix or array of shape (n_samples, n_features)
        Kept as CSR (a copy: the caller's matrix is never modified).
    dtype : torch.dtype, default=torch.float32
        Dtype of the dense batches.
    """

    def __init__(self, X, dtype=torch.float32):
        import scipy.sparse as sp

        super().__init__(sp.csr_matrix(X, copy=True), dtype)

    def _rows(self, index):
        return self.X[index].toarray()
