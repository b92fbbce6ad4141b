"""Image augmentation: shapes, identity at zero strength, geometry, and use in pretraining."""

import numpy as np
import pytest
import torch

from sklearn.utils._param_validation import InvalidParameterError

from skdeepcluster import DCNClustering, DECClustering, DMAEClustering, IDECClustering
from skdeepcluster.augment import ImageAugmentation
from skdeepcluster.engine import DeepClusteringNet
from skdeepcluster.losses import ReconstructionLoss
from skdeepcluster.networks import MLPAutoencoder


def test_zero_strength_is_the_identity():
    x = torch.rand(4, 2 * 6 * 5)
    out = ImageAugmentation((2, 6, 5), rotation=0.0, shift=0.0)(x)
    torch.testing.assert_close(out, x, atol=1e-5, rtol=0)


def test_keeps_the_shape_of_flat_and_image_batches():
    augment = ImageAugmentation((1, 8, 8))
    assert augment(torch.rand(3, 64)).shape == (3, 64)
    assert augment(torch.rand(3, 1, 8, 8)).shape == (3, 1, 8, 8)


def test_pure_shift_moves_a_pixel_by_the_drawn_amount():
    # With rotation 0 the image moves by at most shift * size pixels in each direction.
    image = torch.zeros(1, 1, 21, 21)
    image[0, 0, 10, 10] = 1.0
    torch.manual_seed(0)
    out = ImageAugmentation((1, 21, 21), rotation=0.0, shift=0.2)(image.repeat(50, 1, 1, 1))
    rows = out.sum(dim=3).argmax(dim=2).flatten().float()
    cols = out.sum(dim=2).argmax(dim=2).flatten().float()
    assert (rows - 10).abs().max() <= 0.2 * 21 + 1
    assert (cols - 10).abs().max() <= 0.2 * 21 + 1
    assert (rows != 10).any() and (cols != 10).any()  # something did move


def test_rotation_preserves_a_centred_disc():
    yy, xx = torch.meshgrid(torch.arange(15.0), torch.arange(15.0), indexing="ij")
    disc = (((yy - 7) ** 2 + (xx - 7) ** 2) <= 16).float().reshape(1, 225)
    out = ImageAugmentation((1, 15, 15), rotation=45.0, shift=0.0)(disc.repeat(8, 1))
    assert torch.allclose(out.sum(dim=1), disc.sum(), rtol=0.05)


def test_draws_from_the_seeded_global_generator():
    augment = ImageAugmentation((1, 8, 8))
    x = torch.rand(4, 64)
    torch.manual_seed(3)
    a = augment(x)
    torch.manual_seed(3)
    b = augment(x)
    torch.testing.assert_close(a, b)
    assert not torch.allclose(a, augment(x))


@pytest.mark.parametrize("kwargs", [dict(input_shape=(28, 28)), dict(input_shape=(1, 8, 8), rotation=-1)])
def test_bad_parameters(kwargs):
    with pytest.raises(ValueError):
        ImageAugmentation(**kwargs)


def test_engine_augments_training_batches_only():
    seen = []

    def augmentation(x):
        seen.append(x.shape[0])
        return x + 1.0

    net = DeepClusteringNet(
        MLPAutoencoder(4, (3,), 2),
        ReconstructionLoss(),
        augmentation=augmentation,
        max_epochs=1,
        batch_size=5,
        train_split=None,
        optimizer=torch.optim.Adam,
    )
    net.fit(torch.rand(10, 4), None)
    assert seen == [5, 5]
    n_seen = len(seen)
    net.forward(torch.rand(10, 4))
    assert len(seen) == n_seen


@pytest.fixture(scope="module")
def images():
    rng = np.random.RandomState(0)
    X = np.zeros((60, 1, 8, 8), dtype=np.float32)
    for i in range(60):
        r, c = rng.randint(1, 6, size=2)
        X[i, 0, r : r + 2, c : c + 2] = 1.0 if i % 2 else 0.5
    return X


SMALL = dict(hidden_dims=(16,), embedding_dim=2, pretrain_epochs=3, epochs=2, n_init=2, batch_size=16)


@pytest.mark.parametrize("Estimator", [DECClustering, IDECClustering, DCNClustering])
def test_estimators_pretrain_on_augmented_images(Estimator, images):
    plain = Estimator(2, random_state=0, **SMALL).fit(images)
    augmented = Estimator(2, augment=True, random_state=0, **SMALL).fit(images)
    again = Estimator(2, augment=True, random_state=0, **SMALL).fit(images)
    plain_loss = plain.pretrain_history_[:, "train_loss"]
    augmented_loss = augmented.pretrain_history_[:, "train_loss"]
    assert plain_loss != augmented_loss
    assert augmented_loss == again.pretrain_history_[:, "train_loss"]
    np.testing.assert_array_equal(augmented.labels_, again.labels_)


