"""InfoGAN: its losses, the routing of each player's gradient, the components and the preset."""

import math
import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.datasets import make_blobs
from sklearn.model_selection import GridSearchCV
from sklearn.preprocessing import StandardScaler

from skdeepcluster import DeepClustering, InfoGANClustering, persistence
from skdeepcluster.compose import (
    AdversarialGame,
    AutoencoderNetwork,
    CategoricalCode,
    GenerativeAdversarialNetwork,
    JointTraining,
)
from skdeepcluster.losses import (
    AdversarialGameLoss,
    CodeInformationLoss,
    categorical_code_information,
    discriminator_loss,
    gaussian_code_information,
    generator_loss,
)
from skdeepcluster.metrics import CLUSTERING_SCORERS, clustering_accuracy
from skdeepcluster.networks import InfoGANModule

SMALL = dict(hidden_dims=(16, 16), noise_dim=4, batch_size=20)


@pytest.fixture
def blobs():
    X, y = make_blobs(90, n_features=4, centers=3, random_state=0)
    return StandardScaler().fit_transform(X).astype(np.float32), y


def sigmoid(s):
    return 1 / (1 + math.exp(-s))


# --- the losses ---------------------------------------------------------------------


def test_gan_losses_hand_computed():
    # D(x) = sigmoid(s): real logits (0, 2), fake logits (-1, 1).
    real, fake = torch.tensor([0.0, 2.0], dtype=torch.float64), torch.tensor([-1.0, 1.0],
                                                                          dtype=torch.float64)
    expected_d = -(math.log(0.5) + math.log(sigmoid(2))) / 2 \
        - (math.log(1 - sigmoid(-1)) + math.log(1 - sigmoid(1))) / 2
    assert discriminator_loss(real, fake).item() == pytest.approx(expected_d, rel=1e-12)
    expected_g = -(math.log(sigmoid(-1)) + math.log(sigmoid(1))) / 2
    assert generator_loss(fake).item() == pytest.approx(expected_g, rel=1e-12)


def test_gan_losses_are_the_papers_formula_on_probabilities():
    rng = np.random.default_rng(0)
    real, fake = rng.normal(size=7), rng.normal(size=5)
    d_real, d_fake = 1 / (1 + np.exp(-real)), 1 / (1 + np.exp(-fake))
    paper_d = -np.mean(np.log(d_real)) - np.mean(np.log(1 - d_fake))
    paper_g = -np.mean(np.log(d_fake))
    assert discriminator_loss(torch.tensor(real), torch.tensor(fake)).item() == \
        pytest.approx(paper_d, rel=1e-12)
    assert generator_loss(torch.tensor(fake)).item() == pytest.approx(paper_g, rel=1e-12)


def test_categorical_information_hand_computed():
    # Q = softmax((log 3, 0)) = (3/4, 1/4); codes (0, 1): CE = -(log 3/4 + log 1/4) / 2.
    logits = torch.tensor([[math.log(3), 0.0], [math.log(3), 0.0]], dtype=torch.float64)
    value = categorical_code_information(logits, torch.tensor([0, 1]))
    expected = math.log(2) + (math.log(0.75) + math.log(0.25)) / 2
    assert value.item() == pytest.approx(expected, rel=1e-12)
    # A Q that recovers every code: L_I reaches H(c) = log K, the mutual information's maximum.
    certain = torch.tensor([[50.0, 0, 0], [0, 50.0, 0], [0, 0, 50.0]], dtype=torch.float64)
    assert categorical_code_information(certain, torch.arange(3)).item() == \
        pytest.approx(math.log(3), abs=1e-12)


def test_gaussian_information_hand_computed():
    # Codes (0.5, -1), means (0, 0), std 1: per code log 2 - (log sqrt(2 pi) + d^2 / 2).
    means, codes = torch.zeros(1, 2, dtype=torch.float64), torch.tensor([[0.5, -1.0]],
                                                                        dtype=torch.float64)
    expected = 2 * math.log(2) - (2 * 0.5 * math.log(2 * math.pi) + 0.125 + 0.5)
    assert gaussian_code_information(means, codes).item() == pytest.approx(expected, rel=1e-12)
    # std 2 on a batch of two: the mean over the batch of the sum over the codes.
    means = torch.tensor([[0.0], [1.0]], dtype=torch.float64)
    codes = torch.tensor([[1.0], [1.0]], dtype=torch.float64)
    expected = math.log(2) - (0.5 * math.log(2 * math.pi * 4) + (1 / 8 + 0) / 2)
    assert gaussian_code_information(means, codes, std=2.0).item() == \
        pytest.approx(expected, rel=1e-12)
    assert gaussian_code_information(torch.zeros(3, 0), torch.zeros(3, 0)).item() == 0.0


