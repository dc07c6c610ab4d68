"""Time the ``mspdi`` format on a 20,000-task plan: 200 waves of 99 tasks, 19,600 FS links.

The shape matches the synthetic plan MPXJ was timed on (read 1.1-2.2 s, write 1.8-2.8 s on the
2-core development machine). Run: ``uv run python benchmarks/mspdi_20k.py [--mpxj]``; ``--mpxj``
also times MPXJ on the same file when ``mpxj`` and ``JPype1`` are importable.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

from mbf.domain import Backlog, Iteration, Link, StateCategory, WorkItem, WorkItemKind
from mbf.plugin import Context
from mbf_msproject.format import mspdi_format

WAVES = 200
TASKS_PER_WAVE = 99


def make_plan() -> Backlog:
    """200 wave features of 99 chained tasks each (FS links), dated on working days."""
    start = dt.date(2027, 1, 4)
    items: list[WorkItem] = []
    iterations = []
    for wave in range(WAVES):
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


def best_of(runs: int, action) -> float:  # type: ignore[no-untyped-def]
    timings = []
    for _ in range(runs):
        began = time.perf_counter()
        action()
        timings.append(time.perf_counter() - began)
    return min(timings)


def time_mpxj(path: Path) -> tuple[float, float]:
    """MPXJ read and write of the same file (second run, JIT warm), as the baseline was measured."""
    import jpype
    import mpxj  # noqa: F401  (puts MPXJ's jars on the class path)

    jpype.startJVM("-Xmx2g")
    from org.mpxj.mspdi import MSPDIWriter  # type: ignore[import-not-found]
    from org.mpxj.reader import UniversalProjectReader  # type: ignore[import-not-found]

    project = UniversalProjectReader().read(str(path))
    read = best_of(2, lambda: UniversalProjectReader().read(str(path)))
    out = path.with_name("mpxj-out.xml")
    write = best_of(2, lambda: MSPDIWriter().write(project, str(out)))
    return read, write


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mpxj", action="store_true", help="also time MPXJ on the same file")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    plan = make_plan()
    fmt = mspdi_format()
    assert fmt.read is not None
    assert fmt.write is not None
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "plan.xml"
        write = best_of(args.runs, lambda: fmt.write(plan, path, Context()))  # type: ignore[misc]
        read = best_of(args.runs, lambda: fmt.read(path, Context()))  # type: ignore[misc]
        back = fmt.read(path, Context())
        links = sum(len(item.links) for item in back.items)
        print(f"tasks {len(back.items)}, links {links}, file {path.stat().st_size / 1e6:.2f} MB")
        print(f"mbf mspdi: write {write:.3f} s, read {read:.3f} s (best of {args.runs})")
        if args.mpxj:
            mpxj_read, mpxj_write = time_mpxj(path)
            print(f"MPXJ:      write {mpxj_write:.3f} s, read {mpxj_read:.3f} s")
            print(f"speed-up:  write {mpxj_write / write:.1f}x, read {mpxj_read / read:.1f}x")


if __name__ == "__main__":
    main()
