"""The canonical item order: depth-first, parents before children, siblings in backlog order."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from itertools import count

from mbf.domain.backlog import WorkItem

__all__ = ["hierarchy_levels", "hierarchy_order"]


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


def hierarchy_levels(ids: Iterable[str], parents: Iterable[str | None]) -> list[list[int]] | None:
    """The positions of the items of each depth, when the items (``ids`` unique, ``parents``
    their parent ids) are already in hierarchy order, as a backlog read from a file usually is;
    else ``None``.

    They are when each item's parent is the previous item or one of its ancestors (see
    :func:`~mbf.domain.hierarchy_order`); one pass then gives every item's depth. An item whose
    parent is not among the items is a root. Levels also prove that no parent cycle exists:
    every parent comes before its children.
    """
    depth: dict[str, int] = {}
    levels: list[list[int]] = []
    path: list[str] = []  # ids from a root down to the previous item
    absent_parents: set[str] = set()  # parents not seen before their child: missing, or later
    for position, item_id, parent in zip(count(), ids, parents):
        if parent is None:
            path.clear()
        elif parent in depth:
            while path[-1] != parent:  # an item seen already is on the path, or was left
                path.pop()
                if not path:
                    return None
        else:
            absent_parents.add(parent)
            path.clear()
        level = len(path)
        if item_id in depth:
            return None
        depth[item_id] = level
        if level == len(levels):
            levels.append([position])
        else:
            levels[level].append(position)
        path.append(item_id)
    if not absent_parents.isdisjoint(depth):
        return None  # a parent comes after its child
    return levels
