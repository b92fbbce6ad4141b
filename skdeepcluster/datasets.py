"""Loaders and generators of the benchmark data sets of deep clustering.

:func:`load_mnist` reads MNIST from a local ``.npz`` file, from a folder of
the four original IDX files, or from the scikit-learn data cache, where it
downloads the IDX files the first time (checked against their published MD5
sums). It returns the pixels as ``float32`` in ``[0, 1]``, the form every
network in this package expects. :func:`load_fashion_mnist` reads
Fashion-MNIST, in the same IDX format, the same way, and :func:`load_usps`
the 9,298 USPS digits of 16x16 pixels from LIBSVM's or ElemStatLearn's files.
:func:`load_coil20` reads the 1,440 COIL-20 object images from the zip file
of Columbia's CAVE lab or a folder of its PNG images (from ``skdeepcluster._coil``).

:func:`load_reuters10k` and :func:`load_20newsgroups` (from
``skdeepcluster._loaders``) build the TF-IDF text sets of the literature through
scikit-learn's fetchers and cache the result in the scikit-learn data home.

:func:`make_pinwheel` and :func:`make_toroidal_blobs` generate the synthetic
sets of the DMAE paper (Lara and González), in the style of
:func:`sklearn.datasets.make_moons` (from ``skdeepcluster._synthetic``).
"""

import bz2
import gzip
import hashlib
import http.client
import io
import os
import tempfile
import urllib.request
from pathlib import Path
from typing import NamedTuple

import numpy as np
from sklearn.datasets import get_data_home, load_svmlight_file
from sklearn.utils import Bunch

from ._coil import load_coil20
from ._loaders import load_20newsgroups, load_reuters10k
from ._synthetic import make_pinwheel, make_toroidal_blobs

__all__ = [
    "load_20newsgroups",
    "load_coil20",
    "load_fashion_mnist",
    "load_mnist",
    "load_reuters10k",
    "load_usps",
    "make_pinwheel",
    "make_toroidal_blobs",
]

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

# Zalando's Fashion-MNIST files (GitHub, then their S3 site), with the MD5 sums torchvision checks.
_FASHION_MNIST_MIRRORS = (
    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
)
_FASHION_MNIST_MD5 = {
    "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
    "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
    "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
}
_FASHION_MNIST_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)

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


class _IdxDataset(NamedTuple):
    """An MNIST-like set of four IDX files: its name, cache folder, mirrors and MD5 sums."""

    name: str
    folder: str
    mirrors: tuple
    md5: dict

_DESCR = """\
MNIST handwritten digits
------------------------

70,000 greyscale images of handwritten digits 0-9, 28x28 pixels each:
60,000 training images followed by 10,000 test images (``subset="all"``).
Pixels are scaled from 0..255 to [0, 1] as float32.

Y. LeCun, L. Bottou, Y. Bengio and P. Haffner, "Gradient-based learning
applied to document recognition", Proceedings of the IEEE, 86(11), 1998.
"""

_FASHION_DESCR = """\
Fashion-MNIST
-------------

70,000 greyscale images of Zalando's articles of clothing in 10 classes
(T-shirt/top, Trouser, Pullover, Dress, Coat, Sandal, Shirt, Sneaker, Bag,
Ankle boot), 28x28 pixels each: 60,000 training images followed by 10,000
test images (``subset="all"``). Pixels are scaled from 0..255 to [0, 1] as
float32.

H. Xiao, K. Rasul and R. Vollgraf, "Fashion-MNIST: a novel image dataset for
benchmarking machine learning algorithms", arXiv:1708.07747, 2017.
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


def _load_idx_folder(folder, splits, name):
    """Read ``{split: (images, labels)}`` from a folder of the IDX files of ``name``."""
    arrays = {}
    for split in splits:
        images_stem, labels_stem = _IDX_FILES[split]
        images_path = _find_idx(folder, images_stem)
        labels_path = _find_idx(folder, labels_stem)
        if images_path is None or labels_path is None:
            missing = images_stem if images_path is None else labels_stem
            raise FileNotFoundError(
                f"No {missing}[.gz] in {folder}. A {name} folder holds "
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


def _download_files(folder, names, mirrors, md5, dataset_name):
    """Download the files ``names`` into ``folder``, each from the first mirror that works."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        errors = []
        for mirror in mirrors:
            try:
                _download_verified(mirror + name, folder / name, md5.get(name))
                break
            # URLError, HTTPError, timeouts and checksum mismatches are all OSErrors.
            except (OSError, http.client.HTTPException) as error:
                errors.append(f"  {mirror}{name}: {error}")
        else:
            raise OSError(
                f"Could not download {name} into {folder}:\n"
                + "\n".join(errors)
                + f"\nDownload the {dataset_name} files by hand and pass their location "
                "as path=."
            )


