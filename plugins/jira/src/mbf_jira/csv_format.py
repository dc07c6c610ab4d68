"""The ``jira-csv`` format: what the Jira CSV importer accepts, and "Export > CSV (all fields)".

Written files are importer input: ``Summary``, a file-local ``Issue Id`` and a ``Parent`` holding
the parent's Issue Id, rows ordered top-down (every parent before its children, level by level, as
Jira Cloud needs to keep the links), repeated ``Labels``, ``Sprint`` and ``Fix Version`` headers,
``Original Estimate`` in seconds and dates in one format, :data:`~mbf_jira.cells.DATE_FORMAT`
(the importer's default). ``Assignee`` holds the e-mail address the Cloud importer matches users
by; ``Assignee Name`` keeps the display name for mbf. Every ``extra`` key becomes a column of
that name (a list value repeats the header), so custom fields come back as they went out.

mbf ids travel as the label ``mbf:<id>``, so an imported and re-exported backlog keeps its ids.

Read: importer files and "CSV (all fields)" exports of Server, Data Center and Cloud: repeated
headers grouped by position (rows wider than the header add to the last column),
``Custom field (X)``, ``Parent`` / ``Parent id`` / ``Parent key`` / ``Custom field (Epic Link)``,
``Inward/Outward issue link (Blocks|Relates)``, several date formats. Columns mbf has no field for
are kept in ``extra`` under their header, so they survive a round trip.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import partial
from itertools import chain, compress, count, repeat
from operator import add, attrgetter, contains, itemgetter, methodcaller, not_, or_
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

import attrs

from mbf.domain import (
    Backlog,
    Iteration,
    Link,
    LinkKind,
    Release,
    StateCategory,
    TrackerRef,
    WorkItem,
    WorkItemKind,
    hierarchy_order,
    slug,
)
from mbf.errors import InputError
from mbf.plugin import Context
from mbf_jira.cells import (
    FORMULA_STARTS,
    csv_lines,
    format_date,
    neutralise,
    parse_date,
    restore,
)
from mbf_jira.format import CAPABILITIES, FORMAT_NAME, JiraCsvSettings, jira_csv_format
from mbf_jira.vocabulary import (
    PRIORITY_NAMES,
    SERVICE_NAME,
    STATUS_CATEGORY_NAMES,
    kind_of_issue_type,
    priority_of,
    state_category_of_status,
    state_category_of_status_category,
)

__all__ = [
    "CAPABILITIES",
    "FORMAT_NAME",
    "ID_LABEL_PREFIX",
    "JiraCsvSettings",
    "jira_csv_format",
    "looks_like_jira_csv",
    "read_jira_csv",
    "top_down",
    "write_jira_csv",
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
_FIELDS: Mapping[str, str] = {
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
_LINK_COLUMN = re.compile(r"^(inward|outward) issue link \((blocks|relates)\)$")
_LOCALISED_CUSTOM_FIELD = "champs personnalisés ("
_MULTI = frozenset({"labels", "sprint", "fix_version"})  # fields that hold a value per column


_ID = attrgetter("id")
_PARENT_ID = attrgetter("parent_id")


def _settings(context: Context) -> JiraCsvSettings:
    return context.settings if isinstance(context.settings, JiraCsvSettings) else JiraCsvSettings()


# --- writing ------------------------------------------------------------------------------


def top_down(items: Sequence[WorkItem]) -> list[WorkItem]:
    """``items`` level by level (all roots, then their children, …), siblings in backlog order."""
    order = _top_down_order(items, list(map(_ID, items)), list(map(_PARENT_ID, items)))
    return list(map(items.__getitem__, order))


def _top_down_order(
    items: Sequence[WorkItem], ids: Sequence[str], parents: Sequence[str | None]
) -> list[int]:
    """The positions of :func:`top_down`'s items in ``items`` (whose ids and parent ids are
    ``ids`` and ``parents``)."""
    levels = _levels_in_order(ids, parents)
    if levels is not None:
        return [position for level in levels for position in level]
    ordered = hierarchy_order(tuple(items))
    position_of = {id(item): position for position, item in enumerate(items)}
    depth: dict[str | None, int] = {}
    for item in ordered:
        parent_depth = depth.get(item.parent_id)  # None (a root) is never a key
        depth[item.id] = 0 if parent_depth is None else parent_depth + 1
    by_depth = sorted(ordered, key=lambda item: depth[item.id])  # stable: keeps sibling order
    return [position_of[id(item)] for item in by_depth]


def _levels_in_order(ids: Sequence[str], parents: Sequence[str | None]) -> list[list[int]] | None:
    """The positions of the items of each depth, when the items (``ids`` unique, ``parents``
    their parent ids) are already in hierarchy order, as a backlog read from a file usually is;
    else ``None``.

    They are when each item's parent is the previous item or one of its ancestors (see
    :func:`~mbf.domain.hierarchy_order`); one pass then gives every item's depth.
    """
    depth: dict[str, int] = {}
    levels: list[list[int]] = []
    path: list[str] = []  # ids from a root down to the previous item
    absent_parents: set[str] = set()  # parents not seen before their child: missing, or later
    for position, item_id, parent in zip(count(), ids, parents):
        if parent is None:
            path.clear()
        elif parent in depth:
            while path[-1] != parent:  # an item seen already is on the path, or was left
                path.pop()
                if not path:
                    return None
        else:
            absent_parents.add(parent)
            path.clear()
        level = len(path)
        if item_id in depth:
            return None
        depth[item_id] = level
        if level == len(levels):
            levels.append([position])
        else:
            levels[level].append(position)
        path.append(item_id)
    if not absent_parents.isdisjoint(depth):
        return None  # a parent comes after its child
    return levels


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
        if folded in _FIELDS or folded == "status category":
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


_STARTS = tuple(FORMULA_STARTS)


def _neutralised(cells: Sequence[str]) -> Sequence[str]:
    """``cells`` made inert for spreadsheets (see :func:`neutralise`); the list itself when no
    cell needs it, which one pass in C tells."""
    if any(map(str.startswith, cells, repeat(_STARTS))):
        return list(map(neutralise, cells))
    return cells


_K = TypeVar("_K")
_V = TypeVar("_V")


class _Memo(dict[_K, _V]):
    """``key -> compute(key)``, each key computed on its first lookup: a column's repeated
    values (tags, dates, names) become cells once, and ``map(memo.__getitem__, values)`` turns
    a whole column in C."""

    def __init__(self, compute: Callable[[Any], _V], known: Mapping[_K, _V] | None = None) -> None:
        super().__init__(known or {})
        self.compute = compute

    def __missing__(self, key: _K) -> _V:
        value = self[key] = self.compute(key)
        return value


_ROWS_PER_BLOCK = 2_000
"""Items whose columns are built and written at a time: the columns of a block stay in the
processor caches (at 50,000 servers, 2,000 rows a block write faster than 50,000 or 500)."""

_TAGS = attrgetter("tags")
_EXTRA = attrgetter("extra")
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

    @classmethod
    def of_rows(cls, rows: Sequence[tuple[Any, ...]]) -> _ItemFields:
        """The fields of items from ``rows`` of fields (:data:`_ITEM_FIELDS`)."""
        if not rows:
            return cls._make([()] * len(cls._fields))
        return cls._make(zip(*rows, strict=True))


_ITEM_FIELDS = attrgetter(*_ItemFields._fields)
_ROW_ID = itemgetter(_ItemFields._fields.index("id"))
_ROW_PARENT_ID = itemgetter(_ItemFields._fields.index("parent_id"))
_ROW_TAGS = itemgetter(_ItemFields._fields.index("tags"))
_ROW_EXTRA = itemgetter(_ItemFields._fields.index("extra"))


class _ImporterColumns:
    """The columns of an importer file for a sequence of items (in the order written).

    A backlog holds hundreds of thousands of items but few distinct words, so each column is
    built in one pass in C (``map`` over the items, values turned into cells once through a
    :class:`_Memo`); only items whose ``extra`` changes a column (a Jira ref, a list value, an
    issue type or priority of their own…) are visited one by one.
    """

    def __init__(
        self,
        ids: Sequence[str],
        tags: Sequence[tuple[str, ...]],
        extras: Sequence[Mapping[str, Any]],
        *,
        backlog: Backlog,
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
        self.label_cells: _Memo[tuple[str, ...], tuple[tuple[str, ...], int]] = _Memo(
            partial(_labels, formula_starts)
        )
        self.assignee_cells: _Memo[str, tuple[str, str]] = _Memo(partial(_assignee, formula_starts))
        self.priority_cells: _Memo[int | None, str] = _Memo(_priority_name, {None: ""})
        self.estimate_cells: _Memo[float | None, str] = _Memo(_seconds, {None: ""})
        self.date_cells: _Memo[dt.date | None, str] = _Memo(format_date, {None: ""})
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
    """Write ``backlog`` as a Jira CSV importer file, column by column (see
    :class:`_ImporterColumns`)."""
    warn = context.diagnostics.warn
    items = backlog.items
    # Every field of every item in one pass, in the backlog's order: items are large objects, and
    # visiting them once, in the order they were made (and lie in memory), costs far less than a
    # visit per column in the order written. The rows of fields are then put in that order.
    rows = list(map(_ITEM_FIELDS, items))
    order = _top_down_order(items, list(map(_ROW_ID, rows)), list(map(_ROW_PARENT_ID, rows)))
    if len(order) > 1 and order != list(range(len(order))):
        rows = list(itemgetter(*order)(rows))
    columns = _ImporterColumns(
        list(map(_ROW_ID, rows)),
        list(map(_ROW_TAGS, rows)),
        list(map(_ROW_EXTRA, rows)),
        backlog=backlog,
        settings=_settings(context),
        warn=warn,
    )
    numbers = columns.numbers
    with path.open("w", encoding="utf-8", newline="") as stream:
        stream.write(csv_lines([[name] for name in columns.header]))
        for start in range(0, len(items), _ROWS_PER_BLOCK):
            block = slice(start, start + _ROWS_PER_BLOCK)
            fields = _ItemFields.of_rows(rows[block])
            stream.write(csv_lines(columns.of(fields, numbers[block])))
    if columns.spaced_labels:
        warn(
            f"{FORMAT_NAME}: {columns.spaced_labels} label(s) contained spaces, written with '_' "
            "instead"
        )


# --- reading ------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class _Columns:
    """Where each field is in a file's header; repeated headers grouped by position."""

    width: int
    fields: Mapping[str, tuple[int, ...]]
    """Canonical field -> its columns, left to right."""
    links: tuple[tuple[str, str, str, tuple[int, ...]], ...]
    """``(header, direction, link type, columns)`` of each link column group."""
    extras: tuple[tuple[str, tuple[int, ...]], ...]
    """``(header, columns)`` of every column group mbf has no field for."""
    last: int
    """Column that cells beyond the header belong to (some exports write rows wider than it)."""

    @classmethod
    def from_header(cls, header: Sequence[str], path: Path) -> _Columns:
        fields: dict[str, list[int]] = {}
        links: dict[str, tuple[str, str, list[int]]] = {}
        extras: dict[str, list[int]] = {}
        for i, raw in enumerate(header):
            name = raw.strip()
            folded = name.casefold()
            if folded.startswith(_LOCALISED_CUSTOM_FIELD):
                name = "Custom field (" + name[len(_LOCALISED_CUSTOM_FIELD) :]
                folded = name.casefold()
            field = _FIELDS.get(folded)
            link = _LINK_COLUMN.match(folded)
            if field is not None:
                fields.setdefault(field, []).append(i)
            elif link:
                links.setdefault(name, (link[1], link[2], []))[2].append(i)
            elif name:
                extras.setdefault(name, []).append(i)
        if "summary" not in fields:
            raise InputError(
                "missing column; Jira CSV files need 'Summary'", path=path, row=1, column="Summary"
            )
        return cls(
            width=len(header),
            fields={k: tuple(v) for k, v in fields.items()},
            links=tuple((h, d, t, tuple(c)) for h, (d, t, c) in links.items()),
            extras=tuple((h, tuple(c)) for h, c in extras.items()),
            last=len(header) - 1,
        )


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


