"""The main job's data set: DEC on scikit-learn's digits, pretraining recipes next to k-means.

``python -m skdeepcluster`` clusters digits (1,797 images of 8x8 pixels) with
DEC.  With the default batches of 256 an epoch is 7 steps, so the pretraining
recipe matters more than on MNIST; this script compares recipes over seeds,
each as ``DECClustering(10, random_state=seed, pretrain_epochs=E,
batch_size=B)`` on ``X / 16``, with k-means (``n_init=20``) in the same run.

    python benchmarks/research/bench_digits.py                         # 50 x 256, 50 x 64, seeds 0-4
    python benchmarks/research/bench_digits.py --recipes 50x64 200x256 --seeds 0 1
    python benchmarks/research/bench_digits.py --recipes 50x64 50x64+da    # DEC-DA against DEC

Prints one row per (recipe, seed) and the mean per recipe, and writes a JSON
file of all rows to ``benchmarks/results/``.
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.cluster import KMeans
from sklearn.datasets import load_digits
from sklearn.metrics import normalized_mutual_info_score

from skdeepcluster import DECClustering
from skdeepcluster.metrics import clustering_accuracy

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bench_mnist
from bench_mnist import _machine  # noqa: E402


_AUGMENT = {"": {}, "aug": {"augment": True}, "da": {"augment": True, "augment_clustering": True}}


def _recipe(text):
    """``EPOCHSxBATCH``, with ``+aug`` (augmented pretraining) or ``+da`` (DEC-DA)."""
    shape, _, augment = text.partition("+")
    epochs, batch_size = shape.split("x")
    if augment not in _AUGMENT:
        raise argparse.ArgumentTypeError(f"unknown augmentation {augment!r}; use +aug or +da")
    return int(epochs), int(batch_size), augment


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--recipes", nargs="+", type=_recipe, default=[(50, 256, ""), (50, 64, "")],
        help="pretraining recipes as EPOCHSxBATCH, +aug augments pretraining, +da both phases "
             "(default: 50x256 50x64)",
    )
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's)")
    parser.add_argument("--tag", default=None, help="suffix of the result file name")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent.parent / "results"))
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)

    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    machine = f"{_machine()}, torch threads {torch.get_num_threads()}"
    print(f"digits: {X.shape[0]} samples on {machine}")
    print(f"{'method':<18} {'seed':>4} {'ACC':>6} {'NMI':>6} {'seconds':>8}")
    rows = []

    def record(method, seed, labels, seconds):
        row = dict(
            method=method, seed=seed, seconds=seconds,
            acc=clustering_accuracy(y, labels), nmi=normalized_mutual_info_score(y, labels),
        )
        rows.append(row)
        print(
            f"{method:<18} {seed:>4} {row['acc']:>6.3f} {row['nmi']:>6.3f} {seconds:>8.1f}",
            flush=True,
        )

    for seed in args.seeds:
        start = time.perf_counter()
        labels = KMeans(10, n_init=20, random_state=seed).fit(X).labels_
        record("k-means", seed, labels, time.perf_counter() - start)
    for epochs, batch_size, augment in args.recipes:
        images = {"input_shape": (1, 8, 8)} if augment else {}
        for seed in args.seeds:
            model = DECClustering(
                10, pretrain_epochs=epochs, batch_size=batch_size, random_state=seed, device="cpu",
                **_AUGMENT[augment], **images,
            )
            start = time.perf_counter()
            labels = model.fit_predict(X)
            name = f"DEC {epochs}x{batch_size}" + (f"+{augment}" if augment else "")
            record(name, seed, labels, time.perf_counter() - start)

    print(f"{'mean':<18} {'':>4} {'ACC':>6} {'NMI':>6} {'seconds':>8}  (ACC range)")
    for method in dict.fromkeys(row["method"] for row in rows):
        mine = [row for row in rows if row["method"] == method]
        acc = [row["acc"] for row in mine]
        print(
            f"{method:<18} {'':>4} {np.mean(acc):>6.3f} {np.mean([r['nmi'] for r in mine]):>6.3f} "
            f"{np.median([r['seconds'] for r in mine]):>8.1f}  ({min(acc):.3f}-{max(acc):.3f})"
        )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    name = "digits_dec_recipes" + (f"_{args.tag}" if args.tag else "")
    settings = {**vars(args),
                "recipes": [f"{e}x{b}" + (f"+{a}" if a else "") for e, b, a in args.recipes]}
    (out / f"{name}.json").write_text(
        json.dumps({"machine": machine, "args": settings, "rows": rows}, indent=1)
    )
    print(f"wrote {out / name}.json")


if __name__ == "__main__":
    main()
