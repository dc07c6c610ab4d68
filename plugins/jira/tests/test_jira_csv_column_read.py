"""Reading ``jira-csv`` column by column gives what reading it row by row gives: the same
backlog and warnings for every file the column path takes, and every other file (irregular
rows, bad cells) left to the row path, which words the errors."""

import csv
import io
from pathlib import Path
from typing import Any

import attrs
import pytest
from test_jira_csv_columns import IMPORTER_BACKLOG
from test_jira_csv_read import CLOUD_EXPORT

from mbf.domain import (
    Backlog,
    Iteration,
    Release,
    StateCategory,
    TrackerRef,
)
from mbf.domain.columns import BacklogColumns
from mbf.errors import InputError
from mbf.plugin import Context
from mbf_jira import column_reader, csv_reader, csv_text
from mbf_jira.csv_format import write_jira_csv
from mbf_jira.csv_reader import read_jira_csv, read_jira_csv_columns
from mbf_jira.csv_text import csv_columns

Outcome = tuple[Backlog, list[str]] | str


def _outcome(path: Path) -> Outcome:
    context = Context()
    try:
        backlog = read_jira_csv(path, context)
    except InputError as exc:
        return str(exc)
    return backlog, context.diagnostics.warnings


def read_both_ways(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data: bytes
) -> tuple[Outcome, bool]:
    """What reading ``data`` gives (the backlog and warnings, or the error), checked to be what
    the row path alone gives; and whether the column path read it."""
    path = tmp_path / "Jira.csv"
    path.write_bytes(data)
    taken: list[bool] = []
    read_columns = column_reader.read_columns

    def spy(*args: Any) -> bool:
        taken.append(read_columns(*args))
        return taken[-1]

    with monkeypatch.context() as patch:
        patch.setattr(csv_reader, "read_columns", spy)
        outcome = _outcome(path)
    with monkeypatch.context() as patch:
        patch.setattr(csv_reader, "csv_columns", lambda text: None)  # row by row only
        row_by_row = _outcome(path)
    assert outcome == row_by_row
    return outcome, taken == [True]


def _mbf_file(tmp_path: Path) -> bytes:
    """The writer's importer backlog, with a multi-line description, labels on every level and
    an assignee with no display name, written by mbf."""
    epic, story, cut_over, secure = IMPORTER_BACKLOG.items
    backlog = attrs.evolve(
        IMPORTER_BACKLOG,
        items=(
            attrs.evolve(epic, description='Lease ends "soon",\nreally'),
            attrs.evolve(story, tags=("rehost", "wave-1")),
            attrs.evolve(cut_over, tags=("wave-1",)),
            attrs.evolve(secure, assignee="ravi@contoso.com"),
        ),
    )
    path = tmp_path / "mbf.jira.csv"
    write_jira_csv(backlog, path, Context())
    return path.read_bytes()


def test_a_file_mbf_writes_is_read_column_by_column_as_row_by_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outcome, by_column = read_both_ways(tmp_path, monkeypatch, _mbf_file(tmp_path))
    assert by_column
    assert not isinstance(outcome, str)
    backlog, warnings = outcome
    assert [
        (i.id, i.parent_id, i.tags, i.priority, i.assignee, i.iteration_id, i.release_id)
        for i in backlog.items
    ] == [
        ("epic:ams1", None, (), 2, "", None, None),
        ("story:srv01", "epic:ams1", ("rehost", "wave-1"), None, "", "sprint-1", "release-1"),
        ("jira:MIG-7", "story:srv01", ("wave-1",), 1, "Dana Lee <dana@contoso.com>", None, None),
        ("task:srv01/secure", "story:srv01", (), None, "ravi@contoso.com", "sprint-1", None),
    ]
    assert [i.extra for i in backlog.items] == [
        {"Issue Type": "Initiative", "Parent": "MIG-1", "cost": "1200", "zone": "=eu"},
        {"Sprint": ["Sprint 0"], "Fix Version": ["R0"], "zone": "eu"},
        {"Priority": "Blocker", "servers": ["a", "b", "c"]},
        {},
    ]
    assert [(i.title, i.description) for i in backlog.items[:2]] == [
        ("=Exit, AMS1", 'Lease ends "soon",\nreally'),
        ('Move "SRV01"', ""),
    ]
    assert [i.refs for i in backlog.items] == [{}, {}, {"jira": TrackerRef(key="MIG-7")}, {}]
    assert backlog.iterations == (Iteration(id="sprint-1", name="Sprint 1"),)
    assert backlog.releases == (Release(id="release-1", name="Release, 1"),)
    assert warnings == [
        "jira-csv: 1 issue(s) have a parent that is not in the file; it is kept in the extra "
        "field 'Parent'"
    ]


