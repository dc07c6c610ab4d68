"""Reading a backlog workbook back with python-calamine, including what people changed in Excel.

Edits that are understood:

- a changed State: the category comes from the state list on the Lists sheet (a state typed
  there with its category is learnt), unless the Category cell was changed too;
- a changed Iteration or Release (by name or id), dates, estimates, titles, any other cell;
- a row added without an ID: it gets a deterministic id from its kind, parent and title; its
  parent is the Parent ID cell or, when that is empty, the nearest row above with a lower Level;
- a deleted row: the item is gone; children naming it as parent become top-level and links to it
  are dropped, each with a warning;
- a column added by hand: its values go into each item's ``extra`` under the header.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Iterator, Sequence
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
    item_id,
    slug,
    stable_hash,
)
from mbf.errors import InputError
from mbf.plugin import Context
from mbf_excel.archive import check_workbook_archive
from mbf_excel.backlog_layout import (
    BACKLOG_COLUMNS,
    BACKLOG_SHEET,
    EXTRA_ENCODINGS,
    ITERATIONS_SHEET,
    KIND_LEVELS,
    LISTS_SHEET,
    META_SHEET,
    RELEASES_SHEET,
    Column,
    parse_links,
    parse_refs,
    split_values,
)
from mbf_excel.cells import SheetPosition, cell_text, is_blank
from mbf_excel.meg_layout import MEG_SHEETS

__all__ = ["read_backlog_workbook"]

_KINDS = {k.value: k for k in WorkItemKind}
_CATEGORIES = {c.value: c for c in StateCategory}


def read_backlog_workbook(path: Path, context: Context) -> Backlog:
    """Read the backlog workbook ``path`` (format ``xlsx``)."""
    from python_calamine import CalamineWorkbook

    check_workbook_archive(path)
    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception as error:  # calamine raises its own error types for damaged workbooks
        raise _file_error(path, f"cannot read the workbook ({error})") from None
    names = set(workbook.sheet_names)
    if BACKLOG_SHEET not in names:
        if names & set(MEG_SHEETS):
            raise _file_error(
                path,
                "this is a Migration Execution Guide workbook, not a backlog workbook: use --from meg",
            )
        raise _file_error(
            path, f"no sheet named {BACKLOG_SHEET!r}; is this an mbf backlog workbook?"
        )

    def rows_of(sheet: str) -> list[list[Any]]:
        if sheet not in names:
            return []
        return list(workbook.get_sheet_by_name(sheet).to_python(skip_empty_area=False))

    extra_columns = _read_meta(path, rows_of(META_SHEET))
    state_categories = _read_states(path, rows_of(LISTS_SHEET))
    iterations = _read_iterations(path, rows_of(ITERATIONS_SHEET))
    releases = _read_releases(path, rows_of(RELEASES_SHEET))
    items = _BacklogSheetReader(
        path,
        extra_columns=extra_columns,
        state_categories=state_categories,
        iterations=iterations,
        releases=releases,
        context=context,
    ).read(rows_of(BACKLOG_SHEET))
    workbook.close()
    return Backlog(items=items, iterations=iterations, releases=releases)


def _file_error(path: Path, message: str) -> InputError:
    return InputError(message, path=path)


def _table(
    path: Path, sheet: str, rows: list[list[Any]], required: Sequence[str]
) -> tuple[SheetPosition, dict[str, int], Iterator[tuple[int, list[Any]]]]:
    """The header of a sheet whose first row is a header, and its non-blank data rows."""
    header_row = rows[0] if rows else []
    headers = {c: str(v).strip() for c, v in enumerate(header_row) if not is_blank(v)}
    position = SheetPosition(path, sheet, headers)
    index = {name: c for c, name in headers.items()}
    missing = [name for name in required if name not in index]
    if missing:
        raise position.error(f"the header row has no column {missing[0]!r}", row=1)

    def data() -> Iterator[tuple[int, list[Any]]]:
        for number, row in enumerate(itertools.islice(rows, 1, None), start=2):
            if not all(is_blank(v) for v in row):
                yield number, row

    return position, index, data()


def _cell(row: list[Any], index: dict[str, int], name: str) -> Any:
    column = index.get(name)
    return row[column] if column is not None and column < len(row) else ""


def _read_meta(path: Path, rows: list[list[Any]]) -> dict[str, tuple[str, str]]:
    """Column header -> (extra key, encoding) from the hidden ``mbf`` sheet."""
    columns: dict[str, tuple[str, str]] = {}
    position = SheetPosition(path, META_SHEET, {0: "Column", 1: "Extra field", 2: "Encoding"})
    in_table = False
    for number, row in enumerate(rows, start=1):
        cells = [position.text(v) for v in row[:3]] + [""] * (3 - len(row[:3]))
        if cells[0] == "Column" and cells[1] == "Extra field":
            in_table = True
            continue
        if not in_table or not cells[0]:
            continue
        if cells[2] not in EXTRA_ENCODINGS:
            raise position.error(f"unknown encoding {cells[2]!r}", row=number, column=2)
        columns[cells[0]] = (cells[1], cells[2])
    return columns


def _read_states(path: Path, rows: list[list[Any]]) -> dict[str, StateCategory]:
    """State -> category from the Lists sheet (columns State and Category)."""
    if not rows:
        return {}
    position, index, data = _table(path, LISTS_SHEET, rows, ("State", "Category"))
    states: dict[str, StateCategory] = {}
    for number, row in data:
        state = position.text(_cell(row, index, "State"))
        category = position.text(_cell(row, index, "Category"))
        if not state:
            continue
        if category not in _CATEGORIES:
            raise position.error(
                f"category {category!r} is not one of {', '.join(_CATEGORIES)}",
                row=number, column=index["Category"],
            )  # fmt: skip
        states.setdefault(state, _CATEGORIES[category])
    return states


def _read_iterations(path: Path, rows: list[list[Any]]) -> tuple[Iteration, ...]:
    if not rows:
        return ()
    position, index, data = _table(path, ITERATIONS_SHEET, rows, ("ID", "Name"))
    iterations = []
    for number, row in data:
        name = position.text(_cell(row, index, "Name"))
        identifier = position.text(_cell(row, index, "ID")) or _new_id_from_name(name)
        if not identifier:
            raise position.error(
                "an iteration needs an ID or a Name", row=number, column=index["Name"]
            )

        start = position.optional_date(
            _cell(row, index, "Start"), row=number, column=index.get("Start", 0)
        )
        finish = position.optional_date(
            _cell(row, index, "Finish"), row=number, column=index.get("Finish", 0)
        )
        capacity = position.optional_number(
            _cell(row, index, "Capacity"), row=number, column=index.get("Capacity", 0)
        )
        iterations.append(
            Iteration(id=identifier, name=name or identifier, path=position.text(_cell(row, index, "Path")),
                      start=start, finish=finish, capacity=capacity)
        )  # fmt: skip
    return tuple(iterations)


def _read_releases(path: Path, rows: list[list[Any]]) -> tuple[Release, ...]:
    if not rows:
        return ()
    position, index, data = _table(path, RELEASES_SHEET, rows, ("ID", "Name"))
    releases = []
    for number, row in data:
        name = position.text(_cell(row, index, "Name"))
        identifier = position.text(_cell(row, index, "ID")) or _new_id_from_name(name)
        if not identifier:
            raise position.error(
                "a release needs an ID or a Name", row=number, column=index["Name"]
            )
        date = position.optional_date(
            _cell(row, index, "Date"), row=number, column=index.get("Date", 0)
        )
        workloads = split_values(position.text(_cell(row, index, "Workloads")))
        releases.append(
            Release(id=identifier, name=name or identifier, date=date, workload_ids=workloads)
        )
    return tuple(releases)


def _new_id_from_name(name: str) -> str:
    return slug(name)


@attrs.frozen
class _Row:
    """One Backlog row, parsed but not yet linked to its neighbours."""

    number: int
    item: WorkItem
    level: int


class _BacklogSheetReader:
    """Parses Backlog rows in sheet order; new rows get ids as they are met."""

    def __init__(
        self,
        path: Path,
        *,
        extra_columns: dict[str, tuple[str, str]],
        state_categories: dict[str, StateCategory],
        iterations: Sequence[Iteration],
        releases: Sequence[Release],
        context: Context,
    ) -> None:
        self.path = path
        self.extra_columns = extra_columns
        self.state_categories = state_categories
        self.iterations = _lookup(iterations)
        self.releases = _lookup(releases)
        self.context = context

    def read(self, rows: list[list[Any]]) -> tuple[WorkItem, ...]:
        position, index, data = _table(self.path, BACKLOG_SHEET, rows, (Column.KIND, Column.TITLE))
        self.position, self.index = position, index
        standard = set(BACKLOG_COLUMNS)
        self.extra_index = {header: c for header, c in index.items() if header not in standard}
        # Rows are padded so every column, and one always-empty column standing in for the
        # standard columns a sheet lacks, can be indexed directly: the parse is the hot loop.
        width = max(len(rows[0]) if rows else 0, *(c + 1 for c in index.values()), 0)
        self.col = {name: index.get(name, width) for name in BACKLOG_COLUMNS}
        data_rows = [(n, r + [""] * (width + 1 - len(r))) for n, r in data]
        # Ids typed in the sheet are taken first, so a new row can never take an existing id.
        taken: dict[str, int] = {}
        id_column = index.get(Column.ID)
        for number, row in data_rows:
            identifier = position.text(_cell(row, index, Column.ID)).strip()
            if not identifier:
                continue
            if identifier in taken:
                raise position.error(
                    f"ID {identifier!r} is also on row {taken[identifier]}; clear the ID of a copied row "
                    "to make it a new item",
                    row=number, column=id_column,
                )  # fmt: skip
            taken[identifier] = number
        items: list[WorkItem] = []
        ancestors: list[tuple[int, str]] = []  # (level, id) of the rows above, by nesting
        for number, row in data_rows:
            parsed = self._parse(number, row, ancestors, taken)
            while ancestors and ancestors[-1][0] >= parsed.level:
                ancestors.pop()
            ancestors.append((parsed.level, parsed.item.id))
            items.append(parsed.item)
        return self._drop_dangling(items)

    def _at(self, row: list[Any], name: str) -> Any:
        return row[self.col[name]]

    def _column(self, name: str) -> int:
        return self.index.get(name, 0)

    def _parse(
        self, number: int, row: list[Any], ancestors: list[tuple[int, str]], taken: dict[str, int]
    ) -> _Row:
        position = self.position
        text = _text
        kind_text = text(self._at(row, Column.KIND)).strip().lower()
        if kind_text not in _KINDS:
            raise position.error(
                f"kind {kind_text!r} is not one of {', '.join(_KINDS)}",
                row=number,
                column=self._column(Column.KIND),
            )
        kind = _KINDS[kind_text]
        title = text(self._at(row, Column.TITLE))
        if not title.strip():
            raise position.error(
                "a work item needs a title", row=number, column=self._column(Column.TITLE)
            )
        level = position.optional_int(
            self._at(row, Column.LEVEL), row=number, column=self._column(Column.LEVEL)
        )
        level = level if level is not None else KIND_LEVELS[kind]
        identifier = text(self._at(row, Column.ID)).strip()
        parent_id: str | None = text(self._at(row, Column.PARENT)).strip() or None
        if not identifier:
            if parent_id is None:
                parent_id = next((i for lv, i in reversed(ancestors) if lv < level), None)
            identifier = _new_item_id(kind, parent_id, title, taken, number)

        def number_at(name: str) -> float | None:
            value = self._at(row, name)
            if value == "":
                return None
            return position.optional_number(value, row=number, column=self._column(name))

        def date_at(name: str) -> dt.date | None:
            value = self._at(row, name)
            if value == "":
                return None
            return position.optional_date(value, row=number, column=self._column(name))

        state = text(self._at(row, Column.STATE))
        if not state.strip():
            state = "New"
        try:
            links = parse_links(text(self._at(row, Column.LINKS)))
        except ValueError as error:
            raise position.error(
                str(error), row=number, column=self._column(Column.LINKS)
            ) from None
        try:
            refs = parse_refs(text(self._at(row, Column.REFS)))
        except ValueError as error:
            raise position.error(str(error), row=number, column=self._column(Column.REFS)) from None
        item = WorkItem(
            id=identifier,
            kind=kind,
            title=title,
            description=text(self._at(row, Column.DESCRIPTION)),
            parent_id=parent_id,
            state=state,
            state_category=self._category(number, row, state),
            assignee=text(self._at(row, Column.ASSIGNEE)),
            priority=position.optional_int(
                self._at(row, Column.PRIORITY), row=number, column=self._column(Column.PRIORITY)
            ),
            tags=split_values(text(self._at(row, Column.TAGS))),
            iteration_id=self._planned(number, row, Column.ITERATION, self.iterations),
            release_id=self._planned(number, row, Column.RELEASE, self.releases),
            estimate=number_at(Column.ESTIMATE),
            start=date_at(Column.START),
            finish=date_at(Column.FINISH),
            links=links,
            source=split_values(text(self._at(row, Column.SOURCE))),
            refs=refs,
            extra=self._extra(number, row),
        )
        return _Row(number=number, item=item, level=level)

    def _category(self, number: int, row: list[Any], state: str) -> StateCategory:
        """The category of ``state``: the Category cell unless the state was changed in Excel."""
        cell = self.position.text(self._at(row, Column.CATEGORY)).strip().lower()
        if cell and cell not in _CATEGORIES:
            raise self.position.error(
                f"category {cell!r} is not one of {', '.join(_CATEGORIES)}",
                row=number, column=self._column(Column.CATEGORY),
            )  # fmt: skip
        written_state = self.position.text(self._at(row, Column.WRITTEN_STATE))
        if cell and state == written_state:
            return _CATEGORIES[cell]
        if state in self.state_categories:
            return self.state_categories[state]
        return _CATEGORIES[cell] if cell else StateCategory.TODO

    def _planned(
        self, number: int, row: list[Any], column: str, known: dict[str, str]
    ) -> str | None:
        """The iteration or release id a cell names (by id or by name)."""
        value = self.position.text(self._at(row, column)).strip()
        if not value:
            return None
        if value not in known:
            sheet = ITERATIONS_SHEET if column == Column.ITERATION else RELEASES_SHEET
            raise self.position.error(
                f"{column.lower()} {value!r} is not on the {sheet} sheet",
                row=number,
                column=self._column(column),
            )
        return known[value]

    def _extra(self, number: int, row: list[Any]) -> dict[str, Any]:
        extra: dict[str, Any] = {}
        for header, column in self.extra_index.items():
            value = row[column]
            if value == "" or value is None:
                continue
            key, encoding = self.extra_columns.get(header, (header, ""))
            try:
                extra[key] = _decode_extra(value, encoding)
            except (ValueError, TypeError) as error:
                raise self.position.error(
                    f"{encoding} value expected ({error})", row=number, column=column
                ) from None
        return extra

    def _drop_dangling(self, items: list[WorkItem]) -> tuple[WorkItem, ...]:
        """After rows were deleted in Excel: orphans become top-level, links to gone items go."""
        ids = {item.id for item in items}
        warn = self.context.diagnostics.warn
        result = []
        for item in items:
            changes: dict[str, Any] = {}
            if item.parent_id is not None and item.parent_id not in ids:
                warn(f"{self.path}: parent {item.parent_id!r} of {item.id!r} is not in the workbook; "
                     "the item is now top-level")  # fmt: skip
                changes["parent_id"] = None
            kept = tuple(link for link in item.links if link.target_id in ids)
            if len(kept) != len(item.links):
                gone = sorted({link.target_id for link in item.links} - ids)
                warn(f"{self.path}: {item.id!r} linked to {', '.join(map(repr, gone))}, which is not in the "
                     "workbook; link dropped")  # fmt: skip
                changes["links"] = kept
            result.append(attrs.evolve(item, **changes) if changes else item)
        return tuple(result)


def _text(value: Any) -> str:
    """Cell text with a fast path for text cells (nearly all of them)."""
    return value if value.__class__ is str else cell_text(value)


def _lookup(entries: Sequence[Iteration] | Sequence[Release]) -> dict[str, str]:
    """Cell text -> id: each id stands for itself, and each name for the first entry of that name."""
    known: dict[str, str] = {}
    for entry in entries:
        known.setdefault(entry.name, entry.id)
    for entry in entries:
        known[entry.id] = entry.id
    return known


def _new_item_id(
    kind: WorkItemKind, parent_id: str | None, title: str, taken: dict[str, int], number: int
) -> str:
    """A deterministic id for a row added in Excel: the same row content always gets the same id."""
    base = item_id(kind.value, "excel", stable_hash(f"{parent_id or ''}\n{title}"))
    identifier, n = base, 2
    while identifier in taken:
        identifier, n = f"{base}-{n}", n + 1
    taken[identifier] = number
    return identifier


def _decode_extra(value: Any, encoding: str) -> Any:
    """A cell of an extra-field column as the value it stands for."""
    if encoding == "json":
        return json.loads(str(value))
    if encoding == "text":
        return value if isinstance(value, str) else cell_text(value)
    if encoding == "boolean":
        if isinstance(value, bool):
            return value
        lowered = str(value).strip().lower()
        if lowered in ("true", "false"):
            return lowered == "true"
        raise ValueError(f"{value!r} is not TRUE or FALSE")
    if encoding == "integer":
        number = float(value)
        if not number.is_integer():
            raise ValueError(f"{value!r} is not a whole number")
        return int(number)
    if encoding == "number":
        return float(value)
    # A column added in Excel: keep what the cell holds, whole numbers as int, dates as ISO text.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value
