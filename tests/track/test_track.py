"""`mbf track`: replication status and MEG Wave statuses move exactly the expected migrate tasks."""

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from mbf.cli import make_cli
from mbf.config import load_config
from mbf.domain import Backlog, StateCategory, WorkItem, WorkItemKind
from mbf.engine.build import build_project
from mbf.engine.progress import (
    ServerProgress,
    Stage,
    read_meg_waves,
    read_replication_status,
    track_progress,
)
from mbf.errors import InputError
from mbf.plugin import Context
from mbf.plugin.manager import MbfPluginManager
from mbf.serialization import read_backlog, write_backlog

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "contoso"
HEADER = "Appliance,Server,State,Progress,TimeElapsed,TimeRemaining,UploadSpeed,Health,LastSync,Datastore"


def _task(server: str, name: str, **fields: object) -> WorkItem:
    return WorkItem(
        id=f"task:{server}/{name}",
        kind=WorkItemKind.TASK,
        title=f"{name} {server}",
        parent_id=f"story:{server}",
        tags=(name,),
        source=(server,),
        **fields,  # type: ignore[arg-type]
    )


def _small_backlog(**migrate_fields: object) -> Backlog:
    """Epic, one workload of three servers (web01's migrate task takes ``migrate_fields``), and a
    retired server with only a decommission task."""
    items = [
        WorkItem(id="epic:ams1", kind=WorkItemKind.EPIC, title="Exit Amsterdam 1", source=("ams1",)),
        WorkItem(id="feature:shop", kind=WorkItemKind.FEATURE, title="Shop", parent_id="epic:ams1"),
    ]  # fmt: skip
    for server in ("web01", "web02", "db01", "old01"):
        items.append(
            WorkItem(
                id=f"story:{server}",
                kind=WorkItemKind.STORY,
                title=f"Migrate {server}",
                parent_id="feature:shop",
                source=(server,),
            )
        )
        if server == "old01":
            items.append(_task(server, "decommission"))
            continue
        items.append(_task(server, "assess"))
        items.append(_task(server, "migrate", **(migrate_fields if server == "web01" else {})))
    return Backlog(items=tuple(items))


def _record(server: str, stage: Stage, issue: str = "", status: str = "") -> ServerProgress:
    return ServerProgress(server=server, stage=stage, status=status or stage.name, issue=issue)


def _by_id(backlog: Backlog) -> dict[str, WorkItem]:
    return {item.id: item for item in backlog.items}


def _csv(tmp_path: Path, *rows: str, name: str = "status.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


# -- the replication status export --------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "stage"),
    [
        ("InitialReplication InProgress", Stage.STARTED),
        ("InitialReplication Queued", Stage.STARTED),
        ("DeltaReplication Completed", Stage.STARTED),
        ("TestMigration Completed", Stage.STARTED),
        ("Migration Failed", Stage.STARTED),
        ("Migration Completed", Stage.MIGRATED),
        ("Migrated", Stage.MIGRATED),
        ("MigrationSucceeded", Stage.MIGRATED),
        ("-", Stage.NOT_STARTED),
        ("", Stage.NOT_STARTED),
    ],
)
def test_each_replication_state_means_a_stage(tmp_path: Path, state: str, stage: Stage) -> None:
    path = _csv(tmp_path, f"app1,web01,{state},-,-,-,-,Normal,-,DS1")
    assert [r.stage for r in read_replication_status(path)] == [stage]


def test_the_powershell_type_line_and_quoting_are_read(tmp_path: Path) -> None:
    path = tmp_path / "status.csv"
    path.write_text(
        "#TYPE System.Management.Automation.PSCustomObject\r\n"
        + ",".join(f'"{h}"' for h in HEADER.split(","))
        + '\r\n"app1","web01","InitialReplication InProgress","48 %","3 hr","4 hr","830 Mbps",'
        '"Normal","-","DS1"\r\n',
        encoding="utf-8",
    )
    assert read_replication_status(path) == [
        ServerProgress(
            server="web01",
            stage=Stage.STARTED,
            status="InitialReplication InProgress 48 %",
            origin="status.csv, row 3",
        )
    ]


def test_a_utf16_export_of_windows_powershell_is_read(tmp_path: Path) -> None:
    path = tmp_path / "status.csv"
    text = "#TYPE System.Management.Automation.PSCustomObject\r\n" + HEADER + "\r\n"
    text += "app1,web01,Migration Completed,-,-,-,-,Normal,-,DS1\r\n"
    path.write_text(text, encoding="utf-16")
    assert [(r.server, r.stage) for r in read_replication_status(path)] == [
        ("web01", Stage.MIGRATED)
    ]


