"""What every live tracker service shares: the push ledger, change detection, retries and secrets.

A push is idempotent and resumable because of the :class:`SyncLedger`: per service, a file that
maps each mbf item id to its tracker key and the content last pushed, saved atomically after every
batch. A second push of an unchanged backlog finds every fingerprint equal and sends nothing; a push
killed half-way finds the items of the batches that completed and creates only the rest. Services
also stamp the mbf id on every item they create, so a lost ledger can be rebuilt from the tracker.
"""

from __future__ import annotations

import email.utils
import functools
import hashlib
import os
import random
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import attrs
import orjson

from mbf.domain import Backlog, WorkItem, hierarchy_order
from mbf.errors import ConfigError, InputError, MbfError

if TYPE_CHECKING:
    from mbf.plugin.types import PushReport

__all__ = [
    "LEDGER_FORMAT",
    "BatchWriter",
    "ItemOutcome",
    "LedgerEntry",
    "PushFailure",
    "PushPlan",
    "RetryPolicy",
    "SyncLedger",
    "Transient",
    "chunks",
    "item_fingerprint",
    "item_snapshot",
    "plan_push",
    "retry_after_seconds",
    "run_push",
    "secret_from_environment",
]

LEDGER_FORMAT = "mbf-ledger"
_LEDGER_VERSION = 1

T = TypeVar("T")

# Fields a push sends. refs are where the item lives (written back by push), not its content.
_PUSHED_FIELDS = tuple(a.name for a in attrs.fields(WorkItem) if a.name != "refs")


def item_snapshot(item: WorkItem) -> dict[str, Any]:
    """The content of ``item`` a push sends, as plain JSON values (kept in the ledger as the base
    for detecting conflicts on pull)."""
    unstructured = _snapshot_converter().unstructure(item)
    return {name: unstructured[name] for name in _PUSHED_FIELDS}


@functools.cache
def _snapshot_converter() -> Any:
    """Built on first use: cattrs is not needed to start the command line."""
    from mbf.serialization import make_converter

    return make_converter()


def item_fingerprint(snapshot: Mapping[str, Any]) -> str:
    """A short digest of a snapshot: equal content, equal fingerprint, on every machine."""
    canonical = orjson.dumps(snapshot, option=orjson.OPT_SORT_KEYS)
    return hashlib.blake2b(canonical, digest_size=12).hexdigest()


@attrs.frozen(kw_only=True)
class LedgerEntry:
    """Where one mbf item lives in the tracker, and what was last pushed to it."""

    key: str
    """The tracker's key or id."""
    url: str = ""
    """Browser address."""
    fingerprint: str = ""
    """:func:`item_fingerprint` of the content last pushed ("" when only pulled)."""
    snapshot: Mapping[str, Any] = attrs.field(factory=dict)
    """The content last pushed (or pulled): the base for three-way conflict detection."""


