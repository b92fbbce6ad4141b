"""DDC on an MNIST subset: ACC/NMI of every run after every epoch, time-bounded.

    OMP_NUM_THREADS=1 python benchmarks/research/ddc_epoch_curve.py --n-samples 3000 \\
        --n-init 2 --epochs 40 --budget 420 --tag base

Records per epoch: mean training loss (summed over runs), each run's ACC/NMI
(argmax, BatchNorm in inference mode, on the training subset), and the
wall-clock time; stops after the epoch that passes ``--budget`` seconds.  At
the end: the lowest-loss run (DDC) and the vote of the three best (DDC-VOTE)
when n_init >= 3, and k-means on the same subset.  Writes a JSON file to
benchmarks/results/.
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from skorch.callbacks import Callback

from skdeepcluster.ddc import DDCClustering
from skdeepcluster.engine import evaluation_mode, map_in_chunks
from skdeepcluster.metrics import clustering_accuracy
from sklearn.metrics import normalized_mutual_info_score

ROOT = Path(__file__).resolve().parent.parent  # benchmarks/
sys.path.insert(0, str(ROOT))
from bench_mnist import DEFAULT_PATH, _load  # noqa: E402

ROWS = []  # module level: the estimator trains on a copy of the callback


class Curve(Callback):
    def __init__(self, X, y, budget, every=1):
        self.X, self.y, self.budget, self.every = X, y, budget, every

    def on_train_begin(self, net, **kw):
        self.t0 = time.perf_counter()

    def on_epoch_end(self, net, **kw):
        epoch = len(net.history)
        elapsed = time.perf_counter() - self.t0
        row = {"epoch": epoch, "seconds": elapsed, "train_loss": net.history[-1, "train_loss"]}
        if epoch % self.every == 0:
            with evaluation_mode(net.module_) as module:
                labels = map_in_chunks(
                    lambda x: module(x)["assignments"].argmax(-1), self.X, net.device,
                    batch_size=1000,
                ).T
            row["acc"] = [float(clustering_accuracy(self.y, l)) for l in labels]
            row["nmi"] = [float(normalized_mutual_info_score(self.y, l)) for l in labels]
            row["n_used"] = [int(len(np.unique(l))) for l in labels]
        ROWS.append(row)
        print(json.dumps(row), flush=True)
        if elapsed > self.budget:
            net.stop_requested_ = True  # stop before the next epoch's first batch


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--path", default=str(DEFAULT_PATH))
    p.add_argument("--n-samples", type=int, default=3000)
    p.add_argument("--n-init", type=int, default=2)
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--budget", type=float, default=420)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--batch-size", type=int, default=100)
    p.add_argument("--sigma-fraction", type=float, default=0.15)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--kmeans", action="store_true")
    p.add_argument("--tag", default="")
    a = p.parse_args()
    torch.set_num_threads(1)
    X, y = _load(a.path, a.n_samples)
    out = {"args": vars(a)}
    if a.kmeans:
        from sklearn.cluster import KMeans
        t = time.perf_counter()
        km = KMeans(10, n_init=10, random_state=a.seed).fit_predict(X)
        out["kmeans"] = {"acc": float(clustering_accuracy(y, km)),
                         "nmi": float(normalized_mutual_info_score(y, km)),
                         "seconds": time.perf_counter() - t}
        print("kmeans", out["kmeans"], flush=True)
    curve = Curve(torch.from_numpy(X), y, a.budget)
    est = DDCClustering(10, network="conv", input_shape=(1, 28, 28), n_init=a.n_init,
                        voting=a.n_init >= 3, epochs=a.epochs, lr=a.lr,
                        batch_size=a.batch_size, sigma_fraction=a.sigma_fraction, random_state=a.seed, device="cpu",
                        callbacks=[curve])
    t = time.perf_counter()
    est.fit(X)
    seconds = time.perf_counter() - t
    best = est.predict_runs(X)[:, 0]
    out["curve"] = ROWS
    out["epochs_run"] = len(est.history_)
    out["seconds"] = seconds
    out["run_losses"] = est.run_losses_.tolist()
    out["kept_runs"] = est.kept_runs_.tolist()
    out["ddc"] = {"acc": float(clustering_accuracy(y, best)),
                  "nmi": float(normalized_mutual_info_score(y, best))}
    if est.voting:
        out["ddc_vote"] = {"acc": float(clustering_accuracy(y, est.labels_)),
                           "nmi": float(normalized_mutual_info_score(y, est.labels_))}
    print(json.dumps({k: v for k, v in out.items() if k != "curve"}), flush=True)
    path = ROOT / "results" / f"ddc_mnist_curve_n{a.n_samples}_r{a.n_init}_{a.tag}.json"
    path.write_text(json.dumps(out, indent=1))
    print("wrote", path)


if __name__ == "__main__":
    main()
