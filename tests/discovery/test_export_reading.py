"""Reading the exports of a discovery in two processes gives what reading them one by one gives."""

from __future__ import annotations

import multiprocessing
import os
import pickle
import random
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import attrs
import pytest

from mbf.domain import Datacenter, Dependency, Estate, EstateSource, Readiness, Server, Workload
from mbf.engine.discovery import Export, discover, read_export
from mbf.engine.export_reading import (
    MIN_PARALLEL_BYTES,
    _Inbox,
    can_read_in_parallel,
    pack_estate,
    read_in_parallel,
    unpack_estate,
    worker_share,
)
from mbf.engine.merge import SourcedEstate
from mbf.errors import InputError
from mbf.plugin import Context
from mbf.plugin.manager import MbfPluginManager

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "azure-migrate-export"


def _exports(paths: list[Path]) -> list[Export]:
    return [Export(path=p, display=p.name) for p in paths]


def _reader(
    plugins: MbfPluginManager, exports: list[Export], log: Path, *, worker_takes: int
) -> Callable[[int, Context], SourcedEstate]:
    """Reads an export as discovery does. The worker notes each export it takes in ``log``; this
    process holds its first export until the worker has taken ``worker_takes``, so which process
    reads which export does not depend on how fast the worker starts."""
    parent = os.getpid()
    held = [False]

    def read_one(index: int, context: Context) -> SourcedEstate:
        if os.getpid() != parent:
            with log.open("a") as stream:
                stream.write(f"{index}\n")
        elif not held[0]:
            held[0] = True
            deadline = time.monotonic() + 20
            while len(_worker_read(log)) < worker_takes and time.monotonic() < deadline:
                time.sleep(0.01)
        return read_export(plugins, exports[index], config=context.config, context=context)

    return read_one


def _worker_read(log: Path) -> list[int]:
    return sorted(int(line) for line in log.read_text().split()) if log.exists() else []


def _taken_and_held(log: Path, index: int, until: Callable[[], bool]) -> bool:
    """In the worker: note in ``log`` that it took export ``index``, then hold it until
    ``until()`` is true, or for 20 s so that a failing test never hangs; whether it was let go."""
    with log.open("a") as stream:
        stream.write(f"{index}\n")
    deadline = time.monotonic() + 20
    while not until():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def _one_by_one(
    plugins: MbfPluginManager, exports: list[Export]
) -> tuple[list[SourcedEstate], list[str]]:
    """Each export's part and the warnings, read one by one in this process."""
    context = Context()
    parts = [read_export(plugins, e, config=context.config, context=context) for e in exports]
    return parts, context.diagnostics.warnings


@pytest.mark.parametrize(
    "worker_from",
    [
        pytest.param(1, id="the worker's share: the last three"),
        pytest.param(2, id="the worker's share: the last two, then this process's second"),
    ],
)
def test_parts_read_by_the_worker_equal_those_read_one_by_one(
    discovery_plugins: MbfPluginManager, three_exports: list[Path], tmp_path: Path, worker_from: int
) -> None:
    exports = _exports(three_exports)
    expected, warnings = _one_by_one(discovery_plugins, exports)
    log = tmp_path / "worker.log"
    context = Context()
    read_one = _reader(discovery_plugins, exports, log, worker_takes=3)
    parts = list(read_in_parallel(read_one, len(exports), context, worker_from=worker_from))
    assert _worker_read(log) == [1, 2, 3]  # all but the first, which this process took
    assert parts == expected
    assert context.diagnostics.warnings == warnings
    assert len(warnings) == 1  # the RVTools template, in the first export


