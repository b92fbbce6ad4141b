"""Sphinx configuration of the skdeepcluster documentation.

Build with ``make -C docs html``.  The example gallery is rendered without
running the examples unless ``SKDC_GALLERY_RUN=1`` is set in the environment;
intersphinx links are resolved only when ``SKDC_INTERSPHINX=1`` is set, so the
default build needs no network.
"""

import os
import sys
from pathlib import Path

# Document the checkout next to this folder, even when it is not installed.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import skdeepcluster  # noqa: E402

# -- Project -----------------------------------------------------------------

project = "skdeepcluster"
author = "skdeepcluster developers"
copyright = "skdeepcluster developers"
release = skdeepcluster.__version__
version = ".".join(release.split(".")[:2])

# -- General -----------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "**.ipynb_checkpoints"]
source_suffix = {".rst": "restructuredtext"}
root_doc = "index"
default_role = "literal"

# -- autodoc / autosummary / numpydoc ---------------------------------------

autosummary_generate = True
autosummary_imported_members = False
autodoc_typehints = "none"
# Document a method only where the package gives it a docstring: overrides such
# as ``forward`` or skorch hooks would otherwise show their parent's text.
autodoc_inherit_docstrings = False

numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
# Cross-reference the parameter types only where intersphinx can resolve them.
numpydoc_xref_param_type = False

# -- intersphinx -------------------------------------------------------------

# The default build is offline: no inventories are fetched.  SKDC_INTERSPHINX=1
# links to the scikit-learn, PyTorch, skorch, NumPy and Python documentation.
if os.environ.get("SKDC_INTERSPHINX", "0") == "1":
    intersphinx_mapping = {
        "python": ("https://docs.python.org/3", None),
        "numpy": ("https://numpy.org/doc/stable", None),
        "sklearn": ("https://scikit-learn.org/stable", None),
        "torch": ("https://pytorch.org/docs/stable", None),
        "skorch": ("https://skorch.readthedocs.io/en/stable", None),
    }
else:
    intersphinx_mapping = {}

# Offline, references to other projects cannot resolve; they render as plain
# literals instead of failing the warnings-as-errors build.
nitpicky = False

# -- sphinx-gallery ----------------------------------------------------------

# Examples train networks: the default build renders them without running them.
_run_gallery = os.environ.get("SKDC_GALLERY_RUN", "0") == "1"

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    # Each API page lists the examples that use the object ("minigallery").
    "doc_module": ("skdeepcluster",),
    "backreferences_dir": "generated/backreferences",
    "plot_gallery": "True" if _run_gallery else "False",
    "download_all_examples": False,
    "within_subsection_order": "FileNameSortKey",
    "remove_config_comments": True,
    "matplotlib_animations": False,
    "show_memory": False,
    "min_reported_time": 1,
}

# -- HTML --------------------------------------------------------------------

html_theme = "alabaster"
html_theme_options = {
    "description": "Deep clustering as scikit-learn estimators",
    "fixed_sidebar": True,
    "page_width": "1100px",
    "sidebar_width": "240px",
}
html_static_path = []
html_title = f"skdeepcluster {release}"
html_show_sourcelink = False


# -- Docstring fix-ups -------------------------------------------------------

# In reST a trailing underscore makes a word a link: "(n_features_in_,)" in a
# type line is read as a reference to a target "n_features_in" that does not
# exist (scikit-learn writes it as (`n_features_in_`,)).  Quote it here until
# the docstrings do; once they do this is a no-op.
def _quote_trailing_underscore_names(app, what, name, obj, options, lines):
    for i, line in enumerate(lines):
        lines[i] = line.replace("(n_features_in_,)", "(`n_features_in_`,)")


def setup(app):
    app.connect("autodoc-process-docstring", _quote_trailing_underscore_names)
