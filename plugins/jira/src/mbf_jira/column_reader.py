"""Reading a Jira CSV column by column: the usual file (every row as wide as the header, every
cell readable) in a few passes in C per column, each distinct cell worked out once.

A backlog of hundreds of thousands of issues repeats a few dozen types, statuses, sprints and
dates; only the cells that differ on every row (summaries, ids) are visited one by one, and
then by ``map`` or a slice rather than a Python loop. Whatever this path cannot be sure of
reading as the row path would (a blank summary, a cell that is no number or date, repeated
issue ids or keys…) it leaves to the row path in :mod:`.csv_reader`, which reads the whole file
and words any error.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from itertools import compress, count, repeat
from operator import add, getitem, itemgetter, not_
from typing import Any, TypeVar

from mbf.domain import StateCategory, TrackerRef
from mbf_jira.cells import restore
from mbf_jira.csv_format import FIX_VERSION, ID_LABEL_PREFIX, ISSUE_TYPE, PRIORITY, SPRINT
from mbf_jira.reading import (
    DATE,
    ESTIMATE,
    MULTI_VALUE,
    BacklogBuilder,
    HeaderColumns,
    Irregular,
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

__all__ = ["read_columns"]

_FIRST = itemgetter(0)
_SECOND = itemgetter(1)
_THIRD = itemgetter(2)
_FIRST_CHARACTER = slice(0, 1)
_AFTER_PREFIX = slice(len(ID_LABEL_PREFIX), None)
_T = TypeVar("_T")


def _first_filled(cells: Iterable[str]) -> str:
    return next(filter(None, cells), "")


def _first_characters(cells: Sequence[str]) -> set[str]:
    return set(map(getitem, cells, repeat(_FIRST_CHARACTER)))


def _stripped(cells: Sequence[str]) -> Sequence[str]:
    return list(map(str.strip, cells)) if any(cells) else cells


def _state_fields(status: str, status_category: str) -> tuple[str, StateCategory, bool]:
    """A ``Status`` and ``Status Category`` cell's state, category, and whether neither tells
    the category."""
    state = state_of(status)
    return (state, *BacklogBuilder.category_of(state, status_category.strip()))


def _tag_of(odd_cells: set[str], cell: str) -> tuple[str, ...]:
    """A label cell that does not start with ``mbf:``, as the tags it gives (none or one); a
    cell that is an id label once stripped (`` mbf:x``) is added to ``odd_cells``."""
    label = restore(cell.strip())
    if label.startswith(ID_LABEL_PREFIX):
        odd_cells.add(cell)
        return ()
    return (label,) if label else ()


def _sprint_fields(sprint_id: Callable[[str], str], cells: Iterable[str]) -> tuple[Any, ...]:
    """A row's ``Sprint`` cells as its iteration id and earlier sprints (``None`` when none)."""
    names = named_values(cells)
    if not names:
        return None, None
    return sprint_id(names[-1]), (names[:-1] if len(names) > 1 else None)


def _version_fields(version_id: Callable[[str], str], cells: Iterable[str]) -> tuple[Any, ...]:
    """A row's ``Fix Version`` cells as its release id and further versions (``None`` when
    none)."""
    names = named_values(cells)
    if not names:
        return None, None
    return version_id(names[0]), (names[1:] if len(names) > 1 else None)


def _each_pair(
    compute: Callable[[str, str], _T], first: Sequence[str], second: Sequence[str]
) -> list[_T]:
    """``compute(first[i], second[i])`` for every row, each distinct pair worked out once (by
    the first cell alone when every second cell is the same, as a column left empty is)."""
    if not second:
        return []
    only = second[0]
    if second.count(only) == len(second):
        return list(map(Memo(partial(_with_second, compute, only)).__getitem__, first))
    return list(map(Memo(partial(_of_pair, compute)).__getitem__, zip(first, second, strict=True)))


def _with_second(compute: Callable[[str, str], _T], second: str, first: str) -> _T:
    return compute(first, second)


def _of_pair(compute: Callable[[str, str], _T], cells: tuple[str, str]) -> _T:
    return compute(*cells)


