"""Compose a deep clustering method along the axes of the taxonomy.

:class:`DeepClustering` takes one component per axis:

==========================  =====================================================
axis                        components
==========================  =====================================================
1. network                  :class:`AutoencoderNetwork`, :class:`SoftmaxHeadNetwork`,
                            :class:`IdentityNetwork`,
                            :class:`VariationalAutoencoderNetwork`
2. features                 ``features="embedding" | "hidden" | "layers"``
3. non-clustering loss      :class:`Reconstruction`, :class:`VirtualAdversarial`,
                            :class:`ELBOReconstruction`, :class:`LocalityPreservation`,
                            :class:`GroupSparsity`
4. clustering loss          :class:`Hardening`, :class:`KMeansLoss`,
                            :class:`CauchySchwarz`, :class:`DissimilarityMixtureLoss`,
                            :class:`PairwiseDiscriminative`, :class:`MutualInformation`,
                            :class:`NoClusteringLoss`, :class:`MixturePriorKL`,
                            :class:`ClusterClassification`
5. how the losses combine   :class:`PretrainThenCluster`, :class:`JointTraining`,
                            :class:`StepDecay` (of the learning rate)
6. cluster updates          :class:`Joint`, :class:`TargetRefresh`,
                            :class:`CountedCentres`, :class:`MeanCentres`,
                            :class:`EpochAssignments`, :class:`MiniBatchKMeansCentres`
7. after training           ``readout="assignments"``, a scikit-learn clusterer,
                            :class:`BestOfRuns`
==========================  =====================================================
"""

from .estimator import DeepClustering
from .losses import (
    CauchySchwarz,
    ClusterClassification,
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
    IdentityNetwork,
    LayerFeatures,
    SoftmaxHeadNetwork,
    VariationalAutoencoderNetwork,
)
from .preset import Preset
from .readouts import BestOfRuns
from .schedules import Augmentation, JointTraining, PretrainThenCluster, StepDecay
from .updates import (
    CountedCentres,
    EpochAssignments,
    Joint,
    MeanCentres,
    MiniBatchKMeansCentres,
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
    "ClusterClassification",
    "PretrainThenCluster",
    "JointTraining",
    "StepDecay",
    "Augmentation",
    "Joint",
    "TargetRefresh",
    "CountedCentres",
    "MeanCentres",
    "EpochAssignments",
    "MiniBatchKMeansCentres",
    "BestOfRuns",
    "Preset",
]
