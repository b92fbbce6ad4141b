"""Fit time against torch's thread count, on an idle and on a busy machine.

Times ``DECClustering(n_clusters=10, random_state=0)`` on scikit-learn's
digits (1,797 images of 64 pixels, MinMax scaled) with torch limited to one
thread and at torch's default (``os.cpu_count()`` threads), first as the
machine is, then with a busy loop running in one background process per core
(the situation of a shared machine, or of several jobs started side by side).
Each fit runs in a fresh process; the table gives the median of ``--repeats``
fits and the slowdown of the default against one thread.

    python benchmarks/threads.py                     # the estimator's defaults
    python benchmarks/threads.py --quick             # 10 + 10 epochs instead
    python benchmarks/threads.py --threads 1 2 4 --repeats 3

One thread is set with ``threadpoolctl.threadpool_limits(limits=1)``, the way
a user limits any scikit-learn estimator; it covers torch's OpenMP thread
pool as well as the BLAS that k-means uses (each worker records what torch
saw).  ``os.getloadavg()`` is recorded before each fit: "idle" is the
machine as found, and other work may have been running on it.

Results go to ``benchmarks/results/threads_cpu.json`` (``--output``).
"""

import argparse
import json
import multiprocessing as mp
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
QUICK = {"pretrain_epochs": 10, "epochs": 10}


def _cpu_model():
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return platform.processor() or "unknown"
    for line in out.splitlines():
        if line.startswith("Model name"):
            return line.split(":", 1)[1].strip()
    return "unknown"


def _busy():
    while True:
        pass


def _worker(threads, quick):
    """One fit in this process; prints a JSON line."""
    import numpy as np
    import torch
    from sklearn.datasets import load_digits
    from sklearn.preprocessing import MinMaxScaler
    from threadpoolctl import threadpool_limits

    from skdeepcluster import DECClustering

    X = MinMaxScaler().fit_transform(load_digits().data).astype(np.float32)
    model = DECClustering(n_clusters=10, random_state=0, **(QUICK if quick else {}))
    with threadpool_limits(limits=threads):  # None: leave every pool at its default
        torch_threads = torch.get_num_threads()
        start = time.perf_counter()
        model.fit(X)
        seconds = time.perf_counter() - start
    print(json.dumps({
        "seconds": seconds,
        "torch_threads": torch_threads,
        "pretrain_epochs": int(model.pretrain_epochs_),
        "epochs": int(model.epochs_),
        "n_iter": int(model.n_iter_),
        "batch_size": int(model.batch_size_),
    }))


def _fit_in_fresh_process(threads, quick):
    command = [sys.executable, __file__, "--worker"]
    if threads is not None:
        command += ["--worker-threads", str(threads)]
    if quick:
        command.append("--quick")
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def _start_load(n_processes):
    context = mp.get_context("spawn")
    processes = [context.Process(target=_busy, daemon=True) for _ in range(n_processes)]
    for process in processes:
        process.start()
    time.sleep(1.0)  # let them reach the loop
    return processes


def _stop_load(processes):
    for process in processes:
        process.terminate()
    for process in processes:
        process.join()


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], epilog="Results: " + str(RESULTS / "threads_cpu.json")
    )
    parser.add_argument(
        "--threads", type=int, nargs="+", default=None,
        help="torch thread counts to time (default: 1 and os.cpu_count(), torch's default)",
    )
    parser.add_argument("--repeats", type=int, default=2, help="fits per setting (median)")
    parser.add_argument(
        "--load", choices=["idle", "busy", "both"], default="both",
        help="as found, with a busy loop per core in the background, or both",
    )
    parser.add_argument(
        "--quick", action="store_true",
        help=f"train {QUICK['pretrain_epochs']} + {QUICK['epochs']} epochs instead of the "
        "estimator's defaults",
    )
    parser.add_argument("--output", type=Path, default=RESULTS / "threads_cpu.json")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--worker-threads", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        _worker(args.worker_threads, args.quick)
        return

    import torch

    n_cpus = os.cpu_count()
    counts = args.threads or sorted({1, n_cpus})
    loads = ["idle", "busy"] if args.load == "both" else [args.load]
    record = {
        "machine": {
            "cpu_model": _cpu_model(), "cpu_count": n_cpus, "platform": platform.platform(),
        },
        "torch": torch.__version__,
        "torch_default_threads": torch.get_num_threads(),
        "command": " ".join(
            ["python benchmarks/threads.py", *(sys.argv[1:] if argv is None else argv)]
        ),
        "configuration": (
            f"DECClustering(n_clusters=10, random_state=0"
            + ("".join(f", {k}={v}" for k, v in QUICK.items()) if args.quick else "")
            + ") on load_digits, MinMaxScaler, float32"
        ),
        "loadavg_at_start": os.getloadavg(),
        "repeats": args.repeats,
        "runs": [],
        "summary": [],
    }
    print(f"{record['machine']['cpu_model']}, {n_cpus} CPUs; load average at start "
          f"{record['loadavg_at_start'][0]:.2f}; {record['configuration']}", flush=True)
    for load in loads:
        background = _start_load(n_cpus) if load == "busy" else []
        try:
            for repeat in range(args.repeats):
                # Alternate the order so that a drift in the machine's load hits both.
                order = counts if repeat % 2 == 0 else counts[::-1]
                for threads in order:
                    loadavg = os.getloadavg()
                    # torch's default is left alone rather than set to the same number.
                    run = _fit_in_fresh_process(None if threads == n_cpus else threads, args.quick)
                    run.update(load=load, threads=threads, repeat=repeat, loadavg_before=loadavg)
                    record["runs"].append(run)
                    print(f"  {load:<5} threads={threads:<3} repeat {repeat}: "
                          f"{run['seconds']:7.1f} s (load average {loadavg[0]:.2f})", flush=True)
        finally:
            _stop_load(background)
        for threads in counts:
            seconds = [r["seconds"] for r in record["runs"]
                       if r["load"] == load and r["threads"] == threads]
            record["summary"].append({
                "load": load, "threads": threads, "median_seconds": statistics.median(seconds),
                "seconds": seconds,
            })
    for row in record["summary"]:
        one = next(
            (r for r in record["summary"] if r["load"] == row["load"] and r["threads"] == 1), None
        )
        row["relative_to_one_thread"] = (
            row["median_seconds"] / one["median_seconds"] if one else None
        )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(record, indent=1) + "\n")

    print(f"\n{'load':<6} {'threads':>7} {'median s':>9} {'x 1 thread':>10}  runs")
    for row in record["summary"]:
        runs = ", ".join(f"{s:.1f}" for s in row["seconds"])
        relative = row["relative_to_one_thread"]
        relative = "" if relative is None else f"{relative:.2f}"
        print(f"{row['load']:<6} {row['threads']:>7} {row['median_seconds']:>9.1f} "
              f"{relative:>10}  {runs}")
    print(f"\nwritten to {args.output}")


if __name__ == "__main__":
    main()
