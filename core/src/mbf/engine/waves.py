"""The default ``waves`` strategy: place whole workloads into iterations in business order.

How it works (all steps linear or ``n log n`` in workloads and links, times the iterations a
group may have to skip; merging for strict order repeats while merges happen, and the lease-end
search of step 5 stops after a fixed amount of work):

1. Workloads of one move group (strong two-way coupling, shared servers) form one group; so do
   workloads caught in a dependency cycle (reported as ``dependency-cycle``): a dependency target
   must move in the same or an earlier iteration, so a cycle can only move together.
2. With ``strict_datacenter_order``, the order becomes part of the precedence graph: two boundary
   nodes between each pair of consecutive datacenter ranks (all of the earlier datacenters done;
   the first iteration the later ones may take). A dependency on a workload of a later datacenter
   then closes a cycle (dependent, target and whatever lies between them can only move in the
   boundary iteration), so those workloads merge into one group like a dependency cycle; so do
   two groups that both span one boundary. A merge that would not fit an iteration is not made:
   its workloads leave the order, and the breaks that follow are reported (``datacenter-order``).
3. Each group inherits the best business rank of the groups that depend on it, so a target that a
   first-ranked datacenter needs is pulled forward with it.
4. Groups are taken targets-first (topological order), best rank first, larger first (first-fit
   decreasing packs iterations well), and each goes to the earliest iteration that is no earlier
   than its bounds (dependency targets, remediation lead, dev/test before prod, datacenter order,
   work already started) and that is outside its datacenters' blackout windows and has room.
5. When that plan misses a lease end and capacity alone does not rule out meeting them all
   (the servers and hours due by each lease end fit what iterations hold up to it), a
   deadline-aware pass plans again: each group's latest iteration comes from a plan built
   backwards from the lease ends (propagated to dependency targets, dev/test twins and earlier
   datacenters, with capacity and blackouts), and groups are taken earliest-latest-iteration
   first. If a lease end is still missed, a depth-first search over the iterations of the groups
   bound by lease ends (greedy choice first, pruned by the room left before each lease end) looks
   for a plan meeting them all (when at most :data:`_SEARCH_GROUPS` groups come up to the last
   one bound by a lease end; it gives up after :data:`_SEARCH_WORK`). The plan with fewer broken constraints wins (then the one with fewer
   iterations; the first on a tie), so estates that plan cleanly keep their plan.
6. What cannot be met is reported, and the plan still completes: a group larger than an iteration
   goes alone into the first empty one (``oversized``); with ``max_iterations`` set, overflow goes
   into the least loaded iteration (``capacity``) or past the horizon (``horizon``); workloads
   finishing after their datacenter's lease end (``lease-end``); dev/test that cannot precede
   prod (``dev-test-before-prod``); workloads of a datacenter moving before an earlier datacenter
   is done under strict order (``datacenter-order``).

Every placement is explained by its binding constraint (``mbf plan --explain``).
"""

from __future__ import annotations

import datetime as dt
import heapq
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence

import attrs

from mbf.config import PlanningConfig
from mbf.domain import Backlog, MigrationStrategy, Release
from mbf.engine.cadence import Cadence, Capacity, iteration_id, make_cadence
from mbf.engine.planning import (
    DatacenterInfo,
    PlanningModel,
    WorkloadUnit,
    apply_plan,
    read_planning_model,
    remember_model,
)
from mbf.plugin.types import Context, PlanResult, PlanViolation

__all__ = ["WavePlan", "place_workloads", "plan_waves", "strongly_connected"]

_MAX_SKIP_NOTES = 3
_UNCONSTRAINED = "earliest iteration: nothing holds it back"
_ORDER_CAUSE = "dependencies across datacenters in strict order"
_RETIRE = MigrationStrategy.RETIRE.value
_SEARCH_WORK = 500_000
"""Placements times groups that the lease-end search may try before it gives up: about half a
second at most (some 17,000 placements on an estate of 30 workloads)."""
_SEARCH_GROUPS = 500
"""The lease-end search runs only when at most this many groups come up to the last one bound by
a lease end: on larger estates its budget would not reach past the greedy's own choices."""
_LAST = 1 << 30
"""A rank after every real one (boundary nodes before anything depends on them)."""


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

    units: list[WorkloadUnit] = attrs.field(factory=list)
    servers: int = 0
    hours: float = 0.0
    remediation_hours: float = 0.0
    rank: int = 0
    """First business rank among its units."""
    last_rank: int = 0
    """Last business rank among its units (after ``rank`` when it spans datacenters)."""
    position: int = 0
    datacenters: list[str] = attrs.field(factory=list)
    pinned: int | None = None
    cause: str = ""

    def add(self, unit: WorkloadUnit) -> None:
        """Take ``unit`` into the group."""
        if not self.units:
            self.rank = self.last_rank = unit.rank
            self.position = unit.position
        self.units.append(unit)
        self.servers += unit.servers
        self.hours += unit.hours
        self.remediation_hours += unit.remediation_hours
        self.rank = min(self.rank, unit.rank)
        self.last_rank = max(self.last_rank, unit.rank)
        self.position = min(self.position, unit.position)
        if unit.datacenter_id and unit.datacenter_id not in self.datacenters:
            self.datacenters.append(unit.datacenter_id)
        if unit.pinned is not None:
            self.pinned = max(self.pinned or 0, unit.pinned)


