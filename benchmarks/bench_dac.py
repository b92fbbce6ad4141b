"""DAC on MNIST, next to k-means and DEC.

The input is the pixels in ``[0, 1]`` (``load_mnist``).  ``--network conv``
is the authors' CNN on 28x28 images, ``--network mlp`` the fully connected
network (``784-200-200-500-10``, cheaper on a CPU); ``--variant paper`` the
paper's two thresholds and cross-entropy (46 epochs), ``--variant authors``
the authors' MNIST code (one threshold from 0.9 to 0.5, squared error,
augmented batches, 20 epochs).  The paper reports ACC 0.9775 / NMI 0.935 on
MNIST; the authors' log reaches ACC 0.981 / NMI 0.947.

    python benchmarks/bench_dac.py --network mlp --variant paper          # 3 seeds, 46 epochs
    python benchmarks/bench_dac.py --network conv --variant authors --n-samples 10000 \\
        --epochs 3 --seeds 0 --curve                                      # a CPU's budget

``--epochs`` shortens the schedule (the thresholds then move faster:
``threshold_step="auto"`` spreads the whole schedule over the epochs run).
``--curve`` scores the labels of all samples after every epoch.  The k-means
and DEC rows come from the project's earlier MNIST-70k results files.  Writes
``benchmarks/results/dac_mnist_....json``.
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
    _scores,
    curve_callback,
    earlier_rows,
    print_summary,
    write_results,
)
from bench_mnist import DEFAULT_PATH, _load, _machine  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def run_dac(X, y, seed, args, overrides):
    import torch

    from skdeepcluster import DACClustering

    record = []
    callbacks = [curve_callback(X, y, record)] if args.curve else None
    est = DACClustering(
        10, variant=args.variant, network=args.network, input_shape=(1, 28, 28),
        augment=args.variant == "authors", random_state=seed, device=args.device,
        callbacks=callbacks, **overrides,
    )
    start = time.perf_counter()
    est.fit(X)
    seconds = time.perf_counter() - start
    durations = [row["dur"] for row in est.history_]
    steps = est.n_iter_ * int(np.ceil(len(X) / est.batch_size_))
    row = {
        "method": "dac", "seed": seed, "n_samples": len(X), **_scores(y, est.labels_),
        "seconds": seconds, "network": args.network, "variant": args.variant,
        "epochs": est.epochs_, "epochs_run": est.n_iter_, "batch_size": est.batch_size_,
        "steps": steps, "seconds_per_step": float(np.sum(durations)) / steps,
        "device": est.device_, "threads": torch.get_num_threads(),
        "clusters_found": int(len(np.unique(est.labels_))),
        "thresholds_last": [est.history_[-1, "upper"], est.history_[-1, "lower"]],
    }
    if args.curve:
        row["curve"] = record
    return row


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", default=str(DEFAULT_PATH), help="MNIST .npz or IDX folder")
    parser.add_argument("--n-samples", type=int, default=None, help="random subset")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--network", choices=["conv", "mlp"], default="conv")
    parser.add_argument("--variant", choices=["paper", "authors"], default="paper")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument("--epochs", type=int, help="default: the variant's (46 or 20)")
    parser.add_argument("--batch-size", type=int, help="default: the code's 128")
    parser.add_argument("--lr", type=float, help="default: the code's 0.001")
    parser.add_argument("--curve", action="store_true", help="score every epoch")
    parser.add_argument("--tag", default="", help="suffix of the result file name")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args(argv)

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    overrides = {
        name: getattr(args, name) for name in ("epochs", "batch_size", "lr")
        if getattr(args, name) is not None
    }
    X, y = _load(args.path, args.n_samples)
    X = np.asarray(X.reshape(len(X), -1), dtype=np.float32)
    machine = f"{_machine()}, {torch.get_num_threads()} torch threads, {platform.python_version()}"
    print(f"DAC ({args.variant}, {args.network}) on MNIST ({len(X)} samples) on {machine}; "
          f"overrides {overrides}", flush=True)

    rows = []
    for seed in args.seeds:
        row = run_dac(X, y, seed, args, overrides)
        rows.append(row)
        print(f"dac seed {seed}: ACC {row['acc']:.4f} NMI {row['nmi']:.4f} ARI {row['ari']:.4f} "
              f"{row['seconds']:.0f} s ({row['seconds_per_step']:.3f} s/step, {row['steps']} "
              f"steps, {row['epochs_run']} epochs)", flush=True)

    reference = []
    if len(X) == 70000:
        reference += earlier_rows(KMEANS_FILES, "kmeans") + earlier_rows(DEC_FILES, "dec")

    print_summary(rows, reference, "dac")
    print("paper (Chang et al. 2017, Table 2): DAC ACC 0.9775, NMI 0.935 on MNIST-70k")

    size = "all" if len(X) == 70000 else str(len(X))
    device = rows[-1]["device"].split(":")[0]
    seeds = "".join(str(s) for s in args.seeds)
    stem = (f"dac_mnist_{size}_{device}_{args.network}_{args.variant}_"
            f"{rows[-1]['epochs']}epochs_seeds{seeds}{args.tag}")
    settings = {
        "input": "pixels / 255",
        "estimator": (f"DACClustering(10, variant={args.variant!r}, network={args.network!r}, "
                      f"input_shape=(1, 28, 28), augment={args.variant == 'authors'}) with the "
                      "overrides"),
        "overrides": overrides,
        "paper_schedule": {"paper": "46 epochs (thresholds meet)", "authors": "20 epochs of 70 "
                           "blocks of 1,000 images, 5 passes of batches of 128 each"}[args.variant],
        "shortened": "epochs" in overrides,
    }
    write_results(args.out, stem, "benchmarks/bench_dac.py", argv, machine, settings, rows,
                  reference)


if __name__ == "__main__":
    main()
