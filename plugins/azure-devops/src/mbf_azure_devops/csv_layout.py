"""How ``ado-csv`` files are laid out: their columns, the tags that carry mbf ids, the
1,000-item limit of a Boards import and the names of a split backlog's numbered files. Shared
by the writer (:mod:`.csv_writer`) and the reader (:mod:`.csv_reader`, through
:mod:`.csv_format`)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from mbf.plugin import Context
from mbf_azure_devops.format import AdoCsvSettings

__all__ = [
    "AREA_PATH",
    "COLUMNS_AFTER_TITLES",
    "COLUMNS_BEFORE_TITLES",
    "ID_TAG_PREFIX",
    "MAX_ITEMS_PER_FILE",
    "OWN_EXTRA_KEYS",
    "PARENT_TAG_PREFIX",
    "TAG_SEPARATOR",
    "TITLE_LEVEL",
    "WORK_ITEM_TYPE",
    "file_range",
    "part_path",
    "settings_of",
]

MAX_ITEMS_PER_FILE = 1000
"""Boards refuses imports of more work items than this."""
ID_TAG_PREFIX = "mbf:"
"""Tag that carries an item's mbf id."""
PARENT_TAG_PREFIX = "mbf-parent:"
"""Tag that carries the mbf id of a parent written to an earlier file of a split backlog."""
TAG_SEPARATOR = "; "
"""Between the tags of the ``Tags`` column (Boards splits them at ``;``)."""

WORK_ITEM_TYPE = "Work Item Type"
AREA_PATH = "Area Path"
COLUMNS_BEFORE_TITLES = ("ID", WORK_ITEM_TYPE)
"""The columns before ``Title 1`` … ``Title N``."""
COLUMNS_AFTER_TITLES = (
    "State",
    "Assigned To",
    "Priority",
    "Tags",
    "Iteration Path",
    AREA_PATH,
    "Description",
    "Original Estimate",
    "Start Date",
    "Target Date",
)
"""The columns after the titles, before the extra fields' columns."""
OWN_EXTRA_KEYS = (WORK_ITEM_TYPE, AREA_PATH)
"""Extras this format writes in columns of its own rather than as extra columns."""
TITLE_LEVEL = re.compile(r"^title\s*(\d+)$")
"""A ``Title N`` column's folded name; group 1 is its level."""


def settings_of(context: Context) -> AdoCsvSettings:
    """The ``ado-csv`` settings a command passes, or the defaults."""
    return context.settings if isinstance(context.settings, AdoCsvSettings) else AdoCsvSettings()


def part_path(path: Path, number: int) -> Path:
    """File ``number`` (from 1) of a split backlog: ``out.ado.csv``, ``out-2.ado.csv``, …"""
    if number == 1:
        return path
    stem, dot, rest = path.name.partition(".")
    return path.with_name(f"{stem}-{number}{dot}{rest}")


def file_range(paths: Sequence[Path]) -> str:
    """The names of ``paths``, the middle of a long run shortened: ``a.csv, a-2.csv … a-373.csv``."""
    if len(paths) <= 3:
        return ", ".join(p.name for p in paths)
    return f"{paths[0].name}, {paths[1].name} … {paths[-1].name}"
