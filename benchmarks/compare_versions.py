"""Seconds per training epoch of every preset, for two copies of the package, in one run.

Measures whether one version of ``skdeepcluster`` (``--after``, e.g. the
working tree) trains any slower per epoch than another (``--before``, e.g. a
git worktree of an older commit).  Every (version, method, repeat) fit runs in
its own worker subprocess whose ``PYTHONPATH`` is that version's directory
(the worker checks that ``skdeepcluster.__file__`` lies under it).  The runs
are interleaved, before, after, before, after, ... for each method and repeat
(the order within a pair alternates between repeats), so that load from other
processes on the machine affects both versions alike.

Each worker fits the estimator with fixed small settings on a random MNIST
subset (``numpy.random.RandomState(0).permutation``, as bench_mnist.py) and
reports the ``dur`` column of the skorch histories: ``pretrain_history_``
(when the estimator has a pretraining phase) and ``history_`` (the clustering
phase).  A run's number is the median seconds per epoch of a phase; the table
gives, per method and phase, the median over repeats for each version and the
ratio after / before of those medians, the median of the per-repeat ratios
("paired") and the ratio of the fastest epochs of all repeats ("min").  A
callback passed through ``callbacks`` also records the process CPU seconds of
each clustering epoch (phase ``cluster_cpu``): steadier than wall-clock
seconds when other processes or the hypervisor take the core.  Only epoch time is compared: the k-means initialisation and the
final readout are outside the epochs (the wall seconds of ``fit`` are in the
JSON file too).

Settings (each estimator's other parameters keep their defaults, including
``hidden_dims``): ``pretrain_epochs=3``, ``epochs=3``, ``n_init=1`` (DDC:
``n_init=3``), DEC/IDEC ``tol=0`` so that every clustering epoch runs,
``device="cpu"``, ``random_state=0``, ``n_clusters=10``; torch, OpenMP and
BLAS on ``--threads`` threads.

    python benchmarks/compare_versions.py --before /tmp/baseline --after /work/main
    python benchmarks/compare_versions.py --before /tmp/baseline --after /work/main \\
        --methods DMAEClustering --repeats 9 --output /tmp/dmae.json

Writes ``benchmarks/results/compare_versions_cpu.json`` (``--output``): the
machine, the command, every run's raw numbers, the medians and the ratios.

On a shared machine a process's speed can be bimodal (every epoch of one run
fast, every epoch of another 20-40% slower, in either version), so that even
medians over a dozen repeats move by several percent.  ``--pool`` pools the
runs of several result files with the default settings and adds the ratio of
the lower quartiles and of the minima and Mann-Whitney U p-values::

    python benchmarks/compare_versions.py --pool benchmarks/results/compare_versions_cpu*.json \
        --output benchmarks/results/compare_versions_cpu_pooled.json
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DEFAULT_PATH = HERE.parents[1] / "shared" / "data" / "mnist.npz"
METHODS = (
    "DECClustering",
    "IDECClustering",
    "DCNClustering",
    "DMAEClustering",
    "DMMClustering",
    "DDCClustering",
    "DiscriminativeLatentClustering",
)
# "cluster_cpu": process CPU seconds per clustering epoch (see _cpu_time_callback).
PHASES = ("pretrain", "cluster", "cluster_cpu")


def settings(method, pretrain_epochs=3, epochs=3):
    """The estimator parameters of ``method`` this benchmark fits with."""
    params = dict(n_clusters=10, epochs=epochs, n_init=1, device="cpu", random_state=0)
    if method not in ("DMMClustering", "DDCClustering"):  # the two without pretraining
        params["pretrain_epochs"] = pretrain_epochs
    if method in ("DECClustering", "IDECClustering"):
        params["tol"] = 0.0  # run every clustering epoch
    if method == "DDCClustering":
        params["n_init"] = 3
    return params


def _durations(history):
    if history is None or len(history) == 0:
        return []
    return [float(d) for d in history[:, "dur"]]


_EPOCH_CPU = []  # CPU seconds of each clustering epoch, filled by the worker's callback


def _cpu_time_callback():
    """A skorch callback appending each epoch's process CPU seconds to ``_EPOCH_CPU``.

    CPU time leaves out the time the process waits for a core (other load,
    a hypervisor's steal), so it is steadier than the wall-clock ``dur`` on
    a shared machine; with one thread it is the epoch's compute.
    """
    from skorch.callbacks import Callback

    class EpochCPUTime(Callback):
        def on_epoch_begin(self, net, **kwargs):
            self.start_ = time.process_time()

        def on_epoch_end(self, net, **kwargs):
            _EPOCH_CPU.append(time.process_time() - self.start_)

    return EpochCPUTime()


def worker(args):
    """Fit one method with the package on ``PYTHONPATH``; print one JSON line."""
    import torch

    torch.set_num_threads(args.threads)
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(args.threads)
    except ImportError:
        pass
    import skdeepcluster
    from skdeepcluster.datasets import load_mnist

    location = Path(args.location).resolve()
    module_file = Path(skdeepcluster.__file__).resolve()
    if location not in module_file.parents:
        raise SystemExit(f"imported {module_file}, not a file under {location}")

    X, _ = load_mnist(path=args.path, return_X_y=True)
    X = X[np.random.RandomState(0).permutation(len(X))[: args.n_samples]]
    params = settings(args.method, args.pretrain_epochs, args.epochs)
    est = getattr(skdeepcluster, args.method)(callbacks=[_cpu_time_callback()], **params)
    start = time.perf_counter()
    est.fit(X)
    seconds = time.perf_counter() - start
    pre = _durations(getattr(est, "pretrain_history_", None))
    clu = _durations(est.history_)
    print(json.dumps({
        "module_file": str(module_file),
        "params": params,
        "fit_seconds": seconds,
        "pretrain_dur": pre,
        "cluster_dur": clu,
        "pretrain": float(np.median(pre)) if pre else None,
        "cluster": float(np.median(clu)) if clu else None,
        "cluster_cpu_dur": list(_EPOCH_CPU),
        "cluster_cpu": float(np.median(_EPOCH_CPU)) if _EPOCH_CPU else None,
    }))


def run_worker(location, method, args):
    env = dict(os.environ)
    env["PYTHONPATH"] = str(location)
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env[var] = str(args.threads)
    cmd = [
        sys.executable, str(Path(__file__).resolve()), "--worker",
        "--location", str(location), "--method", method, "--path", args.path,
        "--n-samples", str(args.n_samples), "--threads", str(args.threads),
        "--pretrain-epochs", str(args.pretrain_epochs), "--epochs", str(args.epochs),
    ]
    # Run from a neutral directory so that no ``skdeepcluster`` in the current one shadows PYTHONPATH.
    out = subprocess.run(cmd, env=env, cwd="/", capture_output=True, text=True)
    if out.returncode:
        sys.stderr.write(out.stderr)
        raise RuntimeError(f"worker failed: {method} at {location}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _git_commit(location):
    try:
        return subprocess.run(
            ["git", "-C", str(location), "rev-parse", "HEAD"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()
    except Exception:
        return None


def _git_dirty(location):
    try:
        out = subprocess.run(
            ["git", "-C", str(location), "status", "--porcelain", "--", "skdeepcluster"],
            capture_output=True, text=True, check=True,
        ).stdout
        return bool(out.strip())
    except Exception:
        return None


def _machine():
    import multiprocessing as mp

    import torch

    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": mp.cpu_count(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "loadavg_at_start": list(os.getloadavg()),
    }


def pool(files, output=None):
    """Pool the runs of several result files of this script and compare the versions.

    Only runs with the same settings as the first file's (subset size,
    threads, the method's parameters) are pooled.  Per method and phase:
    the number of runs, the medians and their ratio, the ratio of the lower
    quartiles and of the fastest runs (both less sensitive to runs slowed
    by other load), and Mann-Whitney U p-values: two-sided, and one-sided
    for "after is slower".
    """
    from scipy.stats import mannwhitneyu

    loaded = [json.loads(Path(f).read_text()) for f in files]
    ref = loaded[0]["settings"]
    runs, used = [], {}
    for f, data in zip(files, loaded):
        s = data["settings"]
        for r in data["runs"]:
            m = r["method"]
            same = (s["n_samples"] == ref["n_samples"] and s["threads"] == ref["threads"]
                    and s["params"][m] == settings(m))
            if same:
                runs.append(r)
                used.setdefault(str(f), set()).add(m)
    table = []
    methods = list(dict.fromkeys(r["method"] for r in runs))
    for method in methods:
        for phase in PHASES:
            x = {v: np.array([r[phase] for r in runs if r["method"] == method
                              and r["version"] == v and r.get(phase) is not None])
                 for v in ("before", "after")}
            if not len(x["before"]) or not len(x["after"]):
                continue
            q = {v: np.percentile(x[v], [0, 25, 50]) for v in x}
            table.append({
                "method": method, "phase": phase,
                "n_before": len(x["before"]), "n_after": len(x["after"]),
                "before_median": q["before"][2], "after_median": q["after"][2],
                "median_ratio": q["after"][2] / q["before"][2],
                "q25_ratio": q["after"][1] / q["before"][1],
                "min_ratio": q["after"][0] / q["before"][0],
                "p_two_sided": float(mannwhitneyu(x["after"], x["before"]).pvalue),
                "p_after_slower": float(
                    mannwhitneyu(x["after"], x["before"], alternative="greater").pvalue),
            })
    print(f"{'method':<31} {'phase':<11} {'n':>5} {'before':>7} {'after':>7} {'median':>7} "
          f"{'q25':>6} {'min':>6} {'p(2-s)':>7} {'p(slower)':>9}")
    for t in table:
        print(f"{t['method']:<31} {t['phase']:<11} {t['n_before']:>2}+{t['n_after']:<2} "
              f"{t['before_median']:>7.3f} {t['after_median']:>7.3f} {t['median_ratio']:>7.3f} "
              f"{t['q25_ratio']:>6.3f} {t['min_ratio']:>6.3f} {t['p_two_sided']:>7.3f} "
              f"{t['p_after_slower']:>9.3f}")
    if output:
        Path(output).write_text(json.dumps({
            "what": "runs of several compare_versions.py result files pooled (same settings); "
                    "ratios after/before of the median, lower quartile and minimum of the "
                    "per-run median seconds per epoch; Mann-Whitney U p-values",
            "command": " ".join([Path(sys.executable).name] + sys.argv),
            "files": {f: {"methods": sorted(m), "versions": d.get("versions")}
                      for (f, m), d in zip(used.items(),
                                           [loaded[[str(x) for x in files].index(f)]
                                            for f in used])},
            "settings": {k: ref[k] for k in ("n_samples", "threads", "subset")},
            "table": table,
        }, indent=2, default=float))
        print(f"\nwrote {output}")


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog=__doc__.split("\n", 2)[2],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--before", help="directory of the older package (put on PYTHONPATH)")
    parser.add_argument("--after", help="directory of the newer package (put on PYTHONPATH)")
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    parser.add_argument("--repeats", type=int, default=3, help="fits per (version, method)")
    parser.add_argument("--n-samples", type=int, default=5000, help="MNIST subset size")
    parser.add_argument("--pretrain-epochs", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="torch/OpenMP/BLAS threads")
    parser.add_argument("--path", default=str(DEFAULT_PATH), help="mnist.npz")
    parser.add_argument("--output", default=str(HERE / "results" / "compare_versions_cpu.json"))
    parser.add_argument("--pool", nargs="+", metavar="FILE",
                        help="instead of running: pool the runs of these result files "
                             "(same settings as the defaults) and compare; writes --output "
                             "only if given explicitly")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--location", help=argparse.SUPPRESS)
    parser.add_argument("--method", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args)
    if args.pool:
        explicit = any(a == "--output" or a.startswith("--output=") for a in (argv or sys.argv))
        return pool(args.pool, args.output if explicit else None)
    if not (args.before and args.after):
        parser.error("--before and --after are required")

    versions = {"before": Path(args.before).resolve(), "after": Path(args.after).resolve()}
    runs = []
    print(f"{args.n_samples} MNIST images, {args.threads} thread(s), {args.repeats} repeats; "
          f"before={versions['before']} after={versions['after']}", flush=True)
    for method in args.methods:
        for repeat in range(args.repeats):
            order = ("before", "after") if repeat % 2 == 0 else ("after", "before")
            for version in order:
                result = run_worker(versions[version], method, args)
                runs.append({"method": method, "repeat": repeat, "version": version,
                             "loadavg": list(os.getloadavg()), **result})
                print(f"  {method:<31} r{repeat} {version:<6} "
                      f"pretrain {result['pretrain'] or 0:7.3f} s/ep  "
                      f"cluster {result['cluster'] or 0:7.3f} s/ep  fit {result['fit_seconds']:6.1f} s",
                      flush=True)

    summary = []
    for method in args.methods:
        for phase in PHASES:
            per = {v: {r["repeat"]: r[phase] for r in runs
                       if r["method"] == method and r["version"] == v and r[phase] is not None}
                   for v in versions}
            if not per["before"] or not per["after"]:
                continue
            before = float(np.median(list(per["before"].values())))
            after = float(np.median(list(per["after"].values())))
            paired = [per["after"][k] / per["before"][k] for k in per["before"] if k in per["after"]]
            # The fastest epoch of any repeat: what the epoch costs with the least interference.
            fastest = {v: min(x for r in runs if r["method"] == method and r["version"] == v
                              for x in r[phase + "_dur"]) for v in versions}
            summary.append({
                "method": method, "phase": phase,
                "before_s_per_epoch": before, "after_s_per_epoch": after,
                "ratio": after / before,
                "median_paired_ratio": float(np.median(paired)),
                "before_min_s_per_epoch": fastest["before"],
                "after_min_s_per_epoch": fastest["after"],
                "min_ratio": fastest["after"] / fastest["before"],
                "n_repeats": len(paired),
            })

    print("\nmedian over repeats of each run's median epoch; 'paired': median of the per-repeat "
          "ratios; 'min': ratio of the fastest epochs;\ncluster_cpu: process CPU seconds "
          "instead of wall-clock seconds")
    print(f"{'method':<31} {'phase':<11} {'before s/ep':>11} {'after s/ep':>11} "
          f"{'after/before':>12} {'paired':>7} {'min':>6}")
    for row in summary:
        flag = "  > 1.05" if row["ratio"] > 1.05 else ""
        print(f"{row['method']:<31} {row['phase']:<11} {row['before_s_per_epoch']:>11.3f} "
              f"{row['after_s_per_epoch']:>11.3f} {row['ratio']:>12.3f} "
              f"{row['median_paired_ratio']:>7.3f} {row['min_ratio']:>6.3f}{flag}")

    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    machine = _machine()
    machine["loadavg_at_end"] = machine.pop("loadavg_at_start")
    out.write_text(json.dumps({
        "what": "median seconds per epoch (skorch 'dur') of each preset's pretraining and "
                "clustering phases, and process CPU seconds per clustering epoch "
                "('cluster_cpu'), before vs after, interleaved worker subprocesses",
        "command": " ".join([Path(sys.executable).name] + sys.argv),
        "machine": machine,
        "versions": {v: {"path": str(p), "git_commit": _git_commit(p),
                         "skdeepcluster_uncommitted_changes": _git_dirty(p)}
                     for v, p in versions.items()},
        "settings": {"n_samples": args.n_samples, "threads": args.threads,
                     "repeats": args.repeats, "subset": "RandomState(0).permutation",
                     "params": {m: settings(m, args.pretrain_epochs, args.epochs)
                                for m in args.methods}},
        "summary": summary,
        "runs": runs,
    }, indent=2))
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
