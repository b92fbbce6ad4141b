"""DiscriminativeLatentClustering (DDLS) on MNIST: both stages, next to k-means.

For each seed, one fit reports two stages:

* stage 0: k-means (``n_init``) on the normalised embedding after the
  discriminative pretraining (``pretrain_labels_``, the initialisation of the
  clustering phase; the paper: above 0.87 ACC in under 50 epochs);
* final: the labels after the two clustering stages (the paper: 0.974);

and k-means on the raw pixels as the baseline (the paper: 0.54).  Seconds are
the pretraining alone (``pretrain_s``) and the whole ``fit`` (``seconds``).
Prints a table and writes a JSON file to ``benchmarks/results/``.

    python benchmarks/bench_discriminative.py                       # MNIST-70k (GPU), seeds 0 1 2
    python benchmarks/bench_discriminative.py --n-samples 5000 --seeds 0 --device cpu \\
        --pretrain-epochs 40 --epochs 20 --batch-size 500 --set "hidden_dims=(256, 256, 512)" \\
        --threads 1 --tag subset_256net
    python benchmarks/bench_discriminative.py --set anchor_fraction=0.5 --set beta=0.2
    python benchmarks/bench_discriminative.py --set network=conv_bn   # the paper's kind of network

``--set name=value`` overrides any estimator parameter (value read as a Python
literal), for the small experiments that chose the defaults.

Experiments that chose the defaults (CPU, 2 shared cores; MNIST random subset
of 3000 samples, seed 0; hidden_dims (256, 256, 512), batch 500, 40 pretraining
epochs; ACC of k-means on the pretrained embedding / after clustering) are in
``results/discriminative_mnist_3000_cpu_subset_sweep.json``:

* anchors: euclidean kNN, fraction 0.25 / 0.5 / 1.0: 0.57 / 0.60 / 0.65;
  cosine kNN, fraction 0.5 / 1.0: 0.68 / 0.67; k = 3 / 5 / 10 (cosine, 0.5):
  0.675 / 0.68 / 0.62 (euclidean 10: 0.58); beta 0.5: 0.70 (beta 0: 0.68);
  reconstruction weight 0.1 / 1 (cosine): 0.68 / 0.68, 10 (euclidean, 0.5):
  0.58 against 0.60 at 1;
* clustering: stage II with a plain mean over within-cluster pairs drifts to
  fewer clusters (0.685 -> 0.59 in 30 epochs; 0.34 with heavier stage II
  weights); with the per-cluster mean of ``cluster_discriminative_loss`` it
  holds (0.68 -> 0.68; 0.65 with the heavy weights); with the final defaults,
  clustering lr 1e-4, stage weights 3 or no reconstruction all end at
  0.70 +- 0.002 from 0.70 (the phase is neutral here).  On these small subsets
  (a few hundred training steps) the clustering phase adds little; the paper's
  gain (0.87 -> 0.974) needs the GPU run on MNIST-70k to be checked.

Measured with the earlier defaults on a 5000-sample subset (the second command
above; ``results/discriminative_mnist_5000_cpu_subset_256net.json``): k-means on
pixels 0.549; stage 0 0.737 / 0.679 (seeds 0 / 1), final 0.724 / 0.659: the
clustering phase lowered the accuracy (again with the fused CPU Adam, ``--tag
subset_256net_before_fix``: 0.737 -> 0.721, 0.679 -> 0.655; 10000 samples:
0.739 -> 0.675, 0.701 -> 0.700).  Diagnosis
(``results/discriminative_mnist_cpu_diagnostics.json``, ACC and cluster sizes
per epoch): stage I holds or raises the accuracy; in stage II, with its pairs
taken from each batch's own assignment to the moving centroids, groups of
samples jumped between clusters from epoch to epoch (smallest cluster 225 ->
390 samples, ACC oscillating 0.747 / 0.717 / 0.740 / 0.718); neither a smaller
separation weight (0.1), nor the absolute cosine, nor a centroid learning rate
of 1e-4 stopped it; assigning the whole training set once per epoch
(``AssignmentUpdate``) did.  With it, the absolute worst-pair cosine and
``stage1_fraction=0.75`` (``--tag subset_256net_epoch_assignments``): 5000
samples, stage 0 0.737 / 0.679, final 0.741 / 0.676 (k-means on pixels
0.549); 10000 samples, 0.739 / 0.701 -> 0.743 / 0.697 (k-means on pixels
0.538).  The clustering phase now keeps the accuracy (within 0.005 either
way) but hardly raises it: pretraining leaves ten tight, mutually orthogonal
groups (mean cosine to the centroid 0.99 at the start of the phase), and
their mistakes are whole merged digits (4 with 9, 3 with 5), which moving
single samples cannot undo.
Pretraining itself stays near 0.74 with the fully connected network: anchor
fraction 0.25, ``n_neighbors`` 3 or 10, beta 0 / 0.2 / 0.8, batch 1000,
reconstruction weight 10, ``embedding_dim`` 20 or a learning rate of 1e-4 or
3e-3 gave 0.59-0.76 for seed 0 (defaults 0.737), none better than the defaults
by more than the spread between seeds (0.679-0.737); the best single-seed one,
beta 0, gave 0.762 / 0.673 / 0.666 for seeds 0 / 1 / 2 against 0.737 / 0.679
/ 0.701.  A heavier reconstruction (weight 100 / 1000, seeds 0 / 1: 0.631 /
0.602, 0.560 / 0.644) keeps the groups looser (cosine to the centroid 0.8) and
lets the clustering phase gain a little (+0.005), from a much lower start.
``network="conv"`` (the paper's kind of network) reached 0.784 / 0.760 for
seeds 0 / 1 (30 epochs, about ten times slower on the CPU).

Step counts (the paper: 30 epochs of 70000 images at batch 1000, about 2100
steps; the subsets above: 400-800).  10000 samples at batch 1000, seeds 0 / 1
(``--tag subset_256net_2000steps``: ``--pretrain-epochs 200 --epochs 30
--batch-size 1000``, 2000 pretraining steps): stage 0 0.714 / 0.688, final
0.710 / 0.686: the fully connected network is not step-starved, its
embedding collapses within a few hundred steps (``research/ddls_step_curve.py``:
0.67 / 0.70 / 0.71 after 200 / 600 / 2000 steps, cosine to the centroid 0.98
and more).  ``network="conv"`` at 600 steps (``--tag subset_conv_600steps``:
``--pretrain-epochs 60 --epochs 10 --batch-size 1000 --set network=conv --set
"input_shape=(1, 28, 28)"``): stage 0 0.812 / 0.748, final 0.816 /
0.749 (about 450 s of pretraining, 550 s in all, per seed), rising slowly
with the steps (0.73 / 0.79 / 0.81 / 0.826 after 100 / 300 / 600 / 1200,
seed 0; ``results/discriminative_mnist_10000_cpu_step_diagnostics.json``);
a 30-epoch clustering phase from its 0.812 ends at 0.807.

``network="conv_bn"`` (the paper's kind of network: DBC's conv-BatchNorm-maxpool
autoencoder, :class:`~skdeepcluster.networks.BatchNormConvAutoencoder`), 10000
samples, batch 1000, seeds 0 / 1: at 600 steps (the same layers passed as
``encoder``/``decoder`` by a former script, unseeded initial weights;
``results/discriminative_mnist_10000_dbc_600steps.json``) stage 0 0.824 /
0.846, final 0.835 / 0.853; at 1200 steps (``--pretrain-epochs 120 --epochs 10
--batch-size 1000 --set network=conv_bn --tag conv_bn_1200steps_seed0``, one
seed a process) stage 0 0.840 / 0.837, final 0.847 / 0.841, about 3800 s of
pretraining per fit on one core.  The clustering phase raises what this
network pretrains, where it only held the others'.  On all 70000 images with
as many pretraining steps (``--pretrain-epochs 9 --epochs 3 --batch-size 1000
--set network=conv_bn --no-kmeans --threads 1 --tag conv_bn_630steps_seed0``,
seed 0): stage 0 0.823 (NMI 0.797), final 0.851 (NMI 0.843), 3375 s.

The default ``(500, 500, 2000)`` network on 3000 samples, 30 + 10 epochs, batch
500 (``results/discriminative_mnist_3000_cpu_subset_default_net.json``): k-means
on pixels 0.541; stage 0 0.560, final 0.584 (the bigger network needs more than
these 180 pretraining steps).

"""

