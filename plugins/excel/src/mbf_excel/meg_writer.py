"""Writing a planned backlog in the Migration Execution Guide layout, with xlsxwriter.

The ``8. Wave`` sheet gets one row per user story (server), ordered by wave, in the template's
exact columns and position (header in row 15 from column B), so the rows can be pasted into a
real MEG workbook. ``8. Digital Estate`` gets one row per workload feature (and one per data
centre without workloads), so the file reads back with the ``meg`` reader. Tasks have no row
(the Risk Register is read, not written: a task list is not a risk register).
Values the template has a column for and mbf has no field for come from each item's ``extra``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from mbf.domain import Backlog, WorkItem, WorkItemKind, hierarchy_order
from mbf.plugin import Context
from mbf_excel.cells import FORMULA_PREFIXES
from mbf_excel.meg_layout import (
    DIGITAL_ESTATE_BANDS,
    DIGITAL_ESTATE_COLUMNS,
    DIGITAL_ESTATE_HEADER_ROW,
    DIGITAL_ESTATE_SHEET,
    RISK_SEVERITY_PRIORITY,
    RISK_STATUS,
    WAVE_COLUMNS,
    WAVE_HEADER_ROW,
    WAVE_SHEET,
    DigitalEstate,
    Risk,
    Wave,
    normalise_header,
)
from mbf_excel.meg_reader import ALL_WORKLOADS_FEATURE, NOT_IN_ESTATE_TAG
from mbf_excel.xlsx_writer import WORKBOOK_TIMESTAMP

__all__ = ["write_meg_workbook"]

_WAVE_ID = re.compile(r"^wave-(\d+)$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_FIRST_COLUMN = 1
"""The template's tables start in column B."""
_PRIORITY_WORDS = {1: "High", 2: "Medium", 3: "Low"}
_SEVERITY_OF_PRIORITY = {
    priority: severity for severity, priority in RISK_SEVERITY_PRIORITY.items()
}
_STATUS_OF_CATEGORY = {category: status for status, (_, category) in RISK_STATUS.items()}
_STRATEGIES = ("rehost", "refactor", "rearchitect", "rebuild", "replace", "retire", "retain")


def _strip(prefix: str, title: str) -> str:
    return title[len(prefix) :] if title.startswith(prefix) else title


class _Hierarchy:
    """Finds the workload feature and datacenter epic above an item."""

    def __init__(self, items: Sequence[WorkItem]) -> None:
        self.by_id = {item.id: item for item in items}

    def ancestor(self, item: WorkItem, kind: WorkItemKind) -> WorkItem | None:
        seen: set[str] = set()
        current: WorkItem | None = item
        while current is not None and current.id not in seen:
            if current.kind is kind:
                return current
            seen.add(current.id)
            current = self.by_id.get(current.parent_id) if current.parent_id else None
        return None

    def workload_name(self, item: WorkItem) -> str:
        """The workload name of the feature above ``item``, spelt as ``item`` spells it if it does."""
        feature = self.ancestor(item, WorkItemKind.FEATURE)
        if feature is None:
            return ""
        if feature.id == ALL_WORKLOADS_FEATURE:
            name = Risk.ALL_WORKLOADS
        else:
            name = str(
                feature.extra.get(DigitalEstate.WORKLOAD)
                or _strip("Migrate workload ", feature.title)
            )
        own = item.extra.get(DigitalEstate.WORKLOAD)
        # The Risk Register capitalises names its own way; keep that where it names the same workload.
        return own if isinstance(own, str) and own.casefold() == name.casefold() else name

    def datacentre_name(self, item: WorkItem) -> str:
        epic = self.ancestor(item, WorkItemKind.EPIC)
        if epic is None:
            return ""
        return str(
            epic.extra.get(DigitalEstate.DATA_CENTRE) or _strip("Migrate datacenter ", epic.title)
        )


