"""Small, fast configurations of every public estimator, for tests that cover them all."""

import skdeepcluster

_AE = dict(hidden_dims=(8,), embedding_dim=2, n_init=1, pretrain_epochs=1, epochs=1)

SMALL = {
    "DECClustering": _AE,
    "IDECClustering": _AE,
    "AljalboutClustering": dict(_AE, network="mlp"),
    "DBCClustering": _AE,
    "DCNClustering": _AE,
    "DMAEClustering": _AE,
    "DiscriminativeLatentClustering": dict(_AE, batch_size=20),
    "DDCClustering": dict(hidden_dims=(8,), embedding_dim=4, n_init=1, epochs=1, batch_size=10),
    "DMMClustering": dict(n_init=1, epochs=1),
    "NeuralClustering": dict(hidden_dims=(8,), embedding_dim=2, n_init=1, epochs=1),
    "DENClustering": dict(hidden_dims=(8,), group_size=1, n_init=1, epochs=1),
    "IMSATClustering": dict(hidden_dims=(8, 8), epochs=1, batch_size=10),
    "DACClustering": dict(hidden_dims=(8,), epochs=1, batch_size=10),
    "VaDEClustering": _AE,
    "EmbeddingSpaceClustering": _AE,
    "InfoGANClustering": dict(hidden_dims=(8, 8), noise_dim=2, epochs=1, batch_size=10),
    "JULEClustering": dict(hidden_dims=(8,), embedding_dim=4, epochs_per_period=1, eta=0.2,
                           batch_size=10),
    "CCNNClustering": dict(hidden_dims=(8,), embedding_dim=4, n_init=1, epochs=1, batch_size=10),
    # tol=0: the target of so small a network barely moves, and the tests count epochs
    "DEPICTClustering": dict(_AE, warmup_epochs=1, tol=0.0),
}

# The presets; DeepClustering, their composition, has tests of its own (tests/test_compose.py).
NAMES = [name for name in skdeepcluster.__all__ if name not in ("__version__", "DeepClustering")]
assert set(NAMES) == set(SMALL), "every public estimator needs a small configuration here"

# Estimators with a convolutional network for images (network="conv").
CONV = sorted(
    name for name in NAMES if "network" in getattr(skdeepcluster, name)().get_params()
)
# (estimator, network) for each built-in image network each estimator offers.
IMAGE_NETWORKS = [
    (name, network)
    for name in CONV
    for network in sorted(
        getattr(skdeepcluster, name)._parameter_constraints["network"][0].options - {"mlp", "auto"}
    )
]


def make(name, **params):
    """A small instance of the estimator ``name`` with ``params`` on top."""
    return getattr(skdeepcluster, name)(**{**SMALL[name], **params})

# Estimators whose built-in networks take ``weight_init``.
WEIGHT_INIT = sorted(
    name for name in NAMES if "weight_init" in getattr(skdeepcluster, name)().get_params()
)
