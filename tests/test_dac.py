"""DAC: the pairwise loss, the threshold schedules, the network, and the preset."""

import math
import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV

from skdeepcluster import DACClustering, DeepClustering
from skdeepcluster.compose import (
    AdaptiveThresholds,
    AutoencoderNetwork,
    DecreasingThreshold,
    JointTraining,
    PretrainThenCluster,
    SameClusterPairs,
    SoftmaxHeadNetwork,
    TargetRefresh,
)
from skdeepcluster.losses import (
    SameClusterLoss,
    indicator_cosines,
    same_cluster_loss,
    select_pairs,
)
from skdeepcluster.metrics import CLUSTERING_SCORERS, clustering_accuracy
from skdeepcluster.networks import DACConvBackbone, DDCNetwork
from skdeepcluster.persistence import load, save
from skdeepcluster.updates import PairThresholdSchedule


def paper_loss(p, upper, lower, squared=False):
    """DAC's objective in float64, straight from the paper's definitions (loops over pairs)."""
    p = np.asarray(p, dtype=np.float64)
    features = [row / math.sqrt(sum(v * v for v in row)) for row in p]
    total, count = 0.0, 0
    for li in features:
        for lj in features:
            g = float(np.dot(li, lj))
            if g >= upper:
                r = 1.0
            elif g < lower:
                r = 0.0
            else:
                continue
            g = min(max(g, 1e-7), 1 - 1e-7) if not squared else g
            total += (g - r) ** 2 if squared else -(r * math.log(g) + (1 - r) * math.log(1 - g))
            count += 1
    return total / max(count, 1)


# --- the pairwise loss ------------------------------------------------------------


def test_cosines_hand_computed():
    # l_1 = (1, 0), l_2 = (1, 1) / sqrt 2, l_3 = (0, 1): cosines 1/sqrt 2, 0 and 1/sqrt 2.
    p = torch.tensor([[1.0, 0.0], [0.5, 0.5], [0.0, 1.0]], dtype=torch.float64)
    s = 1 / math.sqrt(2)
    expected = torch.tensor([[[1, s, 0], [s, 1, s], [0, s, 1]]], dtype=torch.float64)
    torch.testing.assert_close(indicator_cosines(p), expected)


def test_selection_labels_sure_pairs_and_leaves_the_rest_out():
    cosines = torch.tensor([0.99, 0.95, 0.94, 0.5, 0.455, 0.2])
    labels, selected = select_pairs(cosines, upper=0.95, lower=0.455)
    torch.testing.assert_close(labels, torch.tensor([1.0, 1, 0, 0, 0, 0]))
    torch.testing.assert_close(selected, torch.tensor([1.0, 1, 0, 0, 0, 1]))
    # One threshold (upper == lower): every pair is labelled.
    labels, selected = select_pairs(cosines, upper=0.5, lower=0.5)
    torch.testing.assert_close(selected, torch.ones(6))
    torch.testing.assert_close(labels, torch.tensor([1.0, 1, 1, 1, 0, 0]))


def test_loss_hand_computed():
    # Cosines 1/sqrt 2 (pairs 1-2 and 2-3) and 0 (1-3); with u = 0.7, l = 0.1 the pairs of
    # cosine 1/sqrt 2 are "same": -log(1/sqrt 2) = log(2) / 2 each, 4 of the 9 ordered pairs;
    # the diagonal (3 pairs, -log 1 = 0) and 1-3 (2 pairs, -log(1 - 0) = 0) cost nothing.
    p = torch.tensor([[1.0, 0.0], [0.5, 0.5], [0.0, 1.0]], dtype=torch.float64)
    expected = 4 * (math.log(2) / 2) / 9
    torch.testing.assert_close(same_cluster_loss(p, 0.7, 0.1), torch.tensor([expected],
                               dtype=torch.float64), atol=1e-6, rtol=0)
    # With u = 0.9 the pairs of cosine 0.707 are left out: 5 selected pairs, all free.
    assert same_cluster_loss(p, 0.9, 0.1).item() < 1e-6
    # Squared error with one threshold 0.5: (0.707 - 1)^2 for 4 pairs, out of 9.
    expected = 4 * (1 / math.sqrt(2) - 1) ** 2 / 9
    torch.testing.assert_close(same_cluster_loss(p, 0.5, 0.5, "squared_error"),
                               torch.tensor([expected], dtype=torch.float64))


