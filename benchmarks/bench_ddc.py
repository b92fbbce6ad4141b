"""DDC and DDC-VOTE next to k-means: the paper's synthetic case, two moons, and MNIST.

One DDCClustering fit with ``voting=True`` trains ``n_init`` runs as one
vectorised model; its best run gives the DDC row (lowest unsupervised loss)
and the vote of the three best the DDC-VOTE row.  The time of that fit is the
ensemble's; "s/run" is it divided by ``n_init``, and "1-run s" a separate fit
with ``n_init=1`` (what one run costs alone).

* ``circles``: a small circle inside a ring (``make_circles(factor=0.3)``),
  the paper's proof of concept, where k-means fails;
* ``moons``: scikit-learn's two moons;
* ``mnist``: MNIST-70k through the paper's CNN (paper: DDC ACC 0.866 /
  NMI 0.83, DDC-VOTE 0.885 / 0.87, with 20 runs of 70,000 batches of 100).

    python benchmarks/bench_ddc.py --datasets circles moons          # synthetic, 3 seeds
    python benchmarks/bench_ddc.py --datasets mnist --device cuda    # MNIST-70k (GPU)
    python benchmarks/bench_ddc.py --datasets mnist --n-samples 3000 --seeds 0 \\
        --epochs 10 --n-init 5 --device cpu                          # a small CPU check

Prints one row per (dataset, method, seed), then the mean and the best per
method, and writes a JSON file of all rows to ``benchmarks/results/``.
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_mnist import DEFAULT_PATH, _load, _machine  # noqa: E402

# Per dataset: DDCClustering settings (the paper's where it gives them).
RECIPES = {
    "circles": dict(network="mlp", n_init=20, epochs=30, batch_size=100, lr=1e-3),
    "moons": dict(network="mlp", n_init=20, epochs=30, batch_size=100, lr=1e-3),
    "mnist": dict(network="conv", n_init=20, epochs=100, batch_size=100, lr=1e-3),
}


def load(dataset, path, n_samples, seed=0):
    """``(X, y, n_clusters)``; synthetic sets are drawn with ``n_samples`` (default 1000)."""
    from sklearn.datasets import make_circles, make_moons
    from sklearn.preprocessing import StandardScaler

    if dataset == "mnist":
        return (*_load(path, n_samples, seed), 10)
    n = n_samples or 1000
    if dataset == "circles":
        X, y = make_circles(n, factor=0.3, noise=0.05, random_state=seed)
    else:
        X, y = make_moons(n, noise=0.05, random_state=seed)
    return StandardScaler().fit_transform(X).astype(np.float32), y, 2


def _scores(y, labels):
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    from skdeepcluster.metrics import clustering_accuracy

    return {
        "acc": float(clustering_accuracy(y, labels)),
        "nmi": float(normalized_mutual_info_score(y, labels)),
        "ari": float(adjusted_rand_score(y, labels)),
    }


def run_dataset(dataset, seed, args, recipe):
    """k-means, DDC and DDC-VOTE rows of one dataset and seed."""
    import torch
    from sklearn.cluster import KMeans

    from skdeepcluster.ddc import DDCClustering

    X, y, k = load(dataset, args.path, args.n_samples)
    rows = []
    base = {"dataset": dataset, "seed": seed, "n_samples": len(X)}

    start = time.perf_counter()
    labels = KMeans(k, n_init=10, random_state=seed).fit_predict(X)
    rows.append({**base, "method": "kmeans", **_scores(y, labels),
                 "seconds": time.perf_counter() - start})

    cuda = torch.device(args.device if args.device != "auto" else
                        ("cuda" if torch.cuda.is_available() else "cpu")).type == "cuda"
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    est = DDCClustering(k, voting=recipe["n_init"] >= 3, random_state=seed,
                        device=args.device, **recipe)
    start = time.perf_counter()
    est.fit(X)
    seconds = time.perf_counter() - start
    peak = torch.cuda.max_memory_allocated() / 2**20 if cuda else 0.0
    # The best run alone: the first of the kept runs (the vote is est.labels_).
    best = est.predict_runs(X)[:, 0]
    single = None
    if not args.no_single_run:
        one = DDCClustering(k, random_state=seed, device=args.device, **{**recipe, "n_init": 1})
        start = time.perf_counter()
        one.fit(X)
        single = time.perf_counter() - start
    timing = {
        "seconds": seconds,
        "seconds_per_run": seconds / recipe["n_init"],
        "single_run_seconds": single,
        "n_init": recipe["n_init"],
        "epochs": recipe["epochs"],
        "peak_device_mb": peak,
        "device": est.device_,
        "run_losses": est.run_losses_.tolist(),
    }
    rows.append({**base, "method": "ddc", **_scores(y, best), **timing})
    if est.voting:
        rows.append({**base, "method": "ddc-vote", **_scores(y, est.labels_), **timing})
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["circles", "moons", "mnist"],
                        choices=sorted(RECIPES))
    parser.add_argument("--path", default=str(DEFAULT_PATH), help="MNIST .npz or IDX folder")
    parser.add_argument("--n-samples", type=int, default=None,
                        help="MNIST: random subset; synthetic: samples drawn (default 1000)")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--n-init", type=int)
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--lr", type=float)
    parser.add_argument("--no-single-run", action="store_true",
                        help="skip the n_init=1 fit that times one run alone")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--tag", default="", help="suffix of the result file name")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent / "results"))
    args = parser.parse_args(argv)

    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    overrides = {
        k: getattr(args, k) for k in ("epochs", "n_init", "batch_size", "lr")
        if getattr(args, k) is not None
    }
    print(f"DDC benchmark on {_machine()}; overrides {overrides}")
    header = (f"{'dataset':<8} {'method':<9} {'seed':>4} {'n':>6} {'ACC':>6} {'NMI':>6} "
              f"{'ARI':>6} {'seconds':>8} {'s/run':>7} {'1-run s':>8} {'dev MB':>7}")
    print(header)
    rows = []
    for dataset in args.datasets:
        recipe = {**RECIPES[dataset], **overrides}
        for seed in args.seeds:
            for row in run_dataset(dataset, seed, args, recipe):
                rows.append(row)
                single = row.get("single_run_seconds")
                print(
                    f"{dataset:<8} {row['method']:<9} {seed:>4} {row['n_samples']:>6} "
                    f"{row['acc']:>6.3f} {row['nmi']:>6.3f} {row['ari']:>6.3f} "
                    f"{row['seconds']:>8.1f} {row.get('seconds_per_run', float('nan')):>7.2f} "
                    f"{'-' if single is None else f'{single:.1f}':>8} "
                    f"{row.get('peak_device_mb', 0.0):>7.0f}",
                    flush=True,
                )

    print("\nper method: mean over seeds (best seed)")
    print(f"{'dataset':<8} {'method':<9} {'ACC':>15} {'NMI':>15} {'ARI':>15} {'median s':>9}")
    for dataset in args.datasets:
        for method in ("kmeans", "ddc", "ddc-vote"):
            sub = [r for r in rows if r["dataset"] == dataset and r["method"] == method]
            if not sub:
                continue
            cells = [
                f"{np.mean([r[m] for r in sub]):.3f} ({max(r[m] for r in sub):.3f})"
                for m in ("acc", "nmi", "ari")
            ]
            print(f"{dataset:<8} {method:<9} " + " ".join(f"{c:>15}" for c in cells)
                  + f" {np.median([r['seconds'] for r in sub]):>9.1f}")

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    device = next((r["device"] for r in rows if "device" in r), "cpu").split(":")[0]
    subset = f"_subset{args.n_samples}" if args.n_samples and "mnist" in args.datasets else ""
    stem = f"ddc_{'-'.join(args.datasets)}{subset}_{device}{args.tag}"
    (out / f"{stem}.json").write_text(json.dumps(
        {"machine": _machine(), "overrides": overrides,
         "recipes": {d: {**RECIPES[d], **overrides} for d in args.datasets}, "rows": rows},
        indent=2,
    ))
    print(f"\nwrote {out / stem}.json")


if __name__ == "__main__":
    main()
