"""DiscriminativeLatentClustering (DDLS): its losses, module, schedule and estimator."""

import math
import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.cluster import KMeans
from sklearn.datasets import load_digits
from sklearn.metrics import adjusted_rand_score
from sklearn.preprocessing import MinMaxScaler
from threads import one_torch_thread
from torch import nn

from skorch.callbacks import Callback

from skdeepcluster.discriminative import (
    AssignmentUpdate,
    ClusteringStageSchedule,
    CosineClusteringModule,
    DiscriminativeClusteringLoss,
    DiscriminativeLatentClustering,
    DiscriminativePretrainingLoss,
    centroid_cosine_loss,
    cluster_discriminative_loss,
    cosine_similarity_matrix,
    discriminative_loss,
    knn_anchor_pairs,
    same_cluster_pairs,
    worst_centroid_similarity,
)
from skdeepcluster.losses import CombinedLoss, ReconstructionTerm, reconstruction_loss
from skdeepcluster.metrics import clustering_accuracy
from skdeepcluster.networks import MLPAutoencoder

# Small network, few epochs: enough for the API checks.
SMALL = dict(
    hidden_dims=(16,), embedding_dim=4, pretrain_epochs=5, epochs=6, n_init=3, batch_size=64
)


@pytest.fixture(scope="module")
def fitted(blobs):
    with one_torch_thread():
        return DiscriminativeLatentClustering(3, random_state=0, **SMALL).fit(blobs[0])


# ------------------------------------------------------------- loss functions


def test_cosine_similarity_matrix_by_hand():
    z = torch.tensor([[3.0, 4.0], [4.0, 3.0], [0.0, -2.0]])
    expected = torch.tensor([[1.0, 24 / 25, -0.8], [24 / 25, 1.0, -0.6], [-0.8, -0.6, 1.0]])
    torch.testing.assert_close(cosine_similarity_matrix(z), expected)


def test_knn_anchor_pairs_keeps_the_closest_edges():
    # Points on a line; 1-NN graph edges: {0,1} (0.1), {2,3} (0.3), {3,4} (0.5 from 4's side).
    X = torch.tensor([[0.0], [0.1], [5.0], [5.3], [5.8]])
    everything = knn_anchor_pairs(X, n_neighbors=1, anchor_fraction=1.0)
    expected = torch.zeros(5, 5, dtype=torch.bool)
    for i, j in [(0, 1), (2, 3), (3, 4)]:
        expected[i, j] = expected[j, i] = True
    assert torch.equal(everything, expected)
    # 5 directed edges * 0.4 = 2: 0 -> 1 and 1 -> 0, the closest.
    closest = knn_anchor_pairs(X, n_neighbors=1, anchor_fraction=0.4)
    expected = torch.zeros(5, 5, dtype=torch.bool)
    expected[0, 1] = expected[1, 0] = True
    assert torch.equal(closest, expected)


def test_knn_anchor_pairs_shape_symmetry_and_edge_cases():
    X = torch.randn(30, 7, generator=torch.Generator().manual_seed(0))
    anchors = knn_anchor_pairs(X, n_neighbors=4, anchor_fraction=0.5)
    assert anchors.shape == (30, 30) and anchors.dtype == torch.bool
    assert torch.equal(anchors, anchors.T) and not anchors.diagonal().any()
    # 30 * 4 * 0.5 = 60 directed edges, symmetrised: mutual ones count once.
    assert 60 <= int(anchors.sum()) <= 120
    graph = knn_anchor_pairs(X, n_neighbors=4, anchor_fraction=1.0)
    assert bool((graph | anchors).eq(graph).all())  # anchors are edges of the kNN graph
    # More neighbours than samples, a single sample, cosine distances.
    assert knn_anchor_pairs(X[:3], n_neighbors=10, anchor_fraction=1.0).sum() == 6
    assert not knn_anchor_pairs(X[:1], n_neighbors=5).any()
    cosine = knn_anchor_pairs(torch.tensor([[1.0, 0.0], [5.0, 0.1], [0.0, 1.0]]),
                              n_neighbors=1, anchor_fraction=0.5, metric="cosine")
    assert cosine[0, 1] and cosine[1, 0] and int(cosine.sum()) == 2


def test_same_cluster_pairs():
    sims = torch.tensor([[0.9, 0.1, 0.0], [0.1, 0.8, 0.0], [0.7, 0.2, 0.1], [0.6, 0.1, 0.0]])
    pairs = same_cluster_pairs(sims)
    expected = torch.zeros(4, 4, dtype=torch.bool)
    for i, j in [(0, 2), (0, 3), (2, 3)]:
        expected[i, j] = expected[j, i] = True
    assert torch.equal(pairs, expected)


