"""Reading the ``ado-csv`` format: Boards query-result exports (every value quoted, ``ID``
present, ``Title`` with a ``Parent`` column, or a tree query's ``Title 1..N``) and the files mbf
writes (:mod:`.csv_format`), including their numbered parts.

A file in the form Boards and mbf write it (every cell quoted, none holding a quote, every row
as wide as the header) is split with string operations and read a column at a time, each
distinct cell worked out once; any other file, or one with a row that needs it, is read row by
row, which also words every error with its file, row and column.
"""

from __future__ import annotations

import csv
import datetime as dt
import operator
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import partial
from itertools import compress, count, repeat
from operator import contains, is_, itemgetter, methodcaller, not_, sub
from pathlib import Path
from typing import Any, Generic, NamedTuple, TypeVar

import attrs

from mbf.domain import (
    Backlog,
    Iteration,
    StateCategory,
    TrackerRef,
    WorkItemKind,
    slug,
)
from mbf.domain.columns import BacklogColumns, ItemColumns
from mbf.errors import InputError
from mbf.plugin import Context
from mbf.tabular import Memo, csv_rows, read_text
from mbf_azure_devops.cells import parse_date, restore
from mbf_azure_devops.csv_layout import (
    AREA_PATH,
    ID_TAG_PREFIX,
    PARENT_TAG_PREFIX,
    TITLE_LEVEL,
    WORK_ITEM_TYPE,
    file_range,
    part_path,
    settings_of,
)
from mbf_azure_devops.format import FORMAT_NAME, AdoCsvSettings
from mbf_azure_devops.html_text import html_to_text
from mbf_azure_devops.vocabulary import (
    FIELD_REFERENCE_NAMES,
    SERVICE_NAME,
    kind_of_work_item_type,
    state_category_of,
)

__all__ = ["looks_like_ado_csv", "read_ado_csv", "read_ado_csv_columns"]


_ALIASES: dict[str, str] = {}
for _display, _reference in FIELD_REFERENCE_NAMES.items():
    _ALIASES[_display.casefold()] = _display
    _ALIASES[_reference.casefold()] = _display
_ALIASES["work item id"] = "ID"
_MAPPED = frozenset(FIELD_REFERENCE_NAMES) - {AREA_PATH}


@attrs.frozen(kw_only=True)
class _Columns:
    """Where each field is in a file's header."""

    header: tuple[str, ...]
    index: Mapping[str, int]
    """Display name of a mapped field -> its column."""
    levels: tuple[int, ...]
    """Columns of ``Title 1``, ``Title 2``, … (empty for a flat file)."""
    extras: tuple[tuple[int, str], ...]
    """``(column, extra key)`` of every column mbf has no field for."""

    @classmethod
    def from_header(cls, header: Sequence[str], path: Path) -> _Columns:
        index: dict[str, int] = {}
        levels: dict[int, int] = {}
        extras: list[tuple[int, str]] = []
        for i, raw in enumerate(header):
            name = raw.strip()
            folded = name.casefold()
            level = TITLE_LEVEL.match(folded)
            display = _ALIASES.get(folded)
            if level:
                if int(level[1]) in levels:
                    raise InputError("the column appears twice", path=path, row=1, column=name)
                levels[int(level[1])] = i
            elif display in _MAPPED:
                if display in index:
                    raise InputError("the column appears twice", path=path, row=1, column=name)
                index[display] = i
            elif name:
                extras.append((i, display or name))
        if WORK_ITEM_TYPE not in index:
            raise InputError(
                "missing column; Boards files need 'Work Item Type' and 'Title' (or 'Title 1', "
                "'Title 2', …)",
                path=path,
                row=1,
                column=WORK_ITEM_TYPE,
            )
        if "Title" in index and levels:
            raise InputError(
                "a file has either 'Title' or 'Title 1', 'Title 2', …, not both",
                path=path,
                row=1,
                column="Title",
            )
        if "Title" not in index and not levels:
            raise InputError("missing column", path=path, row=1, column="Title")
        for n in range(1, len(levels) + 1):
            if n not in levels:
                raise InputError(
                    "missing column: title levels must be numbered 1, 2, 3, …",
                    path=path,
                    row=1,
                    column=f"Title {n}",
                )
        return cls(
            header=tuple(header),
            index=index,
            levels=tuple(levels[n] for n in range(1, len(levels) + 1)),
            extras=tuple(extras),
        )


