"""Dissimilarity functions ``d(z, theta)`` of the dissimilarity mixture (DMAE).

Every function here compares two tensors along their **last axis** and
broadcasts over the leading axes, like ``torch`` arithmetic:

* ``d(z, centers)`` with ``z`` of shape ``(n, 1, d)`` and ``centers`` of
  shape ``(1, K, d)`` gives the ``(n, K)`` matrix of the mixture's soft
  assignments (:func:`pairwise_dissimilarities` builds it);
* ``d(z, assigned)`` with both of shape ``(n, d)`` gives the ``(n,)``
  dissimilarities of each sample to its own assigned parameters, which the
  DMM loss needs.

Per-cluster parameters other than the centre (the precision matrices of
:func:`mahalanobis`) broadcast the same way.  Hyper-parameters
(``p`` of :func:`minkowski`, ``period`` of :func:`toroidal`) are keyword
arguments, given to the estimators through ``dissimilarity_params``.

A user's own dissimilarity is any callable ``d(z, centers)`` that follows the
same convention, returns a non-negative tensor and is differentiable;
:func:`check_dissimilarity` tests a callable on small tensors before training.
"""

import functools
import inspect

import torch
from torch.nn import functional as F

__all__ = [
    "euclidean",
    "sqeuclidean",
    "manhattan",
    "minkowski",
    "chebyshev",
    "cosine",
    "mahalanobis",
    "toroidal",
    "kullback_leibler",
    "itakura_saito",
    "DISSIMILARITIES",
    "get_dissimilarity",
    "check_dissimilarity",
    "pairwise_dissimilarities",
]


def euclidean(z, theta):
    """Euclidean distance ``||z - theta||`` (not squared, as the DMAE reference code).

    Parameters
    ----------
    z, theta : torch.Tensor of broadcastable shapes (..., n_features)
        Samples and cluster parameters, compared along the last axis.

    Returns
    -------
    d : torch.Tensor
        Of the broadcast shape without the last axis.

    Examples
    --------
    >>> import torch
    >>> euclidean(torch.tensor([3.0, 4.0]), torch.zeros(2))
    tensor(5.)
    """
    return torch.linalg.vector_norm(z - theta, dim=-1)


def sqeuclidean(z, theta):
    """Squared Euclidean distance ``||z - theta||^2`` (k-means' dissimilarity).

    Parameters
    ----------
    z, theta : torch.Tensor of broadcastable shapes (..., n_features)
        Samples and cluster parameters, compared along the last axis.

    Returns
    -------
    d : torch.Tensor
        Of the broadcast shape of ``z`` and ``theta`` without the last axis.

    Examples
    --------
    >>> import torch
    >>> sqeuclidean(torch.tensor([3.0, 4.0]), torch.zeros(2))
    tensor(25.)
    """
    return (z - theta).pow(2).sum(dim=-1)


def manhattan(z, theta):
    """Manhattan (city-block) distance ``sum_j |z_j - theta_j|``.

    Parameters
    ----------
    z, theta : torch.Tensor of broadcastable shapes (..., n_features)
        Samples and cluster parameters, compared along the last axis.

    Returns
    -------
    d : torch.Tensor
        Of the broadcast shape of ``z`` and ``theta`` without the last axis.

    Examples
    --------
    >>> import torch
    >>> manhattan(torch.tensor([3.0, -4.0]), torch.zeros(2))
    tensor(7.)
    """
    return (z - theta).abs().sum(dim=-1)


def minkowski(z, theta, p=2.0):
    """Minkowski distance ``(sum_j |z_j - theta_j|^p)^(1/p)``.

    Parameters
    ----------
    z, theta : torch.Tensor of broadcastable shapes (..., n_features)
        Samples and cluster parameters, compared along the last axis.
    p : float, default=2.0
        Order, ``p >= 1`` (a distance only then); ``p=1`` is
        :func:`manhattan`, ``p=2`` :func:`euclidean`.

    Returns
    -------
    d : torch.Tensor
        Of the broadcast shape of ``z`` and ``theta`` without the last axis.

    Examples
    --------
    >>> import torch
    >>> minkowski(torch.tensor([1.0, 1.0]), torch.zeros(2), p=1)
    tensor(2.)
    """
    return torch.linalg.vector_norm(z - theta, ord=p, dim=-1)


def chebyshev(z, theta):
    """Chebyshev distance ``max_j |z_j - theta_j|``.

    Parameters
    ----------
    z, theta : torch.Tensor of broadcastable shapes (..., n_features)
        Samples and cluster parameters, compared along the last axis.

    Returns
    -------
    d : torch.Tensor
        Of the broadcast shape of ``z`` and ``theta`` without the last axis.

    Examples
    --------
    >>> import torch
    >>> chebyshev(torch.tensor([3.0, -4.0]), torch.zeros(2))
    tensor(4.)
    """
    return (z - theta).abs().amax(dim=-1)


