"""The ``ado-csv`` format: what Azure Boards "Import work items" accepts, and its query exports.

Written files follow the import rules: ``ID`` empty for new items (an item with an
``azure-devops`` ref is written with its ID, which makes the row an update), ``Work Item Type``,
the hierarchy indented across ``Title 1`` … ``Title N``, ``Assigned To`` as ``Name <upn>``, tags
joined with ``; ``, iteration and area paths, Description as HTML, and every ``extra`` key as a
column of that name (a field display or reference name). Boards imports at most 1,000 items per
file, so a larger backlog is split at subtree boundaries into ``name.csv``, ``name-2.csv``, …

mbf ids travel in the ``Tags`` column as ``mbf:<id>`` (Boards has no free field every
organisation owns), so a backlog read back, or exported from Boards after the import, keeps its
ids. An item whose parent ended up in an earlier file also carries ``mbf-parent:<id>``.

Reading (query-result exports and mbf's own files) is in :mod:`.csv_reader`.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from mbf.domain import (
    Backlog,
    WorkItem,
    hierarchy_order,
)
from mbf.plugin import Context
from mbf_azure_devops.cells import format_number, neutralise
from mbf_azure_devops.format import CAPABILITIES, FORMAT_NAME, AdoCsvSettings, ado_csv_format
from mbf_azure_devops.html_text import text_to_html
from mbf_azure_devops.vocabulary import (
    CATEGORY_STATES,
    FIELD_REFERENCE_NAMES,
    SERVICE_NAME,
    state_category_of,
)

__all__ = [
    "CAPABILITIES",
    "FORMAT_NAME",
    "ID_TAG_PREFIX",
    "MAX_ITEMS_PER_FILE",
    "PARENT_TAG_PREFIX",
    "TITLE_LEVEL",
    "AdoCsvSettings",
    "ado_csv_format",
    "file_range",
    "part_path",
    "settings_of",
    "split_into_parts",
    "write_ado_csv",
]

MAX_ITEMS_PER_FILE = 1000
"""Boards refuses imports of more work items than this."""
ID_TAG_PREFIX = "mbf:"
"""Tag that carries an item's mbf id."""
PARENT_TAG_PREFIX = "mbf-parent:"
"""Tag that carries the mbf id of a parent written to an earlier file of a split backlog."""
TAG_SEPARATOR = "; "

WORK_ITEM_TYPE = "Work Item Type"
AREA_PATH = "Area Path"
_COLUMNS_BEFORE_TITLES = ("ID", WORK_ITEM_TYPE)
_COLUMNS_AFTER_TITLES = (
    "State",
    "Assigned To",
    "Priority",
    "Tags",
    "Iteration Path",
    AREA_PATH,
    "Description",
    "Original Estimate",
    "Start Date",
    "Target Date",
)
# Extras this format writes in columns of its own rather than as extra columns.
_OWN_EXTRA_KEYS = (WORK_ITEM_TYPE, AREA_PATH)
TITLE_LEVEL = re.compile(r"^title\s*(\d+)$")
"""A ``Title N`` column's folded name; group 1 is its level."""


def settings_of(context: Context) -> AdoCsvSettings:
    """The ``ado-csv`` settings a command passes, or the defaults."""
    return context.settings if isinstance(context.settings, AdoCsvSettings) else AdoCsvSettings()


def part_path(path: Path, number: int) -> Path:
    """File ``number`` (from 1) of a split backlog: ``out.ado.csv``, ``out-2.ado.csv``, …"""
    if number == 1:
        return path
    stem, dot, rest = path.name.partition(".")
    return path.with_name(f"{stem}-{number}{dot}{rest}")


# --- writing ------------------------------------------------------------------------------


def split_into_parts(items: Sequence[WorkItem], limit: int) -> list[list[WorkItem]]:
    """Cut ``items`` (in hierarchy order) into files of at most ``limit`` rows.

    A whole subtree goes into one file whenever it fits, so Boards rebuilds its hierarchy; only a
    subtree larger than a file is cut, below its root, along its children's subtrees.
    """
    index = {item.id: i for i, item in enumerate(items)}
    sizes = [1] * len(items)
    for i in range(len(items) - 1, -1, -1):  # children come after their parent
        parent_id = items[i].parent_id
        parent = index.get(parent_id) if parent_id is not None else None
        if parent is not None and parent < i:
            sizes[parent] += sizes[i]
    parts: list[list[WorkItem]] = []
    current: list[WorkItem] = []
    i = 0
    while i < len(items):
        size = sizes[i] if sizes[i] <= limit else 1
        if current and len(current) + size > limit:
            parts.append(current)
            current = []
        current.extend(items[i : i + size])
        i += size
    parts.append(current)
    return parts


def _levels(parts: Sequence[Sequence[WorkItem]]) -> tuple[dict[str, int], set[str]]:
    """Title level of every item within its file, and the items whose parent is in another file."""
    levels: dict[str, int] = {}
    orphans: set[str] = set()
    for part in parts:
        in_part: dict[str, int] = {}
        for item in part:
            parent_level = in_part.get(item.parent_id) if item.parent_id is not None else None
            if parent_level is None:
                in_part[item.id] = 1
                if item.parent_id is not None:
                    orphans.add(item.id)
            else:
                in_part[item.id] = parent_level + 1
        levels.update(in_part)
    return levels, orphans


