"""Shared set-up of the test suite."""

import pytest
from threads import one_torch_thread
from toy_data import standardized_blobs


@pytest.fixture(autouse=True)
def small_networks_on_one_thread(request):
    """Every fast test runs on one thread; the slow ones train paper-sized networks on all.

    Module-scoped fixtures that fit estimators run before this one, so they enter
    :func:`threads.one_torch_thread` themselves.
    """
    if request.node.get_closest_marker("slow"):
        yield
        return
    with one_torch_thread():
        yield


@pytest.fixture(scope="module")
def blobs():
    """150 standardised samples in three blobs: ``(X, y)``."""
    return standardized_blobs()
