"""JULE: sample affinities, graph-degree linkage, the merges, the triplet loss, the preset."""

import math
import pickle

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from sklearn.base import clone
from sklearn.datasets import make_blobs
from sklearn.metrics import normalized_mutual_info_score
from sklearn.model_selection import GridSearchCV

from skdeepcluster import DeepClustering, JULEClustering, agglomeration
from skdeepcluster.agglomeration import (
    _Merges,
    agglomerate,
    graph_degree_linkage,
    initial_clusters,
    knn_affinity,
    nearest_neighbour_chains,
    period_merges,
)
from skdeepcluster.compose import (
    AgglomerativeMerges,
    AutoencoderNetwork,
    EmbeddingNetwork,
    InverseDecay,
    JointTraining,
    MeanCentres,
    WeightedTriplet,
)
from skdeepcluster.losses import WeightedTripletLoss, sample_triplets, weighted_triplet_loss
from skdeepcluster.metrics import CLUSTERING_SCORERS
from skdeepcluster.networks import JULEConvEncoder, NormalizedEmbeddingModule

SMALL = dict(hidden_dims=(16,), embedding_dim=8, epochs_per_period=2, batch_size=30)


# --- sample affinities and the first clusters ------------------------------------------


def test_knn_affinity_is_the_heat_kernel_over_the_nearest_neighbours():
    X = np.random.default_rng(0).normal(size=(12, 3))
    W, neighbours = knn_affinity(X, n_neighbors=4)
    squared = ((X[:, None] - X[None]) ** 2).sum(-1)
    np.fill_diagonal(squared, np.inf)
    nearest = np.argsort(squared, axis=1)[:, :4]
    np.testing.assert_array_equal(neighbours, nearest)
    sigma2 = np.take_along_axis(squared, nearest, 1).mean()
    expected = np.zeros((12, 12))
    for i in range(12):
        expected[i, nearest[i]] = np.exp(-squared[i, nearest[i]] / sigma2)
    np.testing.assert_allclose(W.toarray(), expected)


def test_knn_affinity_of_fewer_samples_than_neighbours_and_of_duplicates():
    W, neighbours = knn_affinity(np.zeros((3, 2)), n_neighbors=20)
    assert neighbours.shape == (3, 2)
    np.testing.assert_allclose(W.toarray(), 1 - np.eye(3))  # sigma^2 of 0 taken as 1
    W, neighbours = knn_affinity(np.zeros((1, 2)))
    assert W.shape == (1, 1) and neighbours.shape == (1, 0)


def test_chains_link_each_sample_to_its_nearest_neighbour():
    # 0 -> 1 -> 2 -> 1 and 3 -> 4 -> 3: two chains
    np.testing.assert_array_equal(nearest_neighbour_chains([1, 2, 1, 4, 3]), [0, 0, 0, 1, 1])
    X = np.array([[0.0], [1.0], [1.5], [10.0], [10.4], [12.0]])
    labels, _ = initial_clusters(X, n_clusters=1)
    np.testing.assert_array_equal(labels, [0, 0, 0, 1, 1, 1])
    # no more chains than clusters: every sample starts alone
    labels, _ = initial_clusters(X, n_clusters=2)
    np.testing.assert_array_equal(labels, np.arange(6))


# --- graph-degree linkage ----------------------------------------------------------------


def brute_force_linkage(W, labels):
    """A(Ci, Cj) = 1'W[Cj,Ci]W[Ci,Cj]1/|Cj|^2 + 1'W[Ci,Cj]W[Cj,Ci]1/|Ci|^2, by the definition."""
    W = np.asarray(W)
    n_clusters = labels.max() + 1
    A = np.zeros((n_clusters, n_clusters))
    for i in range(n_clusters):
        for j in range(n_clusters):
            if i == j:
                continue
            Ci, Cj = np.flatnonzero(labels == i), np.flatnonzero(labels == j)
            forward = W[np.ix_(Cj, Ci)] @ W[np.ix_(Ci, Cj)]
            backward = W[np.ix_(Ci, Cj)] @ W[np.ix_(Cj, Ci)]
            A[i, j] = forward.sum() / len(Cj) ** 2 + backward.sum() / len(Ci) ** 2
    return A


def test_linkage_matches_the_definition_on_a_tiny_graph():
    rng = np.random.default_rng(1)
    W = rng.random((9, 9)) * (rng.random((9, 9)) < 0.5)
    np.fill_diagonal(W, 0)
    labels = np.array([0, 0, 1, 2, 1, 3, 3, 3, 2])
    A = graph_degree_linkage(sp.csr_matrix(W), labels)
    np.testing.assert_allclose(A.toarray(), brute_force_linkage(W, labels))
    np.testing.assert_allclose(A.toarray(), A.toarray().T)


