"""Small, complete sample estate and backlog that exercise every field of the domain model."""

from __future__ import annotations

import datetime as dt

from mbf.domain import (
    Backlog,
    BlackoutWindow,
    Datacenter,
    Dependency,
    DependencyType,
    Estate,
    EstateSource,
    Iteration,
    Link,
    LinkKind,
    MigrationStrategy,
    Readiness,
    Release,
    Server,
    StateCategory,
    TrackerRef,
    WorkItem,
    WorkItemKind,
    Workload,
)

__all__ = ["make_sample_backlog", "make_sample_estate"]


def make_sample_estate() -> Estate:
    """Two datacenters, three workloads, five servers, dependencies inside and outside the estate."""
    return Estate(
        datacenters=(
            Datacenter(
                id="ams1",
                name="Amsterdam 1",
                location="Amsterdam",
                lease_end=dt.date(2027, 9, 30),
                priority=1,
                blackout=(
                    BlackoutWindow(
                        start=dt.date(2027, 4, 1), end=dt.date(2027, 4, 14), reason="quarter close"
                    ),
                ),
            ),
            Datacenter(
                id="dub2",
                name="Dublin 2",
                location="Dublin",
                lease_end=dt.date(2028, 3, 31),
                priority=2,
            ),
        ),
        servers=(
            Server(
                id="pay-app01",
                name="PAY-APP01.contoso.local",
                datacenter_id="ams1",
                os="Windows Server 2019",
                cores=4,
                memory_mb=16384,
                storage_gb=200.0,
                environment="prod",
                ip_addresses=("10.1.0.11",),
                readiness=Readiness.READY,
                workload_ids=("payroll",),
                sources={"cores": "azure-migrate:AzureMigrate_Import.csv"},
            ),
            Server(
                id="pay-db01",
                name="PAY-DB01",
                datacenter_id="ams1",
                os="Windows Server 2012 R2",
                cores=8,
                memory_mb=65536,
                storage_gb=1024.0,
                environment="prod",
                ip_addresses=("10.1.0.12",),
                readiness=Readiness.READY_WITH_CONDITIONS,
                blockers=("Unsupported boot type: UEFI secure boot",),
                workload_ids=("payroll",),
            ),
            Server(
                id="crm-web01",
                name="crm-web01",
                datacenter_id="ams1",
                os="Ubuntu 20.04",
                cores=2,
                memory_mb=4096,
                environment="prod",
                readiness=Readiness.READY,
                workload_ids=("crm",),
            ),
            Server(
                id="crm-sql01",
                name="crm-sql01",
                datacenter_id="ams1",
                os="Windows Server 2008 R2",
                cores=8,
                memory_mb=32768,
                environment="prod",
                readiness=Readiness.NOT_READY,
                blockers=("Unsupported operating system",),
                workload_ids=("crm",),
                extra={"cluster": "AMS-CL1"},
            ),
            Server(
                id="intra-web01",
                name="intra-web01",
                datacenter_id="dub2",
                os="Windows Server 2016",
                cores=2,
                memory_mb=8192,
                environment="test",
                workload_ids=("intranet",),
            ),
        ),
        workloads=(
            Workload(
                id="payroll",
                name="Payroll",
                server_ids=("pay-app01", "pay-db01"),
                owner="Dana Lee",
                criticality="high",
                environment="prod",
                reason="CMDB application Payroll",
            ),
            Workload(
                id="crm",
                name="CRM",
                server_ids=("crm-web01", "crm-sql01"),
                owner="Ravi Patel",
                criticality="medium",
                environment="prod",
                strategy=MigrationStrategy.REFACTOR,
            ),
            Workload(
                id="intranet",
                name="Intranet",
                server_ids=("intra-web01",),
                strategy=MigrationStrategy.RETIRE,
            ),
        ),
        dependencies=(
            Dependency(
                source_id="pay-app01",
                target_id="pay-db01",
                port=1433,
                protocol="tcp",
                process="sqlservr.exe",
                weight=120,
            ),
            Dependency(
                source_id="crm-web01", target_id="pay-app01", port=443, protocol="tcp", weight=8
            ),
            Dependency(
                source_id="crm-web01",
                target_id="ip:203.0.113.7",
                port=443,
                protocol="tcp",
                weight=2,
            ),
        ),
        sources=(EstateSource(source="azure-migrate", path="AzureMigrate_Import.csv", records=5),),
    )


