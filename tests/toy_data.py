"""Small data sets shared by the test modules."""

from sklearn.datasets import make_blobs
from sklearn.preprocessing import StandardScaler


def standardized_blobs(n_samples=150, random_state=0):
    """Three well-separated, standardised 2-D Gaussian blobs and their labels."""
    X, y = make_blobs(n_samples=n_samples, centers=3, cluster_std=0.5, random_state=random_state)
    return StandardScaler().fit_transform(X), y
