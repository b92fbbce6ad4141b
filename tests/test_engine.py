"""Tests for skdeepcluster.engine: devices, seeding, batching, the net and DEC's schedule."""

import gc
import weakref

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback
from skorch.dataset import Dataset
from torch import nn

from skdeepcluster.engine import (
    DeepClusteringNet,
    ResidentBatches,
    TargetDistributionUpdate,
    evaluation_mode,
    map_in_chunks,
    resolve_device,
    seeded,
    store_in_place,
    to_training_tensor,
)
from skdeepcluster.losses import (
    KLClusteringLoss,
    ReconstructionLoss,
    reconstruction_loss,
    target_distribution,
)
from skdeepcluster.networks import MLPAutoencoder, StudentTClusteringModule

requires_no_cuda = pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available here")
requires_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")


# --- resolve_device -----------------------------------------------------------


@requires_no_cuda
@pytest.mark.parametrize("device", ["auto", None])
def test_resolve_device_auto_is_cpu_without_cuda(device):
    assert resolve_device(device) == "cpu"


@requires_cuda
def test_resolve_device_auto_is_cuda_with_cuda():
    assert resolve_device("auto") == "cuda"


@pytest.mark.parametrize("device", ["cpu", torch.device("cpu")])
def test_resolve_device_cpu(device):
    assert resolve_device(device) == "cpu"


@pytest.mark.parametrize("device", ["gpu7", "cpux", "", "cuda:-1:3"])
def test_resolve_device_rejects_invalid_strings(device):
    with pytest.raises(ValueError, match=f"device={device!r}"):
        resolve_device(device)


def test_resolve_device_rejects_unsupported_types():
    with pytest.raises(ValueError, match="not supported"):
        resolve_device("meta")


@requires_no_cuda
@pytest.mark.parametrize("device", ["cuda", "cuda:0", torch.device("cuda")])
def test_resolve_device_cuda_without_cuda(device):
    with pytest.raises(ValueError, match="CUDA is not available"):
        resolve_device(device)


@requires_cuda
def test_resolve_device_missing_cuda_index():
    with pytest.raises(ValueError, match="CUDA device"):
        resolve_device(f"cuda:{torch.cuda.device_count()}")


@pytest.mark.skipif(torch.backends.mps.is_available(), reason="MPS is available here")
def test_resolve_device_mps_without_mps():
    # As for 'cuda': a device that is not here should fail early with a clear ValueError.
    with pytest.raises(ValueError, match="not available"):
        resolve_device("mps")


# --- seeded ------------------------------------------------------------------


def test_seeded_is_reproducible_and_restores_global_state():
    torch.manual_seed(123)
    state = torch.get_rng_state()
    with seeded(7, "cpu"):
        first = torch.rand(5)
    assert torch.equal(torch.get_rng_state(), state)
    with seeded(7, "cpu"):
        second = torch.rand(5)
    assert torch.equal(first, second)
    torch.manual_seed(7)
    assert torch.equal(first, torch.rand(5))
    with seeded(8, "cpu"):
        assert not torch.equal(first, torch.rand(5))


def test_seeded_leaves_caller_stream_untouched():
    # Draws after the block continue the caller's stream as if the block never ran.
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    with seeded(99, "cpu"):
        torch.rand(100)
    assert torch.equal(torch.rand(3), expected)


def test_seeded_restores_state_on_error():
    torch.manual_seed(1)
    state = torch.get_rng_state()
    with pytest.raises(RuntimeError, match="boom"):
        with seeded(3, "cpu"):
            torch.rand(4)
            raise RuntimeError("boom")
    assert torch.equal(torch.get_rng_state(), state)


# --- to_training_tensor -------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_to_training_tensor_copies_as_float32(dtype):
    X = np.arange(12, dtype=dtype).reshape(4, 3)
    original = X.copy()
    tensor = to_training_tensor(X, "cpu")
    assert tensor.dtype == torch.float32
    assert tensor.device.type == "cpu"
    np.testing.assert_array_equal(tensor.numpy(), original)
    tensor[0, 0] = -1.0
    tensor.mul_(10)
    np.testing.assert_array_equal(X, original)


