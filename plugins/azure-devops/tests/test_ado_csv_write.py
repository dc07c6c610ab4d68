"""What ``ado-csv`` writes: the exact file Azure Boards "Import work items" is given."""

import csv
import datetime as dt
from pathlib import Path

import pytest

from mbf.domain import Backlog, Iteration, StateCategory, TrackerRef, WorkItem, WorkItemKind
from mbf.errors import ConfigError
from mbf.plugin import Context
from mbf_azure_devops.csv_format import AdoCsvSettings, write_ado_csv
from mbf_azure_devops.csv_reader import read_ado_csv

HEADER = (
    '"ID","Work Item Type","Title 1","Title 2","State","Assigned To","Priority","Tags",'
    '"Iteration Path","Area Path","Description","Original Estimate","Start Date","Target Date"'
)


def small_backlog() -> Backlog:
    return Backlog(
        items=(
            WorkItem(
                id="epic:ams1",
                kind=WorkItemKind.EPIC,
                title="Migrate datacenter Amsterdam 1",
                description="Exit AMS1.\nBefore the lease ends.",
                priority=1,
                tags=("datacenter",),
            ),
            WorkItem(
                id="story:srv01",
                kind=WorkItemKind.STORY,
                title='Migrate "SRV01", the file server',
                parent_id="epic:ams1",
                state="Active",
                state_category=StateCategory.IN_PROGRESS,
                assignee="Dana Lee <dana@contoso.com>",
                tags=("rehost", "wave 1"),
                iteration_id="sprint-1",
                estimate=1.5,
                start=dt.date(2027, 1, 4),
                finish=dt.date(2027, 1, 8),
            ),
        ),
        iterations=(Iteration(id="sprint-1", name="Sprint 1", path="Contoso\\Sprint 1"),),
    )


def write(backlog: Backlog, path: Path, context: Context | None = None) -> str:
    write_ado_csv(backlog, path, context or Context())
    return path.read_bytes().decode("utf-8-sig")


def test_file_starts_with_a_utf8_bom_for_excel(tmp_path: Path) -> None:
    write(small_backlog(), tmp_path / "out.ado.csv")
    assert (tmp_path / "out.ado.csv").read_bytes()[:4] == b'\xef\xbb\xbf"'


def test_rows_quote_every_value_indent_titles_and_mark_mbf_ids_in_tags(tmp_path: Path) -> None:
    text = write(small_backlog(), tmp_path / "out.ado.csv")
    assert text.split("\r\n") == [
        HEADER,
        '"","Epic","Migrate datacenter Amsterdam 1","","New","","1","datacenter; mbf:epic:ams1",'
        '"","","<p>Exit AMS1.</p><p>Before the lease ends.</p>","","",""',
        '"","User Story","","Migrate ""SRV01"", the file server","Active",'
        '"Dana Lee <dana@contoso.com>","","rehost; wave 1; mbf:story:srv01","Contoso\\Sprint 1",'
        '"","","1.5","2027-01-04","2027-01-08"',
        "",
    ]


def test_flat_backlog_uses_a_single_title_column(tmp_path: Path) -> None:
    backlog = Backlog(items=(WorkItem(id="task:a", kind=WorkItemKind.TASK, title="Back up SRV01"),))
    header = write(backlog, tmp_path / "out.ado.csv").split("\r\n")[0]
    assert header.split(",")[:3] == ['"ID"', '"Work Item Type"', '"Title"']


def test_item_known_to_azure_devops_is_written_with_its_id_as_an_update(tmp_path: Path) -> None:
    item = WorkItem(
        id="ado:272",
        kind=WorkItemKind.TASK,
        title="Fix issues with code",
        refs={"azure-devops": TrackerRef(key="272")},
    )
    rows = list(csv.reader(write(Backlog(items=(item,)), tmp_path / "out.ado.csv").splitlines()))
    assert (rows[1][0], rows[1][1], rows[1][2], rows[1][7]) == (
        "272",
        "Task",
        "Fix issues with code",
        "",
    )


def test_text_that_could_be_a_formula_is_neutralised(tmp_path: Path) -> None:
    item = WorkItem(
        id="task:a", kind=WorkItemKind.TASK, title='=HYPERLINK("http://x")', tags=("-1",)
    )
    rows = list(csv.reader(write(Backlog(items=(item,)), tmp_path / "out.ado.csv").splitlines()))
    assert (rows[1][2], rows[1][6]) == ('\'=HYPERLINK("http://x")', "'-1; mbf:task:a")


