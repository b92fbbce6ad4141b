"""A grid search in one process against the same search on a local Dask cluster.

``GridSearchCV`` over IDEC's ``gamma`` on scikit-learn's digits (MinMax
scaled), with the README's short recipe: once with ``n_jobs=1`` in this
process, once through joblib's Dask backend on a ``LocalCluster`` of
``--workers`` processes of one thread each.  Prints and writes the seconds of
each, their ratio and whether the two found the same scores::

    python benchmarks/dask_search.py
    python benchmarks/dask_search.py --workers 2 --gammas 0.01 0.1 1.0 10.0 --cv 2

Needs ``distributed`` (``pip install -e ".[dask]"``).
"""

import argparse
import json
import os
import platform
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def _search(gammas, cv, n_jobs):
    from sklearn.model_selection import GridSearchCV

    from skdeepcluster import IDECClustering
    from skdeepcluster.metrics import CLUSTERING_SCORERS

    model = IDECClustering(n_clusters=10, pretrain_epochs=50, epochs=20, batch_size=64,
                           device="cpu", random_state=0)
    return GridSearchCV(model, {"gamma": list(gammas)}, scoring=CLUSTERING_SCORERS,
                        refit=False, cv=cv, n_jobs=n_jobs)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2, help="Dask worker processes")
    parser.add_argument("--gammas", type=float, nargs="+", default=[0.01, 0.1, 1.0, 10.0])
    parser.add_argument("--cv", type=int, default=2)
    parser.add_argument("--output", type=Path, default=RESULTS / "dask_search_cpu.json")
    args = parser.parse_args(argv)

    os.environ["OMP_NUM_THREADS"] = "1"  # inherited by the workers
    import distributed
    import numpy as np
    import torch
    from joblib import parallel_backend
    from sklearn.datasets import load_digits
    from sklearn.preprocessing import minmax_scale

    torch.set_num_threads(1)
    X, y = load_digits(return_X_y=True)
    X = minmax_scale(X)

    start = time.perf_counter()
    local = _search(args.gammas, args.cv, n_jobs=1).fit(X, y)
    local_seconds = time.perf_counter() - start

    with distributed.LocalCluster(
        n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None,
    ) as cluster, distributed.Client(cluster):
        start = time.perf_counter()
        with parallel_backend("dask"):
            remote = _search(args.gammas, args.cv, n_jobs=-1).fit(X, y)
        dask_seconds = time.perf_counter() - start

    same = bool(np.allclose(local.cv_results_["mean_test_accuracy"],
                            remote.cv_results_["mean_test_accuracy"], atol=1e-6))
    result = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}",
        "command": "python benchmarks/dask_search.py " + " ".join(
            [f"--workers {args.workers}", "--gammas", *map(str, args.gammas), f"--cv {args.cv}"]),
        "load_average_at_start": os.getloadavg(),
        "n_fits": len(args.gammas) * args.cv,
        "workers": args.workers,
        "seconds_one_process": local_seconds,
        "seconds_dask": dask_seconds,
        "speedup": local_seconds / dask_seconds,
        "same_scores": same,
        "mean_test_accuracy": list(map(float, local.cv_results_["mean_test_accuracy"])),
    }
    print(f"{result['n_fits']} fits: one process {local_seconds:.1f} s, Dask with "
          f"{args.workers} workers {dask_seconds:.1f} s ({result['speedup']:.2f}x); "
          f"same scores: {same}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
