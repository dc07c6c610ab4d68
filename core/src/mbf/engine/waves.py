"""The default ``waves`` strategy: place whole workloads into iterations in business order.

How it works (all steps linear or ``n log n`` in workloads and links):

1. Workloads of one move group (strong two-way coupling, shared servers) form one group; so do
   workloads caught in a dependency cycle (reported as ``dependency-cycle``): a dependency target
   must move in the same or an earlier iteration, so a cycle can only move together.
2. Each group inherits the best business rank of the groups that depend on it, so a target that a
   first-ranked datacenter needs is pulled forward with it.
3. Groups are taken targets-first (topological order), best rank first, larger first (first-fit
   decreasing packs iterations well), and each goes to the earliest iteration that is no earlier
   than its bounds (dependency targets, remediation lead, dev/test before prod, datacenter order,
   work already started) and that is outside its datacenters' blackout windows and has room.
4. What cannot be met is reported, and the plan still completes: a group larger than an iteration
   goes alone into the first empty one (``oversized``); with ``max_iterations`` set, overflow goes
   into the least loaded iteration (``capacity``) or past the horizon (``horizon``); workloads
   finishing after their datacenter's lease end (``lease-end``); dev/test that cannot precede
   prod (``dev-test-before-prod``).

Every placement is explained by its binding constraint (``mbf plan --explain``).
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections import defaultdict
from collections.abc import Iterable, Mapping

import attrs

from mbf.config import PlanningConfig
from mbf.domain import Backlog, MigrationStrategy, Release
from mbf.engine.cadence import Cadence, iteration_id, make_cadence
from mbf.engine.planning import (
    DatacenterInfo,
    PlanningModel,
    WorkloadUnit,
    apply_plan,
    read_planning_model,
)
from mbf.plugin.types import Context, PlanResult, PlanViolation

__all__ = ["WavePlan", "place_workloads", "plan_waves", "strongly_connected"]

_MAX_SKIP_NOTES = 3
_UNCONSTRAINED = "earliest iteration: nothing holds it back"


def strongly_connected(nodes: Iterable[int], edges: Mapping[int, Iterable[int]]) -> list[list[int]]:
    """Tarjan's strongly connected components, iteratively (no recursion limit on long chains)."""
    index: dict[int, int] = {}
    low: dict[int, int] = {}
    on_stack: set[int] = set()
    stack: list[int] = []
    components: list[list[int]] = []
    for root in nodes:
        if root in index:
            continue
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(edges.get(root, ())))]
        while work:
            node, successors = work[-1]
            descended = False
            for nxt in successors:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(edges.get(nxt, ()))))
                    descended = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            if descended:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(component)
    return components


class _UnionFind:
    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, key: int) -> int:
        root = key
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[key] != root:
            self.parent[key], key = root, self.parent[key]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


@attrs.define
class _Group:
    """Workloads that move together, and what they need."""

    units: list[WorkloadUnit]
    servers: int = 0
    hours: float = 0.0
    remediation_hours: float = 0.0
    rank: int = 0
    position: int = 0
    datacenters: list[str] = attrs.field(factory=list)
    pinned: int | None = None
    cause: str = ""


@attrs.frozen(kw_only=True)
class WavePlan:
    """Where each workload goes, and why."""

    placement: Mapping[str, int]
    """Feature id -> iteration number (from 1)."""
    iterations: int
    """Number of iterations the plan needs (at least ``max_iterations`` when that is set)."""
    violations: tuple[PlanViolation, ...]
    """Constraints not met."""
    explanations: tuple[tuple[str, str], ...]
    """``(feature id, why)`` per placed feature, in backlog order."""


