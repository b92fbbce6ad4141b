"""The main job's ``--threads``: torch's and the BLAS thread pools during the fits."""

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback
from threadpoolctl import threadpool_info, threadpool_limits

import skdeepcluster.__main__ as cli
from skdeepcluster import DECClustering
from skdeepcluster.__main__ import main
from threads import torch_threads

ARGS = ["--n-samples", "60", "--pretrain-epochs", "1", "--epochs", "1", "--device", "cpu"]


@pytest.fixture
def seen(monkeypatch):
    """The thread counts the estimator's fit ran with."""
    seen = {}

    class Recorded(cli.METHODS["dec"]):
        def fit(self, X, y=None):
            seen["torch"] = torch.get_num_threads()
            seen["pools"] = {pool["user_api"]: pool["num_threads"] for pool in threadpool_info()}
            return super().fit(X, y)

    monkeypatch.setitem(cli.METHODS, "dec", Recorded)
    return seen


def test_one_thread_by_default_and_restored_after(seen, capsys):
    with torch_threads(2):
        main(ARGS)
        assert torch.get_num_threads() == 2
    assert seen["torch"] == 1
    assert all(n == 1 for n in seen["pools"].values())
    assert "(trained on cpu with 1 CPU thread: " in capsys.readouterr().out


def test_threads_option_sets_the_count(seen, capsys):
    main([*ARGS, "--threads", "2"])
    assert seen["torch"] == 2
    assert "with 2 CPU threads: " in capsys.readouterr().out


def test_threads_0_leaves_the_thread_pools_alone(seen):
    with torch_threads(2):
        main([*ARGS, "--threads", "0"])
    assert seen["torch"] == 2
    assert all(n == 2 for n in seen["pools"].values())


def test_negative_threads_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([*ARGS, "--threads", "-1"])
    assert exit_info.value.code == 2
    assert "--threads should be >= 0, got -1" in capsys.readouterr().err


def test_estimators_follow_threadpool_limits():
    # What the user guide recommends on a shared machine: torch's OpenMP pool is one of
    # the pools threadpoolctl limits, so a fit inside threadpool_limits runs on one thread.
    class Threads(Callback):
        def on_train_begin(self, net, **kwargs):
            counts.append(torch.get_num_threads())

    counts = []
    X = np.random.RandomState(0).rand(40, 4)
    model = DECClustering(2, hidden_dims=(8,), embedding_dim=2, n_init=1, pretrain_epochs=1,
                          epochs=1, callbacks=[Threads()], random_state=0)
    with torch_threads(2):
        with threadpool_limits(limits=1):
            model.fit(X)
        model.fit(X)
    assert counts == [1, 2]
