"""Tests of the loaders beyond MNIST, on tiny local files and fake fetchers, without network.

Fashion-MNIST and USPS (skdeepcluster.datasets) read files written here in tmp_path and
download from fake mirrors; Reuters-10k and 20 Newsgroups (skdeepcluster._loaders) get
fake RCV1 / newsgroup Bunches in place of scikit-learn's fetchers.
"""

import argparse
import bz2
import gzip
import hashlib
import io
import urllib.error
import urllib.request

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn.datasets
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.utils import Bunch

from skdeepcluster import _loaders, datasets
from skdeepcluster import __main__ as cli
from skdeepcluster.__main__ import _load, main
from skdeepcluster.datasets import (
    load_20newsgroups,
    load_fashion_mnist,
    load_reuters10k,
    load_usps,
)

IDX_NAMES = {
    "X_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "X_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}


@pytest.fixture(autouse=True)
def offline(monkeypatch, tmp_path):
    """Fail any download or fetch and point the scikit-learn cache into tmp_path."""

    def no_network(*args, **kwargs):
        raise AssertionError(f"test tried to reach the network: {args} {kwargs}")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    monkeypatch.setattr(_loaders, "fetch_rcv1", no_network)
    monkeypatch.setattr(_loaders, "fetch_20newsgroups", no_network)
    monkeypatch.setenv("SCIKIT_LEARN_DATA", str(tmp_path / "sklearn_cache"))


class FakeMirrors:
    """Stand-in for ``urllib.request.urlopen`` serving files by name, recording URLs."""

    def __init__(self, files, failing=()):
        self.files = files
        self.failing = tuple(failing)
        self.urls = []

    def __call__(self, url, *args, **kwargs):
        self.urls.append(url)
        if url.startswith(self.failing):
            raise urllib.error.URLError("mirror down")
        return io.BytesIO(self.files[url.rsplit("/", 1)[1]])


# --- Fashion-MNIST -------------------------------------------------------------------


def idx_bytes(array):
    """Encode a uint8 array as an IDX file: magic 0x0000 08 <ndim>, big-endian dims, data."""
    array = np.asarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim])
    header += b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + array.tobytes()


@pytest.fixture
def fashion_arrays():
    rng = np.random.default_rng(1)
    arrays = {
        "X_train": rng.integers(0, 256, size=(4, 28, 28), dtype=np.uint8),
        "y_train": np.array([0, 9, 5, 3], dtype=np.uint8),
        "X_test": rng.integers(0, 256, size=(2, 28, 28), dtype=np.uint8),
        "y_test": np.array([8, 1], dtype=np.uint8),
    }
    arrays["X_train"][0, 0, :2] = [0, 255]
    return arrays


def gzipped_idx(arrays):
    return {stem + ".gz": gzip.compress(idx_bytes(arrays[key])) for key, stem in IDX_NAMES.items()}


def test_fashion_npz_path(tmp_path, fashion_arrays):
    np.savez(tmp_path / "fashion.npz", **fashion_arrays)
    bunch = load_fashion_mnist(tmp_path / "fashion.npz")
    expected = np.concatenate([fashion_arrays["X_train"], fashion_arrays["X_test"]]) / 255
    np.testing.assert_array_equal(bunch.data, expected.reshape(6, 784).astype(np.float32))
    assert bunch.data.dtype == np.float32 and bunch.target.dtype == np.int64
    np.testing.assert_array_equal(bunch.target, [0, 9, 5, 3, 8, 1])
    assert bunch.images.shape == (6, 28, 28)
    assert bunch.target_names[0] == "T-shirt/top" and bunch.target_names[9] == "Ankle boot"
    assert "Fashion-MNIST" in bunch.DESCR


def test_fashion_idx_folder_subset_and_images(tmp_path, fashion_arrays):
    folder = tmp_path / "idx"
    folder.mkdir()
    for name, raw in gzipped_idx(fashion_arrays).items():
        (folder / name).write_bytes(raw)
    X, y = load_fashion_mnist(folder, subset="test", as_images=True, return_X_y=True)
    assert X.shape == (2, 1, 28, 28)
    np.testing.assert_array_equal(X[:, 0], fashion_arrays["X_test"] / np.float32(255))
    np.testing.assert_array_equal(y, [8, 1])


def test_fashion_cache_folder_and_npz(tmp_path, fashion_arrays):
    folder = tmp_path / "sklearn_cache" / "fashion_mnist"
    folder.mkdir(parents=True)
    np.savez(folder / "fashion_mnist.npz", **fashion_arrays)
    assert load_fashion_mnist(subset="train").target.tolist() == [0, 9, 5, 3]
    # MNIST's cache folder is a different one.
    with pytest.raises(FileNotFoundError, match="MNIST is not in"):
        datasets.load_mnist(download=False)


