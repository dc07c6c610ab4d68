"""Discovery end to end: several exports, each naming servers its own way, become one estate."""

from __future__ import annotations

from pathlib import Path

import pytest

from mbf.config import DatacenterRule, DiscoveryConfig, MbfConfig
from mbf.domain import Datacenter, Dependency, Readiness, Server, Workload
from mbf.engine.discovery import Export, discover
from mbf.errors import ConfigError, FormatNotFoundError
from mbf.plugin import Context, DiscoverySource, hookimpl
from mbf.plugin.manager import MbfPluginManager

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "azure-migrate-export"


def exports(paths: list[Path]) -> list[Export]:
    return [Export(path=p, display=p.name) for p in paths]


def test_three_sources_naming_servers_differently_merge_into_one_estate(
    discovery_plugins: MbfPluginManager, three_exports: list[Path]
) -> None:
    estate = discover(discovery_plugins, exports(three_exports))
    assert [
        (s.id, s.name, s.datacenter_id, s.cores, s.environment, s.workload_ids)
        for s in estate.servers
    ] == [
        ("batch01", "batch01.contoso.local", None, 2, "", ("payroll",)),
        ("db01", "db01", "ams-dc1", 4, "prod", ("payroll",)),
        ("dc01", "dc01", "ams-dc1", 2, "", ("server-dc01",)),
        ("web01", "web01.contoso.local", "ams-dc1", 2, "prod", ("payroll",)),
    ]
    assert estate.workloads == (
        Workload(
            id="payroll",
            name="Payroll",
            server_ids=("batch01", "db01", "web01"),
            owner="Alice",
            reason="CMDB application Payroll; batch01 joined by dependencies: batch01 -> web01:443",
        ),
        Workload(
            id="server-dc01",
            name="dc01",
            server_ids=("dc01",),
            reason="no application data and no dependency that joins it to other servers",
        ),
    )
    assert estate.dependencies == (
        Dependency(source_id="batch01", target_id="dc01", port=88),
        Dependency(source_id="batch01", target_id="web01", port=443),
        Dependency(source_id="web01", target_id="db01", port=1433, weight=2),
        Dependency(source_id="web01", target_id="dc01", port=389),
    )
    assert estate.datacenters == (Datacenter(id="ams-dc1", name="AMS-DC1"),)


def test_what_discovery_built_on_the_way_is_left_where_the_caller_keeps_it(
    discovery_plugins: MbfPluginManager, three_exports: list[Path]
) -> None:
    kept: list[object] = []
    estate = discover(discovery_plugins, exports(three_exports), keep=kept)
    assert estate == discover(discovery_plugins, exports(three_exports))
    (merged, placed), totals = kept
    assert len(totals) == len(estate.dependencies) == 4
    assert [part.label for part in merged.parts] == [
        f"rvtools:{three_exports[0].name}",
        f"azure-migrate:{three_exports[1].name}",
        f"cmdb-csv:{three_exports[2].name}",
        f"azure-migrate:{three_exports[3].name}",
    ]
    assert merged.local_ids[1] == {"web01": "web01", "batch01": "batch01"}
    # Before grouping: dc01 and batch01 had no workload yet.
    assert [(s.id, s.workload_ids) for s in placed.servers] == [
        ("batch01", ()),
        ("db01", ("payroll",)),
        ("dc01", ()),
        ("web01", ("payroll",)),
    ]
    assert placed.dependencies == ()  # merged after the servers were placed


def test_each_field_records_the_export_it_came_from(
    discovery_plugins: MbfPluginManager, three_exports: list[Path]
) -> None:
    web01 = {s.id: s for s in discover(discovery_plugins, exports(three_exports)).servers}["web01"]
    assert web01.sources == {
        "name": "azure-migrate:AzureMigrate_Import.csv",
        "datacenter_id": "rvtools:RVTools_tabvInfo.csv",
        "os": "rvtools:RVTools_tabvInfo.csv",
        "cores": "rvtools:RVTools_tabvInfo.csv",
        "memory_mb": "rvtools:RVTools_tabvInfo.csv",
        "storage_gb": "rvtools:RVTools_tabvInfo.csv",
        "environment": "cmdb-csv:cmdb.csv",
    }


def test_conflicts_are_kept_and_reported_never_overwritten(
    discovery_plugins: MbfPluginManager, three_exports: list[Path]
) -> None:
    context = Context()
    servers = {
        s.id: s
        for s in discover(discovery_plugins, exports(three_exports), context=context).servers
    }
    assert servers["web01"].extra["conflicts"]["cores"] == {
        "rvtools:RVTools_tabvInfo.csv": 2,
        "azure-migrate:AzureMigrate_Import.csv": 4,
    }
    assert servers["db01"].extra["conflicts"] == {
        "name": {"rvtools:RVTools_tabvInfo.csv": "db01", "cmdb-csv:cmdb.csv": "payroll-db"}
    }
    assert [w.split(" differs")[0] for w in context.diagnostics.warnings[1:]] == [
        "cores",
        "name",
        "os",
    ]
    assert context.diagnostics.warnings[0].endswith(
        "skipped 1 template(s) and 0 SRM placeholder(s); read 3 VM(s)"
    )