class SyncLedger:
    """The durable record of one service's pushes: mbf id -> :class:`LedgerEntry`.

    The ledger is a file (a compact snapshot, written atomically by :meth:`save`) plus a journal
    beside it that each batch appends to and fsyncs: :meth:`begin_batch` notes the ids about to
    be created, :meth:`end_batch` and :meth:`flush` the entries recorded since. Appending keeps a
    batch's cost independent of the ledger's size; :meth:`load` replays the journal, and a line
    torn by a crash is ignored, so a push killed at any moment loses at most the batch in flight,
    whose items carry the mbf marker and are found again by the next push.
    """

    def __init__(
        self,
        path: Path,
        service: str,
        entries: Mapping[str, LedgerEntry] | None = None,
        pending: Iterable[str] = (),
    ) -> None:
        self.path = path
        self.service = service
        self.entries: dict[str, LedgerEntry] = dict(entries or {})
        self.pending: set[str] = set(pending)
        """Ids sent for creation whose result was never recorded: a push died during that batch,
        so the tracker may hold them already. Services look these up by marker before creating."""
        self.finish_pending = False
        """A push wrote items but its last pass (links, sprints, versions) never completed: the
        next push runs that pass even when no item changed."""
        self._unflushed: dict[str, LedgerEntry] = {}

    @property
    def journal_path(self) -> Path:
        """Where batches are appended between two saves."""
        return self.path.with_name(self.path.name + ".journal")

    @classmethod
    def load(cls, path: Path, service: str) -> SyncLedger:
        """Read the ledger at ``path`` and replay its journal; an absent file is an empty ledger."""
        ledger = cls(path, service)
        if path.exists():
            try:
                document = orjson.loads(path.read_bytes())
            except orjson.JSONDecodeError as exc:
                raise InputError(
                    f"the sync ledger is damaged ({exc}); move it away and run `mbf pull` to "
                    "rebuild it from the markers on the tracker's items",
                    path=path,
                ) from None
            if document.get("format") != LEDGER_FORMAT or document.get("service") != service:
                raise InputError(f"not an mbf ledger of service {service!r}", path=path)
            if document.get("version", 0) > _LEDGER_VERSION:
                raise InputError("written by a newer mbf; upgrade mbf to push with it", path=path)
            ledger.entries = _entries(document.get("entries", {}))
            ledger.pending = set(document.get("pending", ()))
            ledger.finish_pending = bool(document.get("finish_pending", False))
        if ledger.journal_path.exists():
            ledger._replay(ledger.journal_path.read_bytes())
        return ledger

    def _replay(self, journal: bytes) -> None:
        for line in journal.splitlines():
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError:
                break  # the line a crash cut short; everything before it is whole
            self.pending.update(record.get("pending_add", ()))
            self.entries.update(_entries(record.get("entries", {})))
            self.pending.difference_update(record.get("pending_remove", ()))
            self.finish_pending = record.get("finish_pending", self.finish_pending)

    def record(self, item_id: str, entry: LedgerEntry) -> None:
        """Remember ``entry`` for ``item_id`` (durable at the next flush, batch end or save)."""
        self.entries[item_id] = entry
        self._unflushed[item_id] = entry

    def begin_batch(self, item_ids: Iterable[str]) -> None:
        """Write ahead that ``item_ids`` are about to be created, before the request is sent."""
        ids = list(item_ids)
        self.pending.update(ids)
        self._append({"pending_add": ids})

    def end_batch(self, item_ids: Iterable[str]) -> None:
        """The batch's outcome is recorded: make its entries durable and drop the write-ahead note."""
        ids = list(item_ids)
        self.pending.difference_update(ids)
        self._append({"entries": self._take_unflushed(), "pending_remove": ids})

    def flush(self) -> None:
        """Make the entries recorded since the last flush durable."""
        if self._unflushed:
            self._append({"entries": self._take_unflushed()})

    def mark_finish(self, *, pending: bool) -> None:
        """Note durably whether the last pass is owed (set before it runs, cleared after)."""
        self.finish_pending = pending
        self._append({"entries": self._take_unflushed(), "finish_pending": pending})

    def key_of(self, item_id: str) -> str | None:
        """The tracker key of ``item_id``, if it was pushed or pulled."""
        entry = self.entries.get(item_id)
        return entry.key if entry else None

    def save(self) -> None:
        """Write the whole ledger atomically (a crash leaves the old or the new file, never half)
        and start an empty journal."""
        document = {
            "format": LEDGER_FORMAT,
            "version": _LEDGER_VERSION,
            "service": self.service,
            "pending": sorted(self.pending),
            "finish_pending": self.finish_pending,
            "entries": {item_id: attrs.asdict(entry) for item_id, entry in self.entries.items()},
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(f".{self.path.name}.tmp")
        with temporary.open("wb") as stream:
            stream.write(orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, self.path)
        self._unflushed.clear()
        self.journal_path.unlink(missing_ok=True)

    def _take_unflushed(self) -> dict[str, Any]:
        entries = {item_id: attrs.asdict(entry) for item_id, entry in self._unflushed.items()}
        self._unflushed.clear()
        return entries

    def _append(self, record: Mapping[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.journal_path.open("ab") as journal:
            journal.write(orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE))
            journal.flush()
            os.fsync(journal.fileno())


def _entries(raw_entries: Mapping[str, Any]) -> dict[str, LedgerEntry]:
    return {
        item_id: LedgerEntry(
            key=raw["key"],
            url=raw.get("url", ""),
            fingerprint=raw.get("fingerprint", ""),
            snapshot=raw.get("snapshot", {}),
        )
        for item_id, raw in raw_entries.items()
    }


@attrs.frozen(kw_only=True)
class PushPlan:
    """What a push must do, item by item, decided from the ledger alone (no request needed)."""

    create: tuple[WorkItem, ...]
    """Items the tracker does not have yet, parents before children."""
    update: tuple[WorkItem, ...]
    """Items whose content changed since they were last pushed."""
    unchanged: tuple[WorkItem, ...]
    """Items already up to date."""
    snapshots: Mapping[str, Mapping[str, Any]]
    """Per item id to create or update, the content being pushed."""

    @property
    def writes(self) -> int:
        """Number of items that need a write."""
        return len(self.create) + len(self.update)


def plan_push(backlog: Backlog, ledger: SyncLedger) -> PushPlan:
    """Sort the backlog's items into create, update and unchanged by comparing with the ledger."""
    create: list[WorkItem] = []
    update: list[WorkItem] = []
    unchanged: list[WorkItem] = []
    snapshots: dict[str, Mapping[str, Any]] = {}
    for item in hierarchy_order(backlog.items):
        snapshot = item_snapshot(item)
        entry = ledger.entries.get(item.id)
        if entry is None:
            create.append(item)
            snapshots[item.id] = snapshot
        elif entry.fingerprint != item_fingerprint(snapshot):
            update.append(item)
            snapshots[item.id] = snapshot
        else:
            unchanged.append(item)
    return PushPlan(
        create=tuple(create), update=tuple(update), unchanged=tuple(unchanged), snapshots=snapshots
    )


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """``items`` in consecutive slices of at most ``size`` (a tracker's batch limit)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


@attrs.frozen(kw_only=True)
class ItemOutcome:
    """What the tracker answered for one item of a batch."""

    item_id: str
    """The mbf id."""
    key: str | None = None
    """The tracker key, when the write succeeded."""
    url: str = ""
    """Browser address, when known."""
    error: str | None = None
    """Why the tracker refused the item."""


@attrs.frozen(kw_only=True)
class BatchWriter:
    """A service's side of a push: how to write one batch of items. Each callable returns one
    :class:`ItemOutcome` per item (in any order) and may raise for a whole-batch failure."""

    batch_size: int
    """Most items per request (Jira bulk create: 50; Azure DevOps ``$batch``: 200)."""
    create: Callable[[Sequence[WorkItem], Mapping[str, str]], list[ItemOutcome]]
    """``create(items, keys)``: create ``items``, stamping each with its mbf id; ``keys`` maps the
    mbf ids already in the tracker (parents among them) to their keys."""
    update: Callable[[Sequence[WorkItem], Mapping[str, str]], list[ItemOutcome]]
    """``update(items, keys)``: bring existing items in line (``keys`` has every pushed id)."""
    find_marked: Callable[[Sequence[str]], Mapping[str, tuple[str, str]]]
    """``find_marked(ids)``: of these mbf ids, those the tracker already holds (from the mbf stamp),
    as ``{id: (key, url)}``; used after an interrupted push."""
    finish: Callable[[Backlog, Mapping[str, str]], int] | None = None
    """Optional last pass once every item exists (links, sprints, versions); returns the number of
    write requests it sent."""
    write_requests: Callable[[], int] | None = None
    """The service's own count of write requests sent so far, for trackers where one batch costs
    several requests (Jira edits are one request per item); by default one per batch."""


def run_push(backlog: Backlog, ledger: SyncLedger, writer: BatchWriter) -> PushReport:
    """Push ``backlog`` with ``writer``: adopt what an interrupted push left, create the new items
    level by level (parents exist before their children's batch), update the changed ones, then
    the writer's last pass. The ledger is saved after every batch."""
    from mbf.plugin.types import PushReport

    plan = plan_push(backlog, ledger)
    if ledger.pending:
        _adopt(ledger, writer, plan)
        plan = plan_push(backlog, ledger)
    requests = 0
    created: list[str] = []
    updated: list[str] = []
    failed: list[tuple[str, str]] = []
    pushed: list[str] = []

    def apply(outcomes: list[ItemOutcome], done: list[str]) -> None:
        for outcome in outcomes:
            if outcome.error is not None or outcome.key is None:
                failed.append((outcome.item_id, outcome.error or "no key returned"))
                continue
            snapshot = plan.snapshots[outcome.item_id]
            ledger.record(
                outcome.item_id,
                LedgerEntry(
                    key=outcome.key,
                    url=outcome.url,
                    fingerprint=item_fingerprint(snapshot),
                    snapshot=snapshot,
                ),
            )
            done.append(outcome.item_id)
            pushed.append(outcome.item_id)

    not_done = [i.id for i in (*plan.create, *plan.update)]
    try:
        for level in _levels(plan.create, ledger):
            for batch in chunks(level, writer.batch_size):
                ids = [item.id for item in batch]
                ledger.begin_batch(ids)
                outcomes = writer.create(batch, _keys(ledger))
                requests += 1
                apply(outcomes, created)
                ledger.end_batch(ids)
        for batch in chunks(plan.update, writer.batch_size):
            outcomes = writer.update(batch, _keys(ledger))
            requests += 1
            apply(outcomes, updated)
            ledger.flush()
        if writer.finish is not None and (created or updated or ledger.finish_pending):
            ledger.mark_finish(pending=True)
            requests += writer.finish(backlog, _keys(ledger))
            ledger.mark_finish(pending=False)
    except MbfError as exc:
        done = set(pushed)
        raise PushFailure(
            str(exc), pushed=pushed, not_pushed=[i for i in not_done if i not in done]
        ) from exc
    ledger.save()
    if writer.write_requests is not None:
        requests = writer.write_requests()
    return PushReport(
        created=tuple(created),
        updated=tuple(updated),
        unchanged=tuple(i.id for i in plan.unchanged),
        failed=tuple(failed),
        write_requests=requests,
    )


def _keys(ledger: SyncLedger) -> dict[str, str]:
    return {item_id: entry.key for item_id, entry in ledger.entries.items()}


def _levels(items: Sequence[WorkItem], ledger: SyncLedger) -> list[list[WorkItem]]:
    """Group items to create so that each item's parent is created in an earlier group (or
    exists already): depth in the hierarchy of the items being created."""
    depth: dict[str, int] = {}
    levels: list[list[WorkItem]] = []
    for item in items:  # parents come first (plan_push orders them)
        level = depth[item.parent_id] + 1 if item.parent_id in depth else 0
        depth[item.id] = level
        if level == len(levels):
            levels.append([])
        levels[level].append(item)
    return levels


def _adopt(ledger: SyncLedger, writer: BatchWriter, plan: PushPlan) -> None:
    """After an interrupted push: record the items of the lost batch the tracker did create, with
    no fingerprint, so they are updated rather than created again."""
    pending = sorted(ledger.pending)
    for item_id, (key, url) in writer.find_marked(pending).items():
        ledger.record(item_id, LedgerEntry(key=key, url=url))
    ledger.end_batch(pending)


class PushFailure(MbfError):
    """A push stopped before the end; the message says what was pushed and what was not."""

    def __init__(self, reason: str, *, pushed: Iterable[str], not_pushed: Iterable[str]) -> None:
        pushed, not_pushed = list(pushed), list(not_pushed)
        shown = ", ".join(not_pushed[:10]) + (
            f" and {len(not_pushed) - 10} more" if len(not_pushed) > 10 else ""
        )
        super().__init__(
            f"push stopped: {reason}. {len(pushed)} item(s) were pushed and recorded; "
            f"{len(not_pushed)} were not ({shown}). Run the same push again to finish: nothing is "
            "created twice."
        )
        self.pushed = pushed
        self.not_pushed = not_pushed


def retry_after_seconds(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delay-seconds or an HTTP date; ``None`` if
    absent or unreadable."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


@attrs.frozen(kw_only=True)
class Transient:
    """A failure worth retrying, and how long the server asked to wait (``None``: it did not say)."""

    wait: float | None = None
    """Seconds from ``Retry-After``; ``None`` means back off exponentially."""


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """Retry transient failures with exponential backoff, honouring the server's Retry-After.

    ``classify(exc)`` returns a :class:`Transient` for a failure worth retrying (429, 503, other
    5xx, resets, timeouts) and ``None`` for a final one.
    """

    attempts: int = 6
    """Tries in all, the first included."""
    base_delay: float = 0.5
    """Backoff after the first failure; doubled each time, with jitter."""
    max_delay: float = 60.0
    """Longest wait between tries."""
    sleep: Callable[[float], None] = time.sleep
    """How to wait (tests pass a recorder)."""

    def run(
        self, operation: Callable[[], T], classify: Callable[[Exception], Transient | None]
    ) -> T:
        """Call ``operation`` until it succeeds, a failure is final, or the attempts run out."""
        for attempt in range(1, self.attempts + 1):
            try:
                return operation()
            except Exception as exc:
                transient = classify(exc)
                if transient is None or attempt == self.attempts:
                    raise
                self.sleep(min(self.max_delay, self.delay(attempt, transient)))
        raise AssertionError("unreachable: the last attempt returns or raises")

    def delay(self, attempt: int, transient: Transient) -> float:
        """Seconds to wait after failed try number ``attempt``."""
        if transient.wait is not None:
            return transient.wait
        backoff: float = self.base_delay * 2.0 ** (attempt - 1)
        return backoff * random.uniform(0.5, 1.0)  # jitter spreads retries of parallel pushes


def secret_from_environment(*names: str, purpose: str) -> str:
    """The first of the environment variables ``names`` that is set; a clear error naming them
    (never a value) when none is."""
    for name in names:
        value = os.environ.get(name)
        if value:
            return value
    raise ConfigError(f"{purpose}: set {' or '.join(names)} in the environment (never in mbf.toml)")
