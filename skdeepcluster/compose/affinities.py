"""Axis 4 of the taxonomy, continued: a clustering loss on pairwise affinities (Dahal 2018).

In a module of its own so that :mod:`.losses` stays short; it is exported
with the other clustering losses from :mod:`skdeepcluster.compose`.
"""

from ..losses.embedding import EmbeddingCrossEntropyLoss
from .losses import _ClusteringLoss

__all__ = ["EmbeddingCrossEntropy"]


class EmbeddingCrossEntropy(_ClusteringLoss):
    """The embedding-space loss: the latent's pairwise affinities as targets of the embedding's.

    ``L_E = -sum_{i != j} p_ij log q_ij`` over each batch, with Student's t
    affinities ``p`` of the autoencoder's latent points ``z`` (``latent_dof``
    degrees of freedom) and ``q`` of the representation network's embedding
    ``e`` (``embedding_dof``)
    (:func:`~skdeepcluster.losses.embedding_cross_entropy`).  The
    representation network trains on ``L_E``, the encoder on
    ``L_R + encoder_weight * L_E`` (the gradient of ``L_E`` reaching it is
    scaled, :func:`~skdeepcluster.losses.scale_gradient`), the decoder on the
    reconstruction ``L_R`` alone.  It puts no clustering head on the network:
    a clusterer on the embedding gives the labels (``readout=KMeans()``).
    Needs :class:`EmbeddingSpaceNetwork`.

    Parameters
    ----------
    encoder_weight : float, default=0.01
        Weight of ``L_E`` in the encoder's loss (the paper's 0.01).
    latent_dof : float or "auto", default="auto"
        Degrees of freedom of ``p``; ``"auto"`` is twice the latent width
        (the paper's ``a = 2 d``).
    embedding_dof : float, default=1.0
        Degrees of freedom of ``q`` (the paper's 1).
    normalization : {"pairs", "columns"}, default="pairs"
        ``p`` and ``q`` normalised over all pairs of the batch (the paper's),
        or each column over its rows with the loss summed over the columns
        (the author's code; about ``batch_size`` times larger, so its
        ``encoder_weight`` weighs that much more).
    """

    has_head = False
    # The paper's batch size.
    reference_batch_size = 100

    def __init__(self, encoder_weight=0.01, *, latent_dof="auto", embedding_dof=1.0,
                 normalization="pairs"):
        self.encoder_weight = encoder_weight
        self.latent_dof = latent_dof
        self.embedding_dof = embedding_dof
        self.normalization = normalization

    def check_network(self, network):
        if not getattr(network, "has_representation", False):
            raise ValueError(
                f"clustering_loss=EmbeddingCrossEntropy() compares a latent space with the "
                f"embedding of a representation network, which network="
                f"{type(network).__name__}() does not have; use EmbeddingSpaceNetwork()."
            )

    def describe_start(self, estimator, where, network):
        return f"by the readout on {where} after training (no clustering head)"

    def start(self, estimator, module, X_train, seed, reconstruct):
        return self.empty_head(module, None, reconstruct), {}

    def empty_head(self, module, state_dict, reconstruct):
        module.latent_gradient_scale = float(self.encoder_weight)
        return module

    def criterion(self):
        return EmbeddingCrossEntropyLoss(
            self.latent_dof, self.embedding_dof, self.normalization
        )

    def centers(self, module):
        return None
