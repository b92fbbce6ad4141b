"""Axis 4: JULE's weighted triplet loss, trained on the labels of agglomerative merges.

In a module of its own (the other clustering losses are in :mod:`.losses`).
"""

import torch

from ..losses.triplet import WeightedTripletLoss
from ..networks.embedding import NormalizedEmbeddingModule
from .losses import _ClusteringLoss
from .method_networks import EmbeddingNetwork
from .updates import AgglomerativeMerges

__all__ = ["WeightedTriplet"]


class WeightedTriplet(_ClusteringLoss):
    """JULE's weighted triplet loss ``max(0, gamma ||z_i - z_j||^2 - ||z_i - z_k||^2 + margin)``.

    Within each batch, every two samples of the same current cluster form a
    positive pair, each with ``n_negatives`` samples of other clusters drawn
    from the batch; the loss is the mean over these triplets of the L2-normalised
    features (:func:`~skdeepcluster.losses.weighted_triplet_loss`).  The
    labels come from :class:`AgglomerativeMerges`, its cluster update; the
    head holds the final clusters' mean features as centres, and new samples
    go to the nearest.  Needs :class:`EmbeddingNetwork`.

    Parameters
    ----------
    gamma : float, default=1.0
        Weight of the positive distance (the paper's ``lambda``; the code's
        ``gamma_tr``).
    margin : float, default=0.2
        The margin ``m``.
    n_negatives : int, default=20
        Negatives per positive pair (the code's ``num_nsampling``).
    """

    updates = (AgglomerativeMerges,)
    reference_batch_size = 100

    def __init__(self, gamma=1.0, margin=0.2, n_negatives=20):
        self.gamma = gamma
        self.margin = margin
        self.n_negatives = n_negatives

    def check_network(self, network):
        if not isinstance(network, EmbeddingNetwork):
            raise ValueError(
                "clustering_loss=WeightedTriplet() trains L2-normalised features without a "
                f"decoder; network={type(network).__name__}() is not one: use "
                "network=EmbeddingNetwork()."
            )

    def describe_start(self, estimator, where, network):
        return "as nearest-neighbour chains of the input, merged at each period"

    def start(self, estimator, module, X_train, seed, reconstruct):
        width = estimator._encode(module, X_train[:2]).shape[1]
        return NormalizedEmbeddingModule(module, torch.zeros(estimator.n_clusters, width)), {}

    def empty_head(self, module, state_dict, reconstruct):
        return NormalizedEmbeddingModule(module, torch.zeros_like(state_dict["centers"]))

    def criterion(self):
        return WeightedTripletLoss(self.gamma, self.margin, self.n_negatives)

    def fitted_attributes(self, module):
        # the final agglomerative clusters of the training data, left by the update
        labels = module.__dict__.pop("training_labels", None)
        return {} if labels is None else {"labels_": labels}
