"""Reading a Migration Execution Guide workbook into a backlog with python-calamine.

- ``8. Digital Estate``: one epic per data centre, one feature per workload row (its columns kept
  in ``extra`` under their headers); a row with a Data Centre and no Workload is just the epic;
- ``8. Wave``: one story per machine under its workload's feature, planned in iteration
  ``wave-N`` for wave number N;
- ``8. Risk Register``: one remediation task per risk under its workload's feature (``All`` goes
  to a feature standing for every workload).

A workload named on the Wave or Risk Register sheet but missing from the Digital Estate gets a
top-level feature of its own, with a warning. Where the Digital Estate lists a workload in two
data centres, a machine joins the row whose Environment matches its own, else the first.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import attrs

from mbf.domain import (
    Backlog,
    Iteration,
    StateCategory,
    WorkItem,
    WorkItemKind,
    item_id,
    server_id,
    slug,
)
from mbf.errors import InputError
from mbf.plugin import Context
from mbf_excel.archive import check_workbook_archive
from mbf_excel.cells import SheetPosition, is_blank
from mbf_excel.meg_layout import (
    DIGITAL_ESTATE_SHEET,
    HEADER_SEARCH_ROWS,
    PLACEHOLDER,
    RISK_REGISTER_SHEET,
    RISK_SEVERITY_PRIORITY,
    RISK_STATUS,
    WAVE_SHEET,
    DigitalEstate,
    Risk,
    Wave,
    normalise_header,
)

__all__ = ["ALL_WORKLOADS_FEATURE", "NOT_IN_ESTATE_TAG", "read_meg_workbook", "wave_iteration_id"]

ALL_WORKLOADS_FEATURE = "feature:all-workloads"
"""Parent of the risks whose Workload is ``All``."""

NOT_IN_ESTATE_TAG = "not-in-digital-estate"
"""Tag of a feature made for a workload the Wave or Risk Register names but the estate lacks."""

_PRIORITY_WORDS = {"high": 1, "medium": 2, "low": 3}


def wave_iteration_id(number: int) -> str:
    """Id of the iteration standing for wave ``number``: ``wave-3``."""
    return f"wave-{number}"


def read_meg_workbook(path: Path, context: Context) -> Backlog:
    """Read the Digital Estate, Wave and Risk Register sheets of a MEG workbook (format ``meg``)."""
    from python_calamine import CalamineWorkbook

    check_workbook_archive(path)
    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception as error:  # calamine raises its own error types for damaged workbooks
        raise InputError(f"cannot read the workbook ({error})", path=path) from None
    names = set(workbook.sheet_names)
    if DIGITAL_ESTATE_SHEET not in names and WAVE_SHEET not in names:
        raise InputError(
            f"no {DIGITAL_ESTATE_SHEET!r} or {WAVE_SHEET!r} sheet; is this a Migration Execution Guide?",
            path=path,
        )
    reader = _MegReader(path, context)
    for sheet, read in (
        (DIGITAL_ESTATE_SHEET, reader.read_digital_estate),
        (WAVE_SHEET, reader.read_waves),
        (RISK_REGISTER_SHEET, reader.read_risks),
    ):
        if sheet in names:
            read(list(workbook.get_sheet_by_name(sheet).to_python(skip_empty_area=False)))
    workbook.close()
    return reader.backlog()


def _value(cell: Any) -> Any:
    """A cell as a JSON-friendly value: blanks and the template's placeholder are ``None``."""
    if is_blank(cell) or cell == PLACEHOLDER:
        return None
    if isinstance(cell, bool):
        return cell
    if isinstance(cell, float) and cell.is_integer():
        return int(cell)
    if isinstance(cell, dt.datetime):
        return cell.date().isoformat() if cell.time() == dt.time() else cell.isoformat()
    if isinstance(cell, dt.date):
        return cell.isoformat()
    if isinstance(cell, str):
        return cell.strip()
    return cell


