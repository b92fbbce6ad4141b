"""Weights-only save/load: no pickle, identical predictions, CPU loading, clear errors."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.datasets import make_blobs
from skorch.exceptions import DeviceWarning
from torch import nn

from skdeepcluster import DECClustering, IDECClustering
from skdeepcluster.persistence import load, save

SMALL = dict(hidden_dims=(16,), embedding_dim=3, pretrain_epochs=3, epochs=3, n_init=1, batch_size=32)


@pytest.fixture(scope="module")
def blobs():
    X, _ = make_blobs(90, n_features=5, centers=3, random_state=0)
    return X.astype(np.float32)


@pytest.mark.parametrize("Estimator", [DECClustering, IDECClustering])
def test_round_trip_predicts_identically(Estimator, blobs, tmp_path):
    est = Estimator(3, random_state=0, **SMALL).fit(blobs)
    save(est, tmp_path / "model.pt")
    loaded = load(tmp_path / "model.pt", device="cpu")
    assert type(loaded) is Estimator
    assert loaded.get_params() == est.get_params()
    np.testing.assert_array_equal(loaded.predict(blobs), est.predict(blobs))
    np.testing.assert_array_equal(loaded.transform(blobs), est.transform(blobs))
    np.testing.assert_array_equal(loaded.predict_proba(blobs), est.predict_proba(blobs))
    np.testing.assert_array_equal(loaded.labels_, est.labels_)
    np.testing.assert_array_equal(loaded.cluster_centers_, est.cluster_centers_)
    assert loaded.n_iter_ == est.n_iter_ and loaded.n_features_in_ == 5
    assert loaded.history_[:, "train_loss"] == est.history_[:, "train_loss"]
    assert loaded.pretrain_history_[:, "train_loss"] == est.pretrain_history_[:, "train_loss"]
    # and it can be pickled and refitted like any estimator
    pickle.loads(pickle.dumps(loaded)).fit(blobs)


def test_file_loads_with_weights_only_torch_load(blobs, tmp_path):
    est = DECClustering(3, random_state=0, **SMALL).fit(blobs)
    save(est, tmp_path / "m.pt")
    payload = torch.load(tmp_path / "m.pt", weights_only=True)
    assert payload["estimator"] == "DECClustering"
    assert set(payload["state_dict"]) == set(est.net_.module_.state_dict())


def test_feature_names_and_image_shape_survive(tmp_path):
    pd = pytest.importorskip("pandas")
    X, _ = make_blobs(60, n_features=4, centers=2, random_state=0)
    frame = pd.DataFrame(X, columns=list("abcd"))
    est = DECClustering(2, random_state=0, **SMALL).fit(frame)
    save(est, tmp_path / "m.pt")
    loaded = load(tmp_path / "m.pt")
    np.testing.assert_array_equal(loaded.feature_names_in_, ["a", "b", "c", "d"])
    np.testing.assert_array_equal(loaded.predict(frame), est.predict(frame))
    images = np.random.RandomState(0).rand(40, 1, 12, 12).astype(np.float32)
    conv = DECClustering(2, network="conv", random_state=0, **SMALL).fit(images)
    save(conv, tmp_path / "c.pt")
    loaded = load(tmp_path / "c.pt")
    assert loaded.input_shape_ == (1, 12, 12)
    np.testing.assert_array_equal(loaded.predict(images), conv.predict(images))


def test_loading_does_not_touch_the_global_rng(blobs, tmp_path):
    save(DECClustering(3, random_state=0, **SMALL).fit(blobs), tmp_path / "m.pt")
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    load(tmp_path / "m.pt")
    torch.testing.assert_close(torch.rand(3), expected)


def user_modules():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(5, 3)), nn.Sequential(nn.Linear(3, 5))


def test_user_modules_must_be_given_back(blobs, tmp_path):
    encoder, decoder = user_modules()
    est = IDECClustering(3, encoder=encoder, decoder=decoder, random_state=0,
                         **dict(SMALL, hidden_dims=())).fit(blobs)
    save(est, tmp_path / "m.pt")
    with pytest.raises(ValueError, match="pass encoder="):
        load(tmp_path / "m.pt")
    fresh_encoder, fresh_decoder = nn.Sequential(nn.Linear(5, 3)), nn.Sequential(nn.Linear(3, 5))
    loaded = load(tmp_path / "m.pt", encoder=fresh_encoder, decoder=fresh_decoder)
    np.testing.assert_array_equal(loaded.predict(blobs), est.predict(blobs))


def test_unfitted_and_foreign_files_are_refused(tmp_path):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        save(DECClustering(), tmp_path / "x.pt")
    torch.save({"a": torch.zeros(1)}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="not an skdeepcluster weights file"):
        load(tmp_path / "other.pt")


def test_random_state_instance_is_saved_as_none(blobs, tmp_path):
    est = DECClustering(3, random_state=np.random.RandomState(0), **SMALL).fit(blobs)
    save(est, tmp_path / "m.pt")
    assert load(tmp_path / "m.pt").random_state is None


def test_optimizer_class_round_trips(blobs, tmp_path):
    est = DECClustering(3, optimizer=torch.optim.RMSprop, random_state=0, **SMALL).fit(blobs)
    save(est, tmp_path / "m.pt")
    assert load(tmp_path / "m.pt").optimizer is torch.optim.RMSprop


def test_pretrain_features_transformer_round_trips(blobs, tmp_path):
    from sklearn.base import clone
    from sklearn.kernel_approximation import RBFSampler
    from sklearn.preprocessing import FunctionTransformer

    from skdeepcluster import DMAEClustering

    features = RBFSampler(gamma=0.5, n_components=3, random_state=1)
    est = DMAEClustering(3, pretrain_features=features, random_state=0, **SMALL).fit(blobs)
    save(est, tmp_path / "m.pt")
    loaded = load(tmp_path / "m.pt")
    assert loaded.pretrain_features.get_params() == features.get_params()
    np.testing.assert_array_equal(loaded.predict(blobs), est.predict(blobs))
    assert loaded.pretrain_history_[:, "stage"] == est.pretrain_history_[:, "stage"]
    # A refit of the loaded estimator is the original fit.
    np.testing.assert_array_equal(clone(loaded).fit(blobs).labels_, est.labels_)
    # A transformer holding code is not rebuilt: the file still loads, with a warning.
    est.set_params(pretrain_features=FunctionTransformer(np.tanh))
    save(est, tmp_path / "f.pt")
    with pytest.warns(UserWarning, match="pretrain_features=sklearn.preprocessing"):
        loaded = load(tmp_path / "f.pt")
    assert loaded.pretrain_features is None
    np.testing.assert_array_equal(loaded.predict(blobs), est.predict(blobs))


@pytest.mark.parametrize("name", __import__("estimator_registry").NAMES)
def test_every_estimator_round_trips_with_its_feature_names(name, blobs, tmp_path):
    from estimator_registry import make

    est = make(name, n_clusters=3, random_state=0).fit(blobs)
    save(est, tmp_path / "m.pt")
    loaded = load(tmp_path / "m.pt", device="cpu")
    np.testing.assert_array_equal(loaded.predict(blobs), est.predict(blobs))
    np.testing.assert_array_equal(loaded.transform(blobs), est.transform(blobs))
    np.testing.assert_array_equal(loaded.get_feature_names_out(), est.get_feature_names_out())


@pytest.fixture
def saved_as_on_cuda(monkeypatch):
    """Make ``torch.save`` and pickling tag every storage ``cuda:0``, as on a GPU machine.

    Loading such bytes without a ``map_location`` fails where CUDA is absent
    ("Attempting to deserialize object on a CUDA device"), exactly as a file
    or pickle written by a CUDA-trained model would on a CPU-only machine.
    """
    def tag(obj):
        return "cuda:0" if getattr(obj, "device", None) == torch.device("cpu") else None

    entry = (-1, tag, lambda obj, location: None)
    monkeypatch.setattr(torch.serialization, "_package_registry",
                        [entry, *torch.serialization._package_registry])
    return lambda estimator: (setattr(estimator, "device_", "cuda"),
                              setattr(estimator.net_, "device", "cuda"))


def test_tagged_storages_really_need_cuda(saved_as_on_cuda):
    blob = pickle.dumps(torch.ones(2))
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="CUDA"):
            pickle.loads(blob)


@pytest.mark.parametrize("name", __import__("estimator_registry").NAMES)
def test_cuda_trained_estimator_unpickles_and_predicts_on_cpu(name, blobs, saved_as_on_cuda,
                                                              monkeypatch):
    from estimator_registry import make

    est = make(name, n_clusters=3, random_state=0).fit(blobs)
    expected = est.predict(blobs), est.transform(blobs)
    saved_as_on_cuda(est)
    blob = pickle.dumps(est)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.warns(DeviceWarning, match="no CUDA devices"):
        loaded = pickle.loads(blob)
    assert loaded.device_ == "cpu" and str(loaded.net_.device) == "cpu"
    # skorch's module parameter is the fitted network again, not a second copy
    assert loaded.net_.module is loaded.net_.module_
    np.testing.assert_array_equal(loaded.predict(blobs), expected[0])
    np.testing.assert_array_equal(loaded.transform(blobs), expected[1])


def test_cuda_trained_file_loads_on_cpu(blobs, saved_as_on_cuda, tmp_path, monkeypatch):
    est = DECClustering(3, random_state=0, **SMALL).fit(blobs)
    saved_as_on_cuda(est)
    save(est, tmp_path / "m.pt")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    loaded = load(tmp_path / "m.pt")
    assert loaded.device_ == "cpu"
    np.testing.assert_array_equal(loaded.predict(blobs), est.predict(blobs))
