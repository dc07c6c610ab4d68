"""The ``jira-csv`` format as mbf registers it: its name, what it holds, its settings, and
entry points that import the CSV reader (:mod:`.csv_reader`) and writer (:mod:`.csv_format`)
on first use. Every ``mbf convert`` collects all installed formats, and loading this module
costs nothing like the reader and writer do."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from mbf.config import check_kind_keys
from mbf.domain import WorkItemKind
from mbf.plugin import Context, TrackerFormat
from mbf_jira.vocabulary import DEFAULT_ISSUE_TYPES

if TYPE_CHECKING:
    from mbf.domain.columns import BacklogColumns

__all__ = ["CAPABILITIES", "FORMAT_NAME", "JiraCsvSettings", "jira_csv_format"]

FORMAT_NAME = "jira-csv"
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
        "release_id",
        "estimate",
        "start",
        "finish",
        "extra",
    }
)
"""Item fields a ``jira-csv`` file keeps. Sprints and versions keep only their names (no dates
or capacity), the importer has no link columns, and Jira keys come from Jira, not from the file."""


@attrs.frozen(kw_only=True)
class JiraCsvSettings:
    """Options of the ``jira-csv`` format."""

    issue_types: Mapping[str, str] = attrs.field(
        validator=check_kind_keys,
        factory=dict,
    )
    """Issue type per kind where it differs from the default (e.g. ``epic = "Initiative"``,
    ``feature = "Epic"``)."""
    neutralise_formulas: bool = True
    """Put ``'`` before text starting with ``=``, ``+``, ``-`` or ``@`` so Excel never runs it."""

    def types_by_kind(self) -> dict[WorkItemKind, str]:
        """The issue type of every kind: the settings over the defaults."""
        return {**DEFAULT_ISSUE_TYPES, **{WorkItemKind(k): v for k, v in self.issue_types.items()}}


def _read_columns(path: Path, context: Context) -> BacklogColumns:
    from mbf_jira.csv_reader import read_jira_csv_columns

    return read_jira_csv_columns(path, context)


def _write_columns(backlog: BacklogColumns, path: Path, context: Context) -> None:
    from mbf_jira.csv_format import write_jira_csv_columns

    write_jira_csv_columns(backlog, path, context)


def _can_read(path: Path) -> bool:
    from mbf_jira.csv_reader import looks_like_jira_csv

    return looks_like_jira_csv(path)


def jira_csv_format() -> TrackerFormat:
    """The ``jira-csv`` tracker format object the plugin registers."""
    return TrackerFormat(
        name=FORMAT_NAME,
        description="Jira CSV: importer input and 'Export > CSV (all fields)' files",
        aliases=("jira",),
        default_filenames=("*.jira.csv", "jira*.csv", "*-jira.csv", "*_jira.csv"),
        read_columns=_read_columns,
        write_columns=_write_columns,
        can_read=_can_read,
        capabilities=CAPABILITIES,
        settings_type=JiraCsvSettings,
    )
