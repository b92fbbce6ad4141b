"""Weights-only save/load: no pickle, identical predictions, CPU loading, clear errors."""

import json
import pickle
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.datasets import make_blobs
from skorch.exceptions import DeviceWarning
from torch import nn

import skdeepcluster
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


# --- Files written by earlier versions, and files that were edited ------------------------------

WEIGHTS_V1 = Path(__file__).parent / "data" / "weights_v1"
EXPECTED_V1 = json.loads((WEIGHTS_V1 / "expected.json").read_text())


@pytest.fixture(scope="module")
def blobs_v1():
    """The data ``tests/data/make_weights_v1.py`` fitted the committed files on."""
    X, _ = make_blobs(60, centers=3, random_state=0)
    return X


def test_every_committed_v1_file_is_recorded():
    assert EXPECTED_V1["format_version"] == 1
    files = {path.stem for path in WEIGHTS_V1.glob("*.pt")}
    assert files == set(EXPECTED_V1["estimators"])
    assert files <= set(skdeepcluster.__all__)
    for path in WEIGHTS_V1.glob("*.pt"):
        assert path.stat().st_size < 16_000, f"{path.name} is no longer a small fixture"


@pytest.mark.parametrize("name", sorted(EXPECTED_V1["estimators"]))
def test_committed_v1_files_still_load_and_predict(name, blobs_v1):
    expected = EXPECTED_V1["estimators"][name]
    loaded = load(WEIGHTS_V1 / f"{name}.pt", device="cpu")
    assert type(loaded) is getattr(skdeepcluster, name)
    assert loaded.n_clusters == expected["params"]["n_clusters"] == 3
    np.testing.assert_array_equal(loaded.predict(blobs_v1), expected["labels"])
    np.testing.assert_allclose(loaded.transform(blobs_v1), expected["transform"], rtol=0, atol=1e-4)


def tampered(tmp_path, edit, source="DECClustering"):
    """A copy of a committed file with its payload changed by ``edit(payload)``."""
    payload = torch.load(WEIGHTS_V1 / f"{source}.pt", weights_only=True)
    edit(payload)
    path = tmp_path / "tampered.pt"
    torch.save(payload, path)
    return path


def add_attribute(name, value=1):
    def edit(payload):
        attributes = json.loads(payload["attributes"])
        attributes[name] = value
        payload["attributes"] = json.dumps(attributes)

    return edit


def add_array(name):
    return lambda payload: payload["arrays"].__setitem__(name, torch.zeros(3))


UNDECLARED = ["predict", "transform", "history_", "_private", "_private_", "foo", "foo__",
              "n iter_", "__class__", "get_params", "_n_features_out"]


@pytest.mark.parametrize("name", UNDECLARED)
@pytest.mark.parametrize("where", [add_attribute, add_array])
def test_undeclared_attributes_are_refused(name, where, tmp_path, blobs_v1):
    predict = DECClustering.predict
    path = tampered(tmp_path, where(name))
    message = (f"holds an attribute {name!r} that DECClustering does not declare; "
               "the file may have been tampered with")
    with pytest.raises(ValueError, match=re.escape(message)) as error:
        load(path)
    assert str(path) in str(error.value)
    # nothing was replaced: the class and a fresh load are what they were
    assert DECClustering.predict is predict
    assert "predict" not in vars(DECClustering()) and "history_" not in vars(DECClustering())
    loaded = load(WEIGHTS_V1 / "DECClustering.pt", device="cpu")
    assert type(loaded).predict is predict and "predict" not in vars(loaded)
    np.testing.assert_array_equal(loaded.predict(blobs_v1),
                                  EXPECTED_V1["estimators"]["DECClustering"]["labels"])


def test_declared_attributes_follow_the_rule():
    from skdeepcluster.persistence import _declares

    for name in ["labels_", "cluster_centers_", "n_iter_", "feature_names_in_", "pretrain_labels_"]:
        assert _declares(DECClustering, name)
    for name in UNDECLARED + ["labels", "", "_", "net_ "]:
        assert not _declares(DECClustering, name), name

    class Declaring(DECClustering):
        _saved_attributes = ("labels_", "n_iter_")

    assert _declares(Declaring, "labels_") and _declares(Declaring, "n_iter_")
    assert not _declares(Declaring, "cluster_centers_")
    assert not _declares(Declaring, "predict")


