"""The canonical item order: depth-first, parents before children, siblings in backlog order."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from mbf.domain.backlog import WorkItem

__all__ = [
    "DepthFirst",
    "depth_first",
    "hierarchy_levels",
    "hierarchy_order",
    "hierarchy_positions",
]


def hierarchy_order(items: tuple[WorkItem, ...]) -> tuple[WorkItem, ...]:
    """Return ``items`` depth-first, each parent before its children, siblings keeping their order.

    Items whose parent is missing are treated as top-level, so the function never drops an item
    (validation reports the missing parent separately). Runs in linear time. The order is
    :func:`hierarchy_positions`' for the items' ids and parent ids.
    """
    positions, _ = _moved_positions([item.id for item in items], [item.parent_id for item in items])
    if positions is None:
        return items  # a backlog read from a file usually is in this order: nothing to move
    return tuple(map(items.__getitem__, positions))


def hierarchy_positions(ids: Sequence[str], parents: Sequence[str | None]) -> list[int]:
    """The positions, in ``ids``, of the items of :func:`hierarchy_order`, for items given as
    columns (``ids``, and ``parents`` their parent ids): depth-first, each parent before its
    children, siblings keeping their order; items whose parent is missing are top-level and
    items of a parent cycle come last, in their order."""
    return depth_first(ids, parents).positions


class DepthFirst(NamedTuple):
    """The depth-first walk of items given as columns (see :func:`depth_first`)."""

    positions: list[int]
    """:func:`hierarchy_positions`."""
    complete: bool
    """Whether the walk from the roots reached every item once: the ids are unique and no
    parent cycle exists."""


def depth_first(ids: Sequence[str], parents: Sequence[str | None]) -> DepthFirst:
    """The items' :func:`hierarchy_positions`, and whether the walk down from the roots reached
    every item: validation needs no walk of its own to know there is no parent cycle."""
    positions, complete = _moved_positions(ids, parents)
    return DepthFirst(list(range(len(ids))) if positions is None else positions, complete)


def _moved_positions(
    ids: Sequence[str], parents: Sequence[str | None]
) -> tuple[list[int] | None, bool]:
    """:func:`hierarchy_positions` (``None`` when the items already are in that order), and
    whether every item was reached from a root (see :attr:`DepthFirst.complete`)."""
    known = set(ids)
    unique = len(known) == len(ids)
    if unique and _depths_in_order(ids, parents, known) is not None:
        return None, True  # every parent comes before its children: no cycle
    children: defaultdict[str | None, list[int]] = defaultdict(list)
    for position, parent in enumerate(parents):
        children[parent if parent in known else None].append(position)
    ordered: list[int] = []
    stack = children[None][::-1]
    below = children.get
    if unique:  # each item is reached once, from its parent: no id can be expanded twice
        while stack:
            position = stack.pop()
            ordered.append(position)
            found = below(ids[position])
            if found:
                stack += found[::-1]
    else:
        expanded: set[str] = set()
        while stack:
            position = stack.pop()
            ordered.append(position)
            item_id = ids[position]
            if item_id not in expanded:  # a repeated id (invalid, reported later) must not loop
                expanded.add(item_id)
                stack += reversed(children.get(item_id, ()))
    complete = unique and len(ordered) == len(ids)
    if len(ordered) < len(ids):
        # Items caught in a parent cycle are unreachable from the roots; keep them, in input order.
        placed = set(ordered)
        ordered += [position for position in range(len(ids)) if position not in placed]
    return ordered, complete


def _depths_in_order(
    ids: Sequence[str], parents: Iterable[str | None], known: set[str]
) -> list[int] | None:
    """Each item's depth when the items (with unique ``ids``, all of them in ``known``) are
    already depth-first with siblings in their order; else ``None``.

    They are when each item's parent is the previous item or one of its ancestors: every subtree
    is then one run of items, which the depth-first walk gives back unchanged. An item whose
    parent is no item is a root.
    """
    path: list[str] = []  # ids from a root down to the previous item
    depths: list[int] = []
    add_depth = depths.append
    for item_id, parent in zip(ids, parents, strict=True):
        if parent is None or parent not in known:
            path.clear()
        else:
            while path and path[-1] != parent:
                path.pop()
            if not path:
                return None  # the parent is not an ancestor of the previous item, or comes later
        add_depth(len(path))
        path.append(item_id)
    return depths


def hierarchy_levels(ids: Iterable[str], parents: Iterable[str | None]) -> list[list[int]] | None:
    """The positions of the items of each depth, when the items (``ids`` unique, ``parents``
    their parent ids) are already in hierarchy order, as a backlog read from a file usually is;
    else ``None``.

    They are when each item's parent is the previous item or one of its ancestors (see
    :func:`~mbf.domain.hierarchy_order`); one pass then gives every item's depth. An item whose
    parent is not among the items is a root. Levels also prove that no parent cycle exists:
    every parent comes before its children.
    """
    ids = ids if isinstance(ids, Sequence) else list(ids)
    known = set(ids)
    if len(known) < len(ids):
        return None  # a repeated id
    depths = _depths_in_order(ids, parents, known)
    if depths is None:
        return None
    levels: list[list[int]] = [[] for _ in range(max(depths, default=-1) + 1)]
    for position, depth in enumerate(depths):
        levels[depth].append(position)
    return levels
