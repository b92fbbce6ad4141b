"""Thread limits for the tests' tiny networks."""

from contextlib import contextmanager

import torch
from threadpoolctl import threadpool_limits


@contextmanager
def torch_threads(n):
    """torch, BLAS and OpenMP on ``n`` threads for the duration, restored after."""
    n_threads = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        with threadpool_limits(limits=n):
            yield
    finally:
        torch.set_num_threads(n_threads)


def one_torch_thread():
    """torch, BLAS and OpenMP on one thread for the duration.

    Tiny networks and k-means on a few hundred points: on a busy 2-core machine
    thread hand-offs cost about ten times the arithmetic.  The thread count also
    changes float sums, so tests comparing two fits run both under it.
    """
    return torch_threads(1)
