"""Discovery: read every export with its source, merge them into one estate, place and group servers.

The steps, in order: each export is read by the discovery source its name or content selects
(:meth:`MbfPluginManager.find_discovery_source`); the estates are merged
(:mod:`mbf.engine.merge`); servers get their datacenter from an export column, else from the
first matching ``[[discovery.datacenter_rules]]``, else from their ``[[sources]]`` entry; servers
without application data are grouped by dependencies (:mod:`mbf.engine.workload_grouping`);
the result is validated. :func:`discover` returns the estate; :func:`discover_to_file` also
writes it, atomically, for ``mbf discover``: there the worker that read the dependency exports
(:mod:`mbf.engine.export_reading`) goes on with their dependencies while this process works on
the servers (:mod:`mbf.engine.dependency_work`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import fnmatch
import functools
import ipaddress
import os
import tempfile
from collections.abc import Callable, Container, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from mbf.config import DatacenterRule, MbfConfig, plugin_settings
from mbf.domain import Datacenter, Estate, EstateSource, Server, slug, validate_estate
from mbf.domain.validation import estate_problems
from mbf.engine.dependency_work import (
    DependencyFile,
    DependencyOrder,
    DependencyParts,
    DependencyStart,
    DependencyTraffic,
    work_on_dependencies,
)
from mbf.engine.export_reading import (
    ParallelReading,
    ReadOne,
    can_read_in_parallel,
    pack_dependencies,
    worker_share,
)
from mbf.engine.merge import (
    ServerMerge,
    SourcedEstate,
    canonical_ip,
    merge_dependencies,
    merge_servers,
)
from mbf.engine.workload_grouping import group_workloads
from mbf.errors import ConfigError, InputError, ValidationError
from mbf.plugin import Context, Diagnostics
from mbf.plugin.manager import MbfPluginManager

__all__ = [
    "Discovery",
    "Export",
    "assign_datacenters",
    "discover",
    "discover_to_file",
    "exports_from_config",
    "read_export",
    "read_exports",
]


@attrs.frozen(kw_only=True)
class Export:
    """One discovery export to read, and how."""

    path: Path
    """Where the file is."""
    display: str
    """The path as the user wrote it; recorded in the estate's ``sources``."""
    source: str | None = None
    """Discovery source name; detected from the file when ``None``."""
    datacenter: str | None = None
    """Datacenter id for this export's servers that name none."""
    options: Mapping[str, Any] = attrs.field(factory=dict)
    """The ``options`` table of its ``[[sources]]`` entry."""


def exports_from_config(config: MbfConfig) -> list[Export]:
    """The exports the ``[[sources]]`` entries of mbf.toml name, paths resolved against it."""
    return [
        Export(
            path=config.resolve(entry.path),
            display=entry.path,
            source=entry.source,
            datacenter=entry.datacenter,
            options=entry.options,
        )
        for entry in config.sources
    ]


def read_export(
    plugin_manager: MbfPluginManager, export: Export, *, config: MbfConfig, context: Context
) -> SourcedEstate:
    """Read one export with its discovery source; its unplaced servers get the export's datacenter."""
    if not export.path.is_file():
        raise InputError("no such file", path=export.display)
    if export.path.stat().st_size == 0:
        raise InputError("the file is empty; expected a discovery export", path=export.display)
    source = plugin_manager.find_discovery_source(export.path, export.source)
    settings: object = None
    if source.settings_type is not None:
        settings = plugin_settings(
            export.options, source.settings_type, origin=f"mbf.toml: options of {export.display}"
        )
    elif export.options:
        raise ConfigError(
            f"mbf.toml: [[sources]] entry {export.display!r}: source {source.name!r} takes no options"
        )
    estate = source.read(
        export.path, dataclasses.replace(context, config=config, settings=settings)
    )
    records = (
        sum(s.records for s in estate.sources) or len(estate.servers) or len(estate.dependencies)
    )
    label = f"{source.name}:{export.display}"
    servers = estate.servers
    if export.datacenter:
        servers = tuple(
            s if s.datacenter_id else attrs.evolve(s, datacenter_id=export.datacenter)
            for s in servers
        )
    estate = attrs.evolve(
        estate,
        servers=servers,
        sources=(EstateSource(source=source.name, path=export.display, records=records),),
    )
    return SourcedEstate(label=label, estate=estate)


