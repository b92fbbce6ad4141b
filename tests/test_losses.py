"""Tests for skdeepcluster.losses: each loss against a hand-computed example and the paper's formula."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from skdeepcluster.losses import (
    CombinedLoss,
    KLClusteringLoss,
    ReconstructionTerm,
    ReconstructionLoss,
    kl_clustering_loss,
    reconstruction_loss,
    student_t_assignments,
    target_distribution,
)
from skdeepcluster.networks import MLPAutoencoder, StudentTClusteringModule


def paper_student_t(z, mu, alpha):
    """DEC eq. 1 computed directly in float64: (1 + d^2/alpha)^(-(alpha+1)/2), normalised over k."""
    z = np.asarray(z, dtype=np.float64)
    mu = np.asarray(mu, dtype=np.float64)
    squared = ((z[:, None, :] - mu[None, :, :]) ** 2).sum(axis=-1)
    kernel = (1.0 + squared / alpha) ** (-(alpha + 1.0) / 2.0)
    return kernel / kernel.sum(axis=1, keepdims=True)


def paper_target(q):
    """DEC eq. 3 in float64: p_ik = (q_ik^2 / f_k) / sum_k' (q_ik'^2 / f_k'), f_k = sum_i q_ik."""
    q = np.asarray(q, dtype=np.float64)
    weight = q**2 / q.sum(axis=0)
    return weight / weight.sum(axis=1, keepdims=True)


# --- student_t_assignments ---------------------------------------------------


def test_student_t_alpha_1_hand_computed():
    # z = origin; squared distances to the centres 0, 1, 4.
    # Kernel (1 + d^2)^-1 = 1, 1/2, 1/5; sum 17/10; q = 10/17, 5/17, 2/17.
    z = torch.tensor([[0.0, 0.0]])
    mu = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0]])
    q = student_t_assignments(z, mu, alpha=1.0)
    expected = torch.tensor([[10 / 17, 5 / 17, 2 / 17]])
    torch.testing.assert_close(q, expected)


def test_student_t_alpha_2_hand_computed():
    # z = origin in 3-D; squared distances 0, 1+1+4 = 6, 16.
    # Kernel (1 + d^2/2)^(-3/2): 1^-1.5 = 1, 4^-1.5 = 1/8, 9^-1.5 = 1/27.
    # Sum = (216 + 27 + 8) / 216 = 251/216; q = 216/251, 27/251, 8/251.
    z = torch.tensor([[0.0, 0.0, 0.0]])
    mu = torch.tensor([[0.0, 0.0, 0.0], [1.0, 1.0, 2.0], [0.0, 0.0, 4.0]])
    q = student_t_assignments(z, mu, alpha=2.0)
    expected = torch.tensor([[216 / 251, 27 / 251, 8 / 251]])
    torch.testing.assert_close(q, expected)


def test_student_t_equidistant_centres_share_equally():
    # Two centres at the same distance: q = 1/2 each, whatever alpha.
    z = torch.tensor([[0.0, 0.0]])
    mu = torch.tensor([[3.0, 0.0], [0.0, -3.0]])
    for alpha in (0.5, 1.0, 2.0, 10.0):
        torch.testing.assert_close(student_t_assignments(z, mu, alpha), torch.tensor([[0.5, 0.5]]))


@pytest.mark.parametrize("alpha", [1.0, 2.0, 0.5])
def test_student_t_matches_paper_formula(alpha):
    rng = np.random.default_rng(0)
    z = rng.normal(size=(20, 5))
    mu = rng.normal(size=(4, 5))
    q64 = student_t_assignments(torch.tensor(z), torch.tensor(mu), alpha).numpy()
    np.testing.assert_allclose(q64, paper_student_t(z, mu, alpha), rtol=1e-10, atol=1e-12)
    q32 = student_t_assignments(
        torch.tensor(z, dtype=torch.float32), torch.tensor(mu, dtype=torch.float32), alpha
    ).numpy()
    np.testing.assert_allclose(q32, paper_student_t(z, mu, alpha), atol=1e-6)


@settings(max_examples=30, deadline=None)
@given(
    n=st.integers(1, 40),
    k=st.integers(1, 6),
    d=st.integers(1, 4),
    alpha=st.floats(0.1, 20.0),
    scale=st.floats(0.01, 100.0),
    seed=st.integers(0, 2**16),
)
def test_student_t_rows_sum_to_one(n, k, d, alpha, scale, seed):
    generator = torch.Generator().manual_seed(seed)
    z = scale * torch.randn(n, d, generator=generator)
    mu = scale * torch.randn(k, d, generator=generator)
    q = student_t_assignments(z, mu, alpha)
    assert q.shape == (n, k)
    assert torch.all(q >= 0)
    torch.testing.assert_close(q.sum(dim=1), torch.ones(n))