@pytest.mark.parametrize("upper, lower, squared", [(0.95, 0.455, False), (0.8, 0.6, False),
                                                    (0.7, 0.7, True)])
def test_loss_matches_the_paper_formula(upper, lower, squared):
    p = torch.softmax(torch.randn(12, 4, generator=torch.Generator().manual_seed(0),
                                  dtype=torch.float64) * 3, dim=1)
    loss = same_cluster_loss(p, upper, lower, "squared_error" if squared else
                             "binary_cross_entropy")
    assert loss.item() == pytest.approx(paper_loss(p, upper, lower, squared), rel=1e-6)


def test_no_gradient_flows_through_the_selection():
    logits = torch.randn(6, 3, requires_grad=True, generator=torch.Generator().manual_seed(1))
    same_cluster_loss(torch.softmax(logits, dim=1), 0.9, 0.3).sum().backward()
    assert torch.isfinite(logits.grad).all() and logits.grad.abs().sum() > 0
    # Every pair left out: a loss of zero, and no gradient.
    logits.grad = None
    p = torch.softmax(logits, dim=1)
    assert same_cluster_loss(p, 1.01, -0.01).item() == 0.0


def test_runs_are_computed_apart():
    p = torch.softmax(torch.randn(8, 2, 3, generator=torch.Generator().manual_seed(2)), dim=-1)
    both = same_cluster_loss(p, 0.9, 0.4)
    for run in range(2):
        torch.testing.assert_close(both[run], same_cluster_loss(p[:, run], 0.9, 0.4)[0])
    criterion = SameClusterLoss(weight=2.0, upper=0.9, lower=0.4)
    torch.testing.assert_close(criterion({"assignments": p}), 2 * both.sum())


def test_any_confident_partition_is_a_minimum_and_doubt_costs():
    # The labels come from the outputs themselves: one-hot assignments, whatever partition
    # they make (all samples in one cluster included), cost nothing; DAC relies on the
    # network's first outputs to start from a useful partition.
    split = torch.tensor([[1.0, 0.0, 0.0]] * 3 + [[0.0, 1.0, 0.0]] * 3)
    merged = torch.tensor([[1.0, 0.0, 0.0]] * 6)
    assert same_cluster_loss(split, 0.95, 0.455).item() < 1e-6
    assert same_cluster_loss(merged, 0.95, 0.455).item() < 1e-6
    doubtful = torch.tensor([[0.8, 0.2, 0.0]] * 3 + [[0.2, 0.8, 0.0]] * 3)
    assert same_cluster_loss(doubtful, 0.95, 0.5).item() > 0.05  # cosine 0.47 < 0.5: "different"


def test_unknown_pair_loss():
    with pytest.raises(ValueError, match="loss must be one of"):
        same_cluster_loss(torch.ones(2, 2) / 2, 0.9, 0.5, loss="hinge")


# --- the threshold schedules ------------------------------------------------------


def test_the_papers_thresholds_meet_after_46_epochs():
    schedule = AdaptiveThresholds(step=1.1 * 0.009).thresholds(100)
    assert len(schedule) == 46
    assert schedule[0] == (0.95, 0.455)
    upper, lower = schedule[10]
    assert upper == pytest.approx(0.95 - 10 * 0.0099) and lower == pytest.approx(0.455 + 0.0099)
    assert all(u > l for u, l in schedule)
    lam = 46 * 0.0099
    assert 0.95 - lam <= 0.455 + 0.1 * lam  # the next epoch's would have crossed
    # "auto" spreads the schedule over the epochs of the fit.
    auto = AdaptiveThresholds().thresholds(10)
    assert len(auto) == 10 and auto[-1][0] > auto[-1][1]
    assert auto[-1][0] - auto[-1][1] == pytest.approx((0.95 - 0.455) / 10)


