"""COIL-20: 1,440 greyscale images of 20 objects turned on a turntable.

The loader reads the processed set of Columbia's CAVE lab (``coil-20-proc``:
``obj{1..20}__{0..71}.png``, 128x128 pixels) from its zip file or from a
folder of the extracted images, and is re-exported by
:mod:`skdeepcluster.datasets`.  Reading PNG files needs Pillow.
"""

import io
import re
import zipfile
from pathlib import Path

import numpy as np
from sklearn.datasets import get_data_home

__all__ = ["load_coil20"]

_URL = "https://www.cs.columbia.edu/CAVE/databases/SLAM_coil-20_coil-100/coil-20/coil-20-proc.zip"
_ZIP = "coil-20-proc.zip"
_NAME = re.compile(r"(?:^|/)obj(\d+)__(\d+)\.png$")
_N_OBJECTS, _N_POSES = 20, 72

_DESCR = """\
COIL-20 (Columbia Object Image Library, processed)
--------------------------------------------------

1,440 greyscale images of 20 objects, each photographed at 72 poses 5 degrees
apart on a motorised turntable against a black background; the processed set
crops each object and scales it to 128x128 pixels. Pixels are scaled to [0, 1].

S. A. Nene, S. K. Nayar and H. Murase, "Columbia Object Image Library
(COIL-20)", Technical Report CUCS-005-96, Columbia University, 1996.
"""


def _read_png(data, source):
    try:
        from PIL import Image
    except ImportError as error:  # pragma: no cover - Pillow comes with matplotlib
        raise ImportError("Reading COIL-20's PNG files needs Pillow: pip install pillow") from error
    with Image.open(io.BytesIO(data)) as image:
        pixels = np.asarray(image.convert("L"), dtype=np.float32)
    if pixels.ndim != 2:
        raise ValueError(f"{source} is not a greyscale image.")
    return pixels / 255.0


def _members(path):
    """``{(object, pose): (bytes-reader, name)}`` of the images in a zip file or a folder."""
    found = {}
    if path.is_file():
        try:
            archive = zipfile.ZipFile(path)
        except zipfile.BadZipFile as error:
            raise ValueError(f"{path} is not a zip file of COIL-20 images.") from error
        for name in archive.namelist():
            match = _NAME.search(name)
            if match:
                found[int(match[1]), int(match[2])] = (
                    lambda name=name: archive.read(name), f"{path}:{name}"
                )
    else:
        for file in sorted(path.rglob("obj*__*.png")):
            match = _NAME.search(file.as_posix())
            if match:
                found[int(match[1]), int(match[2])] = (file.read_bytes, str(file))
    return found


def load_coil20(path=None, data_home=None, *, return_X_y=False, download=True, as_images=False):
    """Load COIL-20, the processed images of 20 objects at 72 poses each.

    =================   ==================
    Classes             20
    Samples total       1,440
    Dimensionality      16,384 (128 x 128)
    Features            float32, in [0, 1]
    =================   ==================

    Parameters
    ----------
    path : str or path-like, default=None
        The ``coil-20-proc.zip`` file, or a folder holding its images
        ``obj{1..20}__{0..71}.png`` (in sub-folders too).  ``None`` reads
        the scikit-learn data cache instead (see ``data_home``).
    data_home : str or path-like, default=None
        Root of the scikit-learn data cache, used when ``path`` is None;
        COIL-20 lives in its ``coil20`` sub-folder.  ``None`` means
        :func:`sklearn.datasets.get_data_home`.
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.
    download : bool, default=True
        When ``path`` is None and the cache lacks the zip file, download it
        (about 7 MB) from Columbia's CAVE lab into the cache.  If False,
        raise instead.
    as_images : bool, default=False
        If True, ``data`` has shape (n_samples, 1, H, W) instead of
        (n_samples, H * W).

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        With ``data`` (float32, the images in object then pose order),
        ``target`` (int64, the object 0-19), ``images`` (n_samples, H, W),
        ``target_names`` (the objects 1-20, as the files name them) and
        ``DESCR``.
    (data, target) : tuple if ``return_X_y`` is True

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist, or the cache lacks COIL-20 and
        ``download`` is False.
    ValueError
        If the images are not the 1,440 of COIL-20, or differ in size.

    Examples
    --------
    >>> import tempfile
    >>> import numpy as np
    >>> from PIL import Image
    >>> from skdeepcluster.datasets import load_coil20
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     for obj in range(1, 21):
    ...         for pose in range(72):
    ...             Image.fromarray(np.full((4, 4), obj, np.uint8)).save(
    ...                 f"{folder}/obj{obj}__{pose}.png")
    ...     X, y = load_coil20(folder, return_X_y=True)
    >>> X.shape, X.dtype, np.bincount(y)[:3]
    ((1440, 16), dtype('float32'), array([72, 72, 72]))
    """
    if path is None:
        folder = Path(get_data_home(data_home)) / "coil20"
        path = folder / _ZIP
        if not path.is_file():
            if not download:
                raise FileNotFoundError(
                    f"COIL-20 is not in {folder}. Pass download=True to fetch it, or path= to "
                    "coil-20-proc.zip or a folder of its images."
                )
            from .datasets import _download_files

            _download_files(folder, [_ZIP], [_URL.rsplit("/", 1)[0] + "/"], {_ZIP: None},
                            "COIL-20")
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist: pass coil-20-proc.zip or its folder.")
    members = _members(path)
    expected = {(obj, pose) for obj in range(1, _N_OBJECTS + 1) for pose in range(_N_POSES)}
    if set(members) != expected:
        missing, extra = expected - set(members), set(members) - expected
        raise ValueError(
            f"{path} does not hold the 1,440 images of COIL-20 (obj1__0.png to obj20__71.png): "
            f"{len(members)} found, {len(missing)} missing, {len(extra)} unexpected."
        )
    images = []
    for key in sorted(expected):
        read, source = members[key]
        images.append(_read_png(read(), source))
    shapes = {image.shape for image in images}
    if len(shapes) != 1:
        raise ValueError(f"The images of {path} differ in size: {sorted(shapes)}.")
    images = np.stack(images)
    target = np.repeat(np.arange(_N_OBJECTS, dtype=np.int64), _N_POSES)
    from .datasets import _image_bunch

    return _image_bunch(
        images.reshape(len(images), -1), target, images.shape[1:], as_images, return_X_y,
        target_names=np.arange(1, _N_OBJECTS + 1, dtype=np.int64), descr=_DESCR,
    )
