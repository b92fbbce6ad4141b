"""CCNN: the cluster-classification loss, the mini-batch k-means update, the preset."""

import math
import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.cluster import KMeans
from sklearn.model_selection import GridSearchCV
from torch import nn

from skdeepcluster import CCNNClustering, DeepClustering
from skdeepcluster.compose import (
    ClusterClassification,
    CountedCentres,
    JointTraining,
    MiniBatchKMeansCentres,
    SoftmaxHeadNetwork,
)
from skdeepcluster.losses import (
    ClusterClassificationLoss,
    cluster_classification_loss,
    count_based_center_update,
    feature_drift_compensation,
)
from skdeepcluster.metrics import CLUSTERING_SCORERS, clustering_accuracy
from skdeepcluster.minibatch_kmeans import MiniBatchKMeansUpdate
from skdeepcluster.networks import DDCMLPBackbone, DDCNetwork
from skdeepcluster.persistence import load, save

SMALL = dict(hidden_dims=(16,), embedding_dim=8, epochs=8, batch_size=30, random_state=0)


# --- the loss -----------------------------------------------------------------------


def test_cluster_classification_loss_hand_computed():
    p = torch.tensor([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8], [0.5, 0.25, 0.25]])
    loss = cluster_classification_loss(p, torch.tensor([0, 2, 1]), eps=0.0)
    expected = -(math.log(0.7) + math.log(0.8) + math.log(0.25)) / 3
    assert loss.item() == pytest.approx(expected, rel=1e-6)


def test_balanced_loss_weighs_the_labels_alike():
    p = torch.tensor([[0.5, 0.5], [0.8, 0.2], [0.25, 0.75]])
    loss = cluster_classification_loss(p, torch.tensor([0, 0, 1]), eps=0.0, balanced=True)
    expected = ((-math.log(0.5) - math.log(0.8)) / 2 - math.log(0.75)) / 2
    assert loss.item() == pytest.approx(expected, rel=1e-6)


def test_cluster_classification_loss_is_cross_entropy_of_the_logits():
    logits = torch.randn(7, 4, generator=torch.Generator().manual_seed(0))
    labels = torch.tensor([0, 1, 2, 3, 0, 1, 2])
    ours = cluster_classification_loss(torch.softmax(logits, 1), labels, eps=0.0)
    torch.testing.assert_close(ours, nn.functional.cross_entropy(logits, labels))


def test_criterion_labels_each_sample_by_its_nearest_centroid():
    criterion = ClusterClassificationLoss(weight=2.0)
    criterion.centers = torch.tensor([[0.0, 0.0], [10.0, 0.0]])
    features = torch.tensor([[1.0, 0.0], [9.0, 1.0]], requires_grad=True)
    p = torch.tensor([[0.9, 0.1], [0.4, 0.6]], requires_grad=True)
    loss = criterion({"embedding": features[:, None], "assignments": p[:, None]})
    assert loss.item() == pytest.approx(-(math.log(0.9) + math.log(0.6)), rel=1e-5)
    loss.backward()
    assert features.grad is None or not features.grad.any()  # labels are constants
    assert p.grad is not None


# --- the centroid update ----------------------------------------------------------------


def sculley(centers, counts, features, labels):
    """Sculley's mini-batch k-means step, one sample at a time, in float64."""
    centers, counts = centers.astype(np.float64).copy(), counts.copy()
    for z, k in zip(features, labels):
        counts[k] += 1
        eta = 1.0 / counts[k]
        centers[k] = (1 - eta) * centers[k] + eta * z
    return centers, counts


def test_count_based_update_is_sculleys_minibatch_kmeans():
    rng = np.random.RandomState(0)
    centers, counts = rng.randn(3, 2), np.array([1, 4, 2])
    features, labels = rng.randn(9, 2), np.array([0, 0, 2, 1, 0, 2, 2, 0, 0])
    want_centers, want_counts = sculley(centers, counts, features, labels)
    got_centers, got_counts = count_based_center_update(
        torch.tensor(centers), torch.tensor(counts), torch.tensor(features), torch.tensor(labels)
    )
    np.testing.assert_allclose(got_centers.numpy(), want_centers, rtol=1e-12)
    np.testing.assert_array_equal(got_counts.numpy(), want_counts)


