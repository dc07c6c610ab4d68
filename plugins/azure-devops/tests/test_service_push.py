"""Pushing to Azure Boards through the real httpx client and the loopback fake."""

from __future__ import annotations

import datetime as dt

import attrs

from mbf.domain import Backlog, Link, StateCategory, WorkItem, WorkItemKind
from mbf.sync import SyncLedger

from .fake_ado import FakeAzureDevOps

PARENT = "System.LinkTypes.Hierarchy-Reverse"
PREDECESSOR = "System.LinkTypes.Dependency-Reverse"
SUCCESSOR = "System.LinkTypes.Dependency-Forward"


def relations(fake: FakeAzureDevOps, item_id: int, rel: str) -> list[int]:
    return sorted(
        int(r["url"].rsplit("/", 1)[-1])
        for r in fake.items[item_id]["relations"]
        if r["rel"] == rel
    )


def flat_tasks(count: int) -> Backlog:
    return Backlog(
        items=[
            WorkItem(id=f"task:t{n:05}", kind=WorkItemKind.TASK, title=f"Task {n}")
            for n in range(count)
        ]
    )


def test_push_creates_every_item_with_its_marker_type_and_fields(
    connect, fake, ledger, sample_backlog
) -> None:
    report = connect().push(sample_backlog, ledger)
    assert (len(report.created), report.failed) == (9, ())
    marked = fake.marked()
    assert sorted(marked) == sorted(i.id for i in sample_backlog.items)
    payroll = fake.items[marked["feature:payroll"]]["fields"]
    assert payroll["System.WorkItemType"] == "Feature"
    assert payroll["System.Title"] == "Migrate workload Payroll"
    assert payroll["System.State"] == "Active"
    assert payroll["System.AssignedTo"]["uniqueName"] == "dana@contoso.com"
    assert payroll["System.Tags"] == "rehost; mbf:feature:payroll"
    assert payroll["System.AreaPath"] == "Contoso\\Waves"
    assert payroll["System.IterationPath"] == "Contoso\\Sprint 1"
    assert payroll["Microsoft.VSTS.Common.Priority"] == 2
    assert payroll["Microsoft.VSTS.Scheduling.StartDate"] == "2027-01-04T00:00:00Z"
    epic = fake.items[marked["epic:ams1"]]["fields"]
    assert epic["System.Description"] == (
        "<p>Empty AMS1 before its lease ends on 2027-09-30.</p><p>Outcome: exit AMS1.</p>"
    )


def test_the_ledger_records_each_key_and_browser_url(connect, fake, ledger, sample_backlog) -> None:
    connect().push(sample_backlog, ledger)
    key = str(fake.marked()["story:pay-db01"])
    reloaded = SyncLedger.load(ledger.path, "azure-devops")
    assert reloaded.entries["story:pay-db01"].key == key
    assert (
        reloaded.entries["story:pay-db01"].url
        == f"{fake.organization_url}/Contoso/_workitems/edit/{key}"
    )


def test_children_point_at_their_parent_with_hierarchy_reverse(
    connect, fake, ledger, sample_backlog
) -> None:
    connect().push(sample_backlog, ledger)
    marked = fake.marked()
    for item in sample_backlog.items:
        expected = [marked[item.parent_id]] if item.parent_id else []
        assert relations(fake, marked[item.id], PARENT) == expected, item.id


def test_parents_are_created_in_an_earlier_batch_than_their_children(
    connect, fake, ledger, sample_backlog
) -> None:
    connect().push(sample_backlog, ledger)
    create_batches = [
        [sub["uri"].split("$", 1)[1].split("?")[0] for sub in r.body]
        for r in fake.requests
        if r.path.endswith("$batch")
        and r.body[0]["uri"].split("?")[0].rsplit("/", 1)[1].startswith("$")
    ]
    assert create_batches == [
        ["Epic", "Epic"],
        ["Feature", "Feature"],
        ["User%20Story", "User%20Story"],
        ["Task", "Task", "Task"],
    ]


