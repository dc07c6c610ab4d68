"""Hook implementations of the Jira plugin (the format lives in :mod:`.csv_format`)."""

from __future__ import annotations

from collections.abc import Iterator

from mbf.plugin import TrackerFormat, hookimpl


@hookimpl
def mbf_tracker_formats() -> Iterator[TrackerFormat]:
    from mbf_jira.csv_format import jira_csv_format

    yield jira_csv_format()
