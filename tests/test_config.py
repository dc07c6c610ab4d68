"""mbf.toml is structured into config classes; unknown keys and secrets are refused by name."""

import datetime as dt
from pathlib import Path

import pytest

from mbf.config import load_config
from mbf.errors import ConfigError, InputError

EXAMPLE = """
[project]
name = "Contoso datacenter exit"
start = 2027-01-04
outcomes = ["Exit AMS1 before its lease ends"]

[[datacenters]]
id = "ams1"
name = "Amsterdam 1"
lease_end = 2027-09-30
priority = 1
blackout = [{ start = 2027-04-01, end = 2027-04-14, reason = "quarter close" }]

[iterations]
length_days = 14
capacity_servers = 25

[[sources]]
path = "exports/AzureMigrate_Import.csv"

[[outputs]]
path = "out/backlog.xlsx"

[services.jira]
url = "https://example.atlassian.net"
project = "MIG"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mbf.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_example_config_is_structured(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, EXAMPLE))
    assert config.project.start == dt.date(2027, 1, 4)
    assert config.datacenters[0].blackout[0].end == dt.date(2027, 4, 14)
    assert config.iterations.capacity_servers == 25
    assert config.services["jira"]["project"] == "MIG"
    assert config.resolve(config.sources[0].path) == tmp_path / "exports/AzureMigrate_Import.csv"


def test_unknown_key_is_refused_with_its_path(tmp_path: Path) -> None:
    path = write(tmp_path, "[iterations]\nlenght_days = 14\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == "mbf.toml: unknown key iterations.lenght_days"


def test_unknown_key_in_an_array_of_tables_gives_its_index(tmp_path: Path) -> None:
    path = write(tmp_path, '[[datacenters]]\nid = "ams1"\nname = "A"\nleese_end = 2027-01-01\n')
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == "mbf.toml: unknown key datacenters[0].leese_end"


def test_wrong_value_type_names_the_key(tmp_path: Path) -> None:
    path = write(tmp_path, '[project]\nstart = "next monday"\n')
    with pytest.raises(ConfigError, match=r"^mbf.toml: project.start: invalid value"):
        load_config(path)


def test_secret_in_config_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, '[services.jira]\nurl = "https://x"\napi_token = "abc123"\n')
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert "services.jira.api_token looks like a secret" in str(caught.value)
    assert "abc123" not in str(caught.value)


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[project\n")
    with pytest.raises(InputError, match=r"mbf.toml: not valid TOML: .*line 1"):
        load_config(path)


def test_no_config_gives_defaults() -> None:
    config = load_config(None)
    assert (config.project.name, config.datacenters, config.iterations.name_pattern) == (
        "",
        (),
        "Sprint {n}",
    )
