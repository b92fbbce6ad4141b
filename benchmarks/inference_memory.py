"""Peak memory of predict / transform / predict_proba on a million samples.

Inference runs in chunks of 4096 samples, so the memory it adds to the
input's should be the outputs plus a constant, whatever the number of
samples.  This script fits DEC (the ``784-500-500-2000-10`` network) on a few
thousand random samples, then calls each inference method on
``n_samples x 784`` float32 data and samples the process's resident memory
(host) every 5 ms, and the CUDA allocator's peak (device).  It prints the
memory added above the input for each call next to the size of the call's
output.

    python benchmarks/inference_memory.py                      # 10^6 x 784, auto device
    python benchmarks/inference_memory.py --n-samples 200000 --device cpu
"""

import argparse
import json
import os
import platform
import threading
import time
from pathlib import Path

import numpy as np

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


class PeakRSS:
    """Sample the resident set size in a background thread."""

    def __init__(self, interval=0.005):
        self.interval = interval

    def __enter__(self):
        self.peak = rss_bytes()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_bytes())
            time.sleep(self.interval)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_bytes())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=1_000_000)
    parser.add_argument("--n-features", type=int, default=784)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent / "results"))
    args = parser.parse_args(argv)

    import torch

    from skdeepcluster import DECClustering

    rng = np.random.RandomState(0)
    fit_X = rng.rand(2000, args.n_features).astype(np.float32)
    est = DECClustering(
        10, pretrain_epochs=1, epochs=1, n_init=1, device=args.device, random_state=0
    ).fit(fit_X)
    device = est.device_
    X = rng.rand(args.n_samples, args.n_features).astype(np.float32)
    input_mb = X.nbytes / 2**20
    print(
        f"inference on {args.n_samples} x {args.n_features} float32 ({input_mb:.0f} MB), "
        f"device {device}; {platform.machine()}, {os.cpu_count()} cores"
    )
    print(f"{'method':<14} {'seconds':>8} {'output MB':>10} {'added host MB':>14} {'device peak MB':>15}")
    rows = []
    for method in ["predict", "transform", "predict_proba"]:
        if device.startswith("cuda"):
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
            device_base = torch.cuda.memory_allocated()
        baseline = rss_bytes()
        start = time.perf_counter()
        with PeakRSS() as peak:
            out = getattr(est, method)(X)
        seconds = time.perf_counter() - start
        row = {
            "method": method,
            "seconds": seconds,
            "output_mb": out.nbytes / 2**20,
            "added_host_mb": (peak.peak - baseline) / 2**20,
            "device_peak_mb": (
                (torch.cuda.max_memory_allocated() - device_base) / 2**20
                if device.startswith("cuda")
                else 0.0
            ),
        }
        rows.append(row)
        del out
        print(
            f"{method:<14} {row['seconds']:>8.1f} {row['output_mb']:>10.1f} "
            f"{row['added_host_mb']:>14.0f} {row['device_peak_mb']:>15.0f}",
            flush=True,
        )
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"inference_memory_{args.n_samples}_{device.split(':')[0]}.json"
    meta = {"n_samples": args.n_samples, "n_features": args.n_features, "input_mb": input_mb,
            "device": device, "machine": platform.machine(), "cores": os.cpu_count(),
            "torch": torch.__version__}
    path.write_text(json.dumps({"meta": meta, "rows": rows}, indent=2))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
