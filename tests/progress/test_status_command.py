"""``mbf status``: the versioned JSON document, the text tables, and errors."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mbf.serialization import write_backlog

DOCS = Path(__file__).resolve().parents[2] / "docs" / "status-json.md"


@pytest.fixture
def small_backlog(make_backlog, tmp_path: Path) -> Path:
    backlog = make_backlog(
        {"ams": dt.date(2027, 3, 31)},
        [
            {"server": "a", "dc": "ams", "iteration": 1, "migrate": "done"},
            {"server": "b", "dc": "ams", "iteration": 2, "remediation": [("Old OS", "todo")]},
        ],
        iterations=2,
    )
    path = tmp_path / "backlog.json"
    write_backlog(backlog, path)
    return path


def test_status_json_is_the_documented_versioned_document(mbf_cli, small_backlog):
    result = mbf_cli("status", str(small_backlog), "--json", "--today", "2027-01-20")
    assert result.exit_code == 0, result.output
    scope = {
        "assets": {"total": 2, "migrated": 1, "in_progress": 0, "blocked": 1,
                   "not_started": 0, "percent_done": 50.0},
        "blockers": {"open": 1, "remediation_tasks": 1, "not_ready_assets": 0,
                     "migration_issues": 0, "by_type": [{"type": "Old OS", "count": 1}]},
        "velocity": {"finished_iterations": 1, "migrated": 1, "per_iteration": 1.0},
        "finish": {"lease_end": "2027-03-31", "planned": "2027-01-31", "projected": "2027-01-31",
                   "basis": "velocity", "margin_days": 59, "unplanned_assets": 0},
        "burndown": [
            {"iteration": "iteration-1", "planned_migrated": 1, "planned_remaining": 1,
             "actual_migrated": 1, "actual_remaining": 1},
            {"iteration": "iteration-2", "planned_migrated": 1, "planned_remaining": 0,
             "actual_migrated": 0, "actual_remaining": 1},
        ],
    }  # fmt: skip
    overall = json.loads(json.dumps(scope))
    overall["finish"] |= {"lease_end": None, "margin_days": None}
    assert json.loads(result.output) == {
        "schema": "mbf-status",
        "version": 1,
        "today": "2027-01-20",
        "iterations": [
            {"id": "iteration-1", "name": "Sprint 1", "start": "2027-01-04",
             "finish": "2027-01-17", "timing": "finished"},
            {"id": "iteration-2", "name": "Sprint 2", "start": "2027-01-18",
             "finish": "2027-01-31", "timing": "current"},
        ],
        "overall": overall,
        "datacenters": [{"id": "ams", "name": "AMS", "rank": 1, **scope}],
    }  # fmt: skip


def test_status_json_keys_come_in_the_documented_order(mbf_cli, small_backlog):
    result = mbf_cli("status", str(small_backlog), "--json", "--today", "2027-01-20")
    document = json.loads(result.output)
    assert list(document) == ["schema", "version", "today", "iterations", "overall", "datacenters"]
    assert list(document["datacenters"][0]) == [
        "id", "name", "rank", "assets", "blockers", "velocity", "finish", "burndown",
    ]  # fmt: skip


def test_status_json_is_the_same_bytes_every_run(mbf_cli, small_backlog):
    runs = {
        mbf_cli("status", str(small_backlog), "--json", "--today", "2027-02-01").output
        for _ in range(3)
    }
    assert len(runs) == 1


def _key_paths(value: Any, prefix: str = "") -> Iterator[str]:
    if isinstance(value, dict):
        for key, child in value.items():
            path = f"{prefix}.{key}" if prefix else key
            yield path
            yield from _key_paths(child, path)
    elif isinstance(value, list) and value:
        yield from _key_paths(value[0], f"{prefix}[]")


def test_every_json_key_is_documented(mbf_cli, small_backlog):
    document = json.loads(
        mbf_cli("status", str(small_backlog), "--json", "--today", "2027-01-20").output
    )
    documented = set(re.findall(r"^\| `([^`]+)` \|", DOCS.read_text(encoding="utf-8"), re.M))
    assert sorted(set(_key_paths(document)) - documented) == []


def test_status_text_has_a_row_per_datacenter_and_overall(mbf_cli, small_backlog):
    result = mbf_cli("status", str(small_backlog), "--today", "2027-01-20")
    assert result.exit_code == 0, result.output
    rows = [line.split() for line in result.output.splitlines()]
    assert ["ams", "2", "1", "0", "1", "0", "50.0", "1"] in rows
    assert ["ams", "1.0", "2027-01-31", "2027-01-31", "velocity", "2027-03-31", "59"] in rows
    assert ["overall", "2", "1", "0", "1", "0", "50.0", "1"] in rows


def test_status_text_shows_the_burndown_per_iteration(mbf_cli, small_backlog):
    result = mbf_cli("status", str(small_backlog), "--today", "2027-01-20")
    rows = [line.split() for line in result.output.splitlines()]
    assert ["Sprint", "2", "(current)", "2027-01-31", "0", "/", "1", "0", "/", "1"] in rows


def test_status_rejects_a_malformed_today(mbf_cli, small_backlog):
    result = mbf_cli("status", str(small_backlog), "--today", "20-01-2027")
    assert (result.exit_code, "Invalid value for '--today'" in result.output) == (2, True)


def test_status_of_a_file_that_is_no_backlog_is_a_one_line_error(mbf_cli, tmp_path):
    path = tmp_path / "backlog.json"
    path.write_text('{"format": "mbf-estate", "version": 1}', encoding="utf-8")
    result = mbf_cli("status", str(path))
    assert result.exit_code == 1
    assert result.output.startswith("Error: ")
    assert result.output.count("\n") == 1


def test_status_takes_lease_ends_from_mbf_toml(mbf_cli, small_backlog, tmp_path):
    config = tmp_path / "mbf.toml"
    config.write_text(
        '[[datacenters]]\nid = "ams"\nname = "Amsterdam"\nlease_end = 2027-01-21\n',
        encoding="utf-8",
    )
    result = mbf_cli(
        "status", str(small_backlog), "--json", "--today", "2027-01-20", "-c", str(config)
    )
    finish = json.loads(result.output)["datacenters"][0]["finish"]
    assert (finish["lease_end"], finish["margin_days"]) == ("2027-01-21", -10)