def _known_column_names(title_count: int) -> set[str]:
    names = {*_COLUMNS_BEFORE_TITLES, *_COLUMNS_AFTER_TITLES, "Title"}
    names |= {f"Title {n}" for n in range(1, title_count + 1)}
    names |= {FIELD_REFERENCE_NAMES[n] for n in names if n in FIELD_REFERENCE_NAMES}
    return {n.casefold() for n in names}


def _extra_columns(
    items: Iterable[WorkItem], title_count: int, warn: Callable[[str], None]
) -> list[str]:
    keys: dict[str, None] = {}
    for item in items:
        keys.update(dict.fromkeys(item.extra))
    for own in _OWN_EXTRA_KEYS:
        keys.pop(own, None)
    taken = _known_column_names(title_count)
    columns = []
    for key in sorted(keys):
        if key.casefold() in taken or TITLE_LEVEL.match(key.casefold()):
            warn(
                f"{FORMAT_NAME}: extra field {key!r} clashes with a column of its own; not written"
            )
        else:
            columns.append(key)
    return columns


def _extra_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple):
        return TAG_SEPARATOR.join(str(v) for v in value)
    return str(value)


def _same(value: str) -> str:
    return value


def write_ado_csv(backlog: Backlog, path: Path, context: Context) -> None:
    """Write ``backlog`` as Boards import files: ``path`` and, past 1,000 items, numbered parts."""
    settings = settings_of(context)
    warn = context.diagnostics.warn
    text = neutralise if settings.neutralise_formulas else _same
    types = settings.types_by_kind()
    items = hierarchy_order(backlog.items)
    parts = split_into_parts(items, MAX_ITEMS_PER_FILE)
    levels, orphans = _levels(parts)
    title_count = max(levels.values(), default=1)
    titles = ["Title"] if title_count == 1 else [f"Title {n}" for n in range(1, title_count + 1)]
    extra_columns = _extra_columns(items, title_count, warn)
    header = [*_COLUMNS_BEFORE_TITLES, *titles, *_COLUMNS_AFTER_TITLES, *extra_columns]
    iteration_paths = {it.id: text(it.path or it.name) for it in backlog.iterations}
    blank_titles = [""] * title_count
    blank_extras = [""] * len(extra_columns)
    cleaned_tags = 0

    for number, part in enumerate(parts, start=1):
        with part_path(path, number).open("w", encoding="utf-8-sig", newline="") as stream:
            writer = csv.writer(stream, quoting=csv.QUOTE_ALL)
            writer.writerow(header)
            for item in part:
                ref = item.refs.get(SERVICE_NAME)
                key = ref.key if ref is not None else ""
                extra = item.extra
                tags = [tag.replace(";", ",") for tag in item.tags]  # Boards splits tags at ';'
                if tags and tags != list(item.tags):
                    cleaned_tags += sum(";" in tag for tag in item.tags)
                if not key or item.id != f"ado:{key}":
                    tags.append(ID_TAG_PREFIX + item.id)
                if item.id in orphans:
                    tags.append(f"{PARENT_TAG_PREFIX}{item.parent_id}")
                level = levels[item.id]
                start, finish, estimate = item.start, item.finish, item.estimate
                state = item.state
                known = state_category_of(state)
                if known is not None and known is not item.state_category:
                    state = CATEGORY_STATES[item.state_category]
                writer.writerow(
                    [
                        key,
                        (extra.get(WORK_ITEM_TYPE) if extra else None) or types[item.kind],
                        *blank_titles[: level - 1],
                        text(item.title),
                        *blank_titles[level:],
                        text(state),
                        text(item.assignee),
                        "" if item.priority is None else str(item.priority),
                        text(TAG_SEPARATOR.join(tags)),
                        iteration_paths.get(item.iteration_id, "") if item.iteration_id else "",
                        text(_extra_cell(extra.get(AREA_PATH))) if extra else "",
                        text_to_html(item.description) if item.description else "",
                        "" if estimate is None else format_number(estimate),
                        "" if start is None else start.isoformat(),
                        "" if finish is None else finish.isoformat(),
                        *(
                            [text(_extra_cell(extra.get(c))) for c in extra_columns]
                            if extra
                            else blank_extras
                        ),
                    ]
                )
    if cleaned_tags:
        warn(
            f"{FORMAT_NAME}: {cleaned_tags} tag(s) contained ';', written as ',' (Boards splits tags at ';')"
        )
    if len(parts) > 1:
        names = file_range([part_path(path, n) for n in range(1, len(parts) + 1)])
        warn(
            f"{FORMAT_NAME}: {len(items)} items split into {len(parts)} files of at most "
            f"{MAX_ITEMS_PER_FILE} (the Boards import limit): {names}; import them in order"
        )
        if orphans:
            warn(
                f"{FORMAT_NAME}: {len(orphans)} item(s) have their parent in an earlier file; Boards "
                f"imports them without a parent (tagged {PARENT_TAG_PREFIX}<id>): link them after import"
            )


def file_range(paths: Sequence[Path]) -> str:
    """The names of ``paths``, the middle of a long run shortened: ``a.csv, a-2.csv … a-373.csv``."""
    if len(paths) <= 3:
        return ", ".join(p.name for p in paths)
    return f"{paths[0].name}, {paths[1].name} … {paths[-1].name}"
