"""Rules an estate and a backlog must satisfy; every broken rule is reported with the ids involved."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Container, Iterable, Sequence
from itertools import chain, repeat
from operator import attrgetter
from typing import Any, TypeVar

from mbf.domain.backlog import Backlog
from mbf.domain.columns import BacklogColumns, column_of
from mbf.domain.estate import Dependency, Estate
from mbf.errors import ValidationError

__all__ = [
    "EXTERNAL_PREFIXES",
    "backlog_problems",
    "dependency_problems",
    "estate_problems",
    "validate_backlog",
    "validate_estate",
]

_B = TypeVar("_B", Backlog, BacklogColumns)

EXTERNAL_PREFIXES = ("ip:", "external:")
"""Dependency endpoints with these prefixes stand outside the estate and need no server."""


def _duplicates(kind: str, ids: Iterable[str]) -> list[str]:
    return [f"duplicate {kind} id {id_!r}" for id_, n in Counter(ids).items() if n > 1]


def _unique_ids(kind: str, ids: list[str]) -> list[str]:
    """:func:`_duplicates` of ``ids``, counted only when a set of them says some repeat."""
    return _duplicates(kind, ids) if len(set(ids)) < len(ids) else []


def estate_problems(estate: Estate) -> list[str]:
    """Every broken rule of ``estate``, one message each, in a stable order.

    A valid estate, the usual case, is recognised in bulk (a quarter of a million dependencies
    at 50,000 servers); only a kind of record that breaks a rule is walked one by one, for
    messages in record order.
    """
    servers, workloads, dependencies = estate.servers, estate.workloads, estate.dependencies
    server_ids = list(map(_ID, servers))
    workload_ids = list(map(_ID, workloads))
    problems = _duplicates("datacenter", (d.id for d in estate.datacenters))
    problems += _unique_ids("server", server_ids)
    problems += _unique_ids("workload", workload_ids)
    known_datacenters = {d.id for d in estate.datacenters}
    known_servers, known_workloads = set(server_ids), set(workload_ids)
    if _unknown(map(_DATACENTER_ID, servers), known_datacenters) or _unknown(
        chain.from_iterable(map(_WORKLOAD_IDS, servers)), known_workloads
    ):
        for server in servers:
            if server.datacenter_id is not None and server.datacenter_id not in known_datacenters:
                problems.append(
                    f"server {server.id!r} is in datacenter {server.datacenter_id!r}, "
                    "which is not defined"
                )
            problems += [
                f"server {server.id!r} belongs to workload {w!r}, which is not defined"
                for w in server.workload_ids
                if w not in known_workloads
            ]
    if _unknown(chain.from_iterable(map(_SERVER_IDS, workloads)), known_servers):
        for workload in workloads:
            problems += [
                f"workload {workload.id!r} lists server {s!r}, which is not defined"
                for s in workload.server_ids
                if s not in known_servers
            ]
    return problems + dependency_problems(dependencies, known_servers)


def dependency_problems(
    dependencies: Sequence[Dependency], known_servers: Collection[str]
) -> list[str]:
    """A message for every end of ``dependencies`` that is neither one of ``known_servers`` nor
    outside the estate (:data:`EXTERNAL_PREFIXES`): the dependencies' part of
    :func:`estate_problems`."""
    problems: list[str] = []
    ends = set(map(_SOURCE_ID, dependencies))
    ends.update(map(_TARGET_ID, dependencies))
    ends.difference_update(known_servers)
    if not all(map(str.startswith, ends, repeat(EXTERNAL_PREFIXES))):
        for dep in dependencies:
            for end in (dep.source_id, dep.target_id):
                if end not in known_servers and not end.startswith(EXTERNAL_PREFIXES):
                    problems.append(
                        f"dependency {dep.source_id!r} -> {dep.target_id!r} names server "
                        f"{end!r}, which is not defined"
                    )
    return problems


_ID = attrgetter("id")
_DATACENTER_ID = attrgetter("datacenter_id")
_WORKLOAD_IDS = attrgetter("workload_ids")
_SERVER_IDS = attrgetter("server_ids")
_SOURCE_ID = attrgetter("source_id")


def backlog_problems(backlog: Backlog | BacklogColumns) -> list[str]:
    """Every broken rule of ``backlog`` (items or their columns), one message each, in a stable
    order."""
    column = column_of(backlog)
    ids = column("id")
    parents = dict(zip(ids, column("parent_id"), strict=True))
    count = len(backlog.items)
    # Counting ids is only needed when some repeat, which the dictionary's size tells at once.
    problems = _duplicates("item", column("id")) if len(parents) < count else []
    problems += _duplicates("iteration", (i.id for i in backlog.iterations))
    problems += _duplicates("release", (r.id for r in backlog.releases))
    iteration_ids = {i.id for i in backlog.iterations}
    release_ids = {r.id for r in backlog.releases}
    # A valid backlog, the usual case, is recognised in bulk; only one that breaks a rule is
    # walked item by item, for messages in item order.
    if (
        _unknown(column("parent_id"), parents)
        or _unknown(map(_TARGET_ID, chain.from_iterable(column("links"))), parents)
        or _unknown(column("iteration_id"), iteration_ids)
        or _unknown(column("release_id"), release_ids)
    ):
        problems += _dangling_references(column, parents, iteration_ids, release_ids)
    if not isinstance(backlog, BacklogColumns) or not backlog.items.free_of_parent_cycles():
        # (What proves there is none is worked out once, for the writer too.)
        problems += _parent_cycles(parents)
    return problems


_TARGET_ID = attrgetter("target_id")


def _unknown(ids: Iterable[str | None], known: Collection[str]) -> bool:
    """Whether an id other than ``None`` is not in ``known``."""
    missing = set(ids).difference(known)
    missing.discard(None)
    return bool(missing)


def _dangling_references(
    column: Callable[[str], Iterable[Any]],
    parents: Container[str],
    iteration_ids: Container[str],
    release_ids: Container[str],
) -> list[str]:
    """A message for every parent, link target, iteration or release an item (its fields given
    by ``column``) names that does not exist."""
    problems: list[str] = []
    fields = zip(
        column("id"),
        column("parent_id"),
        column("links"),
        column("iteration_id"),
        column("release_id"),
        strict=True,
    )
    for item_id, parent_id, links, iteration_id, release_id in fields:
        if parent_id is not None and parent_id not in parents:
            problems.append(f"item {item_id!r} has parent {parent_id!r}, which does not exist")
        problems += [
            f"item {item_id!r} links to {link.target_id!r}, which does not exist"
            for link in links
            if link.target_id not in parents
        ]
        if iteration_id is not None and iteration_id not in iteration_ids:
            problems.append(
                f"item {item_id!r} is planned in iteration {iteration_id!r}, which does not exist"
            )
        if release_id is not None and release_id not in release_ids:
            problems.append(f"item {item_id!r} is in release {release_id!r}, which does not exist")
    return problems


def _parent_cycles(parents: dict[str, str | None]) -> list[str]:
    """Report each parent cycle once, naming its members in walking order."""
    problems: list[str] = []
    settled: set[str] = set()
    for start, parent in parents.items():
        if start in settled:
            continue
        if parent is None or parent in settled or parent not in parents:
            # The usual item: a root, or a child of an item already walked (parents tend to come
            # first). Its walk would end at once.
            settled.add(start)
            continue
        path: list[str] = []
        on_path: set[str] = set()
        node: str | None = start
        while node is not None and node in parents and node not in settled:
            if node in on_path:
                cycle = path[path.index(node) :]
                problems.append(f"parent cycle: {' -> '.join([*cycle, node])}")
                break
            path.append(node)
            on_path.add(node)
            node = parents[node]
        settled.update(path)
    return problems


def validate_estate(estate: Estate, *, origin: object | None = None) -> Estate:
    """Return ``estate`` unchanged, or raise :class:`ValidationError` listing every problem."""
    problems = estate_problems(estate)
    if problems:
        raise ValidationError(problems, origin=origin)
    return estate


def validate_backlog(backlog: _B, *, origin: object | None = None) -> _B:
    """Return ``backlog`` (items or their columns) unchanged, or raise :class:`ValidationError`
    listing every problem."""
    problems = backlog_problems(backlog)
    if problems:
        raise ValidationError(problems, origin=origin)
    return backlog
