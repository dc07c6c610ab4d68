"""Writing a backlog as an MSPDI file Microsoft Project opens: outline, dates, links, custom fields.

The document is streamed as text in the element order of Project's XML schema. lxml's
``xmlfile`` was measured at twice the time of these templates for a 20,000-task plan, so the hot
loop renders strings (every text value goes through :func:`~mbf_msproject.values.xml_text`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import IO

import attrs

from mbf.domain import (
    Backlog,
    Iteration,
    LinkKind,
    Release,
    StateCategory,
    WorkItem,
    WorkItemKind,
    hierarchy_order,
)
from mbf.plugin import Context
from mbf_msproject import schema
from mbf_msproject.schema import CustomField
from mbf_msproject.values import (
    dump_json,
    duration_hours,
    encode_list,
    first_escape,
    format_duration,
    has_invalid_xml,
    xml_text,
)

__all__ = ["write_mspdi"]

PERCENT_COMPLETE = {
    StateCategory.TODO: "0",
    StateCategory.IN_PROGRESS: "50",
    StateCategory.DONE: "100",
}
"""``PercentComplete`` written for each state category."""

NAME_LIMIT = 512
"""Longest task name Project's schema allows."""

TEXT_FIELD_LIMIT = 255
"""Longest value Project keeps in a Text custom field (it truncates longer ones when opening)."""

_FLUSH_EVERY = 2000
_KIND_TEXT = {kind: kind.value for kind in WorkItemKind}  # an enum's .value is a Python call
_FIELD_OPENING = {
    field.field_id: f"\t\t\t<ExtendedAttribute>\n\t\t\t\t<FieldID>{field.field_id}</FieldID>\n\t\t\t\t<Value>"
    for field in schema.MBF_FIELDS
}
"""A task's custom-field value is written between its field's opening (by field id) and the closing."""
_FIELD_CLOSING = "</Value>\n\t\t\t</ExtendedAttribute>\n"
_DEFAULT_TITLE = "Migration backlog"
_FALLBACK_START = dt.date(2000, 1, 3)  # a Monday; only for a backlog without a single date


@attrs.define
class _Notes:
    """What the writer could not hand to Project as is, reported once per kind at the end."""

    long_names: int = 0
    long_values: int = 0
    dropped_characters: int = 0
    links_in_field: int = 0

    def report(self, context: Context) -> None:
        warn = context.diagnostics.warn
        if self.long_names:
            warn(
                f"mspdi: {self.long_names} task names longer than {NAME_LIMIT} characters were cut"
            )
        if self.long_values:
            warn(
                f"mspdi: {self.long_values} custom field values are longer than {TEXT_FIELD_LIMIT} "
                "characters; mbf reads them whole but Microsoft Project truncates them"
            )
        if self.dropped_characters:
            warn(f"mspdi: {self.dropped_characters} texts held control characters XML cannot carry")
        if self.links_in_field:
            warn(
                f"mspdi: {self.links_in_field} links are kept only in the 'mbf links' field "
                "(relations, repeated or dangling predecessors Project cannot show)"
            )


def _date_time(day: dt.date, time: str) -> str:
    return f"{day.isoformat()}T{time}"


def _project_priority(priority: int | None) -> str:
    # mbf: 1 is highest; Project: 0-1000, 1000 highest, 500 the default.
    if priority is None:
        return "500"
    return str(min(1000, max(0, 1000 - 100 * (priority - 1))))