def test_fashion_errors_name_the_data_set(tmp_path, fashion_arrays):
    fashion_arrays["X_train"] = np.zeros((4, 16, 16), dtype=np.uint8)
    np.savez(tmp_path / "bad.npz", **fashion_arrays)
    with pytest.raises(ValueError, match=r"Fashion-MNIST train images must have shape"):
        load_fashion_mnist(tmp_path / "bad.npz")
    (tmp_path / "idx").mkdir()
    with pytest.raises(FileNotFoundError, match="A Fashion-MNIST folder holds"):
        load_fashion_mnist(tmp_path / "idx")


def test_fashion_cache_miss_without_download(tmp_path):
    with pytest.raises(FileNotFoundError) as error:
        load_fashion_mnist(data_home=tmp_path / "home", download=False)
    message = str(error.value)
    assert message.startswith("Fashion-MNIST is not in")
    assert str(tmp_path / "home" / "fashion_mnist") in message
    assert "fashion_mnist.npz" in message and "download=True" in message


def test_fashion_download_then_cache(tmp_path, fashion_arrays, monkeypatch):
    files = gzipped_idx(fashion_arrays)
    md5 = {name: hashlib.md5(raw).hexdigest() for name, raw in files.items()}
    monkeypatch.setattr(datasets, "_FASHION_MNIST_MD5", md5)
    mirrors = FakeMirrors(files, failing=datasets._FASHION_MNIST_MIRRORS[:1])
    monkeypatch.setattr(urllib.request, "urlopen", mirrors)
    X, y = load_fashion_mnist(data_home=tmp_path / "home", return_X_y=True)
    np.testing.assert_array_equal(y, [0, 9, 5, 3, 8, 1])
    assert X.shape == (6, 784)
    # Each file tried on the first (failing) mirror, then fetched from the second.
    assert len(mirrors.urls) == 8
    assert all(url.startswith(datasets._FASHION_MNIST_MIRRORS) for url in mirrors.urls)
    assert sorted(p.name for p in (tmp_path / "home" / "fashion_mnist").iterdir()) == sorted(files)
    load_fashion_mnist(data_home=tmp_path / "home")
    assert len(mirrors.urls) == 8


def test_fashion_real_checksums_reject_fake_files(tmp_path, fashion_arrays, monkeypatch):
    monkeypatch.setattr(urllib.request, "urlopen", FakeMirrors(gzipped_idx(fashion_arrays)))
    with pytest.raises(OSError, match="checksum mismatch"):
        load_fashion_mnist(data_home=tmp_path / "home")
    assert len(datasets._FASHION_MNIST_MD5) == 4
    assert datasets._FASHION_MNIST_MD5 != datasets._MNIST_MD5


# --- USPS ------------------------------------------------------------------------------


@pytest.fixture
def usps_arrays():
    """Pixels in [-1, 1] to 4 decimals, as the distributed files hold them."""
    rng = np.random.default_rng(2)
    pixels = {
        "train": np.round(rng.uniform(-1, 1, size=(5, 256)), 4),
        "test": np.round(rng.uniform(-1, 1, size=(3, 256)), 4),
    }
    pixels["train"][0, :3] = [-1.0, 1.0, 0.0]
    labels = {"train": np.array([6, 5, 4, 7, 3]), "test": np.array([9, 0, 1])}
    return pixels, labels


def elemstatlearn_text(pixels, labels):
    rows = np.column_stack([labels, pixels])
    stream = io.StringIO()
    np.savetxt(stream, rows, fmt="%.4f")
    return stream.getvalue().encode()


def libsvm_text(pixels, labels):
    lines = []
    for row, label in zip(pixels, labels):
        # Zeros are left out, as in any sparse LIBSVM file; classes are numbered 1-10.
        features = " ".join(f"{j + 1}:{value:.4f}" for j, value in enumerate(row) if value != 0)
        lines.append(f"{label + 1} {features}")
    return ("\n".join(lines) + "\n").encode()


def write_usps(folder, usps_arrays, style="elemstatlearn", compress=False):
    pixels, labels = usps_arrays
    folder.mkdir(parents=True, exist_ok=True)
    for split in ("train", "test"):
        if style == "elemstatlearn":
            raw, name = elemstatlearn_text(pixels[split], labels[split]), f"zip.{split}"
            if compress:
                raw, name = gzip.compress(raw), name + ".gz"
        else:
            raw = libsvm_text(pixels[split], labels[split])
            name = "usps" if split == "train" else "usps.t"
            if compress:
                raw, name = bz2.compress(raw), name + ".bz2"
        (folder / name).write_bytes(raw)
    return folder


