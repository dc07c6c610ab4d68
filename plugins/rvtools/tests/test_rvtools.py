"""The rvtools source reads vInfo (+ vPartition, vHost) from xlsx or csv, in every header variant."""

from __future__ import annotations

from pathlib import Path

import pytest

from mbf.domain import Datacenter, Server
from mbf.errors import InputError
from mbf.plugin import Context
from mbf_rvtools.plugin import mbf_discovery_sources
from mbf_rvtools.vinfo import looks_like_rvtools, read_rvtools

VINFO_HEADER = [
    "VM", "Powerstate", "Template", "SRM Placeholder", "Config status", "DNS Name", "CPUs",
    "Memory", "NICs", "Disks", "Primary IP Address", "Provisioned MiB", "In Use MiB",
    "Annotation", "Datacenter", "Cluster", "Host", "Folder",
    "OS according to the configuration file", "OS according to the VMware Tools", "VM UUID",
    "VI SDK Server", "VI SDK UUID",
]  # fmt: skip
WEB01 = [
    "web01", "poweredOn", False, False, "green", "web01.contoso.local", 2, 8192, 1, 1,
    "10.1.0.11", 102400, 51200, "IIS front end", "AMS-DC1", "Prod-Cluster", "esx01.contoso.local",
    "Web", "Microsoft Windows Server 2016 (64-bit)", "Microsoft Windows Server 2016 (64-bit)",
    "4201aaaa-0000-0000-0000-000000000001", "vcenter01.contoso.local", "vc-uuid",
]  # fmt: skip
DB01 = [
    "db01", "poweredOff", False, False, "green", "", 4, 16384, 1, 2,
    "", 307200, 204800, "", "AMS-DC1", "Prod-Cluster", "esx02.contoso.local",
    "Db", "Red Hat Enterprise Linux 8 (64-bit)", "",
    "4201aaaa-0000-0000-0000-000000000002", "vcenter01.contoso.local", "vc-uuid",
]  # fmt: skip
TEMPLATE = ["tpl-w2019", "poweredOff", True, False, *WEB01[4:]]
PLACEHOLDER = ["web01-dr", "poweredOff", False, True, *WEB01[4:]]

WEB01_SERVER = Server(
    id="web01",
    name="web01",
    datacenter_id="ams-dc1",
    os="Microsoft Windows Server 2016 (64-bit)",
    cores=2,
    memory_mb=8192,
    storage_gb=100.0,
    ip_addresses=("10.1.0.11",),
    extra={
        "vcenter": "vcenter01.contoso.local",
        "cluster": "Prod-Cluster",
        "host": "esx01.contoso.local",
        "power_state": "poweredOn",
        "dns_name": "web01.contoso.local",
        "vm_uuid": "4201aaaa-0000-0000-0000-000000000001",
        "storage_used_gb": 50.0,
    },
)


def test_xlsx_vinfo_gives_one_server_per_vm(tmp_path: Path, write_workbook) -> None:
    path = write_workbook(
        tmp_path / "RVTools_export_all.xlsx", {"vInfo": [VINFO_HEADER, WEB01, DB01]}
    )
    estate = read_rvtools(path, Context())
    assert estate.servers[0] == WEB01_SERVER
    assert estate.servers[1] == Server(
        id="db01",
        name="db01",
        datacenter_id="ams-dc1",
        os="Red Hat Enterprise Linux 8 (64-bit)",
        cores=4,
        memory_mb=16384,
        storage_gb=300.0,
        extra={
            "vcenter": "vcenter01.contoso.local",
            "cluster": "Prod-Cluster",
            "host": "esx02.contoso.local",
            "power_state": "poweredOff",
            "vm_uuid": "4201aaaa-0000-0000-0000-000000000002",
            "storage_used_gb": 200.0,
        },
    )
    assert estate.datacenters == (Datacenter(id="ams-dc1", name="AMS-DC1"),)
    assert estate.sources[0].records == 2