def _first_row(path: Path) -> list[str] | None:
    try:
        with path.open(encoding="utf-8-sig", errors="replace", newline="") as stream:
            return next(csv.reader(stream), None)
    except (OSError, csv.Error):
        return None


def looks_like_ado_csv(path: Path) -> bool:
    """Whether ``path`` is a Boards CSV: its header names ``Work Item Type`` and a title column."""
    try:
        with path.open("rb") as stream:
            head = stream.read(8192)
    except OSError:
        return False
    first_line = head.decode("utf-8-sig", errors="replace").splitlines()[:1]
    if not first_line:
        return False
    try:
        header = next(csv.reader(first_line), [])
    except csv.Error:
        return False
    names = {_ALIASES.get(h.strip().casefold(), h.strip().casefold()) for h in header}
    has_title = "Title" in names or "title 1" in names
    return WORK_ITEM_TYPE in names and has_title


_ID_TAG_LENGTH = len(ID_TAG_PREFIX)
_PARENT_TAG_LENGTH = len(PARENT_TAG_PREFIX)
_T = TypeVar("_T")


class _CellParser(NamedTuple, Generic[_T]):
    """How to read one column's non-empty cells, and what to say when a cell cannot be read."""

    column: str
    parse: Callable[[str], _T]
    """Raises ``ValueError`` for a cell it cannot read."""
    problem: str
    """What the cell is not, after its quoted text: ``is not a date (use 2027-01-31)``."""

    def value(self, cell: str) -> _T | None:
        """The value of ``cell`` (``None`` when blank); ``_Irregular`` when it cannot be read,
        for the row path to word the error."""
        text = cell.strip()
        if not text:
            return None
        try:
            return self.parse(text)
        except ValueError:
            raise _Irregular from None


_PRIORITY = _CellParser("Priority", int, "is not a priority (a whole number)")
_ESTIMATE = _CellParser("Original Estimate", float, "is not a number of hours")
_START = _CellParser("Start Date", parse_date, "is not a date (use 2027-01-31)")
_FINISH = _CellParser("Target Date", parse_date, "is not a date (use 2027-01-31)")


def _cell_value(parser: _CellParser[_T], cell: str, path: Path, row: int) -> _T | None:
    """The value of ``cell`` (``None`` when blank), or the error naming its file, row and column."""
    text = cell.strip()
    if not text:
        return None
    try:
        return parser.parse(text)
    except ValueError:
        raise InputError(
            f"{text!r} {parser.problem}", path=path, row=row, column=parser.column
        ) from None


def _title_error(cells: Sequence[str], path: Path, row: int) -> InputError:
    """The error of a row whose ``Title 1`` … ``Title N`` cells are all empty, or several filled."""
    filled = [n for n, cell in enumerate(cells, start=1) if cell]
    if not filled:
        return InputError("the row has no title", path=path, row=row, column="Title 1")
    return InputError(
        "only one Title column may be filled in a row",
        path=path,
        row=row,
        column=f"Title {filled[1]}",
    )


def _cells_getter(indexes: Sequence[int]) -> Callable[[Sequence[str]], tuple[str, ...]]:
    """A function returning a row's cells at ``indexes``, in one C call for two or more."""
    if len(indexes) >= 2:
        return operator.itemgetter(*indexes)
    if len(indexes) == 1:
        index = indexes[0]
        return lambda row: (row[index],)
    return lambda row: ()


class _Irregular(Exception):
    """A file the column path leaves to the row path (see :meth:`_BoardsReader.read_columns`)."""


_K = TypeVar("_K")
_V = TypeVar("_V")


_FIRST = itemgetter(0)
_SECOND = itemgetter(1)
_THIRD = itemgetter(2)


def _canonical_columns(text: str) -> tuple[list[str], list[Sequence[str]]] | None:
    """The header and the cells of each column of a file's ``text`` in the form mbf and Boards
    write (every cell quoted and none holding a quote, every row as wide as the header and
    ended by CRLF, the last one too); ``None`` for any other text.

    Such a text is split in a few passes in C, and what the csv module would read from it is
    certain: split at the quotes around each line break and each comma, it gives rows of as
    many cells as the header, which joined back give the text again; and its quotes are only
    those around the cells, so no cell holds one.
    """
    if text[:1] != '"' or not text.endswith('"\r\n') or "\0" in text:
        return None
    lines = text[1:-3].split('"\r\n"')
    limit = csv.field_size_limit()
    if len(text) > limit and max(map(len, lines)) > limit:
        return None  # a cell may be longer than the csv module accepts
    rows = list(map(_CELLS_OF_LINE, lines))
    width = len(rows[0])
    if set(map(len, rows)) != {width} or text.count('"') != 2 * width * len(rows):
        return None
    columns: list[Sequence[str]] = (
        list(zip(*rows[1:], strict=True)) if len(rows) > 1 else [()] * width
    )
    return rows[0], columns


