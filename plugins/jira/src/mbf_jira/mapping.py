"""Between mbf work items and Jira issue JSON: the mbf id marker, the fields a push sends, and
the work item a pulled issue stands for.

The marker is the label ``mbf-id-<id>`` where every character Jira labels cannot hold (spaces,
quotes, commas, ``%`` …) is %-escaped, so the label gives back the *exact* mbf id. The ``mbf:<id>``
label that the ``jira-csv`` format writes is recognised too, so issues imported from a CSV file
are adopted rather than duplicated.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import quote, unquote

import attrs

from mbf.domain import (
    Iteration,
    Link,
    LinkKind,
    Release,
    StateCategory,
    TrackerRef,
    WorkItem,
    WorkItemKind,
    slug,
)
from mbf_jira.vocabulary import (
    PRIORITY_NAMES,
    SERVICE_NAME,
    kind_of_issue_type,
    priority_of,
    state_category_of_status,
    state_category_of_status_category,
)

__all__ = [
    "ID_LABEL_PREFIX",
    "MAX_LABEL_LENGTH",
    "IssueType",
    "Site",
    "id_label",
    "id_of_labels",
    "issue_fields",
    "iteration_marker",
    "jql_string",
    "label_of_tag",
    "pulled_item",
    "pulled_iteration",
    "pulled_release",
    "sprint_of_value",
]

ID_LABEL_PREFIX = "mbf-id-"
"""Prefix of the label that carries an item's mbf id."""
CSV_ID_LABEL_PREFIX = "mbf:"
"""The ``jira-csv`` format's id label (read, never written by the service)."""
MAX_LABEL_LENGTH = 255
"""Jira refuses longer labels."""
MARKER_PREFIX = "mbf:"
"""Line of a sprint goal or version description that names the mbf iteration or release id."""

# Kept as they are in the label: letters, digits and these; everything else is %-escaped, which
# covers the characters labels cannot hold and keeps JQL string quoting trivial.
_LABEL_SAFE = "-_.~:/@!$&()*+;=[]"
_WHITESPACE = re.compile(r"\s+")
# Data Center (before 8.x) returns the sprint field as strings like
# "com.atlassian.greenhopper.service.sprint.Sprint@1f[id=3,rapidViewId=1,state=ACTIVE,name=S 1,...]".
_LEGACY_SPRINT = re.compile(r"\[(?P<body>.*)\]\s*$")


def id_label(item_id: str) -> str:
    """The marker label of ``item_id`` (exactly reversible by :func:`id_of_labels`)."""
    return ID_LABEL_PREFIX + quote(item_id, safe=_LABEL_SAFE)


def id_of_labels(labels: Iterable[str]) -> str | None:
    """The mbf id an issue's labels carry, or ``None``."""
    for label in labels:
        if label.startswith(ID_LABEL_PREFIX):
            return unquote(label[len(ID_LABEL_PREFIX) :])
    for label in labels:
        if label.startswith(CSV_ID_LABEL_PREFIX):
            return label[len(CSV_ID_LABEL_PREFIX) :]
    return None


def is_marker_label(label: str) -> bool:
    """Whether ``label`` is an mbf id label rather than one of the item's tags."""
    return label.startswith((ID_LABEL_PREFIX, CSV_ID_LABEL_PREFIX))


def label_of_tag(tag: str) -> str:
    """A tag as a Jira label: labels hold no whitespace, so runs of it become ``_``."""
    return _WHITESPACE.sub("_", tag.strip())


