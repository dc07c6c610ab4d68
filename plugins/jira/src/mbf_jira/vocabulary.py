"""Jira words and their mbf meaning: issue types, statuses, status categories, priorities.

Kept apart from the CSV format so the live ``jira`` service can share it.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from mbf.domain import StateCategory, WorkItemKind

__all__ = [
    "DEFAULT_ISSUE_TYPES",
    "PRIORITY_NAMES",
    "SERVICE_NAME",
    "STATUS_CATEGORY_NAMES",
    "kind_of_issue_type",
    "priority_of",
    "state_category_of_status",
    "state_category_of_status_category",
]

SERVICE_NAME = "jira"
"""Key of :attr:`mbf.domain.WorkItem.refs` for items that live in Jira."""

DEFAULT_ISSUE_TYPES: Mapping[WorkItemKind, str] = MappingProxyType(
    {
        WorkItemKind.EPIC: "Epic",
        WorkItemKind.FEATURE: "Feature",
        WorkItemKind.STORY: "Story",
        WorkItemKind.TASK: "Sub-task",
    }
)
"""Issue type written for each kind; the import wizard maps them onto the site's own types."""

_KIND_OF_TYPE: Mapping[str, WorkItemKind] = MappingProxyType(
    {
        "initiative": WorkItemKind.EPIC,
        "epic": WorkItemKind.EPIC,
        "feature": WorkItemKind.FEATURE,
        # Jira's standard level: stories, tasks, bugs and the like sit between epics and sub-tasks.
        "story": WorkItemKind.STORY,
        "task": WorkItemKind.STORY,
        "bug": WorkItemKind.STORY,
        "improvement": WorkItemKind.STORY,
        "new feature": WorkItemKind.STORY,
        "spike": WorkItemKind.STORY,
        "sub-task": WorkItemKind.TASK,
        "subtask": WorkItemKind.TASK,
        "sub task": WorkItemKind.TASK,
    }
)

STATUS_CATEGORY_NAMES: Mapping[StateCategory, str] = MappingProxyType(
    {
        StateCategory.TODO: "To Do",
        StateCategory.IN_PROGRESS: "In Progress",
        StateCategory.DONE: "Done",
    }
)
"""Jira's name of each status category (the ``Status Category`` column of exports)."""

_CATEGORY_OF_CATEGORY_NAME: Mapping[str, StateCategory] = MappingProxyType(
    {
        "to do": StateCategory.TODO,
        "new": StateCategory.TODO,  # the category's key in the REST API
        "in progress": StateCategory.IN_PROGRESS,
        "indeterminate": StateCategory.IN_PROGRESS,
        "done": StateCategory.DONE,
        "complete": StateCategory.DONE,
    }
)

_CATEGORY_OF_STATUS: Mapping[str, StateCategory] = MappingProxyType(
    {
        "to do": StateCategory.TODO,
        "todo": StateCategory.TODO,
        "open": StateCategory.TODO,
        "new": StateCategory.TODO,
        "backlog": StateCategory.TODO,
        "selected for development": StateCategory.TODO,
        "reopened": StateCategory.TODO,
        "in progress": StateCategory.IN_PROGRESS,
        "in development": StateCategory.IN_PROGRESS,
        "in review": StateCategory.IN_PROGRESS,
        "review": StateCategory.IN_PROGRESS,
        "in testing": StateCategory.IN_PROGRESS,
        "testing": StateCategory.IN_PROGRESS,
        "blocked": StateCategory.IN_PROGRESS,
        "done": StateCategory.DONE,
        "closed": StateCategory.DONE,
        "resolved": StateCategory.DONE,
        "complete": StateCategory.DONE,
        "completed": StateCategory.DONE,
        "cancelled": StateCategory.DONE,
        "canceled": StateCategory.DONE,
        "won't do": StateCategory.DONE,
    }
)

PRIORITY_NAMES: Mapping[int, str] = MappingProxyType(
    {1: "Highest", 2: "High", 3: "Medium", 4: "Low", 5: "Lowest"}
)
"""Jira's default priority scheme, by mbf priority (1 is the highest)."""

_PRIORITY_OF_NAME: Mapping[str, int] = MappingProxyType(
    {
        **{name.casefold(): number for number, name in PRIORITY_NAMES.items()},
        # The scheme of older Jira Server sites.
        "blocker": 1,
        "critical": 2,
        "major": 3,
        "minor": 4,
        "trivial": 5,
    }
)


def kind_of_issue_type(issue_type: str) -> WorkItemKind | None:
    """The mbf kind of a Jira issue type, or ``None`` for a type mbf does not know."""
    return _KIND_OF_TYPE.get(issue_type.strip().casefold())


def state_category_of_status_category(name: str) -> StateCategory | None:
    """The category named by a ``Status Category`` cell (name or key), or ``None``."""
    return _CATEGORY_OF_CATEGORY_NAME.get(name.strip().casefold())


def state_category_of_status(status: str) -> StateCategory | None:
    """The usual category of a status word (for files without ``Status Category``), or ``None``."""
    return _CATEGORY_OF_STATUS.get(status.strip().casefold())


def priority_of(name: str) -> int | None:
    """The mbf priority of a Jira priority name or number, or ``None`` when it is neither."""
    text = name.strip()
    if text.isdigit():
        return int(text)
    return _PRIORITY_OF_NAME.get(text.casefold())