def test_a_cloud_export_is_read_column_by_column_as_row_by_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outcome, by_column = read_both_ways(tmp_path, monkeypatch, CLOUD_EXPORT.encode())
    assert by_column
    assert not isinstance(outcome, str)
    assert outcome[1] == [
        "jira-csv: 1 issue link(s) point outside the file; kept in extra under their column"
    ]


REGULAR = {
    "older-export": (
        "Summary,Issue key,Issue id,Issue Type,Parent id,Custom field (Epic Link),Fix Version/s\r\n"
        "Exit AMS1,MIG-1,10001,Epic,,,\r\n"
        "Migrate SRV01,MIG-2,10002,Story,,MIG-1,R1\r\n"
        "Back up SRV01,MIG-3,10003,Sub-task,10002,,\r\n"
        "Orphan,MIG-4,10004,Task,,MIG-77,\r\n"
    ),
    "french": (
        "Résumé,Clé de ticket,Clé parent,Champs personnalisés (Story Points)\r\n"
        "Sortir de AMS1,MIG-1,,\r\nMigrer SRV01,MIG-2,MIG-1,3\r\n"
    ),
    "parent-further-down": (
        "Summary,Issue key,Issue id,Parent\r\nBack up,MIG-3,10003,10002\r\nMove,MIG-2,10002,\r\n"
    ),
    "parent-by-key-in-the-parent-column": (
        "Summary,Issue key,Issue id,Parent\r\nMove,MIG-2,10002,\r\nBack up,MIG-3,10003,MIG-2\r\n"
    ),
    "no-keys-rows-numbered": "Summary,Labels,Labels\r\nA,x,\r\nB,,mbf:\r\nC, mbf:c,y\r\n",
    "spaced-id-label-in-two-columns": (
        "Summary,Labels,Labels\r\nA, mbf:a,x\r\nB,y, mbf:a\r\nC,z,mbf:c\r\n"
    ),
    "labels-neutralised-and-spaced": (
        "Summary,Issue key,Labels,Labels,Labels\r\n"
        "A,MIG-1,'=sum, wave-1 ,mbf:a\r\n"
        "B,MIG-2,mbf:b ,'mbf:x,mbf:c\r\n"
    ),
    "repeated-single-value-columns": (
        "Summary,Status,Status,Due date,Due date\r\nA,,Done,,2025-01-02\r\nB,In Progress,,,\r\n"
    ),
    "sprints-and-versions": (
        "Summary,Sprint,Sprint,Fix Version,Fix Version\r\n"
        "A,S1,S2,R1,R2\r\nB,,S2,,R1\r\nC, ,s-2,R2,\r\nD,S 2,,,\r\n"
    ),
    "site-types-priorities-statuses": (
        "Summary,Issue Type,Priority,Status,Status Category\r\n"
        "A,Bug,Major,Triage,\r\nB,bug,2,Triage,Done\r\nC,,,Triage,Done\r\nD,Story,P1,'=odd,\r\n"
    ),
    "assignees": (
        "Summary,Assignee,Assignee Name\r\nA,dana@contoso.com,Dana Lee\r\nB,'=x@y.z,\r\n"
        "C,,Ravi\r\nD, ravi@contoso.com ,\r\n"
    ),
    "links-both-sides": (
        "Summary,Issue key,Outward issue link (Blocks),Inward issue link (Blocks),"
        "Outward issue link (Relates),Outward issue link (Relates)\r\n"
        "A,MIG-1,MIG-2,,MIG-2,MIG-9\r\nB,MIG-2,,MIG-1,MIG-1,\r\n"
    ),
    "extras-repeated-and-neutralised": (
        "Summary,Watchers,Watchers,zone,Comment\r\n"
        'A,dana,,=eu,"one\r\ntwo"\r\nB,,,,\r\nC,,ravi,\'+1,\r\n'
    ),
    "descriptions": (
        'Summary,Description\r\nA,"Line one\nLine two"\r\nB,\'=1+2\r\nC,"a ""quoted"" word"\r\n'
    ),
    "duplicate-issue-ids": "Summary,Issue id,Parent\r\nA,1,\r\nB,1,\r\nC,2,1\r\n",
    "duplicate-keys": "Summary,Issue key,Parent key\r\nA,K-1,\r\nB,K-1,\r\nC,K-2,K-1\r\n",
    "key-equal-to-an-issue-id": (
        "Summary,Issue key,Issue id,Parent\r\nA,7,1,\r\nB,K-2,7,\r\nC,K-3,3,7\r\n"
    ),
    "estimates-and-dates": (
        "Summary,Original Estimate,Start date,Due date\r\n"
        "A,7200,28/Nov/25 5:03 PM,6/21/2025 16:14\r\nB,,21.06.2025,2025-06-21T16:14:00\r\n"
    ),
}


