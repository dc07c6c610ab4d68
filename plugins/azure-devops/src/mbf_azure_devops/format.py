"""The ``ado-csv`` format as mbf registers it: its name, what it holds, its settings, and
entry points that import the Boards CSV reader (:mod:`.csv_reader`) and writer
(:mod:`.csv_writer`) on first use.
Every ``mbf convert`` collects all installed formats, and loading this module costs nothing like
the reader and writer do."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from mbf.config import check_kind_keys
from mbf.domain import WorkItemKind
from mbf.plugin import Context, TrackerFormat
from mbf_azure_devops.vocabulary import DEFAULT_WORK_ITEM_TYPES

if TYPE_CHECKING:
    from mbf.domain.columns import BacklogColumns

__all__ = ["CAPABILITIES", "FORMAT_NAME", "AdoCsvSettings", "ado_csv_format"]

FORMAT_NAME = "ado-csv"

CAPABILITIES = frozenset(
    {
        "id",
        "kind",
        "title",
        "description",
        "parent_id",
        "state",
        "state_category",
        "assignee",
        "priority",
        "tags",
        "iteration_id",
        "estimate",
        "start",
        "finish",
        "extra",
    }
)
"""Item fields an ``ado-csv`` file keeps. Iterations keep only their path (no dates or capacity),
links other than parent-child cannot be imported from CSV, and Boards has no release field."""


@attrs.frozen(kw_only=True)
class AdoCsvSettings:
    """Options of the ``ado-csv`` format."""

    work_item_types: Mapping[str, str] = attrs.field(
        validator=check_kind_keys,
        factory=dict,
    )
    """Work item type per kind where it differs from the Agile default (``story = "Product Backlog
    Item"`` for Scrum projects)."""
    neutralise_formulas: bool = True
    """Put ``'`` before text starting with ``=``, ``+``, ``-`` or ``@`` so Excel never runs it."""

    def types_by_kind(self) -> dict[WorkItemKind, str]:
        """The work item type of every kind: the settings over the defaults."""
        return {
            **DEFAULT_WORK_ITEM_TYPES,
            **{WorkItemKind(k): v for k, v in self.work_item_types.items()},
        }


def _read_columns(path: Path, context: Context) -> BacklogColumns:
    from mbf_azure_devops.csv_reader import read_ado_csv_columns

    return read_ado_csv_columns(path, context)


def _write_columns(backlog: BacklogColumns, path: Path, context: Context) -> None:
    from mbf_azure_devops.csv_writer import write_ado_csv_columns

    write_ado_csv_columns(backlog, path, context)


def _can_read(path: Path) -> bool:
    from mbf_azure_devops.csv_reader import looks_like_ado_csv

    return looks_like_ado_csv(path)


def ado_csv_format() -> TrackerFormat:
    """The ``ado-csv`` tracker format object the plugin registers."""
    return TrackerFormat(
        name=FORMAT_NAME,
        description="Azure Boards CSV: 'Import work items' files and query-result exports",
        aliases=("azure-boards-csv", "ado"),
        default_filenames=("*.ado.csv", "*-ado.csv", "*_ado.csv", "*azure*devops*.csv"),
        read_columns=_read_columns,
        write_columns=_write_columns,
        can_read=_can_read,
        capabilities=CAPABILITIES,
        settings_type=AdoCsvSettings,
    )
