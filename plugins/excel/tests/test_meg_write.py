"""A plan written in the Migration Execution Guide layout: the Wave sheet as the template has it,
and a workbook the ``meg`` reader reads back."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import attrs
import openpyxl
import pytest
from python_calamine import CalamineWorkbook

import mbf_excel.plugin
from mbf.domain import Backlog, Iteration, WorkItem, WorkItemKind
from mbf.errors import InputError
from mbf.plugin import Context, TrackerFormat
from mbf_excel.meg_layout import WAVE_COLUMNS


def _write(
    meg: TrackerFormat, backlog: Backlog, path: Path, context: Context | None = None
) -> Path:
    assert meg.write is not None
    meg.write(backlog, path, context or Context())
    return path


def _rows(path: Path, sheet: str) -> list[list[object]]:
    return (
        CalamineWorkbook.from_path(str(path))
        .get_sheet_by_name(sheet)
        .to_python(skip_empty_area=False)
    )


def test_wave_header_is_the_templates_own_row_15_from_column_b(
    meg: TrackerFormat, sample_backlog: Backlog, tmp_path: Path, meg_framework: Path
) -> None:
    written = _rows(_write(meg, sample_backlog, tmp_path / "plan.xlsx"), "8. Wave")
    template = _rows(meg_framework, "8. Wave")
    assert written[14][1:] == template[14][1:] == list(WAVE_COLUMNS)
    assert written[14][0] == ""


def test_each_story_is_a_wave_row_with_wave_workload_and_machine(
    meg: TrackerFormat, sample_backlog: Backlog, tmp_path: Path
) -> None:
    rows = _rows(_write(meg, sample_backlog, tmp_path / "plan.xlsx"), "8. Wave")
    assert [row[3:6] for row in rows[15:]] == [
        [1.0, "Payroll", "PAY-DB01"],
        [1.0, "Payroll", "PAY-APP01"],
    ]


def test_wave_rows_are_ordered_by_wave(meg: TrackerFormat, tmp_path: Path) -> None:
    backlog = Backlog(
        items=(
            WorkItem(id="story:b", kind=WorkItemKind.STORY, title="Migrate B", iteration_id="sprint-2",
                     start=dt.date(2027, 1, 18)),
            WorkItem(id="story:a", kind=WorkItemKind.STORY, title="Migrate A", iteration_id="sprint-1"),
            WorkItem(id="story:c", kind=WorkItemKind.STORY, title="Migrate C"),
        ),
        iterations=(Iteration(id="sprint-1", name="Sprint 1"), Iteration(id="sprint-2", name="Sprint 2")),
    )  # fmt: skip
    rows = _rows(_write(meg, backlog, tmp_path / "plan.xlsx"), "8. Wave")
    assert [(row[2], row[3], row[5]) for row in rows[15:]] == [
        ("", 1.0, "A"), (dt.date(2027, 1, 18), 2.0, "B"), ("", "", "C"),
    ]  # fmt: skip


def test_wave_sheet_is_an_excel_table_like_the_template(
    meg: TrackerFormat, sample_backlog: Backlog, tmp_path: Path
) -> None:
    sheet = openpyxl.load_workbook(_write(meg, sample_backlog, tmp_path / "plan.xlsx"))["8. Wave"]
    assert sheet.tables["Waves"].ref == "B15:AJ17"
    assert sheet.freeze_panes == "C16"


def test_each_workload_is_a_digital_estate_row_and_so_is_a_data_centre_without_any(
    meg: TrackerFormat, sample_backlog: Backlog, tmp_path: Path
) -> None:
    rows = _rows(_write(meg, sample_backlog, tmp_path / "plan.xlsx"), "8. Digital Estate")
    assert [(row[2], row[3], row[12], row[21], row[22]) for row in rows[16:]] == [
        ("Amsterdam 1", "Payroll", "Dana Lee <dana@contoso.com>", "Medium", "Rehost"),
        ("Amsterdam 1", "CRM", "", "", ""),
        ("Dublin 2", "", "", "", ""),
    ]


def test_tasks_have_no_row_and_are_reported(
    meg: TrackerFormat, sample_backlog: Backlog, tmp_path: Path
) -> None:
    context = Context()
    path = _write(meg, sample_backlog, tmp_path / "plan.xlsx", context)
    assert CalamineWorkbook.from_path(str(path)).sheet_names == ["8. Digital Estate", "8. Wave"]
    assert context.diagnostics.warnings == [
        "3 items not written: the MEG Digital Estate and Wave sheets hold data centres, "
        "workloads and servers only"
    ]


def test_sample_plan_reads_back_as_data_centres_workloads_and_servers(
    meg: TrackerFormat, sample_backlog: Backlog, tmp_path: Path
) -> None:
    assert meg.read is not None
    back = meg.read(_write(meg, sample_backlog, tmp_path / "plan.xlsx"), Context())
    assert [(i.id, i.title, i.parent_id, i.iteration_id) for i in back.items] == [
        ("epic:amsterdam-1", "Migrate datacenter Amsterdam 1", None, None),
        ("epic:dublin-2", "Migrate datacenter Dublin 2", None, None),
        ("feature:amsterdam-1/payroll", "Migrate workload Payroll", "epic:amsterdam-1", None),
        ("feature:amsterdam-1/crm", "Migrate workload CRM", "epic:amsterdam-1", None),
        ("story:pay-db01", "Migrate PAY-DB01", "feature:amsterdam-1/payroll", "wave-1"),
        ("story:pay-app01", "Migrate PAY-APP01", "feature:amsterdam-1/payroll", "wave-1"),
    ]


def test_writing_twice_gives_the_same_bytes(
    meg: TrackerFormat, sample_backlog: Backlog, tmp_path: Path
) -> None:
    first = _write(meg, sample_backlog, tmp_path / "a.xlsx").read_bytes()
    assert _write(meg, sample_backlog, tmp_path / "b.xlsx").read_bytes() == first


def test_framework_written_and_read_again_keeps_estate_and_waves(
    meg: TrackerFormat, tmp_path: Path, meg_framework: Path
) -> None:
    assert meg.read is not None
    original = meg.read(meg_framework, Context())
    again = meg.read(_write(meg, original, tmp_path / "MEG plan.xlsx"), Context())
    kept = {
        i.id: i
        for i in original.items
        if i.kind in meg.kinds
        and "not-in-digital-estate" not in i.tags
        and i.id != "feature:all-workloads"
    }
    assert len(kept) == 22  # 2 data centres, 15 workloads, 5 machines
    assert again.iterations == original.iterations
    assert {i.id: i for i in again.items} == kept


def test_wave_number_that_is_not_a_number(
    meg: TrackerFormat, sample_backlog: Backlog, tmp_path: Path
) -> None:
    path = _write(meg, sample_backlog, tmp_path / "plan.xlsx")
    workbook = openpyxl.load_workbook(path)
    workbook["8. Wave"]["D17"].value = "two"
    workbook.save(path)
    assert meg.read is not None
    with pytest.raises(InputError) as caught:
        meg.read(path, Context())
    assert str(caught.value) == (
        f"{path}, sheet '8. Wave', row 17, column 'D (Wave Number)': 'two' is not a number"
    )


def test_sheet_without_its_header_row(
    meg: TrackerFormat, sample_backlog: Backlog, tmp_path: Path
) -> None:
    path = _write(meg, sample_backlog, tmp_path / "plan.xlsx")
    workbook = openpyxl.load_workbook(path)
    workbook["8. Wave"]["F15"].value = "Server"
    workbook.save(path)
    assert meg.read is not None
    with pytest.raises(InputError) as caught:
        meg.read(path, Context())
    assert str(caught.value) == (
        f"{path}: sheet '8. Wave' has no header row with 'Wave Number', 'Machine' in its first 40 rows"
    )


def test_convert_detects_the_meg_workbook_by_name_and_content(
    mbf_cli, register_plugin, tmp_path: Path, meg_framework: Path
) -> None:
    register_plugin(mbf_excel.plugin, name="excel")
    out = tmp_path / "estate-backlog.json"
    result = mbf_cli("convert", str(meg_framework), str(out))
    assert result.exit_code == 0, result.output
    assert out.read_text().count('"kind": "story"') == 5


def test_convert_writes_an_xlsx_name_as_the_backlog_workbook(
    mbf_cli, register_plugin, sample_backlog: Backlog, tmp_path: Path
) -> None:
    from mbf.serialization import backlog_to_json

    register_plugin(mbf_excel.plugin, name="excel")
    source = tmp_path / "backlog.json"
    source.write_bytes(backlog_to_json(sample_backlog))
    result = mbf_cli("convert", str(source), str(tmp_path / "plan.xlsx"))
    assert result.exit_code == 0, result.output
    assert openpyxl.load_workbook(tmp_path / "plan.xlsx").sheetnames[0] == "Backlog"


def test_plan_converted_to_meg_on_request(
    mbf_cli, register_plugin, sample_backlog: Backlog, tmp_path: Path
) -> None:
    from mbf.serialization import backlog_to_json

    register_plugin(mbf_excel.plugin, name="excel")
    source = tmp_path / "backlog.json"
    source.write_bytes(backlog_to_json(attrs.evolve(sample_backlog)))
    result = mbf_cli("convert", str(source), str(tmp_path / "plan.xlsx"), "--to", "meg")
    assert result.exit_code == 0, result.output
    assert CalamineWorkbook.from_path(str(tmp_path / "plan.xlsx")).sheet_names == [
        "8. Digital Estate", "8. Wave",
    ]  # fmt: skip
