"""A format's options come from [formats.NAME] in mbf.toml, for convert and every output."""

import csv
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "backlog.json"


@pytest.fixture
def installed(plugin_manager):
    plugin_manager.load_entry_points()
    return plugin_manager


def test_convert_applies_the_format_table_of_mbf_toml(mbf_cli, installed, tmp_path: Path) -> None:
    (tmp_path / "mbf.toml").write_text(
        '[formats.ado-csv]\nwork_item_types = { story = "Product Backlog Item" }\n'
    )
    out = tmp_path / "backlog.ado.csv"
    result = mbf_cli("convert", str(EXAMPLE), str(out), "-c", str(tmp_path / "mbf.toml"))
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8-sig", newline="") as stream:
        types = {row["Work Item Type"] for row in csv.DictReader(stream)}
    assert types == {"Epic", "Feature", "Product Backlog Item", "Task"}


def test_an_unknown_option_of_a_format_is_refused_with_its_key(
    mbf_cli, installed, tmp_path: Path
) -> None:
    (tmp_path / "mbf.toml").write_text("[formats.ado-csv]\nneutralize_formulas = false\n")
    result = mbf_cli(
        "convert", str(EXAMPLE), str(tmp_path / "b.ado.csv"), "-c", str(tmp_path / "mbf.toml")
    )
    assert (result.exit_code, result.stderr) == (
        1,
        "Error: mbf.toml: formats.ado-csv: unknown key neutralize_formulas\n",
    )
    assert not (tmp_path / "b.ado.csv").exists()


def test_options_for_a_format_without_settings_are_refused(
    mbf_cli, installed, tmp_path: Path
) -> None:
    (tmp_path / "mbf.toml").write_text("[formats.mbf-json]\nindent = 4\n")
    result = mbf_cli(
        "convert", str(EXAMPLE), str(tmp_path / "b.json"), "-c", str(tmp_path / "mbf.toml")
    )
    assert (result.exit_code, result.stderr) == (
        1,
        "Error: mbf.toml: formats.mbf-json: this format has no settings\n",
    )
