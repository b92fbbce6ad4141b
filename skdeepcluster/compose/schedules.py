"""Axis 5 of the taxonomy: how the losses combine over training."""

import torch
from skorch.callbacks import LRScheduler
from torch.optim.lr_scheduler import LambdaLR

from ..losses.combined import CombinedLoss
from ..losses.reconstruction import ReconstructionLoss
from ._base import Component
from .auto import auto_epochs

__all__ = ["PretrainThenCluster", "JointTraining", "Augmentation", "StepDecay", "InverseDecay"]


class _StepFactor:
    """``max(gamma ** (epoch // step_size), floor)``: a picklable ``lr_lambda``."""

    def __init__(self, step_size, gamma, floor):
        self.step_size, self.gamma, self.floor = step_size, gamma, floor

    def __call__(self, epoch):
        return max(self.gamma ** (epoch // self.step_size), self.floor)


class _LRSchedulerWithoutState(LRScheduler):
    """skorch's ``LRScheduler`` that pickles without its PyTorch scheduler.

    The scheduler holds the optimizer, whose tensors would be pickled outside
    skorch's device mapping (a CUDA-trained model would not unpickle on a
    CPU-only machine); it is made anew when training starts.
    """

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("lr_scheduler_", None)
        return state


class StepDecay(Component):
    """The learning rate times ``gamma`` every ``step_size`` epochs, down to ``min_lr`` (VaDE).

    ``lr_n = max(lr * gamma ** (n // step_size), min_lr)`` in epoch ``n``
    (from 0) of the clustering phase, as skorch's
    :class:`~skorch.callbacks.LRScheduler` around PyTorch's ``LambdaLR``.

    Parameters
    ----------
    step_size : int, default=10
        Epochs between two decays.
    gamma : float, default=0.9
        Factor of each decay.
    min_lr : float, default=0.0
        Floor of the learning rate.
    """

    def __init__(self, step_size=10, gamma=0.9, min_lr=0.0):
        self.step_size = step_size
        self.gamma = gamma
        self.min_lr = min_lr

    def callback(self, lr):
        """The skorch callback for a phase that starts at learning rate ``lr``."""
        factor = _StepFactor(int(self.step_size), float(self.gamma), min(1.0, self.min_lr / lr))
        return _LRSchedulerWithoutState(policy=LambdaLR, lr_lambda=factor)


def _decay_callbacks(lr_decay, lr):
    """The callbacks of a learning-rate decay (none for None)."""
    return [] if lr_decay is None else [("lr_decay", lr_decay.callback(lr))]


class _InverseFactor:
    """``(1 + gamma * step) ** -power``: a picklable ``lr_lambda``."""

    def __init__(self, gamma, power):
        self.gamma, self.power = gamma, power

    def __call__(self, step):
        return (1.0 + self.gamma * step) ** -self.power


class InverseDecay(Component):
    """The learning rate ``lr (1 + gamma t) ** -power`` at gradient step ``t`` (Caffe's "inv"; JULE).

    Parameters
    ----------
    gamma : float, default=1e-4
        Rate of the decay.
    power : float, default=0.75
        Its power.
    """

    def __init__(self, gamma=1e-4, power=0.75):
        self.gamma = gamma
        self.power = power

    def callback(self, lr):
        """The skorch callback, stepped after every batch."""
        factor = _InverseFactor(float(self.gamma), float(self.power))
        return _LRSchedulerWithoutState(policy=LambdaLR, lr_lambda=factor, step_every="batch")


class PretrainThenCluster(Component):
    """Pretrain the network on its own loss, then train with the clustering loss.

    Pretraining minimises the reconstruction error (or the clustering
    loss's own pretraining term, as the discriminative method's); the
    clustering phase minimises the clustering loss plus the non-clustering
    loss, if any (joint training, as IDEC; without one, fine-tuning, as DEC).

    Parameters
    ----------
    pretrain_epochs : int, default=100
        Epochs of pretraining; 0 skips it.
    epochs : int, default=100
        Epochs of the clustering phase (at most).
    pretrain_lr : float, default=1e-3
        Learning rate of pretraining.
    pretrain_optimizer : {"adam", "sgd"} or torch optimizer class, default="adam"
        Optimizer of pretraining.
    pretrain_features : scikit-learn transformer, default=None
        Pretrain in two stages: the encoder regresses this transformer's
        features of ``X``, then the decoder alone reconstructs ``X`` (see
        :class:`~skdeepcluster.DMAEClustering`).
    freeze_encoder : bool, default=False
        Train only the clustering head (and decoder) in the clustering phase.
    min_pretrain_steps, min_steps : int, default=0
        Gradient steps each phase takes at least: on a data set too small for
        that many in ``pretrain_epochs`` (``epochs``), more epochs.  The
        estimator's ``pretrain_epochs_`` and ``epochs_`` hold the numbers used.
    lr_decay : StepDecay or None, default=None
        How the clustering phase's learning rate decays over its epochs;
        None keeps it constant.
    adam_eps : float or None, default=None
        ``eps`` of Adam in the clustering phase (VaDE's reference: 1e-4);
        None is PyTorch's 1e-8.  Ignored by other optimizers.
    pretrain_loss : non-clustering component or None, default=None
        The loss the autoencoder pretrains on, e.g. ``ELBOReconstruction()``
        (the cross-entropy of a sigmoid decoder; the embedding-space
        network's); None is the squared error.
    """

    def __init__(
        self, pretrain_epochs=100, epochs=100, *, pretrain_lr=1e-3, pretrain_optimizer="adam",
        pretrain_features=None, freeze_encoder=False, min_pretrain_steps=0, min_steps=0,
        lr_decay=None, adam_eps=None, pretrain_loss=None,
    ):
        self.pretrain_epochs = pretrain_epochs
        self.epochs = epochs
        self.pretrain_lr = pretrain_lr
        self.pretrain_optimizer = pretrain_optimizer
        self.pretrain_features = pretrain_features
        self.freeze_encoder = freeze_encoder
        self.min_pretrain_steps = min_pretrain_steps
        self.min_steps = min_steps
        self.lr_decay = lr_decay
        self.adam_eps = adam_eps
        self.pretrain_loss = pretrain_loss

    def pretraining_criterion(self, own_terms=()):
        """What the autoencoder pretrains on, in words, and the criterion.

        ``pretrain_loss``'s term when it is set; otherwise ``own_terms``, the
        non-clustering terms that pretrain themselves (DEPICT's layer-wise
        reconstruction), when there are any; otherwise the squared error.
        """
        if self.pretrain_loss is not None:
            return "reconstruction", CombinedLoss(None, [self.pretrain_loss.term("reconstruction")])
        if own_terms:
            return " + ".join(type(t).__name__ for t in own_terms), CombinedLoss(None, own_terms)
        return "reconstruction", ReconstructionLoss()

    def callbacks(self, lr):
        """The clustering phase's schedule callbacks, for its learning rate ``lr``."""
        return _decay_callbacks(self.lr_decay, lr)

    def optimizer_options(self, optimizer):
        """skorch's ``optimizer__*`` settings of the clustering phase's ``optimizer``."""
        adam = optimizer == "adam" or (
            isinstance(optimizer, type) and issubclass(optimizer, torch.optim.Adam)
        )
        return {"optimizer__eps": self.adam_eps} if adam and self.adam_eps is not None else {}

    # The clustering phase's batches are drawn with the seed after pretraining's.
    clustering_seed_offset = 1

    def resolve_epochs(self, n_samples, batch_size):
        """``(pretrain_epochs, epochs)`` of a fit on ``n_samples`` in batches of ``batch_size``."""
        return (
            auto_epochs(self.pretrain_epochs, self.min_pretrain_steps, n_samples, batch_size)
            if self.pretrain_epochs else 0,
            auto_epochs(self.epochs, self.min_steps, n_samples, batch_size),
        )


class JointTraining(Component):
    """Train the network and the clustering loss together from the first step (DDC).

    Parameters
    ----------
    epochs : int, default=100
        Epochs of training.
    min_steps : int, default=0
        Gradient steps training takes at least: on a data set too small for
        that many in ``epochs``, more epochs (the estimator's ``epochs_``).
    small_data_size : int, default=0
        On a data set of fewer samples, train for ``min_steps`` gradient
        steps (rounded up to whole epochs) instead of ``epochs``; without
        ``min_steps``, ``epochs`` whatever the size.
    full_batch_steps : int, default=0
        On such a small data set taken in one batch, train for this many
        steps instead of ``min_steps`` (0: ``min_steps``): each step then
        follows the exact gradient of the whole data set.
    lr_decay : StepDecay, InverseDecay or None, default=None
        How the learning rate decays; None keeps it constant.
    weight_decay : float, default=0.0
        L2 weight decay of the optimizer (JULE's 5e-5).
    """

    pretrain_epochs = 0
    pretrain_features = None
    freeze_encoder = False
    clustering_seed_offset = 0

    def __init__(self, epochs=100, *, min_steps=0, small_data_size=0, full_batch_steps=0,
                 lr_decay=None, weight_decay=0.0):
        self.epochs = epochs
        self.min_steps = min_steps
        self.small_data_size = small_data_size
        self.full_batch_steps = full_batch_steps
        self.lr_decay = lr_decay
        self.weight_decay = weight_decay

    def callbacks(self, lr):
        """The schedule's callbacks, for the learning rate ``lr``."""
        return _decay_callbacks(self.lr_decay, lr)

    def optimizer_options(self, optimizer):
        """skorch's ``optimizer__*`` settings: the weight decay, if any."""
        return {"optimizer__weight_decay": self.weight_decay} if self.weight_decay else {}

    def resolve_epochs(self, n_samples, batch_size):
        """``(0, epochs)`` of a fit on ``n_samples`` in batches of ``batch_size``."""
        if self.min_steps and n_samples < self.small_data_size:  # the step budget alone
            full_batch = self.full_batch_steps and batch_size >= n_samples
            steps = self.full_batch_steps if full_batch else self.min_steps
            return 0, auto_epochs(1, steps, n_samples, batch_size)
        return 0, auto_epochs(self.epochs, self.min_steps, n_samples, batch_size)


class Augmentation(Component):
    """Random rotations and shifts of training images (DEC-DA, DMAE on MNIST).

    Parameters
    ----------
    rotation : float, default=10.0
        Largest rotation, in degrees.
    shift : float, default=0.1
        Largest shift, as a fraction of the image's height and width.
    pretraining : bool, default=True
        Augment the pretraining batches.
    clustering : bool, default=False
        Augment the clustering phase's batches (the targets and labels are
        computed on the original images).
    zoom : float, default=0.0
        Largest zoom, as a fraction (DAC's code: 0.05, factors in [0.95, 1.05]).
    """

    def __init__(self, rotation=10.0, shift=0.1, *, pretraining=True, clustering=False, zoom=0.0):
        self.rotation = rotation
        self.shift = shift
        self.zoom = zoom
        self.pretraining = pretraining
        self.clustering = clustering
