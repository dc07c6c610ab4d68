"""``mbf convert`` with ``mspdi`` through the command line, and plans that are deep or heavily linked."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import mbf_msproject.plugin
from mbf.domain import Backlog, DependencyType, Link, WorkItem, WorkItemKind
from mbf.plugin import Context, TrackerFormat
from mbf.serialization import backlog_to_json, read_backlog
from mbf.testing.samples import make_sample_backlog
from mbf.testing.suites import project_backlog

CORPUS = Path(__file__).resolve().parents[3] / ".." / "shared" / "corpus" / "mspdi"


@pytest.fixture
def with_plugin(register_plugin) -> None:
    register_plugin(mbf_msproject.plugin, name="msproject")


@pytest.mark.usefixtures("with_plugin")
def test_convert_native_backlog_to_mspdi_and_back_loses_nothing(mbf_cli, tmp_path: Path) -> None:
    source = tmp_path / "backlog.json"
    source.write_bytes(backlog_to_json(make_sample_backlog()))
    to_project = mbf_cli("convert", str(source), str(tmp_path / "plan.xml"))
    assert to_project.exit_code == 0, to_project.output
    assert to_project.stdout == (
        f"Converted 9 items: {source} (mbf-json) -> {tmp_path / 'plan.xml'} (mspdi)\n"
    )
    back = mbf_cli("convert", str(tmp_path / "plan.xml"), str(tmp_path / "again.json"))
    assert back.exit_code == 0, back.output
    assert read_backlog(tmp_path / "again.json") == make_sample_backlog()


@pytest.mark.usefixtures("with_plugin")
def test_convert_reads_a_file_project_saved(mbf_cli, tmp_path: Path) -> None:
    source = CORPUS / "task-links-project2016-mspdi.xml"
    result = mbf_cli("convert", str(source), str(tmp_path / "backlog.json"))
    assert result.exit_code == 0, result.output
    assert len(read_backlog(tmp_path / "backlog.json").items) == 16


@pytest.mark.usefixtures("with_plugin")
def test_convert_of_a_malformed_file_exits_1_with_one_line(mbf_cli, tmp_path: Path) -> None:
    source = tmp_path / "plan.xml"
    source.write_text(
        '<Project xmlns="http://schemas.microsoft.com/project"><Tasks>'
        "<Task><UID>1</UID><ID>1</ID><Name>A</Name><Duration>soon</Duration></Task></Tasks></Project>",
        encoding="utf-8",
    )
    result = mbf_cli("convert", str(source), str(tmp_path / "backlog.json"), "--from", "mspdi")
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        f"Error: {source}: line 1, task UID 1: Duration 'soon' is not a duration such as PT8H0M0S"
    ]
    assert not (tmp_path / "backlog.json").exists()


def _round_trip(fmt: TrackerFormat, backlog: Backlog, tmp_path: Path) -> Backlog:
    assert fmt.write is not None
    assert fmt.read is not None
    fmt.write(backlog, tmp_path / "plan.xml", Context())
    return fmt.read(tmp_path / "plan.xml", Context())


def test_sixty_levels_deep_keep_their_parents(mspdi: TrackerFormat, tmp_path: Path) -> None:
    items = [WorkItem(id="level:0", kind=WorkItemKind.EPIC, title="Level 0")]
    for depth in range(1, 60):
        items.append(
            WorkItem(
                id=f"level:{depth}",
                kind=WorkItemKind.TASK,
                title=f"Level {depth}",
                parent_id=f"level:{depth - 1}",
            )
        )
    backlog = Backlog(items=items)
    again = _round_trip(mspdi, backlog, tmp_path)
    assert [(i.id, i.parent_id) for i in again.items] == [(i.id, i.parent_id) for i in items]
    text = (tmp_path / "plan.xml").read_text(encoding="utf-8")
    assert "<OutlineLevel>60</OutlineLevel>" in text
    assert f"<OutlineNumber>{'.'.join(['1'] * 60)}</OutlineNumber>" in text


def test_thousands_of_links_of_every_type_survive(mspdi: TrackerFormat, tmp_path: Path) -> None:
    types = list(DependencyType)
    items = [WorkItem(id="wave", kind=WorkItemKind.FEATURE, title="Wave")]
    for n in range(1, 1001):
        links = tuple(
            Link(
                target_id=f"task:{n - back}", type=types[(n + back) % 4], lag_hours=float(back - 3)
            )
            for back in range(1, 6)
            if n - back >= 1
        )
        items.append(
            WorkItem(
                id=f"task:{n}",
                kind=WorkItemKind.TASK,
                title=f"Task {n}",
                parent_id="wave",
                start=dt.date(2027, 1, 4),
                finish=dt.date(2027, 1, 4),
                links=links,
            )
        )
    backlog = Backlog(items=items)
    again = _round_trip(mspdi, backlog, tmp_path)
    assert sum(len(i.links) for i in again.items) == 4985
    assert project_backlog(again, mspdi.capabilities) == project_backlog(
        backlog, mspdi.capabilities
    )
    assert (tmp_path / "plan.xml").read_text(encoding="utf-8").count("<PredecessorLink>") == 4985
