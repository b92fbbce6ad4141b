"""Tests for VaDE: its ELBO terms against hand-computed values and the paper's formula, its
components, and VaDEClustering's own behaviour (likelihood, prior, sampling)."""

import math

import numpy as np
import pytest
import torch
from sklearn.datasets import make_blobs
from sklearn.model_selection import GridSearchCV
from torch.distributions import Normal, kl_divergence

from skdeepcluster import VaDEClustering
from skdeepcluster.compose import (
    AutoencoderNetwork,
    DeepClustering,
    ELBOReconstruction,
    MixturePriorKL,
    PretrainThenCluster,
    StepDecay,
    VariationalAutoencoderNetwork,
)
from skdeepcluster.losses import (
    ELBOReconstructionTerm,
    MixturePriorKLLoss,
    bernoulli_negative_log_likelihood,
    gaussian_negative_log_likelihood,
    mixture_log_responsibilities,
    mixture_prior_kl,
)
from skdeepcluster.metrics import clustering_accuracy
from skdeepcluster.networks import MixturePriorModule, MLPVariationalAutoencoder

SMALL = dict(hidden_dims=(16,), embedding_dim=2, n_init=2, pretrain_epochs=20, epochs=20)


def paper_kl(mean, log_var, gamma, pi, mu, lam):
    """VaDE eq. 12's KL terms term by term in float64, straight from the paper's notation."""
    kl = 0.0
    for c in range(len(pi)):
        for j in range(len(mean)):
            kl += gamma[c] * 0.5 * (
                math.log(lam[c][j]) + math.exp(log_var[j]) / lam[c][j]
                + (mean[j] - mu[c][j]) ** 2 / lam[c][j]
            )
        kl += -gamma[c] * math.log(pi[c]) + gamma[c] * math.log(gamma[c])
    return kl - 0.5 * sum(1 + v for v in log_var)


# --- the pure functions -------------------------------------------------------


def test_responsibilities_by_hand():
    # Components at 0 and 3 of unit variance, weights 0.25 / 0.75, z = 1:
    # g_0 ∝ 0.25 exp(-1/2), g_1 ∝ 0.75 exp(-4/2).
    log_g = mixture_log_responsibilities(
        torch.tensor([[1.0]]), torch.log(torch.tensor([0.25, 0.75])),
        torch.tensor([[0.0], [3.0]]), torch.zeros(2, 1),
    )
    a, b = 0.25 * math.exp(-0.5), 0.75 * math.exp(-2.0)
    np.testing.assert_allclose(log_g.exp().numpy(), [[a / (a + b), b / (a + b)]], rtol=1e-6)


def test_responsibilities_are_bayes_rule_under_the_mixture():
    rng = torch.Generator().manual_seed(0)
    z, mu = torch.randn(5, 3, generator=rng), torch.randn(4, 3, generator=rng)
    log_lam, logits = torch.randn(4, 3, generator=rng) * 0.3, torch.randn(4, generator=rng)
    joint = torch.stack([
        Normal(mu[c], log_lam[c].exp().sqrt()).log_prob(z).sum(1) for c in range(4)
    ], dim=1) + torch.log_softmax(logits, 0)
    expected = torch.softmax(joint, dim=1)
    got = mixture_log_responsibilities(z, torch.log_softmax(logits, 0), mu, log_lam).exp()
    torch.testing.assert_close(got, expected)


def test_kl_by_hand():
    # q(z|x) = N(0, 1); components at 0 and 2 of unit variance share the sample evenly:
    # 0.5 * KL(N(0,1)||N(0,1)) + 0.5 * KL(N(0,1)||N(2,1)) + KL(g||pi) = 0 + 0.5 * 2 + 0 = 1.
    kl = mixture_prior_kl(
        torch.zeros(1, 1), torch.zeros(1, 1), torch.log(torch.tensor([[0.5, 0.5]])),
        torch.log(torch.tensor([0.5, 0.5])), torch.tensor([[0.0], [2.0]]), torch.zeros(2, 1),
    )
    torch.testing.assert_close(kl, torch.tensor([1.0]))


