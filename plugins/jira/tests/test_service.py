"""The ``jira`` service against the loopback fake, driven by the real ``jira`` package over HTTP:
create, update, no-op re-push, bulk chunks, per-item errors, links, sprints, versions, retries,
interrupted pushes and pull."""

from __future__ import annotations

import email.utils
import time
from pathlib import Path

import attrs
import pytest
from fake_jira import ID_FIELD, SPRINT_FIELD, START_FIELD, FakeJira

from mbf.domain import Backlog, Link, LinkKind, WorkItem, WorkItemKind
from mbf.errors import ConfigError
from mbf.plugin import Context
from mbf.sync import PushFailure, SyncLedger
from mbf_jira.mapping import id_label, id_of_labels


def ledger(tmp_path: Path) -> SyncLedger:
    return SyncLedger.load(tmp_path / "ledger-jira.json", "jira")


def marker(fake: FakeJira, item_id: str) -> dict:
    return fake.issue_by_marker(id_label(item_id))


def bulk_sizes(fake: FakeJira) -> list[int]:
    return [
        len(r.body["issueUpdates"])
        for r in fake.requests
        if (r.method, r.path) == ("POST", "/rest/api/2/issue/bulk")
    ]


# --- create -----------------------------------------------------------------------------------


def test_push_creates_every_item_once_with_its_parent(fake, make_tracker, sample_backlog, tmp_path):
    report = make_tracker(fake).push(sample_backlog, ledger(tmp_path))
    assert len(report.created) == 9
    assert len(fake.issues) == 9
    story = marker(fake, "story:pay-db01")
    assert story["fields"]["parent"]["key"] == marker(fake, "feature:payroll")["key"]
    task = marker(fake, "task:pay-db01/migrate")
    assert task["fields"]["issuetype"]["name"] == "Sub-task"
    assert task["fields"]["parent"]["key"] == story["key"]


def test_every_level_is_one_bulk_request_and_types_are_ids(
    fake, make_tracker, sample_backlog, tmp_path
):
    make_tracker(fake).push(sample_backlog, ledger(tmp_path))
    # Levels: 2 epics, 2 features, 2 stories, 3 sub-tasks.
    assert bulk_sizes(fake) == [2, 2, 2, 3]
    first = next(r for r in fake.requests if r.path == "/rest/api/2/issue/bulk")
    fields = first.body["issueUpdates"][0]["fields"]
    assert (fields["project"], fields["issuetype"]) == ({"id": "10000"}, {"id": "10100"})
    # Project and types resolved once; no per-item read-back (prefetch=False).
    assert fake.count("GET", "/rest/api/2/project/MIG") == 1
    assert [r.path for r in fake.requests if r.path.startswith("/rest/api/2/issue/1")] == []


def test_120_items_take_one_bulk_request_per_50_of_each_level(
    fake, make_tracker, make_wide_backlog, tmp_path
):
    backlog = make_wide_backlog(20, 5)  # 20 epics, then 100 stories
    report = make_tracker(fake).push(backlog, ledger(tmp_path))
    assert bulk_sizes(fake) == [20, 50, 50]
    assert (len(report.created), len(fake.issues)) == (120, 120)


def test_the_marker_label_gives_back_the_exact_id(fake, make_tracker, tmp_path):
    odd = 'story:Pay "DB" 01, 100%/x'
    backlog = Backlog(items=[WorkItem(id=odd, kind=WorkItemKind.STORY, title="Odd id")])
    make_tracker(fake).push(backlog, ledger(tmp_path))
    (issue,) = fake.issues.values()
    (label,) = issue["fields"]["labels"]
    assert label == "mbf-id-story:Pay%20%22DB%22%2001%2C%20100%25/x"
    assert id_of_labels([label]) == odd


def test_tags_become_labels_beside_the_marker(fake, make_tracker, sample_backlog, tmp_path):
    make_tracker(fake).push(sample_backlog, ledger(tmp_path))
    assert marker(fake, "epic:ams1")["fields"]["labels"] == [
        "datacenter",
        "ams1",
        "mbf-id-epic:ams1",
    ]