def test_linkage_by_hand():
    # 0 <-> 1 with weight 1 and 1 -> 2 with weight 2: clusters {0}, {1}, {2}
    W = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 2.0], [0.0, 0.0, 0.0]])
    A = graph_degree_linkage(sp.csr_matrix(W), np.array([0, 1, 2])).toarray()
    # A(0, 1) = W10 W01 / 1 + W01 W10 / 1 = 2; nothing goes back from 2
    assert A[0, 1] == pytest.approx(2.0) and A[1, 2] == 0 and A[0, 2] == 0


def test_merges_keep_the_affinities_exact():
    X, _ = make_blobs(60, centers=3, random_state=0)
    W, neighbours = knn_affinity(X, 6)
    labels = nearest_neighbour_chains(neighbours[:, 0])
    state = _Merges(W, labels, X, k_c=5)
    rng = np.random.default_rng(0)
    for _ in range(state.n_clusters - 3):
        alive = np.flatnonzero(state.alive)
        a, b = rng.choice(alive, 2, replace=False)
        state.merge(int(a), int(b))
        alive = np.flatnonzero(state.alive)
        with np.errstate(invalid="ignore"):  # the merged-away clusters are empty
            expected = brute_force_linkage(W.toarray(), state.labels)
        for i in alive:
            for j in alive:
                if i != j:
                    assert state.affinity[i].get(j, 0.0) == pytest.approx(expected[i, j])


def test_merge_criterion_weighs_the_local_structure(monkeypatch):
    X, _ = make_blobs(40, centers=4, random_state=3)
    W, neighbours = knn_affinity(X, 8)
    labels = nearest_neighbour_chains(neighbours[:, 0])
    A = brute_force_linkage(W.toarray(), labels)
    k_c = 3
    top = -np.sort(-A, axis=1)[:, :k_c]
    paper = top[:, 0] + (top[:, :1] - top[:, 1:]).sum(1) / (k_c - 1)
    first = int(np.argmax(paper))
    pair = {first, int(np.argmax(A[first]))}
    monkeypatch.setattr(agglomeration, "LOCAL_STRUCTURE_MIN_CLUSTERS", 0)
    merged = agglomerate(W, labels, 1, X, k_c=k_c)
    joined = {int(labels[i]) for i in range(len(labels)) if np.sum(merged == merged[i]) > 1
              and np.sum(labels == labels[i]) < np.sum(merged == merged[i])}
    assert joined == pair
    # without the local structure: the pair of largest affinity
    i, j = np.unravel_index(np.argmax(A), A.shape)
    merged = agglomerate(W, labels, 1, X, k_c=1)
    assert merged[labels == i][0] == merged[labels == j][0]


def test_agglomerate_finds_separated_blobs_and_merges_unlinked_clusters_by_centroids():
    X, y = make_blobs(90, centers=3, cluster_std=0.3, random_state=0)
    labels, W = initial_clusters(X, 3, n_neighbors=5)
    merged = agglomerate(W, labels, labels.max() + 1 - 3, X)
    assert normalized_mutual_info_score(y, merged) == pytest.approx(1.0)
    # the three blobs are not linked by a 5-NN graph: two of them still merge, by centroid
    far = np.array([[0.0, 0.0], [0.0, 1.0], [100.0, 0.0], [100.0, 1.0], [100.0, 2.0]])
    labels, W = initial_clusters(far, 2, n_neighbors=1)
    assert agglomerate(W, labels, 10, far).max() == 0


def test_period_merges_are_a_fraction_of_the_clusters_down_to_the_target():
    assert period_merges(1000, 10, 0.9) == 900
    assert period_merges(100, 10, 0.9) == 90
    assert period_merges(15, 10, 0.9) == 5
    assert period_merges(10, 10, 0.9) == 0
    assert period_merges(7, 2, 0.2) == math.ceil(0.2 * 7)


# --- the weighted triplet loss -----------------------------------------------------------


def test_triplets_pair_every_cluster_mate_with_distinct_negatives():
    labels = torch.tensor([0, 0, 1, 1, 2])
    a, p, n = sample_triplets(labels, n_negatives=20)
    triplets = sorted(zip(a.tolist(), p.tolist(), n.tolist()))
    assert triplets == [(0, 1, 2), (0, 1, 3), (0, 1, 4), (2, 3, 0), (2, 3, 1), (2, 3, 4)]
    a, p, n = sample_triplets(labels, n_negatives=2, generator=torch.Generator().manual_seed(0))
    assert len(a) == 4 and (labels[a] == labels[p]).all() and (labels[a] != labels[n]).all()
    for pair in ((0, 1), (2, 3)):
        chosen = n[a == pair[0]]
        assert len(set(chosen.tolist())) == 2
    assert len(sample_triplets(torch.tensor([0, 1, 2]))[0]) == 0


