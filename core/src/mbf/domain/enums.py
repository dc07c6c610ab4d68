"""The domain's vocabularies: kinds, states, link types, readiness and migration strategies.

They live apart from the attrs classes so that a plugin can name a kind or a state at import
time without importing attrs and building the whole domain model (``mbf --help`` imports every
plugin module).
"""

from __future__ import annotations

import enum

__all__ = [
    "DependencyType",
    "LinkKind",
    "MigrationStrategy",
    "Readiness",
    "StateCategory",
    "WorkItemKind",
]


class WorkItemKind(enum.StrEnum):
    """Level of an item in the Cloud Adoption Framework hierarchy."""

    EPIC = "epic"
    FEATURE = "feature"
    STORY = "story"
    TASK = "task"


class StateCategory(enum.StrEnum):
    """Tracker-neutral meaning of a state; trackers' own state words map onto these."""

    TODO = "todo"
    IN_PROGRESS = "in_progress"
    DONE = "done"


class LinkKind(enum.StrEnum):
    """What a link between two items means."""

    DEPENDS_ON = "depends-on"
    """The item cannot proceed until the target has (predecessor link)."""
    RELATES_TO = "relates-to"
    """Informational link with no scheduling meaning."""


class DependencyType(enum.StrEnum):
    """Scheduling type of a depends-on link, as Microsoft Project names them."""

    FS = "FS"
    """Finish-to-start: this item starts after the target finishes."""
    SS = "SS"
    """Start-to-start."""
    FF = "FF"
    """Finish-to-finish."""
    SF = "SF"
    """Start-to-finish."""


class Readiness(enum.StrEnum):
    """Whether a server can move to Azure as it is, as an assessment judged it."""

    READY = "ready"
    READY_WITH_CONDITIONS = "ready_with_conditions"
    NOT_READY = "not_ready"
    UNKNOWN = "unknown"


class MigrationStrategy(enum.StrEnum):
    """The Cloud Adoption Framework's rationalisation choices for a workload."""

    REHOST = "rehost"
    REFACTOR = "refactor"
    REARCHITECT = "rearchitect"
    REBUILD = "rebuild"
    REPLACE = "replace"
    RETIRE = "retire"
    RETAIN = "retain"
