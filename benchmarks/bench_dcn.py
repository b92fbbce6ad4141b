"""DCN on MNIST: ours and ClustPy's DCN (ClustPy's settings), our default recipe, k-means.

Rows, each fitted in a fresh process on the same data:

* ``kmeans``: k-means on the raw pixels (``n_init=20``);
* ``clustpy``: ``clustpy.deep.DCN`` with its settings (``d-500-500-2000-10``
  autoencoder, batch 256, Adam 1e-3 pretraining and 1e-4 clustering,
  ``clustering_loss_weight=0.1``, counts starting at 100, initial k-means with
  scikit-learn's defaults).  ClustPy's ``labels_`` come from a final k-means
  on the embedding (row ``clustpy``); its DCN assignments ``dcn_labels_`` are
  scored as well (``clustpy-dcn``, same fit, same seconds);
* ``ours``: :class:`~skdeepcluster.dcn.DCNClustering` with the same settings
  (same epochs, lr, weight, ``n_init=1``);
* ``ours-default``: our default recipe (epochs overridable).

The speed ratio ClustPy / ours (same settings, same run) is printed per seed.
Full MNIST-70k with ClustPy's 100 + 150 epochs is meant for a GPU:

    python benchmarks/bench_dcn.py                               # GPU, MNIST-70k, seed 0
    OMP_NUM_THREADS=1 python benchmarks/bench_dcn.py --libraries ours-default --seeds 0 \\
        --threads 1 --tag default_seed0                          # CPU, MNIST-70k, ~50 min
    python benchmarks/bench_dcn.py --n-samples 5000 --pretrain-epochs 3 --clustering-epochs 3 \\
        --default-pretrain-epochs 3 --default-epochs 3 --device cpu --tag cpu_subset
    python benchmarks/bench_dcn.py --libraries ours-default --default-augment \\
        --default-augment-clustering                             # DCN with augmentation

ClustPy is needed only here (``pip install clustpy``); see ``speed.py`` for
how it is imported without torchvision.
"""

import argparse
import json
import multiprocessing as mp
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_mnist import (  # noqa: E402
    DEFAULT_PATH,
    _load,
    _machine,
    record_initial_partition,
    with_images_and_autoencoder,
)

LIBRARIES = ("kmeans", "clustpy", "ours", "ours-default")


