"""Throttling, server errors, dropped connections and interrupted pushes against the fake."""

from __future__ import annotations

import email.utils
import json
import time

import pytest

from mbf.errors import ConfigError, MbfError
from mbf.sync import PushFailure, SyncLedger

from .fake_ado import FakeAzureDevOps


def error_body(message: str) -> dict[str, str]:
    return {"message": message}


def test_429_is_retried_after_its_retry_after_seconds(
    connect, fake, ledger, sample_backlog, sleeps
) -> None:
    fake.inject = [
        (
            429,
            {
                "Retry-After": "7",
                "X-RateLimit-Resource": "WorkItemTracking",
                "X-RateLimit-Delay": "7.5",
            },
            error_body(
                "TF400733: The request has been canceled: Request was blocked due to exceeding usage of resource 'WorkItemTracking'"
            ),
        ),
    ]
    report = connect().push(sample_backlog, ledger)
    assert len(report.created) == 9
    assert sleeps == [7.0]
    # The refused request was sent again: one request more than a clean push.
    assert len(fake.requests) == 16


def test_429_with_an_http_date_waits_until_that_date(
    connect, fake, ledger, sample_backlog, sleeps
) -> None:
    when = email.utils.formatdate(time.time() + 45, usegmt=True)
    fake.inject = [(429, {"Retry-After": when}, error_body("TF400733: blocked"))]
    connect().push(sample_backlog, ledger)
    assert len(sleeps) == 1
    assert 40 < sleeps[0] <= 45


def test_503_with_retry_after_is_retried(connect, fake, ledger, sample_backlog, sleeps) -> None:
    fake.inject = [(503, {"Retry-After": "2"}, error_body("Service Unavailable"))]
    report = connect().push(sample_backlog, ledger)
    assert (len(report.created), sleeps) == (9, [2.0])


def test_other_5xx_are_retried_with_growing_backoff(
    connect, fake, ledger, sample_backlog, sleeps
) -> None:
    fake.inject = [
        (500, {}, error_body("VS402375: internal error")),
        (502, {}, None),
        (500, {}, error_body("VS402375: internal error")),
    ]
    report = connect().push(sample_backlog, ledger)
    assert len(report.created) == 9
    assert len(sleeps) == 3
    # Exponential backoff from 0.5 s with jitter in [50 %, 100 %].
    assert 0.25 <= sleeps[0] <= 0.5
    assert 0.5 <= sleeps[1] <= 1.0
    assert 1.0 <= sleeps[2] <= 2.0


def test_a_200_with_retry_after_slows_the_next_request_down(
    connect, fake, ledger, sample_backlog, sleeps
) -> None:
    fake.retry_after_on_success = "3"
    report = connect().push(sample_backlog, ledger)
    assert (len(report.created), sleeps) == (9, [3.0])
    # A hint, not a failure: nothing was sent twice.
    assert len(fake.requests) == 15


def test_a_dropped_connection_before_the_server_acted_is_retried(
    connect, fake, ledger, sample_backlog, sleeps
) -> None:
    fake.drop_next = 1
    report = connect().push(sample_backlog, ledger)
    assert (len(report.created), len(fake.items)) == (9, 9)
    assert len(sleeps) == 1


def test_a_lost_answer_to_a_create_batch_creates_nothing_twice(
    connect, fake, ledger, sample_backlog, sleeps
) -> None:
    fake.lose_batch_answers = 1  # the epics are created, the answer never arrives
    report = connect().push(sample_backlog, ledger)
    assert len(report.created) == 9
    assert len(fake.items) == 9
    assert sorted(fake.marked()) == sorted(i.id for i in sample_backlog.items)
    # The retry looked the epics up by their marker instead of creating them again.
    batches = [r for r in fake.requests if r.path.endswith("$batch")]
    assert [len(r.body) for r in batches] == [2, 2, 2, 3, 3]
    assert fake.count("POST", "/wiql") == 1
    entries = SyncLedger.load(ledger.path, "azure-devops").entries
    assert entries["epic:ams1"].key == str(fake.marked()["epic:ams1"])


