"""`mbf discover EXPORT... [--source NAME] [-c mbf.toml] -o estate.json`."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from mbf.engine import discovery, export_reading
from mbf.engine.export_reading import ReadOne
from mbf.plugin import Context
from mbf.plugin.manager import MbfPluginManager
from mbf.serialization import read_estate

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "azure-migrate-export"


def test_discover_writes_the_estate_and_summarises_it(
    discovery_plugins: MbfPluginManager, mbf_cli, three_exports: list[Path], tmp_path: Path
) -> None:
    output = tmp_path / "out" / "estate.json"
    result = mbf_cli("discover", *map(str, three_exports), "-o", str(output))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"  {three_exports[0].as_posix()} (rvtools): 3 records",
        f"  {three_exports[1].as_posix()} (azure-migrate): 2 records",
        f"  {three_exports[2].as_posix()} (cmdb-csv): 2 records",
        f"  {three_exports[3].as_posix()} (azure-migrate): 5 records",
        f"Discovered 4 servers, 2 workloads, 4 dependencies in 1 datacenters -> {output}",
    ]
    estate = read_estate(output)
    assert [s.id for s in estate.servers] == ["batch01", "db01", "dc01", "web01"]
    assert "Warning: cores differs on 1 server(s)" in result.stderr


def test_discover_writes_the_same_bytes_every_time(
    discovery_plugins: MbfPluginManager, mbf_cli, three_exports: list[Path], tmp_path: Path
) -> None:
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    for output in (first, second):
        assert mbf_cli("discover", *map(str, three_exports), "-o", str(output)).exit_code == 0
    assert first.read_bytes() == second.read_bytes()


def test_corpus_discovery_report_through_the_command(
    discovery_plugins: MbfPluginManager, mbf_cli, tmp_path: Path
) -> None:
    output = tmp_path / "estate.json"
    result = mbf_cli(
        "discover", str(CORPUS / "AzureMigrate_Discovery_Report.xlsx"), "-o", str(output)
    )
    assert result.exit_code == 0, result.output
    document = json.loads(output.read_text(encoding="utf-8"))
    assert (document["format"], len(document["servers"]), len(document["workloads"])) == (
        "mbf-estate",
        294,
        294,
    )


def test_bad_cell_exits_1_naming_file_row_and_column_and_writes_nothing(
    discovery_plugins: MbfPluginManager, mbf_cli, three_exports: list[Path], tmp_path: Path
) -> None:
    bad = tmp_path / "AzureMigrate_Bad.csv"
    bad.write_text(
        "*Server Name,*Cores,*Memory (In MB),*OS name\nweb01,2,4096,Windows\nweb02,two,4096,Windows\n"
    )
    output = tmp_path / "estate.json"
    result = mbf_cli("discover", str(three_exports[0]), str(bad), "-o", str(output))
    assert (result.exit_code, result.stderr.splitlines()[-1]) == (
        1,
        f"Error: {bad}, row 3, column '*Cores': expected a number, found 'two'",
    )
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".json") == []


def test_corrupt_workbook_exits_1(
    discovery_plugins: MbfPluginManager, mbf_cli, tmp_path: Path
) -> None:
    bad = tmp_path / "RVTools_export.xlsx"
    bad.write_bytes(b"PK\x03\x04 truncated")
    result = mbf_cli("discover", str(bad), "-o", str(tmp_path / "estate.json"))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {bad}: not a readable xlsx workbook")
    assert not (tmp_path / "estate.json").exists()


def test_unknown_file_exits_1_and_names_the_flag(
    discovery_plugins: MbfPluginManager, mbf_cli, tmp_path: Path
) -> None:
    notes = tmp_path / "notes.csv"
    notes.write_text("Name,Owner\nweb01,Alice\n", encoding="utf-8")
    result = mbf_cli("discover", str(notes), "-o", str(tmp_path / "estate.json"))
    assert (result.exit_code, result.stderr) == (
        1,
        f"Error: {notes}: no discovery source recognises this file; pass --source NAME "
        "(available: azure-migrate, cmdb-csv, rvtools)\n",
    )


def test_source_flag_reads_a_file_detection_would_not(
    discovery_plugins: MbfPluginManager, mbf_cli, tmp_path: Path
) -> None:
    notes = tmp_path / "servers.csv"
    notes.write_text("Name,Application\nweb01,Intranet\n", encoding="utf-8")
    output = tmp_path / "estate.json"
    result = mbf_cli("discover", str(notes), "--source", "cmdb-csv", "-o", str(output))
    assert result.exit_code == 0, result.output
    assert [w.id for w in read_estate(output).workloads] == ["intranet"]


def test_config_sources_with_a_cmdb_column_map_and_datacenter_rules(
    discovery_plugins: MbfPluginManager, mbf_cli, tmp_path: Path
) -> None:
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "assets.csv").write_text(
        "CI Name,Business Service,Site,IP\npay01,Payroll,,10.20.0.4\nhr01,HR,Rotterdam,10.30.0.9\n",
        encoding="utf-8",
    )
    config = tmp_path / "mbf.toml"
    config.write_text(
        """
