"""The ``jira-csv`` format: what the Jira CSV importer accepts, and "Export > CSV (all fields)".

Written files are importer input: ``Summary``, a file-local ``Issue Id`` and a ``Parent`` holding
the parent's Issue Id, rows ordered top-down (every parent before its children, level by level, as
Jira Cloud needs to keep the links), repeated ``Labels``, ``Sprint`` and ``Fix Version`` headers,
``Original Estimate`` in seconds and dates in one format, :data:`~mbf_jira.cells.DATE_FORMAT`
(the importer's default). ``Assignee`` holds the e-mail address the Cloud importer matches users
by; ``Assignee Name`` keeps the display name for mbf. Every ``extra`` key becomes a column of
that name (a list value repeats the header), so custom fields come back as they went out.

mbf ids travel as the label ``mbf:<id>``, so an imported and re-exported backlog keeps its ids.

Reading (importer files and "CSV (all fields)" exports) is in :mod:`.csv_reader`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import partial
from itertools import chain, compress, count, repeat
from operator import add, attrgetter, contains, getitem, itemgetter, methodcaller, not_, or_
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from mbf.domain import (
    Backlog,
    StateCategory,
    TrackerRef,
    WorkItem,
    WorkItemKind,
    hierarchy_order,
)
from mbf.domain.columns import BacklogColumns
from mbf.domain.order import hierarchy_levels
from mbf.plugin import Context
from mbf.tabular import Memo
from mbf_jira.cells import (
    FORMULA_STARTS,
    csv_lines,
    format_date,
    neutralise,
)
from mbf_jira.format import CAPABILITIES, FORMAT_NAME, JiraCsvSettings, jira_csv_format
from mbf_jira.vocabulary import (
    PRIORITY_NAMES,
    SERVICE_NAME,
    STATUS_CATEGORY_NAMES,
)

__all__ = [
    "CAPABILITIES",
    "FORMAT_NAME",
    "HEADER_FIELDS",
    "ID_LABEL_PREFIX",
    "JiraCsvSettings",
    "jira_csv_format",
    "settings_of",
    "top_down",
    "write_jira_csv",
    "write_jira_csv_columns",
]

ID_LABEL_PREFIX = "mbf:"
"""Label that carries an item's mbf id."""

# Extra keys this format writes in its own columns (see _JiraRowReader for how they arise).
ISSUE_TYPE = "Issue Type"
PRIORITY = "Priority"
PARENT = "Parent"
SPRINT = "Sprint"
FIX_VERSION = "Fix Version"
_OWN_EXTRA_KEYS = (ISSUE_TYPE, PRIORITY, PARENT, SPRINT, FIX_VERSION)

# Canonical field of each header spelling (case-folded), English and the French seen in exports.
HEADER_FIELDS: Mapping[str, str] = {
    "summary": "summary",
    "résumé": "summary",
    "issue id": "issue_id",
    "issue key": "issue_key",
    "clé de ticket": "issue_key",
    "issue type": "issue_type",
    "status": "status",
    "status category": "status_category",
    "priority": "priority",
    "assignee": "assignee",
    "assignee name": "assignee_name",
    "description": "description",
    "labels": "labels",
    "label": "labels",
    "sprint": "sprint",
    "fix version": "fix_version",
    "fix versions": "fix_version",
    "fix version/s": "fix_version",
    "original estimate": "estimate",
    "start date": "start",
    "custom field (start date)": "start",
    "due date": "due",
    "parent": "parent",
    "parent id": "parent",
    "parent key": "parent_key",
    "clé parent": "parent_key",
    "custom field (epic link)": "epic_link",
    "epic link": "epic_link",
    "parent summary": "ignored",  # derived from the parent row
}
"""Canonical field of each header spelling a file may use (case-folded): the reader maps its
columns with it, and the writer keeps an extra key that would read back as a field out of the file."""


_ID = attrgetter("id")
_PARENT_ID = attrgetter("parent_id")


def settings_of(context: Context) -> JiraCsvSettings:
    """The ``jira-csv`` settings a command passes, or the defaults."""
    return context.settings if isinstance(context.settings, JiraCsvSettings) else JiraCsvSettings()


