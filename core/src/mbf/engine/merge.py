"""Merging the estates read from several exports into one, without losing or hiding a value.

A server seen in several exports (``SRV01``, ``srv01.contoso.local``; or the same IP address seen
by two different exports) becomes one server. Each field keeps the first export's value and
records in ``Server.sources`` which export that was; a different value from a later export is a
conflict: it is kept beside the chosen one in ``Server.extra["conflicts"]`` and reported as a
diagnostic, never silently dropped. Dependencies are re-pointed at the merged servers (an
``ip:`` endpoint becomes the server that owns the address, where exactly one does) and
aggregated per server pair, port and protocol.
"""

from __future__ import annotations

import functools
import ipaddress
import operator
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from mbf.domain import Datacenter, Dependency, Estate, Readiness, Server, Workload, server_id
from mbf.plugin import Diagnostics

__all__ = ["SourcedEstate", "canonical_ip", "merge_estates", "normalise_environment"]

_SCALAR_FIELDS = (
    "name",
    "datacenter_id",
    "os",
    "os_version",
    "cores",
    "memory_mb",
    "storage_gb",
    "environment",
    "readiness",
)
_scalars = operator.attrgetter(*_SCALAR_FIELDS)
"""The scalar fields of a server as one tuple, read at C speed."""
_MISSING = object()
_STORAGE_TOLERANCE_GB = 1.0
"""Disk totals differ by rounding between tools (MiB vs GB, provisioned vs allocated)."""
_ENVIRONMENTS = {
    "production": "prod",
    "prd": "prod",
    "development": "dev",
    "devel": "dev",
    "testing": "test",
    "tst": "test",
    "acceptance": "uat",
    "staging": "stage",
}
_EXAMPLES_PER_WARNING = 3
_DOTTED_QUAD = re.compile(r"(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})")


@attrs.frozen(kw_only=True)
class SourcedEstate:
    """The estate one export yielded, with the label its values are attributed to."""

    label: str
    """``source:path``, e.g. ``rvtools:exports/RVTools.xlsx``; recorded in ``Server.sources``."""
    estate: Estate
    """What the discovery source read."""


def normalise_environment(text: str) -> str:
    """``Production`` and ``PRD`` become ``prod``, ``Development`` ``dev``; others lower-cased."""
    word = text.strip().lower()
    return _ENVIRONMENTS.get(word, word)


@functools.lru_cache(maxsize=1 << 18)
def canonical_ip(text: str) -> str | None:
    """The canonical spelling of an address, or ``None`` when it cannot identify a server.

    Loopback, link-local, unspecified and multicast addresses are shared by every machine.
    """
    text = text.strip()
    dotted = _DOTTED_QUAD.fullmatch(text)
    if dotted is not None:
        # IPv4, by far the common case, without ipaddress' cost (50,000 servers, several exports)
        a, b, c, d = map(int, dotted.groups())
        if max(a, b, c, d) > 255 or a in (0, 127) or (a == 169 and b == 254) or 224 <= a <= 239:
            return None
        return f"{a}.{b}.{c}.{d}"
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if (
        address.is_loopback
        or address.is_link_local
        or address.is_unspecified
        or address.is_multicast
    ):
        return None
    return str(address)


class _ServerDraft:
    """A merged server being assembled, field by field, from every export that saw it."""

    __slots__ = (
        "blockers",
        "conflicts",
        "extra",
        "extra_origin",
        "id",
        "ips",
        "origin",
        "values",
        "workloads",
    )

    def __init__(self, id_: str) -> None:
        self.id = id_
        self.values: dict[str, Any] = {}
        self.origin: dict[str, str] = {}
        """Export label per field."""
        self.extra_origin: dict[str, str] = {}
        """Export label per extra key."""
        self.ips: dict[str, None] = {}
        self.blockers: dict[str, None] = {}
        self.workloads: dict[str, None] = {}
        self.extra: dict[str, Any] = {}
        self.conflicts: dict[str, dict[str, Any]] = {}

    def start(self, server: Server, label: str) -> None:
        """Take every value of ``server``, the first export to see it (what :func:`_take` does
        with nothing to compare against, in bulk)."""
        values = {
            field: value
            for field, value in zip(_SCALAR_FIELDS, _scalars(server), strict=True)
            if value is not None and value != "" and value is not Readiness.UNKNOWN
        }
        environment = values.get("environment")
        if environment is not None:
            values["environment"] = normalise_environment(environment)
        self.values = values
        self.origin = dict.fromkeys(values, label)
        extra = {
            key: value for key, value in server.extra.items() if value is not None and value != ""
        }
        self.extra = extra
        self.extra_origin = dict.fromkeys(extra, label)

    def build(self) -> Server:
        extra = dict(self.extra)
        if self.conflicts:
            extra["conflicts"] = {
                field: dict(values) for field, values in sorted(self.conflicts.items())
            }
        return Server(
            id=self.id,
            ip_addresses=tuple(self.ips),
            blockers=tuple(self.blockers),
            workload_ids=tuple(sorted(self.workloads)),
            sources=self.origin,
            extra=extra,
            **self.values,
        )


