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
* :mod:`~skdeepcluster.losses.balanced`: DEPICT's balanced target, soft
  cross-entropy and layer-wise reconstruction.
* :mod:`~skdeepcluster.losses.embedding`: the embedding-space network's
  cross-entropy of pairwise Student's t affinities (Dahal 2018).
* :mod:`~skdeepcluster.losses.gan`: InfoGAN's adversarial game and the
  information term of its codes.
* :mod:`~skdeepcluster.losses.same_cluster`: DAC's classification of pairs
  as in the same cluster or not.
* :mod:`~skdeepcluster.losses.triplet`: JULE's weighted triplet loss.
* :mod:`~skdeepcluster.losses.classification`: CCNN's cross-entropy against
  mini-batch k-means labels and its feature drift compensation.

Each function maps tensors to tensors, so that it can be checked against a
small hand-computed example and against the paper's formula.  The criterion
modules combine them into the objectives the training engine minimises; they
are called as ``criterion(outputs, X_batch, batch_indices)``.
"""

from .adversarial import *  # noqa: F401,F403
from .adversarial import __all__ as _adversarial
from .balanced import *  # noqa: F401,F403
from .balanced import __all__ as _balanced
from .combined import *  # noqa: F401,F403
from .combined import __all__ as _combined
from .classification import *  # noqa: F401,F403
from .classification import __all__ as _classification
from .discriminative import *  # noqa: F401,F403
from .embedding import *  # noqa: F401,F403
from .embedding import __all__ as _embedding
from .discriminative import __all__ as _discriminative
from .divergence import *  # noqa: F401,F403
from .divergence import __all__ as _divergence
from .gan import *  # noqa: F401,F403
from .gan import __all__ as _gan
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
from .same_cluster import *  # noqa: F401,F403
from .same_cluster import __all__ as _same_cluster
from .reconstruction import __all__ as _reconstruction
from .triplet import *  # noqa: F401,F403
from .triplet import __all__ as _triplet
from .variational import *  # noqa: F401,F403
from .variational import __all__ as _variational

__all__ = [
    *_reconstruction, *_hardening, *_kmeans, *_divergence, *_mixture, *_discriminative,
    *_information, *_adversarial, *_variational, *_locality, *_balanced, *_embedding, *_gan,
    *_same_cluster, *_triplet, *_classification, *_combined,
]