def write_meg_workbook(backlog: Backlog, path: Path, context: Context) -> None:
    """Write ``backlog`` as MEG Digital Estate, Wave and Risk Register sheets (format ``meg``)."""
    import xlsxwriter

    items = hierarchy_order(backlog.items)
    hierarchy = _Hierarchy(items)
    workbook = xlsxwriter.Workbook(
        str(path),
        {
            "in_memory": True,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    workbook.set_properties(
        {
            "title": "Migration Execution Guide",
            "author": "mbf",
            "created": WORKBOOK_TIMESTAMP.replace(tzinfo=None),
        }
    )
    writer = _SheetWriter(workbook)
    features = [i for i in items if _has_estate_row(i)]
    feature_ids = {f.id for f in features}
    epics_with_features = {
        epic.id for f in features if (epic := hierarchy.ancestor(f, WorkItemKind.EPIC)) is not None
    }
    # Hierarchy order keeps each data centre's workloads together and data centres in their order;
    # a data centre without workloads gets a row of its own so it is not lost.
    estate_rows = [
        _estate_row(item, hierarchy)
        for item in items
        if item.id in feature_ids
        or (item.kind is WorkItemKind.EPIC and item.id not in epics_with_features)
    ]
    writer.table(
        DIGITAL_ESTATE_SHEET, "DigitalEstate", header_row=DIGITAL_ESTATE_HEADER_ROW,
        headers=DIGITAL_ESTATE_COLUMNS, rows=estate_rows, bands=DIGITAL_ESTATE_BANDS,
    )  # fmt: skip
    stories = [i for i in items if i.kind is WorkItemKind.STORY]
    waves = _wave_numbers(backlog)
    planned = sorted(
        enumerate(stories),
        key=lambda pair: (waves.get(pair[1].iteration_id or "", 1 << 30), pair[0]),
    )
    wave_rows = [_wave_row(story, hierarchy, waves) for _, story in planned]
    writer.table(
        WAVE_SHEET, "Waves", header_row=WAVE_HEADER_ROW, headers=WAVE_COLUMNS, rows=wave_rows
    )
    workbook.worksheets()[1].activate()
    workbook.close()

    epics = sum(1 for i in items if i.kind is WorkItemKind.EPIC)
    left_out = len(items) - epics - len(features) - len(stories)
    if left_out:
        context.diagnostics.warn(
            f"{left_out} items not written: the MEG Digital Estate and Wave sheets hold data centres, "
            "workloads and servers only"
        )


def _has_estate_row(item: WorkItem) -> bool:
    """Workload features get a Digital Estate row; the features mbf made for risks do not."""
    return (
        item.kind is WorkItemKind.FEATURE
        and item.id != ALL_WORKLOADS_FEATURE
        and NOT_IN_ESTATE_TAG not in item.tags
    )


def _wave_numbers(backlog: Backlog) -> dict[str, int]:
    """Iteration id -> wave number: N for ``wave-N``, else the iteration's position (1-based)."""
    numbers = {}
    for position, iteration in enumerate(backlog.iterations, start=1):
        match = _WAVE_ID.match(iteration.id)
        numbers[iteration.id] = int(match.group(1)) if match else position
    return numbers


def _fields(item: WorkItem, overrides: Mapping[str, Any]) -> dict[str, Any]:
    """The row's values by normalised header: the item's extra, then the fields mbf owns."""
    values = dict(item.extra)
    values.update({k: v for k, v in overrides.items() if v not in (None, "")})
    return values


def _estate_row(feature: WorkItem, hierarchy: _Hierarchy) -> dict[str, Any]:
    """The Digital Estate row of a workload feature (or of a data-centre epic without workloads)."""
    if feature.kind is WorkItemKind.EPIC:
        return {DigitalEstate.DATA_CENTRE: hierarchy.datacentre_name(feature)}
    strategy = next((t.capitalize() for t in feature.tags if t in _STRATEGIES), None)
    return _fields(feature, {
        DigitalEstate.DATA_CENTRE: hierarchy.datacentre_name(feature),
        DigitalEstate.WORKLOAD: hierarchy.workload_name(feature),
        DigitalEstate.DESCRIPTION: feature.description,
        DigitalEstate.TECHNICAL_OWNER: feature.assignee,
        DigitalEstate.PRIORITY: _PRIORITY_WORDS.get(feature.priority or 0),
        DigitalEstate.RATIONALIZATION: feature.extra.get(DigitalEstate.RATIONALIZATION) or strategy,
        DigitalEstate.SCHEDULED_START: feature.start,
        DigitalEstate.MILESTONE_DATE: feature.finish,
    })  # fmt: skip


def _wave_row(story: WorkItem, hierarchy: _Hierarchy, waves: Mapping[str, int]) -> dict[str, Any]:
    machine = story.extra.get(Wave.MACHINE) or (
        _strip("Migrate ", story.title)
        if story.title.startswith("Migrate ") or not story.source
        else story.source[0]
    )
    return _fields(story, {
        Wave.WAVE_NUMBER: waves.get(story.iteration_id) if story.iteration_id else None,
        Wave.WORKLOAD: hierarchy.workload_name(story),
        Wave.MACHINE: machine,
        Wave.ENGINEER: story.assignee,
        Wave.MIGRATION_START: story.start,
        Wave.FINAL_MIGRATION_START: story.finish,
    })  # fmt: skip


class _SheetWriter:
    """Writes MEG-shaped sheets: a title, an optional band row, then an Excel table."""

    def __init__(self, workbook: Any) -> None:
        self.workbook = workbook
        self.date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
        self.quoted = workbook.add_format({"quote_prefix": True})
        self.bold = workbook.add_format({"bold": True, "font_size": 14})

    def table(
        self,
        sheet_name: str,
        table_name: str,
        *,
        header_row: int,
        headers: Sequence[str],
        rows: Sequence[Mapping[str, Any]],
        bands: Sequence[tuple[int, str]] = (),
    ) -> None:
        worksheet = self.workbook.add_worksheet(sheet_name)
        worksheet.write_string(1, _FIRST_COLUMN, sheet_name.split(". ", 1)[-1], self.bold)
        for offset, band in bands:
            worksheet.write_string(header_row - 1, _FIRST_COLUMN + offset, band)
        keys = _header_keys(headers, bands)
        worksheet.add_table(
            header_row, _FIRST_COLUMN, header_row + max(len(rows), 1), _FIRST_COLUMN + len(headers) - 1,
            {"name": table_name, "style": "Table Style Medium 2", "columns": [{"header": h} for h in headers]},
        )  # fmt: skip
        for r, values in enumerate(rows, start=header_row + 1):
            for c, key in enumerate(keys, start=_FIRST_COLUMN):
                if key in values:
                    self.cell(worksheet, r, c, values[key])
        worksheet.set_column(_FIRST_COLUMN, _FIRST_COLUMN + len(headers) - 1, 16)
        worksheet.freeze_panes(header_row + 1, _FIRST_COLUMN + 1)

    def cell(self, worksheet: Any, row: int, col: int, value: Any) -> None:
        if isinstance(value, bool):
            worksheet.write_boolean(row, col, value)
        elif isinstance(value, int | float):
            worksheet.write_number(row, col, value)
        elif isinstance(value, dt.date):
            worksheet.write_datetime(
                row, col, dt.datetime.combine(value, dt.time()), self.date_format
            )
        elif isinstance(value, str) and _ISO_DATE.match(value):
            worksheet.write_datetime(row, col, dt.datetime.fromisoformat(value), self.date_format)
        elif value is not None:
            text = value if isinstance(value, str) else str(value)
            worksheet.write_string(
                row, col, text, self.quoted if text.startswith(FORMULA_PREFIXES) else None
            )


def _header_keys(headers: Sequence[str], bands: Sequence[tuple[int, str]]) -> list[str]:
    """The key each column's value is looked up by: the normalised header, band-qualified when repeated
    (the same names the reader gives them)."""
    keys: list[str] = []
    band = ""
    band_at = dict(bands)
    for offset, header in enumerate(headers):
        band = band_at.get(offset, band)
        key = normalise_header(header)
        keys.append(f"{band}: {key}" if key in keys else key)
    return keys
