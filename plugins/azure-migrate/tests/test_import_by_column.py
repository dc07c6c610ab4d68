"""Reading the import CSV a column at a time gives exactly what reading it row by row gives, and
leaves to the row-by-row way every file with a blank row or a cell it would have to report."""

from __future__ import annotations

from pathlib import Path

import pytest

from mbf.domain import Server
from mbf.tabular import Columns, normalise_header, read_csv_table
from mbf_azure_migrate.import_csv import (
    _DISK_SIZE,
    _EXTRA_COLUMNS,
    COLUMNS,
    _read_by_column,
    _read_row_by_row,
)

HEADER = (
    "*Server Name,IP addresses,*Cores,*Memory (In MB),*OS name,OS version,Server type,"
    "Storage in use (In GB),Disk 1 size (In GB),Disk 2 size (In GB)"
)
ROWS = [
    'app01.contoso.local,"10.2.0.5, 10.2.0.6;10.2.0.5",4,"16,384",Windows 2019,10.0,VM,12.5,128,512.25',
    "db01, 10.2.0.7 ,8.0,32768, RHEL 8 ,,,,100,",
    "web01,,2,4096,Ubuntu,22.04,Physical,,,",
]


def read_both(tmp_path: Path, lines: list[str]) -> tuple[object, object]:
    path = tmp_path / "import.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    table = read_csv_table(path)
    cols = Columns.locate(table.header, COLUMNS, table=table)
    disks = [
        (at, header)
        for at, header in enumerate(table.header)
        if _DISK_SIZE.match(normalise_header(header))
    ]
    extras = [(column, key) for column, key in _EXTRA_COLUMNS.items() if column in cols]
    return (
        _read_by_column(table, cols, disks, extras),
        _read_row_by_row(read_csv_table(path), cols, disks, extras),
    )


def test_columns_read_what_rows_read(tmp_path: Path) -> None:
    by_column, by_row = read_both(tmp_path, [HEADER, *ROWS])
    assert (
        by_column
        == by_row
        == [
            Server(
                id="app01",
                name="app01.contoso.local",
                os="Windows 2019",
                os_version="10.0",
                cores=4,
                memory_mb=16384,
                storage_gb=640.25,
                ip_addresses=("10.2.0.5", "10.2.0.6"),
                extra={"server_type": "VM", "storage_used_gb": 12.5},
            ),
            Server(
                id="db01",
                name="db01",
                os="RHEL 8",
                cores=8,
                memory_mb=32768,
                storage_gb=100.0,
                ip_addresses=("10.2.0.7",),
            ),
            Server(
                id="web01",
                name="web01",
                os="Ubuntu",
                os_version="22.04",
                cores=2,
                memory_mb=4096,
                storage_gb=0.0,
                extra={"server_type": "Physical"},
            ),
        ]
    )


@pytest.mark.parametrize(
    "row",
    [
        ",10.0.0.1,2,4096,Ubuntu,,,,,",  # no server name
        "x,,2,4096,,,,,,",  # no OS name
        "x,,two,4096,Ubuntu,,,,,",
        "x,,2.5,4096,Ubuntu,,,,,",
        "x,,,4096,Ubuntu,,,,,",  # a mandatory number left blank
        "x,,2,4096,Ubuntu,,,lots,,",
        "x,,2,4096,Ubuntu,,,,big,",
        "x,,2,4096,Ubuntu",  # a short row
        ",,,,,,,,,",  # a blank row
    ],
)
def test_a_row_to_report_is_left_to_the_row_by_row_way(tmp_path: Path, row: str) -> None:
    path = tmp_path / "import.csv"
    path.write_text("\n".join([HEADER, ROWS[0], row]) + "\n", encoding="utf-8")
    table = read_csv_table(path)
    cols = Columns.locate(table.header, COLUMNS, table=table)
    assert (
        _read_by_column(table, cols, [(8, "Disk 1 size (In GB)"), (9, "Disk 2 size (In GB)")], [])
        is None
    )
