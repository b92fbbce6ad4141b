"""
=====================================================
Dissimilarity mixtures: decision regions on shapes
=====================================================

The dissimilarity mixture of the DMAE paper clusters with any dissimilarity
between a sample and a cluster's parameters.  On the paper's pinwheel, arms
are elongated Gaussian clouds, so a Mahalanobis dissimilarity (one learned
precision matrix per cluster) separates them; on blobs that wrap around the
edges of a periodic box (a torus), the toroidal dissimilarity measures
distance around the box.  :class:`~skdeepcluster.DMMClustering` fits the
mixture directly on the 2-D points (no network), and its decision regions are
drawn next to k-means'.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.cluster import KMeans

from skdeepcluster import DMMClustering
from skdeepcluster.datasets import make_pinwheel, make_toroidal_blobs
from skdeepcluster.metrics import clustering_accuracy

datasets = {
    "pinwheel (Mahalanobis)": (
        make_pinwheel(600, random_state=0),
        dict(dissimilarity="mahalanobis"),
    ),
    "toroidal blobs (toroidal)": (
        make_toroidal_blobs(600, random_state=0),
        dict(dissimilarity="toroidal", dissimilarity_params={"period": 1.0}),
    ),
}

fig, axes = plt.subplots(2, 2, figsize=(9, 9))
for row, (name, ((X, y), params)) in zip(axes, datasets.items()):
    n_clusters = len(np.unique(y))
    models = {
        "k-means": KMeans(n_clusters, n_init=10, random_state=0),
        "DMM": DMMClustering(n_clusters, random_state=0, **params),
    }
    lo, hi = X.min(axis=0) - 0.1, X.max(axis=0) + 0.1
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], 150), np.linspace(lo[1], hi[1], 150))
    grid = np.column_stack([xx.ravel(), yy.ravel()])
    for ax, (label, model) in zip(row, models.items()):
        labels = model.fit_predict(X)
        regions = model.predict(grid).reshape(xx.shape)
        ax.contourf(xx, yy, regions, alpha=0.25, cmap="tab10", levels=np.arange(n_clusters + 1) - 0.5)
        ax.scatter(X[:, 0], X[:, 1], c=labels, s=6, cmap="tab10", vmin=0, vmax=9)
        ax.set_title(f"{name}\n{label}: ACC {clustering_accuracy(y, labels):.3f}")
        ax.set_xticks([])
        ax.set_yticks([])
fig.tight_layout()
plt.show()
