"""The ``ado-csv`` format passes the standard tracker-format suite."""

import pytest

from mbf.plugin import TrackerFormat
from mbf.testing import TrackerFormatTests
from mbf_azure_devops.csv_format import ado_csv_format


class TestAdoCsvFormat(TrackerFormatTests):
    @pytest.fixture
    def tracker_format(self) -> TrackerFormat:
        return ado_csv_format()
