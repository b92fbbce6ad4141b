"""The dissimilarity functions of DMAE, against hand-computed values and scipy."""

import functools
import math
import pickle

import numpy as np
import pytest
import torch
from scipy.spatial.distance import cdist

from skdeepcluster.dissimilarities import (
    DISSIMILARITIES,
    chebyshev,
    check_dissimilarity,
    cluster_parameter_names,
    cosine,
    euclidean,
    get_dissimilarity,
    itakura_saito,
    kullback_leibler,
    mahalanobis,
    manhattan,
    minkowski,
    pairwise_dissimilarities,
    sqeuclidean,
    toroidal,
)

Z = torch.tensor([[0.0, 0.0], [3.0, 4.0], [1.0, -1.0]], dtype=torch.float64)
C = torch.tensor([[0.0, 0.0], [1.0, 1.0]], dtype=torch.float64)


def test_hand_computed_values():
    z, c = torch.tensor([3.0, 4.0]), torch.tensor([0.0, 0.0])
    assert euclidean(z, c).item() == pytest.approx(5.0)
    assert sqeuclidean(z, c).item() == pytest.approx(25.0)
    assert manhattan(z, c).item() == pytest.approx(7.0)
    assert minkowski(z, c, p=3).item() == pytest.approx((27 + 64) ** (1 / 3))
    assert chebyshev(z, c).item() == pytest.approx(4.0)
    assert cosine(torch.tensor([1.0, 1.0]), torch.tensor([2.0, 0.0])).item() == pytest.approx(
        1 - 1 / math.sqrt(2)
    )
    precision = torch.tensor([[2.0, 1.0], [1.0, 2.0]])
    # [3 4] P [3 4]^T = 2*9 + 2*12 + 2*16 = 74
    assert mahalanobis(z, c, precision).item() == pytest.approx(74.0)
    # 0.05 and 0.95 are 0.1 apart across the side of the unit box.
    assert toroidal(torch.tensor([0.05, 0.5]), torch.tensor([0.95, 0.5])).item() == pytest.approx(
        0.01
    )
    assert toroidal(torch.tensor([0.1]), torch.tensor([1.9]), period=2.0).item() == pytest.approx(
        0.04
    )
    # Itakura–Saito of 2 against 1: 2 - log 2 - 1.
    assert itakura_saito(torch.tensor([2.0]), torch.tensor([1.0])).item() == pytest.approx(
        1 - math.log(2)
    )


def test_kullback_leibler_hand_values():
    p, q = torch.tensor([0.5, 0.5]), torch.tensor([0.25, 0.75])
    expected = 0.5 * math.log(0.5 / 0.25) + 0.5 * math.log(0.5 / 0.75)
    assert kullback_leibler(p, q, normalization="abs_sum", eps=0.0).item() == pytest.approx(expected)
    # softmax_abs: softmax of |v|, so the sign does not matter.
    a, b = torch.tensor([1.0, -2.0]), torch.tensor([0.0, 1.0])
    pa, pb = torch.softmax(a.abs(), 0), torch.softmax(b.abs(), 0)
    assert kullback_leibler(a, b).item() == pytest.approx(float((pa * (pa / pb).log()).sum()), rel=1e-5)
    assert kullback_leibler(a, -a).item() == pytest.approx(0.0, abs=1e-7)
    assert kullback_leibler(a, -a, normalization="softmax").item() > 0.1
    with pytest.raises(ValueError, match="normalization"):
        kullback_leibler(a, b, normalization="l2")


@pytest.mark.parametrize(
    "function, metric, kwargs",
    [
        (euclidean, "euclidean", {}),
        (sqeuclidean, "sqeuclidean", {}),
        (manhattan, "cityblock", {}),
        (chebyshev, "chebyshev", {}),
        (functools.partial(minkowski, p=3.0), "minkowski", {"p": 3.0}),
        (cosine, "cosine", {}),
    ],
)
def test_pairwise_matches_scipy(function, metric, kwargs):
    rng = np.random.default_rng(0)
    z, c = rng.normal(size=(7, 3)), rng.normal(size=(4, 3))
    got = pairwise_dissimilarities(function, torch.tensor(z), torch.tensor(c)).numpy()
    np.testing.assert_allclose(got, cdist(z, c, metric, **kwargs), rtol=1e-10, atol=1e-12)


def test_pairwise_mahalanobis_per_cluster_precision_matches_scipy():
    rng = np.random.default_rng(0)
    z, c = rng.normal(size=(5, 3)), rng.normal(size=(2, 3))
    factors = rng.normal(size=(2, 3, 3))
    precision = factors @ factors.transpose(0, 2, 1)
    got = pairwise_dissimilarities(
        mahalanobis, torch.tensor(z), torch.tensor(c), precision=torch.tensor(precision)
    ).numpy()
    for k in range(2):
        expected = cdist(z, c[k : k + 1], "mahalanobis", VI=precision[k])[:, 0] ** 2
        np.testing.assert_allclose(got[:, k], expected, rtol=1e-10)


