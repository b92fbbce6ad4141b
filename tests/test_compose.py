"""DeepClustering: components, routing, compatibility, and presets as compositions."""

import importlib

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.cluster import KMeans
from sklearn.model_selection import GridSearchCV
from torch import nn

from skdeepcluster import DeepClustering
from skdeepcluster.compose import (
    AutoencoderNetwork,
    BestOfRuns,
    CauchySchwarz,
    CountedCentres,
    DissimilarityMixtureLoss,
    Hardening,
    IdentityNetwork,
    JointTraining,
    KMeansLoss,
    PretrainThenCluster,
    Reconstruction,
    SoftmaxHeadNetwork,
    TargetRefresh,
)
from skdeepcluster.metrics import CLUSTERING_SCORERS, clustering_accuracy

from estimator_registry import NAMES, make

SMALL_NET = AutoencoderNetwork(hidden_dims=(16,), embedding_dim=2)
SHORT = PretrainThenCluster(pretrain_epochs=5, epochs=5)


@pytest.mark.parametrize("name", NAMES)
def test_each_preset_gives_the_labels_of_its_composition(name, blobs):
    X = blobs[0]
    preset = make(name, n_clusters=3, random_state=0, device="cpu")
    composed = preset.to_deep_clustering()
    assert isinstance(composed, DeepClustering) and type(composed) is DeepClustering
    np.testing.assert_array_equal(preset.fit(X).labels_, composed.fit(X).labels_)
    np.testing.assert_allclose(preset.transform(X), composed.transform(X))


def test_a_preset_changes_one_axis(blobs):
    X, y = blobs
    dec = make("DECClustering", n_clusters=3, batch_size=256, random_state=0)
    model = dec.to_deep_clustering().set_params(
        clustering_loss=KMeansLoss(weight=0.1), cluster_update=CountedCentres(),
        non_clustering_loss=Reconstruction(reduction="sum"),
    )
    assert clustering_accuracy(y, model.fit_predict(X)) > 0.9


def test_components_route_through_get_params_and_grid_search(blobs):
    X, y = blobs
    model = DeepClustering(
        3, network=SMALL_NET, non_clustering_loss=Reconstruction(1.0),
        clustering_loss=Hardening(weight=0.1), schedule=SHORT, n_init=2, random_state=0,
    )
    params = model.get_params()
    assert params["clustering_loss__alpha"] == 1.0
    assert params["non_clustering_loss__weight"] == 1.0
    clone(model).set_params(clustering_loss__alpha=3.0)
    assert model.clustering_loss.alpha == 1.0  # clones are independent
    search = GridSearchCV(
        model,
        {"clustering_loss__alpha": [1.0, 2.0], "non_clustering_loss__weight": [0.5, 1.0]},
        scoring=CLUSTERING_SCORERS["accuracy"], cv=[(np.arange(len(X)),) * 2],
    ).fit(X, y)
    assert set(search.best_params_) == {"clustering_loss__alpha", "non_clustering_loss__weight"}
    assert search.best_score_ > 0.6


@pytest.mark.parametrize(
    "params, words",
    [
        (dict(network=AutoencoderNetwork(encoder=nn.Linear(2, 2)),
              non_clustering_loss=Reconstruction(), schedule=PretrainThenCluster(0, 1)),
         ["Reconstruction", "decoder"]),
        (dict(clustering_loss=Hardening(), cluster_update=CountedCentres()),
         ["CountedCentres", "Hardening", "TargetRefresh"]),
        (dict(clustering_loss=KMeansLoss(), cluster_update=TargetRefresh()),
         ["TargetRefresh", "KMeansLoss", "CountedCentres"]),
        (dict(network=SoftmaxHeadNetwork(), clustering_loss=Hardening()),
         ["SoftmaxHeadNetwork", "Hardening"]),
        (dict(readout=BestOfRuns(3)), ["BestOfRuns", "AutoencoderNetwork"]),
        (dict(non_clustering_loss=Reconstruction(source="assigned_centers")),
         ["assigned_centers", "DissimilarityMixtureLoss"]),
        (dict(features="hidden"), ["features='hidden'", "AutoencoderNetwork"]),
        (dict(network=AutoencoderNetwork(encoder=nn.Linear(2, 2), decoder=nn.Linear(2, 2)),
              features="layers"), ["layers"]),
    ],
)
def test_incompatible_choices_name_both_parts(blobs, params, words):
    with pytest.raises(ValueError) as error:
        DeepClustering(3, random_state=0, **params).fit(blobs[0])
    for word in words:
        assert word in str(error.value)


def test_ddc_divergence_on_a_pretrained_autoencoder_with_reconstruction(blobs):
    X, y = blobs
    model = DeepClustering(
        3, network=SMALL_NET, non_clustering_loss=Reconstruction(1.0),
        clustering_loss=CauchySchwarz(), schedule=PretrainThenCluster(10, 10),
        batch_size=50, random_state=0,
    ).fit(X)
    assert model.net_.module_.reconstruct
    assert model.cluster_centers_.shape == (3, 2)
    assert model.predict_proba(X).shape == (len(X), 3)
    losses = model.history_[:, "train_loss"]
    assert losses[-1] < losses[0]
    assert len(np.unique(model.labels_)) >= 2


