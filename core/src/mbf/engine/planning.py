"""What planning reads from a backlog, how a plan is written back into it, and the plan summary.

Planning reads only the backlog and mbf.toml, never the estate. From the backlog it takes, per
feature (workload): its datacenter (the ``source`` of its parent epic), ``extra["strategy"]``,
``extra["environment"]``, ``extra["application"]`` and ``extra["move_group"]``; its servers (the
stories under it; a retired workload moves none), its hours (estimates of its open tasks), its open
remediation tasks (ids ``task:<server>/remediate/<hash>``) and its ``depends-on`` links to other
features. From each epic: ``extra["lease_end"]`` and ``extra["blackout"]``, which
``[[datacenters]]`` in mbf.toml overrides, and its rank (``priority``).

A plan sets, on each planned feature and everything under it, ``iteration_id``, ``start``,
``finish`` and ``release_id`` (remediation tasks land ``remediation_lead`` iterations earlier);
epics get the span of their features. Iteration ids are ``iteration-<n>``, releases
``release-<n>``.
"""

from __future__ import annotations

import datetime as dt
import re
import weakref
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from mbf.config import MbfConfig
from mbf.domain import (
    Backlog,
    BlackoutWindow,
    Iteration,
    LinkKind,
    MigrationStrategy,
    Release,
    StateCategory,
    WorkItem,
    WorkItemKind,
)
from mbf.domain.backlog import field_changes, with_changes, with_fields

__all__ = [
    "NON_PROD_ENVIRONMENTS",
    "DatacenterInfo",
    "PlanSummary",
    "PlanningModel",
    "WorkloadUnit",
    "apply_plan",
    "feature_index",
    "format_summary",
    "is_remediation",
    "plan_summary",
    "read_planning_model",
    "remember_model",
]

NON_PROD_ENVIRONMENTS = frozenset(
    {"dev", "development", "test", "testing", "qa", "uat", "staging", "stage", "sit", "preprod",
     "pre-prod", "acceptance", "sandbox", "lab", "demo", "training", "nonprod", "non-prod"}
)  # fmt: skip
"""Environments that count as dev/test; anything else (or nothing) counts as production, as
Azure Migrate's wave planning assumes for unmapped workloads."""

_BLACKOUT_LINE = re.compile(
    r"^\s*(\d{4}-\d{2}-\d{2})\s*\.\.\s*(\d{4}-\d{2}-\d{2})\s*(?::\s*(.*))?$"
)
_REMEDIATION = "/remediate/"


def is_remediation(item: WorkItem) -> bool:
    """Whether ``item`` is a remediation task (by the id contract of the remediation rule)."""
    return item.kind is WorkItemKind.TASK and _REMEDIATION in item.id


@attrs.frozen(kw_only=True)
class DatacenterInfo:
    """A datacenter as planning sees it: from its epic, with mbf.toml's overrides."""

    id: str
    """Datacenter id (the epic's source)."""
    epic_id: str
    """Its epic."""
    title: str
    """Epic title, for messages."""
    rank: int
    """Position in business order, 1 first."""
    lease_end: dt.date | None = None
    """Date by which it must be empty."""
    blackout: tuple[BlackoutWindow, ...] = ()
    """Change freezes: no migration of it in an iteration that overlaps one."""


@attrs.frozen(kw_only=True)
class WorkloadUnit:
    """One feature to place: a workload that moves whole, in one iteration."""

    feature_id: str
    """The feature."""
    datacenter_id: str
    """Datacenter of its parent epic (``""`` when it has no epic)."""
    rank: int
    """Business rank of that datacenter."""
    position: int
    """Position of the feature in the backlog (tie-break, keeps estate order)."""
    strategy: str
    """``rehost`` ... ``retire``."""
    production: bool
    """Whether it counts as production (for dev/test-before-prod)."""
    application: str
    """Application key: dev/test and prod workloads of one application share it."""
    move_group: str | None
    """Strongly coupled workloads share a move group and move together."""
    servers: int
    """Servers it migrates (0 for a retired workload)."""
    hours: float
    """Hours of its open tasks, remediation excluded."""
    remediation_hours: float
    """Hours of its open remediation tasks."""
    remediation_ids: tuple[str, ...]
    """Its open remediation tasks."""
    depends_on: tuple[str, ...]
    """Features it depends on (they move in the same or an earlier iteration)."""
    pinned: int | None = None
    """Iteration number it already has because work on it has started."""


