"""Servers without application data are grouped by traffic, never through shared infrastructure."""

from __future__ import annotations

import random

import attrs

from mbf.config import DiscoveryConfig
from mbf.domain import Dependency, Estate, Server, Workload
from mbf.engine.workload_grouping import group_workloads

APPS = {"a": 1433, "b": 8080, "c": 5432}


def infrastructure_heavy_estate() -> Estate:
    """Three two-server applications; every server also uses DNS/Kerberos/LDAP on dc01, a
    monitoring agent on mon01 and a file share on files01 (port 8443, fan-in 6)."""
    names = [f"{app}{n}" for app in APPS for n in (1, 2)]
    servers = [Server(id=n, name=n) for n in [*names, "dc01", "files01", "mon01"]]
    deps = [
        Dependency(source_id=f"{app}1", target_id=f"{app}2", port=port, weight=12)
        for app, port in APPS.items()
    ]
    for name in names:
        deps += [
            Dependency(source_id=name, target_id="dc01", port=p, weight=40) for p in (53, 88, 389)
        ]
        deps.append(Dependency(source_id="mon01", target_id=name, port=10050, weight=120))
        deps.append(Dependency(source_id=name, target_id="files01", port=8443, weight=3))
    return Estate(servers=servers, dependencies=deps)


SETTINGS = DiscoveryConfig(hub_fan_in=3)


def test_infrastructure_does_not_join_applications() -> None:
    estate = group_workloads(infrastructure_heavy_estate(), SETTINGS)
    assert [(w.id, w.server_ids) for w in estate.workloads] == [
        ("group-a1", ("a1", "a2")),
        ("group-b1", ("b1", "b2")),
        ("group-c1", ("c1", "c2")),
        ("server-dc01", ("dc01",)),
        ("server-files01", ("files01",)),
        ("server-mon01", ("mon01",)),
    ]


def test_without_the_filters_everything_would_be_one_workload() -> None:
    unfiltered = DiscoveryConfig(noise_ports=(), noise_processes=(), hub_fan_in=1000)
    estate = group_workloads(infrastructure_heavy_estate(), unfiltered)
    assert [len(w.server_ids) for w in estate.workloads] == [9]


def test_each_workload_says_why_its_servers_are_together() -> None:
    workloads = {
        w.id: w for w in group_workloads(infrastructure_heavy_estate(), SETTINGS).workloads
    }
    assert workloads["group-a1"].reason == (
        "servers that talk to each other: a1 -> a2:1433; shared infrastructure left out: files01"
    )
    assert workloads["server-files01"].reason == (
        "shared infrastructure: 6 endpoints connect to it, so it groups no application"
    )
    assert (
        workloads["server-dc01"].reason
        == "no application data and no dependency that joins it to other servers"
    )
    assert workloads["group-a1"].name == "a1, a2"


def test_every_server_names_its_workload() -> None:
    estate = group_workloads(infrastructure_heavy_estate(), SETTINGS)
    assert {s.id: s.workload_ids for s in estate.servers}["b2"] == ("group-b1",)


def test_extra_noise_ports_add_to_the_defaults() -> None:
    estate = Estate(
        servers=[Server(id="x", name="x"), Server(id="y", name="y")],
        dependencies=[Dependency(source_id="x", target_id="y", port=9999)],
    )
    grouped = group_workloads(estate, DiscoveryConfig(extra_noise_ports=(9999,)))
    assert [w.id for w in grouped.workloads] == ["server-x", "server-y"]


def test_noise_processes_are_dropped_whatever_their_case_or_exe_suffix() -> None:
    estate = Estate(
        servers=[Server(id="x", name="x"), Server(id="y", name="y")],
        dependencies=[
            Dependency(source_id="x", target_id="y", port=5723, process="HealthService.exe")
        ],
    )
    grouped = group_workloads(estate, DiscoveryConfig(noise_ports=()))
    assert [w.id for w in grouped.workloads] == ["server-x", "server-y"]


def test_servers_talking_to_one_application_join_it() -> None:
    payroll = Workload(
        id="payroll", name="Payroll", server_ids=("web01",), reason="CMDB application Payroll"
    )
    estate = Estate(
        servers=[
            Server(id="web01", name="web01", workload_ids=("payroll",)),
            Server(id="batch01", name="batch01"),
        ],
        workloads=[payroll],
        dependencies=[Dependency(source_id="batch01", target_id="web01", port=443)],
    )
    (workload,) = group_workloads(estate, DiscoveryConfig()).workloads
    assert (workload.server_ids, workload.reason) == (
        ("batch01", "web01"),
        "CMDB application Payroll; batch01 joined by dependencies: batch01 -> web01:443",
    )


def test_servers_talking_to_two_applications_join_neither() -> None:
    estate = Estate(
        servers=[
            Server(id="p1", name="p1", workload_ids=("payroll",)),
            Server(id="h1", name="h1", workload_ids=("hr",)),
            Server(id="etl01", name="etl01"),
        ],
        workloads=[
            Workload(id="payroll", name="Payroll", server_ids=("p1",)),
            Workload(id="hr", name="HR", server_ids=("h1",)),
        ],
        dependencies=[
            Dependency(source_id="etl01", target_id="p1", port=1433),
            Dependency(source_id="etl01", target_id="h1", port=1433),
        ],
    )
    workloads = group_workloads(estate, DiscoveryConfig()).workloads
    assert [(w.id, w.server_ids) for w in workloads] == [
        ("hr", ("h1",)),
        ("payroll", ("p1",)),
        ("server-etl01", ("etl01",)),
    ]
    assert workloads[2].reason == (
        "no application data and no dependency that joins it to other servers; "
        "talks to several applications (hr, payroll), so it joins none"
    )


def test_grouping_is_the_same_whatever_the_dependency_order() -> None:
    estate = infrastructure_heavy_estate()
    shuffled = list(estate.dependencies)
    random.Random(7).shuffle(shuffled)
    servers = list(reversed(estate.servers))
    again = group_workloads(attrs.evolve(estate, dependencies=shuffled, servers=servers), SETTINGS)
    assert again.workloads == group_workloads(estate, SETTINGS).workloads
