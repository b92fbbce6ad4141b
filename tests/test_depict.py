"""DEPICT: the balanced target, the cross-entropy, the layer-wise reconstruction, the noisy
network, the per-epoch target refresh and the preset."""

import math
import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV

from skdeepcluster import DEPICTClustering, DeepClustering
from skdeepcluster.compose import (
    AutoencoderNetwork,
    BalancedCrossEntropy,
    EpochTargetRefresh,
    LayerwiseReconstruction,
    NoisyAutoencoderNetwork,
    PretrainThenCluster,
    Reconstruction,
    SoftmaxHeadNetwork,
)
from skdeepcluster.losses import (
    BalancedCrossEntropyLoss,
    LayerwiseReconstructionTerm,
    balanced_target_distribution,
    layerwise_reconstruction_loss,
    soft_cross_entropy,
    target_distribution,
)
from skdeepcluster.metrics import CLUSTERING_SCORERS, clustering_accuracy
from skdeepcluster.networks import ConvNoisyAutoencoder, MLPNoisyAutoencoder
from skdeepcluster.persistence import load, save

SMALL = dict(hidden_dims=(32,), pretrain_epochs=30, pretrain_lr=1e-3, warmup_epochs=3,
             epochs=20, lr=1e-3, n_init=5, batch_size=50)


def paper_target(p):
    """DEPICT eq. 9 in float64, entry by entry: q_ik = (p_ik / sqrt(f_k)) / sum_k'(...)."""
    p = np.asarray(p, dtype=np.float64)
    f = [sum(p[i][k] for i in range(len(p))) for k in range(p.shape[1])]
    q = np.zeros_like(p)
    for i in range(len(p)):
        row = [p[i][k] / math.sqrt(f[k]) for k in range(p.shape[1])]
        q[i] = [v / sum(row) for v in row]
    return q


# --- the pure functions ---------------------------------------------------------


def test_balanced_target_hand_computed():
    # f = (3.5, 0.5); sample 0: 0.5/sqrt(3.5) against 0.5/sqrt(0.5), i.e. 1 : sqrt(7).
    p = torch.tensor([[0.5, 0.5], [1.0, 0.0], [1.0, 0.0], [1.0, 0.0]], dtype=torch.float64)
    q = balanced_target_distribution(p)
    expected = torch.tensor([1 / (1 + math.sqrt(7)), math.sqrt(7) / (1 + math.sqrt(7))],
                            dtype=torch.float64)
    torch.testing.assert_close(q[0], expected)
    torch.testing.assert_close(q[1:], p[1:])  # a one-hot row stays one-hot


def test_balanced_target_is_the_papers_formula_and_favours_small_clusters():
    rng = np.random.RandomState(0)
    logits = rng.normal(size=(9, 4)) + np.array([2.0, 0, 0, 0])  # cluster 0 is the big one
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    q = balanced_target_distribution(torch.tensor(p)).numpy()
    np.testing.assert_allclose(q, paper_target(p), rtol=1e-12)
    np.testing.assert_allclose(q.sum(1), 1.0, rtol=1e-12)
    assert q[:, 0].sum() < p[:, 0].sum()  # the big cluster gives mass away
    # Unlike DEC's target it does not sharpen: equal-sized clusters keep p.
    balanced = torch.tensor([[0.7, 0.3], [0.3, 0.7]], dtype=torch.float64)
    torch.testing.assert_close(balanced_target_distribution(balanced), balanced)
    assert target_distribution(balanced)[0, 0] > 0.7


def test_soft_cross_entropy_hand_computed():
    q = torch.tensor([[1.0, 0.0], [0.5, 0.5]], dtype=torch.float64)
    p = torch.tensor([[0.25, 0.75], [0.5, 0.5]], dtype=torch.float64)
    expected = (-math.log(0.25) + -math.log(0.5)) / 2
    np.testing.assert_allclose(soft_cross_entropy(q, p).item(), expected, rtol=1e-12)
    # KL(Q || P) differs by the target's entropy, a constant of the step.
    entropy = -(0.5 * math.log(0.5)) * 2 / 2
    kl = torch.nn.functional.kl_div(p.log(), q, reduction="batchmean").item()
    np.testing.assert_allclose(soft_cross_entropy(q, p).item(), kl + entropy, rtol=1e-12)