def test_the_id_field_receives_the_mbf_id_when_configured(
    fake, make_tracker, sample_backlog, tmp_path
):
    make_tracker(fake, id_field=ID_FIELD).push(sample_backlog, ledger(tmp_path))
    assert marker(fake, "epic:dub2")["fields"][ID_FIELD] == "epic:dub2"


def test_estimates_dates_and_priority_are_sent(fake, make_tracker, sample_backlog, tmp_path):
    make_tracker(fake).push(sample_backlog, ledger(tmp_path))
    fields = marker(fake, "task:pay-db01/migrate")["fields"]
    assert (fields["timeoriginalestimate"], fields["duedate"], fields[START_FIELD]) == (
        57600,
        "2027-01-08",
        "2027-01-06",
    )
    assert marker(fake, "epic:ams1")["fields"]["priority"] == {"name": "Highest"}


def test_unknown_issue_type_is_a_configuration_error(fake, make_tracker, sample_backlog, tmp_path):
    tracker = make_tracker(fake, issue_types={"feature": "Capability"})
    with pytest.raises(PushFailure) as failure:
        tracker.push(sample_backlog, ledger(tmp_path))
    assert "issue type 'Capability' (for feature items) is not in project MIG" in str(failure.value)
    assert "set [services.jira] issue_types.feature" in str(failure.value)


# --- per-item errors --------------------------------------------------------------------------


def test_refused_items_are_reported_and_the_rest_recorded(
    fake, make_tracker, sample_backlog, tmp_path
):
    fake.refuse_summaries = {"Migrate PAY-APP01"}
    book = ledger(tmp_path)
    report = make_tracker(fake).push(sample_backlog, book)
    assert report.failed == (
        ("story:pay-app01", "summary: Summary refused by a workflow validator."),
        ("task:pay-app01/migrate", "its parent story:pay-app01 is not in Jira"),
    )
    assert len(fake.issues) == 7
    assert sorted(book.entries) == sorted(
        i.id for i in sample_backlog.items if i.title != "Migrate PAY-APP01"
    )


def test_a_batch_jira_refuses_whole_reports_every_item(fake, make_tracker, tmp_path):
    fake.refuse_summaries = {"A", "B"}
    backlog = Backlog(
        items=[WorkItem(id=f"story:{t}", kind=WorkItemKind.STORY, title=t) for t in "AB"]
    )
    report = make_tracker(fake).push(backlog, ledger(tmp_path))
    assert [item_id for item_id, _ in report.failed] == ["story:A", "story:B"]
    assert fake.issues == {}


# --- no-op re-push and updates ----------------------------------------------------------------


def test_an_unchanged_repush_sends_no_request_at_all(fake, make_tracker, sample_backlog, tmp_path):
    make_tracker(fake).push(sample_backlog, ledger(tmp_path))
    before = len(fake.requests)
    report = make_tracker(fake).push(sample_backlog, ledger(tmp_path))
    assert (report.write_requests, len(report.unchanged)) == (0, 9)
    assert len(fake.requests) == before


def test_a_changed_item_is_one_edit(fake, make_tracker, sample_backlog, tmp_path):
    make_tracker(fake).push(sample_backlog, ledger(tmp_path))
    changed = [
        attrs.evolve(i, title="Exit Dublin 2") if i.id == "epic:dub2" else i
        for i in sample_backlog.items
    ]
    before = len(fake.requests)
    report = make_tracker(fake).push(attrs.evolve(sample_backlog, items=changed), ledger(tmp_path))
    key = marker(fake, "epic:dub2")["key"]
    assert report.updated == ("epic:dub2",)
    writes = [(r.method, r.path) for r in fake.requests[before:] if r.is_write]
    assert writes == [("PUT", f"/rest/api/2/issue/{key}")]
    assert fake.issues[key]["fields"]["summary"] == "Exit Dublin 2"
    assert fake.issues[key]["fields"]["labels"] == ["mbf-id-epic:dub2"]


