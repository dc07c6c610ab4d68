"""What ``jira-csv`` reads: "Export > CSV (all fields)" files in the shapes real exports have."""

import datetime as dt
from pathlib import Path

import pytest

from mbf.domain import Iteration, Link, LinkKind, Release, StateCategory, TrackerRef, WorkItemKind
from mbf.errors import InputError
from mbf.plugin import Context
from mbf.testing.suites import project_backlog
from mbf_jira.cells import parse_date
from mbf_jira.csv_format import CAPABILITIES, write_jira_csv
from mbf_jira.csv_reader import looks_like_jira_csv, read_jira_csv

CLOUD_EXPORT = (
    "Summary,Issue key,Issue id,Issue Type,Status,Project key,Priority,Assignee,Assignee Id,"
    "Created,Labels,Labels,Sprint,Sprint,Fix versions,Original Estimate,"
    "Custom field (Story Points),Custom field (Start date),Due date,Parent,Parent summary,"
    "Status Category,Inward issue link (Blocks),Outward issue link (Blocks),"
    "Inward issue link (Relates),Watchers,Watchers,Comment,Comment\r\n"
    "Exit AMS1,MIG-1,10001,Epic,In Progress,MIG,High,,,28/Nov/25 5:03 PM,datacenter,,,,,,,,,,,"
    "In Progress,,,,dana,,,\r\n"
    "Migrate PAY-DB01,MIG-2,10002,Story,Ready for CAB,MIG,Medium,Dana Lee,557058:abc,"
    "28/Nov/25 5:03 PM,rehost,wave-1,MIG Sprint 1,MIG Sprint 2,R1,28800,5,11/May/24 03:26 PM,"
    '6/21/2025 16:14,10001,Exit AMS1,In Progress,MIG-3,,,dana,ravi,"28/Nov/25 5:03 PM;557058:abc;'
    'Line one\r\nLine two",\r\n'
    "Remediate boot type,MIG-3,10003,Sub-task,Done,MIG,Low,,,28/Nov/25 5:03 PM,,,MIG Sprint 1,,,,"
    ",,,10002,Migrate PAY-DB01,Done,,MIG-2,MIG-99,,,,\r\n"
)


