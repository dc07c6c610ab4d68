"""The column path of the ``ado-csv`` reader: files in the form mbf and Boards write are read
column by column, and give what the row-by-row path gives for the same rows."""

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Literal

import pytest

from mbf.domain import Backlog, StateCategory, TrackerRef, WorkItemKind
from mbf.errors import InputError
from mbf.plugin import Context
from mbf_azure_devops.csv_reader import _canonical_columns, read_ado_csv

HEADER = [
    "ID", "Work Item Type", "Title 1", "Title 2", "Title 3", "State", "Assigned To", "Priority",
    "Tags", "Iteration Path", "Description", "Original Estimate", "Start Date", "Target Date",
    "env", "Custom.Cost",
]  # fmt: skip
ROWS = [
    ["", "Epic", "Exit AMS1", "", "", "New", "", "1", "datacenter; mbf:epic:ams1", "", "<p>Go.</p>",
     "20", "2027-01-04", "2027-09-12", "prod", ""],
    ["", "Feature", "", "Payroll", "", "Active", " Dana Lee ", "", "rehost; mbf:feature:pay",
     "Contoso\\Sprint 1", "<p>One</p><p>Two</p>", "", "", "", "", "'=12"],
    ["", "User Story", "", "", "PAY-DB01", "Waiting", "", "", "mbf:story:db01",
     "Contoso\\Sprint 1", "", "4", "1/4/2027", "", "", ""],
    ["", "Task", "", "", "'=sum", "New", "", "", "a b; mbf:task:db01/x; mbf-parent:story:gone",
     "", "", "", "", "", "line\r\ntwo", ""],
    ["", "Bug", "", "Orphan", "", "Closed", "", "2", "mbf-parent:epic:old", "Contoso\\Sprint 2",
     "", "", "", "", "", ""],
    ["42", "Task", "", "", "Keyed", "New", "", "", "", "", "", "", "", "", "", ""],
    ["", "Task", "Loose", "", "", "Waiting", "", "", "x mbf:not-an-id", "", "", "", "", "", "",
     ""],
]  # fmt: skip


def csv_text(rows: list[list[str]], quoting: Literal[0, 1, 2, 3]) -> str:
    stream = io.StringIO()
    csv.writer(stream, quoting=quoting, lineterminator="\r\n").writerows([HEADER, *rows])
    return stream.getvalue()


def read(tmp_path: Path, text: str, name: str = "backlog.ado.csv") -> tuple[Backlog, list[str]]:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8-sig"))
    context = Context()
    return read_ado_csv(path, context), context.diagnostics.warnings


def test_canonical_text_is_split_into_its_header_and_columns() -> None:
    text = '"ID","Title"\r\n"1","a, b"\r\n"","multi\nline"\r\n'
    assert _canonical_columns(text) == (["ID", "Title"], [("1", ""), ("a, b", "multi\nline")])
    assert _canonical_columns('"ID","Title"\r\n') == (["ID", "Title"], [(), ()])


@pytest.mark.parametrize(
    "text",
    [
        '"ID","Title"\r\n1,"a"\r\n',  # a cell without quotes
        '"ID","Title"\r\n"1","say ""hi"""\r\n',  # a quote in a cell
        '"ID","Title"\n"1","a"\n',  # LF line ends
        '"ID","Title"\r\n"1","a"',  # no CRLF after the last row
        '"ID","Title"\r\n"1","a","b"\r\n',  # a row wider than the header
        '"ID","Title"\r\n"1"\r\n"2","b","c"\r\n',  # rows of other widths
        '"ID","Title"\r\n"1","a\0"\r\n',  # a NUL, which the csv module refuses
        "",
    ],
)
def test_any_other_text_is_left_to_the_csv_module(text: str) -> None:
    assert _canonical_columns(text) is None