def test_a_push_interrupted_after_two_batches_resumes_without_duplicates(
    connect, fake, ledger, sample_backlog
) -> None:
    fake.die_after_batches = 2  # the third batch (the stories) is applied, then the line dies
    with pytest.raises(PushFailure) as failure:
        connect().push(sample_backlog, ledger)
    message = str(failure.value)
    assert message.startswith("push stopped: Azure DevOps at ")
    assert message.endswith(
        "4 item(s) were pushed and recorded; 5 were not (story:pay-db01, "
        "task:pay-db01/remediate/1f0c2a3b, task:pay-db01/migrate, story:pay-app01, "
        "task:pay-app01/migrate). Run the same push again to finish: nothing is created twice."
    )
    interrupted = SyncLedger.load(ledger.path, "azure-devops")
    assert sorted(interrupted.pending) == ["story:pay-app01", "story:pay-db01"]
    assert len(fake.items) == 6  # the stories exist, unrecorded

    fake.revive()
    report = connect().push(sample_backlog, interrupted)
    assert sorted(report.created) == sorted(
        ["task:pay-db01/remediate/1f0c2a3b", "task:pay-db01/migrate", "task:pay-app01/migrate"]
    )
    assert len(fake.items) == 9
    assert sorted(fake.marked()) == sorted(i.id for i in sample_backlog.items)
    done = SyncLedger.load(ledger.path, "azure-devops")
    assert (len(done.entries), done.pending) == (9, set())
    # The stories found by marker became the tasks' parents.
    marked = fake.marked()
    parent = [
        r["url"]
        for r in fake.items[marked["task:pay-app01/migrate"]]["relations"]
        if r["rel"] == "System.LinkTypes.Hierarchy-Reverse"
    ]
    assert parent == [fake.item_url(marked["story:pay-app01"])]


def test_after_resuming_a_third_push_sends_nothing(connect, fake, ledger, sample_backlog) -> None:
    fake.die_after_batches = 1
    with pytest.raises(PushFailure):
        connect().push(sample_backlog, ledger)
    fake.revive()
    connect().push(sample_backlog, SyncLedger.load(ledger.path, "azure-devops"))
    before = len(fake.requests)
    report = connect().push(sample_backlog, SyncLedger.load(ledger.path, "azure-devops"))
    assert (report.write_requests, len(fake.requests) - before) == (0, 0)


def test_a_server_that_stays_down_fails_with_what_was_pushed(
    connect, fake, ledger, sample_backlog, sleeps
) -> None:
    fake.inject = [(503, {}, error_body("down"))] * 6
    with pytest.raises(PushFailure) as failure:
        connect().push(sample_backlog, ledger)
    assert str(failure.value) == (
        "push stopped: Azure DevOps answered 503 to GET "
        "Contoso/_apis/wit/classificationnodes/Iterations: down. 0 item(s) were pushed and "
        "recorded; 9 were not (epic:ams1, feature:payroll, story:pay-db01, "
        "task:pay-db01/remediate/1f0c2a3b, task:pay-db01/migrate, story:pay-app01, "
        "task:pay-app01/migrate, feature:crm, epic:dub2). Run the same push again to finish: "
        "nothing is created twice."
    )
    assert len(sleeps) == 5


def test_a_wrong_pat_is_refused_without_showing_it(
    connect, fake, ledger, sample_backlog, context
) -> None:
    from mbf_azure_devops.service import AzureDevOpsClient

    client = AzureDevOpsClient(connect().settings, context, "wrong-pat-0123456789")
    try:
        with pytest.raises(MbfError) as failure:
            client.push(sample_backlog, ledger)
    finally:
        client.close()
    assert "refused the personal access token (HTTP 401)" in str(failure.value)
    assert "wrong-pat-0123456789" not in str(failure.value)


def test_the_pat_goes_only_into_the_basic_auth_header(
    connect, fake, ledger, sample_backlog
) -> None:
    connect().push(sample_backlog, ledger)
    assert {r.headers["authorization"] for r in fake.requests} == {"Basic OmZha2UtcGF0LTNmOWMxZTdh"}
    for recorded in fake.requests:
        assert fake.pat not in recorded.path + json.dumps(recorded.body) + json.dumps(
            recorded.query
        )
    ledger_files = [p.read_text() for p in ledger.path.parent.iterdir()]
    assert ledger_files
    assert all(fake.pat not in text for text in ledger_files)


def test_a_missing_pat_names_the_variable(monkeypatch, settings, context) -> None:
    from mbf_azure_devops.service import connect as connect_service

    monkeypatch.delenv("AZURE_DEVOPS_EXT_PAT")
    with pytest.raises(ConfigError) as failure:
        connect_service(settings, context)
    assert str(failure.value) == (
        "azure-devops: set AZURE_DEVOPS_EXT_PAT in the environment (never in mbf.toml)"
    )


