"""The package's submodules are attributes after a bare ``import skdeepcluster``, loaded lazily.

Every check runs in a fresh interpreter: in this one the test suite has already
imported most submodules, which would hide a missing ``__getattr__``.
"""

import subprocess
import sys
import textwrap

import pytest

import skdeepcluster

SUBMODULES = [
    "metrics", "datasets", "plotting", "persistence", "augment", "dissimilarities", "networks",
    "losses", "engine", "dec", "dcn", "ddc", "dmae", "discriminative", "neural_clustering",
    "den", "imsat", "vade", "dbc", "depict", "embedding_space", "infogan", "dac", "jule",
    "agglomeration", "ccnn", "compose", "updates", "starts", "selection",
]


def run_fresh(code):
    """Run ``code`` in a new interpreter and return its standard output; fail on an error."""
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_tuples_name_the_expected_modules():
    assert sorted(skdeepcluster._submodules) == sorted(SUBMODULES)


def test_every_submodule_is_an_attribute_after_a_bare_import():
    out = run_fresh(f"""
        import sys, types
        import skdeepcluster
        for name in {SUBMODULES!r}:
            module = getattr(skdeepcluster, name)
            assert isinstance(module, types.ModuleType), name
            assert module is sys.modules["skdeepcluster." + name], name
        print("ok")
    """)
    assert out.strip() == "ok"


def test_submodule_is_imported_on_first_access_only():
    out = run_fresh("""
        import sys
        import skdeepcluster
        print("skdeepcluster.plotting" in sys.modules)
        print(sorted(skdeepcluster.metrics.CLUSTERING_SCORERS) != [])
        skdeepcluster.plotting
        print("skdeepcluster.plotting" in sys.modules)
    """)
    assert out.split() == ["False", "True", "True"]


def test_dir_lists_the_submodules_and_the_estimators():
    out = run_fresh("""
        import skdeepcluster
        print(" ".join(dir(skdeepcluster)))
    """)
    listed = set(out.split())
    assert set(SUBMODULES) <= listed
    assert set(skdeepcluster.__all__) <= listed
    assert out.split() == sorted(out.split())


@pytest.mark.parametrize("name", ["foo", "DECclustering", "base_", "__wrapped__"])
def test_unknown_names_raise_attribute_error(name):
    out = run_fresh(f"""
        import skdeepcluster
        try:
            getattr(skdeepcluster, {name!r})
        except AttributeError as error:
            print(type(error).__name__, error)
    """)
    assert out.strip() == f"AttributeError module 'skdeepcluster' has no attribute {name!r}"


def test_from_import_and_the_eager_estimators_still_work():
    out = run_fresh("""
        import skdeepcluster
        from skdeepcluster import DECClustering, metrics
        from skdeepcluster.metrics import clustering_accuracy
        assert skdeepcluster.DECClustering is DECClustering
        assert metrics.clustering_accuracy is clustering_accuracy
        print(skdeepcluster.__version__)
    """)
    assert out.strip() == skdeepcluster.__version__
