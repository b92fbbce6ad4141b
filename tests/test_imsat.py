"""IMSAT: the information loss, VAT, the neighbour radii, the network, and the preset."""

import math

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import NearestNeighbors

from skdeepcluster import DeepClustering, IMSATClustering
from skdeepcluster.compose import (
    AutoencoderNetwork,
    Hardening,
    JointTraining,
    MutualInformation,
    PretrainThenCluster,
    SoftmaxHeadNetwork,
    VirtualAdversarial,
)
from skdeepcluster.losses import (
    CombinedLoss,
    MutualInformationLoss,
    VirtualAdversarialTerm,
    batch_statistics_frozen,
    conditional_entropy,
    information_maximization_loss,
    kl_divergence,
    kth_neighbor_distances,
    marginal_entropy,
    virtual_adversarial_direction,
    virtual_adversarial_loss,
)
from skdeepcluster.metrics import CLUSTERING_SCORERS, clustering_accuracy
from skdeepcluster.networks import DDCMLPBackbone, DDCNetwork, RunwiseBatchNorm


def paper_information(p, mu):
    """IMSAT's H(Y|X) - mu H(Y) in float64, straight from the definitions."""
    p = np.asarray(p, dtype=np.float64)
    conditional = -np.mean([sum(v * math.log(v + 1e-8) for v in row) for row in p])
    mean = p.mean(axis=0)
    marginal = -sum(v * math.log(v + 1e-8) for v in mean)
    return conditional - mu * marginal


# --- the information term ---------------------------------------------------------


def test_entropies_hand_computed():
    # Sample 1: (1/2, 1/2), entropy log 2; sample 2: (1, 0), entropy 0 -> H(Y|X) = log(2) / 2.
    # Mean assignment (3/4, 1/4): H(Y) = -(3/4 log 3/4 + 1/4 log 1/4) = log 4 - (3/4) log 3.
    p = torch.tensor([[0.5, 0.5], [1.0, 0.0]], dtype=torch.float64)
    torch.testing.assert_close(conditional_entropy(p), torch.tensor([math.log(2) / 2],
                                                                    dtype=torch.float64),
                               atol=1e-7, rtol=0)
    torch.testing.assert_close(marginal_entropy(p), torch.tensor([math.log(4) - 0.75 * math.log(3)],
                                                                 dtype=torch.float64),
                               atol=1e-7, rtol=0)
    # mu = 4: log(2)/2 - 4 (log 4 - 3/4 log 3)
    expected = math.log(2) / 2 - 4 * (math.log(4) - 0.75 * math.log(3))
    np.testing.assert_allclose(information_maximization_loss(p, mu=4.0).item(), expected, atol=1e-7)


def test_information_loss_matches_the_paper_formula():
    rng = np.random.RandomState(0)
    logits = rng.normal(size=(7, 4))
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    for mu in (1.0, 4.0):
        value = information_maximization_loss(torch.tensor(p), mu=mu).item()
        np.testing.assert_allclose(value, paper_information(p, mu), rtol=1e-10)


def test_information_loss_is_lowest_for_confident_balanced_assignments():
    confident_balanced = torch.eye(3).repeat(2, 1)
    confident_collapsed = torch.tensor([[1.0, 0.0, 0.0]]).repeat(6, 1)
    uniform = torch.full((6, 3), 1 / 3)
    values = [information_maximization_loss(p, mu=1.0).item()
              for p in (confident_balanced, confident_collapsed, uniform)]
    np.testing.assert_allclose(values[0], -math.log(3), atol=1e-6)  # minus the MI, log K
    assert values[0] < min(values[1:])
    np.testing.assert_allclose(values[1:], [0.0, 0.0], atol=1e-6)  # no information either way


def test_runs_are_computed_apart_and_summed():
    rng = np.random.RandomState(1)
    p = torch.softmax(torch.tensor(rng.normal(size=(5, 3, 4))), dim=-1)
    per_run = information_maximization_loss(p, mu=4.0)
    for r in range(3):
        np.testing.assert_allclose(per_run[r].item(), paper_information(p[:, r].numpy(), 4.0),
                                   rtol=1e-10)
    loss = MutualInformationLoss(weight=0.1, mu=4.0)
    np.testing.assert_allclose(loss({"assignments": p}).item(), 0.1 * per_run.sum().item(),
                               rtol=1e-10)


# --- VAT --------------------------------------------------------------------------


