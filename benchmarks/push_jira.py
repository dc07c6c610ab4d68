"""Requests and time to push 10,000 items to Jira with the ``jira`` service, against the loopback
fake of ``plugins/jira/tests/fake_jira.py`` (the real ``jira`` client over HTTP), then to re-push
them unchanged, then after editing 100 of them.

The backlog: 100 epics, 3,000 stories (30 per epic) and 6,900 sub-tasks (2 or 3 per story); the
stories are planned into 20 sprints of 150 and 5 releases, and each story depends on the one
before it in its epic (2,900 links).

    uv run python benchmarks/push_jira.py
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import attrs

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "plugins" / "jira" / "tests"))

from fake_jira import FakeJira  # noqa: E402
from push_backlog import make_push_backlog  # noqa: E402

from mbf.domain import Backlog  # noqa: E402
from mbf.plugin import Context  # noqa: E402
from mbf.sync import RetryPolicy, SyncLedger  # noqa: E402
from mbf_jira.service import JiraTracker  # noqa: E402
from mbf_jira.settings import JiraSettings  # noqa: E402

_ID = re.compile(r"/(\d+|MIG-\d+)")
RELEASES = 5


def minimum(plan: Backlog) -> int:
    """Write requests no client can go below: bulk creates per level (50 each), one request per
    version, sprint and link (Jira has no bulk link API), sprint moves of 50."""
    levels = Counter(item.kind for item in plan.items)
    creates = sum(-(-n // 50) for n in levels.values())
    in_sprint = Counter(i.iteration_id for i in plan.items if i.iteration_id)
    moves = sum(-(-n // 50) for n in in_sprint.values())
    links = sum(len(i.links) for i in plan.items)
    return creates + len(plan.releases) + len(plan.iterations) + moves + links


def run(fake: FakeJira, plan: Backlog, ledger_path: Path, label: str) -> None:
    before = len(fake.requests)
    tracker = JiraTracker(JiraSettings(url=fake.url, project="MIG"), Context(), retry=RetryPolicy())
    started = time.perf_counter()
    report = tracker.push(plan, SyncLedger.load(ledger_path, "jira"))
    elapsed = time.perf_counter() - started
    tracker.close()
    sent = fake.requests[before:]
    writes = [r for r in sent if r.is_write]
    kinds = Counter(f"{r.method} {_ID.sub('/{id}', r.path)}" for r in writes)
    print(
        f"{label}: {len(report.created)} created, {len(report.updated)} updated; "
        f"{len(sent)} requests ({len(writes)} writes, {len(sent) - len(writes)} reads), "
        f"report says {report.write_requests} writes; {elapsed:.1f} s"
    )
    for kind, count in sorted(kinds.items()):
        print(f"    {count:6d}  {kind}")


def main() -> None:
    os.environ["NO_PROXY"] = "127.0.0.1,localhost"
    plan = make_push_backlog(releases=RELEASES)
    fake = FakeJira()
    os.environ["JIRA_EMAIL"], os.environ["JIRA_API_TOKEN"] = fake.email, fake.token
    print(f"{len(plan.items)} items; API minimum for the first push: {minimum(plan)} writes")
    with fake.running(), tempfile.TemporaryDirectory() as folder:
        ledger_path = Path(folder) / "ledger-jira.json"
        run(fake, plan, ledger_path, "first push")
        run(fake, plan, ledger_path, "unchanged re-push")
        edited = [
            attrs.evolve(item, title=item.title + " (moved)") if n % 100 == 0 else item
            for n, item in enumerate(plan.items)
        ]
        run(fake, attrs.evolve(plan, items=edited), ledger_path, "re-push, 100 items edited")


if __name__ == "__main__":
    main()
