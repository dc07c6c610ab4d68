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
import itertools
import operator
import re
import socket
import struct
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs

from mbf.domain import Datacenter, Dependency, Estate, Readiness, Server, Workload, server_id
from mbf.domain.estate import normalised_dependency, normalised_servers
from mbf.plugin import Diagnostics

__all__ = [
    "ServerMerge",
    "SourcedEstate",
    "canonical_ip",
    "identify_servers",
    "merge_dependencies",
    "merge_estates",
    "merge_servers",
    "normalise_environment",
]

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
_DEFAULTS: dict[str, Any] = {
    field: attrs.fields_dict(Server)[field].default if field != "name" else ""
    for field in _SCALAR_FIELDS
}
"""What a merged server has in a field no export filled."""
_MISSING = object()
_UNKNOWN = Readiness.UNKNOWN
_BLANKS = frozenset({None, "", _UNKNOWN})
"""Values that say nothing: a field with one of them takes the next export's value."""
_BLANK_EXTRAS = frozenset({None, ""})
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
_OCTET = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_CANONICAL_IPV4 = re.compile(
    r"(?!0\.|127\.|169\.254\.|22[4-9]\.|23[0-9]\.)" + rf"(?:{_OCTET}\.){{3}}{_OCTET}"
)
"""A dotted quad as :func:`canonical_ip` spells it (ASCII digits, no leading zero, each at most
255) outside the ranges every machine shares (0, 127, 169.254 and 224 to 239)."""


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
    if _CANONICAL_IPV4.fullmatch(text):
        return text  # already spelled canonically, and no shared range: as most addresses are
    dotted = _DOTTED_QUAD.fullmatch(text)
    if dotted is not None:
        # IPv4, by far the common case, without ipaddress' cost (50,000 servers, several exports)
        a, b, c, d = map(int, dotted.groups())
        if max(a, b, c, d) > 255 or a in (0, 127) or (a == 169 and b == 254) or 224 <= a <= 239:
            return None
        return f"{a}.{b}.{c}.{d}"
    ipv6 = _canonical_ipv6(text)
    if ipv6 is not _UNSURE:
        return ipv6
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


_UNSURE = "?"
"""What :func:`_canonical_ipv6` returns for a text it leaves to :mod:`ipaddress`."""
_IPV4_EMBEDDED = (bytes(12), bytes(10) + b"\xff\xff")
"""The first 12 bytes of the IPv6 ranges that :mod:`ipaddress` spells or judges by their last
four bytes, as an IPv4 address (``::1.2.3.4``, ``::ffff:1.2.3.4``): ``::`` and ``::1`` are among
them, and Python versions differ on the rest."""
_GROUPS = struct.Struct(">8H").unpack
_FRAMED = ":{:x}:{:x}:{:x}:{:x}:{:x}:{:x}:{:x}:{:x}:".format
"""Eight groups in lower-case hex without leading zeros, each between colons."""
_ZERO_GROUPS = re.compile(r"(?::0)+:")
"""A run of zero groups in ``:``-framed groups, with the colons around it."""


def _canonical_ipv6(text: str) -> str | None:
    """:func:`canonical_ip` of an IPv6 address without :mod:`ipaddress`; :data:`_UNSURE` for a
    text that embeds an IPv4 address or a scope, and for any other text.

    Azure Migrate lists a dual-stack server's IPv6 addresses beside its IPv4 ones, and each took
    :mod:`ipaddress` 13 microseconds (0.22 s for the 16,667 of a 50,000-server inventory). The
    system parses one in a microsecond, and it is spelled here as :mod:`ipaddress` spells it
    (RFC 5952) in two more, rather than by the system's printer: how that spells an address is
    up to each C library, and the estate must be the same on every system.
    """
    if "." in text or "%" in text:
        return _UNSURE
    try:
        packed = socket.inet_pton(socket.AF_INET6, text)
    except (OSError, ValueError):  # not IPv6, or a NUL or non-ASCII character
        return _UNSURE
    if packed[:12] in _IPV4_EMBEDDED:
        return _UNSURE
    first, second = packed[0], packed[1]
    if first == 0xFF or (first == 0xFE and second & 0xC0 == 0x80):
        return None  # multicast (ff00::/8) or link-local (fe80::/10): shared by every machine
    # The first longest run of two zero groups or more (5 characters with its colons, ":0:0:")
    # becomes "::".
    framed = _FRAMED(*_GROUPS(packed))
    zeros = max(_ZERO_GROUPS.findall(framed), key=len, default="")
    if len(zeros) < 5:
        return framed[1:-1]
    spelled = framed.replace(zeros, "::", 1)
    # Drop the framing colons, except where "::" took one of them.
    return spelled[spelled[:2] != "::" : len(spelled) - (spelled[-2:] != "::")]


