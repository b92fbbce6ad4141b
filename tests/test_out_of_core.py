"""Fitting on a numpy.memmap: batches read from the file, the same model as in memory."""

import numpy as np
import pytest
import torch

from skdeepcluster import (
    DCNClustering,
    DDCClustering,
    DECClustering,
    DiscriminativeLatentClustering,
    DMAEClustering,
    DMMClustering,
    IDECClustering,
    VaDEClustering,
)
from skdeepcluster.engine import MappedRows, is_memory_mapped, to_training_tensor
from threads import one_torch_thread
from toy_data import standardized_blobs


@pytest.fixture
def mapped(tmp_path):
    """A float32 array saved to a .npy file and opened read-only as a memmap."""
    X, y = standardized_blobs(120)
    path = tmp_path / "X.npy"
    np.save(path, X.astype(np.float32))
    return np.load(path, mmap_mode="r"), X.astype(np.float32), y


def test_a_memmap_trains_from_its_file_not_from_a_copy(mapped):
    X_mapped, X, _ = mapped
    assert is_memory_mapped(X_mapped) and is_memory_mapped(X_mapped[10:])
    assert not is_memory_mapped(X)
    rows = to_training_tensor(X_mapped, "cpu")
    assert isinstance(rows, MappedRows) and rows.X is X_mapped
    assert isinstance(to_training_tensor(X, "cpu"), torch.Tensor)


def test_mapped_rows_are_the_arrays_rows(mapped, tmp_path):
    X_mapped, X, _ = mapped
    rows = MappedRows(X_mapped)
    index = np.random.default_rng(0).permutation(len(X))[:17]
    np.testing.assert_array_equal(rows[torch.from_numpy(index)].numpy(), X[index])
    np.testing.assert_array_equal(rows[index].numpy(), X[index])
    np.testing.assert_array_equal(rows[5:30].numpy(), X[5:30])
    assert rows[index].dtype == torch.float32
    # two batches in a row are two buffers: the first stays valid while the second is read
    first, second = rows[index[:8]], rows[index[8:16]]
    np.testing.assert_array_equal(first.numpy(), X[index[:8]])
    assert not np.shares_memory(first.numpy(), second.numpy())
    # float64 files give float32 batches; a view with strides goes through the mapping
    np.save(tmp_path / "X64.npy", X.astype(np.float64))
    rows64 = MappedRows(np.load(tmp_path / "X64.npy", mmap_mode="r"))
    np.testing.assert_array_equal(rows64[index].numpy(), X[index])
    strided = MappedRows(X_mapped[:, ::-1])
    np.testing.assert_array_equal(strided[index].numpy(), X[index][:, ::-1])