def test_unhealthy_or_failed_replication_is_an_issue(tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        "app1,web01,DeltaReplication Completed,-,-,-,-,Critical,-,DS1",
        "app1,web02,InitialReplication Failed,-,-,-,-,Warning,-,DS1",
        "app1,db01,DeltaReplication Completed,-,-,-,-,Normal,-,DS1",
    )
    assert [(r.server, r.issue) for r in read_replication_status(path)] == [
        ("web01", "health Critical"),
        ("web02", "state InitialReplication Failed; health Warning"),
        ("db01", ""),
    ]


def test_a_file_without_a_server_column_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "status.csv"
    path.write_text("Appliance,State\napp1,Migrated\n", encoding="utf-8")
    with pytest.raises(InputError, match="column 'Server': missing mandatory column"):
        read_replication_status(path)


# -- the MEG Wave sheet -------------------------------------------------------------------------


def test_the_meg_wave_sheet_gives_each_machine_its_stage() -> None:
    records = read_meg_waves(
        MbfPluginManager().load(), EXAMPLE / "progress" / "MEG-wave-1.xlsx", Context()
    )
    assert [(r.server, r.stage, r.status, r.issue) for r in records] == [
        (
            "fra-sap-ascs01",
            Stage.MIGRATED,
            "initial replication Passed; test migration UAT Passed; final migration UAT Passed",
            "",
        ),
        (
            "fra-sap-ascs02",
            Stage.STARTED,
            "initial replication Passed; test migration UAT Passed",
            "",
        ),
        (
            "fra-sap-app01",
            Stage.STARTED,
            "initial replication Passed; test migration UAT Failed",
            "test migration UAT Failed",
        ),
        ("fra-sap-app02", Stage.NOT_STARTED, "not started", ""),
        ("fra-sap-app10", Stage.STARTED, "initial replication Passed", ""),
    ]


# -- folding into the backlog -------------------------------------------------------------------


def test_started_replication_moves_the_migrate_task_to_in_progress() -> None:
    tracked, report = track_progress(_small_backlog(), [_record("web01", Stage.STARTED)])
    task = _by_id(tracked)["task:web01/migrate"]
    assert (task.state, task.state_category) == ("Active", StateCategory.IN_PROGRESS)
    assert (report.started, report.done) == (("task:web01/migrate",), ())


def test_a_migrated_server_makes_its_migrate_task_done() -> None:
    tracked, report = track_progress(_small_backlog(), [_record("db01", Stage.MIGRATED)])
    task = _by_id(tracked)["task:db01/migrate"]
    assert (task.state, task.state_category) == ("Done", StateCategory.DONE)
    assert report.done == ("task:db01/migrate",)


def test_only_the_migrate_task_of_a_reported_server_moves() -> None:
    backlog = _small_backlog()
    tracked, _ = track_progress(backlog, [_record("web02", Stage.MIGRATED)])
    changed = {
        item.id for item, before in zip(tracked.items, backlog.items, strict=True) if item != before
    }
    assert changed == {"task:web02/migrate", "story:web02", "feature:shop"}


def test_the_story_and_feature_start_with_their_first_server() -> None:
    tracked, _ = track_progress(_small_backlog(), [_record("web01", Stage.STARTED)])
    items = _by_id(tracked)
    assert [items[i].state_category for i in ("story:web01", "feature:shop", "epic:ams1")] == [
        StateCategory.IN_PROGRESS,
        StateCategory.IN_PROGRESS,
        StateCategory.TODO,
    ]


def test_a_fully_qualified_name_matches_the_short_server_id() -> None:
    _, report = track_progress(_small_backlog(), [_record("WEB01.contoso.local", Stage.STARTED)])
    assert report.started == ("task:web01/migrate",)


def test_a_task_never_moves_back() -> None:
    backlog = _small_backlog(state="Closed", state_category=StateCategory.DONE)
    tracked, report = track_progress(backlog, [_record("web01", Stage.STARTED)])
    assert _by_id(tracked)["task:web01/migrate"].state_category is StateCategory.DONE
    assert (report.started, report.ahead) == ((), (("task:web01/migrate", "Closed"),))


