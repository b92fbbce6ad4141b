"""DDLS on an MNIST subset: ACC/NMI curve of pretraining and of the clustering phase.

    OMP_NUM_THREADS=1 PYTHONPATH=. python benchmarks/research/ddls_step_curve.py --n 10000 --seed 0 --every 20 \
        --set pretrain_epochs=200 --set epochs=30 --tag steps2000_s0

Pretraining: every ``--every`` epochs, k-means (3 inits) on the normalised
embedding of the training subset: ACC, NMI, mean cosine to the k-means
centroid (``cos``, 1 = every cluster collapsed to a point), training loss.
Clustering phase: after every epoch, ACC/NMI of the assignments to the
estimator's centroids, smallest/largest cluster, the worst centroid pair's
absolute cosine and the mean cosine to the assigned centroid.  Defaults:
hidden_dims (256, 256, 512), batch 1000 (the paper's), k-means n_init 10;
``--set name=value`` overrides an estimator parameter, ``--bn`` uses an MLP
with BatchNorm after every hidden layer (encoder and decoder).  Subset:
RandomState(0).permutation(70000)[:n].  Appends one JSON line per run to
``--out`` (default /tmp/ddls_step_curve.jsonl), with the confusion matrices
(digits x Hungarian-matched clusters) of the start and of the final labels,
and prints the final one.  ``--save-pre FILE`` keeps the pretrained
autoencoder's state, ``--load-pre FILE`` starts the clustering phase from it
(same ``--set network=...``), ``--threads`` sets torch's threads (default 1).
``--init-pre FILE`` starts pretraining from a kept state (``pretrain_epochs``
more, with a fresh optimizer).  ``--embedding-anchors clu`` takes the
clustering phase's stage-I anchor pairs from each batch's kNN graph in the
(detached) embedding, by cosine, instead of in input space (``pre``: the
pretraining's, ``both``): a diagnostic of whether purer anchors change a phase.
"""
import argparse, ast, json, time
import numpy as np, torch
from sklearn.cluster import KMeans
from sklearn.metrics import normalized_mutual_info_score as nmi_score
from skorch.callbacks import Callback
import skdeepcluster.discriminative as D
from skdeepcluster.discriminative import DiscriminativeLatentClustering as DDLS
from skdeepcluster.metrics import clustering_accuracy, matched_contingency
from skdeepcluster.datasets import load_mnist

p = argparse.ArgumentParser()
p.add_argument("--n", type=int, default=10000)
p.add_argument("--seed", type=int, default=0)
p.add_argument("--every", type=int, default=10)
p.add_argument("--set", action="append", default=[])
p.add_argument("--tag", default="run")
p.add_argument("--path", default="/work/shared/data/mnist.npz")
p.add_argument("--out", default="/tmp/ddls_step_curve.jsonl")
p.add_argument("--save-pre", default=None)
p.add_argument("--load-pre", default=None)
p.add_argument("--bn", action="store_true")
p.add_argument("--embedding-anchors", choices=["clu", "pre", "both"], default=None)
p.add_argument("--init-pre", default=None)
p.add_argument("--threads", type=int, default=1)
a = p.parse_args()
torch.set_num_threads(a.threads)
kw = dict(hidden_dims=(256, 256, 512), batch_size=1000, pretrain_epochs=40, epochs=20, n_init=10)
for s in a.set:
    k, _, v = s.partition("=")
    try: kw[k] = ast.literal_eval(v)
    except Exception: kw[k] = v
X, y = load_mnist(path=a.path, return_X_y=True)
idx = np.random.RandomState(0).permutation(len(X))[:a.n]
X, y = X[idx], y[idx]
track = {"pre": [], "clu": []}
T0 = time.perf_counter()