def _download_idx(folder, splits, dataset):
    """Download the gzipped IDX files of ``splits`` that ``folder`` lacks."""
    names = [
        stem + ".gz"
        for split in splits
        for stem in _IDX_FILES[split]
        if _find_idx(folder, stem) is None
    ]
    _download_files(folder, names, dataset.mirrors, dataset.md5, dataset.name)


def _has_idx_files(folder, splits):
    """Whether ``folder`` holds the IDX files of every split in ``splits``."""
    return all(
        _find_idx(folder, stem) is not None for split in splits for stem in _IDX_FILES[split]
    )


def _load_from_cache(data_home, splits, download, dataset):
    """Read ``dataset`` from its cache folder, downloading the IDX files if allowed."""
    folder = Path(get_data_home(data_home)) / dataset.folder
    npz = folder / f"{dataset.folder}.npz"
    if npz.is_file():
        return _load_npz(npz, splits)
    if not _has_idx_files(folder, splits):
        if not download:
            raise FileNotFoundError(
                f"{dataset.name} is not in {folder}: looked for {npz.name} and for "
                f"{_idx_listing()}. Pass download=True to fetch it, or path= "
                "to an .npz file or a folder of IDX files."
            )
        _download_idx(folder, splits, dataset)
    return _load_idx_folder(folder, splits, dataset.name)


def _load_from_path(path, splits, name):
    """Read an IDX data set from a user-given ``.npz`` file or folder of IDX files."""
    path = Path(path)
    if path.is_dir():
        return _load_idx_folder(path, splits, name)
    if path.is_file():
        return _load_npz(path, splits)
    raise FileNotFoundError(
        f"{path} does not exist. Pass path= to an .npz file with keys X_train, "
        f"y_train, X_test, y_test, or to a folder holding {_idx_listing()}."
    )


