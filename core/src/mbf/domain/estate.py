"""The estate: what discovery found — datacenters, servers, workloads and their dependencies."""

from __future__ import annotations

import collections
import datetime as dt
import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs

from mbf.domain._converters import to_dict, to_float, to_optional_float, to_tuple
from mbf.domain.enums import MigrationStrategy, Readiness

__all__ = [
    "BlackoutWindow",
    "Datacenter",
    "Dependency",
    "Estate",
    "EstateSource",
    "MigrationStrategy",
    "Readiness",
    "Server",
    "Workload",
    "normalised_dependencies",
    "normalised_dependency",
    "normalised_server",
    "normalised_servers",
]


@attrs.frozen(kw_only=True)
class BlackoutWindow:
    """A change freeze: no migration of the datacenter it belongs to may land inside it."""

    start: dt.date
    """First frozen day."""
    end: dt.date
    """Last frozen day (inclusive)."""
    reason: str = ""
    """Why the window exists, e.g. ``quarter close``."""


@attrs.frozen(kw_only=True)
class Datacenter:
    """A site to be emptied; its lease end is the usual business driver of the migration order."""

    id: str
    """Stable id, e.g. ``ams1``; servers refer to it by ``datacenter_id``."""
    name: str
    """Display name, e.g. ``Amsterdam 1``."""
    location: str = ""
    """City, region or address."""
    lease_end: dt.date | None = None
    """Date by which the datacenter must be empty, if there is one."""
    priority: int | None = None
    """Business priority; lower numbers move first among equal lease ends."""
    blackout: tuple[BlackoutWindow, ...] = attrs.field(default=(), converter=to_tuple)
    """Change freezes during which nothing of this datacenter is migrated."""


@attrs.frozen(kw_only=True)
class Server:
    """One asset to migrate: a physical or virtual machine."""

    id: str
    """Stable id derived from the server's name (see :func:`mbf.domain.ids.server_id`)."""
    name: str
    """Host name as discovery reported it."""
    datacenter_id: str | None = None
    """Id of the :class:`Datacenter` that hosts it, if known."""
    os: str = ""
    """Operating system name, e.g. ``Windows Server 2016 Datacenter``."""
    os_version: str = ""
    """Operating system version as reported."""
    cores: int | None = None
    """Number of (virtual) processor cores."""
    memory_mb: int | None = None
    """Memory in MiB."""
    storage_gb: float | None = attrs.field(default=None, converter=to_optional_float)
    """Total provisioned disk in GiB."""
    environment: str = ""
    """``prod``, ``test``, ``dev`` or the organisation's own word; empty when unknown."""
    ip_addresses: tuple[str, ...] = attrs.field(default=(), converter=to_tuple)
    """IPv4 and IPv6 addresses."""
    readiness: Readiness = Readiness.UNKNOWN
    """Azure readiness from the assessment."""
    blockers: tuple[str, ...] = attrs.field(default=(), converter=to_tuple)
    """Readiness issues that must be remediated before the server can move."""
    workload_ids: tuple[str, ...] = attrs.field(default=(), converter=to_tuple)
    """Ids of the workloads the server belongs to."""
    sources: Mapping[str, str] = attrs.field(factory=dict, converter=to_dict)
    """Per field, the export the value was taken from (``{"cores": "rvtools:RVTools.xlsx"}``)."""
    extra: Mapping[str, Any] = attrs.field(factory=dict, converter=to_dict)
    """Source-specific values with no field of their own; kept, never interpreted by the core."""


@attrs.frozen(kw_only=True)
class Workload:
    """Servers that serve one application and therefore move together."""

    id: str
    """Stable id, e.g. ``payroll``."""
    name: str
    """Display name."""
    server_ids: tuple[str, ...] = attrs.field(default=(), converter=to_tuple)
    """Ids of the servers in the workload."""
    owner: str = ""
    """Application owner who signs off the move."""
    criticality: str = ""
    """Business criticality as the organisation grades it."""
    environment: str = ""
    """``prod``, ``test``, ``dev`` ...; empty when mixed or unknown."""
    strategy: MigrationStrategy = MigrationStrategy.REHOST
    """How the workload moves (or does not)."""
    reason: str = ""
    """Why these servers belong together, e.g. ``CMDB application Payroll``."""
    extra: Mapping[str, Any] = attrs.field(factory=dict, converter=to_dict)
    """Source-specific values with no field of their own."""