_CELLS_OF_LINE = methodcaller("split", '","')


def _some_start(cells: Sequence[str], start: str) -> bool:
    """Whether a cell starts with ``start`` (one character), in two passes in C. The cells are
    from a text without NUL (see :func:`_canonical_columns`), which is then a safe separator."""
    return "\0" + start in "\0" + "\0".join(cells)


def _tag_fields(cell: str) -> tuple[str, str, list[str]]:
    """A ``Tags`` cell's own id (``mbf:`` tag), parent id (``mbf-parent:`` tag) and other tags."""
    own_id = ""
    cross_file_parent = ""
    tags: list[str] = []
    if cell:
        if cell[0] == "'":
            cell = restore(cell)
        for raw_tag in cell.split(";"):
            tag = raw_tag.strip()
            if tag.startswith(ID_TAG_PREFIX):
                own_id = tag[_ID_TAG_LENGTH:]
            elif tag.startswith(PARENT_TAG_PREFIX):
                cross_file_parent = tag[_PARENT_TAG_LENGTH:]
            elif tag:
                tags.append(tag)
    return own_id, cross_file_parent, tags


def _head_tags(head: str) -> tuple[str, ...] | None:
    """The tags of what comes before a cell's last ``mbf:``; ``None`` when that ``mbf:`` does not
    start a tag, or an id or parent tag comes before it (the row is read by itself)."""
    if head and not head.rstrip().endswith(";"):
        return None
    tags = []
    for raw_tag in head.split(";"):
        tag = raw_tag.strip()
        if tag.startswith((ID_TAG_PREFIX, PARENT_TAG_PREFIX)):
            return None
        if tag:
            tags.append(tag)
    return tuple(tags)


def _title_level(filled: tuple[bool, ...]) -> int:
    """The level of a row whose ``Title 1`` … ``Title N`` cells are ``filled`` or not."""
    if filled.count(True) != 1:
        raise _Irregular
    return filled.index(True) + 1


def _level_parents(levels: Sequence[int], own_ids: Sequence[str]) -> list[str | None]:
    """Each row's parent in a tree file: the last row one level up (levels never skip one)."""
    last: list[str | None] = [None] * (max(levels) + 1)  # last[n]: the last row at level n
    parents: list[str | None] = []
    append = parents.append
    for level, own_id in zip(levels, own_ids, strict=True):
        append(last[level - 1])
        last[level] = own_id
    return parents


def _state(cell: str) -> tuple[str, StateCategory, bool]:
    """A ``State`` cell's state, its category, and whether the state is unknown (to do)."""
    state = cell.strip()
    if state[:1] == "'":
        state = restore(state)
    state = state or "New"
    category = state_category_of(state)
    if category is None:
        return state, StateCategory.TODO, True
    return state, category, False


def _description(cell: str) -> str:
    """A ``Description`` cell (HTML) as the item's text."""
    if cell:
        if "\r" in cell:
            cell = cell.replace("\r\n", "\n")
        if cell[0] == "'":
            cell = restore(cell)
        if "<" in cell:
            cell = html_to_text(cell)
    return cell


def _assignee(cell: str) -> str:
    if cell:
        cell = cell.strip()
        if cell[:1] == "'":
            cell = restore(cell)
    return cell


def _extra_value(value: str) -> str:
    if "\r" in value:
        value = value.replace("\r\n", "\n")
    return restore(value)


_ITEM_FIELDS = (
    "id", "kind", "title", "description", "parent_id", "state", "state_category", "assignee",
    "priority", "tags", "iteration_id", "estimate", "start", "finish", "refs", "extra",
)  # fmt: skip
"""The item fields a Boards file gives, in the order the readers below work them out."""
_PARENT_AT = _ITEM_FIELDS.index("parent_id")
_EXTRA_AT = _ITEM_FIELDS.index("extra")


