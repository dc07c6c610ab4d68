"""Reading and writing a backlog as a nested Markdown checklist, one item per line."""

from __future__ import annotations

import re
from pathlib import Path

from mbf.domain import Backlog, StateCategory, WorkItem, WorkItemKind, hierarchy_order
from mbf.errors import InputError
from mbf.plugin import Context

__all__ = ["CAPABILITIES", "looks_like_checklist", "read_checklist", "write_checklist"]

MARKER = "<!-- mbf markdown-checklist v1 -->"
CAPABILITIES = frozenset({"id", "kind", "title", "parent_id", "state_category"})
INDENT = "  "

_BOX = {StateCategory.TODO: " ", StateCategory.IN_PROGRESS: "~", StateCategory.DONE: "x"}
_CATEGORY = {box: category for category, box in _BOX.items()}
_LINE = re.compile(
    r"^(?P<indent>(?:  )*)- \[(?P<box>[ ~x])\] \*\*(?P<kind>[a-z]+)\*\* (?P<title>.*) <!-- id: (?P<id>\S+) -->$"
)


def looks_like_checklist(path: Path) -> bool:
    """Whether the file starts with the format's marker line."""
    with path.open("rb") as stream:
        return stream.readline().strip() == MARKER.encode()


def write_checklist(backlog: Backlog, path: Path, context: Context) -> None:
    """Write every item as a checklist line, indented under its parent."""
    depth: dict[str, int] = {}
    lines = [MARKER]
    for item in hierarchy_order(backlog.items):
        level = depth[item.parent_id] + 1 if item.parent_id in depth else 0
        depth[item.id] = level
        title = " ".join(item.title.split())  # one item per line: newlines cannot survive
        lines.append(
            f"{INDENT * level}- [{_BOX[item.state_category]}] **{item.kind.value}** {title} <!-- id: {item.id} -->"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def read_checklist(path: Path, context: Context) -> Backlog:
    """Read a checklist; the indentation gives each item its parent."""
    lines = path.read_text(encoding="utf-8").splitlines()
    if not lines or lines[0].strip() != MARKER:
        raise InputError(f"the first line must be {MARKER!r}", path=path, row=1)
    items: list[WorkItem] = []
    ancestors: list[str] = []  # ancestors[level] is the id of the latest item at that level
    kinds = {kind.value for kind in WorkItemKind}
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        match = _LINE.match(line)
        if match is None:
            raise InputError(
                "expected '- [ ] **kind** title <!-- id: ID -->' indented by two spaces per level",
                path=path,
                row=number,
            )
        level = len(match["indent"]) // len(INDENT)
        if level > len(ancestors):
            raise InputError(
                f"indented {level} levels under an item at level {len(ancestors) - 1}",
                path=path,
                row=number,
            )
        if match["kind"] not in kinds:
            raise InputError(
                f"unknown kind {match['kind']!r} (expected one of: {', '.join(sorted(kinds))})",
                path=path,
                row=number,
            )
        del ancestors[level:]
        items.append(
            WorkItem(
                id=match["id"],
                kind=WorkItemKind(match["kind"]),
                title=match["title"],
                parent_id=ancestors[-1] if ancestors else None,
                state_category=_CATEGORY[match["box"]],
            )
        )
        ancestors.append(match["id"])
    return Backlog(items=items)
