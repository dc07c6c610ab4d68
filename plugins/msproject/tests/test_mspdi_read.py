"""Reading MSPDI as Project writes it: outline to parents, skipped rows, mbf fields, bad input."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from mbf.domain import Backlog, DependencyType, Link, WorkItemKind
from mbf.errors import InputError
from mbf.plugin import Context, TrackerFormat
from mbf_msproject import reader

HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Project xmlns="http://schemas.microsoft.com/project">'


def _task(uid: int, name: str | None, level: int, *extra: str, summary: bool = False) -> str:
    name_xml = "" if name is None else f"<Name>{name}</Name>"
    return (
        f"<Task><UID>{uid}</UID><ID>{uid}</ID>{name_xml}<OutlineLevel>{level}</OutlineLevel>"
        f"<Start>2027-01-04T08:00:00</Start><Finish>2027-01-05T17:00:00</Finish>"
        f"<Duration>PT16H0M0S</Duration><Summary>{int(summary)}</Summary>{''.join(extra)}</Task>"
    )


def _link(uid: int, type_code: int = 1, lag: int = 0, lag_format: int = 7) -> str:
    return (
        f"<PredecessorLink><PredecessorUID>{uid}</PredecessorUID><Type>{type_code}</Type>"
        f"<LinkLag>{lag}</LinkLag><LagFormat>{lag_format}</LagFormat></PredecessorLink>"
    )


def _project(tmp_path: Path, *tasks: str, definitions: str = "") -> Path:
    path = tmp_path / "project.xml"
    path.write_text(
        f"{HEAD}<Name>p</Name>{definitions}<Tasks>{_task(0, None, 0, summary=True)}{''.join(tasks)}"
        "</Tasks></Project>",
        encoding="utf-8",
    )
    return path


def _read(fmt: TrackerFormat, path: Path, context: Context | None = None) -> Backlog:
    assert fmt.read is not None
    return fmt.read(path, context or Context())


def test_outline_levels_nest_tasks_under_summaries(mspdi: TrackerFormat, tmp_path: Path) -> None:
    path = _project(
        tmp_path,
        _task(1, "Datacenter AMS1", 1, summary=True),
        _task(2, "Payroll", 2, summary=True),
        _task(3, "Migrate PAY-DB01", 3),
        _task(4, "Migrate PAY-APP01", 3),
        _task(5, "CRM", 2, summary=True),
        _task(6, "Migrate CRM-WEB01", 3),
        _task(7, "Datacenter DUB2", 1),
    )
    items = _read(mspdi, path).items
    assert [(i.id, i.parent_id, i.kind) for i in items] == [
        ("mspdi:1", None, WorkItemKind.EPIC),
        ("mspdi:2", "mspdi:1", WorkItemKind.FEATURE),
        ("mspdi:3", "mspdi:2", WorkItemKind.TASK),
        ("mspdi:4", "mspdi:2", WorkItemKind.TASK),
        ("mspdi:5", "mspdi:1", WorkItemKind.FEATURE),
        ("mspdi:6", "mspdi:5", WorkItemKind.TASK),
        ("mspdi:7", None, WorkItemKind.TASK),
    ]


def test_tasks_are_placed_in_id_order_not_file_order(mspdi: TrackerFormat, tmp_path: Path) -> None:
    path = _project(tmp_path, _task(2, "Child", 2), _task(1, "Parent", 1, summary=True))
    assert [(i.title, i.parent_id) for i in _read(mspdi, path).items] == [
        ("Parent", None),
        ("Child", "mspdi:1"),
    ]


def test_third_level_summary_is_a_story(mspdi: TrackerFormat, tmp_path: Path) -> None:
    path = _project(
        tmp_path,
        _task(1, "E", 1, summary=True),
        _task(2, "F", 2, summary=True),
        _task(3, "S", 3, summary=True),
        _task(4, "T", 4),
    )
    assert [i.kind for i in _read(mspdi, path).items] == [
        WorkItemKind.EPIC,
        WorkItemKind.FEATURE,
        WorkItemKind.STORY,
        WorkItemKind.TASK,
    ]


def test_null_and_nameless_rows_are_skipped_and_reported(
    mspdi: TrackerFormat, tmp_path: Path
) -> None:
    path = _project(
        tmp_path,
        _task(1, "Wave 1", 1, summary=True),
        "<Task><UID>2</UID><ID>2</ID><IsNull>1</IsNull></Task>",
        _task(3, "  ", 2),
        _task(4, "Migrate web01", 2),
    )
    context = Context()
    backlog = _read(mspdi, path, context)
    assert [(i.title, i.parent_id) for i in backlog.items] == [
        ("Wave 1", None),
        ("Migrate web01", "mspdi:1"),
    ]
    assert context.diagnostics.warnings == [
        f"mspdi: {path}: 1 blank tasks without a name were skipped"
    ]


def test_links_to_tasks_outside_the_plan_are_left_out_with_a_warning(
    mspdi: TrackerFormat, tmp_path: Path
) -> None:
    path = _project(tmp_path, _task(1, "A", 1), _task(2, "B", 1, _link(1), _link(99)))
    context = Context()
    backlog = _read(mspdi, path, context)
    assert backlog.items[1].links == (Link(target_id="mspdi:1"),)
    assert context.diagnostics.warnings == [
        f"mspdi: {path}: 1 predecessor links point to tasks outside the backlog "
        "(other projects, skipped rows) and were left out"
    ]


def test_percentage_lag_is_read_as_no_lag(mspdi: TrackerFormat, tmp_path: Path) -> None:
    path = _project(tmp_path, _task(1, "A", 1), _task(2, "B", 1, _link(1, 3, 500, 19)))
    context = Context()
    assert _read(mspdi, path, context).items[1].links == (
        Link(target_id="mspdi:1", type=DependencyType.SS),
    )
    assert context.diagnostics.warnings == [f"mspdi: {path}: 1 percentage lags were read as no lag"]


def test_project_priority_maps_to_mbf_priority(mspdi: TrackerFormat, tmp_path: Path) -> None:
    path = _project(
        tmp_path,
        _task(1, "Top", 1, "<Priority>1000</Priority>"),
        _task(2, "Default", 1, "<Priority>500</Priority>"),
        _task(3, "Low", 1, "<Priority>100</Priority>"),
    )
    assert [i.priority for i in _read(mspdi, path).items] == [1, None, 10]


def test_notes_become_the_description(mspdi: TrackerFormat, tmp_path: Path) -> None:
    path = _project(tmp_path, _task(1, "A", 1, "<Notes>Check &amp; fix\r\nthe boot type</Notes>"))
    assert _read(mspdi, path).items[0].description == "Check & fix\nthe boot type"


def test_blank_text_within_a_field_is_kept_in_an_indented_file(
    mspdi: TrackerFormat, tmp_path: Path
) -> None:
    # Read by lxml (``Active``, as Project writes it, is not mbf's layout), whose parser drops
    # the indentation between elements, never a field's own text.
    path = _project(
        tmp_path,
        _task(1, " spaced ", 1, "<Active>1</Active>\n      <Notes>\n      </Notes>\n    "),
        _task(2, "B", 1, "<Active>1</Active><Notes>   </Notes>"),
    )
    assert reader._parse_own_layout(path) is None
    assert [(i.title, i.description) for i in _read(mspdi, path).items] == [
        (" spaced ", "\n      "),
        ("B", "   "),
    ]


def test_mbf_fields_typed_in_project_are_read(mspdi: TrackerFormat, tmp_path: Path) -> None:
    definitions = (
        "<ExtendedAttributes><ExtendedAttribute><FieldID>188743746</FieldID><FieldName>Text6</FieldName>"
        "<Alias>mbf iteration</Alias></ExtendedAttribute><ExtendedAttribute><FieldID>188743740</FieldID>"
        "<FieldName>Text4</FieldName><Alias>mbf tags</Alias></ExtendedAttribute></ExtendedAttributes>"
    )
    field = "<ExtendedAttribute><FieldID>{}</FieldID><Value>{}</Value></ExtendedAttribute>"
    path = _project(
        tmp_path,
        _task(
            1,
            "Added in Project",
            1,
            field.format("188743746", "sprint-3"),
            field.format("188743740", "cutover; weekend"),
        ),
        definitions=definitions,
    )
    item = _read(mspdi, path).items[0]
    assert (item.id, item.iteration_id, item.tags) == (
        "mspdi:1",
        "sprint-3",
        ("cutover", "weekend"),
    )


def test_copied_row_with_a_repeated_mbf_id_gets_its_uid(
    mspdi: TrackerFormat, tmp_path: Path
) -> None:
    definitions = (
        "<ExtendedAttributes><ExtendedAttribute><FieldID>188743731</FieldID><FieldName>Text1</FieldName>"
        "<Alias>mbf id</Alias></ExtendedAttribute></ExtendedAttributes>"
    )
    same_id = "<ExtendedAttribute><FieldID>188743731</FieldID><Value>task:web01/migrate</Value></ExtendedAttribute>"
    path = _project(
        tmp_path, _task(1, "A", 1, same_id), _task(2, "A copy", 1, same_id), definitions=definitions
    )
    context = Context()
    assert [i.id for i in _read(mspdi, path, context).items] == ["task:web01/migrate", "mspdi:2"]
    assert "1 tasks repeat an mbf id" in context.diagnostics.warnings[0]


def test_dates_keep_the_day_whatever_the_time(mspdi: TrackerFormat, tmp_path: Path) -> None:
    path = _project(tmp_path, _task(1, "A", 1))
    item = _read(mspdi, path).items[0]
    assert (item.start, item.finish) == (dt.date(2027, 1, 4), dt.date(2027, 1, 5))


# -- bad input ------------------------------------------------------------------------------


def _error(fmt: TrackerFormat, path: Path) -> str:
    with pytest.raises(InputError) as caught:
        _read(fmt, path)
    return str(caught.value)


def test_malformed_xml_names_file_and_line(mspdi: TrackerFormat, tmp_path: Path) -> None:
    path = tmp_path / "broken.xml"
    path.write_text(f"{HEAD}\n<Tasks>\n<Task><UID>1</UID>\n</Tasks></Project>", encoding="utf-8")
    assert _error(mspdi, path) == (
        f"{path}: line 5: not well-formed XML: Opening and ending tag mismatch: Task line 4 and Tasks, "
        "line 5, column 9"
    )


def test_other_xml_is_refused_naming_the_root(mspdi: TrackerFormat, tmp_path: Path) -> None:
    path = tmp_path / "pom.xml"
    path.write_text("<project><modelVersion>4.0.0</modelVersion></project>", encoding="utf-8")
    assert _error(mspdi, path) == (
        f"{path}: not a Microsoft Project XML file: the root element is 'project', "
        "expected Project in namespace http://schemas.microsoft.com/project"
    )


def test_dtd_and_entity_expansion_are_refused(mspdi: TrackerFormat, tmp_path: Path) -> None:
    path = tmp_path / "laughs.xml"
    path.write_text(
        '<?xml version="1.0"?><!DOCTYPE Project [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;">]>'
        '<Project xmlns="http://schemas.microsoft.com/project"><Name>&b;</Name></Project>',
        encoding="utf-8",
    )
    assert (
        _error(mspdi, path)
        == f"{path}: XML with a DTD is refused (entity expansion is not allowed)"
    )


def test_bad_duration_names_the_task_and_line(mspdi: TrackerFormat, tmp_path: Path) -> None:
    path = tmp_path / "plan.xml"
    path.write_text(
        f"{HEAD}\n<Tasks>\n<Task><UID>7</UID><ID>1</ID><Name>A</Name><OutlineLevel>1</OutlineLevel>"
        "<Duration>8 days</Duration></Task>\n</Tasks></Project>",
        encoding="utf-8",
    )
    assert _error(mspdi, path) == (
        f"{path}: line 4, task UID 7: Duration '8 days' is not a duration such as PT8H0M0S"
    )


def test_bad_start_names_the_task(mspdi: TrackerFormat, tmp_path: Path) -> None:
    path = _project(
        tmp_path, "<Task><UID>3</UID><ID>1</ID><Name>A</Name><Start>next week</Start></Task>"
    )
    assert _error(mspdi, path).endswith("task UID 3: Start 'next week' is not a date and time")


def test_bad_link_type_names_the_task(mspdi: TrackerFormat, tmp_path: Path) -> None:
    path = _project(tmp_path, _task(1, "A", 1), _task(2, "B", 1, _link(1, type_code=9)))
    assert _error(mspdi, path).endswith("task UID 2: predecessor link type '9' is not 0, 1, 2 or 3")


def test_task_without_uid_is_refused(mspdi: TrackerFormat, tmp_path: Path) -> None:
    path = _project(tmp_path, "<Task><ID>1</ID><Name>A</Name></Task>")
    assert _error(mspdi, path).endswith(": line 2, task: has no UID")


def test_non_numeric_outline_level_is_refused(mspdi: TrackerFormat, tmp_path: Path) -> None:
    path = _project(
        tmp_path,
        "<Task><UID>4</UID><ID>1</ID><Name>A</Name><OutlineLevel>top</OutlineLevel></Task>",
    )
    assert _error(mspdi, path).endswith("task UID 4: OutlineLevel 'top' is not a whole number")


def test_unknown_mbf_kind_is_refused(mspdi: TrackerFormat, tmp_path: Path) -> None:
    definitions = (
        "<ExtendedAttributes><ExtendedAttribute><FieldID>188743734</FieldID><FieldName>Text2</FieldName>"
        "<Alias>mbf kind</Alias></ExtendedAttribute></ExtendedAttributes>"
    )
    kind = "<ExtendedAttribute><FieldID>188743734</FieldID><Value>saga</Value></ExtendedAttribute>"
    path = _project(tmp_path, _task(5, "A", 1, kind), definitions=definitions)
    assert _error(mspdi, path).endswith(
        "task UID 5: mbf kind 'saga' is not one of epic, feature, story, task"
    )


def test_can_read_sniffs_the_namespace(mspdi: TrackerFormat, tmp_path: Path) -> None:
    assert mspdi.can_read is not None
    project = _project(tmp_path, _task(1, "A", 1))
    other = tmp_path / "other.xml"
    other.write_text("<Project><Name>not MSPDI</Name></Project>", encoding="utf-8")
    assert (
        mspdi.can_read(project),
        mspdi.can_read(other),
        mspdi.can_read(tmp_path / "missing.xml"),
    ) == (True, False, False)


def test_empty_file_is_refused(mspdi: TrackerFormat, tmp_path: Path) -> None:
    path = tmp_path / "plan.xml"
    path.write_bytes(b"")
    assert _error(mspdi, path) == f"{path}: not well-formed XML: no element found"


def test_utf16_file_is_recognised_and_read(mspdi: TrackerFormat, tmp_path: Path) -> None:
    path = tmp_path / "plan.xml"
    text = _project(tmp_path, _task(1, "Migrer le serveur é", 1)).read_text(encoding="utf-8")
    path.write_bytes(text.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16"))
    assert mspdi.can_read is not None
    assert mspdi.can_read(path) is True
    assert [i.title for i in _read(mspdi, path).items] == ["Migrer le serveur é"]
