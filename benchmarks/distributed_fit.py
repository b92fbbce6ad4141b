"""Fit throughput of one process against N processes training one model (torch.distributed).

Writes ``--n-samples`` float32 Gaussian blobs to a ``.npy`` file, then fits
DEC on it (memory-mapped) once in one process and once on ``--processes``
processes launched with ``torchrun`` (``gloo`` on the CPU, one thread each),
and records the seconds of each fit, the samples trained per second and the
accuracy::

    python benchmarks/distributed_fit.py
    python benchmarks/distributed_fit.py --processes 2 --n-samples 20000
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
PRETRAIN_EPOCHS, EPOCHS = 3, 2
MODEL = (f"DECClustering(n_clusters=10, hidden_dims=(256,), embedding_dim=10, "
         f"pretrain_epochs={PRETRAIN_EPOCHS}, epochs={EPOCHS}, batch_size=512, n_init=1, "
         f"device='cpu', random_state=0)")

FIT = f"""
import json, sys, time
import numpy as np
import torch
from skdeepcluster import DECClustering
from skdeepcluster.distributed import world
from skdeepcluster.metrics import clustering_accuracy
torch.set_num_threads(1)
X = np.load(sys.argv[1], mmap_mode="r")
y = np.load(sys.argv[1].replace(".npy", "_labels.npy"))
start = time.perf_counter()
model = {MODEL}.fit(X)
seconds = time.perf_counter() - start
if world()[0] == 0:
    print(json.dumps({{"seconds": seconds, "acc": clustering_accuracy(y, model.labels_),
                      "processes": world()[1]}}))
"""


def run(path, processes):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as script:
        script.write(FIT)
    try:
        launcher = [sys.executable] if processes == 1 else [
            sys.executable, "-m", "torch.distributed.run", "--standalone",
            f"--nproc_per_node={processes}"]
        out = subprocess.run([*launcher, script.name, str(path)], capture_output=True,
                             text=True, env=env, check=True)
    finally:
        os.unlink(script.name)
    return json.loads([line for line in out.stdout.splitlines() if line.startswith("{")][-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--n-samples", type=int, default=60_000)
    parser.add_argument("--n-features", type=int, default=784)
    parser.add_argument("--output", type=Path, default=RESULTS / "distributed_fit_cpu.json")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from out_of_core import write_blobs

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "blobs.npy"
        write_blobs(path, args.n_samples, args.n_features)
        one = run(path, 1)
        several = run(path, args.processes)
    samples = args.n_samples * (PRETRAIN_EPOCHS + EPOCHS)
    for result in (one, several):
        result["samples_per_second"] = samples / result["seconds"]
    result = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, no GPU",
        "command": f"python benchmarks/distributed_fit.py --processes {args.processes} "
                   f"--n-samples {args.n_samples} --n-features {args.n_features}",
        "model": MODEL,
        "load_average_at_start": os.getloadavg(),
        "runs": [one, several],
        "speedup": one["seconds"] / several["seconds"],
    }
    print(f"1 process: {one['seconds']:.1f} s (ACC {one['acc']:.3f}); {args.processes} "
          f"processes: {several['seconds']:.1f} s (ACC {several['acc']:.3f}); "
          f"{result['speedup']:.2f}x")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
