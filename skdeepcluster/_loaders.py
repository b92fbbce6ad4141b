"""Loaders of the text benchmark sets of deep clustering: Reuters-10k and 20 Newsgroups.

Both are built from scikit-learn's fetchers (:func:`sklearn.datasets.fetch_rcv1`,
:func:`sklearn.datasets.fetch_20newsgroups`), reduced to TF-IDF features of
2000 terms, and the result is cached as one ``.npz`` file in the scikit-learn
data home, so that only the first call downloads and vectorises.  The public
functions are re-exported by :mod:`skdeepcluster.datasets`.

The ``.npz`` layout, read from ``path=`` and written into the cache: ``y``
(integer labels, shape ``(n,)``) and either ``X`` (a dense 2-D array) or the
CSR matrix as ``X_data``, ``X_indices``, ``X_indptr``, ``X_shape``; optional
string arrays ``target_names`` and ``feature_names``, and for Reuters the RCV1
document ids ``sample_id``.
"""

import os
import tempfile
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.datasets import fetch_20newsgroups, fetch_rcv1, get_data_home
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize
from sklearn.utils import Bunch, check_random_state

__all__ = ["load_20newsgroups", "load_reuters10k"]

# Number of terms kept, as DEC (Xie et al., 2016) for Reuters.
_N_TERMS = 2000

# DEC's four root categories, in the order of its label ids 0..3.
_REUTERS_ROOTS = ("CCAT", "GCAT", "MCAT", "ECAT")
_REUTERS_CACHE = ("reuters10k", "rcv1_4roots_2000terms.npz")

_NEWSGROUPS_PARTS = ("headers", "footers", "quotes")
_NEWSGROUPS_FOLDER = "20newsgroups_tfidf"

_CSR_KEYS = ("X_data", "X_indices", "X_indptr", "X_shape")
_NPZ_LAYOUT = (
    "keys y and X (dense) or X_data, X_indices, X_indptr, X_shape (CSR), "
    "as written by these loaders into their cache"
)

_REUTERS_DESCR = """\
Reuters-10k (RCV1, four root categories, TF-IDF of 2000 terms)
--------------------------------------------------------------

The Reuters set of DEC (Xie, Girshick and Farhadi, "Unsupervised deep embedding
for clustering analysis", ICML 2016): the RCV1-v2 newswire stories labelled with
exactly one of the four root categories CCAT (corporate/industrial), GCAT
(government/social), MCAT (markets) and ECAT (economics) -- 685,071 stories in
DEC's paper -- described by the TF-IDF of their 2000 most frequent stemmed
terms, and a random subset of 10,000 of them (Reuters-10k).

Built here from scikit-learn's RCV1 vectors, which hold cosine-normalised
log-TF-IDF (IDF of the LYRL2004 training split) of 47,236 stems rather than raw
counts; so the 2000 terms are those of highest document frequency among the
kept stories (DEC: highest total count), their log-TF-IDF values are
renormalised to unit length over those terms and, as DEC does, multiplied by
sqrt(2000) (DEC recomputed the sublinear TF-IDF on the kept stories).

D. D. Lewis, Y. Yang, T. G. Rose and F. Li, "RCV1: A new benchmark collection
for text categorization research", JMLR 5, 2004.
"""

_NEWSGROUPS_DESCR = """\
20 Newsgroups (TF-IDF of 2000 terms)
------------------------------------

The 18,846 posts of the "bydate" version of 20 Newsgroups (training and test
splits together, in the order of scikit-learn's fetcher), 20 classes, described
by the TF-IDF of their 2000 most frequent terms after removing English stop
words (``TfidfVectorizer(max_features=2000, stop_words="english")``, rows of
unit length). By default headers, signature footers and quoted replies are
removed first, since headers name the newsgroup; some posts are then empty and
their rows are all zero.

K. Lang, "NewsWeeder: Learning to filter netnews", ICML 1995.
"""


# --- the .npz layout ------------------------------------------------------------