def test_discriminative_loss_by_hand():
    C = torch.tensor([[1.0, 0.6, -0.2], [0.6, 1.0, 0.4], [-0.2, 0.4, 1.0]])
    anchors = torch.tensor([[0, 1, 0], [1, 0, 0], [0, 0, 0]]).bool()
    # Non-anchor ordered pairs (0,2),(2,0),(1,2),(2,1): mean |C| = 0.3; anchor mean 0.6.
    torch.testing.assert_close(discriminative_loss(C, anchors), torch.tensor(0.3 - 0.6))
    torch.testing.assert_close(
        discriminative_loss(C, anchors, beta=0.25), torch.tensor(0.3 - 0.75 * 0.6)
    )
    # No anchors: the mean absolute similarity; the diagonal never counts.
    torch.testing.assert_close(
        discriminative_loss(C, torch.eye(3, dtype=torch.bool)), torch.tensor(1.2 * 2 / 6)
    )


def test_discriminative_loss_pulls_anchors_and_pushes_the_rest():
    z = torch.tensor([[1.0, 0.2], [0.8, 0.5], [0.3, 1.0]], requires_grad=True)
    anchors = torch.zeros(3, 3, dtype=torch.bool)
    anchors[0, 1] = anchors[1, 0] = True
    discriminative_loss(cosine_similarity_matrix(z), anchors).backward()
    with torch.no_grad():
        moved = z - 0.1 * z.grad
        before = cosine_similarity_matrix(z)
        after = cosine_similarity_matrix(moved)
    assert after[0, 1] > before[0, 1]  # the anchor pair comes closer
    assert after[0, 2] < before[0, 2]  # the others move apart


def test_cluster_discriminative_loss_by_hand_and_against_collapse():
    C = torch.tensor(
        [[1.0, 0.5, 0.0, -0.2], [0.5, 1.0, 0.4, 0.0], [0.0, 0.4, 1.0, 0.9], [-0.2, 0.0, 0.9, 1.0]]
    )
    S = torch.tensor([[1.0, 0.0, 0.0], [0.9, 0.1, 0.0], [0.0, 1.0, 0.0], [0.1, 0.8, 0.0]])
    # Clusters {0, 1}, {2, 3} and an empty one; between pairs 0-2, 0-3, 1-2, 1-3.
    between = (0.0 + 0.2 + 0.4 + 0.0) / 4
    within = (0.5 + 0.9 + 0.0) / 3
    torch.testing.assert_close(cluster_discriminative_loss(C, S), torch.tensor(between - within))
    torch.testing.assert_close(
        cluster_discriminative_loss(C, S, beta=0.5), torch.tensor(between - 0.5 * within)
    )
    # Everything in one collapsed cluster scores worse than K orthogonal collapsed clusters.
    collapsed = cluster_discriminative_loss(torch.ones(6, 6), torch.tensor([[1.0, 0.0]] * 6))
    labels = torch.tensor([0, 0, 0, 1, 1, 1])
    block = (labels[:, None] == labels[None, :]).float()
    separated = cluster_discriminative_loss(block, torch.eye(2)[labels])
    torch.testing.assert_close(collapsed, torch.tensor(-0.5))
    torch.testing.assert_close(separated, torch.tensor(-1.0))


def test_cluster_discriminative_loss_with_given_labels():
    g = torch.Generator().manual_seed(3)
    C = cosine_similarity_matrix(torch.randn(8, 3, generator=g))
    S = torch.randn(8, 3, generator=g)
    labels = torch.tensor([0, 0, 0, 1, 1, 1, 2, 2])  # another partition than the argmax
    expected = cluster_discriminative_loss(C, torch.eye(3)[labels], beta=0.2)
    given = cluster_discriminative_loss(C, S, beta=0.2, labels=labels)
    torch.testing.assert_close(given, expected)
    assert not torch.allclose(given, cluster_discriminative_loss(C, S, beta=0.2))


