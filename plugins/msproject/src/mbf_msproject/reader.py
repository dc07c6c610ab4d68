"""Reading MSPDI files, mbf's own and those Microsoft Project saved, into a backlog.

The file is streamed with ``lxml.etree.iterparse`` (entities unresolved, no network, DTDs
refused), one ``<Task>`` at a time; a plan still in the layout mbf writes has its tasks scanned
by :mod:`mbf_msproject.layout` instead, to the same texts. Hierarchy comes from task order and
``OutlineLevel``, as in Project; the project summary task (UID 0) and null (blank) rows are
skipped.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import attrs

from mbf.domain import (
    Backlog,
    DependencyType,
    Iteration,
    Link,
    LinkKind,
    Release,
    StateCategory,
    TrackerRef,
    WorkItem,
    WorkItemKind,
)
from mbf.errors import InputError
from mbf.plugin import Context
from mbf_msproject import schema
from mbf_msproject.layout import scan_own_layout
from mbf_msproject.values import decode_list, parse_duration_hours

__all__ = ["looks_like_mspdi", "read_mspdi"]

_SNIFF_BYTES = 4096
_Q = "{" + schema.NAMESPACE + "}"
_TASK = _Q + "Task"
_DEFINITIONS = _Q + "ExtendedAttributes"
_RESOURCE = _Q + "Resource"
_ASSIGNMENT = _Q + "Assignment"
_PREDECESSOR_LINK = _Q + "PredecessorLink"
_EXTENDED_ATTRIBUTE = _Q + "ExtendedAttribute"
_FIELD_ID = _Q + "FieldID"
_VALUE = _Q + "Value"

# Task children read into a record, by qualified tag -> record attribute.
_SCALARS = {
    _Q + name: attribute
    for name, attribute in (
        ("UID", "uid"),
        ("ID", "row"),
        ("Name", "name"),
        ("IsNull", "is_null"),
        ("OutlineLevel", "level"),
        ("Priority", "priority"),
        ("Start", "start"),
        ("Finish", "finish"),
        ("Duration", "duration"),
        ("Work", "work"),
        ("Milestone", "milestone"),
        ("Summary", "summary"),
        ("PercentComplete", "percent"),
        ("Notes", "notes"),
    )
}
_LINK_CHILDREN = {
    _Q + "PredecessorUID": 0,
    _Q + "Type": 1,
    _Q + "LinkLag": 2,
    _Q + "LagFormat": 3,
}

_KINDS = {kind.value: kind for kind in WorkItemKind}
_ID = schema.MBF_ID.alias
_KIND = schema.MBF_KIND.alias
_STATE = schema.MBF_STATE.alias
_ASSIGNEE = schema.MBF_ASSIGNEE.alias
_PRIORITY = schema.MBF_PRIORITY.alias
_TAGS = schema.MBF_TAGS.alias
_SOURCE = schema.MBF_SOURCE.alias
_ITERATION = schema.MBF_ITERATION.alias
_RELEASE = schema.MBF_RELEASE.alias
_LINKS = schema.MBF_LINKS.alias
_REFS = schema.MBF_REFS.alias
_EXTRA = schema.MBF_EXTRA.alias

_STATE_WORDS = {
    StateCategory.TODO: "Not Started",
    StateCategory.IN_PROGRESS: "In Progress",
    StateCategory.DONE: "Complete",
}
"""State words given to tasks Project created (they have percent complete, no state)."""


def looks_like_mspdi(path: Path) -> bool:
    """Whether ``path`` starts like a Microsoft Project XML file; never raises."""
    try:
        with path.open("rb") as stream:
            head = stream.read(_SNIFF_BYTES)
    except OSError:
        return False
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # Project can save XML as UTF-16
        head = head.decode("utf-16", errors="ignore").encode("utf-8")
    return b"<Project" in head and schema.NAMESPACE.encode() in head


@attrs.define(slots=True)
class _TaskRecord:
    """The raw text of one ``<Task>``; turned into an item once the whole file is read."""

    line: int
    uid: str | None = None
    row: str | None = None
    name: str | None = None
    is_null: str | None = None
    level: str | None = None
    priority: str | None = None
    start: str | None = None
    finish: str | None = None
    duration: str | None = None
    work: str | None = None
    milestone: str | None = None
    summary: str | None = None
    percent: str | None = None
    notes: str | None = None
    links: list[list[str | None]] = attrs.Factory(list)
    fields: dict[str, str] = attrs.Factory(dict)
    """Custom field values by field id."""
    named: dict[str, str] = attrs.Factory(dict)
    """Values of mbf's own custom fields by alias (filled in by the builder)."""


