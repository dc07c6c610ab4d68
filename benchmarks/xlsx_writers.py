"""Compare xlsx writers on the cells of a backlog workbook: xlsxwriter versus openpyxl (write_only),
then time mbf's own ``xlsx`` format writing and reading a generated backlog of the same size.

Each run is its own process (so peak memory is its own). The writer comparison writes the same
Backlog-sheet cells: text, numbers and dates in 16 columns, one row per work item, as an Excel
table with a frozen header. Usage::

    uv run python benchmarks/xlsx_writers.py [ROWS] [REPEATS]
"""

from __future__ import annotations

import datetime as dt
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HEADERS = [
    "ID",
    "Kind",
    "Level",
    "Title",
    "State",
    "Category",
    "Assignee",
    "Priority",
    "Tags",
    "Iteration",
    "Release",
    "Estimate (h)",
    "Start",
    "Finish",
    "Parent ID",
    "Source",
]
KINDS = ("epic", "feature", "story", "task")


def backlog_rows(count: int) -> list[list[Any]]:
    """Rows shaped like a generated migration backlog: 1 epic, features of 20 stories of 6 tasks."""
    rows: list[list[Any]] = []
    start = dt.date(2027, 1, 4)
    for n in range(count):
        level = 1 if n == 0 else 2 if n % 141 == 1 else 3 if n % 7 == 2 else 4
        server = f"srv{n // 7:06d}"
        rows.append(
            [
                f"{KINDS[level - 1]}:{server}/{n % 7}",
                KINDS[level - 1],
                level,
                f"Migrate {server.upper()} step {n % 7}",
                "New" if n % 3 else "Active",
                "todo" if n % 3 else "in_progress",
                "Dana Lee <dana@contoso.com>" if n % 5 == 0 else "",
                (n % 4) + 1,
                "rehost; wave-1" if n % 2 else "",
                f"Sprint {n // 2000 + 1}",
                f"Release {n // 10000 + 1}",
                float(n % 16),
                start + dt.timedelta(days=n % 90),
                start + dt.timedelta(days=n % 90 + 3),
                f"story:{server}",
                server,
            ]
        )
    return rows


def write_xlsxwriter(rows: list[list[Any]], path: Path) -> None:
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("Backlog")
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if value == "" or value is None:
                continue
            if isinstance(value, str):
                sheet.write_string(r, c, value)
            elif isinstance(value, dt.date):
                sheet.write_datetime(r, c, value, date_format)
            else:
                sheet.write_number(r, c, value)
    sheet.add_table(
        0,
        0,
        len(rows),
        len(HEADERS) - 1,
        {"name": "Backlog", "columns": [{"header": h} for h in HEADERS]},
    )
    sheet.freeze_panes(1, 0)
    workbook.close()


