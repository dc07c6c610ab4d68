"""Reading the exports of one discovery, on two cores where the machine has them.

At 50,000 servers the exports take about three seconds to read, one after the other, and
reading them is most of what ``mbf discover`` does before merging. Exports are independent of
each other, so a second process can read some while this one reads the others:

- the process forks one worker (on Linux, and only while no other thread runs, where forking is
  safe): the worker inherits the loaded plugins, the configuration and the context instead of
  importing and reading them again;
- the exports are split in two shares by size (see :func:`worker_share`): this process reads
  the first share in order, the worker the second; whichever finishes its own first takes the
  other's last unread exports, so neither sits idle while the other has exports left (this
  process, first, hands on the worker's parts that are here: it has to merge those anyway, and
  meanwhile the worker reads on);
- each process hands on each part as soon as it is read: the merge, which must take the parts
  in export order, works on this process's while the worker still reads, and the worker's first
  part is waiting by the time this process has read its own;
- the worker sends its estates back as columns (one list per field, see :func:`pack_estate`):
  pickling a quarter of a million attrs objects one by one cost as much as reading them;
- the parts come in export order, with each export's warnings in that order, so the estate and
  the output are those of reading one by one.

Whatever goes wrong in the worker (a bad export, a crash, a value that does not pickle, a
plugin ending the process), this process reads that export again itself when its turn comes, as
it does an export it took from the worker's share and could not read; and where the system
refuses a worker, this process reads every export. So a bad export fails exactly as it does
without the worker, and the first bad one fails first: same message, same row and column, same
traceback under ``--debug``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import multiprocessing
import operator
import os
import pickle
import queue
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
    "ParallelReading",
    "can_read_in_parallel",
    "pack_dependencies",
    "pack_estate",
    "read_in_parallel",
    "unpack_dependencies",
    "unpack_estate",
    "worker_share",
]

MIN_PARALLEL_BYTES = 1 << 20
"""Exports smaller than this together are read one by one: starting a worker costs a few
milliseconds, about what it saves on 1 MB (1,000 servers, 1.8 MB: 78 -> 67 ms)."""
_SERVER_FIELDS = tuple(field.name for field in attrs.fields(Server))
_DEPENDENCY_FIELDS = tuple(field.name for field in attrs.fields(Dependency))

_ORDER_PIPE_BYTES = 1 << 20
"""How much the pipe orders go through holds: Linux's default limit for any process."""
_MINE, _THEIRS = 0, 2
"""Where the next export of this process's share and of the worker's are, in the claims; the
end of each share is right after."""

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


def worker_share(sizes: Sequence[int]) -> int:
    """Where the worker's share of exports of these sizes (bytes) starts: at the export that holds
    the middle byte of them all, but never at the first (this process reads that one) and never
    past the last.

    Sizes only guess the cost (a workbook is compressed: at 50,000 servers 3 MB of RVTools take
    as long to read as 50 MB of dependency CSV), so the shares are a start: whichever process
    finishes its own first takes the other's last unread exports.
    """
    half = sum(sizes) / 2
    running = 0
    for index, size in enumerate(sizes):
        running += size
        if running > half:
            return min(max(index, 1), len(sizes) - 1)
    return len(sizes) - 1


def read_in_parallel(
    read_one: ReadOne, count: int, context: Context, *, worker_from: int
) -> Iterator[SourcedEstate]:
    """The part of each of ``count`` exports, in order, read by this process and one forked
    worker (:class:`ParallelReading`, its worker sending each part whole)."""
    with ParallelReading(read_one, count, context, worker_from=worker_from) as reading:
        yield from reading.parts()


