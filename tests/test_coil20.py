"""load_coil20: the 1,440 COIL-20 images from the CAVE lab's zip file or a folder."""

import zipfile

import numpy as np
import pytest

from skdeepcluster import datasets
from skdeepcluster.datasets import load_coil20

Image = pytest.importorskip("PIL.Image")


def write_coil(folder, size=(4, 3), skip=None):
    """Tiny stand-ins for the 1,440 PNG files: object o, pose p has pixels o + p."""
    folder.mkdir(parents=True, exist_ok=True)
    for obj in range(1, 21):
        for pose in range(72):
            if (obj, pose) == skip:
                continue
            pixels = np.full(size[::-1], obj + pose, np.uint8)
            Image.fromarray(pixels).save(folder / f"obj{obj}__{pose}.png")
    return folder


def test_a_folder_of_the_images(tmp_path):
    folder = write_coil(tmp_path / "coil-20-proc")
    bunch = load_coil20(tmp_path)  # found in the sub-folder
    assert bunch.data.shape == (1440, 12) and bunch.data.dtype == np.float32
    assert bunch.images.shape == (1440, 3, 4)
    np.testing.assert_array_equal(bunch.target, np.repeat(np.arange(20), 72))
    # object then pose order, pixels / 255
    assert bunch.data[72 * 4 + 10, 0] == pytest.approx((5 + 10) / 255)
    assert bunch.target_names.tolist() == list(range(1, 21))
    assert "COIL-20" in bunch.DESCR
    X, y = load_coil20(folder, return_X_y=True, as_images=True)
    assert X.shape == (1440, 1, 3, 4)


def test_the_zip_file_reads_as_the_folder(tmp_path):
    folder = write_coil(tmp_path / "images")
    with zipfile.ZipFile(tmp_path / "coil-20-proc.zip", "w") as archive:
        for file in sorted(folder.iterdir()):
            archive.write(file, f"coil-20-proc/{file.name}")
    X_zip, y_zip = load_coil20(tmp_path / "coil-20-proc.zip", return_X_y=True)
    X_dir, y_dir = load_coil20(folder, return_X_y=True)
    np.testing.assert_array_equal(X_zip, X_dir)
    np.testing.assert_array_equal(y_zip, y_dir)


def test_an_incomplete_set_and_other_files_are_refused(tmp_path):
    write_coil(tmp_path / "a", skip=(3, 5))
    with pytest.raises(ValueError, match="1439 found, 1 missing"):
        load_coil20(tmp_path / "a")
    (tmp_path / "b.zip").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="not a zip file"):
        load_coil20(tmp_path / "b.zip")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_coil20(tmp_path / "nowhere")


def test_the_cache_without_download_says_where_it_looked(tmp_path):
    with pytest.raises(FileNotFoundError, match="COIL-20 is not in"):
        load_coil20(data_home=tmp_path, download=False)


def test_the_download_goes_to_the_cache(tmp_path, monkeypatch):
    """The zip is fetched from the CAVE lab once, then read from the cache."""
    source = write_coil(tmp_path / "src")
    calls = []

    def fake_download(folder, names, mirrors, md5, name):
        calls.append((names, mirrors))
        folder.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(folder / names[0], "w") as archive:
            for file in sorted(source.iterdir()):
                archive.write(file, f"coil-20-proc/{file.name}")

    monkeypatch.setattr(datasets, "_download_files", fake_download)
    X, _ = load_coil20(data_home=tmp_path / "cache", return_X_y=True)
    X_again, _ = load_coil20(data_home=tmp_path / "cache", return_X_y=True)
    assert len(calls) == 1 and calls[0][0] == ["coil-20-proc.zip"]
    assert "columbia.edu" in calls[0][1][0]
    np.testing.assert_array_equal(X, X_again)
