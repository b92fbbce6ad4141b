"""The "auto" defaults: batch size, training length and network widths resolved at fit."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

import skdeepcluster
from skdeepcluster import (
    DDCClustering,
    DECClustering,
    DeepClustering,
    DMMClustering,
)
from skdeepcluster.compose import AutoencoderNetwork, JointTraining, PretrainThenCluster
from skdeepcluster.compose.auto import (
    AUTO_MIN_STEPS,
    auto_batch_size,
    auto_epochs,
    auto_hidden_dims,
)

from estimator_registry import NAMES

# The papers' recipes, the defaults before "auto": (batch size, pretraining epochs, epochs,
# hidden widths).  On MNIST-70k (784 features) "auto" must resolve to exactly these.
PAPER_RECIPES = {
    "DECClustering": (256, 100, 100, (500, 500, 2000)),
    "IDECClustering": (256, 100, 100, (500, 500, 2000)),
    "AljalboutClustering": (256, 100, 100, None),  # MNIST as images: convolutional
    "DBCClustering": (256, 100, 100, None),
    "DCNClustering": (256, 100, 50, (500, 500, 2000)),
    "DMAEClustering": (256, 100, 50, (500, 500, 2000)),
    "DMMClustering": (256, 0, 100, None),
    "DDCClustering": (100, 0, 100, (200, 200, 500)),
    "DiscriminativeLatentClustering": (1000, 50, 50, (500, 500, 2000)),
    "NeuralClustering": (256, 0, 100, (500, 500, 2000)),
    "DENClustering": (256, 0, 100, (500, 500, 2000)),
    # The backbone before the hidden layer (1200 too): d-1200-1200-K on every input.
    "IMSATClustering": (250, 0, 50, (1200,)),
    # Flat MNIST: the fully connected network; the paper's thresholds meet after 46 epochs.
    "DACClustering": (128, 0, 46, (200, 200, 500)),
    # VaDE's reference runs 3,000 clustering epochs; "auto" stops at 250, past the lr's floor.
    "VaDEClustering": (100, 100, 250, (500, 500, 2000)),
    # 50 epochs of the main phase after the 5 of the warm-up on the k-means labels.
    "DEPICTClustering": (100, 100, 55, (500, 500, 2000)),
    # The author's code: 10 epochs of pretraining and 50 of joint training on MNIST.
    "EmbeddingSpaceClustering": (100, 10, 50, (500, 500, 2000)),
    # InfoGAN's 5,000 iterations of 128: 10 epochs of 547 batches; MNIST as images: conv.
    "InfoGANClustering": (128, 0, 10, None),
    # JULE trains until its merges reach n_clusters; "auto" is the code's cap of 1,000 epochs.
    "JULEClustering": (100, 0, 1000, (500, 500)),
    "CCNNClustering": (256, 0, 20, (200, 200, 500)),
}
# Presets whose network="auto" is convolutional on MNIST as images.
CONV_AUTO = {"AljalboutClustering", "DBCClustering", "InfoGANClustering"}
# Those of them whose "auto" chooses between the autoencoders.
CONV_AUTO_AUTOENCODERS = ["AljalboutClustering", "DBCClustering"]
# Presets that keep their paper's widths whatever the input's (no "auto" widths).
FIXED_WIDTHS = {"IMSATClustering", "JULEClustering"}
# Presets whose epochs are a cap that training stops before, whatever the data's size.
CAPPED_EPOCHS = {"JULEClustering"}

# Presets whose one phase trains as long as the others' pretraining (the autoencoder alone).
TRAINING_STEPS = {"NeuralClustering": AUTO_MIN_STEPS[0], "DENClustering": AUTO_MIN_STEPS[0],
                  "InfoGANClustering": 5000}  # the paper's iterations, whatever the data


def resolved(model, n_samples, n_features, input_shape=None):
    """What ``model``'s "auto" settings resolve to for data of that shape."""
    model.input_shape_ = input_shape
    model._resolve_auto(model._composition(), n_samples, n_features)
    return model.batch_size_, model.pretrain_epochs_, model.epochs_, model.hidden_dims_