class _Drafts:
    """The merged servers being assembled, a field at a time, from every export that saw them.

    Values are kept per field, not per server: ``values["cores"][i]`` is the cores of the ``i``-th
    merged server (in the order first seen), ``None`` while no export gave them. So an export's
    servers are taken a column at a time: a column the export never fills (the cores of a
    dependency export) is skipped whole, one that none of its servers has yet is taken in bulk,
    and of the others only the servers whose value differs from the kept one get a look.
    """

    def __init__(self) -> None:
        self.ids: dict[str, None] = {}
        """Merged server ids, in the order they were first seen."""
        self._position: dict[str, int] = {}
        """Where each merged server's values are, in the lists below."""
        self._id_at: list[str] = []
        """The merged server whose values are at each position."""
        self.values: dict[str, list[Any]] = {field: [] for field in _SCALAR_FIELDS}
        self.origin: dict[str, list[str | None]] = {field: [] for field in _SCALAR_FIELDS}
        """Per field, the export label of each server's value."""
        self.extra: dict[str, list[Any]] = {}
        self.extra_origin: dict[str, list[str | None]] = {}
        """Per extra key, as :attr:`values` and :attr:`origin`."""
        self.ips: dict[str, dict[str, None]] = {}
        self.blockers: dict[str, dict[str, None]] = {}
        self.workloads: dict[str, dict[str, None]] = defaultdict(dict)
        self.conflicts: dict[str, dict[str, dict[str, Any]]] = {}
        """Per server, per field (``extra.`` prefixed for extra keys), the value of each export."""

    def _positions(self, merged_ids: list[str]) -> list[int]:
        """Where the values of ``merged_ids`` are; servers new to :attr:`ids` get the next
        positions."""
        position = self._position
        if len(position) < len(self.ids):
            new = list(itertools.islice(self.ids, len(position), None))
            position.update(zip(new, range(len(position), len(self.ids)), strict=True))
            self._id_at.extend(new)
        return list(map(position.__getitem__, merged_ids))

    def _lists(self, key: str, *, extra: bool) -> tuple[list[Any], list[str | None]]:
        """The values and labels of a field (or extra key), one for every merged server."""
        stores, origins = (self.extra, self.extra_origin) if extra else (self.values, self.origin)
        store = stores.get(key)
        if store is None:
            store = stores[key] = []
            origins[key] = []
        origin = origins[key]
        missing = len(self._id_at) - len(store)
        if missing:
            store.extend(itertools.repeat(None, missing))
            origin.extend(itertools.repeat(None, missing))
        return store, origin

    def take(
        self,
        servers: Sequence[Server],
        merged_ids: list[str],
        label: str,
        conflicts: _Conflicts,
    ) -> None:
        """Take the values of one export's ``servers`` (``merged_ids[i]`` is the merged server
        ``servers[i]`` is): each value a server lacks is taken; a different one is a conflict."""
        at = self._positions(merged_ids)
        unique = len(set(at)) == len(at)
        for field in _SCALAR_FIELDS:
            column = list(map(operator.attrgetter(field), servers))
            self._take_column(field, column, at, label, conflicts, unique=unique)
        extras = [server.extra for server in servers]
        if any(extras):
            for key in dict.fromkeys(itertools.chain.from_iterable(extras)):
                column = list(map(operator.methodcaller("get", key), extras))
                self._take_column(key, column, at, label, conflicts, unique=unique, extra=True)

    def _take_column(
        self,
        field: str,
        column: list[Any],
        at: list[int],
        label: str,
        conflicts: _Conflicts,
        *,
        unique: bool,
        extra: bool = False,
    ) -> None:
        """Take one field (or ``extra`` key) of an export's servers, ``column[i]`` being the
        value of the server at position ``at[i]``."""
        store, origin = self._lists(field, extra=extra)
        # An extra value is blank when None or "", nothing else.
        unknown: object = _MISSING if extra else _UNKNOWN
        if _blank_column(column, _BLANK_EXTRAS if extra else _BLANKS):
            return
        normalise = not extra and field == "environment"
        is_name = not extra and field == "name"
        if unique and not normalise:
            kept_values = list(map(store.__getitem__, at))
            if kept_values.count(None) == len(at) and not _has_blank(column, unknown):
                # None of these servers has the field yet and the export gives it for each.
                _put(store, at, column)
                _put(origin, at, [label] * len(at))
                return
            # Only the servers whose value differs from the kept one need a look, one by one.
            differs = list(map(operator.ne, kept_values, column))
            if not any(differs):  # as most of an export's names, spelled as an earlier one's
                return
            if is_name and None not in kept_values and not _has_blank(column, unknown):
                differs = self._better_names(at, column, kept_values, differs, label)
                if not any(differs):
                    return
            at = list(itertools.compress(at, differs))
            column = list(itertools.compress(column, differs))
        differing: list[tuple[int, Any, Any]] = []
        for position, found in zip(at, column, strict=True):
            if found is None or found == "" or found is unknown:
                continue
            value = normalise_environment(found) if normalise else found
            kept = store[position]
            if kept is None:
                store[position] = value
                origin[position] = label
            elif kept != value:
                if is_name and kept.partition(".")[0].lower() == value.partition(".")[0].lower():
                    # SRV01 and srv01.contoso.local, the common case of _reconcile, decided here
                    if len(value) > len(kept):
                        store[position] = value
                        origin[position] = label
                    continue
                differing.append((position, kept, value))
        if differing:
            self._reconcile(field, differing, label, conflicts, extra=extra)

    def _better_names(
        self,
        at: list[int],
        names: list[Any],
        kept: list[Any],
        differs: list[bool],
        label: str,
    ) -> list[bool]:
        """Decide in bulk the common case of :meth:`_reconcile` for names: ``SRV01`` and
        ``srv01.contoso.local`` name one host, and the longer name is kept. Returns ``differs``
        without those servers."""
        same_host = list(map(operator.eq, _short_names(kept), _short_names(names)))
        longer = map(operator.gt, map(len, names), map(len, kept))
        better = list(map(operator.and_, same_host, longer))
        if any(better):
            taken = list(itertools.compress(at, better))
            _put(self.values["name"], taken, list(itertools.compress(names, better)))
            _put(self.origin["name"], taken, [label] * len(taken))
        return list(map(operator.and_, differs, map(operator.not_, same_host)))

    def _reconcile(
        self,
        key: str,
        differing: list[tuple[int, Any, Any]],
        label: str,
        conflicts: _Conflicts,
        *,
        extra: bool,
    ) -> None:
        """An export's values that differ from the kept ones (``(position, kept, value)``):
        equal after all, a better name, or conflicts kept aside. One call per field: an
        inventory and an assessment spell the OS of each of 50,000 servers differently."""
        store, origin = self._lists(key, extra=extra)
        field = f"extra.{key}" if extra else key
        is_name = key == "name" and not extra
        id_at, kept_aside = self._id_at, self.conflicts
        for position, kept, value in differing:
            if _same(key, kept, value):
                if is_name and len(str(value)) > len(str(kept)):
                    store[position] = value  # the FQDN says more than the short name
                    origin[position] = label
                continue
            merged_id = id_at[position]
            kept_from = origin[position]
            assert kept_from is not None  # a kept value is always some export's
            plain_kept, plain_value = _plain(kept), _plain(value)
            fields = kept_aside.get(merged_id)
            if fields is None:
                fields = kept_aside[merged_id] = {}
            seen = fields.get(field)
            if seen is None:
                seen = fields[field] = {kept_from: plain_kept}
            seen.setdefault(label, plain_value)
            conflicts.add(
                merged_id,
                field,
                kept_from=kept_from,
                kept=plain_kept,
                other_from=label,
                other=plain_value,
            )

    def build(self, merged_ids: list[str]) -> tuple[Server, ...]:
        """The merged servers ``merged_ids`` name, in that order, made a field at a time."""
        at = self._positions(merged_ids)
        columns: dict[str, Any] = {}
        labels = []
        for field, default in _DEFAULTS.items():
            store, origin = self._lists(field, extra=False)
            column = list(map(store.__getitem__, at))
            if default is not None and None in column:
                column = [default if value is None else value for value in column]
            columns[field] = column
            labels.append(map(origin.__getitem__, at))
        # Which export each field came from: a few combinations of exports for thousands of
        # servers, each made a mapping once and copied for each of its servers.
        combinations = list(zip(*labels, strict=True))
        # Fields in name order, as the estate file has them (its writer then need not sort).
        sources_of = {
            origin: {
                field: label
                for field, label in sorted(zip(_SCALAR_FIELDS, origin, strict=True))
                if label is not None
            }
            for origin in dict.fromkeys(combinations)
        }
        columns["sources"] = list(map(dict, map(sources_of.__getitem__, combinations)))
        columns["extra"] = self._extras(merged_ids, at)
        no_values = itertools.repeat(())
        columns["ip_addresses"] = list(map(tuple, map(self.ips.get, merged_ids, no_values)))
        columns["blockers"] = list(map(tuple, map(self.blockers.get, merged_ids, no_values)))
        workloads = map(sorted, map(self.workloads.get, merged_ids, no_values))
        columns["workload_ids"] = list(map(tuple, workloads))
        names = columns.pop("name")
        return tuple(normalised_servers(merged_ids, names, **columns))

    def _extras(self, merged_ids: list[str], at: list[int]) -> list[dict[str, Any]]:
        """Each merged server's ``extra`` (``at`` holds their positions): the extra values it
        was given, keys in name order as the estate file has them, then its conflicts."""
        extras = []
        for key in sorted(self.extra):
            store, _origin = self._lists(key, extra=True)
            if store.count(None) < len(store):
                extras.append((key, list(map(store.__getitem__, at))))
        keys = [key for key, _column in extras]
        if not extras:
            found: list[dict[str, Any]] = [{} for _ in merged_ids]
        elif all(None not in column for _key, column in extras):
            # Every server has every key (as every VM of an RVTools export): a column each.
            rows = zip(*(column for _key, column in extras), strict=True)
            found = list(map(dict, map(zip, itertools.repeat(keys), rows)))
        else:
            found = [
                {key: value for key, value in zip(keys, row, strict=True) if value is not None}
                for row in zip(*(column for _key, column in extras), strict=True)
            ]
        if self.conflicts:
            # Fields in name order, each export's value in the order the exports came. The
            # per-field mappings are the drafts' own, not copies: building the servers is the
            # merge's last use of the drafts, and nothing changes them after (a caller's keep=
            # only holds them).
            conflicts = self.conflicts
            for server_extra, merged_id in zip(found, merged_ids, strict=True):
                seen = conflicts.get(merged_id)
                if seen:
                    server_extra["conflicts"] = dict(sorted(seen.items()))
        return found