@attrs.frozen(kw_only=True)
class PlanningModel:
    """Everything a strategy needs from a backlog."""

    units: tuple[WorkloadUnit, ...]
    """Features to place, in backlog order."""
    datacenters: Mapping[str, DatacenterInfo]
    """By datacenter id."""
    feature_of: Mapping[str, str] = attrs.field(factory=dict)
    """Item id -> its feature's id (see :func:`feature_index`), for :func:`apply_plan`."""


def _parse_blackout(text: str) -> tuple[BlackoutWindow, ...]:
    windows = []
    for line in text.splitlines():
        match = _BLACKOUT_LINE.match(line)
        if match:
            windows.append(
                BlackoutWindow(
                    start=dt.date.fromisoformat(match[1]),
                    end=dt.date.fromisoformat(match[2]),
                    reason=(match[3] or "").strip(),
                )
            )
    return tuple(windows)


def _parse_date(text: object) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(text)) if text else None
    except ValueError:
        return None


def _datacenters(epics: list[WorkItem], config: MbfConfig) -> dict[str, DatacenterInfo]:
    configured = {dc.id: dc for dc in config.datacenters}
    rows = []
    for position, epic in enumerate(epics):
        dc_id = epic.source[0] if epic.source else epic.id
        override = configured.get(dc_id)
        lease_end = _parse_date(epic.extra.get("lease_end"))
        blackout = _parse_blackout(str(epic.extra.get("blackout", "")))
        priority = None
        if override is not None:
            lease_end = override.lease_end if override.lease_end is not None else lease_end
            blackout = override.blackout or blackout
            priority = override.priority
        rows.append((dc_id, epic, lease_end, blackout, priority, position))
    rows.sort(
        key=lambda r: (
            r[2] is None,
            r[2] or dt.date.max,
            r[4] is None,
            r[4] or 0,
            r[1].priority if r[1].priority is not None else len(rows) + 1,
            r[5],
        )
    )
    return {
        dc_id: DatacenterInfo(
            id=dc_id,
            epic_id=epic.id,
            title=epic.title,
            rank=rank,
            lease_end=lease_end,
            blackout=blackout,
        )
        for rank, (dc_id, epic, lease_end, blackout, _, _) in enumerate(rows, start=1)
    }


def _pinned(feature: WorkItem) -> int | None:
    if feature.state_category is StateCategory.TODO or feature.iteration_id is None:
        return None
    number = feature.iteration_id.removeprefix("iteration-")
    return int(number) if number.isdigit() and int(number) > 0 else None


def feature_index(items: Iterable[WorkItem]) -> dict[str, str]:
    """Item id -> id of the feature it belongs to (a feature belongs to itself); items above or
    outside any feature are left out. One pass resolves every item that comes after its parent,
    as in a backlog in hierarchy order; the rest are resolved a level per pass afterwards."""
    feature, epic = WorkItemKind.FEATURE, WorkItemKind.EPIC
    owner: dict[str, str] = {}
    pending: dict[str, str] = {}
    for item in items:
        if item.kind is feature:
            owner[item.id] = item.id
        elif item.kind is not epic and item.parent_id is not None:
            found = owner.get(item.parent_id)
            if found is None:
                pending[item.id] = item.parent_id
            else:
                owner[item.id] = found
    while pending:
        resolved = {child: owner[parent] for child, parent in pending.items() if parent in owner}
        if not resolved:
            break  # what is left hangs under an epic, outside the backlog or in a cycle
        owner.update(resolved)
        pending = {child: parent for child, parent in pending.items() if child not in resolved}
    return owner


