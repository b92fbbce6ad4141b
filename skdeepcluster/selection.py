"""Choosing the number of clusters without labels.

:func:`choose_n_clusters` fits an estimator for each candidate
``n_clusters`` and several seeds, scores each partition with the label-free
scorers of :mod:`skdeepcluster.metrics`, and measures how much the partitions
of different seeds agree (their adjusted Rand index).  An autoencoder that
pretrains on reconstruction does not depend on ``n_clusters``, so one
pretrained network per seed serves every candidate.
"""

import time
from itertools import combinations

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.metrics import adjusted_rand_score, silhouette_score
from sklearn.pipeline import Pipeline
from sklearn.utils import check_random_state

from .compose import AutoencoderNetwork, DeepClustering
from .metrics import get_scorer

__all__ = ["choose_n_clusters", "NClustersScan"]

# Stabilities this close to the highest count as equal when picking n_clusters.
STABILITY_TOLERANCE = 0.02

DEFAULT_SCORING = ("silhouette", "calinski_harabasz", "davies_bouldin", "input_silhouette")


class NClustersScan:
    """Label-free scores of one estimator over a range of ``n_clusters``.

    Returned by :func:`choose_n_clusters`.

    Attributes
    ----------
    n_clusters : ndarray of shape (n_candidates,)
        The candidates, in increasing order.
    scores : dict of str to ndarray of shape (n_candidates, n_seeds)
        Each criterion's score (higher is better) of every fit.
    stability : ndarray of shape (n_candidates,)
        Mean adjusted Rand index between the partitions of ``X`` of every
        pair of seeds (1: the seeds agree); NaN with one seed.
    labels : dict of int to list of ndarray
        The labels of ``X`` of each seed's fit, for each candidate.
    best : dict of str to int
        The ``n_clusters`` of highest mean score of each criterion; for
        ``"stability"``, the largest ``n_clusters`` whose stability is within
        0.02 of the highest (a partition into fewer, merged clusters is often
        as reproducible).
    seconds : float
        Time the scan took.
    """

    def __init__(self, n_clusters, scores, labels, seconds):
        self.n_clusters = np.asarray(n_clusters)
        self.scores = {name: np.asarray(values, dtype=float) for name, values in scores.items()}
        self.labels = labels
        self.seconds = seconds
        self.stability = np.array([_mean_pairwise_ari(labels[k]) for k in self.n_clusters])
        self.best = {
            name: int(self.n_clusters[np.nanargmax(values.mean(axis=1))])
            for name, values in self.scores.items()
        }
        if not np.all(np.isnan(self.stability)):
            # the largest n_clusters as stable as the most stable one (ties favour large k)
            stable = self.stability >= np.nanmax(self.stability) - STABILITY_TOLERANCE
            self.best["stability"] = int(self.n_clusters[np.flatnonzero(stable)[-1]])

    def __repr__(self):
        best = ", ".join(f"{name}={k}" for name, k in self.best.items())
        return f"NClustersScan(n_clusters={self.n_clusters.tolist()}, best: {best})"

    def table(self):
        """The mean score of each criterion and the stability per candidate, as text."""
        names = list(self.scores)
        header = f"{'k':>4} " + " ".join(f"{name:>18}" for name in names) + f" {'stability':>10}"
        lines = [header]
        for i, k in enumerate(self.n_clusters):
            cells = " ".join(f"{self.scores[name][i].mean():>18.4g}" for name in names)
            lines.append(f"{k:>4} {cells} {self.stability[i]:>10.3f}")
        return "\n".join(lines)

    def plot(self, axes=None):
        """One panel per criterion (mean and range over seeds), and the stability.

        Parameters
        ----------
        axes : array of matplotlib Axes, default=None
            As many as criteria plus one; None makes a figure.

        Returns
        -------
        axes : ndarray of matplotlib Axes
        """
        import matplotlib.pyplot as plt

        panels = [*self.scores, "stability"]
        if axes is None:
            _, axes = plt.subplots(1, len(panels), figsize=(3.2 * len(panels), 3),
                                   squeeze=False, constrained_layout=True)
            axes = axes[0]
        axes = np.asarray(axes).ravel()
        for ax, name in zip(axes, panels):
            if name == "stability":
                mean, low, high = self.stability, self.stability, self.stability
            else:
                values = self.scores[name]
                mean, low, high = values.mean(axis=1), values.min(axis=1), values.max(axis=1)
            ax.plot(self.n_clusters, mean, marker="o")
            ax.fill_between(self.n_clusters, low, high, alpha=0.2)
            if name in self.best:
                ax.axvline(self.best[name], color="grey", linestyle="--")
            ax.set_title(name)
            ax.set_xlabel("n_clusters")
        return axes


