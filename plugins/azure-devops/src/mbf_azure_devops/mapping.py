"""mbf work items as Azure Boards work item fields, and back.

Push sends the fields of :func:`item_fields` (reference names -> JSON values); pull turns the
fields of a read work item back into a :class:`~mbf.domain.WorkItem` with
:class:`WorkItemReader`. The mbf id travels as the tag ``mbf:<id>`` (as in ``ado-csv`` files) and,
when a custom field is configured, in that field too.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from mbf.domain import (
    Iteration,
    Link,
    LinkKind,
    StateCategory,
    TrackerRef,
    WorkItem,
    WorkItemKind,
    slug,
)
from mbf_azure_devops.html_text import html_to_text, text_to_html
from mbf_azure_devops.settings import AzureDevOpsSettings
from mbf_azure_devops.vocabulary import (
    CATEGORY_STATES,
    SERVICE_NAME,
    kind_of_work_item_type,
    state_category_of,
)

__all__ = [
    "AREA_PATH_EXTRA",
    "ID_TAG_PREFIX",
    "TYPE_EXTRA",
    "IterationPaths",
    "WorkItemReader",
    "day_of",
    "item_fields",
    "key_of_url",
    "marker_tag",
    "mbf_id_of",
    "split_tags",
]

ID_TAG_PREFIX = "mbf:"
"""Tag carrying an item's mbf id (the same marker the ``ado-csv`` format writes)."""
_OTHER_MBF_TAGS = ("mbf-parent:",)
TYPE_EXTRA = "Work Item Type"
"""Extra field naming a work item type other than the kind's default (e.g. ``Bug``)."""
AREA_PATH_EXTRA = "Area Path"
"""Extra field overriding the configured area path for one item."""
TAG_SEPARATOR = "; "

TITLE = "System.Title"
DESCRIPTION = "System.Description"
STATE = "System.State"
ASSIGNED_TO = "System.AssignedTo"
PRIORITY = "Microsoft.VSTS.Common.Priority"
TAGS = "System.Tags"
AREA_PATH = "System.AreaPath"
ITERATION_PATH = "System.IterationPath"
ORIGINAL_ESTIMATE = "Microsoft.VSTS.Scheduling.OriginalEstimate"
START_DATE = "Microsoft.VSTS.Scheduling.StartDate"
TARGET_DATE = "Microsoft.VSTS.Scheduling.TargetDate"
WORK_ITEM_TYPE = "System.WorkItemType"

PARENT = "System.LinkTypes.Hierarchy-Reverse"
"""Relation from a child to its parent."""
PREDECESSOR = "System.LinkTypes.Dependency-Reverse"
"""Relation from an item to the item it depends on (its predecessor)."""
SUCCESSOR = "System.LinkTypes.Dependency-Forward"
"""The inverse Boards adds on the predecessor."""
RELATED = "System.LinkTypes.Related"
"""Informational link."""
LINK_RELATIONS: Mapping[LinkKind, str] = {
    LinkKind.DEPENDS_ON: PREDECESSOR,
    LinkKind.RELATES_TO: RELATED,
}

# A field reference name such as Custom.CostCenter: extras under such keys are pushed as fields.
_REFERENCE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)+$")


def marker_tag(item_id: str) -> str:
    """The tag that carries ``item_id``."""
    return ID_TAG_PREFIX + item_id


