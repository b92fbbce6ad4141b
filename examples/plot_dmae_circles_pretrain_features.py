"""
======================================================================
DMAE on a circle inside a ring: pretraining on random Fourier features
======================================================================

A small circle inside a ring is not separable by any partition into convex
cells, so k-means on the points splits the ring in halves, and so does a
dissimilarity mixture on the embedding of an autoencoder pretrained on
reconstruction: that embedding is a smooth, almost invertible map of the
plane.  The DMAE authors' code pretrains differently for such data: the
encoder first learns to map each point to its random Fourier features
(:class:`~sklearn.kernel_approximation.RBFSampler`, an approximate RBF
kernel map, in which the circle and the ring are far apart), then the
decoder learns to reconstruct the points from that embedding.
:class:`~skdeepcluster.DMAEClustering` takes that pretraining as
``pretrain_features``; the end-to-end phase then trains the mixture with the
Mahalanobis dissimilarity.  The decision regions of each model are drawn.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.cluster import KMeans
from sklearn.datasets import make_circles
from sklearn.kernel_approximation import RBFSampler

from skdeepcluster import DMAEClustering
from skdeepcluster.metrics import clustering_accuracy

X, y = make_circles(600, noise=0.1, factor=0.1, random_state=0)
deep = dict(hidden_dims=(128, 128), embedding_dim=64, dissimilarity="mahalanobis", alpha=50.0,
            clustering_weight=32.0, reconstruction_weight=0.5, lr=1e-5, batch_size=32,
            pretrain_epochs=50, epochs=20, random_state=0)
models = {
    "k-means": KMeans(2, n_init=10, random_state=0),
    "DMAE, reconstruction pretraining": DMAEClustering(2, **deep),
    "DMAE, pretrain_features=RBFSampler": DMAEClustering(
        2, pretrain_features=RBFSampler(gamma=10, n_components=64), **deep
    ),
}

lo, hi = X.min(axis=0) - 0.2, X.max(axis=0) + 0.2
xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], 120), np.linspace(lo[1], hi[1], 120))
grid = np.column_stack([xx.ravel(), yy.ravel()])
fig, axes = plt.subplots(1, 3, figsize=(13, 4.5))
for ax, (name, model) in zip(axes, models.items()):
    labels = model.fit_predict(X)
    regions = model.predict(grid).reshape(xx.shape)
    ax.contourf(xx, yy, regions, alpha=0.25, cmap="coolwarm", levels=[-0.5, 0.5, 1.5])
    ax.scatter(X[:, 0], X[:, 1], c=labels, s=6, cmap="coolwarm")
    ax.set_title(f"{name}\nACC {clustering_accuracy(y, labels):.3f}", fontsize="medium")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_aspect("equal")
fig.tight_layout()
plt.show()
