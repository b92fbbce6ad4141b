"""CCNN from random weights against CCNN from a pretrained encoder, on the scaled digits.

The paper starts CCNN from an ImageNet-pretrained CNN, which cannot be
downloaded here.  This measures how much a pretrained start matters with the
encoder a user can make here: the ``d-500-500-2000-10`` autoencoder of the DEC
family pretrained on reconstruction (``AutoencoderNetwork``, 100 epochs),
whose encoder is handed to ``CCNNClustering(encoder=...)``.  Rows: k-means on
the pixels, k-means on the pretrained embedding, CCNN from random weights,
CCNN from the pretrained encoder (all ``MinMaxScaler`` input, 3 seeds).

    OMP_NUM_THREADS=1 python benchmarks/research/ccnn_pretrained_encoder.py --seeds 0 1 2
"""

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parents[1] / "results"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--pretrain-epochs", type=int, default=100)
    parser.add_argument("--out", default=str(RESULTS / "ccnn_digits_pretrained_encoder.json"))
    args = parser.parse_args(argv)

    import torch
    from sklearn.cluster import KMeans
    from sklearn.datasets import load_digits
    from sklearn.metrics import normalized_mutual_info_score
    from sklearn.preprocessing import MinMaxScaler

    from skdeepcluster import CCNNClustering, DeepClustering
    from skdeepcluster.compose import (
        AutoencoderNetwork, JointTraining, NoClusteringLoss, Reconstruction,
    )
    from skdeepcluster.metrics import clustering_accuracy

    torch.set_num_threads(1)
    X, y = load_digits(return_X_y=True)
    X = MinMaxScaler().fit_transform(X).astype(np.float32)
    rows = []

    def record(method, seed, labels, seconds):
        rows.append({"method": method, "seed": seed, "acc": float(clustering_accuracy(y, labels)),
                     "nmi": float(normalized_mutual_info_score(y, labels)), "seconds": seconds})
        print(f"{method:<28} seed {seed}: ACC {rows[-1]['acc']:.3f} NMI {rows[-1]['nmi']:.3f} "
              f"{seconds:.0f} s", flush=True)
        # Written after every row, so that a run stopped early keeps what it measured.
        Path(args.out).write_text(json.dumps({
            "machine": f"{platform.machine()}, 1 torch thread, {platform.python_version()}",
            "command": "python benchmarks/research/ccnn_pretrained_encoder.py --seeds "
                       + " ".join(map(str, args.seeds))
                       + f" --pretrain-epochs {args.pretrain_epochs}",
            "pretrain_epochs": args.pretrain_epochs, "rows": rows}, indent=1))

    for seed in args.seeds:
        start = time.perf_counter()
        record("kmeans", seed, KMeans(10, n_init=10, random_state=seed).fit_predict(X),
               time.perf_counter() - start)
        start = time.perf_counter()
        autoencoder = DeepClustering(
            10, network=AutoencoderNetwork(hidden_dims=(500, 500, 2000), embedding_dim=10),
            clustering_loss=NoClusteringLoss(), non_clustering_loss=Reconstruction(),
            schedule=JointTraining(args.pretrain_epochs), readout=KMeans(n_init=10),
            random_state=seed,
        ).fit(X)
        record("kmeans on the autoencoder", seed, autoencoder.labels_,
               time.perf_counter() - start)
        encoder = autoencoder.net_.module_.encoder
        for name, params in (("ccnn, random weights", {}),
                             ("ccnn, pretrained encoder", {"encoder": encoder})):
            start = time.perf_counter()
            model = CCNNClustering(10, random_state=seed, **params).fit(X)
            record(name, seed, model.labels_, time.perf_counter() - start)

    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
