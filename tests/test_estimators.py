"""Behaviour of DECClustering and IDECClustering as scikit-learn clusterers."""

import pickle

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback
from skorch.history import History
from sklearn.base import clone
from sklearn.cluster import KMeans
from sklearn.datasets import load_digits, make_blobs
from sklearn.exceptions import NotFittedError
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted
from estimator_registry import IMAGE_NETWORKS, WEIGHT_INIT, make
from threads import one_torch_thread
from toy_data import standardized_blobs
from torch import nn

from skdeepcluster import DCNClustering, DECClustering, DMAEClustering, IDECClustering
from skdeepcluster.metrics import CLUSTERING_SCORERS
from skdeepcluster.networks import BatchNormConvAutoencoder, ConvAutoencoder

# Small network, few epochs: enough for the API checks.
SMALL = dict(
    hidden_dims=(32,), embedding_dim=2, pretrain_epochs=10, epochs=5, n_init=3, batch_size=32
)
# Enough training to separate three well-separated blobs, in about a second on one core.
GOOD = dict(
    hidden_dims=(32,), embedding_dim=2, pretrain_epochs=20, epochs=10, n_init=5, batch_size=32
)


@pytest.fixture(scope="module")
def fitted_dec(blobs):
    with one_torch_thread():
        return DECClustering(3, random_state=0, **SMALL).fit(blobs[0])


@pytest.fixture(scope="module")
def fitted_idec(blobs):
    with one_torch_thread():
        return IDECClustering(3, random_state=0, **SMALL).fit(blobs[0])


@pytest.fixture(params=["dec", "idec"])
def fitted(request, fitted_dec, fitted_idec):
    return {"dec": fitted_dec, "idec": fitted_idec}[request.param]


# --- scikit-learn workflows ---------------------------------------------------


def test_drop_in_replacement_for_kmeans_in_pipeline():
    X, y = make_blobs(n_samples=150, centers=3, cluster_std=0.5, random_state=1)
    X = X * 20 + 100  # unscaled: the pipeline's scaler handles it
    for clusterer in (
        KMeans(3, n_init=3, random_state=0),
        DECClustering(3, random_state=0, **GOOD),
    ):
        pipe = Pipeline([("scale", StandardScaler()), ("cluster", clusterer)])
        labels = pipe.fit_predict(X)
        assert labels.shape == (150,)
        np.testing.assert_array_equal(pipe.predict(X), labels)
        np.testing.assert_array_equal(pipe.named_steps["cluster"].labels_, labels)
        assert adjusted_rand_score(y, labels) > 0.9


def test_grid_search_with_clustering_scorers():
    X, y = standardized_blobs(300, random_state=2)
    search = GridSearchCV(
        IDECClustering(3, random_state=0, **GOOD),
        {"gamma": [0.05, 0.1]},
        scoring=CLUSTERING_SCORERS,
        refit="accuracy",
        cv=2,
    )
    search.fit(X, y)
    assert search.best_score_ > 0.6
    for name in ("accuracy", "nmi", "ari"):
        scores = search.cv_results_[f"mean_test_{name}"]
        assert scores.shape == (2,)
        assert np.all(np.isfinite(scores))
    assert search.best_params_["gamma"] in (0.05, 0.1)
    assert search.best_estimator_.gamma == search.best_params_["gamma"]
    assert search.predict(X).shape == (300,)


def test_clone_gives_unfitted_equal_params(fitted):
    cloned = clone(fitted)
    assert type(cloned) is type(fitted)
    assert cloned.get_params() == fitted.get_params()
    with pytest.raises(NotFittedError):
        check_is_fitted(cloned)
    for attribute in ("labels_", "net_", "cluster_centers_", "n_iter_"):
        assert not hasattr(cloned, attribute)


def test_pickle_round_trip(fitted, blobs):
    X = blobs[0]
    restored = pickle.loads(pickle.dumps(fitted))
    for method in ("predict", "transform", "predict_proba"):
        np.testing.assert_array_equal(getattr(restored, method)(X), getattr(fitted, method)(X))
        X32 = X.astype(np.float32)
        np.testing.assert_array_equal(getattr(restored, method)(X32), getattr(fitted, method)(X32))
    np.testing.assert_array_equal(restored.labels_, fitted.labels_)
    np.testing.assert_array_equal(restored.cluster_centers_, fitted.cluster_centers_)