def _date_value(day: dt.date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def day_of(value: Any) -> dt.date | None:
    """The calendar day of a REST date-time (``2027-01-04T00:00:00Z``), ``None`` if absent."""
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


class IterationPaths:
    """Where each backlog iteration lives in the project's iteration tree.

    An iteration's ``path`` (``Contoso\\Sprint 1``) names its node; a leading segment equal to
    the project is the root, so ``Sprint 1`` is created directly under the project's iterations.
    An iteration without a path is a node named after it.
    """

    def __init__(self, project: str, iterations: Iterable[Iteration]) -> None:
        self.project = project
        self.segments: dict[str, tuple[str, ...]] = {}
        for iteration in iterations:
            parts = [p for p in (iteration.path or iteration.name).split("\\") if p.strip()]
            if len(parts) > 1 and parts[0].casefold() == project.casefold():
                parts = parts[1:]
            self.segments[iteration.id] = tuple(p.strip() for p in parts)

    def field_value(self, iteration_id: str) -> str | None:
        """``System.IterationPath`` of an iteration (``Project\\Sprint 1``), ``None`` if unknown."""
        segments = self.segments.get(iteration_id)
        if segments is None:
            return None
        return "\\".join((self.project, *segments))


def item_fields(
    item: WorkItem,
    *,
    settings: AzureDevOpsSettings,
    types: Mapping[WorkItemKind, str],
    iteration_paths: IterationPaths,
) -> dict[str, Any]:
    """The fields of ``item`` as Boards reference names and JSON values (empty ones left out).

    Includes the ``mbf:<id>`` tag and, when configured, the id field, so every created item can
    be found again. The work item type is returned under ``System.WorkItemType`` (it goes in the
    create URL, not in the body)."""
    fields: dict[str, Any] = {
        WORK_ITEM_TYPE: _text_extra(item, TYPE_EXTRA) or types[item.kind],
        TITLE: item.title,
    }
    if item.description:
        fields[DESCRIPTION] = text_to_html(item.description)
    state = item.state
    known = state_category_of(state)
    if known is not None and known is not item.state_category:
        state = CATEGORY_STATES[item.state_category]  # the category is what mbf planned with
    if state:
        fields[STATE] = state
    if item.assignee:
        fields[ASSIGNED_TO] = item.assignee
    if item.priority is not None:
        fields[PRIORITY] = item.priority
    # Boards separates tags with ';' and drops commas: keep each tag whole.
    tags = [tag.replace(";", ",") for tag in item.tags if tag]
    tags.append(marker_tag(item.id))
    fields[TAGS] = TAG_SEPARATOR.join(tags)
    area = _text_extra(item, AREA_PATH_EXTRA) or settings.area_path
    if area:
        fields[AREA_PATH] = area
    if item.iteration_id is not None:
        path = iteration_paths.field_value(item.iteration_id)
        if path is not None:
            fields[ITERATION_PATH] = path
    if item.estimate is not None:
        fields[ORIGINAL_ESTIMATE] = item.estimate
    if item.start is not None:
        fields[START_DATE] = _date_value(item.start)
    if item.finish is not None:
        fields[TARGET_DATE] = _date_value(item.finish)
    if settings.id_field:
        fields[settings.id_field] = item.id
    for key, value in item.extra.items():
        if _REFERENCE_NAME.match(key) and isinstance(value, (str, int, float, bool)):
            fields.setdefault(key, value)
    return fields


def _text_extra(item: WorkItem, key: str) -> str:
    value = item.extra.get(key) if item.extra else None
    return value.strip() if isinstance(value, str) else ""


def key_of_url(url: str) -> str | None:
    """The work item id at the end of a relation URL (``.../_apis/wit/workItems/42``)."""
    tail = url.rstrip("/").rsplit("/", 1)[-1]
    return tail if tail.isdigit() else None


def mbf_id_of(fields: Mapping[str, Any], id_field: str) -> str | None:
    """The mbf id a work item carries: the id field when configured and set, else the tag."""
    if id_field:
        value = fields.get(id_field)
        if isinstance(value, str) and value:
            return value
    for tag in split_tags(fields.get(TAGS)):
        if tag.startswith(ID_TAG_PREFIX):
            return tag[len(ID_TAG_PREFIX) :]
    return None


def split_tags(value: Any) -> list[str]:
    """The tags of a ``System.Tags`` value (``"a; b"``)."""
    if not isinstance(value, str) or not value:
        return []
    return [tag.strip() for tag in value.split(";") if tag.strip()]


class WorkItemReader:
    """Turns read work items (REST ``WorkItem`` JSON with relations) into mbf work items.

    Ids: the mbf marker when the item carries one, else ``ado:<ID>`` (as ``ado-csv`` reads
    exports). Iteration ids are the slug of the sprint name, as the ``ado-csv`` format reads them,
    so a pulled item keeps the iteration id the backlog had.
    """

    def __init__(self, settings: AzureDevOpsSettings, browser_url: Any) -> None:
        self.settings = settings
        self.browser_url = browser_url
        types = settings.types_by_kind()
        self.default_types = types
        self.kind_of_type = {name.casefold(): kind for kind, name in types.items()}
        self.iterations: dict[str, Iteration] = {}
        self._iteration_ids: set[str] = set()
        self.unknown_states: dict[str, int] = {}

    def add_iteration(
        self, path: str, name: str, start: dt.date | None, finish: dt.date | None
    ) -> None:
        """Register a sprint of the project's iteration tree (``path`` as work items show it)."""
        key = path.casefold()
        if key in self.iterations:
            return
        candidate = slug(name) or "iteration"
        if candidate in self._iteration_ids:  # same sprint name under another parent node
            candidate = slug(path)
        self._iteration_ids.add(candidate)
        self.iterations[key] = Iteration(
            id=candidate, name=name, path=path, start=start, finish=finish
        )

    def iteration_id(self, path: str) -> str | None:
        """The id of the iteration at ``path``; ``None`` for the project root."""
        if not path or "\\" not in path:
            return None  # the project itself: not planned into a sprint
        found = self.iterations.get(path.casefold())
        if found is None:
            name = path.rsplit("\\", 1)[-1]
            self.add_iteration(path, name, None, None)
            found = self.iterations[path.casefold()]
        return found.id

    def read(self, documents: Sequence[Mapping[str, Any]]) -> list[WorkItem]:
        """Work items of the given REST documents, parent links resolved among them."""
        id_field = self.settings.id_field
        mbf_ids: dict[str, str] = {}
        for document in documents:
            key = str(document["id"])
            mbf_ids[key] = mbf_id_of(document.get("fields", {}), id_field) or f"ado:{key}"
        return [self._item(document, mbf_ids) for document in documents]

    def _item(self, document: Mapping[str, Any], mbf_ids: Mapping[str, str]) -> WorkItem:
        key = str(document["id"])
        fields: Mapping[str, Any] = document.get("fields", {})
        work_item_type = str(fields.get(WORK_ITEM_TYPE, ""))
        kind = (
            self.kind_of_type.get(work_item_type.casefold())
            or kind_of_work_item_type(work_item_type)
            or WorkItemKind.STORY
        )
        state = str(fields.get(STATE, "") or "New")
        category = state_category_of(state)
        if category is None:
            self.unknown_states[state] = self.unknown_states.get(state, 0) + 1
            category = StateCategory.TODO
        parent_id: str | None = None
        links: list[Link] = []
        for relation in document.get("relations") or ():
            target = key_of_url(str(relation.get("url", "")))
            if target is None:
                continue
            target_id = mbf_ids.get(target, f"ado:{target}")
            rel = relation.get("rel")
            if rel == PARENT:
                parent_id = target_id
            elif rel == PREDECESSOR:
                links.append(Link(target_id=target_id))
            elif rel == RELATED and int(target) > int(key):  # Boards shows it on both ends
                links.append(Link(target_id=target_id, kind=LinkKind.RELATES_TO))
        tags = tuple(
            tag
            for tag in split_tags(fields.get(TAGS))
            if not tag.startswith(ID_TAG_PREFIX) and not tag.startswith(_OTHER_MBF_TAGS)
        )
        priority = fields.get(PRIORITY)
        estimate = fields.get(ORIGINAL_ESTIMATE)
        extra = {TYPE_EXTRA: work_item_type} if work_item_type != self.default_types[kind] else {}
        return WorkItem(
            id=mbf_ids[key],
            kind=kind,
            title=str(fields.get(TITLE, "")),
            description=html_to_text(str(fields.get(DESCRIPTION) or "")),
            parent_id=parent_id,
            state=state,
            state_category=category,
            assignee=_identity(fields.get(ASSIGNED_TO)),
            priority=int(priority) if isinstance(priority, (int, float)) else None,
            tags=tags,
            iteration_id=self.iteration_id(str(fields.get(ITERATION_PATH, ""))),
            estimate=float(estimate) if isinstance(estimate, (int, float)) else None,
            start=day_of(fields.get(START_DATE)),
            finish=day_of(fields.get(TARGET_DATE)),
            links=tuple(links),
            refs={
                SERVICE_NAME: TrackerRef(
                    key=key, url=self.browser_url(key), version=str(document.get("rev", ""))
                )
            },
            extra=extra,
        )


def _identity(value: Any) -> str:
    """``Name <upn>`` of an identity field (REST returns an IdentityRef object)."""
    if isinstance(value, Mapping):
        name = str(value.get("displayName") or "")
        unique = str(value.get("uniqueName") or "")
        if name and unique and name != unique:
            return f"{name} <{unique}>"
        return name or unique
    return str(value) if value else ""
