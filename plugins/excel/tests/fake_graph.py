"""A loopback Microsoft Graph for the ``excel-online`` tests: the drive-item endpoints msgraph-sdk
calls to find, download and upload one file, with the documented behaviour that matters here.

- ``GET /v1.0/drives/{drive}/items/{id | root:/path:}``: the driveItem (``id``, ``name``, ``eTag``,
  ``cTag``, ``webUrl``, ``parentReference.driveId``), 404 ``itemNotFound`` when absent;
- ``GET .../items/{id}/content``: 302 to a pre-authenticated download URL on the same loopback
  host (``/download/...``), which answers the bytes;
- ``PUT .../items/{id | root:/path:}/content``: replaces the content; ``If-Match`` with a stale
  eTag is 412 ``resourceModified``; ``@microsoft.graph.conflictBehavior=fail`` on an existing
  file is 409 ``nameAlreadyExists``; every upload gives a new eTag;
- ``GET /v1.0/sites/{site}/drive`` and ``/v1.0/me/drive``: the drive;
- ``Authorization: Bearer <token>`` required on ``/v1.0`` (401 otherwise).

Stateful (files in memory), every request recorded, and switches to inject failures (status with
``Retry-After``, dropped connections) and a colleague saving the file just before an upload.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import attrs

TOKEN = "fake-graph-token"
DRIVE_ID = "b!fakeDrive0001"
SITE_ID = "contoso.sharepoint.com,11111111-2222-3333-4444-555555555555,66666666-7777-8888-9999-000000000000"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FAULT_CODES = {423: "resourceLocked", 429: "activityLimitReached", 503: "serviceNotAvailable"}
"""Graph's error codes for the injected statuses (others: ``generalException``)."""


@attrs.define
class StoredFile:
    """One file of the fake drive."""

    id: str
    path: str
    content: bytes
    version: int = 1
    guid: str = attrs.field(factory=lambda: str(uuid.uuid4()).upper())

    @property
    def etag(self) -> str:
        return f'"{{{self.guid}}},{self.version}"'

    @property
    def ctag(self) -> str:
        return f'"c:{{{self.guid}}},{self.version}"'


@attrs.frozen
class Request:
    """One request the fake received."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body_size: int
    status: int | None
    """The answer's status; ``None`` for a dropped connection."""


@attrs.define
class Fault:
    """Answer the next ``times`` matching requests with ``status`` (or drop the connection)."""

    status: int
    method: str | None = None
    path_contains: str = ""
    retry_after: str | None = None
    drop: bool = False
    times: int = 1


