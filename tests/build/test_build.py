"""`mbf build` on the Contoso example: the figures it reports, the files it writes, rebuilds, push."""

import hashlib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import attrs
from click.testing import Result

from mbf.config import load_config
from mbf.domain import Backlog, StateCategory, WorkItem
from mbf.engine.build import build_project
from mbf.engine.convert import read_backlog_file
from mbf.plugin import Context, TrackerService, hookimpl
from mbf.plugin.manager import MbfPluginManager
from mbf.serialization import read_backlog
from mbf.sync import BatchWriter, ItemOutcome, run_push

from .conftest import run_cli

OUTPUT_FILES = [
    "azure-devops-2.csv",
    "azure-devops-3.csv",
    "azure-devops.csv",
    "backlog.json",
    "backlog.xlsx",
    "estate.json",
    "jira.csv",
    "plan.xml",
]


def _lines(result: Result) -> list[str]:
    return [line.strip() for line in result.output.splitlines()]


def _hashes(folder: Path) -> dict[str, str]:
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.iterdir())
    }


def _item(backlog: Backlog, item_id: str) -> WorkItem:
    return next(item for item in backlog.items if item.id == item_id)


def test_build_reports_the_example_figures(built: tuple[Path, Result]) -> None:
    lines = _lines(built[1])
    assert [line for line in lines if line.startswith(("Servers:", "Items:", "Iterations:"))] == [
        "Servers: 296 in 3 datacenters, 42 workloads, 872 dependencies (from 4 exports)",
        "Items: 2174 (3 epics, 42 features, 296 stories, 1833 tasks)",
        "Iterations: 21 (20 with workloads), 20 releases, strategy waves",
    ]


def test_build_empties_every_datacenter_before_its_lease_ends(built: tuple[Path, Result]) -> None:
    lines = _lines(built[1])
    assert [line for line in lines if line.startswith(("ams1:", "dub1:", "fra1:"))] == [
        "ams1: empty after Sprint 11 (2027-06-06), lease ends 2027-09-30: 116 days to spare",
        "dub1: empty after Sprint 18 (2027-09-12), lease ends 2028-03-31: 201 days to spare",
        "fra1: empty after Sprint 21 (2027-10-24), lease ends 2028-06-30: 250 days to spare",
    ]


def test_build_reports_the_constraints_it_could_not_meet(built: tuple[Path, Result]) -> None:
    lines = _lines(built[1])
    start = lines.index("Constraints not met: 2")
    assert lines[start + 1 : start + 3] == [
        "[oversized] feature:dev-and-test is larger than an iteration (18/15 servers); "
        "it goes alone into iteration-12",
        "[oversized] feature:e-commerce-platform is larger than an iteration (23/15 servers); "
        "it goes alone into iteration-16",
    ]


def test_build_lists_every_output_it_wrote(built: tuple[Path, Result]) -> None:
    lines = _lines(built[1])
    start = lines.index("Outputs written: 6")
    assert lines[start + 1 : start + 7] == [
        "out/estate.json (mbf-estate)",
        "out/backlog.json (mbf-json)",
        "out/backlog.xlsx (xlsx)",
        "out/azure-devops.csv (ado-csv; cannot hold iterations, links, release_id, releases, source)",
        "out/jira.csv (jira-csv; cannot hold iterations, links, releases, source)",
        "out/plan.xml (mspdi)",
    ]


def test_build_writes_the_native_files_and_every_configured_output(
    built: tuple[Path, Result],
) -> None:
    assert sorted(p.name for p in (built[0] / "out").iterdir()) == OUTPUT_FILES


def test_the_workbook_output_reads_back_as_the_native_backlog(
    built: tuple[Path, Result], installed: MbfPluginManager
) -> None:
    native = read_backlog(built[0] / "out" / "backlog.json")
    workbook, _ = read_backlog_file(installed, built[0] / "out" / "backlog.xlsx", None, Context())
    assert [item.id for item in workbook.items] == [item.id for item in native.items]
    assert [it.id for it in workbook.iterations] == [f"iteration-{n}" for n in range(1, 22)]


