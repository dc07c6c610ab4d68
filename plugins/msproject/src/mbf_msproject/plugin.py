"""Hook implementations of the msproject plugin: the ``mspdi`` tracker format."""

from __future__ import annotations

from collections.abc import Iterator

from mbf.plugin import TrackerFormat, hookimpl
from mbf_msproject.format import mspdi_format


@hookimpl
def mbf_tracker_formats() -> Iterator[TrackerFormat]:
    yield mspdi_format()
