"""Training speed against ClustPy, with the same settings, in one run.

For each method with a ClustPy counterpart (DEC, IDEC) both libraries fit the
same data with ClustPy's settings: the ``d-500-500-2000-10`` autoencoder,
batch size 256, Adam (1e-3 pretraining, 1e-4 clustering), the same number of
pretraining and clustering epochs (our ``tol`` stopping is switched off so
both run every epoch).  Our default recipe is timed as well.  Each fit runs in
a fresh process; the table gives wall seconds of ``fit``, epochs per second,
peak host and device memory, ACC/NMI and the speed ratio ClustPy / ours.

    python benchmarks/speed.py                                  # GPU, MNIST-70k
    python benchmarks/speed.py --n-samples 10000 --pretrain-epochs 5 --clustering-epochs 5 \\
        --libraries clustpy ours --repeats 3 --threads 1          # CPU

``--repeats`` fits every (library, method) that many times, alternating which
library goes first, and reports the median of the per-repeat ratios: on a
shared machine one pair of runs can differ by 30% from noise alone.
``--threads`` sets torch's and the BLAS thread count in every fit.
``--precisions float32 bf16`` fits our rows once per ``precision`` (rows
``ours/bf16``...), each with its ratio to ClustPy in the same repeat:

    python benchmarks/speed.py --n-samples 10000 --pretrain-epochs 5 --clustering-epochs 5 \\
        --libraries clustpy ours --precisions float32 bf16 --repeats 3 --threads 1

ClustPy is needed only here (``pip install clustpy``).  It imports
torchvision for augmentation utilities this benchmark does not use; where
torchvision is missing (the CPU build of torch here has none that imports)
a placeholder module is registered before importing ClustPy.
"""

import argparse
import json
import multiprocessing as mp
import platform
import resource
import sys
import time
import types
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_mnist import DEFAULT_PATH, _load  # noqa: E402

from skdeepcluster.engine import PRECISIONS  # noqa: E402


def _import_clustpy():
    try:
        import torchvision  # noqa: F401
    except Exception:
        # Only type annotations and augmentation helpers use it on the paths we run.
        tv = types.ModuleType("torchvision")
        models = types.ModuleType("torchvision.models")
        api = types.ModuleType("torchvision.models._api")
        api.Weights = api.WeightsEnum = object
        tv.models, models._api = models, api
        sys.modules.update(
            {"torchvision": tv, "torchvision.models": models, "torchvision.models._api": api}
        )
    import clustpy.deep

    return clustpy.deep


