"""A search over an estimator's loss weight runs on a Dask cluster through joblib.

Each fit of ``GridSearchCV`` is a joblib task; under ``parallel_backend("dask")``
the tasks go to the cluster's workers, the estimator travelling pickled.  The
scores must be those of the same search run in this process.
"""

import numpy as np
import pytest
from joblib import parallel_backend
from sklearn.datasets import make_blobs
from sklearn.model_selection import GridSearchCV

from skdeepcluster import DECClustering
from skdeepcluster.metrics import CLUSTERING_SCORERS
from threads import one_torch_thread

distributed = pytest.importorskip("distributed", reason="the dask extra: dask[distributed]")


def _search():
    model = DECClustering(
        n_clusters=3, hidden_dims=(16,), embedding_dim=2, pretrain_epochs=3, epochs=3,
        batch_size=32, device="cpu", random_state=0,
    )
    return GridSearchCV(
        model, {"alpha": [0.5, 1.0, 2.0]}, scoring=CLUSTERING_SCORERS, refit="accuracy",
        cv=2, n_jobs=-1,
    )


def test_grid_search_on_a_local_dask_cluster_matches_the_local_search():
    X, y = make_blobs(120, centers=3, random_state=0)
    X = X.astype(np.float32)
    with one_torch_thread():
        local = _search().set_params(n_jobs=1).fit(X, y)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
        env={"OMP_NUM_THREADS": "1"},  # one thread a worker, as the local search
    ) as cluster, distributed.Client(cluster) as client:
        with one_torch_thread(), distributed.get_task_stream(client) as tasks, \
                parallel_backend("dask"):
            remote = _search().fit(X, y)  # the refit of the best candidate runs here
    # The six fits (three candidates, two folds) ran on both workers ...
    assert len({task["worker"] for task in tasks.data}) == 2
    # ... and scored as they score here.
    for key in ("mean_test_accuracy", "mean_test_nmi"):
        np.testing.assert_allclose(remote.cv_results_[key], local.cv_results_[key], atol=1e-6)
    assert remote.best_params_ == local.best_params_
    np.testing.assert_array_equal(remote.best_estimator_.labels_, local.best_estimator_.labels_)
