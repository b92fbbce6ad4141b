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

from ._version import __version__
from .compose import DeepClustering
from .dbc import DBCClustering
from .dcn import DCNClustering
from .ddc import DDCClustering
from .dec import AljalboutClustering, DECClustering, IDECClustering
from .discriminative import DiscriminativeLatentClustering
from .dmae import DMAEClustering, DMMClustering
from .den import DENClustering
from .depict import DEPICTClustering
from .neural_clustering import NeuralClustering
from .imsat import IMSATClustering
from .dac import DACClustering
from .jule import JULEClustering
from .vade import VaDEClustering
from .embedding_space import EmbeddingSpaceClustering
from .infogan import InfoGANClustering
from .ccnn import CCNNClustering

__all__ = [
    "DeepClustering",
    "DECClustering",
    "IDECClustering",
    "AljalboutClustering",
    "DBCClustering",
    "DDCClustering",
    "DCNClustering",
    "DMAEClustering",
    "DMMClustering",
    "DiscriminativeLatentClustering",
    "NeuralClustering",
    "DENClustering",
    "IMSATClustering",
    "DACClustering",
    "JULEClustering",
    "VaDEClustering",
    "DEPICTClustering",
    "EmbeddingSpaceClustering",
    "InfoGANClustering",
    "CCNNClustering",
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
    "dbc",
    "dcn",
    "ddc",
    "dmae",
    "discriminative",
    "neural_clustering",
    "den",
    "imsat",
    "dac",
    "vade",
    "depict",
    "embedding_space",
    "infogan",
    "jule",
    "agglomeration",
    "ccnn",
    "compose",
    "updates",
    "starts",
    "selection",
)


def __getattr__(name):
    if name in _submodules:
        return _importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted({*globals(), *_submodules})