# --- writing ------------------------------------------------------------------------------


def top_down(items: Sequence[WorkItem]) -> list[WorkItem]:
    """``items`` level by level (all roots, then their children, …), siblings in backlog order."""
    levels = hierarchy_levels(map(_ID, items), map(_PARENT_ID, items))
    order = _top_down_order(levels, lambda: tuple(items))
    return list(map(items.__getitem__, order))


def _top_down_order(
    levels: list[list[int]] | None, items: Callable[[], tuple[WorkItem, ...]]
) -> list[int]:
    """The positions of :func:`top_down`'s items in their sequence, given the items'
    :func:`~mbf.domain.order.hierarchy_levels` (``items()`` gives the items themselves, only
    needed when there are none: the items are not in hierarchy order)."""
    if levels is not None:
        return [position for level in levels for position in level]
    items_ = items()
    ordered = hierarchy_order(items_)
    position_of = {id(item): position for position, item in enumerate(items_)}
    depth: dict[str | None, int] = {}
    for item in ordered:
        parent_depth = depth.get(item.parent_id)  # None (a root) is never a key
        depth[item.id] = 0 if parent_depth is None else parent_depth + 1
    by_depth = sorted(ordered, key=lambda item: depth[item.id])  # stable: keeps sibling order
    return [position_of[id(item)] for item in by_depth]


def _as_list(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, (list, tuple)):  # a tuple of types: faster than a union
        return [str(v) for v in value]
    return [str(value)]


def _extra_columns(
    extras: Iterable[Mapping[str, Any]], warn: Callable[[str], None]
) -> list[tuple[str, int]]:
    """``(key, number of columns)`` of every extra key, sorted by key."""
    extras = list(extras)
    widths: dict[str, int] = {}
    value_types = set(map(type, chain.from_iterable(map(methodcaller("values"), extras))))
    if not any(issubclass(kind, (list, tuple)) for kind in value_types):
        widths = dict.fromkeys(set().union(*extras), 1)  # no list: one column each, in C
        extras = []
    for extra in extras:
        for key, value in extra.items():
            if isinstance(value, (list, tuple)):
                # A list keeps at least two columns, so it reads back as a repeated header.
                width = max(len(value), 2)
                if width > widths.get(key, 0):
                    widths[key] = width
            elif key not in widths:
                widths[key] = 1
    for own in _OWN_EXTRA_KEYS:
        widths.pop(own, None)
    columns = []
    for key in sorted(widths):
        folded = key.casefold()
        if folded in HEADER_FIELDS or folded == "status category":
            warn(
                f"{FORMAT_NAME}: extra field {key!r} clashes with a column of its own; not written"
            )
        else:
            columns.append((key, widths[key]))
    return columns


def _same(value: str) -> str:
    return value


def _as_is(cells: Sequence[str]) -> Sequence[str]:
    return cells


_FIRST_CHARACTER = slice(0, 1)


def _neutralised(cells: Sequence[str]) -> Sequence[str]:
    """``cells`` made inert for spreadsheets (see :func:`neutralise`); the list itself when no
    cell needs it, which their first characters, taken in one pass in C, tell."""
    if FORMULA_STARTS.isdisjoint(map(getitem, cells, repeat(_FIRST_CHARACTER))):
        return cells
    return list(map(neutralise, cells))


_K = TypeVar("_K")
_V = TypeVar("_V")


_ROWS_PER_BLOCK = 2_000
"""Items whose columns are built and written at a time: the columns of a block stay in the
processor caches (at 50,000 servers, 2,000 rows a block write faster than 50,000 or 500)."""

_JIRA_REF = methodcaller("get", SERVICE_NAME)
_FIRST = itemgetter(0)
_SECOND = itemgetter(1)


def _cells_getter(keys: Sequence[str]) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
    """A function returning a mapping's values at ``keys``, in one C call for two or more."""
    if len(keys) >= 2:
        return itemgetter(*keys)
    if len(keys) == 1:
        key = keys[0]
        return lambda mapping: (mapping[key],)
    return lambda mapping: ()