def expected_usps(usps_arrays, splits=("train", "test")):
    pixels, labels = usps_arrays
    X = (np.concatenate([pixels[s] for s in splits]) + 1) / 2
    return X, np.concatenate([labels[s] for s in splits])


@pytest.mark.parametrize("style", ["elemstatlearn", "libsvm"])
@pytest.mark.parametrize("compress", [False, True], ids=["plain", "compressed"])
def test_usps_formats(tmp_path, usps_arrays, style, compress):
    folder = write_usps(tmp_path / "usps", usps_arrays, style, compress)
    X, y = load_usps(folder, return_X_y=True)
    X_expected, y_expected = expected_usps(usps_arrays)
    assert X.shape == (8, 256) and X.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_allclose(X, X_expected, atol=1e-6)
    np.testing.assert_array_equal(y, y_expected)
    assert X[0, 0] == 0.0 and X[0, 1] == 1.0 and X[0, 2] == 0.5


def test_usps_bunch_subset_and_images(tmp_path, usps_arrays):
    folder = write_usps(tmp_path / "usps", usps_arrays, "libsvm", compress=True)
    bunch = load_usps(str(folder), subset="test")
    assert bunch.data.shape == (3, 256) and bunch.images.shape == (3, 16, 16)
    np.testing.assert_array_equal(bunch.images.reshape(3, -1), bunch.data)
    np.testing.assert_array_equal(bunch.target, [9, 0, 1])
    np.testing.assert_array_equal(bunch.target_names, np.arange(10))
    assert "USPS" in bunch.DESCR
    X, _ = load_usps(folder, subset="train", as_images=True, return_X_y=True)
    assert X.shape == (5, 1, 16, 16)


def test_usps_splits_in_different_formats(tmp_path, usps_arrays):
    pixels, labels = usps_arrays
    folder = tmp_path / "usps"
    folder.mkdir()
    (folder / "usps.bz2").write_bytes(bz2.compress(libsvm_text(pixels["train"], labels["train"])))
    (folder / "zip.test").write_bytes(elemstatlearn_text(pixels["test"], labels["test"]))
    X, y = load_usps(folder, return_X_y=True)
    np.testing.assert_allclose(X, expected_usps(usps_arrays)[0], atol=1e-6)


@pytest.mark.parametrize(
    "content, match",
    [
        (b"3.0 0.5 0.5\n", "257"),
        (b"3 " + b" ".join([b"1.5"] * 256) + b"\n", r"outside \[-1, 1\]"),
        (b"12 " + b" ".join([b"0.5"] * 256) + b"\n", "labels outside the digits"),
        (b"3 300:0.5\n", "not a USPS file"),
        (b"\x1f\x8bnot really gzip", "corrupted compressed file"),
        (b"", "holds no digits"),
    ],
    ids=["columns", "pixel-range", "label-range", "libsvm-index", "bad-gzip", "empty"],
)
def test_usps_rejects_bad_files(tmp_path, usps_arrays, content, match):
    folder = write_usps(tmp_path / "usps", usps_arrays)
    (folder / "zip.test").write_bytes(content)
    with pytest.raises(ValueError, match=match):
        load_usps(folder)
    # The training file is fine on its own.
    assert load_usps(folder, subset="train").data.shape == (5, 256)


def test_usps_missing_files(tmp_path, usps_arrays):
    folder = write_usps(tmp_path / "usps", usps_arrays)
    (folder / "zip.test").unlink()
    with pytest.raises(FileNotFoundError, match="No USPS test file") as error:
        load_usps(folder)
    assert str(folder) in str(error.value) and "usps.t[.bz2]" in str(error.value)
    with pytest.raises(FileNotFoundError, match="is not a folder"):
        load_usps(folder / "zip.train")
    with pytest.raises(ValueError, match="subset must be one of"):
        load_usps(folder, subset="validation")


def test_usps_cache_and_cache_miss(tmp_path, usps_arrays):
    with pytest.raises(FileNotFoundError) as error:
        load_usps(download=False)
    assert str(tmp_path / "sklearn_cache" / "usps") in str(error.value)
    assert "download=True" in str(error.value)
    write_usps(tmp_path / "sklearn_cache" / "usps", usps_arrays, compress=True)
    assert load_usps(download=False).target.tolist() == [6, 5, 4, 7, 3, 9, 0, 1]


@pytest.fixture
def usps_served(usps_arrays, monkeypatch):
    pixels, labels = usps_arrays
    files = {
        "usps.bz2": bz2.compress(libsvm_text(pixels["train"], labels["train"])),
        "usps.t.bz2": bz2.compress(libsvm_text(pixels["test"], labels["test"])),
    }
    monkeypatch.setattr(
        datasets, "_USPS_MD5", {name: hashlib.md5(raw).hexdigest() for name, raw in files.items()}
    )
    return files


