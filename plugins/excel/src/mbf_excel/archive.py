"""Opening an xlsx file safely: refuse non-workbooks and zip bombs, and list sheet names cheaply."""

from __future__ import annotations

import html
import re
import zipfile
from pathlib import Path

from mbf.errors import InputError

__all__ = ["MAX_RATIO", "MAX_UNCOMPRESSED_BYTES", "check_workbook_archive", "sheet_names"]

MAX_UNCOMPRESSED_BYTES = 4 * 1024**3
"""Refuse a workbook whose parts would unpack to more than this (4 GiB; a 350,000-item backlog
workbook unpacks to about 300 MB)."""

MAX_RATIO = 200
"""Refuse a part that is more than this many times larger unpacked than packed (real worksheet
XML compresses about 10-30 times; zip bombs compress thousands of times)."""

_RATIO_FLOOR_BYTES = 16 * 1024**2
"""Parts smaller than this unpacked are never refused for their ratio: they cannot hurt."""

_SHEET_NAME = re.compile(rb'<(?:\w+:)?sheet\b[^>]*?\bname="([^"]*)"')


def check_workbook_archive(path: Path) -> None:
    """Raise :class:`InputError` unless ``path`` is a zip archive that unpacks to a sane size."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError) as error:
        raise InputError(f"not an xlsx workbook ({error})", path=path) from None
    total = 0
    for member in members:
        total += member.file_size
        if member.file_size > _RATIO_FLOOR_BYTES and member.file_size > MAX_RATIO * max(
            member.compress_size, 1
        ):
            raise InputError(
                f"refused: part {member.filename!r} unpacks {member.file_size // max(member.compress_size, 1)} "
                f"times larger than it is packed (zip bomb?)",
                path=path,
            )
    if total > MAX_UNCOMPRESSED_BYTES:
        raise InputError(
            f"refused: the workbook would unpack to {total / 1024**3:.1f} GiB "
            f"(limit {MAX_UNCOMPRESSED_BYTES // 1024**3} GiB)",
            path=path,
        )


def sheet_names(path: Path) -> list[str]:
    """Names of the sheets in ``path`` read from ``xl/workbook.xml``; ``[]`` if it is no workbook.

    Never raises: used to sniff a file's format before anything else touches it.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo("xl/workbook.xml")
            if (
                info.file_size > 8 * 1024**2
            ):  # a workbook part lists sheets; megabytes mean mischief
                return []
            content = archive.read(info)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        return []
    return [html.unescape(name.decode("utf-8", "replace")) for name in _SHEET_NAME.findall(content)]