def _too_large(group: _Group, capacity: Capacity, lead: int) -> bool:
    """Whether ``group`` is larger than one iteration."""
    servers, hours = capacity.servers, capacity.hours
    migration_hours = group.hours + (group.remediation_hours if lead == 0 else 0.0)
    return (servers is not None and group.servers > servers) or (
        hours is not None and (migration_hours > hours or group.remediation_hours > hours)
    )


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
        self.frozen = frozenset(dc.id for dc in model.datacenters.values() if dc.blackout)
        """Datacenters with a change freeze (the others never need the blackout check)."""

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
        return _too_large(group, self.capacity, self.lead)

    def _open(self, number: int, group: _Group) -> bool:
        """Whether ``group`` may go into iteration ``number``: not frozen, and it fits (the fast
        check of :meth:`_blackout` and :meth:`_room`, without building their messages)."""
        self._ensure(number)
        frozen = self.frozen and any(dc in self.frozen for dc in group.datacenters)
        if frozen and self._blackout(number, group) is not None:
            return False
        servers, hours = self.capacity.servers, self.capacity.hours
        if (
            servers is not None
            and group.servers
            and self.servers_load[number] + group.servers > servers
        ):
            return False
        if hours is None:
            return True
        own = group.hours + (group.remediation_hours if self.lead == 0 else 0.0)
        if own and self.hours_load[number] + own > hours:
            return False
        return not (
            self.lead
            and group.remediation_hours
            and self.hours_load[number - self.lead] + group.remediation_hours > hours
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

    def _charge(self, number: int, group: _Group, sign: int = 1) -> None:
        """Load ``group`` into iteration ``number`` (``sign=-1`` takes it out again)."""
        self._ensure(number)
        self.servers_load[number] += sign * group.servers
        self.hours_load[number] += sign * group.hours
        if group.remediation_hours:
            self.hours_load[max(1, number - self.lead)] += sign * group.remediation_hours

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
        number = bound
        while self.horizon is None or number <= self.horizon:
            if self._open(number, group):
                why = self._why(group, bound, number, bound_reason)
                self._charge(number, group)
                return number, why
            number += 1
        return self._place_overflow(group, bound, bound_reason)

    def _why(self, group: _Group, bound: int, number: int, bound_reason: str) -> str:
        """The explanation of ``group`` placed in ``number`` above ``bound``: the first
        iterations it skipped, and why."""
        if number == bound:
            return bound_reason
        skipped = number - bound
        notes = [
            self._blackout(n, group) or self._room(n, group) or ""
            for n in range(bound, bound + min(skipped, _MAX_SKIP_NOTES))
        ]
        if skipped > _MAX_SKIP_NOTES:
            notes.append(f"... {skipped - _MAX_SKIP_NOTES} more iterations full or frozen")
        kind = "change freeze" if self._blackout(number - 1, group) else "capacity"
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
        if unit.strategy == _RETIRE:
            continue  # decommissioning follows no migration order
        for target in unit.depends_on:
            m = moving.get(target)
            if m is not None and units[m].strategy != _RETIRE:
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
        grouped.setdefault(sets.find(n), _Group()).add(unit)
    for violation in violations:
        grouped[sets.find(moving[violation.item_ids[0]])].cause = "dependency cycle"
    groups = sorted(grouped.values(), key=lambda g: g.position)
    for group in groups:
        if len(group.units) > 1 and not group.cause:
            group.cause = f"move group {group.units[0].move_group}"
    return groups, violations


def _dependency_edges(groups: Sequence[_Group]) -> dict[int, set[int]]:
    """Edges dependent -> target between groups (the target moves in the same or an earlier
    iteration); retired workloads follow no migration order."""
    group_of = {u.feature_id: g for g, group in enumerate(groups) for u in group.units}
    same: defaultdict[int, set[int]] = defaultdict(set)
    for g, group in enumerate(groups):
        for unit in group.units:
            if unit.strategy == _RETIRE:
                continue
            for target in unit.depends_on:
                t = group_of.get(target)
                if t is not None and t != g and groups[t].units[0].strategy != _RETIRE:
                    same[g].add(t)
    return same


def _order_edges(
    groups: Sequence[_Group], ordered: Sequence[bool]
) -> tuple[dict[int, set[int]], int]:
    """Strict datacenter order as precedence edges through boundary nodes, and the node count.

    Between ranks ``r`` and ``r + 1`` sit two nodes after the groups: ``done(r)`` depends on every
    group entirely within ranks ``<= r``; ``open(r)`` depends on ``done(r)`` and on the one group
    spanning the boundary (if any), and every group entirely after ``r`` depends on it. A group
    spanning the boundary depends on ``done(r)`` and ``done(r + 1)`` depends on it. Chains
    ``done(r) -> done(r - 1)`` and ``open(r) -> open(r - 1)`` keep this linear. A group that is
    not ``ordered`` (left out of the order) still holds the later datacenters back, but waits for
    no earlier one.
    """
    count = len(groups)
    top = max((g.last_rank for g in groups), default=1)

    def done(rank: int) -> int:
        return count + 2 * (rank - 1)

    def opened(rank: int) -> int:
        return count + 2 * (rank - 1) + 1

    edges: defaultdict[int, set[int]] = defaultdict(set)
    for rank in range(1, top):
        edges[opened(rank)].add(done(rank))
        if rank > 1:
            edges[done(rank)].add(done(rank - 1))
            edges[opened(rank)].add(opened(rank - 1))
    for g, group in enumerate(groups):
        first, last = group.rank, group.last_rank
        if last < top:
            edges[done(last)].add(g)
        if first < last:
            edges[opened(first)].add(g)
        if not ordered[g]:
            continue
        if first > 1:
            edges[g].add(opened(first - 1))
        if first < last:
            edges[g].add(done(last - 1))
    return dict(edges), count + 2 * max(top - 1, 0)


def _merge_for_datacenter_order(
    groups: list[_Group], fits: Callable[[_Group], bool]
) -> tuple[list[_Group], list[bool]]:
    """Merge the groups that strict datacenter order forces into one iteration (see the module
    docstring, step 2); return the groups and, per group, whether it keeps the order."""
    left_out: set[str] = set()
    while True:
        ordered = [not any(u.feature_id in left_out for u in g.units) for g in groups]
        sets = _UnionFind(len(groups))
        merged = False
        spanning: defaultdict[int, list[int]] = defaultdict(list)
        for g, group in enumerate(groups):
            if ordered[g]:
                for rank in range(group.rank, group.last_rank):
                    spanning[rank].append(g)
        for members in spanning.values():
            for g in members[1:]:
                sets.union(members[0], g)
                merged = True
        if not merged:
            order, nodes = _order_edges(groups, ordered)
            same = _dependency_edges(groups)
            # Unsorted: only which groups share a component matters, and that is unique.
            edges = {n: (*same.get(n, ()), *order.get(n, ())) for n in range(nodes)}
            for component in strongly_connected(range(nodes), edges):
                real = [n for n in component if n < len(groups)]
                for g in real[1:]:
                    sets.union(real[0], g)
                    merged = True
        if not merged:
            return groups, ordered
        parts: defaultdict[int, list[int]] = defaultdict(list)
        for g in range(len(groups)):
            parts[sets.find(g)].append(g)
        regrouped: list[_Group] = []
        for members in parts.values():
            if len(members) == 1:
                regrouped.append(groups[members[0]])
                continue
            combined = _Group(cause=_ORDER_CAUSE)
            for unit in sorted(
                (u for g in members for u in groups[g].units), key=lambda u: u.position
            ):
                combined.add(unit)
            if fits(combined):
                regrouped.append(combined)
            else:
                # Together they would not fit an iteration: they leave the order instead (the
                # breaks are reported after placement).
                left_out.update(u.feature_id for u in combined.units)
                regrouped.extend(groups[g] for g in members)
        groups = sorted(regrouped, key=lambda g: g.position)


@attrs.frozen
class _Network:
    """Groups and the precedence between them; nodes from ``len(groups)`` on are the boundary
    nodes of strict datacenter order (see :func:`_order_edges`)."""

    groups: list[_Group]
    nodes: int
    same: Mapping[int, set[int]]
    """Dependent -> targets that move in the same or an earlier iteration."""
    strict: Mapping[int, set[int]]
    """Prod -> dev/test groups that move in an earlier iteration."""
    order: Mapping[int, set[int]]
    """Strict datacenter order (same or earlier iteration), through the boundary nodes."""

    def links(self) -> list[list[tuple[int, int]]]:
        """Per node, ``(target, gap)``: the node moves at least ``gap`` iterations after it."""
        links: list[list[tuple[int, int]]] = [[] for _ in range(self.nodes)]
        for node in range(self.nodes):
            gaps = dict.fromkeys(
                sorted(self.same.get(node, set()) | self.order.get(node, set())), 0
            )
            gaps.update(dict.fromkeys(sorted(self.strict.get(node, set())), 1))
            links[node] = sorted(gaps.items())
        return links


def _precedence(
    groups: list[_Group],
    settings: PlanningConfig,
    order: Mapping[int, set[int]],
    nodes: int,
) -> tuple[dict[int, set[int]], dict[int, set[int]], list[PlanViolation]]:
    """Edges dependent -> target: ``same`` (same or earlier) and ``strict`` (earlier, dev/test)."""
    same = _dependency_edges(groups)
    strict: defaultdict[int, set[int]] = defaultdict(set)
    violations: list[PlanViolation] = []
    if not settings.dev_test_first:
        return same, strict, violations
    by_application: defaultdict[str, tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
    for g, group in enumerate(groups):
        for unit in group.units:
            if unit.strategy != _RETIRE:
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
    combined = {
        n: sorted(same.get(n, set()) | strict.get(n, set()) | order.get(n, set()))
        for n in range(nodes)
    }
    holders = "dependencies and datacenter order" if order else "dependencies"
    for component in strongly_connected(range(nodes), combined):
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
                        message=f"{holders} make {groups[g].units[0].feature_id} (prod) move no later "
                        "than its dev/test workloads, so dev/test cannot go first",
                        item_ids=ids,
                    )
                )
    return same, strict, violations