def read_exports(
    plugin_manager: MbfPluginManager,
    exports: Sequence[Export],
    *,
    config: MbfConfig,
    context: Context,
    parallel: bool | None = None,
) -> Iterator[SourcedEstate]:
    """The part of each export, in order, as each is read; the same whether read one by one or
    in parallel."""
    with _reading(
        plugin_manager, exports, config=config, context=context, parallel=parallel
    ) as reading:
        yield from reading.parts()


def _reading(
    plugin_manager: MbfPluginManager,
    exports: Sequence[Export],
    *,
    config: MbfConfig,
    context: Context,
    parallel: bool | None,
    hold_dependencies: bool = False,
) -> ParallelReading | _OneByOne:
    """The reading of ``exports``: in this process and a worker where that pays (``parallel``
    ``None``) or is asked for, else one by one here."""

    def read_one(index: int, context: Context) -> SourcedEstate:
        return read_export(plugin_manager, exports[index], config=config, context=context)

    sizes = [_size(e.path) for e in exports]
    if parallel is None:
        parallel = can_read_in_parallel(sizes)
    if not parallel or len(exports) < 2:
        return _OneByOne(read_one, len(exports), context)
    return ParallelReading(
        read_one,
        len(exports),
        context,
        worker_from=worker_share(sizes),
        hold_dependencies=hold_dependencies,
    )


class _OneByOne:
    """Exports read one by one in this process, as :class:`ParallelReading` reads them."""

    held: Mapping[int, int] = {}

    def __init__(self, read_one: ReadOne, count: int, context: Context) -> None:
        self._read_one, self._count, self._context = read_one, count, context

    def __enter__(self) -> _OneByOne:
        return self

    def __exit__(self, *exc_info: object) -> None:
        pass

    def parts(self) -> Iterator[SourcedEstate]:
        return (self._read_one(index, self._context) for index in range(self._count))


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:  # reported by read_export, in export order
        return 0


def _rule_matches(rule: DatacenterRule, server: Server, networks: Mapping[str, Any]) -> bool:
    def glob(pattern: str | None, value: object) -> bool:
        return pattern is None or fnmatch.fnmatch(str(value or "").lower(), pattern.lower())

    if not glob(rule.vcenter, server.extra.get("vcenter")):
        return False
    if not glob(rule.cluster, server.extra.get("cluster")):
        return False
    if not glob(rule.name_pattern, server.name):
        return False
    if rule.ip_range is not None:
        network = networks[rule.ip_range]
        addresses = (canonical_ip(ip) for ip in server.ip_addresses)
        return any(ip is not None and ipaddress.ip_address(ip) in network for ip in addresses)
    return True


def assign_datacenters(estate: Estate, config: MbfConfig) -> Estate:
    """Apply the datacenter rules and reconcile export datacenters with ``[[datacenters]]``.

    An export's datacenter (``Amsterdam 1``, id ``amsterdam-1``) is the configured one whose id or
    name gives the same slug (``ams1`` named ``Amsterdam 1``), so lease ends and blackouts apply.
    """
    configured = {d.id: d for d in config.datacenters}
    alias = {slug(d.name): d.id for d in config.datacenters} | {
        slug(d.id): d.id for d in config.datacenters
    }
    rules = config.discovery.datacenter_rules
    networks = {
        r.ip_range: ipaddress.ip_network(r.ip_range, strict=False) for r in rules if r.ip_range
    }
    servers = []
    for server in estate.servers:
        datacenter = server.datacenter_id
        sources = server.sources
        if datacenter is None:
            rule = next((r for r in rules if _rule_matches(r, server, networks)), None)
            if rule is not None:
                datacenter = rule.datacenter
                sources = {**sources, "datacenter_id": "mbf.toml:discovery.datacenter_rules"}
        if datacenter is not None:
            datacenter = alias.get(slug(datacenter), datacenter)
        if datacenter != server.datacenter_id:
            servers.append(attrs.evolve(server, datacenter_id=datacenter, sources=sources))
        else:
            servers.append(server)
    found = {d.id: d for d in estate.datacenters}
    datacenters: dict[str, Datacenter] = dict(configured)
    for server in servers:
        dc = server.datacenter_id
        if dc is not None and dc not in datacenters:
            datacenters[dc] = found.get(dc) or Datacenter(id=dc, name=dc)
    ordered = [*configured, *sorted(set(datacenters) - set(configured))]
    return attrs.evolve(
        estate, servers=tuple(servers), datacenters=tuple(datacenters[d] for d in ordered)
    )


