"""The domain model: estate, backlog and planning objects as frozen attrs classes, related by id."""

from mbf.domain.backlog import (
    Backlog,
    DependencyType,
    Iteration,
    Link,
    LinkKind,
    Release,
    StateCategory,
    TrackerRef,
    WorkItem,
    WorkItemKind,
)
from mbf.domain.estate import (
    BlackoutWindow,
    Datacenter,
    Dependency,
    Estate,
    EstateSource,
    MigrationStrategy,
    Readiness,
    Server,
    Workload,
)
from mbf.domain.ids import item_id, server_id, slug, stable_hash
from mbf.domain.order import hierarchy_order
from mbf.domain.validation import validate_backlog, validate_estate

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
    "slug",
    "stable_hash",
    "validate_backlog",
    "validate_estate",
]
