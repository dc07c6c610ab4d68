"""Write the Contoso example's discovery exports and progress samples, the same bytes every run.

Contoso leaves three datacenters: Amsterdam 1 and Dublin 1 run VMware (an RVTools export and the
agentless dependency analysis of Azure Migrate cover them), Frankfurt 1 runs Hyper-V and physical
servers (imported into Azure Migrate with the import CSV). One Azure VM assessment workbook
covers every server. The estate is shaped to exercise discovery:

- the exports name the same server differently (``ams-crm-web01``, ``DUB-ECOM-WEB01``,
  ``ams-crm-web01.contoso.local``); Frankfurt's servers reach the dependency export only as IP
  addresses, because imported servers get no dependency analysis;
- a few servers are not ready for Azure (Windows Server 2003, RHEL 5, a 70 TB disk) and several are
  ready with conditions; each readiness issue becomes a blocker;
- applications depend on each other, across datacenters too; two are coupled both ways;
- servers assessed in Azure Migrate Export's generated group (``AzureVM-Prod-AME-...``) have no
  application: discovery groups them by their traffic, while their traffic to domain controllers,
  DNS, monitoring (noise ports) and to the licence server (a hub) joins nothing.

Run from anywhere: ``python examples/contoso/make_exports.py``. It needs xlsxwriter (installed with
the excel plugin). Randomness comes from one seeded generator, consumed in a fixed order, and the
workbooks carry fixed document dates, so the committed files never change unless this script does.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from dataclasses import dataclass, field
from pathlib import Path

import xlsxwriter

HERE = Path(__file__).resolve().parent
EXPORTS = HERE / "exports"
PROGRESS = HERE / "progress"
DOCUMENT_DATE = dt.datetime(2026, 11, 23, 9, 0, 0)
"""Creation date written into every workbook, so the bytes do not depend on the day of the run."""
DOMAIN = "contoso.local"

W2019 = "Microsoft Windows Server 2019 (64-bit)"
W2016 = "Microsoft Windows Server 2016 (64-bit)"
W2012 = "Microsoft Windows Server 2012 R2 (64-bit)"
W2008 = "Microsoft Windows Server 2008 R2 (64-bit)"
W2003 = "Microsoft Windows Server 2003 Standard (32-bit)"
RHEL8 = "Red Hat Enterprise Linux 8 (64-bit)"
RHEL5 = "Red Hat Enterprise Linux 5 (64-bit)"
UBUNTU = "Ubuntu Linux (64-bit)"
CENTOS7 = "CentOS 7 (64-bit)"
SLES15 = "SUSE Linux Enterprise 15 (64-bit)"
ORACLE7 = "Oracle Linux 7 (64-bit)"

# OS -> (Azure VM readiness, readiness issues) as the assessment reports them.
READINESS = {
    W2019: ("Ready For Azure", ""),
    W2016: ("Ready For Azure", ""),
    RHEL8: ("Ready For Azure", ""),
    UBUNTU: ("Ready For Azure", ""),
    SLES15: ("Ready For Azure", ""),
    ORACLE7: ("Ready For Azure", ""),
    W2012: ("Ready For Azure With Conditions", "Windows Server versions supported with caveat"),
    W2008: ("Ready For Azure With Conditions", "Windows OS not under MS support"),
    CENTOS7: ("Ready For Azure With Conditions", "Conditionally endorsed Linux OS"),
    W2003: ("Not Ready For Azure", "Unsupported Windows OS;Unsupported bit version"),
    RHEL5: ("Not Ready For Azure", "Unendorsed Linux OS"),
}

# role -> (cores, memory GiB, storage GiB) before a little seeded variation
ROLES = {
    "web": (2, 8, 120),
    "app": (4, 16, 200),
    "api": (4, 8, 120),
    "sql": (8, 64, 1200),
    "db": (8, 32, 800),
    "dc": (2, 8, 100),
    "fs": (4, 16, 4000),
    "mon": (4, 16, 300),
    "lic": (2, 4, 80),
    "etl": (8, 32, 500),
    "big": (16, 128, 2000),
    "node": (8, 64, 1500),
    "small": (2, 4, 60),
}


@dataclass
class Host:
    """One server of the example estate, as every export will describe it."""

    name: str
    datacenter: str  # ams1, dub1, fra1
    group: str  # assessment group; "" for servers assessed in the generated AME group
    role: str
    os: str
    cores: int = 0
    memory_mb: int = 0
    storage_gb: float = 0.0
    ip: str = ""
    platform: str = "vmware"  # vmware, hyperv, physical
    powered_on: bool = True
    issues_extra: str = ""
    readiness_override: str = ""
    fqdn_in_assessment: bool = True
    upper_in_rvtools: bool = False
    extras: dict[str, str] = field(default_factory=dict)

    @property
    def fqdn(self) -> str:
        return f"{self.name}.{DOMAIN}"

    @property
    def readiness(self) -> tuple[str, str]:
        state, issues = READINESS[self.os]
        if self.readiness_override:
            state = self.readiness_override
        if self.issues_extra:
            issues = ";".join(filter(None, (issues, self.issues_extra)))
        return state, issues


# (group, datacenter, [(role, name suffix, count, os)]); names are <dc prefix>-<code>-<suffix>NN
APPLICATIONS: list[tuple[str, str, str, list[tuple[str, str, int, str]]]] = [
    # Amsterdam 1 (VMware)
    (
        "AMS Core Infrastructure",
        "ams1",
        "core",
        [
            ("dc", "dc", 2, W2019),
            ("fs", "fs", 2, W2016),
            ("mon", "mon", 1, W2019),
            ("lic", "lic", 1, W2016),
        ],
    ),
    (
        "Customer Portal",
        "ams1",
        "cp",
        [
            ("web", "web", 8, W2019),
            ("app", "app", 5, W2019),
            ("sql", "sql", 2, W2019),
        ],
    ),
    (
        "Order Management",
        "ams1",
        "om",
        [
            ("app", "app", 5, W2016),
            ("sql", "sql", 2, W2016),
            ("app", "mq", 2, RHEL8),
        ],
    ),
    (
        "Warehouse Management",
        "ams1",
        "wms",
        [
            ("app", "app", 4, ORACLE7),
            ("db", "db", 2, ORACLE7),
        ],
    ),
    ("Payroll", "ams1", "pay", [("app", "app", 2, W2003), ("sql", "sql", 1, W2008)]),
    (
        "HR Self-Service",
        "ams1",
        "hr",
        [
            ("web", "web", 3, W2016),
            ("app", "app", 2, W2016),
            ("sql", "sql", 1, W2016),
        ],
    ),
    ("Intranet", "ams1", "intra", [("app", "sp", 5, W2012), ("sql", "sql", 2, W2012)]),
    (
        "CRM",
        "ams1",
        "crm",
        [
            ("web", "web", 4, W2019),
            ("app", "app", 4, W2019),
            ("sql", "sql", 2, W2019),
        ],
    ),
    (
        "Data Warehouse",
        "ams1",
        "dw",
        [
            ("etl", "etl", 4, W2016),
            ("big", "sql", 2, W2016),
            ("etl", "ssas", 1, W2016),
            ("app", "ssrs", 2, W2016),
        ],
    ),
    (
        "Document Management",
        "ams1",
        "dms",
        [
            ("app", "app", 4, W2012),
            ("db", "db", 1, W2012),
            ("app", "idx", 2, W2012),
        ],
    ),
    ("Service Desk", "ams1", "sd", [("app", "app", 2, W2019), ("sql", "sql", 1, W2019)]),
    (
        "Build and Release",
        "ams1",
        "ci",
        [
            ("app", "jenkins", 1, UBUNTU),
            ("node", "agent", 8, UBUNTU),
            ("app", "nexus", 1, UBUNTU),
        ],
    ),
    ("Finance ERP", "ams1", "fin", [("app", "app", 6, W2016), ("big", "db", 2, W2016)]),
    ("Marketing Website", "ams1", "mkt", [("web", "web", 5, CENTOS7), ("db", "db", 1, CENTOS7)]),
    ("Identity Federation", "ams1", "idf", [("web", "adfs", 2, W2019), ("web", "wap", 2, W2019)]),
    # Dublin 1 (VMware)
    (
        "DUB Core Infrastructure",
        "dub1",
        "core",
        [
            ("dc", "dc", 2, W2019),
            ("fs", "fs", 1, W2019),
            ("mon", "mon", 1, W2019),
            ("mon", "log", 2, UBUNTU),
        ],
    ),
    (
        "E-Commerce Platform",
        "dub1",
        "ecom",
        [
            ("web", "web", 10, W2019),
            ("app", "app", 8, W2019),
            ("small", "cache", 3, UBUNTU),
            ("sql", "sql", 2, W2019),
        ],
    ),
    (
        "Payment Gateway",
        "dub1",
        "pay",
        [
            ("app", "app", 4, RHEL8),
            ("small", "hsm", 2, RHEL8),
            ("db", "db", 2, RHEL8),
        ],
    ),
    (
        "Product Catalogue",
        "dub1",
        "cat",
        [
            ("app", "app", 4, W2019),
            ("node", "search", 4, UBUNTU),
            ("sql", "sql", 1, W2019),
        ],
    ),
    (
        "Customer Analytics",
        "dub1",
        "ana",
        [
            ("node", "spark", 8, UBUNTU),
            ("node", "hdfs", 4, UBUNTU),
            ("app", "nb", 1, UBUNTU),
        ],
    ),
    (
        "Contact Centre",
        "dub1",
        "cc",
        [
            ("app", "ivr", 3, W2012),
            ("app", "app", 3, W2012),
            ("fs", "rec", 1, W2012),
            ("sql", "sql", 1, W2012),
        ],
    ),
    ("Loyalty Programme", "dub1", "loy", [("app", "app", 4, W2016), ("sql", "sql", 1, W2016)]),
    (
        "Logistics Integration",
        "dub1",
        "log",
        [
            ("app", "esb", 4, RHEL8),
            ("app", "app", 2, RHEL8),
            ("db", "db", 1, RHEL8),
        ],
    ),
    ("Mobile Backend", "dub1", "mob", [("api", "api", 6, UBUNTU), ("db", "db", 2, UBUNTU)]),
    (
        "Supplier Portal",
        "dub1",
        "sup",
        [
            ("web", "web", 3, W2016),
            ("app", "app", 2, W2016),
            ("sql", "sql", 1, W2016),
        ],
    ),
    ("Dev and Test", "dub1", "dev", [("app", "vm", 18, W2019)]),
    # Frankfurt 1 (Hyper-V and physical, imported)
    ("FRA Core Infrastructure", "fra1", "core", [("dc", "dc", 2, W2016), ("fs", "fs", 2, W2016)]),
    (
        "Manufacturing Execution",
        "fra1",
        "mes",
        [("app", "app", 6, W2016), ("sql", "sql", 2, W2016)],
    ),
    ("Plant Historian", "fra1", "hist", [("big", "srv", 2, W2012)]),
    ("Quality Management", "fra1", "qms", [("app", "app", 4, W2016), ("sql", "sql", 1, W2016)]),
    (
        "PLM",
        "fra1",
        "plm",
        [
            ("app", "app", 6, W2019),
            ("fs", "vault", 2, W2019),
            ("sql", "sql", 1, W2019),
        ],
    ),
    (
        "SAP ERP",
        "fra1",
        "sap",
        [
            ("app", "ascs", 2, SLES15),
            ("app", "app", 8, SLES15),
            ("big", "hana", 2, SLES15),
        ],
    ),
    ("SAP BW", "fra1", "bw", [("app", "app", 4, SLES15), ("big", "hana", 1, SLES15)]),
    ("EDI Gateway", "fra1", "edi", [("app", "gw", 2, W2016)]),
    (
        "Lab Information System",
        "fra1",
        "lims",
        [
            ("app", "app", 4, W2012),
            ("sql", "sql", 1, W2012),
        ],
    ),
    ("Engineering File Shares", "fra1", "eng", [("fs", "fs", 6, W2019), ("lic", "lic", 2, W2016)]),
    ("Legacy Quality Reports", "fra1", "lqr", [("app", "app", 2, RHEL5)]),
]
"""Applications as the assessment groups them (about 280 servers in 37 groups)."""

UNGROUPED: list[tuple[str, str, str, str]] = [
    # (name, datacenter, role, os): assessed in the generated AME group, no application known
    ("ams-bill-app01", "ams1", "app", W2012),
    ("ams-bill-app02", "ams1", "app", W2012),
    ("ams-bill-app03", "ams1", "app", W2012),
    ("ams-bill-db01", "ams1", "sql", W2012),
    ("ams-fleet-gw01", "ams1", "small", CENTOS7),
    ("ams-fleet-app01", "ams1", "app", CENTOS7),
    ("ams-fleet-app02", "ams1", "app", CENTOS7),
    ("ams-fleet-db01", "ams1", "db", CENTOS7),
    ("ams-crm-batch01", "ams1", "app", W2019),
    ("ams-crm-batch02", "ams1", "app", W2019),
    ("ams-util01", "ams1", "small", W2016),
    ("dub-edi01", "dub1", "app", W2008),
    ("dub-ftp01", "dub1", "small", W2008),
    ("dub-ftp02", "dub1", "small", W2008),
]
"""Servers the assessment put in no application group: discovery groups them by dependencies."""

DATACENTER_NAMES = {"ams1": "Amsterdam 1", "dub1": "Dublin 1", "fra1": "Frankfurt 1"}
SUBNETS = {"ams1": "10.10", "dub1": "10.20", "fra1": "10.30"}
VCENTERS = {"ams1": f"vc-ams1.{DOMAIN}", "dub1": f"vc-dub1.{DOMAIN}"}
CLUSTERS = {"ams1": ("AMS-PROD-01", "AMS-PROD-02"), "dub1": ("DUB-PROD-01", "DUB-PROD-02")}


def make_estate(rng: random.Random) -> list[Host]:
    """Every server, in a fixed order, with seeded sizes and unique addresses."""
    hosts: list[Host] = []
    next_ip: dict[str, int] = dict.fromkeys(SUBNETS, 10)

    def add(name: str, dc: str, group: str, role: str, os_name: str) -> Host:
        cores, memory_gb, storage = ROLES[role]
        cores = max(1, cores * rng.choice((1, 1, 1, 2)) if role not in ("dc", "lic") else cores)
        memory_gb = memory_gb * rng.choice((1, 1, 2)) if role not in ("dc", "lic") else memory_gb
        storage = round(storage * rng.uniform(0.8, 1.3), 1)
        n = next_ip[dc]
        next_ip[dc] += 1
        host = Host(
            name=name,
            datacenter=dc,
            group=group,
            role=role,
            os=os_name,
            cores=cores,
            memory_mb=memory_gb * 1024,
            storage_gb=storage,
            ip=f"{SUBNETS[dc]}.{n // 200 + 1}.{n % 200 + 10}",
            platform="vmware" if dc != "fra1" else ("physical" if role == "big" else "hyperv"),
        )
        hosts.append(host)
        return host

    for group, dc, code, tiers in APPLICATIONS:
        prefix = dc[:3]
        for role, suffix, count, os_name in tiers:
            for number in range(1, count + 1):
                add(f"{prefix}-{code}-{suffix}{number:02d}", dc, group, role, os_name)
    for name, dc, role, os_name in UNGROUPED:
        add(name, dc, "", role, os_name)

    by_name = {h.name: h for h in hosts}
    # Finance ERP's databases are physical boxes in Amsterdam: they come with the import CSV.
    for name in ("ams-fin-db01", "ams-fin-db02"):
        by_name[name].platform = "physical"
    # Dublin's vCenter names its VMs in capitals; the assessment uses short names for Dublin.
    for host in hosts:
        if host.datacenter == "dub1":
            host.upper_in_rvtools = True
            host.fqdn_in_assessment = False
    # A few servers the assessment cannot recommend as they are.
    by_name["dub-cc-rec01"].storage_gb = 71680.0
    by_name["dub-cc-rec01"].readiness_override = "Not Ready For Azure"
    by_name["dub-cc-rec01"].issues_extra = "One or more unsuitable disks;Disk size exceeds limit"
    by_name["fra-hist-srv02"].readiness_override = "Ready For Azure With Conditions"
    by_name["fra-hist-srv02"].issues_extra = "Unsupported boot type"
    by_name["ams-util01"].powered_on = False
    by_name["ams-util01"].readiness_override = "Unknown Readiness"
    by_name["ams-util01"].issues_extra = "Guest OS unknown"
    return hosts


# -- dependencies ----------------------------------------------------------------------------

OBSERVED_FROM = dt.datetime(2026, 11, 16)
SLOTS = 28
"""Seven days of 6-hour slots: the dependency export covers the week before the assessment."""

APP_PORTS = {"sql": 1433, "db": 5432, "big": 1433, "node": 7077, "small": 6379, "fs": 445}


@dataclass(frozen=True)
class Flow:
    """Traffic from one server to another (or an address) on one port, seen in ``slots`` slots."""

    source: str
    target: str  # server name, or "" for an address outside the dependency analysis
    target_ip: str
    port: int
    process: str
    slots: int


def _tier(hosts: list[Host], prefix: str) -> list[Host]:
    return [h for h in hosts if h.name.startswith(prefix)]


def make_flows(hosts: list[Host], rng: random.Random) -> list[Flow]:
    """Connections the agentless dependency analysis saw among the VMware servers."""
    by_name = {h.name: h for h in hosts}
    vmware = [h for h in hosts if h.platform == "vmware"]
    flows: list[Flow] = []

    def link(
        sources: list[Host],
        targets: list[Host],
        port: int,
        process: str,
        *slots: int,
        by_address: bool = False,
    ) -> None:
        low, high = slots
        for i, source in enumerate(sources):
            target = targets[i % len(targets)]
            flows.append(
                Flow(
                    source=source.name,
                    target="" if by_address else target.name,
                    target_ip=target.ip,
                    port=port,
                    process=process,
                    slots=rng.randint(low, high),
                )
            )

    # Shared infrastructure: every server asks its domain controllers (LDAP, Kerberos, DNS);
    # half report to monitoring; 26 Amsterdam servers check out licences from ams-core-lic01.
    for dc in ("ams1", "dub1"):
        controllers = [h for h in vmware if h.datacenter == dc and h.role == "dc"]
        members = [h for h in vmware if h.datacenter == dc and h.role != "dc"]
        link(members, controllers, 389, "lsass.exe", 2, 6)
        link(members, controllers, 53, "dns.exe", 1, 4)
        monitor = [h for h in vmware if h.name == f"{dc[:3]}-core-mon01"]
        link(members[::2], monitor, 5723, "HealthService.exe", 1, 3)
    licence_users = sorted(
        (h for h in vmware if h.datacenter == "ams1" and h.role in ("app", "etl")),
        key=lambda h: h.group != "",  # the servers of no application first, then the others
    )
    link(licence_users[:26], [by_name["ams-core-lic01"]], 27000, "lmgrd", 1, 5)

    def tiers(source: str, target: str, port: int, process: str, *slots: int) -> None:
        link(_tier(hosts, source), _tier(hosts, target), port, process, *(slots or (12, SLOTS)))

    # Inside each VMware application: web -> app -> database.
    for group, dc, code, _tiers in APPLICATIONS:
        if dc == "fra1":
            continue
        prefix = f"{dc[:3]}-{code}-"
        members = [h for h in vmware if h.name.startswith(prefix) and h.group == group]
        front = [h for h in members if h.role in ("web", "api")]
        middle = [h for h in members if h.role in ("app", "etl", "node")]
        back = [h for h in members if h.role in APP_PORTS and h.role not in ("fs", "node")]
        if front and middle:
            link(front, middle, 8080, "w3wp.exe", 10, 24)
        for role in dict.fromkeys(h.role for h in back):
            if middle:
                tier = [h for h in back if h.role == role]
                link(middle, tier, APP_PORTS[role], _listener(tier[0]), 10, 24)
        if middle and not back and len(middle) > 1:
            link(middle[1:], middle[:1], 7077, "java", 10, 24)

    # Between applications.
    tiers("ams-cp-app", "ams-om-app", 8443, "java")
    tiers("ams-om-app", "ams-wms-app", 9000, "java", 20, SLOTS)  # coupled both ways
    tiers("ams-wms-app", "ams-om-app", 9000, "java", 20, SLOTS)
    tiers("ams-hr-app", "ams-pay-sql", 1433, "sqlservr.exe")
    tiers("ams-dw-etl", "ams-crm-sql", 1433, "sqlservr.exe", 4, 8)
    tiers("ams-dw-etl", "ams-fin-db", 1433, "sqlservr.exe", 4, 8)
    tiers("ams-dw-etl", "ams-om-sql", 1433, "sqlservr.exe", 4, 8)
    tiers("ams-crm-app", "ams-idf-adfs", 443, "Microsoft.IdentityServer.ServiceHost.exe")
    tiers("ams-intra-sp", "ams-dms-app", 443, "w3wp.exe")
    tiers("dub-ecom-app", "ams-om-app", 8443, "java")  # Dublin needs Amsterdam's orders
    tiers("dub-ecom-app", "dub-pay-app", 443, "java")
    tiers("dub-ecom-app", "dub-cat-search", 9200, "java")
    tiers("dub-ecom-app", "dub-loy-app", 8080, "java")
    tiers("dub-mob-api", "dub-ecom-app", 443, "w3wp.exe")
    tiers("dub-log-esb", "ams-wms-app", 9000, "java")
    tiers("dub-sup-app", "dub-log-esb", 443, "java")
    tiers("dub-ana-spark", "dub-ecom-sql", 1433, "sqlservr.exe", 4, 10)
    # Amsterdam's Finance ERP posts to SAP in Frankfurt: imported servers show only as addresses.
    link(_tier(hosts, "ams-fin-app"), _tier(hosts, "fra-sap-app"), 3300, "", 12, SLOTS,
         by_address=True)  # fmt: skip
    # Payment providers on the internet.
    for source in _tier(hosts, "dub-pay-app"):
        flows.append(Flow(source.name, "", "203.0.113.40", 443, "", rng.randint(20, SLOTS)))

    # The servers of no application group.
    tiers("ams-bill-app", "ams-bill-db", 1433, "sqlservr.exe")
    tiers("ams-bill-app", "ams-fin-app", 8000, "java", 8, 16)  # talks to two applications
    tiers("ams-bill-db", "ams-om-sql", 1433, "sqlservr.exe", 4, 8)
    tiers("ams-fleet-gw", "ams-fleet-app", 8080, "java")
    tiers("ams-fleet-app", "ams-fleet-db", 5432, "postgres")
    tiers("ams-crm-batch", "ams-crm-sql", 1433, "sqlservr.exe")  # joins CRM
    tiers("dub-edi", "dub-ftp", 22, "sshd")
    return flows


def _slot_text(slot: int) -> str:
    start = OBSERVED_FROM + dt.timedelta(hours=6 * slot)
    end_hour = start.hour + 6
    return f"{start.month}/{start.day}/{start.year} {start.hour:02d}:00-{end_hour:02d}:00"


def write_dependencies(hosts: list[Host], flows: list[Flow], rng: random.Random) -> None:
    """The classic agentless dependency export: one row per connection per 6-hour slot."""
    by_name = {h.name: h for h in hosts}
    rows = []
    for flow in flows:
        source = by_name[flow.source]
        target = by_name.get(flow.target)
        for slot in sorted(rng.sample(range(SLOTS), flow.slots)):
            rows.append(
                (
                    slot,
                    _slot_text(slot),
                    source.name,
                    source.ip,
                    _application(source),
                    _process(source),
                    target.name if target else "",
                    flow.target_ip,
                    _application(target) if target else "",
                    flow.process or "Unknown process",
                    str(flow.port),
                )
            )
    rows.sort(key=lambda r: (r[0], r[2], r[6], r[7], int(r[10])))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(
        ["Time slot", "Source server name", "Source IP", "Source application", "Source process",
         "Destination server name", "Destination IP", "Destination application",
         "Destination process", "Destination port"]
    )  # fmt: skip
    writer.writerows(row[1:] for row in rows)
    (EXPORTS / "AzureMigrate_Dependencies_AMS1_DUB1.csv").write_text(
        buffer.getvalue(), encoding="utf-8", newline=""
    )


def _application(host: Host | None) -> str:
    if host is None:
        return ""
    return {"sql": "Microsoft SQL Server", "web": "IIS", "dc": "Active Directory"}.get(
        host.role, ""
    )


def _listener(host: Host) -> str:
    """The process a database or cache server listens with."""
    if host.role == "small":
        return "redis-server"
    return "sqlservr.exe" if "Windows" in host.os else "postgres"


def _process(host: Host) -> str:
    return "java" if "Linux" in host.os or "CentOS" in host.os else "svchost.exe"


# -- RVTools -------------------------------------------------------------------------------------


def _workbook(path: Path) -> xlsxwriter.Workbook:
    book = xlsxwriter.Workbook(str(path))
    book.set_properties({"created": DOCUMENT_DATE, "author": "Contoso infrastructure team"})
    return book


def _sheet(
    book: xlsxwriter.Workbook, name: str, header: list[str], rows: list[list[object]]
) -> None:
    sheet = book.add_worksheet(name)
    sheet.write_row(0, 0, header, book.add_format({"bold": True}))
    for number, row in enumerate(rows, start=1):
        sheet.write_row(number, 0, row)


def write_rvtools(hosts: list[Host], rng: random.Random) -> None:
    """An RVTools 4.x export of both vCenters: vInfo, vPartition and vHost."""
    vmware = [h for h in hosts if h.platform == "vmware"]
    host_names = {dc: [f"esx{n:02d}.{dc}.{DOMAIN}" for n in range(1, 7)] for dc in ("ams1", "dub1")}
    vinfo, vpartition = [], []
    for index, h in enumerate(vmware):
        esx = host_names[h.datacenter][index % 6]
        cluster = CLUSTERS[h.datacenter][index % 6 // 3]
        uuid = f"4203{index:04x}-{rng.getrandbits(16):04x}-{rng.getrandbits(16):04x}-" + (
            f"{rng.getrandbits(16):04x}-{rng.getrandbits(48):012x}"
        )
        capacity_mib = round(h.storage_gb * 1024)
        used_mib = round(capacity_mib * rng.uniform(0.35, 0.85))
        memory = h.memory_mb
        os_config = h.os
        if h.name == "ams-dw-sql01":
            memory = h.memory_mb * 2  # resized after the assessment: discovery reports it
        if h.name == "ams-mkt-web01":
            os_config = "CentOS 4/5 or later (64-bit)"  # the .vmx says less than the guest
        name = h.name.upper() if h.upper_in_rvtools else h.name
        vinfo.append([
            name, "poweredOn" if h.powered_on else "poweredOff", False, False, "green",
            h.fqdn if h.powered_on else "", "connected",
            "running" if h.powered_on else "notRunning", h.cores, memory, 1,
            1 if capacity_mib < 2_000_000 else 2, capacity_mib + memory, used_mib + memory,
            h.ip if h.powered_on else "", f"VLAN-{h.datacenter.upper()}-{h.role.upper()}",
            "efi" if h.os in (W2019, W2016, RHEL8, UBUNTU) else "bios",
            "vmx-19" if h.os in (W2019, RHEL8, UBUNTU) else "vmx-14", os_config, h.os,
            f"vm-{1000 + index}", uuid, VCENTERS[h.datacenter], DATACENTER_NAMES[h.datacenter],
            cluster, esx, h.group or "",
        ])  # fmt: skip
        disks = 1 if capacity_mib < 2_000_000 else 2
        for disk in range(disks):
            part_capacity = capacity_mib // disks
            part_used = used_mib // disks
            vpartition.append([
                name, "poweredOn" if h.powered_on else "poweredOff", "C:\\" if "Windows" in h.os
                else "/", part_capacity, part_used, part_capacity - part_used, uuid,
                VCENTERS[h.datacenter], DATACENTER_NAMES[h.datacenter],
            ] if disk == 0 else [
                name, "poweredOn", "D:\\" if "Windows" in h.os else "/data", capacity_mib -
                part_capacity, used_mib - part_used, capacity_mib - part_capacity -
                (used_mib - part_used), uuid, VCENTERS[h.datacenter],
                DATACENTER_NAMES[h.datacenter],
            ])  # fmt: skip
    # Templates and an SRM placeholder sit in vInfo too; discovery skips them.
    for number, (name, dc) in enumerate(
        (("tpl-win2019-gold", "ams1"), ("tpl-ubuntu2204", "dub1"), ("ams-cp-web01_srm", "ams1"))
    ):
        template = name.startswith("tpl-")
        vinfo.append([
            name, "poweredOff", template, not template, "green", "", "connected", "notRunning",
            2, 4096, 1, 1, 61440, 0, "", "VLAN-TEMPLATES", "efi", "vmx-19", W2019, W2019,
            f"vm-{900 + number}", f"4203ffff-0000-0000-0000-00000000000{number}",
            VCENTERS[dc], DATACENTER_NAMES[dc], CLUSTERS[dc][0], host_names[dc][0], "",
        ])  # fmt: skip
    vhost = []
    for dc in ("ams1", "dub1"):
        for n, esx in enumerate(host_names[dc]):
            vhost.append([
                esx, DATACENTER_NAMES[dc], CLUSTERS[dc][n // 3],
                "Intel(R) Xeon(R) Gold 6248R CPU @ 3.00GHz", 3000, 2, 24, 48,
                rng.randint(20, 60), 786432, rng.randint(40, 75), "VMware ESXi 7.0.3 build-21930508",
            ])  # fmt: skip
    book = _workbook(EXPORTS / "RVTools_export_all_2026-11-23_08.41.17.xlsx")
    _sheet(book, "vInfo", [
        "VM", "Powerstate", "Template", "SRM Placeholder", "Config status", "DNS Name",
        "Connection state", "Guest state", "CPUs", "Memory", "NICs", "Disks", "Provisioned MiB",
        "In Use MiB", "Primary IP Address", "Network #1", "Firmware", "HW version",
        "OS according to the configuration file", "OS according to the VMware Tools", "VM ID",
        "VM UUID", "VI SDK Server", "Datacenter", "Cluster", "Host", "Annotation",
    ], vinfo)  # fmt: skip
    _sheet(book, "vPartition", [
        "VM", "Powerstate", "Disk", "Capacity MiB", "Consumed MiB", "Free MiB", "VM UUID",
        "VI SDK Server", "Datacenter",
    ], vpartition)  # fmt: skip
    _sheet(book, "vHost", [
        "Host", "Datacenter", "Cluster", "CPU Model", "Speed", "# CPU", "Cores per CPU",
        "# Cores", "CPU usage %", "# Memory", "Memory usage %", "ESX Version",
    ], vhost)  # fmt: skip
    book.close()


# -- Azure Migrate import CSV -------------------------------------------------------------------


def write_import_csv(hosts: list[Host], rng: random.Random) -> None:
    """The import template filled in for the servers no appliance can see (Hyper-V, physical)."""
    imported = [h for h in hosts if h.platform != "vmware"]
    header = ["*Server Name", "IP addresses", "*Cores", "*Memory (In MB)", "*OS name",
              "OS version", "OS architecture", "Server type", "Hypervisor",
              "CPU utilization percentage", "Memory utilization percentage", "Network adapters",
              "Network In throughput", "Network Out throughput", "Boot type", "Number of disks"]  # fmt: skip
    for disk in (1, 2):
        header += [
            f"Disk {disk} size (In GB)", f"Disk {disk} read throughput (MB per second)",
            f"Disk {disk} write throughput (MB per second)",
            f"Disk {disk} read ops (operations per second)",
            f"Disk {disk} write ops (operations per second)",
        ]  # fmt: skip
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for h in imported:
        version = {W2019: "10.0.17763", W2016: "10.0.14393", W2012: "6.3.9600"}.get(h.os, "")
        system_disk = 127.0 if "Windows" in h.os else 64.0
        data_disk = round(h.storage_gb - system_disk, 1)
        row = [
            h.fqdn, h.ip, h.cores, h.memory_mb, h.os, version, "x64",
            "Physical" if h.platform == "physical" else "Virtual",
            "" if h.platform == "physical" else "Hyper-V", rng.randint(5, 70), rng.randint(30, 90),
            rng.choice((1, 2)), rng.randint(1, 40), rng.randint(1, 40),
            "EFI" if h.os in (W2019, W2016) else "BIOS", 2,
        ]  # fmt: skip
        for size in (system_disk, data_disk):
            row += [size, rng.randint(1, 80), rng.randint(1, 40), rng.randint(50, 900),
                    rng.randint(20, 500)]  # fmt: skip
        writer.writerow(row)
    (EXPORTS / "AzureMigrate_Import_Physical_HyperV.csv").write_text(
        buffer.getvalue(), encoding="utf-8-sig", newline=""
    )


# -- Azure VM assessment ------------------------------------------------------------------------

SIZES = [  # (cores, memory GiB, size, monthly compute USD)
    (2, 8, "Standard_D2s_v5", 70.08), (4, 16, "Standard_D4s_v5", 140.16),
    (8, 32, "Standard_D8s_v5", 280.32), (16, 64, "Standard_D16s_v5", 560.64),
    (8, 64, "Standard_E8s_v5", 367.92), (16, 128, "Standard_E16s_v5", 735.84),
    (32, 256, "Standard_E32s_v5", 1471.68),
]  # fmt: skip


def _recommended(h: Host) -> tuple[str, float]:
    memory_gb = h.memory_mb / 1024
    fits = [s for s in SIZES if s[0] >= h.cores and s[1] >= memory_gb]
    size = min(fits, key=lambda s: s[3]) if fits else SIZES[-1]
    return size[2], size[3]


def write_assessment(hosts: list[Host], rng: random.Random) -> None:
    """The Azure VM assessment export of every server, per application group."""
    machines = []
    counts = {"Ready For Azure": 0, "Ready For Azure With Conditions": 0,
              "Not Ready For Azure": 0, "Unknown Readiness": 0}  # fmt: skip
    compute_total = storage_total = 0.0
    for h in hosts:
        readiness, issues = h.readiness
        counts[readiness] += 1
        size, compute = _recommended(h)
        if readiness in ("Not Ready For Azure", "Unknown Readiness"):
            size, compute = "", 0.0
        storage_cost = round(h.storage_gb * 0.0767, 2) if size else 0.0
        compute_total += compute
        storage_total += storage_cost
        vm_host = {
            "vmware": f"esx.{h.datacenter}.{DOMAIN}",
            "hyperv": f"hv.{h.datacenter}.{DOMAIN}",
        }
        group = h.group or "AzureVM-Prod-AME-18285"
        machines.append([
            h.fqdn if h.fqdn_in_assessment else h.name, vm_host.get(h.platform, ""), readiness,
            issues, "" if h.powered_on else "No data for percentage of CPU cores utilized",
            size, compute, storage_cost, h.os, "EFI" if h.os in (W2019, W2016) else "BIOS",
            h.cores, h.memory_mb, rng.randint(3, 65), rng.randint(25, 85), h.storage_gb,
            0, 1 if h.storage_gb < 1000 else 0, 1 if h.storage_gb >= 1000 else 0,
            rng.randint(10, 900), rng.randint(5, 400), rng.randint(1, 60), rng.randint(1, 30),
            1, f"[{h.ip}];", f"[00:50:56:{rng.getrandbits(8):02x}:{rng.getrandbits(8):02x}:"
            f"{rng.getrandbits(8):02x}];", round(rng.uniform(0.1, 9), 2),
            round(rng.uniform(0.1, 9), 2), group,
        ])  # fmt: skip
    book = _workbook(EXPORTS / "AzureMigrate_Assessment_AllServers.xlsx")
    summary = [
        ["Subscription ID", "6f1c2b9e-2d0a-4c57-9d1f-2b8e0c4a7a11"],
        ["Resource group", "rg-contoso-migrate"], ["Project name", "contoso-dc-exit"],
        ["Group name", "All applications"], ["Assessment name", "as-is-payg-westeurope"],
        ["Assessment Type", "Azure VM"], ["Created on (UTC)", "11/23/2026 08:12:44 AM"],
        ["Total machines assessed", len(hosts)],
        ["Machines not ready for Azure", counts["Not Ready For Azure"]],
        ["Machines ready with conditions", counts["Ready For Azure With Conditions"]],
        ["Machines ready for Azure", counts["Ready For Azure"]],
        ["Machines readiness unknown", counts["Unknown Readiness"]],
        ["Total monthly cost estimate USD", round(compute_total + storage_total, 2)],
        ["Compute monthly cost USD", round(compute_total, 2)],
        ["Storage monthly cost USD", round(storage_total, 2)],
        ["Confidence rating", "4 Star"],
    ]  # fmt: skip
    _sheet(book, "Assessment_Summary", ["Property", "Value"], summary)  # fmt: skip
    _sheet(book, "All_Assessed_Machines", [
        "Machine", "VM host", "Azure VM readiness", "Azure readiness issues",
        "Data collection issues", "Recommended size", "Compute monthly cost USD",
        "Storage monthly cost USD", "Operating system", "Boot type", "Cores", "Memory(MB)",
        "CPU usage(%)", "Memory usage(%)", "Storage(GB)", "Standard HDD disks",
        "Standard SSD disks", "Premium disks", "Disk read(ops/sec)", "Disk write(ops/sec)",
        "Disk read(MBPS)", "Disk write(MBPS)", "Network adapters", "IP address", "MAC address",
        "Network in(MBPS)", "Network out(MBPS)", "Group name",
    ], machines)  # fmt: skip
    _sheet(book, "Assessment_Properties", ["Property", "Selected value"], [
        ["Target location", "West Europe"], ["Comfort factor", "1.3"],
        ["VM families", "Dsv5, Esv5"], ["Offer", "Pay-As-You-Go"], ["Currency", "USD"],
        ["Reserved Instances", "No reserved instances"], ["Discount (%)", "0"],
        ["Hybrid use benefit", "Yes"], ["Sizing criterion", "As on-premises"],
        ["Storage type", "Automatic"], ["VM uptime", "31 Days per month, 24 Hours per day"],
    ])  # fmt: skip
    book.close()


# -- progress samples for `mbf track` -----------------------------------------------------------

REPLICATION = [
    # (server as Azure Migrate shows it, State, Progress, TimeElapsed, TimeRemaining,
    #  UploadSpeed, Health, LastSync): Finance ERP, planned in Sprint 2
    ("ams-fin-app01", "Migration Completed", "-", "-", "-", "-", "Normal", "1/26/2027, 9:12:03 PM"),
    ("ams-fin-app02.contoso.local", "Migration Completed", "-", "-", "-", "-", "Normal",
     "1/26/2027, 9:15:40 PM"),
    ("ams-fin-app03", "DeltaReplication Completed", "-", "-", "-", "-", "Normal",
     "1/27/2027, 6:02:11 AM"),
    ("ams-fin-app04", "InitialReplication InProgress", "48 %", "3 hr 48 min", "4 hr 10 min",
     "830 Mbps", "Normal", "-"),
    ("ams-fin-app05", "InitialReplication Queued", "-", "-", "-", "-", "Normal", "-"),
    ("ams-fin-app06", "DeltaReplication Completed", "-", "-", "-", "-", "Critical",
     "1/25/2027, 11:40:27 PM"),
    ("ams-fin-app09", "DeltaReplication Completed", "-", "-", "-", "-", "Normal",
     "1/27/2027, 5:58:00 AM"),
]  # fmt: skip
"""Replication status as ``Get-AzMigrateServerMigrationStatus | Export-Csv`` wrote it one morning;
``ams-fin-app09`` is a server the backlog does not know (a clone made after discovery)."""

WAVE_STATUS = [
    # (wave, workload, machine, initial replication, test UAT, final UAT, replication completed)
    (1, "SAP ERP", "fra-sap-ascs01", "Passed", "Passed", "Passed", "Yes"),
    (1, "SAP ERP", "fra-sap-ascs02", "Passed", "Passed", "", ""),
    (1, "SAP ERP", "fra-sap-app01", "Passed", "Failed", "", ""),
    (1, "SAP ERP", "fra-sap-app02", "", "", "", ""),
    (1, "SAP ERP", "fra-sap-app10", "Passed", "", "", ""),
]
"""The MEG Wave sheet of wave 1 (SAP ERP), as the migration engineers keep it; ``fra-sap-app10``
is not in the backlog (SAP has eight application servers)."""


def write_replication_status() -> None:
    """``Export-Csv`` of Windows PowerShell: a #TYPE line, every value quoted."""
    buffer = io.StringIO()
    buffer.write("#TYPE System.Management.Automation.PSCustomObject\r\n")
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(["Appliance", "Server", "State", "Progress", "TimeElapsed", "TimeRemaining",
                     "UploadSpeed", "Health", "LastSync", "Datastore"])  # fmt: skip
    for server, state, progress, elapsed, remaining, speed, health, last_sync in REPLICATION:
        writer.writerow(["contoso-ams1-app", server, state, progress, elapsed, remaining, speed,
                         health, last_sync, "AMS-DS-PROD-01"])  # fmt: skip
    (PROGRESS / "replication-status.csv").write_text(
        buffer.getvalue(), encoding="utf-8", newline=""
    )


