"""The embedding-space network (Dahal 2018): its loss against hand-computed values and the
paper's formula, the gradient routing, its network, and EmbeddingSpaceClustering."""

import math
import pickle

import numpy as np
import pytest
import torch
from sklearn.datasets import make_blobs
from sklearn.model_selection import GridSearchCV
from sklearn.preprocessing import StandardScaler

from skdeepcluster import EmbeddingSpaceClustering
from skdeepcluster.compose import (
    AutoencoderNetwork,
    DeepClustering,
    ELBOReconstruction,
    EmbeddingCrossEntropy,
    EmbeddingSpaceNetwork,
    PretrainThenCluster,
)
from skdeepcluster.losses import (
    CombinedLoss,
    ELBOReconstructionTerm,
    EmbeddingCrossEntropyLoss,
    ReconstructionLoss,
    embedding_cross_entropy,
    pairwise_squared_distances,
    scale_gradient,
    student_t_affinities,
)
from skdeepcluster.metrics import CLUSTERING_SCORERS, clustering_accuracy
from skdeepcluster.networks import MLPRepresentationAutoencoder, identity_init
from skdeepcluster.persistence import load, save

SMALL = dict(hidden_dims=(16,), embedding_dim=2, n_init=2, pretrain_epochs=10, epochs=10)


@pytest.fixture
def blobs():
    X, y = make_blobs(90, n_features=5, centers=3, random_state=0)
    return StandardScaler().fit_transform(X).astype(np.float32), y


def paper_loss(z, e, a):
    """``-sum_{i != j} p_ij log q_ij`` in float64 loops, each normalised over the pairs (paper)."""
    n = len(z)
    pairs = [(i, j) for i in range(n) for j in range(n) if i != j]
    kp = {(i, j): (1 + np.sum((z[i] - z[j]) ** 2) / a) ** (-(a + 1) / 2) for i, j in pairs}
    kq = {(i, j): 1 / (1 + np.sum((e[i] - e[j]) ** 2)) for i, j in pairs}
    sp, sq = sum(kp.values()), sum(kq.values())
    return -sum(kp[ij] / sp * math.log(kq[ij] / sq) for ij in pairs)


def code_loss(z, e, a):
    """The author's code in numpy: column-normalised, q clipped to [1e-10, 1], summed."""
    def make_q(x, alpha):
        d = ((x[:, None] - x[None]) ** 2).sum(-1)
        q = (1 + d / alpha) ** (-(alpha + 1) / 2)
        np.fill_diagonal(q, 0)
        return np.clip(q / q.sum(0, keepdims=True), 1e-10, 1.0)

    return np.sum(-(make_q(z, a) * np.log(make_q(e, 1.0))))


# --- the pure functions -------------------------------------------------------------------


def test_affinities_by_hand():
    x = torch.tensor([[0.0], [1.0], [2.0]])
    np.testing.assert_allclose(pairwise_squared_distances(x), [[0, 1, 4], [1, 0, 1], [4, 1, 0]])
    # one degree of freedom: 1 / (1 + d); the six off-diagonal kernels sum to 2.4
    kernel = np.array([[0, 0.5, 0.2], [0.5, 0, 0.5], [0.2, 0.5, 0]])
    np.testing.assert_allclose(student_t_affinities(x, 1.0), kernel / 2.4, rtol=1e-6)
    np.testing.assert_allclose(
        student_t_affinities(x, 1.0, "columns"), kernel / kernel.sum(0), rtol=1e-6
    )
    # two degrees: (1 + d / 2)^(-3/2)
    k1, k4 = 1.5 ** -1.5, 3.0 ** -1.5
    p = student_t_affinities(x, 2.0)
    assert float(p[0, 1]) == pytest.approx(k1 / (4 * k1 + 2 * k4), rel=1e-6)
    assert float(p[0, 2]) == pytest.approx(k4 / (4 * k1 + 2 * k4), rel=1e-6)
    with pytest.raises(ValueError, match="normalization"):
        student_t_affinities(x, 1.0, "rows")
    with pytest.raises(ValueError, match="at least 2"):
        student_t_affinities(x[:1], 1.0)


def test_cross_entropy_by_hand():
    # Two points: p_01 = p_10 = 1/2 and so is q, whatever the distances: log 2 over the pairs;
    # per column each affinity is 1: zero.
    z, e = torch.tensor([[0.0], [1.0]]), torch.tensor([[0.0, 5.0], [3.0, 1.0]])
    assert float(embedding_cross_entropy(z, e, 2.0)) == pytest.approx(math.log(2))
    assert float(embedding_cross_entropy(z, e, 2.0, normalization="columns")) == pytest.approx(0)
    # Three points on a line, the embedding the latent itself, one degree each: the entropy of p
    x = torch.tensor([[0.0], [1.0], [2.0]])
    p = np.array([0.5, 0.2, 0.5, 0.5, 0.2, 0.5]) / 2.4
    assert float(embedding_cross_entropy(x, x, 1.0)) == pytest.approx(-np.sum(p * np.log(p)))