def test_warnings_come_in_export_order_whichever_process_read_them(
    discovery_plugins: MbfPluginManager, three_exports: list[Path], tmp_path: Path
) -> None:
    cmdb = tmp_path / "cmdb-owners.csv"
    cmdb.write_text(
        "Name;Application;Owner\nWEB01;Payroll;Alice\npayroll-db;Payroll;Bob\n", encoding="utf-8"
    )
    exports = _exports([cmdb, three_exports[0]])
    log = tmp_path / "worker.log"
    context = Context()
    read_one = _reader(discovery_plugins, exports, log, worker_takes=1)
    parts = list(read_in_parallel(read_one, len(exports), context, worker_from=1))
    assert _worker_read(log) == [1]
    assert context.diagnostics.warnings == [
        f"{cmdb}, row 3: application 'Payroll' has owner 'Bob', an earlier row 'Alice'; "
        "kept 'Alice'",
        f"{three_exports[0]}: skipped 1 template(s) and 0 SRM placeholder(s); read 3 VM(s)",
    ]
    assert (parts, context.diagnostics.warnings) == _one_by_one(discovery_plugins, exports)


def test_a_workbook_the_worker_reads_equals_the_one_read_here(
    discovery_plugins: MbfPluginManager, tmp_path: Path
) -> None:
    exports = _exports(
        [
            CORPUS / "AzureMigrate_Discovery_Report.xlsx",
            CORPUS / "AzureMigrate_Assessment_Core_Report.xlsx",
        ]
    )
    log = tmp_path / "worker.log"
    read_one = _reader(discovery_plugins, exports, log, worker_takes=1)
    parts = list(read_in_parallel(read_one, len(exports), Context(), worker_from=1))
    assert _worker_read(log) == [1]
    assert parts == _one_by_one(discovery_plugins, exports)[0]
    assert [len(p.estate.servers) for p in parts] == [294, 294]