def _fit(library, method, seed, path, n_samples, device, pretrain_epochs, clustering_epochs,
         threads=None, precision="float32"):
    import torch
    from threadpoolctl import threadpool_limits

    if threads is not None:
        torch.set_num_threads(threads)
        threadpool_limits(threads)
    from sklearn.metrics import normalized_mutual_info_score

    from skdeepcluster import DECClustering, IDECClustering
    from skdeepcluster.metrics import clustering_accuracy

    X, y = _load(path, n_samples)
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    epochs = pretrain_epochs + clustering_epochs
    if library == "clustpy":
        deep = _import_clustpy()
        cls = {"dec": deep.DEC, "idec": deep.IDEC}[method]
        est = cls(
            10,
            batch_size=256,
            pretrain_epochs=pretrain_epochs,
            clustering_epochs=clustering_epochs,
            device=torch.device(device),
            random_state=seed,
        )
    else:
        cls = {"dec": DECClustering, "idec": IDECClustering}[method]
        if library == "ours":  # ClustPy's settings
            params = dict(
                pretrain_epochs=pretrain_epochs,
                epochs=clustering_epochs,
                optimizer="adam",
                lr=1e-4,
                tol=0.0,
                n_init=1,  # ClustPy runs KMeans once (n_init="auto" with k-means++)
                weight_init="torch",  # ClustPy's layers keep PyTorch's initialisation
            )
        else:  # "ours-default": our own recipe
            params = {}
        est = cls(10, device=device, random_state=seed, precision=precision, **params)
        epochs = None
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    est.fit(X)
    seconds = time.perf_counter() - start
    labels = np.asarray(est.labels_)
    if epochs is None:
        pre = est.pretrain_history_
        epochs = (len(pre) if pre is not None else 0) + est.n_iter_
    return {
        "library": library if library == "clustpy" else f"{library}/{precision}",
        "precision": None if library == "clustpy" else precision,
        "method": method,
        "seed": seed,
        "n_samples": len(X),
        "device": device,
        "seconds": seconds,
        "epochs": epochs,
        "epochs_per_s": epochs / seconds,
        "acc": clustering_accuracy(y, labels),
        "nmi": normalized_mutual_info_score(y, labels),
        "peak_host_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "peak_device_mb": (
            torch.cuda.max_memory_allocated() / 2**20 if torch.cuda.is_available() else 0.0
        ),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", default=str(DEFAULT_PATH))
    parser.add_argument("--n-samples", type=int)
    parser.add_argument("--methods", nargs="+", default=["dec", "idec"])
    parser.add_argument("--libraries", nargs="+", default=["clustpy", "ours", "ours-default"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--pretrain-epochs", type=int, default=100)
    parser.add_argument("--clustering-epochs", type=int, default=150)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--threads", type=int)
    parser.add_argument("--precisions", nargs="+", default=["float32"],
                        choices=PRECISIONS, help="of our rows")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent / "results"))
    args = parser.parse_args(argv)

    ctx = mp.get_context("spawn")
    rows = []
    print(
        f"MNIST ({args.n_samples or 'all'} samples), ClustPy settings: "
        f"{args.pretrain_epochs}+{args.clustering_epochs} epochs, batch 256; "
        f"{platform.machine()}, {mp.cpu_count()} cores"
    )
    print(
        f"{'library':<21} {'method':<5} {'seconds':>8} {'epochs':>6} {'ep/s':>6} "
        f"{'ACC':>6} {'NMI':>6} {'host MB':>8} {'dev MB':>7}"
    )
    for method in args.methods:
        for repeat in range(args.repeats):
            # Alternate the order, so that neither library always runs first.
            runs = [
                (library, precision)
                for library in args.libraries
                for precision in (["float32"] if library == "clustpy" else args.precisions)
            ]
            for library, precision in runs if repeat % 2 == 0 else runs[::-1]:
                with ctx.Pool(1) as pool:
                    row = pool.apply(
                        _fit,
                        (library, method, args.seed, args.path, args.n_samples, args.device,
                         args.pretrain_epochs, args.clustering_epochs, args.threads, precision),
                    )
                row["repeat"] = repeat
                rows.append(row)
                print(
                    f"{row['library']:<21} {method:<5} {row['seconds']:>8.1f} {row['epochs']:>6} "
                    f"{row['epochs_per_s']:>6.2f} {row['acc']:>6.3f} {row['nmi']:>6.3f} "
                    f"{row['peak_host_mb']:>8.0f} {row['peak_device_mb']:>7.0f}",
                    flush=True,
                )
    print("\nspeed ratio ClustPy / ours (same settings, same run; median over repeats)")
    summary = {}
    for method, precision in [(m, p) for m in args.methods for p in args.precisions]:
        ours = f"ours/{precision}"
        seconds = {
            library: [r["seconds"] for r in rows if r["method"] == method and r["library"] == library]
            for library in ("clustpy", ours)
        }
        if seconds["clustpy"] and seconds[ours]:
            ratios = [c / o for c, o in zip(seconds["clustpy"], seconds[ours])]
            key = method if precision == "float32" else f"{method}/{precision}"
            summary[key] = {
                "ratios": ratios,
                "median_ratio": float(np.median(ratios)),
                "median_seconds": {k: float(np.median(v)) for k, v in seconds.items()},
            }
            print(f"{key:<10} {np.median(ratios):.2f}x  (each repeat: "
                  + ", ".join(f"{r:.2f}" for r in ratios) + ")")
            for r in rows:
                if r["method"] == method and r["library"] == ours:
                    r["ratio_vs_clustpy"] = ratios[r["repeat"]]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    device = rows[0]["device"].split(":")[0]
    stem = out / f"speed_{args.n_samples or 'all'}_{device}"
    if args.precisions != ["float32"]:
        stem = stem.with_name(stem.name + "_" + "-".join(args.precisions))
    machine = f"{platform.machine()}, {mp.cpu_count()} cores"
    stem.with_suffix(".json").write_text(json.dumps(
        {"machine": machine, "args": vars(args), "summary": summary, "rows": rows}, indent=2
    ))
    print(f"wrote {stem}.json")


if __name__ == "__main__":
    main()
