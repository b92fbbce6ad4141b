"""Every estimator at its defaults beside k-means, on the small data a user tries first.

Only ``n_clusters`` (and ``random_state``) is set, as a user replacing
``KMeans`` would.  Each estimator and k-means get the same input: the digits
(8x8 images) through ``MinMaxScaler``, the iris measurements, four blobs, two
moons (noise 0.1) and a small circle inside a ring (noise 0.1, factor 0.1, as
the DMAE paper) through ``StandardScaler``, all of 1,000 samples where
generated.  The toroidal blobs of the DMAE paper (periodic, so not scaled) go
to the estimators with ``dissimilarity="toroidal"``.  Prints ACC, NMI and
seconds per fit (median over the seeds) and writes all runs to a JSON file.

    python benchmarks/defaults.py                           # everything, 3 seeds
    python benchmarks/defaults.py --datasets iris moons --methods DEC DDC --seeds 0
    python benchmarks/defaults.py --methods DMAE --datasets moons --set alpha=10.0
    python benchmarks/defaults.py --combine a.json b.json --output all.json

The docs' table (``docs/benchmark_tables/defaults.inc``) is written from
``benchmarks/results/defaults_cpu.json`` by ``python benchmarks/report.py``.
"""

import argparse
import ast
import json
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np

# torch, scikit-learn and the package are imported where a fit needs them, so that
# benchmarks/report.py can import summary() to write the docs' table cheaply.

DATASETS = ("digits", "iris", "blobs", "moons", "circles", "toroidal")
METHODS = (
    "DECClustering", "IDECClustering", "DCNClustering", "DMAEClustering", "DMMClustering",
    "DDCClustering", "DiscriminativeLatentClustering", "AljalboutClustering", "DBCClustering",
    "DeepClustering",
    "NeuralClustering",
    "DENClustering",
    "IMSATClustering",
    "DACClustering",
    "VaDEClustering",
    "DEPICTClustering",
    "EmbeddingSpaceClustering",
    "InfoGANClustering",
    "JULEClustering",
    "CCNNClustering",
)
# The periodic data set goes to the mixtures with the periodic dissimilarity only.
TOROIDAL = {"DMMClustering": {"dissimilarity": "toroidal"},
            "DMAEClustering": {"dissimilarity": "toroidal"}}


def load(name, seed):
    """``(X, y, scaler)`` of a data set; the generated ones are drawn anew for each seed."""
    from sklearn.datasets import load_digits, load_iris, make_blobs, make_circles, make_moons
    from sklearn.preprocessing import MinMaxScaler, StandardScaler

    from skdeepcluster.datasets import make_toroidal_blobs

    if name == "digits":
        X, y = load_digits(return_X_y=True)
        return X, y, MinMaxScaler()
    if name == "iris":
        X, y = load_iris(return_X_y=True)
        return X, y, StandardScaler()
    if name == "blobs":
        X, y = make_blobs(1000, centers=4, random_state=seed)
    elif name == "moons":
        X, y = make_moons(1000, noise=0.1, random_state=seed)
    elif name == "circles":
        X, y = make_circles(1000, noise=0.1, factor=0.1, random_state=seed)
    else:
        X, y = make_toroidal_blobs(1000, random_state=seed)
        return X, y, None
    return X, y, StandardScaler()


def run(method, dataset, seed, overrides=None):
    """One fit: ACC, NMI, seconds, clusters found and the settings the fit resolved."""
    from sklearn.cluster import KMeans
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.metrics import normalized_mutual_info_score
    from sklearn.pipeline import make_pipeline

    import skdeepcluster
    from skdeepcluster.metrics import clustering_accuracy

    X, y, scaler = load(dataset, seed)
    k = len(np.unique(y))
    if method == "KMeans":
        model = KMeans(k, random_state=seed)
    else:
        params = TOROIDAL.get(method, {}) if dataset == "toroidal" else {}
        model = getattr(skdeepcluster, method)(k, random_state=seed, **params,
                                               **(overrides or {}))
    pipeline = make_pipeline(scaler, model) if scaler is not None else model
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        labels = pipeline.fit_predict(X)
    seconds = time.perf_counter() - start
    resolved = {
        name: (list(value) if isinstance(value, tuple) else value)
        for name in ("batch_size_", "pretrain_epochs_", "epochs_", "hidden_dims_")
        if (value := getattr(model, name, None)) is not None
    }
    return {
        "method": method, "dataset": dataset, "seed": seed,
        "params": {} if method == "KMeans" else dict(overrides or {}),
        "acc": float(clustering_accuracy(y, labels)),
        "nmi": float(normalized_mutual_info_score(y, labels)),
        "seconds": seconds, "n_samples": len(X), "clusters_found": int(len(np.unique(labels))),
        "convergence_warnings": [str(w.message) for w in caught
                                 if issubclass(w.category, ConvergenceWarning)],
        "resolved": resolved,
    }