@attrs.define
class _PendingLink:
    position: int
    header: str
    direction: str
    link_type: str
    keys: list[str]


class _JiraRowReader:
    """Turns the rows of a Jira CSV into work items; references are resolved at the end."""

    def __init__(self, settings: JiraCsvSettings, path: Path) -> None:
        self.path = path
        self.types = settings.types_by_kind()
        self.kind_of_type = {name.casefold(): kind for kind, name in self.types.items()}
        self.items: list[WorkItem] = []
        self.sprints: dict[str, Iteration] = {}
        self.versions: dict[str, Release] = {}
        self.item_of_issue_id: dict[str, str] = {}
        self.item_of_key: dict[str, str] = {}
        self.parents: list[tuple[int, str, bool]] = []  # (position, reference, is a key)
        self.links: list[_PendingLink] = []
        self.unknown_statuses: dict[str, int] = {}
        self.warnings: list[str] = []

    def _named(self, store: dict[str, Any], name: str, make: Callable[[str, str], Any]) -> str:
        found = store.get(name)
        if found is None:
            taken = {entry.id for entry in store.values()}
            candidate = base = slug(name) or "unnamed"
            n = 2
            while candidate in taken:
                candidate = f"{base}-{n}"
                n += 1
            found = store[name] = make(candidate, name)
        return str(found.id)

    def read_rows(self, rows: Iterator[list[str]], columns: _Columns) -> None:
        """Read every data row. Written for speed, like the Boards reader: positions are looked
        up once, a missing column points at an empty cell appended to each row, and a
        single-value field spread over repeated columns is folded into its first column."""
        path = self.path
        width = columns.width
        absent = width
        fields = columns.fields
        at = {field: indexes[0] for field, indexes in fields.items()}
        folded = [
            indexes for field, indexes in fields.items() if len(indexes) > 1 and field not in _MULTI
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
        kinds: dict[str, tuple[WorkItemKind, bool]] = {}
        categories: dict[tuple[str, str], StateCategory] = {}
        items = self.items
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

            own_id = ""
            tags: list[str] = []
            label_cells = [row[i] for i in label_columns if row[i]]
            if overflow and last in label_columns:
                label_cells += overflow
            for cell in label_cells:
                label = restore(cell.strip())
                if label.startswith(ID_LABEL_PREFIX):
                    own_id = label[len(ID_LABEL_PREFIX) :]
                elif label:
                    tags.append(label)
            if not own_id:
                own_id = f"jira:{key}" if key else f"jira:row-{row_number}"

            extra: dict[str, Any] = {}
            issue_type = row[i_type].strip()
            kind_and_kept = kinds.get(issue_type)
            if kind_and_kept is None:
                kind_and_kept = kinds[issue_type] = self.kind_of(issue_type)
            kind, keep_type = kind_and_kept
            if keep_type:
                extra[ISSUE_TYPE] = issue_type

            state = restore(row[i_status].strip()) or "To Do"
            status_category = row[i_category].strip()
            category = categories.get((state, status_category))
            if category is None:
                category = categories[state, status_category] = self.category_of(
                    state, status_category
                )
            elif state in self.unknown_statuses:
                self.unknown_statuses[state] += 1

            priority_name = row[i_priority].strip()
            priority = None
            if priority_name:
                priority = priority_of(priority_name)
                if not priority_name.isdigit() and (
                    priority is None or PRIORITY_NAMES.get(priority) != priority_name
                ):
                    extra[PRIORITY] = priority_name  # a site-specific name: keep the word itself

            address = row[i_assignee].strip()
            name = row[i_name].strip()
            if address[:1] == "'":
                address = restore(address)
            if name[:1] == "'":
                name = restore(name)
            assignee = f"{name} <{address}>" if name and address else (address or name)

            sprints = [restore(row[i].strip()) for i in sprint_columns if row[i]]
            if overflow and last in sprint_columns:
                sprints += [restore(v.strip()) for v in overflow]
            if sprints:
                sprints = [s for s in sprints if s]
                if len(sprints) > 1:  # the issue's current sprint is the last; the rest is history
                    extra[SPRINT] = sprints[:-1]
            versions = [restore(row[i].strip()) for i in version_columns if row[i]]
            if overflow and last in version_columns:
                versions += [restore(v.strip()) for v in overflow]
            if versions:
                versions = [v for v in versions if v]
                if len(versions) > 1:
                    extra[FIX_VERSION] = versions[1:]

            estimate_text = row[i_estimate].strip()
            try:
                estimate = int(float(estimate_text)) / 3600 if estimate_text else None
            except ValueError:
                raise fail(
                    f"{estimate_text!r} is not a number of seconds", "Original Estimate"
                ) from None
            start_text, due_text = row[i_start].strip(), row[i_due].strip()
            try:
                start = parse_date(start_text) if start_text else None
            except ValueError:
                raise fail(
                    f"{start_text!r} is not a date (e.g. 28/Nov/25 5:03 PM)", "Start Date"
                ) from None
            try:
                due = parse_date(due_text) if due_text else None
            except ValueError:
                raise fail(
                    f"{due_text!r} is not a date (e.g. 28/Nov/25 5:03 PM)", "Due Date"
                ) from None

            position = len(items)
            # Parents usually come first (importer files must be top-down): resolve them now, and
            # only keep a reference to a parent further down the file for the end.
            parent_id = None
            if parent := row[i_parent].strip():
                parent_id = self._resolve(parent, is_key=False)
                if parent_id is None:
                    self.parents.append((position, parent, False))
            elif parent_key := (row[i_parent_key] or row[i_epic_link]).strip():
                parent_id = self._resolve(parent_key, is_key=True)
                if parent_id is None:
                    self.parents.append((position, parent_key, True))
            for header, direction, link_type, indexes in columns.links:
                keys = [row[i].strip() for i in indexes if row[i].strip()]
                if keys:
                    self.links.append(_PendingLink(position, header, direction, link_type, keys))
            for header, indexes in columns.extras:
                found = [row[i] for i in indexes if row[i]]
                if overflow and last in indexes:
                    found += overflow
                if found:
                    found = [restore(v.replace("\r\n", "\n") if "\r" in v else v) for v in found]
                    extra[header] = found if len(indexes) > 1 or len(found) > 1 else found[0]

            description = row[i_description]
            if description:
                if "\r" in description:
                    description = description.replace("\r\n", "\n")
                description = restore(description)
            if issue_id:
                self.item_of_issue_id[issue_id] = own_id
            if key:
                self.item_of_key[key] = own_id
            items.append(
                WorkItem(
                    id=own_id,
                    kind=kind,
                    title=title,
                    description=description,
                    parent_id=parent_id,
                    state=state,
                    state_category=category,
                    assignee=assignee,
                    priority=priority,
                    tags=tags,
                    iteration_id=self._named(self.sprints, sprints[-1], _sprint)
                    if sprints
                    else None,
                    release_id=self._named(self.versions, versions[0], _version)
                    if versions
                    else None,
                    estimate=estimate,
                    start=start,
                    finish=due,
                    refs={SERVICE_NAME: TrackerRef(key=key)} if key else {},
                    extra=extra,
                )
            )

    def kind_of(self, issue_type: str) -> tuple[WorkItemKind, bool]:
        """The kind of an issue type, and whether the type must be kept (not the kind's default)."""
        kind = self.kind_of_type.get(issue_type.casefold()) or kind_of_issue_type(issue_type)
        if kind is None:
            kind = WorkItemKind.STORY
        return kind, bool(issue_type) and issue_type != self.types[kind]

    def category_of(self, state: str, status_category: str) -> StateCategory:
        """The category the ``Status Category`` cell names, else the usual one of the status."""
        category = state_category_of_status_category(status_category) or state_category_of_status(
            state
        )
        if category is None:
            self.unknown_statuses[state] = self.unknown_statuses.get(state, 0) + 1
            category = StateCategory.TODO
        return category

    def _resolve(self, reference: str, is_key: bool) -> str | None:
        first, second = (
            (self.item_of_key, self.item_of_issue_id)
            if is_key
            else (self.item_of_issue_id, self.item_of_key)
        )
        return first.get(reference) or second.get(reference)

    def backlog(self) -> Backlog:
        items = self.items
        unresolved_parents = 0
        for position, reference, is_key in self.parents:
            parent_id = self._resolve(reference, is_key)
            if parent_id is not None:
                items[position] = attrs.evolve(items[position], parent_id=parent_id)
            else:  # parent outside the export: keep the reference for the importer
                items[position] = attrs.evolve(
                    items[position], extra={**items[position].extra, PARENT: reference}
                )
                unresolved_parents += 1
        self._apply_links()
        if unresolved_parents:
            self.warnings.append(
                f"{FORMAT_NAME}: {unresolved_parents} issue(s) have a parent that is not in the file; "
                f"it is kept in the extra field {PARENT!r}"
            )
        for status, times in sorted(self.unknown_statuses.items()):
            self.warnings.append(
                f"{FORMAT_NAME}: status {status!r} ({times} issue(s)) has no status category; "
                "counted as to do"
            )
        return Backlog(
            items=items,
            iterations=tuple(self.sprints.values()),
            releases=tuple(self.versions.values()),
        )

    def _apply_links(self) -> None:
        """Turn Blocks and Relates columns into links, each once, on the item that depends."""
        items = self.items
        new_links: dict[int, list[Link]] = {}
        seen: set[tuple[str, str, str]] = set()
        position_of = {item.id: n for n, item in enumerate(items)}
        unresolved = 0
        for pending in self.links:
            holder = items[pending.position].id
            kept: list[str] = []
            for key in pending.keys:
                other = self.item_of_key.get(key)
                if other is None:
                    kept.append(key)
                    continue
                if pending.link_type == "blocks":
                    # "A is blocked by B" (inward on A) and "B blocks A" (outward on B): A depends on B.
                    dependent, predecessor = (
                        (holder, other) if pending.direction == "inward" else (other, holder)
                    )
                    kind = LinkKind.DEPENDS_ON
                else:
                    dependent, predecessor = sorted((holder, other))
                    kind = LinkKind.RELATES_TO
                if (dependent, predecessor, kind) in seen:
                    continue
                seen.add((dependent, predecessor, kind))
                new_links.setdefault(position_of[dependent], []).append(
                    Link(target_id=predecessor, kind=kind)
                )
            if kept:  # issues outside the export: keep their keys so nothing is lost
                unresolved += len(kept)
                item = items[pending.position]
                items[pending.position] = attrs.evolve(
                    item, extra={**item.extra, pending.header: kept}
                )
        for position, links in new_links.items():
            items[position] = attrs.evolve(items[position], links=(*items[position].links, *links))
        if unresolved:
            self.warnings.append(
                f"{FORMAT_NAME}: {unresolved} issue link(s) point outside the file; "
                "kept in extra under their column"
            )


def _sprint(identifier: str, name: str) -> Iteration:
    return Iteration(id=identifier, name=name)


def _version(identifier: str, name: str) -> Release:
    return Release(id=identifier, name=name)


def _read(path: Path, context: Context, encoding: str) -> tuple[Backlog, list[str]]:
    reader = _JiraRowReader(_settings(context), path)
    errors = "strict" if encoding.startswith("utf-8") else "replace"
    with path.open(encoding=encoding, errors=errors, newline="") as stream:
        rows = csv.reader(stream, strict=True)  # an unclosed quote must not eat the file
        try:
            header = next(rows, None)
        except csv.Error as exc:
            raise InputError(f"malformed CSV: {exc}", path=path, row=1) from None
        if header is None:
            raise InputError("the file is empty; expected a header with 'Summary'", path=path)
        reader.read_rows(rows, _Columns.from_header(header, path))
    backlog = reader.backlog()
    return backlog, reader.warnings


def read_jira_csv(path: Path, context: Context) -> Backlog:
    """Read a Jira CSV: an importer file (e.g. written by mbf) or an "all fields" export."""
    try:
        backlog, warnings = _read(path, context, "utf-8-sig")
    except UnicodeDecodeError:  # Excel's "Save as CSV" gives Windows-1252
        backlog, warnings = _read(path, context, "cp1252")
    for warning in warnings:
        context.diagnostics.warn(warning)
    return backlog