def test_kl_is_the_papers_formula_and_the_sum_of_gaussian_kls():
    rng = np.random.default_rng(0)
    n, d, k = 4, 3, 5
    mean, log_var = rng.normal(size=(n, d)), rng.normal(scale=0.5, size=(n, d))
    gamma = rng.dirichlet(np.ones(k), size=n)
    pi = rng.dirichlet(np.ones(k))
    mu, lam = rng.normal(size=(k, d)), rng.uniform(0.2, 2.0, size=(k, d))
    t = lambda a: torch.tensor(a, dtype=torch.float64)  # noqa: E731
    got = mixture_prior_kl(t(mean), t(log_var), t(np.log(gamma)), t(np.log(pi)), t(mu),
                           t(np.log(lam))).numpy()
    paper = [paper_kl(mean[i], log_var[i], gamma[i], pi, mu, lam) for i in range(n)]
    np.testing.assert_allclose(got, paper, rtol=1e-10)
    # = sum_c g_c KL(q(z|x) || p(z|c)) + KL(g || pi)
    q = Normal(t(mean)[:, None], t(log_var).exp().sqrt()[:, None])
    p = Normal(t(mu)[None], t(lam).sqrt()[None])
    expected = (t(gamma) * kl_divergence(q, p).sum(-1)).sum(1) + (
        t(gamma) * (t(np.log(gamma)) - t(np.log(pi)))
    ).sum(1)
    np.testing.assert_allclose(got, expected.numpy(), rtol=1e-10)


def test_likelihoods_by_hand():
    x = torch.tensor([[1.0, 0.0, 0.5]])
    logits = torch.tensor([[0.0, 0.0, 2.0]])
    p = torch.sigmoid(logits)
    expected = -(x * p.log() + (1 - x) * (1 - p).log()).sum(1)
    torch.testing.assert_close(bernoulli_negative_log_likelihood(x, logits), expected)
    torch.testing.assert_close(
        gaussian_negative_log_likelihood(x, torch.tensor([[0.0, 2.0, 0.5]])), torch.tensor([2.5])
    )


def test_criteria_average_over_the_batch_and_pick_the_likelihood():
    x = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    logits = torch.zeros(2, 2)
    bernoulli = ELBOReconstructionTerm(weight=2.0)(
        {"reconstruction": torch.sigmoid(logits), "reconstruction_logits": logits}, x, None
    )
    torch.testing.assert_close(bernoulli, torch.tensor(2.0 * 2 * math.log(2)))
    gaussian = ELBOReconstructionTerm()({"reconstruction": torch.zeros(2, 2)}, x, None)
    torch.testing.assert_close(gaussian, torch.tensor(0.5))
    outputs = {
        "embedding": torch.zeros(1, 1), "log_variance": torch.zeros(1, 1),
        "log_assignments": torch.log(torch.tensor([[0.5, 0.5]])),
        "prior_log_weights": torch.log(torch.tensor([0.5, 0.5])),
        "prior_means": torch.tensor([[0.0], [2.0]]), "prior_log_variances": torch.zeros(2, 1),
    }
    torch.testing.assert_close(MixturePriorKLLoss(weight=3.0)(outputs, None, None),
                               torch.tensor(3.0))


# --- the network and the head ------------------------------------------------