def test_usps_download_then_cache(tmp_path, usps_arrays, usps_served, monkeypatch):
    mirrors = FakeMirrors(usps_served)
    monkeypatch.setattr(urllib.request, "urlopen", mirrors)
    X, y = load_usps(data_home=tmp_path / "home", subset="test", return_X_y=True)
    assert [url.rsplit("/", 1)[1] for url in mirrors.urls] == ["usps.t.bz2"]
    X, y = load_usps(data_home=tmp_path / "home", return_X_y=True)
    np.testing.assert_allclose(X, expected_usps(usps_arrays)[0], atol=1e-6)
    assert len(mirrors.urls) == 2 and mirrors.urls[1].startswith(datasets._USPS_MIRRORS[0])
    load_usps(data_home=tmp_path / "home")
    assert len(mirrors.urls) == 2


def test_usps_download_checksum_mismatch(tmp_path, usps_served, monkeypatch):
    monkeypatch.setattr(urllib.request, "urlopen", FakeMirrors(usps_served))
    monkeypatch.setitem(datasets._USPS_MD5, "usps.bz2", "0" * 32)
    with pytest.raises(OSError, match="checksum mismatch"):
        load_usps(data_home=tmp_path / "home")
    assert list((tmp_path / "home" / "usps").iterdir()) == []


def test_usps_real_checksums_reject_fake_files(tmp_path, usps_arrays, monkeypatch):
    pixels, labels = usps_arrays
    files = {"usps.bz2": bz2.compress(libsvm_text(pixels["train"], labels["train"]))}
    monkeypatch.setattr(urllib.request, "urlopen", FakeMirrors(files))
    with pytest.raises(OSError, match="checksum mismatch"):
        load_usps(data_home=tmp_path / "home", subset="train")


# --- Reuters-10k -------------------------------------------------------------------------

# Twelve stories over six terms; roots in the columns CCAT, ECAT, GCAT, MCAT of the targets.
RCV1_NAMES = np.array(["C11", "CCAT", "E11", "ECAT", "GCAT", "MCAT"], dtype=object)
RCV1_TOPICS = [
    ("C11", "CCAT"),
    ("GCAT",),
    ("MCAT",),
    ("ECAT", "E11"),
    ("CCAT", "GCAT"),  # two roots: dropped
    ("C11",),  # no root: dropped
    ("CCAT",),
    ("GCAT",),
    ("MCAT", "ECAT"),  # two roots: dropped
    ("ECAT",),
    ("CCAT",),
    ("MCAT",),
]
KEPT = [0, 1, 2, 3, 6, 7, 9, 10, 11]
KEPT_LABELS = [0, 1, 2, 3, 0, 1, 3, 0, 2]


def fake_rcv1():
    rng = np.random.default_rng(3)
    data = rng.uniform(0.1, 1.0, size=(12, 6))
    # Document frequencies among the kept stories: terms 0, 3, 5 in all nine, term 1 in
    # five, term 2 in four, term 4 in none (it appears in dropped stories only).
    data[:, 4] = 0.0
    data[[4, 5], 4] = 1.0
    data[[KEPT[i] for i in range(4)], 1] = 0.0
    data[[KEPT[i] for i in range(5)], 2] = 0.0
    target = np.zeros((12, 6), dtype=np.uint8)
    for row, topics in enumerate(RCV1_TOPICS):
        for topic in topics:
            target[row, list(RCV1_NAMES).index(topic)] = 1
    return Bunch(
        data=sp.csr_matrix(data),
        target=sp.csr_array(target),
        target_names=RCV1_NAMES,
        sample_id=np.arange(2286, 2298, dtype=np.uint32),
        dense=data,
    )


class FakeFetcher:
    """Returns a fixed Bunch, recording the keyword arguments of each call."""

    def __init__(self, bunch):
        self.bunch = bunch
        self.calls = []

    def __call__(self, **kwargs):
        self.calls.append(kwargs)
        if not kwargs.get("download_if_missing", True):
            raise OSError("Data not found and `download_if_missing` is False")
        return self.bunch


@pytest.fixture
def rcv1(monkeypatch):
    monkeypatch.setattr(_loaders, "_N_TERMS", 3)
    fetcher = FakeFetcher(fake_rcv1())
    monkeypatch.setattr(_loaders, "fetch_rcv1", fetcher)
    return fetcher