def test_layerwise_reconstruction_hand_computed():
    x, z1 = torch.zeros(2, 3), torch.ones(2, 2, 2)
    x_hat, z1_hat = torch.full((2, 3), 2.0), torch.full((2, 2, 2), 4.0)
    # 4 from the input, 0.1 * 9 from the hidden layer.
    loss = layerwise_reconstruction_loss([x, z1], [x_hat, z1_hat], [1.0, 0.1])
    np.testing.assert_allclose(loss.item(), 4.9, rtol=1e-6)
    term = LayerwiseReconstructionTerm(weight=2.0, layer_weight=0.1)
    outputs = {"reconstruction": x_hat, "layer_targets": (z1,), "layer_reconstructions": (z1_hat,)}
    np.testing.assert_allclose(term(outputs, x, None).item(), 9.8, rtol=1e-6)
    # A plain autoencoder's outputs: the input's error alone.
    np.testing.assert_allclose(term({"reconstruction": x_hat}, x, None).item(), 8.0, rtol=1e-6)
    with pytest.raises(ValueError, match="one of each"):
        layerwise_reconstruction_loss([x], [x_hat, z1_hat], [1.0])


def test_criterion_reads_its_target_by_index():
    loss = BalancedCrossEntropyLoss(weight=0.5)
    loss.target = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]])
    p = torch.tensor([[0.5, 0.5], [0.25, 0.75]])
    value = loss({"assignments": p}, None, torch.tensor([0, 1])).item()
    np.testing.assert_allclose(value, 0.5 * (math.log(2) - math.log(0.75)) / 2, rtol=1e-6)
    p_all = torch.tensor([[0.9, 0.1], [0.5, 0.5]])
    torch.testing.assert_close(loss.make_target(p_all), balanced_target_distribution(p_all))
    squared = BalancedCrossEntropyLoss(target="squared")
    torch.testing.assert_close(squared.make_target(p_all), target_distribution(p_all))
    with pytest.raises(ValueError, match="target"):
        BalancedCrossEntropyLoss(target="sharp")


# --- the network -----------------------------------------------------------------


