"""Pulling work items back from Azure Boards (WIQL ids, then workitemsbatch reads)."""

from __future__ import annotations

import datetime as dt

import attrs

from mbf.domain import (
    Backlog,
    Iteration,
    Link,
    LinkKind,
    StateCategory,
    TrackerRef,
    WorkItem,
    WorkItemKind,
)

from .fake_ado import FakeAzureDevOps


def by_id(backlog: Backlog) -> dict[str, WorkItem]:
    return {item.id: item for item in backlog.items}


def test_pull_gives_back_the_pushed_items_under_their_mbf_ids(
    connect, fake, ledger, sample_backlog
) -> None:
    client = connect()
    client.push(sample_backlog, ledger)
    pulled = by_id(client.pull())
    assert sorted(pulled) == sorted(i.id for i in sample_backlog.items)
    key = str(fake.marked()["feature:payroll"])
    assert pulled["feature:payroll"] == WorkItem(
        id="feature:payroll",
        kind=WorkItemKind.FEATURE,
        title="Migrate workload Payroll",
        parent_id="epic:ams1",
        state="Active",
        state_category=StateCategory.IN_PROGRESS,
        assignee="Dana Lee <dana@contoso.com>",
        priority=2,
        tags=("rehost",),
        iteration_id="sprint-1",
        start=dt.date(2027, 1, 4),
        finish=dt.date(2027, 1, 15),
        refs={
            "azure-devops": TrackerRef(
                # Created, then two children and a dependency linked to it: revision 4.
                key=key,
                url=f"{fake.organization_url}/Contoso/_workitems/edit/{key}",
                version="4",
            )
        },
    )


def test_pull_keeps_descriptions_estimates_and_dependencies(
    connect, fake, ledger, sample_backlog
) -> None:
    client = connect()
    client.push(sample_backlog, ledger)
    pulled = by_id(client.pull())
    assert pulled["epic:ams1"].description == sample_backlog.items[0].description
    migrate = pulled["task:pay-db01/migrate"]
    assert (migrate.estimate, migrate.start, migrate.finish) == (
        16.0,
        dt.date(2027, 1, 6),
        dt.date(2027, 1, 8),
    )
    assert set(migrate.links) == {
        Link(target_id="task:pay-db01/remediate/1f0c2a3b"),
        Link(target_id="task:pay-app01/migrate"),
    }
    assert pulled["feature:crm"].links == (Link(target_id="feature:payroll"),)
    assert pulled["story:pay-db01"].links == (
        Link(target_id="task:pay-app01/migrate", kind=LinkKind.RELATES_TO),
    )


def test_pull_returns_the_sprints_with_their_dates(connect, fake, ledger, sample_backlog) -> None:
    client = connect()
    client.push(sample_backlog, ledger)
    assert client.pull().iterations == (
        Iteration(
            id="sprint-1",
            name="Sprint 1",
            path="Contoso\\Sprint 1",
            start=dt.date(2027, 1, 4),
            finish=dt.date(2027, 1, 15),
        ),
        Iteration(
            id="sprint-2",
            name="Sprint 2",
            path="Contoso\\Sprint 2",
            start=dt.date(2027, 1, 18),
            finish=dt.date(2027, 1, 29),
        ),
    )


def test_pull_sees_edits_made_in_boards(connect, fake, ledger, sample_backlog) -> None:
    client = connect()
    client.push(sample_backlog, ledger)
    key = fake.marked()["story:pay-app01"]
    fake.edit(key, **{"System.State": "Resolved", "System.Tags": "mbf:story:pay-app01; blocked"})
    pulled = by_id(client.pull())["story:pay-app01"]
    assert (pulled.state, pulled.state_category, pulled.tags) == (
        "Resolved",
        StateCategory.IN_PROGRESS,
        ("blocked",),
    )
    assert pulled.refs["azure-devops"].version == "3"


