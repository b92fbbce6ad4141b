"""DEC, IDEC, DBC, Neural Clustering and DEN on MNIST with the papers' recipes, next to k-means.

Each (method, seed) runs in a fresh process, so peak memory is its own.
Prints one row per run and the mean per method, and writes a JSON and a CSV
file of all rows.

    python benchmarks/bench_mnist.py                         # MNIST-70k, 3 seeds
    python benchmarks/bench_mnist.py --n-samples 10000 --seeds 0
    python benchmarks/bench_mnist.py --path /data/mnist.npz --device cuda
    python benchmarks/bench_mnist.py --weight-init glorot     # the IDEC reference's init
    python benchmarks/bench_mnist.py --methods dec --augment --augment-clustering   # DEC-DA
    python benchmarks/bench_mnist.py --methods dec --precision bf16   # bfloat16 autocast
    python benchmarks/bench_mnist.py --methods neural   # Neural Clustering (--epochs: its AE's)
    python benchmarks/bench_mnist.py --methods den      # DEN (--epochs: its one phase's)
    python benchmarks/bench_mnist.py --methods dbc      # DBC: DEC on its conv autoencoder

DBC reads the images as ``(1, 28, 28)``, so ``network="auto"`` builds its
fully convolutional autoencoder.  Each DEC/IDEC/DBC row also records ``init_acc`` / ``init_nmi``: the partition the
clustering phase starts from (k-means on that run's pretrained embedding).
Each Neural Clustering row also records ``embedding_acc`` / ``embedding_nmi``:
k-means (same ``n_init``) on the bottleneck of the same trained autoencoder,
the baseline its concatenated layers are meant to beat, and ``balanced_acc`` /
``balanced_nmi``: k-means on the layers side by side, each scaled to the same
mean norm (so the 2000-wide layer does not outweigh the others).
"""

import argparse
import csv
import json
import multiprocessing as mp
import platform
import resource
import time
from pathlib import Path

import numpy as np

from skdeepcluster import (
    DBCClustering,
    DECClustering,
    DENClustering,
    IDECClustering,
    NeuralClustering,
)
from skdeepcluster.engine import PRECISIONS

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist.npz"


def _load(path, n_samples, seed=0):
    from skdeepcluster.datasets import load_mnist

    X, y = load_mnist(path=path, return_X_y=True)
    if n_samples is not None and n_samples < len(X):
        idx = np.random.RandomState(seed).permutation(len(X))[:n_samples]
        X, y = X[idx], y[idx]
    return X, y


def mnist_arguments(parser, seeds=(0, 1, 2), subset=True):
    """Add the options every MNIST benchmark takes: the data, a subset, seeds, device, threads."""
    parser.add_argument("--path", default=str(DEFAULT_PATH), help="MNIST .npz or IDX folder")
    if subset:
        parser.add_argument("--n-samples", type=int, default=None, help="random subset")
    parser.add_argument("--seeds", nargs="+", type=int, default=list(seeds))
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    return parser


def record_initial_partition(est, X, y):
    """Make ``est`` score the partition its clustering phase starts from.

    Sets a callback on ``est`` (replacing its ``callbacks``) that, when the
    clustering phase begins, scores the module's assignments of ``X``
    (k-means on the pretrained embedding) against ``y``.  Returns the dict
    it fills with ``init_acc`` and ``init_nmi`` during ``fit``: the
    estimator's copy of the callback shares it.
    """
    from skorch.callbacks import Callback
    from sklearn.metrics import normalized_mutual_info_score

    from skdeepcluster.engine import evaluation_mode, map_in_chunks
    from skdeepcluster.metrics import clustering_accuracy

    record = {}

    class InitialPartition(Callback):
        def on_train_begin(self, net, **kwargs):
            with evaluation_mode(net.module_) as module:
                labels = map_in_chunks(
                    lambda x: module.assign(module.encode(x)).argmax(1),
                    X.reshape(len(X), -1), net.device,
                )
            record["init_acc"] = float(clustering_accuracy(y, labels))
            record["init_nmi"] = float(normalized_mutual_info_score(y, labels))

    est.set_params(callbacks=[InitialPartition()])
    return record