class _TaskRenderer:
    """Renders one ``<Task>`` at a time into a list of strings."""

    def __init__(self, notes: _Notes) -> None:
        self.notes = notes
        # A plan repeats a few hundred dates and a handful of durations over thousands of tasks;
        # each is formatted once.
        self.starts: dict[dt.date, str] = {}
        self.finishes: dict[dt.date, str] = {}

    def text(self, value: str) -> str:
        escaped = xml_text(value)  # ``value`` itself when nothing needs escaping
        if escaped is not value and has_invalid_xml(value):
            self.notes.dropped_characters += 1
        return escaped

    def start_text(self, day: dt.date) -> str:
        text = self.starts.get(day)
        if text is None:
            text = self.starts[day] = _date_time(day, schema.DAY_START)
        return text

    def finish_text(self, day: dt.date) -> str:
        text = self.finishes.get(day)
        if text is None:
            text = self.finishes[day] = _date_time(day, schema.DAY_FINISH)
        return text

    def task(
        self,
        out: list[str],
        *,
        uid: int,
        name: str,
        outline: str,
        level: int,
        start: dt.date | None,
        finish: dt.date | None,
        duration: float | None,
        summary: bool,
        milestone: bool = False,
        priority: str = "500",
        work: float | None = None,
        percent: str = "0",
        notes: str = "",
        links: Iterable[tuple[int, str, int]] = (),
        fields: Iterable[tuple[CustomField, str]] = (),
    ) -> None:
        """Append the task's XML; ``links`` are ``(predecessor uid, type code, lag)``."""
        if len(name) > NAME_LIMIT:
            self.notes.long_names += 1
            name = name[:NAME_LIMIT]
        estimated = duration is None
        if duration is None:
            duration = 0.0 if milestone else float(schema.HOURS_PER_DAY)
        # Elements at Project's defaults (Active 1, IsNull 0, Type from DefaultTaskType, Priority
        # 500, Milestone 0, PercentComplete 0, task calendar -1) are left out: every element costs
        # read time on a plan of tens of thousands of tasks.
        text = self.text
        if first_escape(name) is not None:
            name = text(name)
        out.append(
            f"\t\t<Task>\n\t\t\t<UID>{uid}</UID>\n\t\t\t<ID>{uid}</ID>\n"
            f"\t\t\t<Name>{name}</Name>\n\t\t\t<Manual>0</Manual>\n"
            f"\t\t\t<WBS>{outline}</WBS>\n\t\t\t<OutlineNumber>{outline}</OutlineNumber>\n"
            f"\t\t\t<OutlineLevel>{level}</OutlineLevel>\n"
        )
        if priority != "500":
            out.append(f"\t\t\t<Priority>{priority}</Priority>\n")
        if start is not None:
            out.append(f"\t\t\t<Start>{self.start_text(start)}</Start>\n")
        if finish is not None:
            finish_text = self.start_text(finish) if milestone else self.finish_text(finish)
            out.append(f"\t\t\t<Finish>{finish_text}</Finish>\n")
        out.append(
            f"\t\t\t<Duration>{format_duration(duration)}</Duration>\n"
            f"\t\t\t<DurationFormat>{schema.DURATION_FORMAT_DAYS}</DurationFormat>\n"
        )
        if work is not None:
            out.append(f"\t\t\t<Work>{format_duration(work)}</Work>\n")
        if estimated:
            out.append("\t\t\t<Estimated>1</Estimated>\n")
        if milestone:
            out.append("\t\t\t<Milestone>1</Milestone>\n")
        if summary:
            out.append("\t\t\t<Summary>1</Summary>\n")
        if percent != "0":
            out.append(f"\t\t\t<PercentComplete>{percent}</PercentComplete>\n")
        if start is not None:
            out.append(
                f"\t\t\t<ConstraintType>{schema.CONSTRAINT_START_NO_EARLIER_THAN}</ConstraintType>\n"
                f"\t\t\t<ConstraintDate>{self.start_text(start)}</ConstraintDate>\n"
            )
        if notes:
            out.append(f"\t\t\t<Notes>{text(notes)}</Notes>\n")
        for predecessor, type_code, lag in links:
            if lag % (schema.HOURS_PER_DAY * schema.LAG_UNITS_PER_HOUR) == 0:
                lag_format = schema.DURATION_FORMAT_DAYS
            elif lag % schema.LAG_UNITS_PER_HOUR == 0:
                lag_format = schema.DURATION_FORMAT_HOURS
            else:
                lag_format = schema.DURATION_FORMAT_MINUTES
            out.append(
                f"\t\t\t<PredecessorLink>\n\t\t\t\t<PredecessorUID>{predecessor}</PredecessorUID>\n"
                f"\t\t\t\t<Type>{type_code}</Type>\n"
                f"\t\t\t\t<LinkLag>{lag}</LinkLag>\n\t\t\t\t<LagFormat>{lag_format}</LagFormat>\n"
                "\t\t\t</PredecessorLink>\n"
            )
        for field, value in fields:
            if len(value) > TEXT_FIELD_LIMIT:
                self.notes.long_values += 1
            escaped = value if first_escape(value) is None else text(value)
            out.append(f"{_FIELD_OPENING[field.field_id]}{escaped}{_FIELD_CLOSING}")
        out.append("\t\t</Task>\n")


