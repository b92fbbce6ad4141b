"""IMSAT on MNIST-70k with the authors' recipe, next to k-means and DEC.

The input is the pixels scaled as the authors' code does, ``x / 128 - 1``
(``load_mnist`` gives ``x / 255``); the estimator runs at its defaults
(``IMSATClustering(10)``: ``784-1200-1200-10`` with BatchNorm, ``R_vat +
0.1 * (H(Y|X) - 4 H(Y))``, Adam lr 0.002, 50 epochs of batches of 250, VAT
radius a quarter of the distance to the 10th nearest neighbour).  The paper
reports ACC 0.984 on MNIST.

    python benchmarks/bench_imsat.py                                # 3 seeds, 50 epochs
    python benchmarks/bench_imsat.py --epochs 12 --threads 1 --curve     # shorter, on a CPU
    python benchmarks/bench_imsat.py --n-samples 10000 --seeds 0 --epochs 5

``--curve`` scores the network's labels of all samples after every epoch
(in inference mode; the time it takes is part of the row's seconds).  The k-means and DEC rows come from the project's
earlier MNIST-70k results files (``--run-kmeans`` runs k-means here
instead).  Prints one row per seed and the mean and standard deviation per
method, and writes ``benchmarks/results/imsat_mnist_....json``.
"""

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_mnist import _load, _machine, mnist_arguments  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
# Earlier MNIST-70k rows on this project's CPU machine: DEC (glorot init, the
# reference recipe) and k-means (sklearn, n_init=10) from the DDC benchmark.
DEC_FILES = "mnist_all_cpu_dec_glorot_seed*.json"
KMEANS_FILES = "ddc_mnist_cpu_10x8_seed*.json"


def _scores(y, labels):
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    from skdeepcluster.metrics import clustering_accuracy

    return {
        "acc": float(clustering_accuracy(y, labels)),
        "nmi": float(normalized_mutual_info_score(y, labels)),
        "ari": float(adjusted_rand_score(y, labels)),
    }


def scale(X):
    """The authors' input: raw pixels ``p`` in ``[0, 255]`` as ``p / 128 - 1``."""
    return (np.asarray(X, dtype=np.float32) * (255.0 / 128.0) - 1.0).astype(np.float32)


def curve_callback(X, y, record):
    """A skorch callback appending each epoch's ``(epoch, acc, nmi, seconds)`` to ``record``."""
    from skorch.callbacks import Callback

    from skdeepcluster.engine import evaluation_mode, map_in_chunks

    class Curve(Callback):
        def on_epoch_end(self, net, **kwargs):
            start = time.perf_counter()
            with evaluation_mode(net.module_) as module:
                labels = map_in_chunks(
                    lambda x: module.assign(module.encode(x)).argmax(1), X, net.device
                )
            record.append({"epoch": len(net.history), **_scores(y, labels),
                           "scoring_seconds": time.perf_counter() - start})
            print(f"  epoch {len(net.history):>3}: ACC {record[-1]['acc']:.4f} "
                  f"NMI {record[-1]['nmi']:.4f}", flush=True)

    return Curve()


def earlier_rows(pattern, method):
    rows = []
    for path in sorted(RESULTS.glob(pattern)):
        for row in json.loads(path.read_text())["rows"]:
            if row.get("method") == method and row.get("n_samples") == 70000:
                rows.append({**row, "source": path.name})
    return rows


def print_summary(rows, reference, method, own_kmeans=False):
    """One line per method: mean and spread of ACC and NMI, median seconds, and the source."""
    print(f"\n{'method':<8} {'seeds':>5} {'ACC mean':>9} {'(std)':>8} {'NMI mean':>9} "
          f"{'(std)':>8} {'seconds':>9}  source")
    for name in (method, "kmeans", "dec"):
        sub = [r for r in rows + reference if r["method"] == name]
        if not sub:
            continue
        acc, nmi = (np.array([r[m] for r in sub]) for m in ("acc", "nmi"))
        source = "this run" if name == method or own_kmeans else "earlier results"
        print(f"{name:<8} {len(sub):>5} {acc.mean():>9.4f} {acc.std():>8.4f} {nmi.mean():>9.4f} "
              f"{nmi.std():>8.4f} {np.median([r['seconds'] for r in sub]):>9.0f}  {source}")


