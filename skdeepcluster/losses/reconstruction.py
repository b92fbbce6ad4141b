"""Non-clustering losses: reconstruction and regression of the embedding.

Pure functions of tensors and the criterion modules of pretraining.
"""

from torch import nn
from torch.nn import functional as F

__all__ = [
    "reconstruction_loss",
    "ReconstructionLoss",
    "FeatureRegressionLoss",
]

def reconstruction_loss(x, x_reconstructed):
    """Mean squared reconstruction error, averaged over samples and features.

    Parameters
    ----------
    x : torch.Tensor of shape (n_samples, ...)
        The input batch.
    x_reconstructed : torch.Tensor of the same shape
        The decoder's output.

    Returns
    -------
    loss : torch.Tensor
        A scalar.

    Examples
    --------
    >>> import torch
    >>> reconstruction_loss(torch.zeros(2, 2), torch.ones(2, 2))
    tensor(1.)
    """
    return F.mse_loss(x_reconstructed, x.reshape(x_reconstructed.shape))


class ReconstructionLoss(nn.Module):
    """Autoencoder pretraining objective: the reconstruction error alone."""

    def forward(self, outputs, X, indices):
        return reconstruction_loss(X, outputs["reconstruction"])


class FeatureRegressionLoss(nn.Module):
    """Mean squared error of the embeddings against fixed per-sample targets.

    The first stage of pretraining on features (DMAE's ``pretrain_features``):
    the encoder learns to map each sample to its row of ``targets``, looked up
    by the batch's sample indices.

    Parameters
    ----------
    targets : torch.Tensor of shape (n_samples, embedding_dim)
        The target embedding of every training sample.

    Examples
    --------
    >>> import torch
    >>> loss = FeatureRegressionLoss(torch.tensor([[0.0, 0.0], [1.0, 1.0]]))
    >>> loss({"embedding": torch.zeros(1, 2)}, None, torch.tensor([1]))
    tensor(1.)
    """

    def __init__(self, targets):
        super().__init__()
        self.targets = targets

    def forward(self, outputs, X, indices):
        return F.mse_loss(outputs["embedding"], self.targets[indices])