@attrs.define
class _Definitions:
    """Custom-field definitions: which field ids hold mbf's data, and every field's display name."""

    display_names: dict[str, str] = attrs.Factory(dict)
    mbf_ids: dict[str, str] = attrs.Factory(dict)
    """mbf alias -> field id in this file."""


_READ_CHILDREN = (*_SCALARS, _EXTENDED_ATTRIBUTE, _PREDECESSOR_LINK)
"""The task children the reader uses. Project and MPXJ write sixty or more per task; lxml picks
these out without making a Python object for each of the others (half the time per task)."""


def _parse_task(element: Any) -> _TaskRecord:
    record = _TaskRecord(line=element.sourceline or 0)
    fields = record.fields
    for child in element.iterchildren(*_READ_CHILDREN):
        tag = child.tag
        attribute = _SCALARS.get(tag)
        if attribute is not None:
            setattr(record, attribute, child.text)
        elif tag == _EXTENDED_ATTRIBUTE:
            # Project always writes FieldID then Value; anything else takes the careful path.
            if len(child) == 2:
                first, second = child[0], child[1]  # lxml makes a new proxy at each access
                if first.tag == _FIELD_ID and second.tag == _VALUE:
                    fields[first.text or ""] = second.text or ""
                    continue
            field_id = value = None
            for part in child:
                if part.tag == _FIELD_ID:
                    field_id = part.text
                elif part.tag == _VALUE:
                    value = part.text
            if field_id is not None:
                fields[field_id] = value or ""
        elif tag == _PREDECESSOR_LINK:
            link: list[str | None] = [None, None, None, None]
            for part in child:
                index = _LINK_CHILDREN.get(part.tag)
                if index is not None:
                    link[index] = part.text
            record.links.append(link)
    return record


def _parse_definitions(element: Any) -> _Definitions:
    definitions = _Definitions()
    for definition in element:
        field_id = definition.findtext(_Q + "FieldID")
        if field_id is None:
            continue
        alias = definition.findtext(_Q + "Alias")
        name = alias or definition.findtext(_Q + "FieldName") or field_id
        definitions.display_names[field_id] = name
        if alias in schema.MBF_ALIASES:
            definitions.mbf_ids[alias] = field_id
    return definitions


@attrs.define
class _Document:
    """Everything read from the file before items are built."""

    tasks: list[_TaskRecord] = attrs.Factory(list)
    definitions: _Definitions = attrs.Factory(_Definitions)
    resources: dict[str, str] = attrs.Factory(dict)
    assignments: list[tuple[str, str]] = attrs.Factory(list)


def _refuse_doctype(path: Path) -> None:
    with path.open("rb") as stream:
        head = stream.read(_SNIFF_BYTES)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = head.decode("utf-16", errors="ignore").encode("utf-8")
    if b"<!DOCTYPE" in head:
        raise InputError("XML with a DTD is refused (entity expansion is not allowed)", path=path)


def _parse(path: Path) -> _Document:
    _refuse_doctype(path)
    return _read_elements(str(path), path)


def _parse_own_layout(path: Path) -> _Document | None:
    """The document of a plan in the layout mbf writes (see :mod:`mbf_msproject.layout`), its
    header parsed with lxml and its tasks scanned; ``None`` for any other file."""
    with path.open("rb") as stream:
        layout = scan_own_layout(stream)
    if layout is None:
        return None
    header, tasks = layout
    try:
        document = _read_elements(io.BytesIO(header + b"</Project>"), path)
    except InputError:
        return None
    # Line 0: a task's error is reported after reading the file again with lxml (see read_mspdi).
    document.tasks += [
        _TaskRecord(0, *texts, links=links, fields=fields) for texts, links, fields in tasks
    ]
    return document