def _inherited_ranks(network: _Network, links: Sequence[Sequence[tuple[int, int]]]) -> list[int]:
    """Each group's best rank among itself and the groups that (transitively) depend on it."""
    count = len(network.groups)
    rank = [group.rank for group in network.groups] + [_LAST] * (network.nodes - count)
    waiting = [0] * network.nodes
    for targets in links:
        for t, _ in targets:
            waiting[t] += 1
    ready = [n for n in range(network.nodes) if waiting[n] == 0]
    while ready:
        node = ready.pop()
        for t, _ in links[node]:
            rank[t] = min(rank[t], rank[node])
            waiting[t] -= 1
            if waiting[t] == 0:
                ready.append(t)
    return rank


def _placement_order(
    network: _Network,
    links: Sequence[Sequence[tuple[int, int]]],
    key: Callable[[int], tuple[float, ...]],
) -> list[int]:
    """Targets before dependents; among ready groups the smallest ``key``. A boundary node comes
    as soon as what it waits for is placed."""
    count = len(network.groups)
    dependents: list[list[int]] = [[] for _ in range(network.nodes)]
    pending = [len(targets) for targets in links]
    for node, targets in enumerate(links):
        for t, _ in targets:
            dependents[t].append(node)
    heap: list[tuple[tuple[float, ...], int]] = []
    order: list[int] = []

    def release(node: int) -> None:
        stack = [node]
        while stack:
            node = stack.pop()
            if node < count:
                heapq.heappush(heap, (key(node), node))
                continue
            order.append(node)
            for d in dependents[node]:
                pending[d] -= 1
                if pending[d] == 0:
                    stack.append(d)

    for node in range(network.nodes):
        if pending[node] == 0:
            release(node)
    while heap:
        _, g = heapq.heappop(heap)
        order.append(g)
        for d in dependents[g]:
            pending[d] -= 1
            if pending[d] == 0:
                release(d)
    if (
        len(order) < network.nodes
    ):  # pragma: no cover - the merges leave no cycle; never lose a group
        seen = set(order)
        order += [n for n in range(network.nodes) if n not in seen]
    return order


