"""Folding migration progress into the backlog: replication status and MEG Wave sheets -> task states.

Two kinds of progress file are read, each into one :class:`ServerProgress` per server:

- the replication status of Azure Migrate, as ``Get-AzMigrateServerMigrationStatus | Export-Csv``
  writes it (columns ``Appliance, Server, State, Progress, TimeElapsed, TimeRemaining,
  UploadSpeed, Health, LastSync, Datastore``; Windows PowerShell's ``#TYPE`` line is skipped). A
  ``State`` such as ``InitialReplication InProgress`` or ``DeltaReplication Completed`` means
  replication started; ``Migration Completed`` (or ``Migrated``, ``MigrationSucceeded``) means the
  server moved; a failed state or a ``Health`` other than ``Normal`` needs attention;
- the ``8. Wave`` sheet of a Migration Execution Guide workbook, read by the installed ``meg``
  tracker format (the excel plugin; core never imports a plugin). Its ``Initial Replication
  Status``, ``Test Migration UAT Status``, ``Final Migration UAT Status`` and ``Replication
  Completed`` columns say how far each machine got: final UAT passed means migrated, any status
  means started, ``Failed`` anywhere needs attention.

:func:`track_progress` then moves each server's ``migrate`` task (``task:<server>/migrate``, under
its story ``story:<server>``): replication started -> in progress, migrated -> done. Its story and
feature become in progress when still to do, so a rebuild keeps the workload in its iteration. A
task never moves back: a backlog already further than the file is reported, not changed. A server
that needs attention gets the tag ``migration-issue`` and the reason in ``extra``; the tag goes once
a later report is healthy. A server the backlog does not know is reported, never dropped silently.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import attrs

from mbf.domain import Backlog, StateCategory, WorkItem, WorkItemKind, server_id
from mbf.engine.generation import REMOVED_STATE
from mbf.errors import InputError
from mbf.plugin.manager import MbfPluginManager
from mbf.plugin.types import Context
from mbf.tabular import Columns, ColumnSpec, normalise_header, read_csv_table

__all__ = [
    "ISSUE_TAG",
    "ServerProgress",
    "Stage",
    "TrackReport",
    "read_meg_waves",
    "read_progress",
    "read_replication_status",
    "track_progress",
]

ISSUE_TAG = "migration-issue"
"""Tag of a migrate task whose server's replication or tests need attention."""
STATUS_KEY = "migration_status"
"""``extra`` key of a migrate task: the latest progress words reported for its server."""
ISSUE_KEY = "migration_issue"
"""``extra`` key of a migrate task: why it needs attention (absent when it does not)."""
_DEFAULT_STATE = {StateCategory.IN_PROGRESS: "Active", StateCategory.DONE: "Done"}
_WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
_HEALTHY = frozenset({"", "-", "normal", "healthy", "none"})
_NO_STATE = frozenset({"", "-", "none", "notstarted"})
_MEG_COLUMNS = (
    ("Initial Replication Status", "initial replication"),
    ("Test Migration UAT Status", "test migration UAT"),
    ("Final Migration UAT Status", "final migration UAT"),
)
_MEG_REPLICATED = "Replication Completed"


class Stage(enum.IntEnum):
    """How far a server's move has got; a higher stage never gives way to a lower one."""

    NOT_STARTED = 0
    """Listed, nothing happened yet."""
    STARTED = 1
    """Replication (or a test migration) has started."""
    MIGRATED = 2
    """The server runs in Azure."""


_CATEGORY = {Stage.STARTED: StateCategory.IN_PROGRESS, Stage.MIGRATED: StateCategory.DONE}
_RANK = {StateCategory.TODO: 0, StateCategory.IN_PROGRESS: 1, StateCategory.DONE: 2}


@attrs.frozen(kw_only=True)
class ServerProgress:
    """What one progress file says about one server."""

    server: str
    """The server's name as the file spells it (short name or FQDN)."""
    stage: Stage
    """How far its move has got."""
    status: str
    """The file's own words, e.g. ``InitialReplication InProgress 48 %``."""
    issue: str = ""
    """Why it needs attention, e.g. ``health Critical``; empty when it does not."""
    origin: str = ""
    """Where it was read, e.g. ``replication-status.csv, row 5``."""


