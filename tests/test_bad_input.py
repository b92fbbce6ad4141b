"""Every bad input gets a clear scikit-learn-style error, for every public estimator.

Each case names the problem in the message (matched below); none may surface
as a torch traceback from inside the network.
"""

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError


from estimator_registry import IMAGE_NETWORKS, NAMES, WEIGHT_INIT, make

ESTIMATORS = {name: (lambda name=name, **kw: make(name, **kw)) for name in NAMES}

RNG = np.random.RandomState(0)
X = RNG.rand(20, 5)


def with_value(value):
    bad = X.copy()
    bad[3, 2] = value
    return bad


FIT_CASES = {
    "nan": (with_value(np.nan), {}, ValueError, "NaN"),
    "inf": (with_value(np.inf), {}, ValueError, "infinity"),
    "-inf": (with_value(-np.inf), {}, ValueError, "infinity"),
    "empty": (np.zeros((0, 5)), {}, ValueError, "0 sample"),
    "no features": (np.zeros((20, 0)), {}, ValueError, "0 feature"),
    "one sample": (X[:1], {}, ValueError, "n_samples=1"),
    "fewer samples than clusters": (X[:4], {"n_clusters": 5}, ValueError, "n_samples=4"),
    # n_clusters=1 is allowed, as for KMeans (scikit-learn's estimator checks fit with it).
    "zero clusters": (X, {"n_clusters": 0}, ValueError, "n_clusters"),
    "negative clusters": (X, {"n_clusters": -3}, ValueError, "n_clusters"),
    "float n_clusters": (X, {"n_clusters": 2.5}, ValueError, "n_clusters"),
    "string n_clusters": (X, {"n_clusters": "3"}, ValueError, "n_clusters"),
    "strings": (np.array([["a"] * 5] * 20), {}, ValueError, "string"),
    "complex": (X + 1j, {}, ValueError, "[Cc]omplex"),
    "1-D": (X[:, 0], {}, ValueError, "Expected 2D array"),
    "unknown device": (X, {"device": "gpu7"}, ValueError, "gpu7"),
    "negative batch size": (X, {"batch_size": -1}, ValueError, "batch_size"),
    "zero epochs": (X, {"epochs": 0}, ValueError, "epochs"),
    "non-finite random_state": (X, {"random_state": "seed"}, ValueError, "random_state"),
}


@pytest.mark.parametrize("case", list(FIT_CASES))
@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_bad_fit_input(name, case):
    data, params, error, message = FIT_CASES[case]
    est = ESTIMATORS[name](**{"n_clusters": 2, **params})
    with pytest.raises(error, match=message):
        est.fit(data)


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_cuda_requested_without_cuda(name, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match="CUDA is not available"):
        ESTIMATORS[name](n_clusters=2, device="cuda").fit(X)


IMAGE_CASES = {
    "5-D array": (RNG.rand(20, 1, 1, 16, 16), "5 dimensions"),
    "images too small": (RNG.rand(20, 1, 4, 4), "too small"),
    "flat, not square": (RNG.rand(20, 15), "not a square"),
}


@pytest.mark.parametrize("case", list(IMAGE_CASES))
@pytest.mark.parametrize("name, network", IMAGE_NETWORKS)
def test_bad_images_for_a_conv_network(name, network, case):
    data, message = IMAGE_CASES[case]
    with pytest.raises(ValueError, match=message):
        ESTIMATORS[name](n_clusters=2, network=network).fit(data)


@pytest.mark.parametrize("name, network", IMAGE_NETWORKS)
def test_input_shape_that_does_not_match(name, network):
    with pytest.raises(ValueError, match="input_shape"):
        ESTIMATORS[name](n_clusters=2, network=network, input_shape=(1, 5, 5)).fit(RNG.rand(20, 36))


@pytest.mark.parametrize("name", WEIGHT_INIT)
def test_unknown_weight_init(name):
    with pytest.raises(ValueError, match="weight_init"):
        ESTIMATORS[name](n_clusters=2, weight_init="xavier").fit(X)


@pytest.fixture(scope="module")
def fitted():
    return {name: make(n_clusters=2, random_state=0).fit(X) for name, make in ESTIMATORS.items()}


PREDICT_CASES = {
    "wrong number of features": (X[:, :4], "4 features"),
    "nan": (with_value(np.nan), "NaN"),
    "1-D": (X[0], "Expected 2D array"),
    "empty": (np.zeros((0, 5)), "0 sample"),
}


@pytest.mark.parametrize("method", ["predict", "predict_proba", "transform", "score"])
@pytest.mark.parametrize("case", list(PREDICT_CASES))
@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_bad_predict_input(fitted, name, case, method):
    data, message = PREDICT_CASES[case]
    with pytest.raises(ValueError, match=message):
        getattr(fitted[name], method)(data)


@pytest.mark.parametrize("method", ["predict", "predict_proba", "transform", "score"])
@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_predict_before_fit(name, method):
    with pytest.raises(NotFittedError):
        getattr(ESTIMATORS[name](), method)(X)


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_one_sample_prediction_works(fitted, name):
    assert fitted[name].predict(X[:1]).shape == (1,)


@pytest.mark.parametrize("name, network", IMAGE_NETWORKS)
def test_three_dimensional_images_are_one_channel(name, network):
    images = RNG.rand(20, 16, 16).astype(np.float32)
    est = ESTIMATORS[name](n_clusters=2, network=network, random_state=0).fit(images)
    assert est.input_shape_ == (1, 16, 16)
    np.testing.assert_array_equal(est.predict(images), est.predict(images[:, None]))
    with pytest.raises(ValueError, match="images of shape"):
        est.predict(RNG.rand(3, 1, 12, 12))


# --- property-based: whatever the array, a clean fit or a clear ValueError -------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra.numpy import arrays  # noqa: E402

special = st.sampled_from([np.nan, np.inf, -np.inf, 0.0, 1e30, -1e-30])
shapes = st.one_of(
    st.tuples(st.integers(0, 6)),
    st.tuples(st.integers(0, 12), st.integers(0, 4)),
    st.tuples(st.integers(0, 6), st.integers(1, 3), st.integers(1, 3)),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=arrays(
        dtype=st.sampled_from([np.float32, np.float64, np.int64, np.bool_]),
        shape=shapes,
        elements=None,
    ),
    poison=st.one_of(st.none(), special),
    n_clusters=st.integers(1, 4),
    name=st.sampled_from(NAMES),
)
def test_any_array_fits_or_raises_value_error(data, poison, n_clusters, name):
    if poison is not None and data.size and data.dtype.kind == "f":
        data = data.copy()
        data.flat[0] = poison
    est = make(name, n_clusters=n_clusters, random_state=0)
    before = data.copy()
    try:
        est.fit(data)
    except (ValueError, FloatingPointError):
        pass
    else:
        labels = est.labels_
        assert labels.shape == (data.shape[0],)
        assert labels.min() >= 0 and labels.max() < n_clusters
    np.testing.assert_array_equal(data, before)
