"""Tests for the ``precision`` switch: bf16 autocast of training steps, TF32 on CUDA."""

import numpy as np
import pytest
import torch
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score
from sklearn.utils._param_validation import InvalidParameterError
from torch import nn

from estimator_registry import NAMES, make
from skdeepcluster import DECClustering
from skdeepcluster.dmae import DissimilarityMixture
from skdeepcluster.dissimilarities import get_dissimilarity
from skdeepcluster.engine import DeepClusteringNet, tf32_matmuls
from skdeepcluster.losses import ReconstructionLoss
from skdeepcluster.networks import MLPAutoencoder, StudentTClusteringModule, float32_head


@pytest.fixture(scope="module")
def X():
    X, _ = make_blobs(n_samples=60, n_features=6, centers=3, cluster_std=0.5, random_state=0)
    return ((X - X.mean(0)) / X.std(0)).astype(np.float32)


class _DtypeSpy(nn.Module):
    """Identity layer that records the dtype of what flows through it."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def forward(self, x):
        self.seen.append((self.training, x.dtype))
        return x


def _spied_encoder(n_features):
    spy = _DtypeSpy()
    encoder = nn.Sequential(nn.Linear(n_features, 8), nn.ReLU(), nn.Linear(8, 2), spy)
    return encoder, nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, n_features))


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("precision", ["float32", "tf32", "bf16"])
def test_every_estimator_fits_and_infers_in_float32(name, precision, X):
    est = make(name, precision=precision, random_state=0).fit(X)
    assert est.labels_.shape == (len(X),)
    assert est.predict_proba(X).dtype == np.float32
    assert est.transform(X).dtype == np.float32
    assert np.isfinite(est.predict_proba(X)).all()


@pytest.mark.parametrize("name", NAMES)
def test_unknown_precision_is_rejected(name, X):
    with pytest.raises(InvalidParameterError, match="precision"):
        make(name, precision="fp8").fit(X)


def test_net_rejects_unknown_precision(X):
    net = DeepClusteringNet(
        MLPAutoencoder(6, (8,), 2), ReconstructionLoss(), max_epochs=1, train_split=None,
        precision="half",
    )
    with pytest.raises(ValueError, match="precision='half'"):
        net.fit(torch.as_tensor(X), None)


@pytest.mark.parametrize("precision, expected", [("float32", torch.float32), ("bf16", torch.bfloat16)])
def test_bf16_runs_the_layers_of_training_steps_only(precision, expected, X):
    encoder, decoder = _spied_encoder(X.shape[1])
    est = DECClustering(
        n_clusters=3, encoder=encoder, decoder=decoder, pretrain_epochs=2, epochs=2,
        n_init=1, precision=precision, random_state=0,
    ).fit(X)
    spy = est.net_.module_.autoencoder.encoder[-1]  # the fitted copy of the spy
    training = {dtype for is_training, dtype in spy.seen if is_training}
    assert training == {expected}
    spy.seen.clear()
    est.transform(X)
    assert {dtype for _, dtype in spy.seen} == {torch.float32}


def test_bf16_losses_and_heads_see_float32(X):
    seen = []

    class Recording(nn.Module):
        def forward(self, outputs, X_batch, indices):
            seen.append({key: value.dtype for key, value in outputs.items()})
            return ((outputs["reconstruction"] - X_batch) ** 2).mean()

    torch.manual_seed(0)
    net = DeepClusteringNet(
        MLPAutoencoder(6, (8,), 2), Recording(), max_epochs=1, batch_size=16,
        train_split=None, verbose=0, precision="bf16",
    ).fit(torch.as_tensor(X), None)
    assert seen and all(d == {"embedding": torch.float32, "reconstruction": torch.float32}
                        for d in seen)
    assert all(p.dtype == torch.float32 for p in net.module_.parameters())


def test_bf16_is_reproducible_and_close_to_float32(X):
    def fit(precision):
        return DECClustering(
            n_clusters=3, hidden_dims=(16,), embedding_dim=2, pretrain_epochs=20, epochs=5,
            n_init=1, precision=precision, random_state=0,
        ).fit(X)

    first, again, exact = fit("bf16"), fit("bf16"), fit("float32")
    np.testing.assert_array_equal(first.labels_, again.labels_)
    np.testing.assert_array_equal(first.transform(X), again.transform(X))
    # Rounded arithmetic: not the float32 result, but the same clusters of easy blobs.
    assert not np.array_equal(first.transform(X), exact.transform(X))
    assert adjusted_rand_score(first.labels_, exact.labels_) == pytest.approx(1.0)


def test_float32_head_computes_in_float32_under_autocast():
    class Head(nn.Module):
        @float32_head
        def forward(self, z):
            return z @ z.T

    z = torch.randn(4, 3)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert (z @ z.T).dtype == torch.bfloat16  # what autocast does without the head
        inside = Head()(z)
    assert inside.dtype == torch.float32
    torch.testing.assert_close(inside, z @ z.T)
    float64 = torch.randn(4, 3, dtype=torch.float64)
    assert Head()(float64).dtype == torch.float64  # outside autocast: unchanged


def test_sharp_mixture_assignments_survive_autocast():
    # DMAE's alpha=1000 multiplies the dissimilarities: bf16 distances would blur them.
    torch.manual_seed(0)
    centers = torch.randn(10, 10)
    mixture = DissimilarityMixture(centers, get_dissimilarity("euclidean"), alpha=1000.0)
    z = centers[torch.arange(200) % 10] + 0.05 * torch.randn(200, 10)
    exact = mixture(z)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        mixed = mixture(z.to(torch.bfloat16))
    for key in ("assignments", "assigned_centers"):
        assert mixed[key].dtype == torch.float32
        torch.testing.assert_close(mixed[key], exact[key], atol=1e-3, rtol=1e-3)
    student = StudentTClusteringModule(MLPAutoencoder(4, (4,), 10), centers)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        q = student.assign(z.to(torch.bfloat16))
    assert q.dtype == torch.float32


def test_tf32_matmuls_sets_and_restores_the_cuda_flags():
    matmul = torch.backends.cuda.matmul
    flag = "fp32_precision" if hasattr(matmul, "fp32_precision") else "allow_tf32"
    conv = torch.backends.cudnn.conv if flag == "fp32_precision" else torch.backends.cudnn
    before = getattr(matmul, flag), getattr(conv, flag)
    on = "tf32" if flag == "fp32_precision" else True
    with pytest.raises(RuntimeError, match="inside"):
        with tf32_matmuls("cuda"):
            assert (getattr(matmul, flag), getattr(conv, flag)) == (on, on)
            raise RuntimeError("inside")
    assert (getattr(matmul, flag), getattr(conv, flag)) == before
    with tf32_matmuls("cpu"):
        assert (getattr(matmul, flag), getattr(conv, flag)) == before


def test_tf32_training_runs_inside_tf32_matmuls(monkeypatch, X):
    import contextlib

    from skdeepcluster import engine

    entered = []

    @contextlib.contextmanager
    def recording(device):
        entered.append(str(device))
        yield

    monkeypatch.setattr(engine, "tf32_matmuls", recording)
    make("DECClustering", precision="tf32", random_state=0).fit(X)
    assert entered == ["cpu", "cpu"]  # pretraining and clustering
    entered.clear()
    make("DECClustering", precision="bf16", random_state=0).fit(X)
    assert entered == []