def test_conv_network_is_the_papers():
    ae = ConvNoisyAutoencoder((1, 28, 28), embedding_dim=10)
    convs = [m for m in ae.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [(c.out_channels, c.kernel_size, c.stride, c.padding) for c in convs] == [
        (50, (4, 4), (2, 2), (0, 0)), (50, (5, 5), (2, 2), (2, 2))]
    assert ae.dropout.p == 0.1 and isinstance(ae.embedding[-1], torch.nn.Tanh)
    x = torch.rand(3, 784) * 2 - 1
    ae.eval()
    out = ae(x)
    assert out["reconstruction"].shape == x.shape
    assert out["reconstruction"].abs().max() <= 1  # tanh output
    for target, reconstruction in zip(out["layer_targets"], out["layer_reconstructions"]):
        assert target.shape == reconstruction.shape
    torch.testing.assert_close(out["embedding"], ae.encode(x))


def test_the_noisy_pass_is_dropout_and_the_targets_stay_clean():
    torch.manual_seed(0)
    ae = MLPNoisyAutoencoder(6, (16, 8), 3, dropout=0.5)
    x = torch.randn(20, 6)
    ae.train()
    out = ae(x)
    clean = ae.encode(x)  # no dropout, even in training
    assert not torch.allclose(out["embedding"], clean)
    ae.eval()
    torch.testing.assert_close(ae.encode(x), clean)
    ae.train()
    torch.testing.assert_close(out["layer_targets"][0], ae.stages[0](x))
    assert [t.shape[1] for t in out["layer_targets"]] == [16, 8]
    ae_no_noise = MLPNoisyAutoencoder(6, (16,), 3, dropout=0.0)
    torch.testing.assert_close(ae_no_noise(x)["embedding"], ae_no_noise.encode(x))


def test_network_component_builds_the_right_architecture():
    network = NoisyAutoencoderNetwork()
    assert type(network.build(64, (1, 8, 8), n_clusters=4)).__name__ == "ConvNoisyAutoencoder"
    mlp = network.build(5, None, n_clusters=4)
    assert type(mlp).__name__ == "MLPNoisyAutoencoder" and mlp.embedding_dim == 4
    assert NoisyAutoencoderNetwork(embedding_dim=7).build(5, None, n_clusters=4).embedding_dim == 7
    assert network.resolve_input_shape((8, 8), 64) == (1, 8, 8)
    assert network.resolve_input_shape(None, 64) is None  # flat data is never taken for images
    with pytest.raises(ValueError, match="images"):
        NoisyAutoencoderNetwork("conv").build(5, None, n_clusters=2)
    with pytest.raises(ValueError, match="too small"):
        ConvNoisyAutoencoder((1, 3, 3), 2)


# --- the composition ------------------------------------------------------------


def test_head_starts_from_unit_length_kmeans_centroids_and_warms_up_on_its_labels(blobs):
    X, _ = blobs
    seen = {}

    from skorch.callbacks import Callback

    class Peek(Callback):
        def on_train_begin(self, net, **kwargs):
            seen["weight"] = net.module_.output.weight.detach().clone()
            seen["bias"] = net.module_.output.bias.detach().clone()

        def on_epoch_begin(self, net, **kwargs):
            seen.setdefault("targets", []).append(net.criterion_.clustering.target.clone())

    model = DEPICTClustering(3, callbacks=[Peek()], random_state=0,
                             **dict(SMALL, epochs=2, warmup_epochs=2)).fit(X)
    np.testing.assert_allclose(seen["weight"].norm(dim=1).numpy(), 1.0, rtol=1e-5)
    assert (seen["bias"] == 0).all()
    first = seen["targets"][0]
    assert set(first.unique().tolist()) == {0.0, 1.0}  # one-hot k-means labels
    torch.testing.assert_close(seen["targets"][1], first)  # fixed through the warm-up
    assert not set(seen["targets"][2].unique().tolist()) <= {0.0, 1.0}  # then soft
    assert model.history_[0].get("delta_target") is None
    assert model.history_[-1]["delta_target"] > 0
    assert model.net_.criterion_.clustering.target is None  # not kept after training


def test_tol_stops_when_the_target_settles(blobs):
    X, _ = blobs
    model = DEPICTClustering(3, tol=1.0, random_state=0, **SMALL).fit(X)
    # The first refresh after the warm-up has nothing to compare with; the second stops.
    assert model.n_iter_ == SMALL["warmup_epochs"] + 1
    assert "stopping" in model.net_.stop_reason_


def test_depict_clusters_blobs_and_maps_onto_its_composition(blobs):
    X, y = blobs
    model = DEPICTClustering(3, random_state=0, **SMALL).fit(X)
    assert clustering_accuracy(y, model.labels_) > 0.95
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba.sum(1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(proba.argmax(1), model.labels_)
    np.testing.assert_array_equal(model.predict(X), model.labels_)
    assert model.transform(X).shape == (len(X), 3)  # the embedding is K wide
    assert np.abs(model.transform(X)).max() <= 1  # tanh
    assert model.epochs_ == SMALL["warmup_epochs"] + SMALL["epochs"]
    composed = model.to_deep_clustering().fit(X)
    np.testing.assert_array_equal(composed.labels_, model.labels_)
    again = clone(model).fit(X)
    np.testing.assert_array_equal(again.labels_, model.labels_)


def test_recipe_as_components():
    model = DEPICTClustering(10).to_deep_clustering()
    assert isinstance(model.network, NoisyAutoencoderNetwork)
    assert model.network.dropout == 0.1 and model.network.embedding_dim is None
    assert (model.non_clustering_loss.weight, model.non_clustering_loss.layer_weight) == (1.0, 0.1)
    assert model.clustering_loss.target == "balanced"
    assert isinstance(model.cluster_update, EpochTargetRefresh)
    assert (model.cluster_update.warmup_epochs, model.cluster_update.tol) == (5, 1e-7)
    assert model.lr == 1e-4 and model.schedule.pretrain_lr == 1e-4 and model.n_init == 40
    assert model.clustering_loss.auto_batch_size(70000) == 100
    code = DEPICTClustering(10, target="squared").to_deep_clustering()
    assert code.clustering_loss.criterion().target_kind == "squared"


def test_pretraining_reconstructs_every_layer(blobs, capsys):
    X, _ = blobs
    DEPICTClustering(3, verbose=1, random_state=0, **dict(SMALL, pretrain_epochs=1, epochs=1))\
        .fit(X)
    out = capsys.readouterr().out
    assert "pretraining the autoencoder on LayerwiseReconstructionTerm" in out
    assert "warm-up of 3 epochs" in out


def test_balanced_cross_entropy_on_a_plain_autoencoder(blobs):
    X, y = blobs
    model = DeepClustering(
        3, network=AutoencoderNetwork(hidden_dims=(16,), embedding_dim=3),
        non_clustering_loss=Reconstruction(), clustering_loss=BalancedCrossEntropy(),
        cluster_update=EpochTargetRefresh(warmup_epochs=1),
        schedule=PretrainThenCluster(10, 5), batch_size=50, n_init=3, random_state=0,
    ).fit(X)
    assert model.predict_proba(X).shape == (len(X), 3)
    with pytest.raises(ValueError, match="softmax head"):
        DeepClustering(3, network=SoftmaxHeadNetwork(hidden_dims=(8,)),
                       clustering_loss=BalancedCrossEntropy()).fit(X)
    with pytest.raises(ValueError, match="'balanced' or 'squared'"):
        DeepClustering(3, clustering_loss=BalancedCrossEntropy(target="x")).fit(X)


def test_grid_search_over_the_loss_weights(blobs):
    X, y = blobs
    model = DEPICTClustering(3, random_state=0, **dict(SMALL, pretrain_epochs=3, epochs=2))
    search = GridSearchCV(
        model, {"clustering_weight": [0.5, 1.0], "layer_weight": [0.1],
                "target": ["balanced", "squared"]},
        scoring=CLUSTERING_SCORERS["accuracy"], cv=[(np.arange(len(X)),) * 2],
    ).fit(X, y)
    assert set(search.best_params_) == {"clustering_weight", "layer_weight", "target"}
    composed = model.to_deep_clustering()
    search = GridSearchCV(
        composed, {"non_clustering_loss__layer_weight": [0.0, 0.1]},
        scoring=CLUSTERING_SCORERS["nmi"], cv=[(np.arange(len(X)),) * 2],
    ).fit(X, y)
    assert search.best_params_["non_clustering_loss__layer_weight"] in (0.0, 0.1)


def test_images_pickle_and_weights_only_round_trip(tmp_path):
    rng = np.random.RandomState(0)
    X = (rng.rand(60, 1, 8, 8) * 2 - 1).astype(np.float32)
    model = DEPICTClustering(2, random_state=0, **dict(SMALL, pretrain_epochs=2, epochs=2,
                                                       batch_size=20)).fit(X)
    assert type(model.net_.module_.autoencoder).__name__ == "ConvNoisyAutoencoder"
    assert model.hidden_dims_ is None and model.input_shape_ == (1, 8, 8)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))
    save(model, tmp_path / "depict")
    loaded = load(tmp_path / "depict")
    np.testing.assert_allclose(loaded.predict_proba(X), model.predict_proba(X), rtol=1e-5)
    np.testing.assert_allclose(loaded.transform(X), model.transform(X), rtol=1e-5)


def test_bad_input_and_parameters(blobs):
    X, _ = blobs
    with pytest.raises(ValueError, match="dropout"):
        DEPICTClustering(3, dropout=1.0).fit(X)
    with pytest.raises(ValueError, match="target"):
        DEPICTClustering(3, target="dec").fit(X)
    with pytest.raises(ValueError, match="images"):
        DEPICTClustering(3, network="conv", **SMALL).fit(X)  # 2 flat features
    with pytest.raises(ValueError, match="NaN|infinity"):
        DEPICTClustering(3).fit(np.array([[np.nan, 1.0]] * 10))
    before = X.copy()
    DEPICTClustering(3, random_state=0, **dict(SMALL, pretrain_epochs=1, epochs=1)).fit(X)
    np.testing.assert_array_equal(X, before)


@pytest.mark.slow
def test_depict_on_digits_matches_kmeans():
    from sklearn.cluster import KMeans
    from sklearn.datasets import load_digits
    from sklearn.preprocessing import StandardScaler

    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    kmeans = clustering_accuracy(y, KMeans(10, n_init=10, random_state=0).fit_predict(X))
    labels = DEPICTClustering(10, random_state=0).fit_predict(X)
    assert clustering_accuracy(y, labels) > kmeans - 0.05