def test_student_t_far_away_point_is_finite():
    # alpha = 9: kernel (1 + d^2/9)^-5.  At d = 1e5 that is about (1.1e9)^-5 = 6e-46,
    # below float32's smallest subnormal (1.4e-45): the direct formula gives 0/0 = NaN.
    # In log space the logits are about -5 * 20.8 = -104 and softmax normalises them.
    z = np.array([[1e5, 0.0]])
    mu = np.array([[0.0, 0.0], [1.0, 0.0]])
    alpha = 9.0
    direct = (1 + torch.tensor([[1e10, 1e10]], dtype=torch.float32) / alpha) ** (-5.0)
    assert torch.all(direct == 0)  # the underflow that log space avoids
    q = student_t_assignments(
        torch.tensor(z, dtype=torch.float32), torch.tensor(mu, dtype=torch.float32), alpha
    )
    assert torch.all(torch.isfinite(q))
    torch.testing.assert_close(q.sum(dim=1), torch.ones(1))
    # The second centre is 1 closer: ratio ((1e10 - 2e5) / 1e10)^-5 ~ 1 + 1e-4, q ~ (0.499975, 0.500025).
    np.testing.assert_allclose(q.numpy(), paper_student_t(z, mu, alpha), atol=1e-5)
    assert q[0, 1] > q[0, 0]


def test_student_t_far_away_point_alpha_1():
    # d = 1e6 from both centres: squared distances 1e12 and 1e12 - 2e6; q ~ (1/2, 1/2), no NaN.
    q = student_t_assignments(torch.tensor([[1e6, 0.0]]), torch.tensor([[0.0, 0.0], [1.0, 0.0]]))
    assert torch.all(torch.isfinite(q))
    torch.testing.assert_close(q, torch.tensor([[0.5, 0.5]]), atol=1e-5, rtol=0)


def test_student_t_gradient_finite_at_zero_distance():
    # An embedding sitting exactly on a centroid: d = 0, where sqrt has no derivative.
    z = torch.zeros(3, 2, requires_grad=True)
    mu = torch.tensor([[0.0, 0.0], [1.0, 1.0]], requires_grad=True)
    student_t_assignments(z, mu)[:, 0].sum().backward()
    assert torch.all(torch.isfinite(z.grad))
    assert torch.all(torch.isfinite(mu.grad))


def test_student_t_translation_invariant_for_large_batches():
    # q depends only on differences z - mu, so shifting everything by 1000 must not change it.
    # float32 resolves 1000 + x to ~6e-5, so the exact-difference error on q is ~1e-5.
    rng = np.random.default_rng(0)
    z = rng.normal(size=(100, 5))
    mu = rng.normal(size=(4, 5))
    q = student_t_assignments(
        torch.tensor(z + 1000, dtype=torch.float32), torch.tensor(mu + 1000, dtype=torch.float32)
    ).numpy()
    np.testing.assert_allclose(q, paper_student_t(z, mu, 1.0), atol=1e-3)


# --- target_distribution -----------------------------------------------------


def test_target_distribution_hand_computed_unequal_frequencies():
    # q = [[0.5, 0.5], [0.75, 0.25]]: f = (1.25, 0.75).
    # Row 0: q^2/f = (0.25/1.25, 0.25/0.75) = (1/5, 1/3), sum 8/15 -> (3/8, 5/8):
    #   the tie is broken towards the rarer cluster.
    # Row 1: (0.5625/1.25, 0.0625/0.75) = (9/20, 1/12), sum 8/15 -> (27/32, 5/32).
    q = torch.tensor([[0.5, 0.5], [0.75, 0.25]])
    p = target_distribution(q)
    torch.testing.assert_close(p, torch.tensor([[3 / 8, 5 / 8], [27 / 32, 5 / 32]]))


def test_target_distribution_uniform_stays_uniform():
    q = torch.full((4, 3), 1 / 3)
    torch.testing.assert_close(target_distribution(q), q)


def test_target_distribution_matches_paper_formula():
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(30, 4))
    q = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    p = target_distribution(torch.tensor(q)).numpy()
    np.testing.assert_allclose(p, paper_target(q), rtol=1e-12)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-12)