def test_kl_divergence_hand_computed():
    # KL((1/2, 1/2) || (1/4, 3/4)) = 1/2 log 2 + 1/2 log(2/3); and 0 for the identical pair.
    p = torch.tensor([[0.5, 0.5], [0.2, 0.8]], dtype=torch.float64)
    q = torch.tensor([[0.25, 0.75], [0.2, 0.8]], dtype=torch.float64)
    expected = (0.5 * math.log(2) + 0.5 * math.log(2 / 3) + 0.0) / 2
    np.testing.assert_allclose(kl_divergence(p, q).item(), expected, atol=1e-7)


def _linear_softmax(weight):
    return lambda x: torch.softmax(x @ weight.T, dim=-1)


def test_the_power_iteration_finds_the_divergence_hessians_top_eigenvector():
    # For p = softmax(W x) the divergence KL(p(x) || p(x + r)) is r^T H r / 2 near r = 0 with
    # H = W^T (diag(p) - p p^T) W (the Fisher information); VAT's power iteration converges
    # to H's dominant eigenvector.
    torch.manual_seed(0)
    weight = torch.randn(3, 5, dtype=torch.float64)
    x = torch.randn(1, 5, dtype=torch.float64)
    forward = _linear_softmax(weight)
    p = forward(x)[0]
    hessian = weight.T @ (torch.diag(p) - torch.outer(p, p)) @ weight
    top = torch.linalg.eigh(hessian).eigenvectors[:, -1]
    d = virtual_adversarial_direction(forward, x, forward(x), xi=1e-4, n_power_iterations=30)
    assert d.shape == x.shape
    np.testing.assert_allclose(d.norm().item(), 1.0, rtol=1e-10)
    assert abs(torch.dot(d[0], top).item()) > 0.999


def test_vat_loss_is_the_divergence_at_the_scaled_adversarial_direction():
    weight = torch.randn(3, 4, generator=torch.Generator().manual_seed(1))
    forward = _linear_softmax(weight)
    x = torch.randn(6, 4, generator=torch.Generator().manual_seed(2))
    radii = torch.linspace(0.1, 1.0, 6)
    torch.manual_seed(3)
    loss = virtual_adversarial_loss(forward, x, forward(x), radii, xi=10.0)
    torch.manual_seed(3)
    d = virtual_adversarial_direction(forward, x, forward(x), xi=10.0)
    expected = kl_divergence(forward(x), forward(x + radii[:, None] * d))
    torch.testing.assert_close(loss, expected)
    assert loss.item() > 0
    # Without a perturbation there is nothing to smooth.
    assert virtual_adversarial_loss(forward, x, forward(x), 0.0).item() == 0.0


def test_vat_gradient_flows_through_the_perturbed_pass_only():
    weight = torch.randn(3, 4, requires_grad=True)
    forward = _linear_softmax(weight)
    x = torch.randn(6, 4)
    p = forward(x)
    loss = virtual_adversarial_loss(forward, x, p, 0.5).sum()
    (grad,) = torch.autograd.grad(loss, weight)
    assert torch.isfinite(grad).all() and grad.abs().sum() > 0
    assert p.grad_fn is not None  # the caller's p is left in its graph; VAT detaches a copy


def test_batch_statistics_frozen_keeps_the_running_averages():
    norm, runwise = torch.nn.BatchNorm1d(3), RunwiseBatchNorm(3, n_runs=2)
    x = torch.randn(10, 3) * 4 + 2
    with batch_statistics_frozen(norm):
        out = norm(x)
    torch.testing.assert_close(norm.running_mean, torch.zeros(3))
    torch.testing.assert_close(norm.running_var, torch.ones(3))
    assert norm.num_batches_tracked.item() == 0 and norm.momentum == 0.1
    # It still normalises with the batch's statistics.
    torch.testing.assert_close(out.mean(0), torch.zeros(3), atol=1e-5, rtol=0)
    with batch_statistics_frozen(runwise):
        runwise(torch.randn(10, 2, 3) + 5)
    torch.testing.assert_close(runwise.running_mean, torch.zeros(2, 3))
    norm(x)  # outside the block it learns again
    assert norm.running_mean.abs().sum() > 0


