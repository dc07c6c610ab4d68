"""The XML mbf writes: namespace, element order Project's schema requires, outline, links, fields."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import attrs
import pytest
from lxml import etree

from mbf.domain import Backlog
from mbf.plugin import Context, TrackerFormat

NS = "{http://schemas.microsoft.com/project}"

TASK_ORDER = (
    "UID",
    "ID",
    "Name",
    "Active",
    "Manual",
    "Type",
    "IsNull",
    "CreateDate",
    "WBS",
    "OutlineNumber",
    "OutlineLevel",
    "Priority",
    "Start",
    "Finish",
    "Duration",
    "DurationFormat",
    "Work",
    "Estimated",
    "Milestone",
    "Summary",
    "PercentComplete",
    "ConstraintType",
    "CalendarUID",
    "ConstraintDate",
    "Notes",
    "PredecessorLink",
    "ExtendedAttribute",
)
"""Task children in the order of Project's XML schema (mspdi_pj12.xsd, plus Active/Manual of 2010)."""


def _root(path: Path) -> Any:
    return etree.parse(str(path)).getroot()


def _local(element: Any) -> str:
    return str(element.tag).removeprefix(NS)


def _tasks(path: Path) -> list[Any]:
    return _root(path).findall(f"{NS}Tasks/{NS}Task")


def _task(path: Path, uid: int) -> Any:
    (task,) = [t for t in _tasks(path) if t.findtext(f"{NS}UID") == str(uid)]
    return task


def _fields(task: Any) -> dict[str, str]:
    return {
        ea.findtext(f"{NS}FieldID"): ea.findtext(f"{NS}Value")
        for ea in task.findall(f"{NS}ExtendedAttribute")
    }


def test_root_is_project_in_the_mspdi_namespace(written_sample: Path) -> None:
    root = _root(written_sample)
    assert root.tag == f"{NS}Project"
    assert root.nsmap == {None: "http://schemas.microsoft.com/project"}


def test_file_starts_with_a_standalone_utf8_declaration(written_sample: Path) -> None:
    first_line = written_sample.read_bytes().split(b"\n", 1)[0]
    assert first_line == b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'


def test_project_children_follow_the_schema_sequence(written_sample: Path) -> None:
    assert [_local(child) for child in _root(written_sample)] == [
        "SaveVersion",
        "Name",
        "Title",
        "ScheduleFromStart",
        "StartDate",
        "FinishDate",
        "CalendarUID",
        "DefaultStartTime",
        "DefaultFinishTime",
        "MinutesPerDay",
        "MinutesPerWeek",
        "DaysPerMonth",
        "DefaultTaskType",
        "DurationFormat",
        "WorkFormat",
        "NewTasksEstimated",
        "WeekStartDay",
        "NewTasksAreManual",
        "OutlineCodes",
        "WBSMasks",
        "ExtendedAttributes",
        "Calendars",
        "Tasks",
    ]


def test_project_dates_span_the_backlog(written_sample: Path) -> None:
    root = _root(written_sample)
    assert root.findtext(f"{NS}StartDate") == "2027-01-04T08:00:00"
    assert root.findtext(f"{NS}FinishDate") == "2027-01-29T17:00:00"


def test_every_task_lists_its_children_in_schema_order(written_sample: Path) -> None:
    for task in _tasks(written_sample):
        positions = [TASK_ORDER.index(_local(child)) for child in task]
        assert positions == sorted(positions), task.findtext(f"{NS}UID")


def test_first_task_is_the_project_summary_task(written_sample: Path) -> None:
    first = _tasks(written_sample)[0]
    assert [first.findtext(f"{NS}{n}") for n in ("UID", "ID", "OutlineLevel", "Summary")] == [
        "0",
        "0",
        "0",
        "1",
    ]


