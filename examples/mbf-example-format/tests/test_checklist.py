"""Tests of the markdown-checklist format: the standard suite, then what is special about it."""

from pathlib import Path

import pytest

from mbf.errors import InputError
from mbf.plugin import Context, TrackerFormat
from mbf.testing import TrackerFormatTests
from mbf_example_format import plugin


@pytest.fixture
def checklist_format() -> TrackerFormat:
    return next(iter(plugin.mbf_tracker_formats()))


class TestMarkdownChecklist(TrackerFormatTests):
    @pytest.fixture
    def tracker_format(self, checklist_format: TrackerFormat) -> TrackerFormat:
        return checklist_format


def test_writes_one_indented_line_per_item(
    checklist_format, sample_backlog, tmp_path: Path
) -> None:
    path = tmp_path / "backlog.md"
    checklist_format.write(sample_backlog, path, Context())
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[:4] == [
        "<!-- mbf markdown-checklist v1 -->",
        "- [ ] **epic** Migrate datacenter Amsterdam 1 <!-- id: epic:ams1 -->",
        "  - [~] **feature** Migrate workload Payroll <!-- id: feature:payroll -->",
        "    - [ ] **story** Migrate PAY-DB01 <!-- id: story:pay-db01 -->",
    ]
    assert len(lines) == 1 + len(sample_backlog.items)


def test_a_line_out_of_shape_names_its_row(checklist_format, tmp_path: Path) -> None:
    path = tmp_path / "backlog.md"
    path.write_text("<!-- mbf markdown-checklist v1 -->\n- [ ] **epic** A <!-- id: a -->\n* B\n")
    with pytest.raises(InputError, match=r"backlog.md, row 3: expected"):
        checklist_format.read(path, Context())


def test_is_found_through_its_entry_point(mbf_cli, plugin_manager) -> None:
    plugin_manager.load_entry_points()
    assert plugin_manager.tracker_formats.owners["markdown-checklist"] == "markdown-checklist"
    assert plugin_manager.distribution_of("markdown-checklist") == "mbf-example-format"


def test_mbf_convert_writes_a_checklist(mbf_cli, plugin_manager, tmp_path: Path) -> None:
    plugin_manager.load_entry_points()
    source = Path(__file__).resolve().parents[2] / "backlog.json"
    result = mbf_cli("convert", str(source), str(tmp_path / "plan.md"))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "plan.md").read_text(encoding="utf-8").count("**feature**") == 3
    assert "cannot hold 'estimate'" in result.stderr
