"""Plots of a fitted deep clusterer: embeddings, training curves, image montages, matched contingency.

Needs matplotlib (``pip install skdeepcluster[plot]``).  Every function draws
into the Axes (or Figure) it is given, or a new one, and returns it, so the
plots compose with the rest of a matplotlib figure and run headless.
"""

import numpy as np
from sklearn.utils.validation import check_is_fitted, column_or_1d

from .metrics import matched_contingency

__all__ = [
    "plot_embedding",
    "plot_training_history",
    "plot_cluster_montage",
    "plot_contingency",
]


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "skdeepcluster.plotting needs matplotlib: pip install 'skdeepcluster[plot]'"
        ) from exc
    return plt


def _axes(ax):
    if ax is not None:
        return ax
    _, ax = _pyplot().subplots()
    return ax


def plot_embedding(estimator, X, y=None, *, method="pca", ax=None, random_state=0, **scatter_kwargs):
    """Scatter the embeddings of ``X`` in two dimensions, coloured by cluster.

    Parameters
    ----------
    estimator : fitted deep clustering estimator
        Provides ``transform`` (the embedding) and ``predict``.
    X : array-like of shape (n_samples, ...)
        Samples to embed.
    y : array-like of shape (n_samples,), default=None
        Colours; the predicted clusters when not given.
    method : {"pca", "tsne"}, default="pca"
        How embeddings of more than two dimensions are brought down to two
        (:class:`~sklearn.decomposition.PCA` or :class:`~sklearn.manifold.TSNE`).
    ax : matplotlib Axes, default=None
        Where to draw; a new figure when not given.
    random_state : int, default=0
        Seed of t-SNE.
    **scatter_kwargs
        Passed to :meth:`matplotlib.axes.Axes.scatter`.

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import make_blobs
    >>> from skdeepcluster import DECClustering
    >>> from skdeepcluster.plotting import plot_embedding
    >>> X, _ = make_blobs(60, centers=3, random_state=0)
    >>> dec = DECClustering(3, hidden_dims=(8,), embedding_dim=3, pretrain_epochs=2,
    ...                     epochs=2, n_init=1, random_state=0).fit(X)
    >>> plot_embedding(dec, X).get_xlabel()
    'PCA 1'
    """
    if method not in ("pca", "tsne"):
        raise ValueError(f"method must be 'pca' or 'tsne'; got {method!r}.")
    check_is_fitted(estimator)
    embedding = np.asarray(estimator.transform(X), dtype=np.float64)
    colours = estimator.predict(X) if y is None else column_or_1d(y, dtype=None)
    if len(colours) != len(embedding):
        raise ValueError(f"y has {len(colours)} entries but X has {len(embedding)} samples.")
    if embedding.shape[1] == 1:
        points, labels = np.column_stack([embedding[:, 0], np.zeros(len(embedding))]), ("z 1", "")
    elif embedding.shape[1] == 2:
        points, labels = embedding, ("z 1", "z 2")
    elif method == "pca":
        from sklearn.decomposition import PCA

        points, labels = PCA(2).fit_transform(embedding), ("PCA 1", "PCA 2")
    else:
        from sklearn.manifold import TSNE

        perplexity = min(30.0, max(1.0, (len(embedding) - 1) / 3))
        points = TSNE(2, perplexity=perplexity, random_state=random_state).fit_transform(embedding)
        labels = ("t-SNE 1", "t-SNE 2")
    ax = _axes(ax)
    _, codes = np.unique(colours, return_inverse=True)
    scatter_kwargs = {"s": 8, "cmap": "tab10" if codes.max() < 10 else "tab20", **scatter_kwargs}
    ax.scatter(points[:, 0], points[:, 1], c=codes, **scatter_kwargs)
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    ax.set_title(f"{type(estimator).__name__} embedding")
    return ax


def plot_training_history(estimator, *, keys=None, ax=None):
    """Training curves: the per-epoch losses of pretraining and clustering, and the label-change rate.

    Parameters
    ----------
    estimator : fitted deep clustering estimator
        Its ``pretrain_history_`` (if any) and ``history_`` are read.
    keys : list of str, default=None
        History columns to draw; by default every numeric per-epoch entry
        whose name ends in ``loss`` (loss terms included) and ``delta_label``.
    ax : matplotlib Axes, default=None
        Where to draw; a new figure when not given.

    Returns
    -------
    ax : matplotlib Axes
        The label-change rate, when drawn, is on a twin axis (``ax.right_ax``).
    """
    check_is_fitted(estimator)
    ax = _axes(ax)
    phases = []
    pretrain = getattr(estimator, "pretrain_history_", None)
    if pretrain is not None and len(pretrain):
        phases.append(("pretraining", pretrain))
    phases.append(("clustering", estimator.history_))
    offset = 0
    drawn = []
    right = None
    for phase, history in phases:
        epochs = [row["epoch"] + offset for row in history]
        columns = keys
        if columns is None:
            columns = sorted(
                {k for row in history for k, v in row.items()
                 if (k.endswith("loss") or k == "delta_label") and isinstance(v, (int, float))}
            )
        for key in columns:
            points = [(e, row[key]) for e, row in zip(epochs, history) if key in row]
            if not points:
                continue
            xs, ys = zip(*points)
            if key == "delta_label":
                if right is None:
                    right = ax.twinx()
                    right.set_ylabel("fraction of labels changed")
                right.plot(xs, ys, "k--", marker=".", label=f"{phase}: {key}")
            else:
                ax.plot(xs, ys, marker=".", label=f"{phase}: {key}")
            drawn.append(key)
        if phase == "pretraining" and len(phases) > 1:
            ax.axvline(offset + len(history) + 0.5, color="grey", lw=0.8)
        offset += len(history)
    if not drawn:
        raise ValueError(f"none of the keys {keys} is in the history.")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    handles, labels = ax.get_legend_handles_labels()
    if right is not None:
        more = right.get_legend_handles_labels()
        handles, labels = handles + more[0], labels + more[1]
    ax.legend(handles, labels, fontsize="small")
    ax.right_ax = right
    return ax


