"""Folding a push into the shared workbook without losing what people typed in it.

The workbook in the cloud is the starting point: every row stays as the team left it, except the
items this backlog changed since its last push (the sync ledger says which). For those, three-way
per field with the last pushed content as the base: a field only the backlog changed takes the
backlog's value, a field only the workbook changed keeps the workbook's, and a field both changed
to different values takes the backlog's value and is reported as a conflict naming what the
workbook held (the same rule as ``mbf pull``, where the local value wins too). An item the
backlog changed but someone deleted from the workbook comes back, with a warning.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import attrs

from mbf.domain import Backlog, WorkItem
from mbf.sync import item_snapshot

__all__ = ["FieldConflict", "WorkbookMerge", "merge_into_workbook"]


@attrs.frozen(kw_only=True)
class FieldConflict:
    """A field changed both in the backlog and in the workbook since the last push."""

    item_id: str
    field: str
    workbook: Any
    """What the workbook held (overwritten by the push)."""
    pushed: Any
    """The backlog's value, now in the workbook."""


@attrs.frozen(kw_only=True)
class WorkbookMerge:
    """The workbook's new content and what the merge did to it."""

    backlog: Backlog
    """What to write to the workbook."""
    changed: bool
    """Whether it differs from what the workbook holds (no upload when it does not)."""
    conflicts: tuple[FieldConflict, ...] = ()
    restored: tuple[str, ...] = ()
    """Items deleted in the workbook that the backlog changed (or needs as parents): put back."""


def merge_into_workbook(
    workbook: Backlog,
    local: Backlog,
    changed_ids: Collection[str],
    bases: Mapping[str, Mapping[str, Any]],
    *,
    service: str,
) -> WorkbookMerge:
    """The workbook's items with the backlog's changes to ``changed_ids`` folded in.

    ``bases`` maps an item id to the content last pushed (the ledger's snapshot); an item without
    one (new, or adopted after an interrupted push) takes the backlog's values where they differ.
    ``service`` names the refs that describe the workbook itself, which are not written into it.
    """
    local_by_id = {item.id: item for item in local.items}
    wanted = set(changed_ids)
    conflicts: list[FieldConflict] = []
    items: list[WorkItem] = []
    present: set[str] = set()
    for theirs in workbook.items:
        present.add(theirs.id)
        if theirs.id not in wanted:
            items.append(theirs)
            continue
        merged, item_conflicts = _merge_item(
            local_by_id[theirs.id], theirs, bases.get(theirs.id, {}), service
        )
        items.append(merged)
        conflicts += item_conflicts
    restored: list[str] = []
    for item in local.items:  # new items (and changed ones deleted there), in backlog order
        if item.id not in wanted or item.id in present:
            continue
        if item.id in bases:  # pushed before, then deleted in the workbook
            restored.append(item.id)
        items.append(_without_ref(item, service))
        present.add(item.id)
    # A new or put-back row needs its parent in the workbook; bring back deleted ancestors.
    for item in list(items):
        parent_id = item.parent_id
        while parent_id is not None and parent_id not in present and parent_id in local_by_id:
            parent = local_by_id[parent_id]
            items.append(_without_ref(parent, service))
            present.add(parent_id)
            restored.append(parent_id)
            parent_id = parent.parent_id
    merged_backlog = Backlog(
        items=items,
        iterations=_union(local.iterations, workbook.iterations),
        releases=_union(local.releases, workbook.releases),
    )
    return WorkbookMerge(
        backlog=merged_backlog,
        changed=merged_backlog != workbook,
        conflicts=tuple(conflicts),
        restored=tuple(restored),
    )


def _merge_item(
    mine: WorkItem, theirs: WorkItem, base: Mapping[str, Any], service: str
) -> tuple[WorkItem, list[FieldConflict]]:
    ours, workbook = item_snapshot(mine), item_snapshot(theirs)
    changes: dict[str, Any] = {}
    conflicts: list[FieldConflict] = []
    for field, value in ours.items():
        if value == workbook[field]:
            continue
        if not base:  # no common ancestor: the backlog's copy is the one being pushed
            changes[field] = getattr(mine, field)
            continue
        before = base.get(field, value)
        if value != before:
            changes[field] = getattr(mine, field)
            if workbook[field] != before:
                conflicts.append(
                    FieldConflict(
                        item_id=mine.id, field=field, workbook=workbook[field], pushed=value
                    )
                )
    refs = {**theirs.refs, **{name: ref for name, ref in mine.refs.items() if name != service}}
    if refs != theirs.refs:
        changes["refs"] = refs
    return (attrs.evolve(theirs, **changes) if changes else theirs), conflicts


def _without_ref(item: WorkItem, service: str) -> WorkItem:
    if service not in item.refs:
        return item
    return attrs.evolve(item, refs={k: v for k, v in item.refs.items() if k != service})


def _union(mine: tuple[Any, ...], theirs: tuple[Any, ...]) -> tuple[Any, ...]:
    """Iterations or releases: the backlog's (mbf plans them), then those only the workbook has."""
    known = {entry.id for entry in mine}
    return mine + tuple(entry for entry in theirs if entry.id not in known)
