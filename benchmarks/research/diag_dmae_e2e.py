"""Diagnose DMAE's end-to-end phase on an MNIST subset: accuracy per epoch, variants.

Pretrains the autoencoder once per (seed, augmentation) and caches its weights,
so that many end-to-end variants start from the very same network and the very
same k-means initialisation (the same as ``bench_dmae_mnist.py``'s run with
that seed).  Each variant is a set of ``DMAEClustering`` parameters; every
epoch records ACC / NMI of the current assignments, the cluster sizes, the
mean largest assignment, the spread of the embedding and how far the centres
are from the means of their members (relative to the mean distance between
centres); the start and the end record the norm of the gradient each loss
term sends to the encoder (unweighted).  Keys for diagnosis only, not
estimator parameters: ``mixture_lr`` (a learning rate of the mixture's own),
``balanced`` (DMM loss weighted by 1 / cluster size in the batch), ``oracle``
(start from the class means of the embedding), ``recentre`` (centres set to
their members' means after every epoch), ``clean_target`` (DEC-DA's idea for
DMAE's clustering term: each, possibly augmented, embedding is pulled to the
centre its clean image is assigned to, the clean assignments refreshed at the
start of every epoch; use with ``augment_clustering=True``).

    python benchmarks/research/diag_dmae_e2e.py --seed 0 --set default: \
        --set mean:center_update=\"mean\" --set dmm_only:reconstruction_weight=0.0 \
        --out /tmp/diag.json --threads 1

Results of issue 5: ``results/dmae_mnist_10000_cpu_e2e_diagnosis_seed0.json``.
"""

import argparse
import ast
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bench_mnist
from bench_mnist import DEFAULT_PATH, _load  # noqa: E402


