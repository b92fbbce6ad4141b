"""Regression oracle: each estimator's exact labels under fixed seeds on one thread.

Records, for a fixed list of named configurations (an estimator of the public
top level of :mod:`skdeepcluster`, keyword parameters and a data set), the
labels ``fit_predict`` gives on the CPU under ``random_state=0`` with torch,
BLAS and OpenMP on one thread, together with extra fingerprints of the fitted
model: ``transform(X[:5])`` and ``cluster_centers_``, both rounded to 5
decimals.  Written before a refactor, the file lets ``--check`` prove that the
refactored package still produces the very same labels.

Data sets
---------
``digits``
    :func:`sklearn.datasets.load_digits`, ``X / 16`` as float32, flat
    ``(1797, 64)``, 10 classes.
``digits_float64``
    The same in float64 (inference then runs through a float64 copy of the network).
``digits_sparse``
    The same as a ``scipy.sparse`` CSR matrix (fully connected networks only).
``digits_images``
    The same as one-channel images ``(1797, 1, 8, 8)``.
``digits_images_16``
    The same images upsampled 2x by pixel repetition, ``(1797, 1, 16, 16)``:
    large enough for DDC's LeNet-like network (8x8 is not).
``moons``
    :func:`sklearn.datasets.make_moons` ``(400, noise=0.05, random_state=0)``,
    float32, 2 classes.
``toroidal``
    :func:`skdeepcluster.datasets.make_toroidal_blobs`
    ``(n_samples=300, random_state=0)``, float32, 4 classes.

Usage
-----
Record the labels of the package as it is now (``PYTHONPATH`` picks which copy
of the package is imported; the JSON says which file and git commit it was)::

    PYTHONPATH=/tmp/baseline python benchmarks/presets_oracle.py \\
        --output benchmarks/results/presets_oracle_digits.json

Re-run every configuration of that file with the package importable now and
compare; the exit status is 1 when any configuration's labels differ or its
fit fails (the other configurations still run)::

    python benchmarks/presets_oracle.py --check benchmarks/results/presets_oracle_digits.json

``--only NAME [NAME ...]`` runs a subset, ``--list`` prints the configurations.
Labels are compared raw (no matching of cluster indices); the table also says
whether the partitions agree up to a renaming of the clusters and whether the
fingerprints agree (``--strict`` makes a fingerprint difference fail too).
"""

import os

# One thread everywhere, set before numpy and torch load their thread pools.
for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402
import sklearn  # noqa: E402
import skorch  # noqa: E402
import torch  # noqa: E402
from sklearn.datasets import load_digits, make_moons  # noqa: E402
from sklearn.kernel_approximation import RBFSampler  # noqa: E402
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

import skdeepcluster  # noqa: E402
from skdeepcluster.datasets import make_toroidal_blobs  # noqa: E402
from skdeepcluster.metrics import clustering_accuracy  # noqa: E402

DECIMALS = 5

# Settings shared by the configurations on digits: a small but real network.
_SMALL = dict(hidden_dims=(64,), embedding_dim=10, device="cpu", random_state=0)
# batch_size=256: the default the oracle was recorded with (before "auto").
_AE = dict(_SMALL, pretrain_epochs=20, n_init=3, batch_size=256)
# DCN's and DMAE's weight_init default when the oracle was recorded (before "glorot").
_TORCH = dict(weight_init="torch")


def _config(name, estimator, data, n_clusters, **params):
    return dict(name=name, estimator=estimator, data=data, n_clusters=n_clusters, params=params)