def test_centroid_cosine_loss_and_worst_centroid_pair_by_hand():
    sims = torch.tensor([[0.9, 0.1], [0.2, 0.5], [-0.3, -0.1]])
    torch.testing.assert_close(centroid_cosine_loss(sims), torch.tensor(-(0.9 + 0.5 - 0.1) / 3))
    centers = torch.tensor([[2.0, 0.0], [1.0, 1.0], [0.5, -3.0]])
    torch.testing.assert_close(worst_centroid_similarity(centers), torch.tensor(math.sqrt(0.5)))
    assert float(worst_centroid_similarity(torch.tensor([[1.0, 2.0]]))) == 0.0
    # Absolute cosine (eq. 9): opposite centroids are as bad as equal ones, orthogonal best.
    opposite = torch.tensor([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0]])
    torch.testing.assert_close(worst_centroid_similarity(opposite), torch.tensor(1.0))
    torch.testing.assert_close(worst_centroid_similarity(torch.eye(3)), torch.tensor(0.0))
    # The gradient reaches only the worst pair.
    centers.requires_grad_(True)
    worst_centroid_similarity(centers).backward()
    assert centers.grad[2].abs().sum() == 0 and centers.grad[:2].abs().sum() > 0


# ------------------------------------------------------------------- criteria


def test_pretraining_loss_is_the_composition_of_its_terms():
    X = torch.randn(20, 6, generator=torch.Generator().manual_seed(1))
    outputs = {"embedding": torch.randn(20, 3), "reconstruction": torch.randn(20, 6)}
    criterion = CombinedLoss(
        DiscriminativePretrainingLoss(n_neighbors=3, anchor_fraction=0.5, beta=0.1,
                                      metric="euclidean"),
        [ReconstructionTerm(0.5)],
    )
    anchors = knn_anchor_pairs(X, 3, 0.5)
    expected = discriminative_loss(cosine_similarity_matrix(outputs["embedding"]), anchors, 0.1)
    expected = expected + 0.5 * reconstruction_loss(X, outputs["reconstruction"])
    torch.testing.assert_close(criterion(outputs, X, None), expected)
    # Without reconstruction no decoder output is needed.
    no_rec = DiscriminativePretrainingLoss(n_neighbors=3, anchor_fraction=0.5)
    no_rec({"embedding": outputs["embedding"]}, X, None)


def test_clustering_loss_stages_and_in_place_switch():
    g = torch.Generator().manual_seed(2)
    X = torch.randn(12, 5, generator=g)
    z, centers = torch.randn(12, 3, generator=g), torch.randn(4, 3, generator=g)
    sims = cosine_similarity_matrix(torch.cat([z, centers]))[:12, 12:]
    outputs = {"embedding": z, "similarities": sims, "centers": centers,
               "reconstruction": torch.zeros(12, 5)}
    criterion = DiscriminativeClusteringLoss(
        n_neighbors=2, anchor_fraction=1.0, metric="euclidean", beta=0.0,
        stage1_discriminative_weight=0.7,
        stage2_discriminative_weight=0.3, centroid_separation_weight=0.2,
    )
    C = cosine_similarity_matrix(z)
    stage1 = centroid_cosine_loss(sims) + 0.7 * discriminative_loss(C, knn_anchor_pairs(X, 2, 1.0))
    torch.testing.assert_close(criterion(outputs, X, None), stage1)
    buffer = criterion.stage_weights
    pointer = buffer.data_ptr()
    criterion.set_stage(2)
    assert criterion.stage_weights.data_ptr() == pointer  # in place, for CUDA graphs
    stage2 = (centroid_cosine_loss(sims) + 0.3 * cluster_discriminative_loss(C, sims)
              + 0.2 * worst_centroid_similarity(centers))
    torch.testing.assert_close(criterion(outputs, X, None), stage2)


def test_stage2_pairs_come_from_the_epoch_assignments():
    # Stage II's pairs are the assignments of the whole training set (indexed by
    # the batch's sample indices), not the batch's own argmax: with the latter a
    # sample that changes cluster is pulled at once towards its new cluster-mates.
    g = torch.Generator().manual_seed(4)
    X = torch.randn(10, 5, generator=g)
    z, centers = torch.randn(10, 3, generator=g), torch.randn(4, 3, generator=g)
    sims = cosine_similarity_matrix(torch.cat([z, centers]))[:10, 10:]
    outputs = {"embedding": z, "similarities": sims, "centers": centers}
    criterion = DiscriminativeClusteringLoss(
        n_neighbors=2, beta=0.0, stage2_discriminative_weight=0.5, centroid_separation_weight=0.2,
    )
    criterion.set_stage(2)
    indices = torch.tensor([7, 2, 9, 0, 4, 5, 1, 3, 8, 6]) + 10
    assignments = torch.zeros(20, dtype=torch.long)
    assignments[indices] = torch.arange(10) % 4  # another partition than the batch argmax
    criterion.assignments = assignments
    C = cosine_similarity_matrix(z)
    expected = (centroid_cosine_loss(sims)
                + 0.5 * cluster_discriminative_loss(C, sims, labels=assignments[indices])
                + 0.2 * worst_centroid_similarity(centers))
    torch.testing.assert_close(criterion(outputs, X, indices), expected)
    per_batch = (centroid_cosine_loss(sims) + 0.5 * cluster_discriminative_loss(C, sims)
                 + 0.2 * worst_centroid_similarity(centers))
    assert not torch.allclose(criterion(outputs, X, indices), per_batch)


