"""Choosing n_clusters and the loss weights without labels: what each criterion picks.

Part 1 (``--part k``): for each data set, :func:`skdeepcluster.selection.choose_n_clusters`
scans a range of ``n_clusters`` with an estimator over seeds; the table gives
the ``n_clusters`` each label-free criterion picks against the true number of
classes.  Part 2 (``--part weights``): a grid search over a loss weight, scored
without labels, next to the accuracy each candidate reaches; the table gives
the accuracy of the candidate each criterion picks against the best accuracy
on the grid.  Writes ``benchmarks/results/choose_k_cpu.json`` (both parts).

    python benchmarks/choose_k.py                               # digits and the synthetic sets
    python benchmarks/choose_k.py --part k --datasets mnist --n-samples 10000 \\
        --set pretrain_epochs=20 epochs=10 "hidden_dims=(256, 128)" --k 6 8 10 12 14 --seeds 2
    python benchmarks/choose_k.py --part weights --datasets digits
"""

import argparse
import ast
import json
import platform
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_MNIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist.npz"
DATASETS = ("digits", "blobs", "moons", "circles", "mnist")
# The weight a label-free search tunes, per estimator.
GRIDS = {
    "IDECClustering": {"gamma": [0.01, 0.1, 1.0, 10.0]},
    "DECClustering": {"alpha": [0.25, 1.0, 4.0]},
}


def load(name, seed, n_samples=None, path=DEFAULT_MNIST):
    """``(X, y)`` of a data set, scaled as the defaults benchmark scales it."""
    from sklearn.datasets import load_digits, make_blobs, make_circles, make_moons
    from sklearn.preprocessing import MinMaxScaler, StandardScaler

    if name == "digits":
        X, y = load_digits(return_X_y=True)
        return MinMaxScaler().fit_transform(X), y
    if name == "mnist":
        from skdeepcluster.datasets import load_mnist

        X, y = load_mnist(path=path, return_X_y=True)
        if n_samples is not None and n_samples < len(X):
            rows = np.random.RandomState(seed).permutation(len(X))[:n_samples]
            X, y = X[rows], y[rows]
        return X, y
    if name == "blobs":
        X, y = make_blobs(1000, centers=4, random_state=seed)
    elif name == "moons":
        X, y = make_moons(1000, noise=0.1, random_state=seed)
    else:
        X, y = make_circles(1000, noise=0.1, factor=0.1, random_state=seed)
    return StandardScaler().fit_transform(X), y


def make(name, **params):
    import skdeepcluster

    if name == "KMeans":
        from sklearn.cluster import KMeans

        return KMeans(n_init=10, **params)
    return getattr(skdeepcluster, name)(**params)


def scan_k(dataset, estimator, candidates, n_seeds, overrides, n_samples, path):
    from skdeepcluster.selection import choose_n_clusters

    X, y = load(dataset, 0, n_samples, path)
    truth = int(np.unique(y).size)
    start = time.perf_counter()
    # k-means' "features" are its distances to the centres: only the input criteria apply
    scoring = (["input_silhouette", "objective"] if estimator == "KMeans" else
               ["silhouette", "calinski_harabasz", "davies_bouldin", "input_silhouette",
                "objective"])
    scan = choose_n_clusters(make(estimator, **overrides), X, candidates, n_seeds=n_seeds,
                             scoring=scoring)
    from skdeepcluster.metrics import clustering_accuracy

    acc_at_truth = [clustering_accuracy(y, labels) for labels in scan.labels.get(truth, [])]
    return {
        "dataset": dataset, "estimator": estimator, "n_samples": len(X), "true_k": truth,
        "candidates": scan.n_clusters.tolist(), "seeds": n_seeds, "overrides": overrides,
        "scores": {name: values.tolist() for name, values in scan.scores.items()},
        "stability": scan.stability.tolist(), "picked": scan.best,
        "acc_at_true_k": acc_at_truth, "seconds": time.perf_counter() - start,
    }


