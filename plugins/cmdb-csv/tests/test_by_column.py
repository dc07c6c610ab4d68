"""Reading a CMDB CSV a column at a time gives exactly what reading it row by row gives, and
leaves to the row-by-row way every file with a row to report or to warn about."""

from __future__ import annotations

from pathlib import Path

import pytest

from mbf.domain import Datacenter, MigrationStrategy, Server, Workload
from mbf.plugin import Context
from mbf.tabular import Columns, read_csv_table
from mbf_cmdb_csv.reader import _read_by_column, _read_row_by_row, _specs
from mbf_cmdb_csv.settings import DEFAULT_HEADERS, CmdbSettings

HEADER = "Name,Application,Site,Environment,Owner,Strategy,Cores,Memory (MB),Storage (GB),IP,OS"
ROWS = [
    "web01.contoso.local,Payroll; HR,Amsterdam 1,Production,Alice,Rehost,2,4096,100.5,10.0.0.1,Linux",
    "db01,Payroll,Amsterdam 1,Production,,,4,8192,,10.0.0.2 10.0.0.3,",
    "tool01,,!!!,Test,Bob,,,,,,",
]


def read_both(tmp_path: Path, lines: list[str]) -> tuple[object, object]:
    path = tmp_path / "cmdb.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    settings = CmdbSettings(columns={"datacenter": "Site", "ip_addresses": "IP"})
    specs = _specs(settings)
    header_of = {field: spec.name for field, spec in zip(DEFAULT_HEADERS, specs, strict=True)}
    table = read_csv_table(path)
    cols = Columns.locate(table.header, specs, table=table)
    context = Context(settings=settings)
    return (
        _read_by_column(table, cols, header_of, settings),
        _read_row_by_row(read_csv_table(path), cols, header_of, settings, context),
    )


def test_columns_read_what_rows_read(tmp_path: Path) -> None:
    by_column, by_row = read_both(tmp_path, [HEADER, *ROWS])
    assert by_column == by_row
    assert by_column == (
        [
            Server(
                id="web01",
                name="web01.contoso.local",
                datacenter_id="amsterdam-1",
                os="Linux",
                cores=2,
                memory_mb=4096,
                storage_gb=100.5,
                environment="Production",
                ip_addresses=("10.0.0.1",),
                workload_ids=("payroll", "hr"),
            ),
            Server(
                id="db01",
                name="db01",
                datacenter_id="amsterdam-1",
                cores=4,
                memory_mb=8192,
                environment="Production",
                ip_addresses=("10.0.0.2", "10.0.0.3"),
                workload_ids=("payroll",),
            ),
            Server(id="tool01", name="tool01", environment="Test"),
        ],
        {
            "payroll": Workload(
                id="payroll",
                name="Payroll",
                owner="Alice",
                strategy=MigrationStrategy.REHOST,
                reason="CMDB application Payroll",
            ),
            "hr": Workload(id="hr", name="HR", owner="Alice", reason="CMDB application HR"),
        },
        {
            "amsterdam-1": Datacenter(id="amsterdam-1", name="Amsterdam 1"),
            "": Datacenter(id="", name="!!!"),
        },
    )


@pytest.mark.parametrize(
    "row",
    [
        ",Payroll,,,,,,,,,",  # no server name
        "x,Payroll,,,Carol,,,,,,",  # another owner for Payroll: a warning names this row
        "x,Payroll,,,,retire,,,,,",  # another strategy for Payroll
        "x,,,,,someday,,,,,",  # an unknown strategy
        "x,,,,,,two,,,,",
        "x,,,,,,,,lots,,",
        "x,,",  # a short row
        ",,,,,,,,,,",  # a blank row
    ],
)
def test_a_row_to_report_is_left_to_the_row_by_row_way(tmp_path: Path, row: str) -> None:
    path = tmp_path / "cmdb.csv"
    path.write_text("\n".join([HEADER, ROWS[0], row]) + "\n", encoding="utf-8")
    settings = CmdbSettings(columns={"datacenter": "Site", "ip_addresses": "IP"})
    specs = _specs(settings)
    header_of = {field: spec.name for field, spec in zip(DEFAULT_HEADERS, specs, strict=True)}
    table = read_csv_table(path)
    cols = Columns.locate(table.header, specs, table=table)
    assert _read_by_column(table, cols, header_of, settings) is None