@attrs.frozen(kw_only=True)
class TrackReport:
    """What folding progress into a backlog did, by migrate task id."""

    started: tuple[str, ...] = ()
    """Migrate tasks moved to in progress."""
    done: tuple[str, ...] = ()
    """Migrate tasks moved to done."""
    flagged: tuple[str, ...] = ()
    """Migrate tasks tagged ``migration-issue`` by this run."""
    issues: tuple[tuple[str, ServerProgress], ...] = ()
    """``(migrate task id, report)`` of every server whose latest report needs attention."""
    cleared: tuple[str, ...] = ()
    """Migrate tasks whose ``migration-issue`` tag a healthy report removed."""
    ahead: tuple[tuple[str, str], ...] = ()
    """``(task id, its state)`` of tasks further than the file says; left as they are."""
    unknown: tuple[ServerProgress, ...] = ()
    """Servers the backlog has no story for."""
    without_task: tuple[ServerProgress, ...] = ()
    """Servers whose story has no migrate task (e.g. retired ones)."""
    servers: int = 0
    """Servers the progress files name."""


# -- reading ------------------------------------------------------------------------------------

_REPLICATION_COLUMNS = (
    ColumnSpec("Server", ("Machine", "MachineName", "Server name"), required=True),
    ColumnSpec("State", ("Status", "Replication status"), required=True),
    ColumnSpec("Progress", ()),
    ColumnSpec("Health", ("Replication health",)),
    ColumnSpec("LastSync", ("Last sync",)),
)


def _replication_stage(state: str) -> Stage:
    key = normalise_header(state)
    if key in _NO_STATE:
        return Stage.NOT_STARTED
    if "fail" not in key and (
        key == "migrated"
        or ("migrat" in key and "testmigrat" not in key and ("complet" in key or "succe" in key))
    ):
        return Stage.MIGRATED
    return Stage.STARTED


def read_replication_status(path: Path) -> list[ServerProgress]:
    """The servers of a ``Get-AzMigrateServerMigrationStatus | Export-Csv`` file, in file order."""
    table = read_csv_table(path)
    cols = Columns.locate(table.header, _REPLICATION_COLUMNS, table=table)
    found = []
    for number, row in table.numbered_rows():
        cells = cols.texts(row)
        name = cells["Server"]
        if not name:
            raise InputError("the server name is empty", path=path, row=number, column="Server")
        state = cells["State"]
        progress = cells.get("Progress", "")
        health = cells.get("Health", "")
        issues = []
        if "fail" in state.lower():
            issues.append(f"state {state}")
        if health.lower() not in _HEALTHY:
            issues.append(f"health {health}")
        status = " ".join(part for part in (state, progress) if part and part != "-")
        found.append(
            ServerProgress(
                server=name,
                stage=_replication_stage(state),
                status=status or "not replicating",
                issue="; ".join(issues),
                origin=f"{path.name}, row {number}",
            )
        )
    return found


def read_meg_waves(
    plugin_manager: MbfPluginManager, path: Path, context: Context
) -> list[ServerProgress]:
    """The machines of a MEG workbook's Wave sheet, read by the ``meg`` tracker format."""
    reader = plugin_manager.find_tracker_format(path, "meg", for_reading=True)
    assert reader.read is not None  # find_tracker_format returns readers only here
    waves = reader.read(path, context)
    found = []
    for item in waves.items:
        machine = str(item.extra.get("Machine", "")).strip()
        if item.kind is not WorkItemKind.STORY or not machine:
            continue
        statuses = {
            label: str(item.extra.get(column, "")).strip() for column, label in _MEG_COLUMNS
        }
        replicated = str(item.extra.get(_MEG_REPLICATED, "")).strip()
        if statuses["final migration UAT"].lower() == "passed":
            stage = Stage.MIGRATED
        elif any(statuses.values()) or replicated.lower() not in ("", "no", "false"):
            stage = Stage.STARTED
        else:
            stage = Stage.NOT_STARTED
        words = [f"{label} {value}" for label, value in statuses.items() if value]
        found.append(
            ServerProgress(
                server=machine,
                stage=stage,
                status="; ".join(words) or "not started",
                issue="; ".join(w for w in words if w.lower().endswith("failed")),
                origin=f"{path.name}, sheet '8. Wave', machine {machine}",
            )
        )
    return found


def read_progress(
    plugin_manager: MbfPluginManager, path: Path, context: Context
) -> list[ServerProgress]:
    """Read a progress file: a workbook is a MEG, anything else a replication status CSV."""
    if not path.is_file():
        raise InputError("no such file", path=path)
    if path.suffix.lower() in _WORKBOOK_SUFFIXES:
        return read_meg_waves(plugin_manager, path, context)
    return read_replication_status(path)


# -- folding ------------------------------------------------------------------------------------


def _state_word(items: Iterable[WorkItem], category: StateCategory) -> str:
    """The state word the backlog already uses most for ``category`` (its tracker's vocabulary);
    ``Removed``, which regeneration gives items gone from the estate, is no word for progress."""
    words = Counter(
        item.state
        for item in items
        if item.state_category is category and item.state != REMOVED_STATE
    )
    if not words:
        return _DEFAULT_STATE[category]
    return min(words, key=lambda word: (-words[word], word))


