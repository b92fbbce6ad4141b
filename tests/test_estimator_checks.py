"""scikit-learn's estimator suite over every public estimator."""

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from skdeepcluster import DECClustering, IDECClustering

# Small networks and few epochs: the suite fits each estimator dozens of times.
SMALL = dict(hidden_dims=(32,), embedding_dim=4, pretrain_epochs=10, epochs=5, n_init=3)

ESTIMATORS = [
    DECClustering(random_state=0, **SMALL),
    IDECClustering(random_state=0, **SMALL),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