def write_meg_wave() -> None:
    """A Migration Execution Guide with its Digital Estate and Wave sheets at the template's places."""
    book = _workbook(PROGRESS / "MEG-wave-1.xlsx")
    estate = book.add_worksheet("8. Digital Estate")
    estate.write_row(15, 1, ["Discovery\nDate", "Data\nCentre", "Workload", "SLA"])
    for offset, workload in enumerate(sorted({row[1] for row in WAVE_STATUS}), start=16):
        estate.write_row(offset, 1, ["2026-11-23", "Frankfurt 1", workload, "99.9%"])
    wave = book.add_worksheet("8. Wave")
    wave.write_row(14, 1, [
        "Definition\nDate", "Migration\nStart Date", "Wave Number", "Workload", "Machine",
        "Operating System", "Migration Engineer", "Environment", "Initial Replication\nStart Date",
        "Initial Replication\nStatus", "Test Migration\nUAT Status", "Final Migration\nStart Date",
        "Final Migration\nUAT Status", "Replication Completed",
    ])  # fmt: skip
    for offset, (number, workload, machine, replication, test, final, done) in enumerate(
        WAVE_STATUS, start=15
    ):
        wave.write_row(offset, 1, [
            "2026-12-14", "2027-01-04", number, workload, machine, SLES15, "Priya Natarajan",
            "Production", "2027-01-05" if replication else "", replication, test,
            "2027-01-14" if final else "", final, done,
        ])  # fmt: skip
    book.close()


def main() -> None:
    """Write every export and progress sample."""
    EXPORTS.mkdir(exist_ok=True)
    PROGRESS.mkdir(exist_ok=True)
    rng = random.Random(20270104)
    hosts = make_estate(rng)
    flows = make_flows(hosts, rng)
    write_rvtools(hosts, rng)
    write_import_csv(hosts, rng)
    write_assessment(hosts, rng)
    write_dependencies(hosts, flows, rng)
    write_replication_status()
    write_meg_wave()
    groups = {h.group for h in hosts if h.group}
    print(f"{len(hosts)} servers, {len(groups)} application groups, {len(flows)} flows")


if __name__ == "__main__":
    main()
