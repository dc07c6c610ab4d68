"""The worker that read the dependency exports works on their dependencies
(:mod:`mbf.engine.dependency_work`): the estate file is the one of one process, whatever fails."""

from __future__ import annotations

import itertools
import multiprocessing
import os
import pickle
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs
import pytest

from mbf.config import MbfConfig
from mbf.domain import Dependency, Estate, Server
from mbf.engine import dependency_work, discovery, export_reading
from mbf.engine.dependency_work import DependencyOrder, DependencyStart, DependencyTraffic
from mbf.engine.discovery import Export, discover, discover_to_file
from mbf.engine.merge import SourcedEstate
from mbf.engine.workload_grouping import analyse_traffic
from mbf.errors import InputError
from mbf.plugin import Context
from mbf.plugin.manager import MbfPluginManager
from mbf.serialization import server_records, write_estate

PARENT = os.getpid()
TWO_CORES = len(os.sched_getaffinity(0)) > 1
needs_two_cores = pytest.mark.skipif(not TWO_CORES, reason="a worker needs a second core")


@pytest.fixture
def held(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[dict[int, int]]:
    """Every size of exports is worth a worker, whose share is the last export (the dependency
    export), and this process starts reading only once the worker has claimed it (these
    exports are small: it would otherwise be done with its own and take it first); what each
    reading's worker held is noted."""
    monkeypatch.setattr(export_reading, "MIN_PARALLEL_BYTES", 0)
    monkeypatch.setattr(discovery, "worker_share", lambda sizes: len(sizes) - 1)
    started = tmp_path / "the worker reads"
    read_export = discovery.read_export

    in_parallel: list[bool] = []

    def after_the_worker(*args: Any, **kwargs: Any) -> SourcedEstate:
        if os.getpid() != PARENT:
            started.touch()
        elif in_parallel and not started.exists():
            for _ in range(1000):  # ten seconds at most
                if started.exists():
                    break
                time.sleep(0.01)
        return read_export(*args, **kwargs)

    monkeypatch.setattr(discovery, "read_export", after_the_worker)
    noted: list[dict[int, int]] = []

    class Noted(export_reading.ParallelReading):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            in_parallel.append(True)
            super().__init__(*args, **kwargs)

        def __exit__(self, *exc_info: object) -> None:
            in_parallel.clear()
            noted.append(dict(self.held))
            super().__exit__(*exc_info)

    monkeypatch.setattr(discovery, "ParallelReading", Noted)
    return noted


def one_by_one(plugins: MbfPluginManager, exports: list[Export], output: Path) -> bytes:
    estate = discover(plugins, exports, parallel=False)
    write_estate(estate, output)
    return output.read_bytes()


def exports_of(paths: list[Path]) -> list[Export]:
    return [Export(path=p, display=p.name) for p in paths]


def left_beside(output: Path) -> list[str]:
    return sorted(p.name for p in output.parent.iterdir() if p.name.startswith(f".{output.name}"))


@needs_two_cores
def test_the_worker_writes_the_dependencies_of_the_file_one_process_writes(
    discovery_plugins: MbfPluginManager,
    three_exports: list[Path],
    tmp_path: Path,
    held: list[dict[int, int]],
) -> None:
    exports = exports_of(three_exports)
    expected = one_by_one(discovery_plugins, exports, tmp_path / "one.json")
    context = Context(config=MbfConfig())
    output = tmp_path / "estate.json"
    found = discover_to_file(discovery_plugins, exports, output, context=context, parallel=True)
    assert held == [{3: 4}]  # the dependency export's four flows, five rows
    assert output.read_bytes() == expected
    assert (found.dependency_count, found.estate.dependencies) == (4, ())
    assert [s.workload_ids for s in found.estate.servers] == [
        ("payroll",),
        ("payroll",),
        ("server-dc01",),
        ("payroll",),
    ]
    assert context.diagnostics.warnings == [
        w for w in _warnings(discovery_plugins, exports) if w
    ]  # once each, as one by one
    assert left_beside(output) == []  # the worker's file of dependencies is gone


def _warnings(plugins: MbfPluginManager, exports: list[Export]) -> list[str]:
    context = Context(config=MbfConfig())
    discover(plugins, exports, context=context, parallel=False)
    return context.diagnostics.warnings


def _dies_in_the_worker(
    held: Mapping[int, SourcedEstate],
    receive: Callable[[], DependencyOrder],
    start: DependencyStart,
) -> Iterator[Any]:
    if os.getpid() != PARENT:
        os._exit(3)  # as a worker the system kills
    yield from dependency_work.work_on_dependencies(held, receive, start)


def _dies_after_the_traffic(
    held: Mapping[int, SourcedEstate],
    receive: Callable[[], DependencyOrder],
    start: DependencyStart,
) -> Iterator[Any]:
    outcomes = dependency_work.work_on_dependencies(held, receive, start)
    yield next(outcomes)
    if os.getpid() != PARENT:
        os._exit(3)
    yield from outcomes


def _raises_in_the_worker(
    held: Mapping[int, SourcedEstate],
    receive: Callable[[], DependencyOrder],
    start: DependencyStart,
) -> Iterator[Any]:
    if os.getpid() != PARENT:
        raise RuntimeError("a bug")
    yield from dependency_work.work_on_dependencies(held, receive, start)


@needs_two_cores
@pytest.mark.parametrize(
    "job",
    [
        pytest.param(_dies_in_the_worker, id="dies"),
        pytest.param(_dies_after_the_traffic, id="dies after sending the traffic"),
        pytest.param(_raises_in_the_worker, id="raises"),
    ],
)
def test_where_the_worker_fails_this_process_does_its_work_and_writes_the_same_file(
    discovery_plugins: MbfPluginManager,
    three_exports: list[Path],
    held: list[dict[int, int]],
    monkeypatch: pytest.MonkeyPatch,
    job: Any,
) -> None:
    tmp_path = three_exports[0].parent
    exports = exports_of(three_exports)
    expected = one_by_one(discovery_plugins, exports, tmp_path / "one.json")
    monkeypatch.setattr(discovery, "work_on_dependencies", job)
    context = Context(config=MbfConfig())
    output = tmp_path / "estate.json"
    discover_to_file(discovery_plugins, exports, output, context=context, parallel=True)
    assert held == [{3: 4}]
    assert output.read_bytes() == expected
    assert context.diagnostics.warnings == _warnings(discovery_plugins, exports)
    assert left_beside(output) == []


@needs_two_cores
def test_a_bad_export_after_the_dependencies_fails_as_one_by_one_and_writes_nothing(
    discovery_plugins: MbfPluginManager,
    three_exports: list[Path],
    tmp_path: Path,
    held: list[dict[int, int]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bad = tmp_path / "more_servers.csv"
    bad.write_text(
        "*Server Name,IP addresses,*Cores,*Memory (In MB),*OS name\n"
        "srv99,10.9.9.9,four,4096,Ubuntu 22.04\n",
        encoding="utf-8",
    )
    exports = exports_of([*three_exports, bad])
    monkeypatch.setattr(discovery, "worker_share", lambda sizes: len(sizes) - 2)
    with pytest.raises(InputError) as alone:
        discover(discovery_plugins, exports, parallel=False)
    output = tmp_path / "estate.json"
    with pytest.raises(InputError) as in_parallel:
        discover_to_file(discovery_plugins, exports, output, parallel=True)
    assert str(in_parallel.value) == str(alone.value)
    assert held == [{3: 4}]  # the worker held the dependencies when this process stopped
    assert not output.exists()
    assert left_beside(output) == []


@needs_two_cores
def test_an_export_after_the_first_held_one_read_here_sends_the_worker_every_identity(
    discovery_plugins: MbfPluginManager,
    three_exports: list[Path],
    tmp_path: Path,
    held: list[dict[int, int]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The worker's share is both dependency exports; it fails on the second, which this
    # process then reads: the worker's own identities stop short of that export's servers
    # (batch02, new), and the order has to bring every one.
    more = tmp_path / "more_dependencies.csv"
    more.write_text(
        "Time slot,Source server name,Source IP,Source application,Source process,"
        "Destination server name,Destination IP,Destination application,Destination process,"
        "Destination port\n"
        "7/28/2026 00:00-06:00,batch02,10.1.0.32,,,,10.1.0.21,,,1433\n"
        "7/28/2026 00:00-06:00,batch02,10.1.0.32,,,WEB01,10.1.0.11,,,443\n",
        encoding="utf-8",
    )
    exports = exports_of([*three_exports, more])
    expected = one_by_one(discovery_plugins, exports, tmp_path / "one.json")
    monkeypatch.setattr(discovery, "worker_share", lambda sizes: len(sizes) - 2)
    read_export = discovery.read_export

    def not_the_last_in_the_worker(plugins: Any, export: Export, **kwargs: Any) -> SourcedEstate:
        if os.getpid() != PARENT and export.path == more:
            raise RuntimeError("read here instead")
        return read_export(plugins, export, **kwargs)

    monkeypatch.setattr(discovery, "read_export", not_the_last_in_the_worker)
    output = tmp_path / "estate.json"
    found = discover_to_file(discovery_plugins, exports, output, parallel=True)
    assert held == [{3: 4}]  # the last export was read here, dependencies and all
    assert found.dependency_count == 6
    assert output.read_bytes() == expected
    assert left_beside(output) == []


@needs_two_cores
def test_where_no_file_can_be_made_for_the_worker_this_process_merges_the_dependencies(
    discovery_plugins: MbfPluginManager,
    three_exports: list[Path],
    tmp_path: Path,
    held: list[dict[int, int]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    exports = exports_of(three_exports)
    expected = one_by_one(discovery_plugins, exports, tmp_path / "one.json")
    monkeypatch.setattr(discovery, "_members_file", lambda output: None)
    output = tmp_path / "estate.json"
    found = discover_to_file(discovery_plugins, exports, output, parallel=True)
    assert held == [{3: 4}]  # held, then read again here
    assert output.read_bytes() == expected
    assert found.dependency_count == len(found.estate.dependencies) == 4


def test_an_order_needs_a_worker_that_holds_dependencies() -> None:
    def read_one(index: int, context: Context) -> SourcedEstate:
        return SourcedEstate(label=f"part{index}", estate=Estate())

    with export_reading.ParallelReading(read_one, 2, Context(), worker_from=1) as reading:
        assert [part.label for part in reading.parts()] == ["part0", "part1"]
        with pytest.raises(RuntimeError, match="holds no dependencies"):
            reading.order(dependency_work.work_on_dependencies)


def test_what_the_worker_sends_first_pickles_as_it_is(
    discovery_plugins: MbfPluginManager, three_exports: list[Path]
) -> None:
    estate = discover(discovery_plugins, exports_of(three_exports), parallel=False)
    traffic = analyse_traffic(
        estate.dependencies,
        {s.id: () if s.id in ("batch01", "dc01") else s.workload_ids for s in estate.servers},
        MbfConfig().discovery,
    )
    sent = DependencyTraffic(count=4, traffic=traffic)
    assert pickle.loads(pickle.dumps(sent, protocol=5)) == sent
    assert [(g.members, g.neighbours) for g in traffic.groups] == [
        (("batch01",), ("payroll",)),
        (("dc01",), ()),
    ]


def _many_servers(index: int, context: Context) -> SourcedEstate:
    """A part of 3,000 servers and as many dependencies: more than a pipe holds. This process
    reads the first slowly: the worker has claimed the others by then."""
    if os.getpid() == PARENT:
        time.sleep(0.5)
    servers = tuple(Server(id=f"srv{index}-{n:05}", name=f"srv{index}-{n:05}") for n in range(3000))
    dependencies = tuple(
        Dependency(source_id=a.id, target_id=b.id, port=443) for a, b in itertools.pairwise(servers)
    )
    return SourcedEstate(
        label=f"part{index}", estate=Estate(servers=servers, dependencies=dependencies)
    )


def _sizes(
    held: Mapping[int, SourcedEstate], receive: Callable[[], Any], payload: list[str]
) -> Iterator[tuple[list[int], int, Any]]:
    yield sorted(held), len(payload), receive()


def test_an_order_given_while_the_worker_still_sends_its_parts_waits_on_nothing() -> None:
    # This process orders at the worker's first part, with more than the order pipe holds
    # (1 MB), while the worker sends its second (more than the parts' pipe holds): each would
    # wait for the other to read, were the worker to take its order off the pipe only once done
    # sending. Run in a thread, so that a wait for ever fails the test instead of hanging it.
    found: list[object] = []

    def read_and_order() -> None:
        with export_reading.ParallelReading(
            _many_servers, 3, Context(), worker_from=1, hold_dependencies=True
        ) as reading:
            parts = reading.parts()
            found.extend([next(parts).label, next(parts).label])
            reading.order(_sizes, [f"server id {n}" for n in range(150_000)])
            found.append(next(parts).label)
            reading.tell("and then")
            found.extend([reading.held, reading.outcome()])

    reader = threading.Thread(target=read_and_order, daemon=True)
    reader.start()
    reader.join(30)
    if reader.is_alive():
        for worker in multiprocessing.active_children():
            worker.kill()  # what this process waits on ends, and the thread with it
        reader.join(10)
        pytest.fail("this process and the worker waited on each other")
    assert found == [
        "part0",
        "part1",
        "part2",
        {1: 2999, 2: 2999},
        ([1, 2], 150_000, "and then"),
    ]


def test_records_made_before_grouping_are_those_of_the_grouped_servers() -> None:
    before = (
        Server(id="a", name="a", workload_ids=("app",), sources={"name": "x:y"}),
        Server(id="b", name="b", sources={"name": "x:y"}, extra={"host": "esx1"}),
        Server(id="c", name="c", extra={"host": "esx2"}),
        Server(id="d", name="d", cores=2),
        Server(id="e", name="e"),  # left without a workload: its record as it was
    )
    after = (
        before[0],
        attrs.evolve(before[1], workload_ids=("group-b",)),
        attrs.evolve(before[2], workload_ids=("app",)),
        attrs.evolve(before[3], workload_ids=("server-d",)),
        before[4],
    )
    records = discovery._ServerRecords(before)
    assert [list(record).index("workload_ids") for record in records.records[1:]] == [2, 2, 3, 2]
    records.grouped(after)
    assert records.records == server_records(after)
    assert [list(record) for record in records.records] == [
        list(record) for record in server_records(after)
    ]
