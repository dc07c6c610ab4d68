"""Reading an RVTools export (vInfo, plus vPartition and vHost when present) into an estate.

RVTools writes one workbook with a sheet per tab, or one CSV per tab (``RVTools_tabvInfo.csv``,
``RVTools_tabvPartition.csv`` ...). Headers vary by version: ``Provisioned MB`` in older builds,
``Provisioned MiB`` in newer ones (both hold MiB), and the CSV export prefixes every header with
its tab (``vInfoVMName``, ``vInfoCPUs``). Templates and SRM placeholders are not machines to
migrate: they are skipped and counted.
"""

from __future__ import annotations

import itertools
import operator
import re
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs

from mbf.domain import Datacenter, Estate, EstateSource, Server, server_id, server_ids, slug
from mbf.domain.estate import normalised_servers
from mbf.errors import InputError
from mbf.plugin import Context
from mbf.tabular import (
    Columns,
    ColumnSpec,
    Table,
    bool_column,
    cell_bool,
    cell_float,
    cell_int,
    extras_column,
    float_column,
    int_column,
    normalise_header,
    read_csv_table,
    sniff_text,
    text_column,
)
from mbf.workbooks import Workbook, sheet_names

__all__ = ["looks_like_rvtools", "read_rvtools"]

_MIB_PER_GIB = 1024
_VINFO = (
    ColumnSpec("VM", ("vInfoVMName", "VM Name"), required=True),
    ColumnSpec("Powerstate", ("vInfoPowerstate", "Power State")),
    ColumnSpec("Template", ("vInfoTemplate",)),
    ColumnSpec("SRM Placeholder", ("vInfoSRMPlaceHolder",)),
    ColumnSpec("CPUs", ("# CPUs", "vInfoCPUs", "Num CPUs"), required=True),
    ColumnSpec("Memory", ("vInfoMemory", "Memory MiB", "Memory MB"), required=True),
    ColumnSpec("Provisioned MiB", ("Provisioned MB", "vInfoProvisioned")),
    ColumnSpec("In Use MiB", ("In Use MB", "vInfoInUse")),
    ColumnSpec("OS according to the configuration file", ("vInfoOS",)),
    ColumnSpec("OS according to the VMware Tools", ("vInfoOSTools",)),
    ColumnSpec("Datacenter", ("vInfoDataCenter",)),
    ColumnSpec("Cluster", ("vInfoCluster",)),
    ColumnSpec("Host", ("vInfoHost",)),
    ColumnSpec("DNS Name", ("vInfoDNSName",)),
    ColumnSpec("Primary IP Address", ("vInfoPrimaryIPAddress",)),
    ColumnSpec("VM UUID", ("vInfoUUID", "vInfoVMUUID")),
    ColumnSpec("VI SDK Server", ("vInfoVISDKServer",)),
    ColumnSpec("Firmware", ("vInfoFirmware",)),
    ColumnSpec("Annotation", ("vInfoAnnotation",)),
)
_VPARTITION = (
    ColumnSpec("VM", ("vPartitionVMName", "VM Name"), required=True),
    ColumnSpec("VM UUID", ("vPartitionUUID", "vPartitionVMUUID")),
    ColumnSpec("Capacity MiB", ("Capacity MB", "vPartitionCapacityMiB", "vPartitionCapacity")),
    ColumnSpec("Consumed MiB", ("Consumed MB", "vPartitionConsumedMiB", "vPartitionConsumed")),
)
_VHOST = (
    ColumnSpec("Host", ("vHostName",), required=True),
    ColumnSpec("Datacenter", ("vHostDatacenter",)),
    ColumnSpec("Cluster", ("vHostCluster",)),
    ColumnSpec("ESX Version", ("vHostESXVersion",)),
)
_VINFO_MARKERS = frozenset({normalise_header(h) for h in ("VM", "vInfoVMName")})
_POWER_MARKERS = frozenset({normalise_header(h) for h in ("Powerstate", "vInfoPowerstate")})
_TAB_IN_NAME = re.compile("vinfo", re.IGNORECASE)
_NOT_SEEN = "\0"
"""Marks a datacenter name not slugged yet (``None`` is the id of a blank one)."""


@attrs.define
class _Disks:
    """Guest partitions of one VM, summed."""

    capacity_mib: float = 0.0
    consumed_mib: float = 0.0