@attrs.frozen
class _Sheet:
    """A MEG sheet's table: where its header is and what each column is called."""

    position: SheetPosition
    columns: dict[str, int]
    """Normalised header -> 0-based column."""
    rows: list[tuple[int, list[Any]]]
    """(Excel row number, cells) of each non-blank data row."""

    def get(self, row: list[Any], header: str) -> Any:
        column = self.columns.get(header)
        return _value(row[column]) if column is not None and column < len(row) else None

    def text(self, row: list[Any], header: str) -> str:
        value = self.get(row, header)
        return "" if value is None else self.position.text(value)

    def column(self, header: str) -> int | None:
        return self.columns.get(header)

    def fields(self, row: list[Any], skip: tuple[str, ...] = ()) -> dict[str, Any]:
        """Every non-empty cell of ``row`` by header (the columns mbf keeps in ``extra``)."""
        return {
            header: value
            for header, column in self.columns.items()
            if header not in skip
            and column < len(row)
            and (value := _value(row[column])) is not None
        }

    def date(self, row: list[Any], number: int, header: str) -> dt.date | None:
        column = self.columns.get(header)
        if column is None or column >= len(row) or _value(row[column]) is None:
            return None
        return self.position.optional_date(row[column], row=number, column=column)


def _locate(path: Path, sheet: str, rows: list[list[Any]], required: tuple[str, ...]) -> _Sheet:
    """Find the header row (the first with every ``required`` header) and the rows under it."""
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        headers = {
            c: normalise_header(v) for c, v in enumerate(row) if isinstance(v, str) and v.strip()
        }
        if not all(name in headers.values() for name in required):
            continue
        band_row = rows[index - 1] if index else []
        columns: dict[str, int] = {}
        band = ""
        for column, header in sorted(headers.items()):
            if (
                column < len(band_row)
                and isinstance(band_row[column], str)
                and band_row[column].strip()
            ):
                band = normalise_header(band_row[column])
            # A header repeated under a band (Approvals: Business Owner) is named after the band.
            columns[f"{band}: {header}" if header in columns else header] = column
        data = [
            (number, cells)
            for number, cells in enumerate(rows[index + 1 :], start=index + 2)
            if any(_value(cell) is not None for cell in cells)
        ]
        return _Sheet(SheetPosition(path, sheet, headers), columns, data)
    raise InputError(
        f"sheet {sheet!r} has no header row with {', '.join(map(repr, required))} "
        f"in its first {HEADER_SEARCH_ROWS} rows",
        path=path,
    )


