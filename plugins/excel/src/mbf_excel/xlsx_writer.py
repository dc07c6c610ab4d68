"""Writing a backlog as a workbook people like to work in, with xlsxwriter.

The Backlog sheet is an Excel table (filters, banded rows) with a frozen header, titles indented by
depth and rows grouped in an outline under their parents, and drop-down lists for kind, state,
category, iteration and release. Iterations and Releases have their own tables, and the Summary
sheet counts items with formulas over the Backlog table (so it stays right while people edit).
xlsxwriter was measured fastest for this (``benchmarks/xlsx_writers.py`` at the repository root).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs

from mbf.domain import (
    Backlog,
    Iteration,
    Release,
    StateCategory,
    WorkItem,
    WorkItemKind,
    hierarchy_order,
)
from mbf.plugin import Context
from mbf_excel.backlog_layout import (
    BACKLOG_COLUMNS,
    BACKLOG_SHEET,
    BACKLOG_TABLE,
    ITERATION_COLUMNS,
    ITERATIONS_SHEET,
    LISTS_SHEET,
    META_SHEET,
    RELEASE_COLUMNS,
    RELEASES_SHEET,
    SUMMARY_SHEET,
    Column,
    format_links,
    format_refs,
    join_values,
)
from mbf_excel.cells import FORMULA_PREFIXES

__all__ = ["WORKBOOK_TIMESTAMP", "ExtraColumn", "plan_extra_columns", "write_backlog_workbook"]

WORKBOOK_TIMESTAMP = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
"""Created/modified date stamped into every workbook, so the same backlog gives the same bytes."""

LAYOUT_VERSION = 1
"""Version of the workbook layout, recorded on the hidden ``mbf`` sheet."""

_DEFAULT_STATES: tuple[tuple[str, StateCategory], ...] = (
    ("New", StateCategory.TODO),
    ("Active", StateCategory.IN_PROGRESS),
    ("Done", StateCategory.DONE),
)
"""Offered in the State drop-down besides the states the backlog already uses."""

_WIDTHS = {
    Column.ID: 28, Column.KIND: 9, Column.LEVEL: 6, Column.TITLE: 48, Column.STATE: 12,
    Column.CATEGORY: 12, Column.ASSIGNEE: 28, Column.PRIORITY: 8, Column.TAGS: 20,
    Column.ITERATION: 14, Column.RELEASE: 14, Column.ESTIMATE: 11, Column.START: 11,
    Column.FINISH: 11, Column.PARENT: 28, Column.LINKS: 36, Column.SOURCE: 18,
    Column.DESCRIPTION: 48, Column.REFS: 24, Column.WRITTEN_STATE: 12,
}  # fmt: skip
_MAX_OUTLINE_LEVEL = 7
"""Excel groups rows at most seven levels deep."""
_MAX_EXACT_INTEGER = 2**53
"""Larger integers do not survive Excel's 64-bit float cells; they are written as JSON text."""


@attrs.frozen
class ExtraColumn:
    """A Backlog column holding one key of ``WorkItem.extra``."""

    header: str
    key: str
    encoding: str
    """``text``, ``integer``, ``number``, ``boolean`` or ``json`` (see :mod:`backlog_layout`)."""


def _encoding_of(values: Sequence[Any]) -> str:
    if all(isinstance(v, str) and v != "" for v in values):
        return "text"
    if all(isinstance(v, bool) for v in values):
        return "boolean"
    if all(
        isinstance(v, int) and not isinstance(v, bool) and abs(v) < _MAX_EXACT_INTEGER
        for v in values
    ):
        return "integer"
    if all(
        isinstance(v, int | float)
        and not isinstance(v, bool)
        and math.isfinite(v)
        and abs(v) < _MAX_EXACT_INTEGER
        for v in values
    ):
        return "number"
    # Empty text, None, lists, mixed types: JSON keeps them exactly.
    return "json"


def plan_extra_columns(items: Sequence[WorkItem]) -> list[ExtraColumn]:
    """One column per extra key (sorted), named after the key unless that clashes with another."""
    values: dict[str, list[Any]] = {}
    for item in items:
        for key, value in item.extra.items():
            values.setdefault(key, []).append(value)
    taken = {header.casefold() for header in BACKLOG_COLUMNS}
    columns = []
    for key in sorted(values):
        header = key if key.strip() == key and key and "\n" not in key else f"extra: {key.strip()}"
        if header.casefold() in taken:
            header = f"extra: {key}"
        base, n = header, 2
        while header.casefold() in taken:
            header, n = f"{base} ({n})", n + 1
        taken.add(header.casefold())
        columns.append(ExtraColumn(header=header, key=key, encoding=_encoding_of(values[key])))
    return columns


