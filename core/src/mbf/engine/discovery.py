"""Discovery: read every export with its source, merge them into one estate, place and group servers.

The steps, in order: each export is read by the discovery source its name or content selects
(:meth:`MbfPluginManager.find_discovery_source`); the estates are merged
(:mod:`mbf.engine.merge`); servers get their datacenter from an export column, else from the
first matching ``[[discovery.datacenter_rules]]``, else from their ``[[sources]]`` entry; servers
without application data are grouped by dependencies (:mod:`mbf.engine.workload_grouping`);
the result is validated. Nothing is written here; the command writes the estate atomically.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import ipaddress
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from mbf.config import DatacenterRule, MbfConfig, plugin_settings
from mbf.domain import Datacenter, Estate, EstateSource, Server, slug, validate_estate
from mbf.engine.export_reading import can_read_in_parallel, read_in_parallel, worker_share
from mbf.engine.merge import SourcedEstate, canonical_ip, merge_estates
from mbf.engine.workload_grouping import group_workloads
from mbf.errors import ConfigError, InputError
from mbf.plugin import Context
from mbf.plugin.manager import MbfPluginManager

__all__ = [
    "Export",
    "assign_datacenters",
    "discover",
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

    def read_one(index: int, context: Context) -> SourcedEstate:
        return read_export(plugin_manager, exports[index], config=config, context=context)

    sizes = [_size(e.path) for e in exports]
    if parallel is None:
        parallel = can_read_in_parallel(sizes)
    if not parallel or len(exports) < 2:
        return (read_one(index, context) for index in range(len(exports)))
    return read_in_parallel(read_one, len(exports), context, worker_from=worker_share(sizes))


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
    config = config or MbfConfig()
    context = context or Context(config=config)
    # Cyclic garbage collection is already off here: mbf.cli pauses it for every command.
    parts = read_exports(plugin_manager, exports, config=config, context=context, parallel=parallel)
    merged = merge_estates(parts, context.diagnostics, keep=keep)
    placed = assign_datacenters(merged, config)
    estate = group_workloads(placed, config.discovery)
    if keep is not None:
        keep.append((merged, placed))
    return validate_estate(estate, origin="discovered estate")