def _put(values: list[Any], at: list[int], new: list[Any]) -> None:
    """``values[at[i]] = new[i]`` for each ``i``; a run of positions in order is one slice."""
    if not at:
        return
    start, stop = at[0], at[0] + len(at)
    if at[-1] == stop - 1 and at == list(range(start, stop)):
        values[start:stop] = new
    else:
        for position, value in zip(at, new, strict=True):
            values[position] = value


def _short_names(names: list[Any]) -> list[str]:
    """Each host name up to its first dot, lower-cased (``SRV01.contoso.local``: ``srv01``)."""
    return list(map(str.lower, map(_first, map(str.partition, names, itertools.repeat(".")))))


_first = operator.itemgetter(0)


def _blank_column(column: list[Any], blanks: frozenset[object]) -> bool:
    """Whether every value of ``column`` is one of ``blanks`` (an export that never fills the
    field)."""
    try:
        # Most columns are filled: their first value decides without a set of all of them.
        return not (column and column[0] not in blanks) and set(column) <= blanks
    except TypeError:  # an unhashable value, so not a blank one
        return False


def _has_blank(column: list[Any], unknown: object) -> bool:
    """Whether a value of ``column`` is blank (``None``, ``""`` or ``unknown``)."""
    return None in column or "" in column or unknown in column


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