def jql_string(text: str) -> str:
    """``text`` as a quoted JQL string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def iteration_marker(object_id: str, name: str) -> str:
    """The goal/description line naming an iteration's or release's mbf id; empty when the id is
    just the slug of the name (what a pull derives anyway)."""
    return "" if object_id == slug(name) else f"{MARKER_PREFIX}{object_id}"


def _marked_id(text: str | None, name: str) -> str:
    for line in (text or "").splitlines():
        if line.startswith(MARKER_PREFIX):
            return line[len(MARKER_PREFIX) :].strip()
    return slug(name)


@attrs.frozen(kw_only=True)
class IssueType:
    """An issue type of the project."""

    id: str
    name: str
    subtask: bool


@attrs.frozen(kw_only=True)
class Site:
    """What a push or pull learned about the site once, up front (no per-item look-ups)."""

    server: str
    """Site address, for browse URLs."""
    cloud: bool
    """``deploymentType`` is ``Cloud`` (search/jql, account ids) rather than Server/Data Center."""
    project_id: str
    project_key: str
    types: Mapping[WorkItemKind, IssueType]
    """Issue type of each kind (from the settings, resolved to ids)."""
    kind_of_type: Mapping[str, WorkItemKind]
    """Case-folded issue type name -> kind, the configured names first."""
    sprint_field: str = ""
    """Id of the Sprint custom field, read by pull ("" when the site has none)."""
    start_field: str = ""
    """Id of the start date field ("" when none)."""
    epic_link_field: str = ""
    """Data Center: the Epic Link custom field (standard issues under an epic)."""
    id_field: str = ""
    """Optional text field that also holds the mbf id."""
    assignees: Mapping[str, str] = attrs.field(factory=dict)
    """mbf assignee -> Jira account id / user name."""

    def browse_url(self, key: str) -> str:
        """The issue's address in a browser."""
        return f"{self.server}/browse/{key}"

    def user(self, assignee: str) -> dict[str, str] | None:
        """The Jira user object of an mbf assignee, or ``None`` when it cannot be named."""
        account = self.assignees.get(assignee)
        if account is None:
            bare = assignee.strip()
            # A bare account id / user name can be sent as it is; "Name <mail>" cannot (Cloud
            # hides e-mail addresses, so only the map can turn it into an account).
            if not bare or any(c.isspace() for c in bare) or "<" in bare:
                return None
            account = bare
        return {"accountId": account} if self.cloud else {"name": account}

    def assignee_of(self, user: Mapping[str, Any] | None) -> str:
        """The mbf assignee of a Jira user object."""
        if not user:
            return ""
        account = str(user.get("accountId") or user.get("name") or "")
        for assignee, mapped in self.assignees.items():
            if mapped == account:
                return assignee
        return account