def test_target_distribution_sharpens():
    # Squaring moves each row's mass towards its largest entry (balanced frequencies).
    q = torch.tensor([[0.6, 0.4], [0.4, 0.6]])
    p = target_distribution(q)
    # f = (1, 1); row 0: (0.36, 0.16) / 0.52 = (9/13, 4/13).
    torch.testing.assert_close(p, torch.tensor([[9 / 13, 4 / 13], [4 / 13, 9 / 13]]))
    assert p.max(dim=1).values.min() > q.max(dim=1).values.max() - 1e-7


def test_target_distribution_empty_cluster_gives_no_nan():
    # Cluster 1 has total mass 0: 0 / 0 would be NaN; the floor on f_k keeps it 0.
    q = torch.tensor([[1.0, 0.0, 0.0], [0.5, 0.0, 0.5], [0.0, 0.0, 1.0]])
    p = target_distribution(q)
    assert torch.all(torch.isfinite(p))
    assert torch.all(p[:, 1] == 0)
    torch.testing.assert_close(p.sum(dim=1), torch.ones(3))
    # Row 1: f = (1.5, 0, 1.5), weights (0.25/1.5, 0, 0.25/1.5) -> (1/2, 0, 1/2).
    torch.testing.assert_close(p[1], torch.tensor([0.5, 0.0, 0.5]))


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 30), k=st.integers(1, 6), seed=st.integers(0, 2**16))
def test_target_distribution_rows_sum_to_one(n, k, seed):
    generator = torch.Generator().manual_seed(seed)
    q = torch.softmax(5 * torch.randn(n, k, generator=generator), dim=1)
    p = target_distribution(q)
    assert torch.all(torch.isfinite(p))
    torch.testing.assert_close(p.sum(dim=1), torch.ones(n))


# --- kl_clustering_loss ------------------------------------------------------


def test_kl_zero_when_p_equals_q():
    q = torch.tensor([[0.2, 0.8], [0.5, 0.5], [1.0, 0.0]])
    assert kl_clustering_loss(q, q).item() == pytest.approx(0.0, abs=1e-7)


def test_kl_log_2():
    # KL((1, 0) || (1/2, 1/2)) = 1 * log(1 / (1/2)) + 0 = log 2.
    p = torch.tensor([[1.0, 0.0]])
    q = torch.tensor([[0.5, 0.5]])
    assert kl_clustering_loss(p, q).item() == pytest.approx(np.log(2), rel=1e-6)


def test_kl_averages_over_batch():
    # Sample 0 contributes log 2 (as above), sample 1 contributes 0 (p == q): mean log(2)/2.
    p = torch.tensor([[1.0, 0.0], [0.5, 0.5]])
    q = torch.tensor([[0.5, 0.5], [0.5, 0.5]])
    assert kl_clustering_loss(p, q).item() == pytest.approx(np.log(2) / 2, rel=1e-6)


def test_kl_matches_numpy():
    rng = np.random.default_rng(2)
    p = rng.dirichlet(np.ones(5), size=12)
    q = rng.dirichlet(np.ones(5), size=12)
    expected = np.sum(p * np.log(p / q)) / len(p)
    assert kl_clustering_loss(torch.tensor(p), torch.tensor(q)).item() == pytest.approx(
        expected, rel=1e-12
    )


def test_kl_finite_when_q_has_zeros():
    # The true KL((1/2, 1/2) || (1, 0)) is infinite; the loss floors q so training survives.
    p = torch.tensor([[0.5, 0.5]])
    q = torch.tensor([[1.0, 0.0]], requires_grad=True)
    loss = kl_clustering_loss(p, q)
    assert torch.isfinite(loss)
    assert loss.item() > 10  # still a large penalty: 0.5 * log(0.5 / 1.2e-38) ~ 43
    loss.backward()
    assert torch.all(torch.isfinite(q.grad))


# --- reconstruction_loss -----------------------------------------------------


def test_reconstruction_loss_hand_computed():
    # One error of 2 among four entries: (0 + 0 + 0 + 2^2) / 4 = 1.
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    x_reconstructed = torch.tensor([[1.0, 2.0], [3.0, 6.0]])
    assert reconstruction_loss(x, x_reconstructed).item() == pytest.approx(1.0)