def test_a_rebuild_of_an_unchanged_project_writes_the_same_bytes(
    project: Path, cli: Callable[..., Result]
) -> None:
    assert cli("build", "-c", str(project / "mbf.toml")).exit_code == 0
    before = _hashes(project / "out")
    result = cli("build", "-c", str(project / "mbf.toml"))
    assert result.exit_code == 0, result.output
    assert "Against the previous backlog: 0 added, 2174 kept, 0 removed" in _lines(result)
    assert _hashes(project / "out") == before
    assert sorted(before) == OUTPUT_FILES


def test_a_rebuild_removes_the_parts_an_earlier_build_split_into(
    project: Path, cli: Callable[..., Result]
) -> None:
    assert cli("build", "-c", str(project / "mbf.toml")).exit_code == 0
    (project / "out" / "azure-devops-4.csv").write_text("left by a bigger backlog\n")
    (project / "out" / "azure-devops-old.csv").write_text("not a numbered part\n")
    result = cli("build", "-c", str(project / "mbf.toml"))
    assert "Warning: azure-devops-4.csv: removed, a part of an earlier build" in _lines(result)
    assert sorted(p.name for p in (project / "out").iterdir()) == sorted(
        [*OUTPUT_FILES, "azure-devops-old.csv"]
    )


def test_a_rebuild_keeps_the_progress_tracked_since(
    project: Path, cli: Callable[..., Result]
) -> None:
    assert cli("build", "-c", str(project / "mbf.toml")).exit_code == 0
    backlog_file = str(project / "out" / "backlog.json")
    tracked = cli("track", backlog_file, str(project / "progress" / "replication-status.csv"),
                  "-o", backlog_file)  # fmt: skip
    assert tracked.exit_code == 0, tracked.output
    assert cli("build", "-c", str(project / "mbf.toml")).exit_code == 0
    rebuilt = read_backlog(project / "out" / "backlog.json")
    migrated = _item(rebuilt, "task:ams-fin-app01/migrate")
    feature = _item(rebuilt, "feature:finance-erp")
    assert (migrated.state, migrated.state_category) == ("Done", StateCategory.DONE)
    assert (feature.state_category, feature.iteration_id) == (
        StateCategory.IN_PROGRESS,
        "iteration-2",
    )


def test_progress_bars_are_not_drawn_when_output_is_not_a_terminal(
    built: tuple[Path, Result],
) -> None:
    first_line = built[1].output.splitlines()[0]
    assert "Discovering" not in built[1].output
    assert first_line.endswith("skipped 2 template(s) and 1 SRM placeholder(s); read 232 VM(s)")


def test_the_engine_times_each_step(project: Path, installed: MbfPluginManager) -> None:
    report = build_project(installed, load_config(project / "mbf.toml"))
    assert [name for name, _seconds in report.timings] == ["discover", "generate", "plan", "write"]
    assert [output.path for output in report.outputs][:2] == ["out/estate.json", "out/backlog.json"]


def test_the_engine_names_the_parts_an_output_was_split_into(
    project: Path, installed: MbfPluginManager
) -> None:
    report = build_project(installed, load_config(project / "mbf.toml"))
    assert {output.path: output.parts for output in report.outputs if output.parts} == {
        "out/azure-devops.csv": ("azure-devops-2.csv", "azure-devops-3.csv")
    }


def test_a_missing_config_is_one_line_error(tmp_path: Path, cli: Callable[..., Result]) -> None:
    result = cli("build", "-c", str(tmp_path / "nowhere.toml"))
    assert (result.exit_code, result.output) == (
        1,
        f"Error: {tmp_path / 'nowhere.toml'}: no such file; pass the project's mbf.toml with -c\n",
    )


def test_a_config_without_sources_is_refused(tmp_path: Path, cli: Callable[..., Result]) -> None:
    (tmp_path / "mbf.toml").write_text('[project]\nname = "empty"\n')
    result = cli("build", "-c", str(tmp_path / "mbf.toml"))
    assert (result.exit_code, result.output.strip()) == (
        1,
        "Error: mbf.toml: no [[sources]]: name the discovery exports `mbf build` reads",
    )
    assert not (tmp_path / "out").exists()


# -- --push ---------------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class MemorySettings:
    project: str


