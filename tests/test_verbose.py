"""What ``verbose`` prints: the phases in words, plain tables in logs, why training stopped."""

import re
import sys

import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs

import skdeepcluster.engine as engine
from skdeepcluster import (
    DCNClustering,
    DDCClustering,
    DECClustering,
    DeepClustering,
    DiscriminativeLatentClustering,
    DMAEClustering,
    DMMClustering,
)
from skdeepcluster.compose import AutoencoderNetwork, PretrainThenCluster

from estimator_registry import NAMES, make

ANSI = "\x1b["
TINY = dict(hidden_dims=(8,), embedding_dim=2, n_init=1)


@pytest.fixture(scope="module")
def X():
    X, _ = make_blobs(n_samples=60, centers=3, n_features=4, random_state=0)
    return ((X - X.mean(0)) / X.std(0)).astype(np.float32)


def _lines(capsys, name):
    """The estimator's own lines (prefixed with its name) and the whole output."""
    out = capsys.readouterr()
    return [line for line in out.out.splitlines() if line.startswith(f"[{name}]")], out


def test_dec_names_its_phases_with_the_resolved_settings(X, capsys):
    DECClustering(3, **TINY, pretrain_epochs=2, epochs=3, random_state=0, verbose=1).fit(X)
    lines, out = _lines(capsys, "DECClustering")
    text = "\n".join(lines)
    # 60 samples: batch_size="auto" is 32, two batches an epoch
    assert "fitting n_clusters=3 on 60 samples of 4 features on cpu, batch size 32 (auto)" in text
    assert re.search(
        r"pretraining the autoencoder on reconstruction: 2 epochs of 2 batches of 32 "
        r"\(4 steps\), optimizer=adam, lr=0.001", text)
    assert "initialising 3 clusters with k-means (n_init=1) on the embedding" in text
    assert re.search(
        r"clustering phase: 3 epochs of 2 batches of 32 \(6 steps\), optimizer=sgd, lr=0.01; "
        r"stops early when fewer than tol=0.1% of the assignments change", text)
    assert "readout: the labels are the clustering head's assignments" in text
    assert re.search(r"fitted in [\d.]+ s: \d of n_clusters=3 clusters hold samples", text)
    # the phases in the order they run, each before its table of losses
    order = [out.out.index(part) for part in
             ("pretraining", "train_loss", "initialising", "clustering phase", "readout")]
    assert order == sorted(order)
    assert out.err == ""


def test_verbose_0_prints_nothing(X, capsys):
    DECClustering(3, **TINY, pretrain_epochs=1, epochs=2, tol=1.0, random_state=0).fit(X)
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""


@pytest.mark.parametrize("name", NAMES)
def test_every_estimator_names_its_phases(name, X, capsys):
    make(name, n_clusters=2, random_state=0, verbose=1).fit(X)
    lines, out = _lines(capsys, name)
    assert any(line.startswith(f"[{name}] initialising 2 clusters") for line in lines)
    assert any(line.startswith(f"[{name}] readout: ") for line in lines)
    assert any("epoch" in line and "batch" in line for line in lines)
    assert ANSI not in out.out


@pytest.mark.parametrize(
    "estimator, expected",
    [
        (DDCClustering(2, hidden_dims=(8,), embedding_dim=4, n_init=3, epochs=1, batch_size=20),
         ["initialising 2 clusters as the network's softmax head, from random weights "
          "(no k-means)", "joint training (no pretraining): 1 epoch of 3 batches of 20",
          "readout: keeping the run of lowest loss, of 3 runs trained together"]),
        (DMMClustering(2, n_init=1, epochs=1),
         ["initialising 2 clusters with k-means (n_init=1) on the input"]),
        (DMAEClustering(2, **TINY, pretrain_epochs=0, epochs=1),
         ["no pretraining (0 pretraining epochs)", "on the embedding"]),
        (DiscriminativeLatentClustering(2, **TINY, pretrain_epochs=1, epochs=1, batch_size=30),
         ["pretraining the network on DiscriminativePretrainingLoss: 1 epoch of 2 batches of 30",
          "on the embedding, scaled to unit length"]),
        (DeepClustering(2, network=AutoencoderNetwork(hidden_dims=(8,), embedding_dim=2),
                        schedule=PretrainThenCluster(1, 1), readout=KMeans(n_init=1), n_init=1),
         ["readout: fitting KMeans with 2 clusters on the embedding of the trained network"]),
    ],
    ids=["DDC", "DMM", "DMAE", "DDLS", "DeepClustering-KMeans"],
)
def test_the_lines_say_what_each_method_does(estimator, expected, X, capsys):
    estimator.set_params(random_state=0, verbose=1).fit(X)
    text = capsys.readouterr().out
    for part in expected:
        assert part in text


