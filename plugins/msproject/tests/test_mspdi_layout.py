"""Plans in mbf's own layout are scanned without lxml and read exactly as lxml reads them.

Every test compares the scan with the lxml reader on the same file: the same tasks, definitions
and backlog, or, for a file the scan does not take, the lxml reader alone.
"""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest

from mbf.domain import Backlog, Link, LinkKind, WorkItem, WorkItemKind
from mbf.errors import InputError
from mbf.plugin import Context, TrackerFormat
from mbf_msproject import layout, reader
from mbf_msproject.layout import SCALARS

TRICKY_TEXTS = (
    "A & B <C> \"quoted\" 'single'",
    "carriage\rreturn and\r\nwindows line",
    "tab\tand\nnew line",
    "  spaces at both ends  ",
    "é ß 中 🙂",
    "]]> and ]]&gt;",
    "&amp; typed literally",
    "x" * 300,
)


def _write(fmt: TrackerFormat, backlog: Backlog, path: Path) -> Path:
    assert fmt.write is not None
    fmt.write(backlog, path, Context())
    return path


def _tricky_backlog() -> Backlog:
    items = [
        WorkItem(id="epic:e", kind=WorkItemKind.EPIC, title="Epic"),
        *(
            WorkItem(
                id=f"task:{n}/{text[:8]}",
                kind=WorkItemKind.TASK,
                title=text,
                description=text,
                parent_id="epic:e",
                assignee=text,
                tags=(text, "plain"),
                extra={"note": text},
                links=(Link(target_id="epic:e", kind=LinkKind.RELATES_TO),),
            )
            for n, text in enumerate(TRICKY_TEXTS)
        ),
        WorkItem(id="", kind=WorkItemKind.TASK, title="", state=""),
    ]
    return Backlog(items=items)


def _change_first_item(written: str, old: str, new: str) -> str:
    """``written`` with ``old`` replaced once in its first task after the project summary task."""
    start = written.index("<Task>", written.index("<Task>") + 1)
    end = written.index("</Task>", start)
    assert old in written[start:end]
    return written[:start] + written[start:end].replace(old, new, 1) + written[end:]


def _lxml_document(path: Path) -> reader._Document:
    return reader._parse(path)


def _without_lines(document: reader._Document) -> object:
    return (
        document.definitions,
        document.resources,
        document.assignments,
        [attrs.evolve(task, line=0) for task in document.tasks],
    )


def _assert_scanned_like_lxml(path: Path) -> None:
    scanned = reader._parse_own_layout(path)
    assert scanned is not None, "the file is in mbf's layout"
    assert _without_lines(scanned) == _without_lines(_lxml_document(path))
    lxml_backlog = reader._Builder(path, _lxml_document(path), Context()).build()
    assert reader._Builder(path, scanned, Context()).build() == lxml_backlog


def test_scalars_follow_the_task_record_fields() -> None:
    # The scan's texts fill the record's fields by position, after its line.
    assert tuple(field.name for field in attrs.fields(reader._TaskRecord)[1:15]) == SCALARS


def test_written_sample_is_scanned_like_lxml_reads_it(written_sample: Path) -> None:
    _assert_scanned_like_lxml(written_sample)


def test_escaped_and_unusual_texts_are_scanned_like_lxml_reads_them(
    mspdi: TrackerFormat, tmp_path: Path
) -> None:
    path = _write(mspdi, _tricky_backlog(), tmp_path / "plan.xml")
    _assert_scanned_like_lxml(path)
    scanned = reader._parse_own_layout(path)
    assert scanned is not None
    assert [task.name for task in scanned.tasks[1:]] == [
        "Epic",
        *TRICKY_TEXTS,
        None,
    ]


def test_other_whitespace_between_elements_is_still_scanned(
    written_sample: Path, tmp_path: Path
) -> None:
    text = written_sample.read_text(encoding="utf-8")
    path = tmp_path / "flat.xml"
    path.write_text(text.replace("\n", "").replace("\t", "").replace("><", ">  <"), "utf-8")
    _assert_scanned_like_lxml(path)


REFERENCES = {
    "&#65;&#x42;": "AB",
    "&quot;&apos;&lt;&gt;&amp;": "\"'<>&",
    "&#13;&#10;&#9;": "\r\n\t",
    "&#x1F642;": "🙂",
}


@pytest.mark.parametrize(("reference", "text"), REFERENCES.items())
def test_character_references_are_resolved(
    written_sample: Path, tmp_path: Path, reference: str, text: str
) -> None:
    path = tmp_path / "plan.xml"
    written = written_sample.read_text(encoding="utf-8")
    path.write_text(_change_first_item(written, "<Name>", f"<Name>{reference}"), "utf-8")
    _assert_scanned_like_lxml(path)
    scanned = reader._parse_own_layout(path)
    assert scanned is not None
    assert scanned.tasks[1].name == f"{text}Migrate datacenter Amsterdam 1"