def test_cross_entropy_is_the_papers_formula_and_the_codes():
    rng = np.random.default_rng(0)
    z, e = rng.normal(size=(6, 3)), rng.normal(size=(6, 2))
    got = embedding_cross_entropy(torch.tensor(z), torch.tensor(e), 6.0)
    assert float(got) == pytest.approx(paper_loss(z, e, 6.0), rel=1e-10)
    got = embedding_cross_entropy(torch.tensor(z), torch.tensor(e), 6.0, normalization="columns")
    # the code's clip also makes p_ii = 1e-10, adding n * 1e-10 * 23 to its value
    assert float(got) == pytest.approx(code_loss(z, e, 6.0), rel=1e-8)
    assert float(got) != pytest.approx(code_loss(z, e, 6.0), rel=1e-10)


def test_the_criterion_reads_latent_and_embedding_and_resolves_the_dof():
    rng = np.random.default_rng(1)
    z, e = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    outputs = {"latent": torch.tensor(z, dtype=torch.float32),
               "embedding": torch.tensor(e, dtype=torch.float32)}
    got = EmbeddingCrossEntropyLoss("auto")(outputs, None, None)  # a = 2 * 3
    assert float(got) == pytest.approx(paper_loss(z, e, 6.0), rel=1e-5)
    # a batch of one sample has no pairs: zero, with a gradient path
    one = {"latent": torch.zeros(1, 3), "embedding": torch.zeros(1, 3, requires_grad=True)}
    assert EmbeddingCrossEntropyLoss("auto")(one, None, None).item() == 0


@pytest.mark.parametrize("normalization", ["pairs", "columns"])
def test_the_gradient_is_finite_and_moves_both_spaces(normalization):
    z = torch.randn(8, 3, dtype=torch.float64, requires_grad=True)
    e = torch.randn(8, 2, dtype=torch.float64, requires_grad=True)
    embedding_cross_entropy(z, e, 6.0, normalization=normalization).backward()
    for x in (z, e):
        assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    assert torch.autograd.gradcheck(
        lambda a, b: embedding_cross_entropy(a, b, 6.0, normalization=normalization),
        (z.detach().requires_grad_(), e.detach().requires_grad_()),
    )


def test_scale_gradient_scales_only_the_gradient():
    x = torch.tensor([1.0, -2.0], requires_grad=True)
    y = scale_gradient(x, 0.01)
    assert torch.equal(y, x)
    (3 * y).sum().backward()
    np.testing.assert_allclose(x.grad, [0.03, 0.03])
    assert scale_gradient(x, 1) is x


# --- the network and the routing of the gradients -----------------------------------------


def _grads(module, loss):
    module.zero_grad()
    loss.backward()
    return {name: p.grad.clone() if p.grad is not None else torch.zeros_like(p)
            for name, p in module.named_parameters()}


def test_the_gradients_land_where_the_paper_says():
    """Encoder: L_R + 0.01 L_E; representation network: L_E; decoder: L_R."""
    torch.manual_seed(0)
    net = MLPRepresentationAutoencoder(6, (8,), 3, (8,), bernoulli=True)
    X = torch.rand(10, 6)
    reconstruction, embedding = ELBOReconstructionTerm(), EmbeddingCrossEntropyLoss("auto")

    def losses():
        out = net(X)
        return reconstruction(out, X, None), embedding(out, X, None)

    alone_r, alone_e = _grads(net, losses()[0]), _grads(net, losses()[1])  # scale 1: plain
    net.latent_gradient_scale = 0.01
    l_r, l_e = losses()
    routed = _grads(net, l_r + l_e)
    for name, grad in routed.items():
        part = name.split(".")[0]
        expected = {
            "encoder": alone_r[name] + 0.01 * alone_e[name],
            "representation": alone_e[name],
            "decoder": alone_r[name],
        }[part]
        torch.testing.assert_close(grad, expected, rtol=1e-5, atol=1e-8)
    assert all(alone_e[n].abs().sum() > 0 for n in alone_e if n.startswith("encoder"))
    assert all(alone_e[n].abs().sum() == 0 for n in alone_e if n.startswith("decoder"))