def _display_names(entries: Sequence[Iteration] | Sequence[Release]) -> dict[str, str]:
    """Id -> what the Backlog sheet shows: the name, or the id where names repeat."""
    names = [e.name for e in entries]
    unique = len(set(names)) == len(names) and all(names)
    return {e.id: (e.name if unique else e.id) for e in entries}


def _depths(items: Sequence[WorkItem]) -> dict[str, int]:
    """Depth of each item below its top-level ancestor; ``items`` are in hierarchy order."""
    depth: dict[str, int] = {}
    for item in items:
        parent = item.parent_id
        depth[item.id] = depth[parent] + 1 if parent is not None and parent in depth else 0
    return depth


def _add_long_table(worksheet: Any, last_row: int, last_col: int, options: dict[str, Any]) -> None:
    """``worksheet.add_table(0, 0, last_row, last_col, options)`` for a table of many rows.

    xlsxwriter's ``add_table`` visits every cell of the range to refuse a later table or merged
    range overlapping it, noting each in a dict: at 359,000 items that is 7 million cells, a tenth
    of the whole write, and a gigabyte of tuple keys. The Backlog sheet has one table and no
    merged cells, so the table is added over its header and first row, and the range it records
    (the ``ref`` and ``autoFilter ref`` written to the file) is then widened to every row. The
    table has no formula columns and no totals row, whose cells ``add_table`` would write.
    """
    from xlsxwriter.utility import xl_range

    worksheet.add_table(0, 0, min(last_row, 1), last_col, options)
    table = worksheet.tables[-1]
    if not {"range", "a_range"} <= table.keys():  # guards against a change in xlsxwriter
        raise RuntimeError("xlsxwriter's table record changed; cannot widen the Backlog table")
    table["range"] = table["a_range"] = xl_range(0, 0, last_row, last_col)
    if "autofilter" in table:
        table["autofilter"] = table["a_range"]


class _Sheet:
    """A worksheet with text and dates written the safe way: text never becomes a formula."""

    def __init__(self, workbook: Any, worksheet: Any) -> None:
        self.worksheet = worksheet
        self.date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
        self.quoted = workbook.add_format({"quote_prefix": True})

    def text(self, row: int, col: int, value: str, cell_format: Any = None) -> None:
        if not value:
            return
        if value.startswith(FORMULA_PREFIXES) and cell_format is None:
            cell_format = self.quoted
        self.worksheet.write_string(row, col, value, cell_format)

    def number(self, row: int, col: int, value: float | None) -> None:
        if value is not None:
            self.worksheet.write_number(row, col, value)

    def date(self, row: int, col: int, value: dt.date | None) -> None:
        if value is not None:
            self.worksheet.write_datetime(
                row, col, dt.datetime.combine(value, dt.time()), self.date_format
            )


