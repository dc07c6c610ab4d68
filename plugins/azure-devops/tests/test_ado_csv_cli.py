"""``mbf convert`` to and from ``ado-csv`` through the command line."""

from pathlib import Path

import pytest

import mbf_azure_devops.plugin
from mbf.serialization import backlog_to_json
from mbf.testing.samples import make_sample_backlog


@pytest.fixture
def with_plugin(register_plugin) -> None:
    register_plugin(mbf_azure_devops.plugin, name="azure-devops")


@pytest.mark.usefixtures("with_plugin")
def test_convert_native_backlog_to_ado_csv_reports_what_boards_cannot_hold(
    mbf_cli, tmp_path: Path
) -> None:
    source = tmp_path / "backlog.json"
    source.write_bytes(backlog_to_json(make_sample_backlog()))
    result = mbf_cli("convert", str(source), str(tmp_path / "boards.ado.csv"))
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        "Warning: ado-csv cannot hold 'release_id'; lost on 2 item(s)",
        "Warning: ado-csv cannot hold 'links'; lost on 3 item(s)",
        "Warning: ado-csv cannot hold 'source'; lost on 9 item(s)",
        "Warning: ado-csv cannot hold 'refs'; lost on 1 item(s)",
        "Warning: ado-csv cannot hold 'iterations'; lost on 2 item(s)",
        "Warning: ado-csv cannot hold 'releases'; lost on 1 item(s)",
    ]
    assert result.stdout == (
        f"Converted 9 items: {source} (mbf-json) -> {tmp_path / 'boards.ado.csv'} (ado-csv)\n"
    )


@pytest.mark.usefixtures("with_plugin")
def test_convert_detects_a_boards_export_by_content_and_writes_native_json(
    mbf_cli, tmp_path: Path
) -> None:
    source = tmp_path / "Query1.csv"
    source.write_text(
        '"ID","Work Item Type","Title"\r\n"7","Task","Cut over"\r\n', encoding="utf-8"
    )
    result = mbf_cli("convert", str(source), str(tmp_path / "backlog.json"))
    assert result.exit_code == 0, result.output
    assert '"id": "ado:7"' in (tmp_path / "backlog.json").read_text()


@pytest.mark.usefixtures("with_plugin")
def test_convert_of_a_malformed_export_exits_1_with_one_line(mbf_cli, tmp_path: Path) -> None:
    source = tmp_path / "Query1.csv"
    source.write_text('"ID","Work Item Type","Title"\r\n"seven","Task","Cut over"\r\n')
    result = mbf_cli("convert", str(source), str(tmp_path / "backlog.json"), "--from", "ado-csv")
    assert (result.exit_code, result.stderr) == (
        1,
        f"Error: {source}, row 2, column 'ID': 'seven' is not a work item ID\n",
    )
    assert not (tmp_path / "backlog.json").exists()
