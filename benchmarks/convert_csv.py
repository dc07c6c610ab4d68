"""Benchmark: convert ~350,000 work items ado-csv -> jira-csv, against the csv module alone.

The baseline reads every row of the same Boards files with ``csv.reader`` and writes them to one
file with ``csv.writer``: the least any CSV-to-CSV conversion must do. The issue's target is a
conversion within about twice that time.

    uv run python benchmarks/convert_csv.py [--servers 50000]

Measured 2026-11-26 on the shared 2-CPU build machine (CPU seconds, best of 2, 355,005 items in
358 Boards files): csv module 0.99; csv module + one WorkItem per row + hierarchy order 2.46
(2.5x: the floor of any conversion through the domain model); read_ado_csv 3.86;
write_jira_csv 2.70; read + write 6.6x the csv module; whole `convert` (with validation) 6.9x.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from mbf.domain import Backlog, Iteration, StateCategory, WorkItem, WorkItemKind, hierarchy_order
from mbf.engine.convert import convert
from mbf.plugin import Context
from mbf.plugin.manager import MbfPluginManager

TASKS = ("assess", "migrate", "optimize", "promote", "secure", "manage")


def make_backlog(servers: int, servers_per_workload: int = 10, datacenters: int = 5) -> Backlog:
    """A generated-looking backlog: per server a story and six tasks (7 items per server)."""
    sprints = tuple(
        Iteration(id=f"sprint-{n}", name=f"Sprint {n}", path=f"Contoso\\Sprint {n}")
        for n in range(1, 27)
    )
    items: list[WorkItem] = []
    workloads = servers // servers_per_workload
    for d in range(datacenters):
        items.append(
            WorkItem(
                id=f"epic:dc{d}",
                kind=WorkItemKind.EPIC,
                title=f"Migrate datacenter DC{d}",
                description=f"Empty DC{d} before its lease ends.\nOutcome: exit DC{d}.",
                priority=d + 1,
                tags=("datacenter",),
            )
        )
    for w in range(workloads):
        feature = f"feature:wl{w}"
        items.append(
            WorkItem(
                id=feature,
                kind=WorkItemKind.FEATURE,
                title=f"Migrate workload WL{w}",
                parent_id=f"epic:dc{w % datacenters}",
                assignee="Dana Lee <dana@contoso.com>",
                tags=("rehost",),
                extra={"Business unit": "Finance"},
            )
        )
        for s in range(servers_per_workload):
            server = f"srv{w * servers_per_workload + s:06d}"
            sprint = sprints[w % len(sprints)].id
            items.append(
                WorkItem(
                    id=f"story:{server}",
                    kind=WorkItemKind.STORY,
                    title=f"Migrate {server.upper()}",
                    parent_id=feature,
                    iteration_id=sprint,
                    estimate=24.0,
                )
            )
            for n, task in enumerate(TASKS):
                done = n == 0
                items.append(
                    WorkItem(
                        id=f"task:{server}/{task}",
                        kind=WorkItemKind.TASK,
                        title=f"{task.capitalize()} {server.upper()}",
                        parent_id=f"story:{server}",
                        state="Closed" if done else "New",
                        state_category=StateCategory.DONE if done else StateCategory.TODO,
                        iteration_id=sprint,
                        estimate=4.0,
                        start=dt.date(2027, 1, 4) if n == 1 else None,
                        finish=dt.date(2027, 1, 8) if n == 1 else None,
                    )
                )
    return Backlog(items=tuple(items), iterations=sprints)


def csv_baseline(parts: list[Path], target: Path) -> int:
    """Read every row of ``parts`` and write them all to ``target``: the csv module's floor."""
    rows = 0
    with target.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        for part in parts:
            with part.open(encoding="utf-8-sig", newline="") as stream:
                reader = csv.reader(stream)
                next(reader)
                for row in reader:
                    writer.writerow(row)
                    rows += 1
    return rows


def domain_floor(parts: list[Path], target: Path) -> int:
    """The baseline plus what any conversion through the domain model must add: one
    :class:`WorkItem` per row and the hierarchy order the writer needs."""
    items = []
    for part in parts:
        with part.open(encoding="utf-8-sig", newline="") as stream:
            reader = csv.reader(stream)
            next(reader)
            items += [
                WorkItem(id=row[7], kind=WorkItemKind.TASK, title=row[2] or row[3], state=row[6])
                for row in reader
            ]
    ordered = hierarchy_order(tuple(items))
    with target.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerows([item.title, item.id, item.state] for item in ordered)
    return len(items)


def timed(label: str, action: Callable[[], object], repeat: int) -> float:
    best = min(_once(action) for _ in range(repeat))
    print(f"{label:<48} {best:8.2f} s CPU")
    return best


def _once(action: Callable[[], object]) -> float:
    # CPU time of this process: steadier than wall time on a shared machine; the work is
    # single-threaded and the files sit in the page cache after the first run.
    started = time.process_time()
    action()
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()

    from mbf_azure_devops.csv_format import read_ado_csv, write_ado_csv
    from mbf_jira.csv_format import write_jira_csv

    backlog = make_backlog(args.servers)
    print(f"{len(backlog.items):,} work items")
    plugin_manager = MbfPluginManager().load()
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        source = directory / "backlog.ado.csv"
        write_ado_csv(backlog, source, Context())
        parts = sorted(directory.glob("backlog*.ado.csv"), key=lambda p: (len(p.name), p.name))
        print(f"{len(parts)} Boards files of at most 1,000 items")

        baseline = timed(
            "csv module: read all rows + write them",
            lambda: csv_baseline(parts, directory / "b.csv"),
            args.repeat,
        )
        floor = timed(
            "csv module + WorkItem per row + hierarchy order",
            lambda: domain_floor(parts, directory / "f.csv"),
            args.repeat,
        )
        read = timed(
            "ado-csv read (read_ado_csv)", lambda: read_ado_csv(source, Context()), args.repeat
        )
        read_back = read_ado_csv(source, Context())
        write = timed(
            "jira-csv write (write_jira_csv)",
            lambda: write_jira_csv(read_back, directory / "w.jira.csv", Context()),
            args.repeat,
        )
        full = timed(
            "mbf convert ado-csv -> jira-csv (engine)",
            lambda: convert(plugin_manager, source, directory / "out.jira.csv", context=Context()),
            args.repeat,
        )
        print(f"read + write / baseline: {(read + write) / baseline:.2f}x")
        print(f"engine convert / baseline: {full / baseline:.2f}x (includes validation)")
        print(f"domain-model floor / baseline: {floor / baseline:.2f}x")


if __name__ == "__main__":
    main()
