"""The contract of a component: settings only, as a scikit-learn parameter object."""

from sklearn.base import BaseEstimator

__all__ = ["Component"]


class Component(BaseEstimator):
    """Base of the components of :class:`~skdeepcluster.DeepClustering`.

    A component stores its arguments and nothing else (``get_params`` /
    ``set_params``, so that :func:`~sklearn.base.clone` copies it and
    ``GridSearchCV`` reaches ``clustering_loss__alpha``).  Whatever it builds
    at fit (modules, centres, callbacks) goes into the network, never back
    onto the component.
    """

    def __sklearn_tags__(self):
        return super().__sklearn_tags__()
