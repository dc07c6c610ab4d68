"""The servers and dependencies of a native estate file, unstructured without cattrs' generic
machinery.

At 50,000 servers an estate holds a quarter of a million dependencies, and cattrs' generated
unstructure functions were two thirds of writing the file (0.57 of 0.76 s). These functions
build the very dictionaries the native converter (``omit_if_default``) builds, faster:

- a field at its default is left out, exactly where the converter compares ``value != default``;
- mapping keys are sorted, as the converter's mapping hook sorts them;
- tuples are left as tuples: orjson writes them as the lists the converter would make;
- a mapping inside ``extra`` (a merge's ``conflicts``: per field, each export's value) is left
  as it is, keys in their own order, as the converter leaves it.

Both paths end in orjson, so an ``extra`` value may be left as it is wherever orjson writes it
as it writes the converter's copy of it: text, numbers, booleans, ``None``, and lists, tuples
and text-keyed mappings of them, enums and UUIDs. A server whose ``extra`` holds anything else
(a date, a set, bytes, an attrs or dataclass instance, a subclass of a built-in type, a key that
is not text), and a server whose readiness is not a :class:`Readiness`, are handed to the
converter, which stays the reference. ``tests/serialization/test_estate_json.py`` checks both
paths against it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import orjson

from mbf.domain import Dependency, Readiness, Server

__all__ = ["dependencies_to_json", "servers_to_json"]

_SCALARS = frozenset({str, int, float, bool, type(None)})
"""Types the converter returns unchanged, so a mapping of them needs only its keys sorted."""
_ONLY_NATIVE = (
    orjson.OPT_PASSTHROUGH_SUBCLASS
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
)
"""orjson's options that hand the types the converter writes otherwise to ``default``."""
_UNKNOWN = Readiness.UNKNOWN


def servers_to_json(
    servers: Iterable[Server], unstructure: Callable[[Any], Any]
) -> list[dict[str, Any]]:
    """The native dictionaries of ``servers``; ``unstructure`` (the native converter's) takes the
    servers the fast path does not."""
    in_order: dict[tuple[str, ...], bool] = {}  # see _sorted
    return [_server(server, unstructure, in_order) for server in servers]


def _server(
    server: Server, unstructure: Callable[[Any], Any], in_order: dict[tuple[str, ...], bool]
) -> dict[str, Any]:
    extra = server.extra
    readiness = server.readiness
    if type(readiness) is not Readiness or not (
        _SCALARS.issuperset(map(type, extra.values())) or _written_as_is(extra)
    ):
        return unstructure(server)  # type: ignore[no-any-return]
    record: dict[str, Any] = {"id": server.id, "name": server.name}
    if server.datacenter_id is not None:
        record["datacenter_id"] = server.datacenter_id
    if server.os != "":
        record["os"] = server.os
    if server.os_version != "":
        record["os_version"] = server.os_version
    if server.cores is not None:
        record["cores"] = server.cores
    if server.memory_mb is not None:
        record["memory_mb"] = server.memory_mb
    if server.storage_gb is not None:
        record["storage_gb"] = server.storage_gb
    if server.environment != "":
        record["environment"] = server.environment
    if server.ip_addresses != ():
        record["ip_addresses"] = server.ip_addresses
    if readiness is not _UNKNOWN:
        record["readiness"] = readiness.value
    if server.blockers != ():
        record["blockers"] = server.blockers
    if server.workload_ids != ():
        record["workload_ids"] = server.workload_ids
    sources = server.sources
    if sources:
        record["sources"] = _sorted(sources, in_order)
    if extra:
        record["extra"] = _sorted(extra, in_order)
    return record


def _written_as_is(mapping: Mapping[str, Any]) -> bool:
    """Whether orjson writes ``mapping`` as it writes the converter's copy of it (see the module
    docstring): whether it writes it without handing a value to ``default``.

    One pass in orjson's own code: at 50,000 servers with a merge's conflicts (a mapping of
    mappings in each ``extra``), a third of the time it took to walk them here.
    """
    try:
        orjson.dumps(mapping, default=_refuse, option=_ONLY_NATIVE)
    except TypeError:  # also orjson's own error: a key that is not text, an integer too big
        return False
    return True


def _refuse(value: object) -> object:
    raise TypeError(f"not written as it is: {type(value).__name__}")


def _sorted(mapping: Mapping[str, Any], in_order: dict[tuple[str, ...], bool]) -> Mapping[str, Any]:
    """``mapping`` with its keys sorted: itself when they are (the merge makes them so).

    ``in_order`` remembers whether each tuple of keys seen is sorted: thousands of servers
    share a few (the fields an export gives), and looking one up is cheaper than sorting it.
    """
    keys = tuple(mapping)
    ordered = in_order.get(keys)
    if ordered is None:
        ordered = in_order[keys] = list(keys) == sorted(keys)
    if ordered and type(mapping) is dict:
        return mapping
    return {key: mapping[key] for key in sorted(keys)}


def dependencies_to_json(dependencies: Iterable[Dependency]) -> list[dict[str, Any]]:
    """The native dictionaries of ``dependencies`` (every field is a scalar: no fallback)."""
    return list(map(_dependency, dependencies))


def _dependency(dependency: Dependency) -> dict[str, Any]:
    record: dict[str, Any] = {
        "source_id": dependency.source_id,
        "target_id": dependency.target_id,
    }
    if dependency.port is not None:
        record["port"] = dependency.port
    if dependency.protocol != "":
        record["protocol"] = dependency.protocol
    if dependency.process != "":
        record["process"] = dependency.process
    if dependency.weight != 1.0:
        record["weight"] = dependency.weight
    return record
