"""Loaders for the benchmark data sets of deep clustering.

:func:`load_mnist` reads MNIST from a local ``.npz`` file, from a folder of
the four original IDX files, or from the scikit-learn data cache, where it
downloads the IDX files the first time (checked against their published MD5
sums). It returns the pixels as ``float32`` in ``[0, 1]``, the form every
network in this package expects.
"""

import gzip
import hashlib
import http.client
import os
import tempfile
import urllib.request
from pathlib import Path

import numpy as np
from sklearn.datasets import get_data_home
from sklearn.utils import Bunch

__all__ = ["load_mnist"]

# Mirrors of the original IDX files, tried in order.
_MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)

# MD5 sums of the gzipped IDX files (the ones torchvision checks).
_MNIST_MD5 = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}

# Split name -> (images file, labels file), without the ".gz" that may follow.
_IDX_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}

# Which splits each subset concatenates, in order.
_SUBSETS = {"train": ("train",), "test": ("test",), "all": ("train", "test")}

# IDX magic numbers: 0x08 (unsigned bytes) in the third byte, the number of dimensions in the fourth.
_IMAGES_MAGIC = 2051
_LABELS_MAGIC = 2049

_IMAGE_SHAPE = (28, 28)
_GZIP_MAGIC = b"\x1f\x8b"
_CHUNK_SIZE = 1 << 20

_DESCR = """\
MNIST handwritten digits
------------------------

70,000 greyscale images of handwritten digits 0-9, 28x28 pixels each:
60,000 training images followed by 10,000 test images (``subset="all"``).
Pixels are scaled from 0..255 to [0, 1] as float32.

Y. LeCun, L. Bottou, Y. Bengio and P. Haffner, "Gradient-based learning
applied to document recognition", Proceedings of the IEEE, 86(11), 1998.
"""


def _read_idx(path, expected_magic):
    """Read an IDX file of unsigned bytes, gzipped or not, as a uint8 array.

    Gzip is detected from the content, not the file name; ``expected_magic``
    is 2051 for MNIST images and 2049 for labels.
    """
    raw = Path(path).read_bytes()
    if raw[:2] == _GZIP_MAGIC:
        raw = gzip.decompress(raw)
    return _parse_idx(raw, expected_magic, source=path)


def _parse_idx(raw, expected_magic, source):
    """Decode the bytes of an uncompressed IDX file into an array."""
    if len(raw) < 4:
        raise ValueError(f"{source} is too short to be an IDX file ({len(raw)} bytes).")
    magic = int.from_bytes(raw[:4], "big")
    if magic != expected_magic:
        raise ValueError(
            f"{source} has IDX magic number {magic}, expected {expected_magic}; "
            "is it the right file, and not corrupted?"
        )
    n_dims = raw[3]
    offset = 4 + 4 * n_dims
    if len(raw) < offset:
        raise ValueError(f"{source} ends inside its IDX header; the file is truncated.")
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=n_dims, offset=4))
    if len(raw) - offset != int(np.prod(shape)):
        raise ValueError(
            f"{source} holds {len(raw) - offset} bytes of data but its header "
            f"announces shape {shape}; the file is truncated or corrupted."
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=offset).reshape(shape)


def _find_idx(folder, stem):
    """Return the path of ``stem`` or ``stem.gz`` in ``folder``, or None."""
    for name in (stem + ".gz", stem):
        candidate = folder / name
        if candidate.is_file():
            return candidate
    return None


def _load_idx_folder(folder, splits):
    """Read ``{split: (images, labels)}`` from a folder of MNIST IDX files."""
    arrays = {}
    for split in splits:
        images_stem, labels_stem = _IDX_FILES[split]
        images_path = _find_idx(folder, images_stem)
        labels_path = _find_idx(folder, labels_stem)
        if images_path is None or labels_path is None:
            missing = images_stem if images_path is None else labels_stem
            raise FileNotFoundError(
                f"No {missing}[.gz] in {folder}. A MNIST folder holds "
                f"{_idx_listing()}; or pass path= to an .npz file with keys "
                "X_train, y_train, X_test, y_test."
            )
        arrays[split] = (
            _read_idx(images_path, _IMAGES_MAGIC),
            _read_idx(labels_path, _LABELS_MAGIC),
        )
    return arrays


def _npz_array(archive, key, source):
    """Fetch ``key`` (``X_train``) or its Keras spelling (``x_train``) from an npz."""
    for name in (key, key.lower()):
        if name in archive.files:
            return archive[name]
    raise ValueError(
        f"{source} has no array {key!r} (nor {key.lower()!r}); it holds "
        f"{sorted(archive.files)}. Expected X_train, y_train, X_test, y_test."
    )