def test_edits_can_skip_notifications(fake, make_tracker, sample_backlog, tmp_path):
    make_tracker(fake).push(sample_backlog, ledger(tmp_path))
    changed = [
        attrs.evolve(i, title="x") if i.id == "epic:dub2" else i for i in sample_backlog.items
    ]
    make_tracker(fake, notify_users=False).push(
        attrs.evolve(sample_backlog, items=changed), ledger(tmp_path)
    )
    (put,) = [r for r in fake.requests if r.method == "PUT"]
    assert put.query == {"notifyUsers": ["false"]}


def test_a_refused_edit_is_that_items_error_and_not_retried(
    fake, make_tracker, sample_backlog, tmp_path, sleeps
):
    make_tracker(fake).push(sample_backlog, ledger(tmp_path))
    fake.refuse_summaries = {"Refused"}
    changed = [
        attrs.evolve(i, title="Refused") if i.id in ("epic:dub2", "epic:ams1") else i
        for i in sample_backlog.items
    ]
    report = make_tracker(fake).push(attrs.evolve(sample_backlog, items=changed), ledger(tmp_path))
    key = marker(fake, "epic:dub2")["key"]
    assert report.failed[1] == (
        "epic:dub2",
        f"Jira: update {key} failed: HTTP 400 Summary refused by a workflow validator.",
    )
    assert sleeps == []


# --- links ------------------------------------------------------------------------------------


def test_dependencies_become_blocks_links_from_the_predecessor(
    fake, make_tracker, sample_backlog, tmp_path
):
    make_tracker(fake).push(sample_backlog, ledger(tmp_path))
    key = {i.id: marker(fake, i.id)["key"] for i in sample_backlog.items}
    links = sorted((k["type"], k["inward"], k["outward"]) for k in fake.links)
    assert links == sorted(
        [
            ("Blocks", key["task:pay-db01/remediate/1f0c2a3b"], key["task:pay-db01/migrate"]),
            ("Blocks", key["task:pay-app01/migrate"], key["task:pay-db01/migrate"]),
            ("Relates", key["story:pay-db01"], key["task:pay-app01/migrate"]),
            # Two depends-on links to the same item (FF and SF) are one Jira link.
            ("Blocks", key["feature:payroll"], key["feature:crm"]),
        ]
    )
    assert fake.count("POST", "/rest/api/2/issueLink") == 4
    assert fake.count("GET", "/rest/api/2/issueLinkType") == 0


def test_a_dropped_dependency_removes_its_link(fake, make_tracker, sample_backlog, tmp_path):
    make_tracker(fake).push(sample_backlog, ledger(tmp_path))
    changed = [
        attrs.evolve(i, links=i.links[:1]) if i.id == "task:pay-db01/migrate" else i
        for i in sample_backlog.items
    ]
    make_tracker(fake).push(attrs.evolve(sample_backlog, items=changed), ledger(tmp_path))
    assert len(fake.links) == 3
    assert sum(r.method == "DELETE" for r in fake.requests) == 1


def test_links_lost_to_a_failure_are_made_by_the_next_push(
    fake, make_tracker, sample_backlog, tmp_path
):
    for _ in range(6):
        fake.fail("POST", "/issueLink", 500)
    with pytest.raises(PushFailure):
        make_tracker(fake).push(sample_backlog, ledger(tmp_path))
    assert (len(fake.issues), len(fake.links)) == (9, 0)
    report = make_tracker(fake).push(sample_backlog, ledger(tmp_path))
    assert (len(report.created), len(report.updated)) == (0, 9)
    assert (len(fake.issues), len(fake.links)) == (9, 4)
    again = make_tracker(fake).push(sample_backlog, ledger(tmp_path))
    assert again.write_requests == 0


def test_a_link_to_a_refused_item_is_reported_not_dropped_silently(
    fake, make_tracker, sample_backlog, tmp_path
):
    fake.refuse_summaries = {"Migrate workload Payroll"}
    context = Context()
    make_tracker(fake, context).push(sample_backlog, ledger(tmp_path))
    assert "jira: link feature:crm -> feature:payroll not made: feature:payroll is not in Jira" in (
        context.diagnostics.warnings
    )


# --- sprints and versions ---------------------------------------------------------------------