def test_the_authors_threshold_falls_from_0_9_by_0_02():
    schedule = DecreasingThreshold().thresholds(20)
    assert len(schedule) == 20 and schedule[0] == (0.9, 0.9)
    assert schedule[-1][0] == pytest.approx(0.9 - 19 * 0.02)
    assert DecreasingThreshold(step=0.05).thresholds(3)[2][0] == pytest.approx(0.8)


def test_the_schedule_sets_the_thresholds_and_stops_where_they_meet(blobs):
    X = blobs[0]
    model = DACClustering(3, hidden_dims=(8,), epochs=30, threshold_step=0.1, batch_size=50,
                          random_state=0).fit(X)
    # lam = 0, 0.1, ..., 0.4: five epochs; at 0.5 u = 0.45 <= l = 0.505.
    assert model.n_iter_ == 5 and model.epochs_ == 30
    np.testing.assert_allclose(model.history_[:, "upper"], [0.95, 0.85, 0.75, 0.65, 0.55])
    np.testing.assert_allclose(model.history_[:, "lower"], [0.455, 0.465, 0.475, 0.485, 0.495])
    criterion = model.net_.criterion_.clustering
    assert criterion.upper.item() == pytest.approx(0.55)


def test_the_callback_in_isolation():
    class Net:
        max_epochs = 5
        stop_requested_ = False
        history = None

    class History(list):
        def record(self, key, value):
            self[-1][key] = value

    net, criterion = Net(), SameClusterLoss()
    net.criterion_ = criterion
    net.history = History([{}])
    callback = PairThresholdSchedule([(0.9, 0.1), (0.8, 0.2)])
    callback.on_epoch_begin(net)
    assert (criterion.upper.item(), criterion.lower.item()) == pytest.approx((0.9, 0.1))
    callback.on_epoch_end(net)
    assert not net.stop_requested_
    net.history.append({})
    callback.on_epoch_begin(net)
    assert net.history[-1] == pytest.approx({"upper": 0.8, "lower": 0.2})
    callback.on_epoch_end(net)
    assert net.stop_requested_ and "met" in net.stop_reason_


# --- the network ------------------------------------------------------------------


def test_the_authors_network_layers():
    backbone = DACConvBackbone((1, 28, 28))
    convs = [m for m in backbone.modules() if type(m).__name__ == "RunwiseConv2d"]
    assert [tuple(c.weight.shape[1:3]) for c in convs] == [
        (64, 1), (64, 64), (64, 64), (128, 64), (128, 128), (128, 128), (10, 128)]
    assert all(c.padding == 0 for c in convs)  # unpadded on MNIST, as the code
    net = DDCNetwork(backbone, 10, 10, 10, batch_norm="before_relu", output_batch_norm=True)
    out = net(torch.rand(4, 784))
    assert out["embedding"].shape == (4, 1, 10) and out["assignments"].shape == (4, 1, 10)
    net.eval()
    torch.testing.assert_close(net.assign(net.encode(torch.rand(3, 784))).sum(dim=1),
                               torch.ones(3))
    # Smaller images get padded convolutions; too small ones a clear error.
    assert DACConvBackbone((1, 12, 12))(torch.rand(2, 144)).shape == (2, 1, 10)
    with pytest.raises(ValueError, match="too small"):
        DACConvBackbone((1, 6, 6))