def test_an_item_made_in_boards_gets_an_ado_id(connect, fake, ledger, sample_backlog) -> None:
    client = connect()
    client.push(sample_backlog, ledger)
    parent = fake.marked()["feature:payroll"]
    made = fake.create_item(
        "User Story",
        [
            {"op": "add", "path": "/fields/System.Title", "value": "Backup fails"},
            {"op": "add", "path": "/fields/System.AreaPath", "value": "Contoso\\Waves"},
            {
                "op": "add",
                "path": "/relations/-",
                "value": {
                    "rel": "System.LinkTypes.Hierarchy-Reverse",
                    "url": fake.item_url(parent),
                },
            },
        ],
    )
    pulled = by_id(client.pull())
    story = pulled[f"ado:{made['id']}"]
    assert (story.kind, story.title, story.parent_id) == (
        WorkItemKind.STORY,
        "Backup fails",
        "feature:payroll",
    )


def test_pull_reads_only_the_configured_types_and_area(connect, fake, ledger, settings) -> None:
    for title, area in (("in waves", "Contoso\\Waves"), ("elsewhere", "Contoso")):
        fake.create_item(
            "Task",
            [
                {"op": "add", "path": "/fields/System.Title", "value": title},
                {"op": "add", "path": "/fields/System.AreaPath", "value": area},
            ],
        )
    fake.create_item("Bug", [{"op": "add", "path": "/fields/System.Title", "value": "a bug"}])
    titles = [i.title for i in connect().pull().items]
    assert titles == ["in waves"]


def test_pull_reads_200_ids_per_request_and_pages_wiql(connect, fake, ledger, settings) -> None:
    for n in range(450):
        fake.create_item(
            "Task",
            [
                {"op": "add", "path": "/fields/System.Title", "value": f"Task {n}"},
                {"op": "add", "path": "/fields/System.AreaPath", "value": "Contoso\\Waves"},
            ],
        )
    pulled = connect(wiql_page=200).pull()
    assert len(pulled.items) == 450
    reads = [len(r.body["ids"]) for r in fake.requests if r.path.endswith("/workitemsbatch")]
    assert reads == [200, 200, 50]
    queries = [r.body["query"] for r in fake.requests if r.path.endswith("/wiql")]
    assert [q.split("[System.Id] > ")[1].split(" ")[0] for q in queries] == ["0", "200", "400"]


def test_a_custom_state_is_read_as_to_do_with_a_warning(connect, fake, context, settings) -> None:
    custom = FakeAzureDevOps(
        project="Contoso",
        team="Contoso Team",
        pat=fake.pat,
        types={"Task": [("New", "Proposed"), ("Blocked", "InProgress")]},
    ).start()
    try:
        custom.create_item(
            "Task",
            [
                {"op": "add", "path": "/fields/System.Title", "value": "stuck"},
                {"op": "add", "path": "/fields/System.State", "value": "Blocked"},
                {"op": "add", "path": "/fields/System.AreaPath", "value": "Contoso\\Waves"},
            ],
        )
        pulled = connect(attrs.evolve(settings, organization_url=custom.organization_url)).pull()
    finally:
        custom.stop()
    assert [(i.state, i.state_category) for i in pulled.items] == [("Blocked", StateCategory.TODO)]
    assert context.diagnostics.warnings == [
        "azure-devops: state 'Blocked' (1 item(s)) is not a known Boards state; read as to do"
    ]


def test_find_marked_recovers_exact_ids_by_tag_or_field(
    connect, fake, ledger, settings, sample_backlog
) -> None:
    connect(attrs.evolve(settings, id_field="Custom.MbfId")).push(sample_backlog, ledger)
    wanted = ["story:pay-db01", "task:pay-db01/migrate", "story:never-pushed"]
    marked = fake.marked()
    by_tag = connect().find_marked(wanted)
    by_field = connect(attrs.evolve(settings, id_field="Custom.MbfId")).find_marked(wanted)
    expected = {
        item_id: (
            str(marked[item_id]),
            f"{fake.organization_url}/Contoso/_workitems/edit/{marked[item_id]}",
        )
        for item_id in wanted[:2]
    }
    assert by_tag == by_field == expected
    queries = [r.body["query"] for r in fake.requests if r.path.endswith("/wiql")]
    assert "[System.Tags] CONTAINS 'mbf:story:pay-db01' OR" in queries[0]
    assert (
        "[Custom.MbfId] IN ('story:never-pushed', 'story:pay-db01', 'task:pay-db01/migrate')"
        in queries[1]
    )
