"""New compositions of ``skdeepcluster.DeepClustering`` on MNIST, next to k-means.

Fits named compositions, each over ``--seeds``, on a random MNIST subset
(``numpy.random.RandomState(0).permutation``, as ``bench_mnist.py``) and
records ACC, NMI, ARI and the seconds of ``fit_predict``, next to k-means
(``n_init=20``) on the same pixels.  Each (method, seed) runs in a fresh
process.  All compositions have ``n_clusters=10``; ``--pretrain-epochs P`` and
``--epochs E`` apply to every one of them:

``ddc-on-autoencoder``
    DDC's Cauchy-Schwarz divergence on a pretrained autoencoder, with the
    reconstruction kept: ``DeepClustering(network=AutoencoderNetwork(embedding_dim=10),
    non_clustering_loss=Reconstruction(1.0), clustering_loss=CauchySchwarz(),
    schedule=PretrainThenCluster(P, E), batch_size=256)``.
``hardening-cosine``
    DEC's hardening with DMAE's cosine dissimilarity:
    ``DeepClustering(network=AutoencoderNetwork(embedding_dim=10, weight_init="glorot"),
    clustering_loss=Hardening(dissimilarity="cosine"), schedule=PretrainThenCluster(P, E),
    cluster_update=TargetRefresh(), optimizer="sgd", lr=0.01)``.
``dec-composed``
    The same with ``Hardening()`` (plain DEC, composed).
``aljalbout``
    ``AljalboutClustering(pretrain_epochs=P, epochs=E)`` on the images as
    ``(n, 1, 28, 28)`` (its default conv-BN autoencoder).
``kmeans``
    ``KMeans(10, n_init=20, random_state=seed)`` on the pixels.

Each row also records the seconds per pretraining and per clustering epoch
(the median of skorch's ``dur``), the epochs run, the number of non-empty
clusters, the largest cluster's share, whether any logged loss was NaN, and
the training loss of every epoch.

    python benchmarks/bench_compose.py --n-samples 10000 --seeds 0 --threads 1 \\
        --methods ddc-on-autoencoder hardening-cosine dec-composed
    python benchmarks/bench_compose.py --methods aljalbout --pretrain-epochs 10 --epochs 10 \\
        --tag aljalbout_10+10 --note "shorter schedule to fit the CPU"

Writes ``benchmarks/results/compose_mnist_<n>_<device>[_<tag>].json`` and ``.csv``
(``{"machine", "overrides", "settings", "note", "rows"}``, as bench_mnist.py).
"""

import argparse
import csv
import json
import multiprocessing as mp
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_mnist import DEFAULT_PATH, _load, _machine  # noqa: E402

COMPOSITIONS = ("ddc-on-autoencoder", "hardening-cosine", "dec-composed", "aljalbout")
METHODS = ("kmeans",) + COMPOSITIONS


def make_estimator(method, seed, device, pretrain_epochs, epochs):
    """The estimator ``method`` names, seeded with ``seed``."""
    from sklearn.cluster import KMeans

    from skdeepcluster import AljalboutClustering, DeepClustering
    from skdeepcluster.compose import (
        AutoencoderNetwork,
        CauchySchwarz,
        Hardening,
        PretrainThenCluster,
        Reconstruction,
        TargetRefresh,
    )

    common = dict(random_state=seed, device=device)
    if method == "kmeans":
        return KMeans(10, n_init=20, random_state=seed)
    if method == "ddc-on-autoencoder":
        return DeepClustering(
            10,
            network=AutoencoderNetwork(embedding_dim=10),
            non_clustering_loss=Reconstruction(1.0),
            clustering_loss=CauchySchwarz(),
            schedule=PretrainThenCluster(pretrain_epochs=pretrain_epochs, epochs=epochs),
            batch_size=256,
            **common,
        )
    if method in ("hardening-cosine", "dec-composed"):
        hardening = Hardening(dissimilarity="cosine") if method == "hardening-cosine" else Hardening()
        return DeepClustering(
            10,
            network=AutoencoderNetwork(embedding_dim=10, weight_init="glorot"),
            clustering_loss=hardening,
            schedule=PretrainThenCluster(pretrain_epochs, epochs),
            cluster_update=TargetRefresh(),
            optimizer="sgd",
            lr=0.01,
            **common,
        )
    if method == "aljalbout":
        return AljalboutClustering(10, pretrain_epochs=pretrain_epochs, epochs=epochs, **common)
    raise ValueError(f"unknown method {method!r}")


def _history_stats(history, prefix):
    if history is None or len(history) == 0:
        return {f"{prefix}_epochs": 0, f"{prefix}_s_per_epoch": None, f"{prefix}_nan_loss": False}
    losses = [
        value for row in history for key, value in row.items()
        if "loss" in key and isinstance(value, (int, float))
    ]
    return {
        f"{prefix}_epochs": len(history),
        f"{prefix}_s_per_epoch": float(np.median(history[:, "dur"])),
        f"{prefix}_nan_loss": bool(np.any(~np.isfinite(losses))) if losses else False,
        f"{prefix}_last_train_loss": (
            float(history[-1, "train_loss"]) if "train_loss" in history[-1] else None
        ),
        f"{prefix}_train_loss_curve": [
            float(row["train_loss"]) for row in history if "train_loss" in row
        ],
    }