def test_the_vat_term_leaves_the_networks_running_averages_alone():
    net = DDCNetwork(DDCMLPBackbone(4, (8,), batch_norm="before_relu"), 8, 3, embedding_dim=8,
                     batch_norm="before_relu")
    x = torch.randn(12, 4)
    outputs = net(x)
    saved = {k: v.clone() for k, v in net.state_dict().items()}
    term = VirtualAdversarialTerm(2.0, distances=torch.ones(12))
    combined = CombinedLoss(MutualInformationLoss(), [term])
    assert combined.needs_network
    loss = combined(outputs, x, torch.arange(12), network=net)
    loss.backward()
    for key, value in net.state_dict().items():
        torch.testing.assert_close(value, saved[key], msg=key)
    assert net.output.weight.grad.abs().sum() > 0
    with pytest.raises(RuntimeError, match="network"):
        term(outputs, x, torch.arange(12))


# --- neighbour distances ----------------------------------------------------------


@pytest.mark.parametrize("k", [1, 3, 10])
def test_kth_neighbor_distances_match_scikit_learn(k):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(57, 6)).astype(np.float32)
    X[5] = X[9]  # a duplicate: its own copy is a neighbour at distance 0
    expected = NearestNeighbors(n_neighbors=k + 1).fit(X).kneighbors(X)[0][:, k]
    for batch_size in (8, 2048):  # blocks that split the data, and one block
        got = kth_neighbor_distances(torch.tensor(X), k, batch_size=batch_size)
        np.testing.assert_allclose(got.numpy(), expected, rtol=1e-4, atol=1e-3)
    assert kth_neighbor_distances(torch.tensor(X), 1)[5].item() == pytest.approx(0, abs=1e-3)


def test_kth_neighbor_distances_of_sparse_rows_and_tiny_data():
    X = sp.random(30, 5, density=0.5, random_state=0, format="csr", dtype=np.float32)
    expected = NearestNeighbors(n_neighbors=4).fit(X).kneighbors(X)[0][:, 3]
    np.testing.assert_allclose(kth_neighbor_distances(X, 3, batch_size=7).numpy(), expected,
                               rtol=1e-4, atol=1e-3)
    two = kth_neighbor_distances(torch.tensor([[0.0], [2.0]]), 10)  # capped at n - 1
    torch.testing.assert_close(two, torch.tensor([2.0, 2.0]))


# --- the network ------------------------------------------------------------------


def test_imsat_network_layers_and_small_initial_weights():
    network = SoftmaxHeadNetwork(hidden_dims=(12,), hidden_dim=10, batch_norm="before_relu",
                                 weight_init="small_normal", max_grad_norm=None)
    module = network.build(784, None, n_clusters=4)
    assert len(module.backbone.norms) == 1  # BatchNorm on every layer
    out = module(torch.randn(32, 784))
    assert (out["embedding"] >= 0).all()  # ReLU last
    # Weights of variance 0.1 / fan_in, the softmax layer's 1e-4 / fan_in: a uniform start.
    np.testing.assert_allclose(module.backbone.layers[0].weight.std().item(), math.sqrt(0.1) / 28,
                               rtol=0.05)
    np.testing.assert_allclose(module.output.weight.std().item(), 0.01 / math.sqrt(10), rtol=0.2)
    torch.testing.assert_close(out["assignments"], torch.full((32, 1, 4), 0.25), atol=0.02,
                               rtol=0)
    ddc = SoftmaxHeadNetwork(hidden_dims=(12,), hidden_dim=10).build(784, None, n_clusters=4)
    assert ddc.backbone.norm is not None and ddc.batch_norm == "after_relu"
    with pytest.raises(ValueError, match="batch_norm"):
        SoftmaxHeadNetwork(batch_norm="middle").build(5, None, n_clusters=2)


# --- the components and the preset ------------------------------------------------


def test_imsat_separates_blobs_and_gives_soft_assignments(blobs):
    X, y = blobs
    model = IMSATClustering(3, hidden_dims=(32, 32), epochs=100, batch_size=150,
                            random_state=0).fit(X)
    assert clustering_accuracy(y, model.labels_) > 0.95
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(proba.argmax(axis=1), model.labels_)
    assert model.transform(X).shape == (len(X), 32)
    assert model.cluster_centers_.shape == (3, 32)
    assert model.epochs_ == 100 and model.batch_size_ == 150
    assert not model.net_.cuda_graph  # VAT's passes are not captured on CUDA


