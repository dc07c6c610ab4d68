"""Run mbf's estate-scale benchmarks and print the table of figures against their floors.

Every figure is a whole process (``mbf discover``, ``mbf convert``...), timed on the wall clock,
and every floor is a whole process doing the same raw I/O with no domain model (see
``floors.py``), measured in the same run on the same files. Peak memory is each process's
maximum resident set size (``os.wait4`` rusage). Usage::

    uv run python benchmarks/run.py [--scale 1k|10k|50k] [--repeat N] [--dir DIR] [--no-mpxj]

The exports are generated once per scale into ``DIR`` (default: a directory in the temp dir) and
reused; ``estate_exports.py`` says what they hold. ``docs/performance.md`` explains each row.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from estate_exports import EXPORT_NAMES, WORKBOOK_NAMES  # noqa: E402  (a sibling module of this script)

SCALES = {"1k": 1_000, "10k": 10_000, "50k": 50_000}
MSPDI_WAVES = {"1k": 20, "10k": 200, "50k": 200}
"""Waves of 99 tasks in the MSPDI plan: 20,000 tasks from 10k servers up, 2,000 for a smoke run."""
MPXJ_PYTHON = Path.home() / ".cache" / "mbf-benchmarks" / "mpxj-venv" / "bin" / "python"
PEAK_TARGET_MB = 2048
ROWS = (
    "discover",
    "discover Azure Migrate workbooks",
    "generate + plan",
    "convert ado-csv -> jira-csv",
    "convert jira-csv -> ado-csv",
    "write the backlog as xlsx",
    "MSPDI read + write",
    "push to the loopback fakes",
    "mbf --help",
    "peak memory of any step",
)
"""The table's rows, in order (the smoke test checks every one is printed)."""


@dataclass
class Process:
    """One timed process: what ran, wall and CPU seconds, peak resident memory."""

    label: str
    seconds: float
    cpu: float
    peak_mb: float
    output: str


@dataclass
class Row:
    """One line of the table: mbf's figure against its floor and the issue's target."""

    name: str
    detail: str
    seconds: float | None
    floor_name: str
    floor_seconds: float | None
    target: str
    peak_mb: float | None = None
    faster: bool = False
    """The target is a speed-up over the floor (MPXJ) rather than a ratio to it."""
    note: str = ""
    limit: float = 0.0
    cpu: float | None = None
    floor_cpu: float | None = None
    unit: str = "s"
    """``s`` for seconds, else what the figure and its floor count (``requests``)."""
    worst: float | None = None
    """The ratio when the row sums several measurements: the worst of their ratios."""

    @property
    def ratio(self) -> float | None:
        if self.worst is not None:
            return self.worst
        if self.seconds is None or self.floor_seconds is None:
            return None
        return (
            self.floor_seconds / self.seconds if self.faster else self.seconds / self.floor_seconds
        )

    @property
    def cpu_ratio(self) -> float | None:
        """The same ratio on CPU seconds: steadier than wall time on a busy machine."""
        if not self.cpu or not self.floor_cpu:
            return None
        return self.floor_cpu / self.cpu if self.faster else self.cpu / self.floor_cpu

    @property
    def met(self) -> str:
        if self.ratio is None:
            return "-"
        ok = self.ratio >= self.limit if self.faster else self.ratio <= self.limit
        return "yes" if ok else "**no**"