class _AssignmentSpy(Callback):
    """Records, per epoch, the assignments the criterion holds at every batch."""

    def initialize(self):
        self.epochs_ = []
        return self

    def on_epoch_begin(self, net, **kwargs):
        module = net.module_
        with torch.no_grad():
            X = torch.as_tensor(self.X, dtype=torch.float32)
            now = module.similarities(module.encode(X)).argmax(dim=1)
        self.epochs_.append({"at_begin": now, "batches": []})

    def on_batch_begin(self, net, batch=None, training=False, **kwargs):
        if training:
            self.epochs_[-1]["batches"].append(net.criterion_.clustering.assignments.clone())


def test_assignment_update_holds_the_assignments_for_an_epoch(blobs):
    X = blobs[0].astype(np.float32)
    spy = _AssignmentSpy()
    spy.X = X
    est = DiscriminativeLatentClustering(
        3, random_state=0, **{**SMALL, "epochs": 4, "batch_size": 50}, stage1_fraction=0.5,
        callbacks=[spy],
    ).fit(X)
    assert any(isinstance(cb, AssignmentUpdate) for _, cb in est.net_.callbacks_)
    epochs = next(cb for _, cb in est.net_.callbacks_ if isinstance(cb, _AssignmentSpy)).epochs_
    assert len(epochs) == 4
    for epoch in epochs:
        assert len(epoch["batches"]) == 3
        for held in epoch["batches"]:
            # The whole training set, assigned at the start of the epoch, fixed through it.
            assert torch.equal(held, epoch["at_begin"])
    # Training state only: neither the data nor the assignments outlive fit.
    assert est.net_.criterion_.clustering.assignments is None
    update = next(cb for _, cb in est.net_.callbacks_ if isinstance(cb, AssignmentUpdate))
    assert update.X_ is None


def test_cosine_clustering_module():
    autoencoder = MLPAutoencoder(5, (8,), 3)
    module = CosineClusteringModule(autoencoder, torch.randn(4, 3) * 5, temperature=0.5)
    x = torch.randn(10, 5)
    z = module.encode(x)
    torch.testing.assert_close(z.norm(dim=1), torch.ones(10))
    proba = module.assign(z)
    torch.testing.assert_close(proba.sum(dim=1), torch.ones(10))
    sims = z @ module.normalized_centers().T
    assert torch.equal(proba.argmax(dim=1), sims.argmax(dim=1))
    torch.testing.assert_close(proba, torch.softmax(sims / 0.5, dim=1))
    out = module(x)
    assert set(out) == {"embedding", "reconstruction", "similarities", "centers"}


def test_stage_schedule_records_the_stages(blobs):
    est = DiscriminativeLatentClustering(
        3, random_state=0, **{**SMALL, "epochs": 5}, stage1_fraction=0.4
    ).fit(blobs[0])
    assert list(est.history_[:, "stage"]) == [1, 1, 2, 2, 2]
    assert isinstance(est.net_.callbacks_[0][1], ClusteringStageSchedule) or any(
        isinstance(cb, ClusteringStageSchedule) for _, cb in est.net_.callbacks_
    )


# ------------------------------------------------------------------ estimator


def test_clusters_blobs(fitted, blobs):
    X, y = blobs
    assert adjusted_rand_score(y, fitted.labels_) > 0.9
    assert fitted.pretrain_labels_.shape == (len(X),)
    assert fitted.pretrain_history_ is not None and len(fitted.pretrain_history_) == 5
    assert fitted.n_iter_ == 6