class FakeGraph:
    """The fake Graph server; start with :meth:`start`, stop with :meth:`stop`."""

    def __init__(self) -> None:
        self.files: dict[str, StoredFile] = {}
        self.log: list[Request] = []
        self.faults: list[Fault] = []
        self.before_upload: list[Callable[[FakeGraph], None]] = []
        self._lock = threading.RLock()
        self._next_id = 1
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    @property
    def base_url(self) -> str:
        """What ``graph_url`` points at."""
        return f"{self.root}/v1.0"

    def start(self) -> FakeGraph:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # -- what tests set up and look at -----------------------------------------------------------

    def save(self, path: str, content: bytes) -> StoredFile:
        """A person saving the file (in Excel for the web, or by uploading): new eTag."""
        with self._lock:
            stored = self._by_path(path)
            if stored is None:
                stored = StoredFile(id=f"01FAKEITEM{self._next_id:04d}", path=path, content=content)
                self._next_id += 1
                self.files[stored.id] = stored
            else:
                stored.content = content
                stored.version += 1
            return stored

    def content(self, path: str) -> bytes:
        stored = self._by_path(path)
        assert stored is not None, f"no file at {path}"
        return stored.content

    def etag(self, path: str) -> str:
        stored = self._by_path(path)
        assert stored is not None, f"no file at {path}"
        return stored.etag

    def fail(self, status: int, **kwargs: Any) -> None:
        """Inject a failure (see :class:`Fault`)."""
        self.faults.append(Fault(status, **kwargs))

    def requests(self, method: str | None = None) -> list[Request]:
        return [r for r in self.log if method is None or r.method == method]

    @property
    def uploads(self) -> list[Request]:
        """Every write request received (the only write this service makes is an upload)."""
        return [r for r in self.log if r.method in ("PUT", "POST", "PATCH", "DELETE")]

    # -- serving ------------------------------------------------------------------------------------

    def _by_path(self, path: str) -> StoredFile | None:
        wanted = path.strip("/").lower()  # OneDrive paths are case-insensitive
        for stored in self.files.values():
            if stored.path.strip("/").lower() == wanted:
                return stored
        return None

    def _metadata(self, stored: StoredFile) -> dict[str, Any]:
        folder, _, name = stored.path.strip("/").rpartition("/")
        return {
            "@odata.context": f"{self.base_url}/$metadata#drives('{DRIVE_ID}')/items/$entity",
            "id": stored.id,
            "name": name,
            "eTag": stored.etag,
            "cTag": stored.ctag,
            "size": len(stored.content),
            "webUrl": f"https://contoso.sharepoint.com/sites/migration/Shared%20Documents/{stored.path}",
            "file": {"mimeType": XLSX_TYPE},
            "parentReference": {
                "driveId": DRIVE_ID,
                "driveType": "documentLibrary",
                "path": f"/drives/{DRIVE_ID}/root:/{folder}",
            },
        }

    def _fault_for(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if (fault.method is None or fault.method == method) and fault.path_contains in path:
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    def handle(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes] | None:
        """The answer to one request: ``(status, headers, body)``, ``None`` to drop it."""
        url = urlsplit(raw_path)
        with self._lock:
            answer = self._answer(method, url.path, url.query, headers, body)
            status = None if answer is None else answer[0]
            self.log.append(Request(method, url.path, url.query, headers, len(body), status))
            return answer

    def _answer(
        self, method: str, path: str, query: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes] | None:
        fault = self._fault_for(method, path)
        if fault is not None:
            if fault.drop:
                return None
            extra = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
            code = _FAULT_CODES.get(fault.status, "generalException")
            return _error(fault.status, code, "injected failure", extra)
        if path.startswith("/download/"):
            return self._download(path.removeprefix("/download/"), query)
        if not path.startswith("/v1.0/"):
            return _error(404, "invalidRequest", "not a Graph address")
        if headers.get("authorization") != f"Bearer {TOKEN}":
            return _error(401, "InvalidAuthenticationToken", "Access token is empty.")
        return self._route(method, path.removeprefix("/v1.0"), query, headers, body)

    def _route(
        self, method: str, path: str, query: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        path = unquote(path)  # kiota percent-encodes ids ("b!" drive ids, "root:/…:" paths)
        if method == "GET" and path in ("/me/drive", f"/sites/{SITE_ID}/drive"):
            return _json(200, {"id": DRIVE_ID, "driveType": "documentLibrary"})
        prefix = f"/drives/{DRIVE_ID}/items/"
        if not path.startswith(prefix):
            return _error(404, "itemNotFound", "The resource could not be found.")
        rest = path.removeprefix(prefix)
        content = rest.endswith("/content")
        reference = rest.removesuffix("/content")
        if reference.startswith("root:/") and reference.endswith(":"):
            item_path: str | None = reference.removeprefix("root:/").removesuffix(":")
            stored = self._by_path(item_path)
        else:
            item_path = None
            stored = self.files.get(reference)
        if method == "GET" and not content:
            if stored is None:
                return _error(404, "itemNotFound", "The resource could not be found.")
            return _json(200, self._metadata(stored))
        if method == "GET":
            if stored is None:
                return _error(404, "itemNotFound", "The resource could not be found.")
            location = f"{self.root}/download/{stored.id}?tempauth=v{stored.version}"
            return 302, {"Location": location}, b""
        if method == "PUT" and content:
            return self._upload(stored, item_path, query, headers, body)
        return _error(405, "invalidRequest", f"{method} is not supported here")

    def _download(self, item_id: str, query: str) -> tuple[int, dict[str, str], bytes]:
        stored = self.files.get(item_id)
        if stored is None or not query.startswith("tempauth="):
            return _error(401, "unauthenticated", "the download URL is not valid")
        return 200, {"Content-Type": XLSX_TYPE, "ETag": stored.ctag}, stored.content

    def _upload(
        self,
        stored: StoredFile | None,
        item_path: str | None,
        query: str,
        headers: dict[str, str],
        body: bytes,
    ) -> tuple[int, dict[str, str], bytes]:
        if self.before_upload:  # a colleague saves just before this upload lands
            self.before_upload.pop(0)(self)
            if item_path is not None:
                stored = self._by_path(item_path)
        if_match = headers.get("if-match")
        if stored is None:
            if item_path is None:
                return _error(404, "itemNotFound", "The resource could not be found.")
            if if_match:
                return _error(412, "resourceModified", "ETag does not match current item's value")
            return _json(201, self._metadata(self.save(item_path, body)))
        if if_match and if_match not in (stored.etag, stored.ctag):
            return _error(412, "resourceModified", "ETag does not match current item's value")
        behaviour = parse_qs(query).get("@microsoft.graph.conflictBehavior", ["replace"])[0]
        if behaviour == "fail":
            return _error(409, "nameAlreadyExists", "The specified item name already exists.")
        return _json(200, self._metadata(self.save(stored.path, body)))


def _json(status: int, document: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json"}, json.dumps(document).encode()


def _error(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    document = {"error": {"code": code, "message": message, "innerError": {"request-id": "fake"}}}
    answer = _json(status, document)
    return status, {**answer[1], **(headers or {})}, answer[2]


def _handler_for(fake: FakeGraph) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
            pass

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {key.lower(): value for key, value in self.headers.items()}
            answer = fake.handle(self.command, self.path, headers, body)
            if answer is None:  # a dropped connection: no status line at all
                self.close_connection = True
                return
            status, response_headers, data = answer
            self.send_response(status)
            for key, value in response_headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_PUT = do_POST = do_PATCH = do_DELETE = _serve

    return Handler
