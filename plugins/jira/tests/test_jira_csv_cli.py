"""``mbf convert`` to and from ``jira-csv`` through the command line."""

from pathlib import Path

import pytest

import mbf_jira.plugin
from mbf.serialization import backlog_to_json
from mbf.testing.samples import make_sample_backlog


@pytest.fixture
def with_plugin(register_plugin) -> None:
    register_plugin(mbf_jira.plugin, name="jira")


@pytest.mark.usefixtures("with_plugin")
def test_convert_native_backlog_to_jira_csv_reports_what_the_importer_cannot_hold(
    mbf_cli, tmp_path: Path
) -> None:
    source = tmp_path / "backlog.json"
    source.write_bytes(backlog_to_json(make_sample_backlog()))
    result = mbf_cli("convert", str(source), str(tmp_path / "import.jira.csv"))
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        "Warning: jira-csv cannot hold 'links'; lost on 3 item(s)",
        "Warning: jira-csv cannot hold 'source'; lost on 9 item(s)",
        "Warning: jira-csv cannot hold 'refs'; lost on 1 item(s)",
        "Warning: jira-csv cannot hold 'iterations'; lost on 2 item(s)",
        "Warning: jira-csv cannot hold 'releases'; lost on 1 item(s)",
    ]
    assert (tmp_path / "import.jira.csv").read_text().startswith("Summary,Issue Id,Parent,")


@pytest.mark.usefixtures("with_plugin")
def test_convert_detects_a_jira_export_by_its_name(mbf_cli, tmp_path: Path) -> None:
    source = tmp_path / "Jira (3).csv"
    source.write_text("Summary,Issue key,Issue Type\r\nMove SRV01,MIG-5,Story\r\n")
    result = mbf_cli("convert", str(source), str(tmp_path / "backlog.json"))
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"Converted 1 items: {source} (jira-csv) -> {tmp_path / 'backlog.json'} (mbf-json)\n"
    )


@pytest.mark.usefixtures("with_plugin")
def test_convert_of_a_malformed_export_exits_1_with_one_line(mbf_cli, tmp_path: Path) -> None:
    source = tmp_path / "Jira.csv"
    source.write_text("Summary,Original Estimate\r\nMove SRV01,2h\r\n")
    result = mbf_cli("convert", str(source), str(tmp_path / "backlog.json"))
    assert (result.exit_code, result.stderr) == (
        1,
        f"Error: {source}, row 2, column 'Original Estimate': '2h' is not a number of seconds\n",
    )
    assert not (tmp_path / "backlog.json").exists()
