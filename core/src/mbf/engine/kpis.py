"""Migration KPIs of a planned backlog, per datacenter and overall, and their versioned JSON form.

An **asset** is a user story (one per server). Its *exit task* is its ``migrate`` task (its
``decommission`` task for a retired workload; the story itself when it has neither); the asset
is **migrated** when that task is done. Every asset is in exactly one state, checked in this
order: migrated; **blocked** (an open remediation task, readiness ``not_ready`` with no
remediation task at all, or an exit task ``mbf track`` flagged ``migration-issue``); **in progress** (the story or any of its tasks in progress or done);
**not started**.

Backlogs record no completion dates, so a migrated asset counts in the iteration it is planned
in, or in the current iteration when it is planned later or not at all. **Velocity** is the
assets migrated per finished iteration (one whose last day is before *today*), counted from the
first iteration holding an asset of the scope; the **projected finish** is the last day of the
iteration in which the remaining assets are done at that velocity (iterations past the plan
continue at the length of its last one). Everything is computed in one pass over the items plus
one per iteration, and depends only on the backlog, mbf.toml's datacenter overrides and *today*.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from mbf.config import MbfConfig
from mbf.domain import Backlog, BlackoutWindow, Iteration, StateCategory, WorkItem, WorkItemKind
from mbf.engine.planning import feature_index, is_remediation, read_planning_model
from mbf.engine.progress import ISSUE_TAG

__all__ = [
    "MIGRATION_ISSUE_TYPE",
    "NOT_READY_TYPE",
    "NO_DATACENTER",
    "SCHEMA_NAME",
    "SCHEMA_VERSION",
    "AssetCounts",
    "AssetState",
    "BlockerCounts",
    "BurndownPoint",
    "DatacenterKpis",
    "FinishBasis",
    "FinishForecast",
    "IterationStatus",
    "IterationTiming",
    "MigrationStatus",
    "ScopeKpis",
    "Velocity",
    "WaveLoad",
    "compute_status",
    "status_document",
]

SCHEMA_NAME = "mbf-status"
"""Value of ``schema`` in the JSON document (see docs/status-json.md)."""
SCHEMA_VERSION = 1
"""Version of the JSON document; raised on any incompatible change."""
NO_DATACENTER = ""
"""Datacenter id of assets that sit under no epic."""
NOT_READY_TYPE = "Not ready (no blocker recorded)"
"""Blocker type of a not-ready asset that has no remediation task."""
MIGRATION_ISSUE_TYPE = "Migration issue (replication needs attention)"
"""Blocker type of an exit task ``mbf track`` flagged ``migration-issue``."""

_EXIT_TASKS = ("migrate", "decommission")


class AssetState(enum.StrEnum):
    """Where one asset stands; every asset is in exactly one state."""

    MIGRATED = "migrated"
    BLOCKED = "blocked"
    IN_PROGRESS = "in_progress"
    NOT_STARTED = "not_started"


class IterationTiming(enum.StrEnum):
    """An iteration relative to *today*."""

    FINISHED = "finished"
    """Its last day is before today."""
    CURRENT = "current"
    """It contains today."""
    FUTURE = "future"
    """It starts after today (or has no dates)."""


class FinishBasis(enum.StrEnum):
    """What a projected finish date rests on."""

    VELOCITY = "velocity"
    """The velocity of finished iterations."""
    PLAN = "plan"
    """No iteration of the scope has finished yet: the plan's own finish."""
    STALLED = "stalled"
    """Iterations have finished but nothing was migrated in them: no projection."""
    COMPLETE = "complete"
    """Every asset is migrated."""
    EMPTY = "empty"
    """The scope has no assets."""


@attrs.frozen(kw_only=True)
class IterationStatus:
    """An iteration and whether it is finished, current or still to come."""

    iteration: Iteration
    """The iteration."""
    timing: IterationTiming
    """Relative to today."""


