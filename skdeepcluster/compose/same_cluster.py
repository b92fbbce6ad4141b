"""Axis 4 of the taxonomy: DAC's pairwise "same cluster" classification.

In a module of its own beside :mod:`.losses`, which holds the other
clustering losses.
"""

from ..losses.same_cluster import PAIR_LOSSES, SameClusterLoss
from .losses import _SoftmaxAssignments
from .updates import AdaptiveThresholds, DecreasingThreshold

__all__ = ["SameClusterPairs"]


class SameClusterPairs(_SoftmaxAssignments):
    """DAC's loss: classify the pairs of a batch the network is sure of as same or different.

    The cosine ``g_ij`` of two samples' unit-length softmax assignments is
    compared with two thresholds: pairs of cosine at least ``u`` are
    labelled "same", below ``l`` "different", and the network minimises the
    pair loss of the labelled pairs
    (:func:`~skdeepcluster.losses.same_cluster_loss`).  The thresholds are
    epoch state, moved by the cluster update: :class:`AdaptiveThresholds`
    (the paper's, the default) or :class:`DecreasingThreshold` (the
    authors' code's one threshold).  Needs softmax assignments: those of
    :class:`SoftmaxHeadNetwork` (DAC's, DDC's, IMSAT's), or a softmax layer
    this loss puts on any other network's features.

    Parameters
    ----------
    loss : {"binary_cross_entropy", "squared_error"}, default="binary_cross_entropy"
        The loss of a labelled pair: the paper's cross-entropy, or the
        squared error of the authors' MNIST code.
    weight : float, default=1.0
        Weight of the term.
    """

    updates = (AdaptiveThresholds, DecreasingThreshold)
    # The authors' code's batches.
    reference_batch_size = 128

    def __init__(self, loss="binary_cross_entropy", weight=1.0):
        self.loss = loss
        self.weight = weight

    def check_update(self, update):
        if self.loss not in PAIR_LOSSES:
            raise ValueError(f"SameClusterPairs(loss=...) must be one of {PAIR_LOSSES}; got "
                             f"{self.loss!r}.")

    def criterion(self):
        return SameClusterLoss(self.loss, self.weight)
