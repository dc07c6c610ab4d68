"""Moving a backlog from one tracker format to another, through the domain model."""

from __future__ import annotations

import dataclasses
from collections import Counter
from itertools import repeat
from operator import ne
from pathlib import Path

import attrs

from mbf.config import plugin_settings
from mbf.domain import Backlog, WorkItem, WorkItemKind, validate_backlog
from mbf.domain.columns import ITEM_FIELDS, BacklogColumns, column_of
from mbf.errors import ConfigError
from mbf.files import atomic_output
from mbf.plugin import Context, TrackerFormat
from mbf.plugin.manager import MbfPluginManager

__all__ = ["ConvertReport", "convert", "lost_fields", "read_backlog_file", "write_backlog_file"]

# An item with every optional field at its default: a field differing from it carries a value.
_BLANK_ITEM = WorkItem(id="", kind=WorkItemKind.TASK, title="")


@attrs.frozen(kw_only=True)
class ConvertReport:
    """What a conversion did."""

    reader: str
    """Name of the format read."""
    writer: str
    """Name of the format written."""
    items: int
    """Number of items converted."""
    lost: dict[str, int]
    """Field -> number of items (or entries) whose value the target format cannot hold."""


def lost_fields(
    backlog: Backlog | BacklogColumns,
    capabilities: frozenset[str],
    kinds: frozenset[WorkItemKind] = frozenset(WorkItemKind),
) -> dict[str, int]:
    """Per field the format cannot hold, how many items (or iterations, releases) carry a value;
    items of a kind the format cannot hold count under ``"<kind> items"``."""
    column = column_of(backlog)
    lost: dict[str, int] = {}
    if not kinds >= set(WorkItemKind):
        counts = Counter(column("kind"))
        for kind in WorkItemKind:
            if kind not in kinds and counts[kind]:
                lost[f"{kind.value} items"] = counts[kind]
    for field in ITEM_FIELDS:
        if field in capabilities:
            continue
        # item.field != default for every item, in C: a convert counts hundreds of thousands.
        count = sum(map(ne, column(field), repeat(getattr(_BLANK_ITEM, field))))
        if count:
            lost[field] = count
    for field in ("iterations", "releases"):
        if field not in capabilities and getattr(backlog, field):
            lost[field] = len(getattr(backlog, field))
    return lost


def format_context(tracker_format: TrackerFormat, context: Context) -> Context:
    """``context`` with the format's own settings from ``[formats.<name>]`` in mbf.toml (its
    defaults when the table is absent), for formats that have settings."""
    config = context.config
    raw = config.formats.get(tracker_format.name)
    if tracker_format.settings_type is None:
        if raw:
            raise ConfigError(
                f"mbf.toml: formats.{tracker_format.name}: this format has no settings"
            )
        return context
    settings: object = plugin_settings(
        raw, tracker_format.settings_type, origin=f"mbf.toml: formats.{tracker_format.name}"
    )
    return dataclasses.replace(context, settings=settings)


def read_backlog_file(
    plugin_manager: MbfPluginManager, path: Path, format_name: str | None, context: Context
) -> tuple[Backlog, TrackerFormat]:
    """Read ``path`` in the named (or detected) format and validate it."""
    reader = plugin_manager.find_tracker_format(path, format_name, for_reading=True)
    assert reader.read is not None  # find_tracker_format only returns readers here
    backlog = reader.read(path, format_context(reader, context))
    return validate_backlog(backlog, origin=path), reader


def write_backlog_file(
    plugin_manager: MbfPluginManager,
    backlog: Backlog,
    path: Path,
    format_name: str | None,
    context: Context,
) -> TrackerFormat:
    """Write ``backlog`` to ``path`` atomically in the named (or detected) format."""
    writer = plugin_manager.find_tracker_format(path, format_name, for_reading=False)
    assert writer.write is not None  # find_tracker_format only returns writers here
    with atomic_output(path) as staged:
        writer.write(backlog, staged, format_context(writer, context))
    return writer


def convert(
    plugin_manager: MbfPluginManager,
    source: Path,
    target: Path,
    *,
    from_format: str | None = None,
    to_format: str | None = None,
    context: Context | None = None,
) -> ConvertReport:
    """Read ``source`` and write it to ``target``; report what the target format cannot hold.

    Between a format that reads columns and one that writes them, the items stay in columns
    (see :mod:`mbf.domain.columns`); otherwise they are read and written as work items.
    """
    context = context or Context()
    writer = plugin_manager.find_tracker_format(target, to_format, for_reading=False)
    reader = plugin_manager.find_tracker_format(source, from_format, for_reading=True)
    if reader.read_columns is None or writer.write_columns is None:
        backlog, reader = read_backlog_file(plugin_manager, source, reader.name, context)
        lost = lost_fields(backlog, writer.capabilities, writer.kinds)
        write_backlog_file(plugin_manager, backlog, target, writer.name, context)
        items = len(backlog.items)
    else:
        columns = reader.read_columns(source, format_context(reader, context))
        validate_backlog(columns, origin=source)
        lost = lost_fields(columns, writer.capabilities, writer.kinds)
        with atomic_output(target) as staged:
            writer.write_columns(columns, staged, format_context(writer, context))
        items = len(columns.items)
    return ConvertReport(reader=reader.name, writer=writer.name, items=items, lost=lost)