@attrs.frozen(kw_only=True)
class _Job:
    """What every pass of one planning job shares."""

    model: PlanningModel
    cadence: Cadence
    settings: PlanningConfig
    horizon: int | None

    def placer(self) -> _Placer:
        """Fresh, empty iterations."""
        return _Placer(self.model, self.cadence, self.settings, self.horizon)


@attrs.frozen
class _Run:
    """One pass of placement: where each node went, why, and what it breaks."""

    where: list[int]
    why: list[str]
    placement: dict[str, int]
    violations: list[PlanViolation]
    iterations: int

    @property
    def score(self) -> tuple[int, int]:
        """Fewer broken constraints first (counted per workload), then fewer iterations."""
        return sum(len(v.item_ids) for v in self.violations), self.iterations


def _run(
    network: _Network, order: Sequence[int], job: _Job, fixed: Mapping[int, int] | None = None
) -> _Run:
    """Place the groups in ``order``, each at the earliest iteration its bounds allow (or the
    later one ``fixed`` gives it)."""
    groups = network.groups
    count = len(groups)
    placer = job.placer()
    fixed = fixed or {}
    where = [0] * network.nodes
    why = [""] * count
    for node in order:
        if node >= count:
            where[node] = max((where[t] for t in network.order.get(node, ())), default=0)
            continue
        group = groups[node]
        bound, reason = 1, _UNCONSTRAINED
        candidates: list[tuple[int, str]] = []
        if group.remediation_hours and placer.lead:
            candidates.append(
                (
                    1 + placer.lead,
                    f"remediation: its open remediation lands {placer.lead} iteration(s) before",
                )
            )
        for t in sorted(network.same.get(node, ())):
            target = groups[t].units[0].feature_id
            candidates.append(
                (where[t], f"dependency: it depends on {target} in {iteration_id(where[t])}")
            )
        for t in sorted(network.strict.get(node, ())):
            target = groups[t].units[0].feature_id
            candidates.append(
                (where[t] + 1, f"dev/test first: {target} moves in {iteration_id(where[t])}")
            )
        for t in sorted(network.order.get(node, ())):
            if where[t]:
                candidates.append(
                    (
                        where[t],
                        f"datacenter order: earlier datacenters finish in {iteration_id(where[t])}",
                    )
                )
        if candidates:
            top = max(n for n, _ in candidates)
            if top >= bound:
                bound = top
                reason = "; ".join(dict.fromkeys(text for n, text in candidates if n == top))
        if fixed.get(node, bound) > bound:
            # The lease-end search holds it back to leave room for workloads due earlier.
            reason = (
                f"lease ends: its bounds allow {iteration_id(bound)} ({reason}), but it waits so "
                "that earlier iterations keep room for workloads due out of their datacenter sooner"
            )
            bound = fixed[node]
        number, text = placer.place(group, bound, reason)
        where[node] = number
        if len(group.units) > 1:
            text += f" (moves with its {group.cause}: {placer._names(group)})"
        why[node] = text
    placement = {u.feature_id: where[g] for g, group in enumerate(groups) for u in group.units}
    violations = [*placer.violations, *_check_precedence(network, where)]
    violations += _late_datacenters(job.model, placement, placer)
    if job.settings.strict_datacenter_order:
        violations += _order_breaks(job.model, placement)
    return _Run(
        where=where,
        why=why,
        placement=placement,
        violations=violations,
        iterations=max([*placement.values(), job.horizon or 0]),
    )


