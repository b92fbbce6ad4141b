"""DMAE on MNIST with the paper's ablation: DMM, AE+DMM, DMAE without and with augmentation.

Variants (the DMAE paper's Table 3 and its ablation):

* ``kmeans``: k-means on the raw pixels;
* ``dmm``: the shallow dissimilarity mixture on the raw pixels (``DMMClustering``);
* ``ae_dmm``: the mixture trained on the fixed embedding of the pretrained
  autoencoder (``DMAEClustering(freeze_encoder=True, reconstruction_weight=0)``);
* ``dmae``: end-to-end DMAE;
* ``dmae_aug``: end-to-end DMAE whose autoencoder is pretrained on randomly
  rotated (up to 0.3 rad) and shifted (up to 2 pixels) images, as the paper
  (``DMAEClustering``'s default ranges; they were DEC-DA's 10 degrees and 10%,
  ``--augment-rotation 10 --augment-shift 0.1``, for the runs before that).

Each deep row also records ``init_acc`` / ``init_nmi``: the partition the
mixture starts from, k-means on that run's pretrained embedding (the
reference code's "AE+KMeans"), so that the end-to-end phase can be judged
against its own starting point.

The paper reports DMAE 0.984 ACC / 0.945 NMI (with augmentation), AE+DMM
0.960 / 0.906, DMM 0.540 / 0.501, k-means 0.535 / 0.500 on MNIST-70k.  Each
(method, seed) runs in a fresh process.  The full run is meant for a GPU;
``--n-samples`` and the epoch options make a small CPU check.

    python benchmarks/bench_dmae_mnist.py --device cuda              # MNIST-70k, 3 seeds
    python benchmarks/bench_dmae_mnist.py --n-samples 3000 --seeds 0 --pretrain-epochs 20 \\
        --epochs 10 --device cpu
    python benchmarks/bench_dmae_mnist.py --network conv_bn --methods dmae_aug  # a conv network

How the pretrained embedding improves with the pretraining length: k-means on
it every 25 epochs, the autoencoder saved at each of those epochs, then the
end-to-end phase from one of them (the run saved it as ``dmae_aug_seed0_T_epE.pt``)::

    python benchmarks/bench_dmae_mnist.py --methods dmae_aug --seeds 0 --pretrain-epochs 300 \\
        --probe-every 25 --save-autoencoder ae/ --tag T
    python benchmarks/bench_dmae_mnist.py --methods dmae --seeds 0 \\
        --load-autoencoder ae/dmae_aug_seed0_T_ep200.pt --tag from_ep200

On 10000 images (40 + 20 epochs, ``--center-update mean``, seed 0) the
augmented ``conv_bn`` network started from 0.753 and ended at 0.772 in 2082 s
(``results/dmae_mnist_10000_cpu_cpu_subset_alpha1000_lr1e-5_center_mean_conv_bn_seed0.json``;
the fully connected network: 0.745 to 0.751 in 175 s).
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
    DEFAULT_PATH, _load, _machine, _pretrained_modules, record_initial_partition,
)

from skdeepcluster.dmae import DMAEClustering, DMMClustering  # noqa: E402

METHODS = ("kmeans", "dmm", "ae_dmm", "dmae", "dmae_aug")
PAPER = {"kmeans": (0.535, 0.500), "dmm": (0.540, 0.501), "ae_dmm": (0.960, 0.906),
         "dmae": (None, None), "dmae_aug": (0.984, 0.945)}


def _estimator(method, seed, device, settings):
    from sklearn.cluster import KMeans

    if method == "kmeans":
        return KMeans(10, n_init=20, random_state=seed)
    if method == "dmm":
        return DMMClustering(
            10, dissimilarity="euclidean", alpha=settings["alpha_shallow"],
            epochs=settings["shallow_epochs"], lr=settings["shallow_lr"],
            batch_size=settings["batch_size"], random_state=seed, device=device,
        )
    common = dict(
        dissimilarity=settings["dissimilarity"], alpha=settings["alpha"],
        pretrain_epochs=settings["pretrain_epochs"], epochs=settings["epochs"],
        lr=settings["lr"], batch_size=settings["batch_size"], random_state=seed, device=device,
        clustering_weight=settings["clustering_weight"],
        reconstruction_weight=settings["reconstruction_weight"],
        embedding_reconstruction_weight=settings.get("embedding_reconstruction_weight", 0.0),
        center_update=settings.get("center_update", "gradient"),
        network=settings.get("network", "mlp"),
        weight_init=settings.get("weight_init", "torch"),
        pretrain_optimizer=settings.get("pretrain_optimizer", "adam"),
        pretrain_lr=settings.get("pretrain_lr", 1e-3),
        init=settings.get("init", "auto"),
        init_covariance_type=settings.get("init_covariance_type", "tied"),
    )
    if method == "ae_dmm":
        common.update(freeze_encoder=True, reconstruction_weight=0.0,
                      embedding_reconstruction_weight=0.0)
    if method == "dmae_aug":
        # Augmentation needs the image shape.
        common.update(augment=True, input_shape=(1, 28, 28))
    for key in ("augment_rotation", "augment_shift"):
        if settings.get(key) is not None:
            common[key] = settings[key]
    if settings.get("augment_clustering") and method in ("dmae", "dmae_aug"):
        common.update(augment_clustering=True, input_shape=(1, 28, 28))
    return DMAEClustering(10, **common)


def _due(net, every):
    """The epoch ``net`` has just ended if a probe every ``every`` epochs scores it, else 0."""
    epoch = len(net.history)
    return epoch if epoch % every == 0 or epoch == net.max_epochs else 0


def _curve_point(net, y, labels, start):
    """Epoch, ACC and NMI of ``labels``, ``net``'s train loss and seconds since ``start``."""
    from sklearn.metrics import normalized_mutual_info_score

    from skdeepcluster.metrics import clustering_accuracy

    return {"epoch": len(net.history), "acc": float(clustering_accuracy(y, labels)),
            "nmi": float(normalized_mutual_info_score(y, labels)),
            "loss": float(net.history[-1, "train_loss"]),
            "seconds": time.perf_counter() - start}


