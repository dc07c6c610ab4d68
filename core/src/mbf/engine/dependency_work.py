"""The dependencies' share of discovery, done by the worker process that read them.

At 50,000 servers the dependency exports give a quarter of a million dependencies, and once
every export's servers are merged, what is left to do with them is a third of discovery:
re-pointing them at the merged servers, grouping the servers without a workload by their
traffic, checking their ends, writing them as the estate file has them. None of it needs the
servers' fields; only which merged server each server id and address is, and each server's
workloads. So the worker that read the dependency exports, which holds their dependencies
(:class:`mbf.engine.export_reading.ParallelReading`), does it while this process builds,
places and writes the servers:

1. this process, merging the servers, comes to the first export the worker holds and sends
   :class:`DependencyStart`: the identities found so far. The worker identifies its exports'
   servers as the merge does, and merges the dependencies, while this process merges them;
2. this process, done merging, sends :class:`DependencyOrder`: each server's workloads, and
   the identities again only where some export after the first held one is not the worker's;
3. the worker sends :class:`DependencyTraffic` (what grouping needs), then writes the
   dependencies to the order's file and sends :class:`DependencyFile`.

The outcome is what the same steps give in one process: :func:`merge_dependencies`,
:func:`analyse_traffic` and :func:`dependency_problems` are the functions discovery calls
there, and the dependencies' JSON is what the estate writer makes of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import attrs

from mbf.config import DiscoveryConfig
from mbf.domain import Dependency
from mbf.domain.validation import dependency_problems
from mbf.engine.export_reading import unpack_dependencies
from mbf.engine.merge import Identities, SourcedEstate, identify_servers, merge_dependencies
from mbf.engine.workload_grouping import Traffic, analyse_traffic

__all__ = [
    "DependencyFile",
    "DependencyOrder",
    "DependencyParts",
    "DependencyStart",
    "DependencyTraffic",
    "work_on_dependencies",
]


DependencyParts = tuple[tuple[int, tuple[list[list[Any]], Mapping[str, str]] | None], ...]
"""Exports that have dependencies, in export order: each one's index and, where this process
read it, its dependencies (:func:`~mbf.engine.export_reading.pack_dependencies`) with the merged
server each of its server ids is; ``None`` where the worker holds them."""


@attrs.frozen(kw_only=True)
class DependencyStart:
    """What the worker needs first: how :func:`~mbf.engine.merge.merge_servers` identified the
    servers of the exports before the first one the worker holds. This process sends it when
    it comes to that export; the worker then identifies the servers of its own exports as the
    merge does (:func:`~mbf.engine.merge.identify_servers`), while this process merges them."""

    first: int
    """The index of the first export whose dependencies the worker holds."""
    identities: Identities
    """:func:`~mbf.engine.merge.merge_servers`' identities of the exports before it."""
    parts: DependencyParts
    """The exports before it that have dependencies."""


@attrs.frozen(kw_only=True)
class DependencyOrder:
    """What the worker needs of this process, then, to work on the dependencies it holds."""

    merge_again: tuple[DependencyParts, Mapping[str, str], Mapping[str, str]] | None
    """Where some export after :attr:`DependencyStart.first` is not the worker's (this process
    read it): every export that has dependencies, the merged server of every server id
    (:attr:`mbf.engine.merge.ServerMerge.by_id`, also that of each id of an export's servers,
    :attr:`~mbf.engine.merge.ServerMerge.local_ids`, so those need not be sent) and of each
    address that identifies one (:attr:`~mbf.engine.merge.ServerMerge.ip_owner`), for the
    worker to merge the dependencies again. ``None`` where the worker holds every export from
    :attr:`DependencyStart.first` on: its own identities and merge stand."""
    workloads_of: Mapping[str, tuple[str, ...]]
    """Every merged server's workloads (none for a server grouping is to place)."""
    settings: DiscoveryConfig
    """How servers are grouped by their traffic."""
    members_path: str
    """Where the worker writes the dependencies as the estate file lists them
    (:func:`mbf.serialization.dependencies_json_members`): a file this process made, and
    removes. A file rather than the pipe: 31 MB at 50,000 servers took 0.06-0.08 s to pass
    through the pipe, and a tenth of that to read from the file."""


@attrs.frozen(kw_only=True)
class DependencyTraffic:
    """What the worker sends first: what grouping needs."""

    count: int
    """How many dependencies the merged estate has."""
    traffic: Traffic
    """What they say about the servers without a workload (:func:`analyse_traffic`)."""


@attrs.frozen(kw_only=True)
class DependencyFile:
    """What the worker sends then, once the dependencies are written to
    :attr:`DependencyOrder.members_path`."""

    problems: list[str]
    """The dependencies' broken rules (:func:`dependency_problems`): ends that are no server."""


def work_on_dependencies(
    held: Mapping[int, SourcedEstate],
    receive: Callable[[], DependencyOrder],
    start: DependencyStart,
) -> Iterator[DependencyTraffic | DependencyFile]:
    """Merge the dependencies of every export (``held``: the parts the worker read, whole, by
    export index), and do with them what discovery does next: first what grouping needs, then
    what the estate file needs (this process meanwhile groups the servers and writes them).
    ``receive()``: the order, which this process sends once it has merged every export's
    servers."""
    from mbf.serialization import dependencies_json_members  # the estate writer's

    # Where the worker holds every export from the first one it holds on (the usual case: its
    # share is the last exports), it works out their identities as the merge does, and
    # merges the dependencies while this process is still merging those exports' servers.
    ip_owner = identify_servers(
        ((index, held[index].estate.servers) for index in sorted(held) if index >= start.first),
        start.identities,
    )
    ours = tuple((index, None) for index in sorted(held) if index >= start.first)
    dependencies = _merged(held, (*start.parts, *ours), start.identities[0], ip_owner)
    order = receive()
    if order.merge_again is not None:  # this process read some export after the first held one
        dependencies = _merged(held, *order.merge_again)
    traffic = analyse_traffic(dependencies, order.workloads_of, order.settings)
    yield DependencyTraffic(count=len(dependencies), traffic=traffic)
    problems = dependency_problems(dependencies, order.workloads_of.keys())
    with open(order.members_path, "wb") as members:
        members.write(dependencies_json_members(dependencies))
    yield DependencyFile(problems=problems)


def _merged(
    held: Mapping[int, SourcedEstate],
    parts: DependencyParts,
    by_id: Mapping[str, str],
    ip_owner: Mapping[str, str],
) -> tuple[Dependency, ...]:
    """:func:`merge_dependencies` of ``parts``."""
    found: list[tuple[tuple[Dependency, ...], Mapping[str, str]]] = []
    for index, sent in parts:
        if sent is None:
            # The merged server of each of the export's servers (ServerMerge.local_ids) is
            # that of its id: made again here, as cheaply as it is sent.
            estate = held[index].estate
            own = {server.id: by_id[server.id] for server in estate.servers}
            found.append((estate.dependencies, own))
        else:
            packed, local = sent
            found.append((unpack_dependencies(packed), local))
    return merge_dependencies(found, by_id, ip_owner)