def read(tmp_path: Path, text: str, context: Context | None = None, name: str = "Jira.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return read_jira_csv(path, context or Context())


def test_export_gives_ids_from_keys_and_parents_from_parent_ids(tmp_path: Path) -> None:
    backlog = read(tmp_path, CLOUD_EXPORT)
    assert [(i.id, i.kind, i.parent_id, i.refs) for i in backlog.items] == [
        ("jira:MIG-1", WorkItemKind.EPIC, None, {"jira": TrackerRef(key="MIG-1")}),
        ("jira:MIG-2", WorkItemKind.STORY, "jira:MIG-1", {"jira": TrackerRef(key="MIG-2")}),
        ("jira:MIG-3", WorkItemKind.TASK, "jira:MIG-2", {"jira": TrackerRef(key="MIG-3")}),
    ]


def test_repeated_headers_are_grouped_by_position(tmp_path: Path) -> None:
    story = read(tmp_path, CLOUD_EXPORT).items[1]
    assert story.tags == ("rehost", "wave-1")
    assert story.extra["Watchers"] == ["dana", "ravi"]
    assert story.extra["Comment"] == ["28/Nov/25 5:03 PM;557058:abc;Line one\nLine two"]


def test_last_sprint_is_the_iteration_and_earlier_ones_are_kept(tmp_path: Path) -> None:
    backlog = read(tmp_path, CLOUD_EXPORT)
    story = backlog.items[1]
    assert (story.iteration_id, story.extra["Sprint"]) == ("mig-sprint-2", ["MIG Sprint 1"])
    assert backlog.iterations == (
        Iteration(id="mig-sprint-2", name="MIG Sprint 2"),
        Iteration(id="mig-sprint-1", name="MIG Sprint 1"),
    )


def test_fix_version_is_the_release(tmp_path: Path) -> None:
    backlog = read(tmp_path, CLOUD_EXPORT)
    assert (backlog.items[1].release_id, backlog.releases) == ("r1", (Release(id="r1", name="R1"),))


def test_custom_fields_dates_and_estimates(tmp_path: Path) -> None:
    story = read(tmp_path, CLOUD_EXPORT).items[1]
    assert (story.estimate, story.start, story.finish, story.priority) == (
        8.0,
        dt.date(2024, 5, 11),
        dt.date(2025, 6, 21),
        3,
    )
    assert story.extra["Custom field (Story Points)"] == "5"


def test_unknown_columns_are_kept_in_extra(tmp_path: Path) -> None:
    epic = read(tmp_path, CLOUD_EXPORT).items[0]
    assert epic.extra == {
        "Project key": "MIG",
        "Created": "28/Nov/25 5:03 PM",
        "Watchers": ["dana"],
    }


def test_status_category_column_gives_the_state_category(tmp_path: Path) -> None:
    backlog = read(tmp_path, CLOUD_EXPORT)
    assert [(i.state, i.state_category) for i in backlog.items] == [
        ("In Progress", StateCategory.IN_PROGRESS),
        ("Ready for CAB", StateCategory.IN_PROGRESS),
        ("Done", StateCategory.DONE),
    ]


def test_blocks_links_seen_from_both_sides_become_one_dependency(tmp_path: Path) -> None:
    backlog = read(tmp_path, CLOUD_EXPORT)
    assert [i.links for i in backlog.items] == [
        (),
        (Link(target_id="jira:MIG-3", kind=LinkKind.DEPENDS_ON),),
        (),
    ]


def test_link_to_an_issue_outside_the_export_is_kept_and_reported(tmp_path: Path) -> None:
    context = Context()
    sub_task = read(tmp_path, CLOUD_EXPORT, context).items[2]
    assert sub_task.extra["Inward issue link (Relates)"] == ["MIG-99"]
    assert context.diagnostics.warnings == [
        "jira-csv: 1 issue link(s) point outside the file; kept in extra under their column"
    ]


def test_relates_links_are_held_once(tmp_path: Path) -> None:
    text = (
        "Summary,Issue key,Outward issue link (Relates),Inward issue link (Relates)\r\n"
        "A,MIG-1,MIG-2,\r\nB,MIG-2,,MIG-1\r\n"
    )
    assert [i.links for i in read(tmp_path, text).items] == [
        (Link(target_id="jira:MIG-2", kind=LinkKind.RELATES_TO),),
        (),
    ]


def test_export_written_as_importer_file_reads_back_with_every_declared_field(
    tmp_path: Path,
) -> None:
    exported = read(tmp_path, CLOUD_EXPORT)
    write_jira_csv(exported, tmp_path / "again.jira.csv", Context())
    again = read_jira_csv(tmp_path / "again.jira.csv", Context())
    assert project_backlog(again, CAPABILITIES) == project_backlog(exported, CAPABILITIES)


def test_cells_beyond_the_header_belong_to_the_last_column(tmp_path: Path) -> None:
    text = "Summary,Issue key,Issue Type,Labels\r\nMove SRV01,MIG-5,Story,one,two\r\n"
    assert read(tmp_path, text).items[0].tags == ("one", "two")


def test_older_exports_use_parent_id_and_epic_link(tmp_path: Path) -> None:
    text = (
        "Summary,Issue key,Issue id,Issue Type,Parent id,Custom field (Epic Link),Fix Version/s\r\n"
        "Exit AMS1,MIG-1,10001,Epic,,,\r\n"
        "Migrate SRV01,MIG-2,10002,Story,,MIG-1,R1\r\n"
        "Back up SRV01,MIG-3,10003,Sub-task,10002,,\r\n"
    )
    backlog = read(tmp_path, text)
    assert [(i.parent_id, i.release_id) for i in backlog.items] == [
        (None, None),
        ("jira:MIG-1", "r1"),
        ("jira:MIG-2", None),
    ]


def test_french_headers_are_understood(tmp_path: Path) -> None:
    text = (
        "Résumé,Clé de ticket,Clé parent,Champs personnalisés (Story Points)\r\n"
        "Sortir de AMS1,MIG-1,,\r\nMigrer SRV01,MIG-2,MIG-1,3\r\n"
    )
    backlog = read(tmp_path, text)
    assert [(i.id, i.parent_id, i.extra) for i in backlog.items] == [
        ("jira:MIG-1", None, {}),
        ("jira:MIG-2", "jira:MIG-1", {"Custom field (Story Points)": "3"}),
    ]


def test_parent_outside_the_export_is_kept_for_the_importer(tmp_path: Path) -> None:
    context = Context()
    text = "Summary,Issue key,Parent\r\nMove SRV01,MIG-5,10042\r\n"
    item = read(tmp_path, text, context).items[0]
    assert (item.parent_id, item.extra) == (None, {"Parent": "10042"})
    assert context.diagnostics.warnings == [
        "jira-csv: 1 issue(s) have a parent that is not in the file; it is kept in the extra "
        "field 'Parent'"
    ]


def test_site_specific_issue_types_and_priorities_are_kept(tmp_path: Path) -> None:
    text = "Summary,Issue key,Issue Type,Priority\r\nCrash,MIG-5,Bug,Major\r\n"
    item = read(tmp_path, text).items[0]
    assert (item.kind, item.priority, item.extra) == (
        WorkItemKind.STORY,
        3,
        {"Issue Type": "Bug", "Priority": "Major"},
    )


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("28/Nov/25 5:03 PM", dt.date(2025, 11, 28)),
        ("11/May/24 03:26 PM", dt.date(2024, 5, 11)),
        ("04/Jan/2027 12:00 AM", dt.date(2027, 1, 4)),
        ("6/21/2025 16:14", dt.date(2025, 6, 21)),
        ("21/6/2025 16:14", dt.date(2025, 6, 21)),
        ("21.06.2025 16:14", dt.date(2025, 6, 21)),
        ("2025-06-21", dt.date(2025, 6, 21)),
        ("2025-06-21T16:14:00.000+0200", dt.date(2025, 6, 21)),
        ("21/Jun/25", dt.date(2025, 6, 21)),
    ],
)
def test_dates_in_every_export_format_are_read(text: str, day: dt.date) -> None:
    assert parse_date(text) == day