@pytest.mark.parametrize("Estimator", [DECClustering, IDECClustering])
def test_same_random_state_same_result(Estimator, blobs, fitted_dec, fitted_idec):
    X = blobs[0]
    first = {DECClustering: fitted_dec, IDECClustering: fitted_idec}[Estimator]
    second = Estimator(3, random_state=0, **SMALL).fit(X)
    np.testing.assert_array_equal(second.labels_, first.labels_)
    np.testing.assert_array_equal(second.transform(X), first.transform(X))
    np.testing.assert_array_equal(second.cluster_centers_, first.cluster_centers_)
    other = Estimator(3, random_state=1, **SMALL).fit(X)
    assert not np.allclose(other.transform(X), first.transform(X))


def test_fit_does_not_disturb_global_torch_rng(blobs):
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    DECClustering(3, random_state=0, **dict(SMALL, pretrain_epochs=1, epochs=1)).fit(blobs[0])
    assert torch.equal(torch.rand(3), expected)


@pytest.mark.parametrize("kind", ["float64", "float32", "read-only"])
def test_input_unchanged_and_dtype_preserved(kind, blobs):
    X = blobs[0].astype(np.float32 if kind == "float32" else np.float64)
    if kind == "read-only":
        X.flags.writeable = False
    original = X.copy()
    est = DECClustering(3, random_state=0, **dict(SMALL, pretrain_epochs=3, epochs=2)).fit(X)
    for method in ("predict", "transform", "predict_proba", "score"):
        getattr(est, method)(X)
    np.testing.assert_array_equal(X, original)
    assert X.dtype == original.dtype
    assert est.transform(X).dtype == X.dtype
    assert est.predict_proba(X).dtype == X.dtype
    assert est.transform(X.astype(np.float64)).dtype == np.float64
    assert est.transform(X.astype(np.float32)).dtype == np.float32


def test_transform_dtype_follows_input(fitted, blobs):
    X = blobs[0]
    z64 = fitted.transform(X)
    z32 = fitted.transform(X.astype(np.float32))
    assert z64.dtype == np.float64
    assert z32.dtype == np.float32
    assert z64.shape == z32.shape == (len(X), SMALL["embedding_dim"])
    np.testing.assert_allclose(z32, z64, rtol=1e-4, atol=1e-5)


def test_predict_proba_rows_sum_to_one_and_argmax_is_predict(fitted, blobs):
    X = blobs[0]
    proba = fitted.predict_proba(X)
    assert proba.shape == (len(X), 3)
    assert np.all(proba >= 0)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-10)
    np.testing.assert_array_equal(proba.argmax(axis=1), fitted.predict(X))


def test_fitted_attributes(fitted, blobs):
    X = blobs[0]
    np.testing.assert_array_equal(fitted.labels_, fitted.predict(X))
    assert fitted.labels_.dtype == np.int64
    assert fitted.labels_.shape == (len(X),)
    assert fitted.cluster_centers_.shape == (3, SMALL["embedding_dim"])
    assert fitted.cluster_centers_.dtype == np.float64
    assert isinstance(fitted.n_iter_, int) and fitted.n_iter_ >= 1
    assert isinstance(fitted.history_, History)
    assert len(fitted.history_) == fitted.n_iter_
    assert isinstance(fitted.pretrain_history_, History)
    assert len(fitted.pretrain_history_) == SMALL["pretrain_epochs"]
    assert fitted.device_ == ("cuda" if torch.cuda.is_available() else "cpu")
    assert fitted.n_features_in_ == 2
    assert fitted.input_shape_ is None
    assert list(fitted.get_feature_names_out()) == [
        f"{type(fitted).__name__.lower()}{i}" for i in range(SMALL["embedding_dim"])
    ]
    score = fitted.score(X)
    assert isinstance(score, float) and score <= 0


