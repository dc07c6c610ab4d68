"""The two Excel tracker formats as mbf sees them: names, sniffers, capabilities, callables."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from mbf.plugin import Context, TrackerFormat
from mbf_excel.meg_layout import MEG_SHEETS

if TYPE_CHECKING:
    from mbf.domain import Backlog

__all__ = [
    "MEG_CAPABILITIES",
    "MEG_SHEETS",
    "looks_like_backlog_workbook",
    "looks_like_meg_workbook",
    "meg_format",
    "xlsx_format",
]

MEG_CAPABILITIES = frozenset({"kind", "assignee", "start", "finish"})
"""What survives a MEG write and read: owner/engineer and the migration dates of workloads and
servers. Ids and titles are derived again from data centre, workload and machine names (so titles
mbf generated, like ``Migrate workload Payroll``, come back; others do not); iterations come back
as ``wave-N``; extra fields only where the template has a column of that name."""


def looks_like_backlog_workbook(path: Path) -> bool:
    """Whether ``path`` is a workbook with a Backlog sheet (and is not a MEG workbook)."""
    # Imported on first sniff: the layout brings in the domain model, the archive reader zipfile.
    from mbf_excel.archive import sheet_names
    from mbf_excel.backlog_layout import BACKLOG_SHEET

    names = sheet_names(path)
    return BACKLOG_SHEET in names and not any(sheet in names for sheet in MEG_SHEETS)


def looks_like_meg_workbook(path: Path) -> bool:
    """Whether ``path`` is a Migration Execution Guide workbook (it has a Digital Estate or Wave sheet)."""
    from mbf_excel.archive import sheet_names

    return any(sheet in sheet_names(path) for sheet in MEG_SHEETS)


def _read_xlsx(path: Path, context: Context) -> Backlog:
    from mbf_excel.xlsx_reader import read_backlog_workbook

    return read_backlog_workbook(path, context)


def _write_xlsx(backlog: Backlog, path: Path, context: Context) -> None:
    from mbf_excel.xlsx_writer import write_backlog_workbook

    write_backlog_workbook(backlog, path, context)


def _read_meg(path: Path, context: Context) -> Backlog:
    from mbf_excel.meg_reader import read_meg_workbook

    return read_meg_workbook(path, context)


def _write_meg(backlog: Backlog, path: Path, context: Context) -> None:
    from mbf_excel.meg_writer import write_meg_workbook

    write_meg_workbook(backlog, path, context)


def xlsx_format() -> TrackerFormat:
    """The backlog workbook: every work item field survives, and so do edits made in Excel."""
    return TrackerFormat(
        name="xlsx",
        description="Excel backlog workbook: Backlog table with outline, Iterations, Releases, Summary",
        aliases=("excel",),
        default_filenames=("*.xlsx",),
        read=_read_xlsx,
        write=_write_xlsx,
        can_read=looks_like_backlog_workbook,
    )


def meg_format() -> TrackerFormat:
    """The Migration Execution Guide workbook (Digital Estate, Wave and Risk Register sheets)."""
    from mbf.domain import WorkItemKind

    # Data centres (epics), workloads (features) and servers (stories); tasks have no row.
    meg_kinds = frozenset({WorkItemKind.EPIC, WorkItemKind.FEATURE, WorkItemKind.STORY})
    return TrackerFormat(
        name="meg",
        description="Migration Execution Guide workbook: Digital Estate, Wave and Risk Register sheets",
        aliases=("migration-execution-guide",),
        default_filenames=("meg*.xlsx",),
        read=_read_meg,
        write=_write_meg,
        can_read=looks_like_meg_workbook,
        capabilities=MEG_CAPABILITIES,
        kinds=meg_kinds,
    )
