"""The 20,000-task plan the MSPDI figures are measured on: 200 waves of 99 tasks, 19,600 FS links.

The shape matches the synthetic plan MPXJ was first timed on. ``write_plan`` writes it with mbf's
``mspdi`` format; the runner then times mbf and MPXJ reading and writing that same file.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from mbf.domain import Backlog, Iteration, Link, StateCategory, WorkItem, WorkItemKind
from mbf.plugin import Context

WAVES = 200
TASKS_PER_WAVE = 99


def make_plan(waves: int = WAVES) -> Backlog:
    """``waves`` wave features of 99 chained tasks each (FS links), dated on working days."""
    start = dt.date(2027, 1, 4)
    items: list[WorkItem] = []
    iterations = []
    for wave in range(waves):
        wave_id = f"feature:wave-{wave:03d}"
        wave_start = start + dt.timedelta(weeks=wave)
        items.append(
            WorkItem(
                id=wave_id,
                kind=WorkItemKind.FEATURE,
                title=f"Wave {wave}",
                start=wave_start,
                finish=wave_start + dt.timedelta(days=4),
                iteration_id=f"sprint-{wave}",
            )
        )
        iterations.append(
            Iteration(
                id=f"sprint-{wave}",
                name=f"Sprint {wave}",
                start=wave_start,
                finish=wave_start + dt.timedelta(days=4),
                capacity=99.0,
            )
        )
        for task in range(TASKS_PER_WAVE):
            task_id = f"task:srv{wave:03d}{task:02d}/migrate"
            links = (Link(target_id=f"task:srv{wave:03d}{task - 1:02d}/migrate"),) if task else ()
            day = wave_start + dt.timedelta(days=task % 5)
            items.append(
                WorkItem(
                    id=task_id,
                    kind=WorkItemKind.TASK,
                    title=f"Migrate srv{wave:03d}{task:02d}",
                    parent_id=wave_id,
                    estimate=4.0,
                    start=day,
                    finish=day,
                    links=links,
                    state_category=StateCategory.TODO,
                    tags=("rehost",),
                    source=(f"srv{wave:03d}{task:02d}",),
                    iteration_id=f"sprint-{wave}",
                )
            )
    return Backlog(items=items, iterations=iterations)


def write_plan(path: Path, waves: int = WAVES) -> int:
    """Write the plan of ``waves`` waves to ``path`` as MSPDI; return its number of tasks."""
    from mbf_msproject.format import mspdi_format

    plan = make_plan(waves)
    fmt = mspdi_format()
    assert fmt.write is not None
    fmt.write(plan, path, Context())
    return len(plan.items)


if __name__ == "__main__":
    import sys

    print(write_plan(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else WAVES), "tasks")
