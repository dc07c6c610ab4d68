"""What both ways of reading a Jira CSV share (:mod:`.csv_reader` reads rows, :mod:`.column_reader`
columns): where each field is in the header, what a cell means, and the backlog being built,
field by field, with the parents and issue links only the whole file resolves.

Every cell's meaning is worked out by one function here, whichever way the file is read, so
both ways give the same backlog.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import count
from pathlib import Path
from typing import Any, Generic, NamedTuple, TypeVar

import attrs

from mbf.domain import (
    Iteration,
    Link,
    LinkKind,
    Release,
    StateCategory,
    WorkItemKind,
    slug,
)
from mbf.domain.columns import BacklogColumns, ItemColumns
from mbf.errors import InputError
from mbf.tabular import Memo
from mbf_jira.cells import parse_date, restore
from mbf_jira.csv_format import HEADER_FIELDS, ID_LABEL_PREFIX, PARENT
from mbf_jira.format import FORMAT_NAME, JiraCsvSettings
from mbf_jira.vocabulary import (
    PRIORITY_NAMES,
    kind_of_issue_type,
    priority_of,
    state_category_of_status,
    state_category_of_status_category,
)

__all__ = [
    "DATE",
    "DUE_DATE",
    "ESTIMATE",
    "ITEM_FIELDS",
    "MULTI_VALUE",
    "BacklogBuilder",
    "CellParser",
    "HeaderColumns",
    "Irregular",
    "Memo",
    "PendingLink",
    "assignee_of",
    "description_of",
    "extra_value",
    "label_fields",
    "named_values",
    "priority_fields",
    "state_of",
]

_LINK_COLUMN = re.compile(r"^(inward|outward) issue link \((blocks|relates)\)$")
_LOCALISED_CUSTOM_FIELD = "champs personnalisés ("
MULTI_VALUE = frozenset({"labels", "sprint", "fix_version"})
"""Fields that hold a value per column; another field's repeated columns hold one value, the
first filled."""


@attrs.frozen(kw_only=True)
class HeaderColumns:
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
    def from_header(cls, header: Sequence[str], path: Path) -> HeaderColumns:
        """The columns of ``header``; an error when it has no ``Summary``."""
        fields: dict[str, list[int]] = {}
        links: dict[str, tuple[str, str, list[int]]] = {}
        extras: dict[str, list[int]] = {}
        for i, raw in enumerate(header):
            name = raw.strip()
            folded = name.casefold()
            if folded.startswith(_LOCALISED_CUSTOM_FIELD):
                name = "Custom field (" + name[len(_LOCALISED_CUSTOM_FIELD) :]
                folded = name.casefold()
            field = HEADER_FIELDS.get(folded)
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


class Irregular(Exception):
    """A file the column path leaves to the row path (see :func:`.column_reader.read_columns`)."""


_K = TypeVar("_K")
_V = TypeVar("_V")
_T = TypeVar("_T")


class CellParser(NamedTuple, Generic[_T]):
    """How to read one column's non-empty cells, and what to say when a cell cannot be read."""

    column: str
    parse: Callable[[str], _T]
    """Raises ``ValueError`` (or ``OverflowError``) for a cell it cannot read."""
    problem: str
    """What the cell is not, after its quoted text."""

    def value(self, cell: str) -> _T | None:
        """The value of ``cell`` (``None`` when blank); :class:`Irregular` when it cannot be
        read, for the row path to word the error."""
        text = cell.strip()
        if not text:
            return None
        try:
            return self.parse(text)
        except (ValueError, OverflowError):
            raise Irregular from None

    def checked(self, cell: str, path: Path, row: int) -> _T | None:
        """The value of ``cell`` (``None`` when blank), or the error naming its file, row and
        column."""
        text = cell.strip()
        if not text:
            return None
        try:
            return self.parse(text)
        except (ValueError, OverflowError):  # (int() of an infinite float overflows)
            raise InputError(
                f"{text!r} {self.problem}", path=path, row=row, column=self.column
            ) from None


def _hours(seconds: str) -> float:
    return int(float(seconds)) / 3600


ESTIMATE = CellParser("Original Estimate", _hours, "is not a number of seconds")
"""``Original Estimate``: whole seconds, read as hours."""
DATE = CellParser("Start Date", parse_date, "is not a date (e.g. 28/Nov/25 5:03 PM)")
"""``Start Date`` (``Due Date`` words its errors with :data:`DUE_DATE`)."""
DUE_DATE = DATE._replace(column="Due Date")
"""``Due Date``: read as :data:`DATE`."""


