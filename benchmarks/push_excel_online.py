"""Requests and time to push 10,000 items to the shared workbook with the ``excel-online`` service,
against the loopback Graph of ``plugins/excel/tests/fake_graph.py`` (the real msgraph-sdk client
over HTTP), then to re-push them unchanged, then after editing 100 of them (with a colleague's
edit in the workbook to merge), then to pull them.

The backlog: 100 epics, 3,000 stories (30 per epic) and 6,900 tasks (2 or 3 per story), the
stories planned into 20 sprints of 150 and each depending on the one before it in its epic.

    uv run python benchmarks/push_excel_online.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import attrs

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "plugins" / "excel" / "tests"))

from fake_graph import DRIVE_ID, TOKEN, FakeGraph  # noqa: E402
from push_backlog import make_push_backlog  # noqa: E402

from mbf.domain import Backlog, WorkItemKind  # noqa: E402
from mbf.plugin import Context  # noqa: E402
from mbf.sync import RetryPolicy, SyncLedger  # noqa: E402
from mbf_excel.online import SERVICE, ExcelOnlineClient  # noqa: E402
from mbf_excel.online_settings import ExcelOnlineSettings  # noqa: E402
from mbf_excel.xlsx_reader import read_backlog_workbook  # noqa: E402
from mbf_excel.xlsx_writer import write_backlog_workbook  # noqa: E402

PATH = "Migration/backlog.xlsx"


class StaticCredential:
    """An azure-core TokenCredential for the fake."""

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        return AccessToken(TOKEN, int(time.time()) + 3600)


def main() -> None:
    os.environ["NO_PROXY"] = "127.0.0.1,localhost"
    graph = FakeGraph().start()
    settings = ExcelOnlineSettings(item_path=PATH, drive_id=DRIVE_ID, graph_url=graph.base_url)
    plan = make_push_backlog()
    rows: list[tuple[str, int, int, float]] = []
    with tempfile.TemporaryDirectory() as folder:
        ledger_path = Path(folder) / "ledger.json"

        def step(name: str, run: Any) -> Any:
            client = ExcelOnlineClient(
                settings,
                Context(),
                credential_factory=lambda _settings: StaticCredential(),
                retry=RetryPolicy(sleep=lambda _seconds: None),
            )
            sent = len(graph.log)
            started = time.perf_counter()
            result = run(client)
            seconds = time.perf_counter() - started
            client.close()
            requests = graph.log[sent:]
            writes = sum(1 for r in requests if r.method == "PUT")
            rows.append((name, len(requests), writes, seconds))
            return result

        def push(backlog_now: Backlog) -> Any:
            return lambda client: client.push(backlog_now, SyncLedger.load(ledger_path, SERVICE))

        step(f"first push of {len(plan.items):,} items", push(plan))
        step("re-push, unchanged", push(plan))

        # A colleague sets one story Done in the workbook; here 100 stories get a new title.
        copy = Path(folder) / "colleague.xlsx"
        copy.write_bytes(graph.content(PATH))
        shared = read_backlog_workbook(copy, Context())
        shared = attrs.evolve(
            shared,
            items=[
                attrs.evolve(i, state="Done") if i.id == "story:e0/s0" else i for i in shared.items
            ],
        )
        write_backlog_workbook(shared, copy, Context())
        graph.save(PATH, copy.read_bytes())
        edited = attrs.evolve(
            plan,
            items=[
                attrs.evolve(i, title=i.title + " (rehost)")
                if i.kind is WorkItemKind.STORY and i.id.endswith("/s1")
                else i
                for i in plan.items
            ],
        )
        step("push of 100 edited items (merged with 1 edit)", push(edited))
        pulled = step("pull", lambda client: client.pull())
    graph.stop()
    print(f"workbook: {len(graph.content(PATH)) / 1e6:.1f} MB; pulled {len(pulled.items):,} items")
    print("| step | requests | uploads | seconds |")
    print("|---|---:|---:|---:|")
    for name, requests, writes, seconds in rows:
        print(f"| {name} | {requests} | {writes} | {seconds:.2f} |")


if __name__ == "__main__":
    main()
