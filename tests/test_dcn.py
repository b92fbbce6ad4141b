"""DCN: the k-means loss terms, the alternating update, and DCNClustering as an estimator."""

import pickle
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback
from skorch.history import History
from sklearn.base import clone
from sklearn.cluster import KMeans
from sklearn.exceptions import NotFittedError
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score
from sklearn.utils.validation import check_is_fitted
from threads import one_torch_thread
from torch import nn

from skdeepcluster.dcn import (
    AlternatingKMeansUpdate,
    DCNClustering,
    KMeansClusteringLoss,
    KMeansClusteringModule,
    count_based_center_update,
    kmeans_loss,
    nearest_centers,
    squared_distances,
)
from skdeepcluster.losses import CombinedLoss, ReconstructionTerm
from skdeepcluster.metrics import clustering_accuracy
from skdeepcluster.networks import Autoencoder, MLPAutoencoder

# A network this small separates the blobs from some starts only (ARI 0.44-1.0 over seeds 0-3
# with either initialisation); this one, PyTorch's, separates them at random_state=0.
SMALL = dict(
    hidden_dims=(32,), embedding_dim=2, pretrain_epochs=10, epochs=5, n_init=3, batch_size=32,
    weight_init="torch",
)


@pytest.fixture(scope="module")
def fitted(blobs):
    with one_torch_thread():
        return DCNClustering(3, random_state=0, **SMALL).fit(blobs[0])


# --- loss terms: hand-computed values ----------------------------------------


def test_squared_distances_hand_computed():
    z = torch.tensor([[0.0, 0.0], [1.0, 1.0]])
    mu = torch.tensor([[3.0, 4.0], [1.0, 0.0], [1.0, 1.0]])
    expected = torch.tensor([[25.0, 1.0, 2.0], [13.0, 1.0, 0.0]])
    torch.testing.assert_close(squared_distances(z, mu), expected)


def test_nearest_centers_picks_lowest_index_on_ties():
    z = torch.tensor([[0.5], [0.0], [2.0]])
    mu = torch.tensor([[0.0], [1.0]])
    labels, distances = nearest_centers(z, mu)
    assert labels.dtype == torch.int64
    assert labels.tolist() == [0, 0, 1]
    torch.testing.assert_close(distances, torch.tensor([0.25, 0.0, 1.0]))


def test_kmeans_loss_value_and_gradient():
    z = torch.tensor([[1.0, 0.0], [0.0, 2.0], [3.0, 3.0]], requires_grad=True)
    mu = torch.tensor([[0.0, 0.0], [0.0, 1.0]])
    s = torch.tensor([0, 1, 0])
    loss = kmeans_loss(z, mu, s)
    # (1 + 1 + 18) / 3
    torch.testing.assert_close(loss, torch.tensor(20.0 / 3))
    loss.backward()
    # d/dz_i of mean_i ||z_i - mu_{s_i}||^2 is 2 (z_i - mu_{s_i}) / n
    torch.testing.assert_close(z.grad, 2 * (z.detach() - mu[s]) / 3)


def _sequential_update(centers, counts, embeddings, labels):
    """The reference code's loop, one sample at a time."""
    centers, counts = centers.clone(), counts.clone()
    for z, k in zip(embeddings, labels.tolist()):
        counts[k] += 1
        eta = 1.0 / counts[k].item()
        centers[k] = centers[k] - eta * (centers[k] - z)
    return centers, counts


def test_count_based_update_hand_computed():
    centers = torch.tensor([[0.0, 0.0], [10.0, 10.0], [5.0, 5.0]])
    counts = torch.tensor([2, 5, 1])
    z = torch.tensor([[3.0, 0.0], [6.0, 3.0], [11.0, 10.0]])
    labels = torch.tensor([0, 0, 1])
    new_centers, new_counts = count_based_center_update(centers, counts, z, labels)
    # cluster 0: (2 * (0, 0) + (3, 0) + (6, 3)) / 4; cluster 1: (5 * (10, 10) + (11, 10)) / 6
    expected = torch.tensor([[2.25, 0.75], [61.0 / 6, 10.0], [5.0, 5.0]])
    torch.testing.assert_close(new_centers, expected)
    assert new_counts.tolist() == [4, 6, 1]
    assert new_counts.dtype == counts.dtype
    # inputs untouched (the callback writes the results in place itself)
    assert counts.tolist() == [2, 5, 1]
    assert centers[0].tolist() == [0.0, 0.0]