@attrs.frozen(kw_only=True)
class AssetCounts:
    """Assets by state; the four states add up to ``total``."""

    total: int = 0
    """Assets (user stories) in the scope."""
    migrated: int = 0
    """Exit task done."""
    in_progress: int = 0
    """Work started, not migrated, not blocked."""
    blocked: int = 0
    """Not migrated, with an open remediation task or not ready."""
    not_started: int = 0
    """Nothing started."""

    @property
    def percent_done(self) -> float | None:
        """Migrated share in percent, one decimal; ``None`` for an empty scope."""
        return round(100 * self.migrated / self.total, 1) if self.total else None


@attrs.frozen(kw_only=True)
class BlockerCounts:
    """Open blockers of the assets not yet migrated."""

    remediation_tasks: int = 0
    """Open remediation tasks."""
    not_ready_assets: int = 0
    """Not-ready assets with no remediation task (a blocker nobody has written down)."""
    migration_issues: int = 0
    """Exit tasks ``mbf track`` flagged ``migration-issue`` (e.g. unhealthy replication)."""
    by_type: tuple[tuple[str, int], ...] = ()
    """``(blocker type, count)``, most frequent first, then by type."""

    @property
    def open(self) -> int:
        """All open blockers."""
        return self.remediation_tasks + self.not_ready_assets + self.migration_issues


@attrs.frozen(kw_only=True)
class Velocity:
    """Assets migrated per finished iteration."""

    finished_iterations: int
    """Finished iterations counted (from the scope's first planned iteration)."""
    migrated: int
    """Assets migrated in them."""

    @property
    def per_iteration(self) -> float | None:
        """Average, two decimals; ``None`` before any iteration has finished."""
        if not self.finished_iterations:
            return None
        return round(self.migrated / self.finished_iterations, 2)


@attrs.frozen(kw_only=True)
class FinishForecast:
    """When the scope will be empty, against its lease end."""

    lease_end: dt.date | None
    """Date by which the datacenter must be empty (``None`` overall or when unknown)."""
    planned: dt.date | None
    """Last day of the last iteration holding one of its assets."""
    projected: dt.date | None
    """Projected day the last asset is migrated (see :class:`FinishBasis`)."""
    basis: FinishBasis
    """What ``projected`` rests on."""
    unplanned_assets: int
    """Assets not yet migrated that are in no iteration (``planned`` leaves them out)."""

    @property
    def margin_days(self) -> int | None:
        """Days from the projected finish to the lease end; negative: that many days late."""
        if self.lease_end is None or self.projected is None:
            return None
        return (self.lease_end - self.projected).days


@attrs.frozen(kw_only=True)
class BurndownPoint:
    """Remaining assets at the end of one iteration, planned and actual."""

    iteration_id: str
    """The iteration."""
    planned_migrated: int
    """Assets planned in it."""
    planned_remaining: int
    """Assets planned in later iterations or in none."""
    actual_migrated: int | None
    """Assets migrated in it; ``None`` for an iteration still to come."""
    actual_remaining: int | None
    """Assets not migrated by its end; ``None`` for an iteration still to come."""


@attrs.frozen(kw_only=True)
class ScopeKpis:
    """The KPIs of one datacenter or of the whole backlog."""

    assets: AssetCounts
    """Assets by state."""
    blockers: BlockerCounts
    """Open blockers."""
    velocity: Velocity
    """Migrated per finished iteration."""
    finish: FinishForecast
    """Projected finish against the lease end."""
    burndown: tuple[BurndownPoint, ...]
    """One point per iteration of the backlog, in order."""


@attrs.frozen(kw_only=True)
class DatacenterKpis:
    """The KPIs of one datacenter (its epic)."""

    id: str
    """Datacenter id (the epic's source; ``""`` for assets under no epic)."""
    name: str
    """Display name (the epic title without the ``Migrate datacenter`` verb)."""
    rank: int
    """Business order, 1 first (earliest lease end)."""
    kpis: ScopeKpis
    """Its figures."""
    blackout: tuple[BlackoutWindow, ...] = ()
    """Its change freezes (the report shades them; not part of the JSON document)."""


