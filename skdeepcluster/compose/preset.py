"""The named methods as presets: a map from their parameters onto components."""

from numbers import Integral, Real

import torch
from sklearn.utils._param_validation import Interval, StrOptions
from torch import nn

from ..base import _OPTIMIZERS
from ..engine import PRECISIONS
from .auto import AUTO_MIN_STEPS
from .estimator import DeepClustering, _Composition
from .networks import AutoencoderNetwork
from .schedules import Augmentation

__all__ = ["Preset"]


class Preset(DeepClustering):
    """A named method: its own parameters, mapped onto a :class:`DeepClustering` composition.

    A preset's ``__init__`` stores the method's parameters (as in its paper);
    :meth:`to_deep_clustering` maps them onto components.  Fitting a preset
    fits that composition, so both give the same labels; start from a preset
    and change one axis with ``preset.to_deep_clustering().set_params(...)``.
    """

    # The parameters the autoencoder presets share.
    _parameter_constraints = {
        "n_clusters": [Interval(Integral, 1, None, closed="left")],
        "hidden_dims": ["array-like", StrOptions({"auto"})],
        "embedding_dim": [Interval(Integral, 1, None, closed="left")],
        "network": [StrOptions({"mlp", "conv", "conv_bn", "auto"})],
        "input_shape": ["array-like", None],
        "encoder": [nn.Module, None],
        "decoder": [nn.Module, None],
        "pretrain_epochs": [Interval(Integral, 0, None, closed="left"), StrOptions({"auto"})],
        "pretrain_lr": [Interval(Real, 0, None, closed="neither")],
        "pretrain_optimizer": [StrOptions(set(_OPTIMIZERS)), type],
        "weight_init": [StrOptions({"torch", "glorot"})],
        "epochs": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "optimizer": [StrOptions(set(_OPTIMIZERS)), type],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "precision": [StrOptions(set(PRECISIONS))],
        "callbacks": [list, None],
        "device": [str, torch.device, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    # The constraints of the image-augmentation switches, for the presets that take them.
    _augmentation_constraints = {
        "augment": ["boolean"],
        "augment_clustering": ["boolean"],
        "augment_rotation": [Interval(Real, 0, 180, closed="both")],
        "augment_shift": [Interval(Real, 0, 1, closed="both")],
    }

    def __init__(self):  # pragma: no cover - presets define their own
        raise TypeError("Preset is abstract; use a named method or DeepClustering.")

    def to_deep_clustering(self):
        """The equivalent :class:`DeepClustering`, with this preset's settings.

        Returns
        -------
        model : DeepClustering
            Unfitted; ``model.fit(X)`` gives the same labels as this preset's.
        """
        raise NotImplementedError

    def _composition(self):
        return _Composition(self.to_deep_clustering())

    def _common(self, **overrides):
        """The settings every composition takes from the preset's parameters of the same name."""
        names = ("n_clusters", "lr", "optimizer", "n_init", "batch_size", "precision",
                 "callbacks", "device", "random_state", "verbose")
        common = {name: getattr(self, name) for name in names if hasattr(self, name)}
        return {**common, **overrides}

    def _lengths(self, pretrain_epochs=None, epochs=None):
        """The schedule's lengths; a phase's ``"auto"`` is the given (paper's) epochs, or more.

        Returns the keywords of :class:`~skdeepcluster.compose.PretrainThenCluster`
        (or :class:`~skdeepcluster.compose.JointTraining`, without
        ``pretrain_epochs``): an ``"auto"`` phase takes at least
        :data:`~skdeepcluster.compose.auto.AUTO_MIN_STEPS` gradient steps, an
        explicit one exactly its epochs.
        """
        lengths = {}
        phases = (("pretrain_epochs", pretrain_epochs, "min_pretrain_steps", AUTO_MIN_STEPS[0]),
                  ("epochs", epochs, "min_steps", AUTO_MIN_STEPS[1]))
        for name, reference, steps_name, min_steps in phases:
            if reference is None:
                continue
            auto = isinstance(getattr(self, name), str)
            lengths[name] = reference if auto else getattr(self, name)
            lengths[steps_name] = min_steps if auto else 0
        return lengths

    def _autoencoder(self):
        """The preset's ``network``, ``hidden_dims``, ... as an :class:`AutoencoderNetwork`."""
        return AutoencoderNetwork(
            self.network, hidden_dims=self.hidden_dims, embedding_dim=self.embedding_dim,
            input_shape=self.input_shape, encoder=self.encoder, decoder=self.decoder,
            weight_init=self.weight_init,
        )

    # The parameter that weighs a reconstruction from ``source``, for error messages.
    _reconstruction_parameters = {}

    def _no_decoder_message(self, loss):
        name = self._reconstruction_parameters.get(loss.source)
        if name is None:
            return f"{type(self).__name__} reconstructs its input: pass decoder= with encoder=."
        return (
            f"{name} > 0 needs a decoder: pass decoder= with encoder=, or set {name}=0."
        )

    def _augmentation_switch(self, phase):
        return "augment=True" if phase == "pretraining" else "augment_clustering=True"

    def _augmentation(self):
        """The preset's ``augment*`` switches as an :class:`Augmentation`, or None."""
        if not (getattr(self, "augment", False) or getattr(self, "augment_clustering", False)):
            return None
        return Augmentation(
            self.augment_rotation, self.augment_shift,
            pretraining=self.augment, clustering=self.augment_clustering,
        )
