"""InfoGAN on MNIST with the paper's recipe, next to k-means and DEC.

The paper trains for 5,000 iterations of batches of 128 on the 55,000
training images (TensorFlow's MNIST split: the first 55,000 of the 60,000
training images here), pixels in [0, 1], and reports 5% error.  This trains
``InfoGANClustering(10)`` at its defaults on those images (as ``(n, 1, 28,
28)`` images: the paper's convolutional networks), stops after
``--iterations`` (default the paper's 5,000), and scores the Hungarian
accuracy, NMI and ARI of ``predict`` on all 70,000 images and on the 10,000
test images.  ``--curve-every N`` also scores the test images every ``N``
iterations.

    python benchmarks/bench_infogan.py                                  # 3 seeds, 5,000 iterations
    OMP_NUM_THREADS=1 python benchmarks/bench_infogan.py --seeds 0 --iterations 1000 \
        --threads 1 --curve-every 250                                   # shorter, on a CPU

A run stopped before its end (a machine too loaded for the schedule) leaves
its test-split curve in its log; ``--from-logs`` writes a results file from
such logs (``"stopped": true``, the last scored iteration as the result):

    python benchmarks/bench_infogan.py --from-logs seed0.log seed1.log --tag _stopped

The k-means and DEC rows come from the project's earlier MNIST-70k results
files.  Prints one row per seed and the mean and standard deviation, and
writes ``benchmarks/results/infogan_mnist_....json``.
"""

import argparse
import json
import math
import platform
import re
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_imsat import (  # noqa: E402
    DEC_FILES,
    KMEANS_FILES,
    RESULTS,
    earlier_rows,
    print_summary,
    _scores,
    write_results,
)
from bench_mnist import DEFAULT_PATH, _load, _machine  # noqa: E402

# TensorFlow's MNIST training split, the paper's: the first 55,000 training images.
N_TRAIN = 55000
# Where the 10,000 test images start in load_mnist's "all".
TEST_START = 60000
PAPER_ITERATIONS = 5000


def iteration_callback(iterations, X_test, y_test, curve_every, record):
    """A skorch callback that stops training after ``iterations`` batches and, every
    ``curve_every`` batches (0: never), scores ``predict`` on the test images."""
    from skorch.callbacks import Callback

    from skdeepcluster.engine import evaluation_mode, map_in_chunks

    class Iterations(Callback):
        def initialize(self):
            self.count_ = 0
            return self

        def on_batch_end(self, net, training=False, **kwargs):
            if not training:
                return
            self.count_ += 1
            if curve_every and self.count_ % curve_every == 0:
                start = time.perf_counter()
                with evaluation_mode(net.module_) as module:
                    labels = map_in_chunks(
                        lambda x: module.assign(module.encode(x)).argmax(1), X_test, net.device
                    )
                record.append({"iteration": self.count_, **_scores(y_test, labels),
                               "scoring_seconds": time.perf_counter() - start})
                print(f"  iteration {self.count_:>5}: test ACC {record[-1]['acc']:.4f} "
                      f"NMI {record[-1]['nmi']:.4f}", flush=True)
            if self.count_ >= iterations:
                net.stop_requested_ = True
                net.stop_reason_ = f"stopped after {iterations} iterations"

    return Iterations()


def run_infogan(X, y, seed, args):
    import torch

    from skdeepcluster import InfoGANClustering

    X_train = X[:N_TRAIN]
    assert TEST_START >= N_TRAIN
    X_test, y_test = X[TEST_START:], y[TEST_START:]
    record = []
    callback = iteration_callback(args.iterations, X_test.reshape(len(X_test), -1), y_test,
                                  args.curve_every, record)
    batches = math.ceil(N_TRAIN / 128)  # the paper's batch size, "auto" on this many images
    est = InfoGANClustering(10, epochs=math.ceil(args.iterations / batches),
                            random_state=seed, device=args.device, callbacks=[callback])
    start = time.perf_counter()
    est.fit(X_train)
    seconds = time.perf_counter() - start
    train_seconds = float(np.sum([row.get("dur", 0.0) for row in est.history_]))
    iterations = int(sum(row.get("train_batch_count", 0) for row in est.history_))
    # predict of the training images is labels_ (the same inference): score the others only
    all_labels = np.concatenate([est.labels_, est.predict(X[N_TRAIN:])])
    row = {
        "method": "infogan", "seed": seed, "n_samples": len(X), "n_train": N_TRAIN,
        **_scores(y, all_labels),
        **{f"test_{k}": v for k, v in _scores(y_test, all_labels[TEST_START:]).items()},
        "train_acc": _scores(y[:N_TRAIN], est.labels_)["acc"],
        "seconds": seconds, "iterations": iterations, "batch_size": est.batch_size_,
        "seconds_per_iteration": train_seconds / iterations,
        "device": est.device_, "threads": torch.get_num_threads(),
        "clusters_found": int(len(np.unique(all_labels))),
        "curve": record,
    }
    return row


