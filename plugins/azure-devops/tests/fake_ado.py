"""A loopback Azure DevOps Boards server (REST 7.1) for the service's tests.

Stateful: work items, relations (with the inverse Boards adds on the other end), the iteration
tree, area paths and the team's sprints live in memory, so what one request creates the next can
query, link and read. It validates what the real service does and the client could get wrong:
``api-version``, Basic auth with the PAT, the JSON Patch content type, relation names and target
URLs, at most one parent, known work item types, states and tree paths, ``$batch`` and
``workitemsbatch`` limits of 200. It records every request and has switches to inject error
responses (429 with Retry-After, 503, 500), dropped connections, Retry-After on a 200, rule
errors for chosen titles, and "die after N batches" (the next ``$batch`` is applied, its answer
lost, and every later request dropped until :meth:`FakeAzureDevOps.revive`).

Response shapes follow ``workItemTracking.json`` (checked by a test against the spec).
"""

from __future__ import annotations

import base64
import json
import re
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

MAX_BATCH = 200
WIQL_CAP = 20_000
TIMESTAMP = "2027-01-01T00:00:00Z"

KNOWN_RELATIONS = {
    "System.LinkTypes.Hierarchy-Forward": "System.LinkTypes.Hierarchy-Reverse",
    "System.LinkTypes.Hierarchy-Reverse": "System.LinkTypes.Hierarchy-Forward",
    "System.LinkTypes.Dependency-Forward": "System.LinkTypes.Dependency-Reverse",
    "System.LinkTypes.Dependency-Reverse": "System.LinkTypes.Dependency-Forward",
    "System.LinkTypes.Related": "System.LinkTypes.Related",
    "System.LinkTypes.Duplicate-Forward": "System.LinkTypes.Duplicate-Reverse",
    "System.LinkTypes.Duplicate-Reverse": "System.LinkTypes.Duplicate-Forward",
}

_REQUIREMENT_STATES = [
    ("New", "Proposed"),
    ("Active", "InProgress"),
    ("Resolved", "Resolved"),
    ("Closed", "Completed"),
    ("Removed", "Removed"),
]
AGILE_STATES: dict[str, list[tuple[str, str]]] = {
    "Epic": _REQUIREMENT_STATES,
    "Feature": _REQUIREMENT_STATES,
    "User Story": _REQUIREMENT_STATES,
    "Task": [
        ("New", "Proposed"),
        ("Active", "InProgress"),
        ("Closed", "Completed"),
        ("Removed", "Removed"),
    ],
    "Bug": _REQUIREMENT_STATES[:4],
}
"""Work item types of the Agile process and their states with Boards' state categories."""

CREATED_BY = {
    "displayName": "Migration Bot",
    "id": "d291b0c4-a05c-4ea6-8df1-4b41d5f39eff",
    "uniqueName": "bot@contoso.com",
}


class Refusal(Exception):
    """An error answer: HTTP status and Azure DevOps' message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Recorded:
    """One request as the fake received it."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    headers: dict[str, str]


@dataclass
class Node:
    """A classification node (iteration or area)."""

    id: int
    identifier: str
    name: str
    structure: str
    attributes: dict[str, Any] = field(default_factory=dict)
    children: list[Node] = field(default_factory=list)


