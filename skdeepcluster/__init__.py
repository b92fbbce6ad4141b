"""Deep clustering as scikit-learn estimators.

Each method of the deep-clustering literature is a scikit-learn clusterer
(``fit`` / ``predict`` / ``fit_predict`` / ``transform``) that trains a PyTorch
network through skorch, on the GPU when there is one.
"""

from ._version import __version__
from .dcn import DCNClustering
from .ddc import DDCClustering
from .dec import DECClustering, IDECClustering
from .discriminative import DiscriminativeLatentClustering
from .dmae import DMAEClustering, DMMClustering

__all__ = [
    "DECClustering",
    "IDECClustering",
    "DDCClustering",
    "DCNClustering",
    "DMAEClustering",
    "DMMClustering",
    "DiscriminativeLatentClustering",
    "__version__",
]