def _deadlines(
    model: PlanningModel, cadence: Cadence, groups: Sequence[_Group], limit: int
) -> list[float]:
    """Per group, the last iteration ending by every lease end of its datacenters (``inf``: none
    within ``limit`` iterations)."""
    last: dict[str, float] = {}
    for dc in model.datacenters.values():
        if dc.lease_end is None:
            continue
        number = 0
        while number < limit and cadence.window(number + 1)[1] <= dc.lease_end:
            number += 1
        last[dc.id] = number if number < limit else math.inf
    return [min((last.get(d, math.inf) for d in g.datacenters), default=math.inf) for g in groups]


def _earliest_iterations(
    network: _Network, links: Sequence[Sequence[tuple[int, int]]], placer: _Placer
) -> list[int]:
    """The earliest iteration each node can take with room to spare: after its targets (and the
    gap to each), its remediation lead and its datacenters' change freezes; capacity ignored."""
    groups = network.groups
    count = len(groups)
    earliest = [1] * network.nodes
    dependents: list[list[int]] = [[] for _ in range(network.nodes)]
    pending = [len(targets) for targets in links]
    for node, targets in enumerate(links):
        for t, _ in targets:
            dependents[t].append(node)
    ready = [n for n in range(network.nodes) if pending[n] == 0]
    while ready:
        node = ready.pop()
        number = max((earliest[t] + gap for t, gap in links[node]), default=1)
        if node < count:
            group = groups[node]
            if group.pinned is not None:
                number = group.pinned
            else:
                if group.remediation_hours and placer.lead:
                    number = max(number, 1 + placer.lead)
                while placer._blackout(number, group) is not None:
                    number += 1
        earliest[node] = number
        for d in dependents[node]:
            pending[d] -= 1
            if pending[d] == 0:
                ready.append(d)
    return earliest