[[datacenters]]
id = "ams1"
name = "Amsterdam 1"
lease_end = 2027-09-30

[[datacenters]]
id = "rtm1"
name = "Rotterdam"

[discovery]
hub_fan_in = 10
datacenter_rules = [{ datacenter = "ams1", ip_range = "10.20.0.0/16" }]

[[sources]]
path = "exports/assets.csv"
source = "cmdb-csv"
options.columns = { name = "CI Name", application = "Business Service", datacenter = "Site", ip_addresses = "IP" }
""",
        encoding="utf-8",
    )
    output = tmp_path / "estate.json"
    result = mbf_cli("discover", "-c", str(config), "-o", str(output))
    assert result.exit_code == 0, result.output
    estate = read_estate(output)
    assert [(s.id, s.datacenter_id, s.workload_ids) for s in estate.servers] == [
        ("hr01", "rtm1", ("hr",)),
        ("pay01", "ams1", ("payroll",)),
    ]
    assert [(d.id, str(d.lease_end)) for d in estate.datacenters] == [
        ("ams1", "2027-09-30"),
        ("rtm1", "None"),
    ]
    assert estate.sources[0].path == "exports/assets.csv"


def test_bad_source_options_exit_1(
    discovery_plugins: MbfPluginManager, mbf_cli, tmp_path: Path
) -> None:
    (tmp_path / "cmdb.csv").write_text("Name\nsrv01\n", encoding="utf-8")
    config = tmp_path / "mbf.toml"
    config.write_text(
        '[[sources]]\npath = "cmdb.csv"\noptions.columns = { host = "Name" }\n', encoding="utf-8"
    )
    result = mbf_cli("discover", "-c", str(config), "-o", str(tmp_path / "estate.json"))
    assert result.exit_code == 1
    assert "unknown field(s) host in columns" in result.stderr


def test_no_export_and_no_config_is_a_usage_error(
    discovery_plugins: MbfPluginManager, mbf_cli, tmp_path: Path
) -> None:
    result = mbf_cli("discover", "-o", str(tmp_path / "estate.json"))
    assert (result.exit_code, result.stderr.splitlines()[-1]) == (
        2,
        "Error: name at least one EXPORT, or a config (-c) with [[sources]]",
    )


def test_empty_file_exits_1_before_detection(
    discovery_plugins: MbfPluginManager, mbf_cli, tmp_path: Path
) -> None:
    empty = tmp_path / "export.csv"
    empty.write_bytes(b"")
    result = mbf_cli("discover", str(empty), "-o", str(tmp_path / "estate.json"))
    assert (result.exit_code, result.stderr) == (
        1,
        f"Error: {empty.as_posix()}: the file is empty; expected a discovery export\n",
    )
    assert not (tmp_path / "estate.json").exists()


def test_missing_config_source_file_exits_1(
    discovery_plugins: MbfPluginManager, mbf_cli, tmp_path: Path
) -> None:
    config = tmp_path / "mbf.toml"
    config.write_text('[[sources]]\npath = "exports/gone.csv"\n', encoding="utf-8")
    result = mbf_cli("discover", "-c", str(config), "-o", str(tmp_path / "estate.json"))
    assert (result.exit_code, result.stderr) == (1, "Error: exports/gone.csv: no such file\n")


def test_no_parallel_reads_in_this_process_and_writes_the_same_estate(
    discovery_plugins: MbfPluginManager,
    mbf_cli,
    three_exports: list[Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Every size of exports is worth a worker here, and each start of one is noted.
    monkeypatch.setattr(export_reading, "MIN_PARALLEL_BYTES", 0)
    workers: list[int] = []

    class Noted(export_reading.ParallelReading):
        def __init__(
            self, read_one: ReadOne, count: int, context: Context, *, worker_from: int,
            hold_dependencies: bool = False,
        ) -> None:  # fmt: skip
            workers.append(worker_from)
            super().__init__(
                read_one, count, context, worker_from=worker_from,
                hold_dependencies=hold_dependencies,
            )  # fmt: skip

    monkeypatch.setattr(discovery, "ParallelReading", Noted)
    parallel, one_by_one = tmp_path / "parallel.json", tmp_path / "one-by-one.json"
    exports = list(map(str, three_exports))
    assert mbf_cli("discover", *exports, "-o", str(parallel)).exit_code == 0
    # the RVTools export holds half of the bytes: the worker's share starts after it
    started = [1] if len(os.sched_getaffinity(0)) > 1 else []
    assert workers == started
    assert mbf_cli("discover", *exports, "--no-parallel", "-o", str(one_by_one)).exit_code == 0
    assert workers == started  # no second worker
    assert one_by_one.read_bytes() == parallel.read_bytes()