def merge_estates(
    parts: Iterable[SourcedEstate], diagnostics: Diagnostics, *, keep: list[object] | None = None
) -> Estate:
    """One estate from the estates of several exports, in the order given (first value wins).

    Each part's servers are merged as it comes, so ``parts`` may be an iterator that is still
    reading the later exports (see :mod:`mbf.engine.export_reading`).

    ``keep``: where the merge leaves its working state (the parts, the drafts of the merged
    servers, the dependency totals) rather than free it on return, for the caller to drop when
    it pleases. A command about to end need not (see :meth:`mbf.cli.App.finish`): at 50,000
    servers freeing it one object at a time took 0.09 s.
    """
    merged = merge_servers(parts, diagnostics)
    workloads = merged.workloads(diagnostics)
    dependencies = merge_dependencies(
        [
            (part.estate.dependencies, local)
            for part, local in zip(merged.parts, merged.local_ids, strict=True)
        ],
        merged.by_id,
        merged.ip_owner,
        keep=keep,
    )
    if keep is not None:
        keep.append(merged)
    return merged.estate(workloads, dependencies)


Identities = tuple[dict[str, str], dict[str, tuple[str, int] | None]]
"""How :func:`merge_servers` identifies servers: the merged server of each server id, and of
each address the merged server and export that gave it first (``None`` where two servers
share it)."""


