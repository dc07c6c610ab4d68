"""The ``mspdi`` tracker format object: what it reads, writes and keeps."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from mbf.plugin import ALL_CAPABILITIES, Context, TrackerFormat

if TYPE_CHECKING:
    from mbf.domain import Backlog

__all__ = ["MSPDI_CAPABILITIES", "mspdi_format"]

MSPDI_CAPABILITIES = ALL_CAPABILITIES
"""Every field survives: Project slots where they exist, mbf's custom fields for the rest."""


def _read(path: Path, context: Context) -> Backlog:
    from mbf_msproject.reader import read_mspdi

    return read_mspdi(path, context)


def _write(backlog: Backlog, path: Path, context: Context) -> None:
    from mbf_msproject.writer import write_mspdi

    write_mspdi(backlog, path, context)


def _can_read(path: Path) -> bool:
    from mbf_msproject.reader import looks_like_mspdi

    return looks_like_mspdi(path)


def mspdi_format() -> TrackerFormat:
    """The ``mspdi`` format: Microsoft Project XML, read and written."""
    return TrackerFormat(
        name="mspdi",
        description="Microsoft Project XML (MSPDI): outline, dates, durations, links, custom fields",
        aliases=("msproject", "project-xml"),
        default_filenames=("*.xml",),
        read=_read,
        write=_write,
        can_read=_can_read,
        capabilities=MSPDI_CAPABILITIES,
    )