class _Conflicts:
    """Conflicts grouped per field and pair of exports, so 50,000 OS spellings make one warning."""

    def __init__(self) -> None:
        self.counts: dict[tuple[str, str, str], int] = defaultdict(int)
        self.examples: dict[tuple[str, str, str], list[str]] = defaultdict(list)

    def add(
        self, server: str, field: str, *, kept_from: str, kept: Any, other_from: str, other: Any
    ) -> None:
        group = (field, kept_from, other_from)
        self.counts[group] += 1
        if self.counts[group] <= _EXAMPLES_PER_WARNING:
            self.examples[group].append(f"{server}: {kept!r} vs {other!r}")

    def report(self, diagnostics: Diagnostics) -> None:
        for group, count in sorted(self.counts.items()):
            field, kept_from, other_from = group
            more = count - _EXAMPLES_PER_WARNING
            examples = "; ".join(self.examples[group]) + (f"; and {more} more" if more > 0 else "")
            diagnostics.warn(
                f"{field} differs on {count} server(s) between {kept_from} and {other_from}; "
                f"kept the value from {kept_from}, the other is in the server's extra.conflicts "
                f"({examples})"
            )


def _same(field: str, kept: Any, other: Any) -> bool:
    if field == "storage_gb":
        return bool(abs(kept - other) <= _STORAGE_TOLERANCE_GB)
    if field == "name":
        short_kept, short_other = (
            str(kept).lower().split(".", 1)[0],
            str(other).lower().split(".", 1)[0],
        )
        return short_kept == short_other or server_id(kept) == server_id(other)
    if isinstance(kept, str) and isinstance(other, str):
        return kept.strip().lower() == other.strip().lower()
    return bool(kept == other)


def _take(draft: _ServerDraft, server: Server, label: str, conflicts: _Conflicts) -> None:
    """Take each value ``server`` has and ``draft`` lacks; a different value is a conflict."""
    values, origin = draft.values, draft.origin
    for field, found in zip(_SCALAR_FIELDS, _scalars(server), strict=True):
        if found is None or found == "" or found is Readiness.UNKNOWN:
            continue
        value = normalise_environment(found) if field == "environment" else found
        kept = values.get(field, _MISSING)
        if kept is _MISSING:
            values[field] = value
            origin[field] = label
        elif kept != value:
            if (
                field == "name"
                and kept.partition(".")[0].lower() == value.partition(".")[0].lower()
            ):
                # SRV01 and srv01.contoso.local, the common case of _reconcile, decided here
                if len(value) > len(kept):
                    values[field] = value
                    origin[field] = label
                continue
            _reconcile(
                draft, field, kept=kept, value=value, label=label, conflicts=conflicts, extra=False
            )
    extra, extra_origin = draft.extra, draft.extra_origin
    for key, value in server.extra.items():
        if value is None or value == "":
            continue
        kept = extra.get(key, _MISSING)
        if kept is _MISSING:
            extra[key] = value
            extra_origin[key] = label
        elif kept != value:
            _reconcile(
                draft, key, kept=kept, value=value, label=label, conflicts=conflicts, extra=True
            )