def merge_servers(
    parts: Iterable[SourcedEstate],
    diagnostics: Diagnostics,
    *,
    before_each: Callable[[int, ServerMerge], None] | None = None,
) -> ServerMerge:
    """The servers of several exports' estates merged (see :func:`merge_estates`), their
    dependencies not yet: each part's servers are merged as it comes.

    ``before_each(index, so_far)``: called before the servers of each part are identified,
    with the merge of the parts before it, as it is (:attr:`ServerMerge.identities`,
    :attr:`~ServerMerge.parts`, :attr:`~ServerMerge.local_ids`; nothing else yet).
    """
    drafts = _Drafts()
    by_id: dict[str, str] = {}
    by_ip: dict[str, tuple[str, int] | None] = {}
    conflicts = _Conflicts()
    local_ids: list[dict[str, str]] = []
    taken: list[SourcedEstate] = []

    so_far = ServerMerge(taken, drafts, local_ids, by_id, {}, by_ip=by_ip)
    for part_index, part in enumerate(parts):
        if before_each is not None:
            before_each(part_index, so_far)
        taken.append(part)
        servers = part.estate.servers
        merged_ids = _identify(servers, part_index, drafts, by_id, by_ip)
        drafts.take(servers, merged_ids, part.label, conflicts)
        local_ids.append(dict(zip((server.id for server in servers), merged_ids, strict=True)))
    conflicts.report(diagnostics)
    ip_owner = {ip: owner[0] for ip, owner in by_ip.items() if owner is not None}
    return ServerMerge(taken, drafts, local_ids, by_id, ip_owner, by_ip=by_ip)