def test_state_words_follow_the_backlogs_own_vocabulary() -> None:
    backlog = _small_backlog(state="In Progress", state_category=StateCategory.IN_PROGRESS)
    tracked, _ = track_progress(backlog, [_record("db01", Stage.STARTED)])
    assert _by_id(tracked)["task:db01/migrate"].state == "In Progress"


def test_removed_items_do_not_lend_their_state_word() -> None:
    backlog = _small_backlog(state="Removed", state_category=StateCategory.DONE)
    tracked, _ = track_progress(backlog, [_record("db01", Stage.MIGRATED)])
    assert _by_id(tracked)["task:db01/migrate"].state == "Done"


def test_an_issue_tags_the_migrate_task_and_says_why() -> None:
    tracked, report = track_progress(
        _small_backlog(), [_record("web01", Stage.STARTED, issue="health Critical", status="x")]
    )
    task = _by_id(tracked)["task:web01/migrate"]
    assert (task.tags, dict(task.extra)) == (
        ("migrate", "migration-issue"),
        {"migration_issue": "health Critical", "migration_status": "x"},
    )
    assert report.flagged == ("task:web01/migrate",)


def test_a_server_still_in_trouble_is_reported_again_but_tagged_once() -> None:
    trouble = _record("web01", Stage.STARTED, issue="health Critical")
    flagged, _ = track_progress(_small_backlog(), [trouble])
    tracked, report = track_progress(flagged, [trouble])
    assert _by_id(tracked)["task:web01/migrate"].tags == ("migrate", "migration-issue")
    assert (report.flagged, report.issues) == ((), (("task:web01/migrate", trouble),))


def test_a_healthy_report_clears_the_issue() -> None:
    flagged, _ = track_progress(
        _small_backlog(), [_record("web01", Stage.STARTED, issue="health Critical")]
    )
    tracked, report = track_progress(flagged, [_record("web01", Stage.STARTED, status="ok")])
    task = _by_id(tracked)["task:web01/migrate"]
    assert (task.tags, dict(task.extra), report.cleared) == (
        ("migrate",),
        {"migration_status": "ok"},
        ("task:web01/migrate",),
    )


def test_the_last_report_sets_the_status_but_never_lowers_the_stage() -> None:
    tracked, _ = track_progress(
        _small_backlog(),
        [
            _record("web01", Stage.MIGRATED, issue="health Warning"),
            _record("web01", Stage.STARTED, status="DeltaReplication Completed"),
        ],
    )
    task = _by_id(tracked)["task:web01/migrate"]
    assert (task.state_category, task.tags, task.extra["migration_status"]) == (
        StateCategory.DONE,
        ("migrate",),
        "DeltaReplication Completed",
    )


def test_a_server_the_backlog_does_not_know_is_reported() -> None:
    unknown = _record("ghost01", Stage.MIGRATED)
    tracked, report = track_progress(_small_backlog(), [unknown])
    assert (report.unknown, tracked) == ((unknown,), _small_backlog())


def test_a_server_without_a_migrate_task_is_reported() -> None:
    retired = _record("old01", Stage.MIGRATED)
    _, report = track_progress(_small_backlog(), [retired])
    assert (report.without_task, report.done) == ((retired,), ())


# -- the command on the example -----------------------------------------------------------------