def test_the_network_denoises_in_training_only():
    torch.manual_seed(0)
    net = MLPRepresentationAutoencoder(6, (8,), 2, (8,), noise=0.5, bernoulli=True)
    X = torch.rand(20, 6)
    noisy = net.corrupt(X)
    assert not torch.equal(noisy, X) and noisy.min() >= 0 and noisy.max() <= 1
    assert not torch.equal(net(X)["latent"], net(X)["latent"])
    net.eval()
    assert torch.equal(net.corrupt(X), X)
    out = net(X)
    torch.testing.assert_close(out["embedding"], net.encode(X))
    torch.testing.assert_close(out["latent"], net.encode_latent(X))
    torch.testing.assert_close(out["reconstruction"], torch.sigmoid(out["reconstruction_logits"]))
    gaussian = MLPRepresentationAutoencoder(6, (8,), 2, (8,), noise=5.0).train()
    assert gaussian.corrupt(X).max() > 1  # no clipping without the sigmoid
    assert "reconstruction_logits" not in gaussian(X)


def test_the_network_component_builds_the_papers_layers():
    net = EmbeddingSpaceNetwork().build(784, None)
    widths = [layer.out_features for layer in net.modules() if isinstance(layer, torch.nn.Linear)]
    assert widths == [500, 500, 2000, 10, 2000, 500, 500, 784, 2000, 500, 500, 10]
    assert net.noise == 0.5 and net.sigmoid_output is False  # "auto" unresolved: linear
    bernoulli = EmbeddingSpaceNetwork(likelihood="bernoulli").resolve(torch.rand(5, 3))
    assert bernoulli.build(3, None).sigmoid_output is True
    assert EmbeddingSpaceNetwork().resolve(torch.rand(5, 3)).likelihood == "bernoulli"
    assert EmbeddingSpaceNetwork().resolve(torch.randn(50, 3)).likelihood == "gaussian"
    code = EmbeddingSpaceNetwork(representation_dims=(2000, 500, 500, 500))
    assert code.resolve_representation_dims(784) == (2000, 500, 500, 500)
    with pytest.raises(ValueError, match="representation_dims"):
        EmbeddingSpaceNetwork(representation_dims=(0,)).build(4, None)
    with pytest.raises(ValueError, match="representation_init"):
        EmbeddingSpaceNetwork(representation_init="ones").build(4, None)


def test_identity_init_is_the_codes_narrow_network():
    net = EmbeddingSpaceNetwork(hidden_dims=(8,), embedding_dim=3, representation_init="identity")
    representation = net.build(6, None).representation
    z = torch.randn(4, 3)
    torch.testing.assert_close(representation(z), torch.relu(z))  # identity through the ReLUs
    assert torch.equal(identity_init(torch.nn.Linear(3, 2)).weight, torch.eye(2, 3))


def test_pretraining_on_the_cross_entropy():
    assert isinstance(PretrainThenCluster().pretraining_criterion()[1], ReconstructionLoss)
    _, criterion = PretrainThenCluster(pretrain_loss=ELBOReconstruction()).pretraining_criterion()
    assert isinstance(criterion, CombinedLoss)
    X, logits = torch.rand(4, 3), torch.randn(4, 3)
    outputs = {"reconstruction": torch.sigmoid(logits), "reconstruction_logits": logits}
    expected = torch.nn.functional.binary_cross_entropy_with_logits(
        logits, X, reduction="sum") / 4  # summed over the features, averaged over the samples
    torch.testing.assert_close(criterion(outputs, X, None), expected)


def test_the_loss_needs_a_representation_network(blobs):
    X, _ = blobs
    model = DeepClustering(
        3, network=AutoencoderNetwork(hidden_dims=(8,), embedding_dim=2),
        clustering_loss=EmbeddingCrossEntropy(), non_clustering_loss=ELBOReconstruction(),
        readout=__import__("sklearn.cluster").cluster.KMeans(),
    )
    with pytest.raises(ValueError, match="EmbeddingSpaceNetwork"):
        model.fit(X)


# --- the estimator -----------------------------------------------------------------------


def test_embedding_space_clusters_blobs_and_maps_onto_its_composition(blobs):
    X, y = blobs
    model = EmbeddingSpaceClustering(3, random_state=0, **SMALL).fit(X)
    assert clustering_accuracy(y, model.labels_) > 0.9
    assert model.transform(X).shape == (len(X), 2)
    np.testing.assert_array_equal(model.predict(X), model.labels_)
    np.testing.assert_array_equal(model.predict(X), model.readout_.predict(model.transform(X).astype(np.float64)))
    assert model.cluster_centers_.shape == (3, 2)
    module = model.net_.module_
    assert module.latent_gradient_scale == 0.01 and module.sigmoid_output is False
    assert (model.batch_size_, model.pretrain_epochs_, model.epochs_) == (32, 10, 10)
    assert np.isfinite(model.history_[:, "train_loss"]).all()
    composed = model.to_deep_clustering().fit(X)
    np.testing.assert_array_equal(composed.labels_, model.labels_)
    again = EmbeddingSpaceClustering(3, random_state=0, **SMALL).fit(X)
    np.testing.assert_array_equal(again.transform(X), model.transform(X))