def _scattered(values: Sequence[str], positions: Sequence[int], blank: list[str]) -> Sequence[str]:
    """A column of ``blank``'s length holding ``values`` at ``positions``, blank elsewhere."""
    if len(values) == len(blank):
        return values
    column = list(blank)
    for _ in map(column.__setitem__, positions, values):  # the assignments, in C
        pass
    return column


def _having(extras: Sequence[Mapping[str, Any]], key: str) -> Iterator[int]:
    """Positions of the extras holding ``key``."""
    return compress(count(), map(contains, extras, repeat(key)))


class _ItemFields(NamedTuple):
    """The fields of items the importer file shows, each as a column (a value per item)."""

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
    release_id: Sequence[str | None]
    estimate: Sequence[float | None]
    start: Sequence[dt.date | None]
    finish: Sequence[dt.date | None]
    refs: Sequence[Mapping[str, TrackerRef]]
    extra: Sequence[Mapping[str, Any]]


class _ImporterColumns:
    """The columns of an importer file for a sequence of items (in the order written).

    A backlog holds hundreds of thousands of items but few distinct words, so each column is
    built in one pass in C (``map`` over the items, values turned into cells once through a
    :class:`Memo`); only items whose ``extra`` changes a column (a Jira ref, a list value, an
    issue type or priority of their own…) are visited one by one.
    """

    def __init__(
        self,
        ids: Sequence[str],
        tags: Sequence[tuple[str, ...]],
        extras: Sequence[Mapping[str, Any]],
        *,
        backlog: BacklogColumns,
        settings: JiraCsvSettings,
        warn: Callable[[str], None],
    ) -> None:
        neutral = settings.neutralise_formulas
        self.text = text = neutralise if neutral else _same
        self.cells = _neutralised if neutral else _as_is
        # Where the first characters are tested in place: cheaper than a call per value.
        formula_starts = FORMULA_STARTS if neutral else frozenset()
        self.formula_starts = formula_starts
        self.types = settings.types_by_kind()
        self.sprint_names: dict[str | None, str] = {
            it.id: text(it.name) for it in backlog.iterations
        }
        self.version_names: dict[str | None, str] = {r.id: text(r.name) for r in backlog.releases}
        extras = list(filter(None, extras))
        self.extra_keys: set[str] = set().union(*extras)

        # How many repeated columns each multi-value field needs: one more than the extras
        # hold, for the id label, the current sprint and the release.
        self.label_width = max(map(len, tags), default=0) + 1
        self.sprint_width = self.version_width = 1
        for extra in extras if SPRINT in self.extra_keys or FIX_VERSION in self.extra_keys else ():
            if SPRINT in extra:
                self.sprint_width = max(self.sprint_width, len(_as_list(extra[SPRINT])) + 1)
            if FIX_VERSION in extra:
                self.version_width = max(self.version_width, len(_as_list(extra[FIX_VERSION])) + 1)
        self.extra_columns = _extra_columns(extras, warn)
        self.header = [
            "Summary", "Issue Id", "Parent", "Issue key", ISSUE_TYPE, "Status", "Status Category",
            PRIORITY, "Assignee", "Assignee Name", "Description",
            *["Labels"] * self.label_width, *[SPRINT] * self.sprint_width,
            *[FIX_VERSION] * self.version_width,
            "Original Estimate", "Start Date", "Due Date",
            *[key for key, width in self.extra_columns for _ in range(width)],
        ]  # fmt: skip

        numbers = list(map(str, range(1, len(ids) + 1)))
        self.issue_ids: dict[str | None, str] = dict(zip(ids, numbers, strict=True))
        if len(self.issue_ids) < len(numbers):
            # A repeated id: each of its rows gets its last number.
            numbers = list(map(self.issue_ids.__getitem__, ids))
        self.numbers = numbers
        self.spaced_labels = 0
        self.label_cells: Memo[tuple[str, ...], tuple[tuple[str, ...], int]] = Memo(
            partial(_labels, formula_starts)
        )
        self.assignee_cells: Memo[str, tuple[str, str]] = Memo(partial(_assignee, formula_starts))
        self.priority_cells: Memo[int | None, str] = Memo(_priority_name, {None: ""})
        self.estimate_cells: Memo[float | None, str] = Memo(_seconds, {None: ""})
        self.date_cells: Memo[dt.date | None, str] = Memo(format_date, {None: ""})
        self.blank_labels = ("",) * self.label_width
        extra_keys = [key for key, _ in self.extra_columns]
        self.blank_extra = dict.fromkeys(extra_keys, "")
        self.extra_values = _cells_getter(extra_keys)

    def of(self, fields: _ItemFields, numbers: Sequence[str]) -> list[Sequence[Any]]:
        """The cells of the items whose fields are ``fields`` (and Issue Ids ``numbers``),
        column by column."""
        text = self.text
        cells = self.cells
        blank = [""] * len(numbers)
        ids = fields.id
        extras = fields.extra
        extra_keys = self.extra_keys if any(extras) else set()

        parents = list(map(self.issue_ids.get, fields.parent_id, repeat("")))
        if extra_keys:  # an item with no parent in the file may name one in its extras
            for i in compress(count(), map(not_, parents)):
                if extras[i]:
                    parents[i] = text(str(extras[i].get(PARENT, "")))
        with_refs = any(fields.refs) and any(refs := list(map(_JIRA_REF, fields.refs)))
        types = list(map(self.types.__getitem__, fields.kind))
        if ISSUE_TYPE in extra_keys:
            for i in _having(extras, ISSUE_TYPE):
                types[i] = extras[i][ISSUE_TYPE] or types[i]
        priorities = list(map(self.priority_cells.__getitem__, fields.priority))
        if PRIORITY in extra_keys:
            for i in _having(extras, PRIORITY):
                value = extras[i][PRIORITY]
                if value or fields.priority[i] is None:  # a blank one leaves the item's own
                    priorities[i] = value
        assignees = list(map(self.assignee_cells.__getitem__, fields.assignee))

        labels = list(map(self.label_cells.__getitem__, fields.tags))
        self.spaced_labels += sum(map(_SECOND, labels))
        if with_refs:  # an item imported from Jira is known by its key, not an id label
            own_labels: Iterable[tuple[str, ...]] = [
                () if ref is not None and id_ == f"jira:{ref.key}" else (ID_LABEL_PREFIX + id_,)
                for id_, ref in zip(ids, refs, strict=True)
            ]
        else:
            own_labels = zip(map(ID_LABEL_PREFIX.__add__, ids))
        label_rows = list(
            map(add, map(add, map(_FIRST, labels), own_labels), repeat(self.blank_labels))
        )

        columns: list[Sequence[Any]] = [
            cells(fields.title),
            numbers,
            parents,
            ["" if ref is None else ref.key for ref in refs] if with_refs else blank,
            types,
            cells(fields.state),
            list(map(STATUS_CATEGORY_NAMES.__getitem__, fields.state_category)),
            priorities,
            list(map(_FIRST, assignees)),
            list(map(_SECOND, assignees)),
            cells(fields.description),
            *[list(map(itemgetter(j), label_rows)) for j in range(self.label_width)],
            *self._multi_value(
                fields.iteration_id, extras, SPRINT in extra_keys, SPRINT, self.sprint_names
            ),
            *self._multi_value(
                fields.release_id,
                extras,
                FIX_VERSION in extra_keys,
                FIX_VERSION,
                self.version_names,
            ),
            list(map(self.estimate_cells.__getitem__, fields.estimate)),
            list(map(self.date_cells.__getitem__, fields.start)),
            list(map(self.date_cells.__getitem__, fields.finish)),
        ]
        # Extra fields: only the items that have some are visited (a backlog's tasks seldom do),
        # each once: laid over a blank value of every key, its values are taken in one call.
        holders = list(compress(count(), extras))
        held = map(or_, repeat(self.blank_extra), compress(extras, extras))
        value_columns: list[Sequence[Any]] = (
            list(zip(*map(self.extra_values, held), strict=True))
            if holders
            else [()] * len(self.extra_columns)
        )
        for (_, width), values in zip(self.extra_columns, value_columns, strict=True):
            if set(map(type, values)) <= {str}:  # one text each (or none): the usual values
                columns.append(_scattered(cells(values), holders, blank))
                columns += [blank] * (width - 1)
            else:
                key_columns = [list(blank) for _ in range(width)]
                for i, value in zip(holders, values, strict=True):
                    for j, cell in enumerate(_as_list(value)):
                        key_columns[j][i] = text(cell)
                columns += key_columns
        return columns

    def _multi_value(
        self,
        owners: Sequence[str | None],
        extras: Sequence[Mapping[str, Any]],
        in_extras: bool,
        key: str,
        names: Mapping[str | None, str],
    ) -> list[list[str]]:
        """The columns of a repeated field (``Sprint``, ``Fix Version``): the name of each
        item's iteration or release (``owners``: their ids), and the values its ``extra[key]``
        lists (when ``in_extras``), which come before a sprint and after a release."""
        own_names = list(map(names.get, owners, repeat("")))
        width = self.sprint_width if key == SPRINT else self.version_width
        columns = [own_names, *([""] * len(owners) for _ in range(width - 1))]
        for i in _having(extras, key) if in_extras else ():
            values = [self.text(v) for v in _as_list(extras[i][key])]
            own = names.get(owners[i])
            if own is not None:
                values.insert(len(values) if key == SPRINT else 0, own)
            for j, column in enumerate(columns):
                column[i] = values[j] if j < len(values) else ""
        return columns