def test_output_batch_norm_keeps_the_softmax_head_consistent():
    net = SoftmaxHeadNetwork(hidden_dims=(8,), hidden_dim=4, output_batch_norm=True,
                             batch_norm="before_relu").build(5, None, n_clusters=3, n_runs=2)
    net.eval()
    x = torch.randn(7, 5)
    torch.testing.assert_close(net.assign(net.encode(x)), net(x)["assignments"][:, 0])
    selected = net.select_runs([1], output_orders=[[2, 0, 1]])
    torch.testing.assert_close(selected(x)["assignments"][:, 0],
                               net(x)["assignments"][:, 1][:, [2, 0, 1]])


# --- the preset -------------------------------------------------------------------


def test_dac_recipe_as_components():
    model = DACClustering(10).to_deep_clustering()
    assert isinstance(model.clustering_loss, SameClusterPairs)
    assert model.clustering_loss.loss == "binary_cross_entropy"
    thresholds = model.cluster_update
    assert isinstance(thresholds, AdaptiveThresholds)
    assert (thresholds.upper, thresholds.lower, thresholds.lower_rate) == (0.95, 0.455, 0.1)
    assert model.network.architecture == "auto" and model.network.output_batch_norm
    assert model.optimizer == "rmsprop" and model.lr == 1e-3 and model.augmentation is None
    assert isinstance(model.schedule, JointTraining) and model.schedule.epochs == 46
    assert model.clustering_loss.auto_batch_size(70000) == 128
    authors = DACClustering(10, variant="authors", network="conv", augment=True)
    authors = authors.to_deep_clustering()
    assert authors.clustering_loss.loss == "squared_error"
    assert isinstance(authors.cluster_update, DecreasingThreshold)
    assert authors.schedule.epochs == 20 and authors.network.architecture == "conv_bn"
    augmentation = authors.augmentation
    assert (augmentation.rotation, augmentation.shift, augmentation.zoom) == (10.0, 0.1, 0.05)
    assert augmentation.clustering and not augmentation.pretraining


def test_dac_separates_blobs_and_gives_soft_assignments(blobs):
    X, y = blobs
    model = DACClustering(3, hidden_dims=(32,), random_state=0).fit(X)
    assert model.epochs_ == 300 and model.batch_size_ == 32  # "auto": 1,500 steps of 32
    assert clustering_accuracy(y, model.labels_) > 0.9
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(proba.argmax(axis=1), model.labels_)
    assert model.transform(X).shape == (len(X), 10)
    assert model.cluster_centers_.shape == (3, 10)
    assert isinstance(model.net_.optimizer_, torch.optim.RMSprop)
    assert model.net_.optimizer_.defaults["alpha"] == 0.9


def test_dac_is_reproducible_and_leaves_the_input_alone(blobs):
    X = blobs[0].copy()
    before = X.copy()
    params = dict(hidden_dims=(8,), epochs=3, batch_size=50, random_state=3)
    a = DACClustering(3, **params).fit_predict(X)
    b = clone(DACClustering(3, **params)).fit_predict(X)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(X, before)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # a short run
def test_the_authors_variant_on_augmented_images():
    rng = np.random.RandomState(0)
    images = rng.rand(64, 1, 12, 12).astype(np.float32)
    model = DACClustering(2, variant="authors", augment=True, epochs=2, batch_size=32,
                          random_state=0).fit(images)
    assert model.input_shape_ == (1, 12, 12) and model.hidden_dims_ is None
    assert model.net_.augmentation.zoom == 0.05
    np.testing.assert_allclose(model.history_[:, "upper"], [0.9, 0.7])
    np.testing.assert_allclose(model.history_[:, "upper"], model.history_[:, "lower"])
    with pytest.raises(ValueError, match="augment=True needs images"):
        DACClustering(2, augment=True, network="mlp", epochs=1).fit(rng.rand(20, 5))