def _item_fields(item: WorkItem, extra_links: list[list[object]]) -> list[tuple[CustomField, str]]:
    fields = [(schema.MBF_ID, item.id), (schema.MBF_KIND, _KIND_TEXT[item.kind])]
    add = fields.append
    if item.state:
        add((schema.MBF_STATE, item.state))
    if item.tags:
        add((schema.MBF_TAGS, encode_list(item.tags)))
    if item.assignee:
        add((schema.MBF_ASSIGNEE, item.assignee))
    if item.iteration_id is not None:
        add((schema.MBF_ITERATION, item.iteration_id))
    if item.release_id is not None:
        add((schema.MBF_RELEASE, item.release_id))
    if item.source:
        add((schema.MBF_SOURCE, encode_list(item.source)))
    if item.refs:
        add((schema.MBF_REFS, dump_json({k: attrs.asdict(v) for k, v in item.refs.items()})))
    if item.extra:
        add((schema.MBF_EXTRA, dump_json(dict(item.extra))))
    if item.priority is not None:
        add((schema.MBF_PRIORITY, str(item.priority)))
    if extra_links:
        add((schema.MBF_LINKS, dump_json(extra_links)))
    return fields


def _split_links(
    item: WorkItem, uids: dict[str, int]
) -> tuple[list[tuple[int, str, int]], list[list[object]]]:
    """Links Project can show as ``PredecessorLink``, and the rest with their positions."""
    if not item.links:
        return [], []
    predecessor_links: list[tuple[int, str, int]] = []
    kept_in_field: list[list[object]] = []
    seen: set[str] = set()
    for index, link in enumerate(item.links):
        uid = uids.get(link.target_id)
        if (
            link.kind is LinkKind.DEPENDS_ON
            and uid is not None
            and link.target_id != item.id
            and link.target_id not in seen
        ):
            seen.add(link.target_id)
            lag = round(link.lag_hours * schema.LAG_UNITS_PER_HOUR)
            predecessor_links.append((uid, schema.LINK_TYPE_CODES[link.type], lag))
        else:
            kept_in_field.append(
                [index, link.target_id, link.kind.value, link.type.value, link.lag_hours]
            )
    return predecessor_links, kept_in_field


def _dates(backlog: Backlog) -> list[dt.date]:
    dates: list[dt.date] = []
    for item in backlog.items:
        dates += [d for d in (item.start, item.finish) if d is not None]
    for iteration in backlog.iterations:
        dates += [d for d in (iteration.start, iteration.finish) if d is not None]
    dates += [r.date for r in backlog.releases if r.date is not None]
    return dates