class _Iterations:
    """The iterations of the paths a backlog's files name, each with a unique id."""

    def __init__(self) -> None:
        self.iterations: dict[str, Iteration] = {}
        self.ids: set[str] = set()

    def id_of(self, path: str) -> str:
        """The id of the iteration at ``path``, made on its first use."""
        found = self.iterations.get(path)
        if found is not None:
            return found.id
        name = path.rsplit("\\", 1)[-1]
        candidate = slug(name) or "iteration"
        if candidate in self.ids:  # same sprint name under another team or release
            candidate = slug(path)
            n = 2
            while candidate in self.ids:
                candidate = f"{slug(path)}-{n}"
                n += 1
        self.ids.add(candidate)
        self.iterations[path] = Iteration(id=candidate, name=name, path=path)
        return candidate


def _iteration(iterations: _Iterations, cell: str) -> str | None:
    """The iteration id of an ``Iteration Path`` cell (``None`` when blank)."""
    path = cell.strip()
    return iterations.id_of(restore(path)) if path else None


def _kind_of(
    kind_of_type: Mapping[str, WorkItemKind], types: Mapping[WorkItemKind, str], work_item_type: str
) -> tuple[WorkItemKind, bool]:
    """The kind of a type, and whether the type must be kept (it is not the kind's default)."""
    kind = kind_of_type.get(work_item_type.casefold()) or kind_of_work_item_type(work_item_type)
    if kind is None:
        kind = WorkItemKind.STORY
    return kind, work_item_type != types[kind]


def _type(
    kind_of_type: Mapping[str, WorkItemKind], types: Mapping[WorkItemKind, str], cell: str
) -> tuple[str, WorkItemKind, bool]:
    """A type cell's work item type, kind, and whether the type is kept in ``extra``."""
    work_item_type = cell.strip()
    if not work_item_type:
        raise _Irregular
    return (work_item_type, *_kind_of(kind_of_type, types, work_item_type))


