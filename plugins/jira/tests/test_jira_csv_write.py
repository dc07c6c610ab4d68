"""What ``jira-csv`` writes: the exact file the Jira CSV importer is given."""

import csv
import datetime as dt
from pathlib import Path

import pytest

from mbf.domain import (
    Backlog,
    Iteration,
    Release,
    StateCategory,
    TrackerRef,
    WorkItem,
    WorkItemKind,
)
from mbf.plugin import Context
from mbf_jira.csv_format import JiraCsvSettings, top_down, write_jira_csv
from mbf_jira.csv_reader import read_jira_csv

HEADER = (
    "Summary,Issue Id,Parent,Issue key,Issue Type,Status,Status Category,Priority,Assignee,"
    "Assignee Name,Description,Labels,Labels,Labels,Sprint,Fix Version,Original Estimate,"
    "Start Date,Due Date"
)


def small_backlog() -> Backlog:
    return Backlog(
        items=(
            WorkItem(id="epic:ams1", kind=WorkItemKind.EPIC, title="Exit AMS1", priority=1),
            WorkItem(
                id="task:srv01/migrate",
                kind=WorkItemKind.TASK,
                title="Migrate SRV01, the file server",
                parent_id="story:srv01",
                state="In Progress",
                state_category=StateCategory.IN_PROGRESS,
                assignee="Dana Lee <dana@contoso.com>",
                description="Replicate.\nCut over.",
                tags=("rehost", "wave 1"),
                iteration_id="sprint-1",
                release_id="release-1",
                estimate=1.5,
                start=dt.date(2027, 1, 4),
                finish=dt.date(2027, 1, 8),
            ),
            WorkItem(
                id="story:srv01",
                kind=WorkItemKind.STORY,
                title="Migrate SRV01",
                parent_id="epic:ams1",
                refs={"jira": TrackerRef(key="MIG-7")},
            ),
            WorkItem(id="epic:dub2", kind=WorkItemKind.EPIC, title="Exit DUB2"),
        ),
        iterations=(Iteration(id="sprint-1", name="Sprint 1"),),
        releases=(Release(id="release-1", name="Release 1"),),
    )


def written_rows(backlog: Backlog, path: Path, context: Context | None = None) -> list[list[str]]:
    write_jira_csv(backlog, path, context or Context())
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.reader(stream))


def test_file_is_the_importer_input_with_rows_top_down(tmp_path: Path) -> None:
    write_jira_csv(small_backlog(), tmp_path / "out.jira.csv", Context())
    assert (tmp_path / "out.jira.csv").read_bytes().decode("utf-8").split("\r\n") == [
        HEADER,
        "Exit AMS1,1,,,Epic,New,To Do,Highest,,,,mbf:epic:ams1,,,,,,,",
        "Exit DUB2,2,,,Epic,New,To Do,,,,,mbf:epic:dub2,,,,,,,",
        "Migrate SRV01,3,1,MIG-7,Story,New,To Do,,,,,mbf:story:srv01,,,,,,,",
        '"Migrate SRV01, the file server",4,3,,Sub-task,In Progress,In Progress,,'
        'dana@contoso.com,Dana Lee,"Replicate.\nCut over.",rehost,wave_1,mbf:task:srv01/migrate,'
        "Sprint 1,Release 1,5400,04/Jan/2027 12:00 AM,08/Jan/2027 12:00 AM",
        "",
    ]


def test_file_has_no_byte_order_mark_so_summary_is_the_first_header(tmp_path: Path) -> None:
    write_jira_csv(small_backlog(), tmp_path / "out.jira.csv", Context())
    assert (tmp_path / "out.jira.csv").read_bytes()[:8] == b"Summary,"


def test_labels_with_spaces_are_joined_with_underscores_and_reported(tmp_path: Path) -> None:
    context = Context()
    write_jira_csv(small_backlog(), tmp_path / "out.jira.csv", context)
    assert context.diagnostics.warnings == [
        "jira-csv: 1 label(s) contained spaces, written with '_' instead"
    ]


def test_item_with_its_jira_key_as_id_needs_no_id_label(tmp_path: Path) -> None:
    item = WorkItem(
        id="jira:MIG-7", kind=WorkItemKind.STORY, title="A", refs={"jira": TrackerRef(key="MIG-7")}
    )
    rows = written_rows(Backlog(items=(item,)), tmp_path / "out.jira.csv")
    assert (rows[1][3], rows[1][11]) == ("MIG-7", "")


def test_multi_value_extras_repeat_their_header(tmp_path: Path) -> None:
    items = (
        WorkItem(id="a", kind=WorkItemKind.STORY, title="A", extra={"Components": ["DB", "Web"]}),
        WorkItem(id="b", kind=WorkItemKind.STORY, title="B", extra={"Components": "Net"}),
    )
    rows = written_rows(Backlog(items=items), tmp_path / "out.jira.csv")
    assert rows[0][-2:] == ["Components", "Components"]
    assert [row[-2:] for row in rows[1:]] == [["DB", "Web"], ["Net", ""]]


