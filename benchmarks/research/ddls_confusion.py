"""Which digits a DDLS start gets wrong: digits against k-means clusters on a saved autoencoder.

    PYTHONPATH=. python benchmarks/research/ddls_confusion.py --load-pre /tmp/ddls_pre70k_s1.pt --seed 1

Loads the ``network="conv_bn"`` autoencoder that ``ddls_step_curve.py --save-pre``
kept, encodes the MNIST images it was trained on (``--n``: the first ``n`` of
``ddls_step_curve.py``'s order, all 70000 by default), runs the
estimator's start (k-means, 20 inits, on the normalised embedding) and prints
the confusion matrix (rows: digits; columns: clusters matched to digits by the
Hungarian algorithm) and its largest off-diagonal entries.  For the pair of
digits most confused, it also asks whether the embedding separates them at
all: a linear probe (logistic regression, 5-fold cross-validated accuracy on
the labels, a diagnostic only) and 2-means with 20 inits on those images
alone; ``--pair 4 9`` names the pair instead, to compare networks on the same
one; ``--embedding-dim`` matches a network trained with another
``embedding_dim``.  Without ``--load-pre`` it does the same on the pixels, or
with ``--pca N`` on their first ``N`` principal components (not normalised):
the reference a network's embedding should beat.  ``--start`` compares other
partitions of the same embedding with the k-means start, a table each:
``gmm`` (full-covariance Gaussian mixture seeded by that k-means), ``ward``
(agglomerative, Ward linkage on the 10-nearest-neighbour graph) and
``spectral`` (spectral clustering of the 10-nearest-neighbour graph), and it
reports the embedding's neighbourhood purity (the fraction of each image's
10 nearest neighbours with its digit, and for the pair the fraction of the
first digit's neighbours that are the second).  ``--single-inits N`` runs
k-means from ``N`` single seeds and reports, for each, its inertia, ACC and
how well it splits the pair (the largest share of the pair's images that two
distinct clusters hold, one digit each: about 0.5 when both digits straddle
the same two clusters): whether any local optimum of k-means separates the
pair, and at what inertia.  ``--out`` writes them as JSON.
"""
import argparse, json
import numpy as np, torch
from sklearn.cluster import AgglomerativeClustering, KMeans, SpectralClustering
from sklearn.mixture import GaussianMixture
from sklearn.neighbors import NearestNeighbors
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from skdeepcluster.datasets import load_mnist
from skdeepcluster.engine import evaluation_mode, map_in_chunks
from skdeepcluster.metrics import clustering_accuracy, matched_contingency
from skdeepcluster.networks import BatchNormConvAutoencoder

p = argparse.ArgumentParser()
p.add_argument("--load-pre", default=None)
p.add_argument("--pca", type=int, default=None)
p.add_argument("--seed", type=int, default=1)
p.add_argument("--n", type=int, default=None)
p.add_argument("--pair", type=int, nargs=2, default=None)
p.add_argument("--embedding-dim", type=int, default=10)
p.add_argument("--n-init", type=int, default=20)
p.add_argument("--threads", type=int, default=2)
p.add_argument("--path", default="/work/shared/data/mnist.npz")
p.add_argument("--start", nargs="*", default=[], choices=["gmm", "ward", "spectral"])
p.add_argument("--single-inits", type=int, default=0)
p.add_argument("--out", default=None)
a = p.parse_args()
torch.set_num_threads(a.threads)

X, y = load_mnist(path=a.path, return_X_y=True)
order = np.random.RandomState(0).permutation(len(X))[:a.n]
X, y = X[order], y[order]
if a.load_pre:
    autoencoder = BatchNormConvAutoencoder((1, 28, 28), embedding_dim=a.embedding_dim)  # network="conv_bn"
    autoencoder.load_state_dict(torch.load(a.load_pre))
    with evaluation_mode(autoencoder) as module:
        Z = map_in_chunks(module.encode, X, "cpu").astype(np.float64)
    Z /= np.linalg.norm(Z, axis=1, keepdims=True)
else:
    Z = X.reshape(len(X), -1).astype(np.float64)
    if a.pca:
        Z = PCA(a.pca, random_state=0).fit_transform(Z)