def read_planning_model(backlog: Backlog, config: MbfConfig) -> PlanningModel:
    """The workloads to place and the datacenters they leave, read from ``backlog`` in one pass
    over its items (linear in the number of items)."""
    items = backlog.items
    epics = [item for item in items if item.kind is WorkItemKind.EPIC]
    datacenters = _datacenters(epics, config)
    dc_of_epic = {info.epic_id: info for info in datacenters.values()}
    feature_of = feature_index(items)
    servers: defaultdict[str, int] = defaultdict(int)
    hours: defaultdict[str, float] = defaultdict(float)
    remediation_hours: defaultdict[str, float] = defaultdict(float)
    remediation_ids: defaultdict[str, list[str]] = defaultdict(list)
    features: list[tuple[int, WorkItem]] = []
    story, task, feature, done = (
        WorkItemKind.STORY,
        WorkItemKind.TASK,
        WorkItemKind.FEATURE,
        StateCategory.DONE,
    )
    # One pass, the kind tested first: a backlog is mostly tasks, then stories.
    for position, item in enumerate(items):
        kind = item.kind
        if kind is task:
            feature_id = feature_of.get(item.id)
            if feature_id is None or item.state_category is done:
                continue
            if _REMEDIATION in item.id:
                remediation_hours[feature_id] += item.estimate or 0.0
                remediation_ids[feature_id].append(item.id)
            else:
                hours[feature_id] += item.estimate or 0.0
        elif kind is story:
            feature_id = feature_of.get(item.id)
            if feature_id is not None:
                servers[feature_id] += 1
        elif kind is feature:
            features.append((position, item))
    feature_ids = {item.id for _, item in features}
    last_rank = len(datacenters) + 1
    units = []
    for position, item in features:
        strategy = str(item.extra.get("strategy", MigrationStrategy.REHOST.value))
        if strategy == MigrationStrategy.RETAIN.value or item.state_category is done:
            continue
        dc = dc_of_epic.get(item.parent_id or "")
        environment = str(item.extra.get("environment", "")).strip().lower()
        move_group = str(item.extra.get("move_group", "")).strip() or None
        units.append(
            WorkloadUnit(
                feature_id=item.id,
                datacenter_id=dc.id if dc else "",
                rank=dc.rank if dc else last_rank,
                position=position,
                strategy=strategy,
                production=environment not in NON_PROD_ENVIRONMENTS,
                application=str(item.extra.get("application", "")) or item.title,
                move_group=move_group,
                servers=0 if strategy == MigrationStrategy.RETIRE.value else servers[item.id],
                hours=hours[item.id],
                remediation_hours=remediation_hours[item.id],
                remediation_ids=tuple(remediation_ids[item.id]),
                depends_on=tuple(
                    dict.fromkeys(
                        link.target_id
                        for link in item.links
                        if link.kind is LinkKind.DEPENDS_ON
                        and link.target_id in feature_ids
                        and link.target_id != item.id
                    )
                ),
                pinned=_pinned(item),
            )
        )
    return PlanningModel(units=tuple(units), datacenters=datacenters, feature_of=feature_of)


def _plan_fields(iteration: Iteration, release_id: str | None) -> Mapping[str, Any]:
    return field_changes(
        iteration_id=iteration.id,
        release_id=release_id,
        start=iteration.start,
        finish=iteration.finish,
    )