def identify_servers(
    parts: Iterable[tuple[int, Sequence[Server]]], identities: Identities
) -> dict[str, str]:
    """Identify the servers of further parts (``(index, servers)``, in export order) as
    :func:`merge_servers` does, from its ``identities`` of the parts before them (updated in
    place); return the merged server of each address that identifies one
    (:attr:`ServerMerge.ip_owner`). A worker that holds those parts works this out while
    :func:`merge_servers` merges them."""
    by_id, by_ip = identities
    # _identify's rules, without what it records for the drafts (twice as fast): the first
    # export's id wins, else the server another export saw with one of its addresses, else
    # its own id; an address two servers have identifies neither.
    for index, servers in parts:
        for server in servers:
            sid, addresses = server.id, server.ip_addresses
            merged_id = by_id.get(sid)
            if merged_id is None:
                if index and addresses:
                    merged_id = _owner_in_other_export(addresses, index, by_ip)
                if merged_id is None:
                    merged_id = sid
                by_id[sid] = merged_id
            for text in addresses:
                ip = canonical_ip(text)
                if ip is None:
                    continue
                if ip not in by_ip:
                    by_ip[ip] = (merged_id, index)
                    continue
                owner = by_ip[ip]
                if owner is not None and owner[0] != merged_id:
                    by_ip[ip] = None
    return {ip: owner[0] for ip, owner in by_ip.items() if owner is not None}


class ServerMerge:
    """Every export's servers merged (:func:`merge_servers`): what re-points dependencies at the
    merged servers, and what builds the estate once they are."""

    def __init__(
        self,
        parts: list[SourcedEstate],
        drafts: _Drafts,
        local_ids: list[dict[str, str]],
        by_id: dict[str, str],
        ip_owner: dict[str, str],
        *,
        by_ip: dict[str, tuple[str, int] | None],
    ) -> None:
        self.parts = parts
        """The parts, in export order."""
        self.local_ids = local_ids
        """Per part, the merged server each of its server ids is."""
        self.by_id = by_id
        """The merged server of every server id any export gave."""
        self.ip_owner = ip_owner
        """The merged server of each address that identifies one."""
        self.identities: Identities = (by_id, by_ip)
        """How servers are identified (see :func:`identify_servers`)."""
        self._drafts = drafts

    def workloads(self, diagnostics: Diagnostics) -> tuple[Workload, ...]:
        """The merged workloads, each listing its servers (also their servers' workloads,
        for :meth:`workloads_of` and :meth:`estate`)."""
        return _merge_workloads(self.parts, self.local_ids, self._drafts, diagnostics)

    def workloads_of(self) -> dict[str, tuple[str, ...]]:
        """Every merged server's workloads, in id order, as :meth:`estate` gives them (after
        :meth:`workloads`)."""
        workloads_of = self._drafts.workloads
        return {
            merged_id: tuple(sorted(workloads_of.get(merged_id, ())))
            for merged_id in self._drafts.ids
        }

    def estate(
        self, workloads: tuple[Workload, ...], dependencies: tuple[Dependency, ...]
    ) -> Estate:
        """The merged estate, with the :meth:`workloads` and the :func:`merge_dependencies` of
        this merge."""
        parts = self.parts
        return Estate(
            datacenters=_merge_datacenters(p.estate.datacenters for p in parts),
            servers=self._drafts.build(sorted(self._drafts.ids)),
            workloads=workloads,
            dependencies=dependencies,
            sources=tuple(source for part in parts for source in part.estate.sources),
        )


