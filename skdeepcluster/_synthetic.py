"""The synthetic sets of the DMAE paper (Lara and González), in the style of
:func:`sklearn.datasets.make_moons`; importable from :mod:`skdeepcluster.datasets`.
"""

import numpy as np
from sklearn.utils import check_random_state

__all__ = ["make_pinwheel", "make_toroidal_blobs"]


def _samples_per_group(n_samples, n_groups):
    """Split ``n_samples`` evenly over ``n_groups``, the first groups taking the remainder."""
    counts = np.full(n_groups, n_samples // n_groups, dtype=np.int64)
    counts[: n_samples % n_groups] += 1
    return counts


def _check_count(value, name, minimum):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer; got {value!r}.")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}; got {value}.")
    return int(value)


def _check_nonnegative(value, name):
    if not np.isscalar(value) or not np.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0; got {value!r}.")
    return float(value)


def make_pinwheel(
    n_samples=1000,
    *,
    n_arms=5,
    radial_std=0.3,
    tangential_std=0.05,
    rate=0.25,
    shuffle=True,
    random_state=None,
):
    """Generate the pinwheel: curved arms spiralling out of the origin.

    Each arm is a normal distribution stretched along the radius
    (``radial_std``), narrow across it (``tangential_std``), centred at
    radius 1, then rotated by an angle that grows exponentially with the
    radius (``rate``), which bends it into an arc.  The data set of Johnson et
    al. (2016, "Composing graphical models with neural networks"), used in the
    DMAE paper's Table 2 with 5 arms and 1000 samples: no two clusters have the
    same covariance, and their elongated, curved shapes defeat k-means and
    Gaussian mixtures at the arms' tips.

    Parameters
    ----------
    n_samples : int, default=1000
        Total number of points, split evenly over the arms.
    n_arms : int, default=5
        Number of arms (clusters).
    radial_std : float, default=0.3
        Standard deviation along the radius (the arm's length).
    tangential_std : float, default=0.05
        Standard deviation across the arm (its width).
    rate : float, default=0.25
        How strongly the arms bend; 0 gives straight rays.
    shuffle : bool, default=True
        Shuffle the samples; otherwise they come arm by arm.
    random_state : int, RandomState instance or None, default=None
        Seeds the generator.

    Returns
    -------
    X : ndarray of shape (n_samples, 2)
        The points.
    y : ndarray of shape (n_samples,)
        The arm of each point, in ``0 .. n_arms - 1``.

    See Also
    --------
    make_toroidal_blobs : Blobs on a torus, the other synthetic set of DMAE.
    sklearn.datasets.make_moons : Two interleaving half circles.

    Examples
    --------
    >>> from skdeepcluster.datasets import make_pinwheel
    >>> X, y = make_pinwheel(n_samples=100, random_state=0)
    >>> X.shape, y.shape
    ((100, 2), (100,))
    >>> import numpy as np
    >>> np.bincount(y)
    array([20, 20, 20, 20, 20])
    """
    n_samples = _check_count(n_samples, "n_samples", 1)
    n_arms = _check_count(n_arms, "n_arms", 1)
    radial_std = _check_nonnegative(radial_std, "radial_std")
    tangential_std = _check_nonnegative(tangential_std, "tangential_std")
    rate = _check_nonnegative(rate, "rate")
    generator = check_random_state(random_state)

    y = np.repeat(np.arange(n_arms), _samples_per_group(n_samples, n_arms))
    # Along-radius and across-radius coordinates of each point before bending.
    features = generator.standard_normal((n_samples, 2)) * np.array([radial_std, tangential_std])
    features[:, 0] += 1.0
    angles = 2 * np.pi * y / n_arms + rate * np.exp(features[:, 0])
    cos, sin = np.cos(angles), np.sin(angles)
    X = np.column_stack(
        [features[:, 0] * cos - features[:, 1] * sin, features[:, 0] * sin + features[:, 1] * cos]
    )
    if shuffle:
        order = generator.permutation(n_samples)
        X, y = X[order], y[order]
    return X, y


def make_toroidal_blobs(
    n_samples=1000,
    *,
    centers=None,
    cluster_std=0.08,
    period=1.0,
    shuffle=True,
    random_state=None,
):
    """Generate Gaussian blobs on a torus: a periodic box whose opposite sides meet.

    Each point is drawn from an isotropic normal distribution around its
    centre and wrapped into ``[0, period)`` along every axis, so a blob that
    crosses a side of the box comes back in on the opposite side.  The default
    places 4 blobs on a corner and on the middles of the sides, as the DMAE
    paper's Table 2: each blob is cut into two or four pieces in the box, which
    defeats any clusterer that ignores the periodicity (k-means, Gaussian
    mixtures) and suits the ``"toroidal"`` dissimilarity of
    :class:`~skdeepcluster.DMMClustering`.

    Parameters
    ----------
    n_samples : int, default=1000
        Total number of points, split evenly over the blobs.
    centers : int or array-like of shape (n_centers, n_features), default=None
        Centres of the blobs, or how many to draw uniformly in the 2-D box.
        None means the four centres ``(0, 0)``, ``(0, period/2)``,
        ``(period/2, 0)`` and ``(period/2, period/2)``.
    cluster_std : float, default=0.08
        Standard deviation of each blob, in the units of ``period``.
    period : float, default=1.0
        Side of the periodic box.
    shuffle : bool, default=True
        Shuffle the samples; otherwise they come blob by blob.
    random_state : int, RandomState instance or None, default=None
        Seeds the generator.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
        The points, in ``[0, period)``.
    y : ndarray of shape (n_samples,)
        The blob of each point.

    See Also
    --------
    make_pinwheel : Curved arms, the other synthetic set of DMAE.
    sklearn.datasets.make_blobs : Gaussian blobs in an unbounded space.

    Examples
    --------
    >>> from skdeepcluster.datasets import make_toroidal_blobs
    >>> X, y = make_toroidal_blobs(n_samples=100, random_state=0)
    >>> X.shape, int(y.max()) + 1
    ((100, 2), 4)
    >>> bool(X.min() >= 0.0 and X.max() < 1.0)
    True
    """
    n_samples = _check_count(n_samples, "n_samples", 1)
    cluster_std = _check_nonnegative(cluster_std, "cluster_std")
    period = _check_nonnegative(period, "period")
    if period == 0:
        raise ValueError("period must be > 0.")
    generator = check_random_state(random_state)
    if centers is None:
        half = period / 2
        centers = np.array([[0.0, 0.0], [0.0, half], [half, 0.0], [half, half]])
    elif isinstance(centers, (int, np.integer)) and not isinstance(centers, bool):
        centers = generator.uniform(0, period, size=(_check_count(centers, "centers", 1), 2))
    else:
        centers = np.asarray(centers, dtype=np.float64)
        if centers.ndim != 2 or len(centers) == 0 or not np.all(np.isfinite(centers)):
            raise ValueError(
                "centers must be an int or a finite array of shape (n_centers, n_features); "
                f"got shape {centers.shape}."
            )

    y = np.repeat(np.arange(len(centers)), _samples_per_group(n_samples, len(centers)))
    X = centers[y] + cluster_std * generator.standard_normal((n_samples, centers.shape[1]))
    # np.mod can round a tiny negative value up to period itself; fold it back to 0.
    X = np.mod(X, period)
    X[X >= period] = 0.0
    if shuffle:
        order = generator.permutation(n_samples)
        X, y = X[order], y[order]
    return X, y
