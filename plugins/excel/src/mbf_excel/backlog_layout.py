"""The backlog workbook's layout: sheet and column names, and how list-valued fields become text.

Both the writer and the reader use these, so what one writes the other understands. The
encodings are meant to be typed by people in Excel:

- Tags, Source: values joined with ``"; "``.
- Links: entries joined with ``"; "``; each is the target id, then optionally the dependency type
  (``SS``, ``FF``, ``SF``; ``FS`` is the default and left out), a lag in hours (``+4h``, ``-8h``)
  and ``relates-to`` for a link without scheduling meaning, e.g.
  ``task:db01/migrate; task:app01/migrate SS +4h; story:web01 relates-to``.
- Tracker Refs: JSON, ``{"jira": {"key": "MIG-2", "url": "https://..."}}`` (written by push/pull,
  not meant to be edited).
- Extra fields (custom fields): one column each, after the standard columns; the hidden ``mbf``
  sheet records each column's field name and encoding (``text``, ``integer``, ``number``,
  ``boolean`` or ``json``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from mbf.domain import DependencyType, Link, LinkKind, TrackerRef, WorkItemKind

__all__ = [
    "BACKLOG_COLUMNS",
    "BACKLOG_SHEET",
    "BACKLOG_TABLE",
    "EXTRA_ENCODINGS",
    "ITERATIONS_SHEET",
    "ITERATION_COLUMNS",
    "KIND_LEVELS",
    "LISTS_SHEET",
    "META_SHEET",
    "RELEASES_SHEET",
    "RELEASE_COLUMNS",
    "SUMMARY_SHEET",
    "Column",
    "format_links",
    "format_refs",
    "join_values",
    "number_text",
    "parse_links",
    "parse_refs",
    "split_values",
]

BACKLOG_SHEET = "Backlog"
ITERATIONS_SHEET = "Iterations"
RELEASES_SHEET = "Releases"
SUMMARY_SHEET = "Summary"
LISTS_SHEET = "Lists"
"""Hidden sheet with the validation lists: kinds, and states with their categories."""
META_SHEET = "mbf"
"""Very hidden sheet: the layout version and the extra-field columns."""

BACKLOG_TABLE = "BacklogItems"
"""Name of the Excel table on the Backlog sheet (formulas on the Summary sheet refer to it)."""


class Column:
    """Header names of the Backlog sheet, in the order they are written."""

    ID = "ID"
    KIND = "Kind"
    LEVEL = "Level"
    TITLE = "Title"
    STATE = "State"
    CATEGORY = "Category"
    ASSIGNEE = "Assignee"
    PRIORITY = "Priority"
    TAGS = "Tags"
    ITERATION = "Iteration"
    RELEASE = "Release"
    ESTIMATE = "Estimate (h)"
    START = "Start"
    FINISH = "Finish"
    PARENT = "Parent ID"
    LINKS = "Links"
    SOURCE = "Source"
    DESCRIPTION = "Description"
    REFS = "Tracker Refs"
    WRITTEN_STATE = "Written State"
    """Hidden: the state as written, so the reader sees which states were changed in Excel."""


BACKLOG_COLUMNS: tuple[str, ...] = (
    Column.ID, Column.KIND, Column.LEVEL, Column.TITLE, Column.STATE, Column.CATEGORY,
    Column.ASSIGNEE, Column.PRIORITY, Column.TAGS, Column.ITERATION, Column.RELEASE,
    Column.ESTIMATE, Column.START, Column.FINISH, Column.PARENT, Column.LINKS, Column.SOURCE,
    Column.DESCRIPTION, Column.REFS, Column.WRITTEN_STATE,
)  # fmt: skip

ITERATION_COLUMNS: tuple[str, ...] = ("ID", "Name", "Path", "Start", "Finish", "Capacity")
RELEASE_COLUMNS: tuple[str, ...] = ("ID", "Name", "Date", "Workloads")

KIND_LEVELS: Mapping[WorkItemKind, int] = {
    WorkItemKind.EPIC: 1,
    WorkItemKind.FEATURE: 2,
    WorkItemKind.STORY: 3,
    WorkItemKind.TASK: 4,
}
"""Outline level a new row of each kind gets when its Level cell is left empty."""

EXTRA_ENCODINGS = ("text", "integer", "number", "boolean", "json")

_SEPARATOR = ";"


def join_values(values: Iterable[str]) -> str:
    """``("a", "b")`` as ``"a; b"``."""
    return f"{_SEPARATOR} ".join(values)


def split_values(text: str) -> tuple[str, ...]:
    """``"a; b;"`` as ``("a", "b")``: blanks dropped, spaces trimmed."""
    if not text:
        return ()
    return tuple(part.strip() for part in text.split(_SEPARATOR) if part.strip())


def number_text(value: float) -> str:
    """A number the way a person writes it: ``4`` for 4.0, ``1.5`` for 1.5 (exact round trip)."""
    return str(int(value)) if value.is_integer() else repr(value)


def format_links(links: Iterable[Link]) -> str:
    """Links in the Links column's notation (see the module docstring)."""
    entries = []
    for link in links:
        parts = [link.target_id]
        if link.type is not DependencyType.FS:
            parts.append(link.type.value)
        if link.lag_hours:
            sign = "+" if link.lag_hours > 0 else "-"
            parts.append(f"{sign}{number_text(abs(link.lag_hours))}h")
        if link.kind is LinkKind.RELATES_TO:
            parts.append(LinkKind.RELATES_TO.value)
        entries.append(" ".join(parts))
    return join_values(entries)


