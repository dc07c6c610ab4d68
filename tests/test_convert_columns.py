"""``mbf convert`` between formats that read and write columns: the backlog stays in columns,
with the same validation and the same report as items would get."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mbf.domain import Backlog, WorkItem, WorkItemKind
from mbf.domain.columns import BacklogColumns, ItemColumns
from mbf.engine.convert import convert, lost_fields
from mbf.errors import ValidationError
from mbf.plugin import Context, TrackerFormat, hookimpl
from mbf.plugin.manager import MbfPluginManager
from mbf.testing.samples import make_sample_backlog


class LinesFormat:
    """A format of one ``id|kind|title|parent`` line per item, read and written as columns."""

    def __init__(self) -> None:
        self.written: list[BacklogColumns] = []
        self.read_lists: list[dict[str, list[Any]]] = []

    def read_columns(self, path: Path, context: Context) -> BacklogColumns:
        lines = path.read_text(encoding="utf-8").splitlines()
        ids, kinds, titles, parents = zip(*(line.split("|") for line in lines), strict=True)
        lists = {
            "id": list(ids),
            "kind": [WorkItemKind(kind) for kind in kinds],
            "title": list(titles),
            "parent_id": [parent or None for parent in parents],
        }
        self.read_lists.append(lists)
        return BacklogColumns(items=ItemColumns(lists))

    def write_columns(self, backlog: BacklogColumns, path: Path, context: Context) -> None:
        self.written.append(backlog)
        items = backlog.items
        rows = zip(
            items.column("id"),
            (kind.value for kind in items.column("kind")),
            items.column("title"),
            (parent or "" for parent in items.column("parent_id")),
            strict=True,
        )
        path.write_text("".join("|".join(row) + "\n" for row in rows), encoding="utf-8")

    @hookimpl
    def mbf_tracker_formats(self) -> Iterator[TrackerFormat]:
        yield TrackerFormat(
            name="lines",
            description="test format of columns",
            default_filenames=("*.lines",),
            read_columns=self.read_columns,
            write_columns=self.write_columns,
            capabilities=frozenset({"id", "kind", "title", "parent_id"}),
        )


@pytest.fixture
def lines_format(plugin_manager: MbfPluginManager) -> LinesFormat:
    plugin = LinesFormat()
    assert plugin_manager.add_plugin(plugin, "lines-format")
    return plugin


def test_a_format_of_columns_also_reads_and_writes_items(
    plugin_manager: MbfPluginManager, lines_format: LinesFormat, tmp_path: Path
) -> None:
    fmt = plugin_manager.tracker_formats.get("lines")
    assert fmt.read is not None
    assert fmt.write is not None
    backlog = Backlog(
        items=[
            WorkItem(id="e", kind=WorkItemKind.EPIC, title="Epic"),
            WorkItem(id="t", kind=WorkItemKind.TASK, title="Task", parent_id="e"),
        ]
    )
    fmt.write(backlog, tmp_path / "b.lines", Context())
    assert (tmp_path / "b.lines").read_text(encoding="utf-8") == "e|epic|Epic|\nt|task|Task|e\n"
    assert fmt.read(tmp_path / "b.lines", Context()) == backlog


def test_between_two_formats_of_columns_the_reader_s_lists_reach_the_writer(
    plugin_manager: MbfPluginManager, lines_format: LinesFormat, tmp_path: Path
) -> None:
    (tmp_path / "in.lines").write_text("e|epic|Epic|\nt|task|Task|e\n", encoding="utf-8")
    report = convert(plugin_manager, tmp_path / "in.lines", tmp_path / "out.lines")
    assert (report.reader, report.writer, report.items, report.lost) == ("lines", "lines", 2, {})
    [written] = lines_format.written
    [read] = lines_format.read_lists
    assert written.items.column("title") is read["title"]  # never made into items and back
    assert (tmp_path / "out.lines").read_text(encoding="utf-8") == "e|epic|Epic|\nt|task|Task|e\n"


def test_columns_read_are_made_items_for_a_format_of_items(
    plugin_manager: MbfPluginManager, lines_format: LinesFormat, tmp_path: Path
) -> None:
    (tmp_path / "in.lines").write_text("e|epic|Epic|\nt|task|Task|e\n", encoding="utf-8")
    convert(plugin_manager, tmp_path / "in.lines", tmp_path / "out.json")
    convert(plugin_manager, tmp_path / "out.json", tmp_path / "again.lines")
    assert (tmp_path / "again.lines").read_text(encoding="utf-8") == "e|epic|Epic|\nt|task|Task|e\n"


def test_a_broken_backlog_in_columns_is_refused_before_anything_is_written(
    plugin_manager: MbfPluginManager, lines_format: LinesFormat, tmp_path: Path
) -> None:
    (tmp_path / "in.lines").write_text("a|task|A|\na|task|B|ghost\n", encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        convert(plugin_manager, tmp_path / "in.lines", tmp_path / "out.lines")
    assert caught.value.problems == (
        "duplicate item id 'a'",
        "item 'a' has parent 'ghost', which does not exist",
    )
    assert not (tmp_path / "out.lines").exists()
    assert lines_format.written == []


def test_lost_fields_are_counted_alike_on_items_and_on_columns() -> None:
    backlog = make_sample_backlog()
    capabilities = frozenset({"id", "kind", "title", "parent_id"})
    kinds = frozenset({WorkItemKind.EPIC, WorkItemKind.FEATURE})
    lost = lost_fields(backlog, capabilities, kinds)
    assert lost_fields(BacklogColumns.of(backlog), capabilities, kinds) == lost
    # The sample: 2 epics, 2 features, 2 stories, 3 tasks; 7 planned in a sprint, 2 not New,
    # 1 assigned, 1 with extras; 2 iterations and 1 release.
    assert {key: lost[key] for key in ("story items", "task items", "iteration_id", "state")} == {
        "story items": 2,
        "task items": 3,
        "iteration_id": 7,
        "state": 2,
    }
    assert (lost["assignee"], lost["extra"], lost["iterations"], lost["releases"]) == (1, 1, 2, 1)