def test_sprints_and_versions_are_created_once_and_items_added(
    fake, make_tracker, sample_backlog, tmp_path
):
    make_tracker(fake).push(sample_backlog, ledger(tmp_path))
    assert [(s["name"], s["originBoardId"]) for s in fake.sprints.values()] == [
        ("Sprint 1", 7),
        ("Sprint 2", 7),
    ]
    assert [v["name"] for v in fake.versions] == ["Release 1"]
    sprint1 = next(s["id"] for s in fake.sprints.values() if s["name"] == "Sprint 1")
    in_sprint1 = sorted(k for k, s in fake.sprint_of.items() if s == sprint1)
    assert in_sprint1 == sorted(
        marker(fake, i)["key"] for i in ("feature:payroll", "story:pay-db01", "story:pay-app01")
    )
    assert marker(fake, "story:pay-db01")["fields"]["fixVersions"][0]["name"] == "Release 1"


def test_a_repush_reuses_sprints_and_versions(fake, make_tracker, sample_backlog, tmp_path):
    make_tracker(fake).push(sample_backlog, ledger(tmp_path))
    moved = [
        attrs.evolve(i, iteration_id="sprint-2", title="Migrate PAY-DB01 again")
        if i.id == "story:pay-db01"
        else i
        for i in sample_backlog.items
    ]
    before = len(fake.requests)
    make_tracker(fake).push(attrs.evolve(sample_backlog, items=moved), ledger(tmp_path))
    writes = [(r.method, r.path) for r in fake.requests[before:] if r.is_write]
    sprint2 = next(s["id"] for s in fake.sprints.values() if s["name"] == "Sprint 2")
    key = marker(fake, "story:pay-db01")["key"]
    assert writes == [
        ("PUT", f"/rest/api/2/issue/{key}"),
        ("POST", f"/rest/agile/1.0/sprint/{sprint2}/issue"),
    ]
    assert (len(fake.sprints), len(fake.versions)) == (2, 1)


def test_a_fresh_ledger_finds_the_existing_sprints_and_versions(
    fake, make_tracker, sample_backlog, tmp_path
):
    make_tracker(fake).push(sample_backlog, ledger(tmp_path))
    make_tracker(fake).push(sample_backlog, SyncLedger(tmp_path / "other.json", "jira"))
    assert (len(fake.sprints), len(fake.versions)) == (2, 1)


def test_sprint_moves_go_50_issues_at_a_time(fake, make_tracker, make_wide_backlog, tmp_path):
    backlog = make_wide_backlog(1, 120, sprint_size=120)
    make_tracker(fake).push(backlog, ledger(tmp_path))
    moves = [
        len(r.body["issues"]) for r in fake.requests if r.path.startswith("/rest/agile/1.0/sprint/")
    ]
    assert moves == [50, 50, 20]


def test_an_iteration_set_aside_goes_back_to_the_backlog(
    fake, make_tracker, sample_backlog, tmp_path
):
    make_tracker(fake).push(sample_backlog, ledger(tmp_path))
    unplanned = [
        attrs.evolve(i, iteration_id=None) if i.id == "feature:crm" else i
        for i in sample_backlog.items
    ]
    make_tracker(fake).push(attrs.evolve(sample_backlog, items=unplanned), ledger(tmp_path))
    assert marker(fake, "feature:crm")["key"] not in fake.sprint_of
    assert fake.count("POST", "/rest/agile/1.0/backlog/issue") == 1


# --- retries ----------------------------------------------------------------------------------


def test_429_waits_the_retry_after_seconds(fake, make_tracker, sample_backlog, tmp_path, sleeps):
    fake.fail("POST", "/issue/bulk", 429, headers={"Retry-After": "7"})
    make_tracker(fake).push(sample_backlog, ledger(tmp_path))
    assert sleeps == [7.0]
    assert len(fake.issues) == 9


def test_429_with_an_http_date_waits_until_then(
    fake, make_tracker, sample_backlog, tmp_path, sleeps
):
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    fake.fail("POST", "/issue/bulk", 429, headers={"Retry-After": when})
    make_tracker(fake).push(sample_backlog, ledger(tmp_path))
    assert len(sleeps) == 1
    assert 25 <= sleeps[0] <= 30
    assert len(fake.issues) == 9