def test_paired_form_is_the_diagonal_of_the_pairwise_form():
    # d(z_i, theta~_i) for (n, d) against (n, d): what the DMM loss evaluates.
    for name, function in DISSIMILARITIES.items():
        z = Z.abs() + 0.5  # positive, for Itakura–Saito
        extra = {"precision": torch.eye(2, dtype=torch.float64).expand(3, 2, 2)} if name == "mahalanobis" else {}
        paired = function(z, z.flip(0), **extra)
        pair_extra = {k: v[:3] for k, v in extra.items()}
        pairwise = pairwise_dissimilarities(function, z, z.flip(0), **pair_extra)
        torch.testing.assert_close(paired, pairwise.diagonal(), msg=name)


@pytest.mark.parametrize("name", sorted(DISSIMILARITIES))
def test_zero_on_the_centre_and_finite_gradients(name):
    # A centre seeded on a sample (k-means++) must not give NaN gradients.
    function = DISSIMILARITIES[name]
    z = torch.tensor([[0.5, 1.5], [2.0, 0.7]], dtype=torch.float64)
    theta = z.clone().requires_grad_()
    extra = {"precision": torch.eye(2, dtype=torch.float64)} if name == "mahalanobis" else {}
    d = function(z, theta, **extra)
    torch.testing.assert_close(d, torch.zeros(2, dtype=torch.float64), atol=1e-6, rtol=0)
    d.sum().backward()
    assert torch.isfinite(theta.grad).all()


def test_toroidal_gradient_points_across_the_side():
    theta = torch.tensor([0.95], requires_grad=True)
    toroidal(torch.tensor([0.05]), theta).backward()
    # The nearest copy of the sample is at 1.05: moving theta up brings it closer.
    assert theta.grad.item() < 0


def test_registry_and_get_dissimilarity():
    assert set(DISSIMILARITIES) >= {
        "euclidean", "sqeuclidean", "manhattan", "minkowski", "chebyshev", "cosine",
        "mahalanobis", "toroidal", "kullback_leibler", "itakura_saito",
    }
    assert get_dissimilarity("euclidean") is euclidean
    bound = get_dissimilarity("toroidal", {"period": 2.0})
    assert bound(torch.tensor([0.1]), torch.tensor([1.9])).item() == pytest.approx(0.04)
    pickle.loads(pickle.dumps(bound))  # bound built-ins pickle
    assert cluster_parameter_names("mahalanobis") == ("precision",)
    assert cluster_parameter_names("euclidean") == ()
    assert cluster_parameter_names(euclidean) == ()


@pytest.mark.parametrize(
    "dissimilarity, params, match",
    [
        ("hamming", None, "unknown"),
        (3, None, "name or a callable"),
        ("minkowski", {"q": 3}, "does not take"),
        ("mahalanobis", {"precision": 1.0}, "per cluster"),
    ],
)
def test_get_dissimilarity_errors(dissimilarity, params, match):
    with pytest.raises(ValueError, match=match):
        get_dissimilarity(dissimilarity, params)


def test_get_dissimilarity_binds_params_of_a_callable():
    def scaled(z, theta, scale=1.0):
        return scale * (z - theta).abs().sum(-1)

    bound = get_dissimilarity(scaled, {"scale": 2.0})
    assert bound(torch.ones(2), torch.zeros(2)).item() == 4.0
    with pytest.raises(ValueError, match="does not take"):
        get_dissimilarity(scaled, {"other": 1})


@pytest.mark.parametrize("name", sorted(DISSIMILARITIES))
def test_builtins_pass_check_dissimilarity(name):
    extra = {"precision": torch.eye(3).expand(2, 3, 3)} if name == "mahalanobis" else {}
    check_dissimilarity(DISSIMILARITIES[name], 3, **extra)


@pytest.mark.parametrize(
    "function, match",
    [
        (lambda z, theta: (z - theta).sum(), "shape"),
        (lambda z, theta: (z - theta).sum(-1), "negative"),
        (lambda z, theta: (z - theta).abs().sum(-1).detach(), "differentiable"),
        (lambda z, theta: np.zeros(3), "not a torch.Tensor"),
        (lambda z, theta: z @ theta, "failed"),
        (lambda z, theta: (z - theta).pow(2).sum(-1).log() * float("inf"), "non-finite"),
    ],
)
def test_check_dissimilarity_rejects_bad_callables(function, match):
    with pytest.raises(ValueError, match=match):
        check_dissimilarity(function, 3)


def test_toroidal_per_axis_period():
    z, theta = torch.tensor([[0.1, 0.1]]), torch.tensor([[1.9, 0.9]])
    # Axis 0 has period 2 (0.2 apart), axis 1 period 1 (0.2 apart).
    assert toroidal(z, theta, period=(2.0, 1.0)).item() == pytest.approx(0.08)
    assert toroidal(z, theta, period=[2.0, 1.0]).item() == pytest.approx(0.08)
