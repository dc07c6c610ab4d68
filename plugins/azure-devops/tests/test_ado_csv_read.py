"""What ``ado-csv`` reads: Azure Boards query-result exports in their documented shapes."""

import datetime as dt
from pathlib import Path

import pytest

from mbf.domain import Iteration, StateCategory, TrackerRef, WorkItemKind
from mbf.errors import InputError
from mbf.plugin import Context
from mbf_azure_devops.csv_format import write_ado_csv
from mbf_azure_devops.csv_reader import looks_like_ado_csv, read_ado_csv

FLAT_EXPORT = (
    '"ID","Work Item Type","Title","Assigned To","State","Tags","Parent"\r\n'
    '"270","Feature","Move the payroll workload","","Active","","",\r\n'
    '"272","Task","Fix issues with code","Jamal Hartnett <jamal@fabrikam.com>","Resolved",'
    '"Bug; High Priority","270"\r\n'
)

TREE_EXPORT = (
    '"ID","Work Item Type","Title 1","Title 2","Title 3","State","Iteration Path","Description"\r\n'
    '"10","Epic","Exit AMS1","","","New","Contoso",""\r\n'
    '"11","Feature","","Payroll","","Active","Contoso\\Team A\\Sprint 1",'
    '"<div>Line one</div><div><br></div><div>Fish &amp; chips</div>"\r\n'
    '"12","User Story","","","PAY-DB01","Closed","Contoso\\Team B\\Sprint 1",""\r\n'
    '"13","Feature","","CRM","","Removed","Contoso\\Team A\\Sprint 1",""\r\n'
)


def read(tmp_path: Path, text: str, encoding: str = "utf-8-sig", context: Context | None = None):
    path = tmp_path / "export.csv"
    path.write_bytes(text.encode(encoding))
    return read_ado_csv(path, context or Context())


def test_flat_export_gives_ids_refs_and_parents_from_the_parent_column(tmp_path: Path) -> None:
    backlog = read(tmp_path, FLAT_EXPORT)
    assert [(i.id, i.kind, i.parent_id, i.refs) for i in backlog.items] == [
        ("ado:270", WorkItemKind.FEATURE, None, {"azure-devops": TrackerRef(key="270")}),
        ("ado:272", WorkItemKind.TASK, "ado:270", {"azure-devops": TrackerRef(key="272")}),
    ]


def test_export_values_map_to_item_fields(tmp_path: Path) -> None:
    task = read(tmp_path, FLAT_EXPORT).items[1]
    assert (task.title, task.assignee, task.state, task.state_category, task.tags) == (
        "Fix issues with code",
        "Jamal Hartnett <jamal@fabrikam.com>",
        "Resolved",
        StateCategory.IN_PROGRESS,
        ("Bug", "High Priority"),
    )


def test_tree_export_gives_parents_from_title_levels(tmp_path: Path) -> None:
    backlog = read(tmp_path, TREE_EXPORT)
    assert [(i.id, i.parent_id) for i in backlog.items] == [
        ("ado:10", None),
        ("ado:11", "ado:10"),
        ("ado:12", "ado:11"),
        ("ado:13", "ado:10"),
    ]


def test_states_map_to_their_boards_category(tmp_path: Path) -> None:
    backlog = read(tmp_path, TREE_EXPORT)
    assert [i.state_category for i in backlog.items] == [
        StateCategory.TODO,
        StateCategory.IN_PROGRESS,
        StateCategory.DONE,
        StateCategory.DONE,
    ]


def test_html_description_becomes_plain_text_lines(tmp_path: Path) -> None:
    assert read(tmp_path, TREE_EXPORT).items[1].description == "Line one\n\nFish & chips"