class FakeAzureDevOps:
    """The server's state and switches; :meth:`start` serves it on 127.0.0.1 (port 0)."""

    def __init__(
        self,
        *,
        organization: str = "contoso",
        project: str = "Migration",
        team: str = "Migration Team",
        pat: str = "fake-pat-3f9c1e7a",
        areas: tuple[str, ...] = ("Waves",),
        types: dict[str, list[tuple[str, str]]] | None = None,
    ) -> None:
        self.organization = organization
        self.project = project
        self.team = team
        self.pat = pat
        self.types = dict(types or AGILE_STATES)
        self.lock = threading.RLock()
        self.items: dict[int, dict[str, Any]] = {}
        self.next_id = 1
        self._node_ids = iter(range(1000, 10**9))
        self.iterations = self._node(project, "iteration")
        self.areas = self._node(project, "area")
        for area in areas:
            self.areas.children.append(self._node(area, "area"))
        self.team_iterations: list[str] = []
        self.requests: list[Recorded] = []
        # Switches.
        self.inject: list[tuple[int, dict[str, str], Any]] = []
        """Answers served instead of handling the next requests, in order."""
        self.drop_next = 0
        """Connections to close, without an answer and without handling, before the next requests."""
        self.retry_after_on_success: str | None = None
        """A Retry-After header put on the next successful answer."""
        self.refuse_titles: set[str] = set()
        """Titles refused with a TF401320 rule error."""
        self.lose_answer_to: list[str] = []
        """``"METHOD path-ending"`` of requests handled but whose answer is lost (one each)."""
        self.lose_batch_answers = 0
        """The next $batch requests are applied but their answers lost (connection closed)."""
        self.die_after_batches: int | None = None
        """After this many $batch requests, the next is applied, its answer lost, and every later
        request dropped until :meth:`revive`."""
        self.dead = False
        self.batches = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ----------------------------------------------------------------------------

    def start(self) -> FakeAzureDevOps:
        handler = _handler_for(self)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def host(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def organization_url(self) -> str:
        return f"{self.host}/{self.organization}"

    def revive(self) -> None:
        """The network is back after "die after N batches"."""
        self.dead = False
        self.die_after_batches = None

    # --- helpers for tests ----------------------------------------------------------------------

    def writes(self) -> list[Recorded]:
        """Requests that create or change something (reads by POST excluded)."""
        return [
            r
            for r in self.requests
            if r.method in ("POST", "PATCH", "PUT", "DELETE")
            and not r.path.endswith(("/wiql", "/workitemsbatch"))
        ]

    def count(self, method: str, suffix: str) -> int:
        return sum(1 for r in self.requests if r.method == method and r.path.endswith(suffix))

    def marked(self) -> dict[str, int]:
        """mbf id -> work item id, from the ``mbf:`` tags."""
        found: dict[str, int] = {}
        for item_id, item in self.items.items():
            for tag in _tags(item["fields"].get("System.Tags")):
                if tag.startswith("mbf:"):
                    found[tag[4:]] = item_id
        return found

    def edit(self, item_id: int, **fields: Any) -> None:
        """Someone changes a work item in the browser."""
        with self.lock:
            item = self.items[item_id]
            item["fields"].update(fields)
            item["rev"] += 1

    def item_url(self, item_id: int) -> str:
        return f"{self.organization_url}/_apis/wit/workItems/{item_id}"

    # --- classification nodes -----------------------------------------------------------------

    def _node(self, name: str, structure: str, attributes: dict[str, Any] | None = None) -> Node:
        number = next(self._node_ids)
        return Node(
            id=number,
            identifier=str(uuid.UUID(int=number)),
            name=name,
            structure=structure,
            attributes=dict(attributes or {}),
        )

    def _find_node(self, root: Node, segments: list[str]) -> Node | None:
        node = root
        for name in segments:
            node = next((c for c in node.children if c.name.casefold() == name.casefold()), None)  # type: ignore[assignment]
            if node is None:
                return None
        return node

    def _tree_paths(self, root: Node) -> set[str]:
        paths: set[str] = set()

        def walk(node: Node, path: str) -> None:
            paths.add(path.casefold())
            for child in node.children:
                walk(child, f"{path}\\{child.name}")

        walk(root, self.project)
        return paths

    def _node_json(self, node: Node, trail: list[str], depth: int) -> dict[str, Any]:
        group = "Iterations" if node.structure == "iteration" else "Areas"
        kind = "Iteration" if node.structure == "iteration" else "Area"
        parent_path = "\\".join(["", self.project, kind, *trail[:-1]]) if trail else ""
        url_tail = "/".join(trail)
        url = f"{self.organization_url}/{self.project}/_apis/wit/classificationNodes/{group}"
        document: dict[str, Any] = {
            "id": node.id,
            "identifier": node.identifier,
            "name": node.name,
            "structureType": node.structure,
            "hasChildren": bool(node.children),
            "path": "\\".join(["", self.project, kind, *trail])
            if trail
            else f"\\{self.project}\\{kind}",
            "_links": {"self": {"href": url + (f"/{url_tail}" if url_tail else "")}},
            "url": url + (f"/{url_tail}" if url_tail else ""),
        }
        if parent_path:
            document["_links"]["parent"] = {"href": url}
        if node.attributes:
            document["attributes"] = dict(node.attributes)
        if depth > 0 and node.children:
            document["children"] = [
                self._node_json(child, [*trail, child.name], depth - 1) for child in node.children
            ]
        return document

    # --- work items ---------------------------------------------------------------------------

    def work_item_json(
        self, item: dict[str, Any], *, relations: bool, fields: list[str] | None = None
    ) -> dict[str, Any]:
        item_id = item["id"]
        if fields is None:
            shown = dict(item["fields"])
        else:
            everything = {**item["fields"], "System.Id": item_id, "System.Rev": item["rev"]}
            shown = {f: everything[f] for f in fields if f in everything}
        url = self.item_url(item_id)
        document: dict[str, Any] = {"id": item_id, "rev": item["rev"], "fields": shown}
        if relations and item["relations"]:
            document["relations"] = [dict(r) for r in item["relations"]]
        document["url"] = url
        if fields is not None:
            return document  # a field-list read answers without links (as documented)
        document["_links"] = {
            "self": {"href": url},
            "workItemUpdates": {"href": f"{url}/updates"},
            "workItemRevisions": {"href": f"{url}/revisions"},
            "workItemComments": {"href": f"{url}/comments"},
            "html": {"href": f"{self.organization_url}/web/wi.aspx?id={item_id}"},
            "workItemType": {
                "href": f"{self.organization_url}/{self.project}/_apis/wit/workItemTypes/"
                + item["fields"]["System.WorkItemType"].replace(" ", "%20")
            },
            "fields": {"href": f"{self.organization_url}/_apis/wit/fields"},
        }
        return document

    def create_item(self, work_item_type: str, ops: Any) -> dict[str, Any]:
        if work_item_type not in self.types:
            raise Refusal(
                404,
                f"VS402323: Work item type {work_item_type} does not exist in project {self.project}.",
            )
        item = {
            "id": 0,
            "rev": 0,
            "fields": {
                "System.AreaPath": self.project,
                "System.TeamProject": self.project,
                "System.IterationPath": self.project,
                "System.WorkItemType": work_item_type,
                "System.State": self.types[work_item_type][0][0],
                "System.Reason": "New",
                "System.CreatedDate": TIMESTAMP,
                "System.CreatedBy": dict(CREATED_BY),
                "System.ChangedDate": TIMESTAMP,
                "System.ChangedBy": dict(CREATED_BY),
            },
            "relations": [],
        }
        return self._apply(item, ops, creating=True)

    def update_item(self, item_id: int, ops: Any) -> dict[str, Any]:
        item = self.items.get(item_id)
        if item is None:
            raise Refusal(
                404,
                f"TF401232: Work item {item_id} does not exist, or you do not have permissions to read it.",
            )
        return self._apply(item, ops, creating=False)

    def _apply(self, original: dict[str, Any], ops: Any, *, creating: bool) -> dict[str, Any]:
        if not isinstance(ops, list) or not ops:
            raise Refusal(
                400, "VS402849: The request body must be a non-empty JSON Patch document."
            )
        item = {
            "id": original["id"],
            "rev": original["rev"],
            "fields": dict(original["fields"]),
            "relations": [dict(r) for r in original["relations"]],
        }
        new_relations: list[dict[str, Any]] = []
        removed_relations: list[dict[str, Any]] = []
        for op in ops:
            kind, path = op.get("op"), op.get("path", "")
            if kind == "test" and path == "/rev":
                if op.get("value") != original["rev"]:
                    raise Refusal(
                        412, f"VS402363: Test operation failed: rev is {original['rev']}."
                    )
            elif path.startswith("/fields/") and kind in ("add", "replace"):
                name = path[len("/fields/") :]
                item["fields"][name] = self._field_value(name, op.get("value"))
            elif path.startswith("/fields/") and kind == "remove":
                item["fields"].pop(path[len("/fields/") :], None)
            elif path == "/relations/-" and kind == "add":
                relation = self._relation(op.get("value"), item, new_relations)
                item["relations"].append(relation)
                new_relations.append(relation)
            elif path.startswith("/relations/") and kind == "remove":
                index = int(path.rsplit("/", 1)[-1])
                if index >= len(item["relations"]):
                    raise Refusal(400, f"VS402850: relation index {index} is out of range.")
                removed = item["relations"].pop(index)
                if removed in new_relations:
                    new_relations.remove(removed)
                else:
                    removed_relations.append(removed)
            else:
                raise Refusal(400, f"VS402848: unsupported operation {kind} {path}.")
        self._validate(item)
        # Commit: assign the id, bump rev, add the inverse relations on the other ends.
        if creating:
            item["id"] = self.next_id
            self.next_id += 1
        item["rev"] += 1
        self.items[item["id"]] = item
        own_url = self.item_url(item["id"])
        for relation in removed_relations:
            target = self.items[int(relation["url"].rsplit("/", 1)[-1])]
            inverse = KNOWN_RELATIONS[relation["rel"]]
            target["relations"] = [
                r for r in target["relations"] if (r["rel"], r["url"]) != (inverse, own_url)
            ]
            target["rev"] += 1
        for relation in new_relations:
            target = self.items[int(relation["url"].rsplit("/", 1)[-1])]
            target["rev"] += 1  # Boards records the inverse link as a revision of the other end
            target["relations"].append(
                {
                    "rel": KNOWN_RELATIONS[relation["rel"]],
                    "url": self.item_url(item["id"]),
                    "attributes": {"isLocked": False, "name": ""},
                }
            )
        return item

    def _field_value(self, name: str, value: Any) -> Any:
        if name == "System.AssignedTo" and isinstance(value, str):
            match = re.fullmatch(r"\s*(.*?)\s*<([^>]+)>\s*", value)
            display, unique = (match.group(1), match.group(2)) if match else (value, value)
            return {
                "displayName": display,
                "id": str(uuid.uuid5(uuid.NAMESPACE_URL, unique)),
                "uniqueName": unique,
            }
        if name == "System.Tags" and isinstance(value, str):
            return "; ".join(_tags(value))
        return value

    def _relation(
        self, value: Any, item: dict[str, Any], new: list[dict[str, Any]]
    ) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise Refusal(400, "VS402851: a relation needs rel and url.")
        rel, url = value.get("rel"), str(value.get("url", ""))
        if rel not in KNOWN_RELATIONS:
            raise Refusal(400, f"TF201063: The link type name '{rel}' is not recognized.")
        prefix = f"{self.organization_url}/_apis/wit/workItems/"
        if not url.startswith(prefix) or not url[len(prefix) :].isdigit():
            raise Refusal(400, f"TF201036: Invalid work item link URL '{url}'.")
        target = int(url[len(prefix) :])
        if target not in self.items:
            raise Refusal(
                400, f"TF201035: The target work item {target} of the link does not exist."
            )
        if any(r["rel"] == rel and r["url"] == url for r in item["relations"]):
            raise Refusal(400, f"TF201036: The link {rel} to work item {target} already exists.")
        if rel == "System.LinkTypes.Hierarchy-Reverse" and any(
            r["rel"] == rel for r in item["relations"]
        ):
            raise Refusal(400, "TF201036: A work item can have only one parent.")
        return {"rel": rel, "url": url, "attributes": dict(value.get("attributes") or {})}

    def _validate(self, item: dict[str, Any]) -> None:
        fields = item["fields"]
        title = fields.get("System.Title")
        if not isinstance(title, str) or not title.strip() or title in self.refuse_titles:
            raise Refusal(
                400,
                "TF401320: Rule Error for field Title. Error code: Required, HasValues, "
                "LimitedToValues, AllowsOldValue, InvalidEmpty.",
            )
        states = [name for name, _category in self.types[fields["System.WorkItemType"]]]
        if fields.get("System.State") not in states:
            raise Refusal(
                400,
                f"TF401320: Rule Error for field State. Error code: LimitedToValues; "
                f"'{fields.get('System.State')}' is not a state of {fields['System.WorkItemType']}.",
            )
        for name, root in (
            ("System.IterationPath", self.iterations),
            ("System.AreaPath", self.areas),
        ):
            if str(fields.get(name, "")).casefold() not in self._tree_paths(root):
                raise Refusal(
                    400,
                    f"TF401347: Invalid tree name given for work item {item['id'] or -1}, field '{name}'.",
                )

    # --- WIQL -----------------------------------------------------------------------------------

    def run_wiql(self, query: str, top: int | None) -> list[int]:
        predicate, order = _parse_wiql(query, self.project)
        ids = [i for i in sorted(self.items) if predicate(self._wiql_row(i))]
        if order == "desc":
            ids.reverse()
        if top is None and len(ids) > WIQL_CAP:
            raise Refusal(
                400,
                f"VS402337: The number of work items returned exceeds the size limit of {WIQL_CAP}.",
            )
        return ids[:top] if top is not None else ids

    def _wiql_row(self, item_id: int) -> dict[str, Any]:
        item = self.items[item_id]
        return {**item["fields"], "System.Id": item_id}


# --- WIQL subset ---------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"\s*(?:(\[[^\]]+\])|('(?:[^']|'')*')|(@\w+)|(\d+)|(<>|>=|<=|=|<|>)|([(),])|([A-Za-z]+))"
)