class ParallelReading:
    """Exports being read by this process and one forked worker; a context manager that stops
    the worker on leaving.

    This process reads the exports before ``worker_from`` in order, and hands on each part as
    soon as it is read, so that the caller merges it while the worker still reads. The worker
    reads the others in order and sends each part as soon as it is read, so that the first of
    them is here by the time this process has read its own. Whichever process runs out of its
    own exports first takes the other's last unread ones; this process only when the next part
    in order is not here yet. Where the system refuses a worker, this process reads them all.

    ``hold_dependencies``: the worker keeps the dependencies of the parts it reads and sends
    those parts without them (:attr:`held` names them), to work on them when :meth:`order`
    asks. At 50,000 servers the dependencies are most of what discovery does after reading,
    and this process meanwhile works on the servers.
    """

    def __init__(
        self,
        read_one: ReadOne,
        count: int,
        context: Context,
        *,
        worker_from: int,
        hold_dependencies: bool = False,
    ) -> None:
        if not 0 < worker_from < count:
            raise ValueError(
                f"the worker's share must start at 1 to {count - 1}, not {worker_from}"
            )
        self._read_one, self._count, self._context = read_one, count, context
        self.held: dict[int, int] = {}
        """The exports whose dependencies the worker holds, by index: how many each has."""
        self._started = _start_worker(
            read_one, context, worker_from=worker_from, count=count, hold=hold_dependencies
        )
        self._inbox = None if self._started is None else _Inbox(self._started[1])
        self._outcomes = 0
        """How many outcomes of the order :meth:`outcome` has taken."""

    def __enter__(self) -> ParallelReading:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def parts(self) -> Iterator[SourcedEstate]:
        """The part of each export, in order, as each is read."""
        read_one, count, context = self._read_one, self._count, self._context
        if self._started is None or self._inbox is None:  # no worker: read them all here
            yield from (read_one(index, context) for index in range(count))
            return
        claims, inbox = self._started[2], self._inbox
        # Parts this process read of the worker's share, which come after the worker's own
        # (``None`` for one that failed: its error waits its turn, as it would one by one).
        kept: dict[int, tuple[SourcedEstate, list[str]] | None] = {}
        handed_on = 0
        index: int | None = 0
        while index is not None:
            diagnostics = Diagnostics()
            if index == handed_on:
                part = read_one(index, _with(context, diagnostics))
                context.diagnostics.warnings.extend(diagnostics.warnings)
                yield part
                handed_on += 1
            else:
                try:
                    kept[index] = (
                        read_one(index, _with(context, diagnostics)),
                        diagnostics.warnings,
                    )
                except Exception:
                    kept[index] = None
            index = _claim(claims, _MINE)
            if index is not None:
                continue
            # Out of exports of its own, this process first hands on the worker's parts that
            # are here, in order: the caller has to merge them anyway, and meanwhile the worker
            # reads on. Only when the next one is not here yet does it take the worker's last
            # unread export (the worker takes its next as soon as it has read one).
            while handed_on < count and (handed_on in kept or inbox.has(handed_on)):
                yield self._found(handed_on, kept)
                handed_on += 1
            index = _claim(claims, _THEIRS, from_end=True)
        for index in range(handed_on, count):
            yield self._found(index, kept)

    def _found(
        self, index: int, kept: dict[int, tuple[SourcedEstate, list[str]] | None]
    ) -> SourcedEstate:
        """The part of export ``index`` of the worker's share, which this process read
        (``kept``) or the worker sends; where either failed, this process reads it again, for
        its error."""
        assert self._inbox is not None
        if index in kept:
            found = kept.pop(index)
            held = 0  # read here: dependencies and all
        else:
            found, held = _unpacked(self._inbox.take(index))
        if found is None:
            return self._read_one(index, self._context)
        part, warnings = found
        if held:
            self.held[index] = held
        self._context.diagnostics.warnings.extend(warnings)
        return part

    def order(self, job: Callable[..., Iterator[Any]], *args: Any) -> None:
        """Have the worker, done reading, run ``job(parts, receive, *args)``: ``parts`` are the
        parts it holds the dependencies of, whole, by export index (see :attr:`held`);
        ``receive()`` waits for what :meth:`tell` sends next (``EOFError`` when this process
        sends nothing more). It returns at once; :meth:`outcome` waits for each thing ``job``
        yields, which the worker sends as soon as it is yielded. ``job`` (a module's
        function) and ``args`` must pickle; they are pickled at once."""
        if not self.held or self._started is None:
            raise RuntimeError("the worker holds no dependencies to work on")
        self.tell((job, args))

    def tell(self, message: Any) -> None:
        """Send ``message`` (pickled at once) to the job :meth:`order` gave."""
        if self._started is None:
            raise RuntimeError("the reading is over")
        with contextlib.suppress(OSError):  # the worker is gone: outcome() says so
            self._started[3].send_bytes(pickle.dumps(message, protocol=5))

    def outcome(self) -> Any | None:
        """The next thing the job :meth:`order` gave yielded; ``None`` where it raised first,
        or the worker died (the caller then does the job itself)."""
        if self._inbox is None:
            return None
        self._outcomes += 1
        received = self._inbox.take(-self._outcomes)
        return None if received is None else received[0][0]  # sent as (outcome,), warnings

    def close(self) -> None:
        """Stop the worker (at once where it still works: the caller stopped early, on a bad
        export or an interrupt) and close the pipes."""
        if self._started is None:
            return
        worker, receiver, _claims, order_sender = self._started
        self._started = None
        if order_sender is not None:
            order_sender.close()  # a worker waiting for an order stops waiting
        if worker.is_alive():
            worker.terminate()
        worker.join()
        receiver.close()