def write_xlsxwriter_constant_memory(rows: list[list[Any]], path: Path) -> None:
    """Streaming mode: rows go to disk as written, but add_table() is refused (autofilter instead)."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = workbook.add_worksheet("Backlog")
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    for c, header in enumerate(HEADERS):
        sheet.write_string(0, c, header)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if value == "" or value is None:
                continue
            if isinstance(value, str):
                sheet.write_string(r, c, value)
            elif isinstance(value, dt.date):
                sheet.write_datetime(r, c, value, date_format)
            else:
                sheet.write_number(r, c, value)
    sheet.autofilter(0, 0, len(rows), len(HEADERS) - 1)
    sheet.freeze_panes(1, 0)
    workbook.close()


def write_openpyxl(rows: list[list[Any]], path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.table import Table

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Backlog")
    sheet.freeze_panes = "A2"
    sheet.append(HEADERS)
    for row in rows:
        cells: list[Any] = []
        for value in row:
            if isinstance(value, dt.date):
                cell = WriteOnlyCell(sheet, value)
                cell.number_format = "yyyy-mm-dd"
                cells.append(cell)
            else:
                cells.append(None if value == "" else value)
        sheet.append(cells)
    sheet.add_table(
        Table(displayName="Backlog", ref=f"A1:{get_column_letter(len(HEADERS))}{len(rows) + 1}")
    )
    workbook.save(path)


WRITERS = {
    "xlsxwriter": write_xlsxwriter,
    "xlsxwriter-constant-memory": write_xlsxwriter_constant_memory,
    "openpyxl-write-only": write_openpyxl,
}


def generated_backlog(count: int) -> Any:
    """A CAF-shaped backlog of ``count`` items: an epic, features of 20 servers, 6 tasks each."""
    from mbf.domain import Backlog, Iteration, Link, WorkItem, WorkItemKind

    items: list[Any] = [
        WorkItem(id="epic:dc1", kind=WorkItemKind.EPIC, title="Migrate datacenter DC1")
    ]
    sprints = [Iteration(id=f"sprint-{n}", name=f"Sprint {n}") for n in range(1, count // 2000 + 2)]
    feature = story = ""
    n = 0
    while len(items) < count:
        if n % 141 == 0:
            feature = f"feature:w{n // 141}"
            items.append(
                WorkItem(
                    id=feature,
                    kind=WorkItemKind.FEATURE,
                    title=f"Migrate workload W{n // 141}",
                    parent_id="epic:dc1",
                    extra={"Business unit": "Finance"},
                )
            )
        elif n % 7 == 1:
            story = f"story:srv{n:06d}"
            items.append(
                WorkItem(
                    id=story,
                    kind=WorkItemKind.STORY,
                    title=f"Migrate SRV{n:06d}",
                    parent_id=feature,
                    iteration_id=sprints[len(items) // 2000].id,
                    estimate=12.0,
                    source=(story[6:],),
                )
            )
        else:
            task = f"task:{story[6:]}/{n}"
            items.append(
                WorkItem(
                    id=task,
                    kind=WorkItemKind.TASK,
                    title=f"Step {n % 7} of {story[6:]}",
                    parent_id=story,
                    estimate=2.0,
                    tags=("rehost",),
                    links=(Link(target_id=story),) if n % 7 == 3 else (),
                )
            )
        n += 1
    return Backlog(items=items, iterations=sprints)


def run_mbf_format(count: int) -> None:
    """Child process: time mbf's xlsx write and read of a generated backlog."""
    from mbf.plugin import Context
    from mbf_excel.xlsx_reader import read_backlog_workbook
    from mbf_excel.xlsx_writer import write_backlog_workbook

    backlog = generated_backlog(count)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "backlog.xlsx"
        began = time.perf_counter()
        write_backlog_workbook(backlog, path, Context())
        wrote = time.perf_counter() - began
        began = time.perf_counter()
        read = read_backlog_workbook(path, Context())
        reading = time.perf_counter() - began
        assert len(read.items) == count
        size = path.stat().st_size
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{wrote:.3f} {reading:.3f} {peak_mb:.0f} {size}")


def run_one(writer: str, count: int) -> None:
    """Child process: build the rows, time one write, print seconds, peak RSS MB and file size."""
    rows = backlog_rows(count)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "backlog.xlsx"
        began = time.perf_counter()
        WRITERS[writer](rows, path)
        elapsed = time.perf_counter() - began
        size = path.stat().st_size
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{elapsed:.3f} {peak_mb:.0f} {size}")


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    print(f"{count} rows x {len(HEADERS)} columns, {repeats} runs each (min / median seconds)")
    for writer in WRITERS:
        results = [
            subprocess.run(
                [sys.executable, __file__, "--child", writer, str(count)],
                check=True,
                capture_output=True,
                text=True,
            ).stdout.split()
            for _ in range(repeats)
        ]
        times = [float(r[0]) for r in results]
        print(
            f"{writer:28} min {min(times):6.2f} s  median {statistics.median(times):6.2f} s  "
            f"peak RSS {max(float(r[1]) for r in results):5.0f} MB  file {int(results[0][2]) / 1e6:.1f} MB"
        )
    runs = [
        subprocess.run(
            [sys.executable, __file__, "--mbf", str(count)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
        for _ in range(repeats)
    ]
    writes, reads = [float(r[0]) for r in runs], [float(r[1]) for r in runs]
    print(
        f"mbf xlsx format, {count} generated items: write min {min(writes):.2f} s, "
        f"read min {min(reads):.2f} s, peak RSS {max(float(r[2]) for r in runs):.0f} MB, "
        f"file {int(runs[0][3]) / 1e6:.1f} MB"
    )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        run_one(sys.argv[2], int(sys.argv[3]))
    elif len(sys.argv) > 1 and sys.argv[1] == "--mbf":
        run_mbf_format(int(sys.argv[2]))
    else:
        main()
