"""mbf hooks of the Excel distribution: the ``xlsx`` backlog workbook and the ``meg`` workbook as
formats, and the ``excel-online`` service (the backlog workbook shared on OneDrive / SharePoint)."""

from __future__ import annotations

from collections.abc import Iterator

from mbf.plugin import TrackerFormat, TrackerService, hookimpl
from mbf_excel import formats


@hookimpl
def mbf_tracker_formats() -> Iterator[TrackerFormat]:
    yield formats.xlsx_format()
    yield formats.meg_format()


@hookimpl
def mbf_tracker_services() -> Iterator[TrackerService]:
    from mbf_excel.online import excel_online_service  # msgraph itself is imported on first use

    yield excel_online_service()
