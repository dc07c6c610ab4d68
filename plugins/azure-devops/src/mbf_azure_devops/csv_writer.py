"""Writing ``ado-csv`` files column by column.

A backlog holds hundreds of thousands of items but few distinct words, so each column of a file
is built in a few passes in C (``map`` over the items, values turned into cells once through a
:class:`Memo`), and the rows are joined from the columns: every cell quoted, as ``csv.writer``
with ``QUOTE_ALL`` writes it. Only items whose ``extra`` or Boards ref changes a column, and the
orphans of a split backlog, are visited one by one.

Items are written depth-first (:func:`mbf.domain.order.hierarchy_positions`, which
:meth:`~mbf.domain.columns.ItemColumns.depth_first` works out once, for validation too), cut
into files of at most :data:`~.csv_layout.MAX_ITEMS_PER_FILE` at subtree boundaries, each item's
title in the ``Title N`` column of its level within its file (:func:`.csv_parts.file_parts`).
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from itertools import chain, compress, count, repeat
from operator import add, contains, eq, getitem, itemgetter, methodcaller
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from mbf.domain import StateCategory, TrackerRef, WorkItemKind
from mbf.domain.columns import BacklogColumns
from mbf.plugin import Context
from mbf.tabular import FORMULA_STARTS, Memo
from mbf_azure_devops.cells import format_number, neutralise
from mbf_azure_devops.csv_layout import (
    AREA_PATH,
    COLUMNS_AFTER_TITLES,
    COLUMNS_BEFORE_TITLES,
    ID_TAG_PREFIX,
    MAX_ITEMS_PER_FILE,
    OWN_EXTRA_KEYS,
    PARENT_TAG_PREFIX,
    TAG_SEPARATOR,
    TITLE_LEVEL,
    WORK_ITEM_TYPE,
    file_range,
    part_path,
    settings_of,
)
from mbf_azure_devops.csv_parts import FileParts, file_parts
from mbf_azure_devops.format import FORMAT_NAME, AdoCsvSettings
from mbf_azure_devops.html_text import text_to_html
from mbf_azure_devops.vocabulary import (
    CATEGORY_STATES,
    FIELD_REFERENCE_NAMES,
    SERVICE_NAME,
    state_category_of,
)

__all__ = ["write_ado_csv_columns"]


class _ItemFields(NamedTuple):
    """The fields of items a Boards file shows, each as a column (a value per item)."""

    id: Sequence[str]
    kind: Sequence[WorkItemKind]
    title: Sequence[str]
    description: Sequence[str]
    parent_id: Sequence[str | None]
    state: Sequence[str]
    state_category: Sequence[StateCategory]
    assignee: Sequence[str]
    priority: Sequence[int | None]
    tags: Sequence[tuple[str, ...]]
    iteration_id: Sequence[str | None]
    estimate: Sequence[float | None]
    start: Sequence[dt.date | None]
    finish: Sequence[dt.date | None]
    refs: Sequence[Mapping[str, TrackerRef]]
    extra: Sequence[Mapping[str, Any]]


def write_ado_csv_columns(backlog: BacklogColumns, path: Path, context: Context) -> None:
    """Write ``backlog`` (its items as columns) as Boards import files: ``path`` and, past
    1,000 items, numbered parts (``path``'s stem with ``-2``, ``-3``, …)."""
    warn = context.diagnostics.warn
    items = backlog.items
    fields = _ItemFields._make(map(items.column, _ItemFields._fields))
    if len(items) > 1 and items.hierarchy_levels() is None:  # not depth-first already
        in_order = itemgetter(*items.depth_first().positions)
        fields = _ItemFields._make(map(in_order, fields))
    parts = file_parts(fields.id, fields.parent_id, MAX_ITEMS_PER_FILE)
    columns = _BoardsColumns(
        fields,
        parts,
        backlog=backlog,
        settings=settings_of(context),
        warn=warn,
    )
    starts = parts.starts
    for number, (start, end) in enumerate(zip(starts, [*starts[1:], len(items)], strict=True)):
        with part_path(path, number + 1).open("w", encoding="utf-8-sig", newline="") as stream:
            stream.write(columns.header + columns.rows(start, end))

    if columns.cleaned_tags:
        warn(
            f"{FORMAT_NAME}: {columns.cleaned_tags} tag(s) contained ';', written as ',' "
            "(Boards splits tags at ';')"
        )
    if len(starts) > 1:
        names = file_range([part_path(path, n) for n in range(1, len(starts) + 1)])
        warn(
            f"{FORMAT_NAME}: {len(items)} items split into {len(starts)} files of at most "
            f"{MAX_ITEMS_PER_FILE} (the Boards import limit): {names}; import them in order"
        )
        if parts.orphans:
            orphans = len(set(map(fields.id.__getitem__, parts.orphans)))
            warn(
                f"{FORMAT_NAME}: {orphans} item(s) have their parent in an earlier file; Boards "
                f"imports them without a parent (tagged {PARENT_TAG_PREFIX}<id>): link them after import"
            )


# --- cells -----------------------------------------------------------------------------------

_K = TypeVar("_K")
_V = TypeVar("_V")


def _same(value: str) -> str:
    return value


def _as_is(cells: Sequence[str]) -> Sequence[str]:
    return cells


_FIRST_CHARACTER = slice(0, 1)


def _neutralised(cells: Sequence[str]) -> Sequence[str]:
    """``cells`` made inert for spreadsheets (see :func:`neutralise`); the sequence itself when
    no cell needs it, which their first characters, taken in one pass in C, tell."""
    if FORMULA_STARTS.isdisjoint(map(getitem, cells, repeat(_FIRST_CHARACTER))):
        return cells
    return list(map(neutralise, cells))


def _quote(text: str) -> str:
    """``text`` as it goes between the quotes of its cell: its quotes doubled."""
    return text.replace('"', '""')


def _quoted(cells: Sequence[str]) -> Sequence[str]:
    """:func:`_quote` of each cell; the sequence itself when no cell holds a quote."""
    if '"' in "".join(cells):
        quoted: Memo[str, str] = Memo(_quote)
        return list(map(quoted.__getitem__, cells))
    return cells


def _rows(columns: Sequence[Sequence[str]], start: str = '"') -> str:
    """The CSV lines, each ending ``\\r\\n``, of the rows whose cells (their quotes doubled)
    ``columns`` hold column by column: what ``csv.writer`` with ``QUOTE_ALL`` writes. Each line
    starts with ``start``: its first quote, or also the cells of blank columns before these."""
    if not columns or not columns[0]:
        return ""
    return start + ('"\r\n' + start).join(map('","'.join, zip(*columns, strict=True))) + '"\r\n'


def _extra_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple):
        return TAG_SEPARATOR.join(str(v) for v in value)
    return str(value)