def test_earlier_sprints_come_before_the_current_one(tmp_path: Path) -> None:
    item = WorkItem(
        id="a",
        kind=WorkItemKind.STORY,
        title="A",
        iteration_id="s3",
        extra={"Sprint": ["Sprint 1", "Sprint 2"]},
    )
    backlog = Backlog(items=(item,), iterations=(Iteration(id="s3", name="Sprint 3"),))
    rows = written_rows(backlog, tmp_path / "out.jira.csv")
    sprint_columns = [n for n, name in enumerate(rows[0]) if name == "Sprint"]
    assert [rows[1][n] for n in sprint_columns] == ["Sprint 1", "Sprint 2", "Sprint 3"]


def test_site_specific_words_are_written_back_verbatim(tmp_path: Path) -> None:
    item = WorkItem(
        id="a",
        kind=WorkItemKind.STORY,
        title="A",
        priority=3,
        extra={"Issue Type": "Bug", "Priority": "Major", "Parent": "MIG-1"},
    )
    rows = written_rows(Backlog(items=(item,)), tmp_path / "out.jira.csv")
    assert (rows[1][2], rows[1][4], rows[1][7]) == ("MIG-1", "Bug", "Major")
    assert len(rows[0]) == len(HEADER.split(",")) - 2  # no extra columns, one Labels column


def test_issue_types_follow_the_settings(tmp_path: Path) -> None:
    settings = JiraCsvSettings(issue_types={"epic": "Initiative"})
    rows = written_rows(small_backlog(), tmp_path / "out.jira.csv", Context(settings=settings))
    assert [row[4] for row in rows[1:]] == ["Initiative", "Initiative", "Story", "Sub-task"]


def test_formula_like_text_is_neutralised_and_read_back(tmp_path: Path) -> None:
    item = WorkItem(id="a", kind=WorkItemKind.STORY, title="=cmd|'/C calc'!A0", description="- one")
    rows = written_rows(Backlog(items=(item,)), tmp_path / "out.jira.csv")
    assert (rows[1][0], rows[1][10]) == ("'=cmd|'/C calc'!A0", "'- one")
    back = read_jira_csv(tmp_path / "out.jira.csv", Context()).items[0]
    assert (back.title, back.description) == ("=cmd|'/C calc'!A0", "- one")


def test_neutralising_can_be_switched_off(tmp_path: Path) -> None:
    item = WorkItem(id="a", kind=WorkItemKind.STORY, title="=1+2")
    context = Context(settings=JiraCsvSettings(neutralise_formulas=False))
    assert written_rows(Backlog(items=(item,)), tmp_path / "out.jira.csv", context)[1][0] == "=1+2"


def _task(id_: str, parent: str | None = None) -> WorkItem:
    return WorkItem(id=id_, kind=WorkItemKind.TASK, title=id_, parent_id=parent)


def test_top_down_of_a_backlog_in_hierarchy_order_gives_each_level_in_turn() -> None:
    items = (
        _task("e1"), _task("s1", "e1"), _task("t1", "s1"), _task("s2", "e1"),
        _task("e2"), _task("s3", "e2"), _task("orphan", "gone"),
    )  # fmt: skip
    assert [i.id for i in top_down(items)] == ["e1", "e2", "orphan", "s1", "s2", "s3", "t1"]


def test_top_down_of_a_backlog_out_of_hierarchy_order_orders_it_first() -> None:
    # t1's parent s1 comes after it, and t2 is not in s1's run of items.
    items = (_task("t1", "s1"), _task("e1"), _task("s1", "e1"), _task("e2"), _task("t2", "s1"))
    assert [i.id for i in top_down(items)] == ["e1", "e2", "s1", "t1", "t2"]


def test_top_down_with_a_repeated_id_gives_both_items_the_last_level_of_the_id() -> None:
    child = WorkItem(id="a", kind=WorkItemKind.TASK, title="child of e1", parent_id="e1")
    root = WorkItem(id="a", kind=WorkItemKind.TASK, title="root")
    assert [i.title for i in top_down((_task("e1"), child, root))] == ["e1", "child of e1", "root"]


def test_issue_types_for_an_unknown_kind_are_refused() -> None:
    from mbf.errors import ConfigError
    from mbf_jira.settings import JiraSettings

    with pytest.raises(ConfigError) as caught:
        JiraCsvSettings(issue_types={"saga": "Epic", "epic": "Initiative"})
    assert (
        str(caught.value) == "issue_types: unknown kind(s) saga; use epic, feature, story or task"
    )
    with pytest.raises(ConfigError) as caught:
        JiraSettings(url="https://jira.example", project="MIG", issue_types={"initiative": "X"})
    assert str(caught.value) == (
        "issue_types: unknown kind(s) initiative; use epic, feature, story or task"
    )