@attrs.frozen(kw_only=True)
class Discovery:
    """What :func:`discover_to_file` discovered and wrote."""

    estate: Estate
    """The valid estate; without its dependencies where the worker process that read them
    wrote them."""
    dependency_count: int
    """How many dependencies the estate has."""


def discover(
    plugin_manager: MbfPluginManager,
    exports: Sequence[Export],
    *,
    config: MbfConfig | None = None,
    context: Context | None = None,
    parallel: bool | None = None,
    keep: list[object] | None = None,
) -> Estate:
    """Read ``exports`` in order (the first export's value of a field wins) into one valid estate.

    ``parallel``: read the exports in two processes (see :mod:`mbf.engine.export_reading`);
    by default where the machine has two cores and the exports are big enough to gain from it.
    ``keep``: where what discovery built on the way is left rather than freed (see
    :func:`mbf.engine.merge.merge_estates`).
    """
    found = _discover(
        plugin_manager, exports, config=config, context=context, parallel=parallel, keep=keep
    )
    return found.estate


def discover_to_file(
    plugin_manager: MbfPluginManager,
    exports: Sequence[Export],
    output: Path,
    *,
    config: MbfConfig | None = None,
    context: Context | None = None,
    parallel: bool | None = None,
    keep: list[object] | None = None,
) -> Discovery:
    """:func:`discover`, and write the estate file to ``output`` atomically (nothing where
    discovery fails).

    Where a worker process reads the dependency exports, it also merges their dependencies,
    works out how they group the servers and writes them as the estate file lists them
    (:mod:`mbf.engine.dependency_work`), while this process builds, places, groups and writes
    the servers. The file is the same either way.
    """
    return _discover(
        plugin_manager,
        exports,
        config=config,
        context=context,
        parallel=parallel,
        keep=keep,
        output=output,
    )


