"""Requests and time to push 10,000 items to Azure Boards with the ``azure-devops`` service,
against the loopback fake of ``plugins/azure-devops/tests/fake_ado.py`` (mbf's httpx client over
HTTP), then to re-push them unchanged, then after editing 100 of them, then to pull them all.

The backlog is the one of ``push_jira.py``: 100 epics, 3,000 stories (30 per epic) and 6,900
tasks (2 or 3 per story); the stories are planned into 20 sprints of 150, and each story depends
on the one before it in its epic (2,900 links).

    uv run python benchmarks/push_azure_devops.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import attrs

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "plugins" / "azure-devops" / "tests"))

from fake_ado import FakeAzureDevOps  # noqa: E402
from push_backlog import make_push_backlog  # noqa: E402

from mbf.domain import Backlog  # noqa: E402
from mbf.plugin import Context  # noqa: E402
from mbf.sync import RetryPolicy, SyncLedger  # noqa: E402
from mbf_azure_devops.service import AzureDevOpsClient  # noqa: E402
from mbf_azure_devops.settings import MAX_BATCH, AzureDevOpsSettings  # noqa: E402


def minimum(plan: Backlog) -> tuple[int, int]:
    """Write requests for a first push: (mbf's design minimum, the absolute API minimum).

    Design: a ``$batch`` of 200 per hierarchy level (parents before children), links of 200
    items per ``$batch`` in a second pass, one request per iteration node and per team sprint.
    Absolute: every item with its parent and dependency links in ``$batch`` requests of 200
    (possible only with ``$batch`` temporary ids, unconfirmed on 7.x), plus the iterations."""
    levels = Counter(item.kind for item in plan.items)
    creates = sum(-(-n // MAX_BATCH) for n in levels.values())
    linked = sum(1 for item in plan.items if item.links)
    iterations = 2 * len(plan.iterations)
    design = creates + -(-linked // MAX_BATCH) + iterations
    absolute = -(-len(plan.items) // MAX_BATCH) + iterations
    return design, absolute


def run(fake: FakeAzureDevOps, plan: Backlog, ledger_path: Path, label: str) -> None:
    before = len(fake.requests)
    settings = AzureDevOpsSettings(organization_url=fake.organization_url, project=fake.project)
    client = AzureDevOpsClient(settings, Context(), fake.pat, retry=RetryPolicy())
    started = time.perf_counter()
    report = client.push(plan, SyncLedger.load(ledger_path, "azure-devops"))
    elapsed = time.perf_counter() - started
    client.close()
    sent = fake.requests[before:]
    writes = [r for r in fake.writes() if r in sent]
    kinds = Counter(f"{r.method} {r.path.split('/_apis/')[1]}" for r in writes)
    print(
        f"{label}: {len(report.created)} created, {len(report.updated)} updated; "
        f"{len(sent)} requests ({len(writes)} writes, {len(sent) - len(writes)} reads), "
        f"report says {report.write_requests} writes; {elapsed:.1f} s"
    )
    for kind, count in sorted(kinds.items()):
        print(f"    {count:6d}  {kind}")


def pull(fake: FakeAzureDevOps) -> None:
    before = len(fake.requests)
    settings = AzureDevOpsSettings(organization_url=fake.organization_url, project=fake.project)
    client = AzureDevOpsClient(settings, Context(), fake.pat, retry=RetryPolicy())
    started = time.perf_counter()
    pulled = client.pull()
    elapsed = time.perf_counter() - started
    client.close()
    sent = Counter(f"{r.method} {r.path.split('/_apis/')[1]}" for r in fake.requests[before:])
    print(f"pull: {len(pulled.items)} items; {sum(sent.values())} requests; {elapsed:.1f} s")
    for kind, count in sorted(sent.items()):
        print(f"    {count:6d}  {kind}")


def main() -> None:
    os.environ["NO_PROXY"] = "127.0.0.1,localhost"
    plan = make_push_backlog()
    fake = FakeAzureDevOps(project="Contoso", team="Contoso Team").start()
    design, absolute = minimum(plan)
    print(
        f"{len(plan.items)} items; API minimum for the first push: {design} writes with parents "
        f"created before children and links in a second pass ({absolute} if $batch temporary "
        "ids could put everything in one pass)"
    )
    try:
        with tempfile.TemporaryDirectory() as folder:
            ledger_path = Path(folder) / "ledger-azure-devops.json"
            run(fake, plan, ledger_path, "first push")
            run(fake, plan, ledger_path, "unchanged re-push")
            edited = [
                attrs.evolve(item, title=item.title + " (moved)") if n % 100 == 0 else item
                for n, item in enumerate(plan.items)
            ]
            run(fake, attrs.evolve(plan, items=edited), ledger_path, "re-push, 100 items edited")
            pull(fake)
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
