"""Is a poor start a k-means local optimum or the embedding itself?

DMAE (and DEC, IDEC, DCN) start their clustering phase from k-means with
``n_init`` restarts on the pretrained embedding; of those, KMeans keeps the
partition with the lowest inertia.  On MNIST-70k the same recipe started from
0.947 with seed 0 and from 0.852 / 0.866 with seeds 1 / 2.  This script loads
a saved autoencoder (the ``state_dict`` that ``bench_dmae_mnist.py
--save-autoencoder`` writes), encodes the images and runs ``--restarts``
single-restart k-means fits (``n_init=1``, ``random_state`` 0, 1, ...).  For
each it records inertia, ACC and NMI, and then it reports:

* the spread of ACC over the restarts, and how well lower inertia goes with
  higher ACC (Spearman's rank correlation);
* what keeping the lowest-inertia partition of ``n`` restarts gives, for each
  ``n`` in ``--n-inits``, over disjoint blocks of restarts (the estimators'
  ``n_init`` rule; a block of ``n`` restarts is what ``KMeans(n_init=n)``
  would compare).

If the lowest-inertia partitions are also the high-ACC ones, a larger
``n_init`` would close the gap; if not, the gap is in the embedding.

With ``--em-seeds`` it also scores what ``init="gaussian-mixture"`` starts
from: for each seed, ``KMeans(n_init=10)`` (the estimators' k-means), then EM
from its centres (:func:`skdeepcluster.dmae.gaussian_mixture_start`) with each
of ``--covariance-types``; for all but ``"full"`` both as the init runs it (EM
also from a full mixture's means, the likelier fit kept) and from the k-means
centres alone ("k-means start only", the init before that rule).  Each start
is scored as the mixture layer assigns it (uniform weights, no
log-determinant): nearest mean under ``"euclidean"``, and under
``"mahalanobis"`` with EM's precisions; the predict of the mixture fitted from
the k-means centres is recorded beside them.

    python benchmarks/research/diag_kmeans_start.py --autoencoder ae/dmae_aug_seed1_T_ep100.pt \\
        --restarts 200 --n-inits 1 10 50 --tag seed1
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bench_mnist
from bench_mnist import DEFAULT_PATH, _load, _machine, _pretrained_modules  # noqa: E402


def embed(autoencoder_path, X):
    """The saved autoencoder's embedding of the flat images ``X`` (float64)."""
    from skdeepcluster.engine import evaluation_mode, map_in_chunks

    encoder = _pretrained_modules(autoencoder_path)["encoder"]
    with evaluation_mode(encoder) as module:
        return map_in_chunks(module, X.reshape(len(X), -1), "cpu").astype(np.float64)


def restarts(Z, y, n_restarts, n_clusters=10):
    """Inertia, ACC and NMI of ``n_restarts`` single-restart k-means fits of ``Z``."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import normalized_mutual_info_score

    from skdeepcluster.metrics import clustering_accuracy

    rows = []
    for state in range(n_restarts):
        km = KMeans(n_clusters, n_init=1, random_state=state).fit(Z)
        rows.append({"random_state": state, "inertia": float(km.inertia_),
                     "acc": float(clustering_accuracy(y, km.labels_)),
                     "nmi": float(normalized_mutual_info_score(y, km.labels_))})
    return rows


def em_starts(Z, y, seeds, covariance_types, n_clusters=10):
    """ACC and NMI of the k-means start and of EM's starts, per seed and covariance type."""
    import torch
    from sklearn.cluster import KMeans
    from sklearn.metrics import normalized_mutual_info_score
    from sklearn.mixture import GaussianMixture

    from skdeepcluster.dissimilarities import get_dissimilarity
    from skdeepcluster.dmae import DissimilarityMixture, gaussian_mixture_start, precision_factors
    from skdeepcluster.metrics import clustering_accuracy

    z = torch.as_tensor(Z, dtype=torch.float32)

    def layer(centers, dissimilarity, factors=None):
        mixture = DissimilarityMixture(centers, get_dissimilarity(dissimilarity), alpha=1.0,
                                       precision_factors=factors)
        with torch.no_grad():
            return mixture.assignments(z).argmax(1).numpy()

    def score(labels):
        return {"acc": float(clustering_accuracy(y, labels)),
                "nmi": float(normalized_mutual_info_score(y, labels))}

    rows = []
    for seed in seeds:
        km = KMeans(n_clusters, n_init=10, random_state=seed).fit(Z)
        rows.append({"seed": seed, "init": "k-means", "euclidean": score(km.labels_),
                     "mahalanobis": score(layer(km.cluster_centers_, "mahalanobis",
                                                precision_factors(Z, km.labels_, n_clusters)))})
        for covariance_type in covariance_types:
            own = GaussianMixture(n_clusters, covariance_type=covariance_type,
                                  means_init=km.cluster_centers_, random_state=seed).fit(Z)
            # The init's start (EM from the k-means centres and from a full mixture's
            # means, the likelier kept), then, for the shared or constrained covariances,
            # EM from the k-means centres alone (the init before that rule).
            variants = [("", True)] + ([(", k-means start only", False)]
                                       if covariance_type != "full" else [])
            for suffix, full_start in variants:
                means, factors = gaussian_mixture_start(
                    Z, km.cluster_centers_, covariance_type, random_state=seed,
                    full_covariance_start=full_start,
                )
                rows.append({"seed": seed, "init": f"gaussian-mixture ({covariance_type}{suffix})",
                             "euclidean": score(layer(means, "euclidean")),
                             "mahalanobis": score(layer(means, "mahalanobis", factors)),
                             "mixture_predict": score(own.predict(Z))})
    return rows


