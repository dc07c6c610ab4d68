"""Reading the tasks of a plan in the layout mbf writes, without building an XML tree.

A plan mbf wrote (and nobody resaved) lists its tasks in one fixed element order. For such a
file the ``<Tasks>`` element is matched task by task with one regular expression, in half the
time lxml takes to build and walk the elements. The scan accepts only what it can check to be
well-formed XML that lxml would read to the same texts:

- UTF-8 (declared or by default, no byte order mark), no carriage return (XML would turn CR LF
  into LF), no control characters or non-characters, every ``&`` a predefined or numeric
  reference to an XML character;
- after the ``<Tasks>`` start tag: only ``<Task>`` elements with the children mbf writes, in the
  writer's order (each optional), no attributes, no comments, no ``>`` in text (mbf writes
  ``&gt;``), whitespace of any length between elements; then ``</Tasks></Project>`` and the end.

Anything else returns ``None`` and the reader parses the whole file with lxml as before. The part
before ``<Tasks>`` (custom-field definitions, calendar) is small and still parsed by lxml, with
the same DTD refusal. Task line numbers are lxml's too: the reader parses the file again with
lxml before it reports an error in a task.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import BinaryIO, Final, cast

__all__ = ["SCALARS", "OwnLayout", "RawTask", "TaskTexts", "scan_own_layout"]

SCALARS: Final = (
    "uid",
    "row",
    "name",
    "is_null",
    "level",
    "priority",
    "start",
    "finish",
    "duration",
    "work",
    "milestone",
    "summary",
    "percent",
    "notes",
)
"""The task texts a :data:`RawTask` starts with, in this order (the reader's record attributes)."""

_Text = str | None
TaskTexts = tuple[
    _Text, _Text, _Text, _Text, _Text, _Text, _Text, _Text, _Text, _Text, _Text, _Text, _Text, _Text
]
"""A task's :data:`SCALARS` texts."""

RawTask = tuple[TaskTexts, list[list[str | None]], dict[str, str]]
"""One task's texts as lxml would give them (``None`` for an absent or empty element): the
:data:`SCALARS`, the predecessor links (uid, type, lag, lag format), the custom-field values by
field id."""

OwnLayout = tuple[bytes, list[RawTask]]
"""The bytes before ``<Tasks>`` (to parse with lxml, closed by ``</Project>``), and the tasks."""

_SPACE = "[ \t\n]*"
# Task children mbf writes (the project summary task's among them) in the order of Project's
# schema; the ones the reader uses are captured, the others only checked.
_TASK_CHILDREN: Final = (
    ("UID", "uid"),
    ("ID", "row"),
    ("Name", "name"),
    ("Active", None),
    ("Manual", None),
    ("Type", None),
    ("IsNull", "is_null"),
    ("WBS", None),
    ("OutlineNumber", None),
    ("OutlineLevel", "level"),
    ("Priority", "priority"),
    ("Start", "start"),
    ("Finish", "finish"),
    ("Duration", "duration"),
    ("DurationFormat", None),
    ("Work", "work"),
    ("Estimated", None),
    ("Milestone", "milestone"),
    ("Summary", "summary"),
    ("PercentComplete", "percent"),
    ("ConstraintType", None),
    ("CalendarUID", None),
    ("ConstraintDate", None),
    ("Notes", "notes"),
)
assert tuple(group for _, group in _TASK_CHILDREN if group) == SCALARS


# Element text: no markup, and no ">" either, which mbf writes as "&gt;" (so "]]>", not allowed
# in XML text, cannot occur).
_TEXT = "[^<>]"


def _child(tag: str, captured: bool) -> str:
    # An empty element leaves the group unmatched: None, as lxml gives for its text.
    text = f"({_TEXT}+)?" if captured else f"{_TEXT}*"
    return f"(?:<{tag}>{text}</{tag}>{_SPACE})?"


def _leaves(*tags: str, captured: bool = True) -> str:
    text = f"({_TEXT}*)" if captured else f"{_TEXT}*"
    return _SPACE.join(f"<{tag}>{text}</{tag}>" for tag in tags)


_LINK_TAGS = ("PredecessorUID", "Type", "LinkLag", "LagFormat")
_FIELD_TAGS = ("FieldID", "Value")
_TASK = re.compile(
    # Groups: the SCALARS' texts, then all the task's predecessor links, then all its fields.
    f"{_SPACE}<Task>{_SPACE}"
    + "".join(_child(tag, group is not None) for tag, group in _TASK_CHILDREN)
    + f"((?:<PredecessorLink>{_SPACE}{_leaves(*_LINK_TAGS, captured=False)}{_SPACE}"
    + f"</PredecessorLink>{_SPACE})*)"
    + f"((?:<ExtendedAttribute>{_SPACE}{_leaves(*_FIELD_TAGS, captured=False)}{_SPACE}"
    + f"</ExtendedAttribute>{_SPACE})*)"
    + "</Task>"
)
_LINK = re.compile(_leaves(*_LINK_TAGS))
_FIELD = re.compile(_leaves(*_FIELD_TAGS))
_SCALAR_COUNT = len(SCALARS)
_PROLOG = re.compile(
    '(?:<\\?xml version="1\\.0" encoding="(?i:utf-8)"(?: standalone="(?:yes|no)")?\\?>)?'
    f'{_SPACE}<Project xmlns="http://schemas\\.microsoft\\.com/project">'
)
_TASKS_START = b"<Tasks>"
_TASK_END = b"</Task>"
_PIECE_BYTES = 1 << 20
_HEADER_BYTES = 1 << 20
_END = re.compile(f"{_SPACE}</Tasks>{_SPACE}</Project>{_SPACE}")

# Bytes no XML text holds: controls other than tab and line feed (carriage return is refused
# too, as XML would turn CR LF into LF), and U+FFFE, U+FFFF in UTF-8.
_ALLOWED_BYTES = b"\t\n" + bytes(range(0x20, 0x100))
_NON_CHARACTERS = (b"\xef\xbf\xbe", b"\xef\xbf\xbf")
_REFERENCE = re.compile("&(?:(amp|lt|gt|quot|apos)|#([0-9]+)|#x([0-9a-fA-F]+));")
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}


