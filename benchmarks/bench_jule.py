"""JULE on MNIST with the authors' CNN and recurrent merges, next to k-means and DEC.

The input is ``load_mnist``'s pixels in ``[0, 1]`` as 28x28 images
(``JULEClustering(10, network="conv")``: conv 5x5 50 - BN - ReLU - max-pool,
conv 5x5 50 - BN - ReLU, dense 160, L2-normalised; SGD lr 0.01, momentum
0.9, weight decay 5e-5, ``lr (1 + 1e-4 t) ** -0.75``, batches of 100;
eta 0.9, K_s 20, K_c 5).  The paper's MNIST figure (NMI 0.915) is on the
10,000 test images, with 20 epochs per period (``epoch_pp``);
``--epochs-per-period`` shortens the periods on a CPU.

    python benchmarks/bench_jule.py --n-samples 10000 --seeds 0 --epochs-per-period 5
    python benchmarks/bench_jule.py --seeds 0 1 2                  # MNIST-70k, 20 epochs a period

Prints one row per seed (with the NMI of the merges' labels at every period,
``--curve``) and the mean and spread per method, and writes
``benchmarks/results/jule_mnist_....json``.  The k-means and DEC rows of
MNIST-70k come from the project's earlier results files; on a subset,
``--run-kmeans`` runs k-means on the same images.
"""

import argparse
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_imsat import (  # noqa: E402
    DEC_FILES,
    KMEANS_FILES,
    RESULTS,
    _scores,
    earlier_rows,
    print_summary,
    write_results,
)
from bench_mnist import _load, _machine, mnist_arguments  # noqa: E402


def period_callback(y, record):
    """A skorch callback recording the NMI of the merges' labels whenever they change."""
    from skorch.callbacks import Callback
    from sklearn.metrics import normalized_mutual_info_score

    from skdeepcluster.updates import clustering_criterion

    class Periods(Callback):
        def on_epoch_end(self, net, **kwargs):
            labels = clustering_criterion(net).assignments.cpu().numpy()
            n_clusters = int(labels.max()) + 1
            if record and record[-1]["n_clusters"] == n_clusters:
                return
            record.append({"epoch": len(net.history), "n_clusters": n_clusters,
                           "nmi": float(normalized_mutual_info_score(y, labels))})
            print(f"  epoch {len(net.history):>3}: {n_clusters} clusters, NMI of the merges "
                  f"{record[-1]['nmi']:.4f}", flush=True)

    return Periods()


def run_merges_only(X, y):
    """The merges alone on the pixels (no network): chains, then graph-degree linkage to 10."""
    from skdeepcluster.agglomeration import agglomerate, initial_clusters

    start = time.perf_counter()
    features = X.reshape(len(X), -1).astype(np.float64)
    labels, W = initial_clusters(features, 10)
    labels = agglomerate(W, labels, labels.max() + 1 - 10, features)
    return {"method": "merges (pixels)", "seed": 0, "n_samples": len(X), **_scores(y, labels),
            "seconds": time.perf_counter() - start}


def run_jule(X, y, seed, args, overrides):
    import torch

    from skdeepcluster import JULEClustering

    record = []
    est = JULEClustering(10, network="conv", random_state=seed, device=args.device,
                         callbacks=[period_callback(y, record)], verbose=args.verbose,
                         **overrides)
    start = time.perf_counter()
    est.fit(X)
    seconds = time.perf_counter() - start
    return {
        "method": "jule", "seed": seed, "n_samples": len(X), **_scores(y, est.labels_),
        "predict": _scores(y, est.predict(X)), "seconds": seconds, "epochs": est.n_iter_,
        "epochs_per_period": est.epochs_per_period, "batch_size": est.batch_size_,
        "device": est.device_, "threads": torch.get_num_threads(),
        "clusters_found": int(len(np.unique(est.labels_))), "periods": record,
        "final_clustering": est.final_clustering,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mnist_arguments(parser)
    parser.add_argument("--epochs-per-period", type=int, help="default: the code's 20")
    parser.add_argument("--eta", type=float, help="default: the README's 0.9 for MNIST")
    parser.add_argument("--final-clustering", choices=["continue", "restart"])
    parser.add_argument("--run-kmeans", action="store_true", help="run k-means here too")
    parser.add_argument("--merges-only", action="store_true",
                        help="only the merges on the pixels, without a network (deterministic)")
    parser.add_argument("--verbose", type=int, default=0)
    parser.add_argument("--tag", default="", help="suffix of the result file name")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args(argv)

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    overrides = {
        name: getattr(args, name) for name in ("epochs_per_period", "eta", "final_clustering")
        if getattr(args, name) is not None
    }
    X, y = _load(args.path, args.n_samples)
    X = np.asarray(X, dtype=np.float32).reshape(len(X), 1, 28, 28)
    machine = f"{_machine()}, {torch.get_num_threads()} torch threads, {platform.python_version()}"
    print(f"JULE on MNIST ({len(X)} samples) on {machine}; overrides {overrides}", flush=True)

    if args.merges_only:
        row = run_merges_only(X, y)
        print(f"merges on the pixels: ACC {row['acc']:.4f} NMI {row['nmi']:.4f} "
              f"{row['seconds']:.0f} s", flush=True)
        write_results(args.out, f"jule_mnist_{len(X)}_merges_only", "benchmarks/bench_jule.py",
                      argv, machine, {"input": "pixels / 255"}, [row], [])
        return
    rows = []
    for seed in args.seeds:
        if args.run_kmeans:
            from sklearn.cluster import KMeans

            start = time.perf_counter()
            labels = KMeans(10, n_init=10, random_state=seed).fit_predict(X.reshape(len(X), -1))
            rows.append({"method": "kmeans", "seed": seed, "n_samples": len(X),
                         **_scores(y, labels), "seconds": time.perf_counter() - start})
        row = run_jule(X, y, seed, args, overrides)
        rows.append(row)
        print(f"jule seed {seed}: ACC {row['acc']:.4f} NMI {row['nmi']:.4f} ARI {row['ari']:.4f} "
              f"(predict: NMI {row['predict']['nmi']:.4f}) {row['seconds']:.0f} s, "
              f"{row['epochs']} epochs", flush=True)

    reference = []
    if len(X) == 70000:
        reference += earlier_rows(KMEANS_FILES, "kmeans") if not args.run_kmeans else []
        reference += earlier_rows(DEC_FILES, "dec")

    print_summary(rows, reference, "jule", args.run_kmeans)
    print("paper (Yang et al. 2016): JULE NMI 0.915 on MNIST-test (10,000 images); "
          "later tables give NMI 0.913 / ACC 0.964 on MNIST-70k")

    size = "all" if len(X) == 70000 else str(len(X))
    device = rows[-1]["device"].split(":")[0]
    period = rows[-1]["epochs_per_period"]
    seeds = "".join(str(s) for s in args.seeds)
    stem = f"jule_mnist_{size}_{device}_{period}per-period_seeds{seeds}{args.tag}"
    settings = {
        "input": "pixels / 255 as 1x28x28 images",
        "estimator": 'JULEClustering(10, network="conv") at its defaults, with the overrides',
        "overrides": overrides,
        "paper_schedule": "20 epochs per period (epoch_pp), eta 0.9, until 10 clusters",
        "shortened": period < 20,
    }
    write_results(args.out, stem, "benchmarks/bench_jule.py", argv, machine, settings, rows,
                  reference)


if __name__ == "__main__":
    main()
