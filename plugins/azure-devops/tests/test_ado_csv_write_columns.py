"""The ``ado-csv`` writer of columns: items given top-down are written depth-first, files are cut
at subtree boundaries with their orphans tagged, and every cell is what ``csv.writer`` with
``QUOTE_ALL`` writes (formulas neutralised, quotes doubled, extras grouped by their keys)."""

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest

import mbf_azure_devops.csv_writer
from mbf.domain import Backlog, Iteration, StateCategory, TrackerRef, WorkItem, WorkItemKind
from mbf.domain.columns import BacklogColumns, ItemColumns
from mbf.plugin import Context
from mbf_azure_devops.csv_format import AdoCsvSettings, split_into_parts, write_ado_csv
from mbf_azure_devops.csv_parts import FileParts, file_parts
from mbf_azure_devops.csv_writer import write_ado_csv_columns

AFTER_TITLES = [
    "State", "Assigned To", "Priority", "Tags", "Iteration Path", "Area Path", "Description",
    "Original Estimate", "Start Date", "Target Date",
]  # fmt: skip
BLANK_AFTER_TAGS = ["", "", "", "", "", ""]  # Iteration Path … Target Date


def quote_all(rows: list[list[str]]) -> bytes:
    """What csv.writer with QUOTE_ALL writes for ``rows``, with the BOM of a Boards file."""
    stream = io.StringIO()
    csv.writer(stream, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(rows)
    return stream.getvalue().encode("utf-8-sig")


def write_columns(
    columns: dict[str, list[Any]],
    path: Path,
    settings: AdoCsvSettings | None = None,
    **backlog: Any,
) -> list[str]:
    context = Context(settings=settings) if settings else Context()
    write_ado_csv_columns(BacklogColumns(items=ItemColumns(columns), **backlog), path, context)
    return context.diagnostics.warnings


def test_items_given_top_down_are_written_depth_first_with_a_title_column_per_level(
    tmp_path: Path,
) -> None:
    columns: dict[str, list[Any]] = {
        "id": ["epic:a", "epic:b", "feature:a", "feature:b", "story:a", "task:a"],
        "kind": [WorkItemKind.EPIC] * 2 + [WorkItemKind.FEATURE] * 2
        + [WorkItemKind.STORY, WorkItemKind.TASK],
        "title": ["Epic A", "Epic B", "Feature A", "Feature B", "Story A", "Task A"],
        "parent_id": [None, None, "epic:a", "epic:b", "feature:a", "story:a"],
    }  # fmt: skip
    assert write_columns(columns, tmp_path / "out.ado.csv") == []
    assert (tmp_path / "out.ado.csv").read_bytes() == quote_all(
        [
            ["ID", "Work Item Type", "Title 1", "Title 2", "Title 3", "Title 4", *AFTER_TITLES],
            ["", "Epic", "Epic A", "", "", "", "New", "", "", "mbf:epic:a", *BLANK_AFTER_TAGS],
            ["", "Feature", "", "Feature A", "", "", "New", "", "", "mbf:feature:a",
             *BLANK_AFTER_TAGS],
            ["", "User Story", "", "", "Story A", "", "New", "", "", "mbf:story:a",
             *BLANK_AFTER_TAGS],
            ["", "Task", "", "", "", "Task A", "New", "", "", "mbf:task:a", *BLANK_AFTER_TAGS],
            ["", "Epic", "Epic B", "", "", "", "New", "", "", "mbf:epic:b", *BLANK_AFTER_TAGS],
            ["", "Feature", "", "Feature B", "", "", "New", "", "", "mbf:feature:b",
             *BLANK_AFTER_TAGS],
        ]
    )  # fmt: skip


def every_field() -> Backlog:
    """Items using every field the format writes, in an order needing no move."""
    return Backlog(
        items=(
            WorkItem(
                id="epic:ams1",
                kind=WorkItemKind.EPIC,
                title='=Exit "AMS1"',
                description="Go.\nNow <all> & more",
                priority=1,
                tags=("+dc", "a;b", 'say "hi"'),
                estimate=-0.0,
                start=dt.date(2027, 1, 4),
                finish=dt.date(2027, 9, 12),
                extra={"env": "-prod", "Custom.Cost": 12, "Area Path": "@Ops"},
            ),
            WorkItem(
                id="ado:42",
                kind=WorkItemKind.TASK,
                title="Keyed",
                parent_id="epic:ams1",
                state="Closed",
                state_category=StateCategory.IN_PROGRESS,
                assignee="@Dana <dana@contoso.com>",
                iteration_id="sprint-1",
                estimate=0.0,
                refs={"azure-devops": TrackerRef(key="42")},
                extra={"env": "test", "Custom.Cost": ["a", 2], "Work Item Type": 7},
            ),
            WorkItem(
                id="task:other",
                kind=WorkItemKind.TASK,
                title="Other ref",
                parent_id="epic:ams1",
                state="Waiting",
                state_category=StateCategory.DONE,
                estimate=1.5,
                refs={"azure-devops": TrackerRef(key="43")},
                extra={"Work Item Type": "Bug"},
            ),
        ),
        iterations=(Iteration(id="sprint-1", name="Sprint 1", path="=Contoso\\Sprint 1"),),
    )


EVERY_FIELD_HEADER = [
    "ID", "Work Item Type", "Title 1", "Title 2", *AFTER_TITLES, "Custom.Cost", "env",
]  # fmt: skip


def test_every_cell_is_neutralised_quoted_and_grouped_as_the_csv_module_writes_it(
    tmp_path: Path,
) -> None:
    context = Context()
    write_ado_csv(every_field(), tmp_path / "out.ado.csv", context)
    assert (tmp_path / "out.ado.csv").read_bytes() == quote_all(
        [
            EVERY_FIELD_HEADER,
            ["", "Epic", '\'=Exit "AMS1"', "", "New", "", "1",
             '\'+dc; a,b; say "hi"; mbf:epic:ams1', "", "'@Ops",
             "<p>Go.</p><p>Now &lt;all&gt; &amp; more</p>", "-0", "2027-01-04", "2027-09-12",
             "12", "'-prod"],
            ["42", "7", "", "Keyed", "Active", "'@Dana <dana@contoso.com>", "", "",
             "'=Contoso\\Sprint 1", "", "", "0", "", "", "a; 2", "test"],
            ["43", "Bug", "", "Other ref", "Waiting", "", "", "mbf:task:other", "", "", "",
             "1.5", "", "", "", ""],
        ]
    )  # fmt: skip
    assert context.diagnostics.warnings == [
        "ado-csv: 1 tag(s) contained ';', written as ',' (Boards splits tags at ';')"
    ]


def test_neutralising_switched_off_writes_text_as_it_is(tmp_path: Path) -> None:
    context = Context(settings=AdoCsvSettings(neutralise_formulas=False))
    write_ado_csv(every_field(), tmp_path / "out.ado.csv", context)
    with (tmp_path / "out.ado.csv").open(encoding="utf-8-sig", newline="") as stream:
        rows = list(csv.reader(stream))
    assert [rows[1][2], rows[1][7], rows[1][9], rows[1][-1]] == [
        '=Exit "AMS1"',
        '+dc; a,b; say "hi"; mbf:epic:ams1',
        "@Ops",
        "-prod",
    ]
    assert [rows[2][5], rows[2][8]] == ["@Dana <dana@contoso.com>", "=Contoso\\Sprint 1"]


def test_items_and_columns_write_the_same_bytes(tmp_path: Path) -> None:
    backlog = every_field()
    write_ado_csv(backlog, tmp_path / "items.ado.csv", Context())
    write_ado_csv_columns(BacklogColumns.of(backlog), tmp_path / "columns.ado.csv", Context())
    assert (tmp_path / "items.ado.csv").read_bytes() == (tmp_path / "columns.ado.csv").read_bytes()


def test_columns_not_given_are_written_at_their_defaults(tmp_path: Path) -> None:
    columns: dict[str, list[Any]] = {
        "id": ["task:a", "task:b"],
        "kind": [WorkItemKind.TASK, WorkItemKind.TASK],
        "title": ["A", "B"],
    }
    write_columns(columns, tmp_path / "out.ado.csv")
    assert (tmp_path / "out.ado.csv").read_bytes() == quote_all(
        [
            ["ID", "Work Item Type", "Title", *AFTER_TITLES],
            ["", "Task", "A", "New", "", "", "mbf:task:a", *BLANK_AFTER_TAGS],
            ["", "Task", "B", "New", "", "", "mbf:task:b", *BLANK_AFTER_TAGS],
        ]
    )


def test_extras_of_different_keys_fill_their_own_columns_and_leave_the_others_blank(
    tmp_path: Path,
) -> None:
    columns: dict[str, list[Any]] = {
        "id": ["task:a", "task:b", "task:c", "task:d", "task:e"],
        "kind": [WorkItemKind.TASK] * 5,
        "title": ["A", "B", "C", "D", "E"],
        "extra": [
            {"os": "Linux", "env": "prod"},
            {},
            {"env": '"test"', "os": "=cmd"},  # the same keys in another order
            {"env": None, "Title 2": "x", "wave": ["1", "2"]},
            {"os": "Windows", "env": "dev"},
        ],
    }
    warnings = write_columns(columns, tmp_path / "out.ado.csv")
    assert warnings == [
        "ado-csv: extra field 'Title 2' clashes with a column of its own; not written"
    ]
    assert (tmp_path / "out.ado.csv").read_bytes() == quote_all(
        [
            ["ID", "Work Item Type", "Title", *AFTER_TITLES, "env", "os", "wave"],
            ["", "Task", "A", "New", "", "", "mbf:task:a", *BLANK_AFTER_TAGS, "prod", "Linux", ""],
            ["", "Task", "B", "New", "", "", "mbf:task:b", *BLANK_AFTER_TAGS, "", "", ""],
            ["", "Task", "C", "New", "", "", "mbf:task:c", *BLANK_AFTER_TAGS, '"test"', "'=cmd",
             ""],
            ["", "Task", "D", "New", "", "", "mbf:task:d", *BLANK_AFTER_TAGS, "", "", "1; 2"],
            ["", "Task", "E", "New", "", "", "mbf:task:e", *BLANK_AFTER_TAGS, "dev", "Windows",
             ""],
        ]
    )  # fmt: skip


def test_extras_each_with_keys_of_their_own_are_written_alike(tmp_path: Path) -> None:
    # More groups of keys than items to share them: each item's values looked up by key.
    count = 30
    columns: dict[str, list[Any]] = {
        "id": [f"task:{n}" for n in range(count)],
        "kind": [WorkItemKind.TASK] * count,
        "title": [f"T{n}" for n in range(count)],
        "extra": [{f"k{n:02}": f"v{n}", "shared": "=s"} for n in range(count)],
    }
    write_columns(columns, tmp_path / "out.ado.csv")
    with (tmp_path / "out.ado.csv").open(encoding="utf-8-sig", newline="") as stream:
        rows = list(csv.reader(stream))
    assert rows[0][-(count + 1) :] == [*(f"k{n:02}" for n in range(count)), "shared"]
    assert rows[3][-(count + 1) :] == ["", "", "v2", *[""] * (count - 3), "'=s"]


def test_a_split_backlog_given_top_down_tags_the_items_whose_parent_is_in_an_earlier_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mbf_azure_devops.csv_writer, "MAX_ITEMS_PER_FILE", 4)
    columns: dict[str, list[Any]] = {
        "id": ["epic:a", "epic:b", "feature:a", "feature:b", "story:1", "story:2", "story:3",
               "story:4", "story:5"],
        "kind": [WorkItemKind.EPIC] * 2 + [WorkItemKind.FEATURE] * 2 + [WorkItemKind.STORY] * 5,
        "title": ["EA", "EB", "FA", "FB", "S1", "S2", "S3", "S4", "S5"],
        "parent_id": [None, None, "epic:a", "epic:b", "feature:a", "feature:a", "feature:a",
                      "feature:b", "feature:a"],
        "tags": [(), (), (), (), (), ("=x",), (), (), ()],
        "refs": [{}, {}, {}, {}, {}, {}, {"azure-devops": TrackerRef(key="9")}, {}, {}],
    }  # fmt: skip
    warnings = write_columns(columns, tmp_path / "out.ado.csv")
    # epic:a (6 items) is larger than a file: it and feature:a (5) go alone, then the stories.
    header = ["ID", "Work Item Type", "Title 1", "Title 2", "Title 3", *AFTER_TITLES]
    assert (tmp_path / "out.ado.csv").read_bytes() == quote_all(
        [
            header,
            ["", "Epic", "EA", "", "", "New", "", "", "mbf:epic:a", *BLANK_AFTER_TAGS],
            ["", "Feature", "", "FA", "", "New", "", "", "mbf:feature:a", *BLANK_AFTER_TAGS],
            ["", "User Story", "", "", "S1", "New", "", "", "mbf:story:1", *BLANK_AFTER_TAGS],
            ["", "User Story", "", "", "S2", "New", "", "", "'=x; mbf:story:2",
             *BLANK_AFTER_TAGS],
        ]
    )  # fmt: skip
    assert (tmp_path / "out-2.ado.csv").read_bytes() == quote_all(
        [
            header,
            ["9", "User Story", "S3", "", "", "New", "", "",
             "mbf:story:3; mbf-parent:feature:a", *BLANK_AFTER_TAGS],
            ["", "User Story", "S5", "", "", "New", "", "",
             "mbf:story:5; mbf-parent:feature:a", *BLANK_AFTER_TAGS],
        ]
    )  # fmt: skip
    assert (tmp_path / "out-3.ado.csv").read_bytes() == quote_all(
        [
            header,
            ["", "Epic", "EB", "", "", "New", "", "", "mbf:epic:b", *BLANK_AFTER_TAGS],
            ["", "Feature", "", "FB", "", "New", "", "", "mbf:feature:b", *BLANK_AFTER_TAGS],
            ["", "User Story", "", "", "S4", "New", "", "", "mbf:story:4", *BLANK_AFTER_TAGS],
        ]
    )  # fmt: skip
    assert warnings == [
        "ado-csv: 9 items split into 3 files of at most 4 (the Boards import limit): "
        "out.ado.csv, out-2.ado.csv, out-3.ado.csv; import them in order",
        "ado-csv: 2 item(s) have their parent in an earlier file; Boards imports them without "
        "a parent (tagged mbf-parent:<id>): link them after import",
    ]


