"""Azure Migrate workbooks: the discovered-servers inventory and the assessments.

- ``Discovery_Report``: the inventory of discovered servers as Azure Migrate Export writes it.
- ``All_Assessed_Machines``: the portal's Azure VM assessment export (readiness, issues,
  recommended size, monthly costs whose header carries the currency, e.g. ``Compute monthly
  cost USD``).
- Azure Migrate Export's Core Report: ``All_VM_IaaS_Server_Rehost_Perf`` (or the per-environment
  ``VM_IaaS_Server_Rehost_Perf`` / ``_As-is``) with the currency on its ``Properties`` sheet.

Readiness becomes ready / ready_with_conditions / not_ready / unknown; every readiness issue (the
Core Report calls them warnings) becomes a blocker of the server.

Each sheet is read a column at a time (50,000 machines are a normal export), and row by row
only when a cell needs the careful per-cell reading, which names the row and column of a bad one.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, TypeVar

from mbf.domain import Estate, EstateSource, Server, Workload, server_id, server_ids, slug
from mbf.domain.estate import normalised_servers
from mbf.errors import InputError
from mbf.tabular import (
    Columns,
    ColumnSpec,
    Table,
    cell_float,
    cell_int,
    cell_text,
    extras_column,
    float_column,
    int_column,
    normalise_header,
    text_column,
)
from mbf.workbooks import Workbook
from mbf_azure_migrate.values import (
    address_column,
    addresses,
    application_group,
    issues,
    readiness,
)

__all__ = [
    "ASSESSMENT_SHEET",
    "CORE_REPORT_SHEETS",
    "INVENTORY_SHEET",
    "read_assessment",
    "read_core_report",
    "read_inventory",
]

INVENTORY_SHEET = "Discovery_Report"
ASSESSMENT_SHEET = "All_Assessed_Machines"
CORE_REPORT_SHEETS = (
    "All_VM_IaaS_Server_Rehost_Perf",
    "VM_IaaS_Server_Rehost_Perf",
    "VM_IaaS_Server_Rehost_As-is",
)
"""Core Report sheets with per-machine Azure VM readiness, best first (the first has every machine)."""

_INVENTORY = (
    ColumnSpec("Machine Name", ("Server name", "Machine"), required=True),
    ColumnSpec("Environment", ()),
    ColumnSpec("Operating System", ("OS name",)),
    ColumnSpec("Cores", ("Number of cores",), required=True),
    ColumnSpec("Memory (in MB)", ("Memory (MB)",), required=True),
    ColumnSpec("Total Disks", ()),
    ColumnSpec("IP Addresses", ("IP address",)),
    ColumnSpec("Boot Type", ()),
    ColumnSpec("Power Stats", ("Power status",)),
    ColumnSpec("Support Status", ()),
    ColumnSpec("Machine ID", ()),
)
_ASSESSMENT = (
    ColumnSpec("Machine", ("Machine name",), required=True),
    ColumnSpec("VM host", ()),
    ColumnSpec("Azure VM readiness", (), required=True),
    ColumnSpec("Azure readiness issues", ()),
    ColumnSpec("Data collection issues", ()),
    ColumnSpec("Recommended size", ()),
    ColumnSpec("Operating system", ()),
    ColumnSpec("Boot type", ()),
    ColumnSpec("Cores", ()),
    ColumnSpec("Memory(MB)", ("Memory (MB)",)),
    ColumnSpec("Storage(GB)", ("Storage (GB)",)),
    ColumnSpec("IP address", ()),
    ColumnSpec("Group name", ()),
)
_CORE_REPORT = (
    ColumnSpec("Machine Name", (), required=True),
    ColumnSpec("Environment", ()),
    ColumnSpec("Azure VM Readiness", (), required=True),
    ColumnSpec("Azure VM Readiness - Warnings", ()),
    ColumnSpec("Recommended VM Size", ()),
    ColumnSpec("Monthly Compute Cost Estimate (Pay as you go)", ("Monthly Compute Cost Estimate",)),
    ColumnSpec("Monthly Storage Cost Estimate", ()),
    ColumnSpec("Operating System", ()),
    ColumnSpec("Support Status", ()),
    ColumnSpec("VM Host", ()),
    ColumnSpec("Boot Type", ()),
    ColumnSpec("Cores", ()),
    ColumnSpec("Memory (in MB)", ()),
    ColumnSpec("Storage (in GB)", ()),
    ColumnSpec("IP Addresses", ()),
    ColumnSpec("Group Name", ()),
    ColumnSpec("Machine ID", ()),
)
_MONTHLY_COST = re.compile(r"^(compute|storage)monthlycost([a-z]{3})$")
_T = TypeVar("_T")


class _Assessed(NamedTuple):
    """Where an assessment sheet keeps the fields of a server: the portal's
    ``All_Assessed_Machines`` and the Core Report spell the same columns differently."""

    machine: str
    os: str
    cores: str
    memory: str
    storage: str
    addresses: str
    readiness: str
    issues: str
    group: str
    environment: str = "Environment"
    """The portal's sheet has none: its servers' environment is blank."""


_ASSESSED = _Assessed(
    "Machine", "Operating system", "Cores", "Memory(MB)", "Storage(GB)", "IP address",
    "Azure VM readiness", "Azure readiness issues", "Group name",
)  # fmt: skip
_CORE_REPORT_ASSESSED = _Assessed(
    "Machine Name", "Operating System", "Cores", "Memory (in MB)", "Storage (in GB)",
    "IP Addresses", "Azure VM Readiness", "Azure VM Readiness - Warnings", "Group Name",
)  # fmt: skip


class _ByRow(Exception):
    """A sheet the column-at-a-time reading leaves to the row-by-row one (a blank or short row,
    a cell that is not plainly a number), which reads or reports it."""


class _Cells:
    """The located columns of a sheet as lists of cells, converted a column at a time."""

    def __init__(self, table: Table, cols: Columns) -> None:
        rows = table.rows
        if not isinstance(rows, list) or not rows:
            raise _ByRow
        if min(map(len, rows)) <= max(cols.index.values()):
            raise _ByRow  # a short row: its missing cells are blank
        self.rows = rows
        self.count = len(rows)
        self._raw = {name: self.at(at) for name, at in cols.index.items()}

    def at(self, position: int) -> list[Any]:
        """The cells of the column at ``position``."""
        try:
            return list(map(operator.itemgetter(position), self.rows))
        except IndexError:
            raise _ByRow from None  # a row too short to reach it

    def texts(self, name: str) -> list[str]:
        """The column's cells as stripped text; blanks when the sheet lacks it."""
        raw = self._raw.get(name)
        return [""] * self.count if raw is None else text_column(raw)

    def names(self, name: str) -> list[str]:
        """The machine names; a blank one (or a blank row) is for the row-by-row reading."""
        names = self.texts(name)
        if "" in names:
            raise _ByRow
        return names

    def whole(self, name: str) -> list[int | None]:
        """The column's whole numbers, ``None`` where blank."""
        return self._converted(self._raw.get(name), int_column)

    def numbers(self, cells: list[Any] | None) -> list[float | None]:
        """``cells`` (a column of the sheet, or ``None`` for none) as numbers, ``None`` where
        blank."""
        return self._converted(cells, float_column)

    def _converted(
        self, cells: list[Any] | None, convert: Callable[[list[Any]], list[Any] | None]
    ) -> list[Any]:
        """``convert`` of ``cells``, all ``None`` when the sheet lacks them; a cell that
        ``convert`` refuses is for the row-by-row reading."""
        if cells is None:
            return [None] * self.count
        converted = convert(cells)
        if converted is None:
            raise _ByRow
        return converted

    def raw(self, name: str) -> list[Any] | None:
        """The column's cells as read, ``None`` when the sheet lacks it."""
        return self._raw.get(name)


