"""DBC: the boosted target, its path to the training, and the preset."""

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV

import skdeepcluster.updates
from skdeepcluster import DBCClustering, DECClustering
from skdeepcluster.losses import target_distribution
from skdeepcluster.metrics import CLUSTERING_SCORERS

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

FAST = dict(pretrain_epochs=2, epochs=2, n_init=2, batch_size=32, random_state=0)


@pytest.fixture(scope="module")
def images():
    """120 of the 8x8 digits 0, 1 and 2 as one-channel images in [0, 1], and their labels."""
    digits = load_digits(n_class=3)
    X = (digits.images[:120] / 16.0).astype(np.float32)[:, None]
    return X, digits.target[:120]


def test_boosted_target_by_hand():
    q = torch.tensor([[0.75, 0.25], [0.25, 0.75], [0.5, 0.5]])
    # f = (1.5, 1.5); q^3 / f normalised per row: 0.421875 / (0.421875 + 0.015625)
    expected = torch.tensor([[27 / 28, 1 / 28], [1 / 28, 27 / 28], [0.5, 0.5]])
    torch.testing.assert_close(target_distribution(q, power=3), expected)


@pytest.mark.parametrize("power", [1.0, 2.0, 4.0])
def test_boosted_target_is_the_papers_formula(power):
    q = torch.softmax(torch.randn(7, 3, generator=torch.Generator().manual_seed(0)), dim=1)
    weight = q**power / q.sum(dim=0)
    torch.testing.assert_close(
        target_distribution(q, power), weight / weight.sum(dim=1, keepdim=True)
    )
    if power == 2.0:  # DEC's target is the default
        torch.testing.assert_close(target_distribution(q), target_distribution(q, power))


def test_larger_boost_sharpens_the_target():
    q = torch.softmax(torch.randn(50, 4, generator=torch.Generator().manual_seed(1)), dim=1)
    peaks = [target_distribution(q, power).max(dim=1).values.mean() for power in (1, 2, 4)]
    assert peaks[0] < peaks[1] < peaks[2]


def test_boost_reaches_every_target_refresh(images, monkeypatch):
    powers = []

    def spy(q, power=2.0):
        powers.append(power)
        return target_distribution(q, power)

    monkeypatch.setattr(skdeepcluster.updates, "target_distribution", spy)
    DBCClustering(3, boost=3.5, update_interval=2, **FAST).fit(images[0])
    assert len(powers) > 1 and set(powers) == {3.5}


def test_images_get_the_fully_convolutional_autoencoder(images):
    model = DBCClustering(3, **FAST).fit(images[0])
    assert type(model.net_.module_.autoencoder).__name__ == "BatchNormConvAutoencoder"
    assert model.input_shape_ == (1, 8, 8)
    assert model.transform(images[0]).shape == (120, 10)
    # flat images with their shape, and new data
    flat = images[0].reshape(120, -1)
    model = DBCClustering(3, input_shape=(1, 8, 8), **FAST).fit(flat)
    assert model.predict(flat[:5]).shape == (5,)


def test_boost_two_is_dec_on_the_same_network(images):
    X = images[0]
    dbc = DBCClustering(3, boost=2.0, **FAST).fit(X)
    dec = DECClustering(3, network="conv_bn", **FAST).fit(X)
    np.testing.assert_array_equal(dbc.labels_, dec.labels_)
    np.testing.assert_allclose(dbc.cluster_centers_, dec.cluster_centers_, rtol=1e-5)


def test_boost_changes_the_training(images):
    X = images[0]
    low = DBCClustering(3, boost=1.5, update_interval=2, **FAST).fit(X)
    high = DBCClustering(3, boost=6.0, update_interval=2, **FAST).fit(X)
    assert not np.allclose(low.history_[:, "train_loss"], high.history_[:, "train_loss"])


def test_grid_search_over_the_boost(images):
    X, y = images
    search = GridSearchCV(
        DBCClustering(3, **FAST), {"boost": [1.5, 3.0]},
        scoring=CLUSTERING_SCORERS["accuracy"], cv=[(np.arange(len(X)),) * 2],
    ).fit(X, y)
    assert search.best_params_["boost"] in (1.5, 3.0)
    assert 0.0 <= search.best_score_ <= 1.0


@pytest.mark.parametrize("boost", [0.0, -1.0, "two"])
def test_bad_boost_is_refused(images, boost):
    with pytest.raises(ValueError, match="boost"):
        DBCClustering(3, boost=boost, **FAST).fit(images[0])


def test_flat_non_square_input_needs_the_mlp_or_a_shape():
    X = np.random.default_rng(0).random((40, 10)).astype(np.float32)
    with pytest.raises(ValueError, match="images"):
        DBCClustering(2, network="conv_bn", **FAST).fit(X)
    assert DBCClustering(2, **FAST).fit(X).hidden_dims_ is not None  # "auto": the MLP
