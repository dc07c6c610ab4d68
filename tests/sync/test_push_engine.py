"""Pushes are idempotent and resumable; the ledger is durable after every batch."""

import json
from pathlib import Path

import attrs
import pytest

from mbf.domain import Backlog
from mbf.errors import InputError
from mbf.sync import (
    RetryPolicy,
    SyncLedger,
    Transient,
    plan_push,
    retry_after_seconds,
    run_push,
)

from .memory_tracker import Killed, MemoryTracker


@pytest.fixture
def ledger(tmp_path: Path) -> SyncLedger:
    return SyncLedger.load(tmp_path / ".mbf" / "ledger-memory.json", "memory")


def test_first_push_creates_every_item_parents_first(
    sample_backlog: Backlog, ledger: SyncLedger
) -> None:
    tracker = MemoryTracker()
    report = run_push(sample_backlog, ledger, tracker.writer())
    assert len(report.created) == len(sample_backlog.items) == 9
    assert tracker.marked_ids() == sorted(i.id for i in sample_backlog.items)
    # 2 epics, 2 features, 2 stories, 3 tasks: one batch of 2 per level, the 3 tasks in 2 batches.
    assert report.write_requests == tracker.write_requests == 5


def test_second_push_of_an_unchanged_backlog_sends_nothing(
    sample_backlog: Backlog, ledger: SyncLedger
) -> None:
    tracker = MemoryTracker()
    run_push(sample_backlog, ledger, tracker.writer())
    reloaded = SyncLedger.load(ledger.path, "memory")
    report = run_push(sample_backlog, reloaded, tracker.writer())
    assert (report.created, report.updated, report.write_requests) == ((), (), 0)
    assert len(report.unchanged) == 9
    assert tracker.write_requests == 5


def test_a_changed_item_is_updated_and_only_it(sample_backlog: Backlog, ledger: SyncLedger) -> None:
    tracker = MemoryTracker()
    run_push(sample_backlog, ledger, tracker.writer())
    changed = attrs.evolve(
        sample_backlog,
        items=[
            attrs.evolve(i, state="Done") if i.id == "story:pay-app01" else i
            for i in sample_backlog.items
        ],
    )
    report = run_push(changed, ledger, tracker.writer())
    assert (report.created, report.updated, report.write_requests) == ((), ("story:pay-app01",), 1)
    assert tracker.items[ledger.key_of("story:pay-app01")]["state"] == "Done"


@pytest.mark.parametrize("dying_batch", [1, 2, 3, 4, 5])
def test_a_push_killed_in_any_batch_finishes_without_duplicates(
    sample_backlog: Backlog, ledger: SyncLedger, dying_batch: int
) -> None:
    tracker = MemoryTracker()
    tracker.die_after_applying_batch = dying_batch
    with pytest.raises(Killed):
        run_push(sample_backlog, ledger, tracker.writer())
    tracker.die_after_applying_batch = None
    run_push(sample_backlog, SyncLedger.load(ledger.path, "memory"), tracker.writer())
    assert tracker.marked_ids() == sorted(i.id for i in sample_backlog.items)
    final = SyncLedger.load(ledger.path, "memory")
    assert final.pending == set()
    assert sorted(final.entries) == tracker.marked_ids()
    assert run_push(sample_backlog, final, tracker.writer()).write_requests == 0


def test_a_refused_item_is_reported_and_the_rest_is_pushed(
    sample_backlog: Backlog, ledger: SyncLedger
) -> None:
    tracker = MemoryTracker()
    tracker.refuse_titles = {"Migrate datacenter Dublin 2"}
    report = run_push(sample_backlog, ledger, tracker.writer())
    assert report.failed == (("epic:dub2", "TF401320: Rule Error for field Title"),)
    assert len(report.created) == 8
    tracker.refuse_titles = set()
    assert run_push(sample_backlog, ledger, tracker.writer()).created == ("epic:dub2",)


def test_plan_push_needs_no_tracker(sample_backlog: Backlog, ledger: SyncLedger) -> None:
    plan = plan_push(sample_backlog, ledger)
    assert (len(plan.create), len(plan.update), len(plan.unchanged), plan.writes) == (9, 0, 0, 9)