import argparse
import ast
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_mnist import DEFAULT_PATH, _load, _machine  # noqa: E402


def _scores(y, labels):
    from sklearn.metrics import normalized_mutual_info_score

    from skdeepcluster.metrics import clustering_accuracy

    return clustering_accuracy(y, labels), normalized_mutual_info_score(y, labels)


def run_kmeans(X, y, seed):
    from sklearn.cluster import KMeans

    start = time.perf_counter()
    labels = KMeans(10, n_init=20, random_state=seed).fit_predict(X)
    acc, nmi = _scores(y, labels)
    return {"method": "kmeans (pixels)", "seed": seed, "acc": acc, "nmi": nmi,
            "seconds": time.perf_counter() - start}


def run_ddls(X, y, seed, device, overrides):
    from skdeepcluster.discriminative import DiscriminativeLatentClustering

    est = DiscriminativeLatentClustering(10, random_state=seed, device=device, **overrides)
    start = time.perf_counter()
    est.fit(X)
    seconds = time.perf_counter() - start
    pretrain_s = (
        float(sum(est.pretrain_history_[:, "dur"])) if est.pretrain_history_ is not None else 0.0
    )
    acc0, nmi0 = _scores(y, est.pretrain_labels_)
    acc, nmi = _scores(y, est.labels_)
    stage_ends = {}
    for epoch in est.history_:
        stage_ends[epoch["stage"]] = epoch["train_loss"]
    return {
        "method": "ddls", "seed": seed, "stage0_acc": acc0, "stage0_nmi": nmi0,
        "acc": acc, "nmi": nmi, "pretrain_s": pretrain_s, "seconds": seconds,
        "pretrain_final_loss": (
            est.pretrain_history_[-1, "train_loss"] if est.pretrain_history_ is not None else None
        ),
        "stage_final_losses": {str(k): v for k, v in stage_ends.items()},
        "device": est.device_,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", default=str(DEFAULT_PATH))
    parser.add_argument("--n-samples", type=int, default=None, help="random subset")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--pretrain-epochs", type=int)
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="override an estimator parameter (Python literal)")
    parser.add_argument("--no-kmeans", action="store_true", help="skip the pixel k-means row")
    parser.add_argument("--threads", type=int, default=None, help="torch threads")
    parser.add_argument("--tag", default="", help="suffix of the result file name")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent / "results"))
    args = parser.parse_args(argv)

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    overrides = {
        k: getattr(args, k)
        for k in ("pretrain_epochs", "epochs", "batch_size")
        if getattr(args, k) is not None
    }
    for item in args.set:
        name, _, value = item.partition("=")
        try:
            overrides[name] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            overrides[name] = value

    X, y = _load(args.path, args.n_samples)
    print(f"MNIST ({len(X)} samples) on {_machine()}; overrides {overrides}")
    print(f"{'method':<16} {'seed':>4} {'ACC0':>6} {'NMI0':>6} {'ACC':>6} {'NMI':>6} "
          f"{'pre s':>7} {'seconds':>8}")
    rows = []
    for seed in args.seeds:
        runs = [] if args.no_kmeans or seed != args.seeds[0] else [run_kmeans(X, y, seed)]
        runs.append(run_ddls(X, y, seed, args.device, overrides))
        for row in runs:
            rows.append(row)
            print(
                f"{row['method']:<16} {seed:>4} {row.get('stage0_acc', float('nan')):>6.3f} "
                f"{row.get('stage0_nmi', float('nan')):>6.3f} {row['acc']:>6.3f} "
                f"{row['nmi']:>6.3f} {row.get('pretrain_s', float('nan')):>7.1f} "
                f"{row['seconds']:>8.1f}",
                flush=True,
            )
    ddls = [r for r in rows if r["method"] == "ddls"]
    if len(ddls) > 1:
        print(
            "mean ddls: stage-0 ACC {:.3f}, final ACC {:.3f} ± {:.3f}, NMI {:.3f}".format(
                np.mean([r["stage0_acc"] for r in ddls]), np.mean([r["acc"] for r in ddls]),
                np.std([r["acc"] for r in ddls]), np.mean([r["nmi"] for r in ddls]),
            )
        )

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    device = ddls[0]["device"].split(":")[0]
    stem = f"discriminative_mnist_{args.n_samples or 'all'}_{device}"
    if args.tag:
        stem += f"_{args.tag}"
    path = out / f"{stem}.json"
    path.write_text(
        json.dumps(
            {"machine": _machine(), "n_samples": len(X), "overrides": overrides, "rows": rows},
            indent=2,
        )
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