def test_templates_and_srm_placeholders_are_skipped_and_counted(
    tmp_path: Path, write_workbook
) -> None:
    path = write_workbook(
        tmp_path / "RVTools.xlsx", {"vInfo": [VINFO_HEADER, TEMPLATE, WEB01, PLACEHOLDER, DB01]}
    )
    context = Context()
    estate = read_rvtools(path, context)
    assert [s.id for s in estate.servers] == ["web01", "db01"]
    assert context.diagnostics.warnings == [
        f"{path}: skipped 1 template(s) and 1 SRM placeholder(s); read 2 VM(s)"
    ]


def test_vpartition_capacity_replaces_provisioned_storage(tmp_path: Path, write_workbook) -> None:
    partitions = [
        ["VM", "Powerstate", "Disk", "Capacity MiB", "Consumed MiB", "VM UUID"],
        ["web01", "poweredOn", "C:\\", 61440, 30720, "4201aaaa-0000-0000-0000-000000000001"],
        ["web01", "poweredOn", "D:\\", 20480, 10240, "4201aaaa-0000-0000-0000-000000000001"],
    ]
    path = write_workbook(
        tmp_path / "RVTools.xlsx", {"vInfo": [VINFO_HEADER, WEB01, DB01], "vPartition": partitions}
    )
    servers = read_rvtools(path, Context()).servers
    assert (servers[0].storage_gb, servers[0].extra["storage_used_gb"]) == (80.0, 40.0)
    assert (servers[1].storage_gb, servers[1].extra["storage_used_gb"]) == (300.0, 200.0)


def test_vhost_fills_datacenter_cluster_and_esx_version(tmp_path: Path, write_workbook) -> None:
    header = [h for h in VINFO_HEADER if h not in ("Datacenter", "Cluster")]
    row = [
        v for h, v in zip(VINFO_HEADER, WEB01, strict=True) if h not in ("Datacenter", "Cluster")
    ]
    hosts = [
        ["Host", "Datacenter", "Cluster", "CPU Model", "# Cores", "ESX Version"],
        [
            "esx01.contoso.local",
            "Rotterdam",
            "Rdam-Cl1",
            "Xeon",
            32,
            "VMware ESXi 7.0.3 build-20328353",
        ],
    ]
    path = write_workbook(tmp_path / "RVTools.xlsx", {"vInfo": [header, row], "vHost": hosts})
    estate = read_rvtools(path, Context())
    server = estate.servers[0]
    assert (server.datacenter_id, server.extra["cluster"], server.extra["esx_version"]) == (
        "rotterdam",
        "Rdam-Cl1",
        "VMware ESXi 7.0.3 build-20328353",
    )
    assert estate.datacenters == (Datacenter(id="rotterdam", name="Rotterdam"),)


def test_older_mb_headers_read_like_mib(tmp_path: Path, write_workbook) -> None:
    header = [
        {"Provisioned MiB": "Provisioned MB", "In Use MiB": "In Use MB"}.get(h, h)
        for h in VINFO_HEADER
    ]
    path = write_workbook(tmp_path / "RVTools.xlsx", {"vInfo": [header, WEB01]})
    assert read_rvtools(path, Context()).servers[0] == WEB01_SERVER


PREFIXED_HEADER = (
    "vInfoVMName;vInfoPowerstate;vInfoTemplate;vInfoSRMPlaceHolder;vInfoCPUs;vInfoMemory;"
    "vInfoProvisioned;vInfoInUse;vInfoOS;vInfoOSTools;vInfoDataCenter;vInfoCluster;vInfoHost"
)


def test_csv_with_vinfo_prefixed_headers_semicolons_and_bom(tmp_path: Path) -> None:
    path = tmp_path / "RVTools_tabvInfo.csv"
    path.write_text(
        PREFIXED_HEADER
        + "\nweb01;poweredOn;False;False;2;8192;102400;51200;Microsoft Windows Server 2016 (64-bit);"
        ";AMS-DC1;Prod-Cluster;esx01\n"
        "tpl;poweredOff;True;False;2;4096;40960;0;Windows;;AMS-DC1;Prod-Cluster;esx01\n",
        encoding="utf-8-sig",
    )
    context = Context()
    estate = read_rvtools(path, context)
    assert estate.servers == (
        Server(
            id="web01",
            name="web01",
            datacenter_id="ams-dc1",
            os="Microsoft Windows Server 2016 (64-bit)",
            cores=2,
            memory_mb=8192,
            storage_gb=100.0,
            extra={
                "cluster": "Prod-Cluster",
                "host": "esx01",
                "power_state": "poweredOn",
                "storage_used_gb": 50.0,
            },
        ),
    )
    assert context.diagnostics.warnings == [
        f"{path}: skipped 1 template(s) and 0 SRM placeholder(s); read 1 VM(s)"
    ]