def test_an_item_known_to_boards_in_a_later_file_keeps_only_its_parent_tag(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mbf_azure_devops.csv_writer, "MAX_ITEMS_PER_FILE", 2)
    columns: dict[str, list[Any]] = {
        "id": ["epic:a", "ado:7", "ado:8"],
        "kind": [WorkItemKind.EPIC, WorkItemKind.TASK, WorkItemKind.TASK],
        "title": ["E", "Seven", "Eight"],
        "parent_id": [None, "epic:a", "epic:a"],
        "tags": [(), (), ("x",)],
        "refs": [{}, {"azure-devops": TrackerRef(key="7")}, {"azure-devops": TrackerRef(key="8")}],
    }
    write_columns(columns, tmp_path / "out.ado.csv")
    with (tmp_path / "out.ado.csv").open(encoding="utf-8-sig", newline="") as stream:
        first = [row[:4] for row in csv.reader(stream)][1:]
    with (tmp_path / "out-2.ado.csv").open(encoding="utf-8-sig", newline="") as stream:
        second = [row[:8] for row in csv.reader(stream)][1:]
    assert first == [["", "Epic", "E", ""], ["7", "Task", "", "Seven"]]
    assert second == [["8", "Task", "Eight", "", "New", "", "", "x; mbf-parent:epic:a"]]