def test_reuters_from_rcv1(tmp_path, rcv1):
    bunch = load_reuters10k(n_samples=None)
    assert rcv1.calls == [{"data_home": None, "subset": "all", "download_if_missing": True}]
    np.testing.assert_array_equal(bunch.target, KEPT_LABELS)
    np.testing.assert_array_equal(bunch.sample_id, 2286 + np.array(KEPT))
    np.testing.assert_array_equal(bunch.target_names, ["CCAT", "GCAT", "MCAT", "ECAT"])
    # The three terms of highest document frequency are 0, 3, 5; rows of norm sqrt(3).
    kept = rcv1.bunch.dense[KEPT][:, [0, 3, 5]]
    expected = kept / np.linalg.norm(kept, axis=1, keepdims=True) * np.sqrt(3)
    assert isinstance(bunch.data, np.ndarray) and bunch.data.dtype == np.float32
    np.testing.assert_allclose(bunch.data, expected, rtol=1e-6)
    assert "Reuters" in bunch.DESCR
    # The fetched Bunch is left as it was.
    np.testing.assert_array_equal(rcv1.bunch.data.toarray(), rcv1.bunch.dense)


def test_reuters_top_terms_by_document_frequency(monkeypatch, rcv1):
    monkeypatch.setattr(_loaders, "_N_TERMS", 4)
    X, _ = load_reuters10k(n_samples=None, return_X_y=True)
    kept = rcv1.bunch.dense[KEPT][:, [0, 1, 3, 5]]
    np.testing.assert_allclose(X, kept / np.linalg.norm(kept, axis=1, keepdims=True) * 2, rtol=1e-6)


def test_reuters_cache_written_and_reused(tmp_path, rcv1, monkeypatch):
    first = load_reuters10k(data_home=tmp_path / "home", n_samples=None)
    cache = tmp_path / "home" / "reuters10k" / "rcv1_4roots_2000terms.npz"
    assert cache.is_file()
    assert [p.name for p in cache.parent.iterdir()] == [cache.name]
    monkeypatch.setattr(_loaders, "fetch_rcv1", FakeFetcher(None))
    second = load_reuters10k(data_home=tmp_path / "home", n_samples=None, download=False)
    np.testing.assert_array_equal(second.data, first.data)
    np.testing.assert_array_equal(second.target, first.target)
    np.testing.assert_array_equal(second.sample_id, first.sample_id)
    # The cache file is also a valid path=.
    third = load_reuters10k(cache, n_samples=None, as_sparse=True)
    np.testing.assert_array_equal(third.data.toarray(), first.data)


def test_reuters_random_subset(rcv1):
    full = load_reuters10k(n_samples=None)
    subset = load_reuters10k(n_samples=4, random_state=0)
    again = load_reuters10k(n_samples=4, random_state=0)
    other = load_reuters10k(n_samples=4, random_state=1)
    assert subset.data.shape == (4, 3) and len(subset.target) == 4
    np.testing.assert_array_equal(subset.data, again.data)
    np.testing.assert_array_equal(subset.sample_id, again.sample_id)
    assert not np.array_equal(subset.sample_id, other.sample_id)
    # Each subset row is the full row of the same story.
    rows = np.searchsorted(full.sample_id, subset.sample_id)
    np.testing.assert_array_equal(subset.data, full.data[rows])
    np.testing.assert_array_equal(subset.target, full.target[rows])
    assert len(set(subset.sample_id.tolist())) == 4


def test_reuters_as_sparse(rcv1):
    X, y = load_reuters10k(n_samples=5, as_sparse=True, return_X_y=True)
    assert sp.issparse(X) and X.format == "csr" and X.dtype == np.float32
    dense, _ = load_reuters10k(n_samples=5, return_X_y=True)
    np.testing.assert_array_equal(X.toarray(), dense)


@pytest.mark.parametrize("n_samples", [0, -3, 2.5, True, "10"])
def test_reuters_bad_n_samples(rcv1, n_samples):
    with pytest.raises(ValueError, match="n_samples must be None or an integer"):
        load_reuters10k(n_samples=n_samples)


def test_reuters_too_many_samples(rcv1):
    with pytest.raises(ValueError, match="exceeds the 9 stories available"):
        load_reuters10k()  # the default 10,000


def test_reuters_without_download(tmp_path, rcv1):
    with pytest.raises(FileNotFoundError) as error:
        load_reuters10k(data_home=tmp_path / "home", download=False)
    assert rcv1.calls[-1]["download_if_missing"] is False
    assert rcv1.calls[-1]["data_home"] == tmp_path / "home"
    message = str(error.value)
    assert "download=True" in message and "path=" in message
    assert str(tmp_path / "home" / "reuters10k") in message


def test_reuters_missing_root_category(monkeypatch):
    bunch = fake_rcv1()
    bunch.target_names = np.array(["C11", "CCAT", "E11", "ECAT", "G15", "MCAT"], dtype=object)
    monkeypatch.setattr(_loaders, "fetch_rcv1", FakeFetcher(bunch))
    with pytest.raises(ValueError, match=r"lack the root categories \['GCAT'\]"):
        load_reuters10k()