def test_neutralised_text_reads_back_as_written_by_the_user(tmp_path: Path) -> None:
    item = WorkItem(id="task:a", kind=WorkItemKind.TASK, title="=1+2", assignee="@ops")
    write(Backlog(items=(item,)), tmp_path / "out.ado.csv")
    back = read_ado_csv(tmp_path / "out.ado.csv", Context()).items[0]
    assert (back.title, back.assignee) == ("=1+2", "@ops")


def test_neutralising_can_be_switched_off(tmp_path: Path) -> None:
    item = WorkItem(id="task:a", kind=WorkItemKind.TASK, title="=1+2")
    context = Context(settings=AdoCsvSettings(neutralise_formulas=False))
    rows = list(
        csv.reader(write(Backlog(items=(item,)), tmp_path / "out.ado.csv", context).splitlines())
    )
    assert rows[1][2] == "=1+2"


def test_work_item_types_follow_the_settings_for_a_scrum_project(tmp_path: Path) -> None:
    items = (
        WorkItem(id="epic:a", kind=WorkItemKind.EPIC, title="Exit AMS1"),
        WorkItem(id="story:a", kind=WorkItemKind.STORY, title="Migrate SRV01", parent_id="epic:a"),
    )
    context = Context(settings=AdoCsvSettings(work_item_types={"story": "Product Backlog Item"}))
    rows = list(
        csv.reader(write(Backlog(items=items), tmp_path / "out.ado.csv", context).splitlines())
    )
    assert [row[1] for row in rows[1:]] == ["Epic", "Product Backlog Item"]


def test_work_item_types_for_an_unknown_kind_are_refused() -> None:
    with pytest.raises(ConfigError) as caught:
        AdoCsvSettings(work_item_types={"initiative": "Epic"})
    assert str(caught.value) == (
        "work_item_types: unknown kind(s) initiative; use epic, feature, story or task"
    )


def test_extra_fields_become_columns_sorted_by_name_with_lists_joined(tmp_path: Path) -> None:
    items = (
        WorkItem(
            id="task:a",
            kind=WorkItemKind.TASK,
            title="A",
            extra={"Story Points": "3", "Area Path": "Contoso\\Ops"},
        ),
        WorkItem(
            id="task:b", kind=WorkItemKind.TASK, title="B", extra={"Custom.Wave": ["w1", "w2"]}
        ),
    )
    rows = list(csv.reader(write(Backlog(items=items), tmp_path / "out.ado.csv").splitlines()))
    assert rows[0][-3:] == ["Target Date", "Custom.Wave", "Story Points"]
    assert [row[-2:] for row in rows[1:]] == [["", "3"], ["w1; w2", ""]]
    assert [row[rows[0].index("Area Path")] for row in rows[1:]] == ["Contoso\\Ops", ""]


def test_extra_field_named_like_a_column_of_its_own_is_not_written_and_reported(
    tmp_path: Path,
) -> None:
    item = WorkItem(id="task:a", kind=WorkItemKind.TASK, title="A", extra={"state": "x"})
    context = Context()
    header = write(Backlog(items=(item,)), tmp_path / "out.ado.csv", context).split("\r\n")[0]
    assert header.endswith('"Target Date"')
    assert context.diagnostics.warnings == [
        "ado-csv: extra field 'state' clashes with a column of its own; not written"
    ]


def epics_with_children(children_per_epic: list[int]) -> Backlog:
    items = []
    for e, count in enumerate(children_per_epic):
        items.append(WorkItem(id=f"epic:{e}", kind=WorkItemKind.EPIC, title=f"Epic {e}"))
        items += [
            WorkItem(
                id=f"task:{e}/{n}", kind=WorkItemKind.TASK, title=f"Task {n}", parent_id=f"epic:{e}"
            )
            for n in range(count)
        ]
    return Backlog(items=tuple(items))


def data_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as stream:
        return list(csv.reader(stream))[1:]


def test_more_than_1000_items_are_split_into_numbered_files_at_subtree_boundaries(
    tmp_path: Path,
) -> None:
    write_ado_csv(epics_with_children([399, 399, 399]), tmp_path / "out.ado.csv", Context())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out-2.ado.csv", "out.ado.csv"]
    first, second = data_rows(tmp_path / "out.ado.csv"), data_rows(tmp_path / "out-2.ado.csv")
    assert (len(first), len(second)) == (800, 400)
    assert (first[400][2], second[0][2], second[1][3]) == ("Epic 1", "Epic 2", "Task 0")


def test_split_backlog_reads_back_whole_from_its_first_file(tmp_path: Path) -> None:
    backlog = epics_with_children([399, 399, 399])
    write_ado_csv(backlog, tmp_path / "out.ado.csv", Context())
    context = Context()
    back = read_ado_csv(tmp_path / "out.ado.csv", context)
    assert [(i.id, i.parent_id) for i in back.items] == [(i.id, i.parent_id) for i in backlog.items]
    assert context.diagnostics.warnings == [
        "ado-csv: read 2 files as one backlog: out.ado.csv, out-2.ado.csv"
    ]