def _fit(library, seed, path, n_samples, device, settings, threads):
    import torch
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    from skdeepcluster.dcn import DCNClustering
    from skdeepcluster.metrics import clustering_accuracy

    if threads:
        from threadpoolctl import threadpool_limits

        torch.set_num_threads(threads)
        threadpool_limits(limits=threads)
    X, y = _load(path, n_samples)
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    pretrain, clustering = settings["pretrain_epochs"], settings["clustering_epochs"]
    epochs = None
    if library == "kmeans":
        from sklearn.cluster import KMeans

        est, device, epochs = KMeans(10, n_init=20, random_state=seed), "cpu", 0
    elif library == "clustpy":
        from speed import _import_clustpy

        est = _import_clustpy().DCN(
            10,
            batch_size=256,
            pretrain_epochs=pretrain,
            clustering_epochs=clustering,
            device=torch.device(device),
            random_state=seed,
        )
        epochs = pretrain + clustering
    elif library == "ours":  # ClustPy's settings
        est = DCNClustering(
            10,
            clustering_weight=0.1,
            pretrain_epochs=pretrain,
            epochs=clustering,
            lr=1e-4,
            optimizer="adam",
            initial_count=100,
            n_init=1,
            tol=0.0,
            batch_size=256,
            device=device,
            random_state=seed,
        )
    else:  # "ours-default": our recipe, epochs overridable
        overrides = {
            k: v
            for k, v in (
                ("pretrain_epochs", settings["default_pretrain_epochs"]),
                ("epochs", settings["default_epochs"]),
                ("weight_init", settings["default_weight_init"]),
            )
            if v is not None
        }
        for switch in ("augment", "augment_clustering"):
            if settings[f"default_{switch}"]:
                overrides[switch] = True
        overrides = with_images_and_autoencoder(overrides, settings["load_autoencoder"])
        est = DCNClustering(10, device=device, random_state=seed, **overrides)
    ours = library in ("ours", "ours-default")
    initial = record_initial_partition(est, X, y) if ours else {}
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    est.fit(X)
    seconds = time.perf_counter() - start
    if epochs is None:
        pre = est.pretrain_history_
        epochs = (len(pre) if pre is not None else 0) + est.n_iter_
    common = {
        "seed": seed,
        "n_samples": len(X),
        "device": device,
        "seconds": seconds,
        "epochs": epochs,
        "peak_host_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "peak_device_mb": (
            torch.cuda.max_memory_allocated() / 2**20 if torch.cuda.is_available() else 0.0
        ),
    }

    def scores(labels):
        labels = np.asarray(labels)
        return {
            "acc": clustering_accuracy(y, labels),
            "nmi": normalized_mutual_info_score(y, labels),
            "ari": adjusted_rand_score(y, labels),
        }

    rows = [{"library": library, **common, **scores(est.labels_), **initial}]
    if library == "clustpy":
        rows.append({"library": "clustpy-dcn", **common, **scores(est.dcn_labels_)})
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", default=str(DEFAULT_PATH))
    parser.add_argument("--n-samples", type=int, default=None, help="random subset")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--libraries", nargs="+", default=list(LIBRARIES), choices=LIBRARIES)
    parser.add_argument("--pretrain-epochs", type=int, default=100, help="ClustPy settings")
    parser.add_argument("--clustering-epochs", type=int, default=150, help="ClustPy settings")
    parser.add_argument("--default-pretrain-epochs", type=int, help="override for ours-default")
    parser.add_argument("--default-epochs", type=int, help="override for ours-default")
    parser.add_argument("--default-weight-init", choices=("torch", "glorot"),
                        help="override for ours-default")
    parser.add_argument("--default-augment", action="store_true",
                        help="ours-default pretrains on rotated and shifted images")
    parser.add_argument("--default-augment-clustering", action="store_true",
                        help="ours-default augments the clustering phase too")
    parser.add_argument("--load-autoencoder", metavar="FILE",
                        help="ours-default starts from this saved autoencoder "
                             "(bench_dmae_mnist.py --save-autoencoder), no pretraining")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's)")
    parser.add_argument("--tag", default="", help="suffix of the result file name")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent / "results"))
    args = parser.parse_args(argv)

    settings = {
        k: getattr(args, k)
        for k in (
            "pretrain_epochs", "clustering_epochs", "default_pretrain_epochs", "default_epochs",
            "default_weight_init", "default_augment", "default_augment_clustering",
            "load_autoencoder",
        )
    }
    ctx = mp.get_context("spawn")
    rows = []
    print(
        f"MNIST ({args.n_samples or 'all'} samples) on {_machine()}; ClustPy settings "
        f"{args.pretrain_epochs}+{args.clustering_epochs} epochs, batch 256"
    )
    print(
        f"{'library':<13} {'seed':>4} {'ACC':>6} {'NMI':>6} {'ARI':>6} {'seconds':>8} "
        f"{'epochs':>6} {'host MB':>8} {'dev MB':>7}"
    )
    for seed in args.seeds:
        for library in args.libraries:
            with ctx.Pool(1) as pool:
                new = pool.apply(
                    _fit,
                    (library, seed, args.path, args.n_samples, args.device, settings, args.threads),
                )
            for row in new:
                rows.append(row)
                print(
                    f"{row['library']:<13} {seed:>4} {row['acc']:>6.3f} {row['nmi']:>6.3f} "
                    f"{row['ari']:>6.3f} {row['seconds']:>8.1f} {row['epochs']:>6} "
                    f"{row['peak_host_mb']:>8.0f} {row['peak_device_mb']:>7.0f}"
                    + (f"  from {row['init_acc']:.3f}/{row['init_nmi']:.3f}" if "init_acc" in row else ""),
                    flush=True,
                )

    print("\nspeed ratio ClustPy / ours (same settings, same run)")
    for seed in args.seeds:
        base = {r["library"]: r for r in rows if r["seed"] == seed}
        if "clustpy" in base and "ours" in base:
            ratio = base["clustpy"]["seconds"] / base["ours"]["seconds"]
            base["ours"]["ratio_vs_clustpy"] = ratio
            print(f"seed {seed}: {ratio:.2f}x")

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    device = next((r["device"] for r in rows if r["library"] != "kmeans"), "cpu").split(":")[0]
    stem = f"dcn_{args.n_samples or 'all'}_{device}" + (f"_{args.tag}" if args.tag else "")
    (out / f"{stem}.json").write_text(
        json.dumps({"machine": _machine(), "args": vars(args), "rows": rows}, indent=2)
    )
    print(f"\nwrote {out / stem}.json")


if __name__ == "__main__":
    main()
