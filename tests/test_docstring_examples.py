"""Every ``Examples`` section of the package's docstrings runs and prints what it shows."""

import doctest
import importlib
import pkgutil

import pytest

import skdeepcluster

MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(skdeepcluster.__path__, prefix="skdeepcluster.")
    if info.name != "skdeepcluster.__main__"
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def test_the_estimators_have_examples():
    finder = doctest.DocTestFinder()
    for name in skdeepcluster.__all__:
        obj = getattr(skdeepcluster, name)
        if isinstance(obj, type):
            examples = [t for t in finder.find(obj, name) if t.examples]
            assert examples, f"{name} has no runnable docstring example"
