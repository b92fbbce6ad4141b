"""DEPICT on MNIST-70k with the paper's network, next to k-means and DEC.

The input is the pixels scaled to ``[-1, 1]`` as the authors' code does,
``(p - 127.5) / 127.5`` (``load_mnist`` gives ``p / 255``), as 1x28x28
images; the estimator is ``DEPICTClustering(10)`` (the paper's convolutional
noisy autoencoder, dropout 0.1, layer weights 0.1, balanced target, Adam lr
1e-4, batches of 100, k-means with 40 starts) with the schedule's lengths
given on the command line: a convolutional epoch over 70,000 images takes
minutes on a CPU, so the schedule here is much shorter than the code's
(hundreds of pretraining epochs).  The paper reports ACC 0.965 on MNIST.

    python benchmarks/bench_depict.py --pretrain-epochs 4 --pretrain-lr 1e-3 \\
        --warmup-epochs 1 --epochs 3 --seeds 0 --threads 1 --curve
    python benchmarks/bench_depict.py --n-samples 10000 --seeds 0 --pretrain-epochs 20

``--curve`` scores the network's labels of all samples after every epoch of
the clustering phase (the time it takes is part of the row's seconds); the
row also scores the k-means start (``init_acc``).  The k-means and DEC rows
come from the project's earlier MNIST-70k results files.  Trained on a
subset (``--n-samples``), the row also scores ``predict`` on all 70,000
images (``acc_all``, ``nmi_all``).  Writes
``benchmarks/results/depict_mnist_....json``.
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
    curve_callback,
    earlier_rows,
    print_summary,
    _scores,
    write_results,
)
from bench_mnist import (  # noqa: E402
    _load,
    _machine,
    mnist_arguments,
    record_initial_partition,
)

RESULTS = Path(__file__).resolve().parent / "results"
SETTINGS = ("pretrain_epochs", "pretrain_lr", "warmup_epochs", "epochs", "lr", "target")


def scale(X):
    """The authors' input: pixels ``p`` in ``[0, 255]`` as ``(p - 127.5) / 127.5``, as images."""
    X = np.asarray(X, dtype=np.float32).reshape(len(X), 1, 28, 28)
    return (X * 2.0 - 1.0).astype(np.float32)


def run_depict(X, y, seed, args, overrides, X_all=None, y_all=None):
    import torch

    from skdeepcluster import DEPICTClustering

    est = DEPICTClustering(10, random_state=seed, device=args.device, verbose=1, **overrides)
    initial = record_initial_partition(est, X, y)
    record = []
    if args.curve:
        est.set_params(callbacks=[*est.callbacks, curve_callback(X.reshape(len(X), -1), y, record)])
    start = time.perf_counter()
    est.fit(X)
    seconds = time.perf_counter() - start
    row = {
        "method": "depict", "seed": seed, "n_samples": len(X), **_scores(y, est.labels_),
        **initial, "seconds": seconds, "pretrain_epochs": est.pretrain_epochs_,
        "clustering_epochs_run": est.n_iter_, "batch_size": est.batch_size_,
        "pretrain_seconds": float(sum(r["dur"] for r in est.pretrain_history_)),
        "clustering_seconds": float(sum(r["dur"] for r in est.history_)),
        "delta_target": [r.get("delta_target") for r in est.history_],
        "device": est.device_, "threads": torch.get_num_threads(),
        "clusters_found": int(len(np.unique(est.labels_))),
        **{name: getattr(est, name) for name in SETTINGS},
    }
    if args.curve:
        row["curve"] = record
    if X_all is not None:  # trained on a subset: the labels of all 70,000 images by predict
        start = time.perf_counter()
        scores = _scores(y_all, est.predict(X_all))
        row.update({f"{name}_all": value for name, value in scores.items()},
                   predict_all_seconds=time.perf_counter() - start)
    return row


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mnist_arguments(parser, seeds=(0,))
    parser.add_argument("--pretrain-epochs", type=int, help="default: 'auto' (100)")
    parser.add_argument("--pretrain-lr", type=float, help="default: the code's 1e-4")
    parser.add_argument("--warmup-epochs", type=int, help="default: 5")
    parser.add_argument("--epochs", type=int, help="default: 'auto' (50)")
    parser.add_argument("--lr", type=float, help="default: the code's 1e-4")
    parser.add_argument("--target", choices=["balanced", "squared"])
    parser.add_argument("--curve", action="store_true", help="score every clustering epoch")
    parser.add_argument("--tag", default="", help="suffix of the result file name")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args(argv)

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    overrides = {name: getattr(args, name) for name in SETTINGS if getattr(args, name) is not None}
    X, y = _load(args.path, args.n_samples)
    X = scale(X)
    X_all = y_all = None
    if len(X) < 70000:
        X_all, y_all = _load(args.path, None)
        X_all = scale(X_all)
    machine = f"{_machine()}, {torch.get_num_threads()} torch threads, {platform.python_version()}"
    print(f"DEPICT on MNIST ({len(X)} samples) on {machine}; overrides {overrides}", flush=True)

    rows = []
    for seed in args.seeds:
        row = run_depict(X, y, seed, args, overrides, X_all, y_all)
        rows.append(row)
        print(f"depict seed {seed}: ACC {row['acc']:.4f} NMI {row['nmi']:.4f} ARI {row['ari']:.4f} "
              f"(k-means start ACC {row['init_acc']:.4f}) {row['seconds']:.0f} s", flush=True)
        if X_all is not None:
            print(f"  predict on all 70,000: ACC {row['acc_all']:.4f} NMI {row['nmi_all']:.4f}",
                  flush=True)

    reference = []
    if len(X) == 70000 or X_all is not None:
        reference = earlier_rows(KMEANS_FILES, "kmeans") + earlier_rows(DEC_FILES, "dec")
    print_summary(rows, reference, "depict")
    print("paper (Dizaji et al. 2017, Table 2): DEPICT ACC 0.965, NMI 0.917 on MNIST")

    size = "all" if len(X) == 70000 else str(len(X))
    device = rows[-1]["device"].split(":")[0]
    seeds = "".join(str(s) for s in args.seeds)
    stem = (f"depict_mnist_{size}_{device}_{rows[-1]['pretrain_epochs']}pre_"
            f"{rows[-1]['clustering_epochs_run']}ep_seeds{seeds}{args.tag}")
    settings = {
        "input": "(p - 127.5) / 127.5 as 1x28x28 images (the authors' code)",
        "estimator": "DEPICTClustering(10) at its defaults, with the overrides",
        "overrides": overrides,
        "paper_schedule": "pretraining up to 1000 epochs (early stop on a held-out 10%), "
                          "warm-up with early stopping, main phase until tol=1e-7",
        "shortened": True,
    }
    write_results(args.out, stem, "benchmarks/bench_depict.py", argv, machine, settings, rows,
                  reference)


if __name__ == "__main__":
    main()