ROW_BY_ROW = {"duplicate-issue-ids", "duplicate-keys", "key-equal-to-an-issue-id"}
"""Files whose parents are resolved row by row: repeated ids or keys, a key that is an id."""


@pytest.mark.parametrize("name", list(REGULAR))
def test_regular_files_are_read_column_by_column_as_row_by_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    outcome, by_column = read_both_ways(tmp_path, monkeypatch, REGULAR[name].encode())
    assert not isinstance(outcome, str)
    assert by_column == (name not in ROW_BY_ROW)


def test_labels_ids_and_row_numbers_are_the_row_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outcome, by_column = read_both_ways(
        tmp_path, monkeypatch, REGULAR["no-keys-rows-numbered"].encode()
    )
    assert by_column
    assert not isinstance(outcome, str)
    assert [(i.id, i.tags) for i in outcome[0].items] == [
        ("jira:row-2", ("x",)),
        ("jira:row-3", ()),
        ("c", ("y",)),
    ]
    outcome, _ = read_both_ways(
        tmp_path, monkeypatch, REGULAR["labels-neutralised-and-spaced"].encode()
    )
    assert not isinstance(outcome, str)
    assert [(i.id, i.tags) for i in outcome[0].items] == [
        ("a", ("=sum", "wave-1")),
        ("c", ("'mbf:x",)),
    ]
    outcome, _ = read_both_ways(
        tmp_path, monkeypatch, REGULAR["spaced-id-label-in-two-columns"].encode()
    )
    assert not isinstance(outcome, str)
    assert [(i.id, i.tags) for i in outcome[0].items] == [
        ("a", ("x",)),
        ("a", ("y",)),
        ("c", ("z",)),
    ]


def test_sprint_history_and_versions_are_the_row_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outcome, by_column = read_both_ways(
        tmp_path, monkeypatch, REGULAR["sprints-and-versions"].encode()
    )
    assert by_column
    assert not isinstance(outcome, str)
    backlog = outcome[0]
    assert [(i.iteration_id, i.release_id, i.extra) for i in backlog.items] == [
        ("s2", "r1", {"Sprint": ["S1"], "Fix Version": ["R2"]}),
        ("s2", "r1", {}),
        ("s-2", "r2", {}),
        ("s-2-2", None, {}),
    ]
    assert [(s.id, s.name) for s in backlog.iterations] == [
        ("s2", "S2"),
        ("s-2", "s-2"),
        ("s-2-2", "S 2"),
    ]