def test_to_training_tensor_read_only_input():
    X = np.ones((3, 2))
    X.flags.writeable = False
    tensor = to_training_tensor(X, "cpu")
    tensor += 1  # writable, and the caller's array is still untouched
    assert np.all(X == 1)


# --- map_in_chunks ------------------------------------------------------------


def affine(x):
    return x @ torch.arange(6, dtype=x.dtype, device=x.device).reshape(3, 2) + 1


@pytest.mark.parametrize("batch_size", [1, 3, 4, 10, 11, 64])
def test_map_in_chunks_equals_unchunked(batch_size):
    X = np.random.default_rng(0).normal(size=(10, 3))
    expected = affine(torch.tensor(X, dtype=torch.float32)).numpy()
    out = map_in_chunks(affine, X, "cpu", batch_size=batch_size)
    assert isinstance(out, np.ndarray)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, expected, rtol=1e-6)


def test_map_in_chunks_float64():
    X = np.random.default_rng(0).normal(size=(7, 3))
    out = map_in_chunks(affine, X, "cpu", batch_size=3, dtype=torch.float64)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, X @ np.arange(6.0).reshape(3, 2) + 1, rtol=1e-12)


def test_map_in_chunks_read_only_array():
    X = np.random.default_rng(0).normal(size=(9, 3))
    X.flags.writeable = False
    expected = affine(torch.tensor(X, dtype=torch.float32)).numpy()
    np.testing.assert_allclose(map_in_chunks(affine, X, "cpu", batch_size=4), expected, rtol=1e-6)


def test_map_in_chunks_torch_tensor_input():
    X = torch.randn(9, 3, dtype=torch.float64)
    out = map_in_chunks(affine, X, "cpu", batch_size=4)
    np.testing.assert_allclose(out, affine(X.float()).numpy(), rtol=1e-6)


def test_map_in_chunks_tensor_output():
    X = torch.randn(9, 3)
    out = map_in_chunks(affine, X, "cpu", batch_size=2, to_numpy=False)
    assert isinstance(out, torch.Tensor)
    assert out.device.type == "cpu"
    torch.testing.assert_close(out, affine(X))


def test_map_in_chunks_runs_without_gradients():
    layer = torch.nn.Linear(3, 2)
    out = map_in_chunks(layer, torch.randn(5, 3), "cpu", batch_size=2, to_numpy=False)
    assert not out.requires_grad


# --- ResidentBatches ----------------------------------------------------------


def epoch_indices(batches):
    return [indices.tolist() for _, indices in batches]


def test_resident_batches_cover_each_index_once_per_epoch():
    X = torch.arange(20.0).reshape(10, 2)
    batches = ResidentBatches(X, batch_size=3, seed=0)
    assert len(batches) == 4
    for _ in range(3):
        epoch = list(batches)
        assert [len(indices) for _, indices in epoch] == [3, 3, 3, 1]
        flat = sorted(i for _, indices in epoch for i in indices.tolist())
        assert flat == list(range(10))
        for batch, indices in epoch:
            assert torch.equal(batch, X[indices])


def test_resident_batches_len():
    X = torch.zeros(10, 1)
    assert len(ResidentBatches(X, batch_size=5)) == 2
    assert len(ResidentBatches(X, batch_size=4)) == 3
    assert len(ResidentBatches(X, batch_size=100)) == 1
    assert len(ResidentBatches(X, batch_size=1)) == 10


def test_resident_batches_reproducible_and_reshuffled():
    X = torch.arange(50.0)[:, None]
    first = ResidentBatches(X, batch_size=8, seed=3)
    second = ResidentBatches(X, batch_size=8, seed=3)
    epochs_first = [epoch_indices(first) for _ in range(3)]
    epochs_second = [epoch_indices(second) for _ in range(3)]
    assert epochs_first == epochs_second
    assert epochs_first[0] != epochs_first[1]
    assert epoch_indices(ResidentBatches(X, batch_size=8, seed=4)) != epochs_first[0]