def _save_dataset_npz(path, X, y, **extra):
    """Write ``X`` (dense or CSR), ``y`` and ``extra`` arrays to ``path`` atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if sp.issparse(X):
        X = sp.csr_matrix(X)
        arrays = dict(zip(_CSR_KEYS, (X.data, X.indices, X.indptr, np.asarray(X.shape))))
    else:
        arrays = {"X": np.asarray(X)}
    arrays.update(y=np.asarray(y), **{key: np.asarray(value) for key, value in extra.items()})
    # Writing beside the target and renaming means an interrupted write never leaves a broken cache.
    handle, partial = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".part")
    try:
        with os.fdopen(handle, "wb") as stream:
            np.savez(stream, **arrays)
        os.replace(partial, path)
    finally:
        if os.path.exists(partial):
            os.remove(partial)


def _load_dataset_npz(path, name):
    """Read ``(X, y, extras)`` from an ``.npz`` file in the layout above, checking it."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} does not exist or is not a file; pass path= to an .npz file with "
            f"{_NPZ_LAYOUT}."
        )
    try:
        archive = np.load(path, allow_pickle=False)
    except (ValueError, OSError) as error:
        raise ValueError(
            f"{path} is not an .npz file; {name} expects one with {_NPZ_LAYOUT}."
        ) from error
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ValueError(f"{path} holds a single array, not an .npz archive with {_NPZ_LAYOUT}.")
    with archive:
        files = set(archive.files)
        if "y" not in files or not ("X" in files or files.issuperset(_CSR_KEYS)):
            raise ValueError(f"{path} holds {sorted(files)}; {name} expects {_NPZ_LAYOUT}.")
        if "X" in files:
            X = archive["X"]
            if X.ndim != 2:
                raise ValueError(f"{path}: X must be 2-D; got shape {X.shape}.")
        else:
            data, indices, indptr, shape = (archive[key] for key in _CSR_KEYS)
            try:
                X = sp.csr_matrix((data, indices, indptr), shape=tuple(int(n) for n in shape))
                X.check_format(full_check=True)
            except (ValueError, TypeError) as error:
                raise ValueError(f"{path} holds an invalid CSR matrix: {error}") from error
        y = archive["y"]
        extras = {key: archive[key] for key in files - {"X", "y", *_CSR_KEYS}}
    if not np.issubdtype(X.dtype, np.number) or np.issubdtype(X.dtype, np.complexfloating):
        raise ValueError(f"{path}: X must hold real numbers; got dtype {X.dtype}.")
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(
            f"{path}: y must be a 1-D array of integer labels; "
            f"got dtype {y.dtype}, shape {y.shape}."
        )
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"{path} has {X.shape[0]} rows in X but {y.shape[0]} labels in y.")
    return X, y.astype(np.int64), extras


def _as_output(X, as_sparse):
    """``X`` as float32, CSR if ``as_sparse`` else a dense array."""
    if as_sparse:
        return sp.csr_matrix(X, dtype=np.float32)
    if sp.issparse(X):
        return X.astype(np.float32).toarray()
    return np.asarray(X, dtype=np.float32)


def _check_bool(value, name):
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False; got {value!r}.")
    return bool(value)


# --- Reuters-10k ------------------------------------------------------------------


def _reuters_from_rcv1(rcv1):
    """DEC's Reuters from the RCV1 Bunch: single-root stories, top terms, scaled TF-IDF."""
    names = [str(name) for name in rcv1.target_names]
    missing = [root for root in _REUTERS_ROOTS if root not in names]
    if missing:
        raise ValueError(f"RCV1 target_names lack the root categories {missing}.")
    columns = [names.index(root) for root in _REUTERS_ROOTS]
    roots = sp.csr_matrix(rcv1.target)[:, columns].toarray()
    # DEC drops stories filed under several root categories (and those under none).
    keep = np.flatnonzero(roots.sum(axis=1) == 1)
    y = roots[keep].argmax(axis=1).astype(np.int64)
    X = sp.csr_matrix(rcv1.data)[keep]
    document_frequency = np.bincount(X.indices, minlength=X.shape[1])
    n_terms = min(_N_TERMS, X.shape[1])
    # Stable sort: ties go to the lower term index, so the choice is deterministic.
    terms = np.sort(np.argsort(-document_frequency, kind="stable")[:n_terms])
    X = normalize(X[:, terms]) * np.sqrt(n_terms)
    return X.astype(np.float32), y, np.asarray(rcv1.sample_id)[keep]