def _labels(formula_starts: frozenset[str], tags: tuple[str, ...]) -> tuple[tuple[str, ...], int]:
    """The label cells of ``tags``, and how many had spaces."""
    labels = []
    spaced = 0
    for tag in tags:
        if " " in tag:  # Jira labels cannot hold spaces
            spaced += 1
            tag = tag.replace(" ", "_")  # noqa: PLW2901
        labels.append("'" + tag if tag[:1] in formula_starts else tag)
    return tuple(labels), spaced


def _assignee(formula_starts: frozenset[str], assignee: str) -> tuple[str, str]:
    """The ``Assignee`` (e-mail address) and ``Assignee Name`` cells of ``Name <upn>``."""
    name = ""
    if assignee.endswith(">") and " <" in assignee:
        name, _, assignee = assignee[:-1].partition(" <")
        if name[:1] in formula_starts:
            name = "'" + name
    if assignee[:1] in formula_starts:
        assignee = "'" + assignee
    return assignee, name


def _priority_name(priority: int) -> str:
    return PRIORITY_NAMES.get(priority) or str(priority)


def _seconds(hours: float) -> str:
    return str(round(hours * 3600))


def write_jira_csv(backlog: Backlog, path: Path, context: Context) -> None:
    """Write ``backlog`` as a Jira CSV importer file (see :func:`write_jira_csv_columns`)."""
    write_jira_csv_columns(BacklogColumns.of(backlog), path, context)