def _read_elements(source: str | IO[bytes], path: Path) -> _Document:
    """Tasks, custom-field definitions, resources and assignments of the XML in ``source``."""
    from lxml import etree

    document = _Document()
    events = etree.iterparse(
        source,
        events=("end",),
        tag=(_TASK, _DEFINITIONS, _RESOURCE, _ASSIGNMENT),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        remove_comments=True,
        remove_pis=True,
        # Project and MPXJ indent every element: whitespace between elements is no value, and
        # nothing refers to xml:id. Skipping both parses a 20,000-task plan a tenth faster.
        remove_blank_text=True,
        collect_ids=False,
    )
    try:
        for _event, element in events:
            tag = element.tag
            if tag == _TASK:
                document.tasks.append(_parse_task(element))
            elif tag == _DEFINITIONS:
                document.definitions = _parse_definitions(element)
            elif tag == _RESOURCE:
                uid, name = element.findtext(_Q + "UID"), element.findtext(_Q + "Name")
                if uid is not None and name:
                    document.resources[uid] = name
            else:
                task_uid = element.findtext(_Q + "TaskUID")
                resource_uid = element.findtext(_Q + "ResourceUID")
                if task_uid is not None and resource_uid is not None:
                    document.assignments.append((task_uid, resource_uid))
            element.clear()
            # Drop what was read so a large plan is never held in memory twice.
            while element.getprevious() is not None:
                del element.getparent()[0]
    except etree.XMLSyntaxError as error:
        line = error.position[0] if error.position else None
        where = f"line {line}: " if line else ""
        raise InputError(f"{where}not well-formed XML: {error.msg}", path=path) from None
    root = events.root
    if root is None or root.tag != _Q + "Project":
        found = "nothing" if root is None else repr(root.tag)
        raise InputError(
            f"not a Microsoft Project XML file: the root element is {found}, "
            f"expected Project in namespace {schema.NAMESPACE}",
            path=path,
        )
    if root.getroottree().docinfo.doctype:
        raise InputError("XML with a DTD is refused (entity expansion is not allowed)", path=path)
    return document