@attrs.frozen
class _HostInfo:
    datacenter: str
    cluster: str
    esx_version: str


def looks_like_rvtools(path: Path) -> bool:
    """A workbook with a ``vInfo`` sheet, or a CSV whose header has RVTools' VM and power columns."""
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        return any(name.lower() == "vinfo" for name in sheet_names(path))
    first_line = sniff_text(path, 4096).splitlines()[:1]
    if not first_line:
        return False
    headers = {normalise_header(h) for h in re.split(r"[,;\t|]", first_line[0])}
    return bool(headers & _VINFO_MARKERS) and bool(headers & _POWER_MARKERS)


def _tables(path: Path) -> tuple[Table, Table | None, Table | None]:
    """vInfo, vPartition and vHost of a workbook, or of a CSV and its sibling tab files."""
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        book = Workbook(path)
        vinfo = book.find_sheet("vInfo")
        if vinfo is None:
            raise InputError(
                f"no vInfo sheet (sheets: {', '.join(book.sheet_names)}); expected an RVTools export",
                path=path,
            )
        vpartition, vhost = book.find_sheet("vPartition"), book.find_sheet("vHost")
        return (
            book.table(vinfo),
            book.table(vpartition) if vpartition else None,
            book.table(vhost) if vhost else None,
        )

    def sibling(tab: str) -> Table | None:
        if not _TAB_IN_NAME.search(path.name):
            return None
        candidate = path.with_name(_TAB_IN_NAME.sub(tab, path.name, count=1))
        return read_csv_table(candidate) if candidate.is_file() else None

    return read_csv_table(path), sibling("vPartition"), sibling("vHost")


def _partitions(table: Table | None) -> dict[str, _Disks]:
    """Partition totals per VM UUID (and per VM name, for exports without UUIDs)."""
    totals: dict[str, _Disks] = defaultdict(_Disks)
    if table is None:
        return totals
    cols = Columns.locate(table.header, _VPARTITION, table=table)
    for number, row in table.numbered_rows():
        key = cols.text(row, "VM UUID") or cols.text(row, "VM")
        disks = totals[key.lower()]
        for column in ("Capacity MiB", "Consumed MiB"):
            value = (
                cell_float(cols.get(row, column), where=table.where, row=number, column=column)
                or 0.0
            )
            if column == "Capacity MiB":
                disks.capacity_mib += value
            else:
                disks.consumed_mib += value
    return totals


def _hosts(table: Table | None) -> dict[str, _HostInfo]:
    hosts: dict[str, _HostInfo] = {}
    if table is None:
        return hosts
    cols = Columns.locate(table.header, _VHOST, table=table)
    for _number, row in table.numbered_rows():
        hosts[cols.text(row, "Host").lower()] = _HostInfo(
            datacenter=cols.text(row, "Datacenter"),
            cluster=cols.text(row, "Cluster"),
            esx_version=cols.text(row, "ESX Version"),
        )
    return hosts


def _gib(mib: float | None) -> float | None:
    return None if mib is None else round(mib / _MIB_PER_GIB, 2)


def _server(
    cols: Columns,
    *,
    row: Sequence[Any],
    number: int,
    where: str,
    disks: dict[str, _Disks],
    hosts: dict[str, _HostInfo],
    datacenter_ids: dict[str, str | None],
) -> Server:
    cells = cols.texts(row)
    name = cells["VM"]
    if not name:
        raise InputError("the VM name is empty", path=where, row=number, column="VM")
    host = cells.get("Host", "")
    host_info = hosts.get(host.lower())
    datacenter = cells.get("Datacenter", "") or (host_info.datacenter if host_info else "")
    cluster = cells.get("Cluster", "") or (host_info.cluster if host_info else "")
    uuid = cells.get("VM UUID", "")
    partitions = (disks.get(uuid.lower()) if uuid else None) or disks.get(name.lower())
    storage: float | None
    used: float | None
    if partitions is not None:
        storage, used = partitions.capacity_mib, partitions.consumed_mib
    else:
        storage = cell_float(
            cells.get("Provisioned MiB"), where=where, row=number, column="Provisioned MiB"
        )
        used = cell_float(cells.get("In Use MiB"), where=where, row=number, column="In Use MiB")
    ip = cells.get("Primary IP Address", "")
    extra = {
        "vcenter": cells.get("VI SDK Server", ""),
        "cluster": cluster,
        "host": host,
        "power_state": cells.get("Powerstate", ""),
        "dns_name": cells.get("DNS Name", ""),
        "vm_uuid": uuid,
        "firmware": cells.get("Firmware", ""),
        "esx_version": host_info.esx_version if host_info else "",
        "storage_used_gb": _gib(used),
    }
    datacenter_id = datacenter_ids.get(datacenter, _NOT_SEEN)
    if datacenter_id is _NOT_SEEN:  # a handful of datacenters for thousands of VMs
        datacenter_id = datacenter_ids[datacenter] = slug(datacenter) or None
    return Server(
        id=server_id(name),
        name=name,
        datacenter_id=datacenter_id,
        os=cells.get("OS according to the VMware Tools", "")
        or cells.get("OS according to the configuration file", ""),
        cores=cell_int(cells["CPUs"], where=where, row=number, column="CPUs"),
        memory_mb=cell_int(cells["Memory"], where=where, row=number, column="Memory"),
        storage_gb=_gib(storage),
        ip_addresses=(ip,) if ip else (),
        extra={k: v for k, v in extra.items() if v not in ("", None)},
    )