def summary(runs):
    """One row per data set and estimator: medians over the seeds, and the ACC range and gap."""
    cells = {}
    for r in runs:
        cells.setdefault((r["dataset"], r["method"]), []).append(r)
    rows = []
    for dataset in DATASETS:
        kmeans = cells.get((dataset, "KMeans"))
        for method in ("KMeans", *METHODS):
            group = cells.get((dataset, method))
            if not group:
                continue
            acc, nmi, sec = (float(np.median([r[key] for r in group]))
                             for key in ("acc", "nmi", "seconds"))
            gap = None
            if kmeans and method != "KMeans":
                gap = acc - float(np.median([r["acc"] for r in kmeans]))
            rows.append(dict(dataset=dataset, method=method, acc=acc, nmi=nmi, seconds=sec,
                             low=min(r["acc"] for r in group),
                             high=max(r["acc"] for r in group), gap=gap, seeds=len(group)))
    return rows


def table(runs):
    """The median ACC, NMI and seconds of each estimator on each data set, beside k-means."""
    lines = [f"{'data set':<9} {'estimator':<31} {'ACC':>6} {'NMI':>6} {'seconds':>8}  "
             f"{'vs k-means':>10}  seeds"]
    for row in summary(runs):
        gap = "" if row["gap"] is None else f"{row['gap']:+.3f}"
        lines.append(f"{row['dataset']:<9} {row['method']:<31} {row['acc']:>6.3f} "
                     f"{row['nmi']:>6.3f} {row['seconds']:>8.1f}  {gap:>10}  {row['seeds']}")
    return "\n".join(lines)


def machine():
    import torch

    return (f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} torch "
            f"threads, torch {torch.__version__}, CPU")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", choices=DATASETS, default=list(DATASETS))
    parser.add_argument("--methods", nargs="+", default=list(METHODS),
                        help="estimator names (DEC or DECClustering), k-means always runs")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's)")
    parser.add_argument("--set", nargs="+", default=[], metavar="NAME=VALUE",
                        help="parameters other than the defaults, for every estimator run "
                             "(values are Python literals)")
    parser.add_argument("--output", default="benchmarks/results/defaults.json")
    parser.add_argument("--combine", nargs="+", help="result files to merge instead of running")
    args = parser.parse_args(argv)

    if args.combine:
        runs, machines = [], set()
        for path in args.combine:
            result = json.loads(Path(path).read_text())
            runs += result["runs"]
            machines.add(result["machine"])
        result = {"machine": " / ".join(sorted(machines)), "command": "--combine", "runs": runs}
    else:
        if args.threads:
            import torch

            torch.set_num_threads(args.threads)
        aliases = {"DDLS": "DiscriminativeLatentClustering"}
        methods = [m if m in METHODS else aliases.get(m, f"{m}Clustering") for m in args.methods]
        unknown = sorted(set(methods) - set(METHODS))
        if unknown:
            parser.error(f"unknown estimators {unknown}; choose from {list(METHODS)}")
        overrides = {}
        for item in args.set:
            name, _, value = item.partition("=")
            overrides[name] = ast.literal_eval(value)
        runs = []
        for dataset in args.datasets:
            for seed in args.seeds:
                chosen = [m for m in methods if dataset != "toroidal" or m in TOROIDAL]
                for method in ("KMeans", *chosen):
                    r = run(method, dataset, seed, overrides)
                    runs.append(r)
                    print(f"{dataset:<9} {method:<31} seed {seed}: ACC {r['acc']:.3f} NMI "
                          f"{r['nmi']:.3f} {r['seconds']:6.1f} s {r['resolved']}", flush=True)
        command = " ".join(["benchmarks/defaults.py", *(sys.argv[1:] if argv is None else argv)])
        result = {"machine": machine(), "command": command, "runs": runs}
    print(table(result["runs"]))
    Path(args.output).write_text(json.dumps(result, indent=1))
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