class _MegReader:
    """Collects the items of the three sheets and links them by workload name."""

    def __init__(self, path: Path, context: Context) -> None:
        self.path = path
        self.context = context
        self.epics: dict[str, WorkItem] = {}
        self.features: dict[str, WorkItem] = {}
        self.features_by_workload: dict[str, list[WorkItem]] = {}
        self.stories: dict[str, tuple[int, WorkItem]] = {}
        self.tasks: dict[str, tuple[int, WorkItem]] = {}
        self.waves: dict[int, list[dt.date | None]] = {}

    def backlog(self) -> Backlog:
        iterations = []
        for number in sorted(self.waves):
            dates = [d for d in self.waves[number] if d is not None]
            iterations.append(
                Iteration(id=wave_iteration_id(number), name=f"Wave {number}",
                          start=min(dates) if dates else None, finish=max(dates) if dates else None)
            )  # fmt: skip
        items = [
            *self.epics.values(),
            *self.features.values(),
            *(story for _, story in self.stories.values()),
            *(task for _, task in self.tasks.values()),
        ]
        return Backlog(items=items, iterations=iterations)

    def read_digital_estate(self, rows: list[list[Any]]) -> None:
        sheet = _locate(
            self.path,
            DIGITAL_ESTATE_SHEET,
            rows,
            (DigitalEstate.WORKLOAD, DigitalEstate.DATA_CENTRE),
        )
        rows_of: dict[str, int] = {}
        for number, row in sheet.rows:
            workload = sheet.text(row, DigitalEstate.WORKLOAD)
            datacentre = sheet.text(row, DigitalEstate.DATA_CENTRE)
            if not workload:
                if datacentre:  # a data centre listed before any of its workloads
                    self._epic(datacentre)
                    continue
                raise sheet.position.error(
                    "a Digital Estate row needs a Workload or a Data Centre",
                    row=number,
                    column=sheet.column(DigitalEstate.WORKLOAD),
                )
            parent_id = self._epic(datacentre) if datacentre else None
            parts = (slug(datacentre), slug(workload)) if datacentre else (slug(workload),)
            feature_id = item_id("feature", *parts)
            if feature_id in rows_of:
                raise sheet.position.error(
                    f"workload {workload!r} in data centre {datacentre!r} is also on row {rows_of[feature_id]}",
                    row=number, column=sheet.column(DigitalEstate.WORKLOAD),
                )  # fmt: skip
            rows_of[feature_id] = number
            rationalization = sheet.text(row, DigitalEstate.RATIONALIZATION)
            feature = WorkItem(
                id=feature_id,
                kind=WorkItemKind.FEATURE,
                title=f"Migrate workload {workload}",
                description=sheet.text(row, DigitalEstate.DESCRIPTION),
                parent_id=parent_id,
                assignee=sheet.text(row, DigitalEstate.TECHNICAL_OWNER),
                priority=_PRIORITY_WORDS.get(sheet.text(row, DigitalEstate.PRIORITY).lower()),
                tags=(rationalization.lower(),) if rationalization else (),
                start=sheet.date(row, number, DigitalEstate.SCHEDULED_START),
                finish=sheet.date(row, number, DigitalEstate.MILESTONE_DATE),
                source=(slug(workload),),
                extra=sheet.fields(row),
            )
            self._add_feature(workload, feature)

    def read_waves(self, rows: list[list[Any]]) -> None:
        sheet = _locate(self.path, WAVE_SHEET, rows, (Wave.WAVE_NUMBER, Wave.MACHINE))
        for number, row in sheet.rows:
            machine = sheet.text(row, Wave.MACHINE)
            if not machine:
                raise sheet.position.error(
                    "a Wave row needs a Machine", row=number, column=sheet.column(Wave.MACHINE)
                )
            story_id = item_id("story", server_id(machine))
            if story_id in self.stories:
                raise sheet.position.error(
                    f"machine {machine!r} is also on row {self.stories[story_id][0]}",
                    row=number, column=sheet.column(Wave.MACHINE),
                )  # fmt: skip
            wave_cell = sheet.get(row, Wave.WAVE_NUMBER)
            iteration_id = None
            start = sheet.date(row, number, Wave.MIGRATION_START)
            finish = sheet.date(row, number, Wave.FINAL_MIGRATION_START)
            if wave_cell is not None:
                wave = sheet.position.optional_int(
                    wave_cell, row=number, column=sheet.columns[Wave.WAVE_NUMBER]
                )
                assert wave is not None  # the cell is not blank
                iteration_id = wave_iteration_id(wave)
                self.waves.setdefault(wave, []).extend((start, finish))
            workload = sheet.text(row, Wave.WORKLOAD)
            environment = sheet.text(row, Wave.ENVIRONMENT)
            state, category = _wave_state(sheet, row)
            story = WorkItem(
                id=story_id,
                kind=WorkItemKind.STORY,
                title=f"Migrate {machine}",
                parent_id=self._feature_for(workload, environment, WAVE_SHEET, number)
                if workload
                else None,
                state=state,
                state_category=category,
                assignee=sheet.text(row, Wave.ENGINEER),
                iteration_id=iteration_id,
                start=start,
                finish=finish,
                source=(server_id(machine),),
                extra=sheet.fields(row, skip=Wave.NAVIGATION),
            )
            self.stories[story_id] = (number, story)

    def read_risks(self, rows: list[list[Any]]) -> None:
        sheet = _locate(self.path, RISK_REGISTER_SHEET, rows, (Risk.ID, Risk.RISK))
        for number, row in sheet.rows:
            risk_id = sheet.text(row, Risk.ID)
            risk = sheet.text(row, Risk.RISK)
            if not risk_id or not risk:
                header = Risk.ID if not risk_id else Risk.RISK
                raise sheet.position.error(
                    f"a risk needs an {header}", row=number, column=sheet.column(header)
                )
            task_id = item_id("task", "risk", slug(risk_id))
            if task_id in self.tasks:
                raise sheet.position.error(
                    f"risk {risk_id!r} is also on row {self.tasks[task_id][0]}",
                    row=number,
                    column=sheet.column(Risk.ID),
                )
            workload = sheet.text(row, Risk.WORKLOAD)
            if workload.casefold() == Risk.ALL_WORKLOADS.casefold():
                parent_id: str | None = self._all_workloads()
            else:
                parent_id = (
                    self._feature_for(workload, "", RISK_REGISTER_SHEET, number)
                    if workload
                    else None
                )
            state, category = self._risk_status(sheet, row, number)
            severity = sheet.get(row, Risk.SEVERITY)
            category_word = sheet.text(row, Risk.CATEGORY)
            task = WorkItem(
                id=task_id,
                kind=WorkItemKind.TASK,
                title=risk,
                description=sheet.text(row, Risk.ACTION_PLAN),
                parent_id=parent_id,
                state=state,
                state_category=category,
                assignee=sheet.text(row, Risk.TECHNICAL_OWNER),
                priority=RISK_SEVERITY_PRIORITY.get(severity)
                if isinstance(severity, int)
                else None,
                tags=("remediation", "risk", *((category_word.lower(),) if category_word else ())),
                start=sheet.date(row, number, Risk.DATE_IDENTIFIED),
                finish=sheet.date(row, number, Risk.DATE_RESOLVED),
                source=(slug(workload),) if workload else (),
                extra=sheet.fields(row),
            )
            self.tasks[task_id] = (number, task)

    def _risk_status(self, sheet: _Sheet, row: list[Any], number: int) -> tuple[str, StateCategory]:
        status = sheet.get(row, Risk.STATUS)
        if status is None:
            return RISK_STATUS[0]
        if isinstance(status, int) and status in RISK_STATUS:
            return RISK_STATUS[status]
        for state, category in RISK_STATUS.values():
            if str(status).casefold() == state.casefold():
                return state, category
        raise sheet.position.error(
            f"status {status!r} is not 0 (open), 1 (in progress) or 2 (resolved)",
            row=number, column=sheet.column(Risk.STATUS),
        )  # fmt: skip

    def _epic(self, datacentre: str) -> str:
        epic_id = item_id("epic", slug(datacentre))
        if epic_id not in self.epics:
            self.epics[epic_id] = WorkItem(
                id=epic_id, kind=WorkItemKind.EPIC, title=f"Migrate datacenter {datacentre}",
                source=(slug(datacentre),), extra={"Data Centre": datacentre},
            )  # fmt: skip
        return epic_id

    def _add_feature(self, workload: str, feature: WorkItem) -> None:
        self.features[feature.id] = feature
        self.features_by_workload.setdefault(workload.casefold(), []).append(feature)

    def _feature_for(self, workload: str, environment: str, sheet: str, number: int) -> str:
        """The feature of ``workload`` (by name, ignoring case), created if the estate lacks it."""
        candidates = self.features_by_workload.get(workload.casefold())
        if not candidates:
            self.context.diagnostics.warn(
                f"{self.path}, sheet {sheet!r}, row {number}: workload {workload!r} is not on the "
                f"{DIGITAL_ESTATE_SHEET!r} sheet; it gets a feature of its own"
            )
            feature = WorkItem(
                id=item_id("feature", slug(workload)), kind=WorkItemKind.FEATURE,
                title=f"Migrate workload {workload}", source=(slug(workload),),
                tags=(NOT_IN_ESTATE_TAG,), extra={DigitalEstate.WORKLOAD: workload},
            )  # fmt: skip
            self._add_feature(workload, feature)
            return feature.id
        for feature in candidates:
            if (
                environment
                and str(feature.extra.get(DigitalEstate.ENVIRONMENT, "")).casefold()
                == environment.casefold()
            ):
                return feature.id
        return candidates[0].id

    def _all_workloads(self) -> str:
        if ALL_WORKLOADS_FEATURE not in self.features:
            self.features[ALL_WORKLOADS_FEATURE] = WorkItem(
                id=ALL_WORKLOADS_FEATURE, kind=WorkItemKind.FEATURE, title="Risks across all workloads",
                extra={DigitalEstate.WORKLOAD: Risk.ALL_WORKLOADS},
            )  # fmt: skip
        return ALL_WORKLOADS_FEATURE


_PASSED = re.compile(r"^\s*passed\s*$", re.IGNORECASE)


def _wave_state(sheet: _Sheet, row: list[Any]) -> tuple[str, StateCategory]:
    """Done once the final migration passed UAT; active once replication or testing started."""
    if _PASSED.match(sheet.text(row, Wave.FINAL_UAT_STATUS)):
        return "Done", StateCategory.DONE
    progress = (Wave.INITIAL_REPLICATION_STATUS, Wave.TEST_UAT_STATUS, Wave.FINAL_UAT_STATUS)
    if any(sheet.text(row, header) for header in progress):
        return "Active", StateCategory.IN_PROGRESS
    return "New", StateCategory.TODO
