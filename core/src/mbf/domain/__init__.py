"""The domain model: estate, backlog and planning objects as frozen attrs classes, related by id.

Names are imported on first use (PEP 562): every plugin module imports from here when ``mbf``
starts, and ``from mbf.domain import WorkItemKind`` should not cost attrs and every class of the
model. Type checkers see ordinary imports.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mbf.domain.backlog import Backlog, Iteration, Link, Release, TrackerRef, WorkItem
    from mbf.domain.enums import (
        DependencyType,
        LinkKind,
        MigrationStrategy,
        Readiness,
        StateCategory,
        WorkItemKind,
    )
    from mbf.domain.estate import (
        BlackoutWindow,
        Datacenter,
        Dependency,
        Estate,
        EstateSource,
        Server,
        Workload,
    )
    from mbf.domain.ids import item_id, server_id, server_ids, slug, stable_hash
    from mbf.domain.order import hierarchy_order
    from mbf.domain.validation import validate_backlog, validate_estate

_HOMES = {
    "mbf.domain.backlog": ("Backlog", "Iteration", "Link", "Release", "TrackerRef", "WorkItem"),
    "mbf.domain.enums": (
        "DependencyType",
        "LinkKind",
        "MigrationStrategy",
        "Readiness",
        "StateCategory",
        "WorkItemKind",
    ),
    "mbf.domain.estate": (
        "BlackoutWindow",
        "Datacenter",
        "Dependency",
        "Estate",
        "EstateSource",
        "Server",
        "Workload",
    ),
    "mbf.domain.ids": ("item_id", "server_id", "server_ids", "slug", "stable_hash"),
    "mbf.domain.order": ("hierarchy_order",),
    "mbf.domain.validation": ("validate_backlog", "validate_estate"),
}
_MODULE_OF = {name: module for module, names in _HOMES.items() for name in names}

__all__ = [
    "Backlog",
    "BlackoutWindow",
    "Datacenter",
    "Dependency",
    "DependencyType",
    "Estate",
    "EstateSource",
    "Iteration",
    "Link",
    "LinkKind",
    "MigrationStrategy",
    "Readiness",
    "Release",
    "Server",
    "StateCategory",
    "TrackerRef",
    "WorkItem",
    "WorkItemKind",
    "Workload",
    "hierarchy_order",
    "item_id",
    "server_id",
    "server_ids",
    "slug",
    "stable_hash",
    "validate_backlog",
    "validate_estate",
]


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'mbf.domain' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups are ordinary attribute reads
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