@pytest.mark.parametrize(
    "make",
    [
        lambda: DECClustering(3, hidden_dims=(16,), embedding_dim=2, pretrain_epochs=3, epochs=3,
                              batch_size=32, random_state=0),
        lambda: IDECClustering(3, hidden_dims=(16,), embedding_dim=2, pretrain_epochs=3,
                               epochs=3, batch_size=32, random_state=0),
        lambda: DCNClustering(3, hidden_dims=(16,), embedding_dim=2, pretrain_epochs=3, epochs=3,
                              batch_size=32, random_state=0),
        lambda: DMAEClustering(3, hidden_dims=(16,), embedding_dim=2, pretrain_epochs=3,
                               epochs=3, batch_size=32, random_state=0),
        lambda: DDCClustering(3, hidden_dims=(16,), embedding_dim=8, n_init=2, epochs=3,
                              batch_size=32, random_state=0),
        lambda: DiscriminativeLatentClustering(3, hidden_dims=(16,), embedding_dim=2,
                                               pretrain_epochs=2, epochs=2, batch_size=32,
                                               random_state=0),
        lambda: DMMClustering(3, epochs=3, batch_size=32, random_state=0),
    ],
    ids=["DEC", "IDEC", "DCN", "DMAE", "DDC", "DDLS", "DMM"],
)
def test_a_fit_on_a_memmap_is_the_fit_in_memory(mapped, make):
    X_mapped, X, _ = mapped
    with one_torch_thread():
        in_memory = make().fit(X)
        from_file = make().fit(X_mapped)
    np.testing.assert_array_equal(from_file.labels_, in_memory.labels_)
    np.testing.assert_allclose(from_file.cluster_centers_, in_memory.cluster_centers_,
                               rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(from_file.transform(X_mapped), in_memory.transform(X),
                               rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(from_file.predict(X_mapped), in_memory.labels_)


def test_a_memmap_with_nan_is_refused(tmp_path):
    X = np.ones((40, 3), dtype=np.float32)
    X[7, 1] = np.nan
    np.save(tmp_path / "X.npy", X)
    with pytest.raises(ValueError, match="Input X contains NaN"):
        DECClustering(2, pretrain_epochs=1, epochs=1).fit(np.load(tmp_path / "X.npy",
                                                                  mmap_mode="r"))


def test_a_collapsed_fit_on_a_memmap_warns_without_copying_the_file(tmp_path):
    """The ConvergenceWarning counts distinct rows of in-memory data only."""
    from sklearn.exceptions import ConvergenceWarning

    np.save(tmp_path / "X.npy", np.ones((40, 3), dtype=np.float32))
    X = np.load(tmp_path / "X.npy", mmap_mode="r")
    with pytest.warns(ConvergenceWarning, match="non-empty cluster"):
        DECClustering(3, hidden_dims=(4,), embedding_dim=2, pretrain_epochs=1, epochs=1,
                      random_state=0).fit(X)


def test_an_h5py_dataset_trains_from_its_file(tmp_path):
    h5py = pytest.importorskip("h5py")
    from skdeepcluster.engine import LazyRows

    X, _ = standardized_blobs(120)
    X = X.astype(np.float32)
    with h5py.File(tmp_path / "X.h5", "w") as f:
        f.create_dataset("X", data=X, chunks=(16, 2))
    with h5py.File(tmp_path / "X.h5", "r") as f:
        dataset = f["X"]
        rows = to_training_tensor(dataset, "cpu")
        assert isinstance(rows, LazyRows)
        index = np.array([7, 3, 3, 100, 0])  # out of order and repeated, as no HDF5 read allows
        np.testing.assert_array_equal(rows[index].numpy(), X[index])
        params = dict(hidden_dims=(16,), embedding_dim=2, pretrain_epochs=3, epochs=3,
                      batch_size=32, random_state=0)
        with one_torch_thread():
            in_memory = DECClustering(3, **params).fit(X)
            from_file = DECClustering(3, **params).fit(dataset)
        np.testing.assert_array_equal(from_file.labels_, in_memory.labels_)
        np.testing.assert_array_equal(from_file.predict(dataset), in_memory.labels_)
        np.testing.assert_allclose(from_file.transform(dataset), in_memory.transform(X),
                                   rtol=1e-6, atol=1e-6)
        assert from_file.n_features_in_ == 2
        with pytest.raises(ValueError, match="2 features"):
            from_file.predict(np.zeros((3, 5), dtype=np.float32))
    bad = np.ones((40, 3))
    bad[30, 1] = np.nan
    with h5py.File(tmp_path / "bad.h5", "w") as f:
        f.create_dataset("X", data=bad)
    with h5py.File(tmp_path / "bad.h5", "r") as f, pytest.raises(ValueError, match="NaN"):
        DECClustering(2, pretrain_epochs=1, epochs=1).fit(f["X"])


def test_a_zarr_array_trains_from_its_store(tmp_path):
    zarr = pytest.importorskip("zarr")
    from skdeepcluster.engine import LazyRows

    X, _ = standardized_blobs(120)
    X = X.astype(np.float32)
    stored = zarr.open_array(tmp_path / "X.zarr", mode="w", shape=X.shape, chunks=(16, 2),
                             dtype="float32")
    stored[:] = X
    stored = zarr.open_array(tmp_path / "X.zarr", mode="r")
    assert isinstance(to_training_tensor(stored, "cpu"), LazyRows)
    params = dict(hidden_dims=(16,), embedding_dim=2, pretrain_epochs=3, epochs=3,
                  batch_size=32, random_state=0)
    with one_torch_thread():
        in_memory = DECClustering(3, **params).fit(X)
        from_store = DECClustering(3, **params).fit(stored)
    np.testing.assert_array_equal(from_store.labels_, in_memory.labels_)
    np.testing.assert_array_equal(from_store.predict(stored), in_memory.labels_)
    np.testing.assert_allclose(from_store.transform(stored), in_memory.transform(X),
                               rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(
    "make, fit_rows",
    [
        # k-means on a sample of the embeddings; the targets cover every row
        (lambda: DECClustering(3, hidden_dims=(16,), embedding_dim=2, pretrain_epochs=1,
                               epochs=2, batch_size=32, random_state=0), "kmeans"),
        # k-means and EM on a sample of the rows, read from the file (the input is the feature)
        (lambda: DMMClustering(3, init="gaussian-mixture", epochs=2, batch_size=32,
                               random_state=0), "mixture"),
        # EM of VaDE's diagonal mixture on a sample's encoder means
        (lambda: VaDEClustering(3, hidden_dims=(16,), embedding_dim=2, pretrain_epochs=1,
                                epochs=2, batch_size=32, n_init=1, random_state=0), "mixture"),
    ],
    ids=["DEC", "DMM", "VaDE"],
)
def test_out_of_core_clusters_start_on_a_sample(mapped, monkeypatch, capsys, make, fit_rows):
    """Past OUT_OF_CORE_START_SAMPLES rows, k-means and EM see a uniform sample only."""
    import sklearn.cluster
    import sklearn.mixture

    from skdeepcluster.compose import losses

    X_mapped, X, _ = mapped
    monkeypatch.setattr(losses, "OUT_OF_CORE_START_SAMPLES", 50)
    seen = []
    for cls in (sklearn.cluster.KMeans, sklearn.mixture.GaussianMixture):
        fit = cls.fit

        def spy(self, data, y=None, _fit=fit):
            seen.append((type(self).__name__, len(data)))
            return _fit(self, data, y)

        monkeypatch.setattr(cls, "fit", spy)
    with one_torch_thread():
        model = make().set_params(verbose=1).fit(X_mapped)
        assert {n for _, n in seen} == {50}, seen
        assert "on a uniform sample of 50 rows (out of core)" in capsys.readouterr().out
        if fit_rows == "mixture":
            assert "GaussianMixture" in {name for name, _ in seen}
        assert model.labels_.shape == (len(X),)
        seen.clear()
        make().fit(X)  # in memory, every row
        assert {n for _, n in seen} == {len(X)}, seen


def test_kmeans_start_on_a_sample_assigns_every_row():
    from sklearn.cluster import KMeans

    from skdeepcluster.updates import kmeans_start, start_sample

    X, _ = standardized_blobs(300)
    model = kmeans_start(X, 3, 2, 0, max_samples=40)
    rows = start_sample(300, 40, 0)
    assert rows.shape == (40,) and np.all(np.diff(rows) > 0)
    reference = KMeans(3, n_init=2, random_state=0).fit(X[rows])
    np.testing.assert_allclose(model.cluster_centers_, reference.cluster_centers_)
    np.testing.assert_array_equal(model.labels_, reference.predict(X))
    assert start_sample(300, 300, 0) is None and start_sample(300, None, 0) is None
    np.testing.assert_array_equal(kmeans_start(X, 3, 2, 0, max_samples=300).labels_,
                                  KMeans(3, n_init=2, random_state=0).fit(X).labels_)