@attrs.frozen(kw_only=True)
class WaveLoad:
    """The assets of one datacenter planned in one iteration (a wave), by state."""

    iteration_id: str
    """The iteration."""
    datacenter_id: str
    """The datacenter."""
    workloads: int
    """Workloads (features) the assets belong to."""
    assets: AssetCounts
    """Its assets by state."""


@attrs.frozen(kw_only=True)
class MigrationStatus:
    """Everything ``mbf status`` reports."""

    today: dt.date
    """The day the figures are computed for."""
    iterations: tuple[IterationStatus, ...]
    """The backlog's iterations in date order."""
    overall: ScopeKpis
    """The whole backlog."""
    datacenters: tuple[DatacenterKpis, ...]
    """Per datacenter, in business order."""
    waves: tuple[WaveLoad, ...] = ()
    """Planned assets per iteration and datacenter, in iteration then business order (what the
    report's Gantt draws; not part of the JSON document)."""


@attrs.define
class _Asset:
    """One asset as the tally needs it."""

    datacenter_id: str
    feature_id: str
    readiness: str = ""
    state: StateCategory = StateCategory.TODO
    exit_rank: int = len(_EXIT_TASKS)  # which exit task set ``state``: lower wins
    iteration_id: str | None = None
    started: bool = False
    flagged: bool = False
    remediation_tasks: int = 0
    open_blocker_types: list[str] = attrs.field(factory=list)

    @property
    def unremediated_not_ready(self) -> bool:
        return self.readiness == "not_ready" and self.remediation_tasks == 0

    def classify(self) -> AssetState:
        if self.state is StateCategory.DONE:
            return AssetState.MIGRATED
        if self.open_blocker_types or self.flagged or self.unremediated_not_ready:
            return AssetState.BLOCKED
        if self.started or self.state is StateCategory.IN_PROGRESS:
            return AssetState.IN_PROGRESS
        return AssetState.NOT_STARTED


def _task_name(task: WorkItem) -> str:
    """``migrate`` for ``task:srv01/migrate`` (the id contract), else the first tag."""
    name = task.id.rsplit("/", 1)[-1]
    if name in _EXIT_TASKS:
        return name
    return next((tag for tag in task.tags if tag in _EXIT_TASKS), name)


def _blocker_type(task: WorkItem) -> str:
    """The blocker a remediation task fixes: its description (the assessment's text)."""
    text = " ".join(task.description.split())
    if not text:
        title = " ".join(task.title.split())
        text = title.split(": ", 1)[1] if ": " in title else title
    return text


def _datacenter_name(title: str, dc_id: str) -> str:
    name = title.removeprefix("Migrate datacenter ").strip()
    return name or dc_id


def _collect_assets(backlog: Backlog, epic_datacenter: Mapping[str, str]) -> dict[str, _Asset]:
    """Story id -> asset, filled from the stories and their tasks in one pass over the items."""
    parent_of_feature = {
        item.id: item.parent_id or "" for item in backlog.items if item.kind is WorkItemKind.FEATURE
    }
    feature_of: dict[str, str] | None = None  # only built for stories not directly under a feature
    assets: dict[str, _Asset] = {}
    tasks: list[WorkItem] = []
    for item in backlog.items:
        if item.kind is WorkItemKind.STORY:
            feature: str | None = item.parent_id
            if feature not in parent_of_feature:
                feature_of = feature_of or feature_index(backlog.items)
                feature = feature_of.get(item.id)
            epic = parent_of_feature.get(feature or "", item.parent_id or "")
            assets[item.id] = _Asset(
                datacenter_id=epic_datacenter.get(epic, NO_DATACENTER),
                feature_id=feature or "",
                readiness=str(item.extra.get("readiness", "")),
                state=item.state_category,
                iteration_id=item.iteration_id,
                started=item.state_category is not StateCategory.TODO,
            )
        elif item.kind is WorkItemKind.TASK:
            tasks.append(item)
    for task in tasks:
        asset = assets.get(task.parent_id or "")
        if asset is None:
            continue
        asset.started = asset.started or task.state_category is not StateCategory.TODO
        if is_remediation(task) or "remediation" in task.tags:
            asset.remediation_tasks += 1
            if task.state_category is not StateCategory.DONE:
                asset.open_blocker_types.append(_blocker_type(task))
            continue
        name = _task_name(task)
        if name in _EXIT_TASKS and _EXIT_TASKS.index(name) < asset.exit_rank:
            asset.exit_rank = _EXIT_TASKS.index(name)
            asset.state = task.state_category
            asset.flagged = ISSUE_TAG in task.tags
            asset.iteration_id = task.iteration_id or asset.iteration_id
    return assets


