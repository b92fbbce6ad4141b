"""The contract of a component: settings only, as a scikit-learn parameter object."""

from sklearn.base import BaseEstimator, clone

__all__ = ["Component", "seeded_clone"]


def seeded_clone(estimator, seed):
    """A clone of a scikit-learn ``estimator`` whose unset ``random_state`` becomes ``seed``.

    Keeps a transformer or clusterer that the user left unseeded reproducible
    under the deep clusterer's own ``random_state``.
    """
    estimator = clone(estimator)
    if estimator.get_params().get("random_state", 0) is None:
        estimator.set_params(random_state=seed)
    return estimator


class Component(BaseEstimator):
    """Base of the components of :class:`~skdeepcluster.DeepClustering`.

    A component stores its arguments and nothing else (``get_params`` /
    ``set_params``, so that :func:`~sklearn.base.clone` copies it and
    ``GridSearchCV`` reaches ``clustering_loss__alpha``).  Whatever it builds
    at fit (modules, centres, callbacks) goes into the network, never back
    onto the component.
    """
