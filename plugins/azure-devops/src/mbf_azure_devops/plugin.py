"""Hook implementations of the Azure DevOps plugin (the format is described in :mod:`.format` and
read and written by :mod:`.csv_format`, the live service lives in :mod:`.service`)."""

from __future__ import annotations

from collections.abc import Iterator

from mbf.plugin import TrackerFormat, TrackerService, hookimpl


@hookimpl
def mbf_tracker_formats() -> Iterator[TrackerFormat]:
    from mbf_azure_devops.format import ado_csv_format

    yield ado_csv_format()


@hookimpl
def mbf_tracker_services() -> Iterator[TrackerService]:
    from mbf_azure_devops.service import azure_devops_service

    yield azure_devops_service()
