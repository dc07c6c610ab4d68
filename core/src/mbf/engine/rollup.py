"""Estimate roll-up: each story, feature and epic estimates the sum of its children's hours."""

from __future__ import annotations

from collections import defaultdict

import attrs

from mbf.domain import Backlog, Estate, WorkItemKind
from mbf.domain.backlog import with_fields
from mbf.plugin.types import Context

__all__ = ["roll_up_estimates"]

_LEVELS = (WorkItemKind.STORY, WorkItemKind.FEATURE, WorkItemKind.EPIC)


def roll_up_estimates(estate: Estate, backlog: Backlog, context: Context) -> Backlog:
    """Set the estimate of every story, feature and epic with estimated children to their sum."""
    items = {item.id: item for item in backlog.items}
    for level in _LEVELS:
        totals: defaultdict[str, float] = defaultdict(float)
        for item in items.values():
            if (
                item.parent_id in items
                and item.estimate is not None
                and items[item.parent_id].kind is level
            ):
                totals[item.parent_id] += item.estimate
        for parent_id, hours in totals.items():
            items[parent_id] = with_fields(items[parent_id], estimate=hours)
    return attrs.evolve(backlog, items=tuple(items.values()))
