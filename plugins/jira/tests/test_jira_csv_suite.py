"""The ``jira-csv`` format passes the standard tracker-format suite."""

import pytest

from mbf.plugin import TrackerFormat
from mbf.testing import TrackerFormatTests
from mbf_jira.csv_format import jira_csv_format


class TestJiraCsvFormat(TrackerFormatTests):
    @pytest.fixture
    def tracker_format(self) -> TrackerFormat:
        return jira_csv_format()
