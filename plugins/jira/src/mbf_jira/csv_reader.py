"""Reading the ``jira-csv`` format: importer files (as :mod:`.csv_format` writes them) and
"CSV (all fields)" exports of Server, Data Center and Cloud: repeated headers grouped by position
(rows wider than the header add to the last column), ``Custom field (X)``, ``Parent`` /
``Parent id`` / ``Parent key`` / ``Custom field (Epic Link)``, ``Inward/Outward issue link
(Blocks|Relates)``, several date formats. Columns mbf has no field for are kept in ``extra``
under their header, so they survive a round trip.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from mbf.domain import (
    Backlog,
    Iteration,
    Link,
    LinkKind,
    Release,
    StateCategory,
    TrackerRef,
    WorkItem,
    WorkItemKind,
    slug,
)
from mbf.errors import InputError
from mbf.plugin import Context
from mbf_jira.cells import (
    parse_date,
    restore,
)
from mbf_jira.csv_format import (
    FIX_VERSION,
    HEADER_FIELDS,
    ID_LABEL_PREFIX,
    ISSUE_TYPE,
    PARENT,
    PRIORITY,
    SPRINT,
    settings_of,
)
from mbf_jira.format import FORMAT_NAME, JiraCsvSettings
from mbf_jira.vocabulary import (
    PRIORITY_NAMES,
    SERVICE_NAME,
    kind_of_issue_type,
    priority_of,
    state_category_of_status,
    state_category_of_status_category,
)

__all__ = ["looks_like_jira_csv", "read_jira_csv"]

_LINK_COLUMN = re.compile(r"^(inward|outward) issue link \((blocks|relates)\)$")
_LOCALISED_CUSTOM_FIELD = "champs personnalisés ("
_MULTI = frozenset({"labels", "sprint", "fix_version"})  # fields that hold a value per column


@attrs.frozen(kw_only=True)
class _Columns:
    """Where each field is in a file's header; repeated headers grouped by position."""

    width: int
    fields: Mapping[str, tuple[int, ...]]
    """Canonical field -> its columns, left to right."""
    links: tuple[tuple[str, str, str, tuple[int, ...]], ...]
    """``(header, direction, link type, columns)`` of each link column group."""
    extras: tuple[tuple[str, tuple[int, ...]], ...]
    """``(header, columns)`` of every column group mbf has no field for."""
    last: int
    """Column that cells beyond the header belong to (some exports write rows wider than it)."""

    @classmethod
    def from_header(cls, header: Sequence[str], path: Path) -> _Columns:
        fields: dict[str, list[int]] = {}
        links: dict[str, tuple[str, str, list[int]]] = {}
        extras: dict[str, list[int]] = {}
        for i, raw in enumerate(header):
            name = raw.strip()
            folded = name.casefold()
            if folded.startswith(_LOCALISED_CUSTOM_FIELD):
                name = "Custom field (" + name[len(_LOCALISED_CUSTOM_FIELD) :]
                folded = name.casefold()
            field = HEADER_FIELDS.get(folded)
            link = _LINK_COLUMN.match(folded)
            if field is not None:
                fields.setdefault(field, []).append(i)
            elif link:
                links.setdefault(name, (link[1], link[2], []))[2].append(i)
            elif name:
                extras.setdefault(name, []).append(i)
        if "summary" not in fields:
            raise InputError(
                "missing column; Jira CSV files need 'Summary'", path=path, row=1, column="Summary"
            )
        return cls(
            width=len(header),
            fields={k: tuple(v) for k, v in fields.items()},
            links=tuple((h, d, t, tuple(c)) for h, (d, t, c) in links.items()),
            extras=tuple((h, tuple(c)) for h, c in extras.items()),
            last=len(header) - 1,
        )


def _first_row(path: Path) -> list[str]:
    with path.open("rb") as stream:
        head = stream.read(8192)
    first_line = head.decode("utf-8-sig", errors="replace").splitlines()[:1]
    return next(csv.reader(first_line), []) if first_line else []


def looks_like_jira_csv(path: Path) -> bool:
    """Whether ``path`` is a Jira CSV: ``Summary`` beside an issue key, id or type column."""
    try:
        names = {h.strip().casefold() for h in _first_row(path)}
    except (OSError, csv.Error):
        return False
    if "summary" not in names and "résumé" not in names:
        return False
    return bool(names & {"issue key", "issue id", "issue type", "clé de ticket"}) and (
        "work item type" not in names
    )


@attrs.define
class _PendingLink:
    position: int
    header: str
    direction: str
    link_type: str
    keys: list[str]


