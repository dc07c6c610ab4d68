"""Reading the exports of one discovery, on two cores where the machine has them.

At 50,000 servers the exports take about three seconds to read, one after the other, and
reading them is most of what ``mbf discover`` does before merging. Exports are independent of
each other, so a second process can read some while this one reads the others:

- the process forks one worker (on Linux, and only while no other thread runs, where forking is
  safe): the worker inherits the loaded plugins, the configuration and the context instead of
  importing and reading them again;
- this process takes exports from the front of the list and the worker from the back, until
  they meet, so neither sits idle while the other has exports left;
- this process hands on each of its parts as soon as it is read: the merge, which must take the
  parts in export order, works on the first ones while the worker still reads the last ones;
- the worker sends its estates back as columns (one list per field, see :func:`pack_estate`):
  pickling a quarter of a million attrs objects one by one cost as much as reading them;
- the parts come in export order, with each export's warnings in that order, so the estate and
  the output are those of reading one by one.

Whatever goes wrong in the worker (a bad export, a crash, a value that does not pickle), this
process reads that export again itself, so a bad export fails exactly as it does without the
worker: same message, same row and column, same traceback under ``--debug``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import multiprocessing
import operator
import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import attrs

from mbf.domain import Dependency, Estate, Server
from mbf.domain.estate import normalised_dependencies, normalised_servers
from mbf.engine.merge import SourcedEstate
from mbf.plugin import Context, Diagnostics

__all__ = [
    "MIN_PARALLEL_BYTES",
    "can_read_in_parallel",
    "pack_estate",
    "read_in_parallel",
    "unpack_estate",
]

MIN_PARALLEL_BYTES = 1 << 20
"""Exports smaller than this together are read one by one: starting a worker costs a few
milliseconds, about what it saves on 1 MB (1,000 servers, 1.8 MB: 78 -> 67 ms)."""
_SERVER_FIELDS = tuple(field.name for field in attrs.fields(Server))
_DEPENDENCY_FIELDS = tuple(field.name for field in attrs.fields(Dependency))

ReadOne = Callable[[int, Context], SourcedEstate]
"""Reads the export at an index with a context: how :func:`read_in_parallel` reads one."""


def can_read_in_parallel(sizes: Sequence[int]) -> bool:
    """Whether exports of these sizes (bytes) are worth a worker on this machine.

    Only on Linux, and only while this process runs no other thread: forking is safe there.
    (macOS has ``fork`` too, but its system libraries may not survive one.)
    """
    return (
        len(sizes) > 1
        and sum(sizes) >= MIN_PARALLEL_BYTES
        and sys.platform.startswith("linux")
        and threading.active_count() == 1
        and _cores() > 1
    )


def read_in_parallel(read_one: ReadOne, count: int, context: Context) -> Iterator[SourcedEstate]:
    """The part of each of ``count`` exports, in order, read by this process and one forked
    worker: this process takes exports from the front, the worker from the back, until they
    meet. The parts this process reads come as soon as each is read, so that the caller can
    merge them while the worker is still reading; the worker's come when it has read all of its
    own."""
    fork = multiprocessing.get_context("fork")
    # The first export not taken, and the one after the last. This process takes the first one
    # before the worker starts, so it always has a part to merge while the worker reads.
    ends = fork.Array("i", [1, count])
    receiver, sender = fork.Pipe(duplex=False)
    _flush_standard_streams()  # else the worker would write a copy of what is buffered
    worker = fork.Process(target=_work, args=(read_one, ends, sender, context), daemon=True)
    worker.start()
    sender.close()
    try:
        index: int | None = 0
        mine = 0
        while index is not None:
            mine = index + 1
            diagnostics = Diagnostics()
            part = read_one(index, _with(context, diagnostics))
            context.diagnostics.warnings.extend(diagnostics.warnings)
            yield part
            index = _claim_first(ends)
        theirs = _receive(receiver)  # returns once the worker has sent all, or died
        worker.join()
        for index in range(mine, count):
            if index in theirs:
                packed, warnings = theirs.pop(index)
                context.diagnostics.warnings.extend(warnings)
                yield SourcedEstate(label=packed[0], estate=unpack_estate(packed[1]))
            else:  # the worker failed on it, or died: read it here, for its error if it has one
                yield read_one(index, context)
    finally:
        if worker.is_alive():  # the caller stopped early (a bad export, an interrupt)
            worker.terminate()
        worker.join()
        receiver.close()


def pack_estate(estate: Estate) -> tuple[Any, ...]:
    """The estate as plain values that pickle fast: a list per field of its servers and of its
    dependencies (the many records); datacenters, workloads and sources as they are (few)."""
    servers, dependencies = estate.servers, estate.dependencies
    return (
        [list(map(operator.attrgetter(name), servers)) for name in _SERVER_FIELDS],
        [list(map(operator.attrgetter(name), dependencies)) for name in _DEPENDENCY_FIELDS],
        estate.datacenters,
        estate.workloads,
        estate.sources,
    )


def unpack_estate(packed: tuple[Any, ...]) -> Estate:
    """The estate :func:`pack_estate` packed: equal to it, record for record."""
    server_columns, dependency_columns, datacenters, workloads, sources = packed
    columns = dict(zip(_SERVER_FIELDS, server_columns, strict=True))
    servers = normalised_servers(columns.pop("id"), columns.pop("name"), **columns)
    source_ids, target_ids, ports, protocols, processes, weights = dependency_columns
    dependencies = normalised_dependencies(
        source_ids, target_ids, ports=ports, protocols=protocols, processes=processes,
        weights=weights,
    )  # fmt: skip
    return Estate(
        datacenters=datacenters,
        servers=tuple(servers),
        workloads=workloads,
        dependencies=tuple(dependencies),
        sources=sources,
    )


def _work(read_one: ReadOne, ends: Any, sender: Any, context: Context) -> None:
    """The worker: read exports from the back until the two processes meet, then send them.

    Sending only at the end keeps the worker reading while this process is still busy (a pipe
    holds little, so an early send would wait for this process to take it).
    """
    # An interrupt (Ctrl-C reaches the whole process group) is this process's to handle: it
    # stops the worker, which would otherwise print a traceback of its own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    results: list[bytes] = []
    while (index := _claim_last(ends)) is not None:
        diagnostics = Diagnostics()
        try:
            part = read_one(index, _with(context, diagnostics))
            packed = (part.label, pack_estate(part.estate))
            results.append(pickle.dumps((index, packed, diagnostics.warnings), protocol=5))
        except Exception:  # this process reads it again, and reports it there
            continue
    with contextlib.suppress(OSError):  # this process stopped listening: it needs none of them
        for result in results:
            sender.send_bytes(result)
        sender.close()


def _receive(receiver: Any) -> dict[int, tuple[Any, list[str]]]:
    """What the worker read, by export index; what it sent before it died, if it did."""
    received: dict[int, tuple[Any, list[str]]] = {}
    while True:
        try:
            index, packed, warnings = pickle.loads(receiver.recv_bytes())
        except (EOFError, OSError, pickle.UnpicklingError):
            return received
        received[index] = (packed, warnings)


def _claim_first(ends: Any) -> int | None:
    """The first export no process has taken, or ``None`` when every one is taken."""
    with ends.get_lock():
        first, after_last = ends[0], ends[1]
        if first >= after_last:
            return None
        ends[0] = first + 1
    return int(first)


def _claim_last(ends: Any) -> int | None:
    """The last export no process has taken, or ``None`` when every one is taken."""
    with ends.get_lock():
        first, after_last = ends[0], ends[1]
        if first >= after_last:
            return None
        ends[1] = after_last - 1
    return int(after_last - 1)


def _with(context: Context, diagnostics: Diagnostics) -> Context:
    return dataclasses.replace(context, diagnostics=diagnostics)


def _cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on every platform
        return os.cpu_count() or 1


def _flush_standard_streams() -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(AttributeError, ValueError):  # replaced or closed by the caller
            stream.flush()