def test_iteration_paths_become_iterations_with_unique_ids(tmp_path: Path) -> None:
    backlog = read(tmp_path, TREE_EXPORT)
    assert backlog.iterations == (
        Iteration(id="contoso", name="Contoso", path="Contoso"),
        Iteration(id="sprint-1", name="Sprint 1", path="Contoso\\Team A\\Sprint 1"),
        Iteration(id="contoso-team-b-sprint-1", name="Sprint 1", path="Contoso\\Team B\\Sprint 1"),
    )
    assert [i.iteration_id for i in backlog.items] == [
        "contoso",
        "sprint-1",
        "contoso-team-b-sprint-1",
        "sprint-1",
    ]


def test_reference_names_are_accepted_as_headers(tmp_path: Path) -> None:
    text = (
        '"System.Id","System.WorkItemType","System.Title","Microsoft.VSTS.Common.Priority",'
        '"System.AreaPath"\r\n"5","Bug","Crash on start","2","Contoso\\Ops"\r\n'
    )
    item = read(tmp_path, text).items[0]
    assert (item.id, item.kind, item.priority, item.extra) == (
        "ado:5",
        WorkItemKind.STORY,
        2,
        {"Work Item Type": "Bug", "Area Path": "Contoso\\Ops"},
    )


def test_us_dates_and_estimates_are_read(tmp_path: Path) -> None:
    text = (
        '"ID","Work Item Type","Title","Original Estimate","Start Date","Target Date"\r\n'
        '"7","Task","Cut over","2.5","1/4/2027 12:00:00 AM","2027-01-08T17:00:00Z"\r\n'
    )
    item = read(tmp_path, text).items[0]
    assert (item.estimate, item.start, item.finish) == (
        2.5,
        dt.date(2027, 1, 4),
        dt.date(2027, 1, 8),
    )


def test_unknown_columns_are_kept_in_extra_and_written_back(tmp_path: Path) -> None:
    text = (
        '"ID","Work Item Type","Title","Story Points","Custom.CostCenter"\r\n'
        '"7","User Story","Move SRV01","5","CC-42"\r\n'
    )
    backlog = read(tmp_path, text)
    assert backlog.items[0].extra == {"Story Points": "5", "Custom.CostCenter": "CC-42"}
    write_ado_csv(backlog, tmp_path / "again.ado.csv", Context())
    assert read_ado_csv(tmp_path / "again.ado.csv", Context()) == backlog


def test_multi_line_quoted_cells_keep_their_lines(tmp_path: Path) -> None:
    text = '"ID","Work Item Type","Title","Acceptance Criteria"\r\n"7","Task","Cut over","one\r\ntwo"\r\n'
    assert read(tmp_path, text).items[0].extra == {"Acceptance Criteria": "one\ntwo"}


def test_parent_outside_the_export_is_kept_in_extra_and_reported(tmp_path: Path) -> None:
    text = '"ID","Work Item Type","Title","Parent"\r\n"7","Task","Cut over","99"\r\n'
    context = Context()
    item = read(tmp_path, text, context=context).items[0]
    assert (item.parent_id, item.extra) == (None, {"Parent": "99"})
    assert context.diagnostics.warnings == [
        "ado-csv: 1 item(s) have a parent that is not in the file; its ID is kept in the extra "
        "field 'Parent'"
    ]


def test_custom_state_counts_as_to_do_with_a_warning(tmp_path: Path) -> None:
    text = '"ID","Work Item Type","Title","State"\r\n"7","Task","Cut over","Waiting for CAB"\r\n'
    context = Context()
    item = read(tmp_path, text, context=context).items[0]
    assert (item.state, item.state_category) == ("Waiting for CAB", StateCategory.TODO)
    assert context.diagnostics.warnings == [
        "ado-csv: state 'Waiting for CAB' (1 item(s)) is not a known Boards state; counted as to do"
    ]


def test_windows_1252_file_from_excel_is_read(tmp_path: Path) -> None:
    text = (
        '"ID","Work Item Type","Title"\r\n"7","Task","Migrer le serveur de fichiers à Dublin"\r\n'
    )
    assert read(tmp_path, text, encoding="cp1252").items[0].title == (
        "Migrer le serveur de fichiers à Dublin"
    )