def _parse_set(text):
    name, _, rest = text.partition(":")
    params = {}
    for item in filter(None, rest.split(",")):
        key, _, value = item.partition("=")
        try:
            params[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            params[key] = value
    return name, params


def _cached_estimator_class(cache):
    from skdeepcluster.dmae import DMAEClustering

    from skdeepcluster.dmae import DMAELoss
    from skdeepcluster.losses import reconstruction_loss

    class BalancedLoss(DMAELoss):
        """Each cluster's samples weigh 1 / (K * their soft count in the batch)."""

        def forward(self, outputs, X, indices):
            s = outputs["assignments"].detach()
            weights = (s / s.sum(0).clamp_min(1.0)).sum(1) / s.shape[1]
            loss = self.clustering_weight * (weights * self.per_sample(outputs)).sum()
            if self.reconstruction_weight > 0:
                loss = loss + self.reconstruction_weight * reconstruction_loss(
                    X, outputs["reconstruction"])
            if self.embedding_reconstruction_weight > 0:
                loss = loss + self.embedding_reconstruction_weight * reconstruction_loss(
                    X, outputs["embedding_reconstruction"])
            return loss

    class CleanTargetLoss(DMAELoss):
        """DMM term ``d(z_i, theta_{c_i})``, ``c_i`` the clean image's cluster.

        The clean assignments and the centres are put in ``__dict__["clean"]`` (not
        as module attributes: ``centers`` would register as a parameter) by
        :func:`_clean_targets`; without them the term is DMAE's own.
        """

        def per_sample(self, outputs):
            clean, indices = self.__dict__.get("clean"), self.__dict__.get("indices")
            if clean is None or indices is None:
                return super().per_sample(outputs)
            labels, centers = clean
            return self.dissimilarity(outputs["embedding"], centers[labels[indices]])

        def forward(self, outputs, X, indices):
            self.__dict__["indices"] = indices
            try:
                return super().forward(outputs, X, indices)
            finally:
                del self.__dict__["indices"]

    class Cached(DMAEClustering):
        mixture_lr = None  # a learning rate of the mixture's own, for diagnosis
        balanced = False
        clean_target = False

        oracle_labels = None  # start from the class means of the embedding (diagnosis only)

        def _init_mixture(self, Z, seed):
            mixture = super()._init_mixture(Z, seed)
            if self.oracle_labels is not None:
                Z = np.asarray(Z, dtype=np.float64)
                means = np.stack([Z[self.oracle_labels == k].mean(0)
                                  for k in range(self.n_clusters)])
                with torch.no_grad():
                    mixture.centers.copy_(torch.as_tensor(means, dtype=torch.float32))
            return mixture

        def _criterion(self, *args, **kwargs):
            criterion = super()._criterion(*args, **kwargs)
            if self.balanced:
                criterion.__class__ = BalancedLoss
            if self.clean_target:
                criterion.__class__ = CleanTargetLoss
            return criterion

        def _make_net(self, module, criterion, **kwargs):
            if self.mixture_lr is not None and hasattr(module, "mixture"):
                kwargs["optimizer__param_groups"] = [("mixture.*", {"lr": self.mixture_lr})]
            return super()._make_net(module, criterion, **kwargs)

        def _pretrain(self, autoencoder, X_train, seed):
            if cache.exists():
                autoencoder.load_state_dict(torch.load(cache))
                return autoencoder.to(self.device_), None
            autoencoder, history = super()._pretrain(autoencoder, X_train, seed)
            torch.save(autoencoder.state_dict(), cache)
            return autoencoder, history

    return Cached


def _encode_and_assign(net, data):
    """Embeddings and soft assignments of all of ``data``, in evaluation mode, without gradients."""
    from skdeepcluster.engine import evaluation_mode, map_in_chunks

    with evaluation_mode(net.module_) as module, torch.no_grad():
        z = map_in_chunks(module.encode, data, net.device, to_numpy=False)
        return z, module.assign(z)


def _recorder(X, y, record, recentre=False):
    from skorch.callbacks import Callback
    from sklearn.metrics import normalized_mutual_info_score

    from skdeepcluster.metrics import clustering_accuracy

    data = torch.as_tensor(X.reshape(len(X), -1), dtype=torch.float32)

    class Recorder(Callback):
        def _score(self, net, tag):
            module = net.module_
            z, s = _encode_and_assign(net, data)
            labels = s.argmax(1).numpy()
            centers = module.centers.detach()
            means = torch.stack([z[labels == k].mean(0) if (labels == k).any() else centers[k]
                                 for k in range(len(centers))])
            spacing = torch.cdist(centers, centers).sum() / (len(centers) * (len(centers) - 1))
            offset = float((centers - means).norm(dim=1).mean() / spacing)
            row = {
                "epoch": tag,
                "acc": float(clustering_accuracy(y, labels)),
                "nmi": float(normalized_mutual_info_score(y, labels)),
                "max_s": float(s.max(1).values.mean()),
                "spread": float(z.std(0).mean()),
                "centre_offset": offset,
                "sizes": np.bincount(labels, minlength=s.shape[1]).tolist(),
            }
            if len(net.history):
                row["loss"] = float(net.history[-1, "train_loss"])
            record.append(row)
            print(f"  {tag:>4} acc {row['acc']:.4f} nmi {row['nmi']:.4f} max_s {row['max_s']:.3f} "
                  f"spread {row['spread']:.3f} centre offset {offset:.3f}", flush=True)

        def on_train_begin(self, net, **kwargs):
            self._score(net, 0)
            record[-1]["encoder_gradients"] = _encoder_gradients(net, X)
            print(f"  encoder gradient norms at the start: {record[-1]['encoder_gradients']}")

        def on_epoch_end(self, net, **kwargs):
            if recentre:
                # Move each centre to the mean of its members (a k-means step), diagnosis only.
                module = net.module_
                z, s = _encode_and_assign(net, data)
                labels = s.argmax(1)
                with torch.no_grad():
                    for k in range(len(module.centers)):
                        if (labels == k).any():
                            module.centers[k] = z[labels == k].mean(0)
            self._score(net, len(net.history))

    return Recorder()


def _clean_targets(X):
    """Callback: at each epoch's start, the clean images' clusters for ``CleanTargetLoss``."""
    from skorch.callbacks import Callback

    data = torch.as_tensor(X.reshape(len(X), -1), dtype=torch.float32)

    class CleanTargets(Callback):
        def on_epoch_begin(self, net, **kwargs):
            _, s = _encode_and_assign(net, data)
            net.criterion_.__dict__["clean"] = (s.argmax(1), net.module_.centers)

    return CleanTargets()


def _encoder_gradients(net, X, batch_size=256, n_batches=8):
    """Norm of the encoder gradient of each loss term, over a few training batches."""
    from skdeepcluster.losses import reconstruction_loss

    module, criterion = net.module_, net.criterion_
    encoder = module.autoencoder.encoder
    data = torch.as_tensor(X.reshape(len(X), -1), dtype=torch.float32)
    rng = np.random.RandomState(0)
    norms = {}
    for _ in range(n_batches):
        x = data[rng.choice(len(data), batch_size, replace=False)]
        out = module(x)
        terms = {"dmm": criterion.per_sample(out).mean()}
        if "reconstruction" in out:
            terms["rec_centre"] = reconstruction_loss(x, out["reconstruction"])
        if "embedding_reconstruction" in out:
            terms["rec_embedding"] = reconstruction_loss(x, out["embedding_reconstruction"])
        for name, value in terms.items():
            parameters = [p for p in encoder.parameters() if p.requires_grad]
            if not parameters or not value.requires_grad:
                continue
            grads = torch.autograd.grad(value, parameters, allow_unused=True,
                                        retain_graph=True)
            norm = float(torch.sqrt(sum((g ** 2).sum() for g in grads if g is not None)))
            norms.setdefault(name, []).append(norm)
    return {k: float(np.mean(v)) for k, v in norms.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", default=str(DEFAULT_PATH))
    parser.add_argument("--n-samples", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--augment", action="store_true")
    parser.add_argument("--rotation", type=float, default=None,
                        help="augment_rotation, in degrees (default: the estimator's)")
    parser.add_argument("--shift", type=float, default=None,
                        help="augment_shift, a fraction of the size (default: the estimator's)")
    parser.add_argument("--pretrain-epochs", type=int, default=40)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--set", action="append", default=[], metavar="NAME:key=value,...",
                        help="a variant: DMAEClustering parameters overriding the defaults")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--cache", default="/tmp/dmae_diag_cache")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)

    torch.set_num_threads(args.threads)
    ranges = {k: v for k, v in (("rotation", args.rotation), ("shift", args.shift)) if v is not None}
    tag = "_aug" + "".join(f"_{k}{v:g}" for k, v in ranges.items()) if args.augment else ""
    X, y = _load(args.path, args.n_samples)
    cache_dir = Path(args.cache)
    cache_dir.mkdir(parents=True, exist_ok=True)
    cache = cache_dir / (f"ae_{args.n_samples}_s{args.seed}_p{args.pretrain_epochs}"
                         f"{tag}.pt")
    Estimator = _cached_estimator_class(cache)
    out = Path(args.out)
    results = json.loads(out.read_text()) if out.exists() else {}
    for text in args.set:
        name, params = _parse_set(text)
        print(f"== {name} {params} (seed {args.seed}, augment {args.augment})", flush=True)
        record = []
        common = dict(pretrain_epochs=args.pretrain_epochs, epochs=args.epochs,
                      random_state=args.seed, device="cpu")
        if args.augment:
            common.update(augment=True, input_shape=(1, 28, 28),
                          **{"augment_" + k: v for k, v in ranges.items()})
        params = dict(params)
        recentre = params.pop("recentre", False)
        extra = {k: params.pop(k) for k in ("mixture_lr", "balanced", "clean_target")
                 if k in params}
        if params.pop("oracle", False):
            extra["oracle_labels"] = y
        callbacks = [("recorder", _recorder(X, y, record, recentre))]
        if extra.get("clean_target"):
            callbacks.append(("clean_targets", _clean_targets(X)))
        est = Estimator(10, **{**common, **params}, callbacks=callbacks)
        for k, v in extra.items():
            setattr(est, k, v)
        params.update({k: v for k, v in extra.items() if k != "oracle_labels"})
        if recentre:
            params["recentre"] = True
        if "oracle_labels" in extra:
            params["oracle"] = True
        start = time.perf_counter()
        est.fit(X)
        seconds = time.perf_counter() - start
        gradients = _encoder_gradients(est.net_, X)
        print(f"  encoder gradient norms at the end: {gradients}; {seconds:.0f} s", flush=True)
        results[f"{name}_s{args.seed}{tag}"] = {
            "params": {k: repr(v) for k, v in params.items()}, "seed": args.seed,
            "augment": args.augment, "augment_ranges": ranges, "n_samples": args.n_samples,
            "pretrain_epochs": args.pretrain_epochs, "epochs": args.epochs,
            "seconds": seconds, "encoder_gradients": gradients, "curve": record,
        }
        out.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