def run_one(method, seed, path, n_samples, device, pretrain_epochs, epochs, threads):
    """Fit one method with one seed and measure it (runs in a child process)."""
    import torch
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    from skdeepcluster.metrics import clustering_accuracy

    if threads:
        torch.set_num_threads(threads)
        from threadpoolctl import threadpool_limits

        threadpool_limits(threads)
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    X, y = _load(path, n_samples)
    if method == "aljalbout":
        X = X.reshape(len(X), 1, 28, 28)
    est = make_estimator(method, seed, device, pretrain_epochs, epochs)
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    labels = np.asarray(est.fit_predict(X))
    seconds = time.perf_counter() - start
    sizes = np.bincount(labels, minlength=10)
    row = {
        "method": method,
        "seed": seed,
        "n_samples": len(X),
        "acc": clustering_accuracy(y, labels),
        "nmi": normalized_mutual_info_score(y, labels),
        "ari": adjusted_rand_score(y, labels),
        "seconds": seconds,
        "epochs": getattr(est, "n_iter_", None),
        "n_nonempty_clusters": int((sizes > 0).sum()),
        "largest_cluster_share": float(sizes.max() / len(labels)),
        "cluster_sizes": sizes.tolist(),
        "peak_host_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "peak_device_mb": (
            torch.cuda.max_memory_allocated() / 2**20 if torch.cuda.is_available() else 0.0
        ),
        "device": device,
    }
    if method != "kmeans":
        row["params"] = repr(est)
        row.update(_history_stats(getattr(est, "pretrain_history_", None), "pretrain"))
        row.update(_history_stats(getattr(est, "history_", None), "cluster"))
    return row


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog=__doc__.split("\n", 2)[2],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--path", default=str(DEFAULT_PATH))
    parser.add_argument("--n-samples", type=int, default=10000, help="random subset")
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS,
                        help="k-means always runs first unless it is left out explicitly "
                             "with --no-kmeans")
    parser.add_argument("--no-kmeans", action="store_true", help="skip the k-means rows")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--pretrain-epochs", type=int, default=50)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--threads", type=int, default=None, help="torch and BLAS threads")
    parser.add_argument("--tag", default=None, help="suffix of the result file name")
    parser.add_argument("--note", default=None, help="free text stored in the result file")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent / "results"))
    args = parser.parse_args(argv)

    methods = list(dict.fromkeys(args.methods))
    if not args.no_kmeans and "kmeans" not in methods:
        methods.insert(0, "kmeans")
    if args.no_kmeans and "kmeans" in methods:
        methods.remove("kmeans")
    settings = {
        "pretrain_epochs": args.pretrain_epochs,
        "epochs": args.epochs,
        "threads": args.threads,
        "n_samples": args.n_samples,
        "subset": "RandomState(0).permutation",
        "seeds": args.seeds,
        "methods": methods,
    }
    ctx = mp.get_context("spawn")
    rows = []
    print(f"MNIST ({args.n_samples or 'all'} samples) on {_machine()}; "
          f"pretrain_epochs={args.pretrain_epochs} epochs={args.epochs} threads={args.threads}")
    header = (f"{'method':<19} {'seed':>4} {'ACC':>6} {'NMI':>6} {'ARI':>6} {'seconds':>8} "
              f"{'pre s/ep':>8} {'clu s/ep':>8} {'epochs':>6} {'clusters':>8} {'largest':>7}")
    print(header, flush=True)
    for method in methods:
        for seed in args.seeds:
            with ctx.Pool(1) as pool:
                row = pool.apply(run_one, (method, seed, args.path, args.n_samples, args.device,
                                           args.pretrain_epochs, args.epochs, args.threads))
            rows.append(row)
            pre, clu = row.get("pretrain_s_per_epoch"), row.get("cluster_s_per_epoch")
            nan = " NaN loss!" if row.get("pretrain_nan_loss") or row.get("cluster_nan_loss") else ""
            print(
                f"{method:<19} {seed:>4} {row['acc']:>6.3f} {row['nmi']:>6.3f} {row['ari']:>6.3f} "
                f"{row['seconds']:>8.1f} {pre if pre is not None else float('nan'):>8.2f} "
                f"{clu if clu is not None else float('nan'):>8.2f} {str(row['epochs']):>6} "
                f"{row['n_nonempty_clusters']:>8} {row['largest_cluster_share']:>7.2f}{nan}",
                flush=True,
            )

    print("\nmean over seeds")
    print(f"{'method':<19} {'ACC':>13} {'NMI':>13} {'ARI':>13} {'seconds':>8}")
    for method in methods:
        sub = [r for r in rows if r["method"] == method]
        stats = {k: (np.mean([r[k] for r in sub]), np.std([r[k] for r in sub]))
                 for k in ("acc", "nmi", "ari")}
        print(
            f"{method:<19} "
            + " ".join(f"{m:.3f} ± {s:.3f}" for m, s in stats.values())
            + f" {np.median([r['seconds'] for r in sub]):>8.1f}"
        )

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"compose_mnist_{args.n_samples or 'all'}_{rows[0]['device'].split(':')[0]}"
    if args.tag:
        stem += f"_{args.tag}"
    overrides = {"pretrain_epochs": args.pretrain_epochs, "epochs": args.epochs,
                 "threads": args.threads}
    (out / f"{stem}.json").write_text(json.dumps({
        "machine": _machine(),
        "command": " ".join(["python"] + sys.argv),
        "overrides": overrides,
        "settings": settings,
        "note": args.note,
        "rows": rows,
    }, indent=2))
    fields = list(dict.fromkeys(k for r in rows for k in r if k != "params"))
    with open(out / f"{stem}.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    print(f"\nwrote {out / stem}.json and .csv")


if __name__ == "__main__":
    main()