def test_imsat_recipe_as_components():
    model = IMSATClustering(10).to_deep_clustering()
    assert isinstance(model.clustering_loss, MutualInformation)
    assert (model.clustering_loss.weight, model.clustering_loss.mu) == (0.1, 4.0)
    vat = model.non_clustering_loss
    assert (vat.weight, vat.xi, vat.eps_scale, vat.n_neighbors) == (1.0, 10.0, 0.25, 10)
    assert model.network.hidden_dims == (1200,) and model.network.hidden_dim == 1200
    assert model.network.batch_norm == "before_relu"
    assert model.lr == 2e-3
    schedule = model.schedule
    assert isinstance(schedule, JointTraining) and schedule.epochs == 50
    # batch_size="auto": the paper's 250 on MNIST-sized data, smaller batches on the digits.
    assert model.clustering_loss.auto_batch_size(70000) == 250
    assert model.clustering_loss.auto_batch_size(1797) == 35


def test_grid_search_reaches_the_paper_weights(blobs):
    X, y = blobs
    model = IMSATClustering(3, hidden_dims=(16,), epochs=3, batch_size=50, random_state=0)
    search = GridSearchCV(
        model, {"mu": [1.0, 4.0], "lam": [0.1], "eps_scale": [0.25], "xi": [10.0]},
        scoring=CLUSTERING_SCORERS["accuracy"], cv=[(np.arange(len(X)),) * 2],
    ).fit(X, y)
    assert set(search.best_params_) == {"mu", "lam", "eps_scale", "xi"}
    composed = DeepClustering(
        3, network=SoftmaxHeadNetwork(hidden_dims=(16,), hidden_dim=8),
        clustering_loss=MutualInformation(), non_clustering_loss=VirtualAdversarial(),
        schedule=JointTraining(2), batch_size=50, random_state=0,
    )
    search = GridSearchCV(
        composed, {"clustering_loss__mu": [2.0], "non_clustering_loss__xi": [1.0, 10.0]},
        scoring=CLUSTERING_SCORERS["nmi"], cv=[(np.arange(len(X)),) * 2],
    ).fit(X, y)
    assert search.best_params_["clustering_loss__mu"] == 2.0


def test_vat_and_mutual_information_on_an_autoencoder(blobs):
    X, y = blobs
    model = DeepClustering(
        3, network=AutoencoderNetwork(hidden_dims=(16,), embedding_dim=4),
        clustering_loss=MutualInformation(), non_clustering_loss=VirtualAdversarial(n_neighbors=5),
        schedule=PretrainThenCluster(pretrain_epochs=3, epochs=5), batch_size=50,
        random_state=0,
    ).fit(X)
    assert model.predict_proba(X).shape == (len(X), 3)
    assert np.isfinite(model.history_[:, "train_loss"]).all()


def test_vat_needs_soft_assignments(blobs):
    model = DeepClustering(
        3, network=AutoencoderNetwork(hidden_dims=(8,), embedding_dim=2),
        clustering_loss=Hardening(), non_clustering_loss=VirtualAdversarial(),
    )
    with pytest.raises(ValueError, match="VirtualAdversarial.*Hardening"):
        model.fit(blobs[0])


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # one epoch
def test_vat_weight_zero_skips_the_neighbour_search(blobs, capsys):
    X = blobs[0]
    model = IMSATClustering(3, hidden_dims=(8,), epochs=1, batch_size=50, vat_weight=0.0,
                            random_state=0, verbose=1).fit(X)
    assert "nearest neighbour" not in capsys.readouterr().out
    assert model.labels_.shape == (len(X),)
    IMSATClustering(3, hidden_dims=(8,), epochs=1, batch_size=50, n_neighbors=11,
                    random_state=0, verbose=1).fit(X)
    assert "11th nearest neighbour" in capsys.readouterr().out


def test_bad_hidden_dims():
    with pytest.raises(ValueError, match="hidden_dims"):
        IMSATClustering(2, hidden_dims=()).fit(np.random.RandomState(0).normal(size=(20, 2)))


@pytest.mark.slow
def test_imsat_on_digits_beats_kmeans():
    from sklearn.cluster import KMeans
    from sklearn.datasets import load_digits
    from sklearn.preprocessing import StandardScaler

    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    kmeans = clustering_accuracy(y, KMeans(10, n_init=10, random_state=0).fit_predict(X))
    labels = IMSATClustering(10, random_state=0).fit_predict(X)
    assert clustering_accuracy(y, labels) > kmeans