def read_rvtools(path: Path, context: Context) -> Estate:
    """The estate an RVTools export describes: one server per VM, one datacenter per vSphere one."""
    vinfo, vpartition, vhost = _tables(path)
    disks = _partitions(vpartition)
    hosts = _hosts(vhost)
    cols = Columns.locate(vinfo.header, _VINFO, table=vinfo)
    read = _read_by_column(vinfo, cols, disks=disks, hosts=hosts)
    if read is None:  # a bad or blank cell somewhere: row by row, which names it
        read = _read_row_by_row(vinfo, cols, disks=disks, hosts=hosts)
    servers, datacenters, templates, placeholders = read
    if not servers and not (templates or placeholders):
        raise InputError("the vInfo table has no VM rows", path=vinfo.where)
    if templates or placeholders:
        context.diagnostics.warn(
            f"{path}: skipped {templates} template(s) and {placeholders} SRM placeholder(s); "
            f"read {len(servers)} VM(s)"
        )
    return Estate(
        datacenters=tuple(datacenters[k] for k in sorted(datacenters)),
        servers=tuple(servers),
        sources=(EstateSource(source="rvtools", path=str(path), records=len(servers)),),
    )


_Read = tuple[list[Server], dict[str, Datacenter], int, int]
"""The servers, datacenters by id, and how many templates and SRM placeholders were skipped."""


def _read_row_by_row(
    vinfo: Table, cols: Columns, *, disks: dict[str, _Disks], hosts: dict[str, _HostInfo]
) -> _Read:
    """Every VM row, one at a time; a bad cell is an error naming its row and column."""
    servers: list[Server] = []
    datacenters: dict[str, Datacenter] = {}
    datacenter_ids: dict[str, str | None] = {}
    templates = placeholders = 0
    where = vinfo.where
    template_at, placeholder_at = cols.index.get("Template"), cols.index.get("SRM Placeholder")
    for number, row in vinfo.numbered_rows():
        if template_at is not None and cell_bool(
            row[template_at] if template_at < len(row) else None,
            where=where,
            row=number,
            column="Template",
        ):
            templates += 1
            continue
        if placeholder_at is not None and cell_bool(
            row[placeholder_at] if placeholder_at < len(row) else None,
            where=where,
            row=number,
            column="SRM Placeholder",
        ):
            placeholders += 1
            continue
        server = _server(
            cols,
            row=row,
            number=number,
            where=where,
            disks=disks,
            hosts=hosts,
            datacenter_ids=datacenter_ids,
        )
        servers.append(server)
        if server.datacenter_id and server.datacenter_id not in datacenters:
            name = cols.text(row, "Datacenter") or hosts[cols.text(row, "Host").lower()].datacenter
            datacenters[server.datacenter_id] = Datacenter(id=server.datacenter_id, name=name)
    return servers, datacenters, templates, placeholders