def _values_getter(keys: Sequence[str]) -> Callable[[Mapping[str, Any]], Sequence[Any]]:
    """A function returning a mapping's values at ``keys``, in one C call for two or more."""
    if len(keys) >= 2:
        return itemgetter(*keys)
    if len(keys) == 1:
        key = keys[0]
        return lambda mapping: (mapping[key],)
    return lambda mapping: ()


def _having(extras: Sequence[Mapping[str, Any]], key: str) -> Iterator[int]:
    """Positions of the extras holding ``key``."""
    return compress(count(), map(contains, extras, repeat(key)))


def _known_column_names(title_count: int) -> set[str]:
    names = {*COLUMNS_BEFORE_TITLES, *COLUMNS_AFTER_TITLES, "Title"}
    names |= {f"Title {n}" for n in range(1, title_count + 1)}
    names |= {FIELD_REFERENCE_NAMES[n] for n in names if n in FIELD_REFERENCE_NAMES}
    return {n.casefold() for n in names}


def _extra_columns(keys: Iterable[str], title_count: int, warn: Callable[[str], None]) -> list[str]:
    """The extra keys written as columns of their own, sorted; a key clashing with a column of
    the format is left out, with a warning."""
    taken = _known_column_names(title_count)
    columns = []
    for key in sorted(set(keys).difference(OWN_EXTRA_KEYS)):
        if key.casefold() in taken or TITLE_LEVEL.match(key.casefold()):
            warn(
                f"{FORMAT_NAME}: extra field {key!r} clashes with a column of its own; not written"
            )
        else:
            columns.append(key)
    return columns