def _each(interpret: Callable[[str], _T], texts: list[str]) -> list[_T]:
    """``interpret`` of each text, called once per distinct text (a column of 50,000 readiness
    cells holds a handful of words)."""
    meaning = {text: interpret(text) for text in dict.fromkeys(texts)}
    return list(map(meaning.__getitem__, texts))


def _name(cols: Columns, row: Sequence[Any], number: int, table: Table, column: str) -> str:
    name = cols.text(row, column)
    if not name:
        raise InputError("the machine name is empty", path=table.where, row=number, column=column)
    return name


def _number(
    cols: Columns, row: Sequence[Any], number: int, table: Table, column: str
) -> float | None:
    return cell_float(cols.get(row, column), where=table.where, row=number, column=column)


def _whole(cols: Columns, row: Sequence[Any], number: int, table: Table, column: str) -> int | None:
    return cell_int(cols.get(row, column), where=table.where, row=number, column=column)


def _estate(
    table: Table, servers: list[Server], workloads: dict[str, Workload] | None = None
) -> Estate:
    if not servers:
        raise InputError("the sheet has a header but no machine rows", path=table.where)
    workloads = workloads or {}
    return Estate(
        servers=tuple(servers),
        workloads=tuple(workloads[k] for k in sorted(workloads)),
        sources=(EstateSource(source="azure-migrate", path=str(table.path), records=len(servers)),),
    )