def _mean_pairwise_ari(partitions):
    pairs = list(combinations(partitions, 2))
    if not pairs:
        return float("nan")
    return float(np.mean([adjusted_rand_score(a, b) for a, b in pairs]))


def _composition(estimator):
    """A DeepClustering equivalent to ``estimator`` (a preset's composition), or None."""
    if hasattr(estimator, "to_deep_clustering"):
        return estimator.to_deep_clustering()
    if isinstance(estimator, DeepClustering):
        return clone(estimator)
    return None


def _pretrained(composition, X, seed):
    """The composition's pretrained autoencoder for ``seed`` and its embedding of ``X``."""
    model = clone(composition).set_params(random_state=seed, verbose=0)
    return model._pretrained_autoencoder(X)


def _silhouette_in(embedding, labels, max_samples=5000):
    """Silhouette of ``labels`` in a fixed ``embedding`` (a sample of large data); -1 if undefined."""
    n_labels = np.unique(labels).size
    if n_labels < 2 or n_labels >= len(labels):
        return -1.0
    return float(silhouette_score(np.asarray(embedding, dtype=np.float64), labels,
                                  sample_size=min(max_samples, len(labels)), random_state=0))


def _from_pretrained(composition, autoencoder):
    """``composition`` starting from ``autoencoder``, with no pretraining of its own."""
    network = composition.network if composition.network is not None else AutoencoderNetwork()
    reused = AutoencoderNetwork(
        encoder=autoencoder.encoder, decoder=autoencoder.decoder,
        input_shape=network.input_shape, weight_init=network.weight_init,
    )
    schedule = clone(composition._composition().schedule).set_params(
        pretrain_epochs=0, min_pretrain_steps=0
    )
    return clone(composition).set_params(network=reused, schedule=schedule)


def _fit_and_score(estimator, X, k, seed, scorers):
    model = clone(estimator).set_params(n_clusters=k, random_state=seed)
    labels = model.fit(X).labels_
    return labels, {name: scorer(model, X) for name, scorer in scorers.items()}