def test_drift_compensation_hand_computed():
    centers, counts = torch.tensor([[0.0, 0.0], [5.0, 5.0], [9.0, 9.0]]), torch.tensor([2, 4, 3])
    old = torch.tensor([[1.0, 0.0], [3.0, 2.0], [5.0, 5.0]])
    new = torch.tensor([[2.0, 0.0], [3.0, 4.0], [4.0, 5.0]])
    labels = torch.tensor([0, 0, 1])
    # drifts: (1, 0), (0, 2) in cluster 0; (-1, 0) in cluster 1; none in cluster 2
    cluster = feature_drift_compensation(centers, counts, old, new, labels)
    torch.testing.assert_close(cluster, torch.tensor([[0.5, 1.0], [4.0, 5.0], [9.0, 9.0]]))
    batch = feature_drift_compensation(centers, counts, old, new, labels, scope="batch")
    torch.testing.assert_close(batch, torch.tensor([[0.5, 1.0], [4.75, 5.0], [9.0, 9.0]]))
    with pytest.raises(ValueError, match="scope"):
        feature_drift_compensation(centers, counts, old, new, labels, scope="all")


def test_batch_compensation_equals_the_step_on_the_new_features():
    rng = np.random.RandomState(1)
    centers, counts = torch.tensor(rng.randn(3, 2)), torch.tensor([1, 2, 5])
    old, new = torch.tensor(rng.randn(6, 2)), torch.tensor(rng.randn(6, 2))
    labels = torch.tensor([0, 1, 1, 2, 0, 0])
    moved, new_counts = count_based_center_update(centers, counts, old, labels)
    compensated = feature_drift_compensation(moved, new_counts, old, new, labels, scope="batch")
    on_new, _ = count_based_center_update(centers, counts, new, labels)
    torch.testing.assert_close(compensated, on_new)


class _Net:
    """What the callback reads of a skorch net, for a hand-driven check."""

    def __init__(self, module, criterion):
        self.module_, self.criterion_, self.device = module, criterion, "cpu"
        self.history = _History()


class _History(list):
    def record(self, name, value):
        self.append((name, value))


def _one_batch(drift):
    torch.manual_seed(0)
    module = DDCNetwork(DDCMLPBackbone(3, (5,), batch_norm="none"), 5, 2, embedding_dim=4,
                        batch_norm="none")
    criterion = ClusterClassificationLoss()
    X = torch.randn(6, 3)
    old = module(X)["embedding"].detach()
    start = old[:2, 0].clone()
    update = MiniBatchKMeansUpdate(start, initial_count=1, drift_compensation=drift)
    net = _Net(module, criterion)
    update.on_train_begin(net, X=X)
    with torch.no_grad():  # the optimizer's step: the network moves
        for p in module.parameters():
            p.add_(0.1)
    new = module(X)["embedding"].detach()
    update.on_batch_end(net, batch=(X, torch.arange(6)), training=True,
                        y_pred={"embedding": old})
    return start, old[:, 0], new[:, 0], criterion.centers, update


@pytest.mark.parametrize("drift", ["cluster", "batch", "none"])
def test_callback_moves_the_centroids_as_the_functions_say(drift):
    start, old, new, centers, update = _one_batch(drift)
    labels = torch.cdist(old, start).argmin(1)
    want, counts = count_based_center_update(start, torch.ones(2, dtype=torch.int64), old, labels)
    if drift != "none":
        want = feature_drift_compensation(want, counts, old, new, labels, scope=drift)
    torch.testing.assert_close(centers, want)
    torch.testing.assert_close(update.counts_, counts)


# --- the preset -------------------------------------------------------------------------


def test_ccnn_clusters_blobs_and_reads_out_kmeans(blobs):
    X, y = blobs
    X_before = X.copy()
    model = CCNNClustering(3, **SMALL).fit(X)
    np.testing.assert_array_equal(X, X_before)
    assert clustering_accuracy(y, model.labels_) > 0.9
    assert isinstance(model.readout_, KMeans)
    np.testing.assert_array_equal(model.predict(X), model.labels_)
    features = model.transform(X)
    assert features.shape == (len(X), 8)
    np.testing.assert_array_equal(model.readout_.predict(features.astype(np.float64)),
                                  model.labels_)
    proba = model.predict_proba(X)
    np.testing.assert_array_equal(proba.argmax(1), model.labels_)
    assert {"delta_label", "n_reseeded"} <= set(model.history_[-1])
    assert model.net_.criterion_.clustering.centers is None  # no training state kept


