"""``embedding_dim`` 10 against 20 for DiscriminativeLatentClustering on scikit-learn's digits.

    python benchmarks/research/ddls_embedding_dim_digits.py --seeds 0 1 2 3 4

The MNIST runs favour 20 dimensions (``..._10000_cpu_embedding_dim_20_vs_10.json``);
this asks the same of a small non-MNIST set before any change of default:
``DiscriminativeLatentClustering(10, embedding_dim=D, pretrain_epochs=50,
epochs=10, batch_size=256, random_state=seed)`` on the min-max scaled 8x8
digits (1797 images), the start (k-means on the pretrained embedding) and the
final ACC per run, their means, and a JSON file in ``benchmarks/results/``.
"""
import argparse
import json
from pathlib import Path

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.preprocessing import MinMaxScaler

from skdeepcluster.discriminative import DiscriminativeLatentClustering
from skdeepcluster.metrics import clustering_accuracy

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
parser.add_argument("--dims", nargs="+", type=int, default=[10, 20])
parser.add_argument("--threads", type=int, default=None)
parser.add_argument("--out", default=str(Path(__file__).resolve().parent.parent / "results"))
args = parser.parse_args()
if args.threads:
    torch.set_num_threads(args.threads)

X, y = load_digits(return_X_y=True)
X = MinMaxScaler().fit_transform(X)
rows = []
for seed in args.seeds:
    for dim in args.dims:
        model = DiscriminativeLatentClustering(
            10, embedding_dim=dim, pretrain_epochs=50, epochs=10, batch_size=256,
            random_state=seed, device="cpu",
        ).fit(X)
        row = dict(seed=seed, embedding_dim=dim,
                   start_acc=clustering_accuracy(y, model.pretrain_labels_),
                   acc=clustering_accuracy(y, model.labels_))
        rows.append(row)
        print(f"seed {seed}  dim {dim:3d}  start {row['start_acc']:.3f}  final {row['acc']:.3f}", flush=True)
means = {dim: dict(start_acc=float(np.mean([r["start_acc"] for r in rows if r["embedding_dim"] == dim])),
                   acc=float(np.mean([r["acc"] for r in rows if r["embedding_dim"] == dim])))
         for dim in args.dims}
for dim, m in means.items():
    print(f"mean  dim {dim:3d}  start {m['start_acc']:.3f}  final {m['acc']:.3f}")
path = Path(args.out) / "ddls_digits_embedding_dim.json"
path.write_text(json.dumps(dict(
    what="DiscriminativeLatentClustering on min-max scaled sklearn digits, pretrain_epochs=50, epochs=10, "
         "batch_size=256, embedding_dim 10 against 20 (benchmarks/research/ddls_embedding_dim_digits.py)",
    machine="x86_64, 2 cores, no GPU, torch 2.13 CPU", rows=rows, means=means), indent=1))
print("wrote", path)
