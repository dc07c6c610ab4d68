"""`mbf push` and `mbf pull` against a service plugin, through the command line."""

import json
from pathlib import Path

import attrs
import pytest

from mbf.domain import Backlog
from mbf.plugin import TrackerService, hookimpl
from mbf.serialization import read_backlog, write_backlog
from mbf.sync import run_push

from .memory_tracker import MemoryTracker


@attrs.frozen(kw_only=True)
class MemorySettings:
    project: str


class MemoryClient:
    def __init__(self, tracker: MemoryTracker, template: Backlog) -> None:
        self.tracker = tracker
        self.template = template

    def push(self, backlog, ledger, *, dry_run=False):
        return run_push(backlog, ledger, self.tracker.writer())

    def pull(self):
        return self.tracker.as_backlog(self.template)

    def close(self):
        pass


class MemoryServicePlugin:
    def __init__(self, tracker: MemoryTracker, template: Backlog) -> None:
        self.tracker = tracker
        self.template = template
        self.connected_with: list[MemorySettings] = []

    @hookimpl
    def mbf_tracker_services(self):
        def connect(settings, context):
            self.connected_with.append(settings)
            return MemoryClient(self.tracker, self.template)

        yield TrackerService(
            name="memory",
            description="in-memory tracker",
            settings_type=MemorySettings,
            connect=connect,
        )


@pytest.fixture
def project(tmp_path: Path, sample_backlog: Backlog) -> Path:
    (tmp_path / "mbf.toml").write_text('[services.memory]\nproject = "MIG"\n')
    write_backlog(sample_backlog, tmp_path / "backlog.json")
    return tmp_path


@pytest.fixture
def service(register_plugin, sample_backlog: Backlog) -> MemoryServicePlugin:
    plugin = MemoryServicePlugin(MemoryTracker(), sample_backlog)
    register_plugin(plugin, name="memory")
    return plugin


def push(mbf_cli, project: Path, *extra: str):
    return mbf_cli(
        "push",
        str(project / "backlog.json"),
        "--service",
        "memory",
        "-c",
        str(project / "mbf.toml"),
        *extra,
    )


def test_push_creates_items_and_writes_their_keys_back(mbf_cli, project, service) -> None:
    result = push(mbf_cli, project)
    assert result.exit_code == 0, result.output
    assert (
        result.stdout == "Pushed to memory: 9 created, 0 updated, 0 unchanged (5 write requests)\n"
    )
    assert service.connected_with == [MemorySettings(project="MIG")]
    pushed = read_backlog(project / "backlog.json")
    assert pushed.items[0].refs["memory"].key == "MIG-1"
    assert (project / ".mbf" / "ledger-memory.json").exists()


def test_second_push_sends_nothing_and_rewrites_nothing(mbf_cli, project, service) -> None:
    push(mbf_cli, project)
    before = (project / "backlog.json").read_bytes()
    result = push(mbf_cli, project)
    assert (
        result.stdout == "Pushed to memory: 0 created, 0 updated, 9 unchanged (0 write requests)\n"
    )
    assert (project / "backlog.json").read_bytes() == before
    assert service.tracker.write_requests == 5


def test_dry_run_connects_to_nothing(mbf_cli, project, service) -> None:
    result = push(mbf_cli, project, "--dry-run")
    assert result.stdout == "Dry run (memory): would create 9, update 0; 0 unchanged\n"
    assert (service.connected_with, service.tracker.write_requests) == ([], 0)


def test_unknown_setting_is_refused_with_its_key(mbf_cli, project, service) -> None:
    (project / "mbf.toml").write_text('[services.memory]\nproject = "MIG"\nprojekt = "x"\n')
    result = push(mbf_cli, project)
    assert (result.exit_code, result.stderr) == (
        1,
        "Error: mbf.toml: services.memory: unknown key projekt\n",
    )


def test_unknown_service_lists_the_installed_ones(mbf_cli, project, service) -> None:
    result = mbf_cli("push", str(project / "backlog.json"), "--service", "jiraa")
    assert (result.exit_code, result.stderr) == (
        1,
        "Error: unknown tracker service 'jiraa'; available: memory (pass one with --service)\n",
    )


def test_refused_items_make_push_exit_1_after_recording_the_rest(mbf_cli, project, service) -> None:
    service.tracker.refuse_titles = {"Migrate PAY-APP01"}
    result = push(mbf_cli, project)
    assert result.exit_code == 1
    assert result.stderr.endswith(
        "Error: 2 item(s) were refused by memory:\n"
        "  story:pay-app01: TF401320: Rule Error for field Title\n"
        "  task:pay-app01/migrate: TF401320: Rule Error for field Title\n"
    )
    ledger = json.loads((project / ".mbf" / "ledger-memory.json").read_text())
    assert len(ledger["entries"]) == 7


def test_pull_brings_back_states_and_reports_conflicts(mbf_cli, project, service) -> None:
    push(mbf_cli, project)
    tracker = service.tracker
    # In the tracker: PAY-APP01's story moved on, and the Dublin epic was renamed.
    tracker.items[tracker_key(project, "story:pay-app01")]["state"] = "Active"
    tracker.items[tracker_key(project, "epic:dub2")]["title"] = "Exit Dublin 2"
    # Locally: the Dublin epic was renamed too, differently.
    local = read_backlog(project / "backlog.json")
    renamed = [
        attrs.evolve(i, title="Leave DUB2") if i.id == "epic:dub2" else i for i in local.items
    ]
    write_backlog(attrs.evolve(local, items=renamed), project / "backlog.json")

    result = mbf_cli(
        "pull",
        "--service",
        "memory",
        "-c",
        str(project / "mbf.toml"),
        "-o",
        str(project / "backlog.json"),
    )
    assert result.exit_code == 0, result.output
    assert (
        result.stderr
        == "Conflict: epic:dub2 title: kept local 'Leave DUB2', memory has 'Exit Dublin 2'\n"
    )
    assert result.stdout.startswith("Pulled from memory: 1 updated, 0 added, 1 conflict(s)")
    pulled = {i.id: i for i in read_backlog(project / "backlog.json").items}
    assert pulled["story:pay-app01"].state == "Active"
    assert pulled["epic:dub2"].title == "Leave DUB2"


def tracker_key(project: Path, item_id: str) -> str:
    ledger = json.loads((project / ".mbf" / "ledger-memory.json").read_text())
    return ledger["entries"][item_id]["key"]


def test_pull_keeps_the_local_capacity_of_an_iteration_the_tracker_returns() -> None:
    from mbf.domain import Iteration
    from mbf.engine.sync_merge import merge_pull
    from mbf.sync import SyncLedger

    local = Backlog(iterations=[Iteration(id="sprint-1", name="Sprint 1", capacity=25.0)])
    remote = Backlog(
        iterations=[Iteration(id="sprint-1", name="Sprint 1 (renamed)", path="MIG\\Sprint 1")]
    )
    merged = merge_pull(local, remote, SyncLedger(Path("unused.json"), "memory")).backlog
    assert merged.iterations == (
        Iteration(id="sprint-1", name="Sprint 1 (renamed)", path="MIG\\Sprint 1", capacity=25.0),
    )