def _header(backlog: Backlog, context: Context) -> str:
    title = xml_text(context.config.project.name or _DEFAULT_TITLE)
    dates = _dates(backlog)
    start = min(dates) if dates else (context.config.project.start or _FALLBACK_START)
    finish = max(dates) if dates else start
    definitions = "".join(
        "\t\t<ExtendedAttribute>\n"
        f"\t\t\t<FieldID>{f.field_id}</FieldID>\n\t\t\t<FieldName>{f.field_name}</FieldName>\n"
        f"\t\t\t<CFType>{f.cf_type}</CFType>\n\t\t\t<Guid>{f.guid}</Guid>\n"
        f"\t\t\t<Alias>{f.alias}</Alias>\n\t\t\t<SecondaryPID>{f.secondary_pid}</SecondaryPID>\n"
        f"\t\t\t<SecondaryGuid>{f.secondary_guid}</SecondaryGuid>\n"
        "\t\t</ExtendedAttribute>\n"
        for f in schema.MBF_FIELDS
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Project xmlns="{schema.NAMESPACE}">\n'
        "\t<SaveVersion>14</SaveVersion>\n"
        f"\t<Name>{title}</Name>\n\t<Title>{title}</Title>\n"
        "\t<ScheduleFromStart>1</ScheduleFromStart>\n"
        f"\t<StartDate>{_date_time(start, schema.DAY_START)}</StartDate>\n"
        f"\t<FinishDate>{_date_time(finish, schema.DAY_FINISH)}</FinishDate>\n"
        f"\t<CalendarUID>{schema.PROJECT_CALENDAR_UID}</CalendarUID>\n"
        f"\t<DefaultStartTime>{schema.DAY_START}</DefaultStartTime>\n"
        f"\t<DefaultFinishTime>{schema.DAY_FINISH}</DefaultFinishTime>\n"
        f"\t<MinutesPerDay>{schema.MINUTES_PER_DAY}</MinutesPerDay>\n"
        f"\t<MinutesPerWeek>{schema.MINUTES_PER_DAY * 5}</MinutesPerWeek>\n"
        "\t<DaysPerMonth>20</DaysPerMonth>\n"
        "\t<DefaultTaskType>1</DefaultTaskType>\n"
        f"\t<DurationFormat>{schema.DURATION_FORMAT_DAYS}</DurationFormat>\n"
        "\t<WorkFormat>2</WorkFormat>\n"
        "\t<NewTasksEstimated>0</NewTasksEstimated>\n"
        "\t<WeekStartDay>1</WeekStartDay>\n"
        "\t<NewTasksAreManual>0</NewTasksAreManual>\n"
        "\t<OutlineCodes/>\n\t<WBSMasks/>\n"
        f"\t<ExtendedAttributes>\n{definitions}\t</ExtendedAttributes>\n"
        f"{_standard_calendar()}"
        "\t<Tasks>\n"
        "\t\t<Task>\n\t\t\t<UID>0</UID>\n\t\t\t<ID>0</ID>\n"
        f"\t\t\t<Name>{title}</Name>\n"
        "\t\t\t<Active>1</Active>\n\t\t\t<Manual>0</Manual>\n\t\t\t<Type>1</Type>\n"
        "\t\t\t<IsNull>0</IsNull>\n\t\t\t<WBS>0</WBS>\n\t\t\t<OutlineNumber>0</OutlineNumber>\n"
        "\t\t\t<OutlineLevel>0</OutlineLevel>\n\t\t\t<Priority>500</Priority>\n"
        f"\t\t\t<Start>{_date_time(start, schema.DAY_START)}</Start>\n"
        f"\t\t\t<Finish>{_date_time(finish, schema.DAY_FINISH)}</Finish>\n"
        f"\t\t\t<Duration>{format_duration(duration_hours(start, finish))}</Duration>\n"
        f"\t\t\t<DurationFormat>{schema.DURATION_FORMAT_DAYS}</DurationFormat>\n"
        "\t\t\t<Estimated>0</Estimated>\n\t\t\t<Milestone>0</Milestone>\n"
        "\t\t\t<Summary>1</Summary>\n\t\t\t<PercentComplete>0</PercentComplete>\n"
        "\t\t\t<ConstraintType>0</ConstraintType>\n\t\t\t<CalendarUID>-1</CalendarUID>\n"
        "\t\t</Task>\n"
    )