def write_results(out, stem, script, argv, machine, settings, rows, reference, **extra):
    """``out/stem.json``: the machine, the command, ``extra``'s keys, the settings, the rows
    and the reference rows."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    command = " ".join([script, *(sys.argv[1:] if argv is None else argv)])
    (out / f"{stem}.json").write_text(json.dumps(
        {"machine": machine, "command": command, **extra, "settings": settings, "rows": rows,
         "reference_rows": reference},
        indent=1,
    ))
    print(f"\nwrote {out / stem}.json")


def run_imsat(X, y, seed, args, overrides):
    import torch

    from skdeepcluster import IMSATClustering

    record = []
    callbacks = [curve_callback(X, y, record)] if args.curve else None
    est = IMSATClustering(10, random_state=seed, device=args.device, callbacks=callbacks,
                          **overrides)
    start = time.perf_counter()
    est.fit(X)
    seconds = time.perf_counter() - start
    durations = [row["dur"] for row in est.history_]
    steps = est.epochs_ * int(np.ceil(len(X) / est.batch_size_))
    row = {
        "method": "imsat", "seed": seed, "n_samples": len(X), **_scores(y, est.labels_),
        "seconds": seconds, "epochs": est.epochs_, "batch_size": est.batch_size_,
        "steps": steps, "seconds_per_step": float(np.sum(durations)) / steps,
        "device": est.device_, "threads": torch.get_num_threads(),
        "clusters_found": int(len(np.unique(est.labels_))),
    }
    if args.curve:
        row["curve"] = record
    return row


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mnist_arguments(parser)
    parser.add_argument("--epochs", type=int, help="default: the paper's 50")
    parser.add_argument("--batch-size", type=int, help="default: the paper's 250")
    parser.add_argument("--lr", type=float, help="default: the paper's 0.002")
    parser.add_argument("--n-neighbors", type=int, help="default: the paper's 10")
    parser.add_argument("--curve", action="store_true", help="score every epoch")
    parser.add_argument("--run-kmeans", action="store_true",
                        help="run k-means here instead of reading earlier results")
    parser.add_argument("--tag", default="", help="suffix of the result file name")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args(argv)

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    overrides = {
        name: getattr(args, name) for name in ("epochs", "batch_size", "lr", "n_neighbors")
        if getattr(args, name) is not None
    }
    X, y = _load(args.path, args.n_samples)
    X = scale(X.reshape(len(X), -1))
    machine = f"{_machine()}, {torch.get_num_threads()} torch threads, {platform.python_version()}"
    print(f"IMSAT on MNIST ({len(X)} samples) on {machine}; overrides {overrides}", flush=True)

    rows = []
    for seed in args.seeds:
        if args.run_kmeans:
            from sklearn.cluster import KMeans

            start = time.perf_counter()
            labels = KMeans(10, n_init=10, random_state=seed).fit_predict(X)
            rows.append({"method": "kmeans", "seed": seed, "n_samples": len(X),
                         **_scores(y, labels), "seconds": time.perf_counter() - start})
        row = run_imsat(X, y, seed, args, overrides)
        rows.append(row)
        print(f"imsat seed {seed}: ACC {row['acc']:.4f} NMI {row['nmi']:.4f} ARI {row['ari']:.4f} "
              f"{row['seconds']:.0f} s ({row['seconds_per_step']:.3f} s/step, "
              f"{row['steps']} steps)", flush=True)

    reference = []
    if len(X) == 70000:
        if not args.run_kmeans:
            reference += earlier_rows(KMEANS_FILES, "kmeans")
        reference += earlier_rows(DEC_FILES, "dec")

    print_summary(rows, reference, "imsat", own_kmeans=args.run_kmeans)
    print("paper (Hu et al. 2017, Table 2): IMSAT (VAT) ACC 0.984 on MNIST, 50 epochs")

    size = "all" if len(X) == 70000 else str(len(X))
    device = rows[-1]["device"].split(":")[0]
    epochs = rows[-1]["epochs"]
    seeds = "".join(str(s) for s in args.seeds)
    stem = f"imsat_mnist_{size}_{device}_{epochs}epochs_seeds{seeds}{args.tag}"
    settings = {
        "input": "x / 128 - 1 (the authors' code)",
        "estimator": "IMSATClustering(10) at its defaults, with the overrides",
        "overrides": overrides,
        "paper_schedule": "50 epochs of 280 batches of 250 (14,000 steps)",
        "shortened": epochs < 50,
    }
    write_results(args.out, stem, "benchmarks/bench_imsat.py", argv, machine, settings, rows,
                  reference)


if __name__ == "__main__":
    main()