def label_fields(cells: Iterable[str]) -> tuple[str, tuple[str, ...]]:
    """A row's own id (its last ``mbf:`` label; empty when none) and other labels, from its
    label cells."""
    own_id = ""
    tags: list[str] = []
    for cell in cells:
        if not cell:
            continue
        label = restore(cell.strip())
        if label.startswith(ID_LABEL_PREFIX):
            own_id = label[len(ID_LABEL_PREFIX) :]
        elif label:
            tags.append(label)
    return own_id, tuple(tags)


def state_of(cell: str) -> str:
    """A ``Status`` cell's state (``To Do`` when blank)."""
    return restore(cell.strip()) or "To Do"


def priority_fields(cell: str) -> tuple[int | None, str | None]:
    """A ``Priority`` cell's priority, and the word itself when it is a site's own (kept in
    ``extra``)."""
    name = cell.strip()
    if not name:
        return None, None
    priority = priority_of(name)
    if not name.isdigit() and (priority is None or PRIORITY_NAMES.get(priority) != name):
        return priority, name  # a site-specific name: keep the word itself
    return priority, None


def assignee_of(address_cell: str, name_cell: str) -> str:
    """The assignee of an ``Assignee`` (e-mail address) and ``Assignee Name`` cell."""
    address = address_cell.strip()
    name = name_cell.strip()
    if address[:1] == "'":
        address = restore(address)
    if name[:1] == "'":
        name = restore(name)
    return f"{name} <{address}>" if name and address else (address or name)


def named_values(cells: Iterable[str]) -> list[str]:
    """The names a row's ``Sprint`` or ``Fix Version`` cells hold, blank ones left out."""
    return [name for name in (restore(cell.strip()) for cell in cells if cell) if name]


def extra_value(cell: str) -> str:
    """A cell of a column mbf has no field for, as kept in ``extra``."""
    return restore(cell.replace("\r\n", "\n") if "\r" in cell else cell)


def description_of(cell: str) -> str:
    """A ``Description`` cell as the item's text."""
    if cell:
        if "\r" in cell:
            cell = cell.replace("\r\n", "\n")
        cell = restore(cell)
    return cell


class PendingLink(NamedTuple):
    """The issue keys a row's link columns name, resolved once the whole file is read."""

    position: int
    header: str
    direction: str
    link_type: str
    keys: list[str]


ITEM_FIELDS = (
    "id", "kind", "title", "description", "parent_id", "state", "state_category", "assignee",
    "priority", "tags", "iteration_id", "release_id", "estimate", "start", "finish", "refs",
    "extra",
)  # fmt: skip
"""The item fields a Jira file gives (``links`` are added at the end), in the order the
readers give each row's values."""
_PARENT_AT = ITEM_FIELDS.index("parent_id")
_EXTRA_AT = ITEM_FIELDS.index("extra")


def _named(store: dict[str, Any], make: Callable[[str, str], Any], name: str) -> str:
    """The id of the sprint or version ``name`` in ``store``, made unique on its first use."""
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


def _sprint(identifier: str, name: str) -> Iteration:
    return Iteration(id=identifier, name=name)


def _version(identifier: str, name: str) -> Release:
    return Release(id=identifier, name=name)