@pytest.mark.skipif(
    tuple(int(p) for p in torch.__version__.split(".")[:2]) < (2, 4),
    reason="fused Adam runs on the CPU from torch 2.4 on",
)
def test_adam_by_name_runs_fused_on_cpu_with_the_same_updates(blobs):
    X = blobs[0]
    ours = IDECClustering(3, optimizer="adam", device="cpu", random_state=0, **SMALL).fit(X)
    assert ours.net_.optimizer_.defaults["fused"] is True
    # A class the user passes is used as given: same updates, unfused.
    theirs = IDECClustering(
        3, optimizer=torch.optim.Adam, device="cpu", random_state=0, **SMALL
    ).fit(X)
    assert not theirs.net_.optimizer_.defaults["fused"]
    np.testing.assert_allclose(
        ours.history_[:, "train_loss"], theirs.history_[:, "train_loss"], rtol=1e-4
    )
    np.testing.assert_allclose(ours.cluster_centers_, theirs.cluster_centers_, rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize(
    "Estimator", [DECClustering, IDECClustering, DCNClustering, DMAEClustering]
)
def test_pretrain_optimizer(Estimator, blobs):
    X = blobs[0]
    steps = []

    class CountingSGD(torch.optim.SGD):
        def step(self, closure=None):
            steps.append(1)
            return super().step(closure)

    params = dict(device="cpu", random_state=0, **SMALL)
    counted = Estimator(3, pretrain_optimizer=CountingSGD, pretrain_lr=0.1, **params).fit(X)
    n_batches = -(-len(X) // SMALL["batch_size"])
    assert len(steps) == SMALL["pretrain_epochs"] * n_batches
    # By name, "sgd" is SGD with momentum 0.9: its pretraining differs from Adam's.
    sgd = Estimator(3, pretrain_optimizer="sgd", pretrain_lr=0.1, **params).fit(X)
    adam = Estimator(3, pretrain_lr=0.1, **params).fit(X)
    sgd_loss = sgd.pretrain_history_[:, "train_loss"]
    assert not np.allclose(sgd_loss, adam.pretrain_history_[:, "train_loss"])
    assert not np.allclose(sgd_loss, counted.pretrain_history_[:, "train_loss"])
    with pytest.raises(ValueError, match="pretrain_optimizer"):
        Estimator(3, pretrain_optimizer="adagrad", **params).fit(X)


@pytest.mark.parametrize("Estimator", [DECClustering, IDECClustering])
def test_first_target_from_the_kmeans_embeddings_changes_nothing(Estimator, blobs, monkeypatch):
    # The clustering phase starts from the embeddings k-means was fitted on instead of
    # encoding the training set again; the fit is the same as with that extra pass.
    from skdeepcluster.engine import TargetDistributionUpdate

    params = dict(SMALL, update_interval=3)
    reused = Estimator(3, random_state=0, **params).fit(blobs[0])
    monkeypatch.setattr(TargetDistributionUpdate, "start_from", lambda self, embeddings: self)
    passed_over = Estimator(3, random_state=0, **params).fit(blobs[0])
    np.testing.assert_array_equal(reused.labels_, passed_over.labels_)
    assert reused.history_[:, "train_loss"] == passed_over.history_[:, "train_loss"]
    assert reused.history_[:, "delta_label"] == passed_over.history_[:, "delta_label"]


def test_dec_and_idec_losses(fitted_dec, fitted_idec):
    # The clustering term and the reconstruction term of the composed criterion.
    assert not fitted_dec.net_.module_.reconstruct
    assert len(fitted_dec.net_.criterion_.terms) == 0
    assert fitted_idec.net_.module_.reconstruct
    assert [term.weight for term in fitted_idec.net_.criterion_.terms] == [1.0]
    assert fitted_idec.net_.criterion_.clustering.clustering_weight == fitted_idec.gamma
    # The training target is not kept with the fitted model.
    assert fitted_dec.net_.criterion_.clustering.target is None


def test_no_pretraining_gives_no_pretrain_history(blobs):
    est = DECClustering(3, random_state=0, **dict(SMALL, pretrain_epochs=0, epochs=2)).fit(blobs[0])
    assert est.pretrain_history_ is None
    assert est.labels_.shape == (len(blobs[0]),)


# --- images -------------------------------------------------------------------


def blurred_blob_images(n_per_class=20, size=12, random_state=0):
    """Three classes of one-channel images, each a Gaussian bump near a class-specific spot."""
    rng = np.random.default_rng(random_state)
    yy, xx = np.mgrid[0:size, 0:size]
    images, labels = [], []
    for label, (cy, cx) in enumerate([(3, 3), (8, 8), (3, 8)]):
        for _ in range(n_per_class):
            dy, dx = rng.normal(0, 0.5, size=2)
            bump = np.exp(-((yy - cy - dy) ** 2 + (xx - cx - dx) ** 2) / (2 * 1.5**2))
            images.append(bump + 0.05 * rng.normal(size=bump.shape))
            labels.append(label)
    return np.array(images)[:, None, :, :], np.array(labels)


CONV = dict(network="conv", embedding_dim=3, pretrain_epochs=3, epochs=2, n_init=2, batch_size=32)


@pytest.fixture(scope="module")
def images():
    return blurred_blob_images()[0]


@pytest.fixture(scope="module")
def fitted_conv(images):
    with one_torch_thread():
        return DECClustering(3, random_state=0, **CONV).fit(images)


def test_conv_on_images(fitted_conv, images):
    assert isinstance(fitted_conv.net_.module_.autoencoder, ConvAutoencoder)
    assert fitted_conv.input_shape_ == (1, 12, 12)
    assert fitted_conv.n_features_in_ == 144
    assert fitted_conv.labels_.shape == (60,)
    np.testing.assert_array_equal(fitted_conv.predict(images), fitted_conv.labels_)
    assert fitted_conv.transform(images).shape == (60, 3)
    # Flat rows of the same images are accepted at predict time.
    np.testing.assert_array_equal(fitted_conv.predict(images.reshape(60, -1)), fitted_conv.labels_)


def test_conv_on_flat_images_with_input_shape(fitted_conv, images):
    flat = images.reshape(60, -1)
    est = DECClustering(3, random_state=0, input_shape=(1, 12, 12), **CONV).fit(flat)
    assert est.input_shape_ == (1, 12, 12)
    # The same network and data as the fit on (n, 1, 12, 12): the same result.
    np.testing.assert_array_equal(est.labels_, fitted_conv.labels_)
    np.testing.assert_array_equal(est.predict(images), est.labels_)


def test_conv_on_flat_square_images_without_input_shape(images):
    est = DECClustering(3, random_state=0, **dict(CONV, pretrain_epochs=1, epochs=1))
    est.fit(images.reshape(60, -1))
    assert est.input_shape_ == (1, 12, 12)


@pytest.mark.parametrize("shape", [(1, 16, 9), (4, 6, 6), (1, 13, 13)])
def test_conv_predict_on_other_image_shape_raises(fitted_conv, shape):
    other = np.zeros((5, *shape))
    with pytest.raises(ValueError, match="shape|features"):
        fitted_conv.predict(other)


def test_conv_input_shape_must_match_features(images):
    est = DECClustering(3, input_shape=(1, 10, 10), **CONV)
    with pytest.raises(ValueError, match="input_shape"):
        est.fit(images.reshape(60, -1))


def test_conv_needs_an_image_shape():
    X = np.random.default_rng(0).normal(size=(20, 150))  # not a square
    with pytest.raises(ValueError, match="input_shape"):
        DECClustering(3, **CONV).fit(X)


@pytest.mark.parametrize(
    "name", [name for name, network in IMAGE_NETWORKS if network == "conv_bn"]
)
def test_batchnorm_conv_network(images, name):
    params = dict(n_clusters=3, network="conv_bn", embedding_dim=3, pretrain_epochs=2,
                  epochs=2, batch_size=16, random_state=0)
    with one_torch_thread():
        est = make(name, **params).fit(images)
        again = make(name, **params).fit(images)
    networks = [m for m in est.net_.module_.modules() if isinstance(m, BatchNormConvAutoencoder)]
    assert len(networks) == 1 and networks[0].input_shape == (1, 12, 12)
    # Training normalised by batch statistics and kept running ones for inference.
    norms = [m for m in networks[0].modules() if isinstance(m, nn.BatchNorm2d)]
    assert all(m.num_batches_tracked > 0 for m in norms)
    labels = est.predict(images)
    np.testing.assert_array_equal(labels, est.labels_)
    # Inference does not depend on the batch: one image at a time gives the same labels.
    np.testing.assert_array_equal([est.predict(images[i : i + 1])[0] for i in range(5)], labels[:5])
    np.testing.assert_array_equal(again.labels_, est.labels_)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(est)).predict(images), labels)