def _clean(extra: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in extra.items() if v not in ("", None)}


def read_inventory(book: Workbook) -> Estate:
    """Servers of the ``Discovery_Report`` sheet (Azure Migrate Export's inventory)."""
    table = book.table(book.find_sheet(INVENTORY_SHEET) or INVENTORY_SHEET)
    cols = Columns.locate(table.header, _INVENTORY, table=table)
    try:
        servers = _inventory_by_column(_Cells(table, cols))
    except _ByRow:
        servers = _inventory_by_row(table, cols)
    return _estate(table, servers)


def _inventory_by_column(cells: _Cells) -> list[Server]:
    names = cells.names("Machine Name")
    extra: dict[str, list[Any]] = {
        "machine_id": cells.texts("Machine ID"),
        "power_state": cells.texts("Power Stats"),
        "boot_type": cells.texts("Boot Type"),
        "support_status": cells.texts("Support Status"),
        "disks": cells.whole("Total Disks"),
    }
    return normalised_servers(
        server_ids(names),
        names,
        os=cells.texts("Operating System"),
        cores=cells.whole("Cores"),
        memory_mb=cells.whole("Memory (in MB)"),
        environment=cells.texts("Environment"),
        ip_addresses=address_column(cells.texts("IP Addresses")),
        extra=extras_column(extra, cells.count),
    )


def _inventory_by_row(table: Table, cols: Columns) -> list[Server]:
    servers = []
    for number, row in table.numbered_rows():
        name = _name(cols, row, number, table, "Machine Name")
        servers.append(
            Server(
                id=server_id(name),
                name=name,
                os=cols.text(row, "Operating System"),
                cores=_whole(cols, row, number, table, "Cores"),
                memory_mb=_whole(cols, row, number, table, "Memory (in MB)"),
                environment=cols.text(row, "Environment"),
                ip_addresses=addresses(cols.text(row, "IP Addresses")),
                extra=_clean(
                    {
                        "machine_id": cols.text(row, "Machine ID"),
                        "power_state": cols.text(row, "Power Stats"),
                        "boot_type": cols.text(row, "Boot Type"),
                        "support_status": cols.text(row, "Support Status"),
                        "disks": _whole(cols, row, number, table, "Total Disks"),
                    }
                ),
            )
        )
    return servers


def _group_workload(group: str, workloads: dict[str, Workload]) -> tuple[str, ...]:
    application = application_group(group)
    if application is None:
        return ()
    workload_id = slug(application)
    if workload_id not in workloads:
        workloads[workload_id] = Workload(
            id=workload_id, name=application, reason=f"Azure Migrate assessment group {application}"
        )
    return (workload_id,)


