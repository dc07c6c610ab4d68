"""``[services.azure-devops]`` in mbf.toml: where the live service pushes and pulls.

The personal access token is never a setting: it comes from ``AZURE_DEVOPS_EXT_PAT`` (the same
variable the Azure CLI's devops extension reads), and mbf.toml refuses keys that look like secrets.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from mbf.config import check_kind_keys
from mbf.domain import WorkItemKind
from mbf.errors import ConfigError
from mbf_azure_devops.vocabulary import DEFAULT_WORK_ITEM_TYPES

__all__ = ["MAX_BATCH", "PAT_VARIABLE", "AzureDevOpsSettings"]

PAT_VARIABLE = "AZURE_DEVOPS_EXT_PAT"
"""Environment variable holding the personal access token (scope: Work Items read & write)."""

MAX_BATCH = 200
"""Most sub-requests mbf puts in one ``$batch`` and most ids in one ``workitemsbatch`` read."""


def _check_url(_instance: object, attribute: attrs.Attribute[Any], value: str) -> None:
    if not value.startswith(("https://", "http://")):
        raise ConfigError(
            f"{attribute.name}: {value!r} is not an organization URL such as "
            "https://dev.azure.com/contoso"
        )


def _without_slash(value: str) -> str:
    return value.rstrip("/")


def _check_batch(_instance: object, attribute: attrs.Attribute[Any], value: int) -> None:
    if not 1 <= value <= MAX_BATCH:
        raise ConfigError(f"{attribute.name}: {value} is not between 1 and {MAX_BATCH}")


@attrs.frozen(kw_only=True)
class AzureDevOpsSettings:
    """Options of the ``azure-devops`` service."""

    organization_url: str = attrs.field(validator=_check_url, converter=_without_slash)
    """``https://dev.azure.com/<organization>`` (or an Azure DevOps Server collection URL)."""
    project: str
    """Team project the backlog lives in."""
    team: str = ""
    """Team whose sprints the iterations become; default ``<project> Team`` (Boards' default team)."""
    area_path: str = ""
    """Area path of created items, e.g. ``Contoso\\Migration``; default the project's root area. An
    item's ``Area Path`` extra field overrides it."""
    work_item_types: Mapping[str, str] = attrs.field(validator=check_kind_keys, factory=dict)
    """Work item type per kind where it differs from the Agile process (``story = "Product Backlog
    Item"`` for Scrum, ``story = "Issue"`` for Basic)."""
    id_field: str = ""
    """Reference name of a custom text field that also carries the mbf id (``Custom.MbfId``); the
    ``mbf:<id>`` tag is always written. With it, markers are looked up by that field."""
    batch_size: int = attrs.field(default=MAX_BATCH, validator=_check_batch)
    """Sub-requests per ``$batch`` write (at most 200)."""
    api_version: str = "7.1"
    """REST API version sent with every call."""
    timeout: float = 60.0
    """Seconds to wait for one response."""

    @property
    def team_name(self) -> str:
        """The team that gets the sprints."""
        return self.team or f"{self.project} Team"

    def types_by_kind(self) -> dict[WorkItemKind, str]:
        """The work item type of every kind: the settings over the defaults."""
        return {
            **DEFAULT_WORK_ITEM_TYPES,
            **{WorkItemKind(k): v for k, v in self.work_item_types.items()},
        }