def test_saved_attributes_narrows_what_loads_and_what_is_saved(monkeypatch, tmp_path, blobs_v1):
    payload = torch.load(WEIGHTS_V1 / "DECClustering.pt", weights_only=True)
    in_file = (*json.loads(payload["attributes"]), *payload["arrays"])
    monkeypatch.setattr(DECClustering, "_saved_attributes", in_file, raising=False)
    loaded = load(WEIGHTS_V1 / "DECClustering.pt", device="cpu")
    np.testing.assert_array_equal(loaded.predict(blobs_v1),
                                  EXPECTED_V1["estimators"]["DECClustering"]["labels"])
    # an attribute the class no longer declares is refused on load and not written on save
    monkeypatch.setattr(DECClustering, "_saved_attributes",
                        tuple(name for name in in_file if name != "n_iter_"))
    with pytest.raises(ValueError, match="holds an attribute 'n_iter_' that DECClustering"):
        load(WEIGHTS_V1 / "DECClustering.pt")
    save(loaded, tmp_path / "narrow.pt")
    narrow = torch.load(tmp_path / "narrow.pt", weights_only=True)
    assert "n_iter_" not in json.loads(narrow["attributes"])
    assert load(tmp_path / "narrow.pt").labels_.shape == (60,)


def set_entry(key, value):
    return lambda payload: payload.__setitem__(key, value)


@pytest.mark.parametrize("edit, message", [
    (set_entry("estimator", "Pipeline"), "unknown estimator 'Pipeline'"),
    (set_entry("estimator", 3), "'estimator' is missing or not a str"),
    (lambda payload: payload.pop("estimator"), "'estimator' is missing or not a str"),
    (set_entry("params", "[1, 2]"), "'params' is not a JSON object"),
    (set_entry("params", "{not json"), "'params' is not valid JSON"),
    (set_entry("params", {"n_clusters": 3}), "'params' is missing or not a str"),
    (set_entry("attributes", "null"), "'attributes' is not a JSON object"),
    (set_entry("history", '{"a": 1}'), "'history' is not a JSON array"),
    (set_entry("history", 5), "'history' is not JSON text"),
    (set_entry("arrays", []), "'arrays' is missing or not a dict"),
    (lambda payload: payload["arrays"].__setitem__("labels_", [0, 1]),
     "'arrays' entry 'labels_' is not a tensor"),
    (lambda payload: payload["state_dict"].__setitem__(next(iter(payload["state_dict"])), "x"),
     "'state_dict' entry .* is not a tensor"),
    (lambda payload: payload.__setitem__(
        "params", json.dumps({**json.loads(payload["params"]), "predict": 1})),
     r"holds parameters \['predict'\] that DECClustering does not take"),
])
def test_entries_of_the_wrong_type_are_refused(edit, message, tmp_path):
    with pytest.raises(ValueError, match=message):
        load(tampered(tmp_path, edit))


@pytest.mark.parametrize("version, writer", [(0, "an older"), (2, "a newer"), ("1", "another"),
                                             (None, "another"), (True, "another")])
def test_unknown_format_versions_are_refused_with_both_versions(version, writer, tmp_path):
    if version is None:
        path = tampered(tmp_path, lambda payload: payload.pop("version"))
    else:
        path = tampered(tmp_path, set_entry("version", version))
    with pytest.raises(ValueError) as error:
        load(path)
    message = str(error.value)
    assert str(path) in message
    assert f"format version {version!r} (written by {writer} skdeepcluster)" in message
    assert f"skdeepcluster {skdeepcluster.__version__} reads format version 1 only" in message
    assert "refit the estimator" in message
    assert "load the file with the skdeepcluster version that wrote it" in message


def test_files_are_still_written_in_format_version_1(blobs, tmp_path):
    est = DECClustering(3, random_state=0, **SMALL).fit(blobs)
    save(est, tmp_path / "m.pt")
    payload = torch.load(tmp_path / "m.pt", weights_only=True)
    assert payload["version"] == 1
    committed = torch.load(WEIGHTS_V1 / "DECClustering.pt", weights_only=True)
    assert set(payload) == set(committed)