class _JiraRowReader:
    """Turns the rows of a Jira CSV into work items; references are resolved at the end."""

    def __init__(self, settings: JiraCsvSettings, path: Path) -> None:
        self.path = path
        self.types = settings.types_by_kind()
        self.kind_of_type = {name.casefold(): kind for kind, name in self.types.items()}
        self.items: list[WorkItem] = []
        self.sprints: dict[str, Iteration] = {}
        self.versions: dict[str, Release] = {}
        self.item_of_issue_id: dict[str, str] = {}
        self.item_of_key: dict[str, str] = {}
        self.parents: list[tuple[int, str, bool]] = []  # (position, reference, is a key)
        self.links: list[_PendingLink] = []
        self.unknown_statuses: dict[str, int] = {}
        self.warnings: list[str] = []

    def _named(self, store: dict[str, Any], name: str, make: Callable[[str, str], Any]) -> str:
        found = store.get(name)
        if found is None:
            taken = {entry.id for entry in store.values()}
            candidate = base = slug(name) or "unnamed"
            n = 2
            while candidate in taken:
                candidate = f"{base}-{n}"
                n += 1
            found = store[name] = make(candidate, name)
        return str(found.id)

    def read_rows(self, rows: Iterator[list[str]], columns: _Columns) -> None:
        """Read every data row. Written for speed, like the Boards reader: positions are looked
        up once, a missing column points at an empty cell appended to each row, and a
        single-value field spread over repeated columns is folded into its first column."""
        path = self.path
        width = columns.width
        absent = width
        fields = columns.fields
        at = {field: indexes[0] for field, indexes in fields.items()}
        folded = [
            indexes for field, indexes in fields.items() if len(indexes) > 1 and field not in _MULTI
        ]
        i_summary, i_key, i_issue_id = (
            at["summary"],
            at.get("issue_key", absent),
            at.get("issue_id", absent),
        )
        i_type, i_status = at.get("issue_type", absent), at.get("status", absent)
        i_category, i_priority = at.get("status_category", absent), at.get("priority", absent)
        i_assignee, i_name = at.get("assignee", absent), at.get("assignee_name", absent)
        i_description, i_estimate = at.get("description", absent), at.get("estimate", absent)
        i_start, i_due = at.get("start", absent), at.get("due", absent)
        i_parent, i_parent_key = at.get("parent", absent), at.get("parent_key", absent)
        i_epic_link = at.get("epic_link", absent)
        label_columns = fields.get("labels", ())
        sprint_columns = fields.get("sprint", ())
        version_columns = fields.get("fix_version", ())
        last = columns.last
        kinds: dict[str, tuple[WorkItemKind, bool]] = {}
        categories: dict[tuple[str, str], StateCategory] = {}
        items = self.items
        row_number = 1

        def fail(message: str, column: str | None = None) -> InputError:
            return InputError(message, path=path, row=row_number, column=column)

        while True:
            try:
                row = next(rows, None)
            except csv.Error as exc:
                row_number += 1
                raise fail(f"malformed CSV: {exc}") from None
            row_number += 1
            if row is None:
                break
            count = len(row)
            overflow: list[str] = []
            if count == width:
                row.append("")
            elif count < width:
                row.extend([""] * (width + 1 - count))
            else:
                overflow = [cell for cell in row[width:] if cell]
                del row[width:]
                row.append("")
            for indexes in folded:
                row[indexes[0]] = next((row[i] for i in indexes if row[i]), "")

            title = row[i_summary]
            if not title.strip():
                if not any(row) and not overflow:
                    continue  # blank line, or a spreadsheet's row of commas
                raise fail("the row has no summary", "Summary")
            if title[:1] == "'":
                title = restore(title)
            key = row[i_key].strip()
            issue_id = row[i_issue_id].strip()

            own_id = ""
            tags: list[str] = []
            label_cells = [row[i] for i in label_columns if row[i]]
            if overflow and last in label_columns:
                label_cells += overflow
            for cell in label_cells:
                label = restore(cell.strip())
                if label.startswith(ID_LABEL_PREFIX):
                    own_id = label[len(ID_LABEL_PREFIX) :]
                elif label:
                    tags.append(label)
            if not own_id:
                own_id = f"jira:{key}" if key else f"jira:row-{row_number}"

            extra: dict[str, Any] = {}
            issue_type = row[i_type].strip()
            kind_and_kept = kinds.get(issue_type)
            if kind_and_kept is None:
                kind_and_kept = kinds[issue_type] = self.kind_of(issue_type)
            kind, keep_type = kind_and_kept
            if keep_type:
                extra[ISSUE_TYPE] = issue_type

            state = restore(row[i_status].strip()) or "To Do"
            status_category = row[i_category].strip()
            category = categories.get((state, status_category))
            if category is None:
                category = categories[state, status_category] = self.category_of(
                    state, status_category
                )
            elif state in self.unknown_statuses:
                self.unknown_statuses[state] += 1

            priority_name = row[i_priority].strip()
            priority = None
            if priority_name:
                priority = priority_of(priority_name)
                if not priority_name.isdigit() and (
                    priority is None or PRIORITY_NAMES.get(priority) != priority_name
                ):
                    extra[PRIORITY] = priority_name  # a site-specific name: keep the word itself

            address = row[i_assignee].strip()
            name = row[i_name].strip()
            if address[:1] == "'":
                address = restore(address)
            if name[:1] == "'":
                name = restore(name)
            assignee = f"{name} <{address}>" if name and address else (address or name)

            sprints = [restore(row[i].strip()) for i in sprint_columns if row[i]]
            if overflow and last in sprint_columns:
                sprints += [restore(v.strip()) for v in overflow]
            if sprints:
                sprints = [s for s in sprints if s]
                if len(sprints) > 1:  # the issue's current sprint is the last; the rest is history
                    extra[SPRINT] = sprints[:-1]
            versions = [restore(row[i].strip()) for i in version_columns if row[i]]
            if overflow and last in version_columns:
                versions += [restore(v.strip()) for v in overflow]
            if versions:
                versions = [v for v in versions if v]
                if len(versions) > 1:
                    extra[FIX_VERSION] = versions[1:]

            estimate_text = row[i_estimate].strip()
            try:
                estimate = int(float(estimate_text)) / 3600 if estimate_text else None
            except ValueError:
                raise fail(
                    f"{estimate_text!r} is not a number of seconds", "Original Estimate"
                ) from None
            start_text, due_text = row[i_start].strip(), row[i_due].strip()
            try:
                start = parse_date(start_text) if start_text else None
            except ValueError:
                raise fail(
                    f"{start_text!r} is not a date (e.g. 28/Nov/25 5:03 PM)", "Start Date"
                ) from None
            try:
                due = parse_date(due_text) if due_text else None
            except ValueError:
                raise fail(
                    f"{due_text!r} is not a date (e.g. 28/Nov/25 5:03 PM)", "Due Date"
                ) from None

            position = len(items)
            # Parents usually come first (importer files must be top-down): resolve them now, and
            # only keep a reference to a parent further down the file for the end.
            parent_id = None
            if parent := row[i_parent].strip():
                parent_id = self._resolve(parent, is_key=False)
                if parent_id is None:
                    self.parents.append((position, parent, False))
            elif parent_key := (row[i_parent_key] or row[i_epic_link]).strip():
                parent_id = self._resolve(parent_key, is_key=True)
                if parent_id is None:
                    self.parents.append((position, parent_key, True))
            for header, direction, link_type, indexes in columns.links:
                keys = [row[i].strip() for i in indexes if row[i].strip()]
                if keys:
                    self.links.append(_PendingLink(position, header, direction, link_type, keys))
            for header, indexes in columns.extras:
                found = [row[i] for i in indexes if row[i]]
                if overflow and last in indexes:
                    found += overflow
                if found:
                    found = [restore(v.replace("\r\n", "\n") if "\r" in v else v) for v in found]
                    extra[header] = found if len(indexes) > 1 or len(found) > 1 else found[0]

            description = row[i_description]
            if description:
                if "\r" in description:
                    description = description.replace("\r\n", "\n")
                description = restore(description)
            if issue_id:
                self.item_of_issue_id[issue_id] = own_id
            if key:
                self.item_of_key[key] = own_id
            items.append(
                WorkItem(
                    id=own_id,
                    kind=kind,
                    title=title,
                    description=description,
                    parent_id=parent_id,
                    state=state,
                    state_category=category,
                    assignee=assignee,
                    priority=priority,
                    tags=tags,
                    iteration_id=self._named(self.sprints, sprints[-1], _sprint)
                    if sprints
                    else None,
                    release_id=self._named(self.versions, versions[0], _version)
                    if versions
                    else None,
                    estimate=estimate,
                    start=start,
                    finish=due,
                    refs={SERVICE_NAME: TrackerRef(key=key)} if key else {},
                    extra=extra,
                )
            )

    def kind_of(self, issue_type: str) -> tuple[WorkItemKind, bool]:
        """The kind of an issue type, and whether the type must be kept (not the kind's default)."""
        kind = self.kind_of_type.get(issue_type.casefold()) or kind_of_issue_type(issue_type)
        if kind is None:
            kind = WorkItemKind.STORY
        return kind, bool(issue_type) and issue_type != self.types[kind]

    def category_of(self, state: str, status_category: str) -> StateCategory:
        """The category the ``Status Category`` cell names, else the usual one of the status."""
        category = state_category_of_status_category(status_category) or state_category_of_status(
            state
        )
        if category is None:
            self.unknown_statuses[state] = self.unknown_statuses.get(state, 0) + 1
            category = StateCategory.TODO
        return category

    def _resolve(self, reference: str, is_key: bool) -> str | None:
        first, second = (
            (self.item_of_key, self.item_of_issue_id)
            if is_key
            else (self.item_of_issue_id, self.item_of_key)
        )
        return first.get(reference) or second.get(reference)

    def backlog(self) -> Backlog:
        items = self.items
        unresolved_parents = 0
        for position, reference, is_key in self.parents:
            parent_id = self._resolve(reference, is_key)
            if parent_id is not None:
                items[position] = attrs.evolve(items[position], parent_id=parent_id)
            else:  # parent outside the export: keep the reference for the importer
                items[position] = attrs.evolve(
                    items[position], extra={**items[position].extra, PARENT: reference}
                )
                unresolved_parents += 1
        self._apply_links()
        if unresolved_parents:
            self.warnings.append(
                f"{FORMAT_NAME}: {unresolved_parents} issue(s) have a parent that is not in the file; "
                f"it is kept in the extra field {PARENT!r}"
            )
        for status, times in sorted(self.unknown_statuses.items()):
            self.warnings.append(
                f"{FORMAT_NAME}: status {status!r} ({times} issue(s)) has no status category; "
                "counted as to do"
            )
        return Backlog(
            items=items,
            iterations=tuple(self.sprints.values()),
            releases=tuple(self.versions.values()),
        )

    def _apply_links(self) -> None:
        """Turn Blocks and Relates columns into links, each once, on the item that depends."""
        items = self.items
        new_links: dict[int, list[Link]] = {}
        seen: set[tuple[str, str, str]] = set()
        position_of = {item.id: n for n, item in enumerate(items)}
        unresolved = 0
        for pending in self.links:
            holder = items[pending.position].id
            kept: list[str] = []
            for key in pending.keys:
                other = self.item_of_key.get(key)
                if other is None:
                    kept.append(key)
                    continue
                if pending.link_type == "blocks":
                    # "A is blocked by B" (inward on A) and "B blocks A" (outward on B): A depends on B.
                    dependent, predecessor = (
                        (holder, other) if pending.direction == "inward" else (other, holder)
                    )
                    kind = LinkKind.DEPENDS_ON
                else:
                    dependent, predecessor = sorted((holder, other))
                    kind = LinkKind.RELATES_TO
                if (dependent, predecessor, kind) in seen:
                    continue
                seen.add((dependent, predecessor, kind))
                new_links.setdefault(position_of[dependent], []).append(
                    Link(target_id=predecessor, kind=kind)
                )
            if kept:  # issues outside the export: keep their keys so nothing is lost
                unresolved += len(kept)
                item = items[pending.position]
                items[pending.position] = attrs.evolve(
                    item, extra={**item.extra, pending.header: kept}
                )
        for position, links in new_links.items():
            items[position] = attrs.evolve(items[position], links=(*items[position].links, *links))
        if unresolved:
            self.warnings.append(
                f"{FORMAT_NAME}: {unresolved} issue link(s) point outside the file; "
                "kept in extra under their column"
            )