def make_sample_backlog() -> Backlog:
    """A planned backlog of every item kind, with states, links of every type, refs and extras."""
    sprint1 = Iteration(
        id="sprint-1",
        name="Sprint 1",
        path="Contoso\\Sprint 1",
        start=dt.date(2027, 1, 4),
        finish=dt.date(2027, 1, 15),
        capacity=10.0,
    )
    sprint2 = Iteration(
        id="sprint-2",
        name="Sprint 2",
        path="Contoso\\Sprint 2",
        start=dt.date(2027, 1, 18),
        finish=dt.date(2027, 1, 29),
        capacity=10.0,
    )
    release = Release(
        id="release-1", name="Release 1", date=dt.date(2027, 1, 29), workload_ids=("payroll",)
    )
    items = (
        WorkItem(
            id="epic:ams1",
            kind=WorkItemKind.EPIC,
            title="Migrate datacenter Amsterdam 1",
            description="Empty AMS1 before its lease ends on 2027-09-30.\nOutcome: exit AMS1.",
            priority=1,
            tags=("datacenter", "ams1"),
            source=("ams1",),
        ),
        WorkItem(
            id="feature:payroll",
            kind=WorkItemKind.FEATURE,
            title="Migrate workload Payroll",
            parent_id="epic:ams1",
            state="Active",
            state_category=StateCategory.IN_PROGRESS,
            assignee="Dana Lee <dana@contoso.com>",
            priority=2,
            tags=("rehost",),
            iteration_id="sprint-1",
            release_id="release-1",
            start=dt.date(2027, 1, 4),
            finish=dt.date(2027, 1, 15),
            source=("payroll",),
            refs={
                "jira": TrackerRef(key="MIG-2", url="https://contoso.atlassian.net/browse/MIG-2")
            },
            extra={"Business unit": "Finance"},
        ),
        WorkItem(
            id="story:pay-db01",
            kind=WorkItemKind.STORY,
            title="Migrate PAY-DB01",
            parent_id="feature:payroll",
            iteration_id="sprint-1",
            release_id="release-1",
            estimate=24.0,
            source=("pay-db01",),
        ),
        WorkItem(
            id="task:pay-db01/remediate/1f0c2a3b",
            kind=WorkItemKind.TASK,
            title="Remediate PAY-DB01: unsupported boot type",
            parent_id="story:pay-db01",
            state="Done",
            state_category=StateCategory.DONE,
            estimate=8.0,
            tags=("remediation",),
            iteration_id="sprint-1",
            source=("pay-db01",),
        ),
        WorkItem(
            id="task:pay-db01/migrate",
            kind=WorkItemKind.TASK,
            title="Migrate PAY-DB01",
            parent_id="story:pay-db01",
            estimate=16.0,
            iteration_id="sprint-1",
            start=dt.date(2027, 1, 6),
            finish=dt.date(2027, 1, 8),
            source=("pay-db01",),
            links=(
                Link(target_id="task:pay-db01/remediate/1f0c2a3b"),
                Link(target_id="task:pay-app01/migrate", type=DependencyType.SS, lag_hours=4.0),
            ),
        ),
        WorkItem(
            id="story:pay-app01",
            kind=WorkItemKind.STORY,
            title="Migrate PAY-APP01",
            parent_id="feature:payroll",
            iteration_id="sprint-1",
            estimate=12.0,
            source=("pay-app01",),
        ),
        WorkItem(
            id="task:pay-app01/migrate",
            kind=WorkItemKind.TASK,
            title="Migrate PAY-APP01",
            parent_id="story:pay-app01",
            estimate=8.0,
            iteration_id="sprint-1",
            source=("pay-app01",),
            links=(Link(target_id="story:pay-db01", kind=LinkKind.RELATES_TO),),
        ),
        WorkItem(
            id="feature:crm",
            kind=WorkItemKind.FEATURE,
            title="Migrate workload CRM",
            parent_id="epic:ams1",
            iteration_id="sprint-2",
            source=("crm",),
            links=(
                Link(target_id="feature:payroll", type=DependencyType.FF, lag_hours=-8.0),
                Link(target_id="feature:payroll", type=DependencyType.SF),
            ),
        ),
        WorkItem(
            id="epic:dub2",
            kind=WorkItemKind.EPIC,
            title="Migrate datacenter Dublin 2",
            priority=2,
            source=("dub2",),
        ),
    )
    return Backlog(items=items, iterations=(sprint1, sprint2), releases=(release,))