@pytest.mark.parametrize(
    ("files", "names"),
    [
        pytest.param(3, "out.ado.csv, out-2.ado.csv, out-3.ado.csv", id="three-listed"),
        pytest.param(5, "out.ado.csv, out-2.ado.csv … out-5.ado.csv", id="five-shortened"),
    ],
)
def test_warning_for_many_parts_names_the_first_two_and_the_last(
    tmp_path: Path, files: int, names: str
) -> None:
    write_ado_csv(epics_with_children([999] * files), tmp_path / "out.ado.csv", Context())
    context = Context()
    back = read_ado_csv(tmp_path / "out.ado.csv", context)
    assert len(back.items) == 1000 * files
    assert context.diagnostics.warnings == [f"ado-csv: read {files} files as one backlog: {names}"]


def test_numbered_file_with_another_header_is_not_read_as_a_part(tmp_path: Path) -> None:
    write_ado_csv(epics_with_children([2]), tmp_path / "out.ado.csv", Context())
    (tmp_path / "out-2.ado.csv").write_text('"Work Item Type","Title"\r\n"Task","Other"\r\n')
    assert len(read_ado_csv(tmp_path / "out.ado.csv", Context()).items) == 3


def test_subtree_larger_than_a_file_continues_with_its_parent_in_a_tag(tmp_path: Path) -> None:
    context = Context()
    write_ado_csv(epics_with_children([1500]), tmp_path / "out.ado.csv", context)
    first, second = data_rows(tmp_path / "out.ado.csv"), data_rows(tmp_path / "out-2.ado.csv")
    assert (len(first), len(second)) == (1000, 501)
    assert second[0][1:4] == ["Task", "Task 999", ""]
    assert second[0][7] == "mbf:task:0/999; mbf-parent:epic:0"
    assert context.diagnostics.warnings == [
        "ado-csv: 1501 items split into 2 files of at most 1000 (the Boards import limit): "
        "out.ado.csv, out-2.ado.csv; import them in order",
        "ado-csv: 501 item(s) have their parent in an earlier file; Boards imports them without a "
        "parent (tagged mbf-parent:<id>): link them after import",
    ]


def test_parent_tag_restores_the_hierarchy_across_files(tmp_path: Path) -> None:
    backlog = epics_with_children([1500])
    write_ado_csv(backlog, tmp_path / "out.ado.csv", Context())
    back = read_ado_csv(tmp_path / "out.ado.csv", Context())
    assert back.items[1000].parent_id == "epic:0"
    assert back == backlog


def test_writing_exactly_1000_items_gives_one_file(tmp_path: Path) -> None:
    write_ado_csv(epics_with_children([999]), tmp_path / "out.ado.csv", Context())
    assert [p.name for p in tmp_path.iterdir()] == ["out.ado.csv"]


def test_semicolons_in_tags_become_commas_and_are_reported(tmp_path: Path) -> None:
    item = WorkItem(id="task:a", kind=WorkItemKind.TASK, title="A", tags=("a;b", "c"))
    context = Context()
    rows = list(
        csv.reader(write(Backlog(items=(item,)), tmp_path / "out.ado.csv", context).splitlines())
    )
    assert rows[1][6] == "a,b; c; mbf:task:a"
    assert context.diagnostics.warnings == [
        "ado-csv: 1 tag(s) contained ';', written as ',' (Boards splits tags at ';')"
    ]


def test_state_word_contradicting_the_category_is_replaced_by_the_categorys_state(
    tmp_path: Path,
) -> None:
    items = (
        WorkItem(id="a", kind=WorkItemKind.TASK, title="A", state_category=StateCategory.DONE),
        WorkItem(id="b", kind=WorkItemKind.TASK, title="B", state="Waiting for CAB"),
    )
    rows = list(csv.reader(write(Backlog(items=items), tmp_path / "out.ado.csv").splitlines()))
    assert [row[3] for row in rows[1:]] == ["Closed", "Waiting for CAB"]


def test_a_long_run_of_parts_is_named_by_its_first_two_and_last_files(tmp_path: Path) -> None:
    context = Context()
    write_ado_csv(epics_with_children([999] * 5), tmp_path / "out.ado.csv", context)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "out-2.ado.csv", "out-3.ado.csv", "out-4.ado.csv", "out-5.ado.csv", "out.ado.csv",
    ]  # fmt: skip
    assert context.diagnostics.warnings == [
        "ado-csv: 5000 items split into 5 files of at most 1000 (the Boards import limit): "
        "out.ado.csv, out-2.ado.csv … out-5.ado.csv; import them in order",
    ]
