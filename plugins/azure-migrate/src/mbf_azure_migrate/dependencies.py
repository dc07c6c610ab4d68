"""The Azure Migrate agentless dependency analysis export (CSV), in both header shapes.

- Classic: ``Time slot, Source server name, Source IP, Source application, Source process,
  Destination server name, Destination IP, Destination application, Destination process,
  Destination port`` (the documentation's ``Timeslot`` without ``Source IP`` reads too).
- Newer: ``Date, Source Appliance Name, Source Machine ARM ID, Source Server Name, Source IP, ...,
  Destination Port, Connection Count``.

Each row is one connection seen in one 6-hour slot. Rows are aggregated per server pair and
destination port into one dependency whose weight is the number of slots (classic) or the sum of
connection counts (newer). An endpoint without a server name is ``ip:<address>``; discovery
resolves it to the server owning that address when one does. Named endpoints are servers of the
Azure Migrate project and are returned as servers carrying their addresses.
"""

from __future__ import annotations

from collections import defaultdict

from mbf.domain import Dependency, Estate, EstateSource, Server, server_id
from mbf.errors import InputError
from mbf.tabular import Columns, ColumnSpec, Table, cell_int

__all__ = ["COLUMNS", "read_dependencies"]

COLUMNS = (
    ColumnSpec("Time slot", ("Timeslot", "Date")),
    ColumnSpec("Source server name", (), required=True),
    ColumnSpec("Source IP", ()),
    ColumnSpec("Source process", ()),
    ColumnSpec("Destination server name", (), required=True),
    ColumnSpec("Destination IP", (), required=True),
    ColumnSpec("Destination process", ()),
    ColumnSpec("Destination port", (), required=True),
    ColumnSpec("Connection Count", ()),
)
_UNKNOWN_PROCESS = "unknown process"


class _Flow:
    """Traffic of one aggregation key: total weight, first row seen, destination process."""

    __slots__ = ("process", "row", "weight")

    def __init__(self, weight: int, row: int, process: str) -> None:
        self.weight = weight
        self.row = row
        self.process = process


def _endpoint(name: str, ip: str, ids: dict[str, str]) -> str:
    if name:
        found = ids.get(name)
        if found is None:
            found = ids[name] = server_id(name)
        return found
    return f"ip:{ip}" if ip else "external:unknown"


def read_dependencies(table: Table) -> Estate:
    """Aggregated dependencies, and the named servers with the addresses the export shows."""
    cols = Columns.locate(table.header, COLUMNS, table=table)
    index = cols.index
    src_name, dst_name = index["Source server name"], index["Destination server name"]
    src_ip, dst_ip = index.get("Source IP"), index["Destination IP"]
    dst_process, port_at = index.get("Destination process"), index["Destination port"]
    count_at = index.get("Connection Count")
    width = max(index.values()) + 1
    # Raw string keys first: a million rows collapse to far fewer pairs before any parsing.
    totals: dict[tuple[str, str, str, str, str], _Flow] = {}
    rows = 0
    for number, row in table.numbered_rows():
        if len(row) < width:
            row = [*row, *([""] * (width - len(row)))]  # noqa: PLW2901 - padded short row
        key = (
            row[src_name].strip(),
            row[src_ip].strip() if src_ip is not None else "",
            row[dst_name].strip(),
            row[dst_ip].strip(),
            str(row[port_at]).strip(),
        )
        weight = 1
        if count_at is not None and row[count_at] != "":
            weight = (
                cell_int(row[count_at], where=table.where, row=number, column="Connection Count")
                or 0
            )
        total = totals.get(key)
        if total is None:
            process = str(row[dst_process]).strip() if dst_process is not None else ""
            totals[key] = _Flow(
                weight, number, "" if process.lower() == _UNKNOWN_PROCESS else process
            )
        else:
            total.weight += weight
        rows += 1
    if rows == 0:
        raise InputError("the dependency export has a header but no rows", path=table.where)
    return _estate(table, totals, rows)


def _estate(table: Table, totals: dict[tuple[str, str, str, str, str], _Flow], rows: int) -> Estate:
    ids: dict[str, str] = {}
    addresses: dict[str, dict[str, None]] = defaultdict(dict)
    names: dict[str, str] = {}
    merged: dict[tuple[str, str, int | None], _Flow] = {}
    for (s_name, s_ip, d_name, d_ip, port_text), flow in totals.items():
        for name, ip in ((s_name, s_ip), (d_name, d_ip)):
            if name:
                sid = _endpoint(name, ip, ids)
                names.setdefault(sid, name)
                if ip:
                    addresses[sid][ip] = None
        port = cell_int(port_text, where=table.where, row=flow.row, column="Destination port")
        key = (_endpoint(s_name, s_ip, ids), _endpoint(d_name, d_ip, ids), port)
        kept = merged.get(key)
        if kept is None:
            merged[key] = _Flow(flow.weight, flow.row, flow.process)
        else:
            kept.weight += flow.weight
            kept.process = kept.process or flow.process
    servers = tuple(
        Server(id=sid, name=names[sid], ip_addresses=tuple(addresses.get(sid, ())))
        for sid in sorted(names)
    )
    dependencies = tuple(
        Dependency(source_id=s, target_id=t, port=p, process=flow.process, weight=flow.weight)
        for (s, t, p), flow in sorted(
            merged.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2] or -1)
        )
    )
    return Estate(
        servers=servers,
        dependencies=dependencies,
        sources=(EstateSource(source="azure-migrate", path=str(table.path), records=rows),),
    )
