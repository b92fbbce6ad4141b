"""Plots draw headless and return what they drew into."""

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from sklearn.datasets import make_blobs  # noqa: E402

from skdeepcluster import DECClustering, IDECClustering  # noqa: E402
from skdeepcluster.plotting import (  # noqa: E402
    plot_cluster_montage,
    plot_contingency,
    plot_embedding,
    plot_training_history,
)

SMALL = dict(hidden_dims=(16,), embedding_dim=3, pretrain_epochs=3, epochs=3, n_init=1,
             batch_size=32, update_interval=2)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def fitted():
    X, y = make_blobs(90, n_features=5, centers=3, random_state=0)
    return DECClustering(3, random_state=0, **SMALL).fit(X), X, y


@pytest.mark.parametrize("method, xlabel", [("pca", "PCA 1"), ("tsne", "t-SNE 1")])
def test_embedding_scatter(fitted, method, xlabel):
    est, X, _ = fitted
    ax = plot_embedding(est, X, method=method)
    assert ax.get_xlabel() == xlabel
    offsets = ax.collections[0].get_offsets()
    assert offsets.shape == (len(X), 2)


def test_embedding_coloured_by_given_labels_into_given_axes(fitted):
    est, X, y = fitted
    _, ax = plt.subplots()
    assert plot_embedding(est, X, y=y, ax=ax) is ax
    colours = ax.collections[0].get_array()
    assert len(np.unique(colours)) == 3


def test_two_dimensional_embedding_is_drawn_as_is():
    X, _ = make_blobs(60, centers=2, random_state=1)
    est = DECClustering(2, **dict(SMALL, embedding_dim=2), random_state=0).fit(X)
    ax = plot_embedding(est, X)
    np.testing.assert_allclose(ax.collections[0].get_offsets(), est.transform(X), rtol=1e-6)


def test_embedding_rejects_bad_options(fitted):
    est, X, y = fitted
    with pytest.raises(ValueError, match="pca"):
        plot_embedding(est, X, method="umap")
    with pytest.raises(ValueError, match="entries"):
        plot_embedding(est, X, y=y[:-1])


def test_embedding_needs_a_fitted_estimator():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        plot_embedding(DECClustering(), np.zeros((3, 2)))


def test_training_history_draws_both_phases_and_label_changes(fitted):
    est, _, _ = fitted
    ax = plot_training_history(est)
    labels = [line.get_label() for line in ax.get_lines()]
    assert "pretraining: train_loss" in labels and "clustering: train_loss" in labels
    assert ax.right_ax is not None  # delta_label on the twin axis
    n_epochs = len(est.pretrain_history_) + len(est.history_)
    clustering = [l for l in ax.get_lines() if l.get_label() == "clustering: train_loss"][0]
    assert clustering.get_xdata()[-1] == n_epochs


def test_training_history_unknown_key(fitted):
    with pytest.raises(ValueError, match="none of the keys"):
        plot_training_history(fitted[0], keys=["nope"])


def test_montage_of_images():
    rng = np.random.RandomState(0)
    images = rng.rand(40, 1, 6, 6).astype(np.float32)
    images[:20, 0, :3] += 2.0
    est = IDECClustering(2, random_state=0, **SMALL).fit(images)
    fig = plot_cluster_montage(est, images, n_images=4)
    shown = [ax for ax in fig.axes if ax.images]
    assert len(fig.axes) == 2 * 4
    assert 1 <= len(shown) <= 8
    assert shown[0].images[0].get_array().shape == (6, 6)


def test_montage_of_flat_images_needs_a_shape_when_not_square(fitted):
    est, X, _ = fitted
    with pytest.raises(ValueError, match="image_shape"):
        plot_cluster_montage(est, X)
    fig = plot_cluster_montage(est, X, image_shape=(1, 5), n_images=2)
    assert len(fig.axes) == 3 * 2


def test_contingency_is_reordered_by_matching():
    ax = plot_contingency(["a", "a", "b", "b", "b"], [2, 2, 0, 0, 1])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2", "0", "1"]
    table = ax.images[0].get_array()
    np.testing.assert_array_equal(table, [[2, 0, 0], [0, 2, 1]])


def test_contingency_normalised_rows_sum_to_one():
    ax = plot_contingency([0, 0, 1, 1, 1], [1, 0, 0, 0, 0], normalize=True)
    np.testing.assert_allclose(ax.images[0].get_array().sum(axis=1), 1.0)


def test_contingency_length_mismatch():
    with pytest.raises(ValueError, match="entries"):
        plot_contingency([0, 1], [0])