def _reconcile(
    draft: _ServerDraft,
    key: str,
    *,
    kept: Any,
    value: Any,
    label: str,
    conflicts: _Conflicts,
    extra: bool,
) -> None:
    """Two exports gave different values: equal after all, a better name, or a conflict kept aside."""
    store, origin = (draft.extra, draft.extra_origin) if extra else (draft.values, draft.origin)
    if _same(key, kept, value):
        if key == "name" and not extra and len(str(value)) > len(str(kept)):
            store[key] = value  # the FQDN says more than the short name; both name one host
            origin[key] = label
        return
    kept_from = origin[key]
    field = f"extra.{key}" if extra else key
    seen = draft.conflicts.setdefault(field, {kept_from: _plain(kept)})
    seen.setdefault(label, _plain(value))
    conflicts.add(
        draft.id,
        field,
        kept_from=kept_from,
        kept=_plain(kept),
        other_from=label,
        other=_plain(value),
    )


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Readiness) else value


def _owner_in_other_export(
    addresses: Iterable[str], part: int, by_ip: Mapping[str, tuple[str, int] | None]
) -> str | None:
    """The merged server another export saw with one of ``addresses``, if any."""
    for text in addresses:
        ip = canonical_ip(text)
        owner = by_ip.get(ip) if ip else None
        if owner is not None and owner[1] != part:
            return owner[0]  # same address in two exports; within one export it may be a clone
    return None


def merge_estates(parts: Sequence[SourcedEstate], diagnostics: Diagnostics) -> Estate:
    """One estate from the estates of several exports, in the order given (first value wins)."""
    drafts: dict[str, _ServerDraft] = {}
    by_id: dict[str, str] = {}
    by_ip: dict[str, tuple[str, int] | None] = {}
    conflicts = _Conflicts()
    local_ids: list[dict[str, str]] = []

    for part_index, part in enumerate(parts):
        local: dict[str, str] = {}
        label = part.label
        for server in part.estate.servers:
            # The merged server this one is: same short name, else an address another export saw.
            merged_id = by_id.get(server.id)
            if merged_id is None and part_index and server.ip_addresses:
                merged_id = _owner_in_other_export(server.ip_addresses, part_index, by_ip)
            if merged_id is None:
                merged_id = server.id
                draft = drafts[merged_id] = _ServerDraft(merged_id)
                draft.start(server, label)
            else:
                draft = drafts[merged_id]
                _take(draft, server, label, conflicts)
            local[server.id] = merged_id
            by_id.setdefault(server.id, merged_id)
            for text in server.ip_addresses:
                draft.ips.setdefault(text.strip(), None)
                ip = canonical_ip(text)
                if ip is None:
                    continue
                if ip not in by_ip:
                    by_ip[ip] = (merged_id, part_index)
                    continue
                owner = by_ip[ip]
                if owner is not None and owner[0] != merged_id:
                    by_ip[ip] = None  # two servers share it: it identifies neither
            if server.blockers:
                draft.blockers.update(dict.fromkeys(server.blockers))
            if server.workload_ids:
                draft.workloads.update(dict.fromkeys(server.workload_ids))
        local_ids.append(local)
    conflicts.report(diagnostics)

    datacenters = _merge_datacenters(p.estate.datacenters for p in parts)
    ip_owner = {ip: owner[0] for ip, owner in by_ip.items() if owner is not None}
    dependencies = _merge_dependencies(parts, local_ids, by_id, ip_owner)
    servers, workloads = _merge_workloads(parts, local_ids, drafts, diagnostics)
    return Estate(
        datacenters=datacenters,
        servers=servers,
        workloads=workloads,
        dependencies=dependencies,
        sources=tuple(source for part in parts for source in part.estate.sources),
    )


def _merge_datacenters(groups: Iterable[Iterable[Datacenter]]) -> tuple[Datacenter, ...]:
    merged: dict[str, Datacenter] = {}
    for group in groups:
        for datacenter in group:
            kept = merged.get(datacenter.id)
            if kept is None:
                merged[datacenter.id] = datacenter
            elif not kept.location and datacenter.location:
                merged[datacenter.id] = attrs.evolve(kept, location=datacenter.location)
    return tuple(merged[k] for k in sorted(merged))


