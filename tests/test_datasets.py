"""Tests for skdeepcluster.datasets, on tiny synthetic MNIST files and without network."""

import gzip
import hashlib
import io
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from sklearn.utils import Bunch

from skdeepcluster import datasets
from skdeepcluster.datasets import load_mnist

# Taken before the autouse fixture below replaces it in each test.
_REAL_URLOPEN = urllib.request.urlopen

REAL_MNIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist.npz"

IDX_NAMES = {
    "X_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "X_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}


# --- synthetic files ----------------------------------------------------------


def idx_bytes(array):
    """Encode a uint8 array as an IDX file: magic 0x0000 08 <ndim>, big-endian dims, data."""
    array = np.asarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim])
    header += b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + array.tobytes()


@pytest.fixture
def mnist_arrays():
    """Five training and three test images, with 0 and 255 present to pin the scaling."""
    rng = np.random.default_rng(0)
    arrays = {
        "X_train": rng.integers(0, 256, size=(5, 28, 28), dtype=np.uint8),
        "y_train": np.array([5, 0, 4, 1, 9], dtype=np.uint8),
        "X_test": rng.integers(0, 256, size=(3, 28, 28), dtype=np.uint8),
        "y_test": np.array([7, 2, 1], dtype=np.uint8),
    }
    arrays["X_train"][0, 0, 0] = 0
    arrays["X_train"][0, 0, 1] = 255
    return arrays


def write_idx_folder(folder, arrays, compress=True, suffix=True):
    """Write the four IDX files into ``folder``, gzipped or plain."""
    folder.mkdir(parents=True, exist_ok=True)
    for key, stem in IDX_NAMES.items():
        raw = idx_bytes(arrays[key])
        if compress:
            raw = gzip.compress(raw)
        (folder / (stem + (".gz" if compress and suffix else ""))).write_bytes(raw)
    return folder


def expected_X_y(arrays, splits=("train", "test")):
    X = np.concatenate([arrays[f"X_{s}"].reshape(-1, 784) for s in splits]) / 255
    y = np.concatenate([arrays[f"y_{s}"] for s in splits])
    return X.astype(np.float32), y.astype(np.int64)


@pytest.fixture(autouse=True)
def offline(monkeypatch, tmp_path):
    """Fail any network access and point the scikit-learn cache into tmp_path."""

    def no_network(url, *args, **kwargs):
        raise AssertionError(f"test tried to download {url}")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
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


@pytest.fixture
def served(mnist_arrays, monkeypatch):
    """Gzipped fake IDX files keyed by file name, with the checksum table set to their MD5s."""
    files = {
        stem + ".gz": gzip.compress(idx_bytes(mnist_arrays[key]))
        for key, stem in IDX_NAMES.items()
    }
    md5 = {name: hashlib.md5(raw).hexdigest() for name, raw in files.items()}
    monkeypatch.setattr(datasets, "_MNIST_MD5", md5)
    return files


# --- reading from a path ----------------------------------------------------------


def test_npz_path(tmp_path, mnist_arrays):
    np.savez(tmp_path / "mnist.npz", **mnist_arrays)
    X, y = load_mnist(tmp_path / "mnist.npz", return_X_y=True)
    X_expected, y_expected = expected_X_y(mnist_arrays)
    assert X.shape == (8, 784) and X.dtype == np.float32
    assert y.shape == (8,) and y.dtype == np.int64
    np.testing.assert_array_equal(X, X_expected)
    np.testing.assert_array_equal(y, [5, 0, 4, 1, 9, 7, 2, 1])
    assert X[0, 0] == 0.0 and X[0, 1] == 1.0
    assert X.min() >= 0.0 and X.max() <= 1.0


def test_npz_with_flat_images_and_str_path(tmp_path, mnist_arrays):
    flat = {k: v.reshape(len(v), -1) if k.startswith("X") else v for k, v in mnist_arrays.items()}
    np.savez(tmp_path / "flat.npz", **flat)
    X, y = load_mnist(str(tmp_path / "flat.npz"), return_X_y=True)
    np.testing.assert_array_equal(X, expected_X_y(mnist_arrays)[0])


def test_npz_keras_keys(tmp_path, mnist_arrays):
    keras = {key.lower(): value for key, value in mnist_arrays.items()}
    np.savez_compressed(tmp_path / "keras.npz", **keras)
    X, y = load_mnist(tmp_path / "keras.npz", return_X_y=True)
    X_expected, y_expected = expected_X_y(mnist_arrays)
    np.testing.assert_array_equal(X, X_expected)
    np.testing.assert_array_equal(y, y_expected)