def test_reuters_dense_npz_path(tmp_path):
    X = np.random.default_rng(0).random((6, 2000))
    np.savez(tmp_path / "r.npz", X=X, y=np.array([0, 1, 2, 3, 0, 1], dtype=np.uint8))
    bunch = load_reuters10k(tmp_path / "r.npz", n_samples=None)
    np.testing.assert_array_equal(bunch.data, X.astype(np.float32))
    assert bunch.target.dtype == np.int64 and "sample_id" not in bunch
    assert load_reuters10k(str(tmp_path / "r.npz"), n_samples=6).data.shape == (6, 2000)


# --- the .npz layout (both text loaders) -----------------------------------------------


@pytest.mark.parametrize("loader", [load_reuters10k, load_20newsgroups])
def test_npz_path_errors(tmp_path, loader):
    with pytest.raises(FileNotFoundError, match="nowhere.npz does not exist"):
        loader(tmp_path / "nowhere.npz")
    (tmp_path / "notes.txt").write_text("not an archive")
    with pytest.raises(ValueError, match="not an .npz file"):
        loader(tmp_path / "notes.txt")
    np.save(tmp_path / "single.npy", np.zeros((3, 3)))
    with pytest.raises(ValueError, match="single array"):
        loader(tmp_path / "single.npy")
    bad = {
        "no-y": ({"X": np.zeros((3, 2))}, "expects"),
        "1-d-X": ({"X": np.zeros(3), "y": np.zeros(3, int)}, "X must be 2-D"),
        "text-X": ({"X": np.array([["a"]]), "y": np.zeros(1, int)}, "real numbers"),
        "float-y": ({"X": np.zeros((3, 2)), "y": np.zeros(3)}, "integer labels"),
        "count": ({"X": np.zeros((3, 2)), "y": np.zeros(2, int)}, "3 rows in X but 2 labels"),
        "csr": (
            {
                "X_data": np.ones(2),
                "X_indices": np.array([0, 7]),
                "X_indptr": np.array([0, 1, 2]),
                "X_shape": np.array([2, 3]),
                "y": np.zeros(2, int),
            },
            "invalid CSR matrix",
        ),
    }
    options = {"n_samples": None} if loader is load_reuters10k else {}
    for name, (arrays, match) in bad.items():
        np.savez(tmp_path / f"{name}.npz", **arrays)
        with pytest.raises(ValueError, match=match):
            loader(tmp_path / f"{name}.npz", **options)


@pytest.mark.parametrize("loader", [load_reuters10k, load_20newsgroups])
def test_bad_as_sparse(tmp_path, loader):
    with pytest.raises(ValueError, match="as_sparse must be True or False"):
        loader(tmp_path / "x.npz", as_sparse="yes")


def test_save_dataset_npz_round_trip(tmp_path):
    X = sp.random(5, 7, density=0.3, format="csr", random_state=0, dtype=np.float32)
    _loaders._save_dataset_npz(tmp_path / "sub" / "d.npz", X, np.arange(5), names=np.array(["a"]))
    X_read, y_read, extras = _loaders._load_dataset_npz(tmp_path / "sub" / "d.npz", "test")
    assert sp.issparse(X_read)
    np.testing.assert_array_equal(X_read.toarray(), X.toarray())
    np.testing.assert_array_equal(y_read, np.arange(5))
    assert extras["names"].tolist() == ["a"]
    assert [p.name for p in (tmp_path / "sub").iterdir()] == ["d.npz"]


# --- 20 Newsgroups -------------------------------------------------------------------------

POSTS = [
    "The rocket reached orbit and the orbit was stable",
    "God and religion and the church",
    "The hockey game went to overtime, hockey fans cheered",
    "Orbit insertion of the space probe, rocket engines",
    "",  # emptied by the removal of headers, footers and quotes
    "Church doctrine about god",
]
POST_LABELS = np.array([2, 0, 1, 2, 1, 0])


@pytest.fixture
def newsgroups(monkeypatch):
    monkeypatch.setattr(_loaders, "_N_TERMS", 5)
    names = ["alt.atheism", "rec.sport.hockey", "sci.space"]
    fetcher = FakeFetcher(Bunch(data=list(POSTS), target=POST_LABELS, target_names=names))
    monkeypatch.setattr(_loaders, "fetch_20newsgroups", fetcher)
    return fetcher


