"""Azure Boards words and their mbf meaning: work item types, states, field names.

Kept apart from the CSV format so the live ``azure-devops`` service can share it.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from mbf.domain import StateCategory, WorkItemKind

__all__ = [
    "CATEGORY_STATES",
    "DEFAULT_WORK_ITEM_TYPES",
    "FIELD_REFERENCE_NAMES",
    "SERVICE_NAME",
    "kind_of_work_item_type",
    "state_category_of",
]

SERVICE_NAME = "azure-devops"
"""Key of :attr:`mbf.domain.WorkItem.refs` for items that live in Azure DevOps."""

DEFAULT_WORK_ITEM_TYPES: Mapping[WorkItemKind, str] = MappingProxyType(
    {
        WorkItemKind.EPIC: "Epic",
        WorkItemKind.FEATURE: "Feature",
        WorkItemKind.STORY: "User Story",
        WorkItemKind.TASK: "Task",
    }
)
"""Work item type written for each kind (the Agile process; Scrum and Basic names are read too)."""

_KIND_OF_TYPE: Mapping[str, WorkItemKind] = MappingProxyType(
    {
        "epic": WorkItemKind.EPIC,
        "feature": WorkItemKind.FEATURE,
        # Backlog-level types of the Agile, Scrum, CMMI and Basic processes, and bugs on the backlog.
        "user story": WorkItemKind.STORY,
        "product backlog item": WorkItemKind.STORY,
        "requirement": WorkItemKind.STORY,
        "issue": WorkItemKind.STORY,
        "bug": WorkItemKind.STORY,
        "task": WorkItemKind.TASK,
        "impediment": WorkItemKind.TASK,
    }
)

_CATEGORY_OF_STATE: Mapping[str, StateCategory] = MappingProxyType(
    {
        # Azure Boards' "Proposed" state category.
        "new": StateCategory.TODO,
        "to do": StateCategory.TODO,
        "proposed": StateCategory.TODO,
        "approved": StateCategory.TODO,
        "design": StateCategory.TODO,
        # "In Progress" and "Resolved" categories: work started, not yet accepted.
        "active": StateCategory.IN_PROGRESS,
        "committed": StateCategory.IN_PROGRESS,
        "in progress": StateCategory.IN_PROGRESS,
        "doing": StateCategory.IN_PROGRESS,
        "open": StateCategory.IN_PROGRESS,
        "resolved": StateCategory.IN_PROGRESS,
        # "Completed" and "Removed" categories: nothing more will be done.
        "closed": StateCategory.DONE,
        "done": StateCategory.DONE,
        "completed": StateCategory.DONE,
        "removed": StateCategory.DONE,
    }
)

CATEGORY_STATES: Mapping[StateCategory, str] = MappingProxyType(
    {
        StateCategory.TODO: "New",
        StateCategory.IN_PROGRESS: "Active",
        StateCategory.DONE: "Closed",
    }
)
"""The state written for a category when an item's own state word says something else (it came
from a format that keeps the category but not the word)."""

FIELD_REFERENCE_NAMES: Mapping[str, str] = MappingProxyType(
    {
        "ID": "System.Id",
        "Work Item Type": "System.WorkItemType",
        "Title": "System.Title",
        "Parent": "System.Parent",
        "State": "System.State",
        "Assigned To": "System.AssignedTo",
        "Priority": "Microsoft.VSTS.Common.Priority",
        "Tags": "System.Tags",
        "Iteration Path": "System.IterationPath",
        "Area Path": "System.AreaPath",
        "Description": "System.Description",
        "Original Estimate": "Microsoft.VSTS.Scheduling.OriginalEstimate",
        "Start Date": "Microsoft.VSTS.Scheduling.StartDate",
        "Target Date": "Microsoft.VSTS.Scheduling.TargetDate",
    }
)
"""Display name -> reference name of every field mbf maps; either spelling is accepted in CSV."""


def kind_of_work_item_type(work_item_type: str) -> WorkItemKind | None:
    """The mbf kind of a work item type (any process), or ``None`` for a type mbf does not know."""
    return _KIND_OF_TYPE.get(work_item_type.strip().casefold())


def state_category_of(state: str) -> StateCategory | None:
    """The category of an Azure Boards state word, or ``None`` for a custom state."""
    return _CATEGORY_OF_STATE.get(state.strip().casefold())