def _build_reuters(data_home, download, cache):
    """Fetch RCV1, reduce it to DEC's Reuters and write the result into ``cache``."""
    try:
        rcv1 = fetch_rcv1(data_home=data_home, subset="all", download_if_missing=download)
    except OSError as error:
        if download:
            raise
        raise FileNotFoundError(
            f"Reuters is not cached in {cache} and RCV1 is not in the scikit-learn data home "
            f"{get_data_home(data_home)}. Pass download=True to fetch RCV1 (about 650 MB), "
            "or path= to an .npz file."
        ) from error
    X, y, sample_id = _reuters_from_rcv1(rcv1)
    _save_dataset_npz(cache, X, y, sample_id=sample_id, target_names=np.array(_REUTERS_ROOTS))
    return X, y, {"sample_id": sample_id}


def load_reuters10k(
    path=None,
    data_home=None,
    *,
    n_samples=10_000,
    random_state=0,
    as_sparse=False,
    return_X_y=False,
    download=True,
):
    """Load Reuters-10k: RCV1 stories of one root category, TF-IDF of 2000 terms.

    =================   ==========================================
    Classes             4 (CCAT, GCAT, MCAT, ECAT)
    Samples total       10,000 (``n_samples``) of 685,071 (DEC)
    Dimensionality      2000
    Features            float32, >= 0, rows of norm sqrt(2000)
    =================   ==========================================

    The Reuters set of DEC (Xie et al., 2016): the RCV1-v2 stories filed under
    exactly one of the four root categories, described by the TF-IDF of their
    2000 most frequent terms, and a random subset of 10,000 of them.  It is
    built from :func:`sklearn.datasets.fetch_rcv1`, whose vectors hold
    log-TF-IDF of 47,236 stems, not counts: the 2000 terms are those of
    highest document frequency, their values are renormalised over those
    terms and scaled by ``sqrt(2000)`` as in DEC.  DEC instead kept the terms
    of highest total count and recomputed a sublinear TF-IDF from the token
    counts, so the features differ slightly from DEC's.

    Parameters
    ----------
    path : str or path-like, default=None
        An ``.npz`` file holding the processed stories: ``y`` and either a
        dense ``X`` or a CSR matrix as ``X_data, X_indices, X_indptr,
        X_shape`` (the layout of the cache file).  ``None`` reads the cache,
        building it from RCV1 the first time.

    data_home : str or path-like, default=None
        Root of the scikit-learn data cache, used when ``path`` is None.  The
        processed stories (all of them, CSR, about 300 MB) are cached as
        ``reuters10k/rcv1_4roots_2000terms.npz``; RCV1 itself is fetched into
        the same data home by :func:`~sklearn.datasets.fetch_rcv1` (a 650 MB
        download; building takes a few GB of memory once).  ``None`` means
        :func:`sklearn.datasets.get_data_home`.

    n_samples : int or None, default=10000
        Size of the random subset of stories returned; ``None`` returns every
        story, in RCV1's order.

    random_state : int, RandomState instance or None, default=0
        Seeds the choice of the subset; the default always returns the same
        10,000 stories.

    as_sparse : bool, default=False
        If True, ``data`` is a :class:`scipy.sparse.csr_matrix`; otherwise a
        dense array (10,000 x 2000 float32 is 80 MB; all 685,071 stories
        dense would take 5.5 GB).  The fully connected networks of this
        package accept either.

    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    download : bool, default=True
        When ``path`` is None and nothing is cached, download RCV1.  If
        False, raise instead (a cached RCV1 is still used).

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with attributes:

        data : ndarray or csr_matrix of float32, shape (n_samples, 2000)
            The scaled TF-IDF features.
        target : ndarray of int64, shape (n_samples,)
            The root category: 0 CCAT, 1 GCAT, 2 MCAT, 3 ECAT (DEC's ids).
        target_names : ndarray of str, shape (4,)
            ``["CCAT", "GCAT", "MCAT", "ECAT"]``.
        sample_id : ndarray, shape (n_samples,)
            The RCV1 document id of each story, when the file holds them.
        DESCR : str
            A description of the data set and of the preprocessing.

    (data, target) : tuple if ``return_X_y`` is True
        The ``data`` and ``target`` arrays described above.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist, or nothing is cached and ``download`` is
        False.
    ValueError
        If the file is not valid, or ``n_samples`` exceeds the stories
        available.

    See Also
    --------
    load_20newsgroups : The other text set, TF-IDF of 2000 terms.
    sklearn.datasets.fetch_rcv1 : The RCV1 vectors this is built from.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from skdeepcluster.datasets import load_reuters10k
    >>> rng = np.random.default_rng(0)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     np.savez(folder + "/reuters.npz", X=rng.random((50, 2000)), y=rng.integers(0, 4, 50))
    ...     X, y = load_reuters10k(folder + "/reuters.npz", n_samples=20, return_X_y=True)
    >>> X.shape, X.dtype, y.dtype
    ((20, 2000), dtype('float32'), dtype('int64'))
    """
    as_sparse = _check_bool(as_sparse, "as_sparse")
    if n_samples is not None and (
        isinstance(n_samples, (bool, np.bool_))
        or not isinstance(n_samples, (int, np.integer))
        or n_samples < 1
    ):
        raise ValueError(f"n_samples must be None or an integer >= 1; got {n_samples!r}.")
    if path is not None:
        X, y, extras = _load_dataset_npz(path, "Reuters-10k")
    else:
        cache = Path(get_data_home(data_home)).joinpath(*_REUTERS_CACHE)
        if cache.is_file():
            X, y, extras = _load_dataset_npz(cache, "Reuters-10k")
        else:
            X, y, extras = _build_reuters(data_home, download, cache)

    if n_samples is not None:
        if n_samples > X.shape[0]:
            raise ValueError(f"n_samples={n_samples} exceeds the {X.shape[0]} stories available.")
        rows = check_random_state(random_state).permutation(X.shape[0])[:n_samples]
        X, y = X[rows], y[rows]
        extras = {
            key: value[rows] for key, value in extras.items() if key == "sample_id"
        }
    X = _as_output(X, as_sparse)
    if return_X_y:
        return X, y
    bunch = Bunch(data=X, target=y, target_names=np.array(_REUTERS_ROOTS), DESCR=_REUTERS_DESCR)
    if "sample_id" in extras:
        bunch.sample_id = extras["sample_id"]
    return bunch