def write_backlog_workbook(backlog: Backlog, path: Path, context: Context) -> None:
    """Write ``backlog`` to the workbook ``path`` (format ``xlsx``)."""
    import xlsxwriter

    items = hierarchy_order(backlog.items)
    workbook = xlsxwriter.Workbook(
        str(path),
        {
            "in_memory": True,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    workbook.set_properties(
        {
            "title": "Migration backlog",
            "author": "mbf",
            "created": WORKBOOK_TIMESTAMP.replace(tzinfo=None),
        }
    )
    backlog_sheet = workbook.add_worksheet(BACKLOG_SHEET)
    iterations_sheet = workbook.add_worksheet(ITERATIONS_SHEET)
    releases_sheet = workbook.add_worksheet(RELEASES_SHEET)
    summary_sheet = workbook.add_worksheet(SUMMARY_SHEET)
    lists_sheet = workbook.add_worksheet(LISTS_SHEET)
    meta_sheet = workbook.add_worksheet(META_SHEET)

    states = _state_list(items)
    extra_columns = plan_extra_columns(items)
    _write_lists(workbook, lists_sheet, states)
    _write_iterations(workbook, iterations_sheet, backlog.iterations)
    _write_releases(workbook, releases_sheet, backlog.releases)
    _write_backlog(
        workbook,
        backlog_sheet,
        backlog,
        items=items,
        extra_columns=extra_columns,
        state_count=len(states),
    )
    _write_summary(workbook, summary_sheet, backlog, items)
    _write_meta(meta_sheet, extra_columns)
    lists_sheet.hide()
    meta_sheet.very_hidden()
    backlog_sheet.activate()
    workbook.close()


def _state_list(items: Sequence[WorkItem]) -> list[tuple[str, StateCategory]]:
    """States the backlog uses (first category seen for each), then the default ones."""
    seen: dict[str, StateCategory] = {}
    for item in items:
        seen.setdefault(item.state, item.state_category)
    for state, category in _DEFAULT_STATES:
        seen.setdefault(state, category)
    return list(seen.items())


def _write_backlog(
    workbook: Any,
    worksheet: Any,
    backlog: Backlog,
    *,
    items: Sequence[WorkItem],
    extra_columns: Sequence[ExtraColumn],
    state_count: int,
) -> None:
    sheet = _Sheet(workbook, worksheet)
    headers = [*BACKLOG_COLUMNS, *(c.header for c in extra_columns)]
    col = {header: index for index, header in enumerate(headers)}
    last_row = max(len(items), 1)
    _add_long_table(
        worksheet, last_row, len(headers) - 1,
        {"name": BACKLOG_TABLE, "style": "Table Style Medium 2", "columns": [{"header": h} for h in headers]},
    )  # fmt: skip
    indents = [workbook.add_format({"indent": n}) for n in range(_MAX_OUTLINE_LEVEL + 1)]
    quoted_indents = [
        workbook.add_format({"indent": n, "quote_prefix": True})
        for n in range(_MAX_OUTLINE_LEVEL + 1)
    ]
    iteration_names = _display_names(backlog.iterations)
    release_names = _display_names(backlog.releases)
    depths = _depths(items)
    write = worksheet.write_string
    for row, item in enumerate(items, start=1):
        depth = depths[item.id]
        shown_depth = min(depth, _MAX_OUTLINE_LEVEL)
        write(row, col[Column.ID], item.id)
        write(row, col[Column.KIND], item.kind.value)
        worksheet.write_number(row, col[Column.LEVEL], depth + 1)
        title_format = (quoted_indents if item.title.startswith(FORMULA_PREFIXES) else indents)[
            shown_depth
        ]
        sheet.text(row, col[Column.TITLE], item.title, title_format)
        sheet.text(row, col[Column.STATE], item.state)
        write(row, col[Column.CATEGORY], item.state_category.value)
        sheet.text(row, col[Column.ASSIGNEE], item.assignee)
        sheet.number(row, col[Column.PRIORITY], item.priority)
        sheet.text(row, col[Column.TAGS], join_values(item.tags))
        if item.iteration_id is not None:
            sheet.text(
                row,
                col[Column.ITERATION],
                iteration_names.get(item.iteration_id, item.iteration_id),
            )
        if item.release_id is not None:
            sheet.text(
                row, col[Column.RELEASE], release_names.get(item.release_id, item.release_id)
            )
        sheet.number(row, col[Column.ESTIMATE], item.estimate)
        sheet.date(row, col[Column.START], item.start)
        sheet.date(row, col[Column.FINISH], item.finish)
        sheet.text(row, col[Column.PARENT], item.parent_id or "")
        sheet.text(row, col[Column.LINKS], format_links(item.links))
        sheet.text(row, col[Column.SOURCE], join_values(item.source))
        sheet.text(row, col[Column.DESCRIPTION], item.description)
        sheet.text(row, col[Column.REFS], format_refs(item.refs))
        sheet.text(row, col[Column.WRITTEN_STATE], item.state)
        for extra in extra_columns:
            if extra.key in item.extra:
                _write_extra(sheet, row, col[extra.header], extra.encoding, item.extra[extra.key])
        if depth:
            worksheet.set_row(row, None, None, {"level": shown_depth})

    for header, width in _WIDTHS.items():
        options = {"hidden": True} if header == Column.WRITTEN_STATE else None
        worksheet.set_column(col[header], col[header], width, None, options)
    for extra in extra_columns:
        worksheet.set_column(col[extra.header], col[extra.header], 16)
    worksheet.freeze_panes(1, col[Column.TITLE] + 1)
    worksheet.outline_settings(True, False, True, False)  # parents sit above their children

    def validate(header: str, options: dict[str, Any]) -> None:
        worksheet.data_validation(1, col[header], last_row, col[header], options)

    validate(Column.KIND, {
        "validate": "list", "source": [k.value for k in WorkItemKind],
        "error_title": "Kind", "error_message": "Choose epic, feature, story or task.",
    })  # fmt: skip
    validate(Column.STATE, {
        "validate": "list", "source": f"='{LISTS_SHEET}'!$C$2:$C${state_count + 1}", "error_type": "warning",
        "error_title": "State", "error_message": "A new state also needs its Category.",
    })  # fmt: skip
    validate(Column.CATEGORY, {"validate": "list", "source": [c.value for c in StateCategory]})
    if backlog.iterations:
        validate(Column.ITERATION, {
            "validate": "list", "source": f"='{ITERATIONS_SHEET}'!$B$2:$B${len(backlog.iterations) + 1}",
            "error_type": "warning", "error_message": "Add the iteration to the Iterations sheet first.",
        })  # fmt: skip
    if backlog.releases:
        validate(Column.RELEASE, {
            "validate": "list", "source": f"='{RELEASES_SHEET}'!$B$2:$B${len(backlog.releases) + 1}",
            "error_type": "warning", "error_message": "Add the release to the Releases sheet first.",
        })  # fmt: skip


def _write_extra(sheet: _Sheet, row: int, col: int, encoding: str, value: Any) -> None:
    if encoding == "text":
        sheet.text(row, col, value)
    elif encoding == "boolean":
        sheet.worksheet.write_boolean(row, col, value)
    elif encoding in ("integer", "number"):
        sheet.worksheet.write_number(row, col, value)
    else:
        sheet.text(
            row, col, json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        )


def _write_table(
    workbook: Any, worksheet: Any, name: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """A small sheet that is one Excel table of ``rows`` (text, numbers, dates)."""
    sheet = _Sheet(workbook, worksheet)
    worksheet.add_table(
        0, 0, max(len(rows), 1), len(headers) - 1,
        {"name": name, "style": "Table Style Light 9", "columns": [{"header": h} for h in headers]},
    )  # fmt: skip
    for r, values in enumerate(rows, start=1):
        for c, value in enumerate(values):
            if isinstance(value, str):
                sheet.text(r, c, value)
            elif isinstance(value, dt.date):
                sheet.date(r, c, value)
            else:
                sheet.number(r, c, value)
    worksheet.set_column(0, len(headers) - 1, 16)
    worksheet.freeze_panes(1, 0)


def _write_iterations(workbook: Any, worksheet: Any, iterations: Sequence[Iteration]) -> None:
    rows = [(i.id, i.name, i.path, i.start, i.finish, i.capacity) for i in iterations]
    _write_table(workbook, worksheet, "IterationList", ITERATION_COLUMNS, rows)


def _write_releases(workbook: Any, worksheet: Any, releases: Sequence[Release]) -> None:
    rows = [(r.id, r.name, r.date, join_values(r.workload_ids)) for r in releases]
    _write_table(workbook, worksheet, "ReleaseList", RELEASE_COLUMNS, rows)


def _write_lists(
    workbook: Any, worksheet: Any, states: Sequence[tuple[str, StateCategory]]
) -> None:
    sheet = _Sheet(workbook, worksheet)
    for c, header in enumerate(("Kind", "Level", "State", "Category")):
        worksheet.write_string(0, c, header)
    for r, kind in enumerate(WorkItemKind, start=1):
        worksheet.write_string(r, 0, kind.value)
        worksheet.write_number(r, 1, r)
    for r, (state, category) in enumerate(states, start=1):
        sheet.text(r, 2, state)
        worksheet.write_string(r, 3, category.value)


def _write_meta(worksheet: Any, extra_columns: Sequence[ExtraColumn]) -> None:
    worksheet.write_string(0, 0, "layout")
    worksheet.write_string(0, 1, "mbf-xlsx")
    worksheet.write_string(1, 0, "version")
    worksheet.write_number(1, 1, LAYOUT_VERSION)
    for c, header in enumerate(("Column", "Extra field", "Encoding")):
        worksheet.write_string(3, c, header)
    for r, extra in enumerate(extra_columns, start=4):
        worksheet.write_string(r, 0, extra.header)
        worksheet.write_string(r, 1, extra.key)
        worksheet.write_string(r, 2, extra.encoding)


def _structured(column: str) -> str:
    """A structured reference to one column of the Backlog table."""
    escaped = column.replace("'", "''").replace("[", "'[").replace("]", "']").replace("#", "'#")
    return f"{BACKLOG_TABLE}[{escaped}]"


def _write_summary(
    workbook: Any, worksheet: Any, backlog: Backlog, items: Sequence[WorkItem]
) -> None:
    """Counts and hours per kind, iteration and release, as formulas with their current values."""
    bold = workbook.add_format({"bold": True})
    heading = workbook.add_format({"bold": True, "font_size": 14})
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    kind_col, category_col = _structured(Column.KIND), _structured(Column.CATEGORY)
    estimate_col, iteration_col = _structured(Column.ESTIMATE), _structured(Column.ITERATION)
    release_col = _structured(Column.RELEASE)
    worksheet.write_string(0, 0, "Migration backlog summary", heading)
    worksheet.set_column(0, 0, 22)
    worksheet.set_column(1, 6, 13)

    row = 2
    for c, header in enumerate(("Kind", "Items", "To do", "In progress", "Done", "Estimate (h)")):
        worksheet.write_string(row, c, header, bold)
    counts: dict[tuple[str, str], int] = {}
    hours: dict[str, float] = {}
    for item in items:
        key = (item.kind.value, item.state_category.value)
        counts[key] = counts.get(key, 0) + 1
        hours[item.kind.value] = hours.get(item.kind.value, 0.0) + (item.estimate or 0.0)
    for kind in WorkItemKind:
        row += 1
        cell = f"$A{row + 1}"
        worksheet.write_string(row, 0, kind.value)
        total = sum(counts.get((kind.value, c.value), 0) for c in StateCategory)
        worksheet.write_formula(row, 1, f"=COUNTIFS({kind_col},{cell})", None, total)
        for c, category in enumerate(StateCategory, start=2):
            worksheet.write_formula(
                row, c, f'=COUNTIFS({kind_col},{cell},{category_col},"{category.value}")', None,
                counts.get((kind.value, category.value), 0),
            )  # fmt: skip
        worksheet.write_formula(
            row, 5, f"=SUMIFS({estimate_col},{kind_col},{cell})", None, hours.get(kind.value, 0.0)
        )

    by_iteration: dict[str, list[WorkItem]] = {}
    by_release: dict[str, list[WorkItem]] = {}
    for item in items:
        if item.iteration_id is not None:
            by_iteration.setdefault(item.iteration_id, []).append(item)
        if item.release_id is not None:
            by_release.setdefault(item.release_id, []).append(item)
    iteration_names = _display_names(backlog.iterations)
    release_names = _display_names(backlog.releases)

    row += 2
    for c, header in enumerate(
        ("Iteration", "Start", "Finish", "Capacity", "Items", "Done", "Estimate (h)")
    ):
        worksheet.write_string(row, c, header, bold)
    for iteration in backlog.iterations:
        row += 1
        cell = f"$A{row + 1}"
        planned = by_iteration.get(iteration.id, [])
        worksheet.write_string(row, 0, iteration_names[iteration.id])
        if iteration.start is not None:
            worksheet.write_datetime(
                row, 1, dt.datetime.combine(iteration.start, dt.time()), date_format
            )
        if iteration.finish is not None:
            worksheet.write_datetime(
                row, 2, dt.datetime.combine(iteration.finish, dt.time()), date_format
            )
        if iteration.capacity is not None:
            worksheet.write_number(row, 3, iteration.capacity)
        worksheet.write_formula(row, 4, f"=COUNTIFS({iteration_col},{cell})", None, len(planned))
        done = sum(1 for i in planned if i.state_category is StateCategory.DONE)
        worksheet.write_formula(
            row, 5, f'=COUNTIFS({iteration_col},{cell},{category_col},"done")', None, done
        )
        estimate = sum(i.estimate or 0.0 for i in planned)
        worksheet.write_formula(
            row, 6, f"=SUMIFS({estimate_col},{iteration_col},{cell})", None, estimate
        )

    row += 2
    for c, header in enumerate(("Release", "Date", "Items", "Workloads")):
        worksheet.write_string(row, c, header, bold)
    for release in backlog.releases:
        row += 1
        worksheet.write_string(row, 0, release_names[release.id])
        if release.date is not None:
            worksheet.write_datetime(
                row, 1, dt.datetime.combine(release.date, dt.time()), date_format
            )
        count = len(by_release.get(release.id, []))
        worksheet.write_formula(row, 2, f"=COUNTIFS({release_col},$A{row + 1})", None, count)
        worksheet.write_number(row, 3, len(release.workload_ids))