def _assessed_by_column(
    cells: _Cells, sheet: _Assessed, extra: dict[str, list[Any]], workloads: dict[str, Workload]
) -> list[Server]:
    """The servers of an assessment sheet read a column at a time, with the ``extra`` columns
    the sheet's reader picked; assessment groups that name an application become workloads."""
    names = cells.names(sheet.machine)
    groups = cells.texts(sheet.group)
    return normalised_servers(
        server_ids(names),
        names,
        os=cells.texts(sheet.os),
        cores=cells.whole(sheet.cores),
        memory_mb=cells.whole(sheet.memory),
        storage_gb=cells.numbers(cells.raw(sheet.storage)),
        environment=cells.texts(sheet.environment),
        ip_addresses=address_column(cells.texts(sheet.addresses)),
        readiness=_each(readiness, cells.texts(sheet.readiness)),
        blockers=_each(issues, cells.texts(sheet.issues)),
        workload_ids=_each(lambda group: _group_workload(group, workloads), groups),
        extra=extras_column(extra, cells.count),
    )


def _assessed_by_row(
    table: Table,
    cols: Columns,
    sheet: _Assessed,
    extra_of: Callable[[Sequence[Any], int], dict[str, Any]],
    workloads: dict[str, Workload],
) -> list[Server]:
    """What :func:`_assessed_by_column` reads, a row at a time; ``extra_of(row, number)`` is a
    row's extra values."""
    servers = []
    for number, row in table.numbered_rows():
        name = _name(cols, row, number, table, sheet.machine)
        servers.append(
            Server(
                id=server_id(name),
                name=name,
                os=cols.text(row, sheet.os),
                cores=_whole(cols, row, number, table, sheet.cores),
                memory_mb=_whole(cols, row, number, table, sheet.memory),
                storage_gb=_number(cols, row, number, table, sheet.storage),
                environment=cols.text(row, sheet.environment),
                ip_addresses=addresses(cols.text(row, sheet.addresses)),
                readiness=readiness(cols.text(row, sheet.readiness)),
                blockers=issues(cols.text(row, sheet.issues)),
                workload_ids=_group_workload(cols.text(row, sheet.group), workloads),
                extra=_clean(extra_of(row, number)),
            )
        )
    return servers


def read_assessment(book: Workbook) -> Estate:
    """Servers of the ``All_Assessed_Machines`` sheet, with readiness, blockers and costs."""
    table = book.table(book.find_sheet(ASSESSMENT_SHEET) or ASSESSMENT_SHEET)
    cols = Columns.locate(table.header, _ASSESSMENT, table=table)
    costs = [
        (position, header, match[1], match[2].upper())
        for position, header in enumerate(table.header)
        if (match := _MONTHLY_COST.match(normalise_header(header)))
    ]
    return _assessed_estate(
        table,
        cols,
        lambda cells, workloads: _assessment_by_column(cells, costs, workloads),
        lambda workloads: _assessment_by_row(table, cols, costs, workloads),
    )


def _assessed_estate(
    table: Table,
    cols: Columns,
    by_column: Callable[[_Cells, dict[str, Workload]], list[Server]],
    by_row: Callable[[dict[str, Workload]], list[Server]],
) -> Estate:
    """The servers and workloads of an assessment sheet: read a column at a time, or row by
    row where the sheet needs it (each reading fills the workloads it is given)."""
    workloads: dict[str, Workload] = {}
    try:
        servers = by_column(_Cells(table, cols), workloads)
    except _ByRow:
        workloads.clear()
        servers = by_row(workloads)
    return _estate(table, servers, workloads)


_Costs = list[tuple[int, str, str, str]]
"""Where each monthly cost column is, its header, what it costs (compute or storage) and its
currency."""


def _assessment_by_column(
    cells: _Cells, costs: _Costs, workloads: dict[str, Workload]
) -> list[Server]:
    extra: dict[str, list[Any]] = {
        "recommended_size": cells.texts("Recommended size"),
        "vm_host": cells.texts("VM host"),
        "boot_type": cells.texts("Boot type"),
        "data_collection_issues": cells.texts("Data collection issues"),
        "assessment_group": cells.texts("Group name"),
    }
    for position, _header, kind, currency in costs:
        extra[f"monthly_{kind}_cost"] = cells.numbers(cells.at(position))
        extra["currency"] = [currency] * cells.count
    return _assessed_by_column(cells, _ASSESSED, extra, workloads)