def _check_split(images, labels, split, name):
    """Flatten one split's images to (n, 784), checking their shape, range and label count."""
    images = np.asarray(images)
    labels = np.asarray(labels).reshape(-1)
    n_pixels = int(np.prod(_IMAGE_SHAPE))
    if images.shape[1:] not in (_IMAGE_SHAPE, (n_pixels,)):
        raise ValueError(
            f"{name} {split} images must have shape (n, 28, 28) or (n, 784); "
            f"got {images.shape}."
        )
    # Scaling by 255 assumes raw byte intensities, not pixels already scaled.
    if not np.issubdtype(images.dtype, np.integer) or (
        images.size and (images.min() < 0 or images.max() > 255)
    ):
        raise ValueError(
            f"{name} {split} images must hold integer intensities 0..255 "
            f"(uint8); got dtype {images.dtype}."
        )
    if images.shape[0] != labels.shape[0]:
        raise ValueError(
            f"{name} {split} split has {images.shape[0]} images but "
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
    # Looked up at call time, so that a patched checksum table is honoured.
    dataset = _IdxDataset("MNIST", "mnist", _MNIST_MIRRORS, _MNIST_MD5)
    return _load_idx_dataset(
        dataset,
        path,
        data_home,
        subset,
        return_X_y,
        download,
        as_images,
        target_names=np.arange(10, dtype=np.int64),
        descr=_DESCR,
    )


def _load_idx_dataset(
    dataset, path, data_home, subset, return_X_y, download, as_images, target_names, descr
):
    """The body of :func:`load_mnist` and :func:`load_fashion_mnist`."""
    if subset not in _SUBSETS:
        raise ValueError(f"subset must be one of {sorted(_SUBSETS)}; got {subset!r}.")
    splits = _SUBSETS[subset]
    if path is None:
        arrays = _load_from_cache(data_home, splits, download, dataset)
    else:
        arrays = _load_from_path(path, splits, dataset.name)

    checked = [_check_split(*arrays[split], split, dataset.name) for split in splits]
    pixels = np.concatenate([images for images, _ in checked])
    # Dividing in float32 avoids a float64 copy of 70,000 x 784 pixels.
    data = np.divide(pixels, 255, dtype=np.float32)
    target = np.concatenate([labels for _, labels in checked]).astype(np.int64)
    return _image_bunch(data, target, _IMAGE_SHAPE, as_images, return_X_y, target_names, descr)


def _image_bunch(data, target, image_shape, as_images, return_X_y, target_names, descr):
    """Flat pixels and labels as ``(data, target)`` or a Bunch with ``images``."""
    images = data.reshape(-1, *image_shape)
    if as_images:
        data = data.reshape(-1, 1, *image_shape)
    if return_X_y:
        return data, target
    return Bunch(
        data=data,
        target=target,
        images=images,
        target_names=target_names,
        DESCR=descr,
    )


def load_fashion_mnist(
    path=None,
    data_home=None,
    *,
    subset="all",
    return_X_y=False,
    download=True,
    as_images=False,
):
    """Load Fashion-MNIST, Zalando's article images, pixels scaled to ``[0, 1]``.

    =================   ==================
    Classes             10
    Samples total       70,000
    Samples (train)     60,000
    Samples (test)      10,000
    Dimensionality      784 (28 x 28)
    Features            float32, in [0, 1]
    =================   ==================

    A drop-in replacement of MNIST (same IDX format, sizes and splits) whose
    classes are articles of clothing, several of them alike (shirts,
    T-shirts, pullovers and coats), which makes it harder to cluster.

    Parameters
    ----------
    path : str or path-like, default=None
        Where to read Fashion-MNIST from: an ``.npz`` file with uint8 arrays
        ``X_train, y_train, X_test, y_test`` (images of shape (n, 28, 28) or
        (n, 784); ``x_train`` is accepted too), or a folder holding the four
        IDX files ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
        ``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte``, each
        optionally gzipped (``.gz``), as Zalando distributes them.  ``None``
        reads the scikit-learn data cache instead (see ``data_home``).

    data_home : str or path-like, default=None
        Root of the scikit-learn data cache, used when ``path`` is None;
        Fashion-MNIST lives in its ``fashion_mnist`` sub-folder, as
        ``fashion_mnist.npz`` or as the gzipped IDX files.  ``None`` means
        :func:`sklearn.datasets.get_data_home`, i.e. ``$SCIKIT_LEARN_DATA``
        or ``~/scikit_learn_data``.

    subset : {"train", "test", "all"}, default="all"
        Which split to return; ``"all"`` is the 60,000 training images
        followed by the 10,000 test images.

    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    download : bool, default=True
        When ``path`` is None and the cache lacks the files, download them
        into the cache from Zalando's mirrors (30 MB) and check their MD5
        sums.  If False, raise instead.

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
            The class of each image, 0 to 9.
        images : ndarray of float32, shape (n_samples, 28, 28)
            The same pixels as 2-D images.
        target_names : ndarray of str, shape (10,)
            The class names, from ``"T-shirt/top"`` (0) to ``"Ankle boot"`` (9).
        DESCR : str
            A description of the data set.

    (data, target) : tuple if ``return_X_y`` is True
        The ``data`` and ``target`` arrays described above.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist or lacks a file, or the cache lacks the
        data and ``download`` is False.
    OSError
        If a download fails on every mirror or fails its checksum.
    ValueError
        If a file is not valid IDX data, or ``subset`` is unknown.

    See Also
    --------
    load_mnist : The handwritten digits, in the same format.
    load_usps : Handwritten digits of 16x16 pixels.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from skdeepcluster.datasets import load_fashion_mnist
    >>> rng = np.random.default_rng(0)
    >>> splits = {"X_train": rng.integers(0, 256, (4, 784), dtype=np.uint8),
    ...           "y_train": np.array([0, 9, 3, 3], dtype=np.uint8),
    ...           "X_test": rng.integers(0, 256, (2, 784), dtype=np.uint8),
    ...           "y_test": np.array([8, 1], dtype=np.uint8)}
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     np.savez(folder + "/fashion.npz", **splits)
    ...     fashion = load_fashion_mnist(folder + "/fashion.npz", subset="test")
    >>> fashion.data.shape, fashion.target
    ((2, 784), array([8, 1]))
    >>> [str(fashion.target_names[label]) for label in fashion.target]
    ['Bag', 'Trouser']
    """
    dataset = _IdxDataset(
        "Fashion-MNIST", "fashion_mnist", _FASHION_MNIST_MIRRORS, _FASHION_MNIST_MD5
    )
    return _load_idx_dataset(
        dataset,
        path,
        data_home,
        subset,
        return_X_y,
        download,
        as_images,
        target_names=np.array(_FASHION_MNIST_CLASSES),
        descr=_FASHION_DESCR,
    )


# LIBSVM's copy of USPS (bzip2), with the MD5 sums torchvision checks.
_USPS_MIRRORS = ("https://www.csie.ntu.edu.tw/~cjlin/libsvmtools/datasets/multiclass/",)
_USPS_MD5 = {
    "usps.bz2": "ec16c51db3855ca6c91edd34d0e9b197",
    "usps.t.bz2": "8ea070ee2aca1ac39742fdd1ef5ed118",
}

# Split name -> (LIBSVM file, ElemStatLearn file), each optionally compressed.
_USPS_FILES = {"train": ("usps", "zip.train"), "test": ("usps.t", "zip.test")}
_USPS_SUFFIXES = ("", ".bz2", ".gz")
_USPS_IMAGE_SHAPE = (16, 16)
_USPS_PIXELS = 256
_BZIP2_MAGIC = b"BZh"

_USPS_DESCR = """\
USPS handwritten digits
-----------------------

9,298 greyscale images of handwritten digits 0-9 scanned from envelopes by
the U.S. Postal Service, 16x16 pixels each: 7,291 training images followed by
2,007 test images (``subset="all"``). The distributed pixels lie in [-1, 1];
they are rescaled to [0, 1] as float32 by (x + 1) / 2.

J. J. Hull, "A database for handwritten text recognition research", IEEE
Transactions on Pattern Analysis and Machine Intelligence, 16(5), 1994.
"""


def _usps_listing():
    """The accepted USPS file names, for error messages."""
    return (
        "usps[.bz2] and usps.t[.bz2] (LIBSVM) or zip.train[.gz] and "
        "zip.test[.gz] (ElemStatLearn)"
    )


def _find_usps(folder, split):
    """Return the path of ``split``'s USPS file in ``folder``, in either format, or None."""
    for stem in _USPS_FILES[split]:
        for suffix in _USPS_SUFFIXES:
            if (folder / (stem + suffix)).is_file():
                return folder / (stem + suffix)
    return None


def _read_usps(path):
    """Read one USPS file, LIBSVM or ElemStatLearn text, compressed or not.

    Returns the pixels in ``[-1, 1]`` as float32 of shape (n, 256) and the digits 0-9.
    """
    raw = Path(path).read_bytes()
    # Compression is detected from the content, not the file name.
    try:
        if raw[:2] == _GZIP_MAGIC:
            raw = gzip.decompress(raw)
        elif raw[:3] == _BZIP2_MAGIC:
            raw = bz2.decompress(raw)
    except (OSError, EOFError, ValueError) as error:
        raise ValueError(f"{path} is a corrupted compressed file: {error}") from error
    tokens = raw.split(maxsplit=2)
    if not tokens:
        raise ValueError(f"{path} holds no digits.")
    libsvm = len(tokens) > 1 and b":" in tokens[1]
    try:
        if libsvm:
            sparse, labels = load_svmlight_file(
                io.BytesIO(raw), n_features=_USPS_PIXELS, dtype=np.float32, zero_based=False
            )
            pixels = sparse.toarray()
            # LIBSVM numbers the classes 1-10 for the digits 0-9.
            labels = labels - 1
        else:
            rows = np.loadtxt(io.BytesIO(raw), dtype=np.float32, ndmin=2)
            if rows.shape[1] != 1 + _USPS_PIXELS:
                raise ValueError(
                    f"rows have {rows.shape[1]} columns, expected 257 (a digit, then 256 pixels)"
                )
            labels, pixels = rows[:, 0], rows[:, 1:]
    except ValueError as error:
        raise ValueError(
            f"{path} is not a USPS file: {error}. Expected {_usps_listing()}."
        ) from error
    if not np.all((labels == np.round(labels)) & (labels >= 0) & (labels <= 9)):
        raise ValueError(f"{path} has labels outside the digits 0-9; is it a USPS file?")
    # The distributed files hold pixels in [-1, 1], to 4 decimals.
    if pixels.min() < -1 - 1e-4 or pixels.max() > 1 + 1e-4:
        raise ValueError(
            f"{path} has pixels outside [-1, 1] (from {pixels.min()} to {pixels.max()}); "
            "USPS files hold pixels in [-1, 1]."
        )
    return pixels, labels.astype(np.int64)


def load_usps(
    path=None,
    data_home=None,
    *,
    subset="all",
    return_X_y=False,
    download=True,
    as_images=False,
):
    """Load the USPS handwritten digits, 16x16 pixels scaled to ``[0, 1]``.

    =================   ==================
    Classes             10
    Samples total       9,298
    Samples (train)     7,291
    Samples (test)      2,007
    Dimensionality      256 (16 x 16)
    Features            float32, in [0, 1]
    =================   ==================

    Parameters
    ----------
    path : str or path-like, default=None
        A folder holding the two USPS files in either distributed format:
        LIBSVM's ``usps`` and ``usps.t`` (bzip2-compressed ``.bz2`` or not;
        labels 1-10) or ElemStatLearn's ``zip.train`` and ``zip.test``
        (gzipped ``.gz`` or not; one digit then 256 pixels a line).  Pixels
        are in ``[-1, 1]`` in both.  ``None`` reads the scikit-learn data
        cache instead (see ``data_home``).

    data_home : str or path-like, default=None
        Root of the scikit-learn data cache, used when ``path`` is None; USPS
        lives in its ``usps`` sub-folder, in either format.  ``None`` means
        :func:`sklearn.datasets.get_data_home`, i.e. ``$SCIKIT_LEARN_DATA``
        or ``~/scikit_learn_data``.

    subset : {"train", "test", "all"}, default="all"
        Which split to return; ``"all"`` is the 7,291 training images
        followed by the 2,007 test images.

    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    download : bool, default=True
        When ``path`` is None and the cache lacks the files, download
        LIBSVM's ``usps.bz2`` and ``usps.t.bz2`` (6.5 MB) into the cache and
        check their MD5 sums.  If False, raise instead.

    as_images : bool, default=False
        If True, ``data`` has shape (n_samples, 1, 16, 16), the layout of
        convolutional networks, instead of (n_samples, 256).

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with attributes:

        data : ndarray of float32, shape (n_samples, 256) or (n_samples, 1, 16, 16)
            The pixels, rescaled from ``[-1, 1]`` to ``[0, 1]``.
        target : ndarray of int64, shape (n_samples,)
            The digit of each image.
        images : ndarray of float32, shape (n_samples, 16, 16)
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
        If ``path`` is not a folder or lacks a file, or the cache lacks USPS
        and ``download`` is False.
    OSError
        If a download fails or fails its checksum.
    ValueError
        If a file is not a USPS file, or ``subset`` is unknown.

    See Also
    --------
    load_mnist : Handwritten digits of 28x28 pixels.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from skdeepcluster.datasets import load_usps
    >>> rng = np.random.default_rng(0)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     for name, digits in [("zip.train", [3, 0, 7]), ("zip.test", [9])]:
    ...         rows = np.column_stack([digits, rng.uniform(-1, 1, (len(digits), 256))])
    ...         np.savetxt(f"{folder}/{name}", rows, fmt="%.4f")
    ...     X, y = load_usps(folder, return_X_y=True)
    >>> X.shape, X.dtype, y
    ((4, 256), dtype('float32'), array([3, 0, 7, 9]))
    >>> bool(X.min() >= 0.0 and X.max() <= 1.0)
    True
    """
    if subset not in _SUBSETS:
        raise ValueError(f"subset must be one of {sorted(_SUBSETS)}; got {subset!r}.")
    splits = _SUBSETS[subset]
    if path is None:
        folder = Path(get_data_home(data_home)) / "usps"
        missing = [split for split in splits if _find_usps(folder, split) is None]
        if missing and not download:
            raise FileNotFoundError(
                f"USPS is not in {folder}: looked for {_usps_listing()}. Pass "
                "download=True to fetch it, or path= to a folder of USPS files."
            )
        names = [_USPS_FILES[split][0] + ".bz2" for split in missing]
        _download_files(folder, names, _USPS_MIRRORS, _USPS_MD5, "USPS")
    else:
        folder = Path(path)
        if not folder.is_dir():
            raise FileNotFoundError(
                f"{folder} is not a folder. Pass path= to a folder holding {_usps_listing()}."
            )

    parts = []
    for split in splits:
        found = _find_usps(folder, split)
        if found is None:
            raise FileNotFoundError(
                f"No USPS {split} file in {folder}. A USPS folder holds {_usps_listing()}."
            )
        parts.append(_read_usps(found))
    pixels = np.concatenate([pixels for pixels, _ in parts])
    target = np.concatenate([labels for _, labels in parts])
    # Rescaled from [-1, 1]; the clip absorbs the files' rounding at the ends.
    data = np.clip((pixels + 1) / 2, 0, 1).astype(np.float32, copy=False)
    return _image_bunch(
        data,
        target,
        _USPS_IMAGE_SHAPE,
        as_images,
        return_X_y,
        target_names=np.arange(10, dtype=np.int64),
        descr=_USPS_DESCR,
    )
