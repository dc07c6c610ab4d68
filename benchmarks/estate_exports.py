"""A deterministic estate of discovery exports at 1k, 10k or 50k servers, in the shapes mbf reads.

The estate looks like a real datacenter exit: three datacenters; applications of 2 to 20 servers
(web, app and database tiers talking to each other); shared infrastructure (domain controllers,
DNS, file servers, monitoring, backup) that nearly every server talks to, so it forms traffic hubs;
and a few flows that cross from one application to another. The exports are:

- ``RVTools_export_all.xlsx``: the ``vInfo`` sheet of every server (VM names upper-case);
- ``AzureMigrate_Import.csv``: the Azure Migrate import CSV of the same servers, by FQDN;
- ``cmdb.csv``: a CMDB extract (``;``-separated) naming the application of 60 % of the
  applications' servers; the others are grouped by discovery from their traffic;
- ``AzureMigrate_Dependencies.csv`` (the classic agentless shape, one row per flow per six-hour
  slot, 5 % of destinations named only by address) and ``AzureMigrate_DependencyExport.csv`` (the
  newer shape with ``Connection Count``), about 20 rows per server together (1M at 50k);
- ``mbf.toml``: the three datacenters with lease ends, and a two-week factory cadence.

Beside them, the same servers as Azure Migrate's workbooks (``WORKBOOK_NAMES``; their own row of
the benchmark): Azure Migrate Export's ``Discovery_Report`` and Core Report, and the portal's
``All_Assessed_Machines`` assessment, each with the columns of the corpus samples. As in real
exports, the inventory spells each OS as VMware does and the assessments as Azure does, and the
two assessments group the servers differently: each server has two conflicts to record.

Same scale, same bytes: everything is drawn from a fixed seed. Usage::

    uv run python benchmarks/estate_exports.py DIR [--servers 50000]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
from pathlib import Path
from typing import Any

SEED = 20261126
DATACENTERS = ("Amsterdam 1", "Dublin 2", "Frankfurt 3")
ROWS_PER_SERVER = 20
"""Dependency rows per server over both dependency exports: 1M rows at 50k servers."""
CROSS_WORKLOAD_SHARE = 0.02
"""Applications with a flow into another application (an API or a shared database)."""
CMDB_SHARE = 0.6
"""Applications the CMDB names; the servers of the others are grouped by traffic."""
EXPORT_NAMES = (
    "RVTools_export_all.xlsx",
    "AzureMigrate_Import.csv",
    "cmdb.csv",
    "AzureMigrate_Dependencies.csv",
    "AzureMigrate_DependencyExport.csv",
)
"""The export files, in the order discovery reads them (the first export wins conflicts)."""
WORKBOOK_NAMES = (
    "AzureMigrate_Discovery_Report.xlsx",
    "AzureMigrate_Assessment_Core_Report.xlsx",
    "AzureMigrate_Assessment.xlsx",
)
"""Azure Migrate's workbooks of the same servers, in the order discovery reads them."""

# Shared infrastructure per 1,000 servers (at least one of each): role, port, process.
_INFRA = (
    ("dc", 389, "lsass.exe", 2),
    ("dns", 53, "dns.exe", 1),
    ("fs", 445, "System", 2),
    ("mon", 10050, "zabbix_agentd.exe", 1),
    ("bak", 10000, "beremote.exe", 1),
)
_TIERS = (("web", 443, "w3wp.exe"), ("app", 8080, "java.exe"), ("db", 1433, "sqlservr.exe"))
_OSES = (
    ("Microsoft Windows Server 2019 (64-bit)", "Windows Server 2019 Datacenter", "10.0"),
    ("Microsoft Windows Server 2016 (64-bit)", "Windows Server 2016 Standard", "10.0"),
    ("Microsoft Windows Server 2012 R2 (64-bit)", "Windows Server 2012 R2 Standard", "6.3"),
    ("Red Hat Enterprise Linux 8 (64-bit)", "Red Hat Enterprise Linux", "8.6"),
    ("Ubuntu Linux (64-bit)", "Ubuntu", "20.04"),
)


def _ip(index: int) -> str:
    return f"10.{(index >> 16) & 255}.{(index >> 8) & 255}.{index & 255}"


