"""VaDE on MNIST next to k-means and DEC: accuracy, NMI, ARI, the curve over epochs, wall time.

The paper's recipe (``VaDEClustering``'s defaults on pixels / 255, a
Bernoulli likelihood): the ``784-500-500-2000-10`` variational autoencoder,
pretrained as an autoencoder, a diagonal Gaussian mixture on the encoder's
means to start the prior, then the ELBO with Adam (lr 0.002, eps 1e-4,
x0.9 every 10 epochs down to 0.0002) in batches of 100.  The paper reports
ACC 0.9446 on MNIST-70k, from weights trained for 3,000 epochs; shorter
schedules are set with ``--pretrain-epochs`` and ``--epochs`` and recorded in
the results file.  DEC's row comes from the existing results files
(``mnist_all_cpu_dec_glorot_seed*.json``), not from a new run.

    python benchmarks/bench_vade.py --device cuda                      # the defaults, 3 seeds
    python benchmarks/bench_vade.py --seeds 0 --pretrain-epochs 30 --epochs 80 \\
        --threads 1 --eval-every 5 --tag cpu_30+80                     # a CPU budget
    python benchmarks/bench_vade.py --n-samples 10000 --seeds 0 1 2    # a subset

Prints one row per (method, seed), then the mean and spread over seeds per
method, and writes ``benchmarks/results/vade_mnist_<n>_<device>[_<tag>].json``
(rewritten after every evaluation, so that a run stopped early keeps its curve).
"""

import argparse
import glob
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_mnist import DEFAULT_PATH, _load, _machine  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
DEC_FILES = "mnist_all_cpu_dec_glorot_seed*.json"
PAPER = {"acc": 0.9446}


def _scores(y, labels):
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    from skdeepcluster.metrics import clustering_accuracy

    return {
        "acc": float(clustering_accuracy(y, labels)),
        "nmi": float(normalized_mutual_info_score(y, labels)),
        "ari": float(adjusted_rand_score(y, labels)),
    }


def dec_rows():
    """DEC's MNIST-70k rows from the existing results files (the DEC benchmark's)."""
    rows = []
    for path in sorted(glob.glob(str(RESULTS / DEC_FILES))):
        for row in json.load(open(path))["rows"]:
            if row.get("method") == "dec" and row.get("n_samples") == 70000:
                rows.append({**row, "source": Path(path).name})
    return rows