def test_every_preset_has_its_papers_recipe():
    assert set(PAPER_RECIPES) == set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_auto_is_the_papers_recipe_on_mnist(name):
    model = getattr(skdeepcluster, name)(10).to_deep_clustering()
    images = (1, 28, 28) if name in CONV_AUTO else None
    assert resolved(model, 70000, 784, images) == PAPER_RECIPES[name]


@pytest.mark.parametrize(
    "shape, built",
    [((60, 2), "MLPAutoencoder"), ((60, 64), "MLPAutoencoder"),
     ((60, 1, 8, 8), "BatchNormConvAutoencoder"), ((60, 8, 8), "BatchNormConvAutoencoder"),
     ((60, 1, 4, 4), "MLPAutoencoder")],
)
@pytest.mark.parametrize("name", CONV_AUTO_AUTOENCODERS)
def test_auto_network_is_convolutional_for_images_only(name, shape, built):
    X = np.random.default_rng(0).random(shape).astype(np.float32)
    model = getattr(skdeepcluster, name)(3, pretrain_epochs=1, epochs=1, n_init=1, random_state=0)
    model.fit(X)
    assert type(model.net_.module_.autoencoder).__name__ == built
    assert (model.hidden_dims_ is None) == (built != "MLPAutoencoder")


@pytest.mark.parametrize("name", NAMES)
def test_auto_gives_small_data_small_batches_and_enough_steps(name):
    batch, pretrain, epochs, hidden = PAPER_RECIPES[name]
    model = getattr(skdeepcluster, name)(3).to_deep_clustering()
    # 150 samples of 4 features (iris): batches of 32, 5 an epoch; DDC takes them all at once
    got = resolved(model, 150, 4)
    if name == "DDCClustering":
        assert got[0] == 150 and got[2] == 500
    else:
        assert got[0] == 32
        steps = TRAINING_STEPS.get(name, AUTO_MIN_STEPS[1])
        # a capped preset's epochs are its cap, more than the steps need
        assert got[2] == (epochs if name in CAPPED_EPOCHS else steps // 5) and got[2] > steps // 6
    if pretrain:
        assert got[1] == 3000 // 5 and got[1] * 5 >= AUTO_MIN_STEPS[0]
    if name in FIXED_WIDTHS:
        assert got[3] == hidden
    elif hidden is not None:  # a 4-feature input gets a narrow network, in the paper's proportions
        assert got[3][0] == 32 and got[3][-1] / got[3][0] == hidden[-1] / hidden[0]
    # 1,797 digits of 64 pixels: batches of 35, 52 an epoch; the paper's epochs or a few more
    got = resolved(model, 1797, 64)
    assert got[0] == min(batch, 35)
    # DDC trains 1,500 steps on data under 50 of its paper's batches; the others at least that
    epochs = 29 if name == "DDCClustering" else max(epochs, -(-steps // 52))
    assert got[1:3] == (max(pretrain, 58) if pretrain else 0, epochs)
    if hidden is not None and name not in FIXED_WIDTHS:
        assert got[3][0] == 128


def test_auto_batch_size():
    assert auto_batch_size(70000, 256) == 256
    assert auto_batch_size(12800, 256) == 256  # 50 batches of the paper's size
    assert auto_batch_size(10000, 256) == 200
    assert auto_batch_size(1797, 256) == 35
    assert auto_batch_size(150, 256) == 32
    assert auto_batch_size(20, 256) == 20  # all samples in one batch
    assert auto_batch_size(5000, 100) == 100


def test_ddc_trains_data_of_at_most_two_paper_batches_in_one_batch():
    loss = DDCClustering(3).to_deep_clustering().clustering_loss
    assert [loss.auto_batch_size(n) for n in (20, 150, 200, 201, 1797, 70000)] == [
        20, 150, 200, 32, 35, 100]
    assert resolved(DDCClustering(3).to_deep_clustering(), 201, 4)[:3] == (32, 0, 215)
    # an explicit batch size is used as given
    assert resolved(DDCClustering(3, batch_size=50).to_deep_clustering(), 150, 4)[0] == 50


def test_auto_epochs():
    assert auto_epochs(100, 3000, 70000, 256) == 100
    assert auto_epochs(100, 0, 150, 32) == 100  # no minimum: exactly the epochs
    assert auto_epochs(50, 1500, 150, 32) == 300
    assert auto_epochs(50, 1500, 161, 32) == 250  # 6 batches an epoch, the last one short


def test_auto_hidden_dims():
    assert auto_hidden_dims(784, (500, 500, 2000)) == (500, 500, 2000)
    assert auto_hidden_dims(300, (500, 500, 2000)) == (500, 500, 2000)
    assert auto_hidden_dims(64, (500, 500, 2000)) == (128, 128, 512)
    assert auto_hidden_dims(2, (500, 500, 2000)) == (32, 32, 128)
    assert auto_hidden_dims(64, (200, 200, 500)) == (128, 128, 320)
    assert auto_hidden_dims(10, (200, 200, 500)) == (32, 32, 80)


def test_the_schedules_resolve_their_lengths():
    schedule = PretrainThenCluster(100, 50, min_pretrain_steps=3000, min_steps=1500)
    assert schedule.resolve_epochs(150, 32) == (600, 300)
    assert schedule.resolve_epochs(70000, 256) == (100, 50)
    assert PretrainThenCluster(0, 5, min_steps=1500).resolve_epochs(150, 32) == (0, 300)
    assert PretrainThenCluster(2, 3).resolve_epochs(150, 32) == (2, 3)
    assert JointTraining(100, min_steps=1500).resolve_epochs(150, 32) == (0, 300)
    ddc = JointTraining(100, min_steps=1500, small_data_size=5000)
    assert ddc.resolve_epochs(1797, 35) == (0, 29) and ddc.resolve_epochs(5000, 100) == (0, 100)
    # one batch of the whole data set: the full-batch budget, where there is one
    assert JointTraining(100, min_steps=1500, small_data_size=5000,
                         full_batch_steps=500).resolve_epochs(150, 150) == (0, 500)
    assert JointTraining(100, min_steps=1500, small_data_size=5000).resolve_epochs(
        150, 150) == (0, 1500)
    # without a step budget (explicit epochs), the epochs whatever the size
    assert JointTraining(10, small_data_size=5000).resolve_epochs(150, 32) == (0, 10)
    assert resolved(DDCClustering(3, epochs=10).to_deep_clustering(), 150, 4)[2] == 10
    assert AutoencoderNetwork().resolve_hidden_dims(2) == (32, 32, 128)
    assert AutoencoderNetwork(hidden_dims=(8,)).resolve_hidden_dims(2) == (8,)


def test_deep_clustering_without_a_schedule_is_auto():
    model = DeepClustering(3)
    assert resolved(model, 150, 4) == (32, 600, 300, (32, 32, 128))


def test_a_fit_records_the_resolved_settings(blobs):
    X = blobs[0][:100]
    model = DMMClustering(3, n_init=1, random_state=0).fit(X)
    # 100 samples: batches of 32, 4 an epoch, 375 epochs for 1,500 steps
    assert (model.batch_size_, model.pretrain_epochs_, model.epochs_) == (32, 0, 375)
    assert model.n_iter_ == 375


def test_explicit_settings_are_kept(blobs):
    X = blobs[0]
    model = DECClustering(3, hidden_dims=(8,), embedding_dim=2, pretrain_epochs=2, epochs=3,
                          batch_size=50, n_init=1, random_state=0).fit(X)
    assert (model.batch_size_, model.pretrain_epochs_, model.hidden_dims_) == (50, 2, (8,))
    assert model.epochs_ == 3 and model.n_iter_ <= 3
    assert model.get_params()["batch_size"] == 50


def test_auto_is_kept_in_the_parameters_and_resolved_in_attributes(blobs):
    X = blobs[0][:60]
    model = DECClustering(3, embedding_dim=2, pretrain_epochs=1, epochs=1, n_init=1,
                          random_state=0).fit(X)
    assert model.get_params()["batch_size"] == "auto"
    assert model.get_params()["hidden_dims"] == "auto"
    assert model.batch_size_ == 32 and model.hidden_dims_ == (32, 32, 128)
    assert model.net_.module_.autoencoder.encoder[0].out_features == 32


def test_a_fit_that_loses_clusters_warns_and_says_the_training_was_short(blobs):
    X = blobs[0]
    with pytest.warns(ConvergenceWarning, match=r"ended with \d non-empty clusters? out of "
                      r"n_clusters=10.*short \(15 gradient steps: 1 epoch of 15 batches\)"):
        model = DDCClustering(10, hidden_dims=(8,), embedding_dim=4, n_init=1, epochs=1,
                              batch_size=10, random_state=0).fit(X)
    assert len(np.unique(model.labels_)) < 10


def test_a_fit_on_too_few_distinct_samples_warns(blobs):
    X = np.repeat(blobs[0][:2], 10, axis=0)
    with pytest.warns(ConvergenceWarning, match="only 2 distinct samples"):
        DMMClustering(3, n_init=1, epochs=1, random_state=0).fit(X)


def test_a_fit_that_finds_every_cluster_does_not_warn(blobs):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        DMMClustering(3, n_init=1, epochs=5, random_state=0).fit(blobs[0])


def test_the_anchor_metric_follows_the_sign_of_the_data():
    import torch

    from skdeepcluster.compose import PairwiseDiscriminative

    loss = PairwiseDiscriminative()
    assert loss.resolve(torch.rand(20, 3), 20, 2).anchor_metric == "cosine"
    centred = loss.resolve(torch.randn(20, 3), 20, 2)
    assert centred.anchor_metric == "euclidean" and loss.anchor_metric == "auto"
    explicit = PairwiseDiscriminative(n_neighbors=5, anchor_metric="cosine")
    assert explicit.resolve(torch.randn(20, 3), 20, 2) is explicit


def test_the_neighbours_fit_the_samples_a_batch_holds_of_a_cluster():
    import torch

    from skdeepcluster.compose import PairwiseDiscriminative

    X = torch.rand(20, 3)
    # the paper's 5 on its batches of 1,000 of 10 clusters; one on the digits' batches of 35
    assert PairwiseDiscriminative().resolve(X, 1000, 10).n_neighbors == 5
    assert PairwiseDiscriminative().resolve(X, 35, 10).n_neighbors == 1
    assert PairwiseDiscriminative().resolve(X, 32, 4).n_neighbors == 4
    assert PairwiseDiscriminative(n_neighbors=3).resolve(X, 35, 10).n_neighbors == 3


def test_discriminative_separates_a_circle_from_its_ring_at_auto():
    from sklearn.datasets import make_circles
    from sklearn.preprocessing import StandardScaler

    from skdeepcluster import DiscriminativeLatentClustering
    from skdeepcluster.metrics import clustering_accuracy

    X, y = make_circles(300, noise=0.1, factor=0.1, random_state=0)
    X = StandardScaler().fit_transform(X)
    params = dict(hidden_dims=(32,), pretrain_epochs=30, epochs=10, n_init=2, random_state=0)
    model = DiscriminativeLatentClustering(2, **params).fit(X)
    assert clustering_accuracy(y, model.labels_) > 0.95
    # the cosine joins the circle and the ring along each direction from the centre
    cosine = DiscriminativeLatentClustering(2, anchor_metric="cosine", **params).fit(X)
    assert clustering_accuracy(y, cosine.labels_) < 0.8