def test_tasks_are_written_depth_first_with_outline_numbers(written_sample: Path) -> None:
    rows = [
        tuple(
            t.findtext(f"{NS}{n}")
            for n in ("UID", "ID", "Name", "OutlineLevel", "OutlineNumber", "WBS", "Summary")
        )
        for t in _tasks(written_sample)[1:]
    ]
    assert rows == [
        ("1", "1", "Migrate datacenter Amsterdam 1", "1", "1", "1", "1"),
        ("2", "2", "Migrate workload Payroll", "2", "1.1", "1.1", "1"),
        ("3", "3", "Migrate PAY-DB01", "3", "1.1.1", "1.1.1", "1"),
        ("4", "4", "Remediate PAY-DB01: unsupported boot type", "4", "1.1.1.1", "1.1.1.1", None),
        ("5", "5", "Migrate PAY-DB01", "4", "1.1.1.2", "1.1.1.2", None),
        ("6", "6", "Migrate PAY-APP01", "3", "1.1.2", "1.1.2", "1"),
        ("7", "7", "Migrate PAY-APP01", "4", "1.1.2.1", "1.1.2.1", None),
        ("8", "8", "Migrate workload CRM", "2", "1.2", "1.2", None),
        ("9", "9", "Migrate datacenter Dublin 2", "1", "2", "2", None),
        ("10", "10", "Iterations", "1", "3", "3", "1"),
        ("11", "11", "Sprint 1", "2", "3.1", "3.1", None),
        ("12", "12", "Sprint 2", "2", "3.2", "3.2", None),
        ("13", "13", "Releases", "1", "4", "4", "1"),
        ("14", "14", "Release 1", "2", "4.1", "4.1", None),
    ]


def _links(task: Any) -> list[tuple[str | None, ...]]:
    return [
        tuple(link.findtext(f"{NS}{n}") for n in ("PredecessorUID", "Type", "LinkLag", "LagFormat"))
        for link in task.findall(f"{NS}PredecessorLink")
    ]


def test_predecessor_links_carry_type_code_and_lag_in_tenths_of_minutes(
    written_sample: Path,
) -> None:
    # FS after the remediation; SS four hours after the app server's migration.
    assert _links(_task(written_sample, 5)) == [("4", "1", "0", "7"), ("7", "3", "2400", "5")]


def test_negative_lag_is_written_as_a_lead_in_days(written_sample: Path) -> None:
    assert _links(_task(written_sample, 8)) == [("2", "0", "-4800", "7")]


def test_links_project_cannot_show_are_kept_in_the_mbf_links_field(written_sample: Path) -> None:
    # A second link to the same predecessor (Project allows one) and a relates-to link.
    assert json.loads(_fields(_task(written_sample, 8))["188743998"]) == [
        [1, "feature:payroll", "depends-on", "SF", 0.0]
    ]
    assert json.loads(_fields(_task(written_sample, 7))["188743998"]) == [
        [0, "story:pay-db01", "relates-to", "FS", 0.0]
    ]


def test_percent_complete_follows_the_state_category(written_sample: Path) -> None:
    percents = {
        t.findtext(f"{NS}UID"): t.findtext(f"{NS}PercentComplete") for t in _tasks(written_sample)
    }
    assert percents["2"] == "50"  # in progress
    assert percents["4"] == "100"  # done
    assert percents["5"] is None  # to do: Project's default 0


def test_dated_task_has_working_day_duration_and_a_start_constraint(written_sample: Path) -> None:
    task = _task(written_sample, 5)
    assert [
        task.findtext(f"{NS}{n}")
        for n in (
            "Start",
            "Finish",
            "Duration",
            "DurationFormat",
            "Work",
            "Estimated",
            "ConstraintType",
            "ConstraintDate",
        )
    ] == [
        "2027-01-06T08:00:00",
        "2027-01-08T17:00:00",
        "PT24H0M0S",
        "7",
        "PT16H0M0S",
        None,
        "4",
        "2027-01-06T08:00:00",
    ]


def test_two_week_feature_lasts_ten_working_days(written_sample: Path) -> None:
    assert _task(written_sample, 2).findtext(f"{NS}Duration") == "PT80H0M0S"


def test_undated_task_gets_one_estimated_day(written_sample: Path) -> None:
    task = _task(written_sample, 4)
    assert [
        task.findtext(f"{NS}{n}") for n in ("Start", "Duration", "Estimated", "ConstraintType")
    ] == [None, "PT8H0M0S", "1", None]


