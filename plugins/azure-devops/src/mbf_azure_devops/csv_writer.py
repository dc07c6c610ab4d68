"""Writing ``ado-csv`` files column by column.

A backlog holds hundreds of thousands of items but few distinct words, so each column of a file
is built in a few passes in C (``map`` over the items, values turned into cells once through a
:class:`_Memo`), and the rows are joined from the columns: every cell quoted, as ``csv.writer``
with ``QUOTE_ALL`` writes it. Only items whose ``extra`` or Boards ref changes a column, and the
orphans of a split backlog, are visited one by one.

Items are written depth-first (:func:`mbf.domain.order.hierarchy_positions`), cut into files
of at most :data:`~.csv_layout.MAX_ITEMS_PER_FILE` at subtree boundaries (:func:`part_starts`),
each item's title in the ``Title N`` column of its level within its file (:func:`title_levels`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from itertools import compress, count, repeat
from operator import add, contains, eq, getitem, itemgetter, methodcaller, or_
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from mbf.domain import StateCategory, TrackerRef, WorkItemKind
from mbf.domain.columns import BacklogColumns
from mbf.domain.order import hierarchy_positions
from mbf.plugin import Context
from mbf.tabular import FORMULA_STARTS
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
from mbf_azure_devops.format import FORMAT_NAME, AdoCsvSettings
from mbf_azure_devops.html_text import text_to_html
from mbf_azure_devops.vocabulary import (
    CATEGORY_STATES,
    FIELD_REFERENCE_NAMES,
    SERVICE_NAME,
    state_category_of,
)

__all__ = ["part_starts", "title_levels", "write_ado_csv_columns"]


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
        order = hierarchy_positions(fields.id, fields.parent_id)
        fields = _ItemFields._make([list(map(column.__getitem__, order)) for column in fields])
    ids, parents = fields.id, fields.parent_id
    starts = part_starts(ids, parents, MAX_ITEMS_PER_FILE)
    levels, orphans = title_levels(ids, parents, starts)
    columns = _BoardsColumns(
        fields.extra,
        title_count=max(levels, default=1),
        backlog=backlog,
        settings=settings_of(context),
        warn=warn,
    )
    ends = [*starts[1:], len(items)]
    for number, (start, end) in enumerate(zip(starts, ends, strict=True), start=1):
        part = slice(start, end)
        rows = columns.rows(
            _ItemFields._make(field[part] for field in fields), levels[part], orphans
        )
        with part_path(path, number).open("w", encoding="utf-8-sig", newline="") as stream:
            stream.write(columns.header + rows)

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
        if orphans:
            warn(
                f"{FORMAT_NAME}: {len(orphans)} item(s) have their parent in an earlier file; Boards "
                f"imports them without a parent (tagged {PARENT_TAG_PREFIX}<id>): link them after import"
            )


# --- files and levels ------------------------------------------------------------------------


def part_starts(ids: Sequence[str], parents: Sequence[str | None], limit: int) -> list[int]:
    """Where each file starts when items (in hierarchy order: ``ids``, ``parents`` their parent
    ids) are cut into files of at most ``limit`` rows; the first file starts at 0, even empty.

    A whole subtree goes into one file whenever it fits, so Boards rebuilds its hierarchy; only a
    subtree larger than a file is cut, below its root, along its children's subtrees.
    """
    position_of = dict(zip(ids, range(len(ids)), strict=True))  # a repeated id: its last item
    parent_positions = list(map(position_of.get, parents))  # type: ignore[arg-type]  # (None: no key)
    sizes = [1] * len(ids)
    for position in range(len(ids) - 1, -1, -1):  # children come after their parent
        parent = parent_positions[position]
        if parent is not None and parent < position:
            sizes[parent] += sizes[position]
    starts = [0]
    filled = 0
    position = 0
    while position < len(ids):
        size = sizes[position]
        if size > limit:
            size = 1  # too big for a file: its root alone, then its children's subtrees
        if filled and filled + size > limit:
            starts.append(position)
            filled = 0
        filled += size
        position += size
    return starts


def title_levels(
    ids: Sequence[str], parents: Sequence[str | None], starts: Sequence[int]
) -> tuple[list[int], set[str]]:
    """The title level (from 1) of each item within its file, the files starting at ``starts``,
    and the ids of the items whose parent is in another file (or in none: they are top-level).

    Levels are kept by id, so the items of a repeated id (invalid, reported by validation) all
    take the level of the last one.
    """
    level_of: dict[str, int] = {}
    orphans: set[str] = set()
    for start, end in zip(starts, [*starts[1:], len(ids)], strict=True):
        in_part: dict[str | None, int] = {}
        level_in_part = in_part.get
        for item_id, parent in zip(ids[start:end], parents[start:end], strict=True):
            parent_level = level_in_part(parent)  # None (a root) is never a key
            if parent_level is None:
                in_part[item_id] = 1
                if parent is not None:
                    orphans.add(item_id)
            else:
                in_part[item_id] = parent_level + 1
        level_of.update(in_part)  # type: ignore[arg-type]  # (keys are ids)
    return list(map(level_of.__getitem__, ids)), orphans


# --- cells -----------------------------------------------------------------------------------

_K = TypeVar("_K")
_V = TypeVar("_V")


class _Memo(dict[_K, _V]):
    """``key -> compute(key)``, each key computed on its first lookup: a column's repeated
    values (states, tags, dates, names) become cells once, and ``map(memo.__getitem__, values)``
    turns a whole column in C."""

    def __init__(self, compute: Callable[[Any], _V], known: Mapping[_K, _V] | None = None) -> None:
        super().__init__(known or {})
        self.compute = compute

    def __missing__(self, key: _K) -> _V:
        value = self[key] = self.compute(key)
        return value


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
        quoted: _Memo[str, str] = _Memo(_quote)
        return list(map(quoted.__getitem__, cells))
    return cells


def _rows(columns: Sequence[Sequence[str]]) -> str:
    """The CSV lines, each ending ``\\r\\n``, of the rows whose cells (their quotes doubled)
    ``columns`` hold column by column: what ``csv.writer`` with ``QUOTE_ALL`` writes."""
    if not columns or not columns[0]:
        return ""
    return '"' + '"\r\n"'.join(map('","'.join, zip(*columns, strict=True))) + '"\r\n'


def _extra_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple):
        return TAG_SEPARATOR.join(str(v) for v in value)
    return str(value)


def _having(extras: Sequence[Mapping[str, Any]], key: str) -> Iterator[int]:
    """Positions of the extras holding ``key``."""
    return compress(count(), map(contains, extras, repeat(key)))


def _scattered(values: Sequence[str], positions: Sequence[int], blank: list[str]) -> Sequence[str]:
    """A column of ``blank``'s length holding ``values`` at ``positions``, blank elsewhere."""
    if len(values) == len(blank):
        return values
    column = list(blank)
    for _ in map(column.__setitem__, positions, values):  # the assignments, in C
        pass
    return column


