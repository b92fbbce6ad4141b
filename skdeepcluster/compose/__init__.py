"""Compose a deep clustering method along the axes of the taxonomy.

:class:`DeepClustering` takes one component per axis:

==========================  =====================================================
axis                        components
==========================  =====================================================
1. network                  :class:`AutoencoderNetwork`, :class:`SoftmaxHeadNetwork`,
                            :class:`IdentityNetwork`
2. features                 ``features="embedding" | "hidden" | "layers"``
3. non-clustering loss      :class:`Reconstruction`, :class:`VirtualAdversarial`
4. clustering loss          :class:`Hardening`, :class:`KMeansLoss`,
                            :class:`CauchySchwarz`, :class:`DissimilarityMixtureLoss`,
                            :class:`PairwiseDiscriminative`, :class:`MutualInformation`,
                            :class:`NoClusteringLoss`
5. how the losses combine   :class:`PretrainThenCluster`, :class:`JointTraining`
6. cluster updates          :class:`Joint`, :class:`TargetRefresh`,
                            :class:`CountedCentres`, :class:`MeanCentres`,
                            :class:`EpochAssignments`
7. after training           ``readout="assignments"``, a scikit-learn clusterer,
                            :class:`BestOfRuns`
==========================  =====================================================
"""

from .estimator import DeepClustering
from .losses import (
    CauchySchwarz,
    DissimilarityMixtureLoss,
    Hardening,
    KMeansLoss,
    NoClusteringLoss,
    MutualInformation,
    PairwiseDiscriminative,
    Reconstruction,
    VirtualAdversarial,
)
from .networks import AutoencoderNetwork, IdentityNetwork, LayerFeatures, SoftmaxHeadNetwork
from .preset import Preset
from .readouts import BestOfRuns
from .schedules import Augmentation, JointTraining, PretrainThenCluster
from .updates import CountedCentres, EpochAssignments, Joint, MeanCentres, TargetRefresh

__all__ = [
    "DeepClustering",
    "AutoencoderNetwork",
    "SoftmaxHeadNetwork",
    "IdentityNetwork",
    "LayerFeatures",
    "Reconstruction",
    "VirtualAdversarial",
    "Hardening",
    "KMeansLoss",
    "CauchySchwarz",
    "DissimilarityMixtureLoss",
    "PairwiseDiscriminative",
    "NoClusteringLoss",
    "MutualInformation",
    "PretrainThenCluster",
    "JointTraining",
    "Augmentation",
    "Joint",
    "TargetRefresh",
    "CountedCentres",
    "MeanCentres",
    "EpochAssignments",
    "BestOfRuns",
    "Preset",
]
