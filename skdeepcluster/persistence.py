"""Weights-only persistence: save a fitted estimator without pickle, load it anywhere.

``pickle`` / ``joblib`` keep working on every estimator, but unpickling runs
arbitrary code.  :func:`save` writes one file with :func:`torch.save` holding
only tensors, strings and numbers: the network's ``state_dict``, the
estimator's parameters and fitted attributes as JSON, and the training
histories as JSON.  :func:`load` reads it with ``torch.load(weights_only=True)``
(no unpickling of objects), rebuilds the network from the parameters and
loads the weights, on CUDA when there is one and otherwise on the CPU, so a
model trained on a GPU predicts on a CPU-only machine.

User-supplied ``encoder`` / ``decoder`` modules are code, not weights: pass
the same (untrained) modules to :func:`load`, and their weights are restored.
``callbacks`` are not saved.

:func:`load` trusts nothing in the file beyond its data: it rebuilds only the
package's own estimators, restores only the fitted attributes the estimator
declares (see :func:`_declares`: a name such as ``predict`` or ``_private``
is refused, so a tampered file cannot replace a method), and checks the type
of every entry.  Files carry a format version (:data:`_VERSION`); one this
code does not know is refused with a message naming both versions.
"""

import importlib
import json
import warnings
from numbers import Integral, Real
from pathlib import Path

import numpy as np
import torch
from skorch.history import History
from torch import nn

__all__ = ["save", "load"]

_FORMAT = "skdeepcluster-weights"
_VERSION = 1
# Parameters that hold code rather than values.
_MODULE_PARAMS = ("encoder", "decoder")


def _declares(cls, name):
    """Whether ``name`` is a fitted attribute of ``cls`` that :func:`load` may restore.

    A restorable name is a Python identifier that ends with a single trailing
    underscore, does not start with an underscore, and is nothing the class
    defines (``hasattr(cls, name)`` is False: that rules out methods and
    properties such as ``history_``).  A class may narrow this further with a
    tuple class attribute ``_saved_attributes``: then the name must be in it.
    """
    if not (
        isinstance(name, str)
        and name.isidentifier()
        and name.endswith("_")
        and not name.endswith("__")
        and not name.startswith("_")
        and not hasattr(cls, name)
    ):
        return False
    declared = getattr(cls, "_saved_attributes", None)
    return not isinstance(declared, tuple) or name in declared


def _registry():
    # Only the package's own estimators can be rebuilt: a file cannot name a class to import.
    import skdeepcluster

    return {
        name: getattr(skdeepcluster, name)
        for name in skdeepcluster.__all__
        if isinstance(getattr(skdeepcluster, name), type)
    }