def test_column_path_gives_the_backlog_of_the_row_path(tmp_path: Path) -> None:
    by_columns, warnings = read(tmp_path, csv_text(ROWS, csv.QUOTE_ALL))
    by_rows, row_warnings = read(tmp_path, csv_text(ROWS, csv.QUOTE_MINIMAL), "minimal.ado.csv")
    assert _canonical_columns(csv_text(ROWS, csv.QUOTE_ALL)) is not None
    assert _canonical_columns(csv_text(ROWS, csv.QUOTE_MINIMAL)) is None
    assert by_columns == by_rows
    assert (
        warnings
        == row_warnings
        == ["ado-csv: state 'Waiting' (2 item(s)) is not a known Boards state; counted as to do"]
    )
    items = by_columns.items
    assert [(i.id, i.kind, i.parent_id) for i in items] == [
        ("epic:ams1", WorkItemKind.EPIC, None),
        ("feature:pay", WorkItemKind.FEATURE, "epic:ams1"),
        ("story:db01", WorkItemKind.STORY, "feature:pay"),
        ("task:db01/x", WorkItemKind.TASK, "feature:pay"),
        ("ado:new-1", WorkItemKind.STORY, "epic:ams1"),
        ("ado:42", WorkItemKind.TASK, "ado:new-1"),
        ("ado:new-2", WorkItemKind.TASK, None),
    ]
    epic, feature, story, task, bug, keyed, loose = items
    assert (epic.priority, epic.estimate, epic.start, epic.finish, epic.tags, epic.extra) == (
        1,
        20.0,
        dt.date(2027, 1, 4),
        dt.date(2027, 9, 12),
        ("datacenter",),
        {"env": "prod"},
    )
    assert (feature.assignee, feature.description, feature.iteration_id, feature.extra) == (
        "Dana Lee",
        "One\nTwo",
        "sprint-1",
        {"Custom.Cost": "=12"},
    )
    assert (story.state, story.state_category, story.start) == (
        "Waiting",
        StateCategory.TODO,
        dt.date(2027, 1, 4),
    )
    assert (task.title, task.tags, task.extra) == ("=sum", ("a b",), {"env": "line\ntwo"})
    assert (bug.title, bug.priority, bug.extra) == ("Orphan", 2, {"Work Item Type": "Bug"})
    assert (keyed.refs, loose.tags) == (
        {"azure-devops": TrackerRef(key="42")},
        ("x mbf:not-an-id",),
    )
    assert [(it.id, it.path) for it in by_columns.iterations] == [
        ("sprint-1", "Contoso\\Sprint 1"),
        ("sprint-2", "Contoso\\Sprint 2"),
    ]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({13: "2027-13-01"}, "row 3, column 'Target Date': '2027-13-01' is not a date"),
        ({1: " "}, "row 3, column 'Work Item Type': the row has no work item type"),
        ({2: "x", 3: "y"}, "row 3, column 'Title 2': only one Title column may be filled"),
        ({3: "", 4: "deep"}, "row 3, column 'Title 3': no item at level 2 above this one"),
        ({0: "A1"}, "row 3, column 'ID': 'A1' is not a work item ID"),
    ],
)
def test_a_bad_cell_in_a_canonical_file_gets_the_row_paths_error(
    tmp_path: Path, row: dict[int, str], message: str
) -> None:
    second = ["", "Task", "", "Title", "", "New", *[""] * 10]
    for column, value in row.items():
        second[column] = value
    text = csv_text([ROWS[0], second], csv.QUOTE_ALL)
    assert _canonical_columns(text) is not None
    with pytest.raises(InputError, match=message):
        read(tmp_path, text)


def test_a_cell_longer_than_the_csv_limit_gets_the_csv_modules_error(tmp_path: Path) -> None:
    text = csv_text([ROWS[0], ["", "Task", "", "x" * 40, *[""] * 12]], csv.QUOTE_ALL)
    limit = csv.field_size_limit(30)
    try:
        assert _canonical_columns(text) is None
        with pytest.raises(
            InputError, match=r"row 3: malformed CSV: field larger than field limit"
        ):
            read(tmp_path, text)
    finally:
        csv.field_size_limit(limit)