def plot_cluster_montage(estimator, X, *, n_images=8, image_shape=None, fig=None, cmap="gray"):
    """The most confident images of each cluster, one row per cluster.

    Parameters
    ----------
    estimator : fitted deep clustering estimator
        Its ``predict_proba`` ranks the samples of each cluster.
    X : array-like of shape (n_samples, C, H, W) or (n_samples, n_features)
        Images, or flat images with ``image_shape``.
    n_images : int, default=8
        Images per cluster (fewer when a cluster has fewer samples).
    image_shape : tuple of int, default=None
        ``(H, W)`` or ``(C, H, W)`` of flat input; the estimator's
        ``input_shape_`` when not given.
    fig : matplotlib Figure, default=None
        Where to draw; a new figure when not given.
    cmap : str, default="gray"
        Colour map of one-channel images.

    Returns
    -------
    fig : matplotlib Figure
    """
    check_is_fitted(estimator)
    if n_images < 1:
        raise ValueError(f"n_images must be >= 1; got {n_images}.")
    proba = estimator.predict_proba(X)
    images = np.asarray(X)
    shape = image_shape if image_shape is not None else getattr(estimator, "input_shape_", None)
    if images.ndim == 2:
        if shape is None:
            side = int(round(np.sqrt(images.shape[1])))
            if side * side != images.shape[1]:
                raise ValueError("flat input that is not square needs image_shape=(H, W).")
            shape = (side, side)
        images = images.reshape(len(images), *shape)
    if images.ndim == 4:  # (n, C, H, W) -> (n, H, W, C), one channel squeezed
        images = np.moveaxis(images, 1, -1)
        if images.shape[-1] == 1:
            images = images[..., 0]
    labels = proba.argmax(axis=1)
    n_clusters = proba.shape[1]
    plt = _pyplot()
    fig = fig if fig is not None else plt.figure(figsize=(n_images, n_clusters))
    axes = fig.subplots(n_clusters, n_images, squeeze=False)
    for k in range(n_clusters):
        members = np.flatnonzero(labels == k)
        best = members[np.argsort(-proba[members, k])][:n_images]
        for j in range(n_images):
            ax = axes[k, j]
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_visible(False)
            if j < len(best):
                ax.imshow(images[best[j]], cmap=cmap if images.ndim == 3 else None)
            if j == 0:
                ax.set_ylabel(f"{k} ({len(members)})", rotation=0, ha="right", va="center")
    fig.suptitle("most confident samples per cluster")
    return fig


def plot_contingency(y_true, y_pred, *, normalize=False, ax=None, cmap="Blues"):
    """Contingency table of classes and clusters, clusters reordered by the Hungarian matching.

    Column ``j`` is the cluster matched to class ``j`` (unmatched clusters come
    last), so a good clustering shows a heavy diagonal whose sum is the
    clustering accuracy.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Classes.
    y_pred : array-like of shape (n_samples,)
        Clusters.
    normalize : bool, default=False
        Show fractions of each class (rows sum to one) instead of counts.
    ax : matplotlib Axes, default=None
        Where to draw; a new figure when not given.
    cmap : str, default="Blues"
        Colour map.

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skdeepcluster.plotting import plot_contingency
    >>> ax = plot_contingency([0, 0, 1, 1], [1, 1, 0, 0])
    >>> [t.get_text() for t in ax.get_xticklabels()]
    ['1', '0']
    """
    y_true = column_or_1d(y_true, dtype=None)
    y_pred = column_or_1d(y_pred, dtype=None)
    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true has {len(y_true)} entries but y_pred has {len(y_pred)}.")
    classes = np.unique(y_true)
    counts, clusters = matched_contingency(y_true, y_pred)
    table = counts.astype(np.float64)
    if normalize:
        table = table / table.sum(axis=1, keepdims=True)
    ax = _axes(ax)
    image = ax.imshow(table, cmap=cmap, aspect="auto")
    ax.figure.colorbar(image, ax=ax)
    ax.set_xticks(range(len(clusters)), [str(c) for c in clusters])
    ax.set_yticks(range(len(classes)), [str(c) for c in classes])
    ax.set_xlabel("cluster (matched order)")
    ax.set_ylabel("class")
    if table.size <= 400:
        threshold = table.max() / 2
        for i in range(table.shape[0]):
            for j in range(table.shape[1]):
                text = f"{table[i, j]:.2f}" if normalize else f"{int(table[i, j])}"
                ax.text(j, i, text, ha="center", va="center", fontsize="small",
                        color="white" if table[i, j] > threshold else "black")
    return ax
