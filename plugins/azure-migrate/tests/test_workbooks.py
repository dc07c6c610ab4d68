"""Azure Migrate workbooks: the Discovery_Report inventory, All_Assessed_Machines and the Core Report."""

from __future__ import annotations

from pathlib import Path

import pytest

from mbf.domain import Readiness, Server, Workload
from mbf.errors import InputError
from mbf.plugin import Context
from mbf_azure_migrate.exports import ExportKind, export_kind, read_azure_migrate

CORPUS = Path(__file__).resolve().parents[3] / ".." / "shared" / "corpus" / "azure-migrate-export"
DISCOVERY_REPORT = CORPUS / "AzureMigrate_Discovery_Report.xlsx"
CORE_REPORT = CORPUS / "AzureMigrate_Assessment_Core_Report.xlsx"
MACHINE_ID = (
    "/subscriptions/4bd2aa0f-2bd2-4d67-91a8-5a4533d58600/resourcegroups/dhlodhiccy/providers/"
    "microsoft.offazure/vmwaresites/vmwareapp8561site/machines/"
    "10-150-91-150-3b59d957-c728-44e3-94b4-1ad9398dc688_500ff446-8213-a209-24d2-4fa7efd5a77f"
)
SQLAGVM11_IPS = (
    "2404:f801:4800:c:35d:9b90:34a:a27a",
    "2404:f801:4800:20:55da:bf5d:b511:3ff1",
    "10.150.90.250",
)

ASSESSED_HEADER = [
    "Machine", "VM host", "Azure VM readiness", "Azure readiness issues", "Data collection issues",
    "Recommended size", "Compute monthly cost USD", "Storage monthly cost USD", "Operating system",
    "Boot type", "Cores", "Memory(MB)", "CPU usage(%)", "Memory usage(%)", "Storage(GB)",
    "Standard HDD disks", "Standard SSD disks", "Premium disks", "Disk read(ops/sec)",
    "Disk write(ops/sec)", "Disk read(MBPS)", "Disk write(MBPS)", "Network adapters", "IP address",
    "MAC address", "Network in(MBPS)", "Network out(MBPS)", "Group name",
]  # fmt: skip


def assessed_row(machine: str, readiness: str, issues: str, group: str = "Payroll") -> list[object]:
    return [
        machine, "esx01", readiness, issues, "", "Standard_D2s_v3", 70.08, 5.28,
        "Microsoft Windows Server 2012 R2 Datacenter", "BIOS", 2, 8192, 12.5, 40, 127,
        0, 0, 1, 10, 5, 0.5, 0.2, 1, "[172.21.12.27,fe80::1c5e:2b1f:8d4a:11c3];",
        "[00:15:5d:01:02:03];", 0.1, 0.1, group,
    ]  # fmt: skip


def test_corpus_discovery_report_has_294_machines() -> None:
    estate = read_azure_migrate(DISCOVERY_REPORT, Context())
    assert len(estate.servers) == 294
    assert len({s.id for s in estate.servers}) == 294
    assert sum(s.cores or 0 for s in estate.servers) == 959
    assert sum(1 for s in estate.servers if s.environment == "Dev") == 9
    assert sum(1 for s in estate.servers if s.extra["power_state"] == "ON") == 250


def test_corpus_discovery_report_machine_in_full() -> None:
    servers = {s.id: s for s in read_azure_migrate(DISCOVERY_REPORT, Context()).servers}
    assert servers["sqlagvm11"] == Server(
        id="sqlagvm11",
        name="SQLAGVM11",
        os="Microsoft Windows Server 2019 (64-bit)",
        cores=2,
        memory_mb=4096,
        ip_addresses=SQLAGVM11_IPS,
        extra={"machine_id": MACHINE_ID, "power_state": "ON", "boot_type": "BIOS", "disks": 1},
    )