def _unpacked(
    received: tuple[Any, list[str]] | None,
) -> tuple[tuple[SourcedEstate, list[str]] | None, int]:
    """A part the worker sent and its warnings, as this process reads them, and how many
    dependencies of it the worker holds."""
    if received is None:
        return None, 0
    (label, packed, held), warnings = received
    return (SourcedEstate(label=label, estate=unpack_estate(packed)), warnings), held


def _start_worker(
    read_one: ReadOne, context: Context, *, worker_from: int, count: int, hold: bool
) -> tuple[Any, Any, Any, Any] | None:
    """The forked worker, the end of the pipe its parts come through, the claims the two
    processes share, and the end of the pipe an order goes through; ``None`` when the system
    refuses a process, a pipe or shared memory (a limit on processes, memory or open files)."""
    fork = multiprocessing.get_context("fork")
    try:
        # Where each share's next export is and where it ends: (this process's next, its end,
        # the worker's next, its end). This process takes the first export before the worker
        # starts, so it always has a part to hand on while the worker reads.
        claims = fork.Array("i", [1, worker_from, worker_from, count])
        receiver, sender = fork.Pipe(duplex=False)
        orders, order_sender = fork.Pipe(duplex=False) if hold else (None, None)
    except OSError:
        return None
    if order_sender is not None:
        # An order (a megabyte at 50,000 servers) then goes in one write: the worker, busy
        # with its part of the work, would otherwise take it a pipeful (64 KB) at a time,
        # each when its thread that receives them gets a turn at the interpreter lock.
        with contextlib.suppress(OSError, AttributeError):  # over the system's limit
            fcntl.fcntl(order_sender.fileno(), fcntl.F_SETPIPE_SZ, _ORDER_PIPE_BYTES)
    _flush_standard_streams()  # else the worker would write a copy of what is buffered
    pipes = (sender, orders, order_sender)
    worker = fork.Process(target=_work, args=(read_one, claims, pipes, context), daemon=True)
    try:
        worker.start()
    except OSError:
        receiver.close()
        if order_sender is not None:
            order_sender.close()
        return None
    finally:
        sender.close()  # the worker has its own copies
        if orders is not None:
            orders.close()
    return worker, receiver, claims, order_sender


def pack_estate(estate: Estate) -> tuple[Any, ...]:
    """The estate as plain values that pickle fast: a list per field of its servers and of its
    dependencies (the many records); datacenters, workloads and sources as they are (few)."""
    servers = estate.servers
    return (
        [list(map(operator.attrgetter(name), servers)) for name in _SERVER_FIELDS],
        pack_dependencies(estate.dependencies),
        estate.datacenters,
        estate.workloads,
        estate.sources,
    )