def _outputs(seed=0):
    g = torch.Generator().manual_seed(seed)
    n = 6
    return {
        "real_scores": torch.randn(n, generator=g), "fake_scores": torch.randn(n, generator=g),
        "generator_scores": torch.randn(n, generator=g),
        "fake_code_logits": torch.randn(n, 3, generator=g),
        "generator_code_logits": torch.randn(n, 3, generator=g),
        "fake_code_means": torch.randn(n, 2, generator=g),
        "generator_code_means": torch.randn(n, 2, generator=g),
        "categories": torch.randint(3, (n,), generator=g),
        "continuous_codes": torch.rand(n, 2, generator=g) * 2 - 1,
    }


def test_criteria_sum_both_players_terms():
    out = _outputs()
    game = AdversarialGameLoss(weight=2.0)(out)
    expected = 2.0 * (discriminator_loss(out["real_scores"], out["fake_scores"])
                      + generator_loss(out["generator_scores"]))
    torch.testing.assert_close(game, expected)
    info = CodeInformationLoss(weight=0.5)(out)
    expected = -0.5 * sum(
        categorical_code_information(out[f"{p}_code_logits"], out["categories"])
        + gaussian_code_information(out[f"{p}_code_means"], out["continuous_codes"])
        for p in ("fake", "generator")
    )
    torch.testing.assert_close(info, expected)
    with pytest.raises(ValueError, match="generative adversarial"):
        AdversarialGameLoss()({"assignments": torch.ones(2, 2)})
    with pytest.raises(ValueError, match="generative adversarial"):
        CodeInformationLoss()({"assignments": torch.ones(2, 2)})


# --- the network and the routing of the gradients -------------------------------------


def _module(architecture="mlp", n_features=5, input_shape=None):
    torch.manual_seed(0)
    network = GenerativeAdversarialNetwork(architecture, hidden_dims=(16, 32), noise_dim=4)
    return network.build(n_features, input_shape, 3)


def _gradient_norm(loss, params):
    grads = torch.autograd.grad(loss, params, allow_unused=True, retain_graph=True)
    return sum(0.0 if g is None else g.abs().sum().item() for g in grads)


@pytest.mark.parametrize("architecture, n_features, input_shape",
                         [("mlp", 5, None), ("conv", 64, (1, 8, 8))])
def test_each_players_loss_reaches_only_its_own_parameters(architecture, n_features, input_shape):
    module = _module(architecture, n_features, input_shape)
    out = module(torch.rand(8, n_features))
    generator = list(module.generator.parameters())
    discriminator = list(module.discriminator.parameters())
    d_loss = discriminator_loss(out["real_scores"], out["fake_scores"])
    g_loss = generator_loss(out["generator_scores"])
    info = {p: categorical_code_information(out[f"{p}_code_logits"], out["categories"])
            + gaussian_code_information(out[f"{p}_code_means"], out["continuous_codes"])
            for p in ("fake", "generator")}
    assert _gradient_norm(d_loss, generator) == 0.0
    assert _gradient_norm(info["fake"], generator) == 0.0
    assert _gradient_norm(g_loss, discriminator) == 0.0
    assert _gradient_norm(info["generator"], discriminator) == 0.0
    for loss, params in ((d_loss, discriminator), (info["fake"], discriminator),
                         (g_loss, generator), (info["generator"], generator)):
        assert _gradient_norm(loss, params) > 0
    # The generator's gradient is that of -log D(G(z)) through the discriminator as it is.
    module.zero_grad()
    g_loss.backward(retain_graph=True)
    routed = [p.grad.clone() for p in generator]
    module.zero_grad()
    latent = torch.autograd.grad(g_loss, generator, retain_graph=True)
    for a, b in zip(routed, latent):
        torch.testing.assert_close(a, b)


def test_one_step_moves_each_player_by_its_own_learning_rate(blobs):
    X, _ = blobs
    model = InfoGANClustering(3, epochs=1, generator_lr=0.5, random_state=0, **SMALL)
    model.fit(X)
    groups = model.net_.optimizer_.param_groups
    lrs = sorted(group["lr"] for group in groups)
    assert lrs == [2e-4, 0.5]
    generator = {id(p) for p in model.net_.module_.generator.parameters()}
    for group in groups:
        in_generator = {id(p) in generator for p in group["params"]}
        assert in_generator == {group["lr"] == 0.5}
        assert group["betas"] == (0.5, 0.999)


def test_fake_passes_leave_the_running_averages_to_real_data():
    module = _module()
    module.train()
    x = torch.rand(16, 5) + 3
    module(x)
    trunk_norm = [m for m in module.discriminator.trunk if isinstance(m, torch.nn.BatchNorm1d)][0]
    alone = _module()
    alone.train()
    alone.encode(x)
    norm = [m for m in alone.discriminator.trunk if isinstance(m, torch.nn.BatchNorm1d)][0]
    torch.testing.assert_close(trunk_norm.running_mean, norm.running_mean)
    assert int(trunk_norm.num_batches_tracked) == 1


