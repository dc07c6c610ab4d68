"""Benchmark: generate and plan a synthetic estate of 50,000 servers, 5,000 workloads and
300,000 dependencies. Run: ``uv run python benchmarks/generate_plan_50k.py``."""

from __future__ import annotations

import datetime as dt
import random
import time

from mbf.config import IterationsConfig, MbfConfig, ProjectConfig
from mbf.domain import Datacenter, Dependency, Estate, Server, Workload
from mbf.engine.generation import generate_backlog
from mbf.plugin import Context
from mbf.plugin.manager import MbfPluginManager


def synthetic_estate(
    servers: int = 50_000, workloads: int = 5_000, dependencies: int = 300_000
) -> Estate:
    """A reproducible estate: 5 datacenters, servers spread over workloads, random traffic."""
    rng = random.Random(42)
    dcs = tuple(
        Datacenter(
            id=f"dc{n}", name=f"DC {n}", lease_end=dt.date(2028, 1, 1) + dt.timedelta(days=90 * n)
        )
        for n in range(5)
    )
    per = servers // workloads
    server_list = []
    workload_list = []
    for w in range(workloads):
        ids = tuple(f"s{w * per + k}" for k in range(per))
        dc = f"dc{w % 5}"
        server_list += [
            Server(id=sid, name=sid, datacenter_id=dc, os="Windows Server 2019", workload_ids=(f"w{w}",),
                   blockers=("Unsupported boot type",) if rng.random() < 0.05 else ())
            for sid in ids
        ]  # fmt: skip
        workload_list.append(Workload(id=f"w{w}", name=f"W{w}", server_ids=ids, environment="prod"))
    deps = []
    for _ in range(dependencies):
        a = rng.randrange(servers)
        # Mostly local traffic; a little crosses workloads (10 % within the next few workloads).
        b = (
            a + rng.randint(-per, per)
            if rng.random() < 0.9
            else (a + per * rng.randint(1, 3)) % servers
        )
        b = min(max(b, 0), servers - 1)
        deps.append(Dependency(source_id=f"s{a}", target_id=f"s{b}", weight=rng.randint(1, 20)))
    return Estate(
        datacenters=dcs,
        servers=tuple(server_list),
        workloads=tuple(workload_list),
        dependencies=tuple(deps),
    )


def main() -> None:
    estate = synthetic_estate()
    plugin_manager = MbfPluginManager().load(entry_points=False)
    config = MbfConfig(
        project=ProjectConfig(start=dt.date(2027, 1, 4)),
        iterations=IterationsConfig(length_weeks=2, capacity_servers=500),
    )
    context = Context(config=config)
    began = time.perf_counter()
    backlog = generate_backlog(estate, plugin_manager.generation_rules, context)
    generated = time.perf_counter()
    result = plugin_manager.planning_strategies.get("waves").plan(backlog, context)
    planned = time.perf_counter()
    print(
        f"items: {len(backlog.items):,}; iterations: {len(result.backlog.iterations)}; violations: {len(result.violations)}"
    )
    print(f"generate: {generated - began:.2f} s; plan: {planned - generated:.2f} s")


if __name__ == "__main__":
    main()