def unpack_estate(packed: tuple[Any, ...]) -> Estate:
    """The estate :func:`pack_estate` packed: equal to it, record for record."""
    server_columns, dependency_columns, datacenters, workloads, sources = packed
    columns = dict(zip(_SERVER_FIELDS, server_columns, strict=True))
    servers = normalised_servers(columns.pop("id"), columns.pop("name"), **columns)
    return Estate(
        datacenters=datacenters,
        servers=tuple(servers),
        workloads=workloads,
        dependencies=unpack_dependencies(dependency_columns),
        sources=sources,
    )


def pack_dependencies(dependencies: Sequence[Dependency]) -> list[list[Any]]:
    """Dependencies as plain values that pickle fast: a list per field."""
    return [list(map(operator.attrgetter(name), dependencies)) for name in _DEPENDENCY_FIELDS]


def unpack_dependencies(columns: list[list[Any]]) -> tuple[Dependency, ...]:
    """The dependencies :func:`pack_dependencies` packed: equal to them, one for one."""
    source_ids, target_ids, ports, protocols, processes, weights = columns
    return tuple(
        normalised_dependencies(
            source_ids, target_ids, ports=ports, protocols=protocols, processes=processes,
            weights=weights,
        )
    )  # fmt: skip


_Sent = tuple[int, SourcedEstate | None, list[str], bool] | bytes
"""What the worker hands its postman: an export's index, its part (``None`` where the worker
could not read it), its warnings, and whether the worker holds the part's dependencies; or a
message ready to send (what an order's job yields)."""


def _work(read_one: ReadOne, claims: Any, pipes: tuple[Any, Any, Any], context: Context) -> None:
    """The worker: read its share of exports in order, then help with this process's, sending
    each part as soon as it is read; then, where it holds dependencies, do what this process
    orders (:meth:`ParallelReading.order`). ``pipes``: the end its parts go through, the end
    its order comes through and this process's end of that pipe; ``None`` for the last two
    where it holds no dependencies.

    A thread packs and sends them (:func:`_send_all`), so that the worker reads on at once: the
    next export is claimed before this process, done with its own, might take it, and packing
    a part (a few tenths of a second for 50,000 servers) runs while python-calamine, which lets
    go of the interpreter lock, parses the next workbook. It also reads on while this process,
    still busy with its own exports, has not taken the last part yet (a pipe holds little).
    """
    # An interrupt (Ctrl-C reaches the whole process group) is this process's to handle: it
    # stops the worker, which would otherwise print a traceback of its own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sender, orders, order_sender = pipes
    hold = orders is not None
    if order_sender is not None:
        order_sender.close()  # this process's: when it closes its own, no order comes
    held: dict[int, SourcedEstate] = {}
    outbox: queue.SimpleQueue[_Sent | None] = queue.SimpleQueue()
    postman = threading.Thread(target=_send_all, args=(outbox, sender))
    postman.start()
    # What this process sends (its order) is taken off the pipe as it comes, even while the
    # worker still reads: this process may order before it has taken every part, and the two
    # would otherwise wait on each other, each writing to a full pipe.
    mail: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
    if hold:
        threading.Thread(target=_receive_all, args=(orders, mail), daemon=True).start()
    try:
        while (index := _worker_claim(claims)) is not None:
            diagnostics = Diagnostics()
            try:
                part: SourcedEstate | None = read_one(index, _with(context, diagnostics))
            except Exception:  # this process reads it again, and reports it there
                part = None
            holds = hold and part is not None and bool(part.estate.dependencies)
            if holds and part is not None:
                held[index] = part
            outbox.put((index, part, diagnostics.warnings, holds))
        if held:
            # At once, while the postman still sends the last parts (this process takes them
            # only once it has merged those before): what the job yields goes after them.
            _do_order(held, mail, outbox)
    finally:
        # Also when a read ends the worker (a plugin calling sys.exit): the worker waits for
        # its postman before it exits, and a postman never told to stop would keep the pipe
        # open, and this process waiting on it, for ever.
        outbox.put(None)
        postman.join()
    with contextlib.suppress(OSError):  # this process stopped listening
        sender.close()


def _receive_all(orders: Any, mail: queue.SimpleQueue[bytes | None]) -> None:
    """Put each message this process sends in ``mail``, then ``None`` once it sends no more."""
    try:
        while True:
            mail.put(orders.recv_bytes())
    except (EOFError, OSError):
        mail.put(None)


