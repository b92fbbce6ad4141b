"""CCNN on MNIST-70k, from random weights, next to k-means and DEC.

The paper (Hsu and Lin 2018) starts from an ImageNet-pretrained CNN, which
cannot be downloaded here: the estimator trains its small CNN (conv 5x5x32,
pool, conv 5x5x64, pool, FC 100, softmax 10; ``network="conv"``) from random
weights on the pixels in ``[0, 1]``, for a shortened schedule.  The paper
reports NMI 0.876 on MNIST.

    python benchmarks/bench_ccnn.py --seeds 0 1 2 --epochs 3 --threads 1 --curve
    python benchmarks/bench_ccnn.py --network mlp --seeds 0 1 2 --epochs 5 --threads 1
    python benchmarks/bench_ccnn.py --n-samples 10000 --seeds 0 --epochs 2 --drift none

``--curve`` scores the softmax head's labels of all samples after every
epoch (the mini-batch k-means labels it learns; the row's figures are the
final k-means readout's).  The k-means and DEC rows come from the project's
earlier MNIST-70k results files.  Writes
``benchmarks/results/ccnn_mnist_....json``.
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
    curve_callback,
    earlier_rows,
    print_summary,
    _scores,
    write_results,
)
from bench_mnist import _load, _machine, mnist_arguments  # noqa: E402

PAPER_NMI = 0.876


def run_ccnn(X, y, seed, args, overrides):
    import torch

    from skdeepcluster import CCNNClustering

    record = []
    callbacks = [curve_callback(X.reshape(len(X), -1), y, record)] if args.curve else None
    est = CCNNClustering(10, network=args.network, random_state=seed, device=args.device,
                         callbacks=callbacks, **overrides)
    start = time.perf_counter()
    est.fit(X)
    seconds = time.perf_counter() - start
    steps = est.epochs_ * int(np.ceil(len(X) / est.batch_size_))
    row = {
        "method": "ccnn", "seed": seed, "n_samples": len(X), **_scores(y, est.labels_),
        "seconds": seconds, "epochs": est.epochs_, "batch_size": est.batch_size_,
        "steps": steps, "drift_compensation": est.drift_compensation, "network": args.network,
        "device": est.device_, "threads": torch.get_num_threads(),
        "delta_label": [float(v) for v in est.history_[:, "delta_label"]],
        "n_reseeded": [int(v) for v in est.history_[:, "n_reseeded"]],
    }
    if args.curve:
        row["curve"] = record
    return row


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mnist_arguments(parser)
    parser.add_argument("--epochs", type=int, help="default: the estimator's 20")
    parser.add_argument("--lr", type=float, help="default: the estimator's 0.001")
    parser.add_argument("--drift", choices=["cluster", "batch", "none"], default=None)
    parser.add_argument("--network", choices=["conv", "mlp"], default="conv",
                        help="the small CNN, or the fully connected 784-200-200-500 backbone")
    parser.add_argument("--curve", action="store_true", help="score every epoch")
    parser.add_argument("--tag", default="", help="suffix of the result file name")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args(argv)

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    overrides = {name: getattr(args, name) for name in ("epochs", "lr")
                 if getattr(args, name) is not None}
    if args.drift is not None:
        overrides["drift_compensation"] = args.drift
    X, y = _load(args.path, args.n_samples)
    X = np.asarray(X, dtype=np.float32).reshape(len(X), 1, 28, 28)
    machine = f"{_machine()}, {torch.get_num_threads()} torch threads, {platform.python_version()}"
    print(f"CCNN on MNIST ({len(X)} samples) on {machine}; overrides {overrides}", flush=True)

    rows = []
    for seed in args.seeds:
        row = run_ccnn(X, y, seed, args, overrides)
        rows.append(row)
        print(f"ccnn seed {seed}: ACC {row['acc']:.4f} NMI {row['nmi']:.4f} ARI {row['ari']:.4f} "
              f"{row['seconds']:.0f} s ({row['steps']} steps)", flush=True)

    reference = []
    if len(X) == 70000:
        reference = earlier_rows(KMEANS_FILES, "kmeans") + earlier_rows(DEC_FILES, "dec")
    print_summary(rows, reference, "ccnn")
    nmi = np.mean([r["nmi"] for r in rows])
    print(f"paper (Hsu and Lin 2018, ImageNet-pretrained CNN): NMI {PAPER_NMI} on MNIST; "
          f"gap {PAPER_NMI - nmi:+.3f}")

    size = "all" if len(X) == 70000 else str(len(X))
    device = rows[-1]["device"].split(":")[0]
    epochs = rows[-1]["epochs"]
    seeds = "".join(str(s) for s in args.seeds)
    stem = f"ccnn_mnist_{size}_{device}_{args.network}_{epochs}epochs_seeds{seeds}{args.tag}"
    settings = {
        "input": "pixels / 255 as (n, 1, 28, 28)",
        "estimator": f"CCNNClustering(10, network={args.network!r}) from random weights, "
                     "with the overrides",
        "overrides": overrides,
        "paper_start": "ImageNet-pretrained CNN (not available here)",
        "shortened": epochs < 20,
    }
    write_results(args.out, stem, "benchmarks/bench_ccnn.py", argv, machine, settings, rows,
                  reference)


if __name__ == "__main__":
    main()