def test_503_and_500_are_retried(fake, make_tracker, sample_backlog, tmp_path, sleeps):
    fake.fail("POST", "/issue/bulk", 503, headers={"Retry-After": "2"})
    fake.fail("POST", "/issueLink", 500)
    make_tracker(fake).push(sample_backlog, ledger(tmp_path))
    assert sleeps[0] == 2.0
    assert len(sleeps) == 2
    assert (len(fake.issues), len(fake.links)) == (9, 4)


def test_a_lost_bulk_answer_is_adopted_not_created_again(
    fake, make_tracker, sample_backlog, tmp_path
):
    fake.fail("POST", "/issue/bulk", 0, apply_first=True)  # applied, then the connection drops
    report = make_tracker(fake).push(sample_backlog, ledger(tmp_path))
    assert len(report.created) == 9
    assert len(fake.issues) == 9
    assert bulk_sizes(fake) == [2, 2, 2, 3]


def test_a_connection_dropped_before_the_request_is_retried(
    fake, make_tracker, sample_backlog, tmp_path
):
    fake.fail("PUT", "/issue/", 0)
    make_tracker(fake).push(sample_backlog, ledger(tmp_path))
    changed = [
        attrs.evolve(i, title="x") if i.id == "epic:dub2" else i for i in sample_backlog.items
    ]
    make_tracker(fake).push(attrs.evolve(sample_backlog, items=changed), ledger(tmp_path))
    assert marker(fake, "epic:dub2")["fields"]["summary"] == "x"
    assert sum(r.method == "PUT" for r in fake.requests) == 2


def test_a_final_failure_says_what_was_and_was_not_pushed(
    fake, make_tracker, sample_backlog, tmp_path
):
    for _ in range(6):
        fake.fail("POST", "/issue/bulk", 500)
    with pytest.raises(PushFailure) as failure:
        make_tracker(fake).push(sample_backlog, ledger(tmp_path))
    assert str(failure.value).startswith(
        "push stopped: Jira: create 2 issue(s) failed: HTTP 500 injected 500. 0 item(s) were "
        "pushed and recorded; 9 were not (epic:ams1, feature:payroll, story:pay-db01, "
    )
    assert fake.issues == {}


def test_a_push_killed_after_a_batch_resumes_without_duplicates(
    fake, make_tracker, make_wide_backlog, tmp_path
):
    backlog = make_wide_backlog(2, 100)  # levels of 2 and 200: batches of 2, 50, 50, 50, 50
    fake.die_after_bulk = 2  # the third batch is applied, its answer lost, then Jira is gone
    with pytest.raises(PushFailure):
        make_tracker(fake).push(backlog, ledger(tmp_path))
    assert len(fake.issues) == 102
    assert len(ledger(tmp_path).entries) == 52
    assert len(ledger(tmp_path).pending) == 50
    fake.revive()
    report = make_tracker(fake).push(backlog, ledger(tmp_path))
    assert len(fake.issues) == 202
    labels = [label for i in fake.issues.values() for label in i["fields"]["labels"]]
    assert len(set(labels)) == 202
    assert (len(report.created), len(report.updated)) == (100, 50)


# --- auth and secrets -------------------------------------------------------------------------


def test_a_refused_token_is_never_in_the_message(
    fake, make_tracker, sample_backlog, tmp_path, monkeypatch
):
    monkeypatch.setenv("JIRA_API_TOKEN", "wrong-" + fake.token)
    with pytest.raises(PushFailure) as failure:
        make_tracker(fake).push(sample_backlog, ledger(tmp_path))
    message = str(failure.value)
    assert "the credentials were refused" in message
    assert fake.token not in message


def test_no_credentials_names_the_variables(
    fake, make_tracker, sample_backlog, tmp_path, monkeypatch
):
    monkeypatch.delenv("JIRA_API_TOKEN")
    with pytest.raises(PushFailure) as failure:
        make_tracker(fake).push(sample_backlog, ledger(tmp_path))
    assert "jira: set JIRA_API_TOKEN or JIRA_PAT in the environment (never in mbf.toml)" in str(
        failure.value
    )