def test_sniffing_recognises_an_export_and_refuses_a_boards_file(tmp_path: Path) -> None:
    jira = tmp_path / "export.csv"
    jira.write_text(CLOUD_EXPORT)
    boards = tmp_path / "boards.csv"
    boards.write_text('"ID","Work Item Type","Title","Summary","Issue Type"\r\n')
    assert (looks_like_jira_csv(jira), looks_like_jira_csv(boards)) == (True, False)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            "Issue key,Issue Type\r\nMIG-1,Story\r\n",
            "row 1, column 'Summary': missing column; Jira CSV files need 'Summary'",
            id="no-summary-column",
        ),
        pytest.param(
            "Summary,Issue key\r\nA,MIG-1\r\n,MIG-2\r\n",
            "row 3, column 'Summary': the row has no summary",
            id="empty-summary",
        ),
        pytest.param(
            "Summary,Original Estimate\r\nA,2h\r\n",
            "row 2, column 'Original Estimate': '2h' is not a number of seconds",
            id="estimate",
        ),
        pytest.param(
            "Summary,Due date\r\nA,soon\r\n",
            "row 2, column 'Due Date': 'soon' is not a date (e.g. 28/Nov/25 5:03 PM)",
            id="date",
        ),
        pytest.param(
            'Summary,Description\r\nA,"never closed\r\n',
            "row 2: malformed CSV: unexpected end of data",
            id="unclosed-quote",
        ),
    ],
)
def test_bad_input_names_file_row_and_column(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        read(tmp_path, text)
    assert str(caught.value) == f"{tmp_path / 'Jira.csv'}, {message}"


def test_parent_listed_after_its_child_is_still_found(tmp_path: Path) -> None:
    text = "Summary,Issue key,Issue id,Parent\r\nBack up,MIG-3,10003,10002\r\nMove,MIG-2,10002,\r\n"
    assert [(i.id, i.parent_id) for i in read(tmp_path, text).items] == [
        ("jira:MIG-3", "jira:MIG-2"),
        ("jira:MIG-2", None),
    ]


def test_blank_lines_and_rows_of_commas_are_skipped(tmp_path: Path) -> None:
    text = "Summary,Issue key\r\nMove,MIG-2\r\n\r\n,\r\n"
    assert [i.id for i in read(tmp_path, text).items] == ["jira:MIG-2"]


def test_windows_1252_file_from_excel_is_read(tmp_path: Path) -> None:
    path = tmp_path / "Jira.csv"
    path.write_bytes("Summary,Issue key\r\nMigrer le serveur à Dublin,MIG-1\r\n".encode("cp1252"))
    assert read_jira_csv(path, Context()).items[0].title == "Migrer le serveur à Dublin"


def test_utf8_file_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    path = tmp_path / "Jira.csv"
    path.write_bytes("Summary,Issue key\r\nMove SRV01,MIG-1\r\n".encode("utf-8-sig"))
    assert read_jira_csv(path, Context()).items[0].id == "jira:MIG-1"
