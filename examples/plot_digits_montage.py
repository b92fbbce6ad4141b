"""
==================================================
Looking inside a deep clustering of digit images
==================================================

The plots of :mod:`skdeepcluster.plotting` on a fitted
:class:`~skdeepcluster.IDECClustering` of scikit-learn's 8x8 digits: the
most confident images of each cluster, the embedding in two dimensions, the
training curves of both phases, and the contingency table of digits and
clusters in their Hungarian-matched order (its diagonal sums to the
clustering accuracy).  MNIST works the same way with
:func:`~skdeepcluster.datasets.load_mnist`; the digits keep the example fast.
"""

# %%
import matplotlib.pyplot as plt
from sklearn.datasets import load_digits

from skdeepcluster import IDECClustering
from skdeepcluster.plotting import (
    plot_cluster_montage,
    plot_contingency,
    plot_embedding,
    plot_training_history,
)

X, y = load_digits(return_X_y=True)
X = X / 16.0  # pixels in [0, 1]
idec = IDECClustering(
    10, hidden_dims=(256, 128), embedding_dim=10, pretrain_epochs=40, epochs=20,
    update_interval=20, random_state=0,
).fit(X)

# %%
# The most confident images per cluster (row label: cluster and its size).
plot_cluster_montage(idec, X, n_images=8, image_shape=(8, 8))

# %%
# Embedding, training curves and the matched contingency table.
fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
plot_embedding(idec, X, y=y, ax=axes[0])
plot_training_history(idec, ax=axes[1])
plot_contingency(y, idec.labels_, ax=axes[2])
fig.tight_layout()
plt.show()
