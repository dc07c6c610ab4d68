"""The backlog: work items in a hierarchy, planned into iterations and releases."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import attrs

from mbf.domain._converters import as_dict, as_tuple, to_float, to_optional_float, to_tuple
from mbf.domain.enums import DependencyType, LinkKind, StateCategory, WorkItemKind

__all__ = [
    "Backlog",
    "DependencyType",
    "Iteration",
    "Link",
    "LinkKind",
    "Release",
    "StateCategory",
    "TrackerRef",
    "WorkItem",
    "WorkItemKind",
    "field_changes",
    "with_changes",
    "with_fields",
]


@attrs.frozen(kw_only=True)
class Link:
    """A typed link from the item that holds it to another item."""

    target_id: str
    """Id of the item linked to (for depends-on: the predecessor)."""
    kind: LinkKind = LinkKind.DEPENDS_ON
    """Meaning of the link."""
    type: DependencyType = DependencyType.FS
    """Scheduling type; only meaningful for depends-on links."""
    lag_hours: float = attrs.field(default=0.0, converter=to_float)
    """Delay after the predecessor's date before this item may start or finish (negative: lead)."""


@attrs.frozen(kw_only=True)
class TrackerRef:
    """Where an item lives in one tracker service, recorded by push and pull."""

    key: str
    """The tracker's own key, e.g. ``MIG-42`` or ``1234``."""
    url: str = ""
    """Browser address of the item."""
    version: str = ""
    """The tracker's revision or update stamp when last synchronised."""


# Not slotted, unlike the other classes: a frozen slotted class sets each field through
# object.__setattr__, a dict-backed one stores into its __dict__. With 19 fields that makes
# building an item 40 % faster and lets with_fields() copy one as a dict; a backlog holds
# hundreds of thousands of items, built several times per command. The cost is about 100 bytes
# per item (40 MB at 359,000 items). For the same reason its converters are the builtins
# themselves (a C call each), not the Python functions of _converters.
@attrs.frozen(kw_only=True, slots=False)
class WorkItem:
    """One backlog item: an epic, feature, user story or task."""

    id: str
    """Deterministic id derived from the estate ids it stands for (``story:srv01``)."""
    kind: WorkItemKind
    """Level in the hierarchy."""
    title: str
    """One-line title."""
    description: str = ""
    """Longer text (plain text or Markdown)."""
    parent_id: str | None = None
    """Id of the parent item; ``None`` for a top-level item."""
    state: str = "New"
    """The tracker's own state word, e.g. ``Active`` or ``In Progress``."""
    state_category: StateCategory = StateCategory.TODO
    """What the state means, independent of the tracker's vocabulary."""
    assignee: str = ""
    """Person responsible, as ``Name <upn>`` or the tracker's user name."""
    priority: int | None = None
    """Priority, 1 being the highest."""
    tags: tuple[str, ...] = attrs.field(default=(), converter=as_tuple)
    """Labels, in the order given."""
    iteration_id: str | None = None
    """Id of the :class:`Iteration` the item is planned in."""
    release_id: str | None = None
    """Id of the :class:`Release` the item ships in."""
    estimate: float | None = attrs.field(default=None, converter=to_optional_float)
    """Estimated effort in hours."""
    start: dt.date | None = None
    """Planned start date."""
    finish: dt.date | None = None
    """Planned finish date."""
    links: tuple[Link, ...] = attrs.field(default=(), converter=as_tuple)
    """Links to other items (dependencies and relations)."""
    source: tuple[str, ...] = attrs.field(default=(), converter=as_tuple)
    """Ids of the estate objects the item stands for (datacenter, workload or server ids)."""
    refs: Mapping[str, TrackerRef] = attrs.field(factory=dict, converter=as_dict)
    """Per tracker service name, where the item lives there."""
    extra: Mapping[str, Any] = attrs.field(factory=dict, converter=as_dict)
    """Tracker-specific fields with no core field (custom fields); kept through round trips."""


def with_fields(item: WorkItem, **changes: Any) -> WorkItem:
    """A copy of ``item`` with ``changes``, like ``attrs.evolve`` but without the converters: the
    engine's hot paths use it, with values already of their field's type (tuples, dicts,
    floats, dates), which are not copied. An unknown field name raises ``TypeError``, as
    ``attrs.evolve`` does."""
    return with_changes(item, field_changes(**changes))


def field_changes(**changes: Any) -> Mapping[str, Any]:
    """``changes`` checked once, for :func:`with_changes` to apply to many items (a planned
    iteration's fields to every item of a workload). An unknown field name raises
    ``TypeError``, as ``attrs.evolve`` does."""
    unknown = changes.keys() - _WORK_ITEM_FIELDS
    if unknown:
        raise TypeError(f"WorkItem has no field {sorted(unknown)[0]!r}")
    return changes


def with_changes(item: WorkItem, changes: Mapping[str, Any]) -> WorkItem:
    """A copy of ``item`` with ``changes`` from :func:`field_changes`, as :func:`with_fields`
    makes it."""
    copy = object.__new__(WorkItem)
    state = copy.__dict__
    state.update(item.__dict__)  # first all fields in order: the copy shares its dict's keys
    state.update(changes)
    return copy


@attrs.frozen(kw_only=True)
class Iteration:
    """A time box (sprint) with a capacity."""

    id: str
    """Stable id, e.g. ``sprint-3``."""
    name: str
    """Display name, e.g. ``Sprint 3``."""
    path: str = ""
    """Tracker path, e.g. ``Contoso\\Sprint 3`` in Azure DevOps."""
    start: dt.date | None = None
    """First day."""
    finish: dt.date | None = None
    """Last day (inclusive)."""
    capacity: float | None = attrs.field(default=None, converter=to_optional_float)
    """How much fits, in the unit the project plans with (servers or hours)."""


@attrs.frozen(kw_only=True)
class Release:
    """Workloads promoted to production together."""

    id: str
    """Stable id, e.g. ``release-2``."""
    name: str
    """Display name."""
    date: dt.date | None = None
    """Planned release date."""
    workload_ids: tuple[str, ...] = attrs.field(default=(), converter=to_tuple)
    """Ids of the workloads in the release."""


@attrs.frozen(kw_only=True)
class Backlog:
    """A migration backlog: items, and the iterations and releases they are planned into."""

    items: tuple[WorkItem, ...] = attrs.field(default=(), converter=to_tuple)
    """Work items; parents come before children when written."""
    iterations: tuple[Iteration, ...] = attrs.field(default=(), converter=to_tuple)
    """Iterations in date order."""
    releases: tuple[Release, ...] = attrs.field(default=(), converter=to_tuple)
    """Releases in date order."""


_WORK_ITEM_FIELDS = frozenset(field.name for field in attrs.fields(WorkItem))
