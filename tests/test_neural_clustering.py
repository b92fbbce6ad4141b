"""Neural Clustering and the composition without a clustering loss."""

import numpy as np
import pytest
from sklearn.cluster import AgglomerativeClustering, KMeans
from sklearn.datasets import make_blobs
from sklearn.mixture import GaussianMixture
from sklearn.preprocessing import StandardScaler

from skdeepcluster import NeuralClustering
from skdeepcluster.compose import (
    AutoencoderNetwork,
    DeepClustering,
    JointTraining,
    NoClusteringLoss,
    Reconstruction,
)
from threads import one_torch_thread


@pytest.fixture
def blobs():
    X, y = make_blobs(n_samples=90, n_features=6, centers=3, random_state=0)
    return StandardScaler().fit_transform(X), y


def test_the_features_are_every_encoder_layer_side_by_side(blobs):
    X, _ = blobs
    with one_torch_thread():
        model = NeuralClustering(3, hidden_dims=(16, 8), embedding_dim=4, epochs=2,
                                 n_init=2, random_state=0).fit(X)
    features = model.transform(X)
    assert features.shape == (90, 16 + 8 + 4)
    # the hidden layers are ReLU outputs, the embedding is linear
    assert (features[:, :24] >= 0).all() and (features[:, 24:] < 0).any()
    autoencoder = model.net_.module_.autoencoder
    import torch

    with torch.no_grad():
        z = autoencoder.encoder(torch.as_tensor(X, dtype=torch.float32)).numpy()
    np.testing.assert_allclose(features[:, 24:], z, rtol=1e-5, atol=1e-6)
    # the labels are k-means' on those features, which also predicts
    assert isinstance(model.readout_, KMeans)
    np.testing.assert_array_equal(model.labels_, model.readout_.predict(features))
    np.testing.assert_array_equal(model.predict(X), model.labels_)
    np.testing.assert_allclose(model.cluster_centers_, model.readout_.cluster_centers_)


def test_embedding_features_are_the_autoencoder_then_kmeans_baseline(blobs):
    X, _ = blobs
    with one_torch_thread():
        model = NeuralClustering(3, features="embedding", hidden_dims=(16,), embedding_dim=4,
                                 epochs=2, n_init=2, random_state=0).fit(X)
    assert model.transform(X).shape == (90, 4)
    assert model.cluster_centers_.shape == (3, 4)


def test_the_network_trains_on_reconstruction_alone(blobs):
    X, _ = blobs
    with one_torch_thread():
        model = NeuralClustering(3, hidden_dims=(16,), epochs=20, n_init=2,
                                 random_state=0).fit(X)
    losses = model.history_[:, "train_loss"]
    assert losses[-1] < 0.5 * losses[0]
    assert model.n_iter_ == len(losses) == model.epochs_


def test_any_clusterer_reads_the_features(blobs):
    X, y = blobs
    with one_torch_thread():
        model = NeuralClustering(3, hidden_dims=(16,), epochs=2, random_state=0,
                                 clusterer=GaussianMixture(covariance_type="diag")).fit(X)
    assert model.readout_.n_components == 3
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    # a clusterer that cannot predict new data is refused by the parameter check
    with pytest.raises(ValueError, match="clusterer"):
        NeuralClustering(3, clusterer=AgglomerativeClustering()).fit(X)


def test_to_deep_clustering_gives_the_same_labels(blobs):
    X, _ = blobs
    preset = NeuralClustering(3, hidden_dims=(16,), epochs=2, n_init=2, random_state=0)
    with one_torch_thread():
        labels = preset.fit(X).labels_
        composed = preset.to_deep_clustering().fit(X).labels_
    np.testing.assert_array_equal(labels, composed)


def test_no_clustering_loss_needs_a_clusterer_and_something_to_train_on(blobs):
    X, _ = blobs
    base = dict(network=AutoencoderNetwork(hidden_dims=(8,), embedding_dim=2),
                clustering_loss=NoClusteringLoss(), schedule=JointTraining(1))
    with pytest.raises(ValueError, match="readout='assignments' has no assignments"):
        DeepClustering(3, non_clustering_loss=Reconstruction(), **base).fit(X)
    with pytest.raises(ValueError, match="there is none; pass non_clustering_loss"):
        DeepClustering(3, readout=KMeans(n_init=1), **base).fit(X)
    with one_torch_thread():
        model = DeepClustering(3, non_clustering_loss=Reconstruction(), readout=KMeans(n_init=1),
                               random_state=0, **base).fit(X)
    assert model.labels_.shape == (90,)