def _standard_calendar() -> str:
    """Project's Standard calendar: Monday-Friday 08:00-12:00 and 13:00-17:00."""
    days = []
    for day_type in range(1, 8):  # 1 = Sunday
        if day_type in (1, 7):
            days.append(
                f"\t\t\t\t<WeekDay>\n\t\t\t\t\t<DayType>{day_type}</DayType>\n"
                "\t\t\t\t\t<DayWorking>0</DayWorking>\n\t\t\t\t</WeekDay>\n"
            )
            continue
        times = "".join(
            "\t\t\t\t\t\t<WorkingTime>\n"
            f"\t\t\t\t\t\t\t<FromTime>{start}</FromTime>\n\t\t\t\t\t\t\t<ToTime>{end}</ToTime>\n"
            "\t\t\t\t\t\t</WorkingTime>\n"
            for start, end in (("08:00:00", "12:00:00"), ("13:00:00", "17:00:00"))
        )
        days.append(
            f"\t\t\t\t<WeekDay>\n\t\t\t\t\t<DayType>{day_type}</DayType>\n"
            "\t\t\t\t\t<DayWorking>1</DayWorking>\n"
            f"\t\t\t\t\t<WorkingTimes>\n{times}\t\t\t\t\t</WorkingTimes>\n\t\t\t\t</WeekDay>\n"
        )
    return (
        "\t<Calendars>\n\t\t<Calendar>\n"
        f"\t\t\t<UID>{schema.PROJECT_CALENDAR_UID}</UID>\n\t\t\t<Name>Standard</Name>\n"
        "\t\t\t<IsBaseCalendar>1</IsBaseCalendar>\n\t\t\t<IsBaselineCalendar>0</IsBaselineCalendar>\n"
        "\t\t\t<BaseCalendarUID>-1</BaseCalendarUID>\n"
        f"\t\t\t<WeekDays>\n{''.join(days)}\t\t\t</WeekDays>\n"
        "\t\t</Calendar>\n\t</Calendars>\n"
    )


def _item_duration(item: WorkItem, spans: dict[tuple[dt.date, dt.date], float]) -> float | None:
    """The task's duration: the one read from Project, else the working days of its dates
    (``spans`` keeps those already counted)."""
    if item.extra:
        stated = item.extra.get(schema.DURATION_KEY)
        if isinstance(stated, int | float) and not isinstance(stated, bool):
            return float(stated)
    start, finish = item.start, item.finish
    if start is None or finish is None:
        return None
    hours = spans.get((start, finish))
    if hours is None:
        hours = spans[start, finish] = duration_hours(start, finish)
    return hours


def _span(dates: Iterable[dt.date | None]) -> tuple[dt.date | None, dt.date | None]:
    known = [d for d in dates if d is not None]
    return (min(known), max(known)) if known else (None, None)