def test_reconstruction_loss_flat_versus_images():
    generator = torch.Generator().manual_seed(0)
    images = torch.randn(3, 2, 4, 5, generator=generator)
    reconstructed = torch.randn(3, 2, 4, 5, generator=generator)
    expected = ((images - reconstructed) ** 2).mean()
    flat = reconstructed.reshape(3, -1)
    # Images in, flat reconstruction out, and the reverse: the same mean squared error.
    torch.testing.assert_close(reconstruction_loss(images, flat), expected)
    torch.testing.assert_close(reconstruction_loss(images.reshape(3, -1), reconstructed), expected)
    torch.testing.assert_close(reconstruction_loss(images, reconstructed), expected)


def test_reconstruction_loss_module():
    x = torch.zeros(2, 3)
    outputs = {"reconstruction": torch.ones(2, 3), "embedding": torch.zeros(2, 1)}
    loss = ReconstructionLoss()(outputs, x, torch.arange(2))
    assert loss.item() == pytest.approx(1.0)


# --- KLClusteringLoss --------------------------------------------------------


def test_kl_clustering_loss_looks_up_target_by_indices():
    criterion = KLClusteringLoss()
    criterion.target = torch.tensor([[1.0, 0.0], [0.5, 0.5], [0.0, 1.0], [0.25, 0.75]])
    q = torch.tensor([[0.5, 0.5], [0.5, 0.5]])
    indices = torch.tensor([2, 1])
    # Rows 2 and 1 of the target: KL((0,1)||(1/2,1/2)) = log 2, KL((1/2,1/2)||same) = 0.
    loss = criterion({"assignments": q}, torch.zeros(2, 3), indices)
    assert loss.item() == pytest.approx(np.log(2) / 2, rel=1e-6)
    torch.testing.assert_close(loss, kl_clustering_loss(criterion.target[indices], q))


def test_dec_weights_ignore_reconstruction():
    criterion = KLClusteringLoss(clustering_weight=1.0)
    criterion.target = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    q = torch.tensor([[0.5, 0.5], [0.25, 0.75]])
    indices = torch.tensor([0, 1])
    X = torch.zeros(2, 3)
    # DEC's network has no decoder output: the loss must not ask for one.
    without = criterion({"assignments": q}, X, indices)
    with_bad = criterion({"assignments": q, "reconstruction": torch.full((2, 3), 1e3)}, X, indices)
    torch.testing.assert_close(without, with_bad)
    torch.testing.assert_close(without, kl_clustering_loss(criterion.target, q))


def test_idec_weights_combine_both_terms():
    gamma = 0.1
    criterion = CombinedLoss(KLClusteringLoss(clustering_weight=gamma), [ReconstructionTerm(1.0)])
    criterion.clustering.target = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    q = torch.tensor([[0.5, 0.5], [0.25, 0.75]])
    X = torch.zeros(2, 2)
    reconstruction = torch.tensor([[1.0, 0.0], [0.0, 0.0]])
    loss = criterion({"assignments": q, "reconstruction": reconstruction}, X, torch.tensor([0, 1]))
    # KL = (log 2 + log(4/3)) / 2; reconstruction = 1/4; loss = 0.1 * KL + 1/4.
    kl = (np.log(2) + np.log(4 / 3)) / 2
    assert loss.item() == pytest.approx(gamma * kl + 0.25, rel=1e-6)
    target = criterion.clustering.target
    expected = gamma * kl_clustering_loss(target, q) + reconstruction_loss(X, reconstruction)
    torch.testing.assert_close(loss, expected)


@pytest.mark.parametrize("reconstruct", [False, True])
def test_kl_clustering_loss_gradient_reaches_centers(reconstruct):
    torch.manual_seed(0)
    module = StudentTClusteringModule(
        MLPAutoencoder(4, hidden_dims=(8,), embedding_dim=2),
        torch.randn(3, 2),
        reconstruct=reconstruct,
    )
    X = torch.randn(10, 4)
    criterion = CombinedLoss(KLClusteringLoss(), [ReconstructionTerm(1.0)] if reconstruct else [])
    with torch.no_grad():
        criterion.clustering.target = target_distribution(module(X)["assignments"])
    loss = criterion(module(X), X, torch.arange(10))
    loss.backward()
    assert module.centers.grad is not None
    assert torch.all(torch.isfinite(module.centers.grad))
    assert module.centers.grad.abs().sum() > 0
    # The encoder learns too.
    first_layer = module.autoencoder.encoder[0].weight
    assert first_layer.grad is not None and first_layer.grad.abs().sum() > 0
