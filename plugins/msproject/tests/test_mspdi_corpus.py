"""Every MSPDI file Microsoft Project saved (2002-2019) reads with the tasks, outline and links it holds.

Expectations come from parsing each file independently here; a few files checked by hand also get
exact values (names, durations, link types, lags).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from mbf.domain import Backlog, DependencyType, Link, StateCategory, WorkItemKind
from mbf.plugin import Context, TrackerFormat
from mbf.testing.suites import project_backlog

NS = "{http://schemas.microsoft.com/project}"
CORPUS = Path(__file__).resolve().parents[3] / ".." / "shared" / "corpus" / "mspdi"
CORPUS_FILES = sorted(CORPUS.glob("*.xml"))
LINK_TYPES = {
    "0": DependencyType.FF,
    "1": DependencyType.FS,
    "2": DependencyType.SF,
    "3": DependencyType.SS,
}
HOURS = re.compile(r"^PT(\d+)H(\d+)M(\d+)S$")


def _read(fmt: TrackerFormat, path: Path) -> Backlog:
    assert fmt.read is not None
    return fmt.read(path, Context())


def _hours(text: str) -> float:
    match = HOURS.match(text)
    assert match, text
    hours, minutes, seconds = (int(g) for g in match.groups())
    return hours + minutes / 60 + seconds / 3600


def _expected_tasks(path: Path) -> list[Any]:
    """The file's real tasks: not the project summary (UID 0), not null rows, not nameless rows."""
    tasks = etree.parse(str(path)).getroot().findall(f"{NS}Tasks/{NS}Task")
    tasks.sort(key=lambda t: int(t.findtext(f"{NS}ID")))
    return [
        t
        for t in tasks
        if t.findtext(f"{NS}UID") != "0"
        and t.findtext(f"{NS}IsNull") != "1"
        and (t.findtext(f"{NS}Name") or "").strip()
    ]


def _expected_parents(tasks: list[Any]) -> list[str | None]:
    stack: list[tuple[int, str]] = []
    parents: list[str | None] = []
    for task in tasks:
        level = int(task.findtext(f"{NS}OutlineLevel"))
        while stack and stack[-1][0] >= level:
            stack.pop()
        parents.append(f"mspdi:{stack[-1][1]}" if stack else None)
        stack.append((level, task.findtext(f"{NS}UID")))
    return parents


def test_corpus_is_present() -> None:
    assert len(CORPUS_FILES) == 61


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name)
class TestEveryCorpusFile:
    def test_task_count_and_names(self, mspdi: TrackerFormat, path: Path) -> None:
        expected = [t.findtext(f"{NS}Name") for t in _expected_tasks(path)]
        assert [item.title for item in _read(mspdi, path).items] == expected

    def test_ids_are_the_task_uids(self, mspdi: TrackerFormat, path: Path) -> None:
        expected = [f"mspdi:{t.findtext(f'{NS}UID')}" for t in _expected_tasks(path)]
        assert [item.id for item in _read(mspdi, path).items] == expected

    def test_outline_levels_become_parents(self, mspdi: TrackerFormat, path: Path) -> None:
        expected = _expected_parents(_expected_tasks(path))
        assert [item.parent_id for item in _read(mspdi, path).items] == expected

    def test_durations(self, mspdi: TrackerFormat, path: Path) -> None:
        expected = [_hours(t.findtext(f"{NS}Duration")) for t in _expected_tasks(path)]
        assert [item.extra["mspdi:duration_hours"] for item in _read(mspdi, path).items] == expected

    def test_start_and_finish_dates(self, mspdi: TrackerFormat, path: Path) -> None:
        expected = [
            (
                dt.date.fromisoformat(t.findtext(f"{NS}Start")[:10]),
                dt.date.fromisoformat(t.findtext(f"{NS}Finish")[:10]),
            )
            for t in _expected_tasks(path)
        ]
        assert [(item.start, item.finish) for item in _read(mspdi, path).items] == expected

    def test_predecessor_links(self, mspdi: TrackerFormat, path: Path) -> None:
        expected = [
            tuple(
                Link(
                    target_id=f"mspdi:{link.findtext(f'{NS}PredecessorUID')}",
                    type=LINK_TYPES[link.findtext(f"{NS}Type")],
                    lag_hours=int(link.findtext(f"{NS}LinkLag")) / 600,
                )
                for link in t.findall(f"{NS}PredecessorLink")
            )
            for t in _expected_tasks(path)
        ]
        assert [item.links for item in _read(mspdi, path).items] == expected

    def test_reads_back_the_same_after_mbf_writes_it(
        self, mspdi: TrackerFormat, path: Path, tmp_path: Path
    ) -> None:
        backlog = _read(mspdi, path)
        assert mspdi.write is not None
        mspdi.write(backlog, tmp_path / "again.xml", Context())
        again = _read(mspdi, tmp_path / "again.xml")
        assert project_backlog(again, mspdi.capabilities) == project_backlog(
            backlog, mspdi.capabilities
        )