def _latest_iterations(
    network: _Network,
    links: Sequence[Sequence[tuple[int, int]]],
    limits: tuple[Sequence[float], Sequence[int]],
    job: _Job,
) -> list[float]:
    """The iteration each group would take in a plan built backwards from the lease ends.

    Dependents go before their targets; among the ready groups, the one that can start least
    early (then the one with the latest deadline, then the larger) takes the latest iteration
    with room between its earliest iteration and its bound: its deadline, and what depends on it
    (less the gap). Groups bound by no lease end are left at ``inf``. Taking groups in the
    order of this plan and placing each as early as it fits never places a group later than
    here, so where the backward plan meets every lease end, so does the forward one.
    """
    groups = network.groups
    count = len(groups)
    deadlines, earliest = limits
    placer = _Placer(job.model, job.cadence, job.settings, None)
    upper = [*deadlines, *[math.inf] * (network.nodes - count)]
    latest = [math.inf] * network.nodes
    waiting = [0] * network.nodes
    for targets in links:
        for t, _ in targets:
            waiting[t] += 1
    heap: list[tuple[tuple[float, ...], int]] = []

    def ready(node: int) -> None:
        group = groups[node]
        key = (-earliest[node], -upper[node], -group.servers, -group.hours, group.position)
        heapq.heappush(heap, (key, node))

    def settle(node: int, number: float) -> None:
        stack = [(node, number)]
        while stack:
            node, number = stack.pop()
            latest[node] = number
            for t, gap in links[node]:
                upper[t] = min(upper[t], number - gap)
                waiting[t] -= 1
                if waiting[t] > 0:
                    continue
                if t >= count:
                    stack.append((t, upper[t]))
                else:
                    ready(t)

    for node in range(network.nodes):
        if waiting[node] == 0:
            if node >= count:
                settle(node, upper[node])
            else:
                ready(node)
    while heap:
        _, g = heapq.heappop(heap)
        group = groups[g]
        number = upper[g]
        if group.pinned is not None:
            number = group.pinned
            placer._charge(group.pinned, group)
        elif number != math.inf and not placer._oversized(group):
            for candidate in range(int(number), earliest[g] - 1, -1):
                if placer._open(candidate, group):
                    placer._charge(candidate, group)
                    number = candidate
                    break
        settle(g, number)
    return latest


def _bounds(
    deadlines: Sequence[float], links: Sequence[Sequence[tuple[int, int]]], order: Sequence[int]
) -> list[float]:
    """Per node, the last iteration that lets it and everything depending on it meet their lease
    ends, capacity ignored (``order`` puts targets before dependents)."""
    bound = [*deadlines, *[math.inf] * (len(links) - len(deadlines))]
    for node in reversed(order):
        for t, gap in links[node]:
            bound[t] = min(bound[t], bound[node] - gap)
    return bound


def _room_by_deadlines(waiting: Sequence[tuple[int, int, int, float]], placer: _Placer) -> bool:
    """Whether ``waiting`` groups, each ``(earliest, last iteration, servers, hours)``, could
    still fit into what ``placer`` has left: for every last iteration and earliest start, the
    groups that must move between them need no more than is free between them (a relaxation:
    one group may spread over iterations, change freezes are ignored; remediation may take
    room ``lead`` iterations earlier)."""
    if not waiting:
        return True
    capacity, lead = placer.capacity, placer.lead
    last = max(b for _, b, _, _ in waiting)
    if last < 1:
        return False
    placer._ensure(last)
    servers_free = [0.0] * (last + 1)
    hours_free = [0.0] * (last + 1)
    for n in range(1, last + 1):  # free room up to each iteration
        servers_free[n] = servers_free[n - 1] + (
            capacity.servers - placer.servers_load[n] if capacity.servers is not None else 0
        )
        hours_free[n] = hours_free[n - 1] + (
            capacity.hours - placer.hours_load[n] if capacity.hours is not None else 0
        )
    for limit in sorted({b for _, b, _, _ in waiting}):
        servers = hours = 0.0
        for start, _, more_servers, more_hours in sorted(
            (w for w in waiting if w[1] <= limit), reverse=True
        ):
            servers += more_servers
            hours += more_hours
            if start > limit:
                return False
            if capacity.servers is not None and servers > (
                servers_free[limit] - servers_free[start - 1]
            ):
                return False
            if capacity.hours is not None and hours > (
                hours_free[limit] - hours_free[max(start - lead, 1) - 1]
            ):
                return False
    return True