def test_ccnn_is_its_composition_and_reproducible(blobs):
    X, _ = blobs
    model = CCNNClustering(3, **SMALL)
    composed = model.to_deep_clustering()
    assert isinstance(composed.clustering_loss, ClusterClassification)
    assert isinstance(composed.cluster_update, MiniBatchKMeansCentres)
    assert composed.network.batch_norm == "none"
    labels = model.fit_predict(X)
    np.testing.assert_array_equal(composed.fit_predict(X), labels)
    np.testing.assert_array_equal(clone(model).fit_predict(X), labels)


def test_drift_compensation_changes_the_training(blobs):
    X, _ = blobs
    runs = {d: CCNNClustering(3, drift_compensation=d, **dict(SMALL, lr=1e-2)).fit(X).transform(X)
            for d in ("cluster", "none")}
    assert not np.array_equal(runs["cluster"], runs["none"])


def test_pretrained_encoder_is_trained_on_from_its_weights(blobs):
    X, y = blobs
    torch.manual_seed(0)
    encoder = nn.Sequential(nn.Linear(X.shape[1], 16), nn.ReLU())
    weights = encoder[0].weight.detach().clone()
    model = CCNNClustering(3, encoder=encoder, embedding_dim=8, epochs=1, batch_size=30,
                           lr=1e-12, random_state=0).fit(X)
    trained = model.net_.module_.backbone.runs[0][0].weight.detach().cpu()
    torch.testing.assert_close(trained, weights)  # kept, not re-initialised
    torch.testing.assert_close(encoder[0].weight, weights)  # the user's module untouched


def test_conv_network_on_images():
    rng = np.random.RandomState(0)
    X = rng.rand(40, 1, 16, 16).astype(np.float32)
    model = CCNNClustering(2, network="conv", embedding_dim=8, epochs=1, batch_size=20,
                           n_init=1, random_state=0).fit(X)
    assert model.input_shape_ == (1, 16, 16)
    assert model.transform(X).shape == (40, 8)


def test_grid_search_over_ccnn_parameters(blobs):
    X, y = blobs
    search = GridSearchCV(
        CCNNClustering(3, **dict(SMALL, epochs=2)),
        {"drift_compensation": ["cluster", "batch"], "lr": [1e-3]},
        scoring=CLUSTERING_SCORERS["nmi"], cv=[(np.arange(len(X)),) * 2],
    ).fit(X, y)
    assert set(search.best_params_) == {"drift_compensation", "lr"}
    composed = DeepClustering(
        3, network=SoftmaxHeadNetwork(hidden_dims=(16,), hidden_dim=8, batch_norm="none"),
        clustering_loss=ClusterClassification(), cluster_update=MiniBatchKMeansCentres(),
        schedule=JointTraining(2), readout=KMeans(n_init=2), batch_size=30, random_state=0,
    )
    search = GridSearchCV(
        composed, {"cluster_update__drift_compensation": ["none", "cluster"]},
        scoring=CLUSTERING_SCORERS["accuracy"], cv=[(np.arange(len(X)),) * 2],
    ).fit(X, y)
    assert "cluster_update__drift_compensation" in search.best_params_


def test_pickle_and_weights_only_round_trips(blobs, tmp_path):
    X, _ = blobs
    model = CCNNClustering(3, **dict(SMALL, epochs=2)).fit(X)
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(again.predict(X), model.predict(X))
    save(model, tmp_path / "ccnn")
    loaded = load(tmp_path / "ccnn")
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    np.testing.assert_allclose(loaded.transform(X), model.transform(X), rtol=1e-6)


def test_bad_input_and_settings(blobs):
    X, _ = blobs
    with pytest.raises(ValueError, match="drift_compensation"):
        CCNNClustering(3, drift_compensation="all").fit(X)
    with pytest.raises(ValueError):
        CCNNClustering(3, **SMALL).fit(np.full_like(X, np.nan))
    with pytest.raises(ValueError, match="cluster_update"):
        DeepClustering(3, network=SoftmaxHeadNetwork(hidden_dims=(8,)),
                       clustering_loss=ClusterClassification(),
                       cluster_update=CountedCentres(), readout=KMeans()).fit(X)
    with pytest.raises(ValueError, match="batch_norm"):
        DDCMLPBackbone(3, (4,), batch_norm="everywhere")


@pytest.mark.slow
def test_ccnn_on_digits_against_kmeans():
    from sklearn.datasets import load_digits
    from sklearn.metrics import normalized_mutual_info_score
    from sklearn.preprocessing import MinMaxScaler

    X, y = load_digits(return_X_y=True)
    X = MinMaxScaler().fit_transform(X)
    labels = CCNNClustering(10, random_state=0).fit_predict(X)
    assert normalized_mutual_info_score(y, labels) > 0.5
