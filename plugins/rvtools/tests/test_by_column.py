"""Reading vInfo a column at a time gives exactly what reading it row by row gives, and leaves
to the row-by-row way every table with a blank row or a cell it would have to report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mbf.domain import Datacenter, Server
from mbf.tabular import Columns, Table
from mbf_rvtools.vinfo import (
    _VINFO,
    _Disks,
    _HostInfo,
    _read_by_column,
    _read_row_by_row,
)

HEADER = (
    "VM", "Powerstate", "Template", "SRM Placeholder", "CPUs", "Memory", "Provisioned MiB",
    "In Use MiB", "Datacenter", "Cluster", "Host", "Primary IP Address",
    "OS according to the configuration file", "OS according to the VMware Tools", "VM UUID",
    "DNS Name",
)  # fmt: skip
ROWS: list[list[Any]] = [
    [" web01 ", "poweredOn", False, False, 2.0, 8192.0, 102400.0, -0.0, "AMS 1", "", "esx01",
     "10.1.0.11", "Windows 2016", "", "uuid-1", "web01.contoso.local"],
    ["db01", "poweredOff", False, False, "4", "16,384", "", 512.5, "", "", "ESX02", "",
     "RHEL 8", "Red Hat 8", "UUID-2", ""],
    ["tpl", "poweredOff", True, False, 1.0, 1024.0, 1.0, 1.0, "AMS 1", "", "", "", "", "", "", ""],
    ["dr", "poweredOff", False, "yes", 1.0, 1024.0, 1.0, 1.0, "", "", "", "", "", "", "", ""],
    ["app01", "poweredOn", "", None, 8, 4096, 1024, 2048, "ams 1", "Prod", "esx03", "10.1.0.12",
     "Windows 2019", "", "", ""],
]  # fmt: skip
HOSTS = {
    "esx02": _HostInfo(datacenter="Dublin 2", cluster="Db", esx_version="8.0"),
    "esx03": _HostInfo(datacenter="Dublin 2", cluster="Other", esx_version="7.0"),
}
DISKS = {"uuid-2": _Disks(capacity_mib=2048.0, consumed_mib=1024.0)}


def read_both(rows: list[list[Any]], **lookups: Any) -> tuple[Any, Any]:
    table = Table(path=Path("RVTools.xlsx"), header=HEADER, rows=rows, sheet="vInfo")
    cols = Columns.locate(HEADER, _VINFO, table=table)
    by_column = _read_by_column(
        table, cols, disks=lookups.get("disks", {}), hosts=lookups.get("hosts", {})
    )
    by_row = _read_row_by_row(
        table, cols, disks=lookups.get("disks", {}), hosts=lookups.get("hosts", {})
    )
    return by_column, by_row  # fmt: skip


def test_columns_read_what_rows_read() -> None:
    by_column, by_row = read_both(ROWS, hosts=HOSTS, disks=DISKS)
    assert by_column == by_row
    servers, datacenters, templates, placeholders = by_column
    assert (templates, placeholders) == (1, 1)
    assert datacenters == {
        "ams-1": Datacenter(id="ams-1", name="AMS 1"),
        "dublin-2": Datacenter(id="dublin-2", name="Dublin 2"),
    }
    assert servers == [
        Server(
            id="web01",
            name="web01",
            datacenter_id="ams-1",
            os="Windows 2016",
            cores=2,
            memory_mb=8192,
            storage_gb=100.0,
            ip_addresses=("10.1.0.11",),
            extra={
                "host": "esx01",
                "power_state": "poweredOn",
                "dns_name": "web01.contoso.local",
                "vm_uuid": "uuid-1",
                "storage_used_gb": 0.0,
            },
        ),
        Server(
            id="db01",
            name="db01",
            datacenter_id="dublin-2",
            os="Red Hat 8",
            cores=4,
            memory_mb=16384,
            storage_gb=2.0,
            extra={
                "cluster": "Db",
                "host": "ESX02",
                "power_state": "poweredOff",
                "vm_uuid": "UUID-2",
                "esx_version": "8.0",
                "storage_used_gb": 1.0,
            },
        ),
        Server(
            id="app01",
            name="app01",
            datacenter_id="ams-1",
            os="Windows 2019",
            cores=8,
            memory_mb=4096,
            storage_gb=1.0,
            ip_addresses=("10.1.0.12",),
            extra={
                "cluster": "Prod",
                "host": "esx03",
                "power_state": "poweredOn",
                "esx_version": "7.0",
                "storage_used_gb": 2.0,
            },
        ),
    ]
    assert str(servers[0].extra["storage_used_gb"]) == "0.0"  # -0.0 reads as 0 as its text does


@pytest.mark.parametrize(
    ("row", "cell", "value"),
    [
        (0, 0, ""),  # a VM without a name
        (1, 4, "four"),  # not a number
        (1, 4, 2.5),  # not a whole number
        (1, 6, float("inf")),
        (1, 2, "maybe"),  # not a yes/no
        (0, 5, True),  # a yes/no where a number belongs
    ],
)
def test_a_cell_to_report_is_left_to_the_row_by_row_way(row: int, cell: int, value: Any) -> None:
    rows = [list(r) for r in ROWS]
    rows[row][cell] = value
    table = Table(path=Path("RVTools.xlsx"), header=HEADER, rows=rows, sheet="vInfo")
    cols = Columns.locate(HEADER, _VINFO, table=table)
    assert _read_by_column(table, cols, disks={}, hosts={}) is None


def test_blank_and_short_rows_are_left_to_the_row_by_row_way() -> None:
    for rows in ([*ROWS, [""] * len(HEADER)], [*ROWS, ROWS[0][:5]], []):
        table = Table(path=Path("RVTools.xlsx"), header=HEADER, rows=rows, sheet="vInfo")
        cols = Columns.locate(HEADER, _VINFO, table=table)
        assert _read_by_column(table, cols, disks={}, hosts={}) is None


FULL_ROWS: list[list[Any]] = [
    ["web01", "poweredOn", False, False, 2, 8192, 102400, 51200, "AMS 1", "Web", "esx01",
     "10.1.0.11", "Windows 2016", "", "uuid-1", "web01.contoso.local"],
    ["db01", "poweredOff", False, False, 4, 16384, 2048, 1024, "AMS 1", "Db", "esx02",
     "10.1.0.21", "RHEL 8", "Red Hat 8", "uuid-2", "db01.contoso.local"],
]  # fmt: skip


def test_extra_values_every_vm_has_read_as_columns_in_the_row_order_of_keys() -> None:
    by_column, by_row = read_both(FULL_ROWS)
    assert by_column == by_row
    servers = by_column[0]
    assert [list(server.extra.items()) for server in servers] == [
        [
            ("cluster", "Web"),
            ("host", "esx01"),
            ("power_state", "poweredOn"),
            ("dns_name", "web01.contoso.local"),
            ("vm_uuid", "uuid-1"),
            ("storage_used_gb", 50.0),
        ],
        [
            ("cluster", "Db"),
            ("host", "esx02"),
            ("power_state", "poweredOff"),
            ("dns_name", "db01.contoso.local"),
            ("vm_uuid", "uuid-2"),
            ("storage_used_gb", 1.0),
        ],
    ]
    assert [list(server.extra) for server in by_row[0]] == [list(s.extra) for s in servers]
    assert servers[0].extra is not servers[1].extra


def test_hosts_and_partitions_fill_columns_as_they_fill_rows() -> None:
    hosts = {"esx01": _HostInfo(datacenter="Dublin 2", cluster="Other", esx_version="8.0")}
    disks = {"uuid-2": _Disks(capacity_mib=4096.0, consumed_mib=3072.0)}
    rows = [[*FULL_ROWS[0][:8], "", "", *FULL_ROWS[0][10:]], FULL_ROWS[1]]
    by_column, by_row = read_both(rows, hosts=hosts, disks=disks)
    assert by_column == by_row
    servers, datacenters, _templates, _placeholders = by_column
    assert list(datacenters) == ["dublin-2", "ams-1"]
    assert [(s.datacenter_id, s.storage_gb, s.extra["cluster"]) for s in servers] == [
        ("dublin-2", 100.0, "Other"),
        ("ams-1", 4.0, "Db"),
    ]
    assert [s.extra.get("esx_version") for s in servers] == ["8.0", None]
    assert servers[1].extra["storage_used_gb"] == 3.0
