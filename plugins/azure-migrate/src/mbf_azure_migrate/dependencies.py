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

import operator
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from mbf.domain import Dependency, Estate, EstateSource, Server, server_id
from mbf.errors import InputError
from mbf.tabular import Columns, ColumnSpec, Table, cell_int

__all__ = ["COLUMNS", "read_dependencies"]

COLUMNS = (
    ColumnSpec("Time slot", ("Timeslot", "Date")),
    ColumnSpec("Source server name", (), required=True),
    ColumnSpec("Source IP", ()),
    ColumnSpec("Destination server name", (), required=True),
    ColumnSpec("Destination IP", (), required=True),
    ColumnSpec("Destination port", (), required=True),
    ColumnSpec("Destination process", ()),
    ColumnSpec("Connection Count", ()),
)
_KEY_COLUMNS = (
    "Source server name",
    "Source IP",
    "Destination server name",
    "Destination IP",
    "Destination port",
    "Destination process",
    "Connection Count",
)
"""What identifies one flow of rows; rows equal in all of these add up."""
_UNKNOWN_PROCESS = "unknown process"


class _Flow:
    """Traffic between two endpoints on one port: total weight and destination process."""

    __slots__ = ("process", "weight")

    def __init__(self, weight: int, process: str) -> None:
        self.weight = weight
        self.process = process


def _row_key(cols: Columns) -> tuple[list[str], operator.itemgetter[Any], int]:
    """The key columns the table has, a getter of their cells, and the width a row needs."""
    present = [name for name in _KEY_COLUMNS if name in cols]
    positions = [cols.index[name] for name in present]
    return present, operator.itemgetter(*positions), max(positions) + 1


def _count_rows(
    table: Table, getter: operator.itemgetter[Any], width: int
) -> Counter[tuple[str, ...]]:
    """How often each key occurs: at C speed, unless short rows need padding."""
    with table.bulk_rows() as rows:
        try:
            return Counter(map(getter, rows))
        except IndexError:
            pass  # a row shorter than the header: count again, padding each row
    counts: Counter[tuple[str, ...]] = Counter()
    for _number, row in table.numbered_rows():
        padded = row if len(row) >= width else [*row, *([""] * (width - len(row)))]
        counts[getter(padded)] += 1
    return counts


def _first_row_of(table: Table, getter: operator.itemgetter[Any], key: tuple[str, ...]) -> int:
    """The number of the first row with ``key`` (only looked up to name a bad row)."""
    return next(
        (number for number, row in table.numbered_rows() if getter(row) == key),
        table.header_row + 1,
    )


def read_dependencies(table: Table) -> Estate:
    """Aggregated dependencies, and the named servers with the addresses the export shows."""
    cols = Columns.locate(table.header, COLUMNS, table=table)
    present, getter, width = _row_key(cols)
    counts = _count_rows(table, getter, width)
    if not counts:
        raise InputError("the dependency export has a header but no rows", path=table.where)
    ids: dict[str, str] = {}
    addresses: dict[str, dict[str, None]] = defaultdict(dict)
    names: dict[str, str] = {}
    flows: dict[tuple[str, str, int | None], _Flow] = {}
    # Positions within a key; the required columns are always there (Columns.locate checked).
    s_name_at, d_name_at = (
        present.index("Source server name"),
        present.index("Destination server name"),
    )
    d_ip_at, port_at = present.index("Destination IP"), present.index("Destination port")
    optional = {name: present.index(name) if name in present else None for name in _KEY_COLUMNS}
    s_ip_at, process_at = optional["Source IP"], optional["Destination process"]
    count_at = optional["Connection Count"]
    rows = 0
    for key, repeats in counts.items():  # one pass per distinct flow, not per row
        rows += repeats
        s_name, d_name, d_ip = key[s_name_at].strip(), key[d_name_at].strip(), key[d_ip_at].strip()
        s_ip = key[s_ip_at].strip() if s_ip_at is not None else ""
        if not (s_name or s_ip or d_name or d_ip):
            continue  # a line of separators only
        source, target = _endpoint(s_name, s_ip, ids), _endpoint(d_name, d_ip, ids)
        if s_name:
            names.setdefault(source, s_name)
            if s_ip:
                addresses[source][s_ip] = None
        if d_name:
            names.setdefault(target, d_name)
            if d_ip:
                addresses[target][d_ip] = None
        port = _number(table, getter, key, key[port_at], "Destination port")
        weight = repeats
        if count_at is not None and key[count_at].strip():
            weight = repeats * (_number(table, getter, key, key[count_at], "Connection Count") or 0)
        process = key[process_at].strip() if process_at is not None else ""
        if process.lower() == _UNKNOWN_PROCESS:
            process = ""
        flow = flows.get((source, target, port))
        if flow is None:
            flows[(source, target, port)] = _Flow(weight, process)
        else:
            flow.weight += weight
            flow.process = min(filter(None, (flow.process, process)), default="")  # stable choice
    return _estate(table, names, addresses, flows, rows)


def _number(
    table: Table,
    getter: operator.itemgetter[Any],
    key: tuple[str, ...],
    text: str,
    column: str,
) -> int | None:
    """An integer cell of a flow; a bad one is reported at the first row of that flow."""
    text = text.strip()
    try:
        return int(text)
    except ValueError:
        pass
    try:  # blank or "1433.0" (re-saved by Excel) is fine; only a bad cell pays for finding its row
        return cell_int(text, where=table.where, row=0, column=column)
    except InputError:
        return cell_int(
            text, where=table.where, row=_first_row_of(table, getter, key), column=column
        )


def _endpoint(name: str, ip: str, ids: dict[str, str]) -> str:
    if name:
        found = ids.get(name)
        if found is None:
            found = ids[name] = server_id(name)
        return found
    return f"ip:{ip}" if ip else "external:unknown"


def _estate(
    table: Table,
    names: dict[str, str],
    addresses: dict[str, dict[str, None]],
    flows: dict[tuple[str, str, int | None], _Flow],
    rows: int,
) -> Estate:
    servers = tuple(
        Server(id=sid, name=names[sid], ip_addresses=tuple(addresses.get(sid, ())))
        for sid in sorted(names)
    )
    ordered: Iterable[tuple[tuple[str, str, int | None], _Flow]] = sorted(
        flows.items(), key=lambda kv: (kv[0][0], kv[0][1], -1 if kv[0][2] is None else kv[0][2])
    )
    dependencies: Sequence[Dependency] = tuple(
        Dependency(source_id=s, target_id=t, port=p, process=flow.process, weight=flow.weight)
        for (s, t, p), flow in ordered
    )
    return Estate(
        servers=servers,
        dependencies=dependencies,
        sources=(EstateSource(source="azure-migrate", path=str(table.path), records=rows),),
    )