def _latest(records: Iterable[ServerProgress]) -> dict[str, ServerProgress]:
    """Per server id, the furthest stage seen, with the status and issue of its last report."""
    latest: dict[str, ServerProgress] = {}
    for record in records:
        key = server_id(record.server)
        seen = latest.get(key)
        keep_stage = seen is not None and seen.stage > record.stage
        latest[key] = attrs.evolve(record, stage=seen.stage) if seen and keep_stage else record
    return latest


def track_progress(
    backlog: Backlog, records: Sequence[ServerProgress]
) -> tuple[Backlog, TrackReport]:
    """``backlog`` with the migrate task of every reported server moved forward and flagged."""
    items = {item.id: item for item in backlog.items}
    story_of: dict[str, str] = {}
    migrate_task: dict[str, str] = {}
    for item in backlog.items:
        if item.kind is WorkItemKind.STORY:
            for sid in (item.id.removeprefix("story:"), *item.source):
                story_of.setdefault(sid, item.id)
        elif (
            item.kind is WorkItemKind.TASK
            and item.parent_id
            and (item.id.endswith("/migrate") or "migrate" in item.tags)
        ):
            migrate_task.setdefault(item.parent_id, item.id)
    words = {
        category: _state_word(backlog.items, category)
        for category in (StateCategory.IN_PROGRESS, StateCategory.DONE)
    }
    started: list[str] = []
    done: list[str] = []
    flagged: list[str] = []
    issues: list[tuple[str, ServerProgress]] = []
    cleared: list[str] = []
    ahead: list[tuple[str, str]] = []
    unknown: list[ServerProgress] = []
    without_task: list[ServerProgress] = []
    latest = _latest(records)
    for sid, record in latest.items():
        story_id = story_of.get(sid)
        if story_id is None:
            unknown.append(record)
            continue
        task_id = migrate_task.get(story_id)
        if task_id is None:
            without_task.append(record)
            continue
        task = items[task_id]
        target = _CATEGORY.get(record.stage)
        if target is not None and _RANK[target] > _RANK[task.state_category]:
            task = attrs.evolve(task, state=words[target], state_category=target)
            (done if target is StateCategory.DONE else started).append(task_id)
            _start_parents(items, story_id, words[StateCategory.IN_PROGRESS])
        elif target is not None and _RANK[target] < _RANK[task.state_category]:
            ahead.append((task_id, task.state))
        task, change = _flag(task, record)
        if record.issue:
            issues.append((task_id, record))
        if change == "flagged":
            flagged.append(task_id)
        elif change == "cleared":
            cleared.append(task_id)
        items[task_id] = task
    tracked = attrs.evolve(backlog, items=tuple(items[item.id] for item in backlog.items))
    report = TrackReport(
        started=tuple(sorted(started)),
        done=tuple(sorted(done)),
        flagged=tuple(sorted(flagged)),
        issues=tuple(sorted(issues, key=lambda pair: pair[0])),
        cleared=tuple(sorted(cleared)),
        ahead=tuple(sorted(ahead)),
        unknown=tuple(unknown),
        without_task=tuple(without_task),
        servers=len(latest),
    )
    # Only states, tags and extra changed: ids, parents and links are as valid as they were.
    return tracked, report


def _start_parents(items: dict[str, WorkItem], story_id: str, word: str) -> None:
    """The story, and the feature above it, are in progress once one of their servers moves."""
    node: WorkItem | None = items[story_id]
    while node is not None and node.kind in (WorkItemKind.STORY, WorkItemKind.FEATURE):
        if node.state_category is StateCategory.TODO:
            items[node.id] = attrs.evolve(
                node, state=word, state_category=StateCategory.IN_PROGRESS
            )
        node = items.get(node.parent_id) if node.parent_id else None


def _flag(task: WorkItem, record: ServerProgress) -> tuple[WorkItem, str]:
    """``task`` with the report's status, tagged when it needs attention; and what changed."""
    extra = {**task.extra, STATUS_KEY: record.status}
    had_tag = ISSUE_TAG in task.tags
    if record.issue:
        extra[ISSUE_KEY] = record.issue
        tags = task.tags if had_tag else (*task.tags, ISSUE_TAG)
        change = "" if had_tag else "flagged"
    else:
        extra.pop(ISSUE_KEY, None)
        tags = tuple(tag for tag in task.tags if tag != ISSUE_TAG)
        change = "cleared" if had_tag else ""
    return attrs.evolve(task, tags=tags, extra=extra), change