def test_datacenter_rules_place_servers_no_export_placed(
    discovery_plugins: MbfPluginManager, three_exports: list[Path]
) -> None:
    config = MbfConfig(
        datacenters=(
            Datacenter(id="ams1", name="AMS-DC1"),
            Datacenter(id="rtm1", name="Rotterdam"),
        ),
        discovery=DiscoveryConfig(
            datacenter_rules=(
                DatacenterRule(datacenter="rtm1", ip_range="10.1.0.0/26", name_pattern="batch*"),
                DatacenterRule(datacenter="ams1", cluster="prod"),
            )
        ),
    )
    estate = discover(discovery_plugins, exports(three_exports), config=config)
    assert {s.id: s.datacenter_id for s in estate.servers} == {
        "batch01": "rtm1",
        "db01": "ams1",
        "dc01": "ams1",
        "web01": "ams1",
    }
    assert [d.id for d in estate.datacenters] == ["ams1", "rtm1"]
    batch01 = next(s for s in estate.servers if s.id == "batch01")
    assert batch01.sources["datacenter_id"] == "mbf.toml:discovery.datacenter_rules"


def test_a_sources_entry_datacenter_applies_to_its_unplaced_servers(
    discovery_plugins: MbfPluginManager, three_exports: list[Path]
) -> None:
    chosen = [
        Export(path=p, display=p.name, datacenter="edge" if "Import" in p.name else None)
        for p in three_exports
    ]
    estate = discover(discovery_plugins, chosen)
    assert {s.id: s.datacenter_id for s in estate.servers}["batch01"] == "edge"
    assert [d.id for d in estate.datacenters] == ["ams-dc1", "edge"]


def test_corpus_inventory_and_core_report_merge_to_294_assessed_servers(
    discovery_plugins: MbfPluginManager,
) -> None:
    paths = [
        CORPUS / "AzureMigrate_Discovery_Report.xlsx",
        CORPUS / "AzureMigrate_Assessment_Core_Report.xlsx",
    ]
    context = Context()
    estate = discover(discovery_plugins, exports(paths), context=context)
    readiness = [s.readiness for s in estate.servers]
    assert (len(estate.servers), len(estate.workloads), len(estate.dependencies)) == (294, 294, 0)
    assert (readiness.count(Readiness.READY), readiness.count(Readiness.READY_WITH_CONDITIONS)) == (
        251,
        43,
    )
    assert sum(len(s.blockers) for s in estate.servers) == 43
    assert sum(1 for s in estate.servers if s.environment == "dev") == 9
    assert sum(1 for s in estate.servers if "conflicts" in s.extra) == 172
    assert [w.split(" between")[0] for w in context.diagnostics.warnings] == [
        "os differs on 172 server(s)"
    ]


def test_corpus_server_takes_each_field_from_the_export_that_has_it(
    discovery_plugins: MbfPluginManager,
) -> None:
    paths = [
        CORPUS / "AzureMigrate_Discovery_Report.xlsx",
        CORPUS / "AzureMigrate_Assessment_Core_Report.xlsx",
    ]
    server = {s.id: s for s in discover(discovery_plugins, exports(paths)).servers}["sqlagvm11"]
    assert (server.os, server.storage_gb, server.environment, server.readiness) == (
        "Microsoft Windows Server 2019 (64-bit)",
        120.0,
        "prod",
        Readiness.READY,
    )
    assert server.sources["storage_gb"] == "azure-migrate:AzureMigrate_Assessment_Core_Report.xlsx"
    assert server.extra["conflicts"] == {
        "os": {
            "azure-migrate:AzureMigrate_Discovery_Report.xlsx": "Microsoft Windows Server 2019 (64-bit)",
            "azure-migrate:AzureMigrate_Assessment_Core_Report.xlsx": "Microsoft Windows Server 2019 Standard",
        }
    }


def test_a_file_no_source_recognises_is_refused_listing_the_sources(
    discovery_plugins: MbfPluginManager, tmp_path: Path
) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello\n", encoding="utf-8")
    with pytest.raises(FormatNotFoundError) as caught:
        discover(discovery_plugins, exports([path]))
    assert str(caught.value) == (
        f"{path}: no discovery source recognises this file; pass --source NAME "
        "(available: azure-migrate, cmdb-csv, rvtools)"
    )


class OptionlessSource:
    @hookimpl
    def mbf_discovery_sources(self):
        yield DiscoverySource(name="fixed", read=lambda path, context: None)


def test_options_for_a_source_without_settings_are_refused(
    plugin_manager: MbfPluginManager, register_plugin, tmp_path: Path
) -> None:
    register_plugin(OptionlessSource(), name="fixed")
    path = tmp_path / "x.csv"
    path.write_text("a\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        discover(
            plugin_manager, [Export(path=path, display="x.csv", source="fixed", options={"a": 1})]
        )
    assert (
        str(caught.value) == "mbf.toml: [[sources]] entry 'x.csv': source 'fixed' takes no options"
    )


def test_servers_of_a_fake_source_are_read_through_the_same_engine(
    plugin_manager: MbfPluginManager, register_plugin, tmp_path: Path
) -> None:
    from mbf.domain import Estate

    class OneServer:
        @hookimpl
        def mbf_discovery_sources(self):
            yield DiscoverySource(
                name="one",
                default_filenames=("*.one",),
                read=lambda path, context: Estate(servers=(Server(id="s1", name="S1"),)),
            )

    register_plugin(OneServer(), name="one")
    path = tmp_path / "x.one"
    path.write_text("S1\n", encoding="utf-8")
    estate = discover(plugin_manager, exports([path]))
    assert [(s.id, s.workload_ids, s.sources) for s in estate.servers] == [
        ("s1", ("server-s1",), {"name": "one:x.one"})
    ]
    assert (estate.sources[0].source, estate.sources[0].records) == ("one", 1)