def _json_value(value, what):
    """A JSON-able form of a parameter or attribute, or raise."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, Integral):
        return int(value)
    if isinstance(value, Real):
        return float(value)
    if isinstance(value, torch.device):
        return str(value)
    if isinstance(value, (tuple, list)):
        return {"__tuple__" if isinstance(value, tuple) else "__list__": [
            _json_value(v, what) for v in value
        ]}
    if isinstance(value, np.ndarray) and value.dtype.kind in "OUS":
        return {"__strings__": [str(v) for v in value]}
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        return {"__ndarray__": value.tolist(), "dtype": value.dtype.str}
    if isinstance(value, nn.Module):  # code, not data: load() takes it as an argument
        return {"__module__": type(value).__name__}
    if hasattr(value, "get_params"):  # a component or a scikit-learn estimator
        return _estimator_json(value, what)
    raise TypeError(f"{what} of type {type(value).__name__} cannot be saved without pickle.")


def _from_json(value, modules=None, key=None):
    """The value :func:`_json_value` wrote, with estimators rebuilt and modules from ``modules``."""
    if isinstance(value, dict):
        if "__tuple__" in value:
            return tuple(_from_json(v, modules) for v in value["__tuple__"])
        if "__list__" in value:
            return [_from_json(v, modules) for v in value["__list__"]]
        if "__strings__" in value:
            return np.asarray(value["__strings__"], dtype=object)
        if "__ndarray__" in value:
            return np.asarray(value["__ndarray__"], dtype=np.dtype(value["dtype"]))
        if "__module__" in value:
            module = (modules or {}).get(key)
            if module is None:
                raise ValueError(
                    f"the estimator was fitted with its own {key} ({value['__module__']}); pass "
                    f"{key}= to load() with the same architecture."
                )
            return module
        if "__estimator__" in value or "__fitted__" in value:
            return _resolve_estimator(value, key, modules)
    return value


def _history_json(history):
    if history is None:
        return None
    return json.dumps(list(history), default=float)


def save(estimator, path):
    """Save a fitted estimator's weights, parameters and fitted attributes, without pickle.

    Parameters
    ----------
    estimator : fitted skdeepcluster estimator
        The estimator to save.
    path : str or path-like
        File to write (conventionally ``.pt``).

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If the estimator is not fitted.
    TypeError
        If a parameter holds a value that is not data (``random_state`` as a
        ``RandomState`` instance is saved as None).

    See Also
    --------
    load : Read the file back.

    Examples
    --------
    >>> import tempfile, os
    >>> from sklearn.datasets import make_blobs
    >>> from skdeepcluster import DECClustering
    >>> from skdeepcluster.persistence import save, load
    >>> X, _ = make_blobs(60, centers=3, random_state=0)
    >>> dec = DECClustering(3, hidden_dims=(8,), embedding_dim=2, pretrain_epochs=2,
    ...                     epochs=2, n_init=1, random_state=0).fit(X)
    >>> path = os.path.join(tempfile.mkdtemp(), "dec.pt")
    >>> save(dec, path)
    >>> bool((load(path).predict(X) == dec.predict(X)).all())
    True
    """
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(estimator)
    params = {}
    for name, value in estimator.get_params(deep=False).items():
        if name in _MODULE_PARAMS:
            params[name] = None if value is None else type(value).__name__
        elif name == "callbacks":
            params[name] = None
        elif name == "random_state" and not (value is None or isinstance(value, Integral)):
            params[name] = None
        elif isinstance(value, type):  # an optimizer class: saved by name, rebuilt only if torch's
            params[name] = {"__class__": f"{value.__module__}.{value.__qualname__}"}
        elif hasattr(value, "get_params"):  # a transformer (pretrain_features): class, parameters
            params[name] = _estimator_json(value, name)
        else:
            params[name] = _json_value(value, f"parameter {name}")
    attributes, arrays = {}, {}
    for name, value in vars(estimator).items():
        # Only what load() restores: anything else would make the file unreadable.
        if name in estimator._unsaved_attributes or not _declares(type(estimator), name):
            continue
        if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
            arrays[name] = torch.from_numpy(np.ascontiguousarray(value))
        elif hasattr(value, "get_params"):  # a fitted clusterer (the readout)
            attributes[name] = _fitted_json(value, name)
        else:
            attributes[name] = _json_value(value, f"fitted attribute {name}")
    state = {
        key: tensor.detach().cpu() for key, tensor in estimator.net_.module_.state_dict().items()
    }
    payload = {
        "format": _FORMAT,
        "version": _VERSION,
        "estimator": type(estimator).__name__,
        "params": json.dumps(params),
        "attributes": json.dumps(attributes),
        "arrays": arrays,
        "state_dict": state,
        "history": _history_json(estimator.net_.history),
        "pretrain_history": _history_json(getattr(estimator, "pretrain_history_", None)),
    }
    torch.save(payload, Path(path))


def _estimator_json(estimator, name):
    """A component or scikit-learn estimator as its class name and JSON-able parameters.

    Parameters that cannot be written without pickle (a function, say) leave
    ``"params"`` as ``None``: :func:`load` then leaves the parameter unset.
    """
    cls = type(estimator)
    try:
        params = {
            key: _json_value(value, f"parameter {name}.{key}")
            for key, value in estimator.get_params(deep=False).items()
        }
    except TypeError:
        params = None
    return {"__estimator__": f"{cls.__module__}.{cls.__qualname__}", "params": params}


def _fitted_json(estimator, name):
    """A fitted scikit-learn estimator (DeepClustering's ``readout_``): parameters and state.

    Its state is the numbers, strings and arrays of its ``__dict__``; anything
    else cannot be written without pickle.
    """
    cls = type(estimator)
    if cls.__module__.split(".")[0] != "sklearn":
        raise TypeError(f"fitted attribute {name} of type {cls.__name__} cannot be saved.")
    state = {
        key: _json_value(value, f"fitted attribute {name}.{key}")
        for key, value in vars(estimator).items()
        if key not in estimator.get_params(deep=False)
    }
    return {**_estimator_json(estimator, name), "__fitted__": True, "state": state}


def _rebuildable(path):
    """The class a file names, if it is one that load() may build: scikit-learn's or a component."""
    module, _, cls_name = path.rpartition(".")
    if module.split(".")[0] == "sklearn":
        cls = getattr(importlib.import_module(module), cls_name, None)
        return cls if isinstance(cls, type) and hasattr(cls, "get_params") else None
    from . import compose

    cls = getattr(compose, cls_name, None)
    if cls_name in compose.__all__ and f"{cls.__module__}.{cls.__qualname__}" == path:
        return cls
    return None


def _resolve_estimator(value, name, modules=None):
    """Rebuild a saved estimator parameter (or fitted attribute), or ``None`` with a warning."""
    cls = _rebuildable(value["__estimator__"])
    if cls is not None and value["params"] is not None:
        params = {key: _from_json(v, modules, key) for key, v in value["params"].items()}
        estimator = cls(**params)
        for key, state in value.get("state", {}).items():
            # Data only, and never over what the class defines (its methods, say).
            if not key.isidentifier() or hasattr(cls, key):
                raise ValueError(f"{name} holds a state entry {key!r} that cannot be restored.")
            setattr(estimator, key, _from_json(state))
        return estimator
    if value.get("__fitted__"):
        raise ValueError(f"{name} holds a fitted {value['__estimator__']} that load() cannot build.")
    warnings.warn(
        f"the estimator was fitted with {name}={value['__estimator__']}, which load() does not "
        f"rebuild; it only matters for refitting: pass {name}= to set_params afterwards.",
        UserWarning,
        stacklevel=3,
    )
    return None


def _resolve_optimizer(value):
    if isinstance(value, dict) and "__class__" in value:
        module, _, name = value["__class__"].rpartition(".")
        if module.startswith("torch.optim") and isinstance(getattr(torch.optim, name, None), type):
            return getattr(torch.optim, name)
        raise ValueError(
            f"the file was saved with optimizer {value['__class__']}, which load() does not "
            "import; it only matters for refitting: pass optimizer= to set_params afterwards."
        )
    return value


def _check_version(version, path):
    """Refuse a file whose format version this code does not read, older or newer."""
    if type(version) is int and version == _VERSION:
        return
    from ._version import __version__

    if type(version) is int:
        writer = "a newer" if version > _VERSION else "an older"
    else:
        writer = "another"
    raise ValueError(
        f"{path} is in skdeepcluster weights format version {version!r} (written by {writer} "
        f"skdeepcluster), but skdeepcluster {__version__} reads format version {_VERSION} only: "
        f"refit the estimator and save it again with skdeepcluster {__version__}, or load the "
        "file with the skdeepcluster version that wrote it."
    )


def _damaged(path, what):
    return ValueError(f"{path}: {what}; the file is damaged or was tampered with.")


def _check_payload(payload, path):
    """Check the entries' types (not their values); return the estimator class the file names."""
    for key, kind in (("estimator", str), ("params", str), ("attributes", str), ("arrays", dict),
                      ("state_dict", dict)):
        if not isinstance(payload.get(key), kind):
            raise _damaged(path, f"{key!r} is missing or not a {kind.__name__}")
    for key in ("history", "pretrain_history"):
        if not (payload.get(key) is None or isinstance(payload[key], str)):
            raise _damaged(path, f"{key!r} is not JSON text")
    for key in ("arrays", "state_dict"):
        for name, tensor in payload[key].items():
            if not (isinstance(name, str) and isinstance(tensor, torch.Tensor)):
                raise _damaged(path, f"{key!r} entry {name!r} is not a tensor")
    registry = _registry()
    name = payload["estimator"]
    if name not in registry:
        raise ValueError(f"{path} holds an unknown estimator {name!r}.")
    return registry[name]


def _json_entry(payload, key, kind, path):
    """Decode the JSON text ``payload[key]`` and check that it is a ``kind`` (dict or list)."""
    try:
        value = json.loads(payload[key])
    except ValueError:
        raise _damaged(path, f"{key!r} is not valid JSON") from None
    if not isinstance(value, kind):
        raise _damaged(path, f"{key!r} is not a JSON {'object' if kind is dict else 'array'}")
    return value


def load(path, *, device=None, encoder=None, decoder=None):
    """Load an estimator saved by :func:`save`, without unpickling objects.

    Parameters
    ----------
    path : str or path-like
        File written by :func:`save`.
    device : str, default=None
        Where the network lives after loading; by default CUDA when available,
        else the CPU (a GPU-trained model loads on a CPU-only machine).
    encoder, decoder : torch.nn.Module, default=None
        The modules the estimator was built with, when it was given its own
        (their weights come from the file).

    Returns
    -------
    estimator : fitted estimator
        Predicts like the saved one.

    Raises
    ------
    ValueError
        If the file is not an skdeepcluster weights file, is in a format
        version this skdeepcluster does not read (older or newer), names an
        unknown estimator, holds an entry of the wrong type or an attribute
        the estimator does not declare (a tampered file), or needs
        ``encoder`` / ``decoder`` that were not given.
    """
    from .engine import resolve_device, seeded

    payload = torch.load(Path(path), map_location="cpu", weights_only=True)
    if not isinstance(payload, dict) or payload.get("format") != _FORMAT:
        raise ValueError(f"{path} is not an skdeepcluster weights file.")
    _check_version(payload.get("version"), path)
    cls = _check_payload(payload, path)
    raw_params = _json_entry(payload, "params", dict, path)
    raw_attributes = _json_entry(payload, "attributes", dict, path)
    histories = {
        key: None if payload.get(key) is None else _json_entry(payload, key, list, path)
        for key in ("history", "pretrain_history")
    }
    unknown = sorted(set(raw_params) - set(cls._get_param_names()))
    if unknown:
        raise ValueError(
            f"{path} holds parameters {unknown} that {cls.__name__} does not take; the file "
            "may have been tampered with, or was written by another version of skdeepcluster."
        )
    # Only the fitted attributes the class declares: a file naming ``predict`` (say) would
    # otherwise replace the method.
    for key in [*raw_attributes, *payload["arrays"]]:
        if not _declares(cls, key):
            raise ValueError(
                f"{path} holds an attribute {key!r} that {cls.__name__} does not declare; "
                "the file may have been tampered with."
            )
    given = {"encoder": encoder, "decoder": decoder}
    for key, module in given.items():
        if module is not None and not isinstance(module, nn.Module):
            raise TypeError(f"{key} must be a torch.nn.Module.")
    params = {key: _from_json(value, given, key) for key, value in raw_params.items()}
    for key in _MODULE_PARAMS:
        if key not in params:
            continue
        if params[key] is not None and given[key] is None:
            raise ValueError(
                f"the estimator was fitted with its own {key} ({params[key]}); pass {key}= to "
                "load() with the same architecture."
            )
        params[key] = given[key] if params[key] is not None else None
    if "optimizer" in params:
        params["optimizer"] = _resolve_optimizer(params["optimizer"])
    estimator = cls(**params)
    for key, value in raw_attributes.items():
        setattr(estimator, key, _from_json(value, key=key))
    for key, tensor in payload["arrays"].items():
        setattr(estimator, key, tensor.numpy().copy())
    estimator.device_ = resolve_device("auto" if device is None else device)
    with seeded(0, "cpu"):  # building the module draws initial weights; keep the caller's RNG
        module = estimator._init_module(estimator.n_features_in_, payload["state_dict"])
    module.load_state_dict(payload["state_dict"])
    estimator.net_ = estimator._wrap_module(module)
    # The width of transform's output, for get_feature_names_out and set_output.
    estimator._n_features_out = estimator._embedding_dim(module)
    if histories["history"] is not None:
        estimator.net_.history = History(histories["history"])
    if "pretrain_history_" in vars(estimator) or histories["pretrain_history"] is not None:
        pre = histories["pretrain_history"]
        estimator.pretrain_history_ = None if pre is None else History(pre)
    return estimator