def test_corpus_core_report_readiness_and_blockers() -> None:
    estate = read_azure_migrate(CORE_REPORT, Context())
    readiness = [s.readiness for s in estate.servers]
    assert (
        len(estate.servers),
        readiness.count(Readiness.READY),
        readiness.count(Readiness.READY_WITH_CONDITIONS),
    ) == (
        294,
        251,
        43,
    )
    blockers = sorted(b for s in estate.servers for b in s.blockers)
    assert blockers.count("EndorsedWithConditionsLinuxDistributions") == 39
    assert len(blockers) == 43
    assert (
        estate.workloads == ()
    )  # AME's generated groups (AzureVM-Prod-AME-18285) are no applications


def test_corpus_core_report_machine_in_full() -> None:
    servers = {s.id: s for s in read_azure_migrate(CORE_REPORT, Context()).servers}
    assert servers["sqlagvm11"] == Server(
        id="sqlagvm11",
        name="SQLAGVM11",
        os="Microsoft Windows Server 2019 Standard",
        cores=2,
        memory_mb=4096,
        storage_gb=120.0,
        environment="Prod",
        ip_addresses=SQLAGVM11_IPS,
        readiness=Readiness.READY,
        extra={
            "recommended_size": "Standard_D2as_v5",
            "monthly_compute_cost": 218.29698051696,
            "monthly_storage_cost": 9.14072809128309,
            "currency": "AUD",
            "support_status": "Mainstream",
            "vm_host": "10.150.91.150",
            "boot_type": "BIOS",
            "machine_id": MACHINE_ID,
            "assessment_group": "AzureVM-Prod-AME-18285",
        },
    )


def test_corpus_files_are_detected_by_kind() -> None:
    kinds = [
        export_kind(CORPUS / f"AzureMigrate_{n}.xlsx")
        for n in ("Discovery_Report", "Assessment_Core_Report")
    ]
    assert kinds == [ExportKind.INVENTORY, ExportKind.CORE_REPORT]
    assert export_kind(CORPUS / "AzureMigrate_Assessment_Clash_Report.xlsx") is None


def test_assessment_readiness_issues_become_blockers(tmp_path: Path, write_workbook) -> None:
    path = write_workbook(
        tmp_path / "As is PAYG.xlsx",
        {
            "Assessment_Summary": [["Property", "Value"], ["Group name", "Payroll"]],
            "All_Assessed_Machines": [
                ASSESSED_HEADER,
                assessed_row("PAY01", "Ready For Azure", ""),
                assessed_row(
                    "PAY02",
                    "Ready For Azure With Conditions",
                    "Windows Server versions supported with caveat;Guest OS unknown",
                ),
                assessed_row("PAY03", "Not Ready For Azure", "Unsupported boot type", group=""),
                assessed_row("PAY04", "Unknown Readiness", ""),
            ],
        },
    )
    estate = read_azure_migrate(path, Context())
    assert [(s.id, s.readiness, s.blockers) for s in estate.servers] == [
        ("pay01", Readiness.READY, ()),
        (
            "pay02",
            Readiness.READY_WITH_CONDITIONS,
            ("Windows Server versions supported with caveat", "Guest OS unknown"),
        ),
        ("pay03", Readiness.NOT_READY, ("Unsupported boot type",)),
        ("pay04", Readiness.UNKNOWN, ()),
    ]


def test_assessment_machine_in_full_with_currency_from_the_cost_header(
    tmp_path: Path, write_workbook
) -> None:
    path = write_workbook(
        tmp_path / "assessment.xlsx",
        {"All_Assessed_Machines": [ASSESSED_HEADER, assessed_row("PAY01", "Ready For Azure", "")]},
    )
    estate = read_azure_migrate(path, Context())
    assert estate.servers == (
        Server(
            id="pay01",
            name="PAY01",
            os="Microsoft Windows Server 2012 R2 Datacenter",
            cores=2,
            memory_mb=8192,
            storage_gb=127.0,
            ip_addresses=("172.21.12.27", "fe80::1c5e:2b1f:8d4a:11c3"),
            readiness=Readiness.READY,
            workload_ids=("payroll",),
            extra={
                "recommended_size": "Standard_D2s_v3",
                "vm_host": "esx01",
                "boot_type": "BIOS",
                "assessment_group": "Payroll",
                "monthly_compute_cost": 70.08,
                "monthly_storage_cost": 5.28,
                "currency": "USD",
            },
        ),
    )
    assert estate.workloads == (
        Workload(id="payroll", name="Payroll", reason="Azure Migrate assessment group Payroll"),
    )