def _discover(
    plugin_manager: MbfPluginManager,
    exports: Sequence[Export],
    *,
    config: MbfConfig | None,
    context: Context | None,
    parallel: bool | None,
    keep: list[object] | None,
    output: Path | None = None,
) -> Discovery:
    config = config or MbfConfig()
    context = context or Context(config=config)
    diagnostics = context.diagnostics
    # Cyclic garbage collection is already off here: mbf.cli pauses it for every command.
    with _reading(
        plugin_manager,
        exports,
        config=config,
        context=context,
        parallel=parallel,
        hold_dependencies=output is not None,
    ) as reading:
        started: list[DependencyStart] = []

        def start_the_worker(index: int, so_far: ServerMerge) -> None:
            # At the first export the worker holds: it identifies its exports' servers and
            # merges their dependencies while this process merges those servers.
            if not started and index in reading.held:
                assert isinstance(reading, ParallelReading)
                by_id, by_ip = so_far.identities
                start = DependencyStart(
                    first=index,
                    identities=(dict(by_id), dict(by_ip)),  # copies: the merge goes on
                    parts=_own_dependencies(so_far, held=frozenset()),
                )
                reading.order(work_on_dependencies, start)
                started.append(start)

        merged = merge_servers(reading.parts(), diagnostics, before_each=start_the_worker)
        workloads = merged.workloads(diagnostics)
        held = dict(reading.held)
        members_path = _members_file(output) if started and output is not None else None
        try:
            order = None
            if members_path is not None:
                assert isinstance(reading, ParallelReading)
                order = _order(merged, held, started[0].first, config, members_path)
                reading.tell(order)
            placed = assign_datacenters(merged.estate(workloads, ()), config)
            if keep is not None:
                keep.append((merged, placed))
            if order is not None and output is not None:
                assert isinstance(reading, ParallelReading)
                again = {
                    index: functools.partial(
                        _read_again, plugin_manager, exports[index], config=config,
                        context=context,
                    )
                    for index in held
                }  # fmt: skip
                outcomes = _Outcomes(reading, started[0], order, again)
                return _write_with_worker(placed, outcomes, config, output)
        finally:
            if members_path is not None:
                with contextlib.suppress(OSError):
                    os.unlink(members_path)
    # Dependencies merged here: no worker read them, or it holds them but no file could be
    # made for them (they are read again here; the output's directory is reported below).
    parts = [
        _read_again(plugin_manager, exports[index], config=config, context=context)
        if index in held
        else part
        for index, part in enumerate(merged.parts)
    ]
    dependencies = merge_dependencies(
        [
            (part.estate.dependencies, local)
            for part, local in zip(parts, merged.local_ids, strict=True)
        ],
        merged.by_id,
        merged.ip_owner,
        keep=keep,
    )
    estate = group_workloads(attrs.evolve(placed, dependencies=dependencies), config.discovery)
    estate = validate_estate(estate, origin=_ORIGIN)
    if output is not None:
        from mbf.serialization import write_estate  # see _write_with_worker

        write_estate(estate, output)
    return Discovery(estate=estate, dependency_count=len(dependencies))


_ORIGIN = "discovered estate"


def _write_with_worker(
    placed: Estate, outcomes: _Outcomes, config: MbfConfig, output: Path
) -> Discovery:
    """Group, check and write the estate ``placed`` (its servers placed, its dependencies
    none yet) with what the worker, working on the dependencies, sends (``outcomes``)."""
    # Imported here, after the fork: importing the writer beforehand kept both processes
    # from reading for 0.03 s. (The worker imports it when it writes the dependencies.)
    from mbf.serialization import write_estate

    records = _ServerRecords(placed.servers)  # while the worker still works
    first = outcomes.next()
    assert isinstance(first, DependencyTraffic)
    estate = group_workloads(placed, config.discovery, traffic=first.traffic)
    records.grouped(estate.servers)
    problems = estate_problems(estate)

    def members() -> bytes:
        # Called once the servers are written: the worker wrote the dependencies meanwhile.
        then = outcomes.next()
        assert isinstance(then, DependencyFile)
        if problems or then.problems:
            raise ValidationError(problems + then.problems, origin=_ORIGIN)
        with open(outcomes.members_path, "rb") as written:
            return written.read()

    if problems:
        members()  # raises, with the dependencies' problems too
    write_estate(
        estate,
        output,
        dependencies_json=members if first.count else None,
        server_records=records.records,
    )
    return Discovery(estate=estate, dependency_count=first.count)


class _ServerRecords:
    """The servers' records for the estate file (:func:`mbf.serialization.server_records`),
    made before grouping, while the worker works on the dependencies.

    Grouping puts each server without a workload in one and changes nothing else: so each of
    those records gets an empty place for its ``workload_ids`` where the file has them, which
    grouping's servers fill (a twelfth of the time of making those records again).
    """

    def __init__(self, servers: Sequence[Server]) -> None:
        from mbf.serialization import server_records

        self._servers = servers
        self.records = server_records(servers)
        """One record per server, in order."""
        self._waiting = [index for index, server in enumerate(servers) if not server.workload_ids]
        for index in self._waiting:
            self.records[index] = _with_workload_ids(self.records[index])

    def grouped(self, servers: Sequence[Server]) -> None:
        """Make the records those of ``servers``: the servers given, grouped."""
        records, before = self.records, self._servers
        moved = {
            index
            for index, (server, was) in enumerate(zip(servers, before, strict=True))
            if server is not was
        }
        again = sorted(moved.difference(self._waiting))  # none, as grouping goes
        for index in self._waiting:
            if index in moved and servers[index].workload_ids:
                records[index]["workload_ids"] = servers[index].workload_ids
            else:
                again.append(index)
        from mbf.serialization import server_records

        for index, record in zip(
            again, server_records(servers[index] for index in again), strict=True
        ):
            records[index] = record


