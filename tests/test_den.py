"""DEN: its two regularisers of the embedding and the preset."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.datasets import make_blobs
from sklearn.neighbors import NearestNeighbors
from sklearn.preprocessing import StandardScaler

from skdeepcluster import DENClustering
from skdeepcluster.compose import GroupSparsity, LocalityPreservation
from skdeepcluster.losses import (
    GroupSparsityTerm,
    group_sparsity_loss,
    locality_preserving_loss,
)
from threads import one_torch_thread


@pytest.fixture
def blobs():
    X, y = make_blobs(80, n_features=5, centers=3, random_state=0)
    return StandardScaler().fit_transform(X).astype(np.float32), y


def test_the_losses_are_the_formulas_written_as_loops():
    rng = np.random.default_rng(0)
    z, zn, w = rng.normal(size=(4, 3)), rng.normal(size=(4, 2, 3)), rng.random((4, 2))
    loop = np.mean([sum(w[i, j] * np.sum((z[i] - zn[i, j]) ** 2) for j in range(2))
                    for i in range(4)])
    got = locality_preserving_loss(torch.tensor(z), torch.tensor(zn), torch.tensor(w))
    assert float(got) == pytest.approx(loop)
    groups = [2, 1]
    loop = np.mean([np.sqrt(2) * np.linalg.norm(z[i, :2]) + np.linalg.norm(z[i, 2:])
                    for i in range(4)])
    assert float(group_sparsity_loss(torch.tensor(z), groups)) == pytest.approx(loop, rel=1e-6)
    with pytest.raises(ValueError, match="add up to 4"):
        group_sparsity_loss(torch.tensor(z), [2, 2])


class _Estimator:
    n_clusters = 3

    def _say(self, message):
        pass


def test_the_locality_term_keeps_each_samples_input_neighbours(blobs):
    X, _ = blobs
    term = LocalityPreservation(0.5, n_neighbors=3).term(None, _Estimator(), torch.tensor(X))
    distances, neighbors = NearestNeighbors(n_neighbors=3).fit(X).kneighbors()
    np.testing.assert_array_equal(term.neighbors.numpy(), neighbors)
    t = np.mean(distances ** 2)  # "auto": a typical pair weighs exp(-1)
    np.testing.assert_allclose(term.weights.numpy(), np.exp(-distances ** 2 / t), rtol=1e-5)
    # its value on a batch: the network encodes each sample's neighbours
    network = torch.nn.Linear(5, 2)
    network.encode = network.forward
    indices = torch.tensor([4, 17, 30])
    z = network(torch.tensor(X[indices]))
    expected = 0.5 * locality_preserving_loss(
        z, network(torch.tensor(X[neighbors[indices]])), term.weights[indices])
    got = term({"embedding": z}, torch.tensor(X[indices]), indices, network=network)
    assert float(got) == pytest.approx(float(expected))
    # a pickled term (inside a fitted model) leaves the training data behind
    assert pickle.loads(pickle.dumps(term)).rows is None
    with pytest.raises(RuntimeError, match="needs the network"):
        term({"embedding": z}, torch.tensor(X[indices]), indices)


def test_the_sparsity_term_has_one_group_per_cluster():
    term = GroupSparsity(2.0).term(None, _Estimator())
    assert isinstance(term, GroupSparsityTerm) and term.n_groups == 3
    z = torch.arange(21.0).reshape(3, 7)
    expected = 2.0 * group_sparsity_loss(z, [3, 2, 2])
    assert float(term({"embedding": z}, None, None)) == pytest.approx(float(expected))


def test_den_embeds_in_one_slice_per_cluster_and_clusters_by_kmeans(blobs):
    X, y = blobs
    with one_torch_thread():
        model = DENClustering(3, group_size=2, hidden_dims=(16,), epochs=30, n_init=3,
                              random_state=0).fit(X)
    assert model.transform(X).shape == (80, 6)
    np.testing.assert_array_equal(
        model.labels_, model.readout_.predict(model.transform(X).astype(np.float64)))
    with one_torch_thread():
        composed = model.to_deep_clustering().fit(X)
    np.testing.assert_array_equal(composed.labels_, model.labels_)


def test_a_heavier_group_lasso_leaves_more_slices_silent(blobs):
    X, _ = blobs

    def silent_fraction(weight):
        with one_torch_thread():
            model = DENClustering(3, group_size=2, hidden_dims=(16,), epochs=40, n_init=2,
                                  sparsity_weight=weight, locality_weight=0.0,
                                  random_state=0).fit(X)
        norms = np.linalg.norm(model.transform(X).reshape(80, 3, 2), axis=2)
        return np.mean(norms < 0.1 * norms.max())

    assert silent_fraction(5.0) > silent_fraction(0.0)
