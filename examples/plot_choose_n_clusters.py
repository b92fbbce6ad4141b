"""
===========================================
Choosing ``n_clusters`` without labels
===========================================

Where there are no labels, the number of clusters has to come from the data.
:func:`~skdeepcluster.selection.choose_n_clusters` fits a deep clusterer for a
range of ``n_clusters`` and several seeds, scores every partition with the
label-free scorers of :mod:`skdeepcluster.metrics`, and measures how much the
seeds' partitions agree (their stability).  DEC's autoencoder pretrains on
reconstruction alone, which does not depend on ``n_clusters``: one pretrained
network per seed serves every candidate.

The data are four Gaussian blobs in ten dimensions.
"""

# %%
# The scan
# --------

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_blobs
from sklearn.preprocessing import StandardScaler

from skdeepcluster import DECClustering
from skdeepcluster.selection import choose_n_clusters

X, y = make_blobs(600, n_features=10, centers=4, cluster_std=2.0, random_state=3)
X = StandardScaler().fit_transform(X)

dec = DECClustering(hidden_dims=(32, 32), embedding_dim=4, pretrain_epochs=30, epochs=10,
                    n_init=5)
scan = choose_n_clusters(dec, X, range(2, 8), n_seeds=3, random_state=0)
print(scan.table())
print("picked:", scan.best)

# %%
# Reading the curves
# ------------------
#
# The silhouette, Calinski--Harabasz and Davies--Bouldin indices of DEC's own
# embedding measure each candidate in a space its clustering phase shaped for
# that ``n_clusters`` (DEC pulls every sample to its centroid, so every
# embedding shows tight clusters); here two of the three favour three
# clusters.  The silhouette of the input and of the pretrained autoencoder's
# embedding (one space, before any clustering phase) measure every candidate
# alike and peak at the four blobs, where the seeds also agree best (the
# stability).

axes = scan.plot()
plt.show()
