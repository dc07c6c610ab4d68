"""Hook implementations of the Jira plugin: the ``jira-csv`` format (described in :mod:`.format`,
read and written by :mod:`.csv_format`) and the live ``jira`` service (:mod:`.service`). Each is
imported only when used: the ``jira`` package alone costs about 150 ms, which ``mbf --help`` must
not pay."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mbf.plugin import Context, TrackerFormat, TrackerService, hookimpl


@hookimpl
def mbf_tracker_formats() -> Iterator[TrackerFormat]:
    from mbf_jira.format import jira_csv_format

    yield jira_csv_format()


def _connect(settings: Any, context: Context) -> Any:
    from mbf_jira.service import connect

    return connect(settings, context)


@hookimpl
def mbf_tracker_services() -> Iterator[TrackerService]:
    from mbf_jira.settings import JiraSettings

    yield TrackerService(
        name="jira",
        description="Jira Cloud or Data Center through the REST and Agile APIs",
        settings_type=JiraSettings,
        connect=_connect,
    )
