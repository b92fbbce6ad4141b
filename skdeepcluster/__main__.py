"""Cluster a real data set with a deep clusterer and compare it with k-means.

Usage::

    python -m skdeepcluster                                   # digits, DEC
    python -m skdeepcluster --method idec     # also dcn, dmae, dmm, ddc, ddls, aljalbout, dbc, ...
    python -m skdeepcluster --network conv_bn # the images through a convolutional network
    python -m skdeepcluster --dataset mnist --path mnist.npz  # MNIST-70k
    python -m skdeepcluster --dataset usps     # also fashion-mnist, reuters10k, 20newsgroups
    python -m skdeepcluster --threads 0        # torch's thread count (one per core), not 1
"""

import argparse
import time
from contextlib import contextmanager

import numpy as np
import torch
from sklearn.cluster import KMeans
from sklearn.datasets import load_digits
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score
from threadpoolctl import threadpool_limits

from . import (
    AljalboutClustering,
    DBCClustering,
    CCNNClustering,
    DCNClustering,
    DDCClustering,
    DECClustering,
    DENClustering,
    DEPICTClustering,
    DiscriminativeLatentClustering,
    DMAEClustering,
    DMMClustering,
    EmbeddingSpaceClustering,
    IDECClustering,
    IMSATClustering,
    DACClustering,
    JULEClustering,
    NeuralClustering,
    VaDEClustering,
    InfoGANClustering,
)
from .datasets import (
    load_20newsgroups,
    load_fashion_mnist,
    load_mnist,
    load_reuters10k,
    load_usps,
)
from .base import _count
from .metrics import clustering_accuracy

METHODS = {
    "dec": DECClustering,
    "idec": IDECClustering,
    "dcn": DCNClustering,
    "dmae": DMAEClustering,
    "dmm": DMMClustering,
    "ddc": DDCClustering,
    "ddls": DiscriminativeLatentClustering,
    "aljalbout": AljalboutClustering,
    "dbc": DBCClustering,
    "imsat": IMSATClustering,
    "dac": DACClustering,
    "vade": VaDEClustering,
    "neural": NeuralClustering,
    "den": DENClustering,
    "depict": DEPICTClustering,
    "embspace": EmbeddingSpaceClustering,
    "infogan": InfoGANClustering,
    "jule": JULEClustering,
    "ccnn": CCNNClustering,
}
# One thread: on a 2-core machine shared with other work, torch's default of one
# thread per core fitted DEC on the digits 4 to 11 times slower than one thread
# (benchmarks/threads.py, benchmarks/results/threads_cpu.json).
THREADS_DEFAULT = 1
LOADERS = {
    "mnist": load_mnist,
    "fashion-mnist": load_fashion_mnist,
    "usps": load_usps,
    "reuters10k": load_reuters10k,
    "20newsgroups": load_20newsgroups,
}


def _load(args):
    if args.dataset == "digits":
        X, y = load_digits(return_X_y=True)
        X = (X / 16.0).astype(np.float32)
    else:
        options = {}
        if args.dataset == "reuters10k" and args.n_samples is not None:
            # Reuters draws its own subset, from all 685,071 stories rather than from 10,000.
            options = {"n_samples": args.n_samples, "random_state": args.random_state}
        X, y = LOADERS[args.dataset](
            path=args.path, data_home=args.data_home, return_X_y=True, **options
        )
    if args.n_samples is not None:
        idx = np.random.RandomState(args.random_state).permutation(len(X))[: args.n_samples]
        X, y = X[idx], y[idx]
    return X, y


def _row(name, y, labels, seconds):
    return (
        f"{name:<8} {clustering_accuracy(y, labels):>6.3f} "
        f"{normalized_mutual_info_score(y, labels):>6.3f} "
        f"{adjusted_rand_score(y, labels):>6.3f} {seconds:>9.1f}"
    )


def _settings(model):
    """The fitted model's resolved training settings, as one line."""
    names = ("batch_size_", "pretrain_epochs_", "epochs_", "hidden_dims_")
    return ", ".join(
        f"{name[:-1]}={getattr(model, name)}"
        for name in names
        if getattr(model, name, None) is not None
    )


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m skdeepcluster", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--dataset", choices=["digits", *LOADERS], default="digits")
    parser.add_argument("--path", help="local copy of the data set (see its load_* function)")
    parser.add_argument("--data-home", help="scikit-learn data cache for the downloads")
    parser.add_argument("--n-samples", type=int, help="cluster a random subset of the data set")
    parser.add_argument("--method", choices=list(METHODS), default="dec")
    parser.add_argument(
        "--network", help="mlp, or for images conv / conv_bn (methods with a network)"
    )
    parser.add_argument("--pretrain-epochs", type=int)
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--device", default="auto")
    parser.add_argument(
        "--threads", type=int, default=THREADS_DEFAULT,
        help="CPU threads of torch and of the BLAS k-means uses (default: %(default)s; 0 "
        "keeps torch's default of one per core, for an idle machine with many cores)",
    )
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument("--verbose", type=int, default=0)
    args = parser.parse_args(argv)
    if args.threads < 0:
        parser.error(f"--threads should be >= 0, got {args.threads}")
    with _thread_limit(args.threads):
        _run(parser, args)


@contextmanager
def _thread_limit(threads):
    """torch's intra-op threads and the BLAS/OpenMP pools at ``threads`` (0: untouched)."""
    if threads == 0:
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with threadpool_limits(limits=threads):
            yield
    finally:
        torch.set_num_threads(previous)


def _run(parser, args):
    X, y = _load(args)
    n_clusters = len(np.unique(y))
    method = METHODS[args.method]
    accepted = method().get_params()
    params = {}  # the estimator's defaults, unless set on the command line
    for name in ("pretrain_epochs", "epochs", "batch_size", "network"):
        if getattr(args, name) is not None:
            if name not in accepted:
                parser.error(f"--{name.replace('_', '-')} does not apply to --method {args.method}")
            params[name] = getattr(args, name)
    print(f"{args.dataset}: {X.shape[0]} samples, {X.shape[1]} features, {n_clusters} classes")
    print(f"{'method':<8} {'ACC':>6} {'NMI':>6} {'ARI':>6} {'seconds':>9}")

    start = time.perf_counter()
    kmeans = KMeans(n_clusters, n_init=20, random_state=args.random_state).fit(X)
    print(_row("k-means", y, kmeans.labels_, time.perf_counter() - start))

    model = method(
        n_clusters,
        device=args.device,
        random_state=args.random_state,
        verbose=args.verbose,
        **params,
    )
    start = time.perf_counter()
    try:
        labels = model.fit_predict(X)
    except ValueError as exc:  # bad options or data, said in the estimator's words
        parser.error(str(exc))
    print(_row(args.method.upper(), y, labels, time.perf_counter() - start))
    threads = _count(torch.get_num_threads(), "CPU thread")
    print(f"(trained on {model.device_} with {threads}: {_settings(model)})")


if __name__ == "__main__":
    main()
