"""Compose a deep clustering method along the axes of the taxonomy.

:class:`DeepClustering` takes one component per axis:

==========================  =====================================================
axis                        components
==========================  =====================================================
1. network                  :class:`AutoencoderNetwork`, :class:`SoftmaxHeadNetwork`,
                            :class:`IdentityNetwork`,
                            :class:`VariationalAutoencoderNetwork`,
                            :class:`EmbeddingNetwork`
2. features                 ``features="embedding" | "hidden" | "layers"``
3. non-clustering loss      :class:`Reconstruction`, :class:`VirtualAdversarial`,
                            :class:`ELBOReconstruction`, :class:`LocalityPreservation`,
                            :class:`GroupSparsity`
4. clustering loss          :class:`Hardening`, :class:`KMeansLoss`,
                            :class:`CauchySchwarz`, :class:`DissimilarityMixtureLoss`,
                            :class:`PairwiseDiscriminative`, :class:`MutualInformation`,
                            :class:`NoClusteringLoss`, :class:`MixturePriorKL`,
                            :class:`WeightedTriplet`
5. how the losses combine   :class:`PretrainThenCluster`, :class:`JointTraining`,
                            :class:`StepDecay`, :class:`InverseDecay` (of the
                            learning rate)
6. cluster updates          :class:`Joint`, :class:`TargetRefresh`,
                            :class:`CountedCentres`, :class:`MeanCentres`,
                            :class:`EpochAssignments`, :class:`AgglomerativeMerges`
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
    MixturePriorKL,
    PairwiseDiscriminative,
)
from .non_clustering import (
    ELBOReconstruction,
    GroupSparsity,
    LocalityPreservation,
    Reconstruction,
    VirtualAdversarial,
)
from .networks import (
    AutoencoderNetwork,
    EmbeddingNetwork,
    IdentityNetwork,
    LayerFeatures,
    SoftmaxHeadNetwork,
    VariationalAutoencoderNetwork,
)
from .preset import Preset
from .readouts import BestOfRuns
from .schedules import Augmentation, InverseDecay, JointTraining, PretrainThenCluster, StepDecay
from .triplet import WeightedTriplet
from .updates import (
    AgglomerativeMerges,
    CountedCentres,
    EpochAssignments,
    Joint,
    MeanCentres,
    TargetRefresh,
)

__all__ = [
    "DeepClustering",
    "AutoencoderNetwork",
    "SoftmaxHeadNetwork",
    "IdentityNetwork",
    "VariationalAutoencoderNetwork",
    "LayerFeatures",
    "Reconstruction",
    "VirtualAdversarial",
    "ELBOReconstruction",
    "LocalityPreservation",
    "GroupSparsity",
    "Hardening",
    "KMeansLoss",
    "CauchySchwarz",
    "DissimilarityMixtureLoss",
    "PairwiseDiscriminative",
    "NoClusteringLoss",
    "MutualInformation",
    "MixturePriorKL",
    "PretrainThenCluster",
    "JointTraining",
    "StepDecay",
    "Augmentation",
    "Joint",
    "TargetRefresh",
    "CountedCentres",
    "MeanCentres",
    "EpochAssignments",
    "BestOfRuns",
    "Preset",
    "EmbeddingNetwork",
    "WeightedTriplet",
    "InverseDecay",
    "AgglomerativeMerges",
]
