"""DDLS on an MNIST subset with a DBC-style convolutional autoencoder passed as encoder/decoder.

The paper (Tzoreff et al. 2018, sec. 3.3) adopts the fully convolutional
autoencoder of DBC (Li et al. 2017): convolutions with ReLU, batch
normalisation and max pooling in the encoder; nearest-neighbour upsampling
followed by batch-normalised convolutions in the decoder.  Its exact sizes
were lost with the figure; this script reads them as

* encoder: three ``conv3x3 -> BatchNorm -> ReLU -> maxpool 2`` blocks
  (32, 64, 128 channels: 28 -> 14 -> 7 -> 3), then ``Linear(1152, 10)``;
* decoder: ``Linear(10, 1152)``, then ``upsample -> conv3x3 -> BatchNorm ->
  ReLU`` to 7, 14 and 28 pixels (64, 32 channels) and a last ``conv3x3`` to
  one channel,

and hands them to :class:`~skdeepcluster.DiscriminativeLatentClustering`
through its ``encoder``/``decoder`` parameters (``--no-batchnorm`` drops the
normalisation).  Prints and saves k-means on the pretrained embedding and the
labels after clustering, per seed.

    OMP_NUM_THREADS=1 python benchmarks/ddls_dbc_network.py --n-samples 10000 --seeds 0 1 \\
        --pretrain-epochs 60 --epochs 10 --batch-size 1000 --tag dbc_600steps
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import normalized_mutual_info_score
from torch import nn

from skdeepcluster import DiscriminativeLatentClustering
from skdeepcluster.datasets import load_mnist
from skdeepcluster.metrics import clustering_accuracy
from skdeepcluster.networks import Unflatten

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist.npz"


def _block(in_channels, out_channels, batchnorm):
    layers = [nn.Conv2d(in_channels, out_channels, 3, padding=1)]
    if batchnorm:
        layers.append(nn.BatchNorm2d(out_channels))
    return [*layers, nn.ReLU()]


def dbc_autoencoder(embedding_dim=10, batchnorm=True):
    """``(encoder, decoder)`` for flat 28x28 images, as read from the DBC paper."""
    encoder = nn.Sequential(
        Unflatten((1, 28, 28)),
        *_block(1, 32, batchnorm), nn.MaxPool2d(2),
        *_block(32, 64, batchnorm), nn.MaxPool2d(2),
        *_block(64, 128, batchnorm), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(128 * 3 * 3, embedding_dim),
    )
    decoder = nn.Sequential(
        nn.Linear(embedding_dim, 128 * 3 * 3), Unflatten((128, 3, 3)),
        nn.Upsample(size=7), *_block(128, 64, batchnorm),
        nn.Upsample(scale_factor=2), *_block(64, 32, batchnorm),
        nn.Upsample(scale_factor=2), nn.Conv2d(32, 1, 3, padding=1),
        nn.Flatten(),
    )
    return encoder, decoder


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", default=str(DEFAULT_PATH))
    parser.add_argument("--n-samples", type=int, default=10000, help="random subset")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--pretrain-epochs", type=int, default=60)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--no-batchnorm", action="store_true")
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--tag", default="", help="suffix of the result file name")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent / "results"))
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    X, y = load_mnist(path=args.path, return_X_y=True)
    if args.n_samples < len(X):
        idx = np.random.RandomState(0).permutation(len(X))[: args.n_samples]
        X, y = X[idx], y[idx]
    rows = []
    for seed in args.seeds:
        torch.manual_seed(seed)  # the modules' initial weights
        encoder, decoder = dbc_autoencoder(batchnorm=not args.no_batchnorm)
        est = DiscriminativeLatentClustering(
            10, encoder=encoder, decoder=decoder, pretrain_epochs=args.pretrain_epochs,
            epochs=args.epochs, batch_size=args.batch_size, device=args.device,
            random_state=seed,
        )
        start = time.perf_counter()
        est.fit(X)
        row = {
            "seed": seed,
            "pretrain_acc": clustering_accuracy(y, est.pretrain_labels_),
            "pretrain_nmi": normalized_mutual_info_score(y, est.pretrain_labels_),
            "acc": clustering_accuracy(y, est.labels_),
            "nmi": normalized_mutual_info_score(y, est.labels_),
            "pretrain_steps": args.pretrain_epochs * -(-len(X) // args.batch_size),
            "seconds": time.perf_counter() - start,
            "device": est.device_,
        }
        rows.append(row)
        print(json.dumps(row), flush=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"discriminative_mnist_{len(X)}_dbc{'_nobn' if args.no_batchnorm else ''}{'_' + args.tag if args.tag else ''}.json"
    path.write_text(json.dumps({"settings": vars(args), "rows": rows}, indent=1))
    print("wrote", path)


if __name__ == "__main__":
    main()