@attrs.frozen
class _Timeline:
    """The iterations in order and where *today* falls among them."""

    iterations: tuple[Iteration, ...]
    index: Mapping[str, int]
    timing: tuple[IterationTiming, ...]
    current: int | None  # last iteration that has started
    first_open: int  # first iteration not finished

    @classmethod
    def of(cls, iterations: Iterable[Iteration], today: dt.date) -> _Timeline:
        ordered = tuple(
            sorted(iterations, key=lambda it: (it.start is None, it.start or dt.date.max))
        )
        timing = []
        current = None
        for n, it in enumerate(ordered):
            if it.finish is not None and it.finish < today:
                timing.append(IterationTiming.FINISHED)
            elif it.start is not None and it.start <= today:
                timing.append(IterationTiming.CURRENT)
            else:
                timing.append(IterationTiming.FUTURE)
            if it.start is not None and it.start <= today:
                current = n
        first_open = next(
            (n for n, t in enumerate(timing) if t is not IterationTiming.FINISHED), len(ordered)
        )
        return cls(
            ordered, {it.id: n for n, it in enumerate(ordered)}, tuple(timing), current, first_open
        )

    def finish_after(self, count: int) -> dt.date | None:
        """Last day of the ``count``-th iteration from the first open one (1: that one)."""
        target = self.first_open + count - 1
        if target < len(self.iterations):
            return self.iterations[target].finish
        if not self.iterations:
            return None
        last = self.iterations[-1]
        if last.start is None or last.finish is None:
            return None
        length = (last.finish - last.start).days + 1
        return last.finish + dt.timedelta(days=length * (target - len(self.iterations) + 1))


