"""Native backlog and estate files are written and read a part at a time, with exactly the bytes
and the objects of doing it whole, and files mbf did not lay out are read whole as before."""

from __future__ import annotations

import attrs
import orjson
import pytest

from mbf import serialization
from mbf.domain import Backlog, WorkItem, hierarchy_order
from mbf.errors import InputError, ValidationError
from mbf.testing import make_sample_backlog, make_sample_estate

_CONVERTER = serialization._native_converter


def _large_backlog() -> Backlog:
    """The sample backlog's items repeated under new ids: 20 copies of every item."""
    sample = make_sample_backlog()
    items: list[WorkItem] = []
    for copy in range(20):
        renamed = {item.id: f"{item.id}-{copy}" for item in sample.items}
        items.extend(
            attrs.evolve(
                item,
                id=renamed[item.id],
                parent_id=renamed.get(item.parent_id or ""),
                links=tuple(
                    attrs.evolve(link, target_id=renamed[link.target_id]) for link in item.links
                ),
            )
            for item in sample.items
        )
    return Backlog(items=tuple(items), iterations=sample.iterations, releases=sample.releases)


def _whole(backlog: Backlog) -> bytes:
    """The file as cattrs and one orjson call write it: the reference."""
    ordered = attrs.evolve(backlog, items=hierarchy_order(backlog.items))
    return serialization._dump_document(
        serialization.BACKLOG_FORMAT, _CONVERTER.unstructure(ordered)
    )


@pytest.mark.parametrize("items_per_part", [1, 7, 512])
def test_a_backlog_written_in_parts_is_the_bytes_written_whole(
    monkeypatch: pytest.MonkeyPatch, items_per_part: int
) -> None:
    monkeypatch.setattr(serialization, "_ITEMS_PER_PART", items_per_part)
    backlog = _large_backlog()
    assert len(backlog.items) == 20 * len(make_sample_backlog().items)
    assert serialization.backlog_to_json(backlog) == _whole(backlog)


def test_an_empty_backlog_is_written_as_before() -> None:
    backlog = Backlog(iterations=make_sample_backlog().iterations)
    assert serialization.backlog_to_json(backlog) == _whole(backlog)
    assert b'"items"' not in serialization.backlog_to_json(backlog)


@pytest.mark.parametrize("bytes_per_part", [1, 300, 1 << 16])
def test_a_file_read_in_parts_is_the_backlog_read_whole(
    monkeypatch: pytest.MonkeyPatch, bytes_per_part: int
) -> None:
    monkeypatch.setattr(serialization, "_BYTES_PER_PART", bytes_per_part)
    text = serialization.backlog_to_json(_large_backlog())
    document = orjson.loads(text)
    assert serialization._backlog_in_parts(text, "x") == serialization._structure_backlog(
        document, "x"
    )
    assert serialization.backlog_from_json(text) == _CONVERTER.structure(
        {key: value for key, value in document.items() if key not in ("format", "version")}, Backlog
    )


def test_a_file_laid_out_otherwise_is_read_whole() -> None:
    backlog = _large_backlog()
    compact = orjson.dumps(orjson.loads(serialization.backlog_to_json(backlog)))
    assert serialization._backlog_in_parts(compact, "x") is None
    assert serialization.backlog_from_json(compact) == serialization.backlog_from_json(
        serialization.backlog_to_json(backlog)
    )


def test_an_item_holding_the_text_between_items_is_read_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Hand-written JSON can put ``}, {`` at the items' indentation inside an item; the part cut
    there does not parse, and the file is read whole."""
    monkeypatch.setattr(serialization, "_BYTES_PER_PART", 1)
    text = (
        b'{\n  "format": "mbf-backlog",\n  "version": 1,\n  "items": [\n'
        b'    {\n      "id": "epic:a",\n      "kind": "epic",\n      "title": "A",\n'
        b'      "extra": {"rows": [\n    {"n": 1}\n    ,\n    {\n"n": 2\n    },\n    {\n"n": 3}]}\n    },\n'
        b'    {\n      "id": "epic:b",\n      "kind": "epic",\n      "title": "B"\n    }\n  ]\n}\n'
    )
    assert serialization._backlog_in_parts(text, "x") is None
    backlog = serialization.backlog_from_json(text)
    assert [item.id for item in backlog.items] == ["epic:a", "epic:b"]
    assert backlog.items[0].extra == {"rows": [{"n": 1}, {"n": 2}, {"n": 3}]}


def test_broken_json_in_a_later_part_is_reported_at_its_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(serialization, "_BYTES_PER_PART", 300)
    text = serialization.backlog_to_json(_large_backlog())
    lines = text.split(b"\n")
    assert lines[403] == b'      "id": "story:pay-app01-2",'
    lines[403] = lines[403].rstrip(b",")  # a missing comma between two fields of an item
    with pytest.raises(InputError) as caught:
        serialization.backlog_from_json(b"\n".join(lines), origin="planned.json")
    assert str(caught.value) == (
        "planned.json: not valid JSON: unexpected character, expected ',' or '}' at line 405, column 7"
    )


def test_an_irregular_item_in_a_later_part_gets_cattrs_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(serialization, "_BYTES_PER_PART", 300)
    text = serialization.backlog_to_json(_large_backlog())
    title = b'"title": "Migrate PAY-APP01"'
    broken = text.replace(title, title + b', "colour": "red"', 1)
    assert broken.index(title) > 300 * 5
    with pytest.raises(ValidationError) as caught:
        serialization.backlog_from_json(broken, origin="planned.json")
    assert str(caught.value) == "planned.json: item 'story:pay-app01-0': unknown field 'colour'"


@pytest.mark.parametrize("bytes_per_part", [1, 200, 1 << 16])
def test_an_estate_read_in_parts_is_the_estate_read_whole(
    monkeypatch: pytest.MonkeyPatch, bytes_per_part: int
) -> None:
    monkeypatch.setattr(serialization, "_BYTES_PER_PART", bytes_per_part)
    estate = make_sample_estate()
    text = serialization.estate_to_json(estate)
    document = orjson.loads(text)
    assert serialization._estate_in_parts(text, "x") == serialization._structure_estate(
        document, "x"
    )
    assert serialization.estate_from_json(text) == estate
    compact = orjson.dumps(document)
    assert serialization._estate_in_parts(compact, "x") is None
    assert serialization.estate_from_json(compact) == estate


def test_an_irregular_dependency_in_a_later_part_gets_cattrs_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(serialization, "_BYTES_PER_PART", 1)
    text = serialization.estate_to_json(make_sample_estate())
    broken = text.replace(b'"port": 1433', b'"port": "ms-sql"', 1)
    assert broken != text
    with pytest.raises(ValidationError) as caught:
        serialization.estate_from_json(broken, origin="estate.json")
    with pytest.raises(ValidationError) as whole:
        serialization.estate_from_json(orjson.dumps(orjson.loads(broken)), origin="estate.json")
    assert str(caught.value) == str(whole.value)
    assert str(caught.value) == (
        "estate.json: dependencies[0].port: invalid value "
        "(invalid literal for int() with base 10: 'ms-sql')"
    )