def test_the_joint_phase_trains_the_representation_network(blobs):
    X, _ = blobs
    model = EmbeddingSpaceClustering(3, random_state=0, **dict(SMALL, epochs=1))
    fitted = model.fit(X)
    # after pretraining alone the representation network is untouched: compare with 0 epochs
    untouched = EmbeddingSpaceClustering(3, random_state=0, **dict(SMALL, epochs=1, lr=1e-12))
    untouched.fit(X)
    before = untouched.net_.module_.representation[0].weight
    after = fitted.net_.module_.representation[0].weight
    assert not torch.allclose(before, after)


def test_intensities_get_the_cross_entropy(blobs):
    rng = np.random.default_rng(0)
    X = rng.random((60, 6)).astype(np.float32)
    model = EmbeddingSpaceClustering(2, random_state=0, **dict(SMALL, epochs=2)).fit(X)
    assert model.net_.module_.sigmoid_output is True
    assert model.predict(X).shape == (60,)


def test_sparse_input_gives_the_dense_inputs_labels(blobs):
    import scipy.sparse as sp

    X, _ = blobs
    X = np.clip(X, 0, None)  # some zeros
    model = EmbeddingSpaceClustering(3, random_state=0, **dict(SMALL, epochs=2))
    dense = model.fit(X).labels_
    np.testing.assert_array_equal(model.fit(sp.csr_matrix(X)).labels_, dense)


def test_embedding_weight_is_reachable_by_grid_search(blobs):
    X, y = blobs
    search = GridSearchCV(
        EmbeddingSpaceClustering(3, random_state=0, **dict(SMALL, pretrain_epochs=2, epochs=2)),
        {"embedding_weight": [0.0, 0.01], "normalization": ["pairs", "columns"]},
        scoring=CLUSTERING_SCORERS["accuracy"], cv=[(np.arange(len(X)),) * 2],
    ).fit(X, y)
    assert set(search.best_params_) == {"embedding_weight", "normalization"}
    composed = EmbeddingSpaceClustering(3, random_state=0, **dict(
        SMALL, pretrain_epochs=2, epochs=2)).to_deep_clustering()
    search = GridSearchCV(
        composed, {"clustering_loss__encoder_weight": [0.01, 0.1]},
        scoring=CLUSTERING_SCORERS["nmi"], cv=[(np.arange(len(X)),) * 2],
    ).fit(X, y)
    assert search.best_params_["clustering_loss__encoder_weight"] in (0.01, 0.1)


def test_pickle_and_weights_only_round_trips(blobs, tmp_path):
    X, _ = blobs
    rng = np.random.default_rng(0)
    images = rng.random((60, 6)).astype(np.float32)  # Bernoulli: the sigmoid must come back
    for data in (X, images):
        model = EmbeddingSpaceClustering(3, random_state=0, **dict(SMALL, epochs=2)).fit(data)
        unpickled = pickle.loads(pickle.dumps(model))
        np.testing.assert_array_equal(unpickled.predict(data), model.predict(data))
        save(model, tmp_path / "m.pt")
        loaded = load(tmp_path / "m.pt", device="cpu")
        np.testing.assert_array_equal(loaded.predict(data), model.predict(data))
        np.testing.assert_array_equal(loaded.transform(data), model.transform(data))
        module = loaded.net_.module_
        assert module.sigmoid_output == model.net_.module_.sigmoid_output
        assert module.latent_gradient_scale == 0.01


def test_bad_input_and_parameters(blobs):
    X, _ = blobs
    model = EmbeddingSpaceClustering(3, random_state=0, **dict(SMALL, pretrain_epochs=1,
                                                               epochs=1))
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        model.fit(bad)
    original = X.copy()
    model.fit(X)
    np.testing.assert_array_equal(X, original)  # the caller's data untouched
    with pytest.raises(ValueError, match="features"):
        model.predict(X[:, :3])
    for params in ({"noise": -0.1}, {"normalization": "rows"}, {"latent_dof": 0},
                   {"representation_init": "ones"}, {"embedding_weight": -1}):
        with pytest.raises(ValueError):
            EmbeddingSpaceClustering(3, **params).fit(X)


@pytest.mark.slow
def test_embedding_space_on_digits_is_close_to_kmeans():
    from sklearn.cluster import KMeans
    from sklearn.datasets import load_digits
    from sklearn.preprocessing import MinMaxScaler

    X, y = load_digits(return_X_y=True)
    X = MinMaxScaler().fit_transform(X)
    kmeans = clustering_accuracy(y, KMeans(10, n_init=10, random_state=0).fit_predict(X))
    labels = EmbeddingSpaceClustering(10, random_state=0).fit_predict(X)
    assert clustering_accuracy(y, labels) > kmeans - 0.1
