"""Two processes with half of each batch train the model one process trains on whole batches."""

import pickle

import numpy as np
import pytest
import torch

from distributed_worker import fit, fit_in_process

dist = pytest.importorskip("torch.distributed")
pytestmark = pytest.mark.skipif(not dist.is_available(), reason="torch without distributed")


@pytest.mark.parametrize("name", ["DEC", "DCN"])
def test_two_gloo_processes_give_the_losses_of_one(name, tmp_path):
    out = tmp_path / "result"
    torch.multiprocessing.spawn(fit_in_process, args=(2, str(tmp_path / "init"), name, str(out)),
                                nprocs=2, join=True)
    results = [pickle.loads((tmp_path / f"result.{rank}").read_bytes()) for rank in (0, 1)]
    one = fit(name)
    assert set(one["batch_sizes"]) == {32}
    for together in results:  # each process trained on half of every batch ...
        assert set(together["batch_sizes"]) == {16}
    for together in results:  # ... both hold the same model ...
        # ... whose losses, epoch by epoch, are one process's on the whole batches
        np.testing.assert_allclose(together["pretrain_loss"], one["pretrain_loss"], rtol=1e-5)
        np.testing.assert_allclose(together["loss"], one["loss"], rtol=1e-5)
        np.testing.assert_array_equal(together["labels"], one["labels"])
        np.testing.assert_allclose(together["centers"], one["centers"], rtol=1e-5, atol=1e-6)