@pytest.mark.parametrize("name", WEIGHT_INIT)
def test_weight_init_changes_the_start_reproducibly(blobs, name):
    X = blobs[0]
    params = dict(n_clusters=3, pretrain_epochs=1, epochs=1, random_state=0)
    params = {k: v for k, v in params.items() if k in make(name).get_params()}
    with one_torch_thread():
        glorot = make(name, weight_init="glorot", **params).fit(X).transform(X)
        again = make(name, weight_init="glorot", **params).fit(X).transform(X)
        torch_init = make(name, weight_init="torch", **params).fit(X).transform(X)
    np.testing.assert_array_equal(glorot, again)
    assert not np.allclose(glorot, torch_init)


@pytest.mark.parametrize(
    "name", [name for name in WEIGHT_INIT if "encoder" in make(name).get_params()]
)
def test_weight_init_leaves_your_own_modules_alone(blobs, name, monkeypatch):
    import skdeepcluster.compose.networks

    calls = []
    monkeypatch.setattr(skdeepcluster.compose.networks, "glorot_init", calls.append)
    X = blobs[0]
    params = dict(n_clusters=3, weight_init="glorot", pretrain_epochs=1, epochs=1, random_state=0)
    params = {k: v for k, v in params.items() if k in make(name).get_params()}
    encoder, decoder = nn.Linear(2, 2), nn.Linear(2, 2)
    with one_torch_thread():
        make(name, encoder=encoder, decoder=decoder, **params).fit(X)
        assert calls == []
        make(name, **params).fit(X)
    assert len(calls) == 1