def test_grid_search_over_the_thresholds(blobs):
    X, y = blobs
    model = DACClustering(3, hidden_dims=(16,), epochs=3, batch_size=50, random_state=0)
    search = GridSearchCV(
        model, {"upper": [0.9, 0.95], "lower": [0.455], "variant": ["paper", "authors"]},
        scoring=CLUSTERING_SCORERS["accuracy"], cv=[(np.arange(len(X)),) * 2],
    ).fit(X, y)
    assert set(search.best_params_) == {"upper", "lower", "variant"}
    composed = DeepClustering(
        3, network=SoftmaxHeadNetwork(hidden_dims=(16,), hidden_dim=8),
        clustering_loss=SameClusterPairs(), cluster_update=AdaptiveThresholds(),
        schedule=JointTraining(2), batch_size=50, random_state=0,
    )
    search = GridSearchCV(
        composed, {"cluster_update__lower_rate": [0.1, 0.2], "clustering_loss__weight": [1.0]},
        scoring=CLUSTERING_SCORERS["nmi"], cv=[(np.arange(len(X)),) * 2],
    ).fit(X, y)
    assert search.best_params_["clustering_loss__weight"] == 1.0


def test_the_loss_on_ddcs_head_and_on_an_autoencoder(blobs):
    X = blobs[0]
    ddc_head = DeepClustering(
        3, network=SoftmaxHeadNetwork(hidden_dims=(16,), hidden_dim=8),
        clustering_loss=SameClusterPairs(), schedule=JointTraining(3), batch_size=50,
        random_state=0,
    ).fit(X)
    assert isinstance(ddc_head.net_.optimizer_, torch.optim.Adam)  # DeepClustering's default
    assert ddc_head.cluster_update == "auto" and ddc_head.n_iter_ == 3
    autoencoder = DeepClustering(
        3, network=AutoencoderNetwork(hidden_dims=(16,), embedding_dim=4),
        clustering_loss=SameClusterPairs(), schedule=PretrainThenCluster(2, 3), batch_size=50,
        random_state=0,
    ).fit(X)
    assert autoencoder.predict_proba(X).shape == (len(X), 3)
    with pytest.raises(ValueError, match="TargetRefresh.*SameClusterPairs"):
        DeepClustering(3, network=SoftmaxHeadNetwork(), clustering_loss=SameClusterPairs(),
                       cluster_update=TargetRefresh()).fit(X)


def test_pickle_and_weights_only_round_trips(blobs, tmp_path):
    X = blobs[0]
    model = DACClustering(3, hidden_dims=(8,), epochs=3, batch_size=50, random_state=0).fit(X)
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(again.predict(X), model.predict(X))
    save(model, tmp_path / "dac.pt")
    loaded = load(tmp_path / "dac.pt")
    np.testing.assert_allclose(loaded.predict_proba(X), model.predict_proba(X), rtol=1e-5)
    np.testing.assert_allclose(loaded.transform(X), model.transform(X), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "params, message",
    [({"variant": "both"}, "variant"), ({"upper": 1.5}, "upper"),
     ({"threshold_step": 0}, "threshold_step"), ({"network": "conv_bn"}, "network"),
     ({"optimizer": "adagrad"}, "optimizer")],
)
def test_bad_parameters(blobs, params, message):
    with pytest.raises(ValueError, match=message):
        DACClustering(3, **params).fit(blobs[0])


def test_bad_input():
    with pytest.raises(ValueError, match="NaN"):
        DACClustering(2, epochs=1).fit(np.array([[0.0, np.nan], [1.0, 2.0], [3, 4]]))
    with pytest.raises(ValueError, match="too small"):
        DACClustering(2, network="conv", epochs=1).fit(np.random.rand(10, 1, 4, 4))


@pytest.mark.slow
def test_dac_on_digit_images():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    images = (X / 16.0).reshape(-1, 1, 8, 8).astype(np.float32)
    labels = DACClustering(10, random_state=0).fit_predict(images)
    assert clustering_accuracy(y, labels) > 0.5