def test_count_based_update_equals_sequential_rule():
    gen = torch.Generator().manual_seed(0)
    centers = torch.randn(4, 3, generator=gen, dtype=torch.float64)
    counts = torch.tensor([100, 3, 1, 7])
    z = torch.randn(50, 3, generator=gen, dtype=torch.float64)
    labels = torch.randint(0, 3, (50,), generator=gen)  # cluster 3 gets no sample
    closed, closed_counts = count_based_center_update(centers, counts, z, labels)
    loop, loop_counts = _sequential_update(centers, counts, z, labels)
    torch.testing.assert_close(closed, loop, rtol=1e-12, atol=1e-12)
    assert torch.equal(closed_counts, loop_counts)
    assert torch.equal(closed[3], centers[3])  # bit-for-bit unchanged without samples


def test_dcn_criterion_hand_computed():
    criterion = CombinedLoss(
        KMeansClusteringLoss(clustering_weight=0.5), [ReconstructionTerm(reduction="sum")]
    )
    criterion.clustering.centers = torch.tensor([[0.0], [4.0]])
    criterion.clustering.assignments = torch.tensor([1, 0, 1])
    X = torch.tensor([[1.0, 2.0], [0.0, 0.0]])
    outputs = {
        "reconstruction": torch.tensor([[1.0, 0.0], [1.0, 1.0]]),  # per-sample sums 4 and 2
        "embedding": torch.tensor([[1.0], [2.0]]),  # samples 2 and 0: to 4 and 0
    }
    indices = torch.tensor([2, 0])
    # mean(4, 2) + 0.5 / 2 * mean(9, 4)
    expected = 3.0 + 0.25 * 6.5
    torch.testing.assert_close(criterion(outputs, X, indices), torch.tensor(expected))
    criterion.clustering.clustering_weight = 0.0
    torch.testing.assert_close(criterion(outputs, X, indices), torch.tensor(3.0))


def test_module_buffers_and_soft_assignments():
    module = KMeansClusteringModule(
        MLPAutoencoder(3, (4,), 2), np.array([[0.0, 0.0], [1.0, 0.0]]), initial_count=7
    )
    assert dict(module.named_buffers()).keys() == {"centers", "counts"}
    assert "centers" not in dict(module.named_parameters())  # moved by the rule, not by backprop
    assert module.counts.tolist() == [7, 7]
    z = torch.tensor([[0.0, 0.0], [2.0, 0.0]])
    q = module.assign(z)
    # softmax(-(0, 1)) and softmax(-(4, 1))
    e = np.exp(-1.0)
    f = np.exp(-4.0)
    expected = torch.tensor(
        [[1 / (1 + e), e / (1 + e)], [f / (f + e), e / (f + e)]], dtype=torch.float32
    )
    torch.testing.assert_close(q, expected)
    out = module(torch.zeros(2, 3))
    assert out["embedding"].shape == (2, 2) and out["reconstruction"].shape == (2, 3)


# --- the alternating update, on a stand-in net ----------------------------------


class _Identity(nn.Module):
    def forward(self, x):
        return x


def _fake_net(centers, X, initial_count=100, batch_size=2):
    module = KMeansClusteringModule(
        Autoencoder(_Identity(), _Identity()), centers, initial_count=initial_count
    )
    history = History()
    history.new_epoch()
    return SimpleNamespace(
        module_=module,
        criterion_=KMeansClusteringLoss(),
        device="cpu",
        batch_size=batch_size,
        history=history,
        stop_requested_=False,
    )


def test_alternating_update_reassigns_and_moves_centers_in_place():
    X = torch.tensor([[0.0, 0.0], [0.2, 0.0], [10.0, 0.0], [9.0, 0.0]])
    net = _fake_net(np.array([[0.0, 0.0], [10.0, 0.0]]), X, initial_count=1, batch_size=2)
    callback = AlternatingKMeansUpdate()
    callback.on_train_begin(net, X=X)
    criterion, module = net.criterion_, net.module_
    assert criterion.assignments.tolist() == [0, 0, 1, 1]
    assert criterion.centers is module.centers  # the loss reads the module's buffer
    centers_ptr, assignments_ptr = module.centers.data_ptr(), criterion.assignments.data_ptr()

    # the step's embeddings of samples 1 and 2 moved: 1 is now nearer centroid 1
    indices = torch.tensor([1, 2])
    embeddings = torch.tensor([[8.0, 0.0], [10.0, 2.0]])
    callback.on_batch_end(net, batch=(X[indices], indices), training=True,
                          y_pred={"embedding": embeddings})
    assert criterion.assignments.tolist() == [0, 1, 1, 1]
    # centroid 1: (1 * (10, 0) + (8, 0) + (10, 2)) / 3; centroid 0 has no sample: unchanged
    torch.testing.assert_close(module.centers, torch.tensor([[0.0, 0.0], [28 / 3, 2 / 3]]))
    assert module.counts.tolist() == [1, 3]
    assert module.centers.data_ptr() == centers_ptr  # in place: a CUDA graph reads it by address
    assert criterion.assignments.data_ptr() == assignments_ptr

    indices = torch.tensor([0, 3])
    callback.on_batch_end(net, batch=(X[indices], indices), training=True,
                          y_pred={"embedding": X[indices]})
    # end of the epoch (2 batches of 2): one of 4 samples changed cluster
    assert net.history[-1]["delta_label"] == 0.25
    assert net.history[-1]["n_reseeded"] == 0

    callback.on_train_end(net)
    assert criterion.assignments is None and criterion.centers is None and callback.X_ is None


