"""Reading Azure Migrate's workbook sheets a column at a time gives exactly what reading them row
by row gives, and leaves to the row-by-row way every sheet with a blank row or a cell it would
have to report."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mbf.domain import Readiness, Server, Workload
from mbf.errors import InputError
from mbf.plugin import Context
from mbf.tabular import Columns, normalise_header
from mbf.workbooks import Workbook
from mbf_azure_migrate import workbooks
from mbf_azure_migrate.exports import read_azure_migrate

CORPUS = Path(__file__).resolve().parents[3] / ".." / "shared" / "corpus" / "azure-migrate-export"

INVENTORY_HEADER = ["Machine Name", "Environment", "Operating System", "Cores", "Memory (in MB)",
                    "Total Disks", "IP Addresses", "Boot Type", "Power Stats", "Machine ID"]  # fmt: skip
CORE_HEADER = ["Machine Name", "Environment", "Azure VM Readiness", "Azure VM Readiness - Warnings",
               "Recommended VM Size", "Monthly Compute Cost Estimate (Pay as you go)",
               "Monthly Storage Cost Estimate", "Operating System", "Cores", "Memory (in MB)",
               "Storage (in GB)", "IP Addresses", "Group Name"]  # fmt: skip
ASSESSED_HEADER = ["Machine", "VM host", "Azure VM readiness", "Azure readiness issues",
                   "Recommended size", "Compute monthly cost EUR", "Storage monthly cost EUR",
                   "Operating system", "Cores", "Memory(MB)", "Storage(GB)", "IP address",
                   "Group name"]  # fmt: skip

Paths = tuple[object, object, dict[str, Workload], dict[str, Workload]]
"""What the column and row readings returned (the column one ``"by row"`` when it deferred),
and the workloads each made."""


def read_both(path: Path) -> Paths:
    """Both readings of the one known sheet of the workbook at ``path``."""
    book = Workbook(path)
    if book.find_sheet(workbooks.INVENTORY_SHEET):
        table = book.table(workbooks.INVENTORY_SHEET)
        cols = Columns.locate(table.header, workbooks._INVENTORY, table=table)
        return _run(
            lambda: workbooks._inventory_by_column(workbooks._Cells(table, cols)),
            lambda: workbooks._inventory_by_row(table, cols),
        )
    if book.find_sheet(workbooks.ASSESSMENT_SHEET):
        table = book.table(workbooks.ASSESSMENT_SHEET)
        cols = Columns.locate(table.header, workbooks._ASSESSMENT, table=table)
        costs = [
            (at, header, match[1], match[2].upper())
            for at, header in enumerate(table.header)
            if (match := workbooks._MONTHLY_COST.match(normalise_header(header)))
        ]
        return _run(
            lambda found: workbooks._assessment_by_column(
                workbooks._Cells(table, cols), costs, found
            ),
            lambda found: workbooks._assessment_by_row(table, cols, costs, found),
            workloads=True,
        )
    sheet = next(s for n in workbooks.CORE_REPORT_SHEETS if (s := book.find_sheet(n)))
    table = book.table(sheet)
    cols = Columns.locate(table.header, workbooks._CORE_REPORT, table=table)
    currency = workbooks._currency(book)
    return _run(
        lambda found: workbooks._core_report_by_column(
            workbooks._Cells(table, cols), currency, found
        ),
        lambda found: workbooks._core_report_by_row(table, cols, currency, found),
        workloads=True,
    )


def _run(
    by_column: Callable[..., Any], by_row: Callable[..., Any], *, workloads: bool = False
) -> Paths:
    column_workloads: dict[str, Workload] = {}
    row_workloads: dict[str, Workload] = {}
    try:
        column = by_column(column_workloads) if workloads else by_column()
    except workbooks._ByRow:
        column = "by row"
    row = by_row(row_workloads) if workloads else by_row()
    return column, row, column_workloads, row_workloads


def test_inventory_columns_read_what_rows_read(tmp_path: Path, write_workbook) -> None:
    path = write_workbook(tmp_path / "AzureMigrate_Discovery_Report.xlsx", {"Discovery_Report": [
        INVENTORY_HEADER,
        ["WEB01", "Prod", "Ubuntu Linux (64-bit)", 2.0, 4096.0, 1.0,
         "[fd00::1,10.0.0.1,fd00::1];", "BIOS", "ON", "/machines/web01"],
        ["db01.contoso.local", "", " RHEL 8 ", "4", "16,384", "", "[];", "", "OFF", ""],
        ["app01", "Dev", "Windows", 8, 8192, 2, "10.0.0.3; 10.0.0.4", "UEFI", "ON", "/m/app01"],
    ]})  # fmt: skip
    column, row, _, _ = read_both(path)
    assert column == row == [
        Server(id="web01", name="WEB01", os="Ubuntu Linux (64-bit)", cores=2, memory_mb=4096,
               environment="Prod", ip_addresses=("fd00::1", "10.0.0.1"),
               extra={"machine_id": "/machines/web01", "power_state": "ON", "boot_type": "BIOS",
                      "disks": 1}),
        Server(id="db01", name="db01.contoso.local", os="RHEL 8", cores=4, memory_mb=16384,
               extra={"power_state": "OFF"}),
        Server(id="app01", name="app01", os="Windows", cores=8, memory_mb=8192,
               environment="Dev", ip_addresses=("10.0.0.3", "10.0.0.4"),
               extra={"machine_id": "/m/app01", "power_state": "ON", "boot_type": "UEFI",
                      "disks": 2}),
    ]  # fmt: skip


def test_core_report_columns_read_what_rows_read(tmp_path: Path, write_workbook) -> None:
    path = write_workbook(tmp_path / "AzureMigrate_Assessment_Core_Report.xlsx", {
        "Properties": [["Tenant ID", "Currency"], ["t", "EUR"]],
        "All_VM_IaaS_Server_Rehost_Perf": [
            CORE_HEADER,
            ["APP01", "Prod", "Ready", "NotApplicable", "Standard_D2as_v5", 70.5, 9.25,
             "Windows Server 2019", 2, 4096, 128, "[10.0.0.1];", "AzureVM-Prod-AME-1"],
            ["APP02", "Prod", "Ready with conditions", "Guest OS unknown;Boot type\nNotApplicable",
             "", "", 4.5, "CentOS 7", 4, 8192, 64.5, "[];", "Payroll"],
            ["APP03", "Dev", "Not Ready", "UnsupportedOperatingSystem", "Standard_B2ms", "61.25",
             0, "Windows Server 2003", 1, 2048, 40, "", "payroll"],
        ],
    })  # fmt: skip
    column, row, column_workloads, row_workloads = read_both(path)
    assert column == row == [
        Server(id="app01", name="APP01", os="Windows Server 2019", cores=2, memory_mb=4096,
               storage_gb=128.0, environment="Prod", ip_addresses=("10.0.0.1",),
               readiness=Readiness.READY,
               extra={"recommended_size": "Standard_D2as_v5", "monthly_compute_cost": 70.5,
                      "monthly_storage_cost": 9.25, "currency": "EUR",
                      "assessment_group": "AzureVM-Prod-AME-1"}),
        Server(id="app02", name="APP02", os="CentOS 7", cores=4, memory_mb=8192,
               storage_gb=64.5, environment="Prod", readiness=Readiness.READY_WITH_CONDITIONS,
               blockers=("Guest OS unknown", "Boot type"), workload_ids=("payroll",),
               extra={"monthly_storage_cost": 4.5, "currency": "EUR",
                      "assessment_group": "Payroll"}),
        Server(id="app03", name="APP03", os="Windows Server 2003", cores=1, memory_mb=2048,
               storage_gb=40.0, environment="Dev", readiness=Readiness.NOT_READY,
               blockers=("UnsupportedOperatingSystem",), workload_ids=("payroll",),
               extra={"recommended_size": "Standard_B2ms", "monthly_compute_cost": 61.25,
                      "monthly_storage_cost": 0.0, "currency": "EUR",
                      "assessment_group": "payroll"}),
    ]  # fmt: skip
    # The first spelling of a group names its workload, whichever way the sheet is read.
    assert column_workloads == row_workloads == {
        "payroll": Workload(id="payroll", name="Payroll", reason="Azure Migrate assessment group Payroll")
    }  # fmt: skip


def test_assessment_columns_read_what_rows_read(tmp_path: Path, write_workbook) -> None:
    path = write_workbook(tmp_path / "assessment.xlsx", {"All_Assessed_Machines": [
        ASSESSED_HEADER,
        ["PAY01", "esx01", "Ready For Azure", "", "Standard_D2s_v3", 70.08, 5.28, "Windows",
         2, 8192, 127, "[172.21.12.27,fe80::1];", "Payroll"],
        ["PAY02", "", "Unknown Readiness", "", "", "", "", "Ubuntu", 2, 4096, "", "", ""],
    ]})  # fmt: skip
    column, row, column_workloads, row_workloads = read_both(path)
    assert column == row == [
        Server(id="pay01", name="PAY01", os="Windows", cores=2, memory_mb=8192, storage_gb=127.0,
               ip_addresses=("172.21.12.27", "fe80::1"), readiness=Readiness.READY,
               workload_ids=("payroll",),
               extra={"recommended_size": "Standard_D2s_v3", "vm_host": "esx01",
                      "assessment_group": "Payroll", "monthly_compute_cost": 70.08,
                      "monthly_storage_cost": 5.28, "currency": "EUR"}),
        Server(id="pay02", name="PAY02", os="Ubuntu", cores=2, memory_mb=4096,
               extra={"currency": "EUR"}),
    ]  # fmt: skip
    assert list(column_workloads) == list(row_workloads) == ["payroll"]


@pytest.mark.parametrize(
    "name", ["AzureMigrate_Discovery_Report.xlsx", "AzureMigrate_Assessment_Core_Report.xlsx"]
)
def test_corpus_sheets_are_read_by_column_as_by_row(name: str) -> None:
    column, row, column_workloads, row_workloads = read_both(CORPUS / name)
    assert column != "by row"
    assert column == row
    assert len(row) == 294  # type: ignore[arg-type]
    assert column_workloads == row_workloads == {}


def inventory_with(tmp_path: Path, write_workbook, second: list[object]) -> Path:
    return write_workbook(tmp_path / "AzureMigrate_Discovery_Report.xlsx", {"Discovery_Report": [
        INVENTORY_HEADER,
        ["WEB01", "Prod", "Ubuntu", 2, 4096, 1, "[10.0.0.1];", "BIOS", "ON", "/m/web01"],
        second,
        ["WEB03", "Prod", "Ubuntu", 2, 4096, 1, "[10.0.0.3];", "BIOS", "ON", "/m/web03"],
    ]})  # fmt: skip


def test_a_blank_row_is_left_to_the_row_by_row_reading(tmp_path: Path, write_workbook) -> None:
    path = inventory_with(tmp_path, write_workbook, [""] * len(INVENTORY_HEADER))
    column, row, _, _ = read_both(path)
    assert column == "by row"
    assert [server.id for server in row] == ["web01", "web03"]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("column", "cell", "message"),
    [
        ("Cores", "2 vCPU", "expected a number, found '2 vCPU'"),
        ("Memory (in MB)", 4096.5, "expected a whole number, found '4096.5'"),
        ("Total Disks", True, "expected a number, found True"),
        ("Machine Name", "", "the machine name is empty"),
    ],
)
def test_a_bad_cell_is_reported_by_row_and_column(
    tmp_path: Path, write_workbook, column: str, cell: object, message: str
) -> None:
    second: list[object] = ["WEB02", "Prod", "Ubuntu", 2, 4096, 1, "[10.0.0.2];", "BIOS", "ON", ""]
    second[INVENTORY_HEADER.index(column)] = cell
    path = inventory_with(tmp_path, write_workbook, second)
    table = Workbook(path).table(workbooks.INVENTORY_SHEET)
    with pytest.raises(workbooks._ByRow):
        workbooks._inventory_by_column(
            workbooks._Cells(table, Columns.locate(table.header, workbooks._INVENTORY))
        )
    with pytest.raises(InputError) as caught:
        read_azure_migrate(path, Context())
    assert str(caught.value) == f"{path} [Discovery_Report], row 3, column '{column}': {message}"