class Track(Callback):
    def __init__(self, phase): self.phase = phase
    def on_epoch_end(self, net, **kw_):
        ep = len(net.history)
        m = net.module_
        if self.phase == "pre":
            if ep % a.every and ep != net.max_epochs: return
            m.eval()
            with torch.no_grad():
                enc = m.encode if hasattr(m, "encode") else m.autoencoder.encode
                Z = torch.cat([enc(torch.as_tensor(X[i:i+4096])) for i in range(0, len(X), 4096)]).numpy().astype(np.float64)
            m.train()
            Z /= np.linalg.norm(Z, axis=1, keepdims=True) + 1e-12
            km = KMeans(10, n_init=3, random_state=0).fit(Z)
            lab = km.labels_
            cos = float((Z * (km.cluster_centers_[lab] / np.linalg.norm(km.cluster_centers_[lab], axis=1, keepdims=True))).sum(1).mean())
            r = dict(ep=ep, acc=round(clustering_accuracy(y, lab), 4), nmi=round(nmi_score(y, lab), 4), cos=round(cos, 3), loss=round(net.history[-1, "train_loss"], 4), t=round(time.perf_counter()-T0, 1))
        else:
            m.eval()
            with torch.no_grad():
                S = torch.cat([m.similarities(m.autoencoder.encode(torch.as_tensor(X[i:i+4096]))) for i in range(0, len(X), 4096)])
            m.train()
            lab = S.argmax(1).numpy()
            sizes = np.bincount(lab, minlength=10)
            C = m.normalized_centers().detach(); cc = (C @ C.T).abs().fill_diagonal_(0).max().item()
            r = dict(ep=ep, stage=net.history[-1].get("stage"), acc=round(clustering_accuracy(y, lab), 4), nmi=round(nmi_score(y, lab), 4), cos=round(S.max(1).values.mean().item(), 3), min=int(sizes.min()), max=int(sizes.max()), worst=round(cc, 3), loss=round(net.history[-1, "train_loss"], 4), t=round(time.perf_counter()-T0, 1))
        track[self.phase].append(r); print(self.phase, r, flush=True)

def embedding_anchors(loss):
    """``loss`` with its kNN anchors found in the embedding, not the input."""
    class EmbeddingAnchors(type(loss)):
        def anchor_pairs(self, X, outputs):
            z = outputs["embedding"].detach()
            return D.knn_anchor_pairs(z, self.n_neighbors, self.anchor_fraction, "cosine")
    loss.__class__ = EmbeddingAnchors
    return loss

class E(DDLS):
    def _make_net(self, module, criterion, **k):
        phase = "pre" if isinstance(criterion, D.DiscriminativePretrainingLoss) else "clu"
        if a.embedding_anchors in (phase, "both"):
            criterion = embedding_anchors(criterion)
        k["callbacks"] = list(k.get("callbacks", ())) + [("track", Track(phase))]
        return super()._make_net(module, criterion, **k)
    def _pretrain(self, ae, Xt, seed):
        if a.load_pre:
            ae.load_state_dict(torch.load(a.load_pre)); return ae, None
        if a.init_pre:
            ae.load_state_dict(torch.load(a.init_pre))
        out = super()._pretrain(ae, Xt, seed)
        if a.save_pre: torch.save(ae.state_dict(), a.save_pre)
        return out

if a.bn:
    from torch import nn
    def mlp(sizes, last_linear=True):
        L = []
        for i in range(len(sizes) - 1):
            L.append(nn.Linear(sizes[i], sizes[i+1]))
            if i < len(sizes) - 2: L += [nn.BatchNorm1d(sizes[i+1]), nn.ReLU()]
        return nn.Sequential(*L)
    h = list(kw.pop("hidden_dims")); d = kw.get("embedding_dim", 10)
    kw["encoder"] = mlp([784] + h + [d]); kw["decoder"] = mlp([d] + h[::-1] + [784])
est = E(10, random_state=a.seed, device="cpu", **kw)
est.fit(X)
res = dict(tag=a.tag, n=a.n, seed=a.seed, params={k: str(v) for k, v in kw.items()},
           acc0=clustering_accuracy(y, est.pretrain_labels_), nmi0=nmi_score(y, est.pretrain_labels_),
           acc=clustering_accuracy(y, est.labels_), nmi=nmi_score(y, est.labels_),
           sec=round(time.perf_counter()-T0, 1), track=track,
           start_confusion=matched_contingency(y, est.pretrain_labels_)[0].tolist(),
           final_confusion=matched_contingency(y, est.labels_)[0].tolist())
print("RESULT", json.dumps({k: v for k, v in res.items() if k not in ("track", "start_confusion", "final_confusion")}), flush=True)
print("final confusion (digits x matched clusters):\n" + "\n".join(" ".join(f"{c:5d}" for c in row) for row in res["final_confusion"]), flush=True)
with open(a.out, "a") as f: f.write(json.dumps(res) + "\n")