def test_network_layers_follow_the_paper():
    module = _module("conv", 784, (1, 28, 28))
    generator = [m for m in module.generator.modules() if isinstance(
        m, (torch.nn.Linear, torch.nn.ConvTranspose2d))]
    assert [m.in_features for m in generator[:2]] == [4 + 3 + 2, 1024]
    assert generator[1].out_features == 7 * 7 * 128
    assert [(m.in_channels, m.out_channels, m.kernel_size, m.stride) for m in generator[2:]] == \
        [(128, 64, (4, 4), (2, 2)), (64, 1, (4, 4), (2, 2))]
    convs = [m for m in module.discriminator.trunk if isinstance(m, torch.nn.Conv2d)]
    assert [(m.out_channels, m.kernel_size, m.stride) for m in convs] == \
        [(64, (4, 4), (2, 2)), (128, (4, 4), (2, 2))]
    assert module.embedding_dim == 1024
    assert module.discriminator.code[-1].out_features == 3 + 2
    slopes = {m.negative_slope for m in module.discriminator.modules()
              if isinstance(m, torch.nn.LeakyReLU)}
    assert slopes == {0.1}
    weights = torch.cat([m.weight.flatten() for m in generator])
    assert abs(weights.std().item() - 0.02) < 0.002
    out = module.eval()(torch.rand(2, 784))
    assert set(out) == {"embedding", "code_logits", "assignments"}
    image = module.generate(module.latent(*module.draw_latent(3, "cpu")))
    assert image.shape == (3, 784) and image.min() >= 0 and image.max() <= 1


def test_auto_architecture_and_output_read_the_data():
    network = GenerativeAdversarialNetwork()
    assert network.resolve_input_shape((28, 28), 784) == (1, 28, 28)
    assert network.built_architecture((1, 28, 28)) == "conv"
    assert network.built_architecture((1, 10, 10)) == "mlp"  # sides not multiples of 4
    assert network.built_architecture(None) == "mlp"
    assert network.resolve_hidden_dims(2) == (32, 64)
    assert network.resolve_hidden_dims(784) == (512, 1024)
    assert network.resolve(torch.rand(5, 2)).output == "sigmoid"
    assert network.resolve(torch.randn(50, 2)).output == "linear"
    with pytest.raises(ValueError, match="multiples of 4"):
        GenerativeAdversarialNetwork("conv").resolve_input_shape((1, 10, 10), 100)


def test_the_output_survives_weights_only_loading():
    linear = GenerativeAdversarialNetwork(hidden_dims=(8,), noise_dim=2, output="linear")
    sigmoid = GenerativeAdversarialNetwork(hidden_dims=(8,), noise_dim=2, output="sigmoid")
    loaded = sigmoid.build(3, None, 2)
    loaded.load_state_dict(linear.build(3, None, 2).state_dict())
    assert loaded.generator.sigmoid_output is False


# --- the components and the preset --------------------------------------------------


def test_infogan_clusters_blobs_and_maps_onto_its_composition(blobs):
    X, y = blobs
    model = InfoGANClustering(3, epochs=100, random_state=0, **SMALL).fit(X)
    assert isinstance(model.net_.module_, InfoGANModule)
    assert clustering_accuracy(y, model.labels_) > 0.9
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba.sum(1), 1, rtol=1e-5)
    np.testing.assert_array_equal(model.predict(X), proba.argmax(1))
    assert model.transform(X).shape == (len(X), 16)
    assert model.cluster_centers_.shape == (3, 16)
    assert model.net_.module_.generator.sigmoid_output is False  # standardised data
    composed = model.to_deep_clustering().fit(X)
    np.testing.assert_array_equal(composed.labels_, model.labels_)


def test_recipe_as_components(blobs):
    X, _ = blobs
    model = DeepClustering(
        3, network=GenerativeAdversarialNetwork(hidden_dims=(16,), noise_dim=3),
        non_clustering_loss=AdversarialGame(), clustering_loss=CategoricalCode(0.5),
        schedule=JointTraining(2), batch_size=30, lr=2e-4, random_state=0,
    ).fit(X)
    assert model.predict_proba(X).shape == (len(X), 3)
    with pytest.raises(ValueError, match="GenerativeAdversarialNetwork"):
        DeepClustering(3, network=AutoencoderNetwork(hidden_dims=(8,)),
                       clustering_loss=CategoricalCode()).fit(X)