def test_empty_cluster_is_reseeded_at_the_farthest_sample():
    X = torch.tensor([[0.0, 0.0], [1.0, 0.0], [5.0, 0.0], [100.0, 100.0]])
    # centroid 2 is far from every sample and owns none
    net = _fake_net(np.array([[0.0, 0.0], [5.0, 0.0], [-50.0, -50.0]]), X, initial_count=100)
    net.module_.counts.copy_(torch.tensor([300, 400, 500]))
    callback = AlternatingKMeansUpdate()
    callback.on_train_begin(net, X=X)
    module, assignments = net.module_, net.criterion_.assignments
    # sample 3 is farthest from its centroid: it seeds the empty cluster
    torch.testing.assert_close(module.centers[2], torch.tensor([100.0, 100.0]))
    assert module.counts.tolist() == [300, 400, 100]
    assert assignments.tolist() == [0, 0, 1, 2]
    assert torch.isfinite(module.centers).all()


def test_tol_stops_training_after_an_epoch_with_few_changes():
    X = torch.tensor([[0.0], [0.1], [5.0], [5.1]])
    net = _fake_net(np.array([[0.0], [5.0]]), X, batch_size=4)
    callback = AlternatingKMeansUpdate(tol=0.1)
    callback.on_train_begin(net, X=X)
    indices = torch.arange(4)
    callback.on_batch_end(net, batch=(X, indices), training=True, y_pred={"embedding": X})
    assert net.history[-1]["delta_label"] == 0.0
    assert net.stop_requested_


# --- the estimator ---------------------------------------------------------------


def test_separates_blobs_and_labels_are_nearest_centroids(fitted, blobs):
    X, y = blobs
    assert adjusted_rand_score(y, fitted.labels_) > 0.9
    np.testing.assert_array_equal(fitted.predict(X), fitted.labels_)
    z = fitted.transform(X)
    nearest = ((z[:, None, :] - fitted.cluster_centers_[None]) ** 2).sum(-1).argmin(1)
    np.testing.assert_array_equal(nearest, fitted.labels_)
    assert fitted.cluster_centers_.shape == (3, 2)
    assert np.all(np.isfinite(fitted.cluster_centers_))


def test_history_records_the_schedule(fitted):
    history = fitted.history_
    assert len(history) == SMALL["epochs"] == fitted.n_iter_
    assert all(0.0 <= d <= 1.0 for d in history[:, "delta_label"])
    assert all(n >= 0 for n in history[:, "n_reseeded"])
    # the per-sample training state is not kept in the fitted model
    assert fitted.net_.criterion_.clustering.assignments is None
    schedule = dict(fitted.net_.callbacks_)["alternating_kmeans"]
    assert schedule.X_ is None and schedule.distances_ is None


def test_predict_proba_rows_sum_to_one_and_argmax_is_predict(fitted, blobs):
    X = blobs[0]
    proba = fitted.predict_proba(X)
    assert proba.shape == (len(X), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-10)
    np.testing.assert_array_equal(proba.argmax(axis=1), fitted.predict(X))


def test_clone_gives_unfitted_equal_params(fitted):
    cloned = clone(fitted)
    assert cloned.get_params() == fitted.get_params()
    with pytest.raises(NotFittedError):
        check_is_fitted(cloned)


def test_pickle_round_trip(fitted, blobs):
    X = blobs[0]
    restored = pickle.loads(pickle.dumps(fitted))
    for method in ("predict", "transform", "predict_proba"):
        for data in (X, X.astype(np.float32)):
            np.testing.assert_array_equal(
                getattr(restored, method)(data), getattr(fitted, method)(data)
            )
    np.testing.assert_array_equal(restored.cluster_centers_, fitted.cluster_centers_)


def test_weights_only_persistence_round_trip(fitted, blobs, tmp_path):
    from skdeepcluster.persistence import load, save

    save(fitted, tmp_path / "dcn.pt")
    restored = load(tmp_path / "dcn.pt")
    X = blobs[0]
    np.testing.assert_array_equal(restored.predict(X), fitted.predict(X))
    np.testing.assert_array_equal(restored.transform(X), fitted.transform(X))
    torch.testing.assert_close(restored.net_.module_.counts, fitted.net_.module_.counts.cpu())


