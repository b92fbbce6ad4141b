"""Label-free scorers and the choice of n_clusters (skdeepcluster.selection)."""

import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score
from sklearn.model_selection import GridSearchCV
from sklearn.preprocessing import StandardScaler

from skdeepcluster import DDCClustering, DECClustering
from skdeepcluster.metrics import LABEL_FREE_SCORERS, LabelFreeScorer, get_scorer
from skdeepcluster.selection import choose_n_clusters
from threads import one_torch_thread


@pytest.fixture(scope="module")
def blobs():
    X, y = make_blobs(240, centers=4, n_features=6, random_state=0)
    return StandardScaler().fit_transform(X), y


def small_dec(**params):
    return DECClustering(**{**dict(hidden_dims=(16,), embedding_dim=3, pretrain_epochs=4,
                                   epochs=3, n_init=2), **params})


def test_the_scorers_are_sklearns_indices_of_the_features_or_the_input(blobs):
    X, _ = blobs
    with one_torch_thread():
        model = small_dec(n_clusters=4, random_state=0).fit(X)
    Z, labels = model.transform(X), model.predict(X)
    assert LABEL_FREE_SCORERS["silhouette"](model, X) == pytest.approx(silhouette_score(Z, labels))
    assert LABEL_FREE_SCORERS["calinski_harabasz"](model, X) == pytest.approx(
        calinski_harabasz_score(Z, labels))
    assert LABEL_FREE_SCORERS["davies_bouldin"](model, X) == pytest.approx(
        -davies_bouldin_score(Z, labels))
    assert LABEL_FREE_SCORERS["input_silhouette"](model, X) == pytest.approx(
        silhouette_score(X, labels))
    assert LABEL_FREE_SCORERS["objective"](model, X) == model.score(X)


def test_the_silhouette_of_large_data_is_that_of_a_fixed_sample(blobs):
    X, _ = blobs
    model = KMeans(4, n_init=2, random_state=0).fit(X)
    sampled = LabelFreeScorer("silhouette", space="input", max_samples=100)
    assert sampled(model, X) == sampled(model, X)
    rows = np.sort(np.random.RandomState(0).choice(len(X), 100, replace=False))
    assert sampled(model, X) == pytest.approx(silhouette_score(X[rows], model.predict(X[rows])))


def test_one_cluster_scores_the_worst_value():
    X = np.random.RandomState(0).normal(size=(20, 2))
    one = KMeans(1, n_init=1).fit(X)
    assert LabelFreeScorer("silhouette", space="input")(one, X) == -1
    assert LabelFreeScorer("calinski_harabasz", space="input")(one, X) == 0
    assert LabelFreeScorer("davies_bouldin", space="input")(one, X) == -np.inf


def test_get_scorer_finds_ours_then_sklearns_and_names_the_choices():
    assert get_scorer("input_silhouette") is LABEL_FREE_SCORERS["input_silhouette"]
    assert get_scorer("accuracy")._score_func.__name__ == "clustering_accuracy"
    assert get_scorer("adjusted_rand_score") is not None
    with pytest.raises(ValueError, match="not a scorer of skdeepcluster"):
        get_scorer("silhouete")
    with pytest.raises(ValueError, match="not a label-free index"):
        LabelFreeScorer("inertia")


def test_a_search_without_labels(blobs):
    X, _ = blobs
    everything = np.arange(len(X))
    search = GridSearchCV(
        small_dec(n_clusters=4, random_state=0), {"alpha": [0.5, 1.0]},
        scoring=LABEL_FREE_SCORERS, refit="input_silhouette", cv=[(everything, everything)],
    )
    with one_torch_thread():
        search.fit(X)  # no y
    for name in LABEL_FREE_SCORERS:
        assert np.isfinite(search.cv_results_[f"mean_test_{name}"]).all()
    assert search.best_estimator_.labels_.shape == (len(X),)


