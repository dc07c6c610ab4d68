"""mbf hooks of the Excel distribution: the ``xlsx`` backlog workbook and the ``meg`` workbook."""

from __future__ import annotations

from collections.abc import Iterator

from mbf.plugin import TrackerFormat, hookimpl
from mbf_excel import formats


@hookimpl
def mbf_tracker_formats() -> Iterator[TrackerFormat]:
    yield formats.xlsx_format()
    yield formats.meg_format()