def test_assessment_without_readiness_column_is_refused(tmp_path: Path, write_workbook) -> None:
    header = [h for h in ASSESSED_HEADER if h != "Azure VM readiness"]
    path = write_workbook(
        tmp_path / "assessment.xlsx", {"All_Assessed_Machines": [header, ["PAY01"]]}
    )
    with pytest.raises(InputError) as caught:
        read_azure_migrate(path, Context())
    assert str(caught.value) == (
        f"{path} [All_Assessed_Machines], row 1, column 'Azure VM readiness': missing mandatory column"
    )


def test_assessment_non_numeric_cores_names_sheet_row_and_column(
    tmp_path: Path, write_workbook
) -> None:
    row = assessed_row("PAY01", "Ready For Azure", "")
    row[ASSESSED_HEADER.index("Cores")] = "2 vCPU"
    path = write_workbook(
        tmp_path / "assessment.xlsx", {"All_Assessed_Machines": [ASSESSED_HEADER, row]}
    )
    with pytest.raises(InputError) as caught:
        read_azure_migrate(path, Context())
    assert str(caught.value) == (
        f"{path} [All_Assessed_Machines], row 2, column 'Cores': expected a number, found '2 vCPU'"
    )


def test_workbook_of_no_known_kind_is_refused(tmp_path: Path, write_workbook) -> None:
    path = write_workbook(tmp_path / "AzureMigrate_other.xlsx", {"Sheet1": [["a"], [1]]})
    with pytest.raises(
        InputError, match=r"no sheet of a known Azure Migrate export \(sheets: Sheet1\)"
    ):
        read_azure_migrate(path, Context())


def test_corrupt_workbook_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "AzureMigrate_Discovery_Report.xlsx"
    path.write_bytes(b"PK\x03\x04garbage")
    with pytest.raises(InputError, match=r"not a readable xlsx workbook"):
        read_azure_migrate(path, Context())


def test_empty_workbook_file_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "AzureMigrate_Discovery_Report.xlsx"
    path.write_bytes(b"")
    with pytest.raises(InputError) as caught:
        read_azure_migrate(path, Context())
    assert str(caught.value) == f"{path}: the file is empty; expected an xlsx workbook"


def test_core_report_as_is_sheet_with_currency_from_properties(
    tmp_path: Path, write_workbook
) -> None:
    header = ["Machine Name", "Environment", "Azure VM Readiness", "Recommended VM Size",
              "Monthly Compute Cost Estimate", "Monthly Storage Cost Estimate", "Operating System",
              "Cores", "Memory (in MB)", "Storage (in GB)", "IP Addresses", "Group Name", "Machine ID"]  # fmt: skip
    row = ["APP07", "Dev", "Ready With Conditions", "Standard_B2ms", 61.32, 4.5, "CentOS 7 (64-bit)",
           2, 4096, 64, "[10.0.7.7];", "AzureVM-Dev-AME-1", "/subscriptions/x/machines/app07"]  # fmt: skip
    path = write_workbook(
        tmp_path / "AzureMigrate_Assessment_Core_Report.xlsx",
        {
            "Properties": [["Tenant ID", "Currency"], ["t", "EUR"]],
            "VM_IaaS_Server_Rehost_As-is": [header, row],
        },
    )
    assert read_azure_migrate(path, Context()).servers == (
        Server(
            id="app07",
            name="APP07",
            os="CentOS 7 (64-bit)",
            cores=2,
            memory_mb=4096,
            storage_gb=64.0,
            environment="Dev",
            ip_addresses=("10.0.7.7",),
            readiness=Readiness.READY_WITH_CONDITIONS,
            extra={
                "recommended_size": "Standard_B2ms",
                "monthly_compute_cost": 61.32,
                "monthly_storage_cost": 4.5,
                "currency": "EUR",
                "machine_id": "/subscriptions/x/machines/app07",
                "assessment_group": "AzureVM-Dev-AME-1",
            },
        ),
    )