def _each_row(
    compute: Callable[[tuple[str, ...]], _T], columns: Sequence[Sequence[str]], rows: int
) -> list[_T]:
    """``compute`` of every row's cells in ``columns``, each distinct row worked out once."""
    if not columns:
        return [compute(())] * rows
    if len(columns) == 1:
        return list(map(Memo(partial(_of_cell, compute)).__getitem__, columns[0]))
    return list(map(Memo(compute).__getitem__, zip(*columns, strict=True)))


def _of_cell(compute: Callable[[tuple[str, ...]], _T], cell: str) -> _T:
    return compute((cell,))


def _item_of(ids: Sequence[str], own_ids: Sequence[str]) -> dict[str, str]:
    """Issue id (or key) -> own id of the rows with one; :class:`Irregular` when one repeats."""
    if not any(ids):
        return {}
    found = dict(zip(ids, own_ids, strict=True))
    found.pop("", None)
    if len(found) != len(ids) - ids.count(""):
        raise Irregular
    return found


def _parent_reference(cells: tuple[str, str]) -> str:
    """The parent key a ``Parent key`` cell names, else an ``Epic Link`` cell."""
    return (cells[0] or cells[1]).strip()


def read_columns(
    builder: BacklogBuilder, table: Sequence[Sequence[str]], columns: HeaderColumns
) -> bool:
    """Read a file's rows given column by column (``table[j]``: column ``j``'s cells) into
    ``builder``. Returns ``False``, having changed nothing, when a row needs the row path."""
    rows = len(table[0]) if table else 0
    if not rows:
        return True
    blank: Sequence[str] = ("",) * rows
    fields = columns.fields

    def column(field: str) -> Sequence[str]:
        indexes = fields.get(field)
        if not indexes:
            return blank
        if len(indexes) == 1 or field in MULTI_VALUE:
            return table[indexes[0]]
        return list(map(_first_filled, zip(*(table[i] for i in indexes), strict=True)))

    def cells_of(field: str) -> list[Sequence[str]]:
        """The columns of a field that holds a value per column."""
        return [table[i] for i in fields.get(field, ())]

    titles = column("summary")
    if not all(map(str.strip, titles)):
        return False  # a blank line, or a row without summary
    keys = _stripped(column("issue_key"))
    issue_ids = _stripped(column("issue_id"))
    own_ids, tags = _labels(table, cells_of("labels"))
    for i in compress(count(), map(not_, own_ids)):  # no id label: the key, or the row
        own_ids[i] = f"jira:{keys[i]}" if keys[i] else f"jira:row-{i + 2}"
    try:
        # Parents and links are resolved against the whole file's ids and keys, as the row
        # path's are when each is unique and no key is also an issue id.
        item_of_issue_id, item_of_key = _item_of(issue_ids, own_ids), _item_of(keys, own_ids)
        if not item_of_key.keys().isdisjoint(item_of_issue_id):
            raise Irregular
        dates = Memo(DATE.value)
        estimates = list(map(Memo(ESTIMATE.value).__getitem__, column("estimate")))
        starts = list(map(dates.__getitem__, column("start")))
        finishes = list(map(dates.__getitem__, column("due")))
    except Irregular:
        return False

    # Nothing below can fail: the builder changes from here on.
    builder.item_of_issue_id.update(item_of_issue_id)
    builder.item_of_key.update(item_of_key)
    types = list(map(Memo(builder.type_fields).__getitem__, column("issue_type")))
    states = _each_pair(_state_fields, column("status"), column("status_category"))
    for (state, _, _), times in Counter(compress(states, map(_THIRD, states))).items():
        builder.count_unknown(state, times)
    priorities = list(map(Memo(priority_fields).__getitem__, column("priority")))
    sprints = _each_row(partial(_sprint_fields, builder.sprint_id), cells_of("sprint"), rows)
    versions = _each_row(
        partial(_version_fields, builder.version_id), cells_of("fix_version"), rows
    )
    if _first_characters(titles) & {"'"}:
        titles = list(map(restore, titles))  # (restore only changes a cell starting with ')

    first_position = len(builder.fields[0])
    parents = _parents(builder, column, first_position)
    _pending_links(builder, table, columns, first_position)

    file_fields: tuple[Iterable[Any], ...] = (
        own_ids,
        map(_SECOND, types),
        titles,
        map(Memo(description_of).__getitem__, column("description")),
        parents,
        map(_FIRST, states),
        map(_SECOND, states),
        _each_pair(assignee_of, column("assignee"), column("assignee_name")),
        map(_FIRST, priorities),
        tags,
        map(_FIRST, sprints),
        map(_FIRST, versions),
        estimates,
        starts,
        finishes,
        [{SERVICE_NAME: TrackerRef(key=key)} if key else {} for key in keys]
        if any(keys)
        else [{}] * rows,  # one read-only dictionary (see ItemColumns)
        _extras(
            table,
            columns,
            types=types,
            priorities=priorities,
            sprints=sprints,
            versions=versions,
        ),
    )
    builder.extend(file_fields)
    return True