class _Placer:
    """Greedy placement of groups into iterations (see the module docstring)."""

    def __init__(
        self, model: PlanningModel, cadence: Cadence, settings: PlanningConfig, horizon: int | None
    ) -> None:
        self.model = model
        self.cadence = cadence
        self.settings = settings
        self.horizon = horizon
        self.capacity = cadence.capacity
        self.lead = settings.remediation_lead
        self.servers_load: list[int] = [0]
        self.hours_load: list[float] = [0.0]
        self.windows: list[tuple[dt.date, dt.date]] = [(dt.date.min, dt.date.min)]
        self.violations: list[PlanViolation] = []
        self.blackout_memo: dict[tuple[int, str], str | None] = {}

    # -- iterations ----------------------------------------------------------------------------

    def _ensure(self, number: int) -> None:
        while len(self.servers_load) <= number:
            self.windows.append(self.cadence.window(len(self.servers_load)))
            self.servers_load.append(0)
            self.hours_load.append(0.0)

    def _blackout(self, number: int, group: _Group) -> str | None:
        """Why iteration ``number`` is frozen for ``group``, or ``None``."""
        self._ensure(number)
        first, last = self.windows[number]
        for dc_id in group.datacenters:
            key = (number, dc_id)
            if key not in self.blackout_memo:
                reason = None
                dc = self.model.datacenters.get(dc_id)
                for window in dc.blackout if dc else ():
                    if window.start <= last and window.end >= first:
                        why = f" ({window.reason})" if window.reason else ""
                        reason = (
                            f"{iteration_id(number)} overlaps the {dc_id} change freeze "
                            f"{window.start.isoformat()}..{window.end.isoformat()}{why}"
                        )
                        break
                self.blackout_memo[key] = reason
            if self.blackout_memo[key] is not None:
                return self.blackout_memo[key]
        return None

    def _oversized(self, group: _Group) -> bool:
        servers, hours = self.capacity.servers, self.capacity.hours
        migration_hours = group.hours + (group.remediation_hours if self.lead == 0 else 0.0)
        return (servers is not None and group.servers > servers) or (
            hours is not None and (migration_hours > hours or group.remediation_hours > hours)
        )

    def _room(self, number: int, group: _Group) -> str | None:
        """Why ``group`` does not fit iteration ``number``, or ``None`` when it does."""
        self._ensure(number)
        servers, hours = self.capacity.servers, self.capacity.hours
        if (
            servers is not None
            and group.servers
            and self.servers_load[number] + group.servers > servers
        ):
            return f"{iteration_id(number)} is full ({self.servers_load[number]}/{servers} servers taken)"
        if hours is None:
            return None
        own = group.hours + (group.remediation_hours if self.lead == 0 else 0.0)
        if own and self.hours_load[number] + own > hours:
            return f"{iteration_id(number)} is full ({self.hours_load[number]:g}/{hours:g} h taken)"
        earlier = number - self.lead
        if (
            self.lead
            and group.remediation_hours
            and self.hours_load[earlier] + group.remediation_hours > hours
        ):
            return (
                f"its remediation does not fit {iteration_id(earlier)} "
                f"({self.hours_load[earlier]:g}/{hours:g} h taken)"
            )
        return None

    def _charge(self, number: int, group: _Group) -> None:
        self._ensure(number)
        self.servers_load[number] += group.servers
        self.hours_load[number] += group.hours
        if group.remediation_hours:
            self.hours_load[max(1, number - self.lead)] += group.remediation_hours

    # -- one group -----------------------------------------------------------------------------

    def place(self, group: _Group, bound: int, bound_reason: str) -> tuple[int, str]:
        """Place ``group`` no earlier than ``bound``; return the iteration and the explanation."""
        if group.pinned is not None:
            self._charge(group.pinned, group)
            return (
                group.pinned,
                f"work on it has started in {iteration_id(group.pinned)}; it stays there",
            )
        if self._oversized(group):
            return self._place_oversized(group, bound, bound_reason)
        skipped: list[str] = []
        number = bound
        while self.horizon is None or number <= self.horizon:
            reason = self._blackout(number, group) or self._room(number, group)
            if reason is None:
                self._charge(number, group)
                return number, self._why(number, bound, bound_reason, skipped)
            skipped.append(reason)
            number += 1
        return self._place_overflow(group, bound, bound_reason)

    def _why(self, number: int, bound: int, bound_reason: str, skipped: list[str]) -> str:
        if not skipped:
            return bound_reason
        notes = skipped[:_MAX_SKIP_NOTES]
        if len(skipped) > _MAX_SKIP_NOTES:
            notes.append(f"... {len(skipped) - _MAX_SKIP_NOTES} more iterations full or frozen")
        kind = "change freeze" if "change freeze" in skipped[-1] else "capacity"
        start = "" if bound_reason == _UNCONSTRAINED else f"{bound_reason}; "
        return f"{kind}: {start}" + "; ".join(notes)

    def _first_free(self, group: _Group, bound: int, *, empty: bool) -> int:
        number = bound
        while self._blackout(number, group) is not None or (
            empty and (self.servers_load[number] or self.hours_load[number])
        ):
            number += 1
        return number

    def _place_oversized(self, group: _Group, bound: int, bound_reason: str) -> tuple[int, str]:
        number = self._first_free(group, bound, empty=True)
        if self.horizon is not None and number > self.horizon:
            return self._place_overflow(group, bound, bound_reason)
        self._charge(number, group)
        limits = []
        if self.capacity.servers is not None:
            limits.append(f"{group.servers}/{self.capacity.servers} servers")
        if self.capacity.hours is not None:
            limits.append(f"{group.hours + group.remediation_hours:g}/{self.capacity.hours:g} h")
        text = f"larger than an iteration ({', '.join(limits)}); it goes alone into {iteration_id(number)}"
        self._violate("oversized", f"{self._names(group)} is {text}", group)
        return number, f"oversized: {text}"

    def _place_overflow(self, group: _Group, bound: int, bound_reason: str) -> tuple[int, str]:
        assert self.horizon is not None
        candidates = [n for n in range(bound, self.horizon + 1) if self._blackout(n, group) is None]
        if candidates:
            number = min(candidates, key=lambda n: (self.servers_load[n], self.hours_load[n], n))
            self._charge(number, group)
            text = f"no iteration up to {iteration_id(self.horizon)} has room; {iteration_id(number)} is over capacity"
            self._violate("capacity", f"{self._names(group)}: {text}", group)
            return number, f"capacity: {text}"
        number = self._first_free(group, max(bound, self.horizon + 1), empty=False)
        self._charge(number, group)
        text = f"{bound_reason}; it lands in {iteration_id(number)}, past the horizon of {self.horizon} iterations"
        self._violate("horizon", f"{self._names(group)}: {text}", group)
        return number, f"horizon: {text}"

    @staticmethod
    def _names(group: _Group) -> str:
        return ", ".join(u.feature_id for u in group.units)

    def _violate(self, constraint: str, message: str, group: _Group) -> None:
        self.violations.append(
            PlanViolation(
                constraint=constraint,
                message=message,
                item_ids=tuple(u.feature_id for u in group.units),
            )
        )


