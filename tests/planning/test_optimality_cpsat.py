"""The waves strategy against an exact optimum (CP-SAT) on seeded random estates of 15 to 30 workloads.

Each estate has three datacenters (``ams`` and ``fra`` with lease ends, ``fra`` with a change
freeze, ``lon`` with neither), workloads of one to three servers of different sizes (so task hours
differ), dependencies within and across datacenters, a light two-way pair (a dependency cycle), a
heavy two-way pair (a move group), dev/test twins of production workloads and a few remediation
blockers; iterations hold 7 servers and 90 hours, dev/test goes first, remediation one iteration
ahead. Two families: ``lease`` (lease ends bind, no datacenter order) and ``in-order``
(``strict_datacenter_order`` on, estates shaped so that a plan can exist).

mbf generates and plans each estate with its real pipeline: the built-in generation rules, then the
``waves`` strategy. CP-SAT (``ortools``, a test-only dependency; one worker, a fixed seed, five
seconds at most) finds the fewest iterations any plan needs under the same hard constraints,
modelled here from the estate and the configuration, not from mbf's planning model. An
independent checker reads mbf's planned backlog and lists every hard constraint it breaks; mbf's
own violation list is consulted only to check that it reports each late or out-of-order workload
the checker finds, and no other.

Iterations used means the number of the last iteration holding a migration: an iteration left
empty by a change freeze still counts, as it does on the calendar.

Measured (6 seeds per size and family; gap = waves' iterations used minus the optimum):

==========  ====  =====================  ===================================================
family      size  gaps per seed          hard constraints waves breaks though a plan exists
==========  ====  =====================  ===================================================
lease       15    0 0 0 1 1 0            none
lease       20    - 2 0 0 0 0            none (seed 0 has no plan at all)
lease       30    0 1 0 0 0 1            none
in-order    15    1 0 0 0 0 0            none
in-order    20    1 1 1 0 0 0            none
in-order    30    1 0 0 0 - 0            none (seed 4 has no plan)
==========  ====  =====================  ===================================================

Before waves planned with lease ends in view and put strict datacenter order into its precedence
graph, it broke a hard constraint on seven estates that have a plan (lease 20/5, 30/2 and 30/4
missed ``ams``'s lease end; in-order 15/2, 15/5, 30/1 and 30/2 placed a dependency target of the
next datacenter before the last workloads of the earlier one, unreported), and its gap was one
iteration more on lease 20/5 and in-order 30/1 and 30/2. Where no plan exists, what the checker
finds is pinned in :data:`MEASURED_BREAKS`, and mbf must report each of those breaks itself.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import random
from collections import defaultdict
from collections.abc import Mapping

import attrs
import pytest
from ortools.sat.python import cp_model

from mbf.config import (
    GenerationConfig,
    IterationsConfig,
    MbfConfig,
    PlanningConfig,
    ProjectConfig,
    TaskConfig,
)
from mbf.domain import (
    Backlog,
    BlackoutWindow,
    Datacenter,
    Dependency,
    Estate,
    Server,
    WorkItemKind,
    Workload,
)
from mbf.engine.generation import generate_backlog
from mbf.plugin import Context, PlanViolation
from mbf.plugin.manager import MbfPluginManager

START = dt.date(2027, 1, 4)
LENGTH_DAYS = 14
CAPACITY_SERVERS = 7
CAPACITY_HOURS = 90
LEAD = 1
"""Remediation lands this many iterations before its workload migrates."""
COUPLING = 50.0
"""Two-way traffic of at least this total weight couples two workloads into a move group."""
SEEDS = range(6)
SOLVER_SECONDS = 5.0
"""CP-SAT's limit per estate; every estate here is solved to proven optimality well within it."""

_SIZES = ((2, "small"), (4, "medium"), (16, "large"))
_MIGRATE_HOURS = {"small": 2.0, "medium": 4.0, "large": 10.0}


def window(number: int) -> tuple[dt.date, dt.date]:
    """First and last day of iteration ``number`` (two-week iterations from :data:`START`)."""
    first = START + dt.timedelta(days=LENGTH_DAYS * (number - 1))
    return first, first + dt.timedelta(days=LENGTH_DAYS - 1)


# -- estates -------------------------------------------------------------------------------------


