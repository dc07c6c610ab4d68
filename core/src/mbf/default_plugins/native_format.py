"""The ``mbf-json`` tracker format: mbf's own lossless backlog file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from mbf.plugin import Context, TrackerFormat, hookimpl

if TYPE_CHECKING:
    from mbf.domain import Backlog

_SNIFF_BYTES = 4096


def looks_like_native_backlog(path: Path) -> bool:
    """Whether ``path`` starts like an mbf backlog file (the header is written first)."""
    with path.open("rb") as stream:
        head = stream.read(_SNIFF_BYTES)
    return b'"format": "mbf-backlog"' in head


def read_native(path: Path, context: Context) -> Backlog:
    """Read an ``mbf-json`` backlog file."""
    from mbf.serialization import read_backlog

    return read_backlog(path)


def write_native(backlog: Backlog, path: Path, context: Context) -> None:
    """Write an ``mbf-json`` backlog file."""
    from mbf.serialization import backlog_to_json

    path.write_bytes(backlog_to_json(backlog))


@hookimpl
def mbf_tracker_formats() -> Iterator[TrackerFormat]:
    yield TrackerFormat(
        name="mbf-json",
        description="mbf's native backlog file: lossless, stable order, diffs well in git",
        aliases=("json", "mbf"),
        default_filenames=("*.json",),
        read=read_native,
        write=write_native,
        can_read=looks_like_native_backlog,
    )