def test_cloud_sends_basic_auth_and_never_the_old_search(
    fake, make_tracker, sample_backlog, tmp_path
):
    tracker = make_tracker(fake)
    tracker.push(sample_backlog, ledger(tmp_path))
    tracker.pull()
    assert {r.authorization.split()[0] for r in fake.requests} == {"Basic"}
    assert fake.count("GET", "/rest/api/2/search") == 0
    assert fake.count("GET", "/rest/api/2/search/jql") >= 1


# --- Data Center ------------------------------------------------------------------------------


def test_data_center_uses_the_bearer_token_and_search(
    fake_server, make_tracker, sample_backlog, tmp_path
):
    tracker = make_tracker(fake_server)
    tracker.push(sample_backlog, ledger(tmp_path))
    pulled = tracker.pull()
    assert {r.authorization for r in fake_server.requests} == {f"Bearer {fake_server.token}"}
    assert fake_server.count("GET", "/rest/api/2/search/jql") == 0
    assert fake_server.count("GET", "/rest/api/2/search") >= 1
    assert sorted(i.id for i in pulled.items) == sorted(i.id for i in sample_backlog.items)


def test_data_center_puts_stories_under_epics_by_epic_link(
    fake_server, make_tracker, make_wide_backlog, tmp_path
):
    make_tracker(fake_server).push(make_wide_backlog(1, 1), ledger(tmp_path))
    story = fake_server.issue_by_marker(id_label("story:e0/s0"))
    epic = fake_server.issue_by_marker(id_label("epic:e0"))
    assert story["fields"]["customfield_10014"] == epic["key"]
    assert "parent" not in story["fields"]


def test_data_center_resumes_an_interrupted_push(
    fake_server, make_tracker, make_wide_backlog, tmp_path
):
    backlog = make_wide_backlog(1, 60)
    fake_server.die_after_bulk = 1
    with pytest.raises(PushFailure):
        make_tracker(fake_server).push(backlog, ledger(tmp_path))
    fake_server.revive()
    make_tracker(fake_server).push(backlog, ledger(tmp_path))
    assert len(fake_server.issues) == 61


# --- pull -------------------------------------------------------------------------------------


def test_pull_gives_back_what_was_pushed(fake, make_tracker, sample_backlog, tmp_path):
    tracker = make_tracker(fake)
    tracker.push(sample_backlog, ledger(tmp_path))
    pulled = {i.id: i for i in tracker.pull().items}
    task = pulled["task:pay-db01/migrate"]
    assert (task.kind, task.parent_id, task.estimate, task.start, task.finish) == (
        WorkItemKind.TASK,
        "story:pay-db01",
        16.0,
        sample_backlog.items[4].start,
        sample_backlog.items[4].finish,
    )
    assert {(k.target_id, k.kind) for k in task.links} == {
        ("task:pay-db01/remediate/1f0c2a3b", LinkKind.DEPENDS_ON),
        ("task:pay-app01/migrate", LinkKind.DEPENDS_ON),
    }
    feature = pulled["feature:payroll"]
    assert (feature.iteration_id, feature.release_id, feature.priority, feature.tags) == (
        "sprint-1",
        "release-1",
        2,
        ("rehost",),
    )
    assert feature.refs["jira"].url == f"{fake.url}/browse/{marker(fake, 'feature:payroll')['key']}"


def test_pull_brings_back_remote_edits(fake, make_tracker, sample_backlog, tmp_path):
    tracker = make_tracker(fake)
    tracker.push(sample_backlog, ledger(tmp_path))
    key = marker(fake, "story:pay-app01")["key"]
    fake.edit(key, status="In Progress", assignee={"accountId": "5b10ac8d82e05b22cc7d4ef5"})
    pulled = {
        i.id: i
        for i in make_tracker(
            fake, assignees={"Dana Lee <dana@contoso.com>": "5b10ac8d82e05b22cc7d4ef5"}
        )
        .pull()
        .items
    }
    story = pulled["story:pay-app01"]
    assert (story.state, story.state_category.value, story.assignee) == (
        "In Progress",
        "in_progress",
        "Dana Lee <dana@contoso.com>",
    )


