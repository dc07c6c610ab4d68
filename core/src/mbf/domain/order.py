"""The canonical item order: depth-first, parents before children, siblings in backlog order."""

from __future__ import annotations

from collections import defaultdict

from mbf.domain.backlog import WorkItem

__all__ = ["hierarchy_order"]


def hierarchy_order(items: tuple[WorkItem, ...]) -> tuple[WorkItem, ...]:
    """Return ``items`` depth-first, each parent before its children, siblings keeping their order.

    Items whose parent is missing are treated as top-level, so the function never drops an item
    (validation reports the missing parent separately). Runs in linear time.
    """
    known = {item.id for item in items}
    children: defaultdict[str | None, list[WorkItem]] = defaultdict(list)
    for item in items:
        parent = item.parent_id if item.parent_id in known else None
        children[parent].append(item)
    ordered: list[WorkItem] = []
    stack = list(reversed(children[None]))
    while stack:
        item = stack.pop()
        ordered.append(item)
        stack.extend(reversed(children.get(item.id, ())))
    if len(ordered) < len(items):
        # Items caught in a parent cycle are unreachable from the roots; keep them, in input order.
        placed = {item.id for item in ordered}
        ordered += [item for item in items if item.id not in placed]
    return tuple(ordered)
