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
from collections import defaultdict
from typing import Any

from mbf.domain import Estate, EstateSource, server_id
from mbf.domain.estate import normalised_dependencies, normalised_servers
from mbf.errors import InputError
from mbf.tabular import Columns, ColumnSpec, Table, cell_int
from mbf_azure_migrate.flow_counts import count_flows

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
_UNKNOWN_ENDPOINT = "external:unknown"


def _row_key(cols: Columns) -> tuple[list[str], list[int]]:
    """The key columns the table has, and where they are."""
    present = [name for name in _KEY_COLUMNS if name in cols]
    return present, [cols.index[name] for name in present]


def _first_row_of(table: Table, getter: operator.itemgetter[Any], key: tuple[str, ...]) -> int:
    """The number of the first row with ``key`` (only looked up to name a bad row)."""
    return next(
        (number for number, row in table.numbered_rows() if getter(row) == key),
        table.header_row + 1,
    )


def read_dependencies(table: Table) -> Estate:
    """Aggregated dependencies, and the named servers with the addresses the export shows."""
    cols = Columns.locate(table.header, COLUMNS, table=table)
    present, positions = _row_key(cols)
    counts = count_flows(table, positions)
    if not counts:
        raise InputError("the dependency export has a header but no rows", path=table.where)
    rows = sum(counts.values())
    if present[-1] == "Connection Count":  # the last of the key columns, where it is one
        weighed = _weighed(counts)
        if weighed is not None:  # the rows' weights are in: the count is no longer a key column
            counts, present, positions = weighed, present[:-1], positions[:-1]
    getter = operator.itemgetter(*positions)
    names: dict[str, str] = {}
    addresses: dict[str, dict[str, None]] = defaultdict(dict)
    flows: dict[tuple[str, str, int | None], list[Any]] = {}
    # Positions within a key; the required columns are always there (Columns.locate checked).
    s_name_at, d_name_at = (
        present.index("Source server name"),
        present.index("Destination server name"),
    )
    d_ip_at, port_at = present.index("Destination IP"), present.index("Destination port")
    optional = {name: present.index(name) if name in present else None for name in _KEY_COLUMNS}
    s_ip_at, process_at = optional["Source IP"], optional["Destination process"]
    count_at = optional["Connection Count"]
    # A million rows name a few thousand servers, ports and processes: each distinct cell text
    # is interpreted once, so the loop below is mostly dictionary look-ups.
    ids: dict[str, str] = {}
    ports: dict[str, int | None] = {}
    weights: dict[str, int | None] = {}
    processes: dict[str, str] = {}
    for key, repeats in counts.items():  # one pass per distinct flow, not per row
        s_ip = key[s_ip_at].strip() if s_ip_at is not None else ""
        d_ip = key[d_ip_at].strip()
        source = ids.get(key[s_name_at])
        if source is None:
            source = _endpoint(key[s_name_at], s_ip, ids, names)
        target = ids.get(key[d_name_at])
        if target is None:
            target = _endpoint(key[d_name_at], d_ip, ids, names)
            if target == _UNKNOWN_ENDPOINT == source:
                continue  # a line of separators only
        if s_ip and source in names:
            addresses[source][s_ip] = None
        if d_ip and target in names:
            addresses[target][d_ip] = None
        text = key[port_at]
        try:
            port = ports[text]
        except KeyError:
            port = ports[text] = _number(table, getter, key, text, "Destination port")
        weight = repeats
        if count_at is not None:
            text = key[count_at]
            try:
                count = weights[text]
            except KeyError:
                count = weights[text] = (
                    (_number(table, getter, key, text, "Connection Count") or 0)
                    if text.strip()
                    else None
                )
            if count is not None:
                weight = repeats * count
        process = ""
        if process_at is not None:
            text = key[process_at]
            known = processes.get(text)
            if known is None:
                known = processes[text] = _process(text)
            process = known
        flow = flows.get((source, target, port))
        if flow is None:
            flows[(source, target, port)] = [weight, process]
        else:
            flow[0] += weight
            flow[1] = min(filter(None, (flow[1], process)), default="")  # stable choice
    # The flows hold what the distinct rows said: free those (a hundred megabytes at 50,000
    # servers) before the dependencies take their place.
    del counts
    return _estate(table, names, addresses, flows, rows, blank_port=None in ports.values())


def _weighed(counts: dict[tuple[str, ...], int]) -> dict[tuple[str, ...], int] | None:
    """``counts`` of keys that end with a connection count, as the weight of each key without
    it: rows that differ only in their count (most of a newer export's) add up before the flows
    are worked out. ``None`` when a count is not a plain integer (blank, ``12.0`` or bad), which
    the flows' own reading of each count handles and reports."""
    weights: dict[tuple[str, ...], int] = {}
    number: dict[str, int] = {}
    try:
        for key, repeats in counts.items():
            text = key[-1]
            count = number.get(text)
            if count is None:
                count = number[text] = int(text)
            rest = key[:-1]
            weights[rest] = weights.get(rest, 0) + repeats * count
    except ValueError:
        return None
    return weights


def _process(text: str) -> str:
    """The destination process of a cell; Azure Migrate's placeholder for none is dropped."""
    process = text.strip()
    return "" if process.lower() == _UNKNOWN_PROCESS else process


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


def _endpoint(cell: str, ip: str, ids: dict[str, str], names: dict[str, str]) -> str:
    """The endpoint a server-name cell and its address stand for.

    A named server's id is remembered in ``ids`` (by the cell as written) and its first spelling
    in ``names``; an unnamed endpoint is its address.
    """
    name = cell.strip()
    if not name:
        return f"ip:{ip}" if ip else _UNKNOWN_ENDPOINT
    found = ids[cell] = server_id(name)
    names.setdefault(found, name)
    return found


def _estate(
    table: Table,
    names: dict[str, str],
    addresses: dict[str, dict[str, None]],
    flows: dict[tuple[str, str, int | None], list[Any]],
    rows: int,
    *,
    blank_port: bool,
) -> Estate:
    ids = sorted(names)
    servers = normalised_servers(
        ids,
        list(map(names.__getitem__, ids)),
        ip_addresses=[tuple(addresses.get(sid, ())) for sid in ids],
    )
    # A blank port sorts first, as -1; only then do the keys need a sort key of their own.
    ordered = sorted(flows, key=_flow_order) if blank_port else sorted(flows)
    totals = list(map(flows.__getitem__, ordered))
    dependencies = normalised_dependencies(
        list(map(_first, ordered)),
        list(map(_second, ordered)),
        ports=list(map(_third, ordered)),
        processes=list(map(_second, totals)),
        weights=list(map(float, map(_first, totals))),
    )
    return Estate(
        servers=tuple(servers),
        dependencies=tuple(dependencies),
        sources=(EstateSource(source="azure-migrate", path=str(table.path), records=rows),),
    )


def _flow_order(key: tuple[str, str, int | None]) -> tuple[str, str, int]:
    source, target, port = key
    return source, target, -1 if port is None else port


_first, _second, _third = map(operator.itemgetter, range(3))