def _lease_search(
    network: _Network,
    links: Sequence[Sequence[tuple[int, int]]],
    order: Sequence[int],
    limits: tuple[Sequence[float], Sequence[int]],
    placer: _Placer,
) -> dict[int, int] | None:
    """Iterations for the groups bound by a lease end (and whatever comes before them in
    ``order``) such that every one meets it, or ``None`` when none is found within
    :data:`_SEARCH_WORK`.

    ``limits`` are each node's bound (:func:`_bounds`) and earliest iteration. Depth-first in ``order``: each
    group bound by a lease end tries every iteration with room between its targets and its
    bound, earliest first (the greedy choice first); any other group takes the earliest with
    room, as the greedy would. A branch stops as soon as a group still to place can no longer
    meet its bound, or the groups still to place that fit between two iterations need more
    servers or hours than is left between them.
    """
    bound, earliest = limits
    groups = network.groups
    count = len(groups)
    bound_groups = [n for n in order if n < count and bound[n] != math.inf]
    if not bound_groups or any(
        placer._oversized(groups[g]) or groups[g].pinned is not None for g in bound_groups
    ):
        return None
    steps = list(order[: order.index(bound_groups[-1]) + 1])
    if len(steps) > _SEARCH_GROUPS:
        return None
    budget = max(_SEARCH_WORK // len(steps), 1)
    low = [0] * network.nodes
    """Iteration of each placed node; earliest iteration of each node still to place."""

    def promising(placed: int) -> bool:
        """Whether the steps after ``placed`` may still all meet their bounds."""
        waiting: list[tuple[int, int, int, float]] = []
        for node in steps[placed + 1 :]:
            number = max((low[t] + gap for t, gap in links[node]), default=1)
            low[node] = max(number, earliest[node])
            if node < count and bound[node] != math.inf:
                if low[node] > bound[node]:
                    return False
                group = groups[node]
                hours = group.hours + group.remediation_hours
                waiting.append((low[node], int(bound[node]), group.servers, hours))
        return _room_by_deadlines(waiting, placer)

    def choices(g: int) -> list[int]:
        group = groups[g]
        number = low[g]
        last = bound[g]
        found: list[int] = []
        while (number <= last if last != math.inf else not found) and (
            placer.horizon is None or number <= placer.horizon
        ):
            if placer._open(number, group):
                found.append(number)
            number += 1
        return found

    if not promising(-1):
        return None
    options: list[list[int]] = []
    tried = 0
    step = 0
    while 0 <= step < len(steps):
        node = steps[step]
        if len(options) == step:  # first visit of this step
            if node >= count:
                low[node] = max((low[t] for t, _ in links[node]), default=0)
                options.append([])
                step += 1
                continue
            options.append(choices(node))
        elif node < count:  # back here: take the last choice out
            placer._charge(low[node], groups[node], sign=-1)
        if node >= count or not options[step]:
            options.pop()
            step -= 1
            continue
        tried += 1
        if tried > budget:
            return None
        low[node] = options[step].pop(0)
        placer._charge(low[node], groups[node])
        if promising(step):
            step += 1
    if step < 0:
        return None
    return {g: low[g] for g in steps if g < count}


def _meet_lease_ends(
    best: _Run,
    network: _Network,
    graph: tuple[Sequence[Sequence[tuple[int, int]]], Sequence[int]],
    by_rank: Callable[[int], tuple[float, ...]],
    job: _Job,
) -> _Run:
    """The deadline-aware pass (module docstring, step 5) after ``best`` missed a lease end:
    unless capacity alone rules out meeting them all, the plan taking groups in the order of a
    backward plan from the lease ends, then the lease-end search; the best of them."""
    links, order = graph
    groups = network.groups
    deadlines = _deadlines(job.model, job.cadence, groups, 2 * best.iterations + 16)
    earliest = _earliest_iterations(network, links, job.placer())
    bound = _bounds(deadlines, links, order)
    waiting = [
        (earliest[g], int(bound[g]), group.servers, group.hours + group.remediation_hours)
        for g, group in enumerate(groups)
        if bound[g] != math.inf
    ]
    if not _room_by_deadlines(waiting, job.placer()):
        return best
    latest = _latest_iterations(network, links, (deadlines, earliest), job)
    by_latest = _placement_order(network, links, lambda g: (latest[g], *by_rank(g)))
    other = _run(network, by_latest, job)
    if other.score < best.score:
        best = other
    if any(v.constraint == "lease-end" for v in other.violations):
        fixed = _lease_search(network, links, by_latest, (bound, earliest), job.placer())
        if fixed is not None:
            other = _run(network, by_latest, job, fixed)
            if other.score < best.score:
                best = other
    return best


def place_workloads(
    model: PlanningModel, cadence: Cadence, settings: PlanningConfig, horizon: int | None
) -> WavePlan:
    """Place the workloads of ``model`` into iterations of ``cadence`` (the heart of ``waves``)."""
    groups, violations = _group_units(model, settings)
    order: dict[int, set[int]] = {}
    nodes = len(groups)
    if settings.strict_datacenter_order:
        groups, ordered = _merge_for_datacenter_order(
            groups, lambda g: not _too_large(g, cadence.capacity, settings.remediation_lead)
        )
        order, nodes = _order_edges(groups, ordered)
    same, strict, more = _precedence(groups, settings, order, nodes)
    violations += more
    network = _Network(groups=groups, nodes=nodes, same=same, strict=strict, order=order)
    links = network.links()
    rank = _inherited_ranks(network, links)

    def by_rank(g: int) -> tuple[float, ...]:
        group = groups[g]
        return (rank[g], -group.servers, -group.hours, group.position)

    job = _Job(model=model, cadence=cadence, settings=settings, horizon=horizon)
    first = _placement_order(network, links, by_rank)
    best = _run(network, first, job)
    if any(v.constraint == "lease-end" for v in best.violations):
        best = _meet_lease_ends(best, network, (links, first), by_rank, job)
    explanations = sorted(
        (
            (u.position, u.feature_id, f"{iteration_id(best.where[g])}: {best.why[g]}")
            for g, group in enumerate(groups)
            for u in group.units
        ),
    )
    return WavePlan(
        placement=best.placement,
        iterations=best.iterations,
        violations=(*violations, *best.violations),
        explanations=tuple((feature, text) for _, feature, text in explanations),
    )


def _check_precedence(network: _Network, where: Sequence[int]) -> list[PlanViolation]:
    """Links broken by work already started (pinned groups); nothing else can break them."""
    groups = network.groups
    broken = []
    for edges, later in ((network.same, False), (network.strict, True)):
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


def _order_breaks(model: PlanningModel, placement: Mapping[str, int]) -> list[PlanViolation]:
    """Strict datacenter order: workloads moving before an earlier datacenter's last iteration
    (left out of the order because the groups it forces would not fit, or pinned by work that
    has started)."""
    by_rank: defaultdict[int, list[WorkloadUnit]] = defaultdict(list)
    for unit in model.units:
        by_rank[unit.rank].append(unit)
    violations = []
    last, last_dc = 0, ""
    for rank in sorted(by_rank):
        units = by_rank[rank]
        early = [u for u in units if placement[u.feature_id] < last]
        if early:
            dc = units[0].datacenter_id or "(no datacenter)"
            first = min(placement[u.feature_id] for u in early)
            violations.append(
                PlanViolation(
                    constraint="datacenter-order",
                    message=f"datacenter {dc} must wait for the datacenters before it "
                    f"({last_dc} migrates until {iteration_id(last)}), but {len(early)} workload(s) "
                    f"move earlier, the first in {iteration_id(first)}",
                    item_ids=tuple(u.feature_id for u in early),
                )
            )
        top = max(placement[u.feature_id] for u in units)
        if top > last:
            last, last_dc = top, units[0].datacenter_id or "(no datacenter)"
    return violations


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
    # Every placed feature is a unit, which knows where its item is: no pass over the items.
    features = {u.feature_id: backlog.items[u.position] for u in model.units}
    workload_ids = {
        fid: (features[fid].source[0] if features[fid].source else fid) for fid in plan.placement
    }
    releases = _releases(model, plan.placement, cadence, config.planning, workload_ids)
    iterations = [cadence.iteration(n) for n in range(1, plan.iterations + 1)]
    planned = apply_plan(
        backlog,
        plan.placement,
        iterations,
        releases,
        remediation_lead=config.planning.remediation_lead,
        feature_of=model.feature_of,
    )
    remember_model(planned, config, model)
    return PlanResult(backlog=planned, violations=plan.violations, explanations=plan.explanations)