class Runner:
    """Runs the processes of one benchmark run in ``work`` and keeps what each took."""

    def __init__(self, work: Path, repeat: int) -> None:
        self.work = work
        self.repeat = repeat
        self.processes: list[Process] = []
        # Every process runs with its bytecode cached, as after any install (pip and uv compile
        # it; a development shell may set PYTHONDONTWRITEBYTECODE, which would make every start
        # compile every module): the cache lives in the work directory, never in the checkout.
        self.env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        self.env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
        bindir = Path(sys.executable).parent
        self.mbf = (
            [str(bindir / "mbf")] if (bindir / "mbf").is_file() else [sys.executable, "-m", "mbf"]
        )

    def run(self, label: str, command: Sequence[str | Path], *, keep: bool = True) -> Process:
        """Run ``command`` in the work directory; fail with its output when it fails."""
        log = self.work / "last-process.log"
        with log.open("wb") as out:
            began = time.perf_counter()
            child = subprocess.Popen(
                [str(c) for c in command],
                cwd=self.work,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
            _pid, status, usage = os.wait4(child.pid, 0)
            seconds = time.perf_counter() - began
        child.returncode = os.waitstatus_to_exitcode(status)
        output = log.read_text(encoding="utf-8", errors="replace")
        if child.returncode != 0:
            raise SystemExit(f"{label} failed (exit {child.returncode}):\n{output[-3000:]}")
        # ru_maxrss is in KiB on Linux.
        process = Process(
            label, seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, output
        )
        if keep:
            self.processes.append(process)
        return process

    def best(self, label: str, command: Sequence[str | Path]) -> Process:
        """The fastest of ``repeat`` runs (the machine is shared; noise only ever adds time)."""
        runs = [self.run(label, command, keep=False) for _ in range(self.repeat)]
        fastest = min(runs, key=lambda p: p.seconds)
        fastest.peak_mb = max(p.peak_mb for p in runs)
        self.processes.append(fastest)
        return fastest

    def python(self, script: str, *args: str | Path) -> list[str | Path]:
        return [sys.executable, HERE / script, *args]


def prepare_exports(runner: Runner, servers: int) -> list[Path]:
    """The exports of ``servers`` servers in the work directory, generated unless already there.

    Generated by a child process: the runner stays small, because a child's peak memory as the
    kernel reports it starts from its parent's size at the fork.
    """
    stamp = runner.work / f".complete-{servers}"
    if not stamp.is_file() or not all((runner.work / name).is_file() for name in WORKBOOK_NAMES):
        runner.run(
            "generate the exports",
            runner.python("estate_exports.py", runner.work, "--servers", str(servers)),
            keep=False,
        )
        stamp.touch()
    # Compile and cache the bytecode of everything the figures import (not timed).
    runner.run("warm-up", [*runner.mbf, "plugins"], keep=False)
    return [runner.work / name for name in EXPORT_NAMES]


def bench_discover(runner: Runner, exports: list[Path]) -> Row:
    floor = runner.best(
        "floor: read the exports (csv, calamine)",
        runner.python("floors.py", "read-exports", *exports),
    )
    mbf = runner.best(
        "mbf discover", [*runner.mbf, "discover", "-c", "mbf.toml", "-o", "estate.json", *exports]
    )
    # The same in one process: what a one-core machine (or --no-parallel) waits for, and how
    # much of the CPU the two processes cost on top.
    alone = runner.best(
        "mbf discover --no-parallel",
        [*runner.mbf, "discover", "--no-parallel", "-c", "mbf.toml", "-o", "estate-one.json",
         *exports],
    )  # fmt: skip
    rows = floor.output.split()[0]
    summary = mbf.output.strip().splitlines()
    detail = next((line for line in summary if line.startswith("Discovered")), "").split(" -> ")[0]
    note = (f"in one process (--no-parallel) {alone.seconds:.2f} s, {alone.cpu:.2f} CPU s, "
            f"{alone.seconds / floor.seconds:.2f}x")  # fmt: skip
    return Row("discover", f"{detail}; {rows} export rows", mbf.seconds, "read the exports with csv / calamine",
               floor.seconds, "<= 2x", mbf.peak_mb, limit=2.0, cpu=mbf.cpu, floor_cpu=floor.cpu,
               note=note)  # fmt: skip


def bench_discover_workbooks(runner: Runner) -> Row:
    """Discovery from Azure Migrate's workbooks alone: the inventory and two assessments."""
    workbooks = [runner.work / name for name in WORKBOOK_NAMES]
    floor = runner.best(
        "floor: read the workbooks (calamine)",
        runner.python("floors.py", "read-exports", *workbooks),
    )
    mbf = runner.best(
        "mbf discover (workbooks)",
        [*runner.mbf, "discover", "-c", "mbf.toml", "-o", "estate-workbooks.json", *workbooks],
    )
    rows = floor.output.split()[0]
    summary = mbf.output.strip().splitlines()
    detail = next((line for line in summary if line.startswith("Discovered")), "").split(" -> ")[0]
    return Row("discover Azure Migrate workbooks", f"{detail}; {rows} rows in {len(workbooks)} workbooks",
               mbf.seconds, "read the workbooks with calamine", floor.seconds, "<= 2x", mbf.peak_mb,
               limit=2.0, cpu=mbf.cpu, floor_cpu=floor.cpu)  # fmt: skip


def bench_generate_plan(runner: Runner, discover: Row) -> Row:
    generate = runner.best(
        "mbf generate",
        [*runner.mbf, "generate", "-c", "mbf.toml", "-o", "backlog.json", "estate.json"],
    )
    plan = runner.best(
        "mbf plan", [*runner.mbf, "plan", "-c", "mbf.toml", "-o", "planned.json", "backlog.json"]
    )
    items = generate.output.split()[1] if generate.output.startswith("Generated") else "?"
    return Row("generate + plan", f"{items} items; generate {generate.seconds:.1f} s + plan {plan.seconds:.1f} s",
               generate.seconds + plan.seconds, "the discover floor", discover.floor_seconds, "<= 10x",
               max(generate.peak_mb, plan.peak_mb), limit=10.0, cpu=generate.cpu + plan.cpu, floor_cpu=discover.floor_cpu)  # fmt: skip


def bench_convert(runner: Runner) -> Row:
    runner.run(
        "mbf convert planned.json -> ado-csv (input of the next step)",
        [*runner.mbf, "convert", "planned.json", "backlog.ado.csv"],
    )
    parts = sorted(runner.work.glob("backlog*.ado.csv"), key=lambda p: (len(p.name), p.name))
    floor = runner.best(
        "floor: csv read + write the ado-csv rows",
        runner.python("floors.py", "copy-csv", "floor.csv", *parts),
    )
    mbf = runner.best(
        "mbf convert ado-csv -> jira-csv",
        [*runner.mbf, "convert", "backlog.ado.csv", "backlog.jira.csv"],
    )
    return Row("convert ado-csv -> jira-csv", f"{floor.output.split()[0]} rows in {len(parts)} Boards files",
               mbf.seconds, "csv module reading + writing the rows", floor.seconds, "<= 2x", mbf.peak_mb, limit=2.0, cpu=mbf.cpu, floor_cpu=floor.cpu)  # fmt: skip


def bench_convert_back(runner: Runner) -> Row:
    """The other direction: the Jira file the previous row wrote, back to Boards files."""
    floor = runner.best(
        "floor: csv read + write the jira-csv rows",
        runner.python("floors.py", "copy-csv", "floor.csv", "backlog.jira.csv"),
    )
    mbf = runner.best(
        "mbf convert jira-csv -> ado-csv",
        [*runner.mbf, "convert", "backlog.jira.csv", "from-jira.ado.csv"],
    )
    return Row("convert jira-csv -> ado-csv", f"{floor.output.split()[0]} rows in one Jira file",
               mbf.seconds, "csv module reading + writing the rows", floor.seconds, "<= 2x", mbf.peak_mb, limit=2.0, cpu=mbf.cpu, floor_cpu=floor.cpu)  # fmt: skip


def bench_xlsx(runner: Runner) -> Row:
    mbf = runner.best(
        "mbf convert planned.json -> xlsx", [*runner.mbf, "convert", "planned.json", "planned.xlsx"]
    )
    runner.run(
        "dump the workbook's cells (input of the floor)",
        runner.python("floors.py", "xlsx-cells", "planned.xlsx", "cells.pickle"),
        keep=False,
    )
    floor = runner.best(
        "floor: xlsxwriter (constant memory) writes the same cells",
        runner.python("floors.py", "write-xlsx", "cells.pickle", "floor.xlsx"),
    )
    size = (runner.work / "planned.xlsx").stat().st_size / 1e6
    return Row("write the backlog as xlsx", f"the planned backlog, {size:.0f} MB workbook (whole `mbf convert`)",
               mbf.seconds, "xlsxwriter writing the same cells alone", floor.seconds, "<= 1.2x", mbf.peak_mb, limit=1.2, cpu=mbf.cpu, floor_cpu=floor.cpu)  # fmt: skip


def bench_mspdi(runner: Runner, waves: int, mpxj_python: Path | None) -> Row:
    runner.run(
        "write the MSPDI plan (input)",
        runner.python("mspdi_plan.py", "plan.xml", str(waves)),
        keep=False,
    )
    tasks = waves * 100
    mbf = runner.best(
        "mbf convert plan.xml -> MSPDI",
        [*runner.mbf, "convert", "plan.xml", "plan-mbf.xml", "--from", "mspdi", "--to", "mspdi"],
    )
    row = Row("MSPDI read + write", f"{tasks:,} tasks, {tasks - 2 * waves:,} links", mbf.seconds,
              "MPXJ (Java) reading + writing the same file", None, ">= 3x faster", mbf.peak_mb, faster=True, limit=3.0, cpu=mbf.cpu)  # fmt: skip
    if mpxj_python is None or not mpxj_python.is_file():
        row.note = "MPXJ not measured (no benchmark venv; see docs/performance.md)"
        return row
    floor = runner.best(
        "floor: MPXJ read + write (JVM start included)",
        [mpxj_python, HERE / "mpxj_convert.py", "plan.xml", "plan-mpxj.xml"],
    )
    row.floor_seconds, row.floor_cpu = floor.seconds, floor.cpu
    warm = runner.run(
        "MPXJ in one JVM, warm",
        [mpxj_python, HERE / "mpxj_convert.py", "plan.xml", "plan-mpxj.xml", "--warm", "2"],
        keep=False,
    )
    row.note = f"MPXJ {warm.output.strip().splitlines()[-1]} (JIT-warm, in-process)"
    # plan.xml is in the layout mbf writes, which mbf reads without building an XML tree. A file
    # another tool wrote goes through lxml: MPXJ's own output stands for one Project saved.
    other = runner.best(
        "mbf convert plan-mpxj.xml (another tool's layout) -> MSPDI",
        [*runner.mbf, "convert", "plan-mpxj.xml", "plan-mbf-2.xml", "--from", "mspdi", "--to", "mspdi"],
    )  # fmt: skip
    other_floor = runner.best(
        "floor: MPXJ read + write of plan-mpxj.xml",
        [mpxj_python, HERE / "mpxj_convert.py", "plan-mpxj.xml", "plan-mpxj-2.xml"],
    )
    row.note += (
        f"; the same plan as MPXJ writes it (read through lxml): mbf {other.seconds:.2f} s, "
        f"MPXJ {other_floor.seconds:.2f} s, {other_floor.seconds / other.seconds:.2f}x faster"
    )
    return row


_PUSH_SCRIPTS = {"Jira": "push_jira.py", "Azure DevOps": "push_azure_devops.py"}
_MINIMUM = re.compile(r"API minimum for the first push: (\d+) writes")
_FIRST_PUSH = re.compile(r"first push: .*?(\d+) requests \((\d+) writes.*?; ([\d.]+) s")


def bench_push(runner: Runner) -> Row:
    """The first push of 10,000 new items to each loopback fake (``push_jira.py``,
    ``push_azure_devops.py``, which own the backlog and the API minimum): requests sent against
    the fewest write requests the tracker's API allows."""
    row = Row("push to the loopback fakes", "", None, "the API minimum number of requests", None,
              "<= 1.05x", unit="requests", limit=1.05)  # fmt: skip
    parts, ratios, sent, least = [], [], 0, 0
    for tracker, script in _PUSH_SCRIPTS.items():
        if not (HERE / script).is_file():
            row.note = f"pending: benchmarks/{script} is not there"
            return row
        process = runner.run(f"push 10k items to the {tracker} fake", runner.python(script))
        minimum, first = _MINIMUM.search(process.output), _FIRST_PUSH.search(process.output)
        if minimum is None or first is None:
            raise SystemExit(f"{script} printed no request counts:\n{process.output[-2000:]}")
        requests, least_here = int(first[1]), int(minimum[1])
        parts.append(f"{tracker} {requests}/{least_here} in {float(first[3]):.1f} s")
        ratios.append(requests / least_here)
        sent, least = sent + requests, least + least_here
    row.detail = f"10k new items; requests/minimum: {', '.join(parts)}"
    row.seconds, row.floor_seconds, row.worst = sent, least, max(ratios)
    row.peak_mb = max(p.peak_mb for p in runner.processes if p.label.startswith("push"))
    return row


def bench_startup(runner: Runner, runs: int) -> Row:
    floors, helps = [], []
    for _ in range(runs):  # interleaved, so a busy moment of the machine hits both alike
        floors.append(runner.run("python -c pass", [sys.executable, "-c", "pass"], keep=False))
        helps.append(runner.run("mbf --help", [*runner.mbf, "--help"], keep=False))
    floor = statistics.median(p.seconds for p in floors)
    mbf = statistics.median(p.seconds for p in helps)
    peak = max(p.peak_mb for p in helps)
    runner.processes.append(
        Process(
            f"mbf --help (median of {runs})", mbf, statistics.median(p.cpu for p in helps), peak, ""
        )
    )
    runner.processes.append(
        Process(
            f"python -c pass (median of {runs})",
            floor,
            statistics.median(p.cpu for p in floors),
            max(p.peak_mb for p in floors),
            "",
        )
    )
    return Row("mbf --help", f"median of {runs} runs", mbf, "`python -c pass`", floor, "<= 10x", peak, limit=10.0,
               cpu=statistics.median(p.cpu for p in helps), floor_cpu=statistics.median(p.cpu for p in floors))  # fmt: skip


def peak_row(runner: Runner) -> Row:
    mbf_processes = [p for p in runner.processes if not p.label.startswith(("floor", "python"))]
    top = max(mbf_processes, key=lambda p: p.peak_mb)
    row = Row("peak memory of any step", top.label, None, "-", None, "<= 2 GB", top.peak_mb)
    row.note = "yes" if top.peak_mb <= PEAK_TARGET_MB else "**no**"
    return row


def _amount(value: float | None, unit: str) -> str:
    return _seconds(value) if unit == "s" or value is None else f"{value:.0f} {unit}"


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} s" if value >= 0.1 else f"{value * 1000:.0f} ms"