def test_same_random_state_same_result(fitted, blobs):
    X = blobs[0]
    again = DCNClustering(3, random_state=0, **SMALL).fit(X)
    np.testing.assert_array_equal(again.labels_, fitted.labels_)
    np.testing.assert_array_equal(again.transform(X), fitted.transform(X))
    np.testing.assert_array_equal(again.cluster_centers_, fitted.cluster_centers_)
    other = DCNClustering(3, random_state=1, **SMALL).fit(X)
    assert not np.allclose(other.transform(X), fitted.transform(X))


@pytest.mark.parametrize("kind", ["float64", "float32", "read-only"])
def test_input_unchanged(kind, blobs):
    X = blobs[0].astype(np.float32 if kind == "float32" else np.float64)
    if kind == "read-only":
        X.flags.writeable = False
    original = X.copy()
    est = DCNClustering(3, random_state=0, **dict(SMALL, pretrain_epochs=2, epochs=1)).fit(X)
    for method in ("predict", "transform", "predict_proba", "score"):
        getattr(est, method)(X)
    np.testing.assert_array_equal(X, original)
    assert est.transform(X).dtype == X.dtype


def test_every_cluster_is_used_even_with_too_many_clusters(blobs):
    X = blobs[0]
    est = DCNClustering(8, random_state=0, **dict(SMALL, epochs=3)).fit(X)
    np.testing.assert_array_equal(np.unique(est.labels_), np.arange(8))
    assert np.all(np.isfinite(est.cluster_centers_))


def test_sparse_input_trains_and_predicts_like_dense(fitted, blobs):
    import scipy.sparse as sp

    X = blobs[0]
    np.testing.assert_array_equal(fitted.predict(sp.csr_matrix(X)), fitted.predict(X))
    sparse = DCNClustering(3, random_state=0, **SMALL).fit(sp.csr_matrix(X))
    np.testing.assert_array_equal(sparse.labels_, fitted.labels_)


def test_tol_stops_early(blobs):
    est = DCNClustering(3, random_state=0, tol=1.0, **dict(SMALL, epochs=5)).fit(blobs[0])
    assert est.n_iter_ == 1


def test_user_callbacks_see_buffers_updated_in_place(blobs):
    class Watch(Callback):
        def on_train_begin(self, net, **kwargs):
            self.ptr = net.module_.centers.data_ptr()
            self.start = net.module_.centers.clone()
            self.same = True

        def on_batch_end(self, net, **kwargs):
            self.same &= net.module_.centers.data_ptr() == self.ptr

    watch = Watch()
    est = DCNClustering(3, random_state=0, callbacks=[watch], **dict(SMALL, epochs=2)).fit(blobs[0])
    recorded = dict(est.net_.callbacks_)["user_0_Watch"]
    assert recorded.same
    assert not torch.equal(recorded.start, est.net_.module_.centers)  # the centroids did move
    assert not hasattr(watch, "ptr")  # the user's callback object was copied, not used


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(clustering_weight=-1.0), "clustering_weight"),
        (dict(initial_count=0), "initial_count"),
        (dict(tol=-0.1), "tol"),
        (dict(optimizer="adagrad"), "optimizer"),
        (dict(encoder=nn.Linear(2, 2), pretrain_epochs=0), "decoder"),
    ],
)
def test_bad_options_raise_clear_value_errors(params, match, blobs):
    with pytest.raises(ValueError, match=match):
        DCNClustering(3, **dict(SMALL, **params)).fit(blobs[0])


@pytest.mark.slow
def test_mnist_subset_beats_kmeans():
    # 5000 MNIST digits, a shortened recipe (about 15 CPU minutes on a busy 2-core machine).
    # Measured: k-means on pixels ACC 0.547 / NMI 0.486; DCN 0.581 / 0.575.
    from pathlib import Path

    from skdeepcluster.datasets import load_mnist

    path = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist.npz"
    if not path.exists():
        pytest.skip("MNIST not available")
    X, y = load_mnist(path=path, return_X_y=True)
    idx = np.random.RandomState(0).permutation(len(X))[:5000]
    X, y = X[idx], y[idx]
    kmeans = KMeans(10, n_init=10, random_state=0).fit_predict(X)
    dcn = DCNClustering(10, pretrain_epochs=40, epochs=10, random_state=0, device="cpu")
    dcn = dcn.fit_predict(X)
    assert clustering_accuracy(y, dcn) > clustering_accuracy(y, kmeans) + 0.01
    assert normalized_mutual_info_score(y, dcn) > normalized_mutual_info_score(y, kmeans) + 0.05
