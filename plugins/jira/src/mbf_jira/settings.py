"""``[services.jira]`` in mbf.toml: where the Jira project is and how mbf's words map onto it.

Secrets never live here: the core refuses token-like keys, and the service reads
``JIRA_EMAIL`` + ``JIRA_API_TOKEN`` (Cloud) or ``JIRA_PAT`` (Data Center) from the environment.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from mbf.config import check_kind_keys
from mbf.domain import WorkItemKind
from mbf.errors import ConfigError
from mbf_jira.vocabulary import DEFAULT_ISSUE_TYPES

__all__ = ["JiraSettings"]


def _check_url(_instance: object, attribute: attrs.Attribute[Any], value: str) -> None:
    if not value.startswith(("https://", "http://")):
        raise ConfigError(f"{attribute.name}: {value!r} is not an http(s) address of a Jira site")


def _check_field_id(_instance: object, attribute: attrs.Attribute[Any], value: str) -> None:
    if value and not value.startswith("customfield_"):
        raise ConfigError(
            f"{attribute.name}: {value!r} is not a custom field id (like customfield_10050)"
        )


@attrs.frozen(kw_only=True)
class JiraSettings:
    """Options of the ``jira`` service (``[services.jira]``)."""

    url: str = attrs.field(validator=_check_url)
    """The site, e.g. ``https://contoso.atlassian.net`` or ``https://jira.contoso.com``."""
    project: str
    """Key of the project the backlog lives in, e.g. ``MIG``."""
    board: int | None = None
    """Id of the Scrum board whose sprints stand for the iterations; ``None``: the project's first
    Scrum board (looked up once, only when a push has items planned into iterations)."""
    issue_types: Mapping[str, str] = attrs.field(factory=dict, validator=check_kind_keys)
    """Issue type per kind where it differs from ``Epic``, ``Feature``, ``Story``, ``Sub-task``
    (e.g. ``epic = "Initiative"``, ``feature = "Epic"``)."""
    dependency_link_type: str = "Blocks"
    """Link type of depends-on links: the predecessor *blocks* the item."""
    relates_link_type: str = "Relates"
    """Link type of relates-to links."""
    id_field: str = attrs.field(default="", validator=_check_field_id)
    """Optional text custom field that also receives the exact mbf id (e.g. ``customfield_10050``),
    for people who want to see or search it; the label is always written."""
    start_field: str = attrs.field(default="", validator=_check_field_id)
    """Date custom field of the planned start; empty: the field named ``Start date``, if any."""
    assignees: Mapping[str, str] = attrs.field(factory=dict)
    """mbf assignee -> Jira account id (Cloud) or user name (Data Center). Assignees that are not
    listed and are not a bare account id or user name are left unassigned, with a warning."""
    notify_users: bool = True
    """Send Jira's notifications for edits (``false`` needs project admin rights)."""
    timeout: float = 60.0
    """Seconds to wait for one HTTP answer before retrying it."""

    def types_by_kind(self) -> dict[WorkItemKind, str]:
        """The issue type name of every kind: the settings over the defaults."""
        return {**DEFAULT_ISSUE_TYPES, **{WorkItemKind(k): v for k, v in self.issue_types.items()}}

    @property
    def server(self) -> str:
        """The site address without a trailing slash."""
        return self.url.rstrip("/")
