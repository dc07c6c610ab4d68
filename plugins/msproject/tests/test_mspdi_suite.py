"""The ``mspdi`` format passes the standard tracker-format suite, on the sample and on edge cases."""

from __future__ import annotations

import datetime as dt

import pytest

from mbf.domain import (
    Backlog,
    DependencyType,
    Iteration,
    Link,
    LinkKind,
    Release,
    StateCategory,
    TrackerRef,
    WorkItem,
    WorkItemKind,
)
from mbf.plugin import ALL_CAPABILITIES, TrackerFormat
from mbf.testing import TrackerFormatTests
from mbf_msproject.format import mspdi_format


class TestMspdiFormat(TrackerFormatTests):
    @pytest.fixture
    def tracker_format(self) -> TrackerFormat:
        return mspdi_format()


def _awkward_backlog() -> Backlog:
    """Values that stress the custom-field encodings and Project's slots."""
    items = (
        WorkItem(
            id="epic:x",
            kind=WorkItemKind.EPIC,
            title='Tags; with <markup> & "quotes"',
            description="line 1\r\nline 2\n\ttabbed",
            state="",
            tags=("a;b", " padded ", "[x]"),
            source=("ams1",),
            estimate=0.0,
            priority=12,
            extra={"nested": {"list": [1, 2.5, None, True]}, "Text1": "user column"},
        ),
        WorkItem(
            id="story:y",
            kind=WorkItemKind.STORY,
            title="",
            parent_id="epic:x",
            state="Blocked",
            state_category=StateCategory.IN_PROGRESS,
            start=dt.date(2027, 3, 6),
            refs={
                "azure-devops": TrackerRef(
                    key="1234", url="https://dev.azure.com/c/_workitems/1234", version="7"
                )
            },
            links=(Link(target_id="epic:x", kind=LinkKind.RELATES_TO), Link(target_id="story:y")),
        ),
        WorkItem(
            id="task:z",
            kind=WorkItemKind.TASK,
            title="Only a finish",
            parent_id="story:y",
            finish=dt.date(2027, 3, 9),
            state="Closed",
            state_category=StateCategory.DONE,
            links=(
                Link(target_id="story:y", type=DependencyType.SS, lag_hours=-2.5),
                Link(target_id="epic:x", type=DependencyType.FF, lag_hours=0.1),
                Link(target_id="story:y", type=DependencyType.FS, lag_hours=40.0),
            ),
        ),
    )
    return Backlog(
        items=items,
        iterations=(
            Iteration(id="it-1", name="Sprint & 1"),
            Iteration(
                id="it-2",
                name="Sprint 2",
                start=dt.date(2027, 3, 1),
                finish=dt.date(2027, 3, 12),
                capacity=12.5,
                path="Contoso\\Sprint 2",
            ),
        ),
        releases=(
            Release(id="r-1", name="Undated"),
            Release(
                id="r-2", name="GA", date=dt.date(2027, 3, 12), workload_ids=("payroll", "crm")
            ),
        ),
    )


class TestMspdiFormatOnAwkwardValues(TrackerFormatTests):
    @pytest.fixture
    def tracker_format(self) -> TrackerFormat:
        return mspdi_format()

    @pytest.fixture
    def backlog(self) -> Backlog:
        return _awkward_backlog()


def test_mspdi_declares_every_field() -> None:
    assert mspdi_format().capabilities == ALL_CAPABILITIES
