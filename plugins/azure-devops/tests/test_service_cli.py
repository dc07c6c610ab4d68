"""``mbf push`` and ``mbf pull --service azure-devops`` end to end, the installed plugin talking to
the loopback fake."""

from __future__ import annotations

import shutil
from pathlib import Path

import attrs
import pytest

from mbf.serialization import read_backlog, write_backlog
from mbf.sync import SyncLedger

from .fake_ado import FakeAzureDevOps


@pytest.fixture
def project(tmp_path: Path, fake: FakeAzureDevOps, sample_backlog, plugin_manager) -> Path:
    plugin_manager.load_entry_points()  # the installed mbf-azure-devops distribution
    (tmp_path / "mbf.toml").write_text(
        "[services.azure-devops]\n"
        f'organization_url = "{fake.organization_url}"\n'
        'project = "Contoso"\n'
        'area_path = "Contoso\\\\Waves"\n'
    )
    write_backlog(sample_backlog, tmp_path / "backlog.json")
    return tmp_path


def push(mbf_cli, project: Path, *extra: str):
    return mbf_cli(
        "push",
        str(project / "backlog.json"),
        "--service",
        "azure-devops",
        "-c",
        str(project / "mbf.toml"),
        *extra,
    )


def pull(mbf_cli, project: Path):
    return mbf_cli(
        "pull",
        "--service",
        "azure-devops",
        "-c",
        str(project / "mbf.toml"),
        "-o",
        str(project / "backlog.json"),
    )


def ledger_keys(project: Path) -> dict[str, str]:
    ledger = SyncLedger.load(project / ".mbf" / "ledger-azure-devops.json", "azure-devops")
    return {item_id: entry.key for item_id, entry in ledger.entries.items()}


def test_mbf_push_creates_the_items_and_writes_their_keys_back(mbf_cli, project, fake) -> None:
    result = push(mbf_cli, project)
    assert result.exit_code == 0, result.output
    assert (
        result.stdout
        == "Pushed to azure-devops: 9 created, 0 updated, 0 unchanged (9 write requests)\n"
    )
    assert (
        result.stderr
        == "Warning: azure-devops: state 'Done' is not a Task state; written as 'Closed'\n"
    )
    pushed = {i.id: i for i in read_backlog(project / "backlog.json").items}
    assert pushed["epic:ams1"].refs["azure-devops"].key == str(fake.marked()["epic:ams1"])


def test_mbf_push_twice_sends_nothing_the_second_time(mbf_cli, project, fake) -> None:
    push(mbf_cli, project)
    sent = len(fake.requests)
    result = push(mbf_cli, project)
    assert (
        result.stdout
        == "Pushed to azure-devops: 0 created, 0 updated, 9 unchanged (0 write requests)\n"
    )
    assert len(fake.requests) == sent


def test_mbf_pull_brings_back_a_state_changed_in_boards(mbf_cli, project, fake) -> None:
    push(mbf_cli, project)
    fake.edit(fake.marked()["story:pay-app01"], **{"System.State": "Active"})
    result = pull(mbf_cli, project)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Pulled from azure-devops: ")
    pulled = {i.id: i for i in read_backlog(project / "backlog.json").items}
    assert pulled["story:pay-app01"].state == "Active"


def test_mbf_pull_reports_a_title_changed_on_both_sides(mbf_cli, project, fake) -> None:
    push(mbf_cli, project)
    fake.edit(fake.marked()["epic:dub2"], **{"System.Title": "Exit Dublin 2"})
    local = read_backlog(project / "backlog.json")
    write_backlog(
        attrs.evolve(
            local,
            items=[
                attrs.evolve(i, title="Leave DUB2") if i.id == "epic:dub2" else i
                for i in local.items
            ],
        ),
        project / "backlog.json",
    )
    result = pull(mbf_cli, project)
    assert result.exit_code == 0, result.output
    assert (
        "Conflict: epic:dub2 title: kept local 'Leave DUB2', azure-devops has 'Exit Dublin 2'\n"
        in result.stderr
    )
    pulled = {i.id: i for i in read_backlog(project / "backlog.json").items}
    assert pulled["epic:dub2"].title == "Leave DUB2"


def test_a_lost_ledger_is_rebuilt_by_pull_and_the_next_push_duplicates_nothing(
    mbf_cli, project, fake
) -> None:
    push(mbf_cli, project)
    keys = ledger_keys(project)
    shutil.rmtree(project / ".mbf")  # the ledger and anything beside it
    result = pull(mbf_cli, project)
    assert result.exit_code == 0, result.output
    assert len(keys) == 9
    assert ledger_keys(project) == keys
    again = push(mbf_cli, project)
    assert again.exit_code == 0, again.output
    assert again.stdout.startswith("Pushed to azure-devops: 0 created")
    assert len(fake.items) == 9


def test_a_secret_in_mbf_toml_is_refused(mbf_cli, project, fake) -> None:
    with (project / "mbf.toml").open("a") as config:
        config.write('pat = "abc123"\n')
    result = push(mbf_cli, project)
    assert (result.exit_code, result.stderr) == (
        1,
        "Error: mbf.toml: services.azure-devops.pat looks like a secret; secrets are never read "
        "from mbf.toml. Set it in the environment instead (see `mbf push --help`).\n",
    )
    assert fake.requests == []


def test_an_unknown_kind_in_work_item_types_is_a_config_error(mbf_cli, project) -> None:
    with (project / "mbf.toml").open("a") as config:
        config.write('work_item_types = { bug = "Bug" }\n')
    result = push(mbf_cli, project)
    assert result.exit_code == 1
    assert "work_item_types: unknown kind(s) bug; use epic, feature, story or task" in result.stderr


def test_a_wrong_pat_fails_in_one_line_without_the_token(
    mbf_cli, project, fake, monkeypatch
) -> None:
    monkeypatch.setenv("AZURE_DEVOPS_EXT_PAT", "not-the-pat-4242")
    result = push(mbf_cli, project)
    assert result.exit_code == 1
    assert "not-the-pat-4242" not in result.output
    assert result.stderr.startswith(
        "Error: push stopped: Azure DevOps refused the personal access token (HTTP 401)"
    )
    assert len(result.stderr.splitlines()) == 1


def test_the_pat_appears_in_no_output_or_file(mbf_cli, project, fake) -> None:
    outputs = [push(mbf_cli, project).output, pull(mbf_cli, project).output]
    files = [p.read_text() for p in project.rglob("*") if p.is_file()]
    assert all(fake.pat not in text for text in outputs + files)