def test_priority_one_is_projects_highest(written_sample: Path) -> None:
    assert _task(written_sample, 1).findtext(f"{NS}Priority") == "1000"
    assert _task(written_sample, 9).findtext(f"{NS}Priority") == "900"
    assert _task(written_sample, 3).findtext(f"{NS}Priority") is None  # no priority: default 500


def test_description_becomes_the_task_notes(written_sample: Path) -> None:
    assert _task(written_sample, 1).findtext(f"{NS}Notes") == (
        "Empty AMS1 before its lease ends on 2027-09-30.\nOutcome: exit AMS1."
    )


def test_custom_field_definitions_name_mbf_fields_with_aliases(written_sample: Path) -> None:
    definitions = _root(written_sample).findall(f"{NS}ExtendedAttributes/{NS}ExtendedAttribute")
    rows = [
        tuple(
            d.findtext(f"{NS}{n}")
            for n in ("FieldID", "FieldName", "CFType", "Alias", "SecondaryPID")
        )
        for d in definitions
    ]
    assert rows[0] == ("188743731", "Text1", "7", "mbf id", "255869028")
    assert rows[5] == ("188743746", "Text6", "7", "mbf iteration", "255869033")
    assert rows[10] == ("188743997", "Text11", "7", "mbf priority", "255869038")
    assert rows[13] == ("188743767", "Number1", "5", "mbf capacity", "255868988")
    assert len(rows) == 14


def test_custom_field_guid_is_projects_own(written_sample: Path) -> None:
    first = _root(written_sample).find(f"{NS}ExtendedAttributes/{NS}ExtendedAttribute")
    assert first.findtext(f"{NS}Guid") == "000039B7-8BBE-4CEB-82C4-FA8C0B400033"
    assert first.findtext(f"{NS}SecondaryGuid") == "000039B7-8BBE-4CEB-82C4-FA8C0F404064"


def test_item_fields_without_a_project_slot_go_to_text_fields(written_sample: Path) -> None:
    assert _fields(_task(written_sample, 2)) == {
        "188743731": "feature:payroll",
        "188743734": "feature",
        "188743737": "Active",
        "188743740": "rehost",
        "188743743": "Dana Lee <dana@contoso.com>",
        "188743746": "sprint-1",
        "188743747": "release-1",
        "188743748": "payroll",
        "188743749": '{"jira":{"key":"MIG-2","url":"https://contoso.atlassian.net/browse/MIG-2","version":""}}',
        "188743750": '{"Business unit":"Finance"}',
        "188743997": "2",
    }


def test_iterations_are_rows_under_an_iterations_summary(written_sample: Path) -> None:
    sprint = _task(written_sample, 11)
    assert [sprint.findtext(f"{NS}{n}") for n in ("Start", "Finish", "Duration")] == [
        "2027-01-04T08:00:00",
        "2027-01-15T17:00:00",
        "PT80H0M0S",
    ]
    assert _fields(sprint) == {
        "188743731": "sprint-1",
        "188743734": "iteration",
        "188743999": "Contoso\\Sprint 1",
        "188743767": "10.0",
    }
    assert _fields(_task(written_sample, 10)) == {"188743734": "iteration-list"}


def test_releases_are_milestones(written_sample: Path) -> None:
    release = _task(written_sample, 14)
    assert [release.findtext(f"{NS}{n}") for n in ("Start", "Finish", "Duration", "Milestone")] == [
        "2027-01-29T08:00:00",
        "2027-01-29T08:00:00",
        "PT0H0M0S",
        "1",
    ]
    assert _fields(release) == {
        "188743731": "release-1",
        "188743734": "release",
        "188743748": "payroll",
    }