def _read_by_column(
    vinfo: Table, cols: Columns, *, disks: dict[str, _Disks], hosts: dict[str, _HostInfo]
) -> _Read | None:
    """What :func:`_read_row_by_row` reads, a column at a time (each column's cells converted
    at C speed where they allow it); ``None`` when a row is blank or a cell needs the careful
    per-cell path, so that the row-by-row way reads (and reports) it."""
    rows = vinfo.rows
    if not isinstance(rows, list) or not rows:
        return None
    if min(map(len, rows)) <= max(cols.index.values()):
        return None  # a short row: its missing cells are blank
    raw = {name: list(map(operator.itemgetter(at), rows)) for name, at in cols.index.items()}
    blank = [""] * len(rows)

    def texts(name: str) -> list[str]:
        return text_column(raw[name]) if name in raw else blank

    flags: dict[str, list[bool]] = {}
    for name in ("Template", "SRM Placeholder"):
        if name in raw:
            column = bool_column(raw[name])
            if column is None:
                return None
            flags[name] = column
    templates = placeholders = 0
    if any(any(column) for column in flags.values()):
        no = [False] * len(rows)
        template, placeholder = flags.get("Template", no), flags.get("SRM Placeholder", no)
        templates = sum(template)
        placeholders = sum(p and not t for t, p in zip(template, placeholder, strict=True))
        kept = [not (t or p) for t, p in zip(template, placeholder, strict=True)]
        raw = {name: list(itertools.compress(cells, kept)) for name, cells in raw.items()}
        blank = [""] * sum(kept)
    names = texts("VM")
    if "" in names:
        return None  # a blank row, or a VM without a name
    cores, memory = int_column(raw["CPUs"]), int_column(raw["Memory"])
    if cores is None or memory is None:
        return None
    sizes: dict[str, list[float | None]] = {}
    for name in ("Provisioned MiB", "In Use MiB"):
        if name in raw:
            size = float_column(raw[name])
            if size is None:
                return None
            sizes[name] = size
    provisioned, in_use = sizes.get("Provisioned MiB"), sizes.get("In Use MiB")
    hosts_of, uuids = texts("Host"), texts("VM UUID")
    datacenter_names, clusters = texts("Datacenter"), texts("Cluster")
    count = len(names)
    storage: Sequence[float | None] = provisioned or [None] * count
    used: Sequence[float | None] = in_use or [None] * count
    esx_versions = blank
    if hosts:
        host_infos = [hosts.get(host.lower()) for host in hosts_of]
        datacenter_names = [
            (name or info.datacenter) if info else name
            for name, info in zip(datacenter_names, host_infos, strict=True)
        ]
        clusters = [
            (name or info.cluster) if info else name
            for name, info in zip(clusters, host_infos, strict=True)
        ]
        esx_versions = [info.esx_version if info else "" for info in host_infos]
    if disks:
        found = [
            (disks.get(uuid.lower()) if uuid else None) or disks.get(name.lower())
            for name, uuid in zip(names, uuids, strict=True)
        ]
        storage = [
            size if partitions is None else partitions.capacity_mib
            for size, partitions in zip(storage, found, strict=True)
        ]
        used = [
            size if partitions is None else partitions.consumed_mib
            for size, partitions in zip(used, found, strict=True)
        ]
    # A handful of datacenters for thousands of VMs: each slugged once, in the order first seen.
    datacenter_ids: dict[str, str | None] = {}
    datacenters: dict[str, Datacenter] = {}
    for datacenter in dict.fromkeys(datacenter_names):
        datacenter_id = datacenter_ids[datacenter] = slug(datacenter) or None
        if datacenter_id and datacenter_id not in datacenters:
            datacenters[datacenter_id] = Datacenter(id=datacenter_id, name=datacenter)
    extra: dict[str, Sequence[Any]] = {
        "vcenter": texts("VI SDK Server"),
        "cluster": clusters,
        "host": hosts_of,
        "power_state": texts("Powerstate"),
        "dns_name": texts("DNS Name"),
        "vm_uuid": uuids,
        "firmware": texts("Firmware"),
        "esx_version": esx_versions,
        "storage_used_gb": list(map(_gib, used)),
    }
    servers = normalised_servers(
        server_ids(names),
        names,
        datacenter_id=list(map(datacenter_ids.__getitem__, datacenter_names)),
        os=[
            tools or config
            for tools, config in zip(
                texts("OS according to the VMware Tools"),
                texts("OS according to the configuration file"),
                strict=True,
            )
        ],
        cores=cores,
        memory_mb=memory,
        storage_gb=list(map(_gib, storage)),
        ip_addresses=[(ip,) if ip else () for ip in texts("Primary IP Address")],
        extra=extras_column(extra, count),
    )
    return servers, datacenters, templates, placeholders
