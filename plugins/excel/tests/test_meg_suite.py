"""The ``meg`` format passes mbf's standard tracker-format suite for what it declares it holds."""

from __future__ import annotations

import pytest

from mbf.domain import WorkItemKind
from mbf.plugin import TrackerFormat
from mbf.testing import TrackerFormatTests
from mbf_excel.formats import meg_format


class TestMegFormat(TrackerFormatTests):
    @pytest.fixture
    def tracker_format(self) -> TrackerFormat:
        return meg_format()


def test_meg_holds_data_centres_workloads_and_servers_with_owners_and_dates() -> None:
    assert meg_format().kinds == {WorkItemKind.EPIC, WorkItemKind.FEATURE, WorkItemKind.STORY}
    assert meg_format().capabilities == {"kind", "assignee", "start", "finish"}