CHANGES_THE_SCAN_REFUSES = {
    "comment in a task": ("<Manual>", "<!-- c --><Manual>"),
    "CDATA text": ("<Name>", "<Name><![CDATA[x]]>"),
    "processing instruction": ("<Manual>", "<?pi x?><Manual>"),
    "an element mbf does not write": ("<Manual>", "<Contact>ann</Contact><Manual>"),
    "elements out of order": (
        "<OutlineNumber>1</OutlineNumber>\n\t\t\t<OutlineLevel>1</OutlineLevel>",
        "<OutlineLevel>1</OutlineLevel><OutlineNumber>1</OutlineNumber>",
    ),
    "a repeated element": ("<Manual>0</Manual>", "<Manual>0</Manual><Name>again</Name>"),
    "an attribute": ("<Name>", '<Name a="1">'),
    "> in text": ("<Name>", "<Name>&gt;>"),
    "an entity XML does not predefine": ("<Name>", "<Name>&nbsp;"),
    "a reference to a character XML refuses": ("<Name>", "<Name>&#0;"),
    "a bare ampersand": ("<Name>", "<Name>A & B"),
    "a control character": ("<Name>", "<Name>\x07"),
    "a non-character": ("<Name>", "<Name>\uffff"),
    "an empty element tag": ("<Manual>0</Manual>", "<Manual/>"),
    "an unclosed element": ("<Manual>0</Manual>", "<Manual>0</Manual><Notes>"),
}
"""Changes in the first item task that leave the file to lxml (well-formed or not)."""

CHANGES_OUTSIDE_THE_TASKS = {
    "windows line ends": ("\n", "\r\n"),
    "elements after the tasks": ("</Tasks>", "</Tasks><Resources/>"),
    "Latin-1 declared": ('encoding="UTF-8"', 'encoding="ISO-8859-1"'),
    "byte order mark": ('<?xml version="1.0"', '\ufeff<?xml version="1.0"'),
    "an empty task element": ("<Tasks>", "<Tasks><Task/>"),
    "an unclosed header element": ("<Tasks>", "<Calendars><Tasks>"),
}


def _read_both_ways(fmt: TrackerFormat, path: Path) -> tuple[object, object]:
    """What the format reads from ``path``, and what the lxml reader alone reads."""
    assert fmt.read is not None
    try:
        lxml_result: object = reader._Builder(path, _lxml_document(path), Context()).build()
    except InputError as error:
        lxml_result = str(error)
    try:
        result: object = fmt.read(path, Context())
    except InputError as error:
        result = str(error)
    return result, lxml_result


@pytest.mark.parametrize("change", CHANGES_THE_SCAN_REFUSES.values(), ids=CHANGES_THE_SCAN_REFUSES)
def test_any_other_task_goes_to_lxml(
    mspdi: TrackerFormat, written_sample: Path, tmp_path: Path, change: tuple[str, str]
) -> None:
    path = tmp_path / "plan.xml"
    changed = _change_first_item(written_sample.read_text(encoding="utf-8"), *change)
    path.write_bytes(changed.encode("utf-8"))
    assert reader._parse_own_layout(path) is None
    result, lxml_result = _read_both_ways(mspdi, path)
    assert result == lxml_result


@pytest.mark.parametrize(
    "change", CHANGES_OUTSIDE_THE_TASKS.values(), ids=CHANGES_OUTSIDE_THE_TASKS
)
def test_any_other_file_goes_to_lxml(
    mspdi: TrackerFormat, written_sample: Path, tmp_path: Path, change: tuple[str, str]
) -> None:
    old, new = change
    written = written_sample.read_text(encoding="utf-8")
    path = tmp_path / "plan.xml"
    path.write_bytes(written.replace(old, new, 1).encode("utf-8"))
    assert reader._parse_own_layout(path) is None
    result, lxml_result = _read_both_ways(mspdi, path)
    assert result == lxml_result


def test_error_in_a_scanned_task_names_the_line_lxml_gives(
    mspdi: TrackerFormat, written_sample: Path, tmp_path: Path
) -> None:
    path = tmp_path / "plan.xml"
    written = written_sample.read_text(encoding="utf-8")
    path.write_text(_change_first_item(written, "<OutlineLevel>", "<OutlineLevel>top"), "utf-8")
    assert reader._parse_own_layout(path) is not None
    first_item_line = written.count("\n", 0, written.index("<Task>", written.index("<UID>0<")))
    assert mspdi.read is not None
    with pytest.raises(InputError) as caught:
        mspdi.read(path, Context())
    assert str(caught.value) == (
        f"{path}: line {first_item_line + 1}, task UID 1: OutlineLevel 'top1' is not a whole number"
    )


def test_a_dtd_after_the_sniffed_head_is_refused(written_sample: Path, tmp_path: Path) -> None:
    written = written_sample.read_text(encoding="utf-8")
    declaration_end = written.index("?>") + 2
    path = tmp_path / "plan.xml"
    path.write_text(
        written[:declaration_end]
        + " " * 5000
        + '<!DOCTYPE Project [<!ENTITY a "lol">]>'
        + written[declaration_end:],
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="XML with a DTD is refused"):
        reader.read_mspdi(path, Context())


@pytest.mark.parametrize("piece_bytes", [1, 700, 5000])
def test_pieces_of_any_size_scan_alike(
    mspdi: TrackerFormat,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    piece_bytes: int,
) -> None:
    path = _write(mspdi, _tricky_backlog(), tmp_path / "plan.xml")
    whole = reader._parse_own_layout(path)
    monkeypatch.setattr(layout, "_PIECE_BYTES", piece_bytes)
    in_pieces = reader._parse_own_layout(path)
    assert in_pieces is not None
    assert whole is not None
    assert _without_lines(in_pieces) == _without_lines(whole)
    _assert_scanned_like_lxml(path)


def test_a_header_longer_than_mbf_writes_goes_to_lxml(
    mspdi: TrackerFormat, written_sample: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(layout, "_HEADER_BYTES", 100)
    assert reader._parse_own_layout(written_sample) is None
    result, lxml_result = _read_both_ways(mspdi, written_sample)
    assert result == lxml_result