_TYPES = {t.value: t for t in DependencyType}
_KINDS = {k.value: k for k in LinkKind}


def parse_links(text: str) -> tuple[Link, ...]:
    """Links from the Links column's notation; raises ``ValueError`` naming a malformed entry."""
    links = []
    for entry in split_values(text):
        tokens = entry.split()
        kind, type_, lag = LinkKind.DEPENDS_ON, DependencyType.FS, 0.0
        # Qualifiers trail the target id; read them from the right so ids may hold spaces.
        while len(tokens) > 1:
            token = tokens[-1]
            if token.upper() in _TYPES:
                type_ = _TYPES[token.upper()]
            elif token.lower() in _KINDS:
                kind = _KINDS[token.lower()]
            elif token[0] in "+-" and token.lower().endswith("h"):
                try:
                    lag = float(token[:-1])
                except ValueError:
                    raise ValueError(
                        f"link {entry!r}: lag {token!r} is not a number of hours"
                    ) from None
            else:
                break
            tokens.pop()
        links.append(Link(target_id=" ".join(tokens), kind=kind, type=type_, lag_hours=lag))
    return tuple(links)


def format_refs(refs: Mapping[str, TrackerRef]) -> str:
    """Tracker refs as compact JSON with sorted keys; empty url and version are left out."""
    if not refs:
        return ""
    encoded = {
        service: {
            k: v for k, v in (("key", ref.key), ("url", ref.url), ("version", ref.version)) if v
        }
        for service, ref in sorted(refs.items())
    }
    return json.dumps(encoded, ensure_ascii=False, separators=(",", ":"))


def parse_refs(text: str) -> dict[str, TrackerRef]:
    """Tracker refs from their JSON; raises ``ValueError`` when it is not the expected shape."""
    if not text.strip():
        return {}
    try:
        decoded: Any = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"tracker refs are not valid JSON ({error.msg})") from None
    if not isinstance(decoded, dict):
        raise ValueError("tracker refs must be a JSON object of service -> {key, url, version}")
    refs = {}
    for service, ref in decoded.items():
        if not isinstance(ref, dict) or not isinstance(ref.get("key"), str):
            raise ValueError(f'tracker ref {service!r} needs a text "key"')
        refs[service] = TrackerRef(
            key=ref["key"], url=str(ref.get("url", "")), version=str(ref.get("version", ""))
        )
    return refs