def test_variational_network_pretrains_on_its_mean_and_samples_in_training():
    torch.manual_seed(0)
    vae = MLPVariationalAutoencoder(6, hidden_dims=(8,), embedding_dim=2, bernoulli=True)
    x = torch.rand(4, 6)
    out = vae(x)
    torch.testing.assert_close(out["embedding"], vae.encode(x))
    torch.testing.assert_close(out["reconstruction"], torch.sigmoid(out["reconstruction_logits"]))
    head = MixturePriorModule(vae, torch.zeros(3, 2), torch.ones(3, 2))
    torch.testing.assert_close(head.weights, torch.full((3,), 1 / 3))
    head.eval()
    evaluated = head(x)
    torch.testing.assert_close(evaluated["assignments"], head.assign(head.encode(x)))
    head.train()
    assert not torch.equal(head(x)["reconstruction"], evaluated["reconstruction"])


def test_the_likelihood_survives_weights_only_loading():
    vae = MLPVariationalAutoencoder(6, hidden_dims=(8,), embedding_dim=2, bernoulli=True)
    loaded = MLPVariationalAutoencoder(6, hidden_dims=(8,), embedding_dim=2, bernoulli=False)
    loaded.load_state_dict(vae.state_dict())
    assert "reconstruction_logits" in loaded(torch.rand(2, 6))


def test_auto_likelihood_reads_the_data():
    network = VariationalAutoencoderNetwork()
    assert network.resolve(torch.rand(10, 3)).likelihood == "bernoulli"
    assert network.resolve(torch.randn(10, 3)).likelihood == "gaussian"
    assert network.likelihood == "auto"  # resolved on a copy


def test_step_decay_has_a_floor():
    callback = StepDecay(step_size=10, gamma=0.5, min_lr=0.3).callback(lr=1.0)
    factor = callback.kwargs["lr_lambda"]
    assert [factor(e) for e in (0, 9, 10, 19, 20, 40)] == [1.0, 1.0, 0.5, 0.5, 0.3, 0.3]


def test_mixture_prior_needs_a_variational_network(blobs):
    X, _ = blobs
    model = DeepClustering(3, network=AutoencoderNetwork(hidden_dims=(8,)),
                           clustering_loss=MixturePriorKL())
    with pytest.raises(ValueError, match="VariationalAutoencoderNetwork"):
        model.fit(X)


# --- the preset ----------------------------------------------------------------


def test_vade_clusters_blobs_and_maps_onto_its_composition(blobs):
    X, y = blobs
    vade = VaDEClustering(3, random_state=0, **SMALL).fit(X)
    assert clustering_accuracy(y, vade.labels_) > 0.9
    assert vade.net_.module_.vae.sigmoid_output is False  # standardised data: Gaussian
    np.testing.assert_allclose(vade.predict_proba(X).sum(1), 1, rtol=1e-5)
    np.testing.assert_array_equal(vade.predict(X), vade.predict_proba(X).argmax(1))
    assert vade.transform(X).shape == (len(X), 2)
    np.testing.assert_allclose(vade.weights_.sum(), 1, rtol=1e-6)
    assert (vade.covariances_ > 0).all() and vade.cluster_centers_.shape == (3, 2)
    composed = vade.to_deep_clustering().fit(X)
    np.testing.assert_array_equal(composed.labels_, vade.labels_)


def test_vade_follows_the_references_optimiser_and_schedule(blobs):
    X, _ = blobs
    vade = VaDEClustering(3, random_state=0, **dict(SMALL, epochs=12, lr_decay_epochs=5,
                                                    lr_decay=0.5, min_lr=0.0006)).fit(X)
    lrs = vade.history_[:, "event_lr"]
    np.testing.assert_allclose(lrs, [0.002] * 5 + [0.001] * 5 + [0.0006] * 2)
    assert vade.net_.optimizer_.param_groups[0]["eps"] == 1e-4
    parameters = {id(p) for group in vade.net_.optimizer_.param_groups for p in group["params"]}
    module = vade.net_.module_
    assert {id(module.means), id(module.log_variances), id(module.mixing_logits)} <= parameters


