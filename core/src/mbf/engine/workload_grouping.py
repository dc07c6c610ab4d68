"""Grouping servers that no export assigned to an application into workloads, by their traffic.

Shared infrastructure talks to everything, so it is dropped first: traffic on noise ports (DNS,
Kerberos, LDAP, NTP, SMB, RPC, monitoring and backup agents), traffic to noise processes, and
every connection to a *hub*, a server that more than ``hub_fan_in`` others connect to (domain
controllers, file servers). What is left joins servers that talk to each other (connected
components, computed with a union-find in linear time). A group that talks to exactly one
application workload joins it; otherwise it becomes a workload of its own. Each workload records
why its servers are together; the result only depends on the estate, never on input order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

import attrs

from mbf.config import DiscoveryConfig
from mbf.domain import Dependency, Estate, Server, Workload
from mbf.domain.estate import normalised_server

__all__ = [
    "Traffic",
    "TrafficGroup",
    "analyse_traffic",
    "group_workloads",
    "hub_servers",
    "infrastructure_filter",
]

_EXAMPLE_EDGES = 5
_EXAMPLE_NAMES = 3


class _UnionFind:
    """Disjoint sets of server ids; the representative is the smallest id, so output is stable."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, item: str) -> str:
        root = self.parent.setdefault(item, item)
        while root != self.parent[root]:
            root = self.parent[root]
        while item != root:  # path compression keeps later finds short
            self.parent[item], item = root, self.parent[item]
        return root

    def union(self, a: str, b: str) -> None:
        root_a, root_b = self.find(a), self.find(b)
        if root_a != root_b:
            low, high = sorted((root_a, root_b))
            self.parent[high] = low


def infrastructure_filter(settings: DiscoveryConfig) -> tuple[frozenset[int], frozenset[str]]:
    """The noise ports and (lower-case, ``.exe``-less) noise process names of ``settings``."""
    ports = frozenset(settings.noise_ports) | frozenset(settings.extra_noise_ports)
    processes = frozenset(_process_key(p) for p in settings.noise_processes)
    return ports, processes


def _process_key(process: str) -> str:
    return process.strip().lower().removesuffix(".exe")


def hub_servers(dependencies: Iterable[Dependency], threshold: int) -> dict[str, int]:
    """Targets that more than ``threshold`` distinct endpoints connect to, with that fan-in."""
    callers: dict[str, set[str]] = defaultdict(set)
    for dep in dependencies:
        callers[dep.target_id].add(dep.source_id)
    return {target: len(sources) for target, sources in callers.items() if len(sources) > threshold}


class TrafficGroup(NamedTuple):
    """Servers without a workload that the dependencies keep together, and what they talk to."""

    members: tuple[str, ...]
    """The servers, in id order."""
    neighbours: tuple[str, ...]
    """The application workloads they talk to (a group talking to exactly one joins it)."""
    edges: str
    """The dependencies that join them, described for the workload's reason; empty where the
    reason names none (a lone server that talks to several applications)."""
    shared: tuple[str, ...]
    """The shared infrastructure (hubs) they talk to, left out of the grouping; only for a
    group that joins no application."""


class Traffic(NamedTuple):
    """What the dependencies say about the servers without a workload (see
    :func:`analyse_traffic`): plain values, so that a worker process can work it out."""

    groups: tuple[TrafficGroup, ...]
    """The groups, in the order of their smallest server id."""
    hubs: dict[str, int]
    """Servers that more than ``hub_fan_in`` endpoints connect to, with that fan-in."""


def analyse_traffic(
    dependencies: Sequence[Dependency],
    workloads_of: Mapping[str, tuple[str, ...]],
    settings: DiscoveryConfig,
) -> Traffic:
    """Group the servers without a workload by ``dependencies`` (see the module docstring).

    ``workloads_of``: the workloads of every server of the estate (none for those to group).
    This is the part of :func:`group_workloads` that reads the dependencies; it needs nothing
    else of the servers.
    """
    unassigned = sorted(sid for sid, workload_ids in workloads_of.items() if not workload_ids)
    if not unassigned:
        return Traffic(groups=(), hubs={})
    noise_ports, noise_processes = infrastructure_filter(settings)
    # A few hundred process names for a quarter of a million dependencies: each judged once.
    noise = {
        process: _process_key(process) in noise_processes
        for process in {dep.process for dep in dependencies}
    }
    relevant = [
        dep for dep in dependencies if dep.port not in noise_ports and not noise[dep.process]
    ]
    hubs = hub_servers(relevant, settings.hub_fan_in)
    unassigned_set = set(unassigned)
    sets = _UnionFind()
    for sid in unassigned:
        sets.find(sid)
    neighbour_workloads: dict[str, set[str]] = defaultdict(set)
    edges: list[Dependency] = []
    hubs_touched: dict[str, set[str]] = defaultdict(set)
    if settings.group_by_dependencies:
        for dep in relevant:
            source, target = dep.source_id, dep.target_id
            if source not in unassigned_set and target not in unassigned_set:
                continue  # both already in a workload: nothing below looks at it
            if source not in workloads_of or target not in workloads_of:
                continue
            if source in hubs or target in hubs:
                for end, other in ((source, target), (target, source)):
                    if end in unassigned_set and other in hubs:
                        hubs_touched[end].add(other)
                continue
            if source in unassigned_set and target in unassigned_set:
                sets.union(source, target)
                edges.append(dep)
            elif source in unassigned_set:
                neighbour_workloads[source].update(workloads_of[target])
                edges.append(dep)
            elif target in unassigned_set:
                neighbour_workloads[target].update(workloads_of[source])
                edges.append(dep)

    components: dict[str, list[str]] = defaultdict(list)
    for sid in unassigned:
        components[sets.find(sid)].append(sid)
    component_edges: dict[str, list[Dependency]] = defaultdict(list)
    for dep in edges:
        end = dep.source_id if dep.source_id in unassigned_set else dep.target_id
        component_edges[sets.find(end)].append(dep)

    groups = []
    for root in sorted(components):
        members = components[root]
        neighbours = tuple(sorted(set().union(*(neighbour_workloads[m] for m in members))))
        joins = len(neighbours) == 1
        described = joins or len(members) > 1
        shared = () if joins else set().union(*(hubs_touched.get(m, set()) for m in members))
        groups.append(
            TrafficGroup(
                members=tuple(members),
                neighbours=neighbours,
                edges=_describe_edges(component_edges[root]) if described else "",
                shared=tuple(sorted(shared)),
            )
        )
    return Traffic(groups=tuple(groups), hubs=hubs)