def test_dependencies_become_predecessor_links_in_a_second_pass(
    connect, fake, ledger, sample_backlog
) -> None:
    connect().push(sample_backlog, ledger)
    marked = fake.marked()
    migrate_db = marked["task:pay-db01/migrate"]
    assert relations(fake, migrate_db, PREDECESSOR) == sorted(
        [marked["task:pay-db01/remediate/1f0c2a3b"], marked["task:pay-app01/migrate"]]
    )
    # Boards keeps the inverse on the predecessor.
    assert relations(fake, marked["task:pay-app01/migrate"], SUCCESSOR) == [migrate_db]
    # CRM's FF and SF links to Payroll are one Boards dependency.
    assert relations(fake, marked["feature:crm"], PREDECESSOR) == [marked["feature:payroll"]]
    assert relations(fake, marked["task:pay-app01/migrate"], "System.LinkTypes.Related") == [
        marked["story:pay-db01"]
    ]
    # The links went in one $batch after the last create batch.
    batches = [r for r in fake.requests if r.path.endswith("$batch")]
    assert [len(r.body) for r in batches] == [2, 2, 2, 3, 3]
    assert {sub["uri"].split("?")[0].rsplit("/", 1)[1] for sub in batches[-1].body} == {
        str(marked["task:pay-db01/migrate"]),
        str(marked["task:pay-app01/migrate"]),
        str(marked["feature:crm"]),
    }


def test_first_push_sends_one_write_per_batch_iteration_and_team_sprint(
    connect, fake, ledger, sample_backlog
) -> None:
    report = connect().push(sample_backlog, ledger)
    writes = [(r.method, r.path.rsplit("_apis/", 1)[1]) for r in fake.writes()]
    assert writes == [
        ("POST", "wit/classificationnodes/Iterations"),
        ("POST", "wit/classificationnodes/Iterations"),
        ("POST", "work/teamsettings/iterations"),
        ("POST", "work/teamsettings/iterations"),
        *[("PATCH", "wit/$batch")] * 5,
    ]
    assert report.write_requests == 9


def test_second_push_of_an_unchanged_backlog_sends_no_request(
    connect, fake, ledger, sample_backlog
) -> None:
    connect().push(sample_backlog, ledger)
    sent = len(fake.requests)
    report = connect().push(sample_backlog, SyncLedger.load(ledger.path, "azure-devops"))
    assert (report.created, report.updated, report.write_requests) == ((), (), 0)
    assert len(report.unchanged) == 9
    assert len(fake.requests) == sent


def test_a_changed_item_sends_only_its_changed_fields(
    connect, fake, ledger, sample_backlog
) -> None:
    connect().push(sample_backlog, ledger)
    changed = attrs.evolve(
        sample_backlog,
        items=[
            attrs.evolve(
                i,
                state="Active",
                state_category=StateCategory.IN_PROGRESS,
                estimate=None,
                tags=("rehost", "wave-1"),
            )
            if i.id == "story:pay-db01"
            else i
            for i in sample_backlog.items
        ],
    )
    before = len(fake.requests)
    report = connect().push(changed, SyncLedger.load(ledger.path, "azure-devops"))
    assert report.updated == ("story:pay-db01",)
    batch = [r for r in fake.requests[before:] if r.path.endswith("$batch")]
    key = fake.marked()["story:pay-db01"]
    assert len(batch) == 1
    assert batch[0].body == [
        {
            "method": "PATCH",
            "uri": f"/Contoso/_apis/wit/workitems/{key}?api-version=7.1",
            "headers": {"Content-Type": "application/json-patch+json"},
            "body": [
                {"op": "add", "path": "/fields/System.State", "value": "Active"},
                {
                    "op": "add",
                    "path": "/fields/System.Tags",
                    "value": "rehost; wave-1; mbf:story:pay-db01",
                },
                {"op": "remove", "path": "/fields/Microsoft.VSTS.Scheduling.OriginalEstimate"},
            ],
        }
    ]
    fields = fake.items[key]["fields"]
    assert (fields["System.State"], fields["System.Tags"]) == (
        "Active",
        "rehost; wave-1; mbf:story:pay-db01",
    )
    assert "Microsoft.VSTS.Scheduling.OriginalEstimate" not in fields