def test_npz_missing_key(tmp_path, mnist_arrays):
    del mnist_arrays["y_test"]
    np.savez(tmp_path / "partial.npz", **mnist_arrays)
    with pytest.raises(ValueError, match="no array 'y_test'"):
        load_mnist(tmp_path / "partial.npz")
    # The training split alone does not need the missing array.
    assert load_mnist(tmp_path / "partial.npz", subset="train").data.shape == (5, 784)


def test_npz_rejects_wrong_image_shape(tmp_path, mnist_arrays):
    mnist_arrays["X_train"] = np.zeros((5, 32, 32), dtype=np.uint8)
    np.savez(tmp_path / "bad.npz", **mnist_arrays)
    with pytest.raises(ValueError, match=r"\(n, 28, 28\) or \(n, 784\)"):
        load_mnist(tmp_path / "bad.npz")


def test_npz_rejects_already_scaled_pixels(tmp_path, mnist_arrays):
    mnist_arrays["X_train"] = mnist_arrays["X_train"] / 255.0
    np.savez(tmp_path / "scaled.npz", **mnist_arrays)
    with pytest.raises(ValueError, match="0..255"):
        load_mnist(tmp_path / "scaled.npz")


def test_npz_rejects_label_count_mismatch(tmp_path, mnist_arrays):
    mnist_arrays["y_test"] = mnist_arrays["y_test"][:2]
    np.savez(tmp_path / "bad.npz", **mnist_arrays)
    with pytest.raises(ValueError, match="3 images but 2 labels"):
        load_mnist(tmp_path / "bad.npz")


@pytest.mark.parametrize(
    "compress, suffix",
    [(True, True), (False, False), (True, False)],
    ids=["gzip", "plain", "gzip-without-suffix"],
)
def test_idx_folder(tmp_path, mnist_arrays, compress, suffix):
    folder = write_idx_folder(tmp_path / "idx", mnist_arrays, compress, suffix)
    X, y = load_mnist(folder, return_X_y=True)
    X_expected, y_expected = expected_X_y(mnist_arrays)
    np.testing.assert_array_equal(X, X_expected)
    np.testing.assert_array_equal(y, y_expected)
    assert X.dtype == np.float32 and y.dtype == np.int64


def test_idx_bad_magic_number(tmp_path, mnist_arrays):
    folder = write_idx_folder(tmp_path / "idx", mnist_arrays, compress=False)
    # A labels file where the images file belongs: magic 2049 instead of 2051.
    (folder / "train-images-idx3-ubyte").write_bytes(idx_bytes(mnist_arrays["y_train"]))
    with pytest.raises(ValueError, match="magic number 2049, expected 2051"):
        load_mnist(folder)


def test_idx_truncated_file(tmp_path, mnist_arrays):
    folder = write_idx_folder(tmp_path / "idx", mnist_arrays, compress=False)
    path = folder / "t10k-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(ValueError, match="truncated"):
        load_mnist(folder)