def render(rows: list[Row], runner: Runner, scale: str) -> str:
    """The table (markdown), then every process with its wall, CPU and peak memory."""
    lines = [
        f"### mbf benchmarks at {scale} servers",
        "",
        # Python-heavy figures move with how the interpreter was built (an unoptimised build,
        # without PGO and LTO and with a shared libpython, runs mbf's loops slower than the
        # C and Rust of the floors): name it with the figures.
        f"Python {platform.python_version()} ({platform.python_implementation()}, "
        f"{platform.python_build()[1]}) at {sys.executable}",
        "",
        "| figure | what | mbf | floor | floor time | ratio | target | met | CPU ratio | peak memory |",
        "|---|---|---:|---|---:|---:|---|---|---:|---:|",
    ]
    for row in rows:
        ratio = "-" if row.ratio is None else f"{row.ratio:.2f}x"
        cpu_ratio = "-" if row.cpu_ratio is None else f"{row.cpu_ratio:.2f}x"
        met = row.note if row.name == "peak memory of any step" else row.met
        peak = "-" if row.peak_mb is None else f"{row.peak_mb:.0f} MB"
        figure, floor = _amount(row.seconds, row.unit), _amount(row.floor_seconds, row.unit)
        if row.seconds is None and row.unit != "s":
            figure = "pending"
        lines.append(f"| {row.name} | {row.detail} | {figure} | {row.floor_name} | {floor} "
                     f"| {ratio} | {row.target} | {met} | {cpu_ratio} | {peak} |")  # fmt: skip
    notes = [
        f"- {row.name}: {row.note}"
        for row in rows
        if row.note and row.name != "peak memory of any step"
    ]
    if notes:
        lines += ["", *notes]
    lines += ["", "| process | wall | CPU | peak memory |", "|---|---:|---:|---:|"]
    lines += [
        f"| {p.label} | {_seconds(p.seconds)} | {_seconds(p.cpu)} | {p.peak_mb:.0f} MB |"
        for p in runner.processes
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=SCALES, default="50k")
    parser.add_argument("--repeat", type=int, default=1, help="best of N runs of each process")
    parser.add_argument("--dir", type=Path, default=None, help="keep the exports and outputs here")
    parser.add_argument("--no-mpxj", action="store_true", help="do not time MPXJ")
    parser.add_argument(
        "--mpxj-python", type=Path, default=MPXJ_PYTHON, help="python of the MPXJ venv"
    )
    args = parser.parse_args(argv)
    work = args.dir or Path(tempfile.gettempdir()) / f"mbf-benchmarks-{args.scale}"
    work.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    runner = Runner(work, args.repeat)
    exports = prepare_exports(runner, SCALES[args.scale])
    print(
        f"exports of {SCALES[args.scale]:,} servers ready in {work} ({time.perf_counter() - began:.0f} s)",
        file=sys.stderr,
    )

    discover = bench_discover(runner, exports)
    rows = [
        discover,
        bench_discover_workbooks(runner),
        bench_generate_plan(runner, discover),
        bench_convert(runner),
        bench_convert_back(runner),
        bench_xlsx(runner),
        bench_mspdi(runner, MSPDI_WAVES[args.scale], None if args.no_mpxj else args.mpxj_python),
        bench_push(runner),
        bench_startup(runner, runs=max(5, 3 * args.repeat)),
    ]
    rows.append(peak_row(runner))
    assert [r.name for r in rows] == list(ROWS)
    print(render(rows, runner, args.scale))


if __name__ == "__main__":
    main()