class MemoryTracker:
    """Keeps created items by key; counts the connections made."""

    def __init__(self) -> None:
        self.items: dict[str, str] = {}  # key -> mbf id
        self.connections = 0

    def write(self, items: Sequence[WorkItem], keys: Mapping[str, str]) -> list[ItemOutcome]:
        outcomes = []
        for item in items:
            key = keys.get(item.id) or f"MIG-{len(self.items) + 1}"
            self.items[key] = item.id
            outcomes.append(ItemOutcome(item_id=item.id, key=key))
        return outcomes

    def push(self, backlog: Backlog, ledger, *, dry_run: bool = False):
        writer = BatchWriter(
            batch_size=500, create=self.write, update=self.write, find_marked=lambda ids: {}
        )
        return run_push(backlog, ledger, writer)

    def pull(self) -> Backlog:
        return Backlog()

    def close(self) -> None:
        pass

    @hookimpl
    def mbf_tracker_services(self):
        def connect(settings: MemorySettings, context: Context) -> "MemoryTracker":
            self.connections += 1
            return self

        yield TrackerService(
            name="memory", description="in memory", settings_type=MemorySettings, connect=connect
        )


def _with_service(project: Path) -> MemoryTracker:
    config = project / "mbf.toml"
    config.write_text(config.read_text() + '\n[services.memory]\nproject = "MIG"\n')
    return MemoryTracker()


def test_push_sends_the_backlog_and_keeps_the_tracker_keys(project: Path) -> None:
    tracker = _with_service(project)
    plugin_manager = MbfPluginManager().load()
    plugin_manager.add_plugin(tracker, "memory")
    result = run_cli(plugin_manager, "build", "-c", str(project / "mbf.toml"), "--push")
    assert result.exit_code == 0, result.output
    assert "Pushed to memory: 2174 created, 0 updated, 0 unchanged, 0 refused" in _lines(result)
    backlog = read_backlog(project / "out" / "backlog.json")
    assert _item(backlog, "epic:ams1").refs["memory"].key == "MIG-1"
    assert sum(1 for item in backlog.items if "memory" in item.refs) == 2174


def test_a_second_push_of_an_unchanged_project_sends_nothing(project: Path) -> None:
    tracker = _with_service(project)
    plugin_manager = MbfPluginManager().load()
    plugin_manager.add_plugin(tracker, "memory")
    run_cli(plugin_manager, "build", "-c", str(project / "mbf.toml"), "--push")
    before = _hashes(project / "out")
    result = run_cli(plugin_manager, "build", "-c", str(project / "mbf.toml"), "--push")
    assert "Pushed to memory: 0 created, 0 updated, 2174 unchanged, 0 refused" in _lines(result)
    assert _hashes(project / "out") == before


def test_without_push_no_service_is_contacted(project: Path) -> None:
    tracker = _with_service(project)
    plugin_manager = MbfPluginManager().load()
    plugin_manager.add_plugin(tracker, "memory")
    result = run_cli(plugin_manager, "build", "-c", str(project / "mbf.toml"))
    assert (result.exit_code, tracker.connections, tracker.items) == (0, 0, {})


def test_push_without_a_service_table_is_refused(project: Path, cli: Callable[..., Result]) -> None:
    result = cli("build", "-c", str(project / "mbf.toml"), "--push")
    assert (result.exit_code, result.output.strip().splitlines()[-1]) == (
        1,
        "Error: mbf.toml: --push given but no [services.<name>] table names a tracker",
    )
    assert not (project / "out").exists()  # refused before any work


def test_bad_service_settings_are_refused_before_any_work(project: Path) -> None:
    config = project / "mbf.toml"
    config.write_text(config.read_text() + '\n[services.memory]\nproject = "MIG"\nboard = 7\n')
    plugin_manager = MbfPluginManager().load()
    plugin_manager.add_plugin(MemoryTracker(), "memory")
    result = run_cli(plugin_manager, "build", "-c", str(config), "--push")
    assert (result.exit_code, result.output.strip().splitlines()[-1]) == (
        1,
        "Error: mbf.toml: services.memory: unknown key board",
    )
    assert not (project / "out").exists()