class _BoardsReader:
    """Turns the rows of one or more Boards CSV files into work items.

    The row loop is written for speed (hundreds of thousands of rows): column positions are
    looked up once per file, a missing column points at an empty cell appended to every row, and
    the words a file repeats on every row (types, states, iteration paths) are looked up once.
    """

    def __init__(self, settings: AdoCsvSettings) -> None:
        self.types = settings.types_by_kind()
        self.kind_of_type = {name.casefold(): kind for kind, name in self.types.items()}
        # The items read so far, a list per field of _ITEM_FIELDS.
        self.fields: tuple[list[Any], ...] = tuple([] for _ in _ITEM_FIELDS)
        self.iteration_registry = _Iterations()
        self.iterations = self.iteration_registry.iterations
        self.item_of_key: dict[str, str] = {}
        self.pending_parents: list[tuple[int, str]] = []
        self.unknown_states: dict[str, int] = {}
        self.warnings: list[str] = []
        self.new_items = 0
        # Each distinct cell of a column, worked out once for every file (the column path).
        # (No memo computes with a method of the reader: a cycle would keep it alive.)
        self.type_cells = Memo(partial(_type, self.kind_of_type, self.types))
        self.state_cells = Memo(_state)
        self.priority_cells = Memo(_PRIORITY.value)
        self.estimate_cells = Memo(_ESTIMATE.value)
        self.date_cells = Memo(_START.value)
        self.title_levels = Memo(_title_level)
        self.tag_heads = Memo(_head_tags)
        self.description_cells = Memo(_description)
        self.assignee_cells = Memo(_assignee)
        self.iteration_cells = Memo(partial(_iteration, self.iteration_registry))

    def iteration_id(self, path: str) -> str:
        return self.iteration_registry.id_of(path)

    def kind_of(self, work_item_type: str) -> tuple[WorkItemKind, bool]:
        """The kind of a type, and whether the type must be kept (it is not the kind's default)."""
        return _kind_of(self.kind_of_type, self.types, work_item_type)

    def category_of(self, state: str) -> StateCategory:
        category = state_category_of(state)
        if category is None:
            self.unknown_states[state] = self.unknown_states.get(state, 0) + 1
            category = StateCategory.TODO
        return category

    def read_file(self, path: Path, encoding: str) -> None:
        text = read_text(path, encoding)
        canonical = _canonical_columns(text) if text is not None else None
        if canonical is not None:
            header, table = canonical
            if self.read_columns(table, _Columns.from_header(header, path)):
                return
        # Anything else (and a file with a row the column path leaves alone), row by row.
        expected = "a header with 'Work Item Type' and 'Title'"
        with csv_rows(path, encoding, expected=expected) as (header, rows):
            self.read_rows(rows, _Columns.from_header(header, path), path)

    def read_columns(self, table: Sequence[Sequence[str]], columns: _Columns) -> bool:
        """Read a file's rows given column by column (``table[i]``: column ``i``'s cells).

        The usual file (every row well formed, its words repeated on thousands of rows) is read
        in a few passes in C per column: each distinct cell is worked out once, and only rows
        with something unusual (an id tag followed by a parent tag, no id tag…) are visited
        one by one. Returns ``False``, having read nothing, when a row needs the row-by-row
        path (a blank type or title, a cell that is no number or date, a ``Parent`` column,
        a level skipped…), which then reads the file and words any error.
        """
        count_ = len(table[0]) if table else 0
        if not count_:
            return True
        blank: Sequence[str] = ("",) * count_
        index = columns.index

        def column(name: str) -> Sequence[str]:
            position = index.get(name)
            return blank if position is None else table[position]

        if any(column("Parent")):
            return False  # parents named by ID are resolved row by row
        try:
            types = list(map(self.type_cells.__getitem__, column(WORK_ITEM_TYPE)))
            levels, titles = self._titles(table, columns, column("Title"))
            keys = column("ID")
            if any(keys):
                keys = list(map(str.strip, keys))
                if not all(map(str.isdigit, filter(None, keys))):
                    return False
            states = list(map(self.state_cells.__getitem__, column("State")))
            priorities = list(map(self.priority_cells.__getitem__, column("Priority")))
            estimates = list(map(self.estimate_cells.__getitem__, column("Original Estimate")))
            starts = list(map(self.date_cells.__getitem__, column("Start Date")))
            finishes = list(map(self.date_cells.__getitem__, column("Target Date")))
        except _Irregular:
            return False

        # Nothing below can fail: the reader's state changes from here on.
        tag_cells = column("Tags")
        own_ids, tags, cross_file_parents = self._tags(tag_cells)
        for i in compress(count(), map(not_, own_ids)):  # no id tag: the ID, or a new id
            if keys[i]:
                own_ids[i] = f"ado:{keys[i]}"
            else:
                self.new_items += 1
                own_ids[i] = f"ado:new-{self.new_items}"
        if levels is None:
            parents: list[str | None] = [None] * count_
        else:
            parents = _level_parents(levels, own_ids)
        for i, parent in cross_file_parents.items():
            if parents[i] is None:
                parents[i] = parent
        if keys is not blank:
            self.item_of_key.update(compress(zip(keys, own_ids, strict=True), keys))
        state_cells = column("State")
        for cell in set(state_cells):
            state, _, unknown = self.state_cells[cell]
            if unknown:
                self.unknown_states[state] = self.unknown_states.get(state, 0) + state_cells.count(
                    cell
                )
        file_fields: tuple[Iterable[Any], ...] = (
            own_ids,
            map(_SECOND, types),
            titles,
            map(self.description_cells.__getitem__, column("Description")),
            parents,
            map(_FIRST, states),
            map(_SECOND, states),
            map(self.assignee_cells.__getitem__, column("Assigned To")),
            priorities,
            tags,
            map(self.iteration_cells.__getitem__, column("Iteration Path")),
            estimates,
            starts,
            finishes,
            [{SERVICE_NAME: TrackerRef(key=key)} if key else {} for key in keys]
            if any(keys)
            else [{}] * count_,  # one read-only dictionary (see ItemColumns)
            self._extras(table, columns, types),
        )
        for field, values in zip(self.fields, file_fields, strict=True):
            field.extend(values)
        return True

    def _titles(
        self, table: Sequence[Sequence[str]], columns: _Columns, flat_titles: Sequence[str]
    ) -> tuple[list[int] | None, Sequence[str]]:
        """Each row's title level (``None`` for a flat file or a single level: no parents) and
        title; ``_Irregular`` for a row without exactly one title, or a level skipped."""
        if not columns.levels:
            if not all(map(str.strip, flat_titles)):
                raise _Irregular
            return None, self._restored(flat_titles)
        title_columns = [table[i] for i in columns.levels]
        if len(title_columns) == 1:
            if not all(title_columns[0]):
                raise _Irregular
            return None, self._restored(title_columns[0])
        levels = list(
            map(
                self.title_levels.__getitem__,
                zip(*(map(bool, c) for c in title_columns), strict=True),
            )
        )
        # The first row at level 1, each next one at most one level deeper than the row above.
        if levels[0] != 1 or max(map(sub, levels[1:], levels), default=0) > 1:
            raise _Irregular
        return levels, self._restored(list(map("".join, zip(*title_columns, strict=True))))

    @staticmethod
    def _restored(cells: Sequence[str]) -> Sequence[str]:
        """``cells`` with :func:`restore` applied, when one starts with ``'``."""
        if _some_start(cells, "'"):
            return list(map(restore, cells))
        return cells

    def _tags(
        self, tag_cells: Sequence[str]
    ) -> tuple[list[str], list[tuple[str, ...]], dict[int, str]]:
        """Each row's own id (from its ``mbf:`` tag; empty when none), other tags, and the
        parent of the rows with an ``mbf-parent:`` tag.

        The usual cell ends with the id tag (``assess; mbf:task:srv01/assess``): what comes
        before it repeats on many rows and is split once. Other rows are split one by one."""
        parts = list(map(methodcaller("rpartition", ID_TAG_PREFIX), tag_cells))
        own_ids = list(map(str.rstrip, map(_THIRD, parts)))
        tags: list[tuple[str, ...] | None] = list(
            map(self.tag_heads.__getitem__, map(_FIRST, parts))
        )
        odd = set(compress(count(), map(not_, map(_SECOND, parts))))  # no id tag
        odd.update(compress(count(), map(contains, own_ids, repeat(";"))))  # tags after it
        odd.update(compress(count(), map(not_, own_ids)))
        odd.update(compress(count(), map(is_, tags, repeat(None))))
        if _some_start(tag_cells, "'"):
            odd.update(compress(count(), map(str.startswith, tag_cells, repeat("'"))))
        cross_file_parents: dict[int, str] = {}
        for i in sorted(odd):
            own_ids[i], parent, row_tags = _tag_fields(tag_cells[i])
            tags[i] = tuple(row_tags)
            if parent:
                cross_file_parents[i] = parent
        return own_ids, tags, cross_file_parents  # type: ignore[return-value]  # no None left

    def _extras(
        self,
        table: Sequence[Sequence[str]],
        columns: _Columns,
        types: Sequence[tuple[str, WorkItemKind, bool]],
    ) -> list[dict[str, Any]]:
        """Each row's ``extra``: its work item type when not its kind's default, and its
        non-empty cells of columns mbf has no field for."""
        count_ = len(types)
        extras: list[dict[str, Any]] = [{}] * count_  # read-only (see ItemColumns)
        extra_columns = [table[i] for i, _ in columns.extras]
        # The rows with a cell in some extra column (a backlog's tasks seldom have one).
        holders = sorted(set().union(*map(compress, repeat(range(count_)), extra_columns)))
        if holders:
            names = tuple(name for _, name in columns.extras)
            pick = itemgetter(*holders) if len(holders) > 1 else lambda cells: (cells[holders[0]],)
            rows = zip(*map(pick, extra_columns), strict=True)
            found: Iterable[dict[str, Any]] = map(
                dict,
                map(filter, repeat(_SECOND), map(zip, repeat(names), rows)),  # type: ignore[arg-type]
            )
            if any(_some_start(cells, "'") or "\r" in "".join(cells) for cells in extra_columns):
                found = ({name: _extra_value(value) for name, value in e.items()} for e in found)
            for i, extra in zip(holders, found, strict=True):
                extras[i] = extra
        for i in compress(count(), map(_THIRD, types)):  # a type of the site's own: kept
            extras[i] = {WORK_ITEM_TYPE: types[i][0], **extras[i]}
        return extras

    def read_rows(self, rows: Iterator[list[str]], columns: _Columns, path: Path) -> None:
        width = len(columns.header)
        absent = width  # every row gets one empty cell at this position
        at = {name: columns.index.get(name, absent) for name in _MAPPED}
        i_id, i_type, i_title = at["ID"], at[WORK_ITEM_TYPE], at["Title"]
        i_state, i_assignee, i_priority = at["State"], at["Assigned To"], at["Priority"]
        i_tags, i_iteration, i_description = at["Tags"], at["Iteration Path"], at["Description"]
        i_estimate, i_start, i_finish = at["Original Estimate"], at["Start Date"], at["Target Date"]
        i_parent = at["Parent"]
        # The cells every row needs, taken in one call (a missing column gives the empty cell).
        field_cells = operator.itemgetter(
            i_id, i_tags, i_state, i_priority, i_estimate, i_start, i_finish, i_parent,
            i_iteration, i_description, i_assignee,
        )  # fmt: skip
        levels = columns.levels
        level_count = len(levels)
        title_cells = _cells_getter(levels)
        extra_names = tuple(name for _, name in columns.extras)
        extra_cells = _cells_getter(tuple(i for i, _ in columns.extras))
        header = columns.header
        stack: list[str] = []
        # Each column's raw cell -> what it means: a file repeats these words and numbers on
        # thousands of rows, so each distinct cell is parsed (and checked) once.
        types: dict[str, tuple[str, WorkItemKind, bool]] = {}
        states: dict[str, tuple[str, StateCategory, bool]] = {}
        priorities: dict[str, int | None] = {"": None}
        estimates: dict[str, float | None] = {"": None}
        dates: dict[str, dt.date | None] = {"": None}
        iteration_of_cell: dict[str, str | None] = {"": None}
        items: list[tuple[Any, ...]] = []  # each row's fields (_ITEM_FIELDS)
        first_position = len(self.fields[0])
        item_of_key = self.item_of_key
        unknown_states = self.unknown_states
        row_number = 1

        try:
            for row_number, row in enumerate(rows, start=2):  # read after the loop
                count = len(row)
                if count == width:
                    row.append("")
                elif count < width:
                    if not any(row):
                        continue  # blank line
                    row.extend([""] * (width + 1 - count))
                else:
                    if any(row[width:]):
                        raise InputError(
                            f"the row has {count} values but the header only {width} columns",
                            path=path,
                            row=row_number,
                        )
                    del row[width:]
                    row.append("")

                type_cell = row[i_type]
                known_type = types.get(type_cell)
                if known_type is None:
                    work_item_type = type_cell.strip()
                    if not work_item_type:
                        if not any(row):
                            continue  # a spreadsheet's empty row: only commas
                        raise InputError(
                            "the row has no work item type",
                            path=path,
                            row=row_number,
                            column=WORK_ITEM_TYPE,
                        )
                    known_type = types[type_cell] = (work_item_type, *self.kind_of(work_item_type))
                work_item_type, kind, keep_type = known_type

                level = 0
                if levels:
                    cells = title_cells(row)
                    if cells.count("") == level_count - 1:  # exactly one title: the usual row
                        title = "".join(cells)
                        level = cells.index(title) + 1
                    else:
                        raise _title_error(cells, path, row_number)
                    if level > len(stack) + 1:
                        raise InputError(
                            f"no item at level {level - 1} above this one",
                            path=path,
                            row=row_number,
                            column=f"Title {level}",
                        )
                else:
                    title = row[i_title]
                    if not title.strip():
                        raise InputError(
                            "the row has no title",
                            path=path,
                            row=row_number,
                            column=header[i_title],
                        )

                (
                    key, tag_cell, state_cell, priority_cell, estimate_cell, start_cell,
                    finish_cell, parent_key, iteration_cell, description, assignee,
                ) = field_cells(row)  # fmt: skip
                if key:
                    key = key.strip()
                    if key and not key.isdigit():
                        raise InputError(
                            f"{key!r} is not a work item ID", path=path, row=row_number, column="ID"
                        )

                own_id, cross_file_parent, tags = _tag_fields(tag_cell)
                if not own_id:
                    if key:
                        own_id = f"ado:{key}"
                    else:
                        self.new_items += 1
                        own_id = f"ado:new-{self.new_items}"

                extra: dict[str, Any] = {WORK_ITEM_TYPE: work_item_type} if keep_type else {}

                known_state = states.get(state_cell)
                if known_state is None:
                    state = state_cell.strip()
                    if state[:1] == "'":
                        state = restore(state)
                    state = state or "New"
                    category = self.category_of(state)  # counts this row if the state is unknown
                    known_state = states[state_cell] = (state, category, state in unknown_states)
                elif known_state[2]:
                    unknown_states[known_state[0]] += 1
                state, category, _ = known_state

                if priority_cell in priorities:
                    priority = priorities[priority_cell]
                else:
                    priority = priorities[priority_cell] = _cell_value(
                        _PRIORITY, priority_cell, path, row_number
                    )
                if estimate_cell in estimates:
                    estimate = estimates[estimate_cell]
                else:
                    estimate = estimates[estimate_cell] = _cell_value(
                        _ESTIMATE, estimate_cell, path, row_number
                    )
                if start_cell in dates:
                    start = dates[start_cell]
                else:
                    start = dates[start_cell] = _cell_value(_START, start_cell, path, row_number)
                if finish_cell in dates:
                    finish = dates[finish_cell]
                else:
                    finish = dates[finish_cell] = _cell_value(
                        _FINISH, finish_cell, path, row_number
                    )

                parent_id: str | None = None
                if level:
                    del stack[level - 1 :]
                    parent_id = stack[-1] if stack else None
                    stack.append(own_id)
                if cross_file_parent and parent_id is None:
                    parent_id = cross_file_parent
                if parent_key and parent_id is None:
                    parent_key = parent_key.strip()
                    if parent_key:
                        if not parent_key.isdigit():
                            raise InputError(
                                f"{parent_key!r} is not a work item ID",
                                path=path,
                                row=row_number,
                                column="Parent",
                            )
                        # A parent further down the file is resolved at the end.
                        parent_id = item_of_key.get(parent_key)
                        if parent_id is None:
                            self.pending_parents.append((first_position + len(items), parent_key))

                if iteration_cell in iteration_of_cell:
                    iteration_id = iteration_of_cell[iteration_cell]
                else:
                    iteration_path = iteration_cell.strip()
                    iteration_id = iteration_of_cell[iteration_cell] = (
                        self.iteration_id(restore(iteration_path)) if iteration_path else None
                    )
                description = _description(description)
                values = extra_cells(row)
                if values.count("") != len(values):  # most rows leave every extra column empty
                    for name, value in zip(extra_names, values, strict=True):
                        if value:
                            extra[name] = _extra_value(value)
                assignee = _assignee(assignee)
                if title[:1] == "'":
                    title = restore(title)

                if key:
                    item_of_key[key] = own_id
                refs = {SERVICE_NAME: TrackerRef(key=key)} if key else {}
                items.append((
                    own_id, kind, title, description, parent_id, state, category, assignee,
                    priority, tuple(tags), iteration_id, estimate, start, finish, refs, extra,
                ))  # fmt: skip
        except csv.Error as exc:  # raised while reading the row after the last one read
            raise InputError(f"malformed CSV: {exc}", path=path, row=row_number + 1) from None
        for field, values in zip(
            self.fields, zip(*items, strict=True), strict=False
        ):  # no rows: none
            field.extend(values)

    def backlog(self) -> BacklogColumns:
        """The backlog of every file read, its items as columns."""
        parents, extras = self.fields[_PARENT_AT], self.fields[_EXTRA_AT]
        unresolved = 0
        for position, parent_key in self.pending_parents:
            parent_id = self.item_of_key.get(parent_key)
            if parent_id is not None:
                parents[position] = parent_id
            else:  # the parent was not in the query; keep its ID so nothing is lost
                extras[position] = {**extras[position], "Parent": parent_key}
                unresolved += 1
        if unresolved:
            self.warnings.append(
                f"{FORMAT_NAME}: {unresolved} item(s) have a parent that is not in the file; "
                "its ID is kept in the extra field 'Parent'"
            )
        for state, times in sorted(self.unknown_states.items()):
            self.warnings.append(
                f"{FORMAT_NAME}: state {state!r} ({times} item(s)) is not a known Boards state; "
                "counted as to do"
            )
        return BacklogColumns(
            items=ItemColumns(dict(zip(_ITEM_FIELDS, self.fields, strict=True))),
            iterations=tuple(self.iterations.values()),
        )