def _scope_kpis(
    assets: Sequence[_Asset], timeline: _Timeline, lease_end: dt.date | None, today: dt.date
) -> ScopeKpis:
    n_iterations = len(timeline.iterations)
    states: Counter[AssetState] = Counter()
    planned_in = [0] * n_iterations
    done_in = [0] * n_iterations
    done_before_plan = 0
    unplanned_open = 0
    first_planned: int | None = None
    last_planned: int | None = None
    last_done: int | None = None
    remediation_open = not_ready = issues = 0
    blocker_types: Counter[str] = Counter()
    for asset in assets:
        state = asset.classify()
        states[state] += 1
        planned = timeline.index.get(asset.iteration_id or "")
        if planned is not None:
            planned_in[planned] += 1
            first_planned = planned if first_planned is None else min(first_planned, planned)
            last_planned = planned if last_planned is None else max(last_planned, planned)
        if state is AssetState.MIGRATED:
            # No completion date is recorded: it counts where planned, or now if planned later.
            if timeline.current is None:
                done_before_plan += 1
                continue
            effective = timeline.current if planned is None else min(planned, timeline.current)
            done_in[effective] += 1
            last_done = effective if last_done is None else max(last_done, effective)
            first_planned = effective if first_planned is None else min(first_planned, effective)
            continue
        if planned is None:
            unplanned_open += 1
        remediation_open += len(asset.open_blocker_types)
        blocker_types.update(asset.open_blocker_types)
        if asset.unremediated_not_ready:
            not_ready += 1
            blocker_types[NOT_READY_TYPE] += 1
        if asset.flagged:
            issues += 1
            blocker_types[MIGRATION_ISSUE_TYPE] += 1

    total = len(assets)
    counts = AssetCounts(
        total=total,
        migrated=states[AssetState.MIGRATED],
        in_progress=states[AssetState.IN_PROGRESS],
        blocked=states[AssetState.BLOCKED],
        not_started=states[AssetState.NOT_STARTED],
    )
    burndown = []
    planned_cum = 0
    actual_cum = done_before_plan
    for n, it in enumerate(timeline.iterations):
        planned_cum += planned_in[n]
        started = timeline.current is not None and n <= timeline.current
        actual_cum += done_in[n]
        burndown.append(
            BurndownPoint(
                iteration_id=it.id,
                planned_migrated=planned_in[n],
                planned_remaining=total - planned_cum,
                actual_migrated=done_in[n] if started else None,
                actual_remaining=total - actual_cum if started else None,
            )
        )

    window = range(first_planned, timeline.first_open) if first_planned is not None else range(0)
    velocity = Velocity(finished_iterations=len(window), migrated=sum(done_in[n] for n in window))
    remaining = total - counts.migrated
    planned_finish = timeline.iterations[last_planned].finish if last_planned is not None else None
    projected: dt.date | None
    if total == 0:
        basis, projected = FinishBasis.EMPTY, None
    elif remaining == 0:
        basis = FinishBasis.COMPLETE
        finished_on = timeline.iterations[last_done].finish if last_done is not None else None
        projected = min(finished_on, today) if finished_on is not None else today
    elif velocity.finished_iterations == 0:
        basis = FinishBasis.PLAN
        projected = planned_finish if unplanned_open == 0 else None
    elif velocity.migrated == 0:
        basis, projected = FinishBasis.STALLED, None
    else:
        basis = FinishBasis.VELOCITY
        # ceil(remaining / velocity) in integers: no float rounding at exact multiples
        needed = -(-remaining * velocity.finished_iterations // velocity.migrated)
        projected = timeline.finish_after(needed)
    return ScopeKpis(
        assets=counts,
        blockers=BlockerCounts(
            remediation_tasks=remediation_open,
            not_ready_assets=not_ready,
            migration_issues=issues,
            by_type=tuple(sorted(blocker_types.items(), key=lambda kv: (-kv[1], kv[0]))),
        ),
        velocity=velocity,
        finish=FinishForecast(
            lease_end=lease_end,
            planned=planned_finish,
            projected=projected,
            basis=basis,
            unplanned_assets=unplanned_open,
        ),
        burndown=tuple(burndown),
    )


def _waves(
    assets: Iterable[_Asset], timeline: _Timeline, rank: Mapping[str, int]
) -> tuple[WaveLoad, ...]:
    states: defaultdict[tuple[int, str], Counter[AssetState]] = defaultdict(Counter)
    features: defaultdict[tuple[int, str], set[str]] = defaultdict(set)
    for asset in assets:
        planned = timeline.index.get(asset.iteration_id or "")
        if planned is not None:
            states[(planned, asset.datacenter_id)][asset.classify()] += 1
            features[(planned, asset.datacenter_id)].add(asset.feature_id)
    return tuple(
        WaveLoad(
            iteration_id=timeline.iterations[key[0]].id,
            datacenter_id=key[1],
            workloads=len(features[key]),
            assets=AssetCounts(
                total=sum(counts.values()),
                migrated=counts[AssetState.MIGRATED],
                in_progress=counts[AssetState.IN_PROGRESS],
                blocked=counts[AssetState.BLOCKED],
                not_started=counts[AssetState.NOT_STARTED],
            ),
        )
        for key, counts in sorted(states.items(), key=lambda kv: (kv[0][0], rank[kv[0][1]]))
    )


def compute_status(
    backlog: Backlog, today: dt.date, config: MbfConfig | None = None
) -> MigrationStatus:
    """The KPIs of ``backlog`` on ``today``; ``config`` overrides lease ends as ``mbf plan`` does."""
    datacenters = read_planning_model(backlog, config or MbfConfig()).datacenters
    epic_datacenter = {info.epic_id: info.id for info in datacenters.values()}
    assets = _collect_assets(backlog, epic_datacenter)
    timeline = _Timeline.of(backlog.iterations, today)
    by_datacenter: defaultdict[str, list[_Asset]] = defaultdict(list)
    for asset in assets.values():
        by_datacenter[asset.datacenter_id].append(asset)
    rows = [
        DatacenterKpis(
            id=info.id,
            name=_datacenter_name(info.title, info.id),
            rank=info.rank,
            kpis=_scope_kpis(by_datacenter.pop(info.id, []), timeline, info.lease_end, today),
            blackout=info.blackout,
        )
        for info in sorted(datacenters.values(), key=lambda info: info.rank)
    ]
    if by_datacenter:  # only NO_DATACENTER can be left: every epic is in ``datacenters``
        rows.append(
            DatacenterKpis(
                id=NO_DATACENTER,
                name="(no datacenter)",
                rank=len(rows) + 1,
                kpis=_scope_kpis(by_datacenter[NO_DATACENTER], timeline, None, today),
            )
        )
    return MigrationStatus(
        today=today,
        waves=_waves(assets.values(), timeline, {dc.id: dc.rank for dc in rows}),
        iterations=tuple(
            IterationStatus(iteration=it, timing=timing)
            for it, timing in zip(timeline.iterations, timeline.timing, strict=True)
        ),
        overall=_scope_kpis(list(assets.values()), timeline, None, today),
        datacenters=tuple(rows),
    )


# -- JSON document (schema "mbf-status", documented in docs/status-json.md) ---------------------


def _date(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _scope_document(kpis: ScopeKpis) -> dict[str, Any]:
    assets, blockers, finish = kpis.assets, kpis.blockers, kpis.finish
    return {
        "assets": {
            "total": assets.total,
            "migrated": assets.migrated,
            "in_progress": assets.in_progress,
            "blocked": assets.blocked,
            "not_started": assets.not_started,
            "percent_done": assets.percent_done,
        },
        "blockers": {
            "open": blockers.open,
            "remediation_tasks": blockers.remediation_tasks,
            "not_ready_assets": blockers.not_ready_assets,
            "migration_issues": blockers.migration_issues,
            "by_type": [{"type": name, "count": count} for name, count in blockers.by_type],
        },
        "velocity": {
            "finished_iterations": kpis.velocity.finished_iterations,
            "migrated": kpis.velocity.migrated,
            "per_iteration": kpis.velocity.per_iteration,
        },
        "finish": {
            "lease_end": _date(finish.lease_end),
            "planned": _date(finish.planned),
            "projected": _date(finish.projected),
            "basis": finish.basis.value,
            "margin_days": finish.margin_days,
            "unplanned_assets": finish.unplanned_assets,
        },
        "burndown": [
            {
                "iteration": point.iteration_id,
                "planned_migrated": point.planned_migrated,
                "planned_remaining": point.planned_remaining,
                "actual_migrated": point.actual_migrated,
                "actual_remaining": point.actual_remaining,
            }
            for point in kpis.burndown
        ],
    }


def status_document(status: MigrationStatus) -> dict[str, Any]:
    """The JSON document of ``mbf status --json``, keys in their documented order."""
    return {
        "schema": SCHEMA_NAME,
        "version": SCHEMA_VERSION,
        "today": status.today.isoformat(),
        "iterations": [
            {
                "id": entry.iteration.id,
                "name": entry.iteration.name,
                "start": _date(entry.iteration.start),
                "finish": _date(entry.iteration.finish),
                "timing": entry.timing.value,
            }
            for entry in status.iterations
        ],
        "overall": _scope_document(status.overall),
        "datacenters": [
            {"id": dc.id, "name": dc.name, "rank": dc.rank, **_scope_document(dc.kpis)}
            for dc in status.datacenters
        ],
    }