def _estate(seed: int, size: int, *, in_order: bool = False) -> Estate:
    """A seeded random estate of ``size`` workloads (see the module docstring).

    ``in_order`` shapes an estate that can be emptied datacenter by datacenter: both reserved pairs
    in one datacenter, and a dependency on a datacenter later in lease order only onto the next
    datacenter, onto a workload that depends on nothing, between workloads without dev/test twins
    (the target must move in the boundary iteration of the two datacenters; anything it drags
    along, or a twin, would have to move both before and after that boundary).
    """
    rng = random.Random(seed * 1000 + size)
    dcs = ("ams", "fra", "lon")
    placed: list[tuple[str, str, int, str, str]] = []  # id, dc, servers, environment, application
    for n in range(size):
        wid = f"w{n:02d}"
        prods = [w for w in placed if w[3] == "prod"]
        if prods and rng.random() < 0.2:
            twin = rng.choice(prods)
            placed.append((wid, twin[1], rng.randint(1, 2), "dev", twin[4]))
        else:
            dc = rng.choices(dcs, weights=(4, 4, 3))[0]
            placed.append((wid, dc, rng.randint(1, 3), "prod", f"app-{wid}"))
    prod = [w[0] for w in placed if w[3] == "prod"]
    # Two reserved pairs of small workloads only depend on each other, so each stays a group of
    # its own that fits an iteration.
    pairs = rng.sample(prod, 4)
    if in_order:
        home = max(dcs, key=lambda dc: sum(w[1] == dc and w[3] == "prod" for w in placed))
        pairs = rng.sample([w[0] for w in placed if w[1] == home and w[3] == "prod"], 4)
    cycle, coupled = pairs[:2], pairs[2:]
    placed = [(w[0], w[1], min(w[2], 2), *w[3:]) if w[0] in pairs else w for w in placed]
    reserved = {*cycle, *coupled}
    dc_of = {w[0]: w[1] for w in placed}
    twinned = {
        w[0]
        for w in placed
        if w[3] == "prod" and any(v[3] == "dev" and v[4] == w[4] for v in placed)
    }
    traffic: dict[tuple[str, str], float] = {}
    depends: set[str] = set()
    for n, source in enumerate(prod):
        if source in reserved:
            continue
        for target in rng.sample(prod[:n], min(n, rng.choice((0, 1, 1, 2, 2, 3)))):
            step = dcs.index(dc_of[target]) - dcs.index(dc_of[source])
            if (
                in_order
                and step > 0
                and (
                    step > 1
                    or {source, target} & twinned
                    or target in reserved
                    or target in depends
                )
            ):
                continue
            traffic[source, target] = float(rng.randint(1, 9))
            depends.add(source)
    traffic[cycle[0], cycle[1]] = traffic[cycle[1], cycle[0]] = 5.0
    traffic[coupled[0], coupled[1]] = traffic[coupled[1], coupled[0]] = 30.0
    blocked = set(rng.sample([w[0] for w in placed], 2 + size // 8))
    servers = []
    for wid, dc, count, environment, _ in placed:
        for k in range(1, count + 1):
            cores = rng.choice(_SIZES)[0]
            servers.append(
                Server(
                    id=f"{wid}-{k}",
                    name=f"{wid}-{k}",
                    datacenter_id=dc,
                    os="Windows Server 2022",
                    cores=cores,
                    memory_mb=cores * 4096,
                    storage_gb=cores * 50,
                    environment=environment,
                    workload_ids=(wid,),
                    blockers=("TLS 1.0 only",) if k == 1 and wid in blocked else (),
                )
            )
    load = defaultdict(int)
    for _, dc, count, _, _ in placed:
        load[dc] += count
    # Lease ends with 3 (ams) and 4 (fra) iterations of slack over the servers alone: tight enough
    # that dependencies, twins, remediation and the freeze make them bind on some seeds.
    ams_last = math.ceil(load["ams"] / CAPACITY_SERVERS) + 3
    fra_last = math.ceil((load["ams"] + load["fra"]) / CAPACITY_SERVERS) + 4
    frozen = window(rng.randint(2, 4))[0] + dt.timedelta(days=3)
    return Estate(
        datacenters=(
            Datacenter(id="ams", name="Amsterdam", lease_end=window(ams_last)[1]),
            Datacenter(
                id="fra",
                name="Frankfurt",
                lease_end=window(fra_last)[1],
                blackout=(
                    BlackoutWindow(
                        start=frozen, end=frozen + dt.timedelta(days=4), reason="quarter close"
                    ),
                ),
            ),
            Datacenter(id="lon", name="London"),
        ),
        servers=tuple(servers),
        workloads=tuple(
            Workload(
                id=wid,
                name=wid.upper(),
                server_ids=tuple(f"{wid}-{k}" for k in range(1, count + 1)),
                environment=environment,
                extra={"application": application},
            )
            for wid, _, count, environment, application in placed
        ),
        dependencies=tuple(
            Dependency(source_id=f"{a}-1", target_id=f"{b}-1", weight=w)
            for (a, b), w in sorted(traffic.items())
        ),
    )


def _config(*, strict_order: bool) -> MbfConfig:
    return MbfConfig(
        project=ProjectConfig(name="Optimality", start=START),
        iterations=IterationsConfig(
            length_days=LENGTH_DAYS,
            capacity_servers=CAPACITY_SERVERS,
            capacity_hours=CAPACITY_HOURS,
        ),
        generation=GenerationConfig(
            task={"migrate": TaskConfig(size=_MIGRATE_HOURS)}, coupling_threshold=COUPLING
        ),
        planning=PlanningConfig(
            dev_test_first=True, remediation_lead=LEAD, strict_datacenter_order=strict_order
        ),
    )


# -- the hard constraints, read from the estate --------------------------------------------------


@attrs.frozen
class _Workload:
    id: str
    datacenter: str
    servers: int
    hours: int
    remediation_hours: int
    production: bool
    application: str


@attrs.frozen
class _Instance:
    """What every plan of an estate must respect."""

    workloads: Mapping[str, _Workload]
    depends: tuple[tuple[str, str], ...]
    """``(dependent, target)``: the target moves in the same or an earlier iteration."""
    together: tuple[tuple[str, str], ...]
    """Strongly coupled pairs: they move in the same iteration."""
    datacenters: Mapping[str, Datacenter]
    rank: Mapping[str, int]
    """Datacenters in lease order, 1 first (no lease end last)."""
    strict_order: bool


def _instance(estate: Estate, generated: Backlog, *, strict_order: bool) -> _Instance:
    """The constraints from the estate; task hours from the generated (unplanned) backlog."""
    workload_of = {
        s.id: w.id for w in estate.workloads for s in estate.servers if s.id in w.server_ids
    }
    hours: defaultdict[str, float] = defaultdict(float)
    remediation: defaultdict[str, float] = defaultdict(float)
    for item in generated.items:
        if item.kind is WorkItemKind.TASK and item.parent_id:
            owner = workload_of[item.parent_id.removeprefix("story:")]
            bucket = remediation if "remediation" in item.tags else hours
            bucket[owner] += item.estimate or 0.0
    servers = {s.id: s for s in estate.servers}
    workloads = {}
    for w in estate.workloads:
        assert hours[w.id] == int(hours[w.id]), "CP-SAT needs whole hours"
        assert remediation[w.id] == int(remediation[w.id]), "CP-SAT needs whole hours"
        workloads[w.id] = _Workload(
            id=w.id,
            datacenter=servers[w.server_ids[0]].datacenter_id or "",
            servers=len(w.server_ids),
            hours=int(hours[w.id]),
            remediation_hours=int(remediation[w.id]),
            production=w.environment == "prod",
            application=str(w.extra["application"]),
        )
    traffic: defaultdict[tuple[str, str], float] = defaultdict(float)
    for dep in estate.dependencies:
        a, b = workload_of[dep.source_id], workload_of[dep.target_id]
        if a != b:
            traffic[a, b] += dep.weight
    together = tuple(
        (a, b)
        for (a, b), w in sorted(traffic.items())
        if a < b and w + traffic.get((b, a), 0.0) >= COUPLING and (b, a) in traffic
    )
    by_lease = sorted(
        estate.datacenters, key=lambda d: (d.lease_end is None, d.lease_end or dt.date.max, d.id)
    )
    return _Instance(
        workloads=workloads,
        depends=tuple(sorted(traffic)),
        together=together,
        datacenters={d.id: d for d in estate.datacenters},
        rank={d.id: n for n, d in enumerate(by_lease, start=1)},
        strict_order=strict_order,
    )


def _allowed(instance: _Instance, workload: _Workload, number: int) -> str | None:
    """Why ``workload`` may not migrate in iteration ``number`` on its own account, or ``None``."""
    first, last = window(number)
    dc = instance.datacenters[workload.datacenter]
    if dc.lease_end is not None and last > dc.lease_end:
        return f"lease-end: {workload.id} in iteration-{number} after {dc.id}'s lease end"
    if any(w.start <= last and w.end >= first for w in dc.blackout):
        return f"blackout: {workload.id} in iteration-{number}, frozen for {dc.id}"
    if workload.remediation_hours and number <= LEAD:
        return f"remediation-lead: {workload.id} in iteration-{number}"
    return None


def _twin(other: _Workload, *, of: _Workload) -> bool:
    """Whether ``other`` is a dev/test workload of production workload ``of``'s application."""
    return of.production and not other.production and of.application == other.application


def _earlier_datacenter(instance: _Instance, other: _Workload, *, than: _Workload) -> bool:
    """Whether strict datacenter order makes ``other`` move no later than ``than``."""
    return (
        instance.strict_order and instance.rank[other.datacenter] < instance.rank[than.datacenter]
    )


def broken(instance: _Instance, placement: Mapping[str, int]) -> list[str]:
    """Every hard constraint ``placement`` (workload id -> iteration number) breaks."""
    found = []
    for w in instance.workloads.values():
        if placement.get(w.id, 0) < 1:
            found.append(f"unplaced: {w.id}")
    if found:
        return found
    for w in instance.workloads.values():
        reason = _allowed(instance, w, placement[w.id])
        if reason:
            found.append(reason)
    for a, b in instance.depends:
        if placement[a] < placement[b]:
            found.append(f"dependency: {a} (iteration-{placement[a]}) before its target {b}")
    for a, b in instance.together:
        if placement[a] != placement[b]:
            found.append(f"move-group: {a} and {b} apart")
    for w in instance.workloads.values():
        for other in instance.workloads.values():
            if _twin(other, of=w) and placement[other.id] >= placement[w.id]:
                found.append(f"dev-test-before-prod: {other.id} not before {w.id}")
            if (
                _earlier_datacenter(instance, other, than=w)
                and placement[w.id] < placement[other.id]
            ):
                found.append(f"datacenter-order: {w.id} before {other.id} of an earlier datacenter")
    servers: defaultdict[int, int] = defaultdict(int)
    hours: defaultdict[int, int] = defaultdict(int)
    for w in instance.workloads.values():
        servers[placement[w.id]] += w.servers
        hours[placement[w.id]] += w.hours
        hours[placement[w.id] - LEAD] += w.remediation_hours
    found += [
        f"capacity: iteration-{n} holds {s} servers"
        for n, s in sorted(servers.items())
        if s > CAPACITY_SERVERS
    ]
    found += [
        f"capacity: iteration-{n} holds {h} h"
        for n, h in sorted(hours.items())
        if h > CAPACITY_HOURS
    ]
    return found


def _iteration_number(iteration_id: str | None) -> int:
    return int(iteration_id.removeprefix("iteration-")) if iteration_id else 0


def plan_items_broken(instance: _Instance, planned: Backlog) -> list[str]:
    """Every way the items of ``planned`` disagree with their workload's iteration: each workload
    whole in one iteration with its dates, remediation exactly ``LEAD`` iterations earlier."""
    placement = {
        i.id.removeprefix("feature:"): _iteration_number(i.iteration_id)
        for i in planned.items
        if i.kind is WorkItemKind.FEATURE
    }
    story_owner = {
        item.id: item.parent_id.removeprefix("feature:")
        for item in planned.items
        if item.kind is WorkItemKind.STORY and item.parent_id
    }
    found = []
    for item in planned.items:
        if item.kind is WorkItemKind.EPIC:
            continue
        owner = (
            item.id.removeprefix("feature:")
            if item.kind is WorkItemKind.FEATURE
            else story_owner.get(item.id) or story_owner.get(item.parent_id or "")
        )
        expected = placement.get(owner or "", 0)
        if item.kind is WorkItemKind.TASK and "remediation" in item.tags:
            expected -= LEAD
        if expected < 1 or _iteration_number(item.iteration_id) != expected:
            found.append(f"whole: {item.id} in {item.iteration_id}, expected iteration-{expected}")
        elif (item.start, item.finish) != window(expected):
            found.append(f"dates: {item.id} {item.start}..{item.finish}")
    return found


# -- the optimum ---------------------------------------------------------------------------------


@attrs.frozen
class _Optimum:
    status: str
    iterations: int
    placement: Mapping[str, int]


def optimum(instance: _Instance) -> _Optimum:
    """The fewest iterations any plan needs (CP-SAT, proven optimal or ``status`` says not)."""
    horizon = len(instance.workloads) + 4
    model = cp_model.CpModel()
    chosen: dict[str, dict[int, cp_model.IntVar]] = {}
    where: dict[str, cp_model.IntVar] = {}
    for w in instance.workloads.values():
        chosen[w.id] = {
            n: model.new_bool_var(f"{w.id}@{n}")
            for n in range(1, horizon + 1)
            if _allowed(instance, w, n) is None
        }
        model.add_exactly_one(chosen[w.id].values())
        where[w.id] = model.new_int_var(1, horizon, f"{w.id}@")
        model.add(where[w.id] == sum(n * v for n, v in chosen[w.id].items()))
    for a, b in instance.depends:
        model.add(where[a] >= where[b])
    for a, b in instance.together:
        model.add(where[a] == where[b])
    for w in instance.workloads.values():
        for other in instance.workloads.values():
            if _twin(other, of=w):
                model.add(where[other.id] + 1 <= where[w.id])
            if _earlier_datacenter(instance, other, than=w):
                model.add(where[w.id] >= where[other.id])
    for n in range(1, horizon + 1):
        model.add(
            sum(
                w.servers * chosen[w.id][n]
                for w in instance.workloads.values()
                if n in chosen[w.id]
            )
            <= CAPACITY_SERVERS
        )
        model.add(
            sum(w.hours * chosen[w.id][n] for w in instance.workloads.values() if n in chosen[w.id])
            + sum(
                w.remediation_hours * chosen[w.id][n + LEAD]
                for w in instance.workloads.values()
                if w.remediation_hours and n + LEAD in chosen[w.id]
            )
            <= CAPACITY_HOURS
        )
    last = model.new_int_var(1, horizon, "last")
    model.add_max_equality(last, list(where.values()))
    model.minimize(last)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 7
    solver.parameters.max_time_in_seconds = SOLVER_SECONDS
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return _Optimum(status=solver.status_name(status), iterations=0, placement={})
    return _Optimum(
        status=solver.status_name(status),
        iterations=int(solver.value(last)),
        placement={wid: int(solver.value(v)) for wid, v in where.items()},
    )


# -- mbf -----------------------------------------------------------------------------------------


@attrs.frozen
class _Case:
    instance: _Instance
    planned: Backlog
    violations: tuple[PlanViolation, ...]
    placement: Mapping[str, int]
    best: _Optimum

    @property
    def used(self) -> int:
        return max(self.placement.values())


@functools.cache
def case(size: int, seed: int, *, strict_order: bool = False) -> _Case:
    """Estate ``seed`` of ``size`` workloads: generated and planned by mbf, solved by CP-SAT."""
    estate = _estate(seed, size, in_order=strict_order)
    config = _config(strict_order=strict_order)
    manager = MbfPluginManager().load(entry_points=False)
    context = Context(config=config)
    generated = generate_backlog(estate, manager.generation_rules, context)
    result = manager.planning_strategies.get("waves").plan(generated, context)
    planned = result.backlog
    instance = _instance(estate, generated, strict_order=strict_order)
    placement = {
        i.id.removeprefix("feature:"): _iteration_number(i.iteration_id)
        for i in planned.items
        if i.kind is WorkItemKind.FEATURE
    }
    return _Case(
        instance=instance,
        planned=planned,
        violations=result.violations,
        placement=placement,
        best=optimum(instance),
    )


# -- tests ---------------------------------------------------------------------------------------

FAMILIES = {"lease": False, "in-order": True}
"""``lease``: lease ends, no datacenter order; ``in-order``: ``strict_datacenter_order`` on."""
SIZES = (15, 20, 30)
ALL_CASES = [(f, size, seed) for f in FAMILIES for size in SIZES for seed in SEEDS]

# Measured: CP-SAT proves every estate optimal or infeasible in under half a second.
INFEASIBLE = {("lease", 20, 0), ("in-order", 30, 4)}

# Measured gaps (mbf's iterations used minus the optimum), per seed; None: no feasible plan.
GAPS = {
    ("lease", 15): [0, 0, 0, 1, 1, 0],
    ("lease", 20): [None, 2, 0, 0, 0, 0],
    ("lease", 30): [0, 1, 0, 0, 0, 1],
    ("in-order", 15): [1, 0, 0, 0, 0, 0],
    ("in-order", 20): [1, 1, 1, 0, 0, 0],
    ("in-order", 30): [1, 0, 0, 0, None, 0],
}
MAX_GAP = 2
"""The stated bound: waves uses at most the optimum plus this many iterations."""

_ORDER_BROKEN = "datacenter-order: {} before {} of an earlier datacenter"
MEASURED_BREAKS = {
    ("lease", 20, 0): ["lease-end: w15 in iteration-6 after ams's lease end"],  # no plan can
    ("in-order", 30, 4): [  # no plan can
        _ORDER_BROKEN.format("w00", w)
        for w in ("w05", "w07", "w17", "w19", "w20", "w21", "w22", "w23", "w25", "w28")
    ],
}
"""What the checker finds in waves' plan wherever it finds anything (measured): only where no
plan meets every constraint. In in-order 30/4, ``lon``'s w00 is a dependency target of ``fra``
workloads that, with everything tied to them, need more than one iteration's room; w00 alone
leaves the datacenter order."""


def _case(family: str, size: int, seed: int) -> _Case:
    return case(size, seed, strict_order=FAMILIES[family])


@pytest.mark.parametrize(("family", "size"), [(f, s) for f in FAMILIES for s in SIZES])
def test_cpsat_proves_each_optimum_or_infeasibility(family, size):
    statuses = [_case(family, size, seed).best.status for seed in SEEDS]
    assert statuses == [
        "INFEASIBLE" if (family, size, seed) in INFEASIBLE else "OPTIMAL" for seed in SEEDS
    ]


@pytest.mark.parametrize(("family", "size"), [(f, s) for f in FAMILIES for s in SIZES])
def test_the_optimal_plans_pass_the_independent_checker(family, size):
    found = {
        seed: broken(c.instance, c.best.placement)
        for seed in SEEDS
        if (c := _case(family, size, seed)).best.placement
    }
    assert found == {seed: [] for seed in SEEDS if (family, size, seed) not in INFEASIBLE}


@pytest.mark.parametrize(
    ("family", "moves", "expected"),
    [
        ("lease", {"w07": 6}, ["lease-end: w07 in iteration-6 after ams's lease end"]),
        ("lease", {"w12": 1}, ["dependency: w12 (iteration-1) before its target w08"]),
        ("lease", {"w02": 1}, ["capacity: iteration-1 holds 96 h"]),
        (
            "lease",
            {"w14": 2},
            ["capacity: iteration-2 holds 10 servers", "capacity: iteration-2 holds 138 h"],
        ),
        (
            "lease",
            {"w13": 3},
            [
                "dev-test-before-prod: w13 not before w09",
                "capacity: iteration-3 holds 8 servers",
                "capacity: iteration-3 holds 98 h",
            ],
        ),
        (
            "lease",
            {"w09": 3},
            [
                "dependency: w08 (iteration-2) before its target w09",
                "move-group: w08 and w09 apart",
                "capacity: iteration-3 holds 9 servers",
                "capacity: iteration-3 holds 102 h",
            ],
        ),
        (
            "lease",
            {"w07": 1},
            [
                "remediation-lead: w07 in iteration-1",
                "dependency: w07 (iteration-1) before its target w00",
                "dependency: w07 (iteration-1) before its target w03",
            ],
        ),
        (
            "lease",
            {"w04": 3},
            [
                "blackout: w04 in iteration-3, frozen for fra",
                "capacity: iteration-3 holds 9 servers",
                "capacity: iteration-3 holds 102 h",
            ],
        ),
        (
            "in-order",
            {"w10": 1},
            [
                "datacenter-order: w10 before w06 of an earlier datacenter",
                "datacenter-order: w10 before w07 of an earlier datacenter",
                "datacenter-order: w10 before w09 of an earlier datacenter",
            ],
        ),
    ],
)
def test_the_checker_finds_what_moving_a_workload_off_the_optimum_breaks(family, moves, expected):
    c = _case(family, 15, 0)
    assert broken(c.instance, {**c.best.placement, **moves}) == expected


def _moved(planned: Backlog, item_id: str, iteration: str) -> Backlog:
    return attrs.evolve(
        planned,
        items=tuple(
            attrs.evolve(i, iteration_id=iteration) if i.id == item_id else i for i in planned.items
        ),
    )


def test_the_item_checker_finds_a_task_outside_its_workload_iteration():
    c = _case("lease", 15, 0)
    planned = _moved(c.planned, "task:w03-1/migrate", "iteration-9")
    assert plan_items_broken(c.instance, planned) == [
        "whole: task:w03-1/migrate in iteration-9, expected iteration-3"
    ]


def test_the_item_checker_finds_remediation_without_its_lead():
    c = _case("lease", 15, 0)
    planned = _moved(c.planned, "task:w06-1/remediate/cc8f5e79", "iteration-3")
    assert plan_items_broken(c.instance, planned) == [
        "whole: task:w06-1/remediate/cc8f5e79 in iteration-3, expected iteration-2"
    ]


@pytest.mark.parametrize(("family", "size", "seed"), ALL_CASES)
def test_waves_keeps_every_item_with_its_workload(family, size, seed):
    c = _case(family, size, seed)
    assert plan_items_broken(c.instance, c.planned) == []


@pytest.mark.parametrize(
    ("family", "size", "seed"), [key for key in ALL_CASES if key not in INFEASIBLE]
)
def test_waves_breaks_no_hard_constraint_when_a_feasible_plan_exists(family, size, seed):
    c = _case(family, size, seed)
    assert broken(c.instance, c.placement) == []


@pytest.mark.parametrize(("family", "size"), [(f, s) for f in FAMILIES for s in SIZES])
def test_waves_gap_to_the_optimum(family, size):
    gaps = [
        c.used - c.best.iterations if c.best.placement else None
        for seed in SEEDS
        for c in [_case(family, size, seed)]
    ]
    assert gaps == GAPS[family, size]
    assert max(g for g in gaps if g is not None) <= MAX_GAP


@pytest.mark.parametrize(("family", "size", "seed"), sorted(INFEASIBLE))
def test_waves_still_plans_every_workload_when_no_plan_can_meet_every_constraint(
    family, size, seed
):
    c = _case(family, size, seed)
    assert sorted(w for w, n in c.placement.items() if n >= 1) == sorted(c.instance.workloads)


@pytest.mark.parametrize(("family", "size", "seed"), sorted(MEASURED_BREAKS))
def test_waves_breaks_exactly_the_measured_constraints_where_it_falls_short(family, size, seed):
    c = _case(family, size, seed)
    assert broken(c.instance, c.placement) == MEASURED_BREAKS[family, size, seed]


def _reported(c: _Case, constraint: str) -> list[str]:
    return sorted(
        i.removeprefix("feature:")
        for v in c.violations
        if v.constraint == constraint
        for i in v.item_ids
    )


@pytest.mark.parametrize(("family", "size", "seed"), sorted(MEASURED_BREAKS))
def test_waves_reports_each_workload_the_checker_finds_out_of_order_or_late(family, size, seed):
    c = _case(family, size, seed)
    found = broken(c.instance, c.placement)
    late = sorted(b.split()[1] for b in found if b.startswith("lease-end:"))
    early = sorted({b.split()[1] for b in found if b.startswith("datacenter-order:")})
    assert (_reported(c, "lease-end"), _reported(c, "datacenter-order")) == (late, early)


@pytest.mark.parametrize(("family", "size", "seed"), [k for k in ALL_CASES if k[0] == "in-order"])
def test_waves_reports_a_datacenter_order_break_exactly_where_it_makes_one(family, size, seed):
    c = _case(family, size, seed)
    early = sorted(
        {b.split()[1] for b in broken(c.instance, c.placement) if b.startswith("datacenter-order:")}
    )
    assert _reported(c, "datacenter-order") == early
