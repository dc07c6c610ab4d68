"""The agentless dependency export: both header shapes, slots aggregated, blank names by address."""

from __future__ import annotations

from pathlib import Path

import pytest

from mbf.domain import Dependency, Server
from mbf.errors import InputError
from mbf.plugin import Context
from mbf_azure_migrate.exports import ExportKind, export_kind, read_azure_migrate
from mbf_azure_migrate.plugin import mbf_discovery_sources

CLASSIC_HEADER = (
    "Time slot,Source server name,Source IP,Source application,Source process,"
    "Destination server name,Destination IP,Destination application,Destination process,Destination port"
)
CLASSIC_ROWS = [
    "7/28/2026 00:00-06:00,WEB01,10.1.0.11,IIS,w3wp.exe,DB01,10.1.0.21,SQL Server,sqlservr.exe,1433",
    "7/28/2026 06:00-12:00,WEB01,10.1.0.11,IIS,w3wp.exe,DB01,10.1.0.21,SQL Server,sqlservr.exe,1433",
    "7/28/2026 12:00-18:00,WEB01,10.1.0.11,IIS,w3wp.exe,DB01,10.1.0.21,SQL Server,sqlservr.exe,1433",
    "7/28/2026 12:00-18:00,WEB01,10.1.0.11,IIS,w3wp.exe,,10.1.0.99,,,443",
    "7/28/2026 18:00-00:00,WEB01,10.1.0.11,IIS,w3wp.exe,,10.1.0.99,,,443",
    "7/28/2026 18:00-00:00,,10.9.9.9,,,WEB01,10.1.0.11,IIS,Unknown process,80",
]
NEW_HEADER = (
    "Date,Source Appliance Name,Source Machine ARM ID,Source Server Name,Source IP,Source Application,"
    "Source Process,Destination Machine ARM ID,Destination Server Name,Destination IP,"
    "Destination Application,Destination Process,Destination Port,Connection Count"
)
NEW_ROWS = [
    "2026-07-28,app01,/subscriptions/x/machines/web01,WEB01,10.1.0.11,IIS,w3wp.exe,"
    "/subscriptions/x/machines/db01,DB01,10.1.0.21,SQL Server,sqlservr.exe,1433,120",
    "2026-07-29,app01,/subscriptions/x/machines/web01,WEB01,10.1.0.11,IIS,w3wp.exe,"
    "/subscriptions/x/machines/db01,DB01,10.1.0.21,SQL Server,sqlservr.exe,1433,80",
    "2026-07-29,app01,/subscriptions/x/machines/web01,web01.contoso.local,10.1.0.11,IIS,w3wp.exe,"
    ",,10.1.0.99,,,443,7",
]


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_classic_shape_aggregates_six_hour_slots_into_weights(tmp_path: Path) -> None:
    estate = read_azure_migrate(
        write(tmp_path / "deps.csv", [CLASSIC_HEADER, *CLASSIC_ROWS]), Context()
    )
    assert estate.dependencies == (
        Dependency(source_id="ip:10.9.9.9", target_id="web01", port=80, weight=1),
        Dependency(
            source_id="web01", target_id="db01", port=1433, process="sqlservr.exe", weight=3
        ),
        Dependency(source_id="web01", target_id="ip:10.1.0.99", port=443, weight=2),
    )
    assert estate.sources[0].records == 6


def test_named_endpoints_become_servers_with_their_addresses(tmp_path: Path) -> None:
    estate = read_azure_migrate(
        write(tmp_path / "deps.csv", [CLASSIC_HEADER, *CLASSIC_ROWS]), Context()
    )
    assert estate.servers == (
        Server(id="db01", name="DB01", ip_addresses=("10.1.0.21",)),
        Server(id="web01", name="WEB01", ip_addresses=("10.1.0.11",)),
    )


def test_newer_shape_sums_connection_counts(tmp_path: Path) -> None:
    estate = read_azure_migrate(write(tmp_path / "deps.csv", [NEW_HEADER, *NEW_ROWS]), Context())
    assert estate.dependencies == (
        Dependency(
            source_id="web01", target_id="db01", port=1433, process="sqlservr.exe", weight=200
        ),
        Dependency(source_id="web01", target_id="ip:10.1.0.99", port=443, weight=7),
    )
    assert [s.name for s in estate.servers] == ["DB01", "WEB01"]


