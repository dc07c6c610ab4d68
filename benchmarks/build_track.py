"""Time ``mbf build`` (first build and an unchanged rebuild) and ``mbf track`` at estate scale.

The project is the deterministic estate of ``estate_exports.py`` with every export as a
``[[sources]]`` entry and four ``[[outputs]]`` (xlsx, ado-csv, jira-csv, mspdi). The rebuild must
leave every file byte-identical; the script checks it. ``mbf track`` then folds a replication
status export naming every server (a quarter replicating, a quarter migrated, one in fifty
unhealthy, plus 100 servers the backlog does not know) into the built backlog. Usage::

    uv run python benchmarks/build_track.py [--servers 10000] [--dir DIR]

Figures (2-core machine shared with other sessions' test runs, so +-50 %; 2026-11-26):

- 10,000 servers, 71,871 items: build 87 s (discover 9.8, generate 10.1, plan 5.4, write 61.4;
  the xlsx workbook is about 20 s of the writing), rebuild 81 s and byte-identical; track of
  10,100 status rows 5.8 s (reading and writing the backlog file is most of it; folding 1.8 s).
- 50,000 servers, 359,163 items (run at nice 10): build 286 s (discover 70.5, generate 45.8,
  plan 21.4, write 148.7), rebuild 144 s and byte-identical; track of 50,100 rows 27 s.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import estate_exports  # noqa: E402  (a sibling module of this script)

OUTPUTS = ("out/backlog.xlsx", "out/ado.csv", "out/jira.csv", "out/plan.xml")
STATES = ("", "InitialReplication InProgress", "DeltaReplication Completed", "Migration Completed")


def _project(directory: Path, servers: int) -> Path:
    """The exports, and mbf.toml naming them and the outputs."""
    estate_exports.generate(directory, servers)
    config = directory / "mbf.toml"
    sources = "".join(f'\n[[sources]]\npath = "{name}"\n' for name in estate_exports.EXPORT_NAMES)
    formats = ("xlsx", "ado-csv", "jira-csv", "mspdi")
    outputs = "".join(
        f'\n[[outputs]]\npath = "{path}"\nformat = "{name}"\n'
        for path, name in zip(OUTPUTS, formats, strict=True)
    )
    config.write_text(config.read_text(encoding="utf-8") + sources + outputs, encoding="utf-8")
    return config


def _hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def _timed(command: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return time.perf_counter() - start, done.stdout


def _replication_status(estate_path: Path, target: Path) -> int:
    """A replication status export naming every server of the estate, and 100 unknown ones."""
    names = [s["name"] for s in json.loads(estate_path.read_text(encoding="utf-8"))["servers"]]
    names += [f"unknown-{n:03d}" for n in range(100)]
    with target.open("w", encoding="utf-8", newline="") as stream:
        stream.write("#TYPE System.Management.Automation.PSCustomObject\r\n")
        writer = csv.writer(stream, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        writer.writerow(["Appliance", "Server", "State", "Progress", "TimeElapsed",
                         "TimeRemaining", "UploadSpeed", "Health", "LastSync", "Datastore"])  # fmt: skip
        for n, name in enumerate(names):
            health = "Critical" if n % 50 == 7 else "Normal"
            writer.writerow(["app1", name, STATES[n % 4], "-", "-", "-", "-", health, "-", "DS1"])
    return len(names)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", type=int, default=10_000)
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    directory = args.dir or Path(tempfile.mkdtemp(prefix="mbf-build-"))
    config = _project(directory, args.servers)
    mbf = [sys.executable, "-m", "mbf"]
    first, summary = _timed([*mbf, "build", "-c", str(config)])
    before = _hashes(directory / "out")
    again, _ = _timed([*mbf, "build", "-c", str(config)])
    identical = _hashes(directory / "out") == before
    rows = _replication_status(directory / "out" / "estate.json", directory / "status.csv")
    backlog = str(directory / "out" / "backlog.json")
    track, tracked = _timed([*mbf, "track", backlog, str(directory / "status.csv"), "-o", backlog])
    print(summary.rstrip())
    print(f"mbf build: {first:.1f} s; rebuild: {again:.1f} s, byte-identical: {identical}")
    print(f"mbf track ({rows} status rows): {track:.1f} s; {tracked.splitlines()[-1]}")


if __name__ == "__main__":
    main()