def _group_units(
    model: PlanningModel, settings: PlanningConfig
) -> tuple[list[_Group], list[PlanViolation]]:
    """Merge move groups and dependency cycles into the groups that move as one."""
    units = model.units
    moving = {u.feature_id: n for n, u in enumerate(units)}
    sets = _UnionFind(len(units))
    first_of_group: dict[str, int] = {}
    for n, unit in enumerate(units):
        if unit.move_group is not None:
            sets.union(first_of_group.setdefault(unit.move_group, n), n)
    edges: defaultdict[int, set[int]] = defaultdict(set)
    for n, unit in enumerate(units):
        if unit.strategy == MigrationStrategy.RETIRE.value:
            continue  # decommissioning follows no migration order
        for target in unit.depends_on:
            m = moving.get(target)
            if m is not None and units[m].strategy != MigrationStrategy.RETIRE.value:
                a, b = sets.find(n), sets.find(m)
                if a != b:
                    edges[a].add(b)
    violations: list[PlanViolation] = []
    roots = sorted({sets.find(n) for n in range(len(units))})
    for component in strongly_connected(roots, {k: sorted(v) for k, v in edges.items()}):
        if len(component) < 2:
            continue
        for root in component[1:]:
            sets.union(component[0], root)
        members = sorted(n for n in range(len(units)) if sets.find(n) == sets.find(component[0]))
        ids = tuple(units[n].feature_id for n in members)
        violations.append(
            PlanViolation(
                constraint="dependency-cycle",
                message=f"workloads {', '.join(ids)} depend on each other in a cycle; they move together",
                item_ids=ids,
            )
        )
    grouped: dict[int, _Group] = {}
    for n, unit in enumerate(units):
        root = sets.find(n)
        group = grouped.get(root)
        if group is None:
            group = grouped[root] = _Group(units=[], rank=unit.rank, position=unit.position)
        group.units.append(unit)
        group.servers += unit.servers
        group.hours += unit.hours
        group.remediation_hours += unit.remediation_hours
        group.rank = min(group.rank, unit.rank)
        group.position = min(group.position, unit.position)
        if unit.datacenter_id and unit.datacenter_id not in group.datacenters:
            group.datacenters.append(unit.datacenter_id)
        if unit.pinned is not None:
            group.pinned = max(group.pinned or 0, unit.pinned)
    for violation in violations:
        grouped[sets.find(moving[violation.item_ids[0]])].cause = "dependency cycle"
    groups = sorted(grouped.values(), key=lambda g: g.position)
    for group in groups:
        if len(group.units) > 1 and not group.cause:
            group.cause = f"move group {group.units[0].move_group}"
    return groups, violations


