"""The backlog workbook is made for people: a table with filters, frozen header, visible hierarchy,
drop-down lists, Iterations/Releases/Summary sheets, and fixed dates so the bytes never change."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
from python_calamine import CalamineWorkbook

from mbf.domain import Backlog
from mbf.plugin import Context, TrackerFormat


def test_sheets_are_backlog_iterations_releases_summary_then_hidden_lists(
    workbook_path: Path,
) -> None:
    workbook = openpyxl.load_workbook(workbook_path)
    assert [(ws.title, ws.sheet_state) for ws in workbook] == [
        ("Backlog", "visible"),
        ("Iterations", "visible"),
        ("Releases", "visible"),
        ("Summary", "visible"),
        ("Lists", "hidden"),
        ("mbf", "veryHidden"),
    ]


def test_backlog_sheet_is_one_excel_table_over_every_row(workbook_path: Path) -> None:
    sheet = openpyxl.load_workbook(workbook_path)["Backlog"]
    table = sheet.tables["BacklogItems"]
    assert table.ref == "A1:U10"  # 20 standard columns + "Business unit"; header + 9 items
    assert table.tableStyleInfo.name == "TableStyleMedium2"
    assert table.autoFilter.ref == "A1:U10"  # filter buttons on every header
    assert [c.value for c in sheet[1]][:6] == ["ID", "Kind", "Level", "Title", "State", "Category"]
    assert sheet["U1"].value == "Business unit"


def test_header_and_identity_columns_are_frozen(workbook_path: Path) -> None:
    sheet = openpyxl.load_workbook(workbook_path)["Backlog"]
    assert sheet.freeze_panes == "E2"


def test_hierarchy_shows_as_level_indent_and_outline_groups(workbook_path: Path) -> None:
    sheet = openpyxl.load_workbook(workbook_path)["Backlog"]
    rows = [
        (sheet.cell(r, 1).value, sheet.cell(r, 3).value, sheet.cell(r, 4).alignment.indent,
         sheet.row_dimensions[r].outline_level)
        for r in range(2, 7)
    ]  # fmt: skip
    assert rows == [
        ("epic:ams1", 1, 0, 0),
        ("feature:payroll", 2, 1, 1),
        ("story:pay-db01", 3, 2, 2),
        ("task:pay-db01/remediate/1f0c2a3b", 4, 3, 3),
        ("task:pay-db01/migrate", 4, 3, 3),
    ]
    assert sheet.sheet_properties.outlinePr.summaryBelow is False  # parents sit above children


def test_kind_state_category_iteration_and_release_have_drop_down_lists(
    workbook_path: Path,
) -> None:
    sheet = openpyxl.load_workbook(workbook_path)["Backlog"]
    lists = {str(dv.sqref): (dv.type, dv.formula1) for dv in sheet.data_validations.dataValidation}
    assert lists == {
        "B2:B10": ("list", '"epic,feature,story,task"'),
        "E2:E10": ("list", "'Lists'!$C$2:$C$4"),
        "F2:F10": ("list", '"todo,in_progress,done"'),
        "J2:J10": ("list", "'Iterations'!$B$2:$B$3"),
        "K2:K10": ("list", "'Releases'!$B$2:$B$2"),
    }


def test_written_state_column_is_hidden(workbook_path: Path) -> None:
    sheet = openpyxl.load_workbook(workbook_path)["Backlog"]
    assert sheet["T1"].value == "Written State"
    assert sheet.column_dimensions["T"].hidden is True


def test_iterations_and_releases_are_tables_with_dates(workbook_path: Path) -> None:
    workbook = CalamineWorkbook.from_path(str(workbook_path))
    iterations = workbook.get_sheet_by_name("Iterations").to_python()
    releases = workbook.get_sheet_by_name("Releases").to_python()
    assert iterations[:2] == [
        ["ID", "Name", "Path", "Start", "Finish", "Capacity"],
        [
            "sprint-1",
            "Sprint 1",
            "Contoso\\Sprint 1",
            dt.date(2027, 1, 4),
            dt.date(2027, 1, 15),
            10.0,
        ],
    ]
    assert releases == [
        ["ID", "Name", "Date", "Workloads"],
        ["release-1", "Release 1", dt.date(2027, 1, 29), "payroll"],
    ]


def test_summary_counts_by_kind_with_formulas_and_current_values(workbook_path: Path) -> None:
    summary = (
        CalamineWorkbook.from_path(str(workbook_path)).get_sheet_by_name("Summary").to_python()
    )
    assert summary[2] == ["Kind", "Items", "To do", "In progress", "Done", "Estimate (h)", ""]
    assert summary[6][:6] == ["task", 3.0, 2.0, 0.0, 1.0, 32.0]
    formulas = openpyxl.load_workbook(workbook_path)["Summary"]
    assert formulas["E7"].value == '=COUNTIFS(BacklogItems[Kind],$A7,BacklogItems[Category],"done")'


def test_summary_lists_each_iteration_with_its_load(workbook_path: Path) -> None:
    summary = (
        CalamineWorkbook.from_path(str(workbook_path)).get_sheet_by_name("Summary").to_python()
    )
    assert summary[9] == [
        "Sprint 1",
        dt.date(2027, 1, 4),
        dt.date(2027, 1, 15),
        10.0,
        6.0,
        1.0,
        68.0,
    ]


def test_text_that_looks_like_a_formula_stays_text(
    xlsx: TrackerFormat, sample_backlog: Backlog, tmp_path: Path
) -> None:
    import attrs

    item = attrs.evolve(sample_backlog.items[0], title='=HYPERLINK("http://x","click")')
    path = tmp_path / "b.xlsx"
    assert xlsx.write is not None
    xlsx.write(Backlog(items=(item,)), path, Context())
    cell = openpyxl.load_workbook(path)["Backlog"]["D2"]
    assert (cell.data_type, cell.value, cell.quotePrefix) == (
        "s",
        '=HYPERLINK("http://x","click")',
        True,
    )


def test_workbook_dates_are_fixed(workbook_path: Path) -> None:
    with zipfile.ZipFile(workbook_path) as archive:
        core = archive.read("docProps/core.xml").decode()
        stamps = {info.date_time for info in archive.infolist()}
    assert (
        '<dcterms:created xsi:type="dcterms:W3CDTF">2024-01-01T00:00:00Z</dcterms:created>' in core
    )
    assert (
        '<dcterms:modified xsi:type="dcterms:W3CDTF">2024-01-01T00:00:00Z</dcterms:modified>'
        in core
    )
    assert stamps == {(1980, 1, 1, 0, 0, 0)}