def test_an_export_the_worker_cannot_read_fails_as_it_does_one_by_one(
    discovery_plugins: MbfPluginManager, three_exports: list[Path], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("*Server Name,*Cores,*Memory (In MB),*OS name\nsrv01,four,1024,Linux\n")
    exports = _exports([three_exports[0], bad, three_exports[1]])
    with pytest.raises(InputError) as one_by_one:
        discover(discovery_plugins, exports, parallel=False)
    log = tmp_path / "worker.log"
    read_one = _reader(discovery_plugins, exports, log, worker_takes=2)
    with pytest.raises(InputError) as in_parallel:
        list(read_in_parallel(read_one, len(exports), Context(), worker_from=1))
    assert _worker_read(log) == [1, 2]
    assert str(in_parallel.value) == str(one_by_one.value)
    assert (
        str(one_by_one.value) == f"{bad}, row 2, column '*Cores': expected a number, found 'four'"
    )


def test_a_part_that_does_not_pickle_is_read_here_and_the_worker_reads_on(
    discovery_plugins: MbfPluginManager, three_exports: list[Path], tmp_path: Path
) -> None:
    exports = _exports(three_exports)
    expected, warnings = _one_by_one(discovery_plugins, exports)
    log = tmp_path / "worker.log"
    read = _reader(discovery_plugins, exports, log, worker_takes=2)
    parent = os.getpid()

    read_here: list[int] = []

    def unpicklable_in_the_worker(index: int, context: Context) -> SourcedEstate:
        part = read(index, context)
        if os.getpid() == parent:
            read_here.append(index)
        if os.getpid() == parent or index != 2:
            return part
        servers = tuple(
            attrs.evolve(s, extra={**s.extra, "lock": threading.Lock()})
            for s in part.estate.servers
        )
        return attrs.evolve(part, estate=attrs.evolve(part.estate, servers=servers))

    context = Context()
    parts = list(read_in_parallel(unpicklable_in_the_worker, len(exports), context, worker_from=2))
    assert (parts, context.diagnostics.warnings) == (expected, warnings)
    # The worker took 2 and 3 (and perhaps 1, after them); it sent 3, so only 2 is read here.
    assert {2, 3} <= set(_worker_read(log))
    assert 2 in read_here
    assert 3 not in read_here


def test_a_bad_export_this_process_reads_fails_before_the_worker_is_waited_for(
    discovery_plugins: MbfPluginManager, three_exports: list[Path], tmp_path: Path
) -> None:
    bad = tmp_path / "first.csv"
    bad.write_text("*Server Name,*Cores,*Memory (In MB),*OS name\nsrv01,four,1024,Linux\n")
    exports = _exports([bad, *three_exports])
    log = tmp_path / "worker.log"
    read_one = _reader(discovery_plugins, exports, log, worker_takes=4)
    parts = read_in_parallel(read_one, len(exports), Context(), worker_from=1)
    with pytest.raises(InputError) as raised:
        next(parts)
    assert str(raised.value) == f"{bad}, row 2, column '*Cores': expected a number, found 'four'"
    assert _worker_read(log) == [1, 2, 3, 4]


def test_parts_come_in_order_before_the_worker_has_sent_its_own(
    discovery_plugins: MbfPluginManager, three_exports: list[Path], tmp_path: Path
) -> None:
    exports = _exports(three_exports)
    log = tmp_path / "worker.log"
    parent = os.getpid()
    release = tmp_path / "release"

    def slow_worker(index: int, context: Context) -> SourcedEstate:
        if os.getpid() != parent:
            _taken_and_held(log, index, release.exists)  # the worker holds its export until told
            return read_export(plugins, exports[index], config=context.config, context=context)
        return read(index, context)

    plugins = discovery_plugins
    read = _reader(discovery_plugins, exports, log, worker_takes=1)
    parts = read_in_parallel(slow_worker, len(exports), Context(), worker_from=3)
    first = [next(parts).label for _ in range(3)]  # this process's three, while the worker holds
    release.touch()
    assert [*first, next(parts).label] == [
        f"rvtools:{exports[0].display}",
        f"azure-migrate:{exports[1].display}",
        f"cmdb-csv:{exports[2].display}",
        f"azure-migrate:{exports[3].display}",
    ]
    assert _worker_read(log) == [3]


def test_every_split_of_the_exports_gives_the_parts_and_warnings_of_one_by_one(
    discovery_plugins: MbfPluginManager, three_exports: list[Path]
) -> None:
    exports = _exports(three_exports)
    expected = _one_by_one(discovery_plugins, exports)

    def read_one(index: int, context: Context) -> SourcedEstate:
        return read_export(
            discovery_plugins, exports[index], config=context.config, context=context
        )

    for worker_from in range(1, len(exports)):
        context = Context()
        parts = list(read_in_parallel(read_one, len(exports), context, worker_from=worker_from))
        assert (parts, context.diagnostics.warnings) == expected, worker_from


def test_the_worker_sends_each_part_as_soon_as_it_is_read(
    discovery_plugins: MbfPluginManager, three_exports: list[Path], tmp_path: Path
) -> None:
    exports = _exports(three_exports[:3])
    expected = _one_by_one(discovery_plugins, exports)[0]
    log = tmp_path / "worker.log"
    parent = os.getpid()
    release = tmp_path / "release"
    plugins = discovery_plugins
    # This process holds its export until the worker has taken both of its own, so that it
    # cannot take the second while the worker reads the first.
    read = _reader(discovery_plugins, exports, log, worker_takes=2)

    def holding_its_second(index: int, context: Context) -> SourcedEstate:
        if os.getpid() == parent or index != 2:
            return read(index, context)
        if not _taken_and_held(log, index, release.exists):  # noted if never told
            with log.open("a") as stream:
                stream.write("99\n")
        return read_export(plugins, exports[index], config=context.config, context=context)

    parts = read_in_parallel(holding_its_second, len(exports), Context(), worker_from=1)
    first_two = [next(parts), next(parts)]  # the worker's first, while it holds its second
    release.touch()
    assert [*first_two, *parts] == expected
    assert _worker_read(log) == [1, 2]


def test_this_process_done_with_its_share_reads_the_last_export_of_the_worker(
    discovery_plugins: MbfPluginManager, three_exports: list[Path], tmp_path: Path
) -> None:
    exports = _exports(three_exports)
    expected, warnings = _one_by_one(discovery_plugins, exports)
    log, read_here = tmp_path / "worker.log", tmp_path / "read-here"
    slow_worker = _held_until_read_here(discovery_plugins, exports, log, read_here)
    context = Context()
    parts = list(read_in_parallel(slow_worker, len(exports), context, worker_from=2))
    assert _worker_read(log) == [2]
    assert _lines(read_here) == ["0", "1", "3"]
    assert parts == expected
    assert context.diagnostics.warnings == warnings  # the RVTools template's, read here first


def test_this_process_done_with_its_share_hands_on_the_parts_that_are_here_before_reading_more(
    discovery_plugins: MbfPluginManager, three_exports: list[Path], tmp_path: Path
) -> None:
    # The worker's share: 2, 3 and 4. It reads 2, then holds 3 until this process has read 4,
    # which this process can only have taken from the worker's share.
    exports = _exports([*three_exports, three_exports[1]])
    expected, warnings = _one_by_one(discovery_plugins, exports)
    log, read_here = tmp_path / "worker.log", tmp_path / "read-here"
    parent = os.getpid()
    events: list[str] = []

    def read_one(index: int, context: Context) -> SourcedEstate:
        if os.getpid() == parent:
            if index == 1:  # until the worker has sent 2 (it takes 3 first, then sends 2)
                deadline = time.monotonic() + 20
                while 3 not in _worker_read(log) and time.monotonic() < deadline:
                    time.sleep(0.01)
                time.sleep(0.5)  # a small message, sent at once: here well before this ends
            events.append(f"read {index}")
            with read_here.open("a") as stream:
                stream.write(f"{index}\n")
        elif index == 3:
            _taken_and_held(log, index, lambda: "4" in _lines(read_here))
        else:
            with log.open("a") as stream:
                stream.write(f"{index}\n")
        return read_export(
            discovery_plugins, exports[index], config=context.config, context=context
        )

    context = Context()
    parts = []
    for part in read_in_parallel(read_one, len(exports), context, worker_from=2):
        events.append(f"got {len(parts)}")
        parts.append(part)
    assert events == ["read 0", "got 0", "read 1", "got 1", "got 2", "read 4", "got 3", "got 4"]
    assert _worker_read(log) == [2, 3]
    assert (parts, context.diagnostics.warnings) == (expected, warnings)


def _held_until_read_here(
    plugins: MbfPluginManager, exports: list[Export], log: Path, read_here: Path
) -> Callable[[int, Context], SourcedEstate]:
    """Reads an export as discovery does. This process notes in ``read_here`` each export it
    reads; the worker notes its first in ``log`` and holds it until this process has read the
    last export (which it can only have taken from the worker's share)."""
    parent = os.getpid()
    read = _reader(plugins, exports, log, worker_takes=1)
    last = str(len(exports) - 1)

    def read_one(index: int, context: Context) -> SourcedEstate:
        if os.getpid() == parent:
            with read_here.open("a") as stream:
                stream.write(f"{index}\n")
            return read(index, context)
        _taken_and_held(log, index, lambda: last in _lines(read_here))
        return read_export(plugins, exports[index], config=context.config, context=context)

    return read_one


def _lines(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


def test_the_first_bad_export_fails_even_when_a_later_one_failed_first(
    discovery_plugins: MbfPluginManager, three_exports: list[Path], tmp_path: Path
) -> None:
    bad_cores, bad_memory = tmp_path / "bad-cores.csv", tmp_path / "bad-memory.csv"
    header = "*Server Name,*Cores,*Memory (In MB),*OS name\n"
    bad_cores.write_text(header + "srv01,four,1024,Linux\n")
    bad_memory.write_text(header + "srv02,4,lots,Linux\n")
    exports = _exports([*three_exports[:2], bad_cores, bad_memory])
    with pytest.raises(InputError) as one_by_one:
        discover(discovery_plugins, exports, parallel=False)
    log, read_here = tmp_path / "worker.log", tmp_path / "read-here"
    # The worker holds the first bad export until this process has read the second one.
    late_worker = _held_until_read_here(discovery_plugins, exports, log, read_here)
    with pytest.raises(InputError) as in_parallel:
        list(read_in_parallel(late_worker, len(exports), Context(), worker_from=2))
    assert _lines(read_here)[:3] == ["0", "1", "3"]  # the second bad one failed here first
    assert str(in_parallel.value) == str(one_by_one.value)
    assert str(one_by_one.value) == (
        f"{bad_cores}, row 2, column '*Cores': expected a number, found 'four'"
    )


@pytest.mark.parametrize("seed", range(8))
def test_what_comes_out_does_not_depend_on_which_process_is_faster(
    discovery_plugins: MbfPluginManager, three_exports: list[Path], tmp_path: Path, seed: int
) -> None:
    # Random reading times in each process, a random split, and in half the runs a bad export:
    # the parts and warnings, or the error, are those of reading one by one. The RVTools export
    # comes twice, so that either process may read one with a warning (its template).
    rng = random.Random(seed)
    paths = [*three_exports, three_exports[1], three_exports[0]]
    if seed % 2:
        bad = tmp_path / "bad-cores.csv"
        bad.write_text("*Server Name,*Cores,*Memory (In MB),*OS name\nsrv09,x,1024,Linux\n")
        paths.insert(rng.randrange(1, len(paths) + 1), bad)
    exports = _exports(paths)
    # Decided before the worker forks, so both processes know them.
    here = [rng.uniform(0.0, 0.03) for _ in exports]
    there = [rng.uniform(0.0, 0.03) for _ in exports]
    parent = os.getpid()

    def read_one(index: int, context: Context) -> SourcedEstate:
        time.sleep((here if os.getpid() == parent else there)[index])
        return read_export(
            discovery_plugins, exports[index], config=context.config, context=context
        )

    def outcome(parts: Callable[[Context], list[SourcedEstate]]) -> object:
        context = Context()
        try:
            return parts(context), context.diagnostics.warnings
        except InputError as exc:
            return str(exc)

    expected = outcome(lambda context: [read_one(i, context) for i in range(len(exports))])
    worker_from = rng.randrange(1, len(exports))
    assert (
        outcome(
            lambda context: list(
                read_in_parallel(read_one, len(exports), context, worker_from=worker_from)
            )
        )
        == expected
    )
    assert isinstance(expected, str) == bool(seed % 2)


def _killed(code: int) -> None:
    os._exit(code)  # the worker dies, perhaps before sending what it read


def _ended(code: int) -> None:
    sys.exit(code)  # a plugin ending the process: a BaseException, which the worker lets through


@pytest.mark.parametrize(
    "death",
    [
        # how the worker ends, at which export, and the exports it took by then
        pytest.param((_killed, 3, [2, 3]), id="killed after its second export"),
        pytest.param((_ended, 2, [2]), id="ended by sys.exit in its first export"),
    ],
)
def test_exports_of_a_worker_that_dies_are_read_by_this_process(
    discovery_plugins: MbfPluginManager,
    three_exports: list[Path],
    tmp_path: Path,
    death: tuple[Callable[[int], None], int, list[int]],
) -> None:
    end, at, worker_read = death
    exports = _exports(three_exports)
    expected, warnings = _one_by_one(discovery_plugins, exports)
    log = tmp_path / "worker.log"
    read = _reader(discovery_plugins, exports, log, worker_takes=len(worker_read))
    parent = os.getpid()

    def dying(index: int, context: Context) -> SourcedEstate:
        part = read(index, context)
        if os.getpid() != parent and index == at:
            end(3)
        return part

    def hung(signum: int, frame: object) -> None:
        pytest.fail("no part for 20 s: the worker hangs")  # not an OSError, which means "dead"

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(20)
    try:
        context = Context()
        parts = list(read_in_parallel(dying, len(exports), context, worker_from=2))
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert parts == expected
    assert context.diagnostics.warnings == warnings
    assert _worker_read(log) == worker_read


def test_exports_are_read_here_when_the_system_refuses_a_worker(
    discovery_plugins: MbfPluginManager,
    three_exports: list[Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    exports = _exports(three_exports)
    expected, warnings = _one_by_one(discovery_plugins, exports)

    def refused() -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")  # fork's EAGAIN

    monkeypatch.setattr(os, "fork", refused)
    log = tmp_path / "worker.log"
    read_one = _reader(discovery_plugins, exports, log, worker_takes=0)
    context = Context()
    parts = list(read_in_parallel(read_one, len(exports), context, worker_from=2))
    assert (parts, context.diagnostics.warnings) == (expected, warnings)
    assert _worker_read(log) == []


def test_discovery_in_parallel_gives_the_estate_of_discovery_one_by_one(
    discovery_plugins: MbfPluginManager, three_exports: list[Path]
) -> None:
    exports = _exports(three_exports)
    one_by_one, in_parallel = Context(), Context()
    expected = discover(discovery_plugins, exports, context=one_by_one, parallel=False)
    assert discover(discovery_plugins, exports, context=in_parallel, parallel=True) == expected
    assert in_parallel.diagnostics.warnings == one_by_one.diagnostics.warnings
    assert len(expected.servers) == 4


def test_a_packed_estate_unpacks_to_an_equal_estate() -> None:
    web01 = Server(
        id="web01", name="WEB01", datacenter_id="ams", os="Windows", os_version="2016", cores=4,
        memory_mb=8192, storage_gb=120.5, environment="prod", ip_addresses=("10.0.0.1", "fe80::1"),
        readiness=Readiness.NOT_READY, blockers=("Unsupported boot type",),
        workload_ids=("payroll",), sources={"cores": "rvtools:a.xlsx"}, extra={"vcenter": "vc01"},
    )  # fmt: skip
    estate = Estate(
        datacenters=(Datacenter(id="ams", name="Amsterdam"),),
        servers=(
            web01,
            Server(id="db01", name="db01", extra={"conflicts": {"os": {"a": "x"}}}),
            Server(id="x", name="x"),
        ),
        workloads=(Workload(id="payroll", name="Payroll", server_ids=("web01",)),),
        dependencies=(
            Dependency(source_id="web01", target_id="db01", port=1433, weight=3.0),
            Dependency(source_id="web01", target_id="ip:10.9.9.9", process="sqlservr.exe"),
            Dependency(source_id="db01", target_id="web01", port=None, protocol="tcp"),
        ),
        sources=(EstateSource(source="rvtools", path="a.xlsx", records=3),),
    )
    unpacked = unpack_estate(pickle.loads(pickle.dumps(pack_estate(estate), protocol=5)))
    assert unpacked == estate
    assert [type(s.storage_gb) for s in unpacked.servers] == [float, type(None), type(None)]


def test_the_worker_share_starts_at_the_export_holding_the_middle_byte() -> None:
    # the benchmark's exports: RVTools, import, CMDB, classic and newer dependency exports (MB)
    assert worker_share([28, 44, 10, 766, 92]) == 3
    assert worker_share([10, 10, 10, 10]) == 2
    assert worker_share([9, 76]) == 1
    assert worker_share([76, 9, 5]) == 1  # never the first: this process reads that one
    assert worker_share([5, 5, 90]) == 2


def test_a_worker_share_outside_the_exports_is_refused() -> None:
    with pytest.raises(ValueError, match="must start at 1 to 2, not 3"):
        next(
            read_in_parallel(
                lambda index, context: pytest.fail("no export is read"), 3, Context(), worker_from=3
            )
        )


def test_small_or_single_exports_are_read_one_by_one() -> None:
    big = MIN_PARALLEL_BYTES
    assert can_read_in_parallel([big]) is False
    assert can_read_in_parallel([1000, 2000]) is False
    two_cores = len(os.sched_getaffinity(0)) > 1
    assert can_read_in_parallel([big, 1]) is two_cores


def test_the_inbox_has_a_part_once_the_worker_sent_it_or_can_no_longer() -> None:
    receiver, sender = multiprocessing.Pipe(duplex=False)
    inbox = _Inbox(receiver)
    assert inbox.has(2) is False  # nothing sent: it does not wait
    sender.send_bytes(pickle.dumps((3, ("label", "packed"), ["a warning"]), protocol=5))
    assert inbox.has(2) is False
    assert inbox.has(3) is True
    assert inbox.take(3) == (("label", "packed"), ["a warning"])
    sender.send_bytes(pickle.dumps((2, None, None), protocol=5))  # the worker could not read it
    assert inbox.has(2) is True
    assert inbox.take(2) is None
    sender.close()  # the worker is done, or dead: this process reads the rest itself
    assert inbox.has(4) is True
    assert inbox.take(4) is None
