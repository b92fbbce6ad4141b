"""Compose a deep clustering method along the axes of the taxonomy.

:class:`DeepClustering` takes one component per axis:

==========================  =====================================================
axis                        components
==========================  =====================================================
1. network                  :class:`AutoencoderNetwork`, :class:`SoftmaxHeadNetwork`,
                            :class:`IdentityNetwork`,
                            :class:`VariationalAutoencoderNetwork`,
                            :class:`NoisyAutoencoderNetwork`,
                            :class:`EmbeddingSpaceNetwork`,
                            :class:`EmbeddingNetwork`,
                            :class:`GenerativeAdversarialNetwork`
2. features                 ``features="embedding" | "hidden" | "layers"``
3. non-clustering loss      :class:`Reconstruction`, :class:`VirtualAdversarial`,
                            :class:`ELBOReconstruction`, :class:`LocalityPreservation`,
                            :class:`GroupSparsity`, :class:`LayerwiseReconstruction`,
                            :class:`AdversarialGame`
4. clustering loss          :class:`Hardening`, :class:`KMeansLoss`,
                            :class:`CauchySchwarz`, :class:`DissimilarityMixtureLoss`,
                            :class:`PairwiseDiscriminative`, :class:`MutualInformation`,
                            :class:`NoClusteringLoss`, :class:`MixturePriorKL`,
                            :class:`BalancedCrossEntropy`, :class:`EmbeddingCrossEntropy`,
                            :class:`CategoricalCode`, :class:`SameClusterPairs`,
                            :class:`WeightedTriplet`, :class:`ClusterClassification`
5. how the losses combine   :class:`PretrainThenCluster`, :class:`JointTraining`,
                            :class:`StepDecay`, :class:`InverseDecay` (of the
                            learning rate)
6. cluster updates          :class:`Joint`, :class:`TargetRefresh`,
                            :class:`CountedCentres`, :class:`MeanCentres`,
                            :class:`EpochAssignments`, :class:`EpochTargetRefresh`,
                            :class:`AdaptiveThresholds`, :class:`DecreasingThreshold`,
                            :class:`AgglomerativeMerges`, :class:`MiniBatchKMeansCentres`
7. after training           ``readout="assignments"``, a scikit-learn clusterer,
                            :class:`BestOfRuns`
==========================  =====================================================
"""

from .affinities import EmbeddingCrossEntropy
from .balanced import BalancedCrossEntropy
from .estimator import DeepClustering
from .gan import AdversarialGame, CategoricalCode, GenerativeAdversarialNetwork
from .losses import (
    CauchySchwarz,
    ClusterClassification,
    DissimilarityMixtureLoss,
    Hardening,
    KMeansLoss,
    MixturePriorKL,
    MutualInformation,
    NoClusteringLoss,
    PairwiseDiscriminative,
)
from .method_networks import EmbeddingNetwork, EmbeddingSpaceNetwork, NoisyAutoencoderNetwork
from .networks import (
    AutoencoderNetwork,
    IdentityNetwork,
    LayerFeatures,
    SoftmaxHeadNetwork,
    VariationalAutoencoderNetwork,
)
from .non_clustering import (
    ELBOReconstruction,
    GroupSparsity,
    LayerwiseReconstruction,
    LocalityPreservation,
    Reconstruction,
    VirtualAdversarial,
)
from .preset import Preset
from .readouts import BestOfRuns
from .same_cluster import SameClusterPairs
from .schedules import Augmentation, InverseDecay, JointTraining, PretrainThenCluster, StepDecay
from .triplet import WeightedTriplet
from .updates import (
    AdaptiveThresholds,
    AgglomerativeMerges,
    CountedCentres,
    DecreasingThreshold,
    EpochAssignments,
    EpochTargetRefresh,
    Joint,
    MeanCentres,
    MiniBatchKMeansCentres,
    TargetRefresh,
)

__all__ = [
    "DeepClustering",
    "Preset",
    # 1. network
    "AutoencoderNetwork",
    "SoftmaxHeadNetwork",
    "IdentityNetwork",
    "VariationalAutoencoderNetwork",
    "NoisyAutoencoderNetwork",
    "EmbeddingSpaceNetwork",
    "EmbeddingNetwork",
    "GenerativeAdversarialNetwork",
    "LayerFeatures",
    # 3. non-clustering loss
    "Reconstruction",
    "VirtualAdversarial",
    "ELBOReconstruction",
    "LocalityPreservation",
    "GroupSparsity",
    "LayerwiseReconstruction",
    "AdversarialGame",
    # 4. clustering loss
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
    "CategoricalCode",
    "SameClusterPairs",
    "WeightedTriplet",
    "ClusterClassification",
    # 5. schedule
    "PretrainThenCluster",
    "JointTraining",
    "StepDecay",
    "InverseDecay",
    "Augmentation",
    # 6. cluster updates
    "Joint",
    "TargetRefresh",
    "CountedCentres",
    "MeanCentres",
    "EpochAssignments",
    "EpochTargetRefresh",
    "AdaptiveThresholds",
    "DecreasingThreshold",
    "AgglomerativeMerges",
    "MiniBatchKMeansCentres",
    # 7. after training
    "BestOfRuns",
]