def test_new_rows_without_id_get_row_ids(tmp_path: Path) -> None:
    text = '"ID","Work Item Type","Title 1","Title 2"\r\n"","Epic","A",""\r\n"","Task","","B"\r\n'
    backlog = read(tmp_path, text)
    assert [(i.id, i.parent_id, i.refs) for i in backlog.items] == [
        ("ado:new-1", None, {}),
        ("ado:new-2", "ado:new-1", {}),
    ]


def test_sniffing_recognises_an_export(tmp_path: Path) -> None:
    path = tmp_path / "Query1.csv"
    path.write_bytes(TREE_EXPORT.encode("utf-8-sig"))
    assert looks_like_ado_csv(path) is True


def test_sniffing_refuses_a_jira_export(tmp_path: Path) -> None:
    path = tmp_path / "Jira.csv"
    path.write_text("Summary,Issue key,Issue id,Issue Type,Status\nMove,MIG-1,10001,Story,To Do\n")
    assert looks_like_ado_csv(path) is False


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            '"ID","Work Item Type","Title"\r\n"7","Task","A"\r\n"x7","Task","B"\r\n',
            "row 3, column 'ID': 'x7' is not a work item ID",
            id="id",
        ),
        pytest.param(
            '"ID","Title"\r\n"7","A"\r\n',
            "row 1, column 'Work Item Type': missing column; Boards files need 'Work Item Type' "
            "and 'Title' (or 'Title 1', 'Title 2', …)",
            id="no-type-column",
        ),
        pytest.param(
            '"Work Item Type","Title 1","Title 2","Title 3"\r\n"Epic","A","",""\r\n"Task","","","B"\r\n',
            "row 3, column 'Title 3': no item at level 2 above this one",
            id="skipped-level",
        ),
        pytest.param(
            '"Work Item Type","Title 1","Title 2"\r\n"Epic","A","B"\r\n',
            "row 2, column 'Title 2': only one Title column may be filled in a row",
            id="two-titles",
        ),
        pytest.param(
            '"Work Item Type","Title","Start Date"\r\n"Task","A","next week"\r\n',
            "row 2, column 'Start Date': 'next week' is not a date (use 2027-01-31)",
            id="date",
        ),
        pytest.param(
            '"Work Item Type","Title","Priority"\r\n"Task","A","high"\r\n',
            "row 2, column 'Priority': 'high' is not a priority (a whole number)",
            id="priority",
        ),
        pytest.param(
            '"Work Item Type","Title"\r\n"Task","A","surplus"\r\n',
            "row 2: the row has 3 values but the header only 2 columns",
            id="wide-row",
        ),
        pytest.param(
            '"Work Item Type","Title"\r\n"","A"\r\n',
            "row 2, column 'Work Item Type': the row has no work item type",
            id="no-type",
        ),
        pytest.param(
            '"Work Item Type","Title"\r\n"Task","A"\r\n"Task","never closed\r\n',
            "row 3: malformed CSV: unexpected end of data",
            id="unclosed-quote",
        ),
    ],
)
def test_bad_input_names_file_row_and_column(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        read(tmp_path, text)
    assert str(caught.value) == f"{tmp_path / 'export.csv'}, {message}"


def test_empty_file_is_refused_with_its_name(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        read(tmp_path, "")
    assert str(caught.value) == (
        f"{tmp_path / 'export.csv'}: the file is empty; expected a header with 'Work Item Type' and 'Title'"
    )


def test_parent_listed_after_its_child_is_still_found(tmp_path: Path) -> None:
    text = '"ID","Work Item Type","Title","Parent"\r\n"8","Task","Cut over","7"\r\n"7","User Story","Move",""\r\n'
    assert [(i.id, i.parent_id) for i in read(tmp_path, text).items] == [
        ("ado:8", "ado:7"),
        ("ado:7", None),
    ]
