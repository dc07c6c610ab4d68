"""The Azure Migrate import-based discovery CSV (the template filled in to import servers).

Headers come with the template's asterisks (``*Server Name``, ``*Cores``), without them, or in
the friendlier spellings of the documentation (``Server name``, ``Memory (MB)``). Disks are
``Disk 1 size (In GB)`` ... up to ``Disk 20``; their sizes add up to the server's storage.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Sequence
from typing import Any

from mbf.domain import Estate, EstateSource, Server, server_id, server_ids
from mbf.domain.estate import normalised_servers
from mbf.errors import InputError
from mbf.tabular import (
    Columns,
    ColumnSpec,
    Table,
    cell_float,
    cell_int,
    float_column,
    int_column,
    normalise_header,
    text_column,
)
from mbf_azure_migrate.values import address_column, addresses

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
    # Only the columns the file has: an absent one would be left out of ``extra`` as blank.
    extra_columns = [(column, key) for column, key in _EXTRA_COLUMNS.items() if column in cols]
    servers = _read_by_column(table, cols, disk_columns, extra_columns)
    if servers is None:  # a blank row or a cell to report: row by row, which names it
        servers = _read_row_by_row(table, cols, disk_columns, extra_columns)
    if not servers:
        raise InputError("the import CSV has a header but no server rows", path=table.where)
    return Estate(
        servers=tuple(servers),
        sources=(EstateSource(source="azure-migrate", path=str(table.path), records=len(servers)),),
    )


def _read_row_by_row(
    table: Table,
    cols: Columns,
    disk_columns: list[tuple[int, str]],
    extra_columns: list[tuple[str, str]],
) -> list[Server]:
    """Every row, one at a time; a bad cell is an error naming its row and column."""
    where = table.where
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
    return servers


def _read_by_column(
    table: Table,
    cols: Columns,
    disk_columns: list[tuple[int, str]],
    extra_columns: list[tuple[str, str]],
) -> list[Server] | None:
    """What :func:`_read_row_by_row` reads, a column at a time; ``None`` when a row is blank
    or short, or a cell needs the careful per-cell path (the row-by-row way reports it)."""
    try:
        with table.bulk_rows() as bulk:
            rows = list(bulk)
    except InputError:
        return None  # the numbered rows say on which line
    needed = [*cols.index.values(), *(position for position, _header in disk_columns)]
    if not rows or min(map(len, rows)) <= max(needed):
        return None

    def column(at: int) -> list[Any]:
        return list(map(operator.itemgetter(at), rows))

    texts = {name: text_column(column(at)) for name, at in cols.index.items()}
    names, os_names = texts["*Server Name"], texts["*OS name"]
    if "" in names or "" in os_names:
        return None
    cores, memory = int_column(texts["*Cores"]), int_column(texts["*Memory (In MB)"])
    if cores is None or None in cores or memory is None or None in memory:
        return None
    storage: list[float | None] | None = None
    if disk_columns:
        totals = [0.0] * len(rows)
        for position, _header in disk_columns:
            sizes = float_column(column(position))
            if sizes is None:
                return None
            totals = [total + (size or 0.0) for total, size in zip(totals, sizes, strict=True)]
        storage = [round(total, 2) for total in totals]
    extras: list[tuple[str, Sequence[Any]]] = [
        (key, texts[column_name]) for column_name, key in extra_columns
    ]
    if "Storage in use (In GB)" in texts:
        used = float_column(texts["Storage in use (In GB)"])
        if used is None:
            return None
        extras.append(("storage_used_gb", used))
    keys = [key for key, _values in extras]
    extra_column = (
        [
            {k: v for k, v in zip(keys, values, strict=True) if v not in ("", None)}
            for values in zip(*(values for _key, values in extras), strict=True)
        ]
        if extras
        else None
    )
    blank = [""] * len(rows)
    return normalised_servers(
        server_ids(names),
        names,
        os=os_names,
        os_version=texts.get("OS version", blank),
        cores=cores,
        memory_mb=memory,
        storage_gb=storage,
        ip_addresses=address_column(texts.get("IP addresses", blank)),
        extra=extra_column,
    )