def cosine(z, theta):
    """Cosine dissimilarity ``1 - <z, theta> / (||z|| ||theta||)``, in ``[0, 2]``.

    Parameters
    ----------
    z, theta : torch.Tensor of broadcastable shapes (..., n_features)
        Samples and cluster parameters, compared along the last axis.

    Returns
    -------
    d : torch.Tensor
        Of the broadcast shape of ``z`` and ``theta`` without the last axis.

    Examples
    --------
    >>> import torch
    >>> cosine(torch.tensor([1.0, 0.0]), torch.tensor([0.0, 2.0]))
    tensor(1.)
    """
    return 1.0 - F.cosine_similarity(z, theta, dim=-1, eps=1e-8)


def mahalanobis(z, theta, precision):
    """Mahalanobis dissimilarity ``(z - theta)^T P (z - theta)``.

    As the DMAE reference code: the squared form, without the log-determinant
    term of a Gaussian.  The mixture learns ``P_k = W_k W_k^T`` through its
    factor ``W_k``, which keeps every precision positive semi-definite.

    Parameters
    ----------
    z, theta : torch.Tensor of broadcastable shapes (..., n_features)
        Samples and cluster parameters, compared along the last axis.
    precision : torch.Tensor of shape (..., n_features, n_features)
        Precision (inverse covariance) matrices, broadcast with the leading
        axes of ``z - theta``.

    Returns
    -------
    d : torch.Tensor
        Of the broadcast shape of ``z`` and ``theta`` without the last axis.

    Examples
    --------
    >>> import torch
    >>> mahalanobis(torch.tensor([1.0, 1.0]), torch.zeros(2), torch.diag(torch.tensor([4.0, 1.0])))
    tensor(5.)
    """
    diff = z - theta
    # einsum contracts without materialising the precisions broadcast to every sample,
    # which a batched matmul would (n * K * d * d values).
    return (torch.einsum("...i,...ij->...j", diff, precision) * diff).sum(dim=-1)


def toroidal(z, theta, period=1.0):
    """Squared Euclidean distance on a torus: a periodic box of side ``period``.

    Each coordinate difference is wrapped to ``[-period/2, period/2)``, so
    points near opposite sides of the box are close.  Any number of
    dimensions (the reference code's 2-D only version takes the minimum over
    the 9 shifted copies of the box, which is the same for points in the box).

    Parameters
    ----------
    z, theta : torch.Tensor of broadcastable shapes (..., n_features)
        Samples and cluster parameters, compared along the last axis.
    period : float or sequence of float, default=1.0
        Side of the box, one for all axes or one per axis.

    Returns
    -------
    d : torch.Tensor
        Of the broadcast shape of ``z`` and ``theta`` without the last axis.

    Examples
    --------
    >>> import torch
    >>> toroidal(torch.tensor([0.05, 0.0]), torch.tensor([0.95, 0.0]))  # 0.1 apart across the side
    tensor(0.0100)
    """
    diff = z - theta
    # Python floats, not a tensor made here: a captured CUDA graph cannot copy one to the device.
    if isinstance(period, (int, float)):
        wrapped = torch.remainder(diff + period / 2, period) - period / 2
    else:
        wrapped = torch.stack(
            [torch.remainder(diff[..., j] + p / 2, p) - p / 2 for j, p in enumerate(map(float, period))],
            dim=-1,
        )
    return wrapped.pow(2).sum(dim=-1)


_NORMALIZATIONS = {
    # log-probabilities of the normalised vectors
    "softmax_abs": lambda v, eps: torch.log_softmax(v.abs(), dim=-1),
    "softmax": lambda v, eps: torch.log_softmax(v, dim=-1),
    "abs_sum": lambda v, eps: torch.log(
        (v.abs() + eps) / (v.abs() + eps).sum(dim=-1, keepdim=True)
    ),
}


