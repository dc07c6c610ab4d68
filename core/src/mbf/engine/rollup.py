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
    children: defaultdict[str, list[str]] = defaultdict(list)  # in backlog order
    for item in backlog.items:
        if item.parent_id in items:
            children[item.parent_id].append(item.id)
    for level in _LEVELS:  # lowest first, so a feature sums its stories' new totals
        for parent_id, child_ids in children.items():
            parent = items[parent_id]
            if parent.kind is not level:
                continue
            estimates = [items[c].estimate for c in child_ids]
            known = [hours for hours in estimates if hours is not None]
            if known:
                total = 0.0
                for hours in known:  # added in backlog order, as before: same float result
                    total += hours
                items[parent_id] = with_fields(parent, estimate=total)
    return attrs.evolve(backlog, items=tuple(items.values()))