def group_workloads(
    estate: Estate, settings: DiscoveryConfig, *, traffic: Traffic | None = None
) -> Estate:
    """``estate`` with every server in at least one workload (see the module docstring).

    ``traffic``: :func:`analyse_traffic` of this estate, where it was worked out already (by a
    worker process that holds the dependencies); by default it is worked out here.
    """
    if traffic is None:
        workloads_of = {s.id: s.workload_ids for s in estate.servers}
        traffic = analyse_traffic(estate.dependencies, workloads_of, settings)
    if not traffic.groups:
        return estate
    servers = {s.id: s for s in estate.servers}
    workloads = {w.id: w for w in estate.workloads}
    assignment: dict[str, str] = {}
    for group in traffic.groups:
        members = list(group.members)
        if len(group.neighbours) == 1:
            target = group.neighbours[0]
            workloads[target] = _with_members(
                workloads[target],
                members,
                f"{', '.join(members)} joined by dependencies: {group.edges}",
            )
        else:
            workload = _new_workload(group, servers=servers, hubs=traffic.hubs, existing=workloads)
            if group.neighbours:
                workload = attrs.evolve(
                    workload,
                    reason=f"{workload.reason}; talks to several applications "
                    f"({', '.join(group.neighbours)}), so it joins none",
                )
            workloads[workload.id] = workload
            target = workload.id
        for sid in members:
            assignment[sid] = target

    new_servers = tuple(
        _in_workload(s, assignment[s.id]) if s.id in assignment else s for s in estate.servers
    )
    return attrs.evolve(
        estate, servers=new_servers, workloads=tuple(workloads[k] for k in sorted(workloads))
    )


def _in_workload(server: Server, workload_id: str) -> Server:
    """``server`` in workload ``workload_id`` only (``attrs.evolve``, without the converters its
    values have been through already)."""
    return normalised_server(
        id=server.id,
        name=server.name,
        datacenter_id=server.datacenter_id,
        os=server.os,
        os_version=server.os_version,
        cores=server.cores,
        memory_mb=server.memory_mb,
        storage_gb=server.storage_gb,
        environment=server.environment,
        ip_addresses=server.ip_addresses,
        readiness=server.readiness,
        blockers=server.blockers,
        workload_ids=(workload_id,),
        sources=dict(server.sources),
        extra=dict(server.extra),
    )


def _with_members(workload: Workload, members: list[str], why: str) -> Workload:
    reason = f"{workload.reason}; {why}" if workload.reason else why
    return attrs.evolve(
        workload, server_ids=tuple(sorted({*workload.server_ids, *members})), reason=reason
    )


def _describe_edges(edges: list[Dependency]) -> str:
    shown = sorted(edges, key=lambda d: (d.source_id, d.target_id, d.port or 0))
    parts = [
        f"{d.source_id} -> {d.target_id}" + (f":{d.port}" if d.port is not None else "")
        for d in shown[:_EXAMPLE_EDGES]
    ]
    if len(shown) > _EXAMPLE_EDGES:
        parts.append(f"and {len(shown) - _EXAMPLE_EDGES} more")
    return ", ".join(parts)


def _new_workload(
    group: TrafficGroup,
    *,
    servers: Mapping[str, Server],
    hubs: Mapping[str, int],
    existing: Mapping[str, Workload],
) -> Workload:
    members = group.members
    first = servers[members[0]]
    environments = {servers[m].environment for m in members}
    if len(members) == 1:
        if first.id in hubs:
            reason = (
                f"shared infrastructure: {hubs[first.id]} endpoints connect to it, so it groups "
                "no application"
            )
        else:
            reason = "no application data and no dependency that joins it to other servers"
        base_id, name = f"server-{first.id}", first.name
    else:
        reason = f"servers that talk to each other: {group.edges}"
        more = f" and {len(members) - _EXAMPLE_NAMES} more" if len(members) > _EXAMPLE_NAMES else ""
        base_id = f"group-{first.id}"
        name = f"{', '.join(servers[m].name for m in members[:_EXAMPLE_NAMES])}{more}"
    if group.shared:
        reason += f"; shared infrastructure left out: {', '.join(group.shared)}"
    workload_id, n = base_id, 1
    while workload_id in existing:
        n += 1
        workload_id = f"{base_id}-{n}"
    return Workload(
        id=workload_id,
        name=name,
        server_ids=members,
        environment=environments.pop() if len(environments) == 1 else "",
        reason=reason,
    )
