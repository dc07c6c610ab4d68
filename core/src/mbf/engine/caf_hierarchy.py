"""The CAF backlog hierarchy: epic per datacenter, feature per workload, story per asset, tasks.

Id contract (other engineers and trackers rely on it; ids derive from estate ids only, so
regenerating after a new discovery keeps every existing id):

- ``epic:<datacenter id>`` (``epic:unassigned`` for servers of no known datacenter);
- ``feature:<workload id>`` (``feature:unassigned/<server id>`` for a server of no workload);
- ``story:<server id>``;
- ``task:<server id>/<task name>`` for the configured per-asset tasks (assess, migrate, optimize,
  promote, secure, manage by default; ``decommission`` for retired workloads).

``WorkItem.source`` holds the estate ids an item stands for. What planning and trackers need goes
into ``extra`` as plain strings: on epics ``lease_end`` (ISO date), ``blackout`` (one
``start..end: reason`` line per window) and ``business_rank``; on features ``strategy``,
``environment``, ``application``, ``criticality``, ``servers``; on stories ``readiness``, ``os``,
``os_family``, ``size_class``, ``environment``. Epics are ordered by business driver (lease end,
then priority) and carry that rank in ``priority``.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping

import attrs

from mbf.config import GenerationConfig, MbfConfig, ProjectConfig, SizeClassConfig
from mbf.domain import (
    Backlog,
    BlackoutWindow,
    Datacenter,
    Estate,
    MigrationStrategy,
    Server,
    WorkItem,
    WorkItemKind,
    Workload,
    item_id,
)
from mbf.domain.backlog import with_changes
from mbf.plugin.types import Context

__all__ = [
    "DEFAULT_TASK_HOURS",
    "UNASSIGNED",
    "add_caf_hierarchy",
    "business_order",
    "effective_datacenters",
    "format_blackout",
    "os_family",
    "size_class",
    "task_estimate",
]

UNASSIGNED = "unassigned"
"""Id part standing for a missing datacenter or workload."""

DEFAULT_TASK_HOURS: Mapping[str, float] = {
    "assess": 2.0,
    "migrate": 4.0,
    "optimize": 2.0,
    "promote": 1.0,
    "secure": 2.0,
    "manage": 1.0,
    "decommission": 2.0,
}
"""Estimates (hours) of the built-in tasks when mbf.toml gives none; any other task gets 1 h."""

_LINUX_MARKERS = (
    "linux", "ubuntu", "debian", "centos", "red hat", "rhel", "suse", "sles", "oracle linux",
    "rocky", "alma", "fedora", "amazon linux",
)  # fmt: skip
_STRATEGY_VERB = {
    MigrationStrategy.RETIRE: "Retire",
    MigrationStrategy.RETAIN: "Retain",
}


def os_family(os_name: str) -> str:
    """``windows``, ``linux``, ``other`` or ``unknown`` (no OS reported) for an OS name."""
    lowered = os_name.lower()
    if not lowered.strip():
        return "unknown"
    if "windows" in lowered:
        return "windows"
    if any(marker in lowered for marker in _LINUX_MARKERS):
        return "linux"
    return "other"


def size_class(server: Server, classes: Iterable[SizeClassConfig]) -> str:
    """Name of the first class whose limits ``server`` fits (unknown sizes fit any limit)."""
    memory_gb = None if server.memory_mb is None else server.memory_mb / 1024
    last = ""
    for cls in classes:
        last = cls.name
        if (
            _within(server.cores, cls.max_cores)
            and _within(memory_gb, cls.max_memory_gb)
            and _within(server.storage_gb, cls.max_storage_gb)
        ):
            return cls.name
    return last


def _within(value: float | None, limit: float | None) -> bool:
    return value is None or limit is None or value <= limit


def task_estimate(task: str, family: str, size: str, config: GenerationConfig) -> float:
    """Hours of ``task`` for a server: size class beats OS family beats the task's own hours."""
    settings = config.task.get(task)
    if settings is not None:
        if size in settings.size:
            return settings.size[size]
        if family in settings.os:
            return settings.os[family]
        if settings.hours is not None:
            return settings.hours
    return DEFAULT_TASK_HOURS.get(task, 1.0)


def _task_title_pattern(task: str, config: GenerationConfig) -> str:
    settings = config.task.get(task)
    if settings is not None and settings.title:
        return settings.title
    return f"{task.replace('-', ' ').replace('_', ' ').capitalize()} {{server}}"


def effective_datacenters(estate: Estate, config: MbfConfig) -> tuple[Datacenter, ...]:
    """The estate's datacenters with mbf.toml's ``[[datacenters]]`` laid over them (config wins
    where it gives a value); datacenters only the config names are added."""
    configured = {dc.id: dc for dc in config.datacenters}
    merged: list[Datacenter] = []
    for dc in estate.datacenters:
        override = configured.pop(dc.id, None)
        if override is None:
            merged.append(dc)
            continue
        merged.append(
            attrs.evolve(
                dc,
                name=override.name or dc.name,
                location=override.location or dc.location,
                lease_end=override.lease_end if override.lease_end is not None else dc.lease_end,
                priority=override.priority if override.priority is not None else dc.priority,
                blackout=override.blackout or dc.blackout,
            )
        )
    merged.extend(configured.values())
    return tuple(merged)


