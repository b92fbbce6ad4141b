"""
=====================================================
VaDE: generating new digits, cluster by cluster
=====================================================

:class:`~skdeepcluster.VaDEClustering` is a variational autoencoder whose
prior is a Gaussian mixture: a cluster ``c`` draws a latent
``z ~ N(mu_c, lam_c)`` and the decoder maps it to an image.  Having learnt
that model, it clusters (``predict``: the most responsible component at the
encoder's mean) and it also draws new samples of each cluster
(``sample(n, cluster=c)``).

The 8x8 digits are scaled to [0, 1], so ``likelihood="auto"`` takes the
paper's Bernoulli likelihood (a sigmoid decoder).  A short schedule keeps the
example fast; the defaults train longer.  Each row below holds new images
drawn from one cluster, beside the digit most of its training images are.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.metrics import normalized_mutual_info_score
from sklearn.preprocessing import MinMaxScaler

from skdeepcluster import VaDEClustering
from skdeepcluster.metrics import clustering_accuracy

X, y = load_digits(return_X_y=True)
X = MinMaxScaler().fit_transform(X)

vade = VaDEClustering(10, pretrain_epochs=60, epochs=60, random_state=0).fit(X)
print(f"ACC {clustering_accuracy(y, vade.labels_):.3f}, "
      f"NMI {normalized_mutual_info_score(y, vade.labels_):.3f}")

# %%
# Eight new images per cluster, drawn from the fitted mixture prior and decoded.
n_per_cluster = 8
fig, axes = plt.subplots(10, n_per_cluster, figsize=(n_per_cluster * 0.9, 10 * 0.95))
for cluster, row in enumerate(axes):
    images, _ = vade.sample(n_per_cluster, cluster=cluster, random_state=cluster)
    members = y[vade.labels_ == cluster]
    majority = np.bincount(members, minlength=10).argmax() if len(members) else "-"
    for ax, image in zip(row, images):
        ax.imshow(image.reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
    row[0].set_ylabel(f"c{cluster}: {majority}", rotation=0, labelpad=22, va="center")
fig.suptitle("VaDE samples per cluster (label: the cluster's majority digit)")
fig.tight_layout()
plt.show()