def _tokens(query: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    query = query.strip()
    while position < len(query):
        match = _TOKEN.match(query, position)
        if match is None or match.end() == position:
            raise Refusal(
                400, f"TF51006: The query contains an unexpected character at {position}."
            )
        position = match.end()
        field_, string, macro, number, operator, punct, word = match.groups()
        if field_:
            tokens.append(("field", field_[1:-1]))
        elif string:
            tokens.append(("value", string[1:-1].replace("''", "'")))
        elif macro:
            tokens.append(("macro", macro.lower()))
        elif number:
            tokens.append(("value", number))
        elif operator:
            tokens.append(("op", operator))
        elif punct:
            tokens.append((punct, punct))
        else:
            tokens.append(("word", word.upper()))
    return tokens


def _parse_wiql(query: str, project: str) -> tuple[Callable[[dict[str, Any]], bool], str]:
    """SELECT [..] FROM WorkItems [WHERE cond] [ORDER BY [field] [ASC|DESC]] with AND, OR,
    parentheses and =, <>, <, >, <=, >=, IN, CONTAINS, UNDER."""
    tokens = _tokens(query)
    position = 0

    def peek() -> tuple[str, str] | None:
        return tokens[position] if position < len(tokens) else None

    def take(kind: str, value: str | None = None) -> str:
        nonlocal position
        token = peek()
        if token is None or token[0] != kind or (value is not None and token[1] != value):
            raise Refusal(400, f"TF51005: Expected {value or kind} in the query near {token}.")
        position += 1
        return token[1]

    def literal() -> Any:
        token = peek()
        if token is not None and token[0] == "macro":
            take("macro")
            if token[1] != "@project":
                raise Refusal(400, f"TF51011: The macro {token[1]} is not supported.")
            return project
        return take("value")

    def comparison() -> Callable[[dict[str, Any]], bool]:
        if peek() == ("(", "("):
            take("(")
            inner = disjunction()
            take(")")
            return inner
        name = take("field")
        token = peek()
        if token is not None and token[0] == "op":
            operator = take("op")
            value = literal()
            return lambda row: _compare(row.get(name), operator, value)
        word = take("word")
        if word == "IN":
            take("(")
            values = [literal()]
            while peek() == (",", ","):
                take(",")
                values.append(literal())
            take(")")
            folded = {str(v).casefold() for v in values}
            return lambda row: str(row.get(name, "")).casefold() in folded
        if word == "CONTAINS":
            value = literal()
            if name == "System.Tags":
                return lambda row: value.casefold() in {t.casefold() for t in _tags(row.get(name))}
            return lambda row: value.casefold() in str(row.get(name, "")).casefold()
        if word == "UNDER":
            value = str(literal()).casefold()
            return lambda row: (
                str(row.get(name, "")).casefold() == value
                or str(row.get(name, "")).casefold().startswith(value + "\\")
            )
        raise Refusal(400, f"TF51005: The operator {word} is not supported.")

    def conjunction() -> Callable[[dict[str, Any]], bool]:
        parts = [comparison()]
        while peek() == ("word", "AND"):
            take("word", "AND")
            parts.append(comparison())
        return lambda row: all(p(row) for p in parts)

    def disjunction() -> Callable[[dict[str, Any]], bool]:
        parts = [conjunction()]
        while peek() == ("word", "OR"):
            take("word", "OR")
            parts.append(conjunction())
        return lambda row: any(p(row) for p in parts)

    take("word", "SELECT")
    take("field")
    while peek() == (",", ","):
        take(",")
        take("field")
    take("word", "FROM")
    if take("word") != "WORKITEMS":
        raise Refusal(400, "TF51005: Only FROM WorkItems is supported.")
    predicate: Callable[[dict[str, Any]], bool] = lambda row: True  # noqa: E731
    if peek() == ("word", "WHERE"):
        take("word", "WHERE")
        predicate = disjunction()
    order = "asc"
    if peek() == ("word", "ORDER"):
        take("word", "ORDER")
        take("word", "BY")
        if take("field") != "System.Id":
            raise Refusal(400, "TF51005: the fake orders by System.Id only.")
        if peek() in (("word", "ASC"), ("word", "DESC")):
            order = take("word").lower()
    if peek() is not None:
        raise Refusal(400, f"TF51005: Unexpected {peek()} at the end of the query.")
    return predicate, order


def _compare(actual: Any, operator: str, expected: Any) -> bool:
    if isinstance(actual, int) and not isinstance(actual, bool):
        left: Any = actual
        right: Any = int(expected)
    else:
        left, right = str(actual if actual is not None else "").casefold(), str(expected).casefold()
    return {
        "=": left == right,
        "<>": left != right,
        ">": left > right,
        "<": left < right,
        ">=": left >= right,
        "<=": left <= right,
    }[operator]


def _tags(value: Any) -> list[str]:
    if not isinstance(value, str):
        return []
    return [t.strip() for t in value.split(";") if t.strip()]


# --- HTTP -----------------------------------------------------------------------------------------


class _Dropped(Exception):
    """Close the connection without answering."""


def _handler_for(fake: FakeAzureDevOps) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body leave in one segment: no Nagle / delayed-ACK stalls on keep-alive.
        disable_nagle_algorithm = True
        wbufsize = -1

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet tests

        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def do_PATCH(self) -> None:
            self._serve()

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            split = urlsplit(self.path)
            path = unquote(split.path)
            query = {k: v[-1] for k, v in parse_qs(split.query).items()}
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = "<not json>"
            with fake.lock:
                fake.requests.append(
                    Recorded(
                        self.command,
                        path,
                        query,
                        body,
                        {k.lower(): v for k, v in self.headers.items()},
                    )
                )
                if fake.dead or fake.drop_next > 0:
                    fake.drop_next = max(0, fake.drop_next - 1)
                    self.close_connection = True
                    return
                if fake.inject:
                    status, headers, answer = fake.inject.pop(0)
                    self._answer(status, answer, headers)
                    return
                try:
                    status, answer = self._route(path, query, body)
                except _Dropped:
                    self.close_connection = True
                    return
                except Refusal as refusal:
                    status, answer = refusal.status, _error(refusal.message)
                lost = next(
                    (e for e in fake.lose_answer_to if f"{self.command} {path}".endswith(e)), None
                )
                if lost is not None and status < 400:
                    fake.lose_answer_to.remove(lost)
                    self.close_connection = True
                    return
                headers = {}
                if status < 400 and fake.retry_after_on_success is not None:
                    headers["Retry-After"] = fake.retry_after_on_success
                    fake.retry_after_on_success = None
                self._answer(status, answer, headers)

        def _answer(self, status: int, answer: Any, headers: dict[str, str]) -> None:
            payload = json.dumps(answer).encode() if answer is not None else b""
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        def _route(self, path: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
            if query.get("api-version") not in ("7.1", "7.1-preview.2", "7.1-preview.3"):
                raise Refusal(
                    400,
                    "VS800006: The api-version query parameter (7.1) is required for all requests.",
                )
            expected = "Basic " + base64.b64encode(f":{fake.pat}".encode()).decode()
            if self.headers.get("Authorization") != expected:
                raise Refusal(401, "TF400813: The user is not authorized to access this resource.")
            org = f"/{fake.organization}/"
            if not path.startswith(org):
                raise Refusal(404, f"TF200016: The organization {path} does not exist.")
            rest = path[len(org) :]
            if rest == "_apis/wit/$batch":
                if self.command not in ("PATCH", "POST"):
                    raise Refusal(405, "Method not allowed.")
                return self._batch(body)
            if rest == "_apis/wit/fields":
                return 200, {
                    "count": 1,
                    "value": [{"referenceName": "System.Title", "name": "Title", "type": "string"}],
                }
            project, _, tail = rest.partition("/")
            if project != fake.project:
                raise Refusal(404, f"TF200016: The following project does not exist: {project}.")
            team = None
            if not tail.startswith("_apis/"):
                team, _, tail = tail.partition("/")
                if team != fake.team:
                    raise Refusal(404, f"VS403102: The team {team} does not exist.")
            return self._project_route(
                self.command,
                tail,
                team,
                query=query,
                body=body,
                content_type=self.headers.get("Content-Type", ""),
            )

        def _project_route(
            self,
            method: str,
            tail: str,
            team: str | None,
            *,
            query: dict[str, str],
            body: Any,
            content_type: str,
        ) -> tuple[int, Any]:
            if tail.startswith(("_apis/wit/workitems/", "_apis/wit/workItems/")):
                target = tail[len("_apis/wit/workitems/") :]
                if method == "GET" and target.isdigit():
                    item = fake.items.get(int(target))
                    if item is None:
                        raise Refusal(404, f"TF401232: Work item {target} does not exist.")
                    return 200, fake.work_item_json(
                        item, relations=query.get("$expand", "").lower() in ("relations", "all")
                    )
                if not content_type.startswith("application/json-patch+json"):
                    raise Refusal(
                        415, "VS402860: The Content-Type must be application/json-patch+json."
                    )
                if method == "POST" and target.startswith("$"):
                    return 200, fake.work_item_json(
                        fake.create_item(target[1:], body), relations=True
                    )
                if method == "PATCH" and target.isdigit():
                    return 200, fake.work_item_json(
                        fake.update_item(int(target), body), relations=True
                    )
                raise Refusal(404, f"VS402371: no route for {method} {tail}.")
            if tail == "_apis/wit/workitemsbatch" and method == "POST":
                return self._read_batch(body)
            if tail == "_apis/wit/wiql" and method == "POST":
                top = int(query["$top"]) if "$top" in query else None
                ids = fake.run_wiql(str((body or {}).get("query", "")), top)
                return 200, {
                    "queryType": "flat",
                    "queryResultType": "workItem",
                    "asOf": TIMESTAMP,
                    "columns": [
                        {
                            "referenceName": "System.Id",
                            "name": "ID",
                            "url": f"{fake.organization_url}/_apis/wit/fields/System.Id",
                        }
                    ],
                    "workItems": [{"id": i, "url": fake.item_url(i)} for i in ids],
                }
            if tail == "_apis/wit/workitemtypes" and method == "GET":
                return 200, {
                    "count": len(fake.types),
                    "value": [
                        {
                            "name": t,
                            "referenceName": f"Microsoft.VSTS.WorkItemTypes.{t.replace(' ', '')}",
                        }
                        for t in fake.types
                    ],
                }
            match = re.fullmatch(r"_apis/wit/workitemtypes/([^/]+)/states", tail)
            if match and method == "GET":
                states = fake.types.get(match.group(1))
                if states is None:
                    raise Refusal(404, f"VS402323: Work item type {match.group(1)} does not exist.")
                return 200, {
                    "count": len(states),
                    "value": [{"name": n, "color": "b2b2b2", "category": c} for n, c in states],
                }
            match = re.fullmatch(
                r"_apis/wit/classificationnodes/(Iterations|Areas)(/.*)?", tail, re.IGNORECASE
            )
            if match:
                return self._nodes(
                    method, match.group(1).lower(), (match.group(2) or "").strip("/"), query, body
                )
            if tail == "_apis/work/teamsettings/iterations" and team is not None:
                return self._team_iterations(method, body)
            raise Refusal(404, f"no route for {method} {tail}")

        def _batch(self, body: Any) -> tuple[int, Any]:
            if not isinstance(body, list):
                raise Refusal(400, "VS402849: $batch takes a JSON array of requests.")
            if len(body) > MAX_BATCH:
                raise Refusal(
                    400,
                    f"VS403330: A batch may hold at most {MAX_BATCH} requests; got {len(body)}.",
                )
            fake.batches += 1
            results = [self._batch_one(request) for request in body]
            if fake.die_after_batches is not None and fake.batches > fake.die_after_batches:
                fake.dead = True  # applied, but the answer never arrives
                raise _Dropped
            if fake.lose_batch_answers > 0:
                fake.lose_batch_answers -= 1
                raise _Dropped
            return 200, {"count": len(results), "value": results}

        def _batch_one(self, request: Any) -> dict[str, Any]:
            try:
                method = request.get("method")
                uri = urlsplit(str(request.get("uri", "")))
                inner_query = {k: v[-1] for k, v in parse_qs(uri.query).items()}
                if inner_query.get("api-version") != "7.1":
                    raise Refusal(
                        400, "VS800006: api-version 7.1 is required on every batched request."
                    )
                headers = {k.lower(): v for k, v in (request.get("headers") or {}).items()}
                if headers.get("content-type") != "application/json-patch+json":
                    raise Refusal(
                        415, "VS402860: The Content-Type must be application/json-patch+json."
                    )
                path = unquote(uri.path)
                prefix = f"/{fake.project}/_apis/wit/workitems/"
                if method != "PATCH" or not path.startswith(prefix):
                    raise Refusal(
                        400, f"VS402371: $batch supports work item PATCH only, not {method} {path}."
                    )
                target = path[len(prefix) :]
                if target.startswith("$"):
                    item = fake.create_item(target[1:], request.get("body"))
                elif target.isdigit():
                    item = fake.update_item(int(target), request.get("body"))
                else:
                    raise Refusal(400, f"VS402371: bad work item target {target}.")
                code, answer = 200, fake.work_item_json(item, relations=True)
            except Refusal as refusal:
                code, answer = refusal.status, _error(refusal.message)
            return {
                "code": code,
                "headers": {"Content-Type": "application/json; charset=utf-8"},
                "body": json.dumps(answer),
            }

        def _read_batch(self, body: Any) -> tuple[int, Any]:
            ids = list((body or {}).get("ids") or [])
            if len(ids) > MAX_BATCH:
                raise Refusal(
                    400,
                    f"VS403474: You requested {len(ids)} work items which exceeds the limit of {MAX_BATCH}",
                )
            fields = body.get("fields")
            expand = str(body.get("$expand", "none")).lower()
            if fields and expand != "none":
                raise Refusal(
                    400, "VS403437: The expand parameter can not be used with the fields parameter."
                )
            omit = str(body.get("errorPolicy", "fail")).lower() == "omit"
            value: list[Any] = []
            for item_id in ids:
                item = fake.items.get(int(item_id))
                if item is None:
                    if not omit:
                        raise Refusal(404, f"TF401232: Work item {item_id} does not exist.")
                    value.append(None)
                    continue
                value.append(
                    fake.work_item_json(
                        item, relations=expand in ("relations", "all"), fields=fields
                    )
                )
            return 200, {"count": len(value), "value": value}

        def _nodes(
            self, method: str, group: str, path: str, query: dict[str, str], body: Any
        ) -> tuple[int, Any]:
            root = fake.iterations if group == "iterations" else fake.areas
            segments = [s for s in path.split("/") if s]
            node = fake._find_node(root, segments)
            if node is None:
                raise Refusal(404, f"VS402485: The node {path} does not exist.")
            if method == "GET":
                return 200, fake._node_json(node, segments, int(query.get("$depth", "0")))
            if method == "POST":
                name = str((body or {}).get("name", "")).strip()
                if not name or any(c in name for c in '\\/$?*:"&><#%|+'):
                    raise Refusal(400, f"VS402371: Classification node name '{name}' is not valid.")
                if any(c.name.casefold() == name.casefold() for c in node.children):
                    raise Refusal(
                        409,
                        f"VS402371: Classification node name {name} is already in use by a different child of parent classification node.",
                    )
                child = fake._node(name, root.structure, (body or {}).get("attributes"))
                node.children.append(child)
                return 201, fake._node_json(child, [*segments, name], 0)
            if method == "PATCH" and segments:
                node.attributes.update((body or {}).get("attributes") or {})
                return 200, fake._node_json(node, segments, 0)
            raise Refusal(405, "Method not allowed.")

        def _team_iterations(self, method: str, body: Any) -> tuple[int, Any]:
            def describe(identifier: str) -> dict[str, Any]:
                found = _find_identifier(fake.iterations, identifier, [])
                assert found is not None
                node, trail = found
                return {
                    "id": node.identifier,
                    "name": node.name,
                    "path": "\\".join([fake.project, *trail]),
                    "attributes": {**node.attributes, "timeFrame": "future"},
                    "url": f"{fake.organization_url}/{fake.project}/_apis/work/teamsettings/iterations/{node.identifier}",
                }

            if method == "GET":
                value = [describe(i) for i in fake.team_iterations]
                return 200, {"count": len(value), "value": value}
            if method == "POST":
                identifier = str((body or {}).get("id", ""))
                if _find_identifier(fake.iterations, identifier, []) is None:
                    raise Refusal(400, f"VS403xxx: No iteration with identifier {identifier}.")
                if identifier in fake.team_iterations:
                    raise Refusal(409, "The iteration is already in the team's sprints.")
                fake.team_iterations.append(identifier)
                return 201, describe(identifier)
            raise Refusal(405, "Method not allowed.")

    return Handler


def _find_identifier(
    node: Node, identifier: str, trail: list[str]
) -> tuple[Node, list[str]] | None:
    for child in node.children:
        if child.identifier == identifier:
            return child, [*trail, child.name]
        found = _find_identifier(child, identifier, [*trail, child.name])
        if found is not None:
            return found
    return None


def _error(message: str) -> dict[str, Any]:
    """Azure DevOps' error document."""
    return {
        "$id": "1",
        "innerException": None,
        "message": message,
        "typeName": "Microsoft.TeamFoundation.WorkItemTracking.Server.WorkItemTrackingException",
        "typeKey": "WorkItemTrackingException",
        "errorCode": 0,
        "eventId": 3200,
    }


def serve() -> Iterator[FakeAzureDevOps]:
    """Start a fake, yield it, stop it (the body of a pytest fixture)."""
    fake = FakeAzureDevOps().start()
    try:
        yield fake
    finally:
        fake.stop()