# --- user modules -------------------------------------------------------------


def user_modules(embedding_dim=3):
    torch.manual_seed(0)
    encoder = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, embedding_dim))
    decoder = nn.Sequential(nn.Linear(embedding_dim, 16), nn.ReLU(), nn.Linear(16, 2))
    return encoder, decoder


def state_copy(module):
    return {k: v.clone() for k, v in module.state_dict().items()}


def assert_same_state(module, state):
    current = module.state_dict()
    assert current.keys() == state.keys()
    for key, value in state.items():
        assert torch.equal(current[key], value), key


@pytest.mark.parametrize("Estimator", [DECClustering, IDECClustering])
def test_user_modules_are_used_and_not_mutated(Estimator, blobs):
    X = blobs[0]
    encoder, decoder = user_modules(embedding_dim=3)
    encoder_state, decoder_state = state_copy(encoder), state_copy(decoder)
    est = Estimator(
        3, encoder=encoder, decoder=decoder, random_state=0, **dict(SMALL, embedding_dim=7)
    ).fit(X)
    assert_same_state(encoder, encoder_state)
    assert_same_state(decoder, decoder_state)
    assert est.encoder is encoder and est.decoder is decoder
    fitted_encoder = est.net_.module_.autoencoder.encoder
    assert fitted_encoder is not encoder
    assert [type(m) for m in fitted_encoder] == [type(m) for m in encoder]
    # The user's encoder decides the embedding width, not embedding_dim.
    assert est.transform(X).shape == (len(X), 3)
    assert est.cluster_centers_.shape == (3, 3)
    # It was trained from the user's weights, on a copy.
    assert not torch.equal(fitted_encoder[0].weight.cpu(), encoder[0].weight)


def test_trained_encoder_without_decoder(blobs):
    X = blobs[0]
    encoder, _ = user_modules()
    state = state_copy(encoder)
    est = DECClustering(3, encoder=encoder, random_state=0, **dict(SMALL, pretrain_epochs=0))
    est.fit(X)
    assert_same_state(encoder, state)
    assert est.pretrain_history_ is None
    assert est.transform(X).shape == (len(X), 3)


def test_encoder_without_decoder_cannot_pretrain(blobs):
    encoder, _ = user_modules()
    est = DECClustering(3, encoder=encoder, **dict(SMALL, pretrain_epochs=5))
    with pytest.raises(ValueError, match="decoder"):
        est.fit(blobs[0])


def test_idec_needs_a_decoder(blobs):
    encoder, _ = user_modules()
    est = IDECClustering(3, encoder=encoder, **dict(SMALL, pretrain_epochs=0))
    with pytest.raises(ValueError, match="decoder"):
        est.fit(blobs[0])


def test_decoder_without_encoder_raises(blobs):
    _, decoder = user_modules()
    with pytest.raises(ValueError, match="encoder"):
        DECClustering(3, decoder=decoder, **SMALL).fit(blobs[0])


def test_user_conv_encoder_receives_images(images):
    torch.manual_seed(0)
    encoder = nn.Sequential(
        nn.Conv2d(1, 4, 3, stride=2), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 5 * 5, 3)
    )
    decoder = nn.Sequential(nn.Linear(3, 144), nn.Unflatten(1, (1, 12, 12)))
    est = DECClustering(3, encoder=encoder, decoder=decoder, random_state=0, **SMALL)
    assert est.fit(images).transform(images).shape == (60, 3)


