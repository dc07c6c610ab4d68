"""A smoke run of the benchmark runner at 1,000 servers: every row of the table is printed with
a positive figure. It checks that the benchmarks still run end to end, not how fast anything is
(timings on a shared CI machine prove nothing)."""

import platform
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RUNNER = ROOT / "benchmarks" / "run.py"
ROWS = (
    "discover",
    "discover Azure Migrate workbooks",
    "generate + plan",
    "convert ado-csv -> jira-csv",
    "convert jira-csv -> ado-csv",
    "write the backlog as xlsx",
    "MSPDI read + write",
    "push to the loopback fakes",
    "mbf --help",
    "peak memory of any step",
)
MEASURED = {
    "discover": "read the exports with csv / calamine",
    "discover Azure Migrate workbooks": "read the workbooks with calamine",
    "generate + plan": "the discover floor",
    "convert ado-csv -> jira-csv": "csv module reading + writing the rows",
    "convert jira-csv -> ado-csv": "csv module reading + writing the rows",
    "write the backlog as xlsx": "xlsxwriter writing the same cells alone",
    "mbf --help": "`python -c pass`",
}
"""Rows whose figure and floor the smoke run measures (MPXJ is left out: it needs its own venv)."""


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the runner worked at 1k servers; what it printed is in ``printed.md``."""
    work = tmp_path_factory.mktemp("bench")
    result = subprocess.run(
        [sys.executable, str(RUNNER), "--scale", "1k", "--no-mpxj", "--dir", str(work)],
        capture_output=True,
        text=True,
        check=True,
    )
    (work / "printed.md").write_text(result.stdout)
    return work


@pytest.fixture(scope="module")
def printed(work: Path) -> str:
    """What the runner printed at 1k servers."""
    return (work / "printed.md").read_text()


@pytest.fixture(scope="module")
def table(printed: str) -> dict[str, list[str]]:
    """The runner's table at 1k servers, as cells per row name."""
    rows: dict[str, list[str]] = {}
    for line in printed.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells[0] in ROWS and len(cells) == 10:
            rows[cells[0]] = cells
    return rows


def _seconds(text: str) -> float:
    match = re.fullmatch(r"(\d+(?:\.\d+)?) (s|ms)", text)
    assert match, text
    return float(match[1]) / (1000 if match[2] == "ms" else 1)


def test_the_table_has_every_row_in_order(table: dict[str, list[str]]) -> None:
    assert list(table) == list(ROWS)


@pytest.mark.parametrize("name", [*MEASURED, "MSPDI read + write"])
def test_each_figure_is_a_positive_duration(table: dict[str, list[str]], name: str) -> None:
    assert _seconds(table[name][2]) > 0


@pytest.mark.parametrize("name", MEASURED)
def test_each_floor_is_named_and_a_positive_duration(
    table: dict[str, list[str]], name: str
) -> None:
    assert table[name][3] == MEASURED[name]
    assert _seconds(table[name][4]) > 0


@pytest.mark.parametrize("name", MEASURED)
def test_each_ratio_is_a_positive_multiple(table: dict[str, list[str]], name: str) -> None:
    ratio = re.fullmatch(r"(\d+\.\d\d)x", table[name][5])
    assert ratio
    assert float(ratio[1]) > 0


@pytest.mark.parametrize("name", [*MEASURED, "MSPDI read + write", "peak memory of any step"])
def test_each_peak_memory_is_a_positive_size(table: dict[str, list[str]], name: str) -> None:
    size = re.fullmatch(r"(\d+) MB", table[name][9])
    assert size
    assert int(size[1]) > 0


def test_the_push_row_counts_requests_against_the_api_minimum(table: dict[str, list[str]]) -> None:
    sent = re.fullmatch(r"(\d+) requests", table["push to the loopback fakes"][2])
    least = re.fullmatch(r"(\d+) requests", table["push to the loopback fakes"][4])
    assert sent
    assert least
    assert int(sent[1]) >= int(least[1]) > 0


def test_discover_in_one_process_is_noted_with_positive_figures(printed: str) -> None:
    notes = [line for line in printed.splitlines() if line.startswith("- discover: ")]
    assert len(notes) == 1
    figures = re.fullmatch(
        r"- discover: in one process \(--no-parallel\) (\d+\.\d\d) s, (\d+\.\d\d) CPU s, "
        r"(\d+\.\d\d)x",
        notes[0],
    )
    assert figures, notes[0]
    assert all(float(figure) > 0 for figure in figures.groups())


def test_discover_in_one_process_writes_the_estate_of_two(work: Path) -> None:
    # 1,000 servers are 1.8 MB of exports: enough for the default run to read on two cores
    assert (work / "estate-one.json").read_bytes() == (work / "estate.json").read_bytes()


def test_the_report_names_the_interpreter_it_ran_on(printed: str) -> None:
    # Python-heavy figures depend on how the interpreter was built: the report says which.
    lines = printed.splitlines()
    assert lines[2] == (
        f"Python {platform.python_version()} ({platform.python_implementation()}, "
        f"{platform.python_build()[1]}) at {sys.executable}"
    )
