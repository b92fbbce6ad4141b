"""Compose a deep clustering method along the axes of the taxonomy.

:class:`DeepClustering` takes one component per axis:

==========================  =====================================================
axis                        components
==========================  =====================================================
1. network                  :class:`AutoencoderNetwork`, :class:`SoftmaxHeadNetwork`,
                            :class:`IdentityNetwork`,
                            :class:`VariationalAutoencoderNetwork`,
                            :class:`NoisyAutoencoderNetwork`
                            :class:`EmbeddingSpaceNetwork`
                            :class:`EmbeddingNetwork`
2. features                 ``features="embedding" | "hidden" | "layers"``
3. non-clustering loss      :class:`Reconstruction`, :class:`VirtualAdversarial`,
                            :class:`ELBOReconstruction`, :class:`LocalityPreservation`,
                            :class:`GroupSparsity`, :class:`LayerwiseReconstruction`
                            :class:`GenerativeAdversarialNetwork`
2. features                 ``features="embedding" | "hidden" | "layers"``
3. non-clustering loss      :class:`Reconstruction`, :class:`VirtualAdversarial`,
                            :class:`ELBOReconstruction`, :class:`LocalityPreservation`,
                            :class:`GroupSparsity`, :class:`AdversarialGame`
4. clustering loss          :class:`Hardening`, :class:`KMeansLoss`,
                            :class:`CauchySchwarz`, :class:`DissimilarityMixtureLoss`,
                            :class:`PairwiseDiscriminative`, :class:`MutualInformation`,
                            :class:`NoClusteringLoss`, :class:`MixturePriorKL`,
                            :class:`BalancedCrossEntropy`
                            :class:`EmbeddingCrossEntropy`
                            :class:`CategoricalCode`
                            :class:`SameClusterPairs`
                            :class:`WeightedTriplet`
5. how the losses combine   :class:`PretrainThenCluster`, :class:`JointTraining`,
                            :class:`StepDecay`, :class:`InverseDecay` (of the
                            learning rate)
6. cluster updates          :class:`Joint`, :class:`TargetRefresh`,
                            :class:`CountedCentres`, :class:`MeanCentres`,
                            :class:`EpochAssignments`, :class:`EpochTargetRefresh`
                            :class:`EpochAssignments`, :class:`AdaptiveThresholds`,
                            :class:`DecreasingThreshold`
                            :class:`EpochAssignments`, :class:`AgglomerativeMerges`
7. after training           ``readout="assignments"``, a scikit-learn clusterer,
                            :class:`BestOfRuns`
==========================  =====================================================
"""

from .affinities import EmbeddingCrossEntropy
from .estimator import DeepClustering
from .balanced import BalancedCrossEntropy
from .gan import AdversarialGame, CategoricalCode, GenerativeAdversarialNetwork
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
    LayerwiseReconstruction,
    LocalityPreservation,
    Reconstruction,
    VirtualAdversarial,
)
from .networks import (
    AutoencoderNetwork,
    EmbeddingSpaceNetwork,
    EmbeddingNetwork,
    IdentityNetwork,
    LayerFeatures,
    NoisyAutoencoderNetwork,
    SoftmaxHeadNetwork,
    VariationalAutoencoderNetwork,
)
from .preset import Preset
from .same_cluster import SameClusterPairs
from .readouts import BestOfRuns
from .schedules import Augmentation, JointTraining, PretrainThenCluster, StepDecay
from .updates import (
    CountedCentres,
    EpochAssignments,
    EpochTargetRefresh,
    AdaptiveThresholds,
    CountedCentres,
    DecreasingThreshold,
    EpochAssignments,
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
    "NoisyAutoencoderNetwork",
    "EmbeddingSpaceNetwork",
    "LayerFeatures",
    "Reconstruction",
    "VirtualAdversarial",
    "ELBOReconstruction",
    "LocalityPreservation",
    "GroupSparsity",
    "LayerwiseReconstruction",
    "Hardening",
    "KMeansLoss",
    "CauchySchwarz",
    "DissimilarityMixtureLoss",
    "PairwiseDiscriminative",
    "NoClusteringLoss",
    "MutualInformation",
    "MixturePriorKL",
    "BalancedCrossEntropy",
    "EmbeddingCrossEntropy",
    "PretrainThenCluster",
    "JointTraining",
    "StepDecay",
    "Augmentation",
    "Joint",
    "TargetRefresh",
    "CountedCentres",
    "MeanCentres",
    "EpochAssignments",
    "EpochTargetRefresh",
    "SameClusterPairs",
    "AdaptiveThresholds",
    "DecreasingThreshold",
    "BestOfRuns",
    "GenerativeAdversarialNetwork",
    "AdversarialGame",
    "CategoricalCode",
    "Preset",
    "EmbeddingNetwork",
    "WeightedTriplet",
    "InverseDecay",
    "AgglomerativeMerges",
]
