"""``mbf push`` and ``mbf pull`` with the installed ``jira`` service, end to end against the fake:
push, no-op re-push, pull with remote edits and conflicts, a lost ledger rebuilt by pull, and
secrets kept out of files and output."""

from __future__ import annotations

import json
from pathlib import Path

import attrs
import pytest
from fake_jira import FakeJira

from mbf.serialization import read_backlog, write_backlog
from mbf_jira.mapping import id_label


@pytest.fixture
def project(tmp_path: Path, fake: FakeJira, sample_backlog, plugin_manager) -> Path:
    plugin_manager.load_entry_points()
    (tmp_path / "mbf.toml").write_text(
        f'[services.jira]\nurl = "{fake.url}"\nproject = "MIG"\n'
        '[services.jira.assignees]\n"Dana Lee <dana@contoso.com>" = "5b10ac8d82e05b22cc7d4ef5"\n'
    )
    write_backlog(sample_backlog, tmp_path / "backlog.json")
    return tmp_path


def push(mbf_cli, project: Path):
    return mbf_cli(
        "push", str(project / "backlog.json"), "--service", "jira", "-c", str(project / "mbf.toml")
    )


def pull(mbf_cli, project: Path):
    return mbf_cli(
        "pull",
        "--service",
        "jira",
        "-c",
        str(project / "mbf.toml"),
        "-o",
        str(project / "backlog.json"),
    )


def test_push_creates_the_backlog_and_writes_the_keys_back(mbf_cli, project, fake) -> None:
    result = push(mbf_cli, project)
    assert result.exit_code == 0, result.output
    # 4 bulk creates, 1 version, 2 sprints, 2 sprint moves, 4 links.
    assert (
        result.stdout == "Pushed to jira: 9 created, 0 updated, 0 unchanged (13 write requests)\n"
    )
    assert len(fake.writes()) == 13
    pushed = {i.id: i for i in read_backlog(project / "backlog.json").items}
    key = fake.issue_by_marker(id_label("story:pay-db01"))["key"]
    assert pushed["story:pay-db01"].refs["jira"].key == key
    assert fake.issue_by_marker(id_label("feature:payroll"))["fields"]["assignee"]["accountId"] == (
        "5b10ac8d82e05b22cc7d4ef5"
    )


def test_a_second_push_sends_nothing(mbf_cli, project, fake) -> None:
    push(mbf_cli, project)
    before = len(fake.requests)
    result = push(mbf_cli, project)
    assert result.stdout == "Pushed to jira: 0 created, 0 updated, 9 unchanged (0 write requests)\n"
    assert len(fake.requests) == before


def test_pull_brings_remote_edits_and_reports_conflicts(mbf_cli, project, fake) -> None:
    push(mbf_cli, project)
    fake.edit(fake.issue_by_marker(id_label("story:pay-app01"))["key"], status="In Progress")
    fake.edit(fake.issue_by_marker(id_label("epic:dub2"))["key"], summary="Exit Dublin 2")
    local = read_backlog(project / "backlog.json")
    renamed = [
        attrs.evolve(i, title="Leave DUB2") if i.id == "epic:dub2" else i for i in local.items
    ]
    write_backlog(attrs.evolve(local, items=renamed), project / "backlog.json")

    result = pull(mbf_cli, project)
    assert result.exit_code == 0, result.output
    assert (
        result.stderr
        == "Conflict: epic:dub2 title: kept local 'Leave DUB2', jira has 'Exit Dublin 2'\n"
    )
    pulled = {i.id: i for i in read_backlog(project / "backlog.json").items}
    assert (pulled["story:pay-app01"].state, pulled["story:pay-app01"].state_category.value) == (
        "In Progress",
        "in_progress",
    )
    assert pulled["epic:dub2"].title == "Leave DUB2"


def test_a_lost_ledger_is_rebuilt_by_pull_and_nothing_is_created_again(
    mbf_cli, project, fake
) -> None:
    push(mbf_cli, project)
    (project / ".mbf" / "ledger-jira.json").unlink()
    assert pull(mbf_cli, project).exit_code == 0
    ledger = json.loads((project / ".mbf" / "ledger-jira.json").read_text())
    assert (
        ledger["entries"]["story:pay-db01"]["key"]
        == fake.issue_by_marker(id_label("story:pay-db01"))["key"]
    )
    result = push(mbf_cli, project)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Pushed to jira: 0 created, 0 updated, 9 unchanged")
    assert len(fake.issues) == 9


def test_a_token_in_mbf_toml_is_refused(mbf_cli, project, fake) -> None:
    (project / "mbf.toml").write_text(
        f'[services.jira]\nurl = "{fake.url}"\nproject = "MIG"\napi_token = "{fake.token}"\n'
    )
    result = push(mbf_cli, project)
    assert (result.exit_code, result.stderr) == (
        1,
        "Error: mbf.toml: services.jira.api_token looks like a secret; secrets are never read from "
        "mbf.toml. Set it in the environment instead (see `mbf push --help`).\n",
    )
    assert fake.requests == []


def test_a_refused_token_never_reaches_the_output(mbf_cli, project, fake, monkeypatch) -> None:
    monkeypatch.setenv("JIRA_API_TOKEN", fake.token + "-revoked")
    result = push(mbf_cli, project)
    assert result.exit_code == 1
    assert "the credentials were refused" in result.stderr
    assert fake.token not in result.output


def test_an_unmapped_assignee_is_a_warning(mbf_cli, project, fake) -> None:
    (project / "mbf.toml").write_text(f'[services.jira]\nurl = "{fake.url}"\nproject = "MIG"\n')
    result = push(mbf_cli, project)
    assert result.exit_code == 0
    assert result.stderr == (
        "Warning: jira: assignee 'Dana Lee <dana@contoso.com>' left unassigned; map it to a Jira "
        "account id in [services.jira] assignees\n"
    )