def _do_order(
    held: dict[int, SourcedEstate],
    mail: queue.SimpleQueue[bytes | None],
    outbox: queue.SimpleQueue[_Sent | None],
) -> None:
    """Wait for this process's order, run it on the parts the worker holds, and have what its
    job yields sent as it yields it: the ``n``-th thing as the message of index ``-n``
    (``None`` where the job raised: this process then does the job itself)."""

    def receive() -> Any:
        message = mail.get()
        if message is None:
            raise EOFError("this process sends nothing more")
        return pickle.loads(message)

    try:
        job, args = receive()
    except (EOFError, pickle.UnpicklingError):
        return  # no order comes: this process needs none, or stopped
    sent = 0
    try:
        for outcome in job(held, receive, *args):
            outbox.put(pickle.dumps((-(sent + 1), (outcome,), []), protocol=5))
            sent += 1
    except Exception:  # a bug, or an outcome that does not pickle: redone there, and reported
        outbox.put(pickle.dumps((-(sent + 1), None, None), protocol=5))


def _send_all(outbox: queue.SimpleQueue[_Sent | None], sender: Any) -> None:
    """Pack and send what the worker puts in ``outbox`` until it puts ``None``."""
    with contextlib.suppress(OSError):  # this process stopped listening: it needs none of them
        while (sent := outbox.get()) is not None:
            sender.send_bytes(sent if isinstance(sent, bytes) else _message(*sent))


def _message(index: int, part: SourcedEstate | None, warnings: list[str], holds: bool) -> bytes:
    """The message that hands ``part`` of export ``index`` to this process; without its
    dependencies where the worker ``holds`` them."""
    if part is not None:
        try:
            estate, held = part.estate, 0
            if holds:
                estate, held = attrs.evolve(estate, dependencies=()), len(estate.dependencies)
            packed = (part.label, pack_estate(estate), held)
            return pickle.dumps((index, packed, warnings), protocol=5)
        except Exception:  # a value that does not pickle: this process reads the export again
            pass
    return pickle.dumps((index, None, None), protocol=5)


class _Inbox:
    """The parts the worker has sent, by export index."""

    def __init__(self, receiver: Any) -> None:
        self._receiver = receiver
        self._received: dict[int, tuple[Any, list[str]] | None] = {}
        self._open = True

    def has(self, index: int) -> bool:
        """Whether :meth:`take` returns the part of export ``index`` at once: the worker has
        sent it, or can no longer."""
        while self._open and index not in self._received and self._receiver.poll():
            self._receive()
        return index in self._received or not self._open

    def take(self, index: int) -> tuple[Any, list[str]] | None:
        """The packed part of export ``index`` and its warnings, once the worker has sent them;
        ``None`` if the worker could not read it, or died first."""
        while self._open and index not in self._received:
            self._receive()
        return self._received.pop(index, None)

    def _receive(self) -> None:
        """Wait for the worker's next message, and keep it."""
        try:
            sent, packed, warnings = pickle.loads(self._receiver.recv_bytes())
        except (EOFError, OSError, pickle.UnpicklingError):
            self._open = False  # the worker is done, or dead
            return
        self._received[sent] = None if packed is None else (packed, warnings)


def _claim(claims: Any, share: int, *, from_end: bool = False) -> int | None:
    """The next unread export of a share (where ``claims[share]`` is, ending before
    ``claims[share + 1]``): its first for the process whose share it is, its last (``from_end``)
    for the other; ``None`` when every export of it is taken."""
    with claims.get_lock():
        if claims[share] >= claims[share + 1]:
            return None
        if from_end:
            claims[share + 1] -= 1
            return int(claims[share + 1])
        claims[share] += 1
        return int(claims[share] - 1)


def _worker_claim(claims: Any) -> int | None:
    """The worker's next export: the next of its share, else the last unread of this
    process's."""
    index = _claim(claims, _THEIRS)
    return index if index is not None else _claim(claims, _MINE, from_end=True)


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
