"""Folding a pull into the local backlog: three-way per field, with the ledger as the common base."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from mbf.domain import Backlog, Iteration, TrackerRef, WorkItem
from mbf.sync import LedgerEntry, SyncLedger, item_fingerprint, item_snapshot

__all__ = ["PULLED_FIELDS", "Conflict", "PullResult", "merge_pull", "with_refs"]

PULLED_FIELDS = (
    "title",
    "description",
    "state",
    "state_category",
    "assignee",
    "priority",
    "tags",
    "iteration_id",
    "release_id",
    "estimate",
    "start",
    "finish",
)
"""Fields a pull brings back; structure (ids, parents, links) stays mbf's."""


@attrs.frozen(kw_only=True)
class Conflict:
    """A field both sides changed since the last push, to different values; the local value stays."""

    item_id: str
    field: str
    local: Any
    remote: Any


@attrs.frozen(kw_only=True)
class PullResult:
    """The merged backlog and what the merge did."""

    backlog: Backlog
    updated: tuple[str, ...]
    added: tuple[str, ...]
    conflicts: tuple[Conflict, ...]


def with_refs(backlog: Backlog, service: str, ledger: SyncLedger) -> Backlog:
    """``backlog`` with each item's ``refs[service]`` taken from the ledger (same object when no
    ref changes, so an unchanged push rewrites nothing)."""
    changed = False
    items: list[WorkItem] = []
    for item in backlog.items:
        entry = ledger.entries.get(item.id)
        if entry is not None:
            ref = TrackerRef(key=entry.key, url=entry.url)
            if item.refs.get(service) != ref:
                items.append(attrs.evolve(item, refs={**item.refs, service: ref}))
                changed = True
                continue
        items.append(item)
    return attrs.evolve(backlog, items=items) if changed else backlog


def _merge_item(
    local: WorkItem, remote: WorkItem, base: Mapping[str, Any]
) -> tuple[WorkItem, list[Conflict], bool]:
    mine, theirs = item_snapshot(local), item_snapshot(remote)
    changes: dict[str, Any] = {}
    conflicts: list[Conflict] = []
    for field in PULLED_FIELDS:
        if mine[field] == theirs[field]:
            continue
        remote_changed = theirs[field] != base.get(field, mine[field])
        local_changed = mine[field] != base.get(field, mine[field])
        if remote_changed and not local_changed:
            changes[field] = getattr(remote, field)
        elif remote_changed and local_changed:
            conflicts.append(
                Conflict(item_id=local.id, field=field, local=mine[field], remote=theirs[field])
            )
    merged = attrs.evolve(local, refs={**local.refs, **remote.refs}, **changes)
    return merged, conflicts, bool(changes)


def merge_pull(local: Backlog | None, remote: Backlog, ledger: SyncLedger) -> PullResult:
    """Bring ``remote``'s states, assignees, iterations and new items into ``local``.

    A field only the tracker changed since the last push takes the tracker's value; a field only
    changed locally keeps the local value; a field changed on both sides to different values is a
    :class:`Conflict` and keeps the local value. Items new in the tracker are added. The ledger
    learns each pulled item's key and, where nothing conflicts, its content as the new base.
    """
    local = local or Backlog()
    remote_by_id = {item.id: item for item in remote.items}
    updated: list[str] = []
    conflicts: list[Conflict] = []
    items: list[WorkItem] = []
    for item in local.items:
        theirs = remote_by_id.pop(item.id, None)
        if theirs is None:
            items.append(item)
            continue
        entry = ledger.entries.get(item.id)
        merged, item_conflicts, changed = _merge_item(item, theirs, entry.snapshot if entry else {})
        items.append(merged)
        conflicts += item_conflicts
        if changed:
            updated.append(item.id)
        _learn(ledger, merged, theirs, keep_base=bool(item_conflicts))
    added = list(remote_by_id)
    for item in remote_by_id.values():
        items.append(item)
        _learn(ledger, item, item, keep_base=False)
    iterations = {i.id: i for i in local.iterations}
    for pulled in remote.iterations:
        iterations[pulled.id] = _merge_iteration(iterations.get(pulled.id), pulled)
    releases = {r.id: r for r in local.releases} | {r.id: r for r in remote.releases}
    merged_backlog = Backlog(
        items=items, iterations=tuple(iterations.values()), releases=tuple(releases.values())
    )
    return PullResult(
        backlog=merged_backlog,
        updated=tuple(updated),
        added=tuple(added),
        conflicts=tuple(conflicts),
    )


def _merge_iteration(local: Iteration | None, remote: Iteration) -> Iteration:
    """The tracker's iteration, keeping what only mbf knows (a tracker has no capacity field)."""
    if local is None:
        return remote
    return attrs.evolve(
        remote,
        path=remote.path or local.path,
        start=remote.start or local.start,
        finish=remote.finish or local.finish,
        capacity=local.capacity if remote.capacity is None else remote.capacity,
    )


def _learn(ledger: SyncLedger, merged: WorkItem, remote: WorkItem, *, keep_base: bool) -> None:
    ref = remote.refs.get(ledger.service)
    old = ledger.entries.get(merged.id)
    if ref is None:
        return
    if keep_base and old is not None:
        ledger.record(merged.id, attrs.evolve(old, key=ref.key, url=ref.url or old.url))
        return
    snapshot = item_snapshot(merged)
    ledger.record(
        merged.id,
        LedgerEntry(
            key=ref.key, url=ref.url, fingerprint=item_fingerprint(snapshot), snapshot=snapshot
        ),
    )