def write_jira_csv_columns(backlog: BacklogColumns, path: Path, context: Context) -> None:
    """Write ``backlog`` (its items as columns) as a Jira CSV importer file, column by column
    (see :class:`_ImporterColumns`)."""
    warn = context.diagnostics.warn
    items = backlog.items
    fields = _ItemFields._make(map(items.column, _ItemFields._fields))
    order = _top_down_order(items.hierarchy_levels(), items.items)
    if len(order) > 1 and order != list(range(len(order))):
        in_order = itemgetter(*order)
        fields = _ItemFields._make(map(in_order, fields))
    columns = _ImporterColumns(
        fields.id,
        fields.tags,
        fields.extra,
        backlog=backlog,
        settings=settings_of(context),
        warn=warn,
    )
    numbers = columns.numbers
    with path.open("w", encoding="utf-8", newline="") as stream:
        stream.write(csv_lines([[name] for name in columns.header]))
        for start in range(0, len(items), _ROWS_PER_BLOCK):
            block = slice(start, start + _ROWS_PER_BLOCK)
            block_fields = _ItemFields._make(field[block] for field in fields)
            stream.write(csv_lines(columns.of(block_fields, numbers[block])))
    if columns.spaced_labels:
        warn(
            f"{FORMAT_NAME}: {columns.spaced_labels} label(s) contained spaces, written with '_' "
            "instead"
        )