def _assessment_by_row(
    table: Table, cols: Columns, costs: _Costs, workloads: dict[str, Workload]
) -> list[Server]:
    def extra_of(row: Sequence[Any], number: int) -> dict[str, Any]:
        extra: dict[str, Any] = {
            "recommended_size": cols.text(row, "Recommended size"),
            "vm_host": cols.text(row, "VM host"),
            "boot_type": cols.text(row, "Boot type"),
            "data_collection_issues": cols.text(row, "Data collection issues"),
            "assessment_group": cols.text(row, "Group name"),
        }
        for position, header, kind, currency in costs:
            value = row[position] if position < len(row) else None
            extra[f"monthly_{kind}_cost"] = cell_float(
                value, where=table.where, row=number, column=header
            )
            extra["currency"] = currency
        return extra

    return _assessed_by_row(table, cols, _ASSESSED, extra_of, workloads)


def _currency(book: Workbook) -> str:
    sheet = book.find_sheet("Properties")
    if sheet is None:
        return ""
    table = book.table(sheet)
    position = next(
        (i for i, h in enumerate(table.header) if normalise_header(h) == "currency"), None
    )
    if position is None:
        return ""
    first = next(iter(table.rows), ())
    return cell_text(first[position]) if position < len(first) else ""


def read_core_report(book: Workbook) -> Estate:
    """Servers of Azure Migrate Export's Core Report, with Azure VM readiness and its warnings."""
    sheet = next(s for name in CORE_REPORT_SHEETS if (s := book.find_sheet(name)) is not None)
    table = book.table(sheet)
    cols = Columns.locate(table.header, _CORE_REPORT, table=table)
    currency = _currency(book)
    return _assessed_estate(
        table,
        cols,
        lambda cells, workloads: _core_report_by_column(cells, currency, workloads),
        lambda workloads: _core_report_by_row(table, cols, currency, workloads),
    )


def _core_report_by_column(
    cells: _Cells, currency: str, workloads: dict[str, Workload]
) -> list[Server]:
    extra: dict[str, list[Any]] = {
        "recommended_size": cells.texts("Recommended VM Size"),
        "monthly_compute_cost": cells.numbers(
            cells.raw("Monthly Compute Cost Estimate (Pay as you go)")
        ),
        "monthly_storage_cost": cells.numbers(cells.raw("Monthly Storage Cost Estimate")),
        "currency": [currency] * cells.count,
        "support_status": cells.texts("Support Status"),
        "vm_host": cells.texts("VM Host"),
        "boot_type": cells.texts("Boot Type"),
        "machine_id": cells.texts("Machine ID"),
        "assessment_group": cells.texts("Group Name"),
    }
    return _assessed_by_column(cells, _CORE_REPORT_ASSESSED, extra, workloads)


def _core_report_by_row(
    table: Table, cols: Columns, currency: str, workloads: dict[str, Workload]
) -> list[Server]:
    def extra_of(row: Sequence[Any], number: int) -> dict[str, Any]:
        return {
            "recommended_size": cols.text(row, "Recommended VM Size"),
            "monthly_compute_cost": _number(
                cols, row, number, table, "Monthly Compute Cost Estimate (Pay as you go)"
            ),
            "monthly_storage_cost": _number(
                cols, row, number, table, "Monthly Storage Cost Estimate"
            ),
            "currency": currency,
            "support_status": cols.text(row, "Support Status"),
            "vm_host": cols.text(row, "VM Host"),
            "boot_type": cols.text(row, "Boot Type"),
            "machine_id": cols.text(row, "Machine ID"),
            "assessment_group": cols.text(row, "Group Name"),
        }

    return _assessed_by_row(table, cols, _CORE_REPORT_ASSESSED, extra_of, workloads)