class _PlanWriter:
    """Writes the items, then the iteration and release rows, flushing to ``stream`` as it goes."""

    def __init__(self, stream: IO[bytes], notes: _Notes) -> None:
        self.stream = stream
        self.render = _TaskRenderer(notes)
        self.notes = notes
        self.out: list[str] = []
        self.uid = 0

    def flush(self) -> None:
        self.stream.write("".join(self.out).encode("utf-8"))
        self.out.clear()

    def next_uid(self) -> int:
        self.uid += 1
        if self.uid % _FLUSH_EVERY == 0:
            self.flush()
        return self.uid

    def items(self, items: tuple[WorkItem, ...]) -> int:
        """Write ``items`` depth-first; return the number of top-level rows."""
        ordered = hierarchy_order(items)
        uids = {item.id: n for n, item in enumerate(ordered, start=self.uid + 1)}
        parents = {item.parent_id for item in ordered if item.parent_id in uids}
        outline: dict[str, tuple[str, int]] = {}
        child_count: dict[str | None, int] = {}
        spans: dict[tuple[dt.date, dt.date], float] = {}
        for item in ordered:
            parent = item.parent_id if item.parent_id in outline else None
            child_count[parent] = child_count.get(parent, 0) + 1
            if parent is None:
                number, level = str(child_count[None]), 1
            else:
                parent_number, parent_level = outline[parent]
                number, level = f"{parent_number}.{child_count[parent]}", parent_level + 1
            outline[item.id] = (number, level)
            links, kept_in_field = _split_links(item, uids)
            self.notes.links_in_field += len(kept_in_field)
            self.render.task(
                self.out,
                uid=self.next_uid(),
                name=item.title,
                outline=number,
                level=level,
                start=item.start,
                finish=item.finish,
                duration=_item_duration(item, spans),
                summary=item.id in parents,
                priority=_project_priority(item.priority),
                work=item.estimate,
                percent=PERCENT_COMPLETE[item.state_category],
                notes=item.description,
                links=links,
                fields=_item_fields(item, kept_in_field),
            )
        return child_count.get(None, 0)

    def iterations(self, iterations: tuple[Iteration, ...], number: int) -> None:
        start, finish = _span(d for i in iterations for d in (i.start, i.finish))
        self.container("Iterations", schema.ITERATION_LIST, number, start, finish)
        for n, iteration in enumerate(iterations, start=1):
            fields = [(schema.MBF_ID, iteration.id), (schema.MBF_KIND, schema.ITERATION)]
            if iteration.path:
                fields.append((schema.MBF_ITERATION_PATH, iteration.path))
            if iteration.capacity is not None:
                fields.append((schema.MBF_CAPACITY, repr(iteration.capacity)))
            duration = (
                duration_hours(iteration.start, iteration.finish)
                if iteration.start is not None and iteration.finish is not None
                else None
            )
            self.render.task(
                self.out,
                uid=self.next_uid(),
                name=iteration.name,
                outline=f"{number}.{n}",
                level=2,
                start=iteration.start,
                finish=iteration.finish,
                duration=duration,
                summary=False,
                fields=fields,
            )

    def releases(self, releases: tuple[Release, ...], number: int) -> None:
        start, finish = _span(r.date for r in releases)
        self.container("Releases", schema.RELEASE_LIST, number, start, finish)
        for n, release in enumerate(releases, start=1):
            fields = [(schema.MBF_ID, release.id), (schema.MBF_KIND, schema.RELEASE)]
            if release.workload_ids:
                fields.append((schema.MBF_SOURCE, encode_list(release.workload_ids)))
            self.render.task(
                self.out,
                uid=self.next_uid(),
                name=release.name,
                outline=f"{number}.{n}",
                level=2,
                start=release.date,
                finish=release.date,
                duration=0.0,
                summary=False,
                milestone=True,
                fields=fields,
            )

    def container(
        self, name: str, kind: str, number: int, start: dt.date | None, finish: dt.date | None
    ) -> None:
        duration = duration_hours(start, finish) if start and finish else None
        self.render.task(
            self.out,
            uid=self.next_uid(),
            name=name,
            outline=str(number),
            level=1,
            start=start,
            finish=finish,
            duration=duration,
            summary=True,
            fields=[(schema.MBF_KIND, kind)],
        )


def write_mspdi(backlog: Backlog, path: Path, context: Context) -> None:
    """Write ``backlog`` to ``path`` as Microsoft Project XML (see the plugin README for the layout)."""
    notes = _Notes()
    with path.open("wb") as stream:
        stream.write(_header(backlog, context).encode("utf-8"))
        plan = _PlanWriter(stream, notes)
        top_level = plan.items(backlog.items)
        if backlog.iterations:
            top_level += 1
            plan.iterations(backlog.iterations, top_level)
        if backlog.releases:
            top_level += 1
            plan.releases(backlog.releases, top_level)
        plan.out.append("\t</Tasks>\n</Project>\n")
        plan.flush()
    notes.report(context)