def test_newsgroups_vectorised(newsgroups):
    bunch = load_20newsgroups()
    assert newsgroups.calls == [
        {
            "data_home": None,
            "subset": "all",
            "remove": ("headers", "footers", "quotes"),
            "shuffle": False,
            "download_if_missing": True,
        }
    ]
    reference = TfidfVectorizer(max_features=5, stop_words="english")
    expected = reference.fit_transform(POSTS).toarray()
    assert isinstance(bunch.data, np.ndarray) and bunch.data.dtype == np.float32
    np.testing.assert_allclose(bunch.data, expected, rtol=1e-6)
    np.testing.assert_array_equal(bunch.feature_names, reference.get_feature_names_out())
    assert "the" not in bunch.feature_names and "orbit" in bunch.feature_names
    np.testing.assert_array_equal(bunch.target, POST_LABELS)
    assert bunch.target.dtype == np.int64
    assert bunch.target_names.tolist() == ["alt.atheism", "rec.sport.hockey", "sci.space"]
    norms = np.linalg.norm(bunch.data, axis=1)
    np.testing.assert_allclose(norms[[0, 1, 2, 3, 5]], 1, rtol=1e-6)
    assert norms[4] == 0
    assert "20 Newsgroups" in bunch.DESCR


def test_newsgroups_cache_per_remove(tmp_path, newsgroups):
    home = tmp_path / "home"
    first = load_20newsgroups(data_home=home, as_sparse=True)
    assert first.data.format == "csr" and first.data.dtype == np.float32
    # Same parts in another order or spelling: the same cache file, no new fetch.
    again = load_20newsgroups(data_home=home, remove=["quotes", "footers", "headers"])
    assert len(newsgroups.calls) == 1
    np.testing.assert_array_equal(again.data, first.data.toarray())
    np.testing.assert_array_equal(again.feature_names, first.feature_names)
    load_20newsgroups(data_home=home, remove=())
    load_20newsgroups(data_home=home, remove="headers")
    assert [call["remove"] for call in newsgroups.calls[1:]] == [(), ("headers",)]
    assert sorted(p.name for p in (home / "20newsgroups_tfidf").iterdir()) == [
        "tfidf2000.npz",
        "tfidf2000_remove-headers-footers-quotes.npz",
        "tfidf2000_remove-headers.npz",
    ]
    load_20newsgroups(data_home=home, remove=(), download=False)
    assert len(newsgroups.calls) == 3


@pytest.mark.parametrize("remove", [("headers", "body"), "signature", 3, (None,)])
def test_newsgroups_bad_remove(newsgroups, remove):
    with pytest.raises(ValueError, match="remove must be a tuple of parts"):
        load_20newsgroups(remove=remove)


def test_newsgroups_without_download(tmp_path, newsgroups):
    with pytest.raises(FileNotFoundError) as error:
        load_20newsgroups(data_home=tmp_path / "home", download=False)
    assert newsgroups.calls[-1]["download_if_missing"] is False
    assert "download=True" in str(error.value)
    assert str(tmp_path / "home" / "20newsgroups_tfidf") in str(error.value)


def test_newsgroups_npz_path(tmp_path):
    X = np.eye(4, 2000)
    np.savez(
        tmp_path / "news.npz", X=X, y=np.array([3, 1, 0, 2]), feature_names=np.array(["w"] * 2000)
    )
    X_read, y = load_20newsgroups(tmp_path / "news.npz", return_X_y=True)
    np.testing.assert_array_equal(X_read, X.astype(np.float32))
    bunch = load_20newsgroups(tmp_path / "news.npz", as_sparse=True)
    assert sp.issparse(bunch.data) and "target_names" not in bunch
    assert bunch.feature_names.shape == (2000,)


def test_fetch_errors_propagate_when_downloading(monkeypatch):
    def failing(**kwargs):
        raise OSError("network unreachable")

    monkeypatch.setattr(_loaders, "fetch_20newsgroups", failing)
    with pytest.raises(OSError, match="network unreachable"):
        load_20newsgroups()


# --- the main job ----------------------------------------------------------------------------


def test_main_loads_each_data_set(tmp_path, usps_arrays, rcv1):
    write_usps(tmp_path / "usps", usps_arrays)
    args = argparse.Namespace(
        dataset="usps", path=tmp_path / "usps", data_home=None, n_samples=4, random_state=0
    )
    X, y = _load(args)
    assert X.shape == (4, 256) and len(y) == 4
    args = argparse.Namespace(
        dataset="reuters10k", path=None, data_home=None, n_samples=6, random_state=0
    )
    X, y = _load(args)
    assert X.shape == (6, 3)


def test_main_runs_on_usps(tmp_path, usps_arrays, capsys):
    rng = np.random.default_rng(4)
    labels = {"train": np.repeat([0, 1, 2], 8), "test": np.array([0, 1, 2])}
    pixels = {split: np.round(rng.uniform(-1, 1, (len(labels[split]), 256)), 4) for split in labels}
    write_usps(tmp_path / "usps", (pixels, labels))
    main(
        ["--dataset", "usps", "--path", str(tmp_path / "usps"), "--device", "cpu"]
        + ["--pretrain-epochs", "1", "--epochs", "1"]
    )
    output = capsys.readouterr().out
    assert "usps: 27 samples, 256 features, 3 classes" in output
    assert "k-means" in output and "DEC" in output