def _sprint(identifier: str, name: str) -> Iteration:
    return Iteration(id=identifier, name=name)


def _version(identifier: str, name: str) -> Release:
    return Release(id=identifier, name=name)


def _read(path: Path, context: Context, encoding: str) -> tuple[Backlog, list[str]]:
    reader = _JiraRowReader(settings_of(context), path)
    errors = "strict" if encoding.startswith("utf-8") else "replace"
    with path.open(encoding=encoding, errors=errors, newline="") as stream:
        rows = csv.reader(stream, strict=True)  # an unclosed quote must not eat the file
        try:
            header = next(rows, None)
        except csv.Error as exc:
            raise InputError(f"malformed CSV: {exc}", path=path, row=1) from None
        if header is None:
            raise InputError("the file is empty; expected a header with 'Summary'", path=path)
        reader.read_rows(rows, _Columns.from_header(header, path))
    backlog = reader.backlog()
    return backlog, reader.warnings


def read_jira_csv(path: Path, context: Context) -> Backlog:
    """Read a Jira CSV: an importer file (e.g. written by mbf) or an "all fields" export."""
    try:
        backlog, warnings = _read(path, context, "utf-8-sig")
    except UnicodeDecodeError:  # Excel's "Save as CSV" gives Windows-1252
        backlog, warnings = _read(path, context, "cp1252")
    for warning in warnings:
        context.diagnostics.warn(warning)
    return backlog
