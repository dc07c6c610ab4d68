"""The ``azure-devops`` live service: push a backlog to Azure Boards and pull it back (REST 7.1).

Push goes through :func:`mbf.sync.run_push`, which decides from the ledger what to create and
update. This module supplies the writes:

- **create**: one ``$batch`` request per batch of up to 200 items, each sub-request a
  ``POST``-style JSON Patch on ``workitems/$<type>`` carrying the fields, the ``mbf:<id>`` tag (and
  the id field when configured) and the parent link (``Hierarchy-Reverse`` to the parent's URL;
  the engine creates parents in an earlier batch). ``$batch`` is not transactional: each item
  succeeds or fails on its own (e.g. TF401320 rule errors) and is reported so.
- **update**: one ``$batch`` of field changes per batch (only the fields that changed since the
  last push; an item can be updated without any request when nothing Boards holds changed).
- **finish**: dependency links (``Dependency-Reverse`` to each predecessor) and related links
  added in a second pass once every item exists, again through ``$batch``.

Iterations become classification nodes with their dates and are added to the team's sprints, once:
the tree is read first and only missing nodes are created. A create that failed ambiguously (a
dropped connection, a 5xx) is retried only for the items the tracker does not hold yet, found by
their marker, so a retry never duplicates. Reads are WIQL (ids only, paged on ``System.Id``) then
``workitemsbatch`` in chunks of 200.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from mbf.domain import Backlog, Iteration, LinkKind, StateCategory, WorkItem
from mbf.errors import MbfError
from mbf.plugin import Context, PushReport, TrackerService
from mbf.sync import (
    BatchWriter,
    ItemOutcome,
    RetryPolicy,
    SyncLedger,
    Transient,
    chunks,
    plan_push,
    run_push,
    secret_from_environment,
)
from mbf_azure_devops.mapping import (
    ITERATION_PATH,
    LINK_RELATIONS,
    PARENT,
    STATE,
    TAGS,
    WORK_ITEM_TYPE,
    IterationPaths,
    WorkItemReader,
    day_of,
    item_fields,
    marker_tag,
    mbf_id_of,
)
from mbf_azure_devops.rest import JSON_PATCH, AzureDevOpsError, HttpStatusError, RestClient, segment
from mbf_azure_devops.settings import MAX_BATCH, PAT_VARIABLE, AzureDevOpsSettings
from mbf_azure_devops.vocabulary import SERVICE_NAME

if TYPE_CHECKING:
    import httpx

__all__ = ["WIQL_LIMIT", "AzureDevOpsClient", "azure_devops_service", "connect"]

WIQL_LIMIT = 20_000
"""Most ids one WIQL query returns (VS402337 past it); reads page below it on System.Id."""
_MARKERS_PER_QUERY = 100  # OR-ed tag conditions per WIQL query: well under its 32k-character limit
_ITERATION_DEPTH = 10


def azure_devops_service() -> TrackerService:
    """The service object the plugin registers."""
    return TrackerService(
        name=SERVICE_NAME,
        description="Azure DevOps Boards over REST 7.1 (PAT from AZURE_DEVOPS_EXT_PAT)",
        settings_type=AzureDevOpsSettings,
        connect=connect,
    )


def connect(settings: AzureDevOpsSettings, context: Context) -> AzureDevOpsClient:
    """An open client; the PAT comes from the environment only."""
    pat = secret_from_environment(PAT_VARIABLE, purpose=SERVICE_NAME)
    return AzureDevOpsClient(settings, context, pat)


def _quote_wiql(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class AzureDevOpsClient:
    """A connection to one Azure DevOps project: push, pull, close.

    ``retry``, ``transport`` and ``wiql_page`` are for tests (a sleep recorder, a smaller page).
    """

    def __init__(
        self,
        settings: AzureDevOpsSettings,
        context: Context,
        pat: str,
        *,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        wiql_page: int = WIQL_LIMIT - 1,
    ) -> None:
        self.settings = settings
        self.context = context
        self.wiql_page = wiql_page
        self.rest = RestClient(
            settings.organization_url,
            pat,
            api_version=settings.api_version,
            timeout=settings.timeout,
            retry=retry,
            transport=transport,
        )
        self._project = segment(settings.project)
        self._team = segment(settings.team_name)
        self._create_uris: dict[str, str] = {}

    # --- addresses -------------------------------------------------------------------------

    def item_url(self, key: str) -> str:
        """The REST URL of a work item: what relations point at."""
        return f"{self.rest.organization_url}/_apis/wit/workItems/{key}"

    def browser_url(self, key: str) -> str:
        """Where a person opens the work item."""
        return f"{self.rest.organization_url}/{self._project}/_workitems/edit/{key}"

    def _create_uri(self, work_item_type: str) -> str:
        uri = self._create_uris.get(work_item_type)
        if uri is None:  # a handful of types, thousands of items
            uri = (
                f"/{self._project}/_apis/wit/workitems/${segment(work_item_type)}"
                f"?api-version={self.settings.api_version}"
            )
            self._create_uris[work_item_type] = uri
        return uri

    def _update_uri(self, key: str) -> str:
        return f"/{self._project}/_apis/wit/workitems/{key}?api-version={self.settings.api_version}"

    # --- TrackerClient -----------------------------------------------------------------------

    def push(self, backlog: Backlog, ledger: SyncLedger, *, dry_run: bool = False) -> PushReport:
        """Create and update ``backlog``'s items; ``dry_run`` only plans (no request)."""
        if dry_run:
            plan = plan_push(backlog, ledger)
            return PushReport(
                created=tuple(i.id for i in plan.create),
                updated=tuple(i.id for i in plan.update),
                unchanged=tuple(i.id for i in plan.unchanged),
            )
        session = _PushSession(self, backlog, ledger)
        writes_before = self.rest.write_requests
        return run_push(
            backlog,
            ledger,
            BatchWriter(
                batch_size=self.settings.batch_size,
                create=session.create,
                update=session.update,
                find_marked=self.find_marked,
                finish=session.finish,
                # Every write request sent (retries included; an update of nothing sends none).
                write_requests=lambda: self.rest.write_requests - writes_before,
            ),
        )

    def pull(self) -> Backlog:
        """The project's work items of the configured types (and area), with their sprints."""
        reader = WorkItemReader(self.settings, self.browser_url)
        self._read_iterations(reader)
        types = sorted(set(self.settings.types_by_kind().values()))
        where = f"[{WORK_ITEM_TYPE}] IN ({', '.join(_quote_wiql(t) for t in types)})"
        if self.settings.area_path:
            where += f" AND [System.AreaPath] UNDER {_quote_wiql(self.settings.area_path)}"
        ids = self.query_ids(where)
        documents = self.read_items(ids, expand_relations=True)
        items = reader.read(documents)
        for state, count in sorted(reader.unknown_states.items()):
            self.context.diagnostics.warn(
                f"{SERVICE_NAME}: state {state!r} ({count} item(s)) is not a known Boards state; "
                "read as to do"
            )
        return Backlog(items=items, iterations=tuple(reader.iterations.values()))

    def close(self) -> None:
        """Close the connection."""
        self.rest.close()

    # --- reads -------------------------------------------------------------------------------

    def query_ids(self, where: str, *, retry: bool = True) -> list[int]:
        """Ids of the project's work items matching a WIQL condition, in id order.

        WIQL returns at most 20,000 ids, so the query pages on ``System.Id``."""
        ids: list[int] = []
        last = 0
        while True:
            query = (
                "SELECT [System.Id] FROM WorkItems WHERE [System.TeamProject] = @project "
                f"AND ({where}) AND [System.Id] > {last} ORDER BY [System.Id]"
            )
            document = self.rest.call(
                "POST",
                f"{self._project}/{self._team}/_apis/wit/wiql",
                params={"$top": str(self.wiql_page)},
                body={"query": query},
                retry=retry,
                read=True,
            )
            page = [int(reference["id"]) for reference in document.get("workItems", ())]
            ids += page
            if len(page) < self.wiql_page:
                return ids
            last = page[-1]

    def read_items(
        self,
        ids: Sequence[int],
        *,
        fields: Sequence[str] = (),
        expand_relations: bool = False,
        retry: bool = True,
    ) -> list[dict[str, Any]]:
        """Work items by id through ``workitemsbatch``, 200 per request (items deleted meanwhile
        are omitted)."""
        documents: list[dict[str, Any]] = []
        for chunk in chunks(ids, MAX_BATCH):
            body: dict[str, Any] = {"ids": list(chunk), "errorPolicy": "omit"}
            if expand_relations:
                body["$expand"] = "relations"  # all fields come along; fields cannot be combined
            elif fields:
                body["fields"] = list(fields)
            document = self.rest.call(
                "POST",
                f"{self._project}/_apis/wit/workitemsbatch",
                body=body,
                retry=retry,
                read=True,
            )
            documents += [d for d in document.get("value", ()) if d]
        return documents

    def relations_of(self, keys: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """The relations of work items, in Boards' order (what ``remove /relations/{i}`` counts)."""
        documents = self.read_items([int(k) for k in keys], expand_relations=True)
        return {str(d["id"]): list(d.get("relations") or ()) for d in documents}

    def find_marked(
        self, item_ids: Sequence[str], *, retry: bool = True
    ) -> dict[str, tuple[str, str]]:
        """Of ``item_ids``, those Boards already holds (by their marker), as ``{id: (key, url)}``."""
        id_field = self.settings.id_field
        wanted = set(item_ids)
        found: dict[str, tuple[str, str]] = {}
        for chunk in chunks(sorted(wanted), _MARKERS_PER_QUERY):
            if id_field:
                where = f"[{id_field}] IN ({', '.join(_quote_wiql(i) for i in chunk)})"
            else:
                where = " OR ".join(
                    f"[{TAGS}] CONTAINS {_quote_wiql(marker_tag(i))}" for i in chunk
                )
            keys = self.query_ids(where, retry=retry)
            read_fields = ["System.Id", TAGS, *([id_field] if id_field else [])]
            for document in self.read_items(keys, fields=read_fields, retry=retry):
                mbf_id = mbf_id_of(document.get("fields", {}), id_field)
                key = str(document["id"])
                # The oldest item wins should a marker ever be on two items.
                if mbf_id in wanted and mbf_id not in found:
                    found[mbf_id] = (key, self.browser_url(key))
        return found

    def _read_iterations(self, reader: WorkItemReader) -> None:
        tree = self.rest.call(
            "GET",
            f"{self._project}/_apis/wit/classificationnodes/Iterations",
            params={"$depth": str(_ITERATION_DEPTH)},
        )
        project = self.settings.project

        def walk(node: Mapping[str, Any], trail: tuple[str, ...]) -> None:
            for child in node.get("children") or ():
                path = (*trail, str(child["name"]))
                attributes = child.get("attributes") or {}
                reader.add_iteration(
                    "\\".join((project, *path)),
                    str(child["name"]),
                    day_of(attributes.get("startDate")),
                    day_of(attributes.get("finishDate")),
                )
                walk(child, path)

        walk(tree, ())

    # --- writes ------------------------------------------------------------------------------

    def send_batch(self, subrequests: Sequence[Mapping[str, Any]], *, retry: bool = True) -> Any:
        """One ``$batch`` request (org-scoped); returns the per-sub-request results."""
        document = self.rest.call("PATCH", "_apis/wit/$batch", body=list(subrequests), retry=retry)
        results = document.get("value", []) if isinstance(document, Mapping) else []
        if len(results) != len(subrequests):
            raise AzureDevOpsError(
                f"$batch answered {len(results)} result(s) for {len(subrequests)} request(s)"
            )
        return results


def _batch_body(result: Mapping[str, Any]) -> Any:
    """The JSON of one ``$batch`` result (its body is a JSON document inside a string)."""
    body = result.get("body")
    if isinstance(body, str):
        try:
            return json.loads(body) if body else None
        except ValueError:
            return body
    return body


def _batch_error(result: Mapping[str, Any]) -> str | None:
    code = int(result.get("code", 0))
    if 200 <= code < 300:
        return None
    body = _batch_body(result)
    if isinstance(body, Mapping) and body.get("message"):
        return str(body["message"])
    return f"HTTP {code}"


class _PushSession:
    """The writes of one push: what :class:`mbf.sync.BatchWriter` calls."""

    def __init__(self, client: AzureDevOpsClient, backlog: Backlog, ledger: SyncLedger) -> None:
        self.client = client
        self.settings = client.settings
        self.warn: Callable[[str], None] = client.context.diagnostics.warn
        self.backlog = backlog
        self.types = self.settings.types_by_kind()
        self.iteration_paths = IterationPaths(self.settings.project, backlog.iterations)
        self.backlog_ids = {item.id for item in backlog.items}
        # What the tracker held before this push: the base for field and link changes.
        self.base = {item_id: entry.snapshot for item_id, entry in ledger.entries.items()}
        self.extra_writes = 0
        self._iterations_ready = False
        self._unknown_iterations: set[str] = set()
        self._states: dict[str, list[tuple[str, str]]] = {}
        self._state_warnings: set[tuple[str, str]] = set()

    # -- fields

    def fields_of(self, item: WorkItem) -> dict[str, Any]:
        iteration_id = item.iteration_id
        if (
            iteration_id is not None
            and iteration_id not in self.iteration_paths.segments
            and iteration_id not in self._unknown_iterations
        ):
            self._unknown_iterations.add(iteration_id)
            self.warn(
                f"{SERVICE_NAME}: iteration {iteration_id!r} is not in the backlog's "
                "iterations; its items are pushed without an iteration path"
            )
        fields = item_fields(
            item, settings=self.settings, types=self.types, iteration_paths=self.iteration_paths
        )
        if STATE in fields:
            fields[STATE] = self.state_for(fields[WORK_ITEM_TYPE], fields[STATE], item)
        return fields

    def state_for(self, work_item_type: str, state: str, item: WorkItem) -> str:
        """``state`` as the type spells it; a word the type lacks (``Done`` on an Agile Task)
        becomes the type's first state of the item's category (``Closed``)."""
        states = self._states.get(work_item_type)
        if states is None:
            document = self.client.rest.call(
                "GET",
                f"{self.client._project}/_apis/wit/workitemtypes/{segment(work_item_type)}/states",
            )
            states = [(str(s["name"]), str(s.get("category", ""))) for s in document["value"]]
            self._states[work_item_type] = states
        for name, _category in states:
            if name.casefold() == state.casefold():
                return name
        wanted = _BOARDS_CATEGORIES[item.state_category]
        replacement = next((name for name, category in states if category == wanted), state)
        if (work_item_type, state) not in self._state_warnings:
            self._state_warnings.add((work_item_type, state))
            self.warn(
                f"{SERVICE_NAME}: state {state!r} is not a {work_item_type} state; "
                f"written as {replacement!r}"
            )
        return replacement

    def _base_item(self, item_id: str) -> WorkItem | None:
        snapshot = self.base.get(item_id)
        if not snapshot:
            return None
        structured: WorkItem = _converter().structure(dict(snapshot), WorkItem)
        return structured

    # -- iterations

    def ensure_iterations(self) -> None:
        """Create the backlog's iterations that the project lacks (dated), move the dates of
        those replanned, and give them to the team; once per push, only when something is
        written."""
        if self._iterations_ready:
            return
        self._iterations_ready = True
        wanted = {tuple(s) for s in self.iteration_paths.segments.values() if s}
        if not wanted:
            return
        client, rest = self.client, self.client.rest
        nodes_path = f"{client._project}/_apis/wit/classificationnodes/Iterations"
        depth = max(len(s) for s in wanted)
        tree = rest.call("GET", nodes_path, params={"$depth": str(depth)})
        dates = {
            tuple(self.iteration_paths.segments[i.id]): i
            for i in self.backlog.iterations
            if i.id in self.iteration_paths.segments
        }
        identifiers: list[str] = []
        for segments in sorted(wanted):
            node: Mapping[str, Any] = tree
            for depth_index in range(len(segments)):
                name = segments[depth_index]
                child = next(
                    (
                        c
                        for c in node.get("children") or ()
                        if str(c.get("name", "")).casefold() == name.casefold()
                    ),
                    None,
                )
                if child is None:
                    body: dict[str, Any] = {"name": name}
                    iteration = dates.get(segments[: depth_index + 1])
                    attributes = _iteration_attributes(iteration)
                    if attributes:
                        body["attributes"] = attributes
                    parent = "/".join(segment(s) for s in segments[:depth_index])
                    child = self._create_node(nodes_path, parent, name, body)
                    # Remember it in the tree so siblings under a new parent find it.
                    node = _with_child(node, child)
                node = child
            wanted_dates = _iteration_attributes(dates.get(segments))
            have = node.get("attributes") or {}
            if wanted_dates and any(have.get(k) != v for k, v in wanted_dates.items()):
                # The sprint exists with other dates (replanned): move them.
                path = "/".join(segment(s) for s in segments)
                rest.call("PATCH", f"{nodes_path}/{path}", body={"attributes": wanted_dates})
                self.extra_writes += 1
            identifiers.append(str(node["identifier"]))
        team_path = f"{client._project}/{client._team}/_apis/work/teamsettings/iterations"
        team = rest.call("GET", team_path)
        in_team = {str(i.get("id")) for i in team.get("value", ())}
        for identifier in identifiers:
            if identifier not in in_team:
                self.extra_writes += 1
                try:
                    rest.call("POST", team_path, body={"id": identifier})
                except AzureDevOpsError as exc:
                    if exc.status != 409:  # 409: a retried request had added it already
                        raise
                in_team.add(identifier)

    def _create_node(
        self, nodes_path: str, parent: str, name: str, body: Mapping[str, Any]
    ) -> Mapping[str, Any]:
        """POST one iteration node; when a retry finds it made by the try whose answer was lost
        (409, name in use), read it instead."""
        rest = self.client.rest
        under = nodes_path + (f"/{parent}" if parent else "")
        self.extra_writes += 1
        try:
            created: Mapping[str, Any] = rest.call("POST", under, body=body)
        except AzureDevOpsError as exc:
            if exc.status != 409:
                raise
            created = rest.call("GET", f"{under}/{segment(name)}")
        return created

    # -- BatchWriter callables

    def create(self, items: Sequence[WorkItem], keys: Mapping[str, str]) -> list[ItemOutcome]:
        """Create ``items`` in one ``$batch``; retried only for the items not found by marker."""
        self.ensure_iterations()
        outcomes: dict[str, ItemOutcome] = {}
        subrequests: dict[str, dict[str, Any]] = {}
        for item in items:
            parent_key = keys.get(item.parent_id) if item.parent_id else None
            if item.parent_id and parent_key is None:
                if item.parent_id in self.backlog_ids:
                    # Never create a child without its parent: it would lose the hierarchy.
                    outcomes[item.id] = ItemOutcome(
                        item_id=item.id,
                        error=f"parent {item.parent_id} is not in {SERVICE_NAME}; it was not created",
                    )
                    continue
                self.warn(
                    f"{SERVICE_NAME}: {item.id}: parent {item.parent_id} is not in the backlog; "
                    "created without a parent"
                )
            fields = self.fields_of(item)
            work_item_type = fields.pop(WORK_ITEM_TYPE)
            ops: list[dict[str, Any]] = [
                {"op": "add", "path": f"/fields/{name}", "value": value}
                for name, value in fields.items()
            ]
            if parent_key is not None:
                ops.append(
                    {
                        "op": "add",
                        "path": "/relations/-",
                        "value": {"rel": PARENT, "url": self.client.item_url(parent_key)},
                    }
                )
            subrequests[item.id] = {
                "method": "PATCH",
                "uri": self.client._create_uri(work_item_type),
                "headers": {"Content-Type": JSON_PATCH},
                "body": ops,
            }
        if subrequests:
            outcomes.update(self._send_creates(subrequests))
        return list(outcomes.values())

    def _send_creates(self, subrequests: Mapping[str, dict[str, Any]]) -> dict[str, ItemOutcome]:
        client = self.client
        remaining = list(subrequests)
        outcomes: dict[str, ItemOutcome] = {}
        uncertain = False  # a failed try may have created some items before it failed

        def attempt() -> None:
            nonlocal remaining, uncertain
            if uncertain:
                found = client.find_marked(remaining, retry=False)
                for item_id, (key, url) in found.items():
                    outcomes[item_id] = ItemOutcome(item_id=item_id, key=key, url=url)
                remaining = [i for i in remaining if i not in found]
                uncertain = False
            if not remaining:
                return
            results = client.send_batch([subrequests[i] for i in remaining], retry=False)
            for item_id, result in zip(remaining, results, strict=True):
                outcomes[item_id] = self._created(item_id, result)
            remaining = []

        def classify(exc: Exception) -> Transient | None:
            nonlocal uncertain
            transient = RestClient.classify(exc)
            if transient is not None:
                # 429 and 503 are refusals before any work; anything else may have half-run.
                throttled = isinstance(exc, HttpStatusError) and exc.status in (429, 503)
                uncertain = uncertain or not throttled
            return transient

        try:
            client.rest.retry.run(attempt, classify)
        except MbfError:
            raise
        except Exception as exc:
            raise client.rest.final_error(exc, "PATCH", "_apis/wit/$batch") from None
        return outcomes

    def _created(self, item_id: str, result: Mapping[str, Any]) -> ItemOutcome:
        error = _batch_error(result)
        if error is not None:
            return ItemOutcome(item_id=item_id, error=error)
        body = _batch_body(result)
        key = str(body["id"])
        return ItemOutcome(item_id=item_id, key=key, url=self.client.browser_url(key))

    def update(self, items: Sequence[WorkItem], keys: Mapping[str, str]) -> list[ItemOutcome]:
        """Send the fields that changed since the last push, one ``$batch`` for the batch."""
        outcomes: list[ItemOutcome] = []
        sent: list[tuple[str, str]] = []
        subrequests: list[dict[str, Any]] = []
        bases = {item.id: self._base_item(item.id) for item in items}
        moved = [
            keys[item.id]
            for item in items
            if (base := bases[item.id]) is not None and base.parent_id != item.parent_id
        ]
        relations = self.client.relations_of(moved) if moved else {}
        for item in items:
            key = keys[item.id]
            base_item = bases[item.id]
            ops = self._update_ops(item, base_item)
            if base_item is not None and base_item.parent_id != item.parent_id:
                parent_ops = self._parent_ops(item, relations.get(key, []), keys)
                if isinstance(parent_ops, ItemOutcome):
                    outcomes.append(parent_ops)
                    continue
                ops += parent_ops
            if not ops:  # only mbf-side content changed (sources, releases): nothing to send
                outcomes.append(
                    ItemOutcome(item_id=item.id, key=key, url=self.client.browser_url(key))
                )
                continue
            sent.append((item.id, key))
            subrequests.append(
                {
                    "method": "PATCH",
                    "uri": self.client._update_uri(key),
                    "headers": {"Content-Type": JSON_PATCH},
                    "body": ops,
                }
            )
        if subrequests:
            self.ensure_iterations()
            results = self.client.send_batch(subrequests)
            for (item_id, key), result in zip(sent, results, strict=True):
                error = _batch_error(result)
                outcomes.append(
                    ItemOutcome(item_id=item_id, error=error)
                    if error is not None
                    else ItemOutcome(item_id=item_id, key=key, url=self.client.browser_url(key))
                )
        return outcomes

    def _update_ops(self, item: WorkItem, base_item: WorkItem | None) -> list[dict[str, Any]]:
        new = self.fields_of(item)
        old = self.fields_of(base_item) if base_item is not None else {}
        new.pop(WORK_ITEM_TYPE)
        old.pop(WORK_ITEM_TYPE, None)
        ops: list[dict[str, Any]] = [
            {"op": "add", "path": f"/fields/{name}", "value": value}
            for name, value in new.items()
            if old.get(name) != value
        ]
        ops += [
            {"op": "remove", "path": f"/fields/{name}"}
            for name in old
            if name not in new and name != ITERATION_PATH
        ]
        if ITERATION_PATH in old and ITERATION_PATH not in new:
            # No sprint any more: back to the project's root iteration.
            ops.append(
                {"op": "add", "path": f"/fields/{ITERATION_PATH}", "value": self.settings.project}
            )
        return ops

    def _parent_ops(
        self, item: WorkItem, relations: Sequence[Mapping[str, Any]], keys: Mapping[str, str]
    ) -> list[dict[str, Any]] | ItemOutcome:
        """Move a pushed item to its new parent: remove the old parent link, add the new one."""
        new_parent = keys.get(item.parent_id) if item.parent_id else None
        if item.parent_id and new_parent is None and item.parent_id in self.backlog_ids:
            return ItemOutcome(
                item_id=item.id,
                error=f"parent {item.parent_id} is not in {SERVICE_NAME}; the item was not moved",
            )
        ops: list[dict[str, Any]] = [
            {"op": "remove", "path": f"/relations/{index}"}
            for index in sorted(
                (n for n, r in enumerate(relations) if r.get("rel") == PARENT), reverse=True
            )
        ]
        if new_parent is not None:
            ops.append(
                {
                    "op": "add",
                    "path": "/relations/-",
                    "value": {"rel": PARENT, "url": self.client.item_url(new_parent)},
                }
            )
        return ops

    def finish(self, backlog: Backlog, keys: Mapping[str, str]) -> int:
        """Second pass: dependency and related links between items that both exist now, for the
        links not pushed before. Returns the write requests sent (iteration ones included)."""
        requests = 0
        additions: dict[str, list[dict[str, Any]]] = {}
        removals: dict[str, set[tuple[str, str]]] = {}
        dangling = 0
        for item in backlog.items:
            key = keys.get(item.id)
            if key is None:
                continue
            pushed = self._pushed_links(item.id)
            wanted: set[tuple[str, str]] = set()
            for link in item.links:
                if link.target_id not in self.backlog_ids:
                    dangling += 1
                    continue
                target_key = keys.get(link.target_id)
                if target_key is None:
                    continue  # the target was refused; the link follows once it is created
                pair = (LINK_RELATIONS[link.kind], link.target_id)
                if pair in wanted:
                    continue  # two depends-on links to one item (FF and SF) are one Boards link
                wanted.add(pair)
                if pair not in pushed:
                    additions.setdefault(key, []).append(
                        {
                            "op": "add",
                            "path": "/relations/-",
                            "value": {"rel": pair[0], "url": self.client.item_url(target_key)},
                        }
                    )
            declared = {(LINK_RELATIONS[link.kind], link.target_id) for link in item.links}
            dropped = {
                (rel, self.client.item_url(keys[target]))
                for rel, target in pushed - declared
                if target in keys
            }
            if dropped:
                removals[key] = dropped
        changes = self._link_removals(removals)
        for key, ops in additions.items():
            changes.setdefault(key, []).extend(ops)
        for batch in chunks(sorted(changes.items(), key=_numeric_key), self.settings.batch_size):
            subrequests = [
                {
                    "method": "PATCH",
                    "uri": self.client._update_uri(key),
                    "headers": {"Content-Type": JSON_PATCH},
                    "body": ops,
                }
                for key, ops in batch
            ]
            results = self.client.send_batch(subrequests)
            requests += 1
            for (key, _ops), result in zip(batch, results, strict=True):
                error = _batch_error(result)
                if error is not None:
                    self.warn(f"{SERVICE_NAME}: links of work item {key} were refused: {error}")
        if dangling:
            self.warn(
                f"{SERVICE_NAME}: {dangling} link(s) point at items outside the backlog; not pushed"
            )
        return requests + self.extra_writes

    def _link_removals(
        self, removals: Mapping[str, set[tuple[str, str]]]
    ) -> dict[str, list[dict[str, Any]]]:
        """``remove /relations/{index}`` ops for links dropped from the backlog, indexes read
        from Boards (highest first, so each removal leaves the next index valid)."""
        if not removals:
            return {}
        relations = self.client.relations_of(sorted(removals, key=int))
        changes: dict[str, list[dict[str, Any]]] = {}
        for key, dropped in removals.items():
            indexes = [
                n
                for n, relation in enumerate(relations.get(key, []))
                if (relation.get("rel"), relation.get("url")) in dropped
            ]
            if indexes:
                changes[key] = [
                    {"op": "remove", "path": f"/relations/{n}"}
                    for n in sorted(indexes, reverse=True)
                ]
        return changes

    def _pushed_links(self, item_id: str) -> set[tuple[str, str]]:
        """Links of ``item_id`` that an earlier push sent: in its base snapshot, to a target the
        tracker already held then."""
        snapshot = self.base.get(item_id)
        if not snapshot:
            return set()
        pushed: set[tuple[str, str]] = set()
        for link in snapshot.get("links") or ():
            target = link.get("target_id")
            if self.base.get(target):
                kind = LinkKind(link.get("kind", LinkKind.DEPENDS_ON))
                pushed.add((LINK_RELATIONS[kind], str(target)))
        return pushed


_BOARDS_CATEGORIES = {
    StateCategory.TODO: "Proposed",
    StateCategory.IN_PROGRESS: "InProgress",
    StateCategory.DONE: "Completed",
}
"""Boards' state category (``workitemtypes/{type}/states``) of each mbf state category."""


def _numeric_key(entry: tuple[str, Any]) -> int:
    return int(entry[0]) if entry[0].isdigit() else 0


def _iteration_attributes(iteration: Iteration | None) -> dict[str, str]:
    if iteration is None:
        return {}
    attributes = {}
    if iteration.start is not None:
        attributes["startDate"] = f"{iteration.start.isoformat()}T00:00:00Z"
    if iteration.finish is not None:
        attributes["finishDate"] = f"{iteration.finish.isoformat()}T00:00:00Z"
    return attributes


def _with_child(node: Mapping[str, Any], child: Mapping[str, Any]) -> Mapping[str, Any]:
    children = list(node.get("children") or ())
    children.append(child)
    if isinstance(node, dict):
        node["children"] = children
        return node
    return {**node, "children": children}


@functools.cache
def _converter() -> Any:
    """Structures ledger snapshots back into work items (built on first use)."""
    from mbf.serialization import make_converter

    return make_converter()