@pytest.mark.parametrize("Estimator", [DECClustering, IDECClustering, DCNClustering])
def test_augment_clustering_trains_the_clustering_phase_on_augmented_images(Estimator, images):
    plain = Estimator(2, augment=True, random_state=0, **SMALL).fit(images)
    both = Estimator(2, augment=True, augment_clustering=True, random_state=0, **SMALL).fit(images)
    again = Estimator(2, augment=True, augment_clustering=True, random_state=0, **SMALL).fit(images)
    # Same pretraining, another clustering phase, reproducible.
    assert plain.pretrain_history_[:, "train_loss"] == both.pretrain_history_[:, "train_loss"]
    assert plain.history_[:, "train_loss"] != both.history_[:, "train_loss"]
    assert both.history_[:, "train_loss"] == again.history_[:, "train_loss"]
    np.testing.assert_array_equal(both.labels_, again.labels_)
    # Inference is never augmented.
    np.testing.assert_array_equal(both.predict(images), both.labels_)


def test_augment_clustering_alone_keeps_pretraining_plain(images):
    plain = DECClustering(2, random_state=0, **SMALL).fit(images)
    clustering_only = DECClustering(2, augment_clustering=True, random_state=0, **SMALL).fit(images)
    pretraining = plain.pretrain_history_[:, "train_loss"]
    assert pretraining == clustering_only.pretrain_history_[:, "train_loss"]
    assert plain.history_[:, "train_loss"] != clustering_only.history_[:, "train_loss"]


def test_augment_clustering_needs_images_and_says_so_before_training():
    X = np.random.RandomState(0).rand(30, 5)
    est = DECClustering(2, augment_clustering=True, random_state=0, **SMALL)
    with pytest.raises(ValueError, match="augment_clustering=True needs images"):
        est.fit(X)
    assert not hasattr(est, "pretrain_history_")


def test_flat_input_with_input_shape_can_be_augmented(images):
    flat = images.reshape(60, -1)
    est = DECClustering(2, augment=True, input_shape=(1, 8, 8), random_state=0, **SMALL)
    assert est.fit(flat).labels_.shape == (60,)


def test_augment_needs_images():
    X = np.random.RandomState(0).rand(30, 5)
    with pytest.raises(ValueError, match="augment=True needs images"):
        DECClustering(2, augment=True, random_state=0, **SMALL).fit(X)


def test_engine_forward_concatenates_dict_outputs():
    net = DeepClusteringNet(
        MLPAutoencoder(4, (3,), 2), ReconstructionLoss(), max_epochs=1, batch_size=4,
        train_split=None, optimizer=torch.optim.Adam,
    )
    net.fit(torch.rand(10, 4), None)
    out = net.forward(torch.rand(10, 4))
    assert out["embedding"].shape == (10, 2) and out["reconstruction"].shape == (10, 4)


@pytest.mark.parametrize("Estimator", [DECClustering, IDECClustering, DCNClustering, DMAEClustering])
def test_augmentation_ranges_reach_the_training_batches(Estimator, images):
    est = Estimator(2, augment_clustering=True, augment_rotation=17.0, augment_shift=0.05,
                    random_state=0, **SMALL).fit(images)
    assert (est.net_.augmentation.rotation, est.net_.augmentation.shift) == (17.0, 0.05)
    default = Estimator(2, augment=True, random_state=0, **SMALL).fit(images)
    stronger = Estimator(2, augment=True, augment_rotation=40.0, augment_shift=0.3,
                         random_state=0, **SMALL).fit(images)
    assert default.pretrain_history_[:, "train_loss"] != stronger.pretrain_history_[:, "train_loss"]


@pytest.mark.parametrize(
    "Estimator, ranges",
    [(DECClustering, (10.0, 0.1)), (IDECClustering, (10.0, 0.1)), (DCNClustering, (10.0, 0.1)),
     (DMAEClustering, (17.19, 2 / 28))],  # DEC-DA's ranges; DMAE's authors' 0.3 rad and 2 px
)
def test_default_augmentation_ranges(Estimator, ranges, images):
    est = Estimator(2, augment_clustering=True, random_state=0, **SMALL).fit(images)
    assert (est.net_.augmentation.rotation, est.net_.augmentation.shift) == ranges


@pytest.mark.parametrize("kwargs", [dict(augment_rotation=-1.0), dict(augment_rotation=181.0),
                                    dict(augment_shift=-0.1), dict(augment_shift=1.5),
                                    dict(augment_rotation="10")])
def test_bad_augmentation_ranges(kwargs, images):
    with pytest.raises(InvalidParameterError, match="augment_"):
        DECClustering(2, augment=True, **kwargs, **SMALL).fit(images)