@pytest.mark.parametrize("method", sorted(cli.METHODS))
def test_main_runs_every_method_on_a_digits_subset(method, capsys):
    # the methods with a pretraining phase; the others train in one phase
    epochs = ["--pretrain-epochs", "1"] if method in (
        "dec", "idec", "dcn", "dmae", "ddls", "aljalbout", "dbc", "vade", "embspace") else []
    main(["--method", method, "--n-samples", "120", "--epochs", "1", "--device", "cpu", *epochs])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "digits: 120 samples, 64 features, 10 classes"
    assert lines[2].startswith("k-means") and lines[3].startswith(method.upper())


@pytest.mark.parametrize(
    "method, argv, expected",
    [
        # the estimator's defaults, resolved at fit for the data
        ("dec", [], {"pretrain_epochs": "auto", "batch_size": "auto"}),
        ("dcn", ["--batch-size", "32"], {"pretrain_epochs": "auto", "batch_size": 32}),
        ("dec", ["--pretrain-epochs", "2"], {"pretrain_epochs": 2, "batch_size": "auto"}),
        ("ddls", [], {"pretrain_epochs": "auto", "batch_size": "auto"}),
        ("ddc", ["--batch-size", "50"], {"batch_size": 50}),
    ],
)
def test_main_runs_the_defaults_and_the_options_given(
    method, argv, expected, monkeypatch, capsys
):
    import skdeepcluster.__main__ as cli

    seen = {}

    class Recorded(cli.METHODS[method]):
        def fit(self, X, y=None):
            seen.update(self.get_params())
            if "pretrain_epochs" in seen:  # the settings are recorded; skip the training time
                self.set_params(pretrain_epochs=0)
            return super().fit(X, y)

    monkeypatch.setitem(cli.METHODS, method, Recorded)
    main(["--method", method, "--n-samples", "60", "--epochs", "1", "--device", "cpu", *argv])
    assert {name: seen[name] for name in expected} == expected
    lines = capsys.readouterr().out.splitlines()
    assert lines[3].startswith(method.upper())
    # the settings the fit resolved are printed: 60 samples give batches of 32
    batch_size = expected["batch_size"] if expected["batch_size"] != "auto" else 32
    assert f"batch_size={batch_size}, " in lines[4] and "epochs=1" in lines[4]


def test_main_network_option(capsys):
    main(["--network", "conv_bn", "--n-samples", "60", "--pretrain-epochs", "1", "--epochs", "1"])
    assert "DEC" in capsys.readouterr().out
    # 8x8 digits are too small for three strided convolutions: a usage error, no traceback.
    with pytest.raises(SystemExit) as exit_info:
        main(["--network", "conv", "--n-samples", "60", "--pretrain-epochs", "1"])
    assert exit_info.value.code == 2
    assert "too small" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--method", "ddc", "--pretrain-epochs", "1"], "--pretrain-epochs does not apply"),
        (["--method", "dmm", "--network", "conv"], "--network does not apply"),
        (["--network", "transformer"], "network"),
    ],
)
def test_main_rejects_options_that_do_not_apply(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([*argv, "--n-samples", "30", "--epochs", "1", "--device", "cpu"])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


# --- the real data sets, when cached (never downloaded by the tests) ---------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    "loader, shape, n_classes",
    [
        (load_fashion_mnist, (70_000, 784), 10),
        (load_usps, (9_298, 256), 10),
        (load_reuters10k, (10_000, 2000), 4),
        (load_20newsgroups, (18_846, 2000), 20),
    ],
    ids=["fashion-mnist", "usps", "reuters10k", "20newsgroups"],
)
def test_real_data_sets(monkeypatch, loader, shape, n_classes):
    # Use the real cache: the offline fixture pointed SCIKIT_LEARN_DATA into tmp_path.
    monkeypatch.delenv("SCIKIT_LEARN_DATA")
    # The real fetchers, which only read their cache when download_if_missing is False.
    monkeypatch.setattr(_loaders, "fetch_rcv1", sklearn.datasets.fetch_rcv1)
    monkeypatch.setattr(_loaders, "fetch_20newsgroups", sklearn.datasets.fetch_20newsgroups)
    try:
        X, y = loader(download=False, return_X_y=True)
    except FileNotFoundError as error:
        pytest.skip(f"not cached: {error}")
    assert X.shape == shape and X.dtype == np.float32
    assert len(np.unique(y)) == n_classes
    assert X.min() >= 0
