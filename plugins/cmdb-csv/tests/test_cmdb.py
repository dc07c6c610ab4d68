"""The cmdb-csv source: any CSV, its columns mapped by the options of a [[sources]] entry."""

from __future__ import annotations

from pathlib import Path

import pytest

from mbf.config import plugin_settings
from mbf.domain import Datacenter, MigrationStrategy, Server, Workload
from mbf.errors import ConfigError, InputError
from mbf.plugin import Context
from mbf_cmdb_csv.plugin import mbf_discovery_sources
from mbf_cmdb_csv.reader import read_cmdb
from mbf_cmdb_csv.settings import CmdbSettings

MAPPED = CmdbSettings(
    columns={
        "name": "CI Name",
        "application": "Business Service",
        "datacenter": "Location",
        "environment": "Env",
        "owner": "Service Owner",
        "criticality": "Tier",
        "ip_addresses": "IP",
    }
)


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_text(text, encoding=encoding)
    return path


def test_mapped_columns_give_servers_workloads_and_datacenters(tmp_path: Path) -> None:
    path = write(
        tmp_path / "cmdb.csv",
        "CI Name,Business Service,Location,Env,Service Owner,Tier,IP\n"
        "PAYWEB01.corp.example,Payroll,Amsterdam 1,Production,Alice,Tier 1,10.1.0.11\n"
        "PAYDB01.corp.example,Payroll,Amsterdam 1,Production,Alice,Tier 1,10.1.0.21; 10.1.0.22\n"
        "HRAPP01,HR Portal,Rotterdam,Test,Bob,Tier 3,\n",
    )
    estate = read_cmdb(path, Context(settings=MAPPED))
    assert estate.servers == (
        Server(
            id="payweb01",
            name="PAYWEB01.corp.example",
            datacenter_id="amsterdam-1",
            environment="Production",
            ip_addresses=("10.1.0.11",),
            workload_ids=("payroll",),
        ),
        Server(
            id="paydb01",
            name="PAYDB01.corp.example",
            datacenter_id="amsterdam-1",
            environment="Production",
            ip_addresses=("10.1.0.21", "10.1.0.22"),
            workload_ids=("payroll",),
        ),
        Server(
            id="hrapp01",
            name="HRAPP01",
            datacenter_id="rotterdam",
            environment="Test",
            workload_ids=("hr-portal",),
        ),
    )
    assert estate.workloads == (
        Workload(
            id="hr-portal",
            name="HR Portal",
            owner="Bob",
            criticality="Tier 3",
            reason="CMDB application HR Portal",
        ),
        Workload(
            id="payroll",
            name="Payroll",
            owner="Alice",
            criticality="Tier 1",
            reason="CMDB application Payroll",
        ),
    )
    assert estate.datacenters == (
        Datacenter(id="amsterdam-1", name="Amsterdam 1"),
        Datacenter(id="rotterdam", name="Rotterdam"),
    )


def test_unmapped_fields_are_found_under_their_usual_headers(tmp_path: Path) -> None:
    path = write(
        tmp_path / "cmdb.csv",
        "Hostname;Application;Environment;Cores;Memory (MB);Storage (GB);Strategy\nsrv01;Intranet;dev;2;4096;80,5;Retire\n",
        "utf-8-sig",
    )
    estate = read_cmdb(path, Context())
    assert estate.servers == (
        Server(
            id="srv01",
            name="srv01",
            environment="dev",
            cores=2,
            memory_mb=4096,
            storage_gb=80.5,
            workload_ids=("intranet",),
        ),
    )
    assert estate.workloads[0].strategy is MigrationStrategy.RETIRE


def test_several_applications_in_one_cell(tmp_path: Path) -> None:
    path = write(tmp_path / "cmdb.csv", "Name,Application\nsql01,Payroll; HR Portal\n")
    assert read_cmdb(path, Context()).servers[0].workload_ids == ("payroll", "hr-portal")


def test_differing_owner_of_one_application_is_reported_and_the_first_kept(tmp_path: Path) -> None:
    path = write(
        tmp_path / "cmdb.csv", "Name,Application,Owner\na,Payroll,Alice\nb,Payroll,Carol\n"
    )
    context = Context()
    estate = read_cmdb(path, context)
    assert estate.workloads[0].owner == "Alice"
    assert context.diagnostics.warnings == [
        f"{path}, row 3: application 'Payroll' has owner 'Carol', an earlier row 'Alice'; kept 'Alice'"
    ]


def test_a_mapped_column_missing_from_the_file_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "cmdb.csv", "CI Name,Location,IP\nsrv01,AMS,10.0.0.1\n")
    with pytest.raises(InputError) as caught:
        read_cmdb(path, Context(settings=MAPPED))
    assert (
        str(caught.value) == f"{path}, row 1, column 'Business Service': missing mandatory column"
    )


def test_non_numeric_cores_names_row_and_column(tmp_path: Path) -> None:
    path = write(tmp_path / "cmdb.csv", "Name,Cores\nsrv01,2\nsrv02,many\n")
    with pytest.raises(InputError) as caught:
        read_cmdb(path, Context())
    assert str(caught.value) == f"{path}, row 3, column 'Cores': expected a number, found 'many'"


def test_unknown_strategy_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "cmdb.csv", "Name,Application,Strategy\nsrv01,App,lift-and-pray\n")
    with pytest.raises(
        InputError, match=r"row 2, column 'Strategy': unknown strategy 'lift-and-pray'"
    ):
        read_cmdb(path, Context())


def test_empty_file_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "cmdb.csv", "")
    with pytest.raises(InputError, match=r"cmdb.csv: the file is empty; expected a header row"):
        read_cmdb(path, Context())


def test_options_with_an_unknown_field_are_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"unknown field\(s\) hostname in columns"):
        plugin_settings({"columns": {"hostname": "Host"}}, CmdbSettings, origin="mbf.toml")


def test_options_with_an_unknown_key_are_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"unknown key colums"):
        plugin_settings({"colums": {}}, CmdbSettings, origin="mbf.toml")


def test_the_plugin_registers_the_source_with_its_settings_type() -> None:
    (source,) = mbf_discovery_sources()
    assert (source.name, source.default_filenames, source.settings_type) == (
        "cmdb-csv",
        ("*cmdb*.csv",),
        CmdbSettings,
    )