@attrs.frozen(kw_only=True)
class Dependency:
    """Observed traffic from one server to another server or to an external endpoint."""

    source_id: str
    """Id of the server that opens the connection."""
    target_id: str
    """Id of the server connected to, or an external endpoint such as ``ip:10.1.2.3``."""
    port: int | None = None
    """Destination port."""
    protocol: str = ""
    """``tcp`` or ``udp`` where known."""
    process: str = ""
    """Destination process name, where known."""
    weight: float = attrs.field(default=1.0, converter=to_float)
    """Strength of the dependency, e.g. connection count or observed time slots."""


@attrs.frozen(kw_only=True)
class EstateSource:
    """An export the estate was read from."""

    source: str
    """Name of the discovery source that read it, e.g. ``rvtools``."""
    path: str
    """File name as given on the command line or in mbf.toml."""
    records: int = 0
    """Number of records taken from it."""


@attrs.frozen(kw_only=True)
class Estate:
    """Everything discovery knows about the datacenters to be migrated."""

    datacenters: tuple[Datacenter, ...] = attrs.field(default=(), converter=to_tuple)
    """Datacenters, in business-driver order once generation has sorted them."""
    servers: tuple[Server, ...] = attrs.field(default=(), converter=to_tuple)
    """Servers of all datacenters."""
    workloads: tuple[Workload, ...] = attrs.field(default=(), converter=to_tuple)
    """Workloads grouping the servers."""
    dependencies: tuple[Dependency, ...] = attrs.field(default=(), converter=to_tuple)
    """Server-to-server and server-to-endpoint dependencies."""
    sources: tuple[EstateSource, ...] = attrs.field(default=(), converter=to_tuple)
    """The exports this estate was built from."""


# -- building many records fast -----------------------------------------------------------------
#
# A discovery of 50,000 servers builds a quarter of a million servers and dependencies, and the
# attrs ``__init__`` with its converters was a second of it. These build the same objects from
# values already in the form the converters give, without running them.

_new = object.__new__
(
    _set_id, _set_name, _set_datacenter_id, _set_os, _set_os_version, _set_cores, _set_memory_mb,
    _set_storage_gb, _set_environment, _set_ip_addresses, _set_readiness, _set_blockers,
    _set_workload_ids, _set_sources, _set_extra,
) = (getattr(Server, field.name).__set__ for field in attrs.fields(Server))  # fmt: skip
(
    _set_source_id, _set_target_id, _set_port, _set_protocol, _set_process, _set_weight,
) = (getattr(Dependency, field.name).__set__ for field in attrs.fields(Dependency))  # fmt: skip