def kullback_leibler(z, theta, normalization="softmax_abs", eps=1e-3):
    """Kullback–Leibler divergence ``KL(p(z) || p(theta))`` between normalised vectors.

    ``p`` turns a vector into a probability vector: ``"softmax_abs"``
    (``softmax(|v|)``, the reference code's default), ``"softmax"`` or
    ``"abs_sum"`` (``(|v| + eps) / sum(|v| + eps)``, for non-negative data
    such as word counts).

    Parameters
    ----------
    z, theta : torch.Tensor of broadcastable shapes (..., n_features)
        Samples and cluster parameters, compared along the last axis.
    normalization : {"softmax_abs", "softmax", "abs_sum"}, default="softmax_abs"
        How vectors become probability vectors.
    eps : float, default=1e-3
        Added to ``|v|`` by ``"abs_sum"``, so that no probability is zero.

    Returns
    -------
    d : torch.Tensor
        Non-negative; zero when the normalised vectors are equal.

    Examples
    --------
    >>> import torch
    >>> p = torch.tensor([0.5, 0.5])
    >>> q = torch.tensor([0.25, 0.75])
    >>> kullback_leibler(p, q, normalization="abs_sum", eps=0.0)  # 0.5 log 2 + 0.5 log(2/3)
    tensor(0.1438)
    """
    if normalization not in _NORMALIZATIONS:
        raise ValueError(
            f"normalization must be one of {sorted(_NORMALIZATIONS)}; got {normalization!r}."
        )
    log_p = _NORMALIZATIONS[normalization](z, eps)
    log_q = _NORMALIZATIONS[normalization](theta, eps)
    return (log_p.exp() * (log_p - log_q)).sum(dim=-1)


def itakura_saito(z, theta, eps=1e-6):
    """Itakura–Saito divergence ``sum_j (z_j / theta_j - log(z_j / theta_j) - 1)``.

    Defined for positive data only (spectra, intensities).  Values are clamped
    to at least ``eps`` so that a centre that drifts to zero during training
    does not give infinities; the estimators check that the data are
    positive before they train.

    Parameters
    ----------
    z, theta : torch.Tensor of broadcastable shapes (..., n_features)
        Positive samples and centres.
    eps : float, default=1e-6
        Smallest value used for ``z`` and ``theta``.

    Returns
    -------
    d : torch.Tensor
        Non-negative; zero when ``z == theta``.

    Examples
    --------
    >>> import torch
    >>> itakura_saito(torch.tensor([2.0]), torch.tensor([1.0]))  # 2 - log 2 - 1
    tensor(0.3069)
    """
    ratio = z.clamp_min(eps) / theta.clamp_min(eps)
    return (ratio - torch.log(ratio) - 1.0).sum(dim=-1)


#: The built-in dissimilarities by name, as ``dissimilarity="mahalanobis"`` takes them.
DISSIMILARITIES = {
    "euclidean": euclidean,
    "sqeuclidean": sqeuclidean,
    "manhattan": manhattan,
    "minkowski": minkowski,
    "chebyshev": chebyshev,
    "cosine": cosine,
    "mahalanobis": mahalanobis,
    "toroidal": toroidal,
    "kullback_leibler": kullback_leibler,
    "itakura_saito": itakura_saito,
}

# Per-cluster parameters that a dissimilarity reads besides the centre.
_CLUSTER_PARAMETERS = {"mahalanobis": ("precision",)}


def get_dissimilarity(dissimilarity, params=None):
    """The dissimilarity callable for a name or a callable, with its hyper-parameters bound.

    Parameters
    ----------
    dissimilarity : str or callable
        A key of :data:`DISSIMILARITIES` or your own ``d(z, theta)``.
    params : dict, default=None
        Keyword arguments bound to the function (``{"p": 3}`` for
        ``"minkowski"``, ``{"period": 2.0}`` for ``"toroidal"``).

    Returns
    -------
    function : callable
        ``d(z, theta, **cluster_parameters)``; a :func:`functools.partial`
        when ``params`` is given (picklable for the built-ins).

    Raises
    ------
    ValueError
        For an unknown name or a parameter the function does not take.

    Examples
    --------
    >>> import torch
    >>> d = get_dissimilarity("minkowski", {"p": 1})
    >>> d(torch.tensor([1.0, 1.0]), torch.zeros(2))
    tensor(2.)
    """
    if isinstance(dissimilarity, str):
        if dissimilarity not in DISSIMILARITIES:
            raise ValueError(
                f"dissimilarity={dissimilarity!r} is unknown; use one of "
                f"{sorted(DISSIMILARITIES)} or a callable d(z, theta)."
            )
        function = DISSIMILARITIES[dissimilarity]
    elif callable(dissimilarity):
        function = dissimilarity
    else:
        raise ValueError(
            f"dissimilarity must be a name or a callable; got {type(dissimilarity).__name__}."
        )
    params = dict(params or {})
    reserved = set(cluster_parameter_names(dissimilarity))
    if reserved & set(params):
        raise ValueError(
            f"dissimilarity_params may not set {sorted(reserved & set(params))}: the "
            "mixture learns them per cluster."
        )
    if params:
        try:
            signature = inspect.signature(function)
        except (TypeError, ValueError):  # some builtins have no signature: trust the user
            signature = None
        if signature is not None and not any(
            p.kind is p.VAR_KEYWORD for p in signature.parameters.values()
        ):
            unknown = sorted(set(params) - set(list(signature.parameters)[2:]))
            if unknown:
                name = dissimilarity if isinstance(dissimilarity, str) else function.__name__
                raise ValueError(
                    f"dissimilarity_params has {unknown}, which {name!r} does not take; it "
                    f"takes {list(signature.parameters)[2:]}."
                )
        function = functools.partial(function, **params)
    return function


