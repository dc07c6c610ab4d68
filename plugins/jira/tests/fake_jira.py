"""A stateful loopback Jira for the service tests: the REST v2 and Agile endpoints the ``jira``
package calls (trackers.md §6), answering like Cloud or like Server/Data Center.

It keeps issues, links, versions and sprints in memory, records every request, and can be told
to fail: a queued fault (429 with Retry-After, 503, 500, a dropped connection before or after the
request was applied), or "die after N bulk batches" (the next bulk create is applied, its answer
lost, and every later request dropped until :meth:`FakeJira.revive`).
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

PROJECT = {"id": "10000", "key": "MIG", "name": "Migration"}
ISSUE_TYPES = [
    {"id": "10100", "name": "Epic", "subtask": False},
    {"id": "10101", "name": "Feature", "subtask": False},
    {"id": "10102", "name": "Story", "subtask": False},
    {"id": "10103", "name": "Task", "subtask": False},
    {"id": "10104", "name": "Sub-task", "subtask": True},
    {"id": "10105", "name": "Bug", "subtask": False},
]
SPRINT_FIELD = "customfield_10020"
START_FIELD = "customfield_10015"
EPIC_LINK_FIELD = "customfield_10014"
ID_FIELD = "customfield_10050"
LINK_TYPES = [
    {"id": "1000", "name": "Blocks", "inward": "is blocked by", "outward": "blocks"},
    {"id": "1001", "name": "Relates", "inward": "relates to", "outward": "relates to"},
    {"id": "1002", "name": "Duplicate", "inward": "is duplicated by", "outward": "duplicates"},
]
STATUS_CATEGORIES = {
    "To Do": {"key": "new", "name": "To Do"},
    "In Progress": {"key": "indeterminate", "name": "In Progress"},
    "Done": {"key": "done", "name": "Done"},
}
BULK_LIMIT = 50
SPRINT_LIMIT = 50
DROP = object()
"""A handler answer meaning: close the connection without a response."""


@dataclass
class Recorded:
    """One request the fake received."""

    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    authorization: str = ""

    @property
    def is_write(self) -> bool:
        """POST, PUT and DELETE, except searches (a POST search only reads)."""
        return self.method in ("POST", "PUT", "DELETE") and not self.path.endswith(
            ("/search", "/search/jql")
        )


@dataclass
class Fault:
    """A failure to answer the next matching request with."""

    method: str
    path_contains: str
    status: int = 0
    """HTTP status to answer with; 0 drops the connection."""
    headers: dict[str, str] = field(default_factory=dict)
    apply_first: bool = False
    """Apply the request, then fail (a lost answer rather than a refused request)."""


class FakeJira:
    """The fake site. ``deployment`` is ``"Cloud"`` or ``"Server"``."""

    def __init__(
        self,
        deployment: str = "Cloud",
        *,
        email: str = "migrator@contoso.com",
        token: str = "s3cr3t-t0ken-VALUE",
    ) -> None:
        self.deployment = deployment
        self.email = email
        self.token = token
        self.requests: list[Recorded] = []
        self.issues: dict[str, dict[str, Any]] = {}  # key -> {"id", "key", "fields"}
        self.links: list[dict[str, Any]] = []
        self.versions: list[dict[str, Any]] = []
        self.sprints: dict[int, dict[str, Any]] = {}
        self.sprint_of: dict[str, int] = {}  # issue key -> sprint id
        self.boards = [{"id": 7, "name": "MIG board", "type": "scrum"}]
        self.faults: list[Fault] = []
        self.refuse_summaries: set[str] = set()
        self.die_after_bulk: int | None = None
        self.down = False
        self._bulk_batches = 0
        self._ids = itertools.count(10001)
        self._numbers = itertools.count(1)
        self._link_ids = itertools.count(20001)
        self._version_ids = itertools.count(30001)
        self._sprint_ids = itertools.count(1)
        self._clock = itertools.count(1)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.url = ""

    # --- test controls ------------------------------------------------------------------------

    @property
    def cloud(self) -> bool:
        return self.deployment == "Cloud"

    def fail(self, method: str, path_contains: str, status: int = 0, **kwargs: Any) -> None:
        """Queue a one-shot fault for the next ``method`` request whose path holds the text."""
        self.faults.append(Fault(method, path_contains, status, **kwargs))

    def revive(self) -> None:
        """Answer again after a "die after N batches"."""
        self.down = False
        self.die_after_bulk = None

    def writes(self) -> list[Recorded]:
        return [r for r in self.requests if r.is_write]

    def count(self, method: str, path: str) -> int:
        return sum(1 for r in self.requests if r.method == method and r.path == path)

    def issue_by_marker(self, label: str) -> dict[str, Any]:
        (issue,) = [i for i in self.issues.values() if label in i["fields"].get("labels", [])]
        return issue

    def edit(self, key: str, **fields: Any) -> None:
        """A change made by someone in Jira: ``status="In Progress"``, ``summary=...``, …"""
        issue = self.issues[key]
        if "status" in fields:
            name = fields.pop("status")
            category = STATUS_CATEGORIES.get(name, STATUS_CATEGORIES["In Progress"])
            issue["fields"]["status"] = {"name": name, "statusCategory": category}
        issue["fields"].update(fields)
        issue["fields"]["updated"] = self._now()

    def _now(self) -> str:
        return f"2027-01-01T00:00:{next(self._clock) % 60:02d}.000+0000"

    # --- server -------------------------------------------------------------------------------

    @contextmanager
    def running(self) -> Iterator[FakeJira]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms stall

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                answer = fake.handle(
                    self.command, self.path, raw, self.headers.get("Authorization", "")
                )
                if answer is DROP:
                    self.close_connection = True
                    return
                status, headers, body = answer
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json;charset=UTF-8")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _serve

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
        thread.start()
        self._server = server
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()
            thread.join()

    def handle(self, method: str, target: str, raw: bytes, authorization: str) -> Any:
        split = urlsplit(target)
        query = parse_qs(split.query, keep_blank_values=True)
        try:
            body = json.loads(raw) if raw else None
        except json.JSONDecodeError:
            body = raw.decode("utf-8", "replace")
        with self._lock:
            self.requests.append(Recorded(method, split.path, query, body, authorization))
            if self.down:
                return DROP
            fault = next(
                (f for f in self.faults if f.method == method and f.path_contains in split.path),
                None,
            )
            if fault is not None:
                self.faults.remove(fault)
                if fault.apply_first:
                    self._route(method, split.path, query, body, authorization)
                if fault.status == 0:
                    return DROP
                return fault.status, fault.headers, {"errorMessages": [f"injected {fault.status}"]}
            answer = self._route(method, split.path, query, body, authorization)
            if method == "POST" and split.path.endswith("/issue/bulk") and answer[0] in (201, 400):
                self._bulk_batches += 1
                if self.die_after_bulk is not None and self._bulk_batches > self.die_after_bulk:
                    self.down = True
                    return DROP
            return answer

    # --- routing ------------------------------------------------------------------------------

    def _authorised(self, authorization: str) -> bool:
        if self.cloud:
            expected = base64.b64encode(f"{self.email}:{self.token}".encode()).decode()
            return authorization == f"Basic {expected}"
        return authorization == f"Bearer {self.token}"

    def _route(
        self, method: str, path: str, query: dict[str, list[str]], body: Any, authorization: str
    ) -> tuple[int, dict[str, str], Any]:
        if not self._authorised(authorization):
            return 401, {}, {"errorMessages": ["You are not authenticated."]}
        api, agile = "/rest/api/2/", "/rest/agile/1.0/"
        if path.startswith(api):
            return self._api(method, path[len(api) :], query, body)
        if path.startswith(agile):
            return self._agile(method, path[len(agile) :], query, body)
        return 404, {}, {"errorMessages": [f"no such resource {path}"]}

    def _api(
        self, method: str, path: str, query: dict[str, list[str]], body: Any
    ) -> tuple[int, dict[str, str], Any]:
        if (method, path) == ("GET", "serverInfo"):
            return (
                200,
                {},
                {
                    "baseUrl": self.url,
                    "version": "1001.0.0" if self.cloud else "9.12.0",
                    "versionNumbers": [1001, 0, 0] if self.cloud else [9, 12, 0],
                    "deploymentType": self.deployment,
                },
            )
        if (method, path) == ("GET", "field"):
            return 200, {}, self._fields()
        if method == "GET" and path == f"project/{PROJECT['key']}":
            project = dict(PROJECT, self=f"{self.url}/rest/api/2/project/{PROJECT['id']}")
            if "issueTypes" in query.get("expand", [""])[0]:
                project["issueTypes"] = ISSUE_TYPES
            return 200, {}, project
        if method == "GET" and path == f"project/{PROJECT['key']}/versions":
            return 200, {}, self.versions
        if (method, path) == ("POST", "issue/bulk"):
            return self._bulk_create(body)
        if (method, path) == ("GET", "issueLinkType"):
            return 200, {}, {"issueLinkTypes": LINK_TYPES}
        if (method, path) == ("POST", "issueLink"):
            return self._link(body)
        if method == "DELETE" and path.startswith("issueLink/"):
            link_id = path.split("/", 1)[1]
            self.links = [link for link in self.links if link["id"] != link_id]
            return 204, {}, None
        if (method, path) == ("POST", "version"):
            return self._create_version(body)
        if path in ("search", "search/jql") and method in ("GET", "POST"):
            return self._search(path, query, body if method == "POST" else None)
        if path.startswith("issue/"):
            key = self._key_of(path.split("/", 1)[1])
            if key is None:
                return 404, {}, {"errorMessages": ["Issue does not exist"]}
            if method == "GET":
                return 200, {}, self._render(self.issues[key])
            if method == "PUT":
                return self._update(key, body)
        return 404, {}, {"errorMessages": [f"no such resource {method} {path}"]}

    def _agile(
        self, method: str, path: str, query: dict[str, list[str]], body: Any
    ) -> tuple[int, dict[str, str], Any]:
        if (method, path) == ("GET", "board"):
            boards = [b for b in self.boards if query.get("type", ["scrum"])[0] == b["type"]]
            return (
                200,
                {},
                {
                    "startAt": 0,
                    "maxResults": 50,
                    "total": len(boards),
                    "isLast": True,
                    "values": boards,
                },
            )
        if match := re.fullmatch(r"board/(\d+)/sprint", path):
            board = int(match.group(1))
            values = [s for s in self.sprints.values() if s["originBoardId"] == board]
            start = int(query.get("startAt", ["0"])[0])
            size = int(query.get("maxResults", ["50"])[0])
            page = values[start : start + size]
            return (
                200,
                {},
                {
                    "startAt": start,
                    "maxResults": size,
                    "isLast": start + size >= len(values),
                    "values": page,
                },
            )
        if (method, path) == ("POST", "sprint"):
            sprint_id = next(self._sprint_ids)
            sprint = {
                "id": sprint_id,
                "self": f"{self.url}/rest/agile/1.0/sprint/{sprint_id}",
                "state": "future",
                "name": str(body["name"]).strip(),
                "originBoardId": body["originBoardId"],
            }
            for key in ("startDate", "endDate", "goal"):
                if body.get(key):
                    sprint[key] = body[key]
            self.sprints[sprint_id] = sprint
            return 201, {}, sprint
        if method == "POST" and (match := re.fullmatch(r"sprint/(\d+)/issue", path)):
            sprint = self.sprints.get(int(match.group(1)))
            issues = body.get("issues", [])
            if sprint is None:
                return 404, {}, {"errorMessages": ["Sprint does not exist"]}
            if len(issues) > SPRINT_LIMIT:
                return 400, {}, {"errorMessages": [f"at most {SPRINT_LIMIT} issues per request"]}
            if sprint["state"] == "closed":
                return 400, {}, {"errorMessages": ["Cannot add issues to a closed sprint"]}
            unknown = [k for k in issues if k not in self.issues]
            if unknown:
                return 400, {}, {"errorMessages": [f"Issue does not exist: {unknown[0]}"]}
            for key in issues:
                self.sprint_of[key] = sprint["id"]
            return 204, {}, None
        if (method, path) == ("POST", "backlog/issue"):
            if len(body.get("issues", [])) > SPRINT_LIMIT:
                return 400, {}, {"errorMessages": [f"at most {SPRINT_LIMIT} issues per request"]}
            for key in body.get("issues", []):
                self.sprint_of.pop(key, None)
            return 204, {}, None
        return 404, {}, {"errorMessages": [f"no such resource {method} {path}"]}

    # --- resources ----------------------------------------------------------------------------

    def _fields(self) -> list[dict[str, Any]]:
        fields = [
            {"id": "summary", "name": "Summary", "custom": False, "clauseNames": ["summary"]},
            {"id": "labels", "name": "Labels", "custom": False, "clauseNames": ["labels"]},
            {
                "id": "issuelinks",
                "name": "Linked Issues",
                "custom": False,
                "clauseNames": ["issueLink"],
            },
            {
                "id": SPRINT_FIELD,
                "name": "Sprint",
                "custom": True,
                "clauseNames": ["cf[10020]", "Sprint", "sprint"],
                "schema": {
                    "type": "array",
                    "custom": "com.pyxis.greenhopper.jira:gh-sprint",
                    "customId": 10020,
                },
            },
            {
                "id": START_FIELD,
                "name": "Start date",
                "custom": True,
                "clauseNames": ["cf[10015]", "Start date"],
                "schema": {
                    "type": "date",
                    "custom": "com.atlassian.jira.plugin.system.customfieldtypes:datepicker",
                    "customId": 10015,
                },
            },
            {
                "id": ID_FIELD,
                "name": "mbf id",
                "custom": True,
                "clauseNames": ["cf[10050]", "mbf id"],
                "schema": {
                    "type": "string",
                    "custom": "com.atlassian.jira.plugin.system.customfieldtypes:textfield",
                    "customId": 10050,
                },
            },
        ]
        if not self.cloud:
            fields.append(
                {
                    "id": EPIC_LINK_FIELD,
                    "name": "Epic Link",
                    "custom": True,
                    "clauseNames": ["cf[10014]", "Epic Link"],
                    "schema": {
                        "type": "any",
                        "custom": "com.pyxis.greenhopper.jira:gh-epic-link",
                        "customId": 10014,
                    },
                }
            )
        return fields

    def _key_of(self, key_or_id: str) -> str | None:
        if key_or_id in self.issues:
            return key_or_id
        return next((k for k, i in self.issues.items() if i["id"] == key_or_id), None)

    def _check(self, fields: dict[str, Any], creating: bool) -> dict[str, str]:
        """Per-field errors Jira would answer for these fields."""
        errors: dict[str, str] = {}
        if creating:
            if fields.get("project") != {"id": PROJECT["id"]}:
                errors["project"] = "valid project is required"
            types = {t["id"]: t for t in ISSUE_TYPES}
            issue_type = types.get((fields.get("issuetype") or {}).get("id", ""))
            if issue_type is None:
                errors["issuetype"] = "valid issue type is required"
            elif issue_type["subtask"] and not fields.get("parent"):
                errors["parent"] = (
                    "Issue type is a sub-task but parent issue key or id not specified."
                )
        if "summary" in fields and not str(fields.get("summary") or "").strip():
            errors["summary"] = "You must specify a summary of the issue."
        if str(fields.get("summary", "")) in self.refuse_summaries:
            errors["summary"] = "Summary refused by a workflow validator."
        if any(" " in label for label in fields.get("labels") or ()):
            errors["labels"] = "The label contains spaces which is invalid."
        parent = fields.get("parent")
        if parent:
            parent_key = self._key_of(str(parent.get("key") or parent.get("id")))
            if parent_key is None:
                errors["parent"] = "Could not find issue by id or key."
        for version in fields.get("fixVersions") or ():
            if not any(v["id"] == version.get("id") for v in self.versions):
                errors["fixVersions"] = f"Version id '{version.get('id')}' is not valid"
        return errors

    def _apply(self, issue: dict[str, Any], fields: dict[str, Any]) -> None:
        stored = issue["fields"]
        for name, value in fields.items():
            if name == "issuetype":
                stored[name] = next(t for t in ISSUE_TYPES if t["id"] == value["id"])
            elif name == "project":
                stored[name] = dict(PROJECT)
            elif name == "parent":
                parent = self.issues[self._key_of(str(value.get("key") or value.get("id")))]  # type: ignore[index]
                stored[name] = {"id": parent["id"], "key": parent["key"]}
            elif name == "fixVersions":
                stored[name] = [next(v for v in self.versions if v["id"] == x["id"]) for x in value]
            elif name == "timetracking":
                minutes = int(str(value["originalEstimate"]).rstrip("m"))
                stored["timeoriginalestimate"] = minutes * 60
            elif name == "assignee":
                stored[name] = (
                    None if value is None else {**value, "displayName": next(iter(value.values()))}
                )
            elif name == "priority":
                stored[name] = None if value is None else {"name": value["name"]}
            else:
                stored[name] = value
        stored["updated"] = self._now()

    def _bulk_create(self, body: Any) -> tuple[int, dict[str, str], Any]:
        updates = body.get("issueUpdates", [])
        if len(updates) > BULK_LIMIT:
            return (
                400,
                {},
                {
                    "issues": [],
                    "errors": [
                        {
                            "status": 400,
                            "elementErrors": {
                                "errorMessages": [f"at most {BULK_LIMIT} issues"],
                                "errors": {},
                            },
                            "failedElementNumber": 0,
                        }
                    ],
                },
            )
        issues, errors = [], []
        for index, update in enumerate(updates):
            fields = update.get("fields", {})
            problems = self._check(fields, creating=True)
            if problems:
                errors.append(
                    {
                        "status": 400,
                        "elementErrors": {"errorMessages": [], "errors": problems},
                        "failedElementNumber": index,
                    }
                )
                continue
            issue_id = str(next(self._ids))
            key = f"{PROJECT['key']}-{next(self._numbers)}"
            issue = {
                "id": issue_id,
                "key": key,
                "fields": {
                    "status": {"name": "To Do", "statusCategory": STATUS_CATEGORIES["To Do"]},
                    "labels": [],
                },
            }
            self.issues[key] = issue
            self._apply(issue, fields)
            issues.append({"id": issue_id, "key": key, "self": self._self(issue_id)})
        return (201 if issues else 400), {}, {"issues": issues, "errors": errors}

    def _update(self, key: str, body: Any) -> tuple[int, dict[str, str], Any]:
        fields = (body or {}).get("fields", {})
        problems = self._check(fields, creating=False)
        if problems:
            return 400, {}, {"errorMessages": [], "errors": problems}
        self._apply(self.issues[key], fields)
        return 204, {}, None

    def _link(self, body: Any) -> tuple[int, dict[str, str], Any]:
        name = (body.get("type") or {}).get("name")
        if not any(t["name"] == name for t in LINK_TYPES):
            return 404, {}, {"errorMessages": [f"No issue link type with name '{name}' found."]}
        inward = self._key_of(str((body.get("inwardIssue") or {}).get("key")))
        outward = self._key_of(str((body.get("outwardIssue") or {}).get("key")))
        if inward is None or outward is None:
            return 404, {}, {"errorMessages": ["Issue does not exist"]}
        if not any(
            link["type"] == name and link["inward"] == inward and link["outward"] == outward
            for link in self.links
        ):
            self.links.append(
                {
                    "id": str(next(self._link_ids)),
                    "type": name,
                    "inward": inward,
                    "outward": outward,
                }
            )
        return 201, {}, None

    def _create_version(self, body: Any) -> tuple[int, dict[str, str], Any]:
        if any(v["name"] == body.get("name") for v in self.versions):
            return (
                400,
                {},
                {"errors": {"name": "A version with this name already exists in this project."}},
            )
        version_id = str(next(self._version_ids))
        version = {
            "self": f"{self.url}/rest/api/2/version/{version_id}",
            "id": version_id,
            "name": body["name"],
            "archived": bool(body.get("archived")),
            "released": bool(body.get("released")),
            "projectId": int(body.get("projectId") or PROJECT["id"]),
        }
        for key in ("description", "releaseDate", "startDate"):
            if body.get(key):
                version[key] = body[key]
        self.versions.append(version)
        return 201, {}, version

    def _self(self, issue_id: str) -> str:
        return f"{self.url}/rest/api/2/issue/{issue_id}"

    def _render(self, issue: dict[str, Any], wanted: list[str] | None = None) -> dict[str, Any]:
        fields = dict(issue["fields"])
        key = issue["key"]
        links = []
        for link in self.links:
            link_type = next(t for t in LINK_TYPES if t["name"] == link["type"])
            if link["outward"] == key:
                links.append(
                    {"id": link["id"], "type": link_type, "inwardIssue": {"key": link["inward"]}}
                )
            if link["inward"] == key:
                links.append(
                    {"id": link["id"], "type": link_type, "outwardIssue": {"key": link["outward"]}}
                )
        fields["issuelinks"] = links
        # Sub-tasks show their parent's sprint.
        parent = (fields.get("parent") or {}).get("key")
        sprint_id = self.sprint_of.get(key) or (self.sprint_of.get(parent) if parent else None)
        fields[SPRINT_FIELD] = [self.sprints[sprint_id]] if sprint_id else None
        if wanted is not None and "*all" not in wanted:
            fields = {name: fields.get(name) for name in wanted}
        return {"id": issue["id"], "key": key, "self": self._self(issue["id"]), "fields": fields}

    # --- search -------------------------------------------------------------------------------

    def _search(
        self, path: str, query: dict[str, list[str]], body: Any
    ) -> tuple[int, dict[str, str], Any]:
        if self.cloud and path == "search":
            return (
                410,
                {},
                {
                    "errorMessages": [
                        "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API."
                    ]
                },
            )
        if not self.cloud and path == "search/jql":
            return 404, {}, {"errorMessages": ["null for uri: search/jql"]}
        params = (
            body if body is not None else {k: v[0] if len(v) == 1 else v for k, v in query.items()}
        )
        jql = str(params.get("jql") or "")
        raw_fields = params.get("fields") or []
        wanted = [
            f
            for part in ([raw_fields] if isinstance(raw_fields, str) else raw_fields)
            for f in str(part).split(",")
            if f
        ]
        try:
            matches = self._run_jql(jql)
        except ValueError as exc:
            return 400, {}, {"errorMessages": [str(exc)]}
        size = min(int(params.get("maxResults") or 50), 100)
        if self.cloud:
            start = int(params.get("nextPageToken") or 0)
        else:
            start = int(params.get("startAt") or 0)
        page = [self._render(issue, wanted or ["id"]) for issue in matches[start : start + size]]
        if self.cloud:
            answer: dict[str, Any] = {"issues": page, "isLast": start + size >= len(matches)}
            if not answer["isLast"]:
                answer["nextPageToken"] = str(start + size)
            return 200, {}, answer
        return (
            200,
            {},
            {"startAt": start, "maxResults": size, "total": len(matches), "issues": page},
        )

    def _run_jql(self, jql: str) -> list[dict[str, Any]]:
        """A JQL subset: ``project = X``, ``labels in (..)``, ``labels = x``, ``key in (..)``
        joined by AND, and ``ORDER BY key``."""
        if not jql.strip():
            raise ValueError("Unbounded JQL queries are not allowed here.")
        where = re.split(r"\s+ORDER BY\s+", jql, flags=re.IGNORECASE)[0]
        issues = list(self.issues.values())
        for clause in re.split(r"\s+AND\s+", where.strip(), flags=re.IGNORECASE):
            if match := re.fullmatch(r'project\s*=\s*"?([A-Z0-9]+)"?', clause):
                if match.group(1) != PROJECT["key"]:
                    return []
            elif match := re.fullmatch(r"labels\s+in\s*\((.*)\)", clause, flags=re.DOTALL):
                labels = set(_jql_values(match.group(1)))
                issues = [i for i in issues if labels & set(i["fields"].get("labels") or ())]
            elif match := re.fullmatch(r"labels\s*=\s*(.+)", clause):
                (label,) = _jql_values(match.group(1))
                issues = [i for i in issues if label in (i["fields"].get("labels") or ())]
            elif match := re.fullmatch(r"key\s+in\s*\((.*)\)", clause, flags=re.DOTALL):
                keys = set(_jql_values(match.group(1)))
                issues = [i for i in issues if i["key"] in keys]
            else:
                raise ValueError(f"Error in the JQL Query: cannot read {clause!r}")
        return sorted(issues, key=lambda i: int(i["key"].split("-")[1]))


def _jql_values(text: str) -> list[str]:
    values = []
    for match in re.finditer(r'"((?:[^"\\]|\\.)*)"|([^,\s]+)', text):
        quoted, bare = match.groups()
        values.append(re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else bare)
    return values