def test_csv_export_reads_its_sibling_vpartition_tab(tmp_path: Path) -> None:
    (tmp_path / "RVTools_tabvInfo.csv").write_text(
        "VM,Powerstate,CPUs,Memory,Provisioned MiB\nweb01,poweredOn,2,8192,102400\n",
        encoding="utf-8",
    )
    (tmp_path / "RVTools_tabvPartition.csv").write_text(
        "VM,Disk,Capacity MiB,Consumed MiB\nweb01,C:\\,51200,25600\n", encoding="utf-8"
    )
    server = read_rvtools(tmp_path / "RVTools_tabvInfo.csv", Context()).servers[0]
    assert server.storage_gb == 50.0


def test_utf16_csv_reads(tmp_path: Path) -> None:
    path = tmp_path / "vInfo.csv"
    path.write_text("VM\tPowerstate\tCPUs\tMemory\nsrv-ü1\tpoweredOn\t2\t4096\n", encoding="utf-16")
    assert [(s.name, s.cores) for s in read_rvtools(path, Context()).servers] == [("srv-ü1", 2)]


def test_missing_cpus_column_names_file_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "vInfo.csv"
    path.write_text("VM,Powerstate,Memory\nweb01,poweredOn,4096\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_rvtools(path, Context())
    assert str(caught.value) == (
        f"{path}, row 1, column 'CPUs': missing mandatory column "
        "(also accepted: '# CPUs', 'vInfoCPUs', 'Num CPUs')"
    )


def test_non_numeric_cpus_names_the_cell(tmp_path: Path, write_workbook) -> None:
    bad = list(DB01)
    bad[VINFO_HEADER.index("CPUs")] = "four"
    path = write_workbook(tmp_path / "RVTools.xlsx", {"vInfo": [VINFO_HEADER, WEB01, bad]})
    with pytest.raises(InputError) as caught:
        read_rvtools(path, Context())
    assert (
        str(caught.value)
        == f"{path} [vInfo], row 3, column 'CPUs': expected a number, found 'four'"
    )


def test_workbook_without_vinfo_is_refused(tmp_path: Path, write_workbook) -> None:
    path = write_workbook(tmp_path / "RVTools.xlsx", {"vHost": [["Host"], ["esx01"]]})
    with pytest.raises(
        InputError, match=r"no vInfo sheet \(sheets: vHost\); expected an RVTools export"
    ):
        read_rvtools(path, Context())


def test_corrupt_xlsx_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "RVTools.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not really a zip")
    with pytest.raises(InputError, match=r"RVTools.xlsx: not a readable xlsx workbook"):
        read_rvtools(path, Context())


def test_empty_csv_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "vInfo.csv"
    path.write_bytes(b"")
    with pytest.raises(InputError, match=r"vInfo.csv: the file is empty; expected a header row"):
        read_rvtools(path, Context())


def test_content_detection_recognises_workbooks_and_csv(tmp_path: Path, write_workbook) -> None:
    book = write_workbook(tmp_path / "export.xlsx", {"vInfo": [VINFO_HEADER, WEB01]})
    other = write_workbook(tmp_path / "other.xlsx", {"Sheet1": [["a"], [1]]})
    prefixed = tmp_path / "tab.csv"
    prefixed.write_text(PREFIXED_HEADER + "\n", encoding="utf-8")
    plain = tmp_path / "plain.csv"
    plain.write_text("Name,IP\nweb01,10.0.0.1\n", encoding="utf-8")
    assert [looks_like_rvtools(p) for p in (book, other, prefixed, plain)] == [
        True,
        False,
        True,
        False,
    ]


def test_the_plugin_registers_the_rvtools_source() -> None:
    (source,) = mbf_discovery_sources()
    assert (source.name, source.default_filenames) == (
        "rvtools",
        ("rvtools*.xlsx", "*vinfo*.csv", "rvtools*.csv"),
    )