def test_links_file_2016_has_every_link_type_and_lag(mspdi: TrackerFormat) -> None:
    backlog = _read(mspdi, CORPUS / "task-links-project2016-mspdi.xml")
    links = [
        (item.id, link.target_id, link.type, link.lag_hours)
        for item in backlog.items
        for link in item.links
    ]
    assert links == [
        ("mspdi:2", "mspdi:1", DependencyType.FS, 0.0),
        ("mspdi:4", "mspdi:3", DependencyType.FS, 8.0),
        ("mspdi:6", "mspdi:5", DependencyType.FS, 16.0),
        ("mspdi:8", "mspdi:7", DependencyType.FS, 40.0),  # 1 week (LagFormat 9)
        ("mspdi:10", "mspdi:9", DependencyType.FS, 80.0),  # 2 weeks
        ("mspdi:12", "mspdi:11", DependencyType.SF, 16.0),
        ("mspdi:14", "mspdi:13", DependencyType.SS, 16.0),
        ("mspdi:16", "mspdi:15", DependencyType.FF, 16.0),
    ]


def test_links_file_2003_one_line_xml_reads_like_2016(mspdi: TrackerFormat) -> None:
    old = _read(mspdi, CORPUS / "task-links-project2003-mspdi.xml")
    new = _read(mspdi, CORPUS / "task-links-project2016-mspdi.xml")
    assert [(i.title, i.links) for i in old.items] == [(i.title, i.links) for i in new.items]
    assert old.items[1].start == dt.date(2014, 10, 20)


def test_durations_file_names_and_first_dates(mspdi: TrackerFormat) -> None:
    items = _read(mspdi, CORPUS / "task-durations-project2016-mspdi.xml").items
    assert len(items) == 110
    assert [i.title for i in items[:3]] == ["Duration1", "Duration2", "Duration3"]
    assert [i.title for i in items[10:12]] == ["Duration1 - Task 0", "Duration1 - Task 1"]
    assert items[0].start == items[0].finish == dt.date(2016, 2, 8)
    assert items[0].extra == {"Duration1": "PT8H0M0S", "mspdi:duration_hours": 8.0}


def test_assignments_file_gives_assignee_percent_and_work(mspdi: TrackerFormat) -> None:
    items = _read(mspdi, CORPUS / "assignment-assignments-project2019-mspdi.xml").items
    assert [(i.title, i.assignee, i.state, i.state_category, i.estimate) for i in items] == [
        ("Task 1", "Resource 1", "Not Started", StateCategory.TODO, 80.0),
        ("Task 2", "Resource 2", "In Progress", StateCategory.IN_PROGRESS, 80.0),
        ("Task 3", "Resource 3", "In Progress", StateCategory.IN_PROGRESS, 80.0),
    ]
    assert {i.kind for i in items} == {WorkItemKind.TASK}


def test_text_fields_of_project_tasks_are_kept_in_extra(mspdi: TrackerFormat) -> None:
    items = _read(mspdi, CORPUS / "task-text-project2016-mspdi.xml").items
    assert items[0].extra == {"Text1": "1", "mspdi:duration_hours": 8.0}
    assert items[29].extra == {"Text30": "30", "mspdi:duration_hours": 8.0}


def test_calendar_only_file_has_no_items(mspdi: TrackerFormat) -> None:
    assert _read(mspdi, CORPUS / "calendar-calendars-project2019-mspdi.xml").items == ()
