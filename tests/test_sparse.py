"""Sparse input: accepted by fully connected networks, densified a batch at a time."""

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from sklearn.datasets import make_blobs

from skdeepcluster import DECClustering, IDECClustering
from skdeepcluster.engine import SparseRows, map_in_chunks

SMALL = dict(hidden_dims=(16,), embedding_dim=3, pretrain_epochs=4, epochs=3, n_init=2, batch_size=32)


@pytest.fixture(scope="module")
def data():
    X, _ = make_blobs(150, n_features=30, centers=3, random_state=0)
    X = np.abs(X)
    X[X < 4] = 0.0  # mostly zeros, as TF-IDF
    return X


@pytest.mark.parametrize("Estimator", [DECClustering, IDECClustering])
@pytest.mark.parametrize("fmt", ["csr", "csc", "coo"])
def test_sparse_gives_the_dense_result(Estimator, fmt, data):
    sparse = sp.csr_matrix(data).asformat(fmt)
    dense_fit = Estimator(3, random_state=0, **SMALL).fit(data)
    sparse_fit = Estimator(3, random_state=0, **SMALL).fit(sparse)
    np.testing.assert_array_equal(sparse_fit.labels_, dense_fit.labels_)
    np.testing.assert_allclose(sparse_fit.transform(sparse), dense_fit.transform(data), rtol=1e-6)
    np.testing.assert_array_equal(sparse_fit.predict(sparse), dense_fit.predict(sparse))


def test_sparse_matrix_is_never_densified_whole(data, monkeypatch):
    sparse = sp.csr_matrix(data)
    rows = []
    original = sp.csr_matrix.toarray

    def recording_toarray(self, *args, **kwargs):
        rows.append(self.shape[0])
        return original(self, *args, **kwargs)

    monkeypatch.setattr(sp.csr_matrix, "toarray", recording_toarray)
    monkeypatch.setattr(DECClustering, "_inference_batch_size", 64)
    est = DECClustering(3, random_state=0, **SMALL).fit(sparse)
    est.predict(sparse)
    assert rows and max(rows) <= 64


def test_sparse_input_is_not_modified(data):
    sparse = sp.csr_matrix(data)
    before = sparse.copy()
    DECClustering(3, random_state=0, **SMALL).fit(sparse).predict(sparse)
    assert (sparse != before).nnz == 0
    assert sparse.has_sorted_indices == before.has_sorted_indices


def test_sparse_float64_predictions_are_float64_and_batch_independent(data):
    sparse = sp.csr_matrix(data)
    est = DECClustering(3, random_state=0, **SMALL).fit(sparse)
    full = est.transform(sparse)
    assert full.dtype == np.float64
    np.testing.assert_allclose(est.transform(sparse[:7]), full[:7], rtol=1e-12, atol=1e-12)


def test_sparse_with_images_is_refused(data):
    sparse = sp.csr_matrix(np.zeros((20, 144)))
    with pytest.raises(ValueError, match="Sparse input is supported by fully connected"):
        DECClustering(2, network="conv", **SMALL).fit(sparse)
    with pytest.raises(ValueError, match="Sparse input"):
        DECClustering(2, input_shape=(1, 12, 12), **SMALL).fit(sparse)


def test_sparse_rows_hands_out_dense_float32_rows():
    rows = SparseRows(sp.csr_matrix(np.arange(12.0).reshape(4, 3)))
    assert len(rows) == 4 and rows.shape == (4, 3)
    torch.testing.assert_close(rows[torch.tensor([2, 0])], torch.tensor([[6.0, 7, 8], [0, 1, 2]]))
    assert rows[1:3].dtype == torch.float32
    out = map_in_chunks(lambda x: x.sum(dim=1), rows, "cpu", batch_size=3)
    np.testing.assert_allclose(out, [3, 12, 21, 30])