def test_weighted_triplet_loss_by_hand():
    z = torch.tensor([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0], [-1.0, 0.0]])
    a, p, n = torch.tensor([0, 0]), torch.tensor([1, 1]), torch.tensor([2, 3])
    # ||z0 - z1||^2 = 0.16 + 0.64 = 0.8; ||z0 - z2||^2 = 2; ||z0 - z3||^2 = 4
    loss = weighted_triplet_loss(z, a, p, n, gamma=2.0, margin=0.5)
    assert loss.item() == pytest.approx((max(0, 1.6 - 2 + 0.5) + max(0, 1.6 - 4 + 0.5)) / 2)
    loss = weighted_triplet_loss(z, a, p, n)  # gamma 1, margin 0.2: both inactive
    assert loss.item() == 0.0


def test_weighted_triplet_gradient_is_the_codes():
    z = torch.randn(3, 4, requires_grad=True)
    gamma = 1.5
    i = torch.tensor([0])
    weighted_triplet_loss(z, i, i + 1, i + 2, gamma=gamma, margin=100.0).backward()
    a, p, n = z.detach()
    # the authors' TripletEmbeddingCriterion: 2((gamma-1)a + n - gamma p), 2 gamma(p-a), 2(a-n)
    np.testing.assert_allclose(z.grad[0], 2 * ((gamma - 1) * a + n - gamma * p), atol=1e-5)
    np.testing.assert_allclose(z.grad[1], 2 * gamma * (p - a), atol=1e-5)
    np.testing.assert_allclose(z.grad[2], 2 * (a - n), atol=1e-5)


def test_the_criterion_reads_the_labels_of_the_batch():
    criterion = WeightedTripletLoss(margin=1.0)
    z = torch.eye(3)
    with pytest.raises(RuntimeError, match="AgglomerativeMerges"):
        criterion({"embedding": z}, None, torch.arange(3))
    criterion.assignments = torch.tensor([5, 0, 0, 1, 5])
    # batch rows 1, 2, 3: one pair (1, 2) and one negative (3)
    loss = criterion({"embedding": z}, None, torch.tensor([1, 2, 3]))
    assert loss.item() == pytest.approx(2 - 2 + 1.0)
    no_pair = criterion({"embedding": z}, None, torch.tensor([0, 1, 3]))
    assert no_pair.item() == 0.0


# --- network and schedule ----------------------------------------------------------------


def test_the_authors_mnist_network():
    encoder = JULEConvEncoder((1, 28, 28))
    convs = [m for m in encoder if isinstance(m, torch.nn.Conv2d)]
    assert [(c.out_channels, c.kernel_size) for c in convs] == [(50, (5, 5))] * 2
    assert encoder[-1].in_features == 3200 and encoder[-1].out_features == 160
    assert sum(isinstance(m, torch.nn.BatchNorm2d) for m in encoder) == 2
    with pytest.raises(ValueError, match="too small"):
        JULEConvEncoder((1, 8, 8))
    module = NormalizedEmbeddingModule(EmbeddingNetwork().build(784, (1, 28, 28)), torch.eye(3, 160))
    z = module.encode(torch.rand(4, 784))
    np.testing.assert_allclose(z.norm(dim=1).detach(), 1.0, rtol=1e-5)
    assert module.assign(z).shape == (4, 3)


def test_inverse_decay_is_caffes_inv_policy():
    factor = InverseDecay(1e-4, 0.75).callback(0.01).lr_lambda
    assert factor(0) == 1.0
    assert factor(10_000) == pytest.approx(2 ** -0.75)


# --- the preset ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fitted():
    X, y = make_blobs(150, centers=3, cluster_std=0.5, random_state=0)
    model = JULEClustering(3, random_state=0, **SMALL).fit(X)
    return X, y, model


def test_jule_clusters_blobs_through_its_periods(fitted):
    X, y, model = fitted
    assert normalized_mutual_info_score(y, model.labels_) > 0.9
    counts = model.history_[:, "n_clusters"]
    assert counts[0] > counts[-1] > 3 and counts == sorted(counts, reverse=True)
    assert model.n_iter_ % 2 == 0  # stops at the end of a period
    assert (model.predict(X) == model.labels_).mean() > 0.9
    np.testing.assert_allclose(np.linalg.norm(model.transform(X), axis=1), 1.0, rtol=1e-5)
    assert model.cluster_centers_.shape == (3, 8)
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba.sum(1), 1.0, rtol=1e-5)


