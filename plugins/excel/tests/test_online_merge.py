"""Folding a push into the shared workbook (no Graph here: the merge alone)."""

from __future__ import annotations

from typing import Any

import attrs

from mbf.domain import Backlog, Iteration, TrackerRef, WorkItem, WorkItemKind
from mbf.sync import item_snapshot
from mbf_excel.online_merge import FieldConflict, merge_into_workbook

EPIC = WorkItem(id="epic:ams1", kind=WorkItemKind.EPIC, title="Amsterdam")
STORY = WorkItem(
    id="story:web01", kind=WorkItemKind.STORY, title="Migrate web01", parent_id="epic:ams1"
)
BASE = Backlog(items=[EPIC, STORY])


def changed(backlog: Backlog, item_id: str, **changes: Any) -> Backlog:
    items = [attrs.evolve(i, **changes) if i.id == item_id else i for i in backlog.items]
    return attrs.evolve(backlog, items=items)


def bases(backlog: Backlog) -> dict[str, dict[str, Any]]:
    return {item.id: item_snapshot(item) for item in backlog.items}


def test_an_unchanged_workbook_and_nothing_to_push_is_not_changed() -> None:
    merge = merge_into_workbook(BASE, BASE, [], bases(BASE), service="excel-online")

    assert (merge.changed, merge.backlog) == (False, BASE)


def test_a_field_only_the_backlog_changed_takes_the_backlog_value() -> None:
    local = changed(BASE, STORY.id, title="Rehost web01")

    merge = merge_into_workbook(BASE, local, [STORY.id], bases(BASE), service="excel-online")

    assert merge.backlog.items[1].title == "Rehost web01"
    assert (merge.changed, merge.conflicts) == (True, ())


def test_a_field_only_the_workbook_changed_keeps_the_workbook_value() -> None:
    workbook = changed(BASE, STORY.id, assignee="erin@contoso.com")
    local = changed(BASE, STORY.id, title="Rehost web01")

    merge = merge_into_workbook(workbook, local, [STORY.id], bases(BASE), service="excel-online")

    story = merge.backlog.items[1]
    assert (story.title, story.assignee) == ("Rehost web01", "erin@contoso.com")


def test_a_field_both_changed_takes_the_backlog_value_and_is_a_conflict() -> None:
    workbook = changed(BASE, STORY.id, priority=1)
    local = changed(BASE, STORY.id, priority=3)

    merge = merge_into_workbook(workbook, local, [STORY.id], bases(BASE), service="excel-online")

    assert merge.backlog.items[1].priority == 3
    assert merge.conflicts == (
        FieldConflict(item_id=STORY.id, field="priority", workbook=1, pushed=3),
    )


def test_without_a_base_the_backlog_copy_wins_silently() -> None:
    workbook = changed(BASE, STORY.id, title="Half-pushed")

    merge = merge_into_workbook(workbook, BASE, [STORY.id], {}, service="excel-online")

    assert (merge.backlog.items[1].title, merge.conflicts) == ("Migrate web01", ())


def test_items_the_backlog_did_not_change_stay_as_the_workbook_has_them() -> None:
    workbook = changed(BASE, EPIC.id, title="Amsterdam DC")
    local = changed(BASE, STORY.id, title="Rehost web01")

    merge = merge_into_workbook(workbook, local, [STORY.id], bases(BASE), service="excel-online")

    assert merge.backlog.items[0].title == "Amsterdam DC"


def test_a_new_item_and_its_deleted_parent_are_put_in() -> None:
    task = WorkItem(id="task:web01/cutover", kind=WorkItemKind.TASK, title="Cutover")
    task = attrs.evolve(task, parent_id=STORY.id)
    local = attrs.evolve(BASE, items=(*BASE.items, task))
    workbook = Backlog(items=[EPIC])  # someone deleted the story row

    merge = merge_into_workbook(workbook, local, [task.id], bases(BASE), service="excel-online")

    assert [i.id for i in merge.backlog.items] == [EPIC.id, task.id, STORY.id]
    assert merge.restored == (STORY.id,)


def test_the_workbooks_own_ref_is_not_written_into_it_but_other_refs_are() -> None:
    refs = {
        "excel-online": TrackerRef(key=STORY.id, url="https://contoso/x.xlsx"),
        "jira": TrackerRef(key="MIG-7"),
    }
    local = changed(BASE, STORY.id, title="Rehost web01", refs=refs)

    merge = merge_into_workbook(BASE, local, [STORY.id], bases(BASE), service="excel-online")

    assert merge.backlog.items[1].refs == {"jira": TrackerRef(key="MIG-7")}


def test_iterations_are_the_backlogs_plus_those_only_the_workbook_has() -> None:
    local = attrs.evolve(BASE, iterations=[Iteration(id="sprint-1", name="Sprint 1")])
    workbook = attrs.evolve(
        BASE,
        iterations=[
            Iteration(id="sprint-1", name="Renamed in Excel"),
            Iteration(id="sprint-9", name="Sprint 9"),
        ],
    )

    merge = merge_into_workbook(workbook, local, [], bases(BASE), service="excel-online")

    assert [i.name for i in merge.backlog.iterations] == ["Sprint 1", "Sprint 9"]