def _curve_callback(X, y, curve, every, on_record):
    """A skorch callback scoring ``predict`` of the training data every ``every`` epochs."""
    from skorch.callbacks import Callback

    from skdeepcluster.engine import evaluation_mode, map_in_chunks

    class Curve(Callback):
        def _record(self, net, epoch):
            module = net.module_
            device = next(module.parameters()).device
            with evaluation_mode(module):
                proba = map_in_chunks(lambda x: module.assign(module.encode(x)), X, device)
            curve.append({"epoch": epoch, **_scores(y, proba.argmax(axis=1)),
                          "lr": float(net.optimizer_.param_groups[0]["lr"])})
            print(f"  epoch {epoch}: ACC {curve[-1]['acc']:.4f} NMI {curve[-1]['nmi']:.4f}",
                  flush=True)
            on_record()

        def on_train_begin(self, net, **kwargs):
            self._record(net, 0)  # the partition of the Gaussian mixture's start

        def on_epoch_end(self, net, **kwargs):
            epoch = len(net.history)
            if epoch % every == 0:
                self._record(net, epoch)

    return Curve()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", default=str(DEFAULT_PATH))
    parser.add_argument("--n-samples", type=int, default=None, help="random subset")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (CPU)")
    parser.add_argument("--pretrain-epochs", type=int, help="default: the estimator's (100)")
    parser.add_argument("--epochs", type=int, help="VaDE epochs; default: the estimator's (300)")
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--lr", type=float)
    parser.add_argument("--kl-weight", type=float)
    parser.add_argument("--eval-every", type=int, default=0,
                        help="score the training data every this many VaDE epochs (0: never)")
    parser.add_argument("--no-kmeans", action="store_true", help="skip the k-means rows")
    parser.add_argument("--tag", default="")
    args = parser.parse_args(argv)

    import torch
    from sklearn.cluster import KMeans

    from skdeepcluster import VaDEClustering

    if args.threads:
        torch.set_num_threads(args.threads)
    overrides = {
        name: value for name, value in (
            ("pretrain_epochs", args.pretrain_epochs), ("epochs", args.epochs),
            ("batch_size", args.batch_size), ("lr", args.lr), ("kl_weight", args.kl_weight),
        ) if value is not None
    }
    X, y = _load(args.path, args.n_samples)
    n = "all" if len(X) == 70000 else str(len(X))
    device = "cuda" if args.device == "auto" and torch.cuda.is_available() else args.device
    device = "cpu" if device == "auto" else device
    name = f"vade_mnist_{n}_{device}" + (f"_{args.tag}" if args.tag else "")
    out = RESULTS / f"{name}.json"
    result = {
        "machine": _machine(), "threads": torch.get_num_threads(), "paper": PAPER,
        "settings": {**VaDEClustering().get_params(), **overrides, "callbacks": None},
        "overrides": overrides, "rows": [], "curves": {},
    }

    def save():
        RESULTS.mkdir(exist_ok=True)
        out.write_text(json.dumps(result, indent=1, default=str))

    for seed in args.seeds:
        if not args.no_kmeans:
            start = time.perf_counter()
            labels = KMeans(10, n_init=10, random_state=seed).fit_predict(X)
            result["rows"].append({"method": "kmeans", "seed": seed, "n_samples": len(X),
                                   **_scores(y, labels),
                                   "seconds": time.perf_counter() - start})
            print(result["rows"][-1], flush=True)
            save()
        curve = result["curves"].setdefault(str(seed), [])
        callbacks = []
        if args.eval_every:
            callbacks = [_curve_callback(X, y, curve, args.eval_every, save)]
        model = VaDEClustering(10, device=args.device, random_state=seed, verbose=1,
                               callbacks=callbacks or None, **overrides)
        start = time.perf_counter()
        model.fit(X)
        seconds = time.perf_counter() - start
        pretrain = model.pretrain_history_
        row = {
            "method": "vade", "seed": seed, "n_samples": len(X), **_scores(y, model.labels_),
            "seconds": seconds, "pretrain_epochs": model.pretrain_epochs_,
            "epochs": model.epochs_, "batch_size": model.batch_size_,
            "pretrain_seconds": float(sum(pretrain[:, "dur"])) if pretrain else 0.0,
            "clustering_seconds": float(sum(model.history_[:, "dur"])),
            "final_loss": float(model.history_[-1, "train_loss"]),
            "device": model.device_,
        }
        result["rows"].append(row)
        print(row, flush=True)
        save()
    result["dec_rows"] = dec_rows()
    save()
    _print_table(result)
    print(f"wrote {out}")


def _print_table(result):
    rows = result["rows"] + [{**r, "method": "dec (results files)"} for r in result["dec_rows"]]
    print(f"\nMNIST, {result['machine']}, {result['threads']} thread(s); paper VaDE ACC "
          f"{PAPER['acc']}")
    print(f"{'method':<20} {'seeds':>5} {'ACC':>15} {'NMI':>15} {'ARI':>15} {'s/run':>8}")
    for method in dict.fromkeys(r["method"] for r in rows):
        mine = [r for r in rows if r["method"] == method]
        cells = []
        for key in ("acc", "nmi", "ari"):
            values = np.array([r[key] for r in mine])
            cells.append(f"{values.mean():.3f} ± {values.std():.3f}")
        seconds = np.mean([r.get("seconds", np.nan) for r in mine])
        print(f"{method:<20} {len(mine):>5} {cells[0]:>15} {cells[1]:>15} {cells[2]:>15} "
              f"{seconds:>8.0f}")


if __name__ == "__main__":
    main()
