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
    if len(known) == len(items) and _in_hierarchy_order(items, known):
        return items  # a backlog read from a file usually is: nothing to move
    children: defaultdict[str | None, list[WorkItem]] = defaultdict(list)
    for item in items:
        parent = item.parent_id if item.parent_id in known else None
        children[parent].append(item)
    ordered: list[WorkItem] = []
    stack = list(reversed(children[None]))
    expanded: set[str] = set()
    while stack:
        item = stack.pop()
        ordered.append(item)
        if item.id not in expanded:  # a repeated id (invalid, but reported later) must not loop
            expanded.add(item.id)
            stack.extend(reversed(children.get(item.id, ())))
    if len(ordered) < len(items):
        # Items caught in a parent cycle are unreachable from the roots; keep them, in input order.
        placed = {id(item) for item in ordered}
        ordered += [item for item in items if id(item) not in placed]
    return tuple(ordered)


def _in_hierarchy_order(items: tuple[WorkItem, ...], known: set[str]) -> bool:
    """Whether ``items`` (with unique ids) are already depth-first with siblings in their order.

    They are when each item's parent is the previous item or one of its ancestors: every subtree
    is then one run of items, which the depth-first walk gives back unchanged.
    """
    path: list[str] = []  # ids from a root down to the previous item
    for item in items:
        parent = item.parent_id
        if parent is None or parent not in known:
            path.clear()
        else:
            while path and path[-1] != parent:
                path.pop()
            if not path:
                return False  # the parent is not an ancestor of the previous item, or comes later
        path.append(item.id)
    return True