def test_a_new_dependency_on_an_existing_item_is_linked_by_the_next_push(
    connect, fake, ledger, sample_backlog
) -> None:
    connect().push(sample_backlog, ledger)
    changed = attrs.evolve(
        sample_backlog,
        items=[
            attrs.evolve(i, links=(Link(target_id="story:pay-db01"),))
            if i.id == "story:pay-app01"
            else i
            for i in sample_backlog.items
        ],
    )
    connect().push(changed, SyncLedger.load(ledger.path, "azure-devops"))
    marked = fake.marked()
    assert relations(fake, marked["story:pay-app01"], PREDECESSOR) == [marked["story:pay-db01"]]
    # Links pushed before were not sent again (Boards would refuse a duplicate).
    assert relations(fake, marked["feature:crm"], PREDECESSOR) == [marked["feature:payroll"]]


def test_creates_go_200_per_batch_request(connect, fake, ledger) -> None:
    report = connect().push(flat_tasks(450), ledger)
    assert len(report.created) == 450
    assert [len(r.body) for r in fake.requests if r.path.endswith("$batch")] == [200, 200, 50]
    assert len(fake.items) == 450


def test_a_smaller_batch_size_setting_is_honoured(connect, fake, ledger, settings) -> None:
    connect(attrs.evolve(settings, batch_size=50)).push(flat_tasks(120), ledger)
    assert [len(r.body) for r in fake.requests if r.path.endswith("$batch")] == [50, 50, 20]


def test_a_rule_error_refuses_one_item_while_the_rest_are_created(
    connect, fake, ledger, sample_backlog
) -> None:
    fake.refuse_titles = {"Migrate PAY-APP01"}
    report = connect().push(sample_backlog, ledger)
    assert dict(report.failed) == {
        "story:pay-app01": "TF401320: Rule Error for field Title. Error code: Required, "
        "HasValues, LimitedToValues, AllowsOldValue, InvalidEmpty.",
        # Its task is not created without its parent (no lost hierarchy).
        "task:pay-app01/migrate": "parent story:pay-app01 is not in azure-devops; it was not created",
    }
    assert len(report.created) == 7
    assert sorted(fake.marked()) == sorted(report.created)
    assert sorted(SyncLedger.load(ledger.path, "azure-devops").entries) == sorted(report.created)


def test_refused_items_are_created_by_the_next_push_once_fixed(
    connect, fake, ledger, sample_backlog
) -> None:
    fake.refuse_titles = {"Migrate PAY-APP01"}
    connect().push(sample_backlog, ledger)
    fake.refuse_titles = set()
    report = connect().push(sample_backlog, SyncLedger.load(ledger.path, "azure-devops"))
    assert sorted(report.created) == ["story:pay-app01", "task:pay-app01/migrate"]
    marked = fake.marked()
    assert len(fake.items) == 9
    assert relations(fake, marked["task:pay-app01/migrate"], PARENT) == [marked["story:pay-app01"]]
    # The dependency onto the late item is linked now that it exists.
    assert marked["task:pay-app01/migrate"] in relations(
        fake, marked["task:pay-db01/migrate"], PREDECESSOR
    )


def test_iterations_are_dated_nodes_added_to_the_team(
    connect, fake, ledger, sample_backlog
) -> None:
    connect().push(sample_backlog, ledger)
    sprints = {node.name: node for node in fake.iterations.children}
    assert sorted(sprints) == ["Sprint 1", "Sprint 2"]
    assert sprints["Sprint 2"].attributes == {
        "startDate": "2027-01-18T00:00:00Z",
        "finishDate": "2027-01-29T00:00:00Z",
    }
    assert fake.team_iterations == [sprints["Sprint 1"].identifier, sprints["Sprint 2"].identifier]


def test_iterations_are_created_once_and_reused(connect, fake, ledger, sample_backlog) -> None:
    connect().push(sample_backlog, ledger)
    changed = attrs.evolve(
        sample_backlog,
        items=[
            attrs.evolve(i, title="Migrate the CRM") if i.id == "feature:crm" else i
            for i in sample_backlog.items
        ],
    )
    before = len(fake.requests)
    connect().push(changed, SyncLedger.load(ledger.path, "azure-devops"))
    second = [(r.method, r.path.rsplit("_apis/", 1)[1]) for r in fake.requests[before:]]
    assert ("POST", "wit/classificationnodes/Iterations") not in second
    assert ("POST", "work/teamsettings/iterations") not in second
    assert (len(fake.iterations.children), len(fake.team_iterations)) == (2, 2)