def _load_npz(path, splits):
    """Read ``{split: (images, labels)}`` from an ``.npz`` file."""
    try:
        archive = np.load(path, allow_pickle=False)
    except ValueError as error:
        raise ValueError(
            f"{path} is not an .npz file; pass path= to an .npz file or to a "
            f"folder holding {_idx_listing()}."
        ) from error
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ValueError(f"{path} holds a single array, not an .npz archive of arrays.")
    with archive:
        return {
            split: (
                _npz_array(archive, f"X_{split}", path),
                _npz_array(archive, f"y_{split}", path),
            )
            for split in splits
        }


def _idx_listing():
    """The four IDX file names, for error messages."""
    names = [name for pair in _IDX_FILES.values() for name in pair]
    return ", ".join(f"{name}[.gz]" for name in names)


def _md5(path):
    """Hex MD5 digest of a file, read in chunks."""
    # MD5 only detects corrupted downloads here; the flag keeps FIPS-mode Pythons from refusing it.
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(_CHUNK_SIZE), b""):
            digest.update(block)
    return digest.hexdigest()


def _download_verified(url, target, md5):
    """Download ``url`` to ``target`` through a temporary file, checking its MD5."""
    # Writing beside the target and renaming means a failed download never leaves a partial file.
    handle, partial = tempfile.mkstemp(dir=target.parent, prefix=target.name, suffix=".part")
    try:
        with os.fdopen(handle, "wb") as stream, urllib.request.urlopen(url, timeout=60) as response:
            for block in iter(lambda: response.read(_CHUNK_SIZE), b""):
                stream.write(block)
        found = _md5(partial)
        if md5 is not None and found != md5:
            raise OSError(f"checksum mismatch for {url}: MD5 {found}, expected {md5}")
        os.replace(partial, target)
    finally:
        if os.path.exists(partial):
            os.remove(partial)


def _download_mnist(folder, splits):
    """Download the gzipped IDX files of ``splits`` that ``folder`` lacks."""
    folder.mkdir(parents=True, exist_ok=True)
    for split in splits:
        for stem in _IDX_FILES[split]:
            if _find_idx(folder, stem) is not None:
                continue
            name = stem + ".gz"
            errors = []
            for mirror in _MNIST_MIRRORS:
                try:
                    _download_verified(mirror + name, folder / name, _MNIST_MD5.get(name))
                    break
                # URLError, HTTPError, timeouts and checksum mismatches are all OSErrors.
                except (OSError, http.client.HTTPException) as error:
                    errors.append(f"  {mirror}{name}: {error}")
            else:
                raise OSError(
                    f"Could not download {name} into {folder}:\n"
                    + "\n".join(errors)
                    + "\nDownload the MNIST files by hand and pass path= to their "
                    "folder or to an .npz file."
                )


def _has_idx_files(folder, splits):
    """Whether ``folder`` holds the IDX files of every split in ``splits``."""
    return all(
        _find_idx(folder, stem) is not None for split in splits for stem in _IDX_FILES[split]
    )


def _load_from_cache(data_home, splits, download):
    """Read MNIST from the cache folder, downloading the IDX files if allowed."""
    folder = Path(get_data_home(data_home)) / "mnist"
    if (folder / "mnist.npz").is_file():
        return _load_npz(folder / "mnist.npz", splits)
    if not _has_idx_files(folder, splits):
        if not download:
            raise FileNotFoundError(
                f"MNIST is not in {folder}: looked for mnist.npz and for "
                f"{_idx_listing()}. Pass download=True to fetch it, or path= "
                "to an .npz file or a folder of IDX files."
            )
        _download_mnist(folder, splits)
    return _load_idx_folder(folder, splits)


def _load_from_path(path, splits):
    """Read MNIST from a user-given ``.npz`` file or folder of IDX files."""
    path = Path(path)
    if path.is_dir():
        return _load_idx_folder(path, splits)
    if path.is_file():
        return _load_npz(path, splits)
    raise FileNotFoundError(
        f"{path} does not exist. Pass path= to an .npz file with keys X_train, "
        f"y_train, X_test, y_test, or to a folder holding {_idx_listing()}."
    )


def _check_split(images, labels, split):
    """Flatten one split's images to (n, 784), checking their shape, range and label count."""
    images = np.asarray(images)
    labels = np.asarray(labels).reshape(-1)
    n_pixels = int(np.prod(_IMAGE_SHAPE))
    if images.shape[1:] not in (_IMAGE_SHAPE, (n_pixels,)):
        raise ValueError(
            f"MNIST {split} images must have shape (n, 28, 28) or (n, 784); "
            f"got {images.shape}."
        )
    # Scaling by 255 assumes raw byte intensities, not pixels already scaled.
    if not np.issubdtype(images.dtype, np.integer) or (
        images.size and (images.min() < 0 or images.max() > 255)
    ):
        raise ValueError(
            f"MNIST {split} images must hold integer intensities 0..255 "
            f"(uint8); got dtype {images.dtype}."
        )
    if images.shape[0] != labels.shape[0]:
        raise ValueError(
            f"MNIST {split} split has {images.shape[0]} images but "
            f"{labels.shape[0]} labels."
        )
    return images.reshape(images.shape[0], n_pixels), labels