# --- 20 Newsgroups ---------------------------------------------------------------


def _check_remove(remove):
    """``remove`` as a tuple in canonical order, checking its parts."""
    if isinstance(remove, str):
        remove = (remove,)
    try:
        parts = set(remove)
    except TypeError:
        parts = None
    if parts is None or not parts.issubset(_NEWSGROUPS_PARTS):
        raise ValueError(
            f"remove must be a tuple of parts among {_NEWSGROUPS_PARTS}; got {remove!r}."
        )
    return tuple(part for part in _NEWSGROUPS_PARTS if part in parts)


def _build_newsgroups(data_home, remove, download, cache):
    """Fetch the posts, vectorise them and write the result into ``cache``."""
    try:
        posts = fetch_20newsgroups(
            data_home=data_home,
            subset="all",
            remove=remove,
            shuffle=False,
            download_if_missing=download,
        )
    except OSError as error:
        if download:
            raise
        raise FileNotFoundError(
            f"20 Newsgroups is not cached in {cache} and its posts are not in the scikit-learn "
            f"data home {get_data_home(data_home)}. Pass download=True to fetch them (14 MB), "
            "or path= to an .npz file."
        ) from error
    vectorizer = TfidfVectorizer(max_features=_N_TERMS, stop_words="english", dtype=np.float32)
    X = vectorizer.fit_transform(posts.data)
    y = np.asarray(posts.target, dtype=np.int64)
    extras = {
        "target_names": np.array(posts.target_names),
        "feature_names": np.asarray(vectorizer.get_feature_names_out(), dtype=str),
    }
    _save_dataset_npz(cache, X, y, **extras)
    return X, y, extras