class _Builder:
    """Turns task records into items, iterations and releases."""

    def __init__(self, path: Path, document: _Document, context: Context) -> None:
        self.path = path
        self.document = document
        self.context = context
        self.mbf_ids = document.definitions.mbf_ids
        self.iterations: list[Iteration] = []
        self.releases: list[Release] = []
        self.item_ids: dict[str, str] = {}
        """Task UID -> item id, for the tasks that became items."""
        self.skipped = 0
        self.dangling_links = 0
        self.percent_lags = 0
        self.renamed: list[str] = []
        self.resources_by_task: dict[str, str] = {}
        self.dates: dict[str, dt.date] = {}
        self.durations: dict[str, float] = {}
        self.mbf_field_ids = frozenset(self.mbf_ids.values())

    # -- helpers -------------------------------------------------------------------------

    def fail(self, record: _TaskRecord, message: str) -> InputError:
        who = f"task UID {record.uid}" if record.uid is not None else "task"
        return InputError(f"line {record.line}, {who}: {message}", path=self.path)

    def field(self, record: _TaskRecord, field: schema.CustomField) -> str | None:
        return record.named.get(field.alias)

    def integer(self, record: _TaskRecord, name: str, text: str | None) -> int | None:
        if text is None:
            return None
        try:
            return int(text)
        except ValueError:
            if not text.strip():
                return None
            raise self.fail(record, f"{name} {text!r} is not a whole number") from None

    def date(self, record: _TaskRecord, name: str, text: str | None) -> dt.date | None:
        if text is None:
            return None
        # Plans repeat the same few dates and durations; each distinct text is parsed once.
        day = self.dates.get(text)
        if day is None and text.strip():
            try:
                day = self.dates[text] = dt.datetime.fromisoformat(text.strip()).date()
            except ValueError:
                raise self.fail(record, f"{name} {text!r} is not a date and time") from None
        return day

    def hours(self, record: _TaskRecord, name: str, text: str | None) -> float | None:
        if text is None:
            return None
        hours = self.durations.get(text)
        if hours is None and text.strip():
            try:
                hours = self.durations[text] = parse_duration_hours(text)
            except ValueError:
                raise self.fail(
                    record, f"{name} {text!r} is not a duration such as PT8H0M0S"
                ) from None
        return hours

    def json_field(self, record: _TaskRecord, field: schema.CustomField, expected: type) -> Any:
        text = self.field(record, field)
        if text is None:
            return expected()
        try:
            value = json.loads(text)
        except ValueError:
            value = None
        if not isinstance(value, expected):
            raise self.fail(
                record, f"custom field {field.alias!r} is not a JSON {expected.__name__}"
            )
        return value

    # -- the pass over the tasks ---------------------------------------------------------

    def ordered_records(self) -> list[_TaskRecord]:
        records = self.document.tasks
        try:
            # Whole-number UIDs and IDs, the usual case, need no check task by task.
            for record in records:
                int(record.uid or "")
            rows = [int(record.row or "") for record in records]
        except ValueError:
            pass  # a missing or bad one: the careful pass below finds it
        else:
            order = sorted(range(len(records)), key=rows.__getitem__)
            return [records[i] for i in order]
        for record in records:
            if record.uid is None or not record.uid.strip():
                raise self.fail(record, "has no UID")
            self.integer(record, "UID", record.uid)
        # Project shows tasks in ID order; the file order is the fallback when IDs are missing.
        if all(r.row is not None for r in records):
            return sorted(records, key=lambda r: self.integer(r, "ID", r.row) or 0)
        return list(records)

    def build(self) -> Backlog:
        parent_stack: list[tuple[int, str]] = []
        placed: list[tuple[_TaskRecord, str, str | None, int, str | None, bool]] = []
        taken_ids: set[str] = set()
        alias_of = {field_id: alias for alias, field_id in self.mbf_ids.items()}
        for record in self.ordered_records():
            if alias_of:
                record.named = {
                    alias_of[field_id]: value
                    for field_id, value in record.fields.items()
                    if field_id in alias_of
                }
            level = self.integer(record, "OutlineLevel", record.level)
            if record.uid == "0" or level == 0 or record.is_null == "1":
                continue
            mbf_id = record.named.get(_ID) or None  # an emptied id is no id
            if not (record.name or "").strip() and mbf_id is None:
                self.skipped += 1  # a blank row with no name: nothing to migrate
                continue
            level = level or 1
            while parent_stack and parent_stack[-1][0] >= level:
                parent_stack.pop()
            parent_uid = parent_stack[-1][1] if parent_stack else None
            parent_stack.append((level, record.uid or ""))
            kind = record.named.get(_KIND)
            if kind in schema.PLANNING_KINDS:
                self.planning_row(record, kind, mbf_id)
                continue
            item_id = mbf_id if mbf_id is not None else f"mspdi:{record.uid}"
            if item_id in taken_ids:
                self.renamed.append(item_id)
                item_id = f"mspdi:{record.uid}"
            taken_ids.add(item_id)
            parent_id = self.item_ids.get(parent_uid) if parent_uid is not None else None
            self.item_ids[record.uid or ""] = item_id
            placed.append((record, item_id, kind, level, parent_id, mbf_id is not None))
        # Items are built once every task's id is known, so links can name their targets.
        self.resources_by_task = self.assigned_resources()
        items = [
            self.item(record, item_id, kind, level, parent_id, written_by_mbf=by_mbf)
            for record, item_id, kind, level, parent_id, by_mbf in placed
        ]
        self.report()
        return Backlog(items=items, iterations=self.iterations, releases=self.releases)

    def assigned_resources(self) -> dict[str, str]:
        """Task UID -> names of the resources assigned to it, in assignment order."""
        names: dict[str, list[str]] = {}
        for task_uid, resource_uid in self.document.assignments:
            name = self.document.resources.get(resource_uid)
            if name and name not in names.setdefault(task_uid, []):
                names[task_uid].append(name)
        return {task_uid: ", ".join(found) for task_uid, found in names.items()}

    def planning_row(self, record: _TaskRecord, kind: str, mbf_id: str | None) -> None:
        row_id = mbf_id if mbf_id is not None else f"mspdi:{record.uid}"
        name = record.name or ""
        start = self.date(record, "Start", record.start)
        if kind == schema.ITERATION:
            capacity_text = self.field(record, schema.MBF_CAPACITY)
            try:
                capacity = float(capacity_text) if capacity_text is not None else None
            except ValueError:
                raise self.fail(record, f"capacity {capacity_text!r} is not a number") from None
            self.iterations.append(
                Iteration(
                    id=row_id,
                    name=name,
                    path=self.field(record, schema.MBF_ITERATION_PATH) or "",
                    start=start,
                    finish=self.date(record, "Finish", record.finish),
                    capacity=capacity,
                )
            )
        elif kind == schema.RELEASE:
            workloads = self.field(record, schema.MBF_SOURCE)
            self.releases.append(
                Release(
                    id=row_id,
                    name=name,
                    date=start,
                    workload_ids=decode_list(workloads) if workloads else (),
                )
            )

    def item(
        self,
        record: _TaskRecord,
        item_id: str,
        kind_text: str | None,
        level: int,
        parent_id: str | None,
        *,
        written_by_mbf: bool,
    ) -> WorkItem:
        named = record.named
        percent = self.integer(record, "PercentComplete", record.percent) or 0
        category = (
            StateCategory.DONE
            if percent >= 100
            else StateCategory.IN_PROGRESS
            if percent > 0
            else StateCategory.TODO
        )
        if kind_text is not None:
            kind = self.kind(record, kind_text)
        else:
            kind = self.kind_from_outline(record, level)
        work = self.hours(record, "Work", record.work)
        estimate = work if work is not None and (written_by_mbf or work > 0) else None
        state = named.get(_STATE)
        assignee = named.get(_ASSIGNEE)
        priority_text = named.get(_PRIORITY)
        priority = self.integer(record, "mbf priority", priority_text)
        if not written_by_mbf:
            if state is None:
                state = _STATE_WORDS[category]
            if assignee is None:
                assignee = self.resources_by_task.get(record.uid or "", "")
            if priority_text is None:
                priority = self.priority_from_project(record)
        tags, source = named.get(_TAGS), named.get(_SOURCE)
        return WorkItem(
            id=item_id,
            kind=kind,
            title=record.name or "",
            description=record.notes or "",
            parent_id=parent_id,
            state=state or "",
            state_category=category,
            assignee=assignee or "",
            priority=priority,
            tags=decode_list(tags) if tags else (),
            iteration_id=named.get(_ITERATION),
            release_id=named.get(_RELEASE),
            estimate=estimate,
            start=self.date(record, "Start", record.start),
            finish=self.date(record, "Finish", record.finish),
            links=self.links(record) if record.links or _LINKS in named else (),
            source=decode_list(source) if source else (),
            refs=self.refs(record) if _REFS in named else {},
            extra=self.extra(record, written_by_mbf=written_by_mbf),
        )

    def kind(self, record: _TaskRecord, text: str) -> WorkItemKind:
        kind = _KINDS.get(text)
        if kind is None:
            kinds = ", ".join(k.value for k in WorkItemKind)
            raise self.fail(record, f"mbf kind {text!r} is not one of {kinds}")
        return kind

    def kind_from_outline(self, record: _TaskRecord, level: int) -> WorkItemKind:
        # A task Project created: summaries by depth (epic, feature, story), leaves are tasks.
        if record.summary != "1":
            return WorkItemKind.TASK
        return (
            (WorkItemKind.EPIC, WorkItemKind.FEATURE)[level - 1]
            if level <= 2
            else WorkItemKind.STORY
        )

    def priority_from_project(self, record: _TaskRecord) -> int | None:
        priority = self.integer(record, "Priority", record.priority)
        if priority is None or priority == 500:
            return None
        return max(1, round((1000 - priority) / 100) + 1)

    def refs(self, record: _TaskRecord) -> dict[str, TrackerRef]:
        raw = self.json_field(record, schema.MBF_REFS, dict)
        try:
            return {str(service): TrackerRef(**ref) for service, ref in raw.items()}
        except TypeError:
            raise self.fail(
                record, "custom field 'mbf refs' does not hold tracker references"
            ) from None

    def extra(self, record: _TaskRecord, *, written_by_mbf: bool) -> dict[str, Any]:
        extra: dict[str, Any] = (
            dict(self.json_field(record, schema.MBF_EXTRA, dict)) if _EXTRA in record.named else {}
        )
        if len(record.fields) > len(record.named):
            # Custom fields that are not mbf's (a Project user's own columns) keep their name.
            names = self.document.definitions.display_names
            for field_id, value in record.fields.items():
                if field_id not in self.mbf_field_ids:
                    extra.setdefault(names.get(field_id, field_id), value)
        if not written_by_mbf:
            duration = self.hours(record, "Duration", record.duration)
            if duration is not None:
                extra.setdefault(schema.DURATION_KEY, duration)
        return extra

    def links(self, record: _TaskRecord) -> tuple[Link, ...]:
        """Predecessor links in file order, with the 'mbf links' entries put back at their places."""
        links = list(self.predecessor_links(record)) if record.links else []
        if _LINKS not in record.named:
            return tuple(links)
        try:
            for position, target, kind, type_, lag in self.json_field(
                record, schema.MBF_LINKS, list
            ):
                link = Link(
                    target_id=target, kind=LinkKind(kind), type=DependencyType(type_), lag_hours=lag
                )
                links.insert(min(int(position), len(links)), link)
        except (TypeError, ValueError):
            raise self.fail(record, "custom field 'mbf links' does not hold links") from None
        return tuple(links)

    def predecessor_links(self, record: _TaskRecord) -> Iterator[Link]:
        for predecessor, type_code, lag_text, lag_format in record.links:
            target = self.item_ids.get(predecessor or "")
            if target is None:
                self.dangling_links += 1  # external, planning row or unknown UID
                continue
            link_type = schema.LINK_TYPES_BY_CODE.get(type_code or "1")
            if link_type is None:
                raise self.fail(record, f"predecessor link type {type_code!r} is not 0, 1, 2 or 3")
            lag = self.integer(record, "LinkLag", lag_text) or 0
            if lag_format in schema.PERCENT_LAG_FORMATS:
                self.percent_lags += 1
                lag = 0
            yield Link(target_id=target, type=link_type, lag_hours=lag / schema.LAG_UNITS_PER_HOUR)

    def report(self) -> None:
        warn = self.context.diagnostics.warn
        if self.skipped:
            warn(f"mspdi: {self.path}: {self.skipped} blank tasks without a name were skipped")
        if self.dangling_links:
            warn(
                f"mspdi: {self.path}: {self.dangling_links} predecessor links point to tasks "
                "outside the backlog (other projects, skipped rows) and were left out"
            )
        if self.percent_lags:
            warn(f"mspdi: {self.path}: {self.percent_lags} percentage lags were read as no lag")
        if self.renamed:
            warn(
                f"mspdi: {self.path}: {len(self.renamed)} tasks repeat an mbf id (copied rows?) "
                f"and were given their UID instead, e.g. {self.renamed[0]!r}"
            )


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    # Reading builds tens of thousands of objects without a single reference cycle; the cyclic
    # collector would rescan them again and again (a quarter of the read time of a 20k-task plan).
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def read_mspdi(path: Path, context: Context) -> Backlog:
    """Read a Microsoft Project XML file (saved by mbf or by Project 2002-2019) into a backlog."""
    with _collector_paused():
        _refuse_doctype(path)
        document = _parse_own_layout(path)
        if document is not None:
            try:
                return _Builder(path, document, context).build()
            except InputError:
                pass  # the error names the task's line, which only lxml knows: read it again
        return _Builder(path, _parse(path), context).build()
