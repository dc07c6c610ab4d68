"""`mbf status --json` on the Contoso example, built and tracked with its sample progress files."""

import json

import pytest

from mbf.plugin.manager import MbfPluginManager

from .conftest import copy_example, run_cli

TODAY = "2027-02-15"  # Sprint 4 has just begun: three sprints are finished


@pytest.fixture(scope="module")
def status(tmp_path_factory: pytest.TempPathFactory) -> dict:
    project = copy_example(tmp_path_factory.mktemp("status") / "contoso")
    installed = MbfPluginManager().load()
    assert run_cli(installed, "build", "-c", str(project / "mbf.toml")).exit_code == 0
    out = project / "out"
    tracked = run_cli(
        installed, "track", str(out / "backlog.json"),
        str(project / "progress" / "replication-status.csv"),
        str(project / "progress" / "MEG-wave-1.xlsx"),
        "-o", str(out / "tracked.json"),
    )  # fmt: skip
    assert tracked.exit_code == 0, tracked.output
    result = run_cli(installed, "status", str(out / "tracked.json"), "--json", "--today", TODAY)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _datacenter(status: dict, datacenter_id: str) -> dict:
    return next(d for d in status["datacenters"] if d["id"] == datacenter_id)


def test_overall_assets(status: dict) -> None:
    assert status["overall"]["assets"] == {
        "total": 296,
        "migrated": 3,
        "in_progress": 4,
        "blocked": 54,
        "not_started": 235,
        "percent_done": 1.0,
    }


def test_overall_blockers_and_velocity(status: dict) -> None:
    blockers = status["overall"]["blockers"]
    assert (blockers["open"], blockers["remediation_tasks"], blockers["migration_issues"]) == (
        59,
        57,
        2,
    )
    assert status["overall"]["velocity"] == {
        "finished_iterations": 3,
        "migrated": 3,
        "per_iteration": 1.0,
    }


@pytest.mark.parametrize(
    ("datacenter", "assets", "lease_end"),
    [
        ("ams1", (120, 2, 3, 33, 82), "2027-09-30"),
        ("dub1", (114, 0, 0, 11, 103), "2028-03-31"),
        ("fra1", (62, 1, 1, 10, 50), "2028-06-30"),
    ],
)
def test_each_datacenter_counts_its_assets_against_its_lease(
    status: dict, datacenter: str, assets: tuple[int, ...], lease_end: str
) -> None:
    found = _datacenter(status, datacenter)
    counted = found["assets"]
    assert (
        counted["total"],
        counted["migrated"],
        counted["in_progress"],
        counted["blocked"],
        counted["not_started"],
    ) == assets
    assert found["finish"]["lease_end"] == lease_end


def test_a_datacenter_not_started_is_projected_on_its_plan(status: dict) -> None:
    finish = _datacenter(status, "dub1")["finish"]
    assert (finish["basis"], finish["projected"] == finish["planned"]) == ("plan", True)
    assert finish["margin_days"] > 0


def test_slow_progress_projects_past_the_lease_end(status: dict) -> None:
    finish = _datacenter(status, "ams1")["finish"]
    assert finish["basis"] == "velocity"
    assert finish["projected"] > finish["lease_end"]
    assert finish["margin_days"] < 0
