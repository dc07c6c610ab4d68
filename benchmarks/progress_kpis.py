"""Time ``mbf status --json`` and ``mbf report`` on a generated and planned estate at scale.

Builds an estate in code (three datacenters, workloads of ten servers, a dependency from every
fifth workload to another, blockers on one server in twenty), generates and plans it with the
built-in rules and ``waves``, marks the first third of the iterations migrated, writes the
backlog, then times both commands as whole processes. Usage::

    uv run python benchmarks/progress_kpis.py [--servers 50000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import attrs

from mbf.config import IterationsConfig, MbfConfig, ProjectConfig
from mbf.domain import (
    Backlog,
    Datacenter,
    Dependency,
    Estate,
    Readiness,
    Server,
    StateCategory,
    Workload,
)
from mbf.engine.generation import generate_backlog
from mbf.engine.kpis import compute_status, status_document
from mbf.engine.report import render_report
from mbf.plugin import Context
from mbf.plugin.manager import MbfPluginManager
from mbf.serialization import write_backlog

START = dt.date(2027, 1, 4)


def make_estate(servers: int) -> Estate:
    """``servers`` servers in workloads of ten over three datacenters."""
    datacenters = (
        Datacenter(id="ams1", name="Amsterdam 1", lease_end=dt.date(2027, 12, 31)),
        Datacenter(id="dub2", name="Dublin 2", lease_end=dt.date(2028, 6, 30)),
        Datacenter(id="fra3", name="Frankfurt 3", lease_end=dt.date(2028, 12, 31)),
    )
    server_list, workloads, dependencies = [], [], []
    for w in range(servers // 10):
        dc = datacenters[w % 3].id
        ids = tuple(f"w{w}-s{n}" for n in range(10))
        workloads.append(Workload(id=f"w{w}", name=f"W{w}", server_ids=ids))
        for n, sid in enumerate(ids):
            blocked = (w * 10 + n) % 20 == 7
            server_list.append(
                Server(
                    id=sid,
                    name=sid,
                    datacenter_id=dc,
                    os="Windows Server 2019",
                    environment="prod",
                    readiness=Readiness.NOT_READY if blocked else Readiness.READY,
                    blockers=(f"Blocker type {n % 4}",) if blocked else (),
                    workload_ids=(f"w{w}",),
                )
            )
        if w % 5 == 4:
            dependencies.append(
                Dependency(source_id=f"w{w}-s0", target_id=f"w{w - 3}-s1", weight=3)
            )
    return Estate(
        datacenters=datacenters,
        servers=tuple(server_list),
        workloads=tuple(workloads),
        dependencies=tuple(dependencies),
    )


def planned_backlog(servers: int) -> Backlog:
    """The estate generated, planned at 500 servers an iteration, and a third migrated."""
    plugin_manager = MbfPluginManager().load(entry_points=False)
    config = MbfConfig(
        project=ProjectConfig(name="Benchmark", start=START),
        iterations=IterationsConfig(length_weeks=2, capacity_servers=500),
    )
    backlog = generate_backlog(
        make_estate(servers), plugin_manager.generation_rules, Context(config=config)
    )
    backlog = (
        plugin_manager.planning_strategies.get("waves")
        .plan(backlog, Context(config=config))
        .backlog
    )
    done = {it.id for it in backlog.iterations[: len(backlog.iterations) // 3]}
    return attrs.evolve(
        backlog,
        items=tuple(
            attrs.evolve(item, state="Done", state_category=StateCategory.DONE)
            if item.id.endswith("/migrate") and item.iteration_id in done
            else item
            for item in backlog.items
        ),
    )


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--servers", type=int, default=50_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "backlog.json"
        backlog = planned_backlog(args.servers)
        write_backlog(backlog, path)
        today = "2027-06-01"
        mbf = [sys.executable, "-m", "mbf"]
        status = timed([*mbf, "status", str(path), "--json", "--today", today])
        report = timed(
            [*mbf, "report", str(path), "-o", str(Path(tmp) / "r.html"), "--today", today]
        )
        load = timed([*mbf, "convert", str(path), str(Path(tmp) / "copy.json")])
        day = dt.date.fromisoformat(today)
        start = time.perf_counter()
        status_document(compute_status(backlog, day))
        kpis = time.perf_counter() - start
        start = time.perf_counter()
        render_report(backlog, today=day)
        page = time.perf_counter() - start
        size = (Path(tmp) / "r.html").stat().st_size
        print(
            f"{args.servers} servers, {len(backlog.items)} items, {len(backlog.iterations)} iterations"
        )
        print(
            f"mbf status --json: {status:.2f} s   mbf report: {report:.2f} s ({size // 1024} KiB)"
        )
        print(f"for scale, mbf convert mbf-json -> mbf-json (read + write): {load:.2f} s")
        print(f"in process, backlog already read: KPIs {kpis:.2f} s, report {page:.2f} s")


if __name__ == "__main__":
    main()