def test_resident_batches_without_shuffle():
    X = torch.arange(7.0)[:, None]
    epoch = list(ResidentBatches(X, batch_size=3, shuffle=False))
    assert epoch_indices(epoch) == [[0, 1, 2], [3, 4, 5], [6]]


def test_resident_batches_from_skorch_dataset():
    X = torch.arange(12.0).reshape(6, 2)
    epoch = list(ResidentBatches(Dataset(X, None), batch_size=4, seed=0))
    for batch, indices in epoch:
        assert torch.equal(batch, X[indices])


def test_resident_batches_stop_when_net_requests():
    class FakeNet:
        stop_requested_ = False

    net = FakeNet()
    batches = ResidentBatches(torch.zeros(10, 1), batch_size=2, net=net)
    seen = 0
    for _ in batches:
        seen += 1
        net.stop_requested_ = True
    assert seen == 1


# --- DeepClusteringNet --------------------------------------------------------


def make_autoencoder_net(max_epochs=3, batch_size=16, criterion=ReconstructionLoss, **kwargs):
    torch.manual_seed(0)
    return DeepClusteringNet(
        module=MLPAutoencoder(6, hidden_dims=(8,), embedding_dim=2),
        criterion=criterion,
        optimizer=torch.optim.Adam,
        lr=1e-2,
        max_epochs=max_epochs,
        batch_size=batch_size,
        train_split=None,
        verbose=0,
        iterator_train__seed=0,
        **kwargs,
    )


@pytest.fixture(scope="module")
def X_train():
    return torch.randn(50, 6, generator=torch.Generator().manual_seed(0))


def test_net_records_batch_losses_and_sizes(X_train):
    net = make_autoencoder_net().fit(X_train, None)
    assert len(net.history) == 3
    for epoch in net.history:
        batches = epoch["batches"]
        # 50 samples in batches of 16: 16, 16, 16, 2.
        assert [b["train_batch_size"] for b in batches] == [16, 16, 16, 2]
        assert epoch["train_batch_count"] == 4
        losses = [b["train_loss"] for b in batches]
        assert all(type(loss) is float for loss in losses)
        assert all(np.isfinite(losses))
        # skorch's epoch loss is the size-weighted mean of the batch losses.
        weighted = sum(loss * size for loss, size in zip(losses, [16, 16, 16, 2])) / 50
        assert epoch["train_loss"] == pytest.approx(weighted, rel=1e-6)
    assert net.history[-1, "train_loss"] < net.history[0, "train_loss"]


def test_net_batch_losses_are_the_criterion_values(X_train):
    # Record each batch's loss in the callback and compare with the history entry.
    class Spy(Callback):
        def initialize(self):
            self.losses = []
            return self

        def on_batch_end(self, net, batch=None, training=False, loss=None, **kwargs):
            self.losses.append(loss.item())

    spy = Spy()
    net = make_autoencoder_net(max_epochs=2, callbacks=[spy]).fit(X_train, None)
    recorded = [b["train_loss"] for epoch in net.history for b in epoch["batches"]]
    np.testing.assert_allclose(recorded, spy.losses, rtol=1e-6)


def test_net_criterion_receives_outputs_batch_and_indices(X_train):
    calls = []

    class Recording(torch.nn.Module):
        def forward(self, outputs, X, indices):
            calls.append((set(outputs), X.clone(), indices.clone()))
            return reconstruction_loss(X, outputs["reconstruction"])

    make_autoencoder_net(max_epochs=1, criterion=Recording).fit(X_train, None)
    assert len(calls) == 4
    for keys, X, indices in calls:
        assert keys == {"embedding", "reconstruction"}
        assert torch.equal(X, X_train[indices])
    assert sorted(i for _, _, indices in calls for i in indices.tolist()) == list(range(50))


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_net_non_finite_loss_raises(X_train, bad):
    class Broken(torch.nn.Module):
        def forward(self, outputs, X, indices):
            return reconstruction_loss(X, outputs["reconstruction"]) * bad

    net = make_autoencoder_net(criterion=Broken)
    with pytest.raises(FloatingPointError, match=rf"training loss became {bad} in epoch 1"):
        net.fit(X_train, None)


