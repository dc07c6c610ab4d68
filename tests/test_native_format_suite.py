"""The native format passes the same standard suite every format plugin subclasses."""

import pytest

from mbf.default_plugins.native_format import mbf_tracker_formats
from mbf.plugin import TrackerFormat
from mbf.testing import TrackerFormatTests


class TestNativeFormat(TrackerFormatTests):
    @pytest.fixture
    def tracker_format(self) -> TrackerFormat:
        return next(iter(mbf_tracker_formats()))