def test_ledger_file_is_sorted_json_with_the_pushed_content(
    sample_backlog: Backlog, ledger: SyncLedger
) -> None:
    run_push(sample_backlog, ledger, MemoryTracker().writer())
    document = json.loads(ledger.path.read_text())
    assert (document["format"], document["service"], document["pending"]) == (
        "mbf-ledger",
        "memory",
        [],
    )
    assert list(document["entries"]) == sorted(document["entries"])
    assert document["entries"]["epic:ams1"]["snapshot"]["title"] == "Migrate datacenter Amsterdam 1"
    assert [p.name for p in ledger.path.parent.iterdir()] == ["ledger-memory.json"]


def test_a_damaged_ledger_is_refused_with_advice(tmp_path: Path) -> None:
    path = tmp_path / "ledger.json"
    path.write_text('{"format": "mbf-ledger", "entr')
    with pytest.raises(
        InputError, match=r"the sync ledger is damaged .* run `mbf pull` to rebuild it"
    ):
        SyncLedger.load(path, "memory")


def test_retry_after_in_seconds_and_as_an_http_date() -> None:
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds("Wed, 21 Oct 2026 07:28:00 GMT", now=1792567660.0) == 20.0
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None


def test_retry_policy_waits_as_told_then_gives_up() -> None:
    waits: list[float] = []
    calls = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionResetError("reset by peer")
        return "ok"

    policy = RetryPolicy(attempts=3, sleep=waits.append)
    assert policy.run(flaky, lambda exc: Transient(wait=2.0)) == "ok"
    assert waits == [2.0, 2.0]
    with pytest.raises(ValueError, match="final"):
        policy.run(lambda: (_ for _ in ()).throw(ValueError("final")), lambda exc: None)
    assert waits == [2.0, 2.0]


def test_backoff_doubles_without_retry_after() -> None:
    policy = RetryPolicy(base_delay=1.0)
    delays = [policy.delay(n, Transient()) for n in (1, 2, 3)]
    assert 0.5 <= delays[0] <= 1.0
    assert 1.0 <= delays[1] <= 2.0
    assert 2.0 <= delays[2] <= 4.0


def test_a_journal_line_torn_by_a_crash_is_ignored(
    sample_backlog: Backlog, ledger: SyncLedger
) -> None:
    tracker = MemoryTracker()
    tracker.die_after_applying_batch = 3
    with pytest.raises(Killed):
        run_push(sample_backlog, ledger, tracker.writer())
    with ledger.journal_path.open("ab") as journal:
        journal.write(b'{"entries": {"epic:x": {"ke')  # the write the crash interrupted
    resumed = SyncLedger.load(ledger.path, "memory")
    assert "epic:x" not in resumed.entries
    assert len(resumed.entries) == 4  # two full batches of two
    assert len(resumed.pending) == 2  # the batch in flight


def test_the_journal_is_folded_into_the_ledger_at_the_end_of_a_push(
    sample_backlog: Backlog, ledger: SyncLedger
) -> None:
    run_push(sample_backlog, ledger, MemoryTracker().writer())
    assert not ledger.journal_path.exists()
    assert len(SyncLedger.load(ledger.path, "memory").entries) == 9


def test_a_last_pass_that_died_runs_again_on_the_next_push(
    sample_backlog: Backlog, ledger: SyncLedger
) -> None:
    tracker = MemoryTracker()
    passes: list[int] = []

    def finish(backlog, keys):
        passes.append(len(keys))
        if len(passes) == 1:
            raise Killed  # the process dies while linking
        return 3

    writer = attrs.evolve(tracker.writer(), finish=finish)
    with pytest.raises(Killed):
        run_push(sample_backlog, ledger, writer)
    resumed = SyncLedger.load(ledger.path, "memory")
    assert resumed.finish_pending is True
    report = run_push(sample_backlog, resumed, writer)
    assert (report.created, report.write_requests, passes) == ((), 3, [9, 9])
    assert (
        run_push(sample_backlog, SyncLedger.load(ledger.path, "memory"), writer).write_requests == 0
    )
    assert passes == [9, 9]
