"""Losses of deep clustering, one module per family, as pure functions of tensors.

* :mod:`~skdeepcluster.losses.reconstruction`: the non-clustering losses
  (reconstruction, regression of the embedding on fixed features);
* :mod:`~skdeepcluster.losses.hardening`: DEC's cluster-assignment hardening;
* :mod:`~skdeepcluster.losses.kmeans`: DCN's k-means loss;
* :mod:`~skdeepcluster.losses.divergence`: DDC's Cauchy–Schwarz divergence;
* :mod:`~skdeepcluster.losses.mixture`: DMAE's dissimilarity mixture;
* :mod:`~skdeepcluster.losses.discriminative`: the discriminative latent
  space method's pairwise cosine losses;
* :mod:`~skdeepcluster.losses.information`: IMSAT's mutual information
  between inputs and assignments;
* :mod:`~skdeepcluster.losses.adversarial`: virtual adversarial training
  (VAT), IMSAT's regulariser.
* :mod:`~skdeepcluster.losses.variational`: VaDE's evidence lower bound
  (the likelihood of the input, the KL to a Gaussian-mixture prior);
* :mod:`~skdeepcluster.losses.locality`: DEN's locality preservation and
  group sparsity of the embedding;
* :mod:`~skdeepcluster.losses.classification`: CCNN's cross-entropy against
  mini-batch k-means labels and its feature drift compensation.

Each function maps tensors to tensors, so that it can be checked against a
small hand-computed example and against the paper's formula.  The criterion
modules combine them into the objectives the training engine minimises; they
are called as ``criterion(outputs, X_batch, batch_indices)``.
"""

from .adversarial import *  # noqa: F401,F403
from .adversarial import __all__ as _adversarial
from .combined import *  # noqa: F401,F403
from .combined import __all__ as _combined
from .classification import *  # noqa: F401,F403
from .classification import __all__ as _classification
from .discriminative import *  # noqa: F401,F403
from .discriminative import __all__ as _discriminative
from .divergence import *  # noqa: F401,F403
from .divergence import __all__ as _divergence
from .hardening import *  # noqa: F401,F403
from .hardening import __all__ as _hardening
from .information import *  # noqa: F401,F403
from .information import __all__ as _information
from .locality import *  # noqa: F401,F403
from .locality import __all__ as _locality
from .kmeans import *  # noqa: F401,F403
from .kmeans import __all__ as _kmeans
from .mixture import *  # noqa: F401,F403
from .mixture import __all__ as _mixture
from .reconstruction import *  # noqa: F401,F403
from .reconstruction import __all__ as _reconstruction
from .variational import *  # noqa: F401,F403
from .variational import __all__ as _variational

__all__ = [
    *_reconstruction, *_hardening, *_kmeans, *_divergence, *_mixture, *_discriminative,
    *_information, *_adversarial, *_variational, *_locality, *_classification, *_combined,
]