def load_mnist(
    path=None,
    data_home=None,
    *,
    subset="all",
    return_X_y=False,
    download=True,
    as_images=False,
):
    """Load the MNIST handwritten digits, pixels scaled to ``[0, 1]``.

    =================   ==================
    Classes             10
    Samples total       70,000
    Samples (train)     60,000
    Samples (test)      10,000
    Dimensionality      784 (28 x 28)
    Features            float32, in [0, 1]
    =================   ==================

    Parameters
    ----------
    path : str or path-like, default=None
        Where to read MNIST from: an ``.npz`` file with uint8 arrays
        ``X_train, y_train, X_test, y_test`` (images of shape (n, 28, 28) or
        (n, 784); the Keras spelling ``x_train`` is accepted too), or a folder
        holding the four IDX files ``train-images-idx3-ubyte``,
        ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte`` and
        ``t10k-labels-idx1-ubyte``, each optionally gzipped (``.gz``).
        ``None`` reads the scikit-learn data cache instead (see
        ``data_home``).

    data_home : str or path-like, default=None
        Root of the scikit-learn data cache, used when ``path`` is None;
        MNIST lives in its ``mnist`` sub-folder, as ``mnist.npz`` or as the
        gzipped IDX files. ``None`` means
        :func:`sklearn.datasets.get_data_home`, i.e. ``$SCIKIT_LEARN_DATA``
        or ``~/scikit_learn_data``.

    subset : {"train", "test", "all"}, default="all"
        Which split to return; ``"all"`` is the 60,000 training images
        followed by the 10,000 test images.

    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    download : bool, default=True
        When ``path`` is None and the cache lacks MNIST, download the IDX
        files into the cache from public mirrors and check their MD5 sums.
        If False, raise instead.

    as_images : bool, default=False
        If True, ``data`` has shape (n_samples, 1, 28, 28), the layout of
        convolutional networks, instead of (n_samples, 784).

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with attributes:

        data : ndarray of float32, shape (n_samples, 784) or (n_samples, 1, 28, 28)
            The pixels, scaled to ``[0, 1]``.
        target : ndarray of int64, shape (n_samples,)
            The digit of each image.
        images : ndarray of float32, shape (n_samples, 28, 28)
            The same pixels as 2-D images.
        target_names : ndarray of int64, shape (10,)
            The digits 0 to 9.
        DESCR : str
            A description of the data set.

    (data, target) : tuple if ``return_X_y`` is True
        The ``data`` and ``target`` arrays described above.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist or lacks a file, or the cache lacks MNIST
        and ``download`` is False.
    OSError
        If a download fails on every mirror or fails its checksum.
    ValueError
        If a file is not valid MNIST data, or ``subset`` is unknown.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from skdeepcluster.datasets import load_mnist
    >>> rng = np.random.default_rng(0)
    >>> splits = {"X_train": rng.integers(0, 256, (5, 28, 28), dtype=np.uint8),
    ...           "y_train": np.arange(5, dtype=np.uint8),
    ...           "X_test": rng.integers(0, 256, (3, 28, 28), dtype=np.uint8),
    ...           "y_test": np.arange(3, dtype=np.uint8)}
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     np.savez(folder + "/mnist.npz", **splits)
    ...     X, y = load_mnist(folder + "/mnist.npz", return_X_y=True)
    >>> X.shape, X.dtype, y.dtype
    ((8, 784), dtype('float32'), dtype('int64'))
    >>> y
    array([0, 1, 2, 3, 4, 0, 1, 2])
    >>> bool(X.min() >= 0.0 and X.max() <= 1.0)
    True
    """
    if subset not in _SUBSETS:
        raise ValueError(f"subset must be one of {sorted(_SUBSETS)}; got {subset!r}.")
    splits = _SUBSETS[subset]
    if path is None:
        arrays = _load_from_cache(data_home, splits, download)
    else:
        arrays = _load_from_path(path, splits)

    checked = [_check_split(*arrays[split], split) for split in splits]
    pixels = np.concatenate([images for images, _ in checked])
    # Dividing in float32 avoids a float64 copy of 70,000 x 784 pixels.
    data = np.divide(pixels, 255, dtype=np.float32)
    target = np.concatenate([labels for _, labels in checked]).astype(np.int64)
    images = data.reshape(-1, *_IMAGE_SHAPE)
    if as_images:
        data = data.reshape(-1, 1, *_IMAGE_SHAPE)

    if return_X_y:
        return data, target
    return Bunch(
        data=data,
        target=target,
        images=images,
        target_names=np.arange(10, dtype=np.int64),
        DESCR=_DESCR,
    )