def _cells_getter(keys: Sequence[str]) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
    """A function returning a mapping's values at ``keys``, in one C call for two or more."""
    if len(keys) >= 2:
        return itemgetter(*keys)
    if len(keys) == 1:
        key = keys[0]
        return lambda mapping: (mapping[key],)
    return lambda mapping: ()


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
_FIRST = itemgetter(0)
_SECOND = itemgetter(1)


class _BoardsColumns:
    """The header and the columns of Boards files for items in the order written.

    Cells come out with their quotes doubled, ready to be joined into rows (:func:`_rows`).
    """

    def __init__(
        self,
        extras: Sequence[Mapping[str, Any]],
        *,
        title_count: int,
        backlog: BacklogColumns,
        settings: AdoCsvSettings,
        warn: Callable[[str], None],
    ) -> None:
        neutral = settings.neutralise_formulas
        self.text = text = neutralise if neutral else _same
        self.cells = _neutralised if neutral else _as_is
        self.types = settings.types_by_kind()
        self.title_count = title_count
        self.extra_keys: set[str] = set().union(*filter(None, extras))
        self.extra_columns = _extra_columns(self.extra_keys, title_count, warn)
        titles = (
            ["Title"] if title_count == 1 else [f"Title {n}" for n in range(1, title_count + 1)]
        )
        header = [*COLUMNS_BEFORE_TITLES, *titles, *COLUMNS_AFTER_TITLES, *self.extra_columns]
        self.header = _rows([[_quote(name)] for name in header])
        # A row's titles as one cell holding the separators of its blank titles around its own.
        self.before_title = ['","' * (level - 1) for level in range(title_count + 1)]
        self.after_title = ['","' * (title_count - level) for level in range(title_count + 1)]

        self.iteration_paths: dict[str | None, str] = {
            it.id: _quote(text(it.path or it.name)) for it in backlog.iterations
        }
        self.iteration_paths.update({None: "", "": ""})  # (no iteration)
        self.cleaned_tags = 0
        self.tag_cells: _Memo[tuple[str, ...], tuple[str, int]] = _Memo(self._tags)
        self.state_cells: _Memo[tuple[str, StateCategory], str] = _Memo(self._state)
        self.assignee_cells: _Memo[str, str] = _Memo(lambda name: _quote(text(name)))
        self.priority_cells: _Memo[int | None, str] = _Memo(str, {None: ""})
        self.description_cells: _Memo[str, str] = _Memo(
            lambda description: _quote(text_to_html(description)), {"": ""}
        )
        self.estimate_cells: _Memo[float | None, str] = _Memo(format_number, {None: ""})
        self.date_cells: _Memo[dt.date | None, str] = _Memo(methodcaller("isoformat"), {None: ""})
        self.blank_extra = dict.fromkeys(self.extra_columns, "")
        self.extra_values = _cells_getter(self.extra_columns)

    def _tags(self, tags: tuple[str, ...]) -> tuple[str, int]:
        """The start of the ``Tags`` cell of items with ``tags`` (ending with the separator the
        item's own tags follow), and how many of the tags held a ``;``."""
        if not tags:
            return "", 0
        cleaned = [tag.replace(";", ",") for tag in tags]  # Boards splits tags at ';'
        return _quote(self.text(TAG_SEPARATOR.join(cleaned))) + TAG_SEPARATOR, sum(
            ";" in tag for tag in tags
        )

    def _state(self, state_and_category: tuple[str, StateCategory]) -> str:
        """The ``State`` cell: the item's state, unless Boards knows the word for another
        category (the item came from a format that keeps the category, not the word)."""
        state, category = state_and_category
        known = state_category_of(state)
        if known is not None and known is not category:
            state = CATEGORY_STATES[category]
        return _quote(self.text(state))

    def rows(self, fields: _ItemFields, levels: Sequence[int], orphans: set[str]) -> str:
        """The rows of the items whose fields are ``fields`` (their title levels ``levels``;
        ``orphans``: ids of items tagged with their parent's), built column by column."""
        text = self.text
        blank = [""] * len(fields.id)
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
        if self.title_count > 1:  # the cells of Title 1 … Title N as one
            titles = list(
                map(
                    add,
                    map(add, map(self.before_title.__getitem__, levels), titles),
                    map(self.after_title.__getitem__, levels),
                )
            )
        area_paths = blank
        if AREA_PATH in extra_keys:
            area_paths = list(blank)
            for i in _having(extras, AREA_PATH):
                area_paths[i] = _quote(text(_extra_cell(extras[i][AREA_PATH])))

        columns: list[Sequence[str]] = [
            _quoted([ref.key if ref is not None else "" for ref in refs]) if with_refs else blank,
            _quoted(types),
            titles,
            list(
                map(
                    self.state_cells.__getitem__,
                    zip(fields.state, fields.state_category, strict=True),
                )
            ),
            list(map(self.assignee_cells.__getitem__, fields.assignee)),
            list(map(self.priority_cells.__getitem__, fields.priority)),
            self._tag_column(fields, refs if with_refs else None, orphans),
            list(map(self.iteration_paths.get, fields.iteration_id, repeat(""))),
            area_paths,
            list(map(self.description_cells.__getitem__, fields.description)),
            self._estimates(fields.estimate),
            list(map(self.date_cells.__getitem__, fields.start)),
            list(map(self.date_cells.__getitem__, fields.finish)),
        ]
        if self.extra_columns:
            columns += self._extra_value_columns(extras, blank)
        return _rows(columns)

    def _tag_column(
        self, fields: _ItemFields, refs: Sequence[TrackerRef | None] | None, orphans: set[str]
    ) -> list[str]:
        """The ``Tags`` cells: the item's tags, its ``mbf:<id>`` (unless its Boards ID tells
        it) and, for an item whose parent is in an earlier file, ``mbf-parent:<id>``."""
        ids = fields.id
        tags = list(map(self.tag_cells.__getitem__, fields.tags))
        self.cleaned_tags += sum(map(_SECOND, tags))
        leads = list(map(_FIRST, tags))
        if refs is None:  # every item gets its id tag
            cells = list(map(add, leads, _quoted(list(map(ID_TAG_PREFIX.__add__, ids)))))
            for i in compress(count(), map(orphans.__contains__, ids)) if orphans else ():
                cells[i] += _quote(TAG_SEPARATOR + PARENT_TAG_PREFIX + str(fields.parent_id[i]))
            return cells
        cells = []
        for lead, item_id, parent, ref in zip(leads, ids, fields.parent_id, refs, strict=True):
            own = []
            if ref is None or item_id != f"ado:{ref.key}":  # (else its ID is enough)
                own.append(_quote(ID_TAG_PREFIX + item_id))
            if item_id in orphans:
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

    def _extra_value_columns(
        self, extras: Sequence[Mapping[str, Any]], blank: list[str]
    ) -> list[Sequence[str]]:
        """The cells of the extra columns. Only the items that have extras are visited (a
        backlog's tasks seldom do), each once: laid over a blank value of every key, its values
        are taken in one call."""
        holders = list(compress(count(), extras))
        if not holders:
            return [blank] * len(self.extra_columns)
        held = map(or_, repeat(self.blank_extra), compress(extras, extras))
        columns: list[Sequence[str]] = []
        for values in zip(*map(self.extra_values, held), strict=True):
            if set(map(type, values)) <= {str}:  # one text each: the usual values
                cells = _quoted(self.cells(values))
            else:
                cells = [_quote(self.text(_extra_cell(value))) for value in values]
            columns.append(_scattered(cells, holders, blank))
        return columns
