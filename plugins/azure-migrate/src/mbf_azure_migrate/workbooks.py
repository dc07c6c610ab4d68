"""Azure Migrate workbooks: the discovered-servers inventory and the assessments.

- ``Discovery_Report``: the inventory of discovered servers as Azure Migrate Export writes it.
- ``All_Assessed_Machines``: the portal's Azure VM assessment export (readiness, issues,
  recommended size, monthly costs whose header carries the currency, e.g. ``Compute monthly
  cost USD``).
- Azure Migrate Export's Core Report: ``All_VM_IaaS_Server_Rehost_Perf`` (or the per-environment
  ``VM_IaaS_Server_Rehost_Perf`` / ``_As-is``) with the currency on its ``Properties`` sheet.

Readiness becomes ready / ready_with_conditions / not_ready / unknown; every readiness issue (the
Core Report calls them warnings) becomes a blocker of the server.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from mbf.domain import Estate, EstateSource, Server, Workload, server_id, slug
from mbf.errors import InputError
from mbf.tabular import (
    Columns,
    ColumnSpec,
    Table,
    cell_float,
    cell_int,
    cell_text,
    normalise_header,
)
from mbf.workbooks import Workbook
from mbf_azure_migrate.values import addresses, application_group, issues, readiness

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
    return _estate(table, servers)


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


def read_assessment(book: Workbook) -> Estate:
    """Servers of the ``All_Assessed_Machines`` sheet, with readiness, blockers and costs."""
    table = book.table(book.find_sheet(ASSESSMENT_SHEET) or ASSESSMENT_SHEET)
    cols = Columns.locate(table.header, _ASSESSMENT, table=table)
    costs = [
        (position, header, match[1], match[2].upper())
        for position, header in enumerate(table.header)
        if (match := _MONTHLY_COST.match(normalise_header(header)))
    ]
    servers = []
    workloads: dict[str, Workload] = {}
    for number, row in table.numbered_rows():
        name = _name(cols, row, number, table, "Machine")
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
        servers.append(
            Server(
                id=server_id(name),
                name=name,
                os=cols.text(row, "Operating system"),
                cores=_whole(cols, row, number, table, "Cores"),
                memory_mb=_whole(cols, row, number, table, "Memory(MB)"),
                storage_gb=_number(cols, row, number, table, "Storage(GB)"),
                ip_addresses=addresses(cols.text(row, "IP address")),
                readiness=readiness(cols.text(row, "Azure VM readiness")),
                blockers=issues(cols.text(row, "Azure readiness issues")),
                workload_ids=_group_workload(cols.text(row, "Group name"), workloads),
                extra=_clean(extra),
            )
        )
    return _estate(table, servers, workloads)


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
    servers = []
    workloads: dict[str, Workload] = {}
    for number, row in table.numbered_rows():
        name = _name(cols, row, number, table, "Machine Name")
        group = cols.text(row, "Group Name")
        extra = {
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
            "assessment_group": group,
        }
        servers.append(
            Server(
                id=server_id(name),
                name=name,
                os=cols.text(row, "Operating System"),
                cores=_whole(cols, row, number, table, "Cores"),
                memory_mb=_whole(cols, row, number, table, "Memory (in MB)"),
                storage_gb=_number(cols, row, number, table, "Storage (in GB)"),
                environment=cols.text(row, "Environment"),
                ip_addresses=addresses(cols.text(row, "IP Addresses")),
                readiness=readiness(cols.text(row, "Azure VM Readiness")),
                blockers=issues(cols.text(row, "Azure VM Readiness - Warnings")),
                workload_ids=_group_workload(group, workloads),
                extra=_clean(extra),
            )
        )
    return _estate(table, servers, workloads)