def test_bernoulli_likelihood_on_intensities():
    rng = np.random.default_rng(0)
    X = rng.random((60, 6)).astype(np.float32)
    vade = VaDEClustering(2, random_state=0, **dict(SMALL, pretrain_epochs=2, epochs=2)).fit(X)
    assert vade.net_.module_.vae.sigmoid_output is True
    samples, _ = vade.sample(5, random_state=0)
    assert samples.min() >= 0 and samples.max() <= 1


def test_sample_is_reproducible_and_per_cluster(blobs):
    X, _ = blobs
    vade = VaDEClustering(3, random_state=0, **dict(SMALL, pretrain_epochs=2, epochs=2)).fit(X)
    X1, labels1 = vade.sample(50, random_state=3)
    X2, labels2 = vade.sample(50, random_state=3)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(labels1, labels2)
    assert X1.shape == (50, 2) and labels1.dtype == np.int64
    assert np.all(np.diff(labels1) >= 0)  # sorted by cluster, as GaussianMixture.sample
    _, only = vade.sample(7, cluster=1, random_state=0)
    np.testing.assert_array_equal(only, np.ones(7))
    with pytest.raises(ValueError, match="cluster=3"):
        vade.sample(2, cluster=3)


def test_sample_returns_images_for_image_input():
    rng = np.random.default_rng(0)
    X = rng.random((40, 4, 4)).astype(np.float32)
    vade = VaDEClustering(2, random_state=0, **dict(SMALL, pretrain_epochs=1, epochs=1)).fit(X)
    assert vade.sample(3, random_state=0)[0].shape == (3, *vade.input_shape_)


def test_kl_weight_is_reachable_by_grid_search():
    X, y = make_blobs(60, centers=2, random_state=0)
    search = GridSearchCV(
        VaDEClustering(2, random_state=0, **dict(SMALL, pretrain_epochs=2, epochs=2)),
        {"kl_weight": [0.5, 1.0]}, cv=2, scoring="adjusted_rand_score",
    ).fit(X, y)
    assert search.best_params_["kl_weight"] in (0.5, 1.0)


def test_schedule_keeps_pretrain_then_cluster_defaults():
    schedule = PretrainThenCluster()
    assert schedule.callbacks(1e-3) == [] and schedule.optimizer_options("adam") == {}
    assert PretrainThenCluster(adam_eps=1e-4).optimizer_options("sgd") == {}
    assert ELBOReconstruction().term().weight == 1.0


def test_your_own_trunk_and_decoder(blobs):
    X, _ = blobs
    trunk = torch.nn.Sequential(torch.nn.Linear(2, 12), torch.nn.ReLU())
    decoder = torch.nn.Linear(2, 2)
    vade = VaDEClustering(3, encoder=trunk, decoder=decoder, random_state=0,
                          **dict(SMALL, pretrain_epochs=2, epochs=2)).fit(X)
    assert vade.net_.module_.vae.mean.in_features == 12
    assert vade.transform(X).shape == (len(X), 2)
    with pytest.raises(ValueError, match="pass decoder= with encoder="):
        VaDEClustering(3, encoder=trunk, **SMALL).fit(X)


def test_score_is_the_elbo_at_the_mean(blobs):
    X, _ = blobs
    vade = VaDEClustering(3, random_state=0, **dict(SMALL, pretrain_epochs=2, epochs=2)).fit(X)
    module = vade.net_.module_.eval()
    x = torch.as_tensor(X, dtype=torch.float32)
    with torch.no_grad():
        out = module(x)
        expected = (ELBOReconstructionTerm().per_sample(out, x)
                    + MixturePriorKLLoss().per_sample(out)).sum()
    np.testing.assert_allclose(vade.score(X.astype(np.float32)), -float(expected), rtol=1e-4)
    assert np.isfinite(vade.score(X))  # float64 input runs a float64 copy


def test_layer_features_refuse_a_variational_network(blobs):
    X, _ = blobs
    model = VaDEClustering(3, **SMALL).to_deep_clustering().set_params(features="layers")
    with pytest.raises(ValueError, match="features='layers'"):
        model.fit(X)