def _date(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def issue_fields(
    item: WorkItem,
    site: Site,
    *,
    keys: Mapping[str, str],
    version_ids: Mapping[str, str],
    creating: bool,
    parent_kind: WorkItemKind | None = None,
    parent_changed: bool = False,
) -> dict[str, Any]:
    """The ``fields`` of a create (``creating``) or edit request for ``item``.

    ``keys`` maps mbf ids to Jira keys (the parent's among them), ``parent_kind`` is the parent's
    kind; ``version_ids`` maps release ids to version ids. An edit sends the parent only when it changed (Jira moves sub-tasks only
    through the UI), and clears the fields the item no longer has.
    """
    issue_type = site.types[item.kind]
    fields: dict[str, Any] = {
        "summary": item.title,
        "labels": [*(label_of_tag(t) for t in item.tags if t.strip()), id_label(item.id)],
    }
    if creating:
        fields["project"] = {"id": site.project_id}
        fields["issuetype"] = {"id": issue_type.id}
    if item.description or not creating:
        fields["description"] = item.description or None
    if item.priority is not None and item.priority in PRIORITY_NAMES:
        fields["priority"] = {"name": PRIORITY_NAMES[item.priority]}
    user = site.user(item.assignee) if item.assignee else None
    if user is not None or not creating:
        fields["assignee"] = user
    release = version_ids.get(item.release_id) if item.release_id else None
    if release is not None or not creating:
        fields["fixVersions"] = [{"id": release}] if release else []
    if item.estimate is not None:
        fields["timetracking"] = {"originalEstimate": f"{round(item.estimate * 60)}m"}
    if item.finish is not None or not creating:
        fields["duedate"] = _date(item.finish)
    if site.start_field and (item.start is not None or not creating):
        fields[site.start_field] = _date(item.start)
    if site.id_field:
        fields[site.id_field] = item.id
    parent_key = keys.get(item.parent_id) if item.parent_id else None
    if parent_key is not None and (creating or parent_changed):
        parent_type = site.types.get(parent_kind) if parent_kind else None
        if site.epic_link_field and not issue_type.subtask and _is_epic(parent_type):
            fields[site.epic_link_field] = parent_key  # Data Center: epics hold via Epic Link
        else:
            fields["parent"] = {"key": parent_key}
    return fields


def _is_epic(issue_type: IssueType | None) -> bool:
    return issue_type is not None and issue_type.name.casefold() == "epic"


def sprint_of_value(value: Any) -> dict[str, Any] | None:
    """The sprint an issue is planned in, from its Sprint field: the open one (active or
    future) if any, else the last; each entry an object (Cloud, recent Data Center) or the
    legacy ``...Sprint@x[id=..,state=..,name=..]`` string."""
    if not value:
        return None
    sprints: list[dict[str, Any]] = []
    for entry in value if isinstance(value, list) else [value]:
        if isinstance(entry, Mapping):
            sprints.append(dict(entry))
        elif isinstance(entry, str) and (match := _LEGACY_SPRINT.search(entry)):
            pairs = (part.split("=", 1) for part in match.group("body").split(","))
            sprints.append(dict(p for p in pairs if len(p) == 2))
    open_sprints = [s for s in sprints if str(s.get("state", "")).lower() in ("active", "future")]
    chosen = open_sprints or sprints
    return chosen[-1] if chosen else None


def pulled_iteration(sprint: Mapping[str, Any]) -> Iteration:
    """The mbf iteration of a Jira sprint (id from the goal's ``mbf:`` line, else the name's
    slug)."""
    name = str(sprint.get("name", ""))
    return Iteration(
        id=_marked_id(sprint.get("goal"), name),
        name=name,
        start=_parse_date(sprint.get("startDate")),
        finish=_parse_date(sprint.get("endDate")),
    )


def pulled_release(version: Mapping[str, Any]) -> Release:
    """The mbf release of a Jira version (id from the description's ``mbf:`` line, else the
    name's slug)."""
    name = str(version.get("name", ""))
    return Release(
        id=_marked_id(version.get("description"), name),
        name=name,
        date=_parse_date(version.get("releaseDate")),
    )


def _parse_date(value: Any) -> dt.date | None:
    if not value or not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def pulled_item(
    issue: Mapping[str, Any],
    site: Site,
    *,
    id_of_key: Mapping[str, str],
    dependency_type: str,
    relates_type: str,
) -> WorkItem:
    """The work item a searched issue stands for. ``id_of_key`` maps every pulled key to its mbf
    id (so parents and links resolve to mbf ids)."""
    key = str(issue["key"])
    fields: Mapping[str, Any] = issue.get("fields") or {}
    labels = [str(label) for label in fields.get("labels") or ()]
    issue_type = str((fields.get("issuetype") or {}).get("name", ""))
    kind = site.kind_of_type.get(issue_type.casefold()) or kind_of_issue_type(issue_type)
    status: Mapping[str, Any] = fields.get("status") or {}
    state = str(status.get("name", "")) or "New"
    category_key = str((status.get("statusCategory") or {}).get("key", ""))
    category = (
        state_category_of_status_category(category_key)
        or state_category_of_status(state)
        or StateCategory.TODO
    )
    parent_key = (fields.get("parent") or {}).get("key") or (
        fields.get(site.epic_link_field) if site.epic_link_field else None
    )
    sprint = sprint_of_value(fields.get(site.sprint_field)) if site.sprint_field else None
    versions: Sequence[Mapping[str, Any]] = fields.get("fixVersions") or ()
    seconds = fields.get("timeoriginalestimate")
    priority = (fields.get("priority") or {}).get("name")
    return WorkItem(
        id=id_of_key[key],
        kind=kind or WorkItemKind.STORY,
        title=str(fields.get("summary") or ""),
        description=str(fields.get("description") or ""),
        parent_id=id_of_key.get(str(parent_key)) if parent_key else None,
        state=state,
        state_category=category,
        assignee=site.assignee_of(fields.get("assignee")),
        priority=priority_of(str(priority)) if priority else None,
        tags=tuple(label for label in labels if not is_marker_label(label)),
        iteration_id=pulled_iteration(sprint).id if sprint else None,
        release_id=pulled_release(versions[0]).id if versions else None,
        estimate=seconds / 3600 if isinstance(seconds, int | float) else None,
        start=_parse_date(fields.get(site.start_field)) if site.start_field else None,
        finish=_parse_date(fields.get("duedate")),
        links=_pulled_links(fields, id_of_key, dependency_type, relates_type),
        refs={
            SERVICE_NAME: TrackerRef(
                key=key, url=site.browse_url(key), version=str(fields.get("updated") or "")
            )
        },
    )


def _pulled_links(
    fields: Mapping[str, Any],
    id_of_key: Mapping[str, str],
    dependency_type: str,
    relates_type: str,
) -> tuple[Link, ...]:
    """Links this issue holds: mbf sends ``inwardIssue`` = the link's target (the predecessor
    that *blocks* the item), so the item sees the target on its inward side."""
    kinds = {
        dependency_type.casefold(): LinkKind.DEPENDS_ON,
        relates_type.casefold(): LinkKind.RELATES_TO,
    }
    links: list[Link] = []
    for link in fields.get("issuelinks") or ():
        kind = kinds.get(str((link.get("type") or {}).get("name", "")).casefold())
        target = str((link.get("inwardIssue") or {}).get("key", ""))
        if kind is not None and target in id_of_key:
            links.append(Link(target_id=id_of_key[target], kind=kind))
    return tuple(links)