def test_fitted_attributes_live_on_the_sphere(fitted, blobs):
    X = blobs[0]
    np.testing.assert_allclose(np.linalg.norm(fitted.cluster_centers_, axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(fitted.transform(X), axis=1), 1.0, rtol=1e-6)
    proba = fitted.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(proba.argmax(axis=1), fitted.predict(X))
    cosines = fitted.transform(X) @ fitted.cluster_centers_.T
    np.testing.assert_array_equal(cosines.argmax(axis=1), fitted.predict(X))


def test_clone_and_pickle_round_trip(fitted, blobs):
    X = blobs[0]
    assert clone(fitted).get_params() == fitted.get_params()
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.predict(X), fitted.predict(X))
    np.testing.assert_allclose(restored.transform(X), fitted.transform(X))


def test_weights_only_save_and_load(fitted, blobs, tmp_path):
    from skdeepcluster import persistence

    persistence.save(fitted, tmp_path / "ddls.pt")
    loaded = persistence.load(tmp_path / "ddls.pt", device="cpu")
    X = blobs[0]
    np.testing.assert_array_equal(loaded.predict(X), fitted.predict(X))
    np.testing.assert_array_equal(loaded.pretrain_labels_, fitted.pretrain_labels_)
    np.testing.assert_allclose(loaded.cluster_centers_, fitted.cluster_centers_)


def test_same_random_state_same_labels(fitted, blobs):
    X = blobs[0]
    again = DiscriminativeLatentClustering(3, random_state=0, **SMALL).fit(X)
    np.testing.assert_array_equal(again.labels_, fitted.labels_)
    np.testing.assert_array_equal(again.pretrain_labels_, fitted.pretrain_labels_)


def test_input_not_mutated(blobs):
    X = blobs[0].astype(np.float32)
    before = X.copy()
    DiscriminativeLatentClustering(3, random_state=0, **{**SMALL, "epochs": 2}).fit(X)
    np.testing.assert_array_equal(X, before)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"anchor_fraction": 1.5}, "anchor_fraction"),
        ({"anchor_fraction": 0.0}, "anchor_fraction"),
        ({"beta": -0.1}, "beta"),
        ({"anchor_metric": "manhattan"}, "anchor_metric"),
        ({"stage1_fraction": 2.0}, "stage1_fraction"),
        ({"temperature": 0.0}, "temperature"),
        ({"n_neighbors": 0}, "n_neighbors"),
        ({"centroid_separation_weight": -1.0}, "centroid_separation_weight"),
    ],
)
def test_bad_parameters_raise_value_error(blobs, params, match):
    with pytest.raises(ValueError, match=match):
        DiscriminativeLatentClustering(3, **params).fit(blobs[0])


def test_encoder_without_decoder(blobs):
    X = blobs[0]
    encoder = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3))
    with pytest.raises(ValueError, match="reconstruction_weight"):
        DiscriminativeLatentClustering(3, encoder=encoder, **SMALL).fit(X)
    est = DiscriminativeLatentClustering(
        3, encoder=encoder, reconstruction_weight=0.0, random_state=0, **SMALL
    ).fit(X)
    assert est.transform(X).shape == (len(X), 3)
    assert not any(p.grad is not None for p in encoder.parameters())  # the user's copy untouched


def test_without_pretraining_and_single_stage(blobs):
    X = blobs[0]
    est = DiscriminativeLatentClustering(
        3, random_state=0, **{**SMALL, "pretrain_epochs": 0, "epochs": 3}, stage1_fraction=1.0
    ).fit(X)
    assert est.pretrain_history_ is None
    assert list(est.history_[:, "stage"]) == [1, 1, 1]


def test_sparse_input_trains_like_dense(fitted, blobs):
    import scipy.sparse as sp

    X = blobs[0]
    sparse = DiscriminativeLatentClustering(3, random_state=0, **SMALL).fit(sp.csr_matrix(X))
    np.testing.assert_array_equal(sparse.labels_, fitted.labels_)
    np.testing.assert_array_equal(sparse.predict(sp.csr_matrix(X)), fitted.predict(X))


# ------------------------------------------------------------------ real data


@pytest.mark.slow
def test_digits_beats_kmeans():
    X, y = load_digits(return_X_y=True)
    X = MinMaxScaler().fit_transform(X)
    kmeans = clustering_accuracy(y, KMeans(10, n_init=10, random_state=0).fit_predict(X))
    est = DiscriminativeLatentClustering(
        10, hidden_dims=(256, 256, 512), pretrain_epochs=60, epochs=40, batch_size=600,
        random_state=0, device="cpu",
    ).fit(X)
    assert clustering_accuracy(y, est.labels_) > kmeans
