"""How a backlog is cut into Boards import files: at most 1,000 items each, at subtree boundaries,
each item's title at its level within its file.

Works on the items' ids and parent ids (columns, in hierarchy order), and on positions: a list
indexed by position costs a fraction of a dictionary keyed by id, on hundreds of thousands of
items.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import compress, count, repeat
from typing import NamedTuple

__all__ = ["FileParts", "file_parts"]


class FileParts(NamedTuple):
    """Where a backlog's files start, and the title level of each item."""

    starts: list[int]
    """The position of each file's first item (the first file starts at 0, even empty)."""
    levels: list[int]
    """The title level (from 1) of each item within its file."""
    orphans: list[int]
    """The positions, in order, of the items that have a parent id but no parent before them in
    their file (it is in an earlier file, or missing): they are tagged with their parent's id."""


def file_parts(ids: Sequence[str], parents: Sequence[str | None], limit: int) -> FileParts:
    """Cut items in hierarchy order (``ids``, ``parents`` their parent ids) into files of at
    most ``limit`` items.

    A whole subtree goes into one file whenever it fits, so Boards rebuilds its hierarchy; only a
    subtree larger than a file is cut, below its root, along its children's subtrees. An item is
    at level 1 in its file unless its parent is before it in that file, one level above it.
    """
    length = len(ids)
    position_of = dict(zip(ids, range(length), strict=True))  # a repeated id: its last item
    # Each item's parent's position; ``length`` (a position no item has) when it has none.
    parent_positions: list[int] = list(map(position_of.get, parents, repeat(length)))  # type: ignore[arg-type]
    starts = _starts(parent_positions, limit)
    if len(position_of) < length:
        return _by_id(ids, parents, starts)
    return FileParts(starts, *_levels(parents, parent_positions, starts))


def _starts(parent_positions: Sequence[int], limit: int) -> list[int]:
    """Where each file starts, for items whose parents are at ``parent_positions``."""
    length = len(parent_positions)
    sizes = [1] * length  # the number of items of each item's subtree
    for position, parent in zip(range(length - 1, -1, -1), reversed(parent_positions), strict=True):
        if parent < position:  # children come after their parent (``length``: no parent)
            sizes[parent] += sizes[position]
    starts = [0]
    filled = 0
    position = 0
    while position < length:
        size = sizes[position]
        if size > limit:
            size = 1  # too big for a file: its root alone, then its children's subtrees
        if filled and filled + size > limit:
            starts.append(position)
            filled = 0
        filled += size
        position += size
    return starts


def _levels(
    parents: Sequence[str | None], parent_positions: Sequence[int], starts: Sequence[int]
) -> tuple[list[int], list[int]]:
    """The title levels and the orphans of items with unique ids."""
    levels = [1] * len(parent_positions)
    orphans = []
    for start, end in zip(starts, [*starts[1:], len(parent_positions)], strict=True):
        for position in range(start, end):
            parent = parent_positions[position]
            if start <= parent < position:  # the parent is before it in its file
                levels[position] = levels[parent] + 1
            elif parents[position] is not None:
                orphans.append(position)
    return levels, orphans


def _by_id(ids: Sequence[str], parents: Sequence[str | None], starts: list[int]) -> FileParts:
    """The parts of items some of which share an id (invalid, reported by validation): levels
    and orphans are kept by id, so the items of a repeated id all take the level of the last one,
    and are all tagged with their parent when one of them is."""
    level_of: dict[str | None, int] = {}
    orphan_ids: set[str] = set()
    for start, end in zip(starts, [*starts[1:], len(ids)], strict=True):
        in_part: dict[str | None, int] = {}
        level_in_part = in_part.get
        for item_id, parent in zip(ids[start:end], parents[start:end], strict=True):
            parent_level = level_in_part(parent)  # None (a root) is never a key
            if parent_level is None:
                in_part[item_id] = 1
                if parent is not None:
                    orphan_ids.add(item_id)
            else:
                in_part[item_id] = parent_level + 1
        level_of.update(in_part)
    levels = list(map(level_of.__getitem__, ids))
    orphans = list(compress(count(), map(orphan_ids.__contains__, ids)))
    return FileParts(starts, levels, orphans)
