"""Which Azure Migrate export a file is, and reading it with the matching reader.

One discovery source reads every Azure Migrate export; the kind is decided by content: workbook
sheet names, or the CSV header.
"""

from __future__ import annotations

import enum
import re
from pathlib import Path

from mbf.domain import Estate
from mbf.errors import InputError
from mbf.plugin import Context
from mbf.tabular import Table, normalise_header, read_csv_table, sniff_text
from mbf.workbooks import Workbook, sheet_names
from mbf_azure_migrate.dependencies import read_dependencies
from mbf_azure_migrate.import_csv import read_import_csv
from mbf_azure_migrate.workbooks import (
    ASSESSMENT_SHEET,
    CORE_REPORT_SHEETS,
    INVENTORY_SHEET,
    read_assessment,
    read_core_report,
    read_inventory,
)

__all__ = ["ExportKind", "export_kind", "looks_like_azure_migrate", "read_azure_migrate"]

_WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls")
_SPLIT_HEADER = re.compile(r"[,;\t|]")


class ExportKind(enum.Enum):
    """The Azure Migrate exports this source reads."""

    IMPORT_CSV = "import-based discovery CSV"
    INVENTORY = "discovered-server inventory (Discovery_Report)"
    ASSESSMENT = "Azure VM assessment (All_Assessed_Machines)"
    CORE_REPORT = "Azure Migrate Export Core Report"
    DEPENDENCIES = "agentless dependency analysis CSV"


def _kind_of_sheets(names: list[str]) -> ExportKind | None:
    lowered = {n.lower() for n in names}
    if ASSESSMENT_SHEET.lower() in lowered:
        return ExportKind.ASSESSMENT
    if any(s.lower() in lowered for s in CORE_REPORT_SHEETS):
        return ExportKind.CORE_REPORT
    if INVENTORY_SHEET.lower() in lowered:
        return ExportKind.INVENTORY
    return None


def _kind_of_header(header: set[str]) -> ExportKind | None:
    if {"sourceservername", "destinationservername"} <= header:
        return ExportKind.DEPENDENCIES
    if (
        "servername" in header
        and "cores" in header
        and header & {"memoryinmb", "memorymb", "memory"}
    ):
        return ExportKind.IMPORT_CSV
    return None


def export_kind(path: Path) -> ExportKind | None:
    """The kind of Azure Migrate export ``path`` is, or ``None``; cheap and never raises."""
    if path.suffix.lower() in _WORKBOOK_SUFFIXES:
        return _kind_of_sheets(sheet_names(path))
    lines = sniff_text(path, 4096).splitlines()
    if not lines:
        return None
    return _kind_of_header({normalise_header(h) for h in _SPLIT_HEADER.split(lines[0])})


def looks_like_azure_migrate(path: Path) -> bool:
    """Whether ``path`` is an Azure Migrate export this source reads."""
    return export_kind(path) is not None


def _expected() -> str:
    return "; ".join(kind.value for kind in ExportKind)


def read_azure_migrate(path: Path, context: Context) -> Estate:
    """Read any Azure Migrate export this source knows (see :class:`ExportKind`)."""
    if path.suffix.lower() in _WORKBOOK_SUFFIXES:
        book = Workbook(path)
        kind = _kind_of_sheets(book.sheet_names)
        if kind is ExportKind.ASSESSMENT:
            return read_assessment(book)
        if kind is ExportKind.CORE_REPORT:
            return read_core_report(book)
        if kind is ExportKind.INVENTORY:
            return read_inventory(book)
        raise InputError(
            f"no sheet of a known Azure Migrate export (sheets: {', '.join(book.sheet_names)}); "
            f"expected one of: {_expected()}",
            path=path,
        )
    table: Table = read_csv_table(path)
    kind = _kind_of_header({normalise_header(h) for h in table.header})
    if kind is ExportKind.DEPENDENCIES:
        return read_dependencies(table)
    if kind is ExportKind.IMPORT_CSV:
        return read_import_csv(table)
    raise InputError(
        "the header matches no Azure Migrate CSV export (an import CSV needs '*Server Name', "
        "'*Cores', '*Memory (In MB)'; a dependency export 'Source server name' and "
        "'Destination server name')",
        path=path,
        row=table.header_row,
    )
