"""The benchmarks page's tables are what ``benchmarks/report.py`` writes from the results.

``docs/benchmark_tables/*.inc`` are committed; after a change to a results file or to
the script, ``python benchmarks/report.py`` rewrites them.  Nothing here trains.
"""

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def report():
    spec = importlib.util.spec_from_file_location("benchmarks_report",
                                                  ROOT / "benchmarks" / "report.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generated(report):
    return report.generate()


def test_committed_tables_are_what_the_script_writes(report, generated):
    texts, _ = generated
    diff = report.check(texts, report.OUTPUT)
    assert not diff, ("docs/benchmark_tables/ differs from benchmarks/report.py's output; "
                      "run python benchmarks/report.py\n" + "".join(diff[:80]))


def test_every_table_is_on_a_page_and_names_its_sources(generated):
    """Each table is included once in the docs (the benchmarks page, or the page it serves)."""
    texts, reads = generated
    included = [name for page in (ROOT / "docs").glob("*.rst") for name in
                re.findall(r"\.\. include:: benchmark_tables/(\S+\.inc)", page.read_text())]
    assert sorted(included) == sorted(texts)
    for name, text in texts.items():
        assert "machine: " in text.lower(), name
        assert "python benchmarks/" in text, name
        for results in reads[name.removesuffix(".inc")]:
            assert f"benchmarks/results/{results}" in text, (name, results)


def test_results_files_cited_by_the_page_exist():
    page = (ROOT / "docs" / "benchmarks.rst").read_text()
    results = ROOT / "benchmarks" / "results"
    cited = set(re.findall(r"``([\w.+-]+\.(?:json|txt|csv))``", page))
    missing = sorted(name for name in cited if not (results / name).exists())
    assert not missing