def test_hardening_with_a_dissimilarity(blobs):
    X, y = blobs
    model = DeepClustering(
        3, network=SMALL_NET, clustering_loss=Hardening(dissimilarity="manhattan"),
        schedule=SHORT, n_init=2, batch_size=256, random_state=0,
    ).fit(X)
    assert model.net_.module_.dissimilarity is not None
    assert clustering_accuracy(y, model.labels_) > 0.75
    with pytest.raises(ValueError, match="DissimilarityMixtureLoss"):
        DeepClustering(3, clustering_loss=Hardening(dissimilarity="mahalanobis")).fit(X)


def test_kmeans_readout_and_layer_features(blobs):
    X, y = blobs
    model = DeepClustering(
        3, network=SMALL_NET, features="layers", schedule=SHORT, n_init=2,
        readout=KMeans(n_init=3), random_state=0,
    ).fit(X)
    assert model.readout_.n_clusters == 3  # the readout follows the estimator's n_clusters
    assert model.readout.n_clusters == 8  # and the parameter is left as it was
    assert model.transform(X).shape == (len(X), 16 + 2)
    assert model.readout_.cluster_centers_.shape == (3, 18)
    np.testing.assert_array_equal(model.predict(X), model.labels_)
    np.testing.assert_array_equal(model.predict_proba(X).argmax(1), model.labels_)
    assert clustering_accuracy(y, model.labels_) > 0.9


def test_shallow_mixture_and_runs(blobs):
    X, y = blobs
    shallow = DeepClustering(
        3, network=IdentityNetwork(), clustering_loss=DissimilarityMixtureLoss(),
        schedule=PretrainThenCluster(0, 5), n_init=2, random_state=0,
    ).fit(X)
    assert not hasattr(shallow, "pretrain_history_")
    assert shallow.weights_.shape == (3,)
    runs = DeepClustering(
        3, network=SoftmaxHeadNetwork(hidden_dims=(16,), hidden_dim=8),
        clustering_loss=CauchySchwarz(), schedule=JointTraining(5),
        readout=BestOfRuns(3, voting=True), batch_size=50, random_state=0,
    ).fit(X)
    assert runs.kept_runs_.shape == (3,)
    assert clustering_accuracy(y, runs.labels_) > 0.6


@pytest.mark.parametrize(
    "module",
    ["compose", "losses.hardening", "losses.kmeans", "losses.divergence", "losses.mixture",
     "losses.discriminative", "networks.autoencoders", "networks.heads", "networks.runwise",
     "updates"],
)
def test_submodules_of_the_anatomy(module):
    assert importlib.import_module(f"skdeepcluster.{module}").__all__


# --- persistence ------------------------------------------------------------------


def _saved(model, tmp_path):
    from skdeepcluster.persistence import save

    path = tmp_path / "model.pt"
    save(model, path)
    return path


def test_a_composition_saves_and_loads_with_its_components(blobs, tmp_path):
    from skdeepcluster.persistence import load

    X = blobs[0]
    model = DeepClustering(
        3, network=SMALL_NET,
        non_clustering_loss=[Reconstruction(0.5), Reconstruction(0.1, reduction="sum")],
        clustering_loss=Hardening(alpha=2.0, dissimilarity="manhattan"), schedule=SHORT,
        readout=KMeans(3, n_init=2), n_init=2, random_state=0,
    ).fit(X)
    loaded = load(_saved(model, tmp_path), device="cpu")
    assert loaded.get_params()["clustering_loss__alpha"] == 2.0
    assert [loss.weight for loss in loaded.non_clustering_loss] == [0.5, 0.1]
    np.testing.assert_array_equal(loaded.readout_.cluster_centers_, model.readout_.cluster_centers_)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    np.testing.assert_allclose(loaded.transform(X), model.transform(X))


def test_a_composition_with_your_modules_needs_them_to_load(blobs, tmp_path):
    from skdeepcluster.persistence import load

    X = blobs[0]
    network = AutoencoderNetwork(encoder=nn.Linear(2, 2), decoder=nn.Linear(2, 2))
    model = DeepClustering(3, network=network, schedule=SHORT, n_init=2, random_state=0).fit(X)
    path = _saved(model, tmp_path)
    with pytest.raises(ValueError, match="pass (en|de)coder= to load"):
        load(path)
    loaded = load(path, encoder=nn.Linear(2, 2), decoder=nn.Linear(2, 2), device="cpu")
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_a_tampered_readout_state_is_refused(blobs, tmp_path):
    import json

    import torch

    from skdeepcluster.persistence import load

    X = blobs[0]
    model = DeepClustering(
        3, network=SMALL_NET, schedule=SHORT, readout=KMeans(3, n_init=2), n_init=2,
        random_state=0,
    ).fit(X)
    path = _saved(model, tmp_path)
    payload = torch.load(path, weights_only=True)
    attributes = json.loads(payload["attributes"])
    attributes["readout_"]["state"]["predict"] = 0
    payload["attributes"] = json.dumps(attributes)
    torch.save(payload, path)
    with pytest.raises(ValueError, match="'predict'"):
        load(path)
    # A component class outside the package's own cannot be named either.
    params = json.loads(payload["params"])
    params["clustering_loss"] = {"__estimator__": "os.system", "params": {}}
    attributes["readout_"]["state"].pop("predict")
    payload["params"], payload["attributes"] = json.dumps(params), json.dumps(attributes)
    torch.save(payload, path)
    with pytest.warns(UserWarning, match="os.system"):
        assert load(path, device="cpu").clustering_loss is None