def _probe_pretraining(est, X, y, every, save_dir, stem):
    """Score k-means on ``est``'s embedding every ``every`` pretraining epochs.

    Adds a callback to the pretraining net only (the clustering phase keeps
    ``est.callbacks``): after every ``every``-th epoch and the last it encodes
    ``X``, runs k-means (10 inits) on the embedding and appends epoch, ACC,
    NMI, train loss and seconds since the start to the returned list; with
    ``save_dir`` it also saves the autoencoder's ``state_dict`` there as
    ``{stem}_ep{epoch}.pt``.  Encoding and k-means draw nothing from torch's
    random state, so the training run is the one an unprobed fit makes.
    """
    import torch
    from sklearn.cluster import KMeans
    from skorch.callbacks import Callback

    from skdeepcluster.engine import evaluation_mode, map_in_chunks
    from skdeepcluster.losses import ReconstructionLoss

    curve, start = [], time.perf_counter()

    class Probe(Callback):
        def on_epoch_end(self, net, **kwargs):
            epoch = _due(net, every)
            if not epoch:
                return
            with evaluation_mode(net.module_) as module:
                z = map_in_chunks(module.encode, X.reshape(len(X), -1), net.device)
            labels = KMeans(10, n_init=10, random_state=0).fit_predict(z.astype(np.float64))
            point = _curve_point(net, y, labels, start)
            curve.append(point)
            print(f"  pretraining epoch {epoch}: k-means on the embedding ACC {point['acc']:.3f} "
                  f"NMI {point['nmi']:.3f}, loss {point['loss']:.5f}, {point['seconds']:.0f} s",
                  flush=True)
            if save_dir:
                Path(save_dir).mkdir(parents=True, exist_ok=True)
                torch.save(net.module_.state_dict(), Path(save_dir) / f"{stem}_ep{epoch}.pt")

    make_net = est._make_net

    def probed_make_net(module, criterion, **kwargs):
        if isinstance(criterion, ReconstructionLoss):
            kwargs["callbacks"] = list(kwargs.get("callbacks", ())) + [("probe", Probe())]
        return make_net(module, criterion, **kwargs)

    est._make_net = probed_make_net  # this instance only; it is not cloned or pickled
    return curve


def _end_to_end_probe(X, y, every):
    """A callback scoring the mixture's assignments every ``every`` end-to-end epochs.

    Returns the callback, for the public ``callbacks=`` of ``DMAEClustering``
    (the end-to-end phase's), and the list it fills.  After every ``every``-th
    epoch it encodes the clean ``X`` in evaluation mode and assigns each image as
    ``predict`` does (the arg max of the mixture's assignments), then appends
    epoch, ACC, NMI, train loss and seconds to that list.  The estimator hands
    skorch copies of its callbacks; the copies share the list, which the class
    holds in its closure (as ``record_initial_partition``'s dict).  It draws
    nothing from torch's random state, and nothing in the end-to-end phase
    depends on its length (no schedule, no stopping rule), so the point at epoch
    ``E`` is what a fit with ``epochs=E`` ends at.
    """
    from skorch.callbacks import Callback

    from skdeepcluster.engine import evaluation_mode, map_in_chunks

    curve, start = [], time.perf_counter()
    flat = X.reshape(len(X), -1)

    class EndToEndProbe(Callback):
        def on_epoch_end(self, net, **kwargs):
            epoch = _due(net, every)
            if not epoch:
                return
            with evaluation_mode(net.module_) as module:
                q = map_in_chunks(lambda x: module.assign(module.encode(x)), flat, net.device)
            point = _curve_point(net, y, q.argmax(axis=1), start)
            curve.append(point)
            print(f"  end-to-end epoch {epoch}: ACC {point['acc']:.4f} NMI {point['nmi']:.4f}, "
                  f"loss {point['loss']:.5f}, {point['seconds']:.0f} s", flush=True)

    return EndToEndProbe(), curve