_ADO_REF = methodcaller("get", SERVICE_NAME)


class _BoardsColumns:
    """The header and the rows of Boards files, for items in the order written.

    Cells come out with their quotes doubled, ready to be joined into rows (:func:`_rows`).
    """

    def __init__(
        self,
        fields: _ItemFields,
        parts: FileParts,
        *,
        backlog: BacklogColumns,
        settings: AdoCsvSettings,
        warn: Callable[[str], None],
    ) -> None:
        self.fields = fields
        self.levels = parts.levels
        self.orphans = parts.orphans
        neutral = settings.neutralise_formulas
        self.text = text = neutralise if neutral else _same
        self.cells = _neutralised if neutral else _as_is
        self.types = settings.types_by_kind()
        self.title_count = title_count = max(parts.levels, default=1)
        extras = list(filter(None, fields.extra))
        self.extra_keys: set[str] = set().union(*extras)
        self.extra_columns = _extra_columns(self.extra_keys, title_count, warn)
        titles = (
            ["Title"] if title_count == 1 else [f"Title {n}" for n in range(1, title_count + 1)]
        )
        header = [*COLUMNS_BEFORE_TITLES, *titles, *COLUMNS_AFTER_TITLES, *self.extra_columns]
        self.header = _rows([[_quote(name)] for name in header])
        # The separators of the blank titles before a row's title, which its cell starts with,
        # and of those after it, which its State cell starts with.
        self.before_title = ['","' * (level - 1) for level in range(title_count + 1)]
        self.after_title = ['","' * (title_count - level) for level in range(title_count + 1)]

        self.iteration_paths: dict[str | None, str] = {
            it.id: _quote(text(it.path or it.name)) for it in backlog.iterations
        }
        self.iteration_paths.update({None: "", "": ""})  # (no iteration)
        self.cleaned_tags = 0
        self.semicolons = False  # whether a tag held a ';' (cleaned_tags then counts them)
        self.tag_cells: Memo[tuple[str, ...], str] = Memo(self._tags)
        self.tags_with_id: Memo[tuple[str, ...], str] = Memo(
            lambda tags: self.tag_cells[tags] + ID_TAG_PREFIX
        )
        self.categories = {id(category): category for category in StateCategory}
        self.state_cells: Memo[tuple[str, int, int], str] = Memo(self._state)
        self.assignee_cells: Memo[str, str] = Memo(lambda name: _quote(text(name)))
        self.priority_cells: Memo[int | None, str] = Memo(str, {None: ""})
        self.description_cells: Memo[str, str] = Memo(
            lambda description: _quote(text_to_html(description)), {"": ""}
        )
        self.estimate_cells: Memo[float | None, str] = Memo(format_number, {None: ""})
        self.date_cells: Memo[dt.date | None, str] = Memo(methodcaller("isoformat"), {None: ""})
        self.extra_cells = self._extra_value_cells(fields.extra) if self.extra_columns else None

    def _tags(self, tags: tuple[str, ...]) -> str:
        """The start of the ``Tags`` cell of items with ``tags``: the tags, each ``;`` made a
        ``,`` (Boards splits tags at ``;``), and the separator the item's own tags follow."""
        if not tags:
            return ""
        if any(";" in tag for tag in tags):
            self.semicolons = True
            tags = tuple(tag.replace(";", ",") for tag in tags)
        return _quote(self.text(TAG_SEPARATOR.join(tags))) + TAG_SEPARATOR

    def rows(self, start: int, end: int) -> str:
        """The rows of the items from position ``start`` to ``end``, built column by column."""
        part = slice(start, end)
        fields = _ItemFields._make(field[part] for field in self.fields)
        blank = [""] * (end - start)
        extras = fields.extra
        extra_keys = self.extra_keys if any(extras) else set()

        refs = list(map(_ADO_REF, fields.refs)) if any(fields.refs) else []
        with_refs = any(refs)
        types = list(map(self.types.__getitem__, fields.kind))
        if WORK_ITEM_TYPE in extra_keys:
            for i in _having(extras, WORK_ITEM_TYPE):
                value = extras[i][WORK_ITEM_TYPE] or types[i]
                types[i] = value if isinstance(value, str) else str(value)  # as csv.writer does
        titles = _quoted(self.cells(fields.title))
        levels = self.levels[part]
        if self.title_count > 1:  # Title 1 … Title N as one cell: the blank ones before…
            titles = list(map(add, map(self.before_title.__getitem__, levels), titles))
        area_paths = blank
        if AREA_PATH in extra_keys:
            area_paths = list(blank)
            for i in _having(extras, AREA_PATH):
                area_paths[i] = _quote(self.text(_extra_cell(extras[i][AREA_PATH])))

        columns: list[Sequence[str]] = [
            _quoted(types),
            titles,
            self._states(fields.state, fields.state_category, levels),
            list(map(self.assignee_cells.__getitem__, fields.assignee)),
            list(map(self.priority_cells.__getitem__, fields.priority)),
            self._tag_column(fields, refs if with_refs else None, start),
            list(map(self.iteration_paths.get, fields.iteration_id, repeat(""))),
            area_paths,
            list(map(self.description_cells.__getitem__, fields.description)),
            self._estimates(fields.estimate),
            list(map(self.date_cells.__getitem__, fields.start)),
            list(map(self.date_cells.__getitem__, fields.finish)),
        ]
        if self.extra_cells is not None:
            columns.append(self.extra_cells[part])
        if with_refs:
            return _rows([_quoted([ref.key if ref is not None else "" for ref in refs]), *columns])
        return _rows(columns, start='"","')  # (a blank ID)

    def _states(
        self, states: Sequence[str], categories: Sequence[StateCategory], levels: Sequence[int]
    ) -> list[str]:
        """The ``State`` cells, each after the blank titles below its item's level (see
        :meth:`_state`)."""
        # Categories by identity: in C (the hash of an enum member is a Python call).
        keys = zip(states, map(id, categories), levels, strict=True)
        return list(map(self.state_cells.__getitem__, keys))

    def _state(self, key: tuple[str, int, int]) -> str:
        """The blank titles below ``level`` and the ``State`` cell: the item's state, unless
        Boards knows the word for another category (the item came from a format that keeps the
        category, not the word), when the category's own state word is written instead."""
        state, category_id, level = key
        category = self.categories[category_id]
        known = state_category_of(state)
        if known is not None and known is not category:
            state = CATEGORY_STATES[category]
        return self.after_title[level] + _quote(self.text(state))

    def _tag_column(
        self, fields: _ItemFields, refs: Sequence[TrackerRef | None] | None, start: int
    ) -> list[str]:
        """The ``Tags`` cells: the item's tags, its ``mbf:<id>`` (unless its Boards ID tells
        it) and, for an item whose parent is in an earlier file, ``mbf-parent:<id>``."""
        ids = fields.id
        tags = fields.tags
        orphans = self.orphans
        orphans = orphans[bisect_left(orphans, start) : bisect_left(orphans, start + len(ids))]
        if refs is None:  # every item gets its id tag
            cells = list(map(add, map(self.tags_with_id.__getitem__, tags), _quoted(ids)))
            for i in orphans:
                cells[i - start] += _quote(
                    TAG_SEPARATOR + PARENT_TAG_PREFIX + str(fields.parent_id[i - start])
                )
        else:
            cells = self._tags_by_item(fields, refs, orphans, start)
        if self.semicolons:  # set by the cells' first look-up of tags holding one
            self.cleaned_tags += sum(";" in tag for tag in chain.from_iterable(tags))
        return cells

    def _tags_by_item(
        self,
        fields: _ItemFields,
        refs: Sequence[TrackerRef | None],
        orphans: Sequence[int],
        start: int,
    ) -> list[str]:
        """The ``Tags`` cells of items some of which are known to Boards, one by one."""
        cells = []
        orphan_set = set(orphans)
        for position, (lead, item_id, parent, ref) in enumerate(
            zip(
                map(self.tag_cells.__getitem__, fields.tags),
                fields.id,
                fields.parent_id,
                refs,
                strict=True,
            ),
            start=start,
        ):
            own = []
            if ref is None or item_id != f"ado:{ref.key}":  # (else its ID is enough)
                own.append(_quote(ID_TAG_PREFIX + item_id))
            if position in orphan_set:
                own.append(_quote(PARENT_TAG_PREFIX + str(parent)))
            cells.append(lead + TAG_SEPARATOR.join(own) if own else lead[: -len(TAG_SEPARATOR)])
        return cells

    def _estimates(self, estimates: Sequence[float | None]) -> list[str]:
        """The ``Original Estimate`` cells."""
        cells = list(map(self.estimate_cells.__getitem__, estimates))
        if 0.0 in self.estimate_cells:  # -0.0 is the key 0.0 is: each written as it is
            for i in compress(count(), map(eq, estimates, repeat(0.0))):
                cells[i] = format_number(estimates[i])  # type: ignore[arg-type]  # (0 or -0)
        return cells

    def _extra_value_cells(self, extras: Sequence[Mapping[str, Any]]) -> list[str]:
        """For each item, the cells of its extra columns as one, holding the separators
        between them (the rows take them as one cell).

        Only the items that have extras are visited (a backlog's tasks seldom do), in groups
        of the same keys (extras read from a file share a few): the values of a group are taken
        in one call per item and made cells in one pass per column.
        """
        columns = self.extra_columns
        blank = '","'.join([""] * len(columns))
        cells = [blank] * len(extras)
        holders = list(compress(count(), extras))
        held = list(compress(extras, extras))
        groups: defaultdict[tuple[str, ...], list[int]] = defaultdict(list)
        for position, keys in zip(holders, map(tuple, held), strict=True):
            groups[keys].append(position)
        mixed = len(groups) > len(held) // 100 + 10  # (seldom) each item's keys its own
        for keys, positions in {tuple(columns): holders}.items() if mixed else groups.items():
            group = list(map(extras.__getitem__, positions))
            blanks = [""] * len(group)
            present = [column for column in columns if column in keys]
            values: Iterable[Sequence[Any]]
            if mixed:
                values = ([extra.get(key, "") for extra in group] for key in present)
            else:  # every item of the group holds every key
                values = zip(*map(_values_getter(present), group), strict=True)
            cells_of = dict(zip(present, map(self._extra_cells, values), strict=True))
            rows = map(
                '","'.join, zip(*(cells_of.get(column, blanks) for column in columns), strict=True)
            )
            for _ in map(cells.__setitem__, positions, rows):  # the assignments, in C
                pass
        return cells

    def _extra_cells(self, values: Sequence[Any]) -> Sequence[str]:
        """The cells of an extra column's ``values``."""
        if set(map(type, values)) <= {str}:  # one text each: the usual values
            return _quoted(self.cells(values))
        return [_quote(self.text(_extra_cell(value))) for value in values]