class StopAfter(Callback):
    """Requests a stop after ``n_batches`` training batches."""

    def __init__(self, n_batches=3):
        self.n_batches = n_batches

    def on_train_begin(self, net, **kwargs):
        self.seen_ = 0

    def on_batch_end(self, net, training=False, **kwargs):
        self.seen_ += 1
        if self.seen_ == self.n_batches:
            net.stop_requested_ = True


def test_net_stop_requested_ends_batches(X_train):
    net = make_autoencoder_net(max_epochs=5, callbacks=[StopAfter(3)]).fit(X_train, None)
    # No batch runs after the request; the epoch keeps the three batches that ran.
    assert sum(net.history[:, "train_batch_count"]) == 3
    assert len(net.history[0]["batches"]) == 3
    assert all("train_loss" in b for b in net.history[0]["batches"])
    assert net.stop_requested_
    # A new fit starts afresh.
    net.fit(X_train, None)
    assert net.history[0, "train_batch_count"] == 3


def test_net_stop_requested_ends_training(X_train):
    net = make_autoencoder_net(max_epochs=5, callbacks=[StopAfter(3)]).fit(X_train, None)
    assert len(net.history) == 1


# --- TargetDistributionUpdate -------------------------------------------------


class TargetSpy(Callback):
    """Copies the criterion's target before every training batch (runs after the schedule)."""

    def initialize(self):
        self.targets = []
        return self

    def on_batch_begin(self, net, training=False, **kwargs):
        target = net.criterion_.target
        self.targets.append(None if target is None else target.clone())


def make_dec_net(X, schedule, max_epochs=2, batch_size=8, extra_callbacks=()):
    torch.manual_seed(0)
    autoencoder = MLPAutoencoder(X.shape[1], hidden_dims=(8,), embedding_dim=2)
    with torch.no_grad():
        centers = autoencoder.encode(X[:3]).clone()
    return DeepClusteringNet(
        module=StudentTClusteringModule(autoencoder, centers),
        criterion=KLClusteringLoss,
        optimizer=torch.optim.SGD,
        lr=0.01,
        max_epochs=max_epochs,
        batch_size=batch_size,
        train_split=None,
        verbose=0,
        iterator_train__seed=0,
        callbacks=[("target_distribution", schedule), *extra_callbacks],
    )


@pytest.fixture(scope="module")
def X_dec():
    return torch.randn(64, 4, generator=torch.Generator().manual_seed(1))


def test_schedule_sets_target_and_records_delta_label(X_dec):
    schedule = TargetDistributionUpdate(update_interval=1, tol=0.0)
    spy = TargetSpy()
    net = make_dec_net(X_dec, schedule, extra_callbacks=[("spy", spy)]).fit(X_dec, None)
    assert len(net.history) == 2
    assert net.history[:, "train_batch_count"] == [8, 8]
    # A target for every batch, over all 64 samples, each row a distribution.
    assert len(spy.targets) == 16
    for target in spy.targets:
        assert target is not None and target.shape == (64, 3)
        torch.testing.assert_close(target.sum(dim=1), torch.ones(64))
    # update_interval=1: the target follows the network from one batch to the next.
    assert not torch.equal(spy.targets[0], spy.targets[-1])
    for delta in net.history[:, "delta_label"]:
        assert 0.0 <= delta <= 1.0


def initialized_spied_dec_net(X):
    """A one-epoch DEC net refreshing its target only at train begin, with a TargetSpy."""
    schedule = TargetDistributionUpdate(update_interval=100, tol=0.0)
    spy = TargetSpy()
    net = make_dec_net(X, schedule, max_epochs=1, extra_callbacks=[("spy", spy)])
    net.initialize()
    return schedule, spy, net


