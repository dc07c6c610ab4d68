"""The fast path for native work items gives exactly what cattrs gives, and steps aside for
anything irregular; ``with_fields`` gives exactly what ``attrs.evolve`` gives."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

import attrs
import orjson
import pytest

from mbf import serialization
from mbf._native_items import work_items_from_json, work_items_to_json
from mbf.domain import (
    Backlog,
    DependencyType,
    Link,
    LinkKind,
    StateCategory,
    TrackerRef,
    WorkItem,
    WorkItemKind,
)
from mbf.domain.backlog import field_changes, with_changes, with_fields
from mbf.errors import MbfError
from mbf.testing import make_sample_backlog

_CONVERTER = serialization._native_converter
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "backlog.json"

FULL = WorkItem(
    id="task:srv01:migrate",
    kind=WorkItemKind.TASK,
    title="Migrate srv01",
    description="Move it.\nCarefully.",
    parent_id="story:srv01",
    state="Active",
    state_category=StateCategory.IN_PROGRESS,
    assignee="Dana <dana@contoso.com>",
    priority=1,
    tags=("migrate", "wave-1"),
    iteration_id="iteration-2",
    release_id="release-1",
    estimate=4,
    start=dt.date(2027, 1, 4),
    finish=dt.date(2027, 1, 15),
    links=(
        Link(target_id="task:srv02:migrate"),
        Link(target_id="task:srv03:migrate", kind=LinkKind.RELATES_TO),
        Link(target_id="task:srv04:migrate", type=DependencyType.SS, lag_hours=-8),
    ),
    source=("srv01",),
    refs={"jira": TrackerRef(key="MIG-7", url="https://j/MIG-7", version="3"), "ado": TrackerRef(key="12")},
    extra={"z": 1, "a": dt.date(2027, 2, 1), "m": ("x", ("y",)), "n": {"b": 2, "a": 1}, "s": StateCategory.DONE},
)  # fmt: skip


def _items() -> list[WorkItem]:
    example = serialization.read_backlog(EXAMPLE)
    return [FULL, *make_sample_backlog().items, *example.items]


def test_items_are_written_exactly_as_cattrs_writes_them() -> None:
    items = _items()
    assert len(items) > 40
    written = work_items_to_json(items, _CONVERTER.unstructure)
    for item, fast in zip(items, written, strict=True):
        assert orjson.dumps(fast) == orjson.dumps(_CONVERTER.unstructure(item))
    assert orjson.loads(orjson.dumps(written[0]))["extra"] == {
        "a": "2027-02-01",
        "m": ["x", ["y"]],
        "n": {"b": 2, "a": 1},
        "s": "done",
        "z": 1,
    }


def test_a_link_shared_by_items_is_written_once_and_identically() -> None:
    shared = Link(target_id="story:dc01", type=DependencyType.SS)
    items = [attrs.evolve(FULL, id=f"story:{n}", links=(shared,)) for n in range(3)]
    written = work_items_to_json(items, _CONVERTER.unstructure)
    assert written[0]["links"][0] is written[2]["links"][0]
    assert written[1]["links"] == [{"target_id": "story:dc01", "type": DependencyType.SS}]


def test_items_read_back_exactly_as_cattrs_reads_them() -> None:
    raw = orjson.loads(orjson.dumps([_CONVERTER.unstructure(item) for item in _items()]))
    assert work_items_from_json(raw) == _CONVERTER.structure(raw, list[WorkItem])
    assert work_items_from_json(raw)[0].links[2] == Link(
        target_id="task:srv04:migrate", type=DependencyType.SS, lag_hours=-8.0
    )


def test_whole_files_are_the_same_bytes_and_objects_as_through_cattrs() -> None:
    backlog = Backlog(items=tuple(_items()), iterations=make_sample_backlog().iterations)
    reference = serialization._dump_document(
        serialization.BACKLOG_FORMAT,
        _CONVERTER.unstructure(attrs.evolve(backlog, items=serialization.hierarchy_order(backlog.items))),
    )  # fmt: skip
    written = serialization.backlog_to_json(backlog)
    assert written == reference
    document = orjson.loads(written)
    body = {key: value for key, value in document.items() if key not in ("format", "version")}
    assert serialization._structure_backlog(document, "x") == _CONVERTER.structure(body, Backlog)


IRREGULAR: list[tuple[str, dict[str, Any]]] = [
    ("unknown field", {"id": "a", "kind": "task", "title": "t", "colour": "red"}),
    ("number for text", {"id": "a", "kind": "task", "title": 5}),
    ("bool for a number", {"id": "a", "kind": "task", "title": "t", "estimate": True}),
    ("unknown kind", {"id": "a", "kind": "saga", "title": "t"}),
    ("date and time", {"id": "a", "kind": "task", "title": "t", "start": "2027-01-04T10:00"}),
    ("number among tags", {"id": "a", "kind": "task", "title": "t", "tags": ["x", 3]}),
    ("unknown link field", {"id": "a", "kind": "task", "title": "t", "links": [{"target_id": "b", "why": "x"}]}),
    ("unknown link type", {"id": "a", "kind": "task", "title": "t", "links": [{"target_id": "b", "type": "XX"}]}),
    ("unknown ref field", {"id": "a", "kind": "task", "title": "t", "refs": {"jira": {"key": "K", "x": "y"}}}),
    ("missing title", {"id": "a", "kind": "task"}),
    ("not an object", ["a", "task", "t"]),  # type: ignore[list-item]
]  # fmt: skip


@pytest.mark.parametrize(("case", "raw"), IRREGULAR, ids=[case for case, _ in IRREGULAR])
def test_irregular_items_are_left_to_cattrs(case: str, raw: dict[str, Any]) -> None:
    regular = {"id": "b", "kind": "task", "title": "fine"}
    assert work_items_from_json([regular, raw]) is None


def test_an_irregular_file_reads_as_cattrs_reads_it() -> None:
    # cattrs turns a number into text where text belongs: the fast path must not differ.
    document = {
        "format": "mbf-backlog",
        "version": 1,
        "items": [{"id": "a", "kind": "task", "title": 5}],
    }
    backlog = serialization.backlog_from_json(orjson.dumps(document))
    assert backlog.items == (WorkItem(id="a", kind=WorkItemKind.TASK, title="5"),)
    document["items"] = [{"id": "a", "kind": "saga", "title": "t"}]
    with pytest.raises(MbfError) as raised:
        serialization.backlog_from_json(orjson.dumps(document), origin="b.json")
    assert str(raised.value) == (
        "b.json: item 'a', field kind: unknown kind 'saga' (expected one of: epic, feature, story, task)"
    )


def test_with_fields_is_attrs_evolve_without_the_converters() -> None:
    changes: dict[str, Any] = {
        "iteration_id": "iteration-9",
        "start": dt.date(2027, 3, 1),
        "links": (Link(target_id="x"),),
    }
    assert with_fields(FULL, **changes) == attrs.evolve(FULL, **changes)
    assert with_fields(FULL, **changes).title == "Migrate srv01"
    assert FULL.iteration_id == "iteration-2"
    with pytest.raises(TypeError, match="WorkItem has no field 'colour'"):
        with_fields(FULL, colour="red")


def test_changes_checked_once_apply_like_attrs_evolve() -> None:
    changes = field_changes(iteration_id="iteration-9", start=dt.date(2027, 3, 1), release_id=None)
    planned = [with_changes(item, changes) for item in (FULL, make_sample_backlog().items[0])]
    assert planned[0] == attrs.evolve(
        FULL, iteration_id="iteration-9", start=dt.date(2027, 3, 1), release_id=None
    )
    assert planned[1].iteration_id == "iteration-9"
    assert FULL.iteration_id == "iteration-2"
    with pytest.raises(TypeError, match="WorkItem has no field 'colour'"):
        field_changes(colour="red")


def test_items_read_are_laid_out_as_attrs_makes_them() -> None:
    """Read items are filled in without __init__, yet hold what it would, each its own refs and
    extra, in a dict that shares its keys like one __init__ fills (no larger)."""
    raw = orjson.loads(orjson.dumps([{"id": "a", "kind": "task", "title": "A", "estimate": 4}] * 2))
    first, second = work_items_from_json(raw) or []
    made = WorkItem(id="a", kind=WorkItemKind.TASK, title="A", estimate=4)
    assert first == made
    assert type(first.estimate) is float
    assert list(first.__dict__) == list(made.__dict__)
    assert sys.getsizeof(first.__dict__) == sys.getsizeof(made.__dict__)
    assert first.extra == {}
    assert first.extra is not second.extra
    assert first.refs is not second.refs


def test_estate_records_read_back_exactly_as_cattrs_reads_them() -> None:
    from mbf.domain import Estate
    from mbf.testing import make_sample_estate

    estate = make_sample_estate()
    document = orjson.loads(serialization.estate_to_json(estate))
    body = {key: value for key, value in document.items() if key not in ("format", "version")}
    assert serialization._structure_estate(document, "x") == _CONVERTER.structure(body, Estate)
    assert serialization._structure_estate(document, "x") == estate
    assert (len(estate.servers), len(estate.workloads), len(estate.dependencies)) == (5, 3, 3)


@pytest.mark.parametrize(
    ("collection", "raw"),
    [
        ("servers", {"id": "a", "name": "A", "cores": "4"}),
        ("servers", {"id": "a", "name": "A", "readiness": "maybe"}),
        ("servers", {"id": "a", "name": "A", "sources": {"name": 3}}),
        ("workloads", {"id": "w", "name": "W", "server_ids": ["a", None]}),
        ("dependencies", {"source_id": "a", "target_id": "b", "weight": "heavy"}),
        ("dependencies", {"source_id": "a"}),
    ],
)
def test_irregular_estate_records_are_left_to_cattrs(collection: str, raw: dict[str, Any]) -> None:
    from mbf._native_items import estate_records_from_json

    assert estate_records_from_json(collection, [raw]) is None


def test_estate_numbers_written_as_integers_are_read_as_the_floats_cattrs_makes() -> None:
    from mbf._native_items import estate_records_from_json

    servers = estate_records_from_json(
        "servers", [{"id": "srv01", "name": "SRV01", "storage_gb": 120, "blockers": ["x"]}]
    )
    dependencies = estate_records_from_json(
        "dependencies",
        [{"source_id": "a", "target_id": "b", "weight": 3}, {"source_id": "a", "target_id": "c"}],
    )
    assert servers is not None
    assert dependencies is not None
    assert (type(servers[0].storage_gb), servers[0].storage_gb, servers[0].blockers) == (
        float,
        120.0,
        ("x",),
    )
    assert [(type(d.weight), d.weight) for d in dependencies] == [(float, 3.0), (float, 1.0)]