def best_of_blocks(rows, n):
    """ACC of the lowest-inertia restart in each disjoint block of ``n`` restarts."""
    picks = []
    for start in range(0, len(rows) - n + 1, n):
        block = rows[start : start + n]
        picks.append(min(block, key=lambda r: r["inertia"])["acc"])
    return picks


def main(argv=None):
    from scipy.stats import spearmanr

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--autoencoder", required=True, metavar="FILE")
    parser.add_argument("--path", default=str(DEFAULT_PATH))
    parser.add_argument("--n-samples", type=int, default=None, help="random subset")
    parser.add_argument("--restarts", type=int, default=100)
    parser.add_argument("--n-inits", nargs="+", type=int, default=[1, 10, 50])
    parser.add_argument("--em-seeds", nargs="*", type=int, default=[],
                        help="also score init='gaussian-mixture' starts for these seeds")
    parser.add_argument("--covariance-types", nargs="+", default=["tied", "full"],
                        choices=("tied", "full", "diag", "spherical"))
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent.parent / "results"))
    parser.add_argument("--tag", default="")
    args = parser.parse_args(argv)

    X, y = _load(args.path, args.n_samples)
    start = time.perf_counter()
    Z = embed(args.autoencoder, X)
    rows = restarts(Z, y, args.restarts)
    seconds = time.perf_counter() - start
    acc = np.array([r["acc"] for r in rows])
    inertia = np.array([r["inertia"] for r in rows])
    rho = float(spearmanr(inertia, acc).statistic)
    lowest = rows[int(np.argmin(inertia))]
    print(f"{len(rows)} k-means restarts on the embedding of {len(X)} images ({seconds:.0f} s)")
    print(f"ACC over restarts: min {acc.min():.3f}, median {np.median(acc):.3f}, "
          f"max {acc.max():.3f}; share >= 0.9: {np.mean(acc >= 0.9):.2f}")
    print(f"Spearman(inertia, ACC) = {rho:+.2f} (negative: lower inertia, higher ACC)")
    print(f"lowest inertia of all: ACC {lowest['acc']:.3f}, NMI {lowest['nmi']:.3f}")
    blocks = {}
    for n in args.n_inits:
        picks = best_of_blocks(rows, n)
        if not picks:
            continue
        blocks[n] = picks
        print(f"n_init={n:4d}: {len(picks):3d} blocks, ACC of the kept partition "
              f"mean {np.mean(picks):.3f}, min {np.min(picks):.3f}, max {np.max(picks):.3f}")
    em = em_starts(Z, y, args.em_seeds, args.covariance_types) if args.em_seeds else []
    if em:
        print("starts of the mixture layer (ACC / NMI), KMeans(n_init=10) then EM:")
        print(f"{'seed':>4} {'init':<46} {'euclidean':>13} {'mahalanobis':>13} "
              f"{'EM predict':>13}")
        for r in em:
            cells = [r[k] for k in ("euclidean", "mahalanobis")] + [r.get("mixture_predict")]
            print(f"{r['seed']:>4} {r['init']:<46} " + " ".join(
                f"{c['acc']:.3f} / {c['nmi']:.3f}" if c else f"{'–':>13}" for c in cells))
    result = {
        "machine": _machine(), "autoencoder": Path(args.autoencoder).name,
        "n_samples": len(X), "seconds": seconds, "spearman_inertia_acc": rho,
        "lowest_inertia": lowest, "n_init_blocks": {str(n): p for n, p in blocks.items()},
        "restarts": rows, "em_starts": em,
    }
    out = Path(args.out) / f"kmeans_start_mnist_{len(X)}{'_' + args.tag if args.tag else ''}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
