"""Tests for skdeepcluster.metrics."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score
from sklearn.model_selection import GridSearchCV

from skdeepcluster.metrics import (
    CLUSTERING_SCORERS,
    accuracy_scorer,
    ari_scorer,
    clustering_accuracy,
    matched_contingency,
    nmi_scorer,
)


def brute_force_accuracy(y_true, y_pred):
    """Best matched count over every injective cluster-to-class mapping, divided by n."""
    classes = sorted(set(y_true))
    clusters = sorted(set(y_pred))
    pairs = list(zip(y_true, y_pred))
    best = 0
    # Map the smaller side into the larger so every partial matching is tried.
    if len(clusters) <= len(classes):
        for image in itertools.permutations(classes, len(clusters)):
            mapping = dict(zip(clusters, image))
            best = max(best, sum(mapping[p] == t for t, p in pairs))
    else:
        for image in itertools.permutations(clusters, len(classes)):
            mapping = dict(zip(classes, image))
            best = max(best, sum(mapping[t] == p for t, p in pairs))
    return best / len(pairs)


# Labelled samples: two equally long label lists over small alphabets.
labellings = st.integers(min_value=1, max_value=30).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 4), min_size=n, max_size=n),
        st.lists(st.integers(0, 5), min_size=n, max_size=n),
    )
)


# --- hand-computed cases ----------------------------------------------------


def test_hand_computed_square_table():
    # Contingency rows (classes 0,1,2) x columns (clusters 0,1,2):
    # [[0,2,0],[2,0,0],[1,0,1]]; best matching 0->1, 1->0, 2->2 covers 2+2+1 = 5.
    assert clustering_accuracy([0, 0, 1, 1, 2, 2], [1, 1, 0, 0, 0, 2]) == 5 / 6


def test_hand_computed_with_conflict():
    # Table [[3,1],[2,0]]: the diagonal gives 3+0 = 3, the anti-diagonal 1+2 = 3;
    # cluster 0 cannot serve both classes, so the best is 3 of 6.
    y_true = [0, 0, 0, 0, 1, 1]
    y_pred = [0, 0, 0, 1, 0, 0]
    assert clustering_accuracy(y_true, y_pred) == 3 / 6


def test_more_clusters_than_classes():
    # Two classes split into four clusters: only two clusters can be matched,
    # the best pick is {a->0 (3 samples), c->1 (2 samples)} = 5 of 8.
    y_true = [0, 0, 0, 0, 1, 1, 1, 1]
    y_pred = ["a", "a", "a", "b", "c", "c", "d", "b"]
    assert clustering_accuracy(y_true, y_pred) == 5 / 8


def test_more_classes_than_clusters():
    # One cluster holds everything: it can match a single class, the largest (3 of 6).
    y_true = [0, 0, 0, 1, 1, 2]
    y_pred = [7, 7, 7, 7, 7, 7]
    assert clustering_accuracy(y_true, y_pred) == 3 / 6


def test_rectangular_is_symmetric():
    y_true = [0, 0, 0, 1, 1, 2]
    y_pred = [5, 5, 6, 6, 6, 6]
    assert clustering_accuracy(y_true, y_pred) == clustering_accuracy(y_pred, y_true)
    # Table [[2,1],[0,2],[0,1]]: 0->5 and 1->6 give 2+2 = 4 of 6.
    assert clustering_accuracy(y_true, y_pred) == 4 / 6


def test_string_and_negative_labels():
    y_true = ["cat", "cat", "dog", "dog", "emu"]
    y_pred = [-1, -1, -3, -3, -1]
    assert clustering_accuracy(y_true, y_pred) == 4 / 5


def test_perfect_clustering_under_permutation():
    y_true = np.repeat(np.arange(5), 4)
    y_pred = np.array([3, 0, 4, 1, 2])[y_true] * 10
    assert clustering_accuracy(y_true, y_pred) == 1.0


def test_single_sample():
    assert clustering_accuracy([4], ["x"]) == 1.0


def test_returns_python_float():
    assert type(clustering_accuracy(np.array([0, 1]), np.array([1, 1]))) is float


# --- agreement with brute force ---------------------------------------------


@pytest.mark.parametrize("seed", range(20))
def test_matches_brute_force_on_random_cases(seed):
    rng = np.random.default_rng(seed)
    n_samples = rng.integers(1, 25)
    y_true = rng.integers(0, rng.integers(1, 6), size=n_samples).tolist()
    y_pred = rng.integers(0, rng.integers(1, 6), size=n_samples).tolist()
    expected = brute_force_accuracy(y_true, y_pred)
    assert clustering_accuracy(y_true, y_pred) == pytest.approx(expected)


# --- properties ---------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(labellings, st.randoms(use_true_random=False))
def test_invariant_to_relabelling_clusters(labels, random):
    y_true, y_pred = labels
    names = list(range(6))
    random.shuffle(names)
    relabelled = [names[p] for p in y_pred]
    assert clustering_accuracy(y_true, relabelled) == pytest.approx(
        clustering_accuracy(y_true, y_pred)
    )


@settings(max_examples=60, deadline=None)
@given(labellings)
def test_bounds(labels):
    y_true, y_pred = labels
    n_samples = len(y_true)
    table = np.zeros((5, 6), dtype=int)
    np.add.at(table, (y_true, y_pred), 1)
    accuracy = clustering_accuracy(y_true, y_pred)
    assert 0.0 < accuracy <= 1.0
    # Any single cell can be matched on its own; no class or cluster can score above its best cell.
    assert accuracy >= table.max() / n_samples
    assert accuracy <= min(table.max(axis=0).sum(), table.max(axis=1).sum()) / n_samples
    # It counts matched samples, so accuracy * n is a whole number.
    assert accuracy * n_samples == pytest.approx(round(accuracy * n_samples))


@settings(max_examples=60, deadline=None)
@given(labellings)
def test_symmetric(labels):
    y_true, y_pred = labels
    assert clustering_accuracy(y_true, y_pred) == pytest.approx(
        clustering_accuracy(y_pred, y_true)
    )


@settings(max_examples=40, deadline=None)
@given(labellings)
def test_matches_brute_force_property(labels):
    y_true, y_pred = labels
    assert clustering_accuracy(y_true, y_pred) == pytest.approx(
        brute_force_accuracy(y_true, y_pred)
    )


# --- input validation ---------------------------------------------------------


def test_empty_input_raises():
    with pytest.raises(ValueError, match="at least one sample"):
        clustering_accuracy([], [])


def test_mismatched_lengths_raise():
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        clustering_accuracy([0, 1, 1], [0, 1])


def test_two_dimensional_labels_raise():
    with pytest.raises(ValueError, match="1d array"):
        clustering_accuracy([[0, 1], [1, 0]], [[0, 1], [1, 0]])


# --- scorers ------------------------------------------------------------------


def test_scorers_dict_holds_the_three_metrics():
    assert CLUSTERING_SCORERS == {
        "accuracy": accuracy_scorer,
        "nmi": nmi_scorer,
        "ari": ari_scorer,
    }


def test_scorers_score_predict_against_targets():
    X, y = make_blobs(n_samples=60, centers=3, cluster_std=0.5, random_state=0)
    model = KMeans(n_clusters=3, n_init=1, random_state=0).fit(X)
    labels = model.predict(X)
    assert accuracy_scorer(model, X, y) == clustering_accuracy(y, labels)
    assert nmi_scorer(model, X, y) == normalized_mutual_info_score(y, labels)
    assert ari_scorer(model, X, y) == adjusted_rand_score(y, labels)


def test_scorers_in_grid_search():
    X, y = make_blobs(n_samples=90, centers=3, cluster_std=0.5, random_state=0)
    search = GridSearchCV(
        KMeans(n_init=1, random_state=0),
        {"n_clusters": [2, 3]},
        scoring=CLUSTERING_SCORERS,
        refit="accuracy",
        cv=3,
    )
    search.fit(X, y)
    for name in CLUSTERING_SCORERS:
        scores = search.cv_results_[f"mean_test_{name}"]
        assert np.all(np.isfinite(scores))
        # Three well separated blobs: three clusters beat two on every metric.
        assert scores[1] > scores[0]
    assert search.best_params_ == {"n_clusters": 3}
    assert search.best_score_ == pytest.approx(1.0)
    assert search.best_estimator_.n_clusters == 3


def test_matched_contingency_diagonal_is_the_matched_counts():
    rng = np.random.RandomState(0)
    y_true = rng.randint(0, 4, size=200)
    # Renamed clusters with some noise: cluster 10 + (3 - class) mostly.
    y_pred = np.where(rng.rand(200) < 0.8, 13 - y_true, rng.randint(10, 14, size=200))
    table, clusters = matched_contingency(y_true, y_pred)
    assert table.shape == (4, 4)
    assert list(clusters) == [13, 12, 11, 10]
    assert table.sum() == 200
    assert np.trace(table) == pytest.approx(clustering_accuracy(y_true, y_pred) * 200)


def test_matched_contingency_unmatched_clusters_follow():
    table, clusters = matched_contingency([0, 0, 1, 1, 1, 1], ["b", "b", "c", "c", "a", "c"])
    assert list(clusters) == ["b", "c", "a"]
    np.testing.assert_array_equal(table, [[2, 0, 0], [0, 3, 1]])


def test_matched_contingency_length_mismatch():
    with pytest.raises(ValueError):
        matched_contingency([0, 1, 1], [0, 1])
