"""Reliability: reproducible across processes, interrupts, non-finite losses, extreme scales."""

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from skorch.callbacks import Callback
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score

from skdeepcluster import DECClustering, IDECClustering

from estimator_registry import NAMES, make  # noqa: E402

SMALL = dict(hidden_dims=(16,), embedding_dim=3, pretrain_epochs=5, epochs=4, n_init=2, batch_size=32)
ESTIMATORS = {"DECClustering": DECClustering, "IDECClustering": IDECClustering}
# Every public estimator, small; epochs=4 so that interrupts can fall mid-training.
ALL = {name: (lambda name=name, **kw: make(name, **{"epochs": 4, **kw})) for name in NAMES}


@pytest.fixture(scope="module")
def blobs():
    X, y = make_blobs(150, n_features=6, centers=3, cluster_std=0.5, random_state=0)
    return X, y


SCRIPT = textwrap.dedent(
    """
    import sys
    import numpy as np
    from sklearn.datasets import make_blobs
    import skdeepcluster
    X, _ = make_blobs(150, n_features=6, centers=3, cluster_std=0.5, random_state=0)
    sys.path.insert(0, {tests!r})
    from estimator_registry import make
    labels = {{}}
    for name in sys.argv[2:]:
        est = make(name, n_clusters=3, epochs=4, random_state=7, device="cpu")
        labels[name] = est.fit(X).labels_
    np.savez(sys.argv[1], **labels)
    """
).format(tests=str(Path(__file__).resolve().parent))


def test_same_labels_in_two_processes(blobs, tmp_path):
    names = list(ALL)
    paths = [tmp_path / f"labels{i}.npz" for i in range(2)]
    for path in paths:
        subprocess.run([sys.executable, "-c", SCRIPT, str(path), *names], check=True, timeout=600)
    first, second = (np.load(path) for path in paths)
    for name in names:
        np.testing.assert_array_equal(first[name], second[name])
        here = ALL[name](n_clusters=3, random_state=7, device="cpu").fit(blobs[0]).labels_
        np.testing.assert_array_equal(first[name], here)


class InterruptAt(Callback):
    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == self.epoch:
            raise KeyboardInterrupt


@pytest.mark.parametrize("name", list(ALL))
def test_keyboard_interrupt_leaves_a_usable_estimator(name, blobs):
    # As skorch: Ctrl-C ends training after the current epoch and fit returns normally.
    est = ALL[name](n_clusters=3, callbacks=[InterruptAt(2)], random_state=0)
    est.fit(blobs[0])
    assert est.n_iter_ == 2
    np.testing.assert_array_equal(est.predict(blobs[0]), est.labels_)


class PoisonWeights(Callback):
    def on_epoch_end(self, net, **kwargs):
        for p in net.module_.parameters():
            p.data.fill_(float("nan"))


@pytest.mark.parametrize("name", list(ALL))
def test_non_finite_loss_stops_with_a_clear_error(name, blobs):
    est = ALL[name](n_clusters=3, callbacks=[PoisonWeights()], random_state=0)
    with pytest.raises(FloatingPointError, match="training loss became nan"):
        est.fit(blobs[0])
    assert not hasattr(est, "labels_")


@pytest.mark.parametrize("scale", [1e-6, 1e4])
@pytest.mark.parametrize("name", list(ALL))
def test_extreme_feature_scales(name, scale, blobs):
    # Training on raw data of any scale: no NaN, and a clear fit or a clear error.
    X, y = blobs
    est = ALL[name](n_clusters=3, random_state=0)
    try:
        labels = est.fit(X * scale).labels_
    except FloatingPointError as exc:
        assert "Scale the input features" in str(exc)
        return
    assert np.isfinite(est.transform(X * scale)).all()
    assert np.isfinite(est.predict_proba(X * scale)).all()
    assert labels.shape == (len(X),)


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_standardized_extreme_scales_cluster_well(name, blobs):
    # The documented remedy for raw scales: a scaler in front, in a pipeline.
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = blobs
    scale = 1e-6 if name == "DECClustering" else 1e4  # one scale each keeps the suite fast
    pipe = make_pipeline(StandardScaler(), ESTIMATORS[name](
        3, random_state=0, **dict(SMALL, pretrain_epochs=20, epochs=3)))
    assert adjusted_rand_score(y, pipe.fit_predict(X * scale)) > 0.9


@pytest.mark.parametrize("name", list(ALL))
def test_float64_and_float32_inputs_give_the_same_labels(name, blobs):
    X = blobs[0]
    a = ALL[name](n_clusters=3, random_state=0).fit(X)
    b = ALL[name](n_clusters=3, random_state=0).fit(X.astype(np.float32))
    np.testing.assert_array_equal(a.labels_, b.labels_)
