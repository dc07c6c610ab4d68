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


def write_project_shaped_file(path: Path) -> None:
    """The same plan as Project itself would save it: no mbf fields, 200 summaries, FS chains."""
    parts = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Project xmlns="http://schemas.microsoft.com/project">\n<Name>plan</Name>\n'
        "<ScheduleFromStart>1</ScheduleFromStart>\n<StartDate>2027-01-04T08:00:00</StartDate>\n"
        "<CalendarUID>1</CalendarUID>\n<Tasks>\n"
        "<Task><UID>0</UID><ID>0</ID><OutlineLevel>0</OutlineLevel><Summary>1</Summary></Task>\n"
    ]
    uid = 0
    for wave in range(WAVES):
        uid += 1
        wave_uid = uid
        parts.append(
            f"<Task>\n<UID>{uid}</UID>\n<ID>{uid}</ID>\n<Name>Wave {wave}</Name>\n"
            f"<OutlineNumber>{wave + 1}</OutlineNumber>\n<OutlineLevel>1</OutlineLevel>\n"
            "<Start>2027-01-04T08:00:00</Start>\n<Finish>2027-01-08T17:00:00</Finish>\n"
            "<Duration>PT40H0M0S</Duration>\n<DurationFormat>7</DurationFormat>\n"
            "<Summary>1</Summary>\n</Task>\n"
        )
        for task in range(TASKS_PER_WAVE):
            uid += 1
            link = (
                f"<PredecessorLink>\n<PredecessorUID>{uid - 1}</PredecessorUID>\n<Type>1</Type>\n"
                "<LinkLag>0</LinkLag>\n<LagFormat>7</LagFormat>\n</PredecessorLink>\n"
                if task
                else ""
            )
            parts.append(
                f"<Task>\n<UID>{uid}</UID>\n<ID>{uid}</ID>\n<Name>Migrate srv{wave:03d}{task:02d}</Name>\n"
                f"<OutlineNumber>{wave + 1}.{task + 1}</OutlineNumber>\n<OutlineLevel>2</OutlineLevel>\n"
                "<Start>2027-01-04T08:00:00</Start>\n<Finish>2027-01-04T17:00:00</Finish>\n"
                "<Duration>PT8H0M0S</Duration>\n<DurationFormat>7</DurationFormat>\n"
                f"<Summary>0</Summary>\n{link}</Task>\n"
            )
        assert wave_uid
    parts.append("</Tasks>\n</Project>\n")
    path.write_text("".join(parts), encoding="utf-8")


def best_of(runs: int, action) -> float:  # type: ignore[no-untyped-def]
    timings = []
    for _ in range(runs):
        began = time.perf_counter()
        action()
        timings.append(time.perf_counter() - began)
    return min(timings)


def time_mpxj(path: Path) -> tuple[float, float]:
    """MPXJ read and write of the same file (JIT warm, best run), as the baseline was measured."""
    import jpype
    import mpxj  # noqa: F401  (puts MPXJ's jars on the class path)

    if not jpype.isJVMStarted():
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
        print(
            f"mbf-written plan: tasks {len(back.items)}, links {links}, "
            f"{path.stat().st_size / 1e6:.2f} MB"
        )
        print(f"  mbf mspdi: write {write:.3f} s, read {read:.3f} s (best of {args.runs})")
        if args.mpxj:
            mpxj_read, mpxj_write = time_mpxj(path)
            print(f"  MPXJ:      write {mpxj_write:.3f} s, read {mpxj_read:.3f} s")
            print(f"  speed-up:  write {mpxj_write / write:.1f}x, read {mpxj_read / read:.1f}x")
        shaped = Path(scratch) / "project-shaped.xml"
        write_project_shaped_file(shaped)
        shaped_read = best_of(args.runs, lambda: fmt.read(shaped, Context()))  # type: ignore[misc]
        shaped_backlog = fmt.read(shaped, Context())
        out = Path(scratch) / "rewritten.xml"
        shaped_write = best_of(args.runs, lambda: fmt.write(shaped_backlog, out, Context()))  # type: ignore[misc]
        links = sum(len(item.links) for item in shaped_backlog.items)
        print(
            f"Project-shaped plan (no mbf fields): tasks {len(shaped_backlog.items)}, links {links}, "
            f"{shaped.stat().st_size / 1e6:.2f} MB"
        )
        print(f"  mbf mspdi: read {shaped_read:.3f} s, write it back {shaped_write:.3f} s")
        if args.mpxj:
            mpxj_read, mpxj_write = time_mpxj(shaped)
            print(f"  MPXJ:      read {mpxj_read:.3f} s, write it back {mpxj_write:.3f} s")
            print(
                f"  speed-up:  read {mpxj_read / shaped_read:.1f}x, write {mpxj_write / shaped_write:.1f}x"
            )


if __name__ == "__main__":
    main()