class _Estate:
    """The drawn estate: server names, their application (or infrastructure role), their flows."""

    def __init__(self, servers: int) -> None:
        rng = random.Random(SEED)
        infra: list[tuple[str, int, str]] = []  # (name, port, process) of each hub server
        for role, port, process, per_thousand in _INFRA:
            for n in range(max(1, per_thousand * servers // 1000)):
                infra.append((f"{role}{n:03d}", port, process))
        self.names: list[str] = []
        self.app_of: list[int | None] = []  # application number, None for infrastructure
        self.tier_of: list[int] = []
        self.apps: list[list[int]] = []  # server indexes of each application
        while len(self.names) < servers - len(infra):
            size = min(rng.randint(2, 20), servers - len(infra) - len(self.names))
            app = len(self.apps)
            members = []
            for k in range(size):
                members.append(len(self.names))
                self.names.append(f"a{app:05d}-{_TIERS[k % 3][0]}{k // 3:02d}")
                self.app_of.append(app)
                self.tier_of.append(k % 3)
            self.apps.append(members)
        self.hubs: dict[str, list[int]] = {}
        for name, port, process in infra:
            self.hubs.setdefault(f"{port} {process}", []).append(len(self.names))
            self.names.append(name)
            self.app_of.append(None)
            self.tier_of.append(0)
        self.datacenter = [
            DATACENTERS[(a if a is not None else i) % len(DATACENTERS)]
            for i, a in enumerate(self.app_of)
        ]
        self.cmdb_apps = {a for a in range(len(self.apps)) if rng.random() < CMDB_SHARE}
        self.os = [rng.randrange(len(_OSES)) for _ in self.names]
        self.cores = [rng.choice((2, 4, 8)) for _ in self.names]
        self.memory = [rng.choice((4096, 8192, 16384)) for _ in self.names]
        self.flows = self._draw_flows(rng)

    def _draw_flows(self, rng: random.Random) -> list[tuple[int, int, int, str]]:
        """(source, destination, port, destination process) of each distinct flow."""
        flows = []
        for app, members in enumerate(self.apps):
            # Tiers: every web server calls an app server, every app server a database.
            for source in members:
                tier = self.tier_of[source]
                callees = [m for m in members if self.tier_of[m] == tier + 1] or [
                    m for m in members if m != source
                ]
                if tier < 2 and callees:
                    target = rng.choice(callees)
                    flows.append((source, target, *_TIERS[self.tier_of[target]][1:]))
            if rng.random() < CROSS_WORKLOAD_SHARE and len(self.apps) > 1:
                other = self.apps[(app + rng.randrange(1, len(self.apps))) % len(self.apps)]
                flows.append((members[0], other[-1], 443, "w3wp.exe"))
        hub_groups = list(self.hubs.items())
        for source, app in enumerate(self.app_of):
            if app is None:
                continue
            for key, hubs in hub_groups:
                if key.startswith(("445", "10000")) and rng.random() < 0.5:
                    continue  # not every server mounts a share or is backed up
                port, process = key.split(" ", 1)
                flows.append((source, rng.choice(hubs), int(port), process))
        return flows


def generate(directory: Path, servers: int) -> list[Path]:
    """Write the exports and ``mbf.toml`` into ``directory``; return the exports in reading order."""
    directory.mkdir(parents=True, exist_ok=True)
    estate = _Estate(servers)
    _write_rvtools(directory / EXPORT_NAMES[0], estate)
    _write_import_csv(directory / EXPORT_NAMES[1], estate)
    _write_cmdb(directory / EXPORT_NAMES[2], estate)
    _write_dependencies(directory / EXPORT_NAMES[3], directory / EXPORT_NAMES[4], estate)
    _write_discovery_report(directory / WORKBOOK_NAMES[0], estate)
    _write_core_report(directory / WORKBOOK_NAMES[1], estate)
    _write_assessment(directory / WORKBOOK_NAMES[2], estate)
    _write_config(directory / "mbf.toml", servers)
    return [directory / name for name in EXPORT_NAMES]


def _write_rvtools(path: Path, estate: _Estate) -> None:
    book = _workbook(path)
    sheet = book.add_worksheet("vInfo")
    sheet.write_row(0, 0, ["VM", "Powerstate", "Template", "SRM Placeholder", "CPUs", "Memory",
                           "Provisioned MiB", "In Use MiB", "Datacenter", "Cluster", "Host",
                           "Primary IP Address", "OS according to the configuration file",
                           "VI SDK Server"])  # fmt: skip
    for n, name in enumerate(estate.names):
        sheet.write_row(n + 1, 0, [name.upper(), "poweredOn", False, False, estate.cores[n],
                                   estate.memory[n], 102400, 51200,
                                   estate.datacenter[n], f"CL{n % 40}", f"esx{n % 400:03d}",
                                   _ip(n), _OSES[estate.os[n]][0], "vc01"])  # fmt: skip
    book.close()


def _workbook(path: Path) -> Any:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    book.set_properties({"created": dt.datetime(2026, 11, 26)})  # fixed: the same bytes every run
    return book


def _addresses(n: int) -> str:
    """The address list of server ``n`` as Azure Migrate writes it; every third has an IPv6 one."""
    ipv6 = f"fd00::{n:x}," if n % 3 == 0 else ""
    return f"[{ipv6}{_ip(n)}];"


def _machine_id(n: int) -> str:
    return (f"/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/migrate/providers/"
            f"microsoft.offazure/vmwaresites/site01/machines/vm-{n:06d}")  # fmt: skip


def _environment(estate: _Estate, n: int) -> str:
    app = estate.app_of[n]
    return "Prod" if app is None else ("Prod", "Test", "Dev")[app % 3]


def _readiness(n: int) -> tuple[str, str]:
    """Azure VM readiness and its warnings: most ready, some with conditions, a few not."""
    if n % 25 == 3:
        return "Not Ready", "UnsupportedOperatingSystem"
    if n % 10 == 1:
        return "Ready with conditions", "EndorsedWithConditionsLinuxDistributions"
    return "Ready", "NotApplicable"


def _write_discovery_report(path: Path, estate: _Estate) -> None:
    book = _workbook(path)
    book.add_worksheet("Properties").write_row(0, 0, ["Azure Migrate Project Name", "Currency"])
    sheet = book.add_worksheet("Discovery_Report")
    sheet.write_row(0, 0, ["Machine Name", "Environment", "Software Inventory Count",
                           "SQL Discovery Server Count", "Is SQL Service Present",
                           "Web Applications Count", "Operating System", "Cores",
                           "Memory (in MB)", "Total Disks", "IP Addresses", "MAC Addresses",
                           "Total Network Adapters", "Boot Type", "Power Stats",
                           "First Discovery Time", "Last Updated Time", "Machine ID"])  # fmt: skip
    for n, name in enumerate(estate.names):
        sheet.write_row(n + 1, 0, [name.upper(), _environment(estate, n), 40 + n % 60, -1,
                                   False, 0, _OSES[estate.os[n]][0], estate.cores[n],
                                   estate.memory[n], 1 + n % 3, _addresses(n),
                                   f"[00:50:56:{n >> 16 & 255:02x}:{n >> 8 & 255:02x}:{n & 255:02x}];",
                                   1, "BIOS", "ON", "2026-07-01T06:12:34Z",
                                   "2026-08-01T12:48:17Z", _machine_id(n)])  # fmt: skip
    book.close()


def _write_core_report(path: Path, estate: _Estate) -> None:
    book = _workbook(path)
    properties = book.add_worksheet("Properties")
    properties.write_row(0, 0, ["Azure Migrate Project Name", "Target Region", "Currency"])
    properties.write_row(1, 0, ["contoso-exit", "West Europe", "EUR"])
    sheet = book.add_worksheet("All_VM_IaaS_Server_Rehost_Perf")
    sheet.write_row(0, 0, ["Machine Name", "Environment", "Azure VM Readiness",
                           "Azure VM Readiness - Warnings", "Recommended VM Size",
                           "Monthly Compute Cost Estimate (Pay as you go)",
                           "Monthly Storage Cost Estimate", "Monthly Security Cost Estimate",
                           "Operating System", "Support Status", "VM Host", "Boot Type", "Cores",
                           "Memory (in MB)", "CPU Utilization (in %)", "Memory Utilization (in %)",
                           "Storage (in GB)", "Network Adapters", "IP Addresses", "MAC Addresses",
                           "Disk Names", "Azure Disk Readiness", "Recommended Disk SKUs",
                           "Group Name", "Machine ID"])  # fmt: skip
    for n, name in enumerate(estate.names):
        readiness, warnings = _readiness(n)
        environment = _environment(estate, n)
        sheet.write_row(n + 1, 0, [name.upper(), environment, readiness, warnings,
                                   f"Standard_D{estate.cores[n]}as_v5", 35.04 * estate.cores[n],
                                   9.14, 0.0, _OSES[estate.os[n]][1], "Mainstream",
                                   f"esx{n % 400:03d}", "BIOS", estate.cores[n], estate.memory[n],
                                   round(5 + n % 90 * 0.5, 2), 33.99, 100.0, 1, _addresses(n),
                                   "[00:50:56:8f:8f:c4];", "scsi0:0;", "Ready;", "Standard_S10;",
                                   f"AzureVM-{environment}-AME-18285", _machine_id(n)])  # fmt: skip
    book.close()


def _write_assessment(path: Path, estate: _Estate) -> None:
    """The portal's assessment export: the Core Report's figures, but one group per application
    (infrastructure in one) where Azure Migrate Export groups by environment."""
    book = _workbook(path)
    book.add_worksheet("Assessment_Summary").write_row(0, 0, ["Property", "Value"])
    sheet = book.add_worksheet("All_Assessed_Machines")
    sheet.write_row(0, 0, ["Machine", "VM host", "Azure VM readiness", "Azure readiness issues",
                           "Data collection issues", "Recommended size",
                           "Compute monthly cost EUR", "Storage monthly cost EUR",
                           "Operating system", "Boot type", "Cores", "Memory(MB)",
                           "CPU usage(%)", "Memory usage(%)", "Storage(GB)", "Network adapters",
                           "IP address", "MAC address", "Group name"])  # fmt: skip
    for n, name in enumerate(estate.names):
        readiness, issues = _readiness(n)
        app = estate.app_of[n]
        group = "Shared infrastructure" if app is None else f"App {app:05d}"
        sheet.write_row(n + 1, 0, [name.upper(), f"esx{n % 400:03d}", readiness,
                                   "" if issues == "NotApplicable" else issues, "",
                                   f"Standard_D{estate.cores[n]}as_v5", 35.04 * estate.cores[n],
                                   9.14, _OSES[estate.os[n]][1], "BIOS", estate.cores[n],
                                   estate.memory[n], 12.5, 40, 100.0, 1, _addresses(n),
                                   "[00:15:5d:01:02:03];", group])  # fmt: skip
    book.close()


def _write_import_csv(path: Path, estate: _Estate) -> None:
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(
            ["*Server Name", "IP addresses", "*Cores", "*Memory (In MB)", "*OS name", "OS version"]
        )
        for n, name in enumerate(estate.names):
            os_name, _, version = _OSES[estate.os[n]]  # the same OS text as in vInfo
            writer.writerow([f"{name}.contoso.local", _ip(n), estate.cores[n], estate.memory[n],
                             os_name, version])  # fmt: skip


def _write_cmdb(path: Path, estate: _Estate) -> None:
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream, delimiter=";")
        writer.writerow(["Name", "Application", "Environment", "Owner"])
        for app in sorted(estate.cmdb_apps):
            environment = ("Production", "Test", "Development")[app % 3]
            for n in estate.apps[app]:
                writer.writerow([estate.names[n], f"App {app:05d}", environment, "Dana Lee"])


def _write_dependencies(classic: Path, newer: Path, estate: _Estate) -> None:
    """Rows of each flow in successive six-hour slots; a tenth of the flows go to the newer shape."""
    rng = random.Random(SEED + 2)
    flows = estate.flows
    mean_slots = ROWS_PER_SERVER * len(estate.names) / len(flows)
    names = estate.names
    with (
        classic.open("w", encoding="utf-8", newline="") as old_stream,
        newer.open("w", encoding="utf-8", newline="") as new_stream,
    ):
        old, new = csv.writer(old_stream), csv.writer(new_stream)
        old.writerow(["Time slot", "Source server name", "Source IP", "Source application",
                      "Source process", "Destination server name", "Destination IP",
                      "Destination application", "Destination process", "Destination port"])  # fmt: skip
        new.writerow(["Date", "Source Appliance Name", "Source Machine ARM ID", "Source Server Name",
                      "Source IP", "Source Application", "Source Process",
                      "Destination Machine ARM ID", "Destination Server Name", "Destination IP",
                      "Destination Application", "Destination Process", "Destination Port",
                      "Connection Count"])  # fmt: skip
        for number, (source, target, port, process) in enumerate(flows):
            slots = max(1, round(rng.uniform(0.2, 1.8) * mean_slots))
            target_name = "" if target % 20 == 7 else names[target]  # named only by address
            if number % 10 == 9:
                for slot in range(slots):
                    new.writerow([f"2026-07-{1 + slot // 4 % 28:02d}", "appliance01", "",
                                  names[source], _ip(source), "", "", "", target_name,
                                  _ip(target), "", process, port, rng.randint(1, 40)])  # fmt: skip
                continue
            for slot in range(slots):
                day, quarter = 1 + slot // 4 % 28, slot % 4
                old.writerow([f"7/{day}/2026 {quarter * 6:02d}:00-{quarter * 6 + 6:02d}:00",
                              names[source], _ip(source), "", "", target_name, _ip(target), "",
                              process, port])  # fmt: skip


def _write_config(path: Path, servers: int) -> None:
    datacenters = "".join(
        f'[[datacenters]]\nid = "{name.lower().replace(" ", "-")}"\nname = "{name}"\n'
        f"lease_end = 2028-0{3 + 3 * n}-30\n\n"
        for n, name in enumerate(DATACENTERS)
    )
    path.write_text(
        '[project]\nname = "Contoso datacenter exit"\nstart = 2027-01-04\n\n'
        f"{datacenters}"
        f"[iterations]\nlength_weeks = 2\ncapacity_servers = {max(50, servers // 50)}\n",
        encoding="utf-8",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--servers", type=int, default=50_000)
    args = parser.parse_args()
    generate(args.directory, args.servers)
    for path in (args.directory / name for name in (*EXPORT_NAMES, *WORKBOOK_NAMES)):
        print(f"{path}  {path.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
