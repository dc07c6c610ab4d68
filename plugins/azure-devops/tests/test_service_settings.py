"""``[services.azure-devops]``: the documented example, defaults and refusals."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from mbf.config import plugin_settings
from mbf.domain import WorkItemKind
from mbf.errors import ConfigError
from mbf_azure_devops.settings import AzureDevOpsSettings

README = Path(__file__).resolve().parents[1] / "README.md"


def structure(table: dict) -> AzureDevOpsSettings:
    return plugin_settings(table, AzureDevOpsSettings, origin="mbf.toml: services.azure-devops")


def test_the_readme_example_is_valid_settings() -> None:
    snippet = re.search(r"```toml\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert snippet is not None
    table = tomllib.loads(snippet.group(1))["services"]["azure-devops"]
    settings = structure(table)
    assert settings.area_path == "Contoso\\Migration"
    assert settings.types_by_kind()[WorkItemKind.STORY] == "Product Backlog Item"
    assert settings.types_by_kind()[WorkItemKind.TASK] == "Task"


def test_the_team_defaults_to_the_project_team_and_the_url_loses_its_slash() -> None:
    settings = structure({"organization_url": "https://dev.azure.com/contoso/", "project": "Mig"})
    assert (settings.organization_url, settings.team_name, settings.batch_size) == (
        "https://dev.azure.com/contoso",
        "Mig Team",
        200,
    )


def test_a_batch_over_200_is_refused() -> None:
    with pytest.raises(ConfigError) as failure:
        structure(
            {"organization_url": "https://dev.azure.com/c", "project": "M", "batch_size": 500}
        )
    assert "batch_size: 500 is not between 1 and 200" in str(failure.value)


def test_an_organization_without_a_scheme_is_refused() -> None:
    with pytest.raises(ConfigError) as failure:
        structure({"organization_url": "dev.azure.com/c", "project": "M"})
    assert (
        "'dev.azure.com/c' is not an organization URL such as https://dev.azure.com/contoso"
        in str(failure.value)
    )