def test_a_status_is_counted_unknown_only_on_the_issues_without_a_category(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = (
        "Summary,Status,Status Category\r\nA,Triage,\r\nB,Triage,Done\r\nC,Triage,Done\r\n"
        "D,Triage,\r\n"
    )
    outcome, by_column = read_both_ways(tmp_path, monkeypatch, text.encode())
    assert by_column
    assert not isinstance(outcome, str)
    assert [i.state_category for i in outcome[0].items] == [
        StateCategory.TODO,
        StateCategory.DONE,
        StateCategory.DONE,
        StateCategory.TODO,
    ]
    assert outcome[1] == [
        "jira-csv: status 'Triage' (2 issue(s)) has no status category; counted as to do"
    ]


IRREGULAR = {
    "blank-lines": ("Summary,Issue key\r\nMove,MIG-2\r\n\r\n,\r\nBack up,MIG-3\r\n", None),
    "wider-rows": (
        "Summary,Issue key,Issue Type,Labels\r\nMove SRV01,MIG-5,Story,one,two\r\n"
        "Back up,MIG-6,Task\r\n",
        None,
    ),
    "wider-extras-and-sprints": (
        "Summary,Sprint\r\nA,S1,S2,,S3\r\nB,S1\r\n",
        None,
    ),
    "lf-lines": ("Summary,Issue key\nMove,MIG-2\nBack up,MIG-3\n", None),
    "no-final-line-break": ("Summary,Issue key\r\nMove,MIG-2", None),
    "lone-cr": (  # (the CR ends a row)
        "Summary,Issue key\r\nMove\r,MIG-2\r\n",
        "row 3, column 'Summary': the row has no summary",
    ),
    "cr-before-line-break": ("Summary,Issue key\r\nMove,MIG-2\r\r\nB,MIG-3\r\n", None),
    "empty-summary": (
        "Summary,Issue key\r\nA,MIG-1\r\n,MIG-2\r\n",
        "row 3, column 'Summary': the row has no summary",
    ),
    "estimate": (
        "Summary,Original Estimate\r\nA,7200\r\nB,2h\r\n",
        "row 3, column 'Original Estimate': '2h' is not a number of seconds",
    ),
    "infinite-estimate": (
        "Summary,Original Estimate\r\nA,1e400\r\n",
        "row 2, column 'Original Estimate': '1e400' is not a number of seconds",
    ),
    "start-date": (
        "Summary,Start Date\r\nA,someday\r\n",
        "row 2, column 'Start Date': 'someday' is not a date (e.g. 28/Nov/25 5:03 PM)",
    ),
    "due-date": (
        "Summary,Due date\r\nA,2025-01-02\r\nB,soon\r\n",
        "row 3, column 'Due Date': 'soon' is not a date (e.g. 28/Nov/25 5:03 PM)",
    ),
    "unclosed-quote": (
        'Summary,Description\r\nA,"never closed\r\n',
        "row 2: malformed CSV: unexpected end of data",
    ),
    "quote-after-a-quoted-cell": (
        'Summary,Description\r\nA,"x"y\r\n',
        "row 2: malformed CSV: ',' expected after '\"'",
    ),
    "no-summary-column": (
        "Issue key,Issue Type\r\nMIG-1,Story\r\n",
        "row 1, column 'Summary': missing column; Jira CSV files need 'Summary'",
    ),
    "header-only": ("Summary,Issue key\r\n", None),
}


@pytest.mark.parametrize(("text", "error"), list(IRREGULAR.values()), ids=list(IRREGULAR))
def test_irregular_files_and_bad_cells_are_read_as_row_by_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, error: str | None
) -> None:
    outcome, _ = read_both_ways(tmp_path, monkeypatch, text.encode())
    if error is None:
        assert not isinstance(outcome, str)
    else:
        assert outcome == f"{tmp_path / 'Jira.csv'}, {error}"


def test_an_empty_file_is_refused_as_row_by_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outcome, _ = read_both_ways(tmp_path, monkeypatch, b"")
    assert outcome == (
        f"{tmp_path / 'Jira.csv'}: the file is empty; expected a header with 'Summary'"
    )