# Each configuration: a name, a class of the public top level, its data set and its parameters
# (n_clusters is passed as the first argument).  Parameters must be JSON-representable, except
# the ones _build_params turns into objects (``pretrain_features``).
CONFIGS = [
    # --- DEC / IDEC
    _config("dec", "DECClustering", "digits", 10, **_AE, epochs=10, update_interval=7),
    _config("dec_weight_init_torch", "DECClustering", "digits", 10, **_AE, epochs=10,
            update_interval=7, weight_init="torch"),
    _config("dec_pretrain_sgd", "DECClustering", "digits", 10, **_AE, epochs=10,
            update_interval=7, pretrain_optimizer="sgd", pretrain_lr=0.1),
    _config("dec_float64", "DECClustering", "digits_float64", 10, **_AE, epochs=10,
            update_interval=7),
    _config("dec_sparse", "DECClustering", "digits_sparse", 10, **_AE, epochs=10,
            update_interval=7),
    _config("dec_bf16", "DECClustering", "digits", 10, **_AE, epochs=10, update_interval=7,
            precision="bf16"),
    _config("dec_conv_bn", "DECClustering", "digits_images", 10, embedding_dim=10,
            network="conv_bn", pretrain_epochs=10, epochs=5, update_interval=7, n_init=3,
            batch_size=256, device="cpu", random_state=0),
    _config("dec_da", "DECClustering", "digits_images", 10, **_AE, epochs=10, update_interval=7,
            augment=True, augment_clustering=True),
    _config("idec", "IDECClustering", "digits", 10, **_AE, epochs=10, update_interval=7),
    _config("idec_aug_pretrain", "IDECClustering", "digits_images", 10, **_AE, epochs=10,
            update_interval=7, augment=True),
    # --- DCN
    _config("dcn", "DCNClustering", "digits", 10, **_AE, **_TORCH, epochs=10),
    _config("dcn_tol", "DCNClustering", "digits", 10, **_AE, **_TORCH, epochs=10, tol=0.01),
    _config("dcn_glorot", "DCNClustering", "digits", 10, **_AE, epochs=10, weight_init="glorot"),
    _config("dcn_conv_16", "DCNClustering", "digits_images_16", 10, embedding_dim=10,
            network="conv", pretrain_epochs=10, epochs=5, n_init=3, batch_size=256, **_TORCH,
            device="cpu", random_state=0),
    # --- DMAE / DMM
    _config("dmae", "DMAEClustering", "digits", 10, **_AE, **_TORCH, epochs=10),
    _config("dmae_mahalanobis_gmm", "DMAEClustering", "digits", 10, **_AE, **_TORCH, epochs=10,
            dissimilarity="mahalanobis", init="gaussian-mixture"),
    _config("dmae_center_mean", "DMAEClustering", "digits", 10, **_AE, **_TORCH, epochs=10,
            center_update="mean"),
    _config("dmae_rbf_features_moons", "DMAEClustering", "moons", 2, hidden_dims=(32,),
            embedding_dim=8, pretrain_epochs=20, epochs=10, n_init=3, batch_size=64,
            pretrain_features="RBFSampler", **_TORCH, device="cpu", random_state=0),
    _config("dmm", "DMMClustering", "digits", 10, epochs=10, n_init=3, batch_size=256,
            device="cpu", random_state=0),
    _config("dmm_toroidal", "DMMClustering", "toroidal", 4, dissimilarity="toroidal", epochs=10,
            n_init=3, batch_size=64, device="cpu", random_state=0),
    _config("dmm_mahalanobis_moons", "DMMClustering", "moons", 2, dissimilarity="mahalanobis",
            trainable_weights=True, epochs=10, n_init=3, batch_size=64, device="cpu",
            random_state=0),
    # --- DDC
    _config("ddc", "DDCClustering", "digits", 10, **_SMALL, n_init=3, epochs=10, batch_size=100),
    _config("ddc_vote", "DDCClustering", "digits", 10, **_SMALL, n_init=3, voting=True,
            epochs=10, batch_size=100),
    _config("ddc_no_clip", "DDCClustering", "digits", 10, **_SMALL, n_init=3, epochs=10,
            batch_size=100, max_grad_norm=None),
    _config("ddc_tight_clip", "DDCClustering", "digits", 10, **_SMALL, n_init=3, epochs=10,
            batch_size=100, max_grad_norm=0.1),
    _config("ddc_conv_16", "DDCClustering", "digits_images_16", 10, network="conv",
            embedding_dim=10, n_init=3, epochs=5, batch_size=100, device="cpu", random_state=0),
    # --- Discriminative latent space (DDLS)
    _config("ddls", "DiscriminativeLatentClustering", "digits", 10, **_AE, epochs=10),
    _config("ddls_conv_bn", "DiscriminativeLatentClustering", "digits_images", 10,
            embedding_dim=10, network="conv_bn", pretrain_epochs=10, epochs=5, n_init=3,
            batch_size=256, device="cpu", random_state=0),
]


def _build_params(config):
    """Constructor keyword arguments: the JSON ones, with named objects made real."""
    params = dict(config["params"])
    if "hidden_dims" in params:
        params["hidden_dims"] = tuple(params["hidden_dims"])
    if params.get("pretrain_features") == "RBFSampler":
        params["pretrain_features"] = RBFSampler(
            n_components=params["embedding_dim"], gamma=1.0, random_state=0
        )
    return params


