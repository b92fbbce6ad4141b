"""The synthetic data sets of the DMAE paper: make_pinwheel and make_toroidal_blobs."""

import numpy as np
import pytest
from sklearn.cluster import KMeans
from threadpoolctl import threadpool_limits

from skdeepcluster.datasets import make_pinwheel, make_toroidal_blobs
from skdeepcluster.metrics import clustering_accuracy


@pytest.mark.parametrize("make", [make_pinwheel, make_toroidal_blobs])
def test_shapes_balance_and_reproducibility(make):
    X, y = make(n_samples=103, random_state=0)
    assert X.shape == (103, 2) and y.shape == (103,)
    assert X.dtype == np.float64 and y.dtype.kind == "i"
    counts = np.bincount(y)
    assert counts.max() - counts.min() <= 1  # evenly split, remainder to the first groups
    X2, y2 = make(n_samples=103, random_state=0)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    X3, _ = make(n_samples=103, random_state=1)
    assert not np.allclose(X, X3)


@pytest.mark.parametrize("make", [make_pinwheel, make_toroidal_blobs])
def test_shuffle_false_keeps_groups_in_order(make):
    _, y = make(n_samples=40, shuffle=False, random_state=0)
    assert np.all(np.diff(y) >= 0)


def test_pinwheel_geometry():
    X, y = make_pinwheel(n_samples=500, n_arms=4, rate=0.0, tangential_std=0.0, random_state=0)
    # Without bending or width, arm k is the ray at angle 2 pi k / 4.
    angles = np.arctan2(X[:, 1], X[:, 0])
    positive = np.linalg.norm(X, axis=1) > 0
    expected = np.angle(np.exp(1j * 2 * np.pi * y / 4))
    # Points with negative radial coordinate lie on the opposite ray.
    diff = np.angle(np.exp(1j * (angles - expected)))
    assert np.all(np.isclose(np.abs(diff[positive]), 0, atol=1e-9) |
                  np.isclose(np.abs(diff[positive]), np.pi, atol=1e-9))
    assert len(np.unique(y)) == 4


def test_pinwheel_bends_with_rate():
    X0, _ = make_pinwheel(n_samples=200, rate=0.0, random_state=0)
    X1, _ = make_pinwheel(n_samples=200, rate=0.5, random_state=0)
    # Same radii, different angles.
    np.testing.assert_allclose(np.linalg.norm(X0, axis=1), np.linalg.norm(X1, axis=1))
    assert not np.allclose(X0, X1)


def test_toroidal_blobs_wrap_into_the_box():
    X, y = make_toroidal_blobs(n_samples=400, period=2.0, cluster_std=0.3, random_state=0)
    assert X.min() >= 0 and X.max() < 2.0
    # The blob at the origin is cut by the sides: its points lie near both 0 and 2.
    corner = X[y == 0]
    assert (corner < 0.5).any() and (corner > 1.5).any()


def test_toroidal_blobs_custom_centers():
    centers = [[0.25, 0.25, 0.25], [0.75, 0.75, 0.75]]
    X, y = make_toroidal_blobs(n_samples=50, centers=centers, cluster_std=0.0, random_state=0)
    np.testing.assert_allclose(X, np.asarray(centers)[y])
    X, y = make_toroidal_blobs(n_samples=50, centers=3, random_state=0)
    assert X.shape == (50, 2) and set(y) == {0, 1, 2}


def test_kmeans_fits_pinwheel_but_not_the_torus():
    # The paper's Table 2: k-means near 0.98 on the pinwheel, near 0.6 on toroidal blobs.
    with threadpool_limits(limits=1):
        X, y = make_pinwheel(n_samples=1000, random_state=0)
        labels = KMeans(5, n_init=5, random_state=0).fit_predict(X)
        assert clustering_accuracy(y, labels) > 0.9
        X, y = make_toroidal_blobs(n_samples=1000, random_state=0)
        labels = KMeans(4, n_init=5, random_state=0).fit_predict(X)
    assert clustering_accuracy(y, labels) < 0.75


@pytest.mark.parametrize(
    "make, kwargs, match",
    [
        (make_pinwheel, {"n_samples": 0}, "n_samples"),
        (make_pinwheel, {"n_samples": 2.5}, "n_samples"),
        (make_pinwheel, {"n_arms": 0}, "n_arms"),
        (make_pinwheel, {"radial_std": -1.0}, "radial_std"),
        (make_pinwheel, {"rate": np.nan}, "rate"),
        (make_toroidal_blobs, {"period": 0.0}, "period"),
        (make_toroidal_blobs, {"cluster_std": -0.1}, "cluster_std"),
        (make_toroidal_blobs, {"centers": [1.0, 2.0]}, "centers"),
        (make_toroidal_blobs, {"centers": 0}, "centers"),
    ],
)
def test_bad_arguments_raise_value_error(make, kwargs, match):
    with pytest.raises(ValueError, match=match):
        make(**kwargs)
