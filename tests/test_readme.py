"""The README's code runs as written, and its commands are the ones CI runs."""

import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _blocks(language):
    return re.findall(rf"^```{language}\n(.*?)^```", README, flags=re.S | re.M)


def _commands(block):
    """The commands of a shell block, comments dropped."""
    return [line.split("  #")[0].strip() for line in block.splitlines() if line.strip()]


PYTHON_BLOCKS = _blocks("python")


def test_readme_has_the_examples_it_promises():
    assert len(PYTHON_BLOCKS) >= 3
    assert any("GridSearchCV" in block for block in PYTHON_BLOCKS)


@pytest.mark.parametrize("index", range(len(PYTHON_BLOCKS)))
def test_readme_python_block_runs_as_written(index, capsys):
    """Each block runs on its own, in a fresh namespace, as a reader would paste it."""
    exec(compile(PYTHON_BLOCKS[index], f"README.md python block {index}", "exec"), {})


def test_readme_test_command_is_what_ci_runs():
    fresh_machine = README.split("## On a fresh machine", 1)[1]
    block = re.search(r"```bash\n(.*?)```", fresh_machine, flags=re.S).group(1)
    commands = _commands(block)
    assert len(commands) == 2, commands
    setup_and_main, tests = commands
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    ci_commands = [line.strip() for line in ci.splitlines()
                   if line.strip() and not line.lstrip().startswith("#")]
    # CI installs what the README installs, then runs the README's test command.
    assert shlex.split(tests)[1:] == shlex.split(ci_commands[-1])[1:]
    assert "python -m skdeepcluster" in setup_and_main
    for install in setup_and_main.split("&&")[:-1]:
        package = shlex.split(install)[-1]
        assert package in ci, f"CI does not install {package!r} as the README does"


def _report():
    import importlib.util

    spec = importlib.util.spec_from_file_location("report", ROOT / "benchmarks" / "report.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# The README's method table row of each estimator, and its row of the benchmarks page.
HEADLINE_ROWS = {
    "DECClustering": "DEC",
    "IDECClustering": "IDEC",
    "DBCClustering": "DBC",
    "DCNClustering": "DCN",
    "DDCClustering": "DDC",
    "DMAEClustering": "DMAE, Mahalanobis",
    "DMMClustering": "DMM",
    "DiscriminativeLatentClustering": "DDLS",
    "IMSATClustering": "IMSAT",
    "DACClustering": "DAC",
    "VaDEClustering": "VaDE",
    "InfoGANClustering": "InfoGAN",
    "NeuralClustering": "Neural Clustering",
    "DENClustering": "DEN",
    "DEPICTClustering": "DEPICT",
    "EmbeddingSpaceClustering": "Embedding space",
    "JULEClustering": "JULE",
}


def test_readme_method_figures_are_the_benchmarks_pages():
    """Each figure of the method table is the mean the results files give."""
    headline = {row["method"]: row for row in _report().headline_summary()}
    table = {}
    for line in README.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0].startswith("`") and cells[0].endswith("Clustering`"):
            table[cells[0].strip("`")] = cells
    assert set(HEADLINE_ROWS) <= set(table), sorted(table)
    for estimator, method in HEADLINE_ROWS.items():
        _, _, ours, paper = table[estimator]
        assert ours.split()[0] == f"{headline[method]['mean_acc']:.3f}", estimator
        assert paper == headline[method]["paper"], estimator