def test_files_of_a_hierarchy_start_at_subtree_boundaries_with_levels_within_each_file() -> None:
    ids = ["a", "b", "c", "d", "e", "f", "g"]
    parents = [None, "a", "a", "a", "a", None, "gone"]
    assert file_parts(ids, parents, 3) == FileParts(
        starts=[0, 3, 6], levels=[1, 2, 2, 1, 1, 1, 1], orphans=[3, 4, 6]
    )
    assert file_parts(ids, parents, 7) == FileParts(
        starts=[0], levels=[1, 2, 2, 2, 2, 1, 1], orphans=[6]
    )
    assert file_parts([], [], 3) == FileParts(starts=[0], levels=[], orphans=[])


def test_items_of_a_repeated_id_share_the_level_and_tag_of_the_last_one() -> None:
    assert file_parts(["b", "a", "b"], ["a", None, None], 10) == FileParts(
        starts=[0], levels=[1, 1, 1], orphans=[0, 2]
    )
    assert file_parts(["a", "b", "a"], [None, "a", None], 10) == FileParts(
        starts=[0], levels=[1, 2, 1], orphans=[]
    )


def test_split_into_parts_cuts_items_at_the_files_boundaries() -> None:
    items = [
        WorkItem(id=i, kind=WorkItemKind.TASK, title=i, parent_id=p)
        for i, p in [("a", None), ("b", "a"), ("c", "a"), ("d", None)]
    ]
    # "a" with its children is larger than a file: it goes alone, then its children follow.
    assert [[item.id for item in part] for part in split_into_parts(items, 2)] == [
        ["a", "b"],
        ["c", "d"],
    ]
    assert split_into_parts([], 2) == [[]]


def test_an_empty_backlog_is_a_header(tmp_path: Path) -> None:
    columns: dict[str, list[Any]] = {"id": [], "kind": [], "title": []}
    assert write_columns(columns, tmp_path / "out.ado.csv") == []
    assert (tmp_path / "out.ado.csv").read_bytes() == quote_all(
        [["ID", "Work Item Type", "Title", *AFTER_TITLES]]
    )
