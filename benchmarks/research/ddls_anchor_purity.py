"""How often DDLS's anchor pairs join two digits, per digit, on real MNIST batches.

    PYTHONPATH=. python benchmarks/research/ddls_anchor_purity.py --out benchmarks/results/ddls_anchor_purity_mnist.json

Draws ``--batches`` random batches of ``--batch-size`` MNIST images (the
paper's batch of 1000 by default) and builds each batch's anchor pairs with
the library's own :func:`~skdeepcluster.discriminative.knn_anchor_pairs`,
for every ``(anchor_metric, n_neighbors, anchor_fraction)`` in the grid.
Prints, per setting, the number of (undirected) anchor pairs per batch, their
purity (share of pairs whose two images show the same digit), the coverage
(share of images in at least one pair) and, per digit, coverage and purity
(share of the digit's anchor edges that end on the same digit) and the share
of the 4s' and 9s' edges that end on the other of the two.  No training.
"""
import argparse, itertools, json

import numpy as np
import torch

from skdeepcluster.datasets import load_mnist
from skdeepcluster.discriminative import knn_anchor_pairs

p = argparse.ArgumentParser()
p.add_argument("--path", default="/work/shared/data/mnist.npz")
p.add_argument("--batches", type=int, default=20)
p.add_argument("--batch-size", type=int, default=1000)
p.add_argument("--metrics", nargs="+", default=["cosine", "euclidean"])
p.add_argument("--neighbors", type=int, nargs="+", default=[1, 5, 10])
p.add_argument("--fractions", type=float, nargs="+", default=[0.1, 0.25, 0.5, 1.0])
p.add_argument("--out", default=None)
a = p.parse_args()

X, y = load_mnist(path=a.path, return_X_y=True)
X = X.reshape(len(X), -1)
rng = np.random.RandomState(0)
batches = [rng.permutation(len(X))[: a.batch_size] for _ in range(a.batches)]
rows = []
print(f"{a.batches} batches of {a.batch_size}; per digit 0-9: coverage / purity")
for metric, k, fraction in itertools.product(a.metrics, a.neighbors, a.fractions):
    pairs = same_pairs = covered = 0
    members, digit_covered, digit_edges, digit_same = (np.zeros(10) for _ in range(4))
    four_nine = np.zeros(2)
    for batch in batches:
        anchors = knn_anchor_pairs(torch.from_numpy(X[batch]), k, fraction, metric).numpy()
        labels = y[batch]
        i, j = np.nonzero(np.triu(anchors, 1))
        pairs += len(i)
        same_pairs += int((labels[i] == labels[j]).sum())
        degree = anchors.sum(1)
        covered += int((degree > 0).sum())
        for digit in range(10):
            mask = labels == digit
            members[digit] += mask.sum()
            digit_covered[digit] += (degree[mask] > 0).sum()
            digit_edges[digit] += degree[mask].sum()
            digit_same[digit] += anchors[np.ix_(mask, mask)].sum()
        for side, (digit, other) in enumerate([(4, 9), (9, 4)]):
            four_nine[side] += anchors[np.ix_(labels == digit, labels == other)].sum()
    row = dict(
        metric=metric, n_neighbors=k, anchor_fraction=fraction,
        pairs_per_batch=pairs / len(batches), purity=same_pairs / pairs,
        coverage=covered / (len(batches) * a.batch_size),
        digit_coverage=(digit_covered / members).round(3).tolist(),
        digit_purity=(digit_same / digit_edges).round(3).tolist(),
        four_to_nine=four_nine[0] / digit_edges[4], nine_to_four=four_nine[1] / digit_edges[9],
    )
    rows.append(row)
    print(f"{metric:9s} k={k:2d} fraction={fraction:.2f}: {row['pairs_per_batch']:6.0f} pairs, "
          f"purity {row['purity']:.3f}, coverage {row['coverage']:.2f}; "
          f"4->9 {row['four_to_nine']:.3f}, 9->4 {row['nine_to_four']:.3f}")
    print("   coverage", " ".join(f"{v:.2f}" for v in row["digit_coverage"]))
    print("   purity  ", " ".join(f"{v:.2f}" for v in row["digit_purity"]))
if a.out:
    with open(a.out, "w") as f:
        json.dump(dict(what=__doc__.split("\n")[0], batches=a.batches, batch_size=a.batch_size,
                       sampling="RandomState(0).permutation(70000)[:batch_size], once per batch",
                       rows=rows), f, indent=1)