def _labels(
    table: Sequence[Sequence[str]], label_columns: Sequence[Sequence[str]]
) -> tuple[list[str], list[tuple[str, ...]]]:
    """Each row's own id (empty when it has no id label) and other labels.

    An ``mbf:`` cell is the row's id, a different one on every row; the other cells are labels
    repeated on many rows, each worked out once. A row with a label cell that is an id label
    only once stripped (`` mbf:x``), or an empty id label, is read by :func:`label_fields`
    itself."""
    rows = len(table[0])
    own_ids = [""] * rows
    tags: list[tuple[str, ...]] | None = None
    odd: set[int] = set()
    odd_cells: set[str] = set()
    tag_cells: Memo[str, tuple[str, ...]] = Memo(partial(_tag_of, odd_cells))
    for cells in label_columns:
        if not any(cells):
            continue
        is_id = list(map(str.startswith, cells, repeat(ID_LABEL_PREFIX)))
        if any(is_id):
            positions = list(compress(count(), is_id))
            ids = list(map(getitem, map(str.rstrip, compress(cells, is_id)), repeat(_AFTER_PREFIX)))
            if not all(ids):
                odd.update(compress(positions, map(not_, ids)))
            for _ in map(own_ids.__setitem__, positions, ids):  # the assignments, in C
                pass
            # The other cells' tags; each id label gives none.
            part: list[tuple[str, ...]] = [()] * rows
            others = list(compress(count(), map(not_, is_id)))
            if others:
                other_cells = itemgetter(*others)(cells) if len(others) > 1 else (cells[others[0]],)
                for _ in map(part.__setitem__, others, map(tag_cells.__getitem__, other_cells)):
                    pass
        else:
            part = list(map(tag_cells.__getitem__, cells))
        tags = part if tags is None else list(map(add, tags, part))
        if odd_cells:  # (all of them: a cell seen in an earlier column is not worked out again)
            odd.update(compress(count(), map(odd_cells.__contains__, cells)))
    if tags is None:
        tags = [()] * rows
    for i in odd:
        own_ids[i], tags[i] = label_fields(cells[i] for cells in label_columns)
    return own_ids, tags


def _parents(
    builder: BacklogBuilder, column: Callable[[str], Sequence[str]], first_position: int
) -> list[str | None]:
    """Each row's parent id: the item whose issue id its ``Parent`` names, else whose key its
    ``Parent key`` (or ``Epic Link``) names. A reference to no item in the file is left to
    :meth:`BacklogBuilder.finish`, which keeps it in ``extra``."""
    references = _stripped(column("parent"))
    rows = len(references)
    parents: list[str | None] = [None] * rows
    by_key: Iterable[int] = range(rows)
    if any(references):
        by_key = compress(count(), map(not_, references))
        parents = _resolved(builder, references, is_key=False, first_position=first_position)
    key_cells, epic_cells = column("parent_key"), column("epic_link")
    if any(key_cells) or any(epic_cells):
        key_references = list(
            map(Memo(_parent_reference).__getitem__, zip(key_cells, epic_cells, strict=True))
        )
        by_key = list(by_key)
        found = _resolved(
            builder,
            [key_references[i] for i in by_key],
            is_key=True,
            first_position=first_position,
            positions=by_key,
        )
        for i, parent in zip(by_key, found, strict=True):
            parents[i] = parent
    return parents


