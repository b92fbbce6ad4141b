"""
=========================================
Choosing IDEC's gamma with GridSearchCV
=========================================

:class:`~skdeepcluster.IDECClustering` minimises
``L = L_rec + gamma * KL(P || Q)``: ``gamma`` weighs the clustering loss
against the reconstruction error that keeps the embedding faithful to the
data.  Being a scikit-learn estimator, it is tuned like any other, here with
:class:`~sklearn.model_selection.GridSearchCV` and the clustering scorers of
:data:`~skdeepcluster.metrics.CLUSTERING_SCORERS` (ACC, NMI and ARI against
the true digits).

The deep-clustering papers evaluate a clustering on the data it was fitted
on.  A single split whose training and test sets are both the whole data set,
``cv=[(everything, everything)]``, reproduces that protocol; ordinary
cross-validation (``cv=3``) would instead score each candidate on held-out
samples through ``predict``.
"""

# %%
# The search
# ----------
#
# The estimator sits in a pipeline behind a
# :class:`~sklearn.preprocessing.MinMaxScaler`, so its parameters are reached
# as ``idecclustering__<name>``.  The network is kept small for a quick run.

import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from skdeepcluster import IDECClustering
from skdeepcluster.metrics import CLUSTERING_SCORERS

X, y = load_digits(return_X_y=True)

idec = make_pipeline(
    MinMaxScaler(),
    IDECClustering(
        n_clusters=10,
        hidden_dims=(256, 128),
        embedding_dim=10,
        pretrain_epochs=100,
        epochs=30,
        update_interval=14,
        batch_size=128,
        device="cpu",
        random_state=0,
    ),
)

gammas = [0.01, 0.1, 1.0]
everything = np.arange(len(X))
search = GridSearchCV(
    idec,
    param_grid={"idecclustering__gamma": gammas},
    scoring=CLUSTERING_SCORERS,
    refit="accuracy",
    cv=[(everything, everything)],
)

start = time.perf_counter()
search.fit(X, y)  # y is used only by the scorers
print(f"{len(gammas)} candidates and the refit in {time.perf_counter() - start:.1f} s")

# %%
# The results
# -----------
#
# ``cv_results_`` holds one ``mean_test_<name>`` column per scorer.  With the
# same ``random_state`` every candidate starts from the same pretrained
# autoencoder and the same centroids, so the differences come from ``gamma``
# alone.

metrics = list(CLUSTERING_SCORERS)
results = search.cv_results_
print(f"{'gamma':>6s}  " + "  ".join(f"{m:>8s}" for m in metrics) + "  fit time (s)")
for i, gamma in enumerate(results["param_idecclustering__gamma"]):
    scores = "  ".join(f"{results[f'mean_test_{m}'][i]:8.3f}" for m in metrics)
    print(f"{gamma:6g}  {scores}  {results['mean_fit_time'][i]:12.1f}")

print(f"best gamma by accuracy: {search.best_params_['idecclustering__gamma']}")
print(f"best accuracy: {search.best_score_:.3f}")

# %%
# ``refit="accuracy"`` refitted the best candidate on all the data:
# ``search.best_estimator_`` is a fitted pipeline, and ``search.predict``
# clusters new samples with it.

labels = search.predict(X)
print("cluster sizes:", np.bincount(labels, minlength=10))

# %%
# A bar per metric and value of ``gamma``:

fig, ax = plt.subplots(figsize=(7, 4))
width = 0.8 / len(metrics)
positions = np.arange(len(gammas))
for j, metric in enumerate(metrics):
    ax.bar(
        positions + (j - (len(metrics) - 1) / 2) * width,
        results[f"mean_test_{metric}"],
        width,
        label=metric,
    )
ax.set_xticks(positions, [f"gamma={g:g}" for g in gammas])
ax.set_ylim(0, 1.15)
ax.set_ylabel("score on the fitted data")
ax.set_title("IDEC on the digits: clustering scores by gamma")
ax.legend(loc="upper center", ncols=len(metrics))
fig.tight_layout()
plt.show()
