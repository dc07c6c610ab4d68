"""Edits made in Excel read back: each test edits the written workbook with openpyxl the way a
person would in Excel (type in a cell, pick from a list, add or delete a table row), saves it, and
reads it with the ``xlsx`` format."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from mbf.domain import Backlog, StateCategory, WorkItem, WorkItemKind, validate_backlog
from mbf.plugin import Context, TrackerFormat

Sheet = Any


def _column(sheet: Sheet, header: str) -> int:
    return next(cell.column for cell in sheet[1] if cell.value == header)


def _row_of(sheet: Sheet, item_id: str) -> int:
    return next(cell.row for cell in sheet["A"] if cell.value == item_id)


def _set(sheet: Sheet, item_id: str, header: str, value: object) -> None:
    sheet.cell(_row_of(sheet, item_id), _column(sheet, header)).value = value


def _edit(path: Path, change: Callable[[Sheet], None]) -> None:
    workbook = openpyxl.load_workbook(path)
    change(workbook["Backlog"])
    workbook.save(path)


def _read(xlsx: TrackerFormat, path: Path, context: Context | None = None) -> Backlog:
    assert xlsx.read is not None
    return validate_backlog(xlsx.read(path, context or Context()))


def _item(backlog: Backlog, item_id: str) -> WorkItem:
    return next(item for item in backlog.items if item.id == item_id)


def _append_row(sheet: Sheet, values: dict[str, object]) -> int:
    """Type a new row directly under the table; Excel grows the table to take it in."""
    row = sheet.max_row + 1
    for header, value in values.items():
        sheet.cell(row, _column(sheet, header)).value = value
    table = sheet.tables["BacklogItems"]
    first, last = table.ref.split(":")
    table.ref = f"{first}:{''.join(c for c in last if c.isalpha())}{row}"
    return row


def test_unedited_workbook_reads_back_the_same_backlog(
    xlsx: TrackerFormat, workbook_path: Path, sample_backlog: Backlog
) -> None:
    _edit(workbook_path, lambda sheet: None)  # openpyxl's save must not change what mbf reads
    assert _read(xlsx, workbook_path) == sample_backlog


def test_changed_state_takes_its_category_from_the_state_list(
    xlsx: TrackerFormat, workbook_path: Path
) -> None:
    _edit(workbook_path, lambda sheet: _set(sheet, "story:pay-db01", "State", "Done"))
    item = _item(_read(xlsx, workbook_path), "story:pay-db01")
    assert (item.state, item.state_category) == ("Done", StateCategory.DONE)


def test_changed_category_alone_is_kept(xlsx: TrackerFormat, workbook_path: Path) -> None:
    _edit(workbook_path, lambda sheet: _set(sheet, "feature:crm", "Category", "in_progress"))
    item = _item(_read(xlsx, workbook_path), "feature:crm")
    assert (item.state, item.state_category) == ("New", StateCategory.IN_PROGRESS)


def test_new_state_typed_with_its_category_is_learnt(
    xlsx: TrackerFormat, workbook_path: Path
) -> None:
    def change(sheet: Sheet) -> None:
        _set(sheet, "task:pay-db01/migrate", "State", "Blocked")
        _set(sheet, "task:pay-db01/migrate", "Category", "in_progress")

    _edit(workbook_path, change)
    item = _item(_read(xlsx, workbook_path), "task:pay-db01/migrate")
    assert (item.state, item.state_category) == ("Blocked", StateCategory.IN_PROGRESS)


def test_item_moved_to_another_iteration_by_name(xlsx: TrackerFormat, workbook_path: Path) -> None:
    _edit(workbook_path, lambda sheet: _set(sheet, "story:pay-app01", "Iteration", "Sprint 2"))
    assert _item(_read(xlsx, workbook_path), "story:pay-app01").iteration_id == "sprint-2"


def test_item_taken_out_of_its_iteration_and_release(
    xlsx: TrackerFormat, workbook_path: Path
) -> None:
    def change(sheet: Sheet) -> None:
        _set(sheet, "story:pay-db01", "Iteration", None)
        _set(sheet, "story:pay-db01", "Release", None)

    _edit(workbook_path, change)
    item = _item(_read(xlsx, workbook_path), "story:pay-db01")
    assert (item.iteration_id, item.release_id) == (None, None)


def test_edited_dates_estimate_and_title_read_back(
    xlsx: TrackerFormat, workbook_path: Path
) -> None:
    def change(sheet: Sheet) -> None:
        _set(sheet, "task:pay-app01/migrate", "Start", dt.datetime(2027, 1, 11))
        _set(sheet, "task:pay-app01/migrate", "Finish", "2027-01-12")  # typed as text
        _set(sheet, "task:pay-app01/migrate", "Estimate (h)", 6)
        _set(sheet, "task:pay-app01/migrate", "Title", "Migrate PAY-APP01 (weekend)")

    _edit(workbook_path, change)
    item = _item(_read(xlsx, workbook_path), "task:pay-app01/migrate")
    assert (item.start, item.finish, item.estimate, item.title) == (
        dt.date(2027, 1, 11), dt.date(2027, 1, 12), 6.0, "Migrate PAY-APP01 (weekend)",
    )  # fmt: skip


def test_iteration_dates_changed_on_the_iterations_sheet(
    xlsx: TrackerFormat, workbook_path: Path
) -> None:
    workbook = openpyxl.load_workbook(workbook_path)
    workbook["Iterations"]["E3"].value = dt.datetime(2027, 2, 5)
    workbook.save(workbook_path)
    assert _read(xlsx, workbook_path).iterations[1].finish == dt.date(2027, 2, 5)


def test_row_added_without_id_gets_a_deterministic_id_and_the_parent_above(
    xlsx: TrackerFormat, workbook_path: Path
) -> None:
    _edit(
        workbook_path,
        lambda sheet: _append_row(sheet, {"Kind": "feature", "Title": "Migrate workload HR"}),
    )
    backlog = _read(xlsx, workbook_path)
    added = backlog.items[-1]
    # The last row above is epic:dub2 (level 1), so the new level-2 feature goes under it; the id
    # is "<kind>:excel/" + the first 8 hex digits of blake2b("epic:dub2\nMigrate workload HR").
    assert (added.id, added.parent_id, added.state) == (
        "feature:excel/49cd8ecd",
        "epic:dub2",
        "New",
    )


def test_added_row_id_is_the_same_every_time(
    xlsx: TrackerFormat, workbook_path: Path, tmp_path: Path
) -> None:
    ids = []
    for n in range(2):
        copy = tmp_path / f"copy{n}.xlsx"
        copy.write_bytes(workbook_path.read_bytes())
        _edit(
            copy,
            lambda sheet: _append_row(
                sheet, {"Kind": "task", "Title": "Patch", "Parent ID": "story:pay-db01"}
            ),
        )
        ids.append(_read(xlsx, copy).items[-1].id)
    assert ids == ["task:excel/81be273b", "task:excel/81be273b"]


def test_row_inserted_under_a_story_becomes_its_task(
    xlsx: TrackerFormat, workbook_path: Path
) -> None:
    def change(sheet: Sheet) -> None:
        at = _row_of(sheet, "story:pay-app01") + 1
        sheet.insert_rows(at)
        sheet.cell(at, _column(sheet, "Kind")).value = "task"
        sheet.cell(at, _column(sheet, "Title")).value = "Update DNS for PAY-APP01"
        sheet.cell(at, _column(sheet, "Iteration")).value = "Sprint 2"

    _edit(workbook_path, change)
    added = next(
        i for i in _read(xlsx, workbook_path).items if i.title == "Update DNS for PAY-APP01"
    )
    assert (added.kind, added.parent_id, added.iteration_id) == (
        WorkItemKind.TASK,
        "story:pay-app01",
        "sprint-2",
    )


def test_two_added_rows_with_the_same_title_and_parent_get_distinct_ids(
    xlsx: TrackerFormat, workbook_path: Path
) -> None:
    def change(sheet: Sheet) -> None:
        for _ in range(2):
            _append_row(
                sheet, {"Kind": "task", "Title": "Check backups", "Parent ID": "story:pay-db01"}
            )

    _edit(workbook_path, change)
    ids = [item.id for item in _read(xlsx, workbook_path).items[-2:]]
    assert ids == ["task:excel/f43089f2", "task:excel/f43089f2-2"]


def test_deleted_row_removes_the_item(xlsx: TrackerFormat, workbook_path: Path) -> None:
    _edit(workbook_path, lambda sheet: sheet.delete_rows(_row_of(sheet, "epic:dub2")))
    ids = [item.id for item in _read(xlsx, workbook_path).items]
    assert "epic:dub2" not in ids
    assert len(ids) == 8


def test_deleting_a_parent_row_makes_children_top_level_and_drops_links_with_warnings(
    xlsx: TrackerFormat, workbook_path: Path
) -> None:
    _edit(workbook_path, lambda sheet: sheet.delete_rows(_row_of(sheet, "feature:payroll")))
    context = Context()
    backlog = _read(xlsx, workbook_path, context)
    assert _item(backlog, "story:pay-db01").parent_id is None
    assert _item(backlog, "feature:crm").links == ()
    assert [w.split(": ", 1)[1] for w in context.diagnostics.warnings] == [
        "parent 'feature:payroll' of 'story:pay-db01' is not in the workbook; the item is now top-level",
        "parent 'feature:payroll' of 'story:pay-app01' is not in the workbook; the item is now top-level",
        "'feature:crm' linked to 'feature:payroll', which is not in the workbook; link dropped",
    ]


def test_column_added_in_excel_becomes_an_extra_field(
    xlsx: TrackerFormat, workbook_path: Path
) -> None:
    def change(sheet: Sheet) -> None:
        column = sheet.max_column + 1
        sheet.cell(1, column).value = "Change ticket"
        sheet.cell(_row_of(sheet, "story:pay-db01"), column).value = "CHG-1001"
        sheet.cell(_row_of(sheet, "story:pay-app01"), column).value = 17

    _edit(workbook_path, change)
    backlog = _read(xlsx, workbook_path)
    assert _item(backlog, "story:pay-db01").extra == {"Change ticket": "CHG-1001"}
    assert _item(backlog, "story:pay-app01").extra == {"Change ticket": 17}


def test_rows_sorted_by_a_filter_keep_their_parents(
    xlsx: TrackerFormat, workbook_path: Path, sample_backlog: Backlog
) -> None:
    def change(sheet: Sheet) -> None:
        rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
        for r, values in enumerate(reversed(rows), start=2):
            for c, value in enumerate(values, start=1):
                sheet.cell(r, c).value = value

    _edit(workbook_path, change)
    backlog = _read(xlsx, workbook_path)
    assert [i.id for i in backlog.items] == [i.id for i in reversed(sample_backlog.items)]
    assert {i.id: i.parent_id for i in backlog.items} == {
        i.id: i.parent_id for i in sample_backlog.items
    }


@pytest.mark.parametrize(
    ("typed", "expected"), [("Sprint 2", "sprint-2"), ("sprint-2", "sprint-2")]
)
def test_iteration_cell_accepts_name_or_id(
    xlsx: TrackerFormat, workbook_path: Path, typed: str, expected: str
) -> None:
    _edit(workbook_path, lambda sheet: _set(sheet, "feature:payroll", "Iteration", typed))
    assert _item(_read(xlsx, workbook_path), "feature:payroll").iteration_id == expected


def test_state_added_to_the_lists_sheet_brings_its_category(
    xlsx: TrackerFormat, workbook_path: Path
) -> None:
    workbook = openpyxl.load_workbook(workbook_path)
    lists = workbook["Lists"]
    lists["C5"].value, lists["D5"].value = "Cut over", "done"
    _set(workbook["Backlog"], "story:pay-app01", "State", "Cut over")
    workbook.save(workbook_path)
    item = _item(_read(xlsx, workbook_path), "story:pay-app01")
    assert (item.state, item.state_category) == ("Cut over", StateCategory.DONE)


def test_hand_made_sheet_with_kind_and_title_only_reads_as_a_hierarchy(
    xlsx: TrackerFormat, tmp_path: Path
) -> None:
    path = tmp_path / "plan.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Backlog"
    for row in (("Kind", "Title"), ("epic", "Exit DC1"), ("feature", "Payroll"), ("story", "PAY-DB01"),
                ("task", "Migrate PAY-DB01"), ("feature", "CRM")):  # fmt: skip
        sheet.append(row)
    workbook.save(path)
    backlog = _read(xlsx, path)
    assert [(i.id, i.parent_id, i.state) for i in backlog.items] == [
        ("epic:excel/39f7006c", None, "New"),
        ("feature:excel/481cc6cb", "epic:excel/39f7006c", "New"),
        ("story:excel/eb6a1316", "feature:excel/481cc6cb", "New"),
        ("task:excel/900759d4", "story:excel/eb6a1316", "New"),
        ("feature:excel/632299ae", "epic:excel/39f7006c", "New"),
    ]