def _resolved(
    builder: BacklogBuilder,
    references: Sequence[str],
    *,
    is_key: bool,
    first_position: int,
    positions: Sequence[int] | None = None,
) -> list[str | None]:
    """The item each of ``references`` names (see :meth:`BacklogBuilder.resolve`), looked up
    in C; a filled reference that names none is left to :meth:`BacklogBuilder.finish`.
    ``positions``: the rows of the references (by default, one each from the first row)."""
    first, second = (
        (builder.item_of_key, builder.item_of_issue_id)
        if is_key
        else (builder.item_of_issue_id, builder.item_of_key)
    )
    found: list[str | None] = list(map(first.get, references))
    for i in compress(count(), map(not_, found)):
        reference = references[i]
        if reference:
            found[i] = second.get(reference)
            if found[i] is None:
                row = i if positions is None else positions[i]
                builder.parents.append((first_position + row, reference, is_key))
    return found


def _pending_links(
    builder: BacklogBuilder,
    table: Sequence[Sequence[str]],
    columns: HeaderColumns,
    first_position: int,
) -> None:
    """The issue keys of each row's link columns, for :meth:`BacklogBuilder.finish`, in the
    order the row path finds them (row by row, and in a row column group by column group)."""
    found: list[tuple[int, int, PendingLink]] = []
    for group, (header, direction, link_type, indexes) in enumerate(columns.links):
        group_columns = [table[i] for i in indexes]
        holders = sorted(set().union(*(compress(count(), cells) for cells in group_columns)))
        for i in holders:
            keys = [key for key in (cells[i].strip() for cells in group_columns) if key]
            if keys:
                pending = PendingLink(first_position + i, header, direction, link_type, keys)
                found.append((i, group, pending))
    found.sort(key=lambda entry: entry[:2])
    builder.links.extend(map(_THIRD, found))


def _extras(
    table: Sequence[Sequence[str]],
    columns: HeaderColumns,
    *,
    types: Sequence[tuple[str, Any, bool]],
    priorities: Sequence[tuple[int | None, str | None]],
    sprints: Sequence[tuple[Any, ...]],
    versions: Sequence[tuple[Any, ...]],
) -> list[dict[str, Any]]:
    """Each row's ``extra``, its keys in the row path's order: the issue type and priority
    when a site's own, earlier sprints and further versions, then the cells of the columns mbf
    has no field for."""
    rows = len(types)
    extras: list[dict[str, Any]] = [{}] * rows  # read-only (see ItemColumns)
    groups = [
        (header, [table[i] for i in indexes])
        for header, indexes in columns.extras
        if any(map(any, (table[i] for i in indexes)))
    ]
    # The rows with a cell in some such column (a backlog's tasks seldom have one), and those
    # cells, as kept.
    holders = sorted(
        set().union(*(compress(count(), cells) for _, group in groups for cells in group))
    )
    if holders:
        pick = itemgetter(*holders) if len(holders) > 1 else lambda cells: (cells[holders[0]],)
        values: list[Iterable[Any]] = []
        for _, group in groups:
            as_kept = Memo(extra_value)
            if len(group) == 1:
                values.append(map(as_kept.__getitem__, pick(group[0])))
            else:  # a repeated header: a list of its filled cells (empty lists are left out)
                values.append(
                    [
                        list(map(as_kept.__getitem__, filter(None, cells)))
                        for cells in zip(*map(pick, group), strict=True)
                    ]
                )
        names = [header for header, _ in groups]
        for i, row_values in zip(holders, zip(*values, strict=True), strict=True):
            extras[i] = dict(filter(_SECOND, zip(names, row_values, strict=True)))

    # The few rows whose type, priority, sprints or versions add to extra.
    heads = set(compress(count(), map(_THIRD, types)))
    heads.update(compress(count(), map(_SECOND, priorities)))
    heads.update(compress(count(), map(_SECOND, sprints)))
    heads.update(compress(count(), map(_SECOND, versions)))
    for i in sorted(heads):
        head: dict[str, Any] = {}
        if types[i][2]:
            head[ISSUE_TYPE] = types[i][0]
        if priorities[i][1] is not None:
            head[PRIORITY] = priorities[i][1]
        if sprints[i][1] is not None:
            head[SPRINT] = list(sprints[i][1])  # a list of the item's own
        if versions[i][1] is not None:
            head[FIX_VERSION] = list(versions[i][1])
        extras[i] = {**head, **extras[i]}
    return extras