def choose_n_clusters(
    estimator, X, n_clusters=range(2, 16), *, scoring=DEFAULT_SCORING, n_seeds=3,
    reuse_pretraining=True, random_state=0, n_jobs=None, verbose=0,
):
    """Fit ``estimator`` for each candidate ``n_clusters`` and score it without labels.

    For each candidate and each of ``n_seeds`` seeds, a clone of
    ``estimator`` is fitted on ``X`` and scored on ``X`` by every criterion
    of ``scoring``; the partitions of the seeds are compared with the
    adjusted Rand index (their stability).  Read the curves as with
    :class:`~sklearn.cluster.KMeans`: a peak of the silhouette or of the
    Calinski--Harabasz index, or of the Davies--Bouldin index (negated here,
    so higher is better), and a ``n_clusters`` whose partition the seeds
    agree on.  The user guide's :ref:`choosing_k` says which criteria
    picked the true number on which data.

    Parameters
    ----------
    estimator : estimator with ``n_clusters`` and ``random_state``, or a Pipeline
        A preset of this package, a :class:`~skdeepcluster.DeepClustering`,
        or any scikit-learn clusterer with those parameters (such as
        :class:`~sklearn.cluster.KMeans`).  A
        :class:`~sklearn.pipeline.Pipeline` ending in one: its other steps
        (a scaler, say) are fitted once on ``X``, and the scan runs on their
        output, which ``"input_silhouette"`` then measures.
    X : array-like of shape (n_samples, n_features) or (n_samples, C, H, W)
        The data.
    n_clusters : iterable of int, default=range(2, 16)
        The candidates.
    scoring : iterable of str or dict of str to callable, default=("silhouette", \
"calinski_harabasz", "davies_bouldin", "input_silhouette")
        Criteria: names of :data:`~skdeepcluster.metrics.LABEL_FREE_SCORERS`
        (or any name :func:`~skdeepcluster.metrics.get_scorer` knows that
        needs no labels), or a dict of scorers.
    n_seeds : int, default=3
        Fits per candidate, each with its own ``random_state``.
    reuse_pretraining : bool, default=True
        Pretrain one autoencoder per seed and start every candidate's
        clustering phase from it, when the estimator's pretraining does not
        depend on ``n_clusters`` (an autoencoder pretrained on
        reconstruction: DEC, IDEC, DCN, DMAE).  Each fit then gives the
        labels a fit from scratch with that seed gives, for a fraction of the
        time, and one more criterion is scored: ``"pretrained_silhouette"``,
        the silhouette of each candidate's labels in the pretrained
        autoencoder's embedding of ``X``, one space shared by every
        candidate that no clustering phase has shaped.  Other estimators are
        fitted from scratch.
    random_state : int, RandomState instance or None, default=0
        Draws the seeds.
    n_jobs : int, default=None
        Fits run in parallel by joblib (None: one at a time).
    verbose : int, default=0
        1 prints each fit's scores as it ends.

    Returns
    -------
    scan : NClustersScan
        The scores, stability, labels and the best ``n_clusters`` of each
        criterion; ``scan.plot()`` draws the curves.

    Examples
    --------
    >>> from sklearn.cluster import KMeans
    >>> from sklearn.datasets import make_blobs
    >>> from skdeepcluster.selection import choose_n_clusters
    >>> X, _ = make_blobs(300, centers=4, random_state=0)
    >>> scan = choose_n_clusters(KMeans(n_init=3), X, range(2, 7), n_seeds=2,
    ...                          scoring=["input_silhouette"])
    >>> scan.best["input_silhouette"]
    4
    """
    start = time.perf_counter()
    candidates = sorted({int(k) for k in n_clusters})
    if not candidates or candidates[0] < 1:
        raise ValueError(f"n_clusters must hold positive integers; got {list(n_clusters)!r}.")
    if int(n_seeds) < 1:
        raise ValueError(f"n_seeds must be at least 1; got {n_seeds!r}.")
    if isinstance(estimator, Pipeline):  # the preprocessing does not depend on n_clusters
        X = clone(estimator[:-1]).fit_transform(X)
        estimator = estimator[-1]
    scorers = (dict(scoring) if isinstance(scoring, dict)
               else {name: get_scorer(name) for name in scoring})
    seeds = check_random_state(random_state).randint(np.iinfo(np.int32).max, size=int(n_seeds))
    base = {int(seed): estimator for seed in seeds}
    reference = {}  # seed -> the pretrained embedding of X, one space for every candidate
    composition = _composition(estimator)
    if reuse_pretraining and composition is not None and composition._reusable_pretraining():
        for seed in base:
            if verbose:
                print(f"[choose_n_clusters] pretraining the autoencoder for seed {seed}")
            autoencoder, reference[seed] = _pretrained(composition, X, seed)
            base[seed] = _from_pretrained(composition, autoencoder)
    jobs = [(k, int(seed)) for k in candidates for seed in seeds]
    results = Parallel(n_jobs=n_jobs)(
        delayed(_fit_and_score)(base[seed], X, k, seed, scorers) for k, seed in jobs
    )
    names = [*scorers, *(["pretrained_silhouette"] if reference else [])]
    scores = {name: np.zeros((len(candidates), len(seeds))) for name in names}
    labels = {k: [] for k in candidates}
    for (k, seed), (fit_labels, fit_scores) in zip(jobs, results):
        i, j = candidates.index(k), list(seeds).index(seed)
        if reference:
            fit_scores["pretrained_silhouette"] = _silhouette_in(reference[seed], fit_labels)
        for name, value in fit_scores.items():
            scores[name][i, j] = value
        labels[k].append(fit_labels)
        if verbose:
            words = ", ".join(f"{name} {value:.4g}" for name, value in fit_scores.items())
            print(f"[choose_n_clusters] n_clusters={k} seed {seed}: {words}")
    return NClustersScan(candidates, scores, labels, time.perf_counter() - start)