def rows_from_log(path):
    """``(machine, row)`` of a run stopped before its end, from its log's curve lines."""
    text = Path(path).read_text()
    header = re.search(r"images\) on (.*); (\d+) iterations", text)
    seed = int(re.search(r"seed(\d+)", Path(path).name).group(1))  # the log's name says it
    curve = [{"iteration": int(i), "acc": float(a), "nmi": float(n)} for i, a, n in re.findall(
        r"iteration +(\d+): test ACC ([\d.]+) NMI ([\d.]+)", text)]
    last = curve[-1]
    row = {"method": "infogan", "seed": seed, "n_train": N_TRAIN, "stopped": True,
           "planned_iterations": int(header.group(2)), "iterations": last["iteration"],
           "test_acc": last["acc"], "test_nmi": last["nmi"], "curve": curve,
           "log": Path(path).name}
    return header.group(1), row


def write_from_logs(paths, tag, out):
    machine, rows = None, []
    for path in map(Path, paths):
        machine, row = rows_from_log(path)
        rows.append(row)
    reference = earlier_rows(KMEANS_FILES, "kmeans") + earlier_rows(DEC_FILES, "dec")
    seeds = "".join(str(row["seed"]) for row in rows)
    stem = f"infogan_mnist_cpu_{rows[0]['iterations']}it_seeds{seeds}{tag}"
    settings = {
        "input": "pixels / 255, images (n, 1, 28, 28)",
        "train": f"the first {N_TRAIN} training images; scored on the 10000 test images",
        "estimator": "InfoGANClustering(10) at its defaults",
        "paper_schedule": "5,000 iterations of batches of 128",
        "stopped": "the runs were stopped before their planned iterations; the result is "
                   "the last test-split score of their logs",
    }
    Path(out).mkdir(parents=True, exist_ok=True)
    (Path(out) / f"{stem}.json").write_text(json.dumps(
        {"machine": machine, "command": "benchmarks/bench_infogan.py --from-logs "
         + " ".join(Path(p).name for p in paths) + (f" --tag {tag}" if tag else ""),
         "settings": settings, "rows": rows, "reference_rows": reference}, indent=1))
    print(f"wrote {Path(out) / stem}.json")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", default=str(DEFAULT_PATH), help="MNIST .npz or IDX folder")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument("--iterations", type=int, default=PAPER_ITERATIONS)
    parser.add_argument("--curve-every", type=int, default=0,
                        help="score the test images every N iterations (0: never)")
    parser.add_argument("--tag", default="", help="suffix of the result file name")
    parser.add_argument("--out", default=str(RESULTS))
    parser.add_argument("--from-logs", nargs="+", help="logs of stopped runs (see above)")
    args = parser.parse_args(argv)
    if args.from_logs:
        return write_from_logs(args.from_logs, args.tag, args.out)

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    X, y = _load(args.path, None)
    X = np.asarray(X, dtype=np.float32).reshape(len(X), 1, 28, 28)
    machine = f"{_machine()}, {torch.get_num_threads()} torch threads, {platform.python_version()}"
    print(f"InfoGAN on MNIST (train {N_TRAIN}, score 70000 and the 10000 test images) on "
          f"{machine}; {args.iterations} iterations", flush=True)

    rows = []
    for seed in args.seeds:
        row = run_infogan(X, y, seed, args)
        rows.append(row)
        print(f"infogan seed {seed}: ACC {row['acc']:.4f} (test {row['test_acc']:.4f}) NMI "
              f"{row['nmi']:.4f} ARI {row['ari']:.4f} {row['seconds']:.0f} s "
              f"({row['seconds_per_iteration']:.3f} s/iteration, {row['iterations']} "
              "iterations)", flush=True)

    reference = earlier_rows(KMEANS_FILES, "kmeans") + earlier_rows(DEC_FILES, "dec")
    print_summary(rows, reference, "infogan")
    print("paper (Chen et al. 2016): about 5% error (ACC 0.95) on MNIST, 5,000 iterations")

    device = rows[-1]["device"].split(":")[0]
    seeds = "".join(str(s) for s in args.seeds)
    stem = f"infogan_mnist_{device}_{args.iterations}it_seeds{seeds}{args.tag}"
    settings = {
        "input": "pixels / 255, images (n, 1, 28, 28)",
        "train": f"the first {N_TRAIN} training images; scored on all 70000 and the 10000 test",
        "estimator": "InfoGANClustering(10) at its defaults, stopped after the iterations",
        "paper_schedule": "5,000 iterations of batches of 128",
        "shortened": args.iterations < PAPER_ITERATIONS,
    }
    write_results(args.out, stem, "benchmarks/bench_infogan.py", argv, machine, settings, rows,
                  reference)


if __name__ == "__main__":
    main()
