"""
==================================================
Looking inside a deep clustering of MNIST
==================================================

The plots of :mod:`skdeepcluster.plotting` on a fitted
:class:`~skdeepcluster.IDECClustering` of 6,000 MNIST digits: the most
confident images of each cluster, the embedding in two dimensions, the
training curves of both phases, and the contingency table of digits and
clusters in their Hungarian-matched order (its diagonal sums to the
clustering accuracy).

:func:`~skdeepcluster.datasets.load_mnist` reads MNIST from scikit-learn's
data folder, downloading it the first time (11 MB); pass ``path=`` for a
local ``.npz`` or folder of IDX files.  A smaller network and a subset keep
the example to about a minute on a laptop CPU; the full recipe is in
``benchmarks/bench_mnist.py``.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.cluster import KMeans

from skdeepcluster import IDECClustering
from skdeepcluster.datasets import load_mnist
from skdeepcluster.metrics import clustering_accuracy
from skdeepcluster.plotting import (
    plot_cluster_montage,
    plot_contingency,
    plot_embedding,
    plot_training_history,
)

X, y = load_mnist(return_X_y=True)
subset = np.random.RandomState(0).permutation(len(X))[:6000]
X, y = X[subset], y[subset]

idec = IDECClustering(
    10, hidden_dims=(256, 256, 512), pretrain_epochs=30, epochs=20, update_interval=20,
    random_state=0,
).fit(X)
kmeans = KMeans(10, n_init=10, random_state=0).fit(X)
print(f"k-means on pixels: ACC {clustering_accuracy(y, kmeans.labels_):.3f}")
print(f"IDEC:              ACC {clustering_accuracy(y, idec.labels_):.3f}")

# %%
# The most confident images per cluster (row label: cluster and its size).
plot_cluster_montage(idec, X, n_images=10, image_shape=(28, 28))

# %%
# Embedding (coloured by the true digit), training curves and the matched
# contingency table.
fig, axes = plt.subplots(1, 3, figsize=(16, 4.5))
plot_embedding(idec, X[:2000], y=y[:2000], ax=axes[0])
plot_training_history(idec, ax=axes[1])
plot_contingency(y, idec.labels_, ax=axes[2])
fig.tight_layout()
plt.show()
