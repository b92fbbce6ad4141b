"""Deep clustering as scikit-learn estimators.

Each method of the deep-clustering literature is a scikit-learn clusterer
(``fit`` / ``predict`` / ``fit_predict`` / ``transform``) that trains a PyTorch
network through skorch, on the GPU when there is one.

The submodules (``skdeepcluster.metrics``, ``skdeepcluster.datasets``, ...)
are attributes of the package, imported on first access, as in scikit-learn:
``import skdeepcluster; skdeepcluster.metrics.clustering_accuracy`` works
without ``import skdeepcluster.metrics``.
"""

import importlib as _importlib
import importlib.util as _importlib_util

from ._version import __version__
from .compose import DeepClustering
from .dcn import DCNClustering
from .ddc import DDCClustering
from .dec import AljalboutClustering, DECClustering, IDECClustering
from .discriminative import DiscriminativeLatentClustering
from .dmae import DMAEClustering, DMMClustering

__all__ = [
    "DeepClustering",
    "DECClustering",
    "IDECClustering",
    "AljalboutClustering",
    "DDCClustering",
    "DCNClustering",
    "DMAEClustering",
    "DMMClustering",
    "DiscriminativeLatentClustering",
    "__version__",
]

# Public submodules, imported on first access by ``__getattr__``.
_submodules = (
    "metrics",
    "datasets",
    "plotting",
    "persistence",
    "augment",
    "dissimilarities",
    "networks",
    "losses",
    "engine",
    "dec",
    "dcn",
    "ddc",
    "dmae",
    "discriminative",
)
# Public submodules that a version of the package may not have yet: an attribute
# only where the module exists.
_optional_submodules = (
    "compose",
    "updates",
    "readout",
    "schedules",
)


def _has_submodule(name):
    return _importlib_util.find_spec(f"{__name__}.{name}") is not None


def __getattr__(name):
    if name in _submodules or (name in _optional_submodules and _has_submodule(name)):
        return _importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    optional = [name for name in _optional_submodules if _has_submodule(name)]
    return sorted({*globals(), *_submodules, *optional})