def _with_workload_ids(record: dict[str, Any]) -> dict[str, Any]:
    """``record`` with a ``workload_ids`` key where the estate file has it (before ``sources``
    and ``extra``), to be given its value."""
    placed: dict[str, Any] = {}
    for key, value in record.items():
        if key in _AFTER_WORKLOAD_IDS and "workload_ids" not in placed:
            placed["workload_ids"] = None
        placed[key] = value
    placed.setdefault("workload_ids", None)
    return placed


_SERVER_FIELDS = [field.name for field in attrs.fields(Server)]
_AFTER_WORKLOAD_IDS = frozenset(_SERVER_FIELDS[_SERVER_FIELDS.index("workload_ids") + 1 :])
"""The keys a server's record may have after its ``workload_ids`` (``sources``, ``extra``)."""


class _Outcomes:
    """What the worker sends for an order, one after the other; where it fails, the same job
    done here instead, on the exports it held read again."""

    def __init__(
        self,
        reading: ParallelReading,
        start: DependencyStart,
        order: DependencyOrder,
        held: Mapping[int, Callable[[], SourcedEstate]],
    ) -> None:
        self._reading, self._start, self._order, self._held = reading, start, order, held
        self._taken = 0
        self._here: Iterator[Any] | None = None
        self.members_path = order.members_path
        """Where the dependencies are written, as the estate file lists them."""

    def next(self) -> Any:
        """The next outcome of the order."""
        if self._here is None:
            found = self._reading.outcome()
            if found is not None:
                self._taken += 1
                return found
            held = {index: read() for index, read in self._held.items()}
            self._here = work_on_dependencies(held, lambda: self._order, self._start)
            for _ in range(self._taken):  # taken from the worker already
                next(self._here)
        return next(self._here)


def _order(
    merged: ServerMerge,
    held: Mapping[int, int],
    first: int,
    config: MbfConfig,
    members_path: str,
) -> DependencyOrder:
    """What the worker needs to work on the dependencies it holds (``held``, from ``first``
    on) and this process's, and write them to ``members_path``."""
    all_held = all(index in held for index in range(first, len(merged.parts)))
    again = (_own_dependencies(merged, held=held), merged.by_id, merged.ip_owner)
    return DependencyOrder(
        merge_again=None if all_held else again,
        workloads_of=merged.workloads_of(),
        settings=config.discovery,
        members_path=members_path,
    )


def _own_dependencies(merged: ServerMerge, *, held: Container[int]) -> DependencyParts:
    """The exports ``merged`` took that have dependencies (``None`` for those the worker
    holds, ``held``)."""
    return tuple(
        (index, None if index in held else (pack_dependencies(part.estate.dependencies), local))
        for index, (part, local) in enumerate(zip(merged.parts, merged.local_ids, strict=True))
        if index in held or part.estate.dependencies
    )


def _members_file(output: Path) -> str | None:
    """A new empty file beside ``output`` for the worker to write the dependencies to (the
    estate file is written in that directory first too); ``None`` where none can be made."""
    try:
        descriptor, path = tempfile.mkstemp(
            prefix=f".{output.name}.", suffix=".dependencies", dir=output.parent
        )
    except OSError:
        return None
    os.close(descriptor)
    return path


def _read_again(
    plugin_manager: MbfPluginManager, export: Export, *, config: MbfConfig, context: Context
) -> SourcedEstate:
    """The part of an export read once already (its warnings were reported then)."""
    again = dataclasses.replace(context, diagnostics=Diagnostics())
    return read_export(plugin_manager, export, config=config, context=again)
