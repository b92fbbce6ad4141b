"""scikit-learn's estimator suite over every public estimator."""

from sklearn.mixture import GaussianMixture
from sklearn.utils.estimator_checks import parametrize_with_checks

from skdeepcluster import (
    AljalboutClustering,
    DBCClustering,
    DeepClustering,
    DCNClustering,
    DDCClustering,
    DECClustering,
    DENClustering,
    DEPICTClustering,
    DMAEClustering,
    DiscriminativeLatentClustering,
    DMMClustering,
    EmbeddingSpaceClustering,
    IDECClustering,
    IMSATClustering,
    DACClustering,
    JULEClustering,
    CCNNClustering,
    NeuralClustering,
    VaDEClustering,
    InfoGANClustering,
)
from skdeepcluster.compose import (
    AutoencoderNetwork,
    KMeansLoss,
    PretrainThenCluster,
    Reconstruction,
)

# Small networks and few epochs: the suite fits each estimator dozens of times.
AUTOENCODER = dict(hidden_dims=(32,), embedding_dim=4, pretrain_epochs=10, epochs=5, n_init=3)
DDC = dict(hidden_dims=(16,), embedding_dim=8, epochs=5, batch_size=50)

ESTIMATORS = [
    DeepClustering(
        random_state=0, n_init=3,
        network=AutoencoderNetwork(hidden_dims=(32,), embedding_dim=4),
        non_clustering_loss=Reconstruction(0.5),
        schedule=PretrainThenCluster(pretrain_epochs=10, epochs=5),
    ),
    DeepClustering(
        random_state=0, n_init=3, network=AutoencoderNetwork(hidden_dims=(32,), embedding_dim=4),
        clustering_loss=KMeansLoss(), schedule=PretrainThenCluster(pretrain_epochs=10, epochs=5),
        readout=GaussianMixture(),
    ),
    DECClustering(random_state=0, **AUTOENCODER),
    IDECClustering(random_state=0, **AUTOENCODER),
    AljalboutClustering(random_state=0, network="mlp", **AUTOENCODER),
    DBCClustering(random_state=0, boost=3.0, **AUTOENCODER),
    DCNClustering(random_state=0, **AUTOENCODER),
    DDCClustering(n_init=1, random_state=0, **DDC),
    DDCClustering(n_init=3, voting=True, random_state=0, **DDC),
    DMMClustering(epochs=5, n_init=2, random_state=0),
    DMAEClustering(random_state=0, **dict(AUTOENCODER, n_init=2)),
    DiscriminativeLatentClustering(
        random_state=0, hidden_dims=(16,), embedding_dim=4, pretrain_epochs=5, epochs=6,
        n_init=3, batch_size=64,
    ),
    IMSATClustering(random_state=0, hidden_dims=(16, 16), epochs=50, batch_size=50, lr=0.01),
    DACClustering(random_state=0, hidden_dims=(32,), epochs=60, batch_size=50, lr=0.01),
    VaDEClustering(random_state=0, **dict(AUTOENCODER, n_init=2)),
    InfoGANClustering(random_state=0, hidden_dims=(16, 16), noise_dim=4, epochs=100, batch_size=10),
    NeuralClustering(random_state=0, hidden_dims=(32,), embedding_dim=4, epochs=10, n_init=3),
    DENClustering(random_state=0, hidden_dims=(32,), epochs=10, n_init=3),
    DEPICTClustering(random_state=0, hidden_dims=(32,), pretrain_epochs=10, pretrain_lr=1e-3,
                     warmup_epochs=2, epochs=5, lr=1e-3, n_init=3),
    EmbeddingSpaceClustering(random_state=0, **AUTOENCODER),
    JULEClustering(random_state=0, hidden_dims=(32,), embedding_dim=8, epochs_per_period=3),
    CCNNClustering(random_state=0, hidden_dims=(16,), embedding_dim=8, epochs=10, n_init=3),
]

# scikit-learn's sparse-input checks assume that an estimator with predict_proba
# is a classifier (they read classifier tags and expect 2 or 4 probability
# columns).  Our clusterers accept sparse input and their predict_proba has
# n_clusters columns; tests/test_sparse.py and each method's tests check
# sparse input instead.
SPARSE_PROBA_CHECKS = {
    "check_estimator_sparse_array": "sklearn's check expects classifier probabilities from "
    "predict_proba; sparse input is tested in tests/test_sparse.py",
    "check_estimator_sparse_matrix": "sklearn's check expects classifier probabilities from "
    "predict_proba; sparse input is tested in tests/test_sparse.py",
}


def expected_failed_checks(estimator):
    return SPARSE_PROBA_CHECKS if estimator.__sklearn_tags__().input_tags.sparse else {}


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
