"""Peak memory of a fit on a memory-mapped file larger than the fit's own memory.

Writes ``--n-samples`` x ``--n-features`` float32 Gaussian blobs (10 centres;
2 GB at the defaults) to a ``.npy`` file, then fits DEC on it opened with
``numpy.load(..., mmap_mode="r")`` in a fresh process and records the peak
resident memory (``VmHWM``), against a fresh process that fits the same model
on 10,000 rows in memory (the memory of Python, torch and the model alone)::

    python benchmarks/out_of_core.py
    python benchmarks/out_of_core.py --n-samples 200000 --dir /tmp --keep
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
MODEL = ("DECClustering(n_clusters=10, hidden_dims=(256,), embedding_dim=10, pretrain_epochs=1, "
         "epochs=1, batch_size=1024, n_init=1, device='cpu', random_state=0)")

FIT = """
import json, sys, time
import numpy as np
from skdeepcluster import DECClustering
from skdeepcluster.metrics import clustering_accuracy
path, n_rows = sys.argv[1], int(sys.argv[2])
X = np.load(path, mmap_mode="r")
y = np.load(path.replace(".npy", "_labels.npy"))
if n_rows:
    X, y = np.array(X[:n_rows]), y[:n_rows]  # in memory
start = time.perf_counter()
model = {model}.fit(X)
labels = model.predict(X)
seconds = time.perf_counter() - start
status = dict(line.split(":", 1) for line in open("/proc/self/status"))
print(json.dumps({{"seconds": seconds, "acc": clustering_accuracy(y, labels),
                  "peak_mb": int(status["VmHWM"].split()[0]) / 1024}}))
"""


def write_blobs(path, n_samples, n_features, seed=0, chunk=50_000):
    """Gaussian blobs written chunk by chunk: the file is never whole in memory."""
    import numpy as np

    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=3.0, size=(10, n_features)).astype(np.float32)
    X = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32,
                                  shape=(n_samples, n_features))
    labels = np.empty(n_samples, dtype=np.int64)
    for start in range(0, n_samples, chunk):
        stop = min(start + chunk, n_samples)
        labels[start:stop] = rng.integers(10, size=stop - start)
        X[start:stop] = centres[labels[start:stop]] + rng.normal(
            size=(stop - start, n_features)).astype(np.float32)
    X.flush()
    del X
    np.save(str(path).replace(".npy", "_labels.npy"), labels)


def fit(path, n_rows):
    code = FIT.format(model=MODEL)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, "-c", code, str(path), str(n_rows)],
                         capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n-samples", type=int, default=1_000_000)
    parser.add_argument("--n-features", type=int, default=512)
    parser.add_argument("--dir", type=Path, default=None, help="where the file goes")
    parser.add_argument("--keep", action="store_true", help="keep the file")
    parser.add_argument("--output", type=Path, default=RESULTS / "out_of_core_cpu.json")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        path = Path(tmp if not args.keep else (args.dir or Path("."))) / "blobs.npy"
        start = time.perf_counter()
        write_blobs(path, args.n_samples, args.n_features)
        print(f"wrote {path} ({path.stat().st_size / 2**20:.0f} MB) in "
              f"{time.perf_counter() - start:.0f} s", flush=True)
        baseline = fit(path, 10_000)
        mapped = fit(path, 0)
    data_mb = args.n_samples * args.n_features * 4 / 2**20
    result = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, no GPU",
        "command": f"python benchmarks/out_of_core.py --n-samples {args.n_samples} "
                   f"--n-features {args.n_features}",
        "model": MODEL,
        "data_mb": data_mb,
        "in_memory_10000": baseline,
        "memmap": mapped,
        "peak_above_baseline_mb": mapped["peak_mb"] - baseline["peak_mb"],
    }
    print(f"data {data_mb:.0f} MB; peak memory: 10,000 rows in memory "
          f"{baseline['peak_mb']:.0f} MB, the whole file memory-mapped "
          f"{mapped['peak_mb']:.0f} MB ({result['peak_above_baseline_mb']:.0f} MB more); "
          f"fit + predict {mapped['seconds']:.0f} s, ACC {mapped['acc']:.3f}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