def load_20newsgroups(
    path=None,
    data_home=None,
    *,
    remove=("headers", "footers", "quotes"),
    as_sparse=False,
    return_X_y=False,
    download=True,
):
    """Load 20 Newsgroups as the TF-IDF of its 2000 most frequent terms.

    =================   ==================================
    Classes             20
    Samples total       18,846
    Dimensionality      2000
    Features            float32, >= 0, rows of unit length
    =================   ==================================

    All posts of the "bydate" version (training and test splits together)
    from :func:`sklearn.datasets.fetch_20newsgroups`, vectorised by
    ``TfidfVectorizer(max_features=2000, stop_words="english")``.  English
    stop words are dropped because they would otherwise fill most of the 2000
    terms.

    Parameters
    ----------
    path : str or path-like, default=None
        An ``.npz`` file holding vectorised posts: ``y`` and either a dense
        ``X`` or a CSR matrix as ``X_data, X_indices, X_indptr, X_shape``
        (the layout of the cache file; optional ``target_names`` and
        ``feature_names``).  ``None`` reads the cache, building it the first
        time.

    data_home : str or path-like, default=None
        Root of the scikit-learn data cache, used when ``path`` is None.  The
        vectorised posts are cached in its ``20newsgroups_tfidf`` sub-folder,
        one file per value of ``remove``; the raw posts are fetched into the
        same data home by :func:`~sklearn.datasets.fetch_20newsgroups` (a
        14 MB download).  ``None`` means :func:`sklearn.datasets.get_data_home`.

    remove : tuple of {"headers", "footers", "quotes"}, default=("headers", "footers", "quotes")
        Parts of each post removed before vectorising, as in
        :func:`~sklearn.datasets.fetch_20newsgroups`.  The default removes
        all three, since headers name the newsgroup (the label) and quotes
        repeat other posts; ``()`` keeps the full posts, as some papers do,
        which makes clustering easier.

    as_sparse : bool, default=False
        If True, ``data`` is a :class:`scipy.sparse.csr_matrix`; otherwise a
        dense array (150 MB).

    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    download : bool, default=True
        When ``path`` is None and nothing is cached, download the posts.  If
        False, raise instead (posts already in the data home are still used).

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with attributes:

        data : ndarray or csr_matrix of float32, shape (18846, 2000)
            The TF-IDF features.
        target : ndarray of int64, shape (18846,)
            The newsgroup of each post.
        target_names : ndarray of str, shape (20,)
            The newsgroup names, when known.
        feature_names : ndarray of str, shape (2000,)
            The terms, when known.
        DESCR : str
            A description of the data set.

    (data, target) : tuple if ``return_X_y`` is True
        The ``data`` and ``target`` arrays described above.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist, or nothing is cached and ``download`` is
        False.
    ValueError
        If the file is not valid, or ``remove`` names an unknown part.

    See Also
    --------
    load_reuters10k : The other text set, TF-IDF of 2000 terms.
    sklearn.datasets.fetch_20newsgroups_vectorized : All 130,107 terms.

    Examples
    --------
    >>> import tempfile, numpy as np, scipy.sparse as sp
    >>> from skdeepcluster.datasets import load_20newsgroups
    >>> X = sp.random(30, 2000, density=0.01, format="csr", random_state=0)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     np.savez(folder + "/news.npz", X_data=X.data, X_indices=X.indices,
    ...              X_indptr=X.indptr, X_shape=X.shape, y=np.arange(30) % 20)
    ...     news = load_20newsgroups(folder + "/news.npz", as_sparse=True)
    >>> news.data.shape, news.data.format, news.target[:3]
    ((30, 2000), 'csr', array([0, 1, 2]))
    """
    as_sparse = _check_bool(as_sparse, "as_sparse")
    remove = _check_remove(remove)
    if path is not None:
        X, y, extras = _load_dataset_npz(path, "20 Newsgroups")
    else:
        suffix = "_remove-" + "-".join(remove) if remove else ""
        cache = Path(get_data_home(data_home)) / _NEWSGROUPS_FOLDER / f"tfidf2000{suffix}.npz"
        if cache.is_file():
            X, y, extras = _load_dataset_npz(cache, "20 Newsgroups")
        else:
            X, y, extras = _build_newsgroups(data_home, remove, download, cache)

    X = _as_output(X, as_sparse)
    if return_X_y:
        return X, y
    bunch = Bunch(data=X, target=y, DESCR=_NEWSGROUPS_DESCR)
    for key in ("target_names", "feature_names"):
        if key in extras:
            bunch[key] = np.asarray(extras[key], dtype=str)
    return bunch