def test_rows_wider_than_the_header_are_read_row_by_row_with_their_extra_cells(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outcome, by_column = read_both_ways(
        tmp_path, monkeypatch, IRREGULAR["wider-extras-and-sprints"][0].encode()
    )
    assert not by_column
    assert not isinstance(outcome, str)
    assert [(i.iteration_id, i.extra) for i in outcome[0].items] == [
        ("s3", {"Sprint": ["S1", "S2"]}),
        ("s1", {}),
    ]


def test_a_windows_1252_file_is_read_column_by_column(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = "Summary,Issue key\r\nMigrer le serveur à Dublin,MIG-1\r\n".encode("cp1252")
    outcome, by_column = read_both_ways(tmp_path, monkeypatch, data)
    assert by_column
    assert not isinstance(outcome, str)
    assert outcome[0].items[0].title == "Migrer le serveur à Dublin"


def test_columns_are_what_the_row_path_builds_items_from(tmp_path: Path) -> None:
    path = tmp_path / "mbf.jira.csv"
    path.write_bytes(_mbf_file(tmp_path))
    columns = read_jira_csv_columns(path, Context())
    assert isinstance(columns, BacklogColumns)
    assert list(columns.items.column("id")) == [
        "epic:ams1",
        "story:srv01",
        "jira:MIG-7",
        "task:srv01/secure",
    ]
    assert list(columns.items.column("estimate")) == [None, None, 1.5, None]
    assert columns.backlog() == read_jira_csv(path, Context())


# --- splitting the text -----------------------------------------------------------------------


def _csv_module_columns(text: str) -> tuple[list[str], list[tuple[str, ...]]] | None:
    rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    if any(len(row) != len(rows[0]) for row in rows):
        return None
    return rows[0], [tuple(column) for column in zip(*rows[1:], strict=True)] or [()] * len(rows[0])


def _as_tuples(
    split: tuple[list[str], list[Any]] | None,
) -> tuple[list[str], list[tuple[str, ...]]] | None:
    return None if split is None else (split[0], [tuple(column) for column in split[1]])


TEXTS = {
    "plain": "a,b,c\r\n1,2,3\r\n4,,6\r\n",
    "quoted-run-between-plain-runs": 'a,b\r\n1,2\r\n"x,y",3\r\n"p""q","r\ns"\r\n5,6\r\n',
    "quoted-first-and-last": '"a",b\r\n"1",2\r\n3,4\r\n5,"6"\r\n',
    "quoted-header": '"Sum,mary",b\r\n1,2\r\n',
    "quote-inside-a-plain-cell": 'a,b\r\n1,x"y\r\n',
    "line-break-in-quotes": 'a,b\r\n1,"x\r\ny"\r\n2,3\r\n',
    "three-line-cell": 'a,b\r\n1,"x\r\nmiddle\r\ny"\r\n2,3\r\n',
    "lf-in-plain-line": "a,b\r\n1,2\n3,4\r\n",
    "lone-cr": "a,b\r\n1,2\r3,4\r\n",
    "cr-at-line-end": "a,b\r\n1,2\r\r\n3,4\r\n",
    "lf-at-line-end": 'a,b\r\n1,"2"\n\r\n3,4\r\n',
    "short-and-long-lines-that-add-up": "a,b,c\r\n1,2,3\r\n1\r\n1\r\n1,2,3,4,5\r\n",
    "nul": "a,b\r\n1,\x002\r\n",
    "header-only": "a,b\r\n",
    "one-column": "a\r\n1\r\n\r\n2\r\n",
    "no-final-line-break": "a,b\r\n1,2",
    "blank-last-line": "a,b\r\n1,2\r\n\r\n",
    "blank-line-alone": "a,b\r\n\r\n",
    "blank-lines-between": "a,b\r\n1,2\r\n\r\n\r\n3,4\r\n5,6\r\n",
    "many-lines": "a,b,c\r\n" + "".join(f"{n},x{n},\r\n" for n in range(40)),
}


@pytest.mark.parametrize("text", list(TEXTS.values()), ids=list(TEXTS))
def test_the_text_is_split_into_the_columns_the_csv_module_reads(text: str) -> None:
    assert _as_tuples(csv_columns(text)) == _csv_module_columns(text)


@pytest.mark.parametrize("block", [1, 3, 8, 20])
@pytest.mark.parametrize("text", list(TEXTS.values()), ids=list(TEXTS))
def test_lines_split_in_blocks_give_the_same_columns(
    monkeypatch: pytest.MonkeyPatch, text: str, block: int
) -> None:
    monkeypatch.setattr(csv_text, "_BLOCK", block)
    assert _as_tuples(csv_columns(text)) == _csv_module_columns(text)


def test_a_text_of_many_quoted_lines_is_split_as_the_csv_module_reads_it() -> None:
    rows = [["Summary", "Description"]]
    rows += [[f"S{n}", f"a,{n}" if n % 3 else str(n)] for n in range(5_000)]
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    assert _as_tuples(csv_columns(out.getvalue())) == _csv_module_columns(out.getvalue())


def test_a_line_longer_than_the_csv_modules_cell_limit_is_refused_as_the_csv_module_does() -> None:
    text = "a,b\r\n1," + "x" * (csv.field_size_limit() + 1) + "\r\n"
    assert csv_columns(text) is None


def test_unclosed_quotes_and_ragged_rows_give_no_columns() -> None:
    assert csv_columns('a,b\r\n1,"2\r\n') is None
    assert csv_columns("a,b\r\n1,2,3\r\n") is None
    assert csv_columns("") is None