def _merge_workloads(
    parts: Sequence[SourcedEstate],
    local_ids: Sequence[Mapping[str, str]],
    drafts: Mapping[str, _ServerDraft],
    diagnostics: Diagnostics,
) -> tuple[tuple[Server, ...], tuple[Workload, ...]]:
    """Workloads of one id merge; membership is the union of both directions of the relation."""
    merged: dict[str, Workload] = {}
    members: dict[str, dict[str, None]] = defaultdict(dict)
    for part, local in zip(parts, local_ids, strict=True):
        for workload in part.estate.workloads:
            kept = merged.get(workload.id)
            if kept is None:
                merged[workload.id] = attrs.evolve(workload, server_ids=())
            else:
                changes: dict[str, Any] = {}
                for field in ("owner", "criticality", "environment", "reason"):
                    mine, theirs = getattr(kept, field), getattr(workload, field)
                    if not mine and theirs:
                        changes[field] = theirs
                    elif mine and theirs and mine != theirs and field != "reason":
                        diagnostics.warn(
                            f"workload {workload.id!r}: {field} {mine!r} kept, {theirs!r} from "
                            f"{part.label} differs"
                        )
                if changes:
                    merged[workload.id] = attrs.evolve(kept, **changes)
            for sid in workload.server_ids:
                members[workload.id][local.get(sid, sid)] = None
    for draft in drafts.values():
        for workload_id in draft.workloads:
            members[workload_id][draft.id] = None
            if workload_id not in merged:
                merged[workload_id] = Workload(id=workload_id, name=workload_id)
    for workload_id, server_ids in members.items():
        for sid in server_ids:
            if sid in drafts:
                drafts[sid].workloads[workload_id] = None
    workloads = tuple(
        attrs.evolve(merged[wid], server_ids=tuple(sorted(s for s in members[wid] if s in drafts)))
        for wid in sorted(merged)
    )
    servers = tuple(drafts[sid].build() for sid in sorted(drafts))
    return servers, workloads


def _merge_dependencies(
    parts: Sequence[SourcedEstate],
    local_ids: Sequence[Mapping[str, str]],
    by_id: Mapping[str, str],
    ip_owner: Mapping[str, str],
) -> tuple[Dependency, ...]:
    """Re-point every dependency at merged servers and add up duplicates' weights.

    A dependency that only one export saw, between servers that kept their ids, is kept as it is
    rather than built again (most of a quarter of a million, at 50,000 servers).
    """
    totals: dict[tuple[str, str, int, str], list[Any]] = {}
    resolved: dict[str, str] = {}
    for part, local in zip(parts, local_ids, strict=True):
        ends: dict[str, str] = {}  # this export's endpoint ids, each resolved once
        for dep in part.estate.dependencies:
            source_id, target_id, port, protocol = _dependency_key(dep)
            source = ends.get(source_id)
            if source is None:
                source = ends[source_id] = _endpoint(source_id, local, by_id, ip_owner, resolved)
            target = ends.get(target_id)
            if target is None:
                target = ends[target_id] = _endpoint(target_id, local, by_id, ip_owner, resolved)
            if source == target:
                continue  # a server talking to itself says nothing about grouping or ordering
            key = (source, target, -1 if port is None else port, protocol)
            total = totals.get(key)
            if total is None:
                unchanged = source == source_id and target == target_id
                totals[key] = [dep.weight, dep.process, dep if unchanged else None]
            else:
                total[0] += dep.weight
                if not total[1]:
                    total[1] = dep.process
                total[2] = None  # aggregated: a new dependency
    return tuple(
        kept
        if kept is not None
        else Dependency(
            source_id=source,
            target_id=target,
            port=None if port < 0 else port,
            protocol=protocol,
            process=process,
            weight=weight,
        )
        for (source, target, port, protocol), (weight, process, kept) in sorted(totals.items())
    )


_dependency_key = operator.attrgetter("source_id", "target_id", "port", "protocol")


def _endpoint(
    end: str,
    local: Mapping[str, str],
    by_id: Mapping[str, str],
    ip_owner: Mapping[str, str],
    resolved: dict[str, str],
) -> str:
    """The merged endpoint of a dependency end of one export (``resolved`` caches the others)."""
    found = local.get(end)
    if found is not None:
        return found
    cached = resolved.get(end)
    if cached is not None:
        return cached
    if end.startswith("ip:"):
        ip = canonical_ip(end[3:])
        result = ip_owner.get(ip, f"ip:{ip}") if ip else end
    elif end.startswith("external:"):
        result = end
    else:
        result = by_id.get(end, f"external:{end}")
    resolved[end] = result
    return result