def test_reads_over_200_ids_are_refused_by_the_fake(fake) -> None:
    """The limit the client's chunking honours is enforced (VS403474)."""
    import base64

    import httpx

    auth = "Basic " + base64.b64encode(f":{fake.pat}".encode()).decode()
    response = httpx.post(
        f"{fake.organization_url}/Contoso/_apis/wit/workitemsbatch?api-version=7.1",
        json={"ids": list(range(1, 202))},
        headers={"Authorization": auth},
    )
    assert response.status_code == 400
    assert response.json()["message"] == (
        "VS403474: You requested 201 work items which exceeds the limit of 200"
    )


def test_unknown_relation_names_are_refused_by_the_fake(fake: FakeAzureDevOps) -> None:
    import base64

    import httpx

    auth = "Basic " + base64.b64encode(f":{fake.pat}".encode()).decode()
    url = f"{fake.organization_url}/Contoso/_apis/wit/workitems/$Task?api-version=7.1"
    headers = {"Authorization": auth, "Content-Type": "application/json-patch+json"}
    first = httpx.post(
        url,
        content=json.dumps([{"op": "add", "path": "/fields/System.Title", "value": "A"}]),
        headers=headers,
    )
    assert first.status_code == 200
    second = httpx.post(
        url,
        content=json.dumps(
            [
                {"op": "add", "path": "/fields/System.Title", "value": "B"},
                {
                    "op": "add",
                    "path": "/relations/-",
                    "value": {"rel": "Parent", "url": fake.item_url(1)},
                },
            ]
        ),
        headers=headers,
    )
    assert (second.status_code, second.json()["message"]) == (
        400,
        "TF201063: The link type name 'Parent' is not recognized.",
    )


def test_lost_answers_to_iteration_and_team_posts_create_each_sprint_once(
    connect, fake, ledger, sample_backlog
) -> None:
    fake.lose_answer_to = [
        "POST /contoso/Contoso/_apis/wit/classificationnodes/Iterations",
        "POST /contoso/Contoso/Contoso Team/_apis/work/teamsettings/iterations",
    ]
    report = connect().push(sample_backlog, ledger)
    assert (len(report.created), report.failed) == (9, ())
    assert [n.name for n in fake.iterations.children] == ["Sprint 1", "Sprint 2"]
    assert fake.team_iterations == [n.identifier for n in fake.iterations.children]
    # The retried node POST met 409 (name in use) and read the node instead.
    assert fake.count("GET", "/classificationnodes/Iterations/Sprint 1") == 1


def _auth(fake: FakeAzureDevOps) -> dict[str, str]:
    import base64

    return {"Authorization": "Basic " + base64.b64encode(f":{fake.pat}".encode()).decode()}


def test_a_batch_over_200_is_refused_by_the_fake(fake: FakeAzureDevOps) -> None:
    import httpx

    sub = {
        "method": "PATCH",
        "uri": "/Contoso/_apis/wit/workitems/$Task?api-version=7.1",
        "headers": {"Content-Type": "application/json-patch+json"},
        "body": [{"op": "add", "path": "/fields/System.Title", "value": "x"}],
    }
    response = httpx.patch(
        f"{fake.organization_url}/_apis/wit/$batch?api-version=7.1",
        json=[sub] * 201,
        headers=_auth(fake),
    )
    assert (response.status_code, fake.items) == (400, {})


def test_a_request_without_api_version_is_refused_by_the_fake(fake: FakeAzureDevOps) -> None:
    import httpx

    response = httpx.get(
        f"{fake.organization_url}/Contoso/_apis/wit/classificationnodes/Iterations",
        headers=_auth(fake),
    )
    assert response.status_code == 400
    assert response.json()["message"].startswith("VS800006")


def test_a_work_item_post_that_is_not_json_patch_is_refused_by_the_fake(
    fake: FakeAzureDevOps,
) -> None:
    import httpx

    response = httpx.post(
        f"{fake.organization_url}/Contoso/_apis/wit/workitems/$Task?api-version=7.1",
        json=[{"op": "add", "path": "/fields/System.Title", "value": "x"}],
        headers=_auth(fake),
    )
    assert (response.status_code, fake.items) == (415, {})