def _identify(
    servers: Sequence[Server],
    part: int,
    drafts: _Drafts,
    by_id: dict[str, str],
    by_ip: dict[str, tuple[str, int] | None],
) -> list[str]:
    """The merged server each of one export's ``servers`` is: the one of the same short name,
    else the one another export saw with one of its addresses, else a new one. Records the
    addresses, blockers and workloads of each."""
    merged_ids = []
    known, ips_of, blockers_of = drafts.ids, drafts.ips, drafts.blockers
    workloads_of = drafts.workloads
    for server in servers:
        addresses = server.ip_addresses
        merged_id = by_id.get(server.id)
        if merged_id is None and part and addresses:
            merged_id = _owner_in_other_export(addresses, part, by_ip)
        if merged_id is None:
            merged_id = server.id
            known[merged_id] = None
        merged_ids.append(merged_id)
        by_id.setdefault(server.id, merged_id)
        if addresses:
            ips = ips_of.get(merged_id)
            if ips is None:
                ips = ips_of[merged_id] = {}
            elif all(map(ips.__contains__, map(str.strip, addresses))):
                # Addresses an earlier export gave this server (as most exports after the
                # first do): recorded then, and by_ip already names this server or none.
                addresses = ()
            for text in addresses:
                ips.setdefault(text.strip(), None)
                ip = canonical_ip(text)
                if ip is None:
                    continue
                if ip not in by_ip:
                    by_ip[ip] = (merged_id, part)
                    continue
                owner = by_ip[ip]
                if owner is not None and owner[0] != merged_id:
                    by_ip[ip] = None  # two servers share it: it identifies neither
        if server.blockers:
            blockers_of.setdefault(merged_id, {}).update(dict.fromkeys(server.blockers))
        if server.workload_ids:
            workloads_of[merged_id].update(dict.fromkeys(server.workload_ids))
    return merged_ids


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
    drafts: _Drafts,
    diagnostics: Diagnostics,
) -> tuple[Workload, ...]:
    """Workloads of one id merge; membership is the union of both directions of the relation
    (recorded in ``drafts`` too, for the servers)."""
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
    known, workloads_of = drafts.ids, drafts.workloads
    for merged_id, workload_ids in workloads_of.items():
        for workload_id in workload_ids:
            members[workload_id][merged_id] = None
            if workload_id not in merged:
                merged[workload_id] = Workload(id=workload_id, name=workload_id)
    for workload_id, server_ids in members.items():
        for sid in server_ids:
            if sid in known:
                workloads_of[sid][workload_id] = None
    return tuple(
        attrs.evolve(merged[wid], server_ids=tuple(sorted(s for s in members[wid] if s in known)))
        for wid in sorted(merged)
    )


def merge_dependencies(
    parts: Iterable[tuple[Iterable[Dependency], Mapping[str, str]]],
    by_id: Mapping[str, str],
    ip_owner: Mapping[str, str],
    *,
    keep: list[object] | None = None,
) -> tuple[Dependency, ...]:
    """Re-point every dependency at merged servers and add up duplicates' weights.

    ``parts``: each export's dependencies, in export order, with the merged server each of its
    server ids is (:attr:`ServerMerge.local_ids`); ``by_id`` and ``ip_owner``: those of
    :class:`ServerMerge`. A dependency that only one export saw, between servers that kept
    their ids, is kept as it is rather than built again (most of a quarter of a million, at
    50,000 servers). ``keep``: as :func:`merge_estates`'s, for the totals (0.025 s to free at
    50,000 servers).
    """
    totals: dict[tuple[str, str, int, str], list[Any]] = {}
    resolved: dict[str, str] = {}
    for dependencies, local in parts:
        ends: dict[str, str] = {}  # this export's endpoint ids, each resolved once
        for dep in dependencies:
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
    if keep is not None:
        keep.append(totals)
    # Sorted by key alone (keys are distinct, so the order is that of the pairs), which spares
    # comparing each pair before its key.
    return tuple(
        kept
        if kept is not None
        else normalised_dependency(
            source_id=source,
            target_id=target,
            port=None if port < 0 else port,
            protocol=protocol,
            process=process,
            weight=weight,
        )
        for (source, target, port, protocol), (weight, process, kept) in sorted(
            totals.items(), key=_first
        )
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