class BacklogBuilder:
    """The backlog of a Jira CSV as it is read: a list per item field (:data:`ITEM_FIELDS`),
    the sprints and versions named so far, and the references to parents and linked issues
    that are resolved when the whole file is read (:meth:`finish`)."""

    def __init__(self, settings: JiraCsvSettings) -> None:
        self.types = settings.types_by_kind()
        self.kind_of_type = {name.casefold(): kind for kind, name in self.types.items()}
        self.fields: tuple[list[Any], ...] = tuple([] for _ in ITEM_FIELDS)
        self.sprints: dict[str, Iteration] = {}
        self.versions: dict[str, Release] = {}
        self.item_of_issue_id: dict[str, str] = {}
        self.item_of_key: dict[str, str] = {}
        self.parents: list[tuple[int, str, bool]] = []  # (position, reference, is a key)
        self.links: list[PendingLink] = []
        self.unknown_statuses: dict[str, int] = {}
        self.warnings: list[str] = []

    def extend(self, values: Iterable[Iterable[Any]]) -> None:
        """Add rows given as a sequence of values per field (:data:`ITEM_FIELDS`)."""
        if not self.fields[0]:  # the first rows: their lists become the fields (no copy)
            self.fields = tuple(
                column if isinstance(column, list) else list(column) for column in values
            )
            if len(self.fields) != len(ITEM_FIELDS):
                raise ValueError(f"rows need {len(ITEM_FIELDS)} fields")
            return
        for field, column in zip(self.fields, values, strict=True):
            field.extend(column)

    def sprint_id(self, name: str) -> str:
        """The id of the sprint ``name`` (its iteration made on first use)."""
        return _named(self.sprints, _sprint, name)

    def version_id(self, name: str) -> str:
        """The id of the version ``name`` (its release made on first use)."""
        return _named(self.versions, _version, name)

    def type_fields(self, cell: str) -> tuple[str, WorkItemKind, bool]:
        """An ``Issue Type`` cell's type, its kind, and whether the type must be kept (it is
        not the kind's default)."""
        issue_type = cell.strip()
        kind = self.kind_of_type.get(issue_type.casefold()) or kind_of_issue_type(issue_type)
        if kind is None:
            kind = WorkItemKind.STORY
        return issue_type, kind, bool(issue_type) and issue_type != self.types[kind]

    @staticmethod
    def category_of(state: str, status_category: str) -> tuple[StateCategory, bool]:
        """The category the ``Status Category`` cell names, else the usual one of the status;
        and whether neither tells it (the item is counted as to do)."""
        category = state_category_of_status_category(status_category) or state_category_of_status(
            state
        )
        if category is None:
            return StateCategory.TODO, True
        return category, False

    def count_unknown(self, state: str, times: int = 1) -> None:
        """Count ``times`` items whose status ``state`` has no category."""
        self.unknown_statuses[state] = self.unknown_statuses.get(state, 0) + times

    def resolve(self, reference: str, is_key: bool) -> str | None:
        """The id of the item a parent reference (an issue key, or an issue id) names."""
        first, second = (
            (self.item_of_key, self.item_of_issue_id)
            if is_key
            else (self.item_of_issue_id, self.item_of_key)
        )
        return first.get(reference) or second.get(reference)

    def finish(self) -> BacklogColumns:
        """The backlog read: parents further down the file and issue links resolved, the
        warnings (unresolved references, statuses without a category) added."""
        fields = self.fields
        parents, extras = fields[_PARENT_AT], fields[_EXTRA_AT]
        unresolved_parents = 0
        for position, reference, is_key in self.parents:
            parent_id = self.resolve(reference, is_key)
            if parent_id is not None:
                parents[position] = parent_id
            else:  # parent outside the export: keep the reference for the importer
                extras[position] = {**extras[position], PARENT: reference}
                unresolved_parents += 1
        columns = dict(zip(ITEM_FIELDS, fields, strict=True))
        if self.links:
            columns["links"] = self._links()
        if unresolved_parents:
            self.warnings.append(
                f"{FORMAT_NAME}: {unresolved_parents} issue(s) have a parent that is not in the "
                f"file; it is kept in the extra field {PARENT!r}"
            )
        for status, times in sorted(self.unknown_statuses.items()):
            self.warnings.append(
                f"{FORMAT_NAME}: status {status!r} ({times} issue(s)) has no status category; "
                "counted as to do"
            )
        return BacklogColumns(
            items=ItemColumns(columns),
            iterations=tuple(self.sprints.values()),
            releases=tuple(self.versions.values()),
        )

    def _links(self) -> list[tuple[Link, ...]]:
        """Each item's links from the Blocks and Relates columns, each once, on the item that
        depends; keys of issues outside the file are kept in ``extra`` under their column."""
        ids, extras = self.fields[0], self.fields[_EXTRA_AT]
        new_links: dict[int, list[Link]] = {}
        seen: set[tuple[str, str, str]] = set()
        position_of = dict(zip(ids, count()))
        unresolved = 0
        for pending in self.links:
            holder = ids[pending.position]
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
                extras[pending.position] = {**extras[pending.position], pending.header: kept}
        links: list[tuple[Link, ...]] = [()] * len(ids)
        for position, found in new_links.items():
            links[position] = tuple(found)
        if unresolved:
            self.warnings.append(
                f"{FORMAT_NAME}: {unresolved} issue link(s) point outside the file; "
                "kept in extra under their column"
            )
        return links