def test_the_tol_stop_says_why_and_when(X, capsys):
    # tol=1: the first refresh (after update_interval=2 batches, one epoch) stops training
    model = DECClustering(3, **TINY, pretrain_epochs=1, epochs=20, update_interval=2, tol=1.0,
                          random_state=0, verbose=1).fit(X)
    text = capsys.readouterr().out
    assert model.n_iter_ == 1
    match = re.search(
        r"\[DECClustering\] stopping at epoch 1: ([\d.]+)% of the assignments \((\d+) of 60\) "
        r"changed since the previous target refresh, below tol=100%", text)
    assert match
    delta = model.history_[-1, "delta_label"]
    assert int(match.group(2)) == round(delta * 60)
    # after the epoch's row of the table, before the readout
    assert text.index("stopping at epoch") > text.rindex("delta_label")
    assert text.index("stopping at epoch") < text.index("readout")


def test_dcn_tol_stop_says_why_and_when(X, capsys):
    model = DCNClustering(3, **TINY, pretrain_epochs=1, epochs=20, tol=1.0, random_state=0,
                          verbose=1).fit(X)
    text = capsys.readouterr().out
    assert model.n_iter_ == 1
    assert re.search(r"\[DCNClustering\] stopping at epoch 1: [\d.]+% of the assignments "
                     r"\(\d+ of 60\) changed during the epoch, below tol=100%", text)


def test_no_stop_line_when_training_runs_its_epochs(X, capsys):
    DECClustering(3, **TINY, pretrain_epochs=1, epochs=2, tol=0.0, random_state=0,
                  verbose=1).fit(X)
    assert "stopping at epoch" not in capsys.readouterr().out


def test_the_table_has_colours_only_on_a_terminal(X, capsys, monkeypatch):
    params = dict(**TINY, pretrain_epochs=1, epochs=1, random_state=0, verbose=1)
    DECClustering(3, **params).fit(X)
    assert ANSI not in capsys.readouterr().out  # captured: not a terminal
    monkeypatch.setattr(engine, "_stdout_is_terminal", lambda: True)
    DECClustering(3, **params).fit(X)
    assert ANSI in capsys.readouterr().out  # skorch's highlight of the best loss


def test_stdout_is_terminal_follows_the_stream_and_no_color(monkeypatch):
    class Stream:
        def __init__(self, tty):
            self.tty = tty

        def isatty(self):
            return self.tty

        def write(self, text):
            return len(text)

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setattr(sys, "stdout", Stream(True))
    assert engine._stdout_is_terminal()
    monkeypatch.setenv("NO_COLOR", "1")
    assert not engine._stdout_is_terminal()
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setattr(sys, "stdout", Stream(False))
    assert not engine._stdout_is_terminal()
    monkeypatch.setattr(sys, "stdout", object())  # no isatty at all
    assert not engine._stdout_is_terminal()


def test_a_custom_sink_gets_no_colours():
    lines = []
    log = engine.PlainPrintLog(sink=lines.append).initialize()
    row = {"epoch": 1, "train_loss": 0.5, "train_loss_best": True, "dur": 0.1}
    assert ANSI in engine.PrintLog().initialize().table(row)  # skorch's own
    assert ANSI not in log.table(row)