def test_documented_shape_without_source_ip_reads(tmp_path: Path) -> None:
    header = (
        "Timeslot,Source server name,Source application,Source process,Destination server name,"
        "Destination IP,Destination application,Destination process,Destination port"
    )
    row = "7/28/2026 00:00-06:00,WEB01,IIS,w3wp.exe,DB01,10.1.0.21,SQL Server,sqlservr.exe,1433"
    estate = read_azure_migrate(write(tmp_path / "deps.csv", [header, row, row]), Context())
    assert estate.dependencies == (
        Dependency(
            source_id="web01", target_id="db01", port=1433, process="sqlservr.exe", weight=2
        ),
    )


def test_non_numeric_port_names_the_first_row_of_that_flow(tmp_path: Path) -> None:
    bad = CLASSIC_ROWS[0].replace(",1433", ",sql")
    path = write(tmp_path / "deps.csv", [CLASSIC_HEADER, CLASSIC_ROWS[3], bad, bad])
    with pytest.raises(InputError) as caught:
        read_azure_migrate(path, Context())
    assert (
        str(caught.value)
        == f"{path}, row 3, column 'Destination port': expected a number, found 'sql'"
    )


def test_missing_destination_port_column_is_refused(tmp_path: Path) -> None:
    header = CLASSIC_HEADER.removesuffix(",Destination port")
    path = write(tmp_path / "deps.csv", [header, "x,WEB01,10.1.0.11,,,DB01,10.1.0.21,,"])
    with pytest.raises(InputError) as caught:
        read_azure_migrate(path, Context())
    assert (
        str(caught.value) == f"{path}, row 1, column 'Destination port': missing mandatory column"
    )


def test_header_only_dependency_export_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "deps.csv", [CLASSIC_HEADER])
    with pytest.raises(InputError, match=r"the dependency export has a header but no rows"):
        read_azure_migrate(path, Context())


def test_csv_kinds_are_detected_from_the_header(tmp_path: Path) -> None:
    classic = write(tmp_path / "a.csv", [CLASSIC_HEADER])
    newer = write(tmp_path / "b.csv", [NEW_HEADER])
    imported = write(tmp_path / "c.csv", ["*Server Name,*Cores,*Memory (In MB),*OS name"])
    other = write(tmp_path / "d.csv", ["Name,Owner"])
    assert [export_kind(p) for p in (classic, newer, imported, other)] == [
        ExportKind.DEPENDENCIES,
        ExportKind.DEPENDENCIES,
        ExportKind.IMPORT_CSV,
        None,
    ]


def test_the_plugin_registers_one_azure_migrate_source() -> None:
    (source,) = mbf_discovery_sources()
    assert (source.name, source.aliases) == ("azure-migrate", ("azmigrate",))


def test_ports_re_saved_by_excel_as_decimals_read(tmp_path: Path) -> None:
    rows = [row.replace(",1433", ",1433.0") for row in CLASSIC_ROWS[:3]]
    estate = read_azure_migrate(write(tmp_path / "deps.csv", [CLASSIC_HEADER, *rows]), Context())
    assert estate.dependencies == (
        Dependency(
            source_id="web01", target_id="db01", port=1433, process="sqlservr.exe", weight=3
        ),
    )


@pytest.mark.parametrize(
    ("counts", "weight"),
    [
        (("120", "80", "7"), 207),  # plain integers: added up before the flows
        (("120", "80.0", "7"), 207),  # re-saved by Excel: each count read on its own
        (("120", "", "7"), 128),  # a blank count is one slot
        (("0", "80", "-1"), 79),
    ],
)
def test_connection_counts_weigh_their_rows_however_they_are_spelled(
    tmp_path: Path, counts: tuple[str, str, str], weight: int
) -> None:
    rows = [
        f"2026-07-2{day},app01,,WEB01,10.1.0.11,IIS,w3wp.exe,,DB01,10.1.0.21,SQL,sqlservr.exe,1433,{count}"
        for day, count in enumerate(counts)
    ]
    estate = read_azure_migrate(write(tmp_path / "deps.csv", [NEW_HEADER, *rows]), Context())
    assert estate.dependencies == (
        Dependency(
            source_id="web01", target_id="db01", port=1433, process="sqlservr.exe", weight=weight
        ),
    )
    assert estate.sources[0].records == 3


def test_a_bad_connection_count_names_the_first_row_of_its_flow(tmp_path: Path) -> None:
    good = "2026-07-28,app01,,WEB01,10.1.0.11,IIS,w3wp.exe,,DB01,10.1.0.21,SQL,sqlservr.exe,1433,"
    rows = [good + "5", good.replace("2026-07-28", "2026-07-29") + "many", good + "many"]
    path = write(tmp_path / "deps.csv", [NEW_HEADER, *rows])
    with pytest.raises(InputError) as caught:
        read_azure_migrate(path, Context())
    assert (
        str(caught.value)
        == f"{path}, row 3, column 'Connection Count': expected a number, found 'many'"
    )
