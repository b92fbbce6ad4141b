"""How a clustering loss and the non-clustering losses combine into one objective."""

from torch import nn

from .reconstruction import reconstruction_loss

__all__ = ["CombinedLoss", "ReconstructionTerm"]


class ReconstructionTerm(nn.Module):
    """``weight`` times the reconstruction error of one of the network's outputs.

    Parameters
    ----------
    weight : float, default=1.0
        Weight of the term.
    reduction : {"mean", "sum"}, default="mean"
        Squared error averaged over samples and features (DEC, IDEC, DMAE),
        or summed over the features and averaged over the samples (DCN).
    output : str, default="reconstruction"
        The output holding the reconstruction: ``"reconstruction"``, or
        ``"embedding_reconstruction"`` for DMAE's decoder on the embedding.

    Examples
    --------
    >>> import torch
    >>> term = ReconstructionTerm(weight=2.0, reduction="sum")
    >>> term({"reconstruction": torch.ones(1, 3)}, torch.zeros(1, 3), None)
    tensor(6.)
    """

    def __init__(self, weight=1.0, reduction="mean", output="reconstruction"):
        super().__init__()
        self.weight = weight
        self.reduction = reduction
        self.output = output

    def forward(self, outputs, X, indices):
        reconstruction = outputs[self.output]
        error = reconstruction_loss(X, reconstruction)
        if self.reduction == "sum":
            error = reconstruction[0].numel() * error
        return self.weight * error


class CombinedLoss(nn.Module):
    """The clustering loss plus the non-clustering terms: ``L = L_c + sum_j L_j``.

    Each term carries its own weight.  A term whose ``needs_network`` is true
    (:class:`~skdeepcluster.losses.VirtualAdversarialTerm`) is called with
    ``network=`` the module being trained, which the engine passes to this
    loss.  The clustering term comes first and
    holds the clustering state that the cluster updates refresh (targets,
    centres, assignments, stage; see :func:`skdeepcluster.updates.clustering_criterion`).

    Parameters
    ----------
    clustering : torch.nn.Module or None
        The clustering criterion, called as ``clustering(outputs, X, indices)``;
        None for a phase without one (pretraining on reconstruction).
    terms : list of torch.nn.Module, default=()
        The non-clustering terms, added in order.
    """

    def __init__(self, clustering=None, terms=()):
        super().__init__()
        self.clustering = clustering
        self.terms = nn.ModuleList(terms)

    @property
    def needs_network(self):
        """Whether a term runs the network itself (the engine then passes ``network=``)."""
        return any(_needs_network(term) for term in (self.clustering, *self.terms))

    def forward(self, outputs, X, indices, network=None):
        loss = None
        for term in (self.clustering, *self.terms):
            if term is None:
                continue
            if _needs_network(term):
                value = term(outputs, X, indices, network=network)
            else:
                value = term(outputs, X, indices)
            loss = value if loss is None else loss + value
        return loss


def _needs_network(term):
    return getattr(term, "needs_network", False)