def business_order(datacenters: Iterable[Datacenter]) -> list[Datacenter]:
    """Datacenters by business driver: earliest lease end first, then priority, then id."""
    return sorted(
        datacenters,
        key=lambda dc: (
            dc.lease_end is None,
            dc.lease_end or dt.date.max,
            dc.priority is None,
            dc.priority if dc.priority is not None else 0,
            dc.id,
        ),
    )


def format_blackout(windows: Iterable[BlackoutWindow]) -> str:
    """Blackout windows as plain text lines ``2027-04-01..2027-04-14: quarter close``."""
    return "\n".join(
        f"{w.start.isoformat()}..{w.end.isoformat()}" + (f": {w.reason}" if w.reason else "")
        for w in windows
    )


def _epic_description(dc: Datacenter, project: ProjectConfig) -> str:
    lines = [f"Empty datacenter {dc.name}" + (f" ({dc.location})" if dc.location else "") + "."]
    if dc.lease_end is not None:
        lines.append(f"Lease ends {dc.lease_end.isoformat()}: it must be empty by then.")
    if dc.priority is not None:
        lines.append(f"Business priority {dc.priority}.")
    for heading, entries in (
        ("Business outcomes", project.outcomes),
        ("Priorities", project.priorities),
        ("Assumptions", project.assumptions),
    ):
        if entries:
            lines.append(f"{heading}:")
            lines.extend(f"- {entry}" for entry in entries)
    return "\n".join(lines)


def _epic(dc: Datacenter, rank: int, project: ProjectConfig) -> WorkItem:
    extra = {"business_rank": str(rank)}
    if dc.lease_end is not None:
        extra["lease_end"] = dc.lease_end.isoformat()
    if dc.blackout:
        extra["blackout"] = format_blackout(dc.blackout)
    return WorkItem(
        id=item_id("epic", dc.id),
        kind=WorkItemKind.EPIC,
        title=f"Migrate datacenter {dc.name}",
        description=_epic_description(dc, project),
        priority=rank,
        tags=("datacenter",),
        source=(dc.id,),
        extra=extra,
    )


def _majority(values: Iterable[str], order: Mapping[str, int]) -> str:
    """Most frequent value; ties go to the one ``order`` ranks first."""
    counts = Counter(values)
    return min(counts, key=lambda v: (-counts[v], order.get(v, len(order)), v))


def _workload_environment(workload: Workload, servers: list[Server]) -> str:
    if workload.environment:
        return workload.environment
    environments = [s.environment for s in servers if s.environment]
    return _majority(environments, {}) if environments else ""


def _feature(workload: Workload, epic_id: str, servers: list[Server], environment: str) -> WorkItem:
    verb = _STRATEGY_VERB.get(workload.strategy, "Migrate")
    description = [f"Strategy: {workload.strategy.value}."]
    if workload.strategy is MigrationStrategy.RETAIN:
        description.append("Retained where it is: nothing to move.")
    elif workload.strategy is MigrationStrategy.RETIRE:
        description.append("Retired: its servers are decommissioned, not migrated.")
    if workload.reason:
        description.append(f"Grouped because: {workload.reason}.")
    if workload.owner:
        description.append(f"Owner: {workload.owner}.")
    extra = {
        "strategy": workload.strategy.value,
        "environment": environment,
        "application": str(workload.extra.get("application") or workload.name),
        "servers": str(len(servers)),
    }
    if workload.criticality:
        extra["criticality"] = workload.criticality
    return WorkItem(
        id=item_id("feature", workload.id),
        kind=WorkItemKind.FEATURE,
        title=f"{verb} workload {workload.name}",
        description="\n".join(description),
        parent_id=epic_id,
        assignee=workload.owner,
        tags=(workload.strategy.value,),
        source=(workload.id,),
        extra=extra,
    )


def _asset_items(
    server: Server,
    feature_id: str,
    workload: Workload,
    config: GenerationConfig,
    plan: _TaskPlan,
) -> list[WorkItem]:
    retired = workload.strategy is MigrationStrategy.RETIRE
    family = os_family(server.os)
    size = size_class(server, config.size_classes)
    story = WorkItem(
        id=item_id("story", server.id),
        kind=WorkItemKind.STORY,
        title=f"{'Decommission' if retired else 'Migrate'} {server.name}",
        description=f"Readiness: {server.readiness.value}."
        + "".join(f"\nBlocker: {blocker}" for blocker in server.blockers),
        parent_id=feature_id,
        source=(server.id,),
        extra={
            "readiness": server.readiness.value,
            "os": server.os,
            "os_family": family,
            "size_class": size,
            "environment": server.environment,
        },
    )
    source = (server.id,)
    prefix = item_id("task", server.id, "")  # + the task's name: item_id("task", server.id, task)
    story_id = story.id
    # Each task is its task's template with this server's values (WorkItem(...) with keywords
    # costs twice as much, and a server has six tasks).
    tasks = [
        with_changes(
            template,
            {
                "id": prefix + task,
                "title": pattern.format(server=server.name, workload=workload.name),
                "parent_id": story_id,
                "estimate": estimate,
                "source": source,
                "refs": {},
                "extra": {},
            },
        )
        for (task, pattern, template), estimate in zip(
            plan.retire_tasks if retired else plan.tasks,
            plan.estimates(retired, family, size),
            strict=True,
        )
    ]
    return [story, *tasks]


