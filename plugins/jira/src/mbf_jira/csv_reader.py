"""Reading the ``jira-csv`` format: importer files (as :mod:`.csv_format` writes them) and
"CSV (all fields)" exports of Server, Data Center and Cloud: repeated headers grouped by position
(rows wider than the header add to the last column), ``Custom field (X)``, ``Parent`` /
``Parent id`` / ``Parent key`` / ``Custom field (Epic Link)``, ``Inward/Outward issue link
(Blocks|Relates)``, several date formats. Columns mbf has no field for are kept in ``extra``
under their header, so they survive a round trip.

The usual file (every row as wide as the header, every cell readable: what mbf writes and Jira
exports) is split into columns (:mod:`.csv_text`) and read a column at a time
(:mod:`.column_reader`); any other file is read row by row here, which words every error with
its file, row and column. Both ways work out each cell with the same functions
(:mod:`.reading`) and give the same backlog.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mbf.domain import Backlog, StateCategory, TrackerRef
from mbf.domain.columns import BacklogColumns
from mbf.errors import InputError
from mbf.plugin import Context
from mbf.tabular import csv_rows, read_text
from mbf_jira.cells import restore
from mbf_jira.column_reader import read_columns
from mbf_jira.csv_format import FIX_VERSION, ISSUE_TYPE, PRIORITY, SPRINT, settings_of
from mbf_jira.csv_text import csv_columns
from mbf_jira.reading import (
    DATE,
    DUE_DATE,
    ESTIMATE,
    MULTI_VALUE,
    BacklogBuilder,
    HeaderColumns,
    Memo,
    PendingLink,
    assignee_of,
    description_of,
    extra_value,
    label_fields,
    named_values,
    priority_fields,
    state_of,
)
from mbf_jira.vocabulary import SERVICE_NAME

__all__ = ["looks_like_jira_csv", "read_jira_csv", "read_jira_csv_columns"]


def _first_row(path: Path) -> list[str]:
    with path.open("rb") as stream:
        head = stream.read(8192)
    first_line = head.decode("utf-8-sig", errors="replace").splitlines()[:1]
    return next(csv.reader(first_line), []) if first_line else []


def looks_like_jira_csv(path: Path) -> bool:
    """Whether ``path`` is a Jira CSV: ``Summary`` beside an issue key, id or type column."""
    try:
        names = {h.strip().casefold() for h in _first_row(path)}
    except (OSError, csv.Error):
        return False
    if "summary" not in names and "résumé" not in names:
        return False
    return bool(names & {"issue key", "issue id", "issue type", "clé de ticket"}) and (
        "work item type" not in names
    )


def _read_rows(
    builder: BacklogBuilder, rows: Iterator[list[str]], columns: HeaderColumns, path: Path
) -> None:
    """Read every data row into ``builder``, wording any error with its file, row and column.

    Written for speed: positions are looked up once, a missing column points at an empty cell
    appended to each row, a single-value field spread over repeated columns is folded into its
    first column, and the words a file repeats (types, statuses, dates…) are worked out once."""
    width = columns.width
    absent = width
    fields = columns.fields
    at = {field: indexes[0] for field, indexes in fields.items()}
    folded = [
        indexes
        for field, indexes in fields.items()
        if len(indexes) > 1 and field not in MULTI_VALUE
    ]
    i_summary, i_key, i_issue_id = (
        at["summary"],
        at.get("issue_key", absent),
        at.get("issue_id", absent),
    )
    i_type, i_status = at.get("issue_type", absent), at.get("status", absent)
    i_category, i_priority = at.get("status_category", absent), at.get("priority", absent)
    i_assignee, i_name = at.get("assignee", absent), at.get("assignee_name", absent)
    i_description, i_estimate = at.get("description", absent), at.get("estimate", absent)
    i_start, i_due = at.get("start", absent), at.get("due", absent)
    i_parent, i_parent_key = at.get("parent", absent), at.get("parent_key", absent)
    i_epic_link = at.get("epic_link", absent)
    label_columns = fields.get("labels", ())
    sprint_columns = fields.get("sprint", ())
    version_columns = fields.get("fix_version", ())
    last = columns.last
    # Each distinct cell's meaning, worked out once (a file repeats these on thousands of rows).
    types = Memo(builder.type_fields)
    categories = Memo(_category_of)
    priorities = Memo(priority_fields)
    estimates: dict[str, float | None] = {}
    dates: dict[str, dt.date | None] = {}
    items: list[tuple[Any, ...]] = []  # each row's fields (ITEM_FIELDS)
    first_position = len(builder.fields[0])
    item_of_issue_id, item_of_key = builder.item_of_issue_id, builder.item_of_key
    row_number = 1

    def fail(message: str, column: str | None = None) -> InputError:
        return InputError(message, path=path, row=row_number, column=column)

    while True:
        try:
            row = next(rows, None)
        except csv.Error as exc:
            row_number += 1
            raise fail(f"malformed CSV: {exc}") from None
        row_number += 1
        if row is None:
            break
        count = len(row)
        overflow: list[str] = []
        if count == width:
            row.append("")
        elif count < width:
            row.extend([""] * (width + 1 - count))
        else:
            overflow = [cell for cell in row[width:] if cell]
            del row[width:]
            row.append("")
        for indexes in folded:
            row[indexes[0]] = next((row[i] for i in indexes if row[i]), "")

        title = row[i_summary]
        if not title.strip():
            if not any(row) and not overflow:
                continue  # blank line, or a spreadsheet's row of commas
            raise fail("the row has no summary", "Summary")
        if title[:1] == "'":
            title = restore(title)
        key = row[i_key].strip()
        issue_id = row[i_issue_id].strip()

        label_cells = [row[i] for i in label_columns]
        if overflow and last in label_columns:
            label_cells += overflow
        own_id, tags = label_fields(label_cells)
        if not own_id:
            own_id = f"jira:{key}" if key else f"jira:row-{row_number}"

        extra: dict[str, Any] = {}
        issue_type, kind, keep_type = types[row[i_type]]
        if keep_type:
            extra[ISSUE_TYPE] = issue_type

        state = state_of(row[i_status])
        category, unknown = categories[state, row[i_category].strip()]
        if unknown:
            builder.count_unknown(state)

        priority, own_priority = priorities[row[i_priority]]
        if own_priority is not None:
            extra[PRIORITY] = own_priority

        assignee = assignee_of(row[i_assignee], row[i_name])

        sprint_cells = [row[i] for i in sprint_columns]
        if overflow and last in sprint_columns:
            sprint_cells += overflow
        sprints = named_values(sprint_cells)
        if len(sprints) > 1:  # the issue's current sprint is the last; the rest is history
            extra[SPRINT] = sprints[:-1]
        version_cells = [row[i] for i in version_columns]
        if overflow and last in version_columns:
            version_cells += overflow
        versions = named_values(version_cells)
        if len(versions) > 1:
            extra[FIX_VERSION] = versions[1:]

        estimate_cell = row[i_estimate]
        if estimate_cell in estimates:
            estimate = estimates[estimate_cell]
        else:
            estimate = estimates[estimate_cell] = ESTIMATE.checked(estimate_cell, path, row_number)
        start_cell, due_cell = row[i_start], row[i_due]
        if start_cell in dates:
            start = dates[start_cell]
        else:
            start = dates[start_cell] = DATE.checked(start_cell, path, row_number)
        if due_cell in dates:
            due = dates[due_cell]
        else:
            due = dates[due_cell] = DUE_DATE.checked(due_cell, path, row_number)

        position = first_position + len(items)
        # Parents usually come first (importer files must be top-down): resolve them now, and
        # only keep a reference to a parent further down the file for the end.
        parent_id = None
        if parent := row[i_parent].strip():
            parent_id = builder.resolve(parent, is_key=False)
            if parent_id is None:
                builder.parents.append((position, parent, False))
        elif parent_key := (row[i_parent_key] or row[i_epic_link]).strip():
            parent_id = builder.resolve(parent_key, is_key=True)
            if parent_id is None:
                builder.parents.append((position, parent_key, True))
        for header, direction, link_type, indexes in columns.links:
            keys = [row[i].strip() for i in indexes if row[i].strip()]
            if keys:
                builder.links.append(PendingLink(position, header, direction, link_type, keys))
        for header, indexes in columns.extras:
            found = [row[i] for i in indexes if row[i]]
            if overflow and last in indexes:
                found += overflow
            if found:
                found = list(map(extra_value, found))
                extra[header] = found if len(indexes) > 1 or len(found) > 1 else found[0]

        if issue_id:
            item_of_issue_id[issue_id] = own_id
        if key:
            item_of_key[key] = own_id
        items.append((
            own_id, kind, title, description_of(row[i_description]), parent_id, state, category,
            assignee, priority, tags,
            builder.sprint_id(sprints[-1]) if sprints else None,
            builder.version_id(versions[0]) if versions else None,
            estimate, start, due,
            {SERVICE_NAME: TrackerRef(key=key)} if key else {},
            extra,
        ))  # fmt: skip
    for field, values in zip(
        builder.fields, zip(*items, strict=True), strict=False
    ):  # no rows: none
        field.extend(values)


def _category_of(state_and_category: tuple[str, str]) -> tuple[StateCategory, bool]:
    return BacklogBuilder.category_of(*state_and_category)


def _read_row_by_row(builder: BacklogBuilder, path: Path, encoding: str) -> None:
    with csv_rows(path, encoding, expected="a header with 'Summary'") as (header, rows):
        _read_rows(builder, rows, HeaderColumns.from_header(header, path), path)


def _read(path: Path, context: Context, encoding: str) -> tuple[BacklogColumns, list[str]]:
    """The backlog in ``path`` read as text in ``encoding``, and the warnings to give.

    The usual file (every row as wide as the header, every cell readable) is read column by
    column; any other file is read row by row, which words its errors."""
    builder = BacklogBuilder(settings_of(context))
    text = read_text(path, encoding)
    table = csv_columns(text) if text else None
    del text
    if table is not None:
        header, cells = table
        del table
        if read_columns(builder, cells, HeaderColumns.from_header(header, path)):
            return builder.finish(), builder.warnings
        del cells  # (read_columns left the builder as it was)
    _read_row_by_row(builder, path, encoding)
    return builder.finish(), builder.warnings


def read_jira_csv(path: Path, context: Context) -> Backlog:
    """Read a Jira CSV: an importer file (e.g. written by mbf) or an "all fields" export."""
    return read_jira_csv_columns(path, context).backlog()


def read_jira_csv_columns(path: Path, context: Context) -> BacklogColumns:
    """Read a Jira CSV (an importer file or an "all fields" export); its items come as columns
    (see :mod:`mbf.domain.columns`)."""
    try:
        backlog, warnings = _read(path, context, "utf-8-sig")
    except UnicodeDecodeError:  # Excel's "Save as CSV" gives Windows-1252
        backlog, warnings = _read(path, context, "cp1252")
    for warning in warnings:
        context.diagnostics.warn(warning)
    return backlog
