"""The ``ado-csv`` format: what Azure Boards "Import work items" accepts, and its query exports.

Written files follow the import rules: ``ID`` empty for new items (an item with an
``azure-devops`` ref is written with its ID, which makes the row an update), ``Work Item Type``,
the hierarchy indented across ``Title 1`` … ``Title N``, ``Assigned To`` as ``Name <upn>``, tags
joined with ``; ``, iteration and area paths, Description as HTML, and every ``extra`` key as a
column of that name (a field display or reference name). Boards imports at most 1,000 items per
file, so a larger backlog is split at subtree boundaries into ``name.csv``, ``name-2.csv``, …

mbf ids travel in the ``Tags`` column as ``mbf:<id>`` (Boards has no free field every
organisation owns), so a backlog read back, or exported from Boards after the import, keeps its
ids. An item whose parent ended up in an earlier file also carries ``mbf-parent:<id>``.

Writing is in :mod:`.csv_writer` (column by column), reading (query-result exports and mbf's
own files) in :mod:`.csv_reader`; both follow :mod:`.csv_layout`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from mbf.domain import Backlog, WorkItem
from mbf.domain.columns import BacklogColumns
from mbf.plugin import Context
from mbf_azure_devops.csv_layout import (
    AREA_PATH,
    ID_TAG_PREFIX,
    MAX_ITEMS_PER_FILE,
    PARENT_TAG_PREFIX,
    TAG_SEPARATOR,
    TITLE_LEVEL,
    WORK_ITEM_TYPE,
    file_range,
    part_path,
    settings_of,
)
from mbf_azure_devops.csv_parts import file_parts
from mbf_azure_devops.csv_writer import write_ado_csv_columns
from mbf_azure_devops.format import CAPABILITIES, FORMAT_NAME, AdoCsvSettings, ado_csv_format

__all__ = [
    "AREA_PATH",
    "CAPABILITIES",
    "FORMAT_NAME",
    "ID_TAG_PREFIX",
    "MAX_ITEMS_PER_FILE",
    "PARENT_TAG_PREFIX",
    "TAG_SEPARATOR",
    "TITLE_LEVEL",
    "WORK_ITEM_TYPE",
    "AdoCsvSettings",
    "ado_csv_format",
    "file_range",
    "part_path",
    "settings_of",
    "split_into_parts",
    "write_ado_csv",
    "write_ado_csv_columns",
]


def split_into_parts(items: Sequence[WorkItem], limit: int) -> list[list[WorkItem]]:
    """Cut ``items`` (in hierarchy order) into files of at most ``limit`` rows.

    A whole subtree goes into one file whenever it fits, so Boards rebuilds its hierarchy; only a
    subtree larger than a file is cut, below its root, along its children's subtrees (see
    :func:`~mbf_azure_devops.csv_parts.file_parts`).
    """
    starts = file_parts(
        [item.id for item in items], [item.parent_id for item in items], limit
    ).starts
    return [
        list(items[start:end]) for start, end in zip(starts, [*starts[1:], len(items)], strict=True)
    ]


def write_ado_csv(backlog: Backlog, path: Path, context: Context) -> None:
    """Write ``backlog`` as Boards import files: ``path`` and, past 1,000 items, numbered parts
    (see :func:`~mbf_azure_devops.csv_writer.write_ado_csv_columns`)."""
    write_ado_csv_columns(BacklogColumns.of(backlog), path, context)
