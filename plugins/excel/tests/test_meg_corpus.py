"""The real ``MEG v0.97 - Framework.xlsx`` (Azure/migration) reads into the backlog it describes;
every expected value below was checked against the workbook's cells."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest

from mbf.domain import Backlog, Iteration, StateCategory, WorkItem, WorkItemKind, validate_backlog
from mbf.plugin import Context
from mbf_excel.formats import meg_format


@pytest.fixture(scope="module")
def framework_read(meg_framework: Path) -> tuple[Backlog, list[str]]:
    """The workbook read once for the module, with the warnings the read gave."""
    context = Context()
    reader = meg_format().read
    assert reader is not None
    backlog = reader(meg_framework, context)
    return backlog, context.diagnostics.warnings


@pytest.fixture
def framework(framework_read: tuple[Backlog, list[str]]) -> Backlog:
    return framework_read[0]


def _item(backlog: Backlog, item_id: str) -> WorkItem:
    return next(item for item in backlog.items if item.id == item_id)


def test_framework_reads_into_a_valid_backlog_of_45_items(framework: Backlog) -> None:
    assert validate_backlog(framework) is framework
    assert Counter(item.kind for item in framework.items) == {
        WorkItemKind.EPIC: 2,  # data centres Apollo and Luna II
        WorkItemKind.FEATURE: 19,  # 15 Digital Estate rows, 3 workloads only the risks name, "All"
        WorkItemKind.STORY: 5,  # Wave rows
        WorkItemKind.TASK: 19,  # risk-001 .. risk-019
    }


def test_each_data_centre_is_an_epic(framework: Backlog) -> None:
    epics = [(i.id, i.title) for i in framework.items if i.kind is WorkItemKind.EPIC]
    assert epics == [
        ("epic:apollo", "Migrate datacenter Apollo"),
        ("epic:luna-ii", "Migrate datacenter Luna II"),
    ]


def test_digital_estate_row_becomes_a_feature_with_its_decisions(framework: Backlog) -> None:
    feature = _item(framework, "feature:apollo/lunar-orbit-control")
    assert (feature.title, feature.parent_id, feature.priority, feature.tags, feature.start, feature.finish) == (
        "Migrate workload Lunar Orbit Control", "epic:apollo", 1, ("rehost",),
        dt.date(2024, 1, 1), dt.date(2024, 3, 15),
    )  # fmt: skip
    assert feature.extra == {
        "Discovery Date": "2023-12-01", "Data Centre": "Apollo", "Workload": "Lunar Orbit Control",
        "SLA": 0.9999, "Redundancy": "Geographic", "Compliance": "Data retention \n(7 years)",
        "Revenue Impacting": "Yes", "Users": 100, "Business Unit": "Rocket Unit",
        "Environment": "Production", "Servers": 5, "App Type": "Commercial Off-The-Shelf (COTS)",
        "Business Criticality": "Mission Critical", "Lifecycle": "Not defined",
        "End-of-life Date": "Not defined", "Business Drivers": "Data centre contract expiration.",
        "Milestone Date": "2024-03-15", "Priority": "High", "Rationalization": "Rehost",
        "Tooling": "Azure Migrate", "Promotion": "Single-step", "Scheduled Start Migration Date": "2024-01-01",
    }  # fmt: skip


def test_placeholder_cells_are_read_as_empty(framework: Backlog) -> None:
    feature = _item(framework, "feature:luna-ii/dialtone-vibes")
    # Description, owners, costs and approvals hold the template's "…"; End-of-life Date is blank.
    assert (feature.description, feature.assignee) == ("", "")
    assert sorted(feature.extra) == [
        "App Type", "Business Criticality", "Business Drivers", "Business Unit", "Compliance", "Data Centre",
        "Discovery Date", "Environment", "Lifecycle", "Milestone Date", "Priority", "Promotion",
        "Rationalization", "Redundancy", "Revenue Impacting", "SLA", "Scheduled Start Migration Date",
        "Servers", "Users", "Workload",
    ]  # fmt: skip


def test_waves_become_iterations_spanning_their_machines_dates(framework: Backlog) -> None:
    assert framework.iterations == (
        Iteration(
            id="wave-1", name="Wave 1", start=dt.date(2024, 1, 1), finish=dt.date(2024, 1, 15)
        ),
        Iteration(
            id="wave-2", name="Wave 2", start=dt.date(2024, 1, 8), finish=dt.date(2024, 1, 29)
        ),
        Iteration(
            id="wave-3", name="Wave 3", start=dt.date(2024, 1, 22), finish=dt.date(2024, 2, 12)
        ),
    )


def test_each_wave_machine_is_a_story_in_its_wave(framework: Backlog) -> None:
    stories = [
        (i.id, i.iteration_id, i.parent_id, i.state, i.assignee)
        for i in framework.items
        if i.kind is WorkItemKind.STORY
    ]
    assert stories == [
        (
            "story:dev-w-loc-01",
            "wave-1",
            "feature:apollo/lunar-orbit-control",
            "Done",
            "Alexandra Voronova",
        ),
        (
            "story:tst-w-loc-01",
            "wave-2",
            "feature:apollo/lunar-orbit-control",
            "Active",
            "Alexandra Voronova",
        ),
        (
            "story:uat-w-loc-01",
            "wave-2",
            "feature:apollo/lunar-orbit-control",
            "Done",
            "Alexandra Voronova",
        ),
        (
            "story:prd-w-loc-01",
            "wave-3",
            "feature:apollo/lunar-orbit-control",
            "Active",
            "Alexandra Voronova",
        ),
        (
            "story:prd-w-loc-02",
            "wave-3",
            "feature:apollo/lunar-orbit-control",
            "Done",
            "Alexandra Voronova",
        ),
    ]


def test_wave_row_keeps_its_target_placement_in_extra(framework: Backlog) -> None:
    story = _item(framework, "story:prd-w-loc-02")
    assert (story.start, story.finish) == (dt.date(2024, 1, 22), dt.date(2024, 2, 12))
    assert {
        k: story.extra[k]
        for k in ("Source Environment", "Migration Methodology", "Disk Encryption")
    } == {
        "Source Environment": "Hyper-V",
        "Migration Methodology": "ASR Provider + MARS agent",
        "Disk Encryption": "Encryption-at-rest with customer-managed key",
    }
    assert "Workload Details" not in story.extra  # a hyperlink to another sheet, not data


def test_risk_becomes_a_remediation_task_under_its_workload(framework: Backlog) -> None:
    task = _item(framework, "task:risk/risk-001")
    assert (
        (task.title, task.parent_id, task.description)
        == (
            "Service not in support matrix of the selected migration tooling.",
            "feature:apollo/airship-navigation-system",  # "Airship Navigation System" matched ignoring case
            "Fresh install in the cloud.",
        )
    )
    assert (task.state, task.state_category, task.priority, task.tags) == (
        "Resolved", StateCategory.DONE, 1, ("remediation", "risk", "technical"),
    )  # fmt: skip
    assert (task.start, task.finish) == (dt.date(2022, 8, 16), dt.date(2022, 9, 16))
    assert task.extra["Mitigation"] == "Airship ticket sales are at an all time low."


def test_risk_status_and_severity_icons_map_to_state_and_priority(framework: Backlog) -> None:
    risks = {
        i.id.rsplit("/", 1)[1]: (i.state_category, i.priority)
        for i in framework.items
        if i.kind is WorkItemKind.TASK
    }
    assert risks["risk-003"] == (StateCategory.TODO, 3)  # status 0 (cross), severity 0 (green flag)
    assert risks["risk-005"] == (StateCategory.IN_PROGRESS, 2)  # status 1, severity 1
    assert risks["risk-002"] == (StateCategory.DONE, 2)  # status 2, severity 1


def test_risks_for_all_workloads_share_one_feature(framework: Backlog) -> None:
    shared = sorted(i.id for i in framework.items if i.parent_id == "feature:all-workloads")
    assert shared == [f"task:risk/risk-0{n}" for n in ("10", "14", "15", "16", "17", "18")]


def test_workload_in_two_data_centres_takes_risks_to_the_first_row(framework: Backlog) -> None:
    assert (
        _item(framework, "task:risk/risk-007").parent_id
        == "feature:luna-ii/sundial-calendar-management"
    )


def test_workloads_missing_from_the_estate_get_a_feature_and_a_warning(
    framework_read: tuple[Backlog, list[str]],
) -> None:
    backlog, warnings = framework_read
    assert _item(backlog, "task:risk/risk-012").parent_id == "feature:astronavigationtrix"
    assert _item(backlog, "feature:astronavigationtrix").tags == ("not-in-digital-estate",)
    assert [w.split(": ", 1)[1] for w in warnings] == [
        f"workload {name!r} is not on the '8. Digital Estate' sheet; it gets a feature of its own"
        for name in ("The White Dot Generator", "Vacuum Tuben", "Astronavigationtrix")
    ]
    assert [w.split(": ", 1)[0].split(", ")[1:] for w in warnings] == [
        ["sheet '8. Risk Register'", f"row {n}"] for n in (20, 21, 27)
    ]


def test_checklist_workbook_is_not_a_meg_estate(meg_framework: Path) -> None:
    checklist = meg_framework.parent / "MEG v0.96 - Checklist.xlsx"
    assert meg_format().can_read is not None
    assert meg_format().can_read(checklist) is False
    assert meg_format().can_read(meg_framework) is True


def test_backlog_workbook_format_does_not_claim_a_meg_workbook(meg_framework: Path) -> None:
    from mbf_excel.formats import xlsx_format

    assert xlsx_format().can_read is not None
    assert xlsx_format().can_read(meg_framework) is False
