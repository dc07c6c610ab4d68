"""The ``xlsx`` format passes mbf's standard tracker-format suite."""

from __future__ import annotations

import datetime as dt

import pytest

from mbf.domain import (
    Backlog,
    DependencyType,
    Iteration,
    Link,
    LinkKind,
    StateCategory,
    TrackerRef,
    WorkItem,
    WorkItemKind,
)
from mbf.plugin import ALL_CAPABILITIES, TrackerFormat
from mbf.testing import TrackerFormatTests
from mbf_excel.formats import xlsx_format


class TestXlsxFormat(TrackerFormatTests):
    @pytest.fixture
    def tracker_format(self) -> TrackerFormat:
        return xlsx_format()


def test_xlsx_declares_every_field_and_both_lists() -> None:
    assert xlsx_format().capabilities == ALL_CAPABILITIES


def _tricky_backlog() -> Backlog:
    """Values that are easy to lose in a spreadsheet: formula-like text, spaces, odd numbers, JSON."""
    sprint = Iteration(id="it-a", name="Sprint", start=dt.date(2027, 2, 1))
    twin = Iteration(id="it-b", name="Sprint", capacity=2.5)  # same name: the sheet shows ids
    items = (
        WorkItem(id="epic:x", kind=WorkItemKind.EPIC, title="=HYPERLINK(\"http://evil\")",
                 description="line one\nline two\n", tags=("a", "b c"), priority=3,
                 extra={"Cost centre": "=1+1", "Servers": 12, "Ratio": 0.25, "Signed off": True,
                        "Notes": "", "Owners": ["Dana", "Ravi"], "Title": "clashes with a column"}),
        WorkItem(id="feature:y", kind=WorkItemKind.FEATURE, title="  padded title  ", parent_id="epic:x",
                 state="Blocked", state_category=StateCategory.IN_PROGRESS, iteration_id="it-b",
                 estimate=2.75, assignee="+31 20 555 0100",
                 links=(Link(target_id="epic:x", type=DependencyType.SF, lag_hours=-1.5),
                        Link(target_id="epic:x", kind=LinkKind.RELATES_TO, lag_hours=2.0)),
                 refs={"jira": TrackerRef(key="MIG-9", version="3"), "ado": TrackerRef(key="42", url="https://x/42")},
                 extra={"Servers": 7, "Ratio": 1, "Signed off": False, "Notes": None}),
        WorkItem(id="task:z", kind=WorkItemKind.TASK, title="@mention me", parent_id="feature:y",
                 iteration_id="it-a", state="Done", state_category=StateCategory.DONE, source=("srv-1", "srv-2")),
    )  # fmt: skip
    return Backlog(items=items, iterations=(sprint, twin))


class TestXlsxFormatTrickyValues(TrackerFormatTests):
    @pytest.fixture
    def tracker_format(self) -> TrackerFormat:
        return xlsx_format()

    @pytest.fixture
    def backlog(self) -> Backlog:
        return _tricky_backlog()


class TestXlsxFormatEmptyBacklog(TrackerFormatTests):
    @pytest.fixture
    def tracker_format(self) -> TrackerFormat:
        return xlsx_format()

    @pytest.fixture
    def backlog(self) -> Backlog:
        return Backlog()