def apply_plan(
    backlog: Backlog,
    placement: Mapping[str, int],
    iterations: Iterable[Iteration],
    releases: Iterable[Release],
    *,
    remediation_lead: int,
    feature_of: Mapping[str, str] | None = None,
) -> Backlog:
    """``backlog`` with each feature of ``placement`` (feature id -> iteration number) and its
    descendants planned; other items lose any earlier plan, epics span their features.
    ``feature_of`` is :func:`feature_index` of the backlog, when the caller has it already."""
    iteration_list = tuple(iterations)
    release_list = tuple(releases)
    by_number = dict(enumerate(iteration_list, start=1))
    release_of = {wid: r.id for r in release_list for wid in r.workload_ids}
    if feature_of is None:
        feature_of = feature_index(backlog.items)
    feature, task, epic = WorkItemKind.FEATURE, WorkItemKind.TASK, WorkItemKind.EPIC
    # Per placed feature, worked out once: the fields of its items (its iteration and release)
    # and those of its open remediation tasks (an earlier iteration), and its iteration.
    targets: dict[str, tuple[Mapping[str, Any], Mapping[str, Any], Iteration]] = {}
    for item in backlog.items:
        if item.kind is feature and item.id in placement:
            number = placement[item.id]
            release_id = release_of.get(item.source[0] if item.source else "")
            iteration = by_number[number]
            remediation = by_number[max(1, number - remediation_lead)]
            targets[item.id] = (
                _plan_fields(iteration, release_id),
                _plan_fields(remediation, release_id),
                iteration,
            )
    unplan = field_changes(iteration_id=None, release_id=None, start=None, finish=None)
    spans: dict[str, tuple[dt.date, dt.date]] = {}
    planned: list[WorkItem] = []
    append = planned.append
    for item in backlog.items:
        kind = item.kind
        if kind is epic:
            append(item)
            continue
        feature_id = feature_of.get(item.id)
        target = targets.get(feature_id) if feature_id is not None else None
        if target is None:
            unplanned = (
                item.iteration_id is None
                and item.release_id is None
                and item.start is None
                and item.finish is None
            )
            append(item if unplanned else with_changes(item, unplan))
            continue
        changes, remediation_changes, iteration = target
        if (
            kind is task
            and _REMEDIATION in item.id
            and item.state_category is not StateCategory.DONE
        ):
            changes = remediation_changes
        append(with_changes(item, changes))
        if kind is feature and item.parent_id and iteration.start and iteration.finish:
            first, last = spans.get(item.parent_id, (iteration.start, iteration.finish))
            spans[item.parent_id] = (min(first, iteration.start), max(last, iteration.finish))
    result = tuple(
        with_fields(item, start=spans[item.id][0], finish=spans[item.id][1])
        if item.kind is epic and item.id in spans
        else item
        for item in planned
    )
    return Backlog(items=result, iterations=iteration_list, releases=release_list)


# -- summary -----------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class IterationLoad:
    """What one iteration holds."""

    iteration: Iteration
    """The iteration."""
    workloads: int
    """Features planned in it."""
    servers: int
    """Servers migrated in it."""
    hours: float
    """Hours of open work in it (remediation included where it lands)."""


@attrs.frozen(kw_only=True)
class DatacenterFinish:
    """When a datacenter is empty, against its lease end."""

    datacenter: DatacenterInfo
    """The datacenter."""
    last_iteration: Iteration | None
    """Iteration of its last workload (``None``: nothing of it is planned)."""

    @property
    def days_to_spare(self) -> int | None:
        """Days between emptying and the lease end (negative: late); ``None`` when unknown."""
        lease_end = self.datacenter.lease_end
        if lease_end is None or self.last_iteration is None or self.last_iteration.finish is None:
            return None
        return (lease_end - self.last_iteration.finish).days


@attrs.frozen(kw_only=True)
class PlanSummary:
    """The headline figures of a plan."""

    iterations_used: int
    """Iterations holding at least one workload."""
    loads: tuple[IterationLoad, ...]
    """Per iteration, in order."""
    finishes: tuple[DatacenterFinish, ...]
    """Per datacenter, in business order."""
    dependency_edges: int
    """Depends-on links between planned features."""
    cross_iteration_edges: int
    """Of those, links whose ends are in different iterations."""
    capacity_servers: int | None
    """Servers per iteration, if limited."""
    capacity_hours: float | None
    """Hours per iteration, if limited."""


_planned_models: dict[int, tuple[weakref.ref[Backlog], MbfConfig, PlanningModel]] = {}
"""Planning models of planned backlogs, by ``id`` of the backlog (see :func:`remember_model`)."""


def remember_model(planned: Backlog, config: MbfConfig, model: PlanningModel) -> None:
    """Let :func:`plan_summary` of ``planned`` reuse ``model``, the model of the backlog it was
    planned from: planning moves items between iterations but changes none of what the summary
    reads (workloads, servers, hours, links, datacenters), and reading a planned backlog of
    359,000 items again took 0.7 s. The entry goes when ``planned`` does."""
    key = id(planned)
    _planned_models[key] = (
        weakref.ref(planned, lambda _ref: _planned_models.pop(key, None)),
        config,
        model,
    )