def test_idx_missing_file_message(tmp_path, mnist_arrays):
    folder = write_idx_folder(tmp_path / "idx", mnist_arrays)
    (folder / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(FileNotFoundError) as error:
        load_mnist(folder)
    message = str(error.value)
    assert "t10k-labels-idx1-ubyte[.gz]" in message
    assert str(folder) in message
    assert "path=" in message
    # The training split is complete, so it still loads.
    assert load_mnist(folder, subset="train").target.shape == (5,)


def test_path_to_non_npz_file(tmp_path, mnist_arrays):
    (tmp_path / "notes.txt").write_text("not MNIST")
    with pytest.raises(ValueError, match="not an .npz file"):
        load_mnist(tmp_path / "notes.txt")
    np.save(tmp_path / "single.npy", mnist_arrays["X_train"])
    with pytest.raises(ValueError, match="single array"):
        load_mnist(tmp_path / "single.npy")


def test_missing_path(tmp_path):
    missing = tmp_path / "nowhere.npz"
    with pytest.raises(FileNotFoundError, match="nowhere.npz does not exist"):
        load_mnist(missing)


# --- options ------------------------------------------------------------------


@pytest.mark.parametrize(
    "subset, splits",
    [("train", ("train",)), ("test", ("test",)), ("all", ("train", "test"))],
)
def test_subset(tmp_path, mnist_arrays, subset, splits):
    np.savez(tmp_path / "mnist.npz", **mnist_arrays)
    X, y = load_mnist(tmp_path / "mnist.npz", subset=subset, return_X_y=True)
    X_expected, y_expected = expected_X_y(mnist_arrays, splits)
    np.testing.assert_array_equal(X, X_expected)
    np.testing.assert_array_equal(y, y_expected)


def test_unknown_subset(tmp_path):
    with pytest.raises(ValueError, match="subset must be one of"):
        load_mnist(tmp_path, subset="validation")


def test_bunch(tmp_path, mnist_arrays):
    np.savez(tmp_path / "mnist.npz", **mnist_arrays)
    bunch = load_mnist(tmp_path / "mnist.npz")
    assert isinstance(bunch, Bunch)
    assert bunch.data.shape == (8, 784) and bunch.data.dtype == np.float32
    assert bunch.images.shape == (8, 28, 28) and bunch.images.dtype == np.float32
    np.testing.assert_array_equal(bunch.images.reshape(8, -1), bunch.data)
    np.testing.assert_array_equal(bunch.target_names, np.arange(10))
    assert "MNIST" in bunch.DESCR


def test_as_images(tmp_path, mnist_arrays):
    np.savez(tmp_path / "mnist.npz", **mnist_arrays)
    X, y = load_mnist(tmp_path / "mnist.npz", as_images=True, return_X_y=True)
    assert X.shape == (8, 1, 28, 28) and X.dtype == np.float32
    np.testing.assert_array_equal(X[5, 0], mnist_arrays["X_test"][0] / np.float32(255))
    bunch = load_mnist(tmp_path / "mnist.npz", as_images=True)
    assert bunch.data.shape == (8, 1, 28, 28) and bunch.images.shape == (8, 28, 28)


# --- the scikit-learn data cache ------------------------------------------------


def test_data_home_npz(tmp_path, mnist_arrays):
    (tmp_path / "home" / "mnist").mkdir(parents=True)
    np.savez(tmp_path / "home" / "mnist" / "mnist.npz", **mnist_arrays)
    X, y = load_mnist(data_home=tmp_path / "home", return_X_y=True)
    np.testing.assert_array_equal(y, expected_X_y(mnist_arrays)[1])


def test_data_home_idx(tmp_path, mnist_arrays):
    write_idx_folder(tmp_path / "home" / "mnist", mnist_arrays)
    X, y = load_mnist(data_home=str(tmp_path / "home"), return_X_y=True)
    np.testing.assert_array_equal(X, expected_X_y(mnist_arrays)[0])


def test_default_data_home_respects_scikit_learn_data(tmp_path, mnist_arrays):
    # The autouse fixture points SCIKIT_LEARN_DATA at tmp_path / "sklearn_cache".
    write_idx_folder(tmp_path / "sklearn_cache" / "mnist", mnist_arrays)
    assert load_mnist(subset="test").target.tolist() == [7, 2, 1]


def test_cache_miss_without_download(tmp_path):
    with pytest.raises(FileNotFoundError) as error:
        load_mnist(data_home=tmp_path / "home", download=False)
    message = str(error.value)
    assert str(tmp_path / "home" / "mnist") in message
    assert "mnist.npz" in message and "train-images-idx3-ubyte[.gz]" in message
    assert "download=True" in message and "path=" in message


# --- downloading (from fake mirrors) ---------------------------------------------


def test_download_then_cache(tmp_path, mnist_arrays, served, monkeypatch):
    mirrors = FakeMirrors(served)
    monkeypatch.setattr(urllib.request, "urlopen", mirrors)
    X, y = load_mnist(data_home=tmp_path / "home", return_X_y=True)
    X_expected, y_expected = expected_X_y(mnist_arrays)
    np.testing.assert_array_equal(X, X_expected)
    np.testing.assert_array_equal(y, y_expected)
    folder = tmp_path / "home" / "mnist"
    assert sorted(p.name for p in folder.iterdir()) == sorted(served)
    assert len(mirrors.urls) == 4
    assert all(url.startswith(datasets._MNIST_MIRRORS[0]) for url in mirrors.urls)
    # A second load reads the cache without touching the network.
    load_mnist(data_home=tmp_path / "home")
    assert len(mirrors.urls) == 4


def test_download_only_the_requested_split(tmp_path, served, monkeypatch):
    mirrors = FakeMirrors(served)
    monkeypatch.setattr(urllib.request, "urlopen", mirrors)
    assert load_mnist(data_home=tmp_path / "home", subset="test").data.shape == (3, 784)
    assert sorted(url.rsplit("/", 1)[1] for url in mirrors.urls) == [
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    ]


def test_download_falls_back_to_next_mirror(tmp_path, served, monkeypatch):
    mirrors = FakeMirrors(served, failing=datasets._MNIST_MIRRORS[:1])
    monkeypatch.setattr(urllib.request, "urlopen", mirrors)
    assert load_mnist(data_home=tmp_path / "home").data.shape == (8, 784)
    assert len(mirrors.urls) == 8


def test_download_checksum_mismatch(tmp_path, served, monkeypatch):
    monkeypatch.setattr(urllib.request, "urlopen", FakeMirrors(served))
    monkeypatch.setitem(datasets._MNIST_MD5, "train-images-idx3-ubyte.gz", "0" * 32)
    with pytest.raises(OSError, match="checksum mismatch") as error:
        load_mnist(data_home=tmp_path / "home")
    assert "train-images-idx3-ubyte.gz" in str(error.value)
    # The rejected download leaves neither the file nor a partial one behind.
    folder = tmp_path / "home" / "mnist"
    assert not any(p.name.startswith("train-images") for p in folder.iterdir())


def test_download_all_mirrors_fail(tmp_path, served, monkeypatch):
    monkeypatch.setattr(
        urllib.request, "urlopen", FakeMirrors(served, failing=datasets._MNIST_MIRRORS)
    )
    with pytest.raises(OSError, match="Could not download") as error:
        load_mnist(data_home=tmp_path / "home")
    for mirror in datasets._MNIST_MIRRORS:
        assert mirror in str(error.value)
    assert list((tmp_path / "home" / "mnist").iterdir()) == []


def test_real_checksums_reject_fake_files(tmp_path, mnist_arrays, monkeypatch):
    files = {
        stem + ".gz": gzip.compress(idx_bytes(mnist_arrays[key]))
        for key, stem in IDX_NAMES.items()
    }
    monkeypatch.setattr(urllib.request, "urlopen", FakeMirrors(files))
    with pytest.raises(OSError, match="checksum mismatch"):
        load_mnist(data_home=tmp_path / "home")


def test_explicit_path_never_downloads(tmp_path):
    # The autouse fixture turns any download into an AssertionError.
    with pytest.raises(FileNotFoundError):
        load_mnist(tmp_path / "empty_dir_that_is_missing")


# --- the real data set ----------------------------------------------------------


@pytest.mark.slow
def test_real_mnist():
    if not REAL_MNIST.is_file():
        pytest.skip(f"{REAL_MNIST} not present")
    bunch = load_mnist(REAL_MNIST)
    assert bunch.data.shape == (70_000, 784) and bunch.data.dtype == np.float32
    assert bunch.target.dtype == np.int64
    assert np.unique(bunch.target).tolist() == list(range(10))
    assert 0.0 == bunch.data.min() and bunch.data.max() == 1.0
    assert load_mnist(REAL_MNIST, subset="test").data.shape == (10_000, 784)


@pytest.fixture
def http_mirror(served, monkeypatch):
    """A real HTTP server on the loopback serving the files under /mnist/ (404 elsewhere)."""
    import http.server
    import threading

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            name = self.path.rsplit("/", 1)[1]
            if not self.path.startswith("/mnist/") or name not in served:
                self.send_error(404)
                return
            body = served[name]
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    # The autouse fixture blocks urlopen; this test goes through the real one.
    monkeypatch.setattr(urllib.request, "urlopen", _REAL_URLOPEN)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    yield base
    server.shutdown()
    server.server_close()


def test_download_over_real_http_with_a_dead_first_mirror(tmp_path, mnist_arrays, http_mirror,
                                                          monkeypatch):
    # The first mirror answers 404 (an HTTPError through urllib), the second serves the files.
    monkeypatch.setattr(datasets, "_MNIST_MIRRORS", (f"{http_mirror}/gone/", f"{http_mirror}/mnist/"))
    X, y = load_mnist(data_home=tmp_path / "home", return_X_y=True)
    X_expected, y_expected = expected_X_y(mnist_arrays)
    np.testing.assert_array_equal(X, X_expected)
    np.testing.assert_array_equal(y, y_expected)
    assert not list((tmp_path / "home" / "mnist").glob("*.part"))