def cluster_parameter_names(dissimilarity):
    """Names of the per-cluster parameters ``dissimilarity`` reads besides the centre.

    ``("precision",)`` for ``"mahalanobis"``, ``()`` for the others and for
    callables.
    """
    if isinstance(dissimilarity, str):
        return _CLUSTER_PARAMETERS.get(dissimilarity, ())
    return ()


def pairwise_dissimilarities(function, z, centers, **cluster_parameters):
    """The ``(n_samples, n_clusters)`` matrix ``d(z_i, theta_k)``.

    Parameters
    ----------
    function : callable
        A dissimilarity following the broadcasting convention of this module.
    z : torch.Tensor of shape (n_samples, n_features)
        Samples (embeddings).
    centers : torch.Tensor of shape (n_clusters, n_features)
        Cluster centres.
    **cluster_parameters : torch.Tensor of shape (n_clusters, ...)
        Per-cluster parameters, such as ``precision`` of :func:`mahalanobis`.

    Returns
    -------
    d : torch.Tensor of shape (n_samples, n_clusters)

    Examples
    --------
    >>> import torch
    >>> pairwise_dissimilarities(manhattan, torch.zeros(1, 2), torch.tensor([[1.0, 1.0], [0.0, 3.0]]))
    tensor([[2., 3.]])
    """
    expanded = {name: value.unsqueeze(0) for name, value in cluster_parameters.items()}
    return function(z.unsqueeze(1), centers.unsqueeze(0), **expanded)


def check_dissimilarity(function, n_features, **cluster_parameters):
    """Check that a dissimilarity follows the convention of this module.

    Calls ``function`` on a few small random tensors, in pairwise form
    (``(n, 1, d)`` against ``(1, K, d)``) and in paired form (``(n, d)``
    against ``(n, d)``), and checks the shapes, that the values are finite and
    non-negative, and that the centres receive a gradient.

    Parameters
    ----------
    function : callable
        The dissimilarity, hyper-parameters bound.
    n_features : int
        Dimension of the space it will compare in.
    **cluster_parameters : torch.Tensor of shape (n_clusters, ...)
        Per-cluster parameters for the pairwise call (the paired call uses the
        first cluster's for every sample).

    Raises
    ------
    ValueError
        With what went wrong, instead of a torch error during training.

    Examples
    --------
    >>> check_dissimilarity(euclidean, 3)
    >>> check_dissimilarity(lambda z, theta: (z - theta).sum(), 3)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: The dissimilarity returned shape (); expected (4, 2) for inputs (4, 1, 3) and (1, 2, 3). ...
    """
    n_samples, n_clusters = 4, 2
    generator = torch.Generator().manual_seed(0)
    # Positive values keep every built-in (Itakura–Saito included) in its domain.
    z = torch.rand(n_samples, n_features, generator=generator) + 0.5
    centers = (torch.rand(n_clusters, n_features, generator=generator) + 0.5).requires_grad_()
    name = getattr(function, "__name__", repr(function))
    hint = (
        " A dissimilarity d(z, theta) compares its arguments along the last axis and "
        "broadcasts over the leading ones, as the functions of skdeepcluster.dissimilarities."
    )
    try:
        pairwise = pairwise_dissimilarities(function, z, centers, **cluster_parameters)
        assigned = {name: value[:1].expand(n_samples, *value.shape[1:])
                    for name, value in cluster_parameters.items()}
        paired = function(z, centers[:1].expand(n_samples, -1), **assigned)
    except Exception as error:  # a user's function may raise anything
        raise ValueError(f"The dissimilarity {name} failed on small test tensors: {error!r}.{hint}") from None
    for value, expected, shapes in (
        (pairwise, (n_samples, n_clusters), f"({n_samples}, 1, {n_features}) and (1, {n_clusters}, {n_features})"),
        (paired, (n_samples,), f"({n_samples}, {n_features}) and ({n_samples}, {n_features})"),
    ):
        if not isinstance(value, torch.Tensor):
            raise ValueError(f"The dissimilarity returned {type(value).__name__}, not a torch.Tensor.{hint}")
        if tuple(value.shape) != expected:
            raise ValueError(
                f"The dissimilarity returned shape {tuple(value.shape)}; expected {expected} for "
                f"inputs {shapes}.{hint}"
            )
        if not bool(torch.isfinite(value).all()) or bool((value < -1e-6).any()):
            raise ValueError(f"The dissimilarity returned negative or non-finite values.{hint}")
    if not pairwise.requires_grad:
        raise ValueError(
            "The dissimilarity is not differentiable in theta (its output has no gradient); "
            "write it with torch operations."
        )