# --- callbacks ----------------------------------------------------------------


class EpochCounter(Callback):
    def __init__(self):
        self.epoch_ends = 0

    def on_epoch_end(self, net, **kwargs):
        self.epoch_ends += 1


def fitted_counters(est):
    return [cb for _, cb in est.net_.callbacks_ if isinstance(cb, EpochCounter)]


def test_user_callback_is_called_on_a_copy(blobs):
    counter = EpochCounter()
    est = DECClustering(3, callbacks=[counter], tol=0.0, random_state=0, **dict(SMALL, epochs=4))
    est.fit(blobs[0])
    (used,) = fitted_counters(est)
    assert used is not counter
    assert used.epoch_ends == 4 == est.n_iter_
    # The user's object is untouched, and still the parameter.
    assert counter.epoch_ends == 0
    assert est.callbacks[0] is counter


def test_named_user_callback(blobs):
    est = DECClustering(
        3, callbacks=[("counter", EpochCounter())], tol=0.0, random_state=0, **dict(SMALL, epochs=2)
    ).fit(blobs[0])
    assert dict(est.net_.callbacks_)["counter"].epoch_ends == 2


def test_user_callback_sees_the_last_epoch_when_tol_stops(blobs):
    est = DECClustering(
        3, callbacks=[EpochCounter()], update_interval=1, tol=2.0, random_state=0, **SMALL
    ).fit(blobs[0])
    assert est.n_iter_ == 1
    (used,) = fitted_counters(est)
    assert used.epoch_ends == est.n_iter_


# --- validation ---------------------------------------------------------------


def test_bad_device_raises_at_fit(blobs):
    est = DECClustering(3, device="gpu7", **SMALL)
    with pytest.raises(ValueError, match="gpu7"):
        est.fit(blobs[0])
    assert est.device == "gpu7"


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available here")
def test_cuda_without_cuda_raises_at_fit(blobs):
    with pytest.raises(ValueError, match="CUDA"):
        DECClustering(3, device="cuda", **SMALL).fit(blobs[0])


@pytest.mark.parametrize("Estimator", [DECClustering, IDECClustering])
def test_more_clusters_than_samples_raises(Estimator, blobs):
    with pytest.raises(ValueError, match="n_samples=5"):
        Estimator(10, **SMALL).fit(blobs[0][:5])


def test_unfitted_predict_raises(blobs):
    with pytest.raises(NotFittedError):
        DECClustering(3).predict(blobs[0])


# --- training schedule and quality --------------------------------------------


def test_tol_stops_dec_early(blobs):
    est = DECClustering(3, update_interval=1, tol=0.5, random_state=0, **dict(SMALL, epochs=10))
    est.fit(blobs[0])
    assert est.n_iter_ < 10
    assert "delta_label" in est.history_[-1]
    assert est.history_[-1, "delta_label"] < 0.5


def test_tol_stop_at_an_epoch_boundary_leaves_no_empty_epoch(blobs):
    # 150 samples in batches of 32: 5 batches per epoch, so with update_interval=5 the
    # second refresh (which stops training) comes before the first batch of epoch 2.
    est = DECClustering(3, update_interval=5, tol=0.5, random_state=0, **dict(SMALL, epochs=5))
    est.fit(blobs[0])
    assert sum(est.history_[:, "train_batch_count"]) == 5
    assert est.n_iter_ == 1
    assert "train_loss" in est.history_[-1]


def test_no_refresh_after_the_first_runs_every_epoch(fitted_dec):
    # 5 batches per epoch, 25 in all, update_interval=140: P is computed once and never compared.
    assert "delta_label" not in fitted_dec.history_[-1]
    assert fitted_dec.n_iter_ == SMALL["epochs"]


@pytest.mark.parametrize("Estimator", [DECClustering, IDECClustering])
def test_quality_on_separated_blobs(Estimator):
    X, y = standardized_blobs(300, random_state=0)
    est = Estimator(3, random_state=0, **GOOD).fit(X)
    assert adjusted_rand_score(y, est.labels_) > 0.9


@pytest.mark.slow
def test_dec_on_digits():
    X, y = load_digits(return_X_y=True)
    est = DECClustering(10, pretrain_epochs=50, random_state=0).fit(X / 16)
    assert normalized_mutual_info_score(y, est.labels_) > 0.7