def run_one(method, seed, path, n_samples, device, settings):
    """Fit one variant with one seed and measure it (runs in a child process)."""
    import torch
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    from skdeepcluster.metrics import clustering_accuracy

    if settings["threads"]:
        torch.set_num_threads(settings["threads"])
    X, y = _load(path, n_samples)
    est = _estimator(method, seed, device, settings)
    if settings.get("load_autoencoder") and method in ("ae_dmm", "dmae"):
        # Start from a saved pretrained autoencoder: the user's modules, no pretraining.
        modules = _pretrained_modules(settings["load_autoencoder"],
                                      images=est.input_shape is not None)
        est.set_params(**modules, pretrain_epochs=0, augment=False)
    initial = record_initial_partition(est, X, y) if method not in ("kmeans", "dmm") else {}
    curve = None
    if settings.get("probe_every") and method not in ("kmeans", "dmm"):
        stem = f"{method}_seed{seed}_{settings.get('tag') or 'run'}"
        curve = _probe_pretraining(est, X, y, settings["probe_every"],
                                   settings.get("save_autoencoder"), stem)
    e2e_curve = None
    if settings.get("probe_e2e_every") and method in ("ae_dmm", "dmae", "dmae_aug"):
        probe, e2e_curve = _end_to_end_probe(X, y, settings["probe_e2e_every"])
        est.set_params(callbacks=list(est.callbacks or []) + [probe])
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    labels = est.fit_predict(X)
    seconds = time.perf_counter() - start
    return {
        "method": method,
        "seed": seed,
        "n_samples": len(X),
        "acc": float(clustering_accuracy(y, labels)),
        "nmi": float(normalized_mutual_info_score(y, labels)),
        "ari": float(adjusted_rand_score(y, labels)),
        "seconds": seconds,
        "epochs": getattr(est, "n_iter_", None),
        "peak_host_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "peak_device_mb": (
            torch.cuda.max_memory_allocated() / 2**20 if torch.cuda.is_available() else 0.0
        ),
        "device": getattr(est, "device_", "cpu"),
        **initial,
        **({"pretrain_curve": curve} if curve is not None else {}),
        **({"end_to_end_curve": e2e_curve} if e2e_curve is not None else {}),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", default=str(DEFAULT_PATH))
    parser.add_argument("--n-samples", type=int, default=None, help="random subset")
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--pretrain-epochs", type=int, default=100)
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--lr", type=float, default=1e-5)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--dissimilarity", default="euclidean")
    parser.add_argument("--alpha", type=float, default=1000.0)
    parser.add_argument("--clustering-weight", type=float, default=0.01)
    parser.add_argument("--reconstruction-weight", type=float, default=1.0)
    parser.add_argument("--embedding-reconstruction-weight", type=float, default=0.0,
                        help="weight of the decoder reconstructing x from z (not in the paper)")
    parser.add_argument("--init", default="auto",
                        choices=("auto", "k-means", "k-means++", "gaussian-mixture"),
                        help="the deep variants' init of the mixture on the embedding")
    parser.add_argument("--init-covariance-type", default="tied",
                        choices=("tied", "full", "diag", "spherical"),
                        help="with --init gaussian-mixture")
    parser.add_argument("--center-update", default="gradient", choices=("gradient", "mean"),
                        help="DMAEClustering's center_update")
    parser.add_argument("--network", default="mlp", choices=("mlp", "conv", "conv_bn"),
                        help="the autoencoder of the deep variants")
    parser.add_argument("--weight-init", default="torch", choices=("torch", "glorot"),
                        help="the autoencoder's initialisation (glorot: the Keras reference's)")
    parser.add_argument("--pretrain-optimizer", default="adam", choices=("adam", "sgd"),
                        help="sgd: momentum 0.9, the authors' code (with --pretrain-lr 1.0)")
    parser.add_argument("--pretrain-lr", type=float, default=1e-3)
    parser.add_argument("--shallow-epochs", type=int, default=50)
    parser.add_argument("--shallow-lr", type=float, default=1e-3)
    parser.add_argument("--alpha-shallow", type=float, default=1.0)
    parser.add_argument("--threads", type=int, default=0, help="torch threads; 0 keeps the default")
    parser.add_argument("--augment-clustering", action="store_true",
                        help="dmae / dmae_aug: augment the end-to-end phase too")
    parser.add_argument("--augment-rotation", type=float, default=None,
                        help="augment_rotation, degrees (default: the estimator's, "
                             f"{DMAEClustering().augment_rotation:g})")
    parser.add_argument("--augment-shift", type=float, default=None,
                        help="augment_shift, a fraction of the size (default: the "
                             f"estimator's, {DMAEClustering().augment_shift:.4g})")
    parser.add_argument("--probe-every", type=int, default=0,
                        help="score k-means on the embedding every N pretraining epochs")
    parser.add_argument("--probe-e2e-every", type=int, default=0, metavar="E",
                        help="score the assignments every E end-to-end epochs (and the last); "
                             "the point at epoch E is what a fit with --epochs E ends at")
    parser.add_argument("--save-autoencoder", default=None, metavar="DIR",
                        help="with --probe-every: save the autoencoder at every probe")
    parser.add_argument("--load-autoencoder", default=None, metavar="FILE",
                        help="ae_dmm / dmae start from this saved fully connected autoencoder "
                             "(no pretraining)")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent / "results"))
    parser.add_argument("--tag", default=None, help="suffix of the result file name")
    args = parser.parse_args(argv)

    settings = {
        k: getattr(args, k)
        for k in ("pretrain_epochs", "epochs", "lr", "batch_size", "dissimilarity", "alpha",
                  "clustering_weight", "reconstruction_weight",
                  "embedding_reconstruction_weight", "init", "init_covariance_type",
                  "center_update", "network", "weight_init",
                  "pretrain_optimizer", "pretrain_lr", "shallow_epochs", "shallow_lr",
                  "alpha_shallow", "threads", "augment_clustering", "augment_rotation",
                  "augment_shift",
                  "probe_every", "probe_e2e_every", "save_autoencoder", "load_autoencoder", "tag")
    }
    ctx = mp.get_context("spawn")
    rows = []
    print(f"MNIST ({args.n_samples or 'all'} samples) on {_machine()}; {settings}")
    print(f"{'method':<9} {'seed':>4} {'ACC':>6} {'NMI':>6} {'ARI':>6} {'seconds':>8} "
          f"{'host MB':>8} {'dev MB':>7}  start ACC/NMI (the initial mixture on the embedding)")
    for method in args.methods:
        for seed in args.seeds:
            with ctx.Pool(1) as pool:
                row = pool.apply(
                    run_one, (method, seed, args.path, args.n_samples, args.device, settings)
                )
            rows.append(row)
            print(
                f"{method:<9} {seed:>4} {row['acc']:>6.3f} {row['nmi']:>6.3f} {row['ari']:>6.3f} "
                f"{row['seconds']:>8.1f} {row['peak_host_mb']:>8.0f} {row['peak_device_mb']:>7.0f}"
                + (f"  {row['init_acc']:.3f}/{row['init_nmi']:.3f}" if "init_acc" in row else ""),
                flush=True,
            )

    print("\nmean ± std over seeds (paper, MNIST-70k, in brackets)")
    print(f"{'method':<9} {'ACC':>22} {'NMI':>22} {'seconds':>8}")
    summary = {}
    for method in args.methods:
        sub = [r for r in rows if r["method"] == method]
        stats = {k: (float(np.mean([r[k] for r in sub])), float(np.std([r[k] for r in sub])))
                 for k in ("acc", "nmi", "ari", "init_acc", "init_nmi") if all(k in r for r in sub)}
        summary[method] = stats
        paper = [f"[{v:.3f}]" if v is not None else "[  –  ]" for v in PAPER[method]]
        print(f"{method:<9} "
              + " ".join(f"{m:.3f} ± {s:.3f} {p:>7}" for (m, s), p in zip(list(stats.values())[:2], paper))
              + f" {np.median([r['seconds'] for r in sub]):>8.1f}"
              + (f"  from the start {stats['init_acc'][0]:.3f} / "
                 f"{stats['init_nmi'][0]:.3f}" if "init_acc" in stats else ""))

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    device = rows[0]["device"].split(":")[0] if rows else "none"
    stem = f"dmae_mnist_{args.n_samples or 'all'}_{device}"
    if args.tag:
        stem += f"_{args.tag}"
    (out / f"{stem}.json").write_text(json.dumps(
        {"machine": _machine(), "settings": settings, "paper": PAPER, "summary": summary,
         "rows": rows},
        indent=2,
    ))
    print(f"\nwrote {out / stem}.json")


if __name__ == "__main__":
    main()
