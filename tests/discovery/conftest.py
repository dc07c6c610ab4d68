"""Fixtures for discovery tests: the three discovery plugins registered, and small exports."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

import mbf_azure_migrate.plugin
import mbf_cmdb_csv.plugin
import mbf_rvtools.plugin
from mbf.plugin.manager import MbfPluginManager

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "azure-migrate-export"


@pytest.fixture
def discovery_plugins(
    plugin_manager: MbfPluginManager, register_plugin: Callable[..., object]
) -> MbfPluginManager:
    """The built-in plugins plus the rvtools, azure-migrate and cmdb-csv sources."""
    register_plugin(mbf_rvtools.plugin, name="rvtools")
    register_plugin(mbf_azure_migrate.plugin, name="azure-migrate")
    register_plugin(mbf_cmdb_csv.plugin, name="cmdb-csv")
    return plugin_manager


@pytest.fixture
def three_exports(tmp_path: Path) -> list[Path]:
    """The same estate seen by RVTools (VM names), an Azure Migrate import (FQDNs), a CMDB (host
    names, and one server under an application name: same address) and a dependency export."""
    rvtools = tmp_path / "RVTools_tabvInfo.csv"
    rvtools.write_text(
        "VM,Powerstate,Template,SRM Placeholder,CPUs,Memory,Provisioned MiB,In Use MiB,Datacenter,"
        "Cluster,Host,Primary IP Address,OS according to the configuration file,VI SDK Server\n"
        "WEB01,poweredOn,False,False,2,8192,102400,51200,AMS-DC1,Prod,esx01,10.1.0.11,"
        "Microsoft Windows Server 2016 (64-bit),vc01\n"
        "db01,poweredOn,False,False,4,16384,307200,204800,AMS-DC1,Prod,esx02,10.1.0.21,"
        "Microsoft Windows Server 2016 (64-bit),vc01\n"
        "dc01,poweredOn,False,False,2,4096,61440,30720,AMS-DC1,Prod,esx01,10.1.0.5,"
        "Microsoft Windows Server 2019 (64-bit),vc01\n"
        "tpl,poweredOff,True,False,2,4096,61440,0,AMS-DC1,Prod,esx01,,Windows,vc01\n",
        encoding="utf-8",
    )
    imported = tmp_path / "AzureMigrate_Import.csv"
    imported.write_text(
        "*Server Name,IP addresses,*Cores,*Memory (In MB),*OS name\n"
        "web01.contoso.local,10.1.0.11,4,8192,Microsoft Windows Server 2016 Datacenter\n"
        "batch01.contoso.local,10.1.0.31,2,4096,Ubuntu 22.04\n",
        encoding="utf-8",
    )
    cmdb = tmp_path / "cmdb.csv"
    cmdb.write_text(
        "Name;Application;Environment;Owner;IP Address\n"
        "WEB01;Payroll;Production;Alice;10.1.0.11\n"
        "payroll-db;Payroll;Production;Alice;10.1.0.21\n",
        encoding="utf-8-sig",
    )
    deps = tmp_path / "dependencies.csv"
    deps.write_text(
        "Time slot,Source server name,Source IP,Source application,Source process,"
        "Destination server name,Destination IP,Destination application,Destination process,Destination port\n"
        "7/28/2026 00:00-06:00,WEB01,10.1.0.11,,,,10.1.0.21,,,1433\n"
        "7/28/2026 06:00-12:00,WEB01,10.1.0.11,,,,10.1.0.21,,,1433\n"
        "7/28/2026 06:00-12:00,batch01,10.1.0.31,,,WEB01,10.1.0.11,,,443\n"
        "7/28/2026 06:00-12:00,batch01,10.1.0.31,,,dc01,10.1.0.5,,,88\n"
        "7/28/2026 06:00-12:00,WEB01,10.1.0.11,,,dc01,10.1.0.5,,,389\n",
        encoding="utf-8",
    )
    return [rvtools, imported, cmdb, deps]
