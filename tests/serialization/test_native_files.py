"""The native mbf-json files: lossless, byte-stable, and clear about every bad input."""

import json
from pathlib import Path

import pytest

from mbf.domain import Backlog, Estate
from mbf.errors import InputError, ValidationError
from mbf.serialization import (
    FORMAT_VERSION,
    backlog_from_json,
    backlog_to_json,
    estate_from_json,
    estate_to_json,
    read_backlog,
    write_backlog,
)


def test_backlog_round_trips_exactly(sample_backlog: Backlog) -> None:
    assert backlog_from_json(backlog_to_json(sample_backlog)) == sample_backlog


def test_estate_round_trips_exactly(sample_estate: Estate) -> None:
    assert estate_from_json(estate_to_json(sample_estate)) == sample_estate


def test_file_starts_with_format_and_version(sample_backlog: Backlog) -> None:
    document = json.loads(backlog_to_json(sample_backlog))
    assert list(document)[:2] == ["format", "version"]
    assert (document["format"], document["version"]) == ("mbf-backlog", FORMAT_VERSION)
    assert list(document)[2:] == ["items", "iterations", "releases"]


def test_items_are_written_parents_first(sample_backlog: Backlog) -> None:
    shuffled = Backlog(
        items=tuple(reversed(sample_backlog.items)),
        iterations=sample_backlog.iterations,
        releases=sample_backlog.releases,
    )
    written = json.loads(backlog_to_json(shuffled))["items"]
    ids = [entry["id"] for entry in written]
    seen: set[str] = set()
    for entry in written:
        assert entry.get("parent_id") is None or entry["parent_id"] in seen
        seen.add(entry["id"])
    assert ids[0] == "epic:dub2"


def test_fields_at_their_default_are_left_out(sample_backlog: Backlog) -> None:
    epic = json.loads(backlog_to_json(sample_backlog))["items"][0]
    assert epic == {
        "id": "epic:ams1",
        "kind": "epic",
        "title": "Migrate datacenter Amsterdam 1",
        "description": "Empty AMS1 before its lease ends on 2027-09-30.\nOutcome: exit AMS1.",
        "priority": 1,
        "tags": ["datacenter", "ams1"],
        "source": ["ams1"],
    }


def test_map_keys_are_sorted_so_equal_backlogs_give_equal_bytes(sample_backlog: Backlog) -> None:
    import attrs

    first = sample_backlog.items[1]
    reordered = attrs.evolve(first, extra={"z": "1", "a": "2"})
    again = attrs.evolve(first, extra={"a": "2", "z": "1"})
    one = backlog_to_json(attrs.evolve(sample_backlog, items=(sample_backlog.items[0], reordered)))
    two = backlog_to_json(attrs.evolve(sample_backlog, items=(sample_backlog.items[0], again)))
    assert one == two


def test_write_then_read_a_file(sample_backlog: Backlog, tmp_path: Path) -> None:
    path = tmp_path / "backlog.json"
    write_backlog(sample_backlog, path)
    assert read_backlog(path) == sample_backlog
    assert [p.name for p in tmp_path.iterdir()] == ["backlog.json"]


def _document(sample_backlog: Backlog) -> dict:
    return json.loads(backlog_to_json(sample_backlog))


def test_truncated_file_names_file_line_and_column(sample_backlog: Backlog) -> None:
    text = backlog_to_json(sample_backlog)[:200]
    with pytest.raises(InputError, match=r"^b.json: not valid JSON: .* at line \d+, column \d+$"):
        backlog_from_json(text, origin="b.json")


def test_newer_version_is_refused(sample_backlog: Backlog) -> None:
    document = _document(sample_backlog) | {"version": FORMAT_VERSION + 1}
    with pytest.raises(InputError) as caught:
        backlog_from_json(json.dumps(document), origin="b.json")
    assert str(caught.value) == (
        "b.json: written by a newer mbf (mbf-backlog version 2; this mbf reads up to version 1). "
        "Upgrade mbf to read it."
    )


def test_an_estate_is_not_a_backlog(sample_estate: Estate) -> None:
    with pytest.raises(InputError, match="not an mbf-backlog file \\(its format is 'mbf-estate'"):
        backlog_from_json(estate_to_json(sample_estate), origin="e.json")


def test_unknown_kind_names_the_item(sample_backlog: Backlog) -> None:
    document = _document(sample_backlog)
    document["items"][2]["kind"] = "sprint"
    with pytest.raises(ValidationError) as caught:
        backlog_from_json(json.dumps(document), origin="b.json")
    assert str(caught.value) == (
        "b.json: item 'story:pay-db01', field kind: unknown kind 'sprint' "
        "(expected one of: epic, feature, story, task)"
    )


def test_misspelt_field_names_the_item_and_the_field(sample_backlog: Backlog) -> None:
    document = _document(sample_backlog)
    document["items"][0]["titel"] = document["items"][0].pop("title")
    with pytest.raises(ValidationError) as caught:
        backlog_from_json(json.dumps(document), origin="b.json")
    assert caught.value.problems == (
        "item 'epic:ams1', field title: missing required field 'title'",
        "item 'epic:ams1': unknown field 'titel'",
    )


def test_duplicate_id_and_missing_parent_are_named(sample_backlog: Backlog) -> None:
    document = _document(sample_backlog)
    document["items"][3]["id"] = document["items"][2]["id"]
    document["items"][1]["parent_id"] = "epic:nowhere"
    with pytest.raises(ValidationError) as caught:
        backlog_from_json(json.dumps(document), origin="b.json")
    assert "duplicate item id 'story:pay-db01'" in caught.value.problems
    assert (
        "item 'feature:payroll' has parent 'epic:nowhere', which does not exist"
        in caught.value.problems
    )