def _precedence(
    groups: list[_Group], settings: PlanningConfig
) -> tuple[dict[int, set[int]], dict[int, set[int]], list[PlanViolation]]:
    """Edges dependent -> target: ``same`` (same or earlier) and ``strict`` (earlier, dev/test)."""
    group_of = {u.feature_id: g for g, group in enumerate(groups) for u in group.units}
    same: defaultdict[int, set[int]] = defaultdict(set)
    strict: defaultdict[int, set[int]] = defaultdict(set)
    violations: list[PlanViolation] = []
    for g, group in enumerate(groups):
        for unit in group.units:
            if unit.strategy == MigrationStrategy.RETIRE.value:
                continue
            for target in unit.depends_on:
                t = group_of.get(target)
                if (
                    t is not None
                    and t != g
                    and groups[t].units[0].strategy != MigrationStrategy.RETIRE.value
                ):
                    same[g].add(t)
    if not settings.dev_test_first:
        return same, strict, violations
    by_application: defaultdict[str, tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
    for g, group in enumerate(groups):
        for unit in group.units:
            if unit.strategy != MigrationStrategy.RETIRE.value:
                by_application[unit.application][0 if unit.production else 1].append(g)
    for application, (prod, nonprod) in sorted(by_application.items()):
        for p in dict.fromkeys(prod):
            for q in dict.fromkeys(nonprod):
                if p == q:
                    ids = tuple(
                        u.feature_id for u in groups[p].units if u.application == application
                    )
                    violations.append(
                        PlanViolation(
                            constraint="dev-test-before-prod",
                            message=f"dev/test and prod workloads of {application} ({', '.join(ids)}) "
                            f"must move together ({groups[p].cause}), so dev/test cannot go first",
                            item_ids=ids,
                        )
                    )
                else:
                    strict[p].add(q)
    combined = {g: same.get(g, set()) | strict.get(g, set()) for g in range(len(groups))}
    for component in strongly_connected(
        range(len(groups)), {k: sorted(v) for k, v in combined.items()}
    ):
        if len(component) < 2:
            continue
        inside = set(component)
        for g in component:
            dropped = strict.get(g, set()) & inside
            if dropped:
                strict[g] -= dropped
                ids = tuple(u.feature_id for d in sorted(dropped | {g}) for u in groups[d].units)
                violations.append(
                    PlanViolation(
                        constraint="dev-test-before-prod",
                        message=f"dependencies make {groups[g].units[0].feature_id} (prod) move no later "
                        "than its dev/test workloads, so dev/test cannot go first",
                        item_ids=ids,
                    )
                )
    return same, strict, violations


def _placement_order(groups: list[_Group], edges: Mapping[int, set[int]]) -> list[int]:
    """Targets before dependents; among ready groups best inherited rank, then larger, then
    backlog order."""
    dependents: defaultdict[int, list[int]] = defaultdict(list)
    pending = [0] * len(groups)
    for g, targets in edges.items():
        pending[g] = len(targets)
        for t in targets:
            dependents[t].append(g)
    # Inherited rank: walk dependents before targets (reverse of the placement order).
    rank = [group.rank for group in groups]
    waiting = [len(dependents[g]) for g in range(len(groups))]
    ready = [g for g in range(len(groups)) if waiting[g] == 0]
    while ready:
        g = ready.pop()
        for t in edges.get(g, ()):
            rank[t] = min(rank[t], rank[g])
            waiting[t] -= 1
            if waiting[t] == 0:
                ready.append(t)

    def key(g: int) -> tuple[int, int, float, int]:
        group = groups[g]
        return (rank[g], -group.servers, -group.hours, group.position)

    heap = [(key(g), g) for g in range(len(groups)) if pending[g] == 0]
    heapq.heapify(heap)
    order: list[int] = []
    while heap:
        _, g = heapq.heappop(heap)
        order.append(g)
        for d in dependents[g]:
            pending[d] -= 1
            if pending[d] == 0:
                heapq.heappush(heap, (key(d), d))
    return order


def place_workloads(
    model: PlanningModel, cadence: Cadence, settings: PlanningConfig, horizon: int | None
) -> WavePlan:
    """Place the workloads of ``model`` into iterations of ``cadence`` (the heart of ``waves``)."""
    groups, violations = _group_units(model, settings)
    same, strict, more = _precedence(groups, settings)
    violations += more
    placer = _Placer(model, cadence, settings, horizon)
    where: dict[int, int] = {}
    why: dict[int, str] = {}
    last_by_rank: dict[int, int] = {}
    edges = {g: same.get(g, set()) | strict.get(g, set()) for g in range(len(groups))}
    for g in _placement_order(groups, edges):
        group = groups[g]
        bound, reason = 1, _UNCONSTRAINED
        candidates: list[tuple[int, str]] = []
        if group.remediation_hours and placer.lead:
            candidates.append(
                (
                    1 + placer.lead,
                    f"remediation: its open remediation lands {placer.lead} iteration(s) before",
                )
            )
        for t in sorted(same.get(g, ())):
            target = groups[t].units[0].feature_id
            candidates.append(
                (where[t], f"dependency: it depends on {target} in {iteration_id(where[t])}")
            )
        for t in sorted(strict.get(g, ())):
            target = groups[t].units[0].feature_id
            candidates.append(
                (where[t] + 1, f"dev/test first: {target} moves in {iteration_id(where[t])}")
            )
        if settings.strict_datacenter_order:
            earlier = [n for r, n in last_by_rank.items() if r < group.rank]
            if earlier:
                candidates.append(
                    (max(earlier), "datacenter order: earlier datacenters finish first")
                )
        if candidates:
            top = max(n for n, _ in candidates)
            if top >= bound:
                bound, reason = top, "; ".join(text for n, text in candidates if n == top)
        number, text = placer.place(group, bound, reason)
        where[g] = number
        if len(group.units) > 1:
            text += f" (moves with its {group.cause}: {placer._names(group)})"
        why[g] = text
        last_by_rank[group.rank] = max(last_by_rank.get(group.rank, 0), number)
    violations += placer.violations
    violations += _check_precedence(groups, same, strict, where)
    placement = {u.feature_id: where[g] for g, group in enumerate(groups) for u in group.units}
    violations += _late_datacenters(model, placement, placer)
    count = max([*placement.values(), horizon or 0])
    explanations = sorted(
        (
            (u.position, u.feature_id, f"{iteration_id(where[g])}: {why[g]}")
            for g, group in enumerate(groups)
            for u in group.units
        ),
    )
    return WavePlan(
        placement=placement,
        iterations=count,
        violations=tuple(violations),
        explanations=tuple((feature, text) for _, feature, text in explanations),
    )


def _check_precedence(
    groups: list[_Group],
    same: Mapping[int, set[int]],
    strict: Mapping[int, set[int]],
    where: Mapping[int, int],
) -> list[PlanViolation]:
    """Links broken by work already started (pinned groups); nothing else can break them."""
    broken = []
    for edges, later in ((same, False), (strict, True)):
        for g, targets in sorted(edges.items()):
            for t in sorted(targets):
                if where[g] < where[t] or (later and where[g] == where[t]):
                    a, b = groups[g].units[0].feature_id, groups[t].units[0].feature_id
                    broken.append(
                        PlanViolation(
                            constraint="dependency",
                            message=f"{a} ({iteration_id(where[g])}) moves before {b} "
                            f"({iteration_id(where[t])}), which it depends on",
                            item_ids=(a, b),
                        )
                    )
    return broken


def _late_datacenters(
    model: PlanningModel, placement: Mapping[str, int], placer: _Placer
) -> list[PlanViolation]:
    late: defaultdict[str, list[tuple[int, str]]] = defaultdict(list)
    for unit in model.units:
        dc = model.datacenters.get(unit.datacenter_id)
        number = placement[unit.feature_id]
        placer._ensure(number)
        if dc is not None and dc.lease_end is not None and placer.windows[number][1] > dc.lease_end:
            late[dc.id].append((number, unit.feature_id))
    violations = []
    for dc in sorted(model.datacenters.values(), key=lambda d: d.rank):
        if dc.id not in late:
            continue
        last = max(n for n, _ in late[dc.id])
        ids = tuple(f for _, f in late[dc.id])
        violations.append(
            PlanViolation(
                constraint="lease-end",
                message=f"datacenter {dc.id} must be empty by {dc.lease_end}, but {len(ids)} workload(s) "
                f"move later; the last in {iteration_id(last)} ending {placer.windows[last][1].isoformat()}",
                item_ids=ids,
            )
        )
    return violations


def _releases(
    model: PlanningModel,
    placement: Mapping[str, int],
    cadence: Cadence,
    settings: PlanningConfig,
    workload_ids: Mapping[str, str],
) -> list[Release]:
    """Releases: the workloads promoted together, per ``settings.releases``."""
    if settings.releases == "none":
        return []
    promoted = sorted(
        (placement[u.feature_id], u.position, u)
        for u in model.units
        if u.strategy != MigrationStrategy.RETIRE.value
    )
    blocks: dict[int, list[WorkloadUnit]] = {}
    last: dict[int, int] = {}
    for number, _, unit in promoted:
        if settings.releases == "iteration":
            key = (number - 1) // settings.release_every + 1
        else:
            dc: DatacenterInfo | None = model.datacenters.get(unit.datacenter_id)
            key = dc.rank if dc else len(model.datacenters) + 1
        blocks.setdefault(key, []).append(unit)
        last[key] = max(last.get(key, 0), number)
    releases = []
    for n, key in enumerate(sorted(blocks), start=1):
        number = key if settings.releases == "iteration" else n
        releases.append(
            Release(
                id=f"release-{number}",
                name=settings.release_name_pattern.format(n=number),
                date=cadence.window(last[key])[1],
                workload_ids=tuple(workload_ids[u.feature_id] for u in blocks[key]),
            )
        )
    return releases


def plan_waves(backlog: Backlog, context: Context) -> PlanResult:
    """The ``waves`` strategy: plan ``backlog`` into iterations and releases from mbf.toml."""
    config = context.config
    cadence = make_cadence(config)
    model = read_planning_model(backlog, config)
    plan = place_workloads(model, cadence, config.planning, config.iterations.max_iterations)
    features = {item.id: item for item in backlog.items if item.id in plan.placement}
    workload_ids = {fid: (item.source[0] if item.source else fid) for fid, item in features.items()}
    releases = _releases(model, plan.placement, cadence, config.planning, workload_ids)
    iterations = [cadence.iteration(n) for n in range(1, plan.iterations + 1)]
    planned = apply_plan(
        backlog,
        plan.placement,
        iterations,
        releases,
        remediation_lead=config.planning.remediation_lead,
    )
    # PlanResult's tuple converters confuse mypy's attrs plugin about the argument types.
    return PlanResult(
        backlog=planned,
        violations=plan.violations,  # type: ignore[arg-type]
        explanations=plan.explanations,  # type: ignore[arg-type]
    )