def _parts_to_read(path: Path) -> list[Path]:
    """``path`` and the numbered parts mbf wrote beside it (same header), in order."""
    paths = [path]
    header = _first_row(path)
    number = 2
    while (candidate := part_path(path, number)).is_file() and _first_row(candidate) == header:
        paths.append(candidate)
        number += 1
    return paths


def read_ado_csv(path: Path, context: Context) -> Backlog:
    """Read a Boards CSV (an export or an mbf-written file with its numbered parts)."""
    return read_ado_csv_columns(path, context).backlog()


def read_ado_csv_columns(path: Path, context: Context) -> BacklogColumns:
    """Read a Boards CSV (an export or an mbf-written file with its numbered parts); its items
    come as columns (see :mod:`mbf.domain.columns`)."""
    paths = _parts_to_read(path)
    for encoding in ("utf-8-sig", "cp1252"):  # Excel's "Save as CSV" gives Windows-1252
        reader = _BoardsReader(settings_of(context))
        try:
            for part in paths:
                reader.read_file(part, encoding)
        except UnicodeDecodeError:
            continue
        break
    backlog = reader.backlog()
    if len(paths) > 1:  # say so: a stale part left by an earlier, longer backlog would be read too
        context.diagnostics.warn(
            f"{FORMAT_NAME}: read {len(paths)} files as one backlog: {file_range(paths)}"
        )
    for warning in reader.warnings:
        context.diagnostics.warn(warning)
    return backlog