@pytest.mark.parametrize("final", ["continue", "restart"])
def test_training_cut_short_still_ends_at_n_clusters(fitted, final):
    X, y, _ = fitted
    model = JULEClustering(3, random_state=0, final_clustering=final,
                           **{**SMALL, "epochs_per_period": 5}, epochs=1).fit(X)
    assert model.n_iter_ == 1 and model.history_[:, "n_clusters"][0] > 3
    assert len(np.unique(model.labels_)) == 3
    assert normalized_mutual_info_score(y, model.labels_) > 0.8


def test_the_preset_is_its_composition_and_reproducible(fitted):
    X, _, model = fitted
    composed = model.to_deep_clustering()
    assert isinstance(composed.clustering_loss, WeightedTriplet)
    assert isinstance(composed.cluster_update, AgglomerativeMerges)
    assert composed.schedule.weight_decay == 5e-5 and composed.optimizer == "sgd"
    np.testing.assert_array_equal(composed.fit(X).labels_, model.labels_)
    np.testing.assert_array_equal(clone(model).fit(X).labels_, model.labels_)


def test_triplet_loss_needs_its_network_and_update(fitted):
    X = fitted[0]
    with pytest.raises(ValueError, match="EmbeddingNetwork"):
        DeepClustering(3, network=AutoencoderNetwork(), clustering_loss=WeightedTriplet(),
                       schedule=JointTraining(1)).fit(X)
    with pytest.raises(ValueError, match="AgglomerativeMerges"):
        DeepClustering(3, network=EmbeddingNetwork(), clustering_loss=WeightedTriplet(),
                       cluster_update=MeanCentres(), schedule=JointTraining(1)).fit(X)


def test_pickle_and_weights_only_round_trips(fitted, tmp_path):
    from skdeepcluster.persistence import load, save

    X, _, model = fitted
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(again.predict(X), model.predict(X))
    path = tmp_path / "jule.pt"
    save(model, path)
    loaded = load(path, device="cpu")
    np.testing.assert_array_equal(loaded.labels_, model.labels_)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    np.testing.assert_allclose(loaded.transform(X), model.transform(X), rtol=1e-5)


def test_grid_search_reaches_the_triplet_and_merge_settings():
    X, y = make_blobs(90, centers=3, random_state=1)
    search = GridSearchCV(
        JULEClustering(3, random_state=0, **SMALL),
        {"margin": [0.2, 0.5], "eta": [0.9], "k_c": [5]},
        scoring=CLUSTERING_SCORERS["nmi"], cv=[(np.arange(len(X)),) * 2],
    ).fit(X, y)
    assert set(search.best_params_) == {"margin", "eta", "k_c"}


def test_tiny_data_images_and_bad_input():
    X = np.random.default_rng(0).random((6, 4))
    model = JULEClustering(3, **{**SMALL, "batch_size": 3}, random_state=0).fit(X)
    assert len(np.unique(model.labels_)) == 3
    images = np.random.default_rng(0).random((40, 1, 16, 16)).astype(np.float32)
    model = JULEClustering(2, epochs_per_period=1, embedding_dim=8, batch_size=20,
                           random_state=0).fit(images)
    assert model.transform(images).shape == (40, 8)
    assert isinstance(model.net_.module_.autoencoder.encoder, JULEConvEncoder)
    with pytest.raises(ValueError, match="eta"):
        JULEClustering(eta=0.0).fit(X)
    with pytest.raises(ValueError, match="n_samples=6 should be >= n_clusters=8"):
        JULEClustering().fit(X)
    with pytest.raises(ValueError, match="needs images"):
        JULEClustering(2, network="conv").fit(np.random.default_rng(0).random((10, 5)))


@pytest.mark.slow
def test_jule_on_digits_beats_kmeans():
    from sklearn.cluster import KMeans
    from sklearn.datasets import load_digits
    from sklearn.preprocessing import MinMaxScaler

    X, y = load_digits(return_X_y=True)
    X = MinMaxScaler().fit_transform(X)
    kmeans = normalized_mutual_info_score(y, KMeans(10, n_init=10, random_state=0).fit_predict(X))
    labels = JULEClustering(10, random_state=0).fit_predict(X)
    assert normalized_mutual_info_score(y, labels) > kmeans
