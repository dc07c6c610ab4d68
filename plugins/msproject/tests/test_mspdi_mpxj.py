"""A file ``mspdi`` writes reads in MPXJ (Java) with the same tasks, outline, links and dates.

MPXJ is the reader most Project tooling relies on. The test installs ``mpxj`` and ``JPype1`` into
a cache folder (once per machine) and runs MPXJ in a child process, so the JVM never starts inside
the test run. Only a machine without Java skips it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from mbf.domain import Backlog
from mbf.plugin import Context, TrackerFormat

MPXJ_REQUIREMENTS = ("mpxj==16.10.0", "JPype1==1.7.1")

PROBE = """
import json, sys
import jpype
import mpxj  # puts MPXJ's jars on the class path
jpype.startJVM()
from org.mpxj import TimeUnit
from org.mpxj.reader import UniversalProjectReader

project = UniversalProjectReader().read(sys.argv[1])
props = project.getProjectProperties()

def hours(duration):
    return float(duration.convertUnits(TimeUnit.HOURS, props).getDuration())

rows = []
for task in project.getTasks():
    parent = task.getParentTask()
    rows.append([
        int(task.getUniqueID()), str(task.getName()), int(task.getOutlineLevel()),
        int(parent.getUniqueID()) if parent is not None else None,
        str(task.getStart()), str(task.getFinish()), hours(task.getDuration()), bool(task.getMilestone()),
        [[int(r.getPredecessorTask().getUniqueID()), str(r.getType()), hours(r.getLag())]
         for r in task.getPredecessors()],
    ])
print(json.dumps(rows))
"""


def _install_mpxj() -> Path:
    target = Path(tempfile.gettempdir()) / "mbf-test-mpxj-16.10.0"
    if (target / "mpxj").is_dir() and (target / "jpype").is_dir():
        return target
    uv = shutil.which("uv")
    if uv is not None:
        command = [
            uv,
            "pip",
            "install",
            "--quiet",
            "--python",
            sys.executable,
            "--target",
            str(target),
        ]
    else:
        command = ["python3", "-m", "pip", "install", "--quiet", "--target", str(target)]
    subprocess.run([*command, *MPXJ_REQUIREMENTS], check=True, capture_output=True, timeout=600)
    return target


@pytest.fixture(scope="module")
def mpxj_path() -> Path:
    """Where ``mpxj`` and ``JPype1`` are installed; skips the module where Java is missing."""
    if shutil.which("java") is None:
        pytest.skip(
            "Java is not installed: MPXJ needs a JVM (apt-get install default-jre-headless)"
        )
    return _install_mpxj()


def _read_with_mpxj(mpxj_path: Path, path: Path) -> list[list[Any]]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(path)],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(mpxj_path)},
    )
    return list(json.loads(result.stdout.strip().splitlines()[-1]))


@pytest.mark.slow
def test_mpxj_reads_the_same_tasks_outline_links_and_dates(
    mpxj_path: Path, mspdi: TrackerFormat, sample_backlog: Backlog, tmp_path: Path
) -> None:
    path = tmp_path / "plan.xml"
    assert mspdi.write is not None
    mspdi.write(sample_backlog, path, Context())
    rows = _read_with_mpxj(mpxj_path, path)
    assert rows == [
        [0, "Migration backlog", 0, None, "2027-01-04T08:00", "2027-01-29T17:00", 160.0, False, []],
        [1, "Migrate datacenter Amsterdam 1", 1, 0, "None", "None", 8.0, False, []],
        [
            2,
            "Migrate workload Payroll",
            2,
            1,
            "2027-01-04T08:00",
            "2027-01-15T17:00",
            80.0,
            False,
            [],
        ],
        [3, "Migrate PAY-DB01", 3, 2, "None", "None", 8.0, False, []],
        [4, "Remediate PAY-DB01: unsupported boot type", 4, 3, "None", "None", 8.0, False, []],
        [
            5,
            "Migrate PAY-DB01",
            4,
            3,
            "2027-01-06T08:00",
            "2027-01-08T17:00",
            24.0,
            False,
            [[4, "FS", 0.0], [7, "SS", 4.0]],
        ],
        [6, "Migrate PAY-APP01", 3, 2, "None", "None", 8.0, False, []],
        [7, "Migrate PAY-APP01", 4, 6, "None", "None", 8.0, False, []],
        [8, "Migrate workload CRM", 2, 1, "None", "None", 8.0, False, [[2, "FF", -8.0]]],
        [9, "Migrate datacenter Dublin 2", 1, 0, "None", "None", 8.0, False, []],
        [10, "Iterations", 1, 0, "2027-01-04T08:00", "2027-01-29T17:00", 160.0, False, []],
        [11, "Sprint 1", 2, 10, "2027-01-04T08:00", "2027-01-15T17:00", 80.0, False, []],
        [12, "Sprint 2", 2, 10, "2027-01-18T08:00", "2027-01-29T17:00", 80.0, False, []],
        [13, "Releases", 1, 0, "2027-01-29T08:00", "2027-01-29T17:00", 8.0, False, []],
        [14, "Release 1", 2, 13, "2027-01-29T08:00", "2027-01-29T08:00", 0.0, True, []],
    ]