def load_data(name):
    """``(X, y)`` of a data set of the module docstring."""
    if name.startswith("digits"):
        X, y = load_digits(return_X_y=True)
        X = (X / 16.0).astype(np.float32)
        if name == "digits_float64":
            X = X.astype(np.float64)
        elif name == "digits_sparse":
            X = sp.csr_matrix(X)
        elif name == "digits_images":
            X = X.reshape(-1, 1, 8, 8)
        elif name == "digits_images_16":
            X = X.reshape(-1, 1, 8, 8).repeat(2, axis=2).repeat(2, axis=3)
        elif name != "digits":
            raise ValueError(f"unknown data set {name!r}")
        return X, y
    if name == "moons":
        X, y = make_moons(400, noise=0.05, random_state=0)
        return X.astype(np.float32), y
    if name == "toroidal":
        X, y = make_toroidal_blobs(n_samples=300, random_state=0)
        return X.astype(np.float32), y
    raise ValueError(f"unknown data set {name!r}")


def _rounded(array):
    return np.round(np.asarray(array, dtype=np.float64), DECIMALS).tolist()


def run_config(config, data_cache):
    """Fit one configuration on one thread; its labels, scores and fingerprints."""
    if config["data"] not in data_cache:
        data_cache[config["data"]] = load_data(config["data"])
    X, y = data_cache[config["data"]]
    estimator = getattr(skdeepcluster, config["estimator"])(
        config["n_clusters"], **_build_params(config)
    )
    start = time.perf_counter()
    labels = estimator.fit_predict(X)
    seconds = time.perf_counter() - start
    return dict(
        labels=[int(label) for label in labels],
        acc=float(clustering_accuracy(y, labels)),
        nmi=float(normalized_mutual_info_score(y, labels)),
        seconds=round(seconds, 2),
        transform_head=_rounded(estimator.transform(X[:5])),
        cluster_centers=_rounded(estimator.cluster_centers_),
    )


