"""The edges a user hits (one sample, one cluster, one feature, constant data): true messages."""

import re
import warnings

import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.exceptions import ConvergenceWarning

from estimator_registry import NAMES, make

RNG = np.random.RandomState(0)
X = RNG.rand(20, 5)


@pytest.mark.parametrize("name", NAMES)
def test_one_sample_one_cluster_says_the_requirement(name):
    # KMeans fits one sample into one cluster; the deep clusterers need two samples, and
    # the message says so instead of comparing n_samples=1 with n_clusters=1.
    assert KMeans(1, n_init=1).fit(X[:1]).labels_.tolist() == [0]
    with pytest.raises(ValueError) as info:
        make(name, n_clusters=1).fit(X[:1])
    message = str(info.value)
    assert message == f"{name} needs at least 2 samples to fit, got 1 sample."
    assert "n_clusters" not in message


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("n_samples, n_clusters", [(1, 2), (1, 3), (4, 5)])
def test_fewer_samples_than_clusters(name, n_samples, n_clusters):
    samples = "1 sample" if n_samples == 1 else f"{n_samples} samples"
    expected = (
        f"n_samples={n_samples} should be >= n_clusters={n_clusters}: {name} cannot make "
        f"{n_clusters} clusters of {samples}."
    )
    with pytest.raises(ValueError, match=f"^{re.escape(expected)}$"):
        make(name, n_clusters=n_clusters).fit(X[:n_samples])


@pytest.mark.parametrize("name", NAMES)
def test_one_cluster_fits(name):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = make(name, n_clusters=1, random_state=0).fit(X)
    assert model.labels_.tolist() == [0] * len(X)


@pytest.mark.parametrize("name", NAMES)
def test_as_many_samples_as_clusters_fits(name):
    model = make(name, n_clusters=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # one cluster may stay empty
        labels = model.fit_predict(X[:2])
    assert labels.shape == (2,) and set(labels) <= {0, 1}


@pytest.mark.parametrize("name", NAMES)
def test_one_feature_fits(name):
    model = make(name, n_clusters=2, random_state=0).fit(X[:, :1])
    assert model.n_features_in_ == 1
    assert model.predict(X[:, :1]).shape == (20,)


@pytest.mark.parametrize("name", NAMES)
def test_constant_data_warns_in_plain_words(name, request):
    if name == "JULEClustering":  # its labels are its merges, not a function of the features
        request.applymarker(pytest.mark.xfail(
            strict=True, reason="JULE merges identical samples down to n_clusters groups"))
    with pytest.warns(ConvergenceWarning) as record:
        model = make(name, n_clusters=2, random_state=0).fit(np.ones((20, 5)))
    ours = [str(w.message) for w in record if str(w.message).startswith(name)]
    assert ours == [
        f"{name} ended with 1 non-empty cluster out of n_clusters=2. "
        "X holds only 1 distinct sample."
    ]
    assert np.unique(model.labels_).size == 1