def test_an_iteration_under_a_release_node_is_created_below_it(
    connect, fake, ledger, sample_backlog
) -> None:
    nested = attrs.evolve(
        sample_backlog,
        iterations=[
            attrs.evolve(i, path=f"Contoso\\Release 1\\{i.name}") for i in sample_backlog.iterations
        ],
    )
    connect().push(nested, ledger)
    node_posts = [
        r.path for r in fake.requests if r.method == "POST" and "classificationnodes" in r.path
    ]
    assert node_posts == [
        "/contoso/Contoso/_apis/wit/classificationnodes/Iterations",
        "/contoso/Contoso/_apis/wit/classificationnodes/Iterations/Release 1",
        "/contoso/Contoso/_apis/wit/classificationnodes/Iterations/Release 1",
    ]
    key = fake.marked()["feature:crm"]
    assert fake.items[key]["fields"]["System.IterationPath"] == "Contoso\\Release 1\\Sprint 2"


def test_a_state_the_type_lacks_is_written_as_the_type_state_of_its_category(
    connect, fake, ledger, sample_backlog, context
) -> None:
    connect().push(sample_backlog, ledger)
    key = fake.marked()["task:pay-db01/remediate/1f0c2a3b"]
    assert fake.items[key]["fields"]["System.State"] == "Closed"
    assert context.diagnostics.warnings == [
        "azure-devops: state 'Done' is not a Task state; written as 'Closed'"
    ]


def test_scrum_type_names_come_from_the_settings(connect, ledger, settings) -> None:
    scrum = FakeAzureDevOps(
        project="Contoso",
        team="Contoso Team",
        pat="fake-pat-3f9c1e7a",
        types={
            "Epic": [("New", "Proposed"), ("Done", "Completed")],
            "Feature": [("New", "Proposed"), ("Done", "Completed")],
            "Product Backlog Item": [("New", "Proposed"), ("Committed", "InProgress")],
            "Task": [("To Do", "Proposed"), ("In Progress", "InProgress"), ("Done", "Completed")],
        },
    ).start()
    try:
        client = connect(
            attrs.evolve(
                settings,
                organization_url=scrum.organization_url,
                work_item_types={"story": "Product Backlog Item"},
            )
        )
        backlog = Backlog(
            items=[
                WorkItem(id="story:a", kind=WorkItemKind.STORY, title="A"),
                WorkItem(id="task:a", kind=WorkItemKind.TASK, title="A1", parent_id="story:a"),
            ]
        )
        report = client.push(backlog, ledger)
        assert report.failed == ()
        types = {
            i["fields"]["System.Title"]: (
                i["fields"]["System.WorkItemType"],
                i["fields"]["System.State"],
            )
            for i in scrum.items.values()
        }
        assert types == {"A": ("Product Backlog Item", "New"), "A1": ("Task", "To Do")}
    finally:
        scrum.stop()


def test_custom_id_field_carries_the_mbf_id_too(
    connect, fake, ledger, settings, sample_backlog
) -> None:
    connect(attrs.evolve(settings, id_field="Custom.MbfId")).push(sample_backlog, ledger)
    key = fake.marked()["story:pay-db01"]
    assert fake.items[key]["fields"]["Custom.MbfId"] == "story:pay-db01"


def test_dry_run_sends_nothing(connect, fake, ledger, sample_backlog) -> None:
    report = connect().push(sample_backlog, ledger, dry_run=True)
    assert (len(report.created), report.write_requests, fake.requests) == (9, 0, [])