def _git(*args):
    try:
        out = subprocess.run(
            ["git", *args], cwd=Path(skdeepcluster.__file__).resolve().parent,
            capture_output=True, text=True, check=True, timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip()


def machine():
    """Where and with what the labels were computed."""
    package = str(Path(skdeepcluster.__file__).resolve().parent)
    status = _git("status", "--porcelain", "--", package)
    return dict(
        platform=platform.platform(),
        processor=platform.processor() or platform.machine(),
        python=platform.python_version(),
        numpy=np.__version__,
        torch=torch.__version__,
        sklearn=sklearn.__version__,
        skorch=skorch.__version__,
        skdeepcluster=getattr(skdeepcluster, "__version__", None),
        package_path=package,
        git_commit=_git("rev-parse", "HEAD"),
        git_dirty=None if status is None else bool(status),
        torch_threads=torch.get_num_threads(),
    )


def run_all(configs, on_result, on_error=None):
    """Fit each configuration under one torch / BLAS / OpenMP thread.

    An exception of a fit is raised, or handed to ``on_error(config, exc)``
    (and the next configuration runs) when that is given.
    """
    torch.set_num_threads(1)
    data_cache = {}
    results = []
    with threadpool_limits(limits=1):
        for config in configs:
            try:
                result = run_config(config, data_cache)
            except Exception as exc:
                if on_error is None:
                    raise
                on_error(config, exc)
                continue
            results.append(result)
            on_result(config, result)
    return results


def _dumps(payload):
    """Indented JSON with each configuration on one line (its labels are long)."""
    configs = payload["configs"]
    head = json.dumps({**payload, "configs": None}, indent=1)
    lines = ",\n".join("  " + json.dumps(config) for config in configs)
    return head.replace('"configs": null', '"configs": [\n' + lines + "\n ]") + "\n"


def _command():
    words = [Path(sys.executable).name, *sys.argv]
    if os.environ.get("PYTHONPATH"):
        words.insert(0, f"PYTHONPATH={os.environ['PYTHONPATH']}")
    return " ".join(words)


def _select(configs, only):
    if not only:
        return list(configs)
    known = {c["name"] for c in configs}
    unknown = [name for name in only if name not in known]
    if unknown:
        raise SystemExit(f"unknown configuration(s): {', '.join(unknown)}; known: "
                         f"{', '.join(sorted(known))}")
    return [c for c in configs if c["name"] in only]


def record(args):
    configs = _select(CONFIGS, args.only)
    print(f"{'config':<26} {'ACC':>6} {'NMI':>6} {'seconds':>8}")

    def show(config, result):
        print(f"{config['name']:<26} {result['acc']:>6.3f} {result['nmi']:>6.3f} "
              f"{result['seconds']:>8.1f}", flush=True)

    start = time.perf_counter()
    results = run_all(configs, show)
    total = time.perf_counter() - start
    print(f"total {total:.1f} s")
    payload = dict(
        description=__doc__.splitlines()[0],
        machine=machine(),
        command=_command(),
        decimals=DECIMALS,
        total_seconds=round(total, 1),
        configs=[dict(config, **result) for config, result in zip(configs, results)],
    )
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(_dumps(payload))
    print(f"wrote {out}")
    return 0


def _max_abs_diff(before, after):
    before, after = np.asarray(before, dtype=float), np.asarray(after, dtype=float)
    if before.shape != after.shape:
        return float("inf")
    return float(np.max(np.abs(before - after))) if before.size else 0.0


def check(args):
    saved = json.loads(Path(args.check).read_text())
    by_name = {c["name"]: c for c in saved["configs"]}
    configs = _select(saved["configs"], args.only)
    print(f"oracle: {args.check} (package {saved['machine'].get('package_path')} at "
          f"{saved['machine'].get('git_commit')})")
    now = machine()
    print(f"now:    package {now['package_path']} at {now['git_commit']}"
          f"{' (uncommitted changes)' if now['git_dirty'] else ''}")
    header = (f"{'config':<26} {'identical':>9} {'n_diff':>6} {'renamed':>7} "
              f"{'ACC before':>10} {'ACC after':>9} {'fingerprint':>11} {'seconds':>7}")
    print(header)
    failures = []

    def compare(config, result):
        before = by_name[config["name"]]
        labels_before = np.asarray(before["labels"])
        labels_after = np.asarray(result["labels"])
        n_diff = int(np.sum(labels_before != labels_after))
        same_partition = bool(adjusted_rand_score(labels_before, labels_after) == 1.0)
        drift = max(_max_abs_diff(before["transform_head"], result["transform_head"]),
                    _max_abs_diff(before["cluster_centers"], result["cluster_centers"]))
        fingerprint = "same" if drift == 0.0 else f"{drift:.1e}"
        print(f"{config['name']:<26} {'yes' if n_diff == 0 else 'NO':>9} {n_diff:>6} "
              f"{'yes' if same_partition else 'no':>7} {before['acc']:>10.4f} "
              f"{result['acc']:>9.4f} {fingerprint:>11} {result['seconds']:>7.1f}", flush=True)
        if n_diff or (args.strict and drift != 0.0):
            failures.append(config["name"])

    def error(config, exc):
        before = by_name[config["name"]]
        print(f"{config['name']:<26} {'ERROR':>9} {'':>6} {'':>7} {before['acc']:>10.4f}   "
              f"{type(exc).__name__}: {exc}", flush=True)
        failures.append(config["name"])

    start = time.perf_counter()
    run_all(configs, compare, error)
    print(f"total {time.perf_counter() - start:.1f} s")
    if failures:
        print(f"DIFFERENT: {', '.join(failures)}")
        return 1
    print(f"all {len(configs)} configurations identical")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="See the module docstring for the data sets and the configurations (--list).",
    )
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--output", metavar="FILE",
                      help="fit every configuration, write FILE (JSON)")
    mode.add_argument("--check", metavar="FILE",
                      help="re-fit the configurations of FILE and compare; "
                           "exit 1 if labels differ")
    mode.add_argument("--list", action="store_true", help="print the configurations and exit")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these configurations")
    parser.add_argument("--strict", action="store_true",
                        help="with --check, also fail when transform or cluster_centers_ differ")
    args = parser.parse_args(argv)
    if args.list:
        for config in _select(CONFIGS, args.only):
            params = ", ".join(f"{k}={v!r}" for k, v in config["params"].items())
            print(f"{config['name']:<26} {config['estimator']}({config['n_clusters']}, {params}) "
                  f"on {config['data']}")
        return 0
    if args.output:
        return record(args)
    return check(args)


if __name__ == "__main__":
    sys.exit(main())
