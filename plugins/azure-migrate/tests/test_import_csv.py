"""The Azure Migrate import-based discovery CSV, with and without asterisks, in every encoding."""

from __future__ import annotations

from pathlib import Path

import pytest

from mbf.domain import Server
from mbf.errors import InputError
from mbf.plugin import Context
from mbf_azure_migrate.exports import read_azure_migrate

TEMPLATE_HEADER = (
    "*Server Name,IP addresses,*Cores,*Memory (In MB),*OS name,OS version,OS architecture,"
    "CPU utilization percentage,Memory utilization percentage,Network adapters,"
    "Network In throughput,Network Out throughput,Boot type,Number of disks,"
    "Disk 1 size (In GB),Disk 1 read throughput (MB per second),"
    "Disk 1 write throughput (MB per second),Disk 1 read ops (operations per second),"
    "Disk 1 write ops (operations per second),Disk 2 size (In GB),"
    "Disk 2 read throughput (MB per second),Disk 2 write throughput (MB per second),"
    "Disk 2 read ops (operations per second),Disk 2 write ops (operations per second)"
)
APP01_ROW = (
    'app01.contoso.local,"10.2.0.5,10.2.0.6",4,16384,Microsoft Windows Server 2019 Datacenter,'
    "10.0.17763,x64,35,60,1,2,1,UEFI,2,128,5,3,100,50,512,10,4,200,80"
)
APP01 = Server(
    id="app01",
    name="app01.contoso.local",
    os="Microsoft Windows Server 2019 Datacenter",
    os_version="10.0.17763",
    cores=4,
    memory_mb=16384,
    storage_gb=640.0,
    ip_addresses=("10.2.0.5", "10.2.0.6"),
    extra={"os_architecture": "x64", "boot_type": "UEFI"},
)


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_text(text, encoding=encoding)
    return path


def test_template_headers_with_asterisks(tmp_path: Path) -> None:
    path = write(tmp_path / "import.csv", f"{TEMPLATE_HEADER}\n{APP01_ROW}\n")
    estate = read_azure_migrate(path, Context())
    assert estate.servers == (APP01,)
    assert estate.sources[0].records == 1


def test_headers_without_asterisks_in_the_documented_spellings(tmp_path: Path) -> None:
    text = (
        "Server name,IP address,Cores,Memory (MB),OS name,OS version,Server type,Hypervisor,"
        "Disk 1 size (In GB)\n"
        "db01,10.2.0.9,8,32768,Red Hat Enterprise Linux 8,8.6,Virtual,VMware,200\n"
    )
    estate = read_azure_migrate(write(tmp_path / "import.csv", text), Context())
    assert estate.servers == (
        Server(
            id="db01",
            name="db01",
            os="Red Hat Enterprise Linux 8",
            os_version="8.6",
            cores=8,
            memory_mb=32768,
            storage_gb=200.0,
            ip_addresses=("10.2.0.9",),
            extra={"server_type": "Virtual", "hypervisor": "VMware"},
        ),
    )


def test_semicolon_separated_utf8_bom_export_from_european_excel(tmp_path: Path) -> None:
    text = "*Server Name;*Cores;*Memory (In MB);*OS name;Disk 1 size (In GB)\nsrv-münchen;2;4096;Windows Server 2016;127,5\n"
    server = read_azure_migrate(
        write(tmp_path / "import.csv", text, "utf-8-sig"), Context()
    ).servers[0]
    assert (server.name, server.cores, server.memory_mb, server.storage_gb) == (
        "srv-münchen",
        2,
        4096,
        127.5,
    )


def test_utf16_export_reads(tmp_path: Path) -> None:
    path = write(tmp_path / "import.csv", f"{TEMPLATE_HEADER}\n{APP01_ROW}\n", "utf-16")
    assert read_azure_migrate(path, Context()).servers == (APP01,)


def test_windows_1252_export_reads(tmp_path: Path) -> None:
    text = "*Server Name,*Cores,*Memory (In MB),*OS name\nsrv-zürich,2,4096,Windows\n"
    server = read_azure_migrate(write(tmp_path / "import.csv", text, "cp1252"), Context()).servers[
        0
    ]
    assert server.name == "srv-zürich"


def test_non_numeric_core_count_names_row_and_column(tmp_path: Path) -> None:
    text = f"{TEMPLATE_HEADER}\n{APP01_ROW}\n{APP01_ROW.replace(',4,16384,', ',four,16384,')}\n"
    path = write(tmp_path / "import.csv", text)
    with pytest.raises(InputError) as caught:
        read_azure_migrate(path, Context())
    assert str(caught.value) == f"{path}, row 3, column '*Cores': expected a number, found 'four'"


def test_blank_mandatory_memory_is_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path / "import.csv", "*Server Name,*Cores,*Memory (In MB),*OS name\nweb01,2,,Windows\n"
    )
    with pytest.raises(InputError) as caught:
        read_azure_migrate(path, Context())
    assert str(caught.value) == (
        f"{path}, row 2, column '*Memory (In MB)': expected a whole number; the column is mandatory"
    )


def test_missing_os_name_column_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "import.csv", "*Server Name,*Cores,*Memory (In MB)\nweb01,2,4096\n")
    with pytest.raises(InputError) as caught:
        read_azure_migrate(path, Context())
    assert str(caught.value) == (
        f"{path}, row 1, column '*OS name': missing mandatory column "
        "(also accepted: 'OS name', 'Operating system name', 'Operating system')"
    )


def test_header_only_file_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "import.csv", f"{TEMPLATE_HEADER}\n")
    with pytest.raises(
        InputError, match=r"import.csv: the import CSV has a header but no server rows"
    ):
        read_azure_migrate(path, Context())


def test_unknown_csv_header_is_refused_naming_what_was_expected(tmp_path: Path) -> None:
    path = write(tmp_path / "other.csv", "Name,Owner\nweb01,Alice\n")
    with pytest.raises(
        InputError, match=r"other.csv, row 1: the header matches no Azure Migrate CSV export"
    ):
        read_azure_migrate(path, Context())