def test_choose_n_clusters_with_kmeans_finds_the_blobs(blobs):
    X, _ = blobs
    scan = choose_n_clusters(KMeans(n_init=3), X, [5, 2, 3, 4], n_seeds=2)
    assert scan.n_clusters.tolist() == [2, 3, 4, 5]
    assert scan.scores["silhouette"].shape == (4, 2)
    assert scan.best["input_silhouette"] == 4
    assert scan.stability[2] == pytest.approx(1.0)
    assert len(scan.labels[3]) == 2 and scan.labels[3][0].shape == (len(X),)
    assert "input_silhouette=4" in repr(scan) and "stability" in scan.table()


def test_one_pretraining_serves_every_n_clusters(blobs, monkeypatch):
    """Reusing the pretrained autoencoder gives the labels of a fit from scratch."""
    from skdeepcluster.compose import DeepClustering

    X, _ = blobs
    calls = []
    pretrain = DeepClustering._pretrained_autoencoder
    monkeypatch.setattr(DeepClustering, "_pretrained_autoencoder",
                        lambda self, X: calls.append(1) or pretrain(self, X))
    with one_torch_thread():
        scan = choose_n_clusters(small_dec(), X, [3, 4], n_seeds=2, random_state=1)
        assert len(calls) == 2  # one per seed, not per fit
        seed = int(np.random.RandomState(1).randint(np.iinfo(np.int32).max, size=2)[1])
        scratch = small_dec(n_clusters=4, random_state=seed).fit(X)
    np.testing.assert_array_equal(scan.labels[4][1], scratch.labels_)
    # the candidates are also measured in the shared pretrained embedding
    _, embedding = small_dec(random_state=seed)._pretrained_autoencoder(X)
    assert scan.scores["pretrained_silhouette"][1, 1] == pytest.approx(
        silhouette_score(embedding, scratch.labels_))
    # and without reuse, every fit pretrains on its own
    calls.clear()
    with one_torch_thread():
        again = choose_n_clusters(small_dec(), X, [4], n_seeds=1, random_state=1,
                                  reuse_pretraining=False)
    assert calls == []
    np.testing.assert_array_equal(again.labels[4][0], scan.labels[4][0])
    assert "pretrained_silhouette" not in again.scores


def test_an_estimator_without_reusable_pretraining_fits_from_scratch(blobs, monkeypatch):
    from skdeepcluster.compose import DeepClustering

    X, _ = blobs
    monkeypatch.setattr(DeepClustering, "_pretrained_autoencoder",
                        lambda self, X: pytest.fail("DDC has no pretraining to reuse"))
    ddc = DDCClustering(hidden_dims=(8,), embedding_dim=4, n_init=1, epochs=1, batch_size=40)
    with one_torch_thread():
        scan = choose_n_clusters(ddc, X, [2, 3], n_seeds=1, scoring=["objective"])
    assert scan.scores["objective"].shape == (2, 1) and np.isnan(scan.stability).all()
    assert "stability" not in scan.best


def test_the_plot_has_a_panel_per_criterion_and_the_stability(blobs):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    X, _ = blobs
    scan = choose_n_clusters(KMeans(n_init=2), X, range(2, 5), n_seeds=2,
                             scoring=["silhouette", "input_silhouette"])
    axes = scan.plot()
    assert [ax.get_title() for ax in axes] == ["silhouette", "input_silhouette", "stability"]


@pytest.mark.parametrize("kwargs, match", [
    (dict(n_clusters=[]), "positive integers"),
    (dict(n_clusters=[0, 2]), "positive integers"),
    (dict(n_seeds=0), "at least 1"),
])
def test_bad_arguments_are_refused(blobs, kwargs, match):
    with pytest.raises(ValueError, match=match):
        choose_n_clusters(KMeans(), blobs[0], **kwargs)


def test_a_pipelines_preprocessing_is_fitted_once_and_the_scan_runs_on_its_output(blobs):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import MinMaxScaler

    X, _ = blobs
    X = 100 * X + 7
    scan = choose_n_clusters(make_pipeline(MinMaxScaler(), KMeans(n_init=2)), X, [3, 4],
                             n_seeds=1, scoring=["input_silhouette"])
    direct = choose_n_clusters(KMeans(n_init=2), MinMaxScaler().fit_transform(X), [3, 4],
                               n_seeds=1, scoring=["input_silhouette"])
    np.testing.assert_allclose(scan.scores["input_silhouette"],
                               direct.scores["input_silhouette"])