def normalised_server(
    *,
    id: str,
    name: str,
    datacenter_id: str | None = None,
    os: str = "",
    os_version: str = "",
    cores: int | None = None,
    memory_mb: int | None = None,
    storage_gb: float | None = None,
    environment: str = "",
    ip_addresses: tuple[str, ...] = (),
    readiness: Readiness = Readiness.UNKNOWN,
    blockers: tuple[str, ...] = (),
    workload_ids: tuple[str, ...] = (),
    sources: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Server:
    """``Server(...)`` of values already as its converters leave them: ``storage_gb`` a float
    (or ``None``), sequences tuples, and ``sources`` and ``extra`` dicts of the server's own
    (they are not copied); equal to the server ``Server`` builds, in half the time."""
    server = _new(Server)
    _set_id(server, id)
    _set_name(server, name)
    _set_datacenter_id(server, datacenter_id)
    _set_os(server, os)
    _set_os_version(server, os_version)
    _set_cores(server, cores)
    _set_memory_mb(server, memory_mb)
    _set_storage_gb(server, storage_gb)
    _set_environment(server, environment)
    _set_ip_addresses(server, ip_addresses)
    _set_readiness(server, readiness)
    _set_blockers(server, blockers)
    _set_workload_ids(server, workload_ids)
    _set_sources(server, {} if sources is None else sources)
    _set_extra(server, {} if extra is None else extra)
    return server


def normalised_dependency(
    *,
    source_id: str,
    target_id: str,
    port: int | None = None,
    protocol: str = "",
    process: str = "",
    weight: float = 1.0,
) -> Dependency:
    """``Dependency(...)`` of values already as its converter leaves them (``weight`` a
    float); equal to the dependency ``Dependency`` builds, in half the time."""
    dependency = _new(Dependency)
    _set_source_id(dependency, source_id)
    _set_target_id(dependency, target_id)
    _set_port(dependency, port)
    _set_protocol(dependency, protocol)
    _set_process(dependency, process)
    _set_weight(dependency, weight)
    return dependency


# -- building many records a field at a time ------------------------------------------------------
#
# Where a source or the merge has its values as columns, the records are made empty and each
# field is set for all of them in one pass: no Python call per record. Same records as the
# functions above, in about two thirds of the time.

_SERVER_SETTERS = dict(zip((field.name for field in attrs.fields(Server)), (
    _set_id, _set_name, _set_datacenter_id, _set_os, _set_os_version, _set_cores, _set_memory_mb,
    _set_storage_gb, _set_environment, _set_ip_addresses, _set_readiness, _set_blockers,
    _set_workload_ids, _set_sources, _set_extra,
), strict=True))  # fmt: skip
_SERVER_DEFAULTS: dict[str, Any] = {
    field.name: field.default
    for field in attrs.fields(Server)
    if field.name not in ("id", "name", "sources", "extra")
}
_DEPENDENCY_SETTERS = (
    _set_source_id, _set_target_id, _set_port, _set_protocol, _set_process, _set_weight,
)  # fmt: skip


def _fill(
    records: list[Any],
    setter: Callable[[Any, Any], None],
    column: Sequence[Any] | None,
    default: Any,
) -> None:
    """Set one field of every record: ``column[i]`` on ``records[i]``, or ``default`` on all."""
    if column is None:
        values: Iterable[Any] = itertools.repeat(default, len(records))
    elif len(column) != len(records):
        raise ValueError(f"a column of {len(column)} values for {len(records)} records")
    else:
        values = column
    collections.deque(map(setter, records, values), maxlen=0)


def normalised_servers(
    ids: Sequence[str], names: Sequence[str], **columns: Sequence[Any] | None
) -> list[Server]:
    """``[normalised_server(id=ids[i], name=names[i], field=columns[field][i], ...)]``: a server
    per id, each field from its column (keyword: the field's name); a field without a column (or
    whose column is ``None``) has its default, and each server its own empty ``sources`` and
    ``extra`` unless given. Values as :func:`normalised_server` takes them."""
    unknown = columns.keys() - _SERVER_SETTERS.keys() - {"id", "name"}
    if unknown:
        raise TypeError(f"not fields of a server: {', '.join(sorted(unknown))}")
    servers: list[Server] = list(map(_new, itertools.repeat(Server, len(ids))))
    _fill(servers, _set_id, ids, None)
    _fill(servers, _set_name, names, None)
    for field, default in _SERVER_DEFAULTS.items():
        _fill(servers, _SERVER_SETTERS[field], columns.get(field), default)
    for field in ("sources", "extra"):
        own = columns.get(field)
        if own is None:
            own = [{} for _ in servers]
        _fill(servers, _SERVER_SETTERS[field], own, None)
    return servers


def normalised_dependencies(
    source_ids: Sequence[str],
    target_ids: Sequence[str],
    *,
    ports: Sequence[int | None] | None = None,
    protocols: Sequence[str] | None = None,
    processes: Sequence[str] | None = None,
    weights: Sequence[float] | None = None,
) -> list[Dependency]:
    """``[normalised_dependency(source_id=source_ids[i], ...)]``: a dependency per pair of ids,
    each other field from its column, or its default where it has none (``None``). Values as
    :func:`normalised_dependency` takes them (weights floats)."""
    dependencies: list[Dependency] = list(map(_new, itertools.repeat(Dependency, len(source_ids))))
    defaults = (None, None, None, "", "", 1.0)
    columns = (source_ids, target_ids, ports, protocols, processes, weights)
    for setter, column, default in zip(_DEPENDENCY_SETTERS, columns, defaults, strict=True):
        _fill(dependencies, setter, column, default)
    return dependencies