def test_a_moved_item_gets_its_new_parent_in_boards(connect, fake, ledger, sample_backlog) -> None:
    connect().push(sample_backlog, ledger)
    moved = attrs.evolve(
        sample_backlog,
        items=[
            attrs.evolve(i, parent_id="story:pay-app01") if i.id == "task:pay-db01/migrate" else i
            for i in sample_backlog.items
        ],
    )
    report = connect().push(moved, SyncLedger.load(ledger.path, "azure-devops"))
    assert report.updated == ("task:pay-db01/migrate",)
    marked = fake.marked()
    task = marked["task:pay-db01/migrate"]
    assert relations(fake, task, PARENT) == [marked["story:pay-app01"]]
    # Boards' inverse links follow: the old parent lost its child, the new one has it.
    assert task not in relations(
        fake, marked["story:pay-db01"], "System.LinkTypes.Hierarchy-Forward"
    )
    assert task in relations(fake, marked["story:pay-app01"], "System.LinkTypes.Hierarchy-Forward")
    # The dependencies of the moved task are untouched.
    assert len(relations(fake, task, PREDECESSOR)) == 2


def test_a_dependency_dropped_from_the_backlog_is_removed_from_boards(
    connect, fake, ledger, sample_backlog
) -> None:
    connect().push(sample_backlog, ledger)
    dropped = attrs.evolve(
        sample_backlog,
        items=[
            attrs.evolve(i, links=i.links[:1]) if i.id == "task:pay-db01/migrate" else i
            for i in sample_backlog.items
        ],
    )
    before = len(fake.requests)
    connect().push(dropped, SyncLedger.load(ledger.path, "azure-devops"))
    marked = fake.marked()
    task = marked["task:pay-db01/migrate"]
    assert relations(fake, task, PREDECESSOR) == [marked["task:pay-db01/remediate/1f0c2a3b"]]
    assert relations(fake, marked["task:pay-app01/migrate"], SUCCESSOR) == []
    link_batch = [r for r in fake.requests[before:] if r.path.endswith("$batch")][-1]
    assert [op["op"] for sub in link_batch.body for op in sub["body"]] == ["remove"]


def test_replanned_sprint_dates_are_moved_in_boards(connect, fake, ledger, sample_backlog) -> None:
    connect().push(sample_backlog, ledger)
    sprint2 = sample_backlog.iterations[1]
    replanned = attrs.evolve(
        sample_backlog,
        iterations=[
            sample_backlog.iterations[0],
            attrs.evolve(sprint2, finish=dt.date(2027, 2, 5)),
        ],
        items=[
            attrs.evolve(i, title="Migrate the CRM") if i.id == "feature:crm" else i
            for i in sample_backlog.items
        ],
    )
    before = len(fake.requests)
    connect().push(replanned, SyncLedger.load(ledger.path, "azure-devops"))
    patches = [
        r for r in fake.requests[before:] if r.method == "PATCH" and "classificationnodes" in r.path
    ]
    assert [(r.path.rsplit("/", 1)[1], r.body) for r in patches] == [
        (
            "Sprint 2",
            {
                "attributes": {
                    "startDate": "2027-01-18T00:00:00Z",
                    "finishDate": "2027-02-05T00:00:00Z",
                }
            },
        )
    ]
    node = {n.name: n for n in fake.iterations.children}["Sprint 2"]
    assert node.attributes["finishDate"] == "2027-02-05T00:00:00Z"


def test_a_change_boards_does_not_hold_is_recorded_without_a_write(
    connect, fake, ledger, sample_backlog
) -> None:
    connect().push(sample_backlog, ledger)
    changed = attrs.evolve(
        sample_backlog,
        items=[
            attrs.evolve(i, source=("pay-db01", "pay-db02")) if i.id == "story:pay-db01" else i
            for i in sample_backlog.items
        ],
    )
    writes = len(fake.writes())
    report = connect().push(changed, SyncLedger.load(ledger.path, "azure-devops"))
    assert (report.updated, report.write_requests) == (("story:pay-db01",), 0)
    assert len(fake.writes()) == writes


def test_the_report_counts_every_write_request_retries_included(
    connect, fake, ledger, sample_backlog
) -> None:
    # Sprint 1 joins the team but the answer is lost: the POST is sent again (and meets 409).
    fake.lose_answer_to = ["POST /contoso/Contoso/Contoso Team/_apis/work/teamsettings/iterations"]
    report = connect().push(sample_backlog, ledger)
    assert report.write_requests == len(fake.writes()) == 10
