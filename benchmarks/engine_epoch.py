"""Seconds per autoencoder epoch: a plain PyTorch loop against our engine.

Pretraining the ``784-500-500-2000-10`` autoencoder on MNIST with Adam, data
already on the device: a plain eager loop, our skorch engine eagerly, and our
engine replaying a CUDA graph per step (CUDA only).  With ``--precisions``
the engine's rows are repeated for each ``precision`` (``"bf16"``: bfloat16
autocast of the forward pass; ``"tf32"``: TF32 matmuls on CUDA).  Loss curves
are printed so that the results can be compared alongside the times.

    python benchmarks/engine_epoch.py --epochs 3 --batch-sizes 256 1024
    python benchmarks/engine_epoch.py --n-samples 10000 --epochs 3 --precisions float32 bf16 \\
        --threads 1                                             # CPU

``--out FILE`` also writes the printed lines, after a ``machine:`` line, to
``FILE`` (``benchmarks/results/engine_epoch_h100.txt`` is such a file, without
the machine line); ``benchmarks/report.py`` reads it for the docs.
"""

import argparse
import platform
import time

import torch

from bench_mnist import DEFAULT_PATH, _load
from skdeepcluster.engine import PRECISIONS, DeepClusteringNet, resolve_device
from skdeepcluster.losses import ReconstructionLoss, reconstruction_loss
from skdeepcluster.networks import MLPAutoencoder


def _sync(device):
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def plain_loop(X, batch_size, epochs, device):
    torch.manual_seed(0)
    model = MLPAutoencoder(X.shape[1]).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    gen = torch.Generator(device=X.device).manual_seed(0)
    times, losses = [], []
    for _ in range(epochs):
        _sync(device)
        start = time.perf_counter()
        total = 0.0
        for idx in torch.randperm(len(X), generator=gen, device=X.device).split(batch_size):
            xb = X[idx]
            loss = reconstruction_loss(xb, model(xb)["reconstruction"])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        _sync(device)
        times.append(time.perf_counter() - start)
        losses.append(total / len(X))
    return times, losses


def engine(X, batch_size, epochs, device, cuda_graph, precision="float32"):
    torch.manual_seed(0)
    extra = {"optimizer__capturable": True} if torch.device(device).type == "cuda" else {}
    net = DeepClusteringNet(
        MLPAutoencoder(X.shape[1]),
        ReconstructionLoss(),
        cuda_graph=cuda_graph,
        optimizer=torch.optim.Adam,
        lr=1e-3,
        max_epochs=epochs,
        batch_size=batch_size,
        train_split=None,
        device=device,
        iterator_train__seed=0,
        verbose=0,
        precision=precision,
        **extra,
    )
    net.fit(X, None)
    return list(net.history[:, "dur"]), list(net.history[:, "train_loss"])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", default=str(DEFAULT_PATH))
    parser.add_argument("--n-samples", type=int)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-sizes", nargs="+", type=int, default=[256])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--precisions", nargs="+", default=["float32"],
                        choices=PRECISIONS, help="of the engine's rows")
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's)")
    parser.add_argument("--out", help="also write the results, as printed, to this file")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    X_np, _ = _load(args.path, args.n_samples)
    X = torch.tensor(X_np, device=device)
    lines = []

    def emit(line):
        print(line, flush=True)
        lines.append(line)

    if device.startswith("cuda"):
        where = f"{torch.cuda.get_device_name(device)}, {platform.machine()}"
    else:
        where = f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} torch threads"
    lines.append(f"machine: {where}, torch {torch.__version__}")
    emit(f"{len(X)} samples on {device}; seconds per epoch (median), loss per epoch")
    for batch_size in args.batch_sizes:
        runs = {"plain PyTorch loop": plain_loop(X, batch_size, args.epochs, device)}
        for precision in args.precisions:
            suffix = "" if precision == "float32" else f", {precision}"
            runs["engine, eager" + suffix] = engine(
                X, batch_size, args.epochs, device, cuda_graph=False, precision=precision
            )
            if device.startswith("cuda"):
                runs["engine, CUDA graph" + suffix] = engine(
                    X, batch_size, args.epochs, device, cuda_graph=True, precision=precision
                )
        for name, (times, losses) in runs.items():
            median = sorted(times)[len(times) // 2]
            emit(
                f"batch {batch_size:>5} {name:<26} {median * 1000:>8.0f} ms/epoch  "
                + " ".join(f"{v:.5f}" for v in losses)
            )
    if args.out:
        with open(args.out, "w") as f:
            f.write("\n".join(lines) + "\n")
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