def test_schedule_target_matches_full_data_assignments(X_dec):
    # The first target is P of the untrained network on all the data.
    _, spy, net = initialized_spied_dec_net(X_dec)
    module = net.module_
    with torch.no_grad():
        q = module.assign(module.encode(X_dec))
    expected = target_distribution(q)
    net.partial_fit(X_dec, None)
    torch.testing.assert_close(spy.targets[0], expected)
    # Refreshed only at the first batch: every batch of the epoch saw the same target.
    assert all(torch.equal(t, spy.targets[0]) for t in spy.targets)


def test_schedule_started_from_embeddings_uses_them_once(X_dec):
    schedule, spy, net = initialized_spied_dec_net(X_dec)
    module = net.module_
    with torch.no_grad():
        true_z = module.encode(X_dec)
        other_z = true_z.flip(0)  # not the data's embeddings: shows they are what is used
        expected = target_distribution(module.assign(other_z))
    assert schedule.start_from(other_z.numpy()) is schedule
    net.partial_fit(X_dec, None)
    torch.testing.assert_close(spy.targets[0], expected)
    assert schedule.initial_embeddings_ is None
    # The next training (warm start) passes over the data again.
    spy.targets.clear()
    with torch.no_grad():
        fresh = target_distribution(module.assign(module.encode(X_dec)))
    net.partial_fit(X_dec, None)
    torch.testing.assert_close(spy.targets[0], fresh)


def test_schedule_clears_references_on_train_end(X_dec):
    X = X_dec.clone()
    schedule = TargetDistributionUpdate(update_interval=1, tol=0.0)
    net = make_dec_net(X, schedule).fit(X, None)
    fitted_schedule = dict(net.callbacks_)["target_distribution"]
    assert fitted_schedule.X_ is None
    assert fitted_schedule.labels_ is None
    assert net.criterion_.target is None
    # Nothing in the fitted net keeps the training tensor alive.
    alive = weakref.ref(X)
    del X
    gc.collect()
    assert alive() is None


@pytest.mark.parametrize("update_interval", [1, 3])
def test_schedule_huge_tol_stops_after_second_refresh(X_dec, update_interval):
    # Refreshes before batches 0 and update_interval; the second sees delta <= 1 < tol.
    schedule = TargetDistributionUpdate(update_interval=update_interval, tol=2.0)
    net = make_dec_net(X_dec, schedule, max_epochs=5).fit(X_dec, None)
    assert len(net.history) == 1
    assert net.history[0, "train_batch_count"] == update_interval
    assert "delta_label" in net.history[0]
    assert net.stop_requested_
    assert net.criterion_.target is None


def test_schedule_zero_tol_runs_all_epochs(X_dec):
    schedule = TargetDistributionUpdate(update_interval=4, tol=0.0)
    net = make_dec_net(X_dec, schedule, max_epochs=3).fit(X_dec, None)
    assert len(net.history) == 3
    assert net.history[:, "train_batch_count"] == [8, 8, 8]
    assert not net.stop_requested_


@pytest.mark.parametrize("training", [True, False])
def test_evaluation_mode_restores_the_mode_even_on_error(training):
    module = nn.Sequential(nn.Linear(2, 2), nn.Dropout())
    module.train(training)
    with pytest.raises(RuntimeError, match="inside"):
        with evaluation_mode(module) as inside:
            assert inside is module and not module.training and not module[1].training
            raise RuntimeError("inside")
    assert module.training is training and module[1].training is training


def test_store_in_place_keeps_the_tensor_a_captured_graph_reads():
    class Owner:
        target = None

    owner = Owner()
    store_in_place(owner, "target", torch.zeros(3))
    first = owner.target
    store_in_place(owner, "target", torch.ones(3))
    assert owner.target is first and torch.equal(first, torch.ones(3))
    # A new shape (another training set) replaces the tensor.
    store_in_place(owner, "target", torch.ones(4))
    assert owner.target is not first and owner.target.shape == (4,)
