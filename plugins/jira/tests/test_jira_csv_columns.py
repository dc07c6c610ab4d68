"""The column-by-column writing of ``jira-csv``: the same cells ``csv.writer`` wrote row by row."""

import csv
import datetime as dt
import io
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
from mbf_jira.cells import csv_cell, csv_lines
from mbf_jira.csv_format import write_jira_csv

TRICKY_CELLS = ["plain", "", "a,b", 'say "hi"', "one\ntwo", "cr\r", " spaced ", "=1+2", "é"]


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("plain", "plain"),
        ("", ""),
        ("a,b", '"a,b"'),
        ('say "hi"', '"say ""hi"""'),
        ("one\ntwo", '"one\ntwo"'),
        ("cr\r", '"cr\r"'),
        (" spaced ", " spaced "),
        (None, ""),
        (3, "3"),
        (2.5, "2.5"),
    ],
)
def test_a_cell_is_quoted_only_when_it_holds_a_comma_quote_or_line_break(
    value: object, cell: str
) -> None:
    assert csv_cell(value) == cell


def test_lines_are_what_csv_writer_writes_row_by_row() -> None:
    rows = [
        [TRICKY_CELLS[i], TRICKY_CELLS[(i * 5 + 2) % 9], "x", TRICKY_CELLS[-1 - i]]
        for i in range(9)
    ]
    expected = io.StringIO()
    csv.writer(expected).writerows(rows)
    columns = [[row[i] for row in rows] for i in range(4)]
    assert csv_lines(columns) == expected.getvalue()
    assert csv_lines([[], []]) == ""


def test_a_column_that_is_not_text_is_written_as_csv_writer_would() -> None:
    assert csv_lines([["a", "b"], [None, 7], [1.5, "c,d"]]) == 'a,,1.5\r\nb,7,"c,d"\r\n'


def test_lines_of_a_single_column_are_refused() -> None:
    with pytest.raises(ValueError, match="two or more"):
        csv_lines([["a"]])


IMPORTER_BACKLOG = Backlog(
    items=(
        WorkItem(
            id="epic:ams1",
            kind=WorkItemKind.EPIC,
            title="=Exit, AMS1",
            priority=2,
            extra={"Parent": "MIG-1", "Issue Type": "Initiative", "cost": 1200, "zone": "=eu"},
        ),
        WorkItem(
            id="story:srv01",
            kind=WorkItemKind.STORY,
            title='Move "SRV01"',
            parent_id="epic:ams1",
            iteration_id="sprint-1",
            release_id="release-1",
            extra={"Sprint": ["Sprint 0"], "Fix Version": "R0", "Priority": "", "zone": "eu"},
        ),
        WorkItem(
            id="jira:MIG-7",
            kind=WorkItemKind.TASK,
            title="Cut over",
            parent_id="story:srv01",
            refs={"jira": TrackerRef(key="MIG-7")},
            assignee="Dana Lee <dana@contoso.com>",
            tags=("wave 1",),
            estimate=1.5,
            start=dt.date(2027, 1, 4),
            extra={"Priority": "Blocker", "servers": ["a", "b", "c"]},
        ),
        WorkItem(
            id="task:srv01/secure",
            kind=WorkItemKind.TASK,
            title="Secure",
            parent_id="story:srv01",
            description="Line one\nLine two",
            state="Active",
            state_category=StateCategory.IN_PROGRESS,
            iteration_id="sprint-1",
            finish=dt.date(2027, 1, 8),
            extra={"zone": None},
        ),
    ),
    iterations=(Iteration(id="sprint-1", name="Sprint 1"),),
    releases=(Release(id="release-1", name="Release, 1"),),
)
"""Extras, refs, multi-valued fields, a sprint history and cells the csv module must quote:
the writer's exact file is below; the column reader reads a variant of it."""


def test_extras_refs_and_multi_values_give_the_importer_file_byte_for_byte(tmp_path: Path) -> None:
    backlog = IMPORTER_BACKLOG
    path = tmp_path / "backlog.jira.csv"
    context = Context()
    write_jira_csv(backlog, path, context)
    assert path.read_bytes().decode() == (
        "Summary,Issue Id,Parent,Issue key,Issue Type,Status,Status Category,Priority,Assignee,"
        "Assignee Name,Description,Labels,Labels,Sprint,Sprint,Fix Version,Fix Version,"
        "Original Estimate,Start Date,Due Date,cost,servers,servers,servers,zone\r\n"
        '"\'=Exit, AMS1",1,MIG-1,,Initiative,New,To Do,High,,,,mbf:epic:ams1,,,,,,,,,1200,,,,'
        "'=eu\r\n"
        '"Move ""SRV01""",2,1,,Story,New,To Do,,,,,mbf:story:srv01,,Sprint 0,Sprint 1,'
        '"Release, 1",R0,,,,,,,,eu\r\n'
        "Cut over,3,2,MIG-7,Sub-task,New,To Do,Blocker,dana@contoso.com,Dana Lee,,wave_1,,,,,,"
        "5400,04/Jan/2027 12:00 AM,,,a,b,c,\r\n"
        'Secure,4,2,,Sub-task,Active,In Progress,,,,"Line one\nLine two",mbf:task:srv01/secure,,'
        "Sprint 1,,,,,,08/Jan/2027 12:00 AM,,,,,\r\n"
    )
    assert context.diagnostics.warnings == [
        "jira-csv: 1 label(s) contained spaces, written with '_' instead"
    ]


def test_an_empty_backlog_gives_the_header_alone(tmp_path: Path) -> None:
    path = tmp_path / "empty.jira.csv"
    write_jira_csv(Backlog(), path, Context())
    assert path.read_bytes() == (
        b"Summary,Issue Id,Parent,Issue key,Issue Type,Status,Status Category,Priority,Assignee,"
        b"Assignee Name,Description,Labels,Sprint,Fix Version,Original Estimate,Start Date,"
        b"Due Date\r\n"
    )


def test_rows_past_the_first_block_keep_every_column(tmp_path: Path) -> None:
    items = [WorkItem(id="epic:e", kind=WorkItemKind.EPIC, title="E", extra={"zone": "eu"})]
    items += [
        WorkItem(id=f"task:{n}", kind=WorkItemKind.TASK, title=f"T{n}", parent_id="epic:e")
        for n in range(4500)
    ]
    items.append(WorkItem(id="epic:f", kind=WorkItemKind.EPIC, title="F", extra={"zone": "us"}))
    path = tmp_path / "big.jira.csv"
    write_jira_csv(Backlog(items=items), path, Context())
    lines = path.read_bytes().decode().split("\r\n")
    assert len(lines) == 4504  # the header, 4,502 rows and the empty string after the last CRLF
    assert lines[1:3] == [
        "E,1,,,Epic,New,To Do,,,,,mbf:epic:e,,,,,,eu",
        "F,2,,,Epic,New,To Do,,,,,mbf:epic:f,,,,,,us",
    ]
    assert lines[4502] == "T4499,4502,1,,Sub-task,New,To Do,,,,,mbf:task:4499,,,,,,"
