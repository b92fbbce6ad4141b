"""The documentation builds without a warning, and its gallery examples run."""

import os
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("plot_*.py"))
# The project's copy of MNIST, for the examples that load it (they download it otherwise).
SHARED_MNIST = ROOT.parent / "shared" / "data" / "mnist.npz"


def test_docs_build_without_warnings(tmp_path):
    """``make -C docs html``: every page, the API reference and the rendered gallery."""
    for module in ("sphinx", "numpydoc", "sphinx_gallery"):
        pytest.importorskip(module, reason='the docs extra: pip install -e ".[docs]"')
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
         str(ROOT / "docs"), str(tmp_path / "html")],
        capture_output=True, text=True, timeout=1200,
        env={**os.environ, "SKDC_GALLERY_RUN": "0"},
    )
    assert result.returncode == 0, result.stderr[-8000:]
    assert (tmp_path / "html" / "benchmarks.html").exists()


@pytest.mark.slow
@pytest.mark.parametrize("example", EXAMPLES, ids=[path.stem for path in EXAMPLES])
def test_gallery_example_runs(example, monkeypatch, tmp_path):
    """Each example runs to its end as the gallery runs it (``SKDC_GALLERY_RUN=1``)."""
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    if "load_mnist" in example.read_text(encoding="utf-8") and SHARED_MNIST.exists():
        # the scikit-learn data cache the example reads, holding MNIST already
        (tmp_path / "mnist").mkdir()
        (tmp_path / "mnist" / "mnist.npz").symlink_to(SHARED_MNIST)
        monkeypatch.setenv("SCIKIT_LEARN_DATA", str(tmp_path))
    monkeypatch.chdir(example.parent)
    runpy.run_path(str(example), run_name="__main__")
    matplotlib.pyplot.close("all")