kmeans = KMeans(10, n_init=a.n_init, random_state=a.seed).fit(Z)
# The 10-NN graph of the embedding (each image's neighbours without itself),
# shared by Ward, spectral clustering and the neighbourhood purity.
knn = NearestNeighbors(n_neighbors=10).fit(Z) if a.start else None


def partition(name):
    """Labels of one start on the embedding ``Z``."""
    if name == "kmeans":
        return kmeans.labels_
    if name == "gmm":
        means = np.stack([Z[kmeans.labels_ == k].mean(0) for k in range(10)])
        return GaussianMixture(10, means_init=means, reg_covar=1e-4, random_state=a.seed).fit_predict(Z)
    graph = knn.kneighbors_graph()
    if name == "ward":
        return AgglomerativeClustering(10, linkage="ward", connectivity=graph).fit_predict(Z)
    return SpectralClustering(10, affinity="precomputed_nearest_neighbors", n_neighbors=10,
                              assign_labels="cluster_qr", random_state=a.seed).fit_predict(graph)


results = {}
for name in ["kmeans"] + a.start:
    labels = partition(name)
    C, _ = matched_contingency(y, labels)
    off = sorted(((int(C[i, j]), i, j) for i in range(10) for j in range(10) if i != j), reverse=True)[:8]
    print(f"{name}: ACC", round(C.trace() / len(y), 4))
    print(C)
    print("largest off-diagonal (count, digit, cluster matched to digit):", off)
    results[name] = dict(acc=C.trace() / len(y), confusion=C.tolist(), largest_off_diagonal=off)

out = dict(results.pop("kmeans"), starts=results)
pair = sorted(a.pair or out["largest_off_diagonal"][0][1:])
mask = np.isin(y, pair)
probe = cross_val_score(LogisticRegression(max_iter=2000), Z[mask], y[mask], cv=5).mean()
two_means = clustering_accuracy(y[mask], KMeans(2, n_init=20, random_state=a.seed).fit_predict(Z[mask]))
print(f"digits {pair}: linear probe {probe:.4f}, 2-means on them alone {two_means:.4f}")
out.update(pair=pair, pair_linear_probe=probe, pair_two_means=two_means)
if a.start:
    neighbours = y[knn.kneighbors(return_distance=False)]
    same = (neighbours == y[:, None]).mean(1)
    first = y == pair[0]
    out.update(neighbour_purity=same.mean(), pair_neighbour_purity=[same[y == d].mean() for d in pair],
               pair_cross_neighbours=(neighbours[first] == pair[1]).mean())
    print(f"10-NN purity {out['neighbour_purity']:.4f}; digits {pair}: "
          f"{out['pair_neighbour_purity'][0]:.4f} / {out['pair_neighbour_purity'][1]:.4f}, "
          f"{pair[0]}s' neighbours that are {pair[1]}s {out['pair_cross_neighbours']:.4f}")
if a.single_inits:
    def pair_split(labels):
        """Largest share of the pair's images in two distinct clusters, one per digit."""
        counts = [np.bincount(labels[y == d], minlength=10) for d in pair]
        joint = counts[0][:, None] + counts[1][None, :]
        np.fill_diagonal(joint, 0)
        return joint.max() / mask.sum()
    runs = []
    for seed in range(a.single_inits):
        km = KMeans(10, n_init=1, random_state=seed).fit(Z)
        runs.append(dict(seed=seed, inertia=km.inertia_, acc=clustering_accuracy(y, km.labels_),
                         pair_split=pair_split(km.labels_)))
    best = max(runs, key=lambda r: r["pair_split"])
    out.update(single_inits=runs, pair_split=pair_split(kmeans.labels_))
    print(f"{a.single_inits} single-init k-means: ACC {min(r['acc'] for r in runs):.4f}-"
          f"{max(r['acc'] for r in runs):.4f}; pair split {out['pair_split']:.4f} at the start, "
          f"at best {best['pair_split']:.4f} (inertia {best['inertia']:.1f} against the start's "
          f"{kmeans.inertia_:.1f}, ACC {best['acc']:.4f})")
if a.out:
    with open(a.out, "w") as f:
        json.dump(out, f, default=float)
