"""The Azure Migrate import-based discovery CSV (the template filled in to import servers).

Headers come with the template's asterisks (``*Server Name``, ``*Cores``), without them, or in
the friendlier spellings of the documentation (``Server name``, ``Memory (MB)``). Disks are
``Disk 1 size (In GB)`` ... up to ``Disk 20``; their sizes add up to the server's storage.
"""

from __future__ import annotations

import re

from mbf.domain import Estate, EstateSource, Server, server_id
from mbf.errors import InputError
from mbf.tabular import Columns, ColumnSpec, Table, cell_float, cell_int, normalise_header
from mbf_azure_migrate.values import addresses

__all__ = ["COLUMNS", "read_import_csv"]

COLUMNS = (
    ColumnSpec("*Server Name", ("Server name", "Server name (FQDN recommended)"), required=True),
    ColumnSpec("IP addresses", ("IP address", "IP Address(es)")),
    ColumnSpec("*Cores", ("Cores", "Number of cores"), required=True),
    ColumnSpec("*Memory (In MB)", ("Memory (MB)", "Memory in MB", "Memory"), required=True),
    ColumnSpec("*OS name", ("OS name", "Operating system name", "Operating system"), required=True),
    ColumnSpec("OS version", ("Operating system version",)),
    ColumnSpec("OS architecture", ("Operating system architecture",)),
    ColumnSpec("Server type", ()),
    ColumnSpec("Hypervisor", ()),
    ColumnSpec("Boot type", ("Firmware type",)),
    ColumnSpec("Number of disks", ()),
    ColumnSpec("Storage in use (In GB)", ()),
    ColumnSpec("MAC address", ("MAC addresses",)),
)
_DISK_SIZE = re.compile(r"^disk(\d+)size(ingb|gb)?$")
_EXTRA_COLUMNS = {
    "OS architecture": "os_architecture",
    "Server type": "server_type",
    "Hypervisor": "hypervisor",
    "Boot type": "boot_type",
    "MAC address": "mac_addresses",
}


def _mandatory_int(cells: dict[str, str], number: int, where: str, column: str) -> int:
    value = cell_int(cells[column], where=where, row=number, column=column)
    if value is None:
        raise InputError(
            "expected a whole number; the column is mandatory",
            path=where,
            row=number,
            column=column,
        )
    return value


def read_import_csv(table: Table) -> Estate:
    """One server per row of the import template."""
    cols = Columns.locate(table.header, COLUMNS, table=table)
    disk_columns = [
        (position, header)
        for position, header in enumerate(table.header)
        if _DISK_SIZE.match(normalise_header(header))
    ]
    where = table.where
    # Only the columns the file has: an absent one would be left out of ``extra`` as blank.
    extra_columns = [(column, key) for column, key in _EXTRA_COLUMNS.items() if column in cols]
    storage_used = "Storage in use (In GB)" in cols
    servers: list[Server] = []
    for number, row in table.numbered_rows():
        cells = cols.texts(row)
        name = cells["*Server Name"]
        if not name:
            raise InputError(
                "the server name is empty", path=where, row=number, column="*Server Name"
            )
        os_name = cells["*OS name"]
        if not os_name:
            raise InputError(
                "the OS name is empty (it is mandatory)", path=where, row=number, column="*OS name"
            )
        storage = 0.0
        for position, header in disk_columns:
            size = cell_float(
                row[position] if position < len(row) else None,
                where=where,
                row=number,
                column=header,
            )
            storage += size or 0.0
        extra: dict[str, object] = {key: cells[column] for column, key in extra_columns}
        if storage_used:
            extra["storage_used_gb"] = cell_float(
                cells["Storage in use (In GB)"],
                where=where,
                row=number,
                column="Storage in use (In GB)",
            )
        servers.append(
            Server(
                id=server_id(name),
                name=name,
                os=os_name,
                os_version=cells.get("OS version", ""),
                cores=_mandatory_int(cells, number, where, "*Cores"),
                memory_mb=_mandatory_int(cells, number, where, "*Memory (In MB)"),
                storage_gb=round(storage, 2) if disk_columns else None,
                ip_addresses=addresses(cells.get("IP addresses", "")),
                extra={k: v for k, v in extra.items() if v not in ("", None)},
            )
        )
    if not servers:
        raise InputError("the import CSV has a header but no server rows", path=where)
    return Estate(
        servers=tuple(servers),
        sources=(EstateSource(source="azure-migrate", path=str(table.path), records=len(servers)),),
    )
