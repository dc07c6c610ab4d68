"""A malformed workbook is refused with one message naming the file, sheet, row and column."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest

import mbf_excel.plugin
from mbf.errors import InputError
from mbf.plugin import Context, TrackerFormat


def _set(path: Path, sheet: str, cell: str, value: object) -> None:
    workbook = openpyxl.load_workbook(path)
    workbook[sheet][cell].value = value
    workbook.save(path)


def _read_error(xlsx: TrackerFormat, path: Path) -> str:
    assert xlsx.read is not None
    with pytest.raises(InputError) as caught:
        xlsx.read(path, Context())
    return str(caught.value)


def test_unknown_kind_names_sheet_row_and_column(xlsx: TrackerFormat, workbook_path: Path) -> None:
    _set(workbook_path, "Backlog", "B3", "epik")
    assert _read_error(xlsx, workbook_path) == (
        f"{workbook_path}, sheet 'Backlog', row 3, column 'B (Kind)': "
        "kind 'epik' is not one of epic, feature, story, task"
    )


def test_text_that_is_no_date(xlsx: TrackerFormat, workbook_path: Path) -> None:
    _set(workbook_path, "Backlog", "M4", "next week")
    assert _read_error(xlsx, workbook_path) == (
        f"{workbook_path}, sheet 'Backlog', row 4, column 'M (Start)': 'next week' is not a date (use YYYY-MM-DD)"
    )


def test_estimate_that_is_no_number(xlsx: TrackerFormat, workbook_path: Path) -> None:
    _set(workbook_path, "Backlog", "L4", "a lot")
    assert _read_error(xlsx, workbook_path) == (
        f"{workbook_path}, sheet 'Backlog', row 4, column 'L (Estimate (h))': 'a lot' is not a number"
    )


def test_iteration_missing_from_the_iterations_sheet(
    xlsx: TrackerFormat, workbook_path: Path
) -> None:
    _set(workbook_path, "Backlog", "J3", "Sprint 9")
    assert _read_error(xlsx, workbook_path) == (
        f"{workbook_path}, sheet 'Backlog', row 3, column 'J (Iteration)': "
        "iteration 'Sprint 9' is not on the Iterations sheet"
    )


def test_copied_row_with_a_duplicate_id(xlsx: TrackerFormat, workbook_path: Path) -> None:
    _set(workbook_path, "Backlog", "A10", "story:pay-db01")
    assert _read_error(xlsx, workbook_path) == (
        f"{workbook_path}, sheet 'Backlog', row 10, column 'A (ID)': ID 'story:pay-db01' is also on row 4; "
        "clear the ID of a copied row to make it a new item"
    )


def test_row_without_title(xlsx: TrackerFormat, workbook_path: Path) -> None:
    _set(workbook_path, "Backlog", "D5", None)
    assert _read_error(xlsx, workbook_path) == (
        f"{workbook_path}, sheet 'Backlog', row 5, column 'D (Title)': a work item needs a title"
    )


def test_malformed_link_lag(xlsx: TrackerFormat, workbook_path: Path) -> None:
    _set(workbook_path, "Backlog", "P6", "task:pay-app01/migrate SS +fourh")
    assert _read_error(xlsx, workbook_path) == (
        f"{workbook_path}, sheet 'Backlog', row 6, column 'P (Links)': "
        "link 'task:pay-app01/migrate SS +fourh': lag '+fourh' is not a number of hours"
    )


def test_tracker_refs_that_are_not_json(xlsx: TrackerFormat, workbook_path: Path) -> None:
    _set(workbook_path, "Backlog", "S3", "{jira: MIG-2}")
    assert _read_error(xlsx, workbook_path) == (
        f"{workbook_path}, sheet 'Backlog', row 3, column 'S (Tracker Refs)': "
        "tracker refs are not valid JSON (Expecting property name enclosed in double quotes)"
    )


def test_bad_iteration_capacity_names_the_iterations_sheet(
    xlsx: TrackerFormat, workbook_path: Path
) -> None:
    _set(workbook_path, "Iterations", "F2", "ten")
    assert _read_error(xlsx, workbook_path) == (
        f"{workbook_path}, sheet 'Iterations', row 2, column 'F (Capacity)': 'ten' is not a number"
    )


def test_missing_title_column(xlsx: TrackerFormat, workbook_path: Path) -> None:
    _set(workbook_path, "Backlog", "D1", "Name")
    assert _read_error(xlsx, workbook_path) == (
        f"{workbook_path}, sheet 'Backlog', row 1: the header row has no column 'Title'"
    )


def test_workbook_without_backlog_sheet(xlsx: TrackerFormat, tmp_path: Path) -> None:
    path = tmp_path / "other.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.title = "Servers"
    workbook.save(path)
    assert (
        _read_error(xlsx, path)
        == f"{path}: no sheet named 'Backlog'; is this an mbf backlog workbook?"
    )


def test_file_that_is_not_a_workbook(xlsx: TrackerFormat, tmp_path: Path) -> None:
    path = tmp_path / "notes.xlsx"
    path.write_text("just text\n")
    assert _read_error(xlsx, path) == f"{path}: not an xlsx workbook (File is not a zip file)"


def test_zip_bomb_is_refused_before_it_is_unpacked(xlsx: TrackerFormat, tmp_path: Path) -> None:
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "xl/workbook.xml", '<workbook><sheets><sheet name="Backlog"/></sheets></workbook>'
        )
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (64 * 1024**2))
    message = _read_error(xlsx, path)
    assert message.startswith(f"{path}: refused: part 'xl/worksheets/sheet1.xml' unpacks ")
    assert message.endswith(" times larger than it is packed (zip bomb?)")


def test_cli_reports_bad_input_in_one_line_and_exits_1(
    mbf_cli, register_plugin, workbook_path: Path, tmp_path: Path
) -> None:
    register_plugin(mbf_excel.plugin, name="excel")
    _set(workbook_path, "Backlog", "B3", "epik")
    result = mbf_cli("convert", str(workbook_path), str(tmp_path / "out.json"))
    assert result.exit_code == 1
    assert (
        "row 3, column 'B (Kind)': kind 'epik' is not one of epic, feature, story, task"
        in result.output
    )
    assert "Traceback" not in result.output
    assert not (tmp_path / "out.json").exists()


def test_meg_workbook_read_as_xlsx_points_to_the_meg_format(
    xlsx: TrackerFormat, meg_framework: Path
) -> None:
    framework = meg_framework
    assert _read_error(xlsx, framework) == (
        f"{framework}: this is a Migration Execution Guide workbook, not a backlog workbook: use --from meg"
    )