class _TaskPlan:
    """What every asset's tasks share, worked out once per generation rather than once per
    server: each task's title pattern and tags, and the estimates (a handful of distinct ones)."""

    def __init__(self, config: GenerationConfig) -> None:
        self.config = config
        self.tasks = [(t, _task_title_pattern(t, config), _task_template(t)) for t in config.tasks]
        self.retire_tasks = [
            (t, _task_title_pattern(t, config), _task_template(t)) for t in config.retire_tasks
        ]
        self._estimates: dict[tuple[bool, str, str], tuple[float, ...]] = {}

    def estimates(self, retired: bool, family: str, size: str) -> tuple[float, ...]:
        """:func:`task_estimate` of each task of a server (retired or not), remembered."""
        key = (retired, family, size)
        found = self._estimates.get(key)
        if found is None:
            tasks = self.retire_tasks if retired else self.tasks
            found = self._estimates[key] = tuple(
                float(task_estimate(task, family, size, self.config)) for task, _, _ in tasks
            )
        return found


def _task_template(task: str) -> WorkItem:
    """What every asset's ``task`` item has in common: its kind and its tag."""
    return WorkItem(id=item_id("task", "", task), kind=WorkItemKind.TASK, title="", tags=(task,))


def _server_workloads(estate: Estate) -> dict[str, Workload]:
    """Each server's workload: the first that lists it (a shared server is coupled later)."""
    owner: dict[str, Workload] = {}
    for workload in estate.workloads:
        for sid in workload.server_ids:
            owner.setdefault(sid, workload)
    by_id = {w.id: w for w in estate.workloads}
    for server in estate.servers:
        if server.id not in owner:
            for wid in server.workload_ids:
                if wid in by_id:
                    owner[server.id] = by_id[wid]
                    break
    return owner


def add_caf_hierarchy(estate: Estate, backlog: Backlog, context: Context) -> Backlog:
    """Append the CAF tree for ``estate`` to ``backlog``: epics in business order, then per epic its
    features (estate order), each followed by its stories and their tasks."""
    config = context.config
    datacenters = business_order(effective_datacenters(estate, config))
    rank = {dc.id: n for n, dc in enumerate(datacenters, start=1)}
    servers = {s.id: s for s in estate.servers}
    owner = _server_workloads(estate)
    plan = _TaskPlan(config.generation)

    # Group the servers of each workload, keeping estate order; orphans get a feature each.
    members: dict[str, list[Server]] = {w.id: [] for w in estate.workloads}
    orphans: list[Server] = []
    for server in estate.servers:
        workload = owner.get(server.id)
        if workload is None:
            orphans.append(server)
        else:
            members[workload.id].append(server)

    def datacenter_of(group: list[Server]) -> str:
        known = [s.datacenter_id for s in group if s.datacenter_id in rank]
        return _majority(known, rank) if known else UNASSIGNED

    features_by_dc: dict[str, list[WorkItem]] = {}
    for workload in estate.workloads:
        group = members[workload.id] or [servers[s] for s in workload.server_ids if s in servers]
        dc_id = datacenter_of(group)
        feature = _feature(
            workload, item_id("epic", dc_id), group, _workload_environment(workload, group)
        )
        items = [feature]
        if workload.strategy is not MigrationStrategy.RETAIN:
            for server in members[workload.id]:
                items += _asset_items(server, feature.id, workload, config.generation, plan)
        features_by_dc.setdefault(dc_id, []).extend(items)
    for server in orphans:
        pseudo = Workload(
            id=f"{UNASSIGNED}/{server.id}",
            name=server.name,
            server_ids=(server.id,),
            environment=server.environment,
            reason="server of no known workload",
        )
        dc_id = datacenter_of([server])
        feature = attrs.evolve(
            _feature(pseudo, item_id("epic", dc_id), [server], server.environment),
            source=(server.id,),
        )
        items = [feature, *_asset_items(server, feature.id, pseudo, config.generation, plan)]
        features_by_dc.setdefault(dc_id, []).extend(items)

    items = list(backlog.items)
    for dc in datacenters:
        items.append(_epic(dc, rank[dc.id], config.project))
        items += features_by_dc.pop(dc.id, [])
    if UNASSIGNED in features_by_dc:
        unknown = Datacenter(id=UNASSIGNED, name="of unknown location")
        items.append(_epic(unknown, len(datacenters) + 1, config.project))
        items += features_by_dc.pop(UNASSIGNED)
    return attrs.evolve(backlog, items=tuple(items))