def search_weights(dataset, estimator, n_clusters_overrides, n_samples, path):
    from sklearn.model_selection import GridSearchCV

    from skdeepcluster.metrics import CLUSTERING_SCORERS, LABEL_FREE_SCORERS

    X, y = load(dataset, 0, n_samples, path)
    grid = GRIDS[estimator]
    everything = np.arange(len(X))
    search = GridSearchCV(
        make(estimator, n_clusters=int(np.unique(y).size), random_state=0,
             **n_clusters_overrides),
        grid, scoring={**LABEL_FREE_SCORERS, "accuracy": CLUSTERING_SCORERS["accuracy"]},
        refit=False, cv=[(everything, everything)],
    )
    start = time.perf_counter()
    search.fit(X, y)  # y reaches the accuracy scorer only
    results = search.cv_results_
    accuracy = np.asarray(results["mean_test_accuracy"])
    picked = {
        name: {"params": results["params"][int(np.argmax(results[f"mean_test_{name}"]))],
               "acc": float(accuracy[int(np.argmax(results[f"mean_test_{name}"]))])}
        for name in LABEL_FREE_SCORERS
    }
    return {
        "dataset": dataset, "estimator": estimator, "n_samples": len(X), "grid": grid,
        "candidates": [
            {"params": params, "acc": float(acc),
             **{name: float(results[f"mean_test_{name}"][i]) for name in LABEL_FREE_SCORERS}}
            for i, (params, acc) in enumerate(zip(results["params"], accuracy))
        ],
        "best_acc": float(accuracy.max()), "picked": picked,
        "seconds": time.perf_counter() - start,
    }


def print_k(row):
    picks = "  ".join(f"{name} {k}" for name, k in row["picked"].items())
    print(f"{row['dataset']:<8} {row['estimator']:<16} true {row['true_k']:>2}:  {picks}"
          f"  ({row['seconds']:.0f} s)", flush=True)


def print_weights(row):
    picks = "  ".join(f"{name} {p['acc']:.3f}" for name, p in row["picked"].items())
    print(f"{row['dataset']:<8} {row['estimator']:<16} best ACC {row['best_acc']:.3f}:  {picks}"
          f"  ({row['seconds']:.0f} s)", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("k", "weights", "both"), default="both")
    parser.add_argument("--datasets", nargs="+", choices=DATASETS,
                        default=["blobs", "moons", "circles", "digits"])
    parser.add_argument("--estimators", nargs="+", default=["KMeans", "DECClustering"])
    parser.add_argument("--k", nargs="+", type=int, default=None,
                        help="candidates (default: 2-15, 2-8 on the synthetic sets)")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--n-samples", type=int, default=None, help="MNIST subset")
    parser.add_argument("--path", default=str(DEFAULT_MNIST))
    parser.add_argument("--set", nargs="+", default=[], metavar="NAME=VALUE",
                        help="estimator parameters (not for KMeans)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--output", default=str(RESULTS / "choose_k_cpu.json"))
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(args.threads)
    overrides = {}
    for item in args.set:
        name, _, value = item.partition("=")
        overrides[name] = ast.literal_eval(value)
    output = Path(args.output)
    result = json.loads(output.read_text()) if output.exists() else {"k": [], "weights": []}
    result.update(machine=f"{platform.machine()}, {args.threads} torch thread(s), CPU",
                  torch=torch.__version__)

    def keep(rows, new, keys):
        return [r for r in rows if any(r[k] != new[k] for k in keys)] + [new]

    if args.part in ("k", "both"):
        for dataset in args.datasets:
            synthetic = dataset in ("blobs", "moons", "circles")
            candidates = args.k or list(range(2, 9 if synthetic else 16))
            for estimator in args.estimators:
                params = {} if estimator == "KMeans" else overrides
                row = scan_k(dataset, estimator, candidates, args.seeds, params,
                             args.n_samples, args.path)
                print_k(row)
                result["k"] = keep(result["k"], row, ("dataset", "estimator", "n_samples"))
                output.write_text(json.dumps(result, indent=1))
    if args.part in ("weights", "both"):
        for dataset in args.datasets:
            for estimator in GRIDS:
                row = search_weights(dataset, estimator, overrides, args.n_samples, args.path)
                print_weights(row)
                result["weights"] = keep(result["weights"], row,
                                         ("dataset", "estimator", "n_samples"))
                output.write_text(json.dumps(result, indent=1))
    print(f"wrote {output}")


if __name__ == "__main__":
    main()