def test_pull_reads_issues_made_in_jira_with_jira_ids(fake, make_tracker, sample_backlog, tmp_path):
    tracker = make_tracker(fake)
    tracker.push(Backlog(items=sample_backlog.items[:1]), ledger(tmp_path))
    fake.issues["MIG-99"] = {
        "id": "19999",
        "key": "MIG-99",
        "fields": {
            "summary": "Made by hand",
            "labels": ["mbf:story:legacy"],
            "issuetype": {"name": "Bug"},
        },
    }
    fake.issues["MIG-98"] = {
        "id": "19998",
        "key": "MIG-98",
        "fields": {"summary": "Plain", "issuetype": {"name": "Task"}},
    }
    pulled = {i.id: i for i in tracker.pull().items}
    assert sorted(pulled) == ["epic:ams1", "jira:MIG-98", "story:legacy"]
    assert pulled["jira:MIG-98"].kind == WorkItemKind.STORY


def test_pull_lists_the_sprints_and_versions(fake, make_tracker, sample_backlog, tmp_path):
    tracker = make_tracker(fake)
    tracker.push(sample_backlog, ledger(tmp_path))
    pulled = tracker.pull()
    assert [(i.id, i.name, i.start) for i in pulled.iterations] == [
        (i.id, i.name, i.start) for i in sample_backlog.iterations
    ]
    assert [(r.id, r.name, r.date) for r in pulled.releases] == [
        ("release-1", "Release 1", sample_backlog.releases[0].date)
    ]


def test_pull_pages_through_many_issues(fake, make_tracker, make_wide_backlog, tmp_path):
    tracker = make_tracker(fake)
    tracker.push(make_wide_backlog(1, 249), ledger(tmp_path))
    before = fake.count("GET", "/rest/api/2/search/jql")
    assert len(tracker.pull().items) == 250
    assert fake.count("GET", "/rest/api/2/search/jql") - before == 3


def test_a_sprint_id_unlike_its_name_travels_in_the_goal(
    fake, make_tracker, sample_backlog, tmp_path
):
    iterations = [attrs.evolve(i, id=f"it-{n}") for n, i in enumerate(sample_backlog.iterations)]
    items = [
        attrs.evolve(
            i, iteration_id={"sprint-1": "it-0", "sprint-2": "it-1"}.get(i.iteration_id or "")
        )
        for i in sample_backlog.items
    ]
    backlog = attrs.evolve(sample_backlog, items=items, iterations=iterations)
    tracker = make_tracker(fake)
    tracker.push(backlog, ledger(tmp_path))
    assert [s.get("goal") for s in fake.sprints.values()] == ["mbf:it-0", "mbf:it-1"]
    pulled = {i.id: i for i in tracker.pull().items}
    assert pulled["feature:crm"].iteration_id == "it-1"


def test_sub_tasks_follow_their_parents_sprint(fake, make_tracker, sample_backlog, tmp_path):
    tracker = make_tracker(fake)
    tracker.push(sample_backlog, ledger(tmp_path))
    sub_task_keys = {marker(fake, "task:pay-db01/migrate")["key"]}
    assert not sub_task_keys & set(fake.sprint_of)
    pulled = {i.id: i for i in tracker.pull().items}
    assert pulled["task:pay-db01/migrate"].iteration_id == "sprint-1"
    assert fake.issues[next(iter(sub_task_keys))]["fields"].get(SPRINT_FIELD) is None


def test_no_scrum_board_is_a_configuration_error_naming_the_setting(
    fake, make_tracker, sample_backlog, tmp_path
):
    fake.boards = []
    with pytest.raises(PushFailure) as failure:
        make_tracker(fake).push(sample_backlog, ledger(tmp_path))
    assert "project MIG has no Scrum board for sprints; set [services.jira] board" in str(
        failure.value
    )
    assert isinstance(failure.value.__cause__, ConfigError)


def test_links_pulled_include_relates(fake, make_tracker, sample_backlog, tmp_path):
    tracker = make_tracker(fake)
    tracker.push(sample_backlog, ledger(tmp_path))
    pulled = {i.id: i for i in tracker.pull().items}
    assert pulled["task:pay-app01/migrate"].links == (
        Link(target_id="story:pay-db01", kind=LinkKind.RELATES_TO),
    )