def _model_of(backlog: Backlog, config: MbfConfig) -> PlanningModel:
    remembered = _planned_models.get(id(backlog))
    if remembered is not None and remembered[0]() is backlog and remembered[1] is config:
        return remembered[2]
    return read_planning_model(backlog, config)


def plan_summary(backlog: Backlog, config: MbfConfig) -> PlanSummary:
    """Summarise a planned ``backlog``: iterations used, loads, datacenter finishes, crossings."""
    from mbf.engine.cadence import _capacity

    model = _model_of(backlog, config)
    feature_iteration = {
        item.id: item.iteration_id
        for item in backlog.items
        if item.kind is WorkItemKind.FEATURE and item.iteration_id
    }
    workloads: defaultdict[str, int] = defaultdict(int)
    servers: defaultdict[str, int] = defaultdict(int)
    hours: defaultdict[str, float] = defaultdict(float)
    last: dict[str, int] = {}
    order = {it.id: n for n, it in enumerate(backlog.iterations)}
    edges = crossing = 0
    for unit in model.units:
        where = feature_iteration.get(unit.feature_id)
        if where is None:
            continue
        workloads[where] += 1
        servers[where] += unit.servers
        hours[where] += unit.hours
        if where in order and order[where] >= last.get(unit.datacenter_id, -1):
            last[unit.datacenter_id] = order[where]
        for target in unit.depends_on:
            if target in feature_iteration:
                edges += 1
                crossing += feature_iteration[target] != where
    for item in backlog.items:
        if (
            is_remediation(item)
            and item.iteration_id
            and item.state_category is not StateCategory.DONE
        ):
            hours[item.iteration_id] += item.estimate or 0.0
    capacity = _capacity(config.iterations)
    return PlanSummary(
        iterations_used=len(workloads),
        loads=tuple(
            IterationLoad(
                iteration=it, workloads=workloads[it.id], servers=servers[it.id], hours=hours[it.id]
            )
            for it in backlog.iterations
        ),
        finishes=tuple(
            DatacenterFinish(
                datacenter=dc,
                last_iteration=backlog.iterations[last[dc.id]] if dc.id in last else None,
            )
            for dc in sorted(model.datacenters.values(), key=lambda d: d.rank)
        ),
        dependency_edges=edges,
        cross_iteration_edges=crossing,
        capacity_servers=capacity.servers,
        capacity_hours=capacity.hours,
    )


def _amount(value: float) -> str:
    return f"{value:g}"


def format_summary(summary: PlanSummary) -> list[str]:
    """The summary as lines of text for the terminal."""
    lines = [f"Iterations used: {summary.iterations_used} of {len(summary.loads)}"]
    for load in summary.loads:
        it = load.iteration
        dates = (
            f" {it.start.isoformat()}..{it.finish.isoformat()}" if it.start and it.finish else ""
        )
        servers = f"{load.servers}" + (
            f"/{summary.capacity_servers}" if summary.capacity_servers is not None else ""
        )
        hours = _amount(load.hours) + (
            f"/{_amount(summary.capacity_hours)}" if summary.capacity_hours is not None else ""
        )
        lines.append(
            f"  {it.id} ({it.name}){dates}: {load.workloads} workloads, {servers} servers, {hours} h"
        )
    for finish in summary.finishes:
        dc = finish.datacenter
        if finish.last_iteration is None:
            lines.append(f"Datacenter {dc.id}: nothing planned")
            continue
        line = f"Datacenter {dc.id}: empty after {finish.last_iteration.id}"
        if finish.last_iteration.finish is not None:
            line += f" ({finish.last_iteration.finish.isoformat()})"
        spare = finish.days_to_spare
        if dc.lease_end is not None and spare is not None:
            verdict = f"{spare} days to spare" if spare >= 0 else f"{-spare} days LATE"
            line += f", lease ends {dc.lease_end.isoformat()}: {verdict}"
        lines.append(line)
    lines.append(
        f"Dependencies across iterations: {summary.cross_iteration_edges} of {summary.dependency_edges} workload links"
    )
    return lines