def test_project_calendar_is_a_standard_five_day_week(written_sample: Path) -> None:
    root = _root(written_sample)
    calendar = root.find(f"{NS}Calendars/{NS}Calendar")
    assert root.findtext(f"{NS}CalendarUID") == calendar.findtext(f"{NS}UID") == "1"
    days = [
        (
            d.findtext(f"{NS}DayType"),
            d.findtext(f"{NS}DayWorking"),
            [
                (w.findtext(f"{NS}FromTime"), w.findtext(f"{NS}ToTime"))
                for w in d.findall(f"{NS}WorkingTimes/{NS}WorkingTime")
            ],
        )
        for d in calendar.findall(f"{NS}WeekDays/{NS}WeekDay")
    ]
    office = [("08:00:00", "12:00:00"), ("13:00:00", "17:00:00")]
    assert days == [("1", "0", []), *[(str(n), "1", office) for n in range(2, 7)], ("7", "0", [])]


@pytest.mark.parametrize(
    ("title", "expected"),
    [("A & B <C>", "A &amp; B &lt;C&gt;"), ("carriage\rreturn", "carriage&#13;return")],
)
def test_text_is_escaped_for_xml(
    mspdi: TrackerFormat, sample_backlog: Backlog, tmp_path: Path, title: str, expected: str
) -> None:
    first = attrs.evolve(sample_backlog.items[0], title=title)
    backlog = attrs.evolve(sample_backlog, items=(first, *sample_backlog.items[1:]))
    assert mspdi.write is not None
    mspdi.write(backlog, tmp_path / "plan.xml", Context())
    text = (tmp_path / "plan.xml").read_text(encoding="utf-8")
    assert f"<Name>{expected}</Name>" in text


def test_writer_warns_about_what_project_cannot_show(mspdi: TrackerFormat, tmp_path: Path) -> None:
    from mbf.domain import Link, LinkKind, WorkItem, WorkItemKind

    backlog = Backlog(
        items=(
            WorkItem(id="a", kind=WorkItemKind.TASK, title="x" * 600, extra={"notes": "y" * 300}),
            WorkItem(
                id="b",
                kind=WorkItemKind.TASK,
                title="B\x07",
                links=(Link(target_id="a", kind=LinkKind.RELATES_TO),),
            ),
        )
    )
    context = Context()
    assert mspdi.write is not None
    mspdi.write(backlog, tmp_path / "plan.xml", context)
    assert context.diagnostics.warnings == [
        "mspdi: 1 task names longer than 512 characters were cut",
        "mspdi: 1 custom field values are longer than 255 characters; mbf reads them whole but "
        "Microsoft Project truncates them",
        "mspdi: 1 texts held control characters XML cannot carry",
        "mspdi: 1 links are kept only in the 'mbf links' field (relations, repeated or dangling "
        "predecessors Project cannot show)",
    ]
    assert _task(tmp_path / "plan.xml", 2).findtext(f"{NS}Name") == "B"


def test_empty_backlog_writes_a_project_with_only_the_summary_task(
    mspdi: TrackerFormat, tmp_path: Path
) -> None:
    assert mspdi.write is not None
    assert mspdi.read is not None
    mspdi.write(Backlog(), tmp_path / "plan.xml", Context())
    assert [t.findtext(f"{NS}UID") for t in _tasks(tmp_path / "plan.xml")] == ["0"]
    assert _root(tmp_path / "plan.xml").findtext(f"{NS}StartDate") == "2000-01-03T08:00:00"
    assert mspdi.read(tmp_path / "plan.xml", Context()) == Backlog()


def test_project_name_comes_from_mbf_toml(
    mspdi: TrackerFormat, sample_backlog: Backlog, tmp_path: Path
) -> None:
    from mbf.config import MbfConfig, ProjectConfig

    context = Context(config=MbfConfig(project=ProjectConfig(name="Contoso & Co exit")))
    assert mspdi.write is not None
    mspdi.write(sample_backlog, tmp_path / "plan.xml", context)
    root = _root(tmp_path / "plan.xml")
    assert [root.findtext(f"{NS}Name"), root.findtext(f"{NS}Title")] == ["Contoso & Co exit"] * 2
    assert _tasks(tmp_path / "plan.xml")[0].findtext(f"{NS}Name") == "Contoso & Co exit"
