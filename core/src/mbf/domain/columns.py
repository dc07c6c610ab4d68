"""Work items field by field: the form a backlog takes between two formats that read and write
columns.

A tracker file holds a backlog as rows of cells, and a reader usually works out each column in
a few passes (its words repeat on thousands of rows). Building a :class:`WorkItem` for each row,
only for the writer to take the items apart again field by field, was about a third of
``mbf convert``'s time on a 300,000-item backlog. A format that reads or writes columns says so
(:attr:`mbf.plugin.TrackerFormat.read_columns`, ``write_columns``); between two such formats
the backlog stays in columns, and items are built only for a format that needs them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from operator import attrgetter
from types import MappingProxyType
from typing import Any

import attrs

from mbf.domain._converters import to_tuple
from mbf.domain.backlog import Backlog, Iteration, Release, WorkItem
from mbf.domain.enums import WorkItemKind
from mbf.domain.order import DepthFirst, depth_first, hierarchy_levels

__all__ = ["ITEM_FIELDS", "BacklogColumns", "ItemColumns"]

ITEM_FIELDS: tuple[str, ...] = tuple(field.name for field in attrs.fields(WorkItem))
"""The names of a work item's fields, in the class's order: the names of the columns."""

_EMPTY: Mapping[str, Any] = MappingProxyType({})
"""The ``refs`` or ``extra`` of every item of a column that was not given (read-only: an item
built from the columns gets a dictionary of its own)."""
_OWN_DICT_FIELDS = frozenset({"refs", "extra"})
_DEFAULTS = WorkItem(id="", kind=WorkItemKind.TASK, title="").__dict__
"""Every field of a work item at its default (the required ones are always given)."""
_REQUIRED = ("id", "kind", "title")


class ItemColumns:
    """Work items as one sequence per field (``columns["title"][i]`` is item ``i``'s title).

    Values are what the item's field holds after attrs' converters: ``tags``, ``links`` and
    ``source`` tuples, ``estimate`` a float or ``None``, ``refs`` and ``extra`` mappings, which
    are read-only (a reader may give many items one empty dictionary; an item built from the
    columns gets a copy of its own). A field without a column holds its default on every item.
    """

    __slots__ = ("_columns", "_depth_first", "_items", "_length", "_levels")

    def __init__(self, columns: Mapping[str, Sequence[Any]]) -> None:
        unknown = columns.keys() - set(ITEM_FIELDS)
        if unknown:
            raise ValueError(f"not work item fields: {sorted(unknown)}")
        missing = [name for name in _REQUIRED if name not in columns]
        if missing:
            raise ValueError(f"item columns need {missing}")
        lengths = set(map(len, columns.values()))
        if len(lengths) != 1:
            raise ValueError(f"item columns of different lengths: {sorted(lengths)}")
        self._columns = dict(columns)
        self._length = lengths.pop()
        self._items: tuple[WorkItem, ...] | None = None
        self._levels: list[list[int]] | bool | None = False  # False: not worked out yet
        self._depth_first: DepthFirst | None = None

    @classmethod
    def of_items(cls, items: Iterable[WorkItem]) -> ItemColumns:
        """The columns of ``items``: every field of an item read in one call, in item order
        (items lie in memory in the order they were made, so one visit each costs least)."""
        rows = list(map(_ALL_FIELDS, items))
        if not rows:
            return cls(dict.fromkeys(ITEM_FIELDS, ()))
        columns = cls(dict(zip(ITEM_FIELDS, zip(*rows, strict=True), strict=True)))
        if isinstance(items, tuple):
            columns._items = items  # the items themselves: never built again
        return columns

    def column(self, name: str) -> Sequence[Any]:
        """Each item's value of field ``name``."""
        found = self._columns.get(name)
        if found is not None:
            return found
        if name not in _DEFAULTS:
            raise KeyError(name)
        default = _EMPTY if name in _OWN_DICT_FIELDS else _DEFAULTS[name]
        return (default,) * self._length

    def __len__(self) -> int:
        return self._length

    def hierarchy_levels(self) -> list[list[int]] | None:
        """:func:`~mbf.domain.order.hierarchy_levels` of these items, worked out once (both
        validation and a writer putting items top-down ask for it)."""
        if self._levels is False:
            self._levels = hierarchy_levels(self.column("id"), self.column("parent_id"))
        return self._levels  # type: ignore[return-value]  # (False replaced above)

    def depth_first(self) -> DepthFirst:
        """:func:`~mbf.domain.order.depth_first` of these items, worked out once (a writer
        putting items depth-first asks for it, and validation learns from it that no parent
        cycle exists)."""
        if self._depth_first is None:
            self._depth_first = depth_first(self.column("id"), self.column("parent_id"))
        return self._depth_first

    def free_of_parent_cycles(self) -> bool:
        """Whether the ids are unique and no parent cycle exists, told by the items' hierarchy
        levels or else by their depth-first walk (both worked out once, for writers too)."""
        return self.hierarchy_levels() is not None or self.depth_first().complete

    def items(self) -> tuple[WorkItem, ...]:
        """The work items, built once: each item's ``__dict__`` is filled as attrs' ``__init__``
        fills it (defaults first, so every item's dict shares its keys), without converting
        values that already are what the converters give."""
        if self._items is None:
            self._items = tuple(map(_item_builder(tuple(self._columns)), *self._columns.values()))
        return self._items


def _item_builder(names: tuple[str, ...]) -> Callable[..., WorkItem]:
    """A function of a value per field in ``names`` that returns the item holding them."""
    new_item = object.__new__
    own_dicts = list(_OWN_DICT_FIELDS)

    def build(*values: Any) -> WorkItem:
        item = new_item(WorkItem)
        fields = item.__dict__
        fields.update(_DEFAULTS)
        fields.update(zip(names, values, strict=True))
        for name in own_dicts:  # as attrs' converter does: a dictionary of the item's own
            fields[name] = dict(fields[name])
        return item

    return build


_ALL_FIELDS = attrgetter(*ITEM_FIELDS)


@attrs.frozen(kw_only=True)
class BacklogColumns:
    """A backlog whose items are :class:`ItemColumns`."""

    items: ItemColumns
    iterations: tuple[Iteration, ...] = attrs.field(default=(), converter=to_tuple)
    releases: tuple[Release, ...] = attrs.field(default=(), converter=to_tuple)

    @classmethod
    def of(cls, backlog: Backlog) -> BacklogColumns:
        """The columns of ``backlog``."""
        return cls(
            items=ItemColumns.of_items(backlog.items),
            iterations=backlog.iterations,
            releases=backlog.releases,
        )

    def backlog(self) -> Backlog:
        """The backlog, its items built (see :meth:`ItemColumns.items`)."""
        return Backlog(items=self.items.items(), iterations=self.iterations, releases=self.releases)


def column_of(backlog: Backlog | BacklogColumns) -> Callable[[str], Iterable[Any]]:
    """A function giving, for a field name, each item's value of that field (in item order),
    for code that works on either form of a backlog."""
    if isinstance(backlog, BacklogColumns):
        return backlog.items.column
    items = backlog.items
    return lambda name: map(attrgetter(name), items)