def _is_xml_character(code: int) -> bool:
    return (
        code in (0x9, 0xA, 0xD)
        or 0x20 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    )


def _references_are_sound(text: str) -> bool:
    """Whether every ``&`` in ``text`` starts a reference XML allows."""
    found = 0
    for match in _REFERENCE.finditer(text):
        found += 1
        number = match.group(2) or match.group(3)
        if number is not None:
            code = int(number, 10 if match.group(2) else 16)
            if not _is_xml_character(code):
                return False
    return found == text.count("&")


def _resolve(match: re.Match[str]) -> str:
    name, decimal, hexadecimal = match.groups()
    if name is not None:
        return _NAMED[name]
    return chr(int(decimal, 10) if decimal is not None else int(hexadecimal, 16))


def _unescaped(text: str | None) -> str | None:
    if not text:
        return None  # lxml gives None for an empty element
    if "&" in text:
        return _REFERENCE.sub(_resolve, text)
    return text


def _has_only_xml_characters(data: bytes) -> bool:
    if data.translate(None, _ALLOWED_BYTES):
        return False
    return data.isascii() or not any(marker in data for marker in _NON_CHARACTERS)


def _read_header(stream: BinaryIO) -> tuple[bytes, bytes] | None:
    """The bytes before ``<Tasks>`` and the bytes read after it; ``None`` without ``<Tasks>`` in
    the first piece (mbf's header is a few kilobytes: a file with more is not in its layout)."""
    head = stream.read(_HEADER_BYTES)
    tasks_start = head.find(_TASKS_START)
    if tasks_start == -1:
        return None
    return head[:tasks_start], head[tasks_start + len(_TASKS_START) :]


def _pieces(stream: BinaryIO, first: bytes) -> Iterator[str | None]:
    """The file from ``first`` on, decoded in pieces that end after a ``</Task>`` (the last piece:
    at the end of the file); ``None`` for a piece that is not plain UTF-8 XML text."""
    pending = first
    while True:
        chunk = stream.read(_PIECE_BYTES)
        data = pending + chunk
        cut = data.rfind(_TASK_END) + len(_TASK_END) if chunk else len(data)
        if cut < len(_TASK_END):  # no task ends in what was read yet
            pending = data
            continue
        piece, pending = data[:cut], data[cut:]
        if not _has_only_xml_characters(piece):
            yield None
            return
        try:
            text = piece.decode("utf-8")  # a cut after ">" never splits a character
        except UnicodeDecodeError:
            yield None
            return
        yield text if "&" not in text or _references_are_sound(text) else None
        if not chunk:
            return


def _scan_tasks(text: str, tasks: list[RawTask]) -> int:
    """Append the tasks ``text`` starts with to ``tasks``; return where the first non-task starts."""
    has_references = "&" in text
    position = 0
    match_task = _TASK.match
    while (task := match_task(text, position)) is not None:
        position = task.end()
        groups = task.groups()
        scalars: tuple[str | None, ...] = groups[:_SCALAR_COUNT]
        links_text, fields_text = groups[_SCALAR_COUNT:]
        links = _LINK.findall(links_text) if links_text else []
        fields = _FIELD.findall(fields_text) if fields_text else []
        if has_references:
            scalars = tuple(_unescaped(value) for value in scalars)
            links = [tuple(_unescaped(part) for part in link) for link in links]
            fields = [(_unescaped(key) or "", _unescaped(value) or "") for key, value in fields]
        # dict(): the last value of a repeated field id wins, as in the lxml reader.
        tasks.append(
            (
                cast(TaskTexts, scalars),
                [[part or None for part in link] for link in links],
                dict(fields),
            )
        )
    return position


def scan_own_layout(stream: BinaryIO) -> OwnLayout | None:
    """The header bytes and the tasks of a file in mbf's own layout; ``None`` for any other.

    The file is read in pieces of about a megabyte, so that no more than one piece of its text is
    held beside the tasks.
    """
    header_and_rest = _read_header(stream)
    if header_and_rest is None:
        return None
    header, rest = header_and_rest
    try:
        prolog = _PROLOG.match(header.decode("utf-8"))
    except UnicodeDecodeError:
        return None
    if prolog is None:
        return None
    tasks: list[RawTask] = []
    for text in _pieces(stream, rest):
        if text is None:
            return None
        end = _scan_tasks(text, tasks)
        if end != len(text):
            # Only the last piece goes on after its tasks: with the end of the file.
            return (header, tasks) if _END.fullmatch(text, end) is not None else None
    return None