@pytest.fixture(scope="module")
def example_backlog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Contoso example built once; its planned backlog file."""
    project = tmp_path_factory.mktemp("track") / "contoso"
    project.mkdir()
    shutil.copy(EXAMPLE / "mbf.toml", project / "mbf.toml")
    shutil.copytree(EXAMPLE / "exports", project / "exports")
    build_project(MbfPluginManager().load(), load_config(project / "mbf.toml"))
    return project / "out" / "backlog.json"


def _track(*args: str) -> Result:
    cli = make_cli(MbfPluginManager().load())
    return CliRunner().invoke(cli, ["track", *args], prog_name="mbf")


def test_track_on_the_example_moves_exactly_the_expected_items(
    example_backlog: Path, tmp_path: Path
) -> None:
    result = _track(
        str(example_backlog),
        str(EXAMPLE / "progress" / "replication-status.csv"),
        str(EXAMPLE / "progress" / "MEG-wave-1.xlsx"),
        "-o",
        str(tmp_path / "tracked.json"),
    )
    assert result.exit_code == 0, result.output
    before = {item.id: item.state_category for item in read_backlog(example_backlog).items}
    after = {item.id: item.state_category for item in read_backlog(tmp_path / "tracked.json").items}
    moved = {
        item_id: after[item_id].value for item_id in after if after[item_id] != before[item_id]
    }
    assert moved == {
        "task:ams-fin-app01/migrate": "done",
        "task:ams-fin-app02/migrate": "done",
        "task:fra-sap-ascs01/migrate": "done",
        "task:ams-fin-app03/migrate": "in_progress",
        "task:ams-fin-app04/migrate": "in_progress",
        "task:ams-fin-app05/migrate": "in_progress",
        "task:ams-fin-app06/migrate": "in_progress",
        "task:fra-sap-app01/migrate": "in_progress",
        "task:fra-sap-ascs02/migrate": "in_progress",
        "story:ams-fin-app01": "in_progress",
        "story:ams-fin-app02": "in_progress",
        "story:ams-fin-app03": "in_progress",
        "story:ams-fin-app04": "in_progress",
        "story:ams-fin-app05": "in_progress",
        "story:ams-fin-app06": "in_progress",
        "story:fra-sap-app01": "in_progress",
        "story:fra-sap-ascs01": "in_progress",
        "story:fra-sap-ascs02": "in_progress",
        "feature:finance-erp": "in_progress",
        "feature:sap-erp": "in_progress",
    }


def test_track_warns_of_unknown_servers_and_of_those_needing_attention(
    example_backlog: Path, tmp_path: Path
) -> None:
    result = _track(
        str(example_backlog),
        str(EXAMPLE / "progress" / "replication-status.csv"),
        str(EXAMPLE / "progress" / "MEG-wave-1.xlsx"),
        "-o",
        str(tmp_path / "tracked.json"),
    )
    lines = result.output.splitlines()
    assert [line for line in lines if line.startswith("Warning:")] == [
        "Warning: replication-status.csv, row 9: server 'ams-fin-app09' is not in the backlog",
        "Warning: MEG-wave-1.xlsx, sheet '8. Wave', machine fra-sap-app10: "
        "server 'fra-sap-app10' is not in the backlog",
        "Warning: replication-status.csv, row 8: task:ams-fin-app06/migrate needs attention: "
        "health Critical",
        "Warning: MEG-wave-1.xlsx, sheet '8. Wave', machine fra-sap-app01: "
        "task:fra-sap-app01/migrate needs attention: test migration UAT Failed",
    ]
    assert lines[-1] == (
        "Tracked 12 servers from 2 file(s): 6 started, 3 done, 2 flagged, 0 cleared, "
        f"2 not in the backlog -> {tmp_path / 'tracked.json'}"
    )


def test_track_flags_the_unhealthy_and_failed_servers(
    example_backlog: Path, tmp_path: Path
) -> None:
    _track(
        str(example_backlog),
        str(EXAMPLE / "progress" / "replication-status.csv"),
        str(EXAMPLE / "progress" / "MEG-wave-1.xlsx"),
        "-o",
        str(tmp_path / "tracked.json"),
    )
    flagged = {
        item.id: item.extra["migration_issue"]
        for item in read_backlog(tmp_path / "tracked.json").items
        if "migration-issue" in item.tags
    }
    assert flagged == {
        "task:ams-fin-app06/migrate": "health Critical",
        "task:fra-sap-app01/migrate": "test migration UAT Failed",
    }


def test_track_writes_the_backlog_in_place(example_backlog: Path, tmp_path: Path) -> None:
    backlog = tmp_path / "backlog.json"
    write_backlog(read_backlog(example_backlog), backlog)
    status = _csv(tmp_path, "app1,ams-sd-app01,Migration Completed,-,-,-,-,Normal,-,DS1")
    result = _track(str(backlog), str(status), "-o", str(backlog))
    task = _by_id(read_backlog(backlog))["task:ams-sd-app01/migrate"]
    assert (result.exit_code, task.state_category) == (0, StateCategory.DONE)


def test_a_bad_progress_file_is_a_one_line_error(example_backlog: Path, tmp_path: Path) -> None:
    bad = tmp_path / "status.csv"
    bad.write_text("Appliance,State\napp1,Migrated\n", encoding="utf-8")
    result = _track(str(example_backlog), str(bad), "-o", str(tmp_path / "out.json"))
    assert (result.exit_code, result.output) == (
        1,
        f"Error: {bad}, row 1, column 'Server': missing mandatory column "
        "(also accepted: 'Machine', 'MachineName', 'Server name')\n",
    )
    assert not (tmp_path / "out.json").exists()