def embedding_kmeans(est, X, y, seed):
    """ACC / NMI of k-means on the bottleneck of ``est``'s trained autoencoder, and on its
    layers side by side with each layer scaled to the same mean norm (``balanced_*``)."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import normalized_mutual_info_score
    from torch import nn

    from skdeepcluster.engine import evaluation_mode, map_in_chunks
    from skdeepcluster.metrics import clustering_accuracy

    def scores(name, features):
        labels = KMeans(10, n_init=est.n_init, random_state=seed).fit_predict(features)
        return {f"{name}_acc": float(clustering_accuracy(y, labels)),
                f"{name}_nmi": float(normalized_mutual_info_score(y, labels))}

    autoencoder = est.net_.module_.autoencoder
    with evaluation_mode(est.net_.module_) as module:
        Z = map_in_chunks(module.autoencoder.encode, X.reshape(len(X), -1), est.device_)
    layers = est.transform(X).astype(np.float64)
    widths = [m.out_features for m in autoencoder.encoder if isinstance(m, nn.Linear)]
    blocks = np.split(layers, np.cumsum(widths)[:-1], axis=1)
    balanced = np.hstack([b / np.linalg.norm(b, axis=1).mean() for b in blocks])
    return {**scores("embedding", Z.astype(np.float64)), **scores("balanced", balanced)}


def _estimator(method, seed, device, overrides):
    from sklearn.cluster import KMeans

    if method == "kmeans":
        return KMeans(10, n_init=20, random_state=seed)
    cls = {"dec": DECClustering, "idec": IDECClustering, "neural": NeuralClustering,
           "den": DENClustering, "dbc": DBCClustering}[method]
    overrides = dict(overrides)
    threads = overrides.pop("threads", None)
    if threads:
        import torch

        torch.set_num_threads(threads)
    if method in ("neural", "den"):  # one training phase (the autoencoder's), no augmentation
        return cls(10, random_state=seed, device=device,
                   **{k: v for k, v in overrides.items() if k in cls().get_params()})
    overrides = with_images_and_autoencoder(overrides, overrides.pop("load_autoencoder", None))
    if method == "dbc":
        overrides["input_shape"] = (1, 28, 28)
    return cls(10, random_state=seed, device=device, **overrides)


def with_images_and_autoencoder(overrides, load_autoencoder=None):
    """MNIST estimator ``overrides`` plus what augmentation and a saved autoencoder need.

    With ``augment`` or ``augment_clustering`` set, ``input_shape=(1, 28, 28)``
    (augmentation needs the image shape); with ``load_autoencoder`` (a file
    ``bench_dmae_mnist.py --save-autoencoder`` wrote), its ``encoder`` /
    ``decoder``, no pretraining and so no pretraining augmentation.
    """
    overrides = dict(overrides)
    if overrides.get("augment") or overrides.get("augment_clustering"):
        overrides["input_shape"] = (1, 28, 28)
    if load_autoencoder is not None:
        overrides.update(
            _pretrained_modules(load_autoencoder, images="input_shape" in overrides),
            pretrain_epochs=0,
            augment=False,
        )
    return overrides


def _pretrained_modules(path, images=False):
    """``encoder`` / ``decoder`` of a saved ``784-500-500-2000-10`` autoencoder.

    The state dict of :class:`~skdeepcluster.networks.MLPAutoencoder` that
    ``bench_dmae_mnist.py --save-autoencoder`` writes.  With ``images`` the
    encoder first flattens the ``(n, 1, 28, 28)`` batches it is then given.
    """
    import torch
    from torch import nn

    from skdeepcluster.networks import MLPAutoencoder

    autoencoder = MLPAutoencoder(784, (500, 500, 2000), 10)
    autoencoder.load_state_dict(torch.load(path))
    encoder = nn.Sequential(nn.Flatten(), autoencoder.encoder) if images else autoencoder.encoder
    return {"encoder": encoder, "decoder": autoencoder.decoder}


def run_one(method, seed, path, n_samples, device, overrides):
    """Fit one method with one seed and measure it (runs in a child process)."""
    import torch
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    from skdeepcluster.metrics import clustering_accuracy

    X, y = _load(path, n_samples)
    est = _estimator(method, seed, device, overrides)
    initial = record_initial_partition(est, X, y) if method in ("dec", "idec", "dbc") else {}
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    labels = est.fit_predict(X)
    seconds = time.perf_counter() - start
    if method == "neural":
        initial = embedding_kmeans(est, X, y, seed)
    return {
        "method": method,
        "seed": seed,
        "n_samples": len(X),
        "acc": clustering_accuracy(y, labels),
        "nmi": normalized_mutual_info_score(y, labels),
        "ari": adjusted_rand_score(y, labels),
        "seconds": seconds,
        "epochs": getattr(est, "n_iter_", None),
        "peak_host_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "peak_device_mb": (
            torch.cuda.max_memory_allocated() / 2**20 if torch.cuda.is_available() else 0.0
        ),
        "device": getattr(est, "device_", "cpu"),
        **initial,
    }


def _machine():
    import torch

    gpu = torch.cuda.get_device_name() if torch.cuda.is_available() else "no GPU"
    return f"{platform.processor() or platform.machine()}, {mp.cpu_count()} cores, {gpu}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", default=str(DEFAULT_PATH))
    parser.add_argument("--n-samples", type=int, default=None, help="random subset")
    parser.add_argument("--methods", nargs="+", default=["kmeans", "dec", "idec"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--pretrain-epochs", type=int)
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--weight-init", choices=("torch", "glorot"))
    parser.add_argument("--augment", action="store_true", default=None,
                        help="pretrain on rotated and shifted images")
    parser.add_argument("--augment-clustering", action="store_true", default=None,
                        help="augment the clustering phase too (DEC-DA)")
    parser.add_argument("--augment-rotation", type=float, default=None,
                        help="augment_rotation, degrees (default: the estimators', "
                             f"{DECClustering().augment_rotation:g})")
    parser.add_argument("--augment-shift", type=float, default=None,
                        help="augment_shift, a fraction of the size (default: the estimators', "
                             f"{DECClustering().augment_shift:g})")
    parser.add_argument("--load-autoencoder", default=None, metavar="FILE",
                        help="start from this saved autoencoder (bench_dmae_mnist.py "
                             "--save-autoencoder), no pretraining")
    parser.add_argument("--precision", choices=PRECISIONS,
                        help="the estimators' precision (default: theirs, float32)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads")
    parser.add_argument("--tag", default=None, help="suffix of the result file name")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent / "results"))
    args = parser.parse_args(argv)

    overrides = {
        k: getattr(args, k)
        for k in ("pretrain_epochs", "epochs", "batch_size", "weight_init", "augment",
                  "augment_clustering", "augment_rotation", "augment_shift", "load_autoencoder",
                  "precision", "threads")
        if getattr(args, k) is not None
    }
    ctx = mp.get_context("spawn")
    rows = []
    header = f"{'method':<7} {'seed':>4} {'ACC':>6} {'NMI':>6} {'ARI':>6} {'seconds':>8} {'epochs':>6} {'host MB':>8} {'dev MB':>7}"
    print(f"MNIST ({args.n_samples or 'all'} samples) on {_machine()}; overrides {overrides}")
    print(header)
    for method in args.methods:
        for seed in args.seeds:
            with ctx.Pool(1) as pool:
                row = pool.apply(
                    run_one, (method, seed, args.path, args.n_samples, args.device, overrides)
                )
            rows.append(row)
            print(
                f"{method:<7} {seed:>4} {row['acc']:>6.3f} {row['nmi']:>6.3f} {row['ari']:>6.3f} "
                f"{row['seconds']:>8.1f} {str(row['epochs']):>6} {row['peak_host_mb']:>8.0f} "
                f"{row['peak_device_mb']:>7.0f}"
                + (f"  from {row['init_acc']:.3f}/{row['init_nmi']:.3f}" if "init_acc" in row else "")
                + (f"  bottleneck {row['embedding_acc']:.3f}/{row['embedding_nmi']:.3f}"
                   f"  balanced layers {row['balanced_acc']:.3f}/{row['balanced_nmi']:.3f}"
                   if "embedding_acc" in row else ""),
                flush=True,
            )

    print("\nmean over seeds")
    print(f"{'method':<7} {'ACC':>13} {'NMI':>13} {'ARI':>13} {'seconds':>8}")
    for method in args.methods:
        sub = [r for r in rows if r["method"] == method]
        stats = {k: (np.mean([r[k] for r in sub]), np.std([r[k] for r in sub])) for k in ("acc", "nmi", "ari")}
        print(
            f"{method:<7} "
            + " ".join(f"{m:.3f} ± {s:.3f}" for m, s in stats.values())
            + f" {np.median([r['seconds'] for r in sub]):>8.1f}"
        )

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"mnist_{args.n_samples or 'all'}_{rows[0]['device'].split(':')[0]}"
    if args.tag:
        stem += f"_{args.tag}"
    (out / f"{stem}.json").write_text(
        json.dumps({"machine": _machine(), "overrides": overrides, "rows": rows}, indent=2)
    )
    with open(out / f"{stem}.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(dict.fromkeys(k for r in rows for k in r)))
        writer.writeheader()
        writer.writerows(rows)
    print(f"\nwrote {out / stem}.json and .csv")


if __name__ == "__main__":
    main()