def test_auto_schedule_is_the_papers_iterations():
    X = np.random.RandomState(0).rand(6400, 2).astype(np.float32)
    model = InfoGANClustering(2, batch_size=128)
    model.input_shape_ = None
    model._resolve_auto(model._composition(), *X.shape)
    assert model.epochs_ == 100  # 50 batches an epoch: 5,000 iterations
    assert model.batch_size_ == 128
    model = InfoGANClustering(2)
    model.input_shape_ = None
    model._resolve_auto(model._composition(), 6400, 2)
    assert model.batch_size_ == 128


def test_sample_is_reproducible_per_cluster_and_read_back(blobs):
    X, _ = blobs
    model = InfoGANClustering(3, epochs=100, random_state=0, **SMALL).fit(X)
    a, labels = model.sample(30, random_state=0)
    b, _ = model.sample(30, random_state=0)
    np.testing.assert_array_equal(a, b)
    assert a.shape == (30, 4) and (np.diff(labels) >= 0).all()
    assert set(np.unique(labels)) <= {0, 1, 2}
    for cluster in range(3):
        X_new, labels = model.sample(20, cluster=cluster, random_state=1)
        assert (labels == cluster).all()
        assert np.mean(model.predict(X_new) == cluster) > 0.8  # Q reads the code back
    with pytest.raises(ValueError, match="n_clusters=3"):
        model.sample(2, cluster=3)


def test_sample_returns_images_for_image_input():
    X = np.random.RandomState(0).rand(40, 8, 8).astype(np.float32)
    model = InfoGANClustering(2, epochs=1, batch_size=20, noise_dim=4, random_state=0).fit(X)
    assert model.input_shape_ == (1, 8, 8)
    assert model.transform(X).shape == (40, 1024)  # the paper's conv trunk
    images, _ = model.sample(3, random_state=0)
    assert images.shape == (3, 1, 8, 8) and images.min() >= 0 and images.max() <= 1


def test_lam_is_reachable_by_grid_search(blobs):
    X, y = blobs
    search = GridSearchCV(
        InfoGANClustering(3, epochs=2, random_state=0, **SMALL), {"lam": [0.5, 1.0]},
        scoring=CLUSTERING_SCORERS["accuracy"], cv=[(np.arange(len(X)),) * 2],
    ).fit(X, y)
    assert search.best_params_["lam"] in (0.5, 1.0)
    composed = InfoGANClustering(3, epochs=1, **SMALL).to_deep_clustering()
    search = GridSearchCV(
        composed, {"clustering_loss__weight": [1.0], "non_clustering_loss__weight": [0.5, 1.0]},
        scoring=CLUSTERING_SCORERS["nmi"], cv=[(np.arange(len(X)),) * 2],
    ).fit(X, y)
    assert search.best_params_["clustering_loss__weight"] == 1.0


def test_pickle_and_weights_only_round_trips(blobs, tmp_path):
    X, _ = blobs
    model = InfoGANClustering(3, epochs=2, random_state=0, **SMALL).fit(X)
    expected = model.predict_proba(X)
    samples, _ = model.sample(5, random_state=0)
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_allclose(again.predict_proba(X), expected, rtol=1e-6)
    path = tmp_path / "infogan"
    persistence.save(model, path)
    loaded = persistence.load(path)
    np.testing.assert_allclose(loaded.predict_proba(X), expected, rtol=1e-6)
    np.testing.assert_allclose(loaded.sample(5, random_state=0)[0], samples, rtol=1e-6)
    assert clone(model).get_params()["lam"] == 1.0


def test_fit_is_reproducible_and_leaves_the_data_alone(blobs):
    X, _ = blobs
    copy = X.copy()
    a = InfoGANClustering(3, epochs=2, random_state=0, **SMALL).fit(X)
    b = InfoGANClustering(3, epochs=2, random_state=0, **SMALL).fit(X)
    np.testing.assert_array_equal(a.labels_, b.labels_)
    np.testing.assert_allclose(a.transform(X), b.transform(X))
    np.testing.assert_array_equal(X, copy)


def test_bad_input_and_settings(blobs):
    X, _ = blobs
    with pytest.raises(ValueError, match="lam"):
        InfoGANClustering(3, lam=-1.0).fit(X)
    with pytest.raises(ValueError, match="network"):
        InfoGANClustering(3, network="lstm").fit(X)
    with pytest.raises(ValueError, match="multiples of 4"):
        InfoGANClustering(3, network="conv").fit(np.random.rand(20, 1, 10, 10))
    with pytest.raises(ValueError, match="NaN|infinity"):
        bad = X.copy()
        bad[0, 0] = np.nan
        InfoGANClustering(3, **SMALL).fit(bad)
    with pytest.raises(ValueError, match="n_samples=2 should be >= n_clusters=3"):
        InfoGANClustering(3, **SMALL).fit(X[:2])
    model = InfoGANClustering(3, epochs=1, random_state=0, **SMALL).fit(X)
    with pytest.raises(ValueError, match="features"):
        model.predict(X[:, :2])
