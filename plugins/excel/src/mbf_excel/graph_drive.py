"""The backlog workbook as a drive item, through msgraph-sdk: look it up, download it, upload it.

msgraph-sdk is large (hundreds of MB, a quarter of a second to import), so nothing here imports it
at module level: :class:`GraphDrive` does on construction, which only happens when a push or pull
actually talks to Graph. The SDK is async-only; each :class:`GraphDrive` runs its requests on its
own event loop (``asyncio.Runner``) so the HTTP connection pool is reused from call to call.

Retries are mbf's (:class:`mbf.sync.RetryPolicy`: 429 and 503 wait for ``Retry-After``, other
5xx, resets and timeouts back off), so kiota's own retry handler is switched off: two layers of
retries would multiply the waits, and only mbf's can be told not to sleep in tests.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import warnings
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar
from urllib.parse import quote

import attrs

from mbf.errors import MbfError
from mbf.sync import RetryPolicy, Transient, retry_after_seconds
from mbf_excel.online_settings import ExcelOnlineSettings

__all__ = [
    "SECRET_VARIABLES",
    "DriveFile",
    "GraphDrive",
    "PreconditionFailed",
    "classify_graph_failure",
    "make_credential",
    "redact",
]

T = TypeVar("T")
P = ParamSpec("P")

SIMPLE_UPLOAD_LIMIT = 250 * 1024 * 1024
"""Graph's limit for uploading a file in one PUT (larger needs an upload session)."""

SECRET_VARIABLES = ("AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PASSWORD", "AZURE_PASSWORD")
"""Environment variables azure-identity reads secrets from; their values never reach a message."""


@attrs.frozen(kw_only=True)
class DriveFile:
    """The workbook's drive item as Graph describes it."""

    id: str
    """The item id (stable across renames and uploads)."""
    drive_id: str
    """The drive it is in."""
    name: str
    """File name, e.g. ``backlog.xlsx``."""
    etag: str
    """Changes whenever the item changes: the upload's ``If-Match``."""
    web_url: str = ""
    """Where a person opens it in the browser."""


class PreconditionFailed(MbfError):
    """The workbook changed since it was downloaded (412), or appeared since it was found absent
    (409): download, merge and try again."""


def redact(text: str) -> str:
    """``text`` with the value of every secret environment variable replaced by ``***``."""
    for name in SECRET_VARIABLES:
        value = os.environ.get(name)
        if value:
            text = text.replace(value, "***")
    return text


def _status_of(exc: BaseException) -> int | None:
    status = getattr(exc, "response_status_code", None)
    return status if isinstance(status, int) else None


def _header(exc: BaseException, name: str) -> str | None:
    headers = getattr(exc, "response_headers", None) or {}
    for key, value in dict(headers).items():
        if key.lower() == name:
            return str(value)
    return None


def classify_graph_failure(exc: Exception) -> Transient | None:
    """Whether a failed Graph call is worth retrying: 429 and 503 after ``Retry-After``, other 5xx
    and transport failures (resets, timeouts) with backoff; anything else is final."""
    import httpx

    status = _status_of(exc)
    if status in (429, 503):
        return Transient(wait=retry_after_seconds(_header(exc, "retry-after")))
    if status is not None and 500 <= status < 600:
        return Transient()
    if isinstance(exc, httpx.TransportError):
        return Transient()
    return None


def make_credential(settings: ExcelOnlineSettings) -> Any:
    """The azure-identity credential ``settings.credential`` names (a secret only ever comes from
    the environment)."""
    from mbf.sync import secret_from_environment

    if settings.credential == "client-secret":
        from azure.identity import ClientSecretCredential

        secret = secret_from_environment("AZURE_CLIENT_SECRET", purpose="excel-online")
        return ClientSecretCredential(settings.tenant_id, settings.client_id, secret)
    if settings.credential == "azure-cli":
        from azure.identity import AzureCliCredential

        return AzureCliCredential(tenant_id=settings.tenant_id)
    if settings.credential == "device-code":
        from azure.identity import DeviceCodeCredential

        return DeviceCodeCredential(
            client_id=settings.client_id, tenant_id=settings.tenant_id or None
        )
    from azure.identity import DefaultAzureCredential

    return DefaultAzureCredential()


def _sdk_quiet(method: Callable[P, T]) -> Callable[P, T]:
    """Run ``method`` with the SDK's own deprecation warnings silenced: kiota warns about its own
    classes as the generated request builders import them (lazily, on first use), which is
    nothing a user of mbf can act on."""

    @functools.wraps(method)
    def quiet(*args: P.args, **kwargs: P.kwargs) -> T:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"kiota_|msgraph")
            return method(*args, **kwargs)

    return quiet


class GraphDrive:
    """The drive item at ``settings.item_path``, reached with msgraph-sdk.

    ``write_requests`` counts the uploads sent (accepted or refused), ``requests`` every request.
    """

    @_sdk_quiet
    def __init__(
        self, settings: ExcelOnlineSettings, credential: Any, retry: RetryPolicy | None = None
    ) -> None:
        import httpx
        from kiota_authentication_azure.azure_identity_authentication_provider import (
            AzureIdentityAuthenticationProvider,
        )
        from kiota_http.kiota_client_factory import (
            DEFAULT_CONNECTION_TIMEOUT,
            DEFAULT_REQUEST_TIMEOUT,
        )
        from kiota_http.middleware.options import RetryHandlerOption
        from msgraph.graph_request_adapter import GraphRequestAdapter
        from msgraph.graph_request_adapter import options as graph_options
        from msgraph.graph_service_client import GraphServiceClient
        from msgraph_core import GraphClientFactory

        self.settings = settings
        self.retry = retry or RetryPolicy()
        self.requests = 0
        self.write_requests = 0
        self._drive_id = settings.drive_id
        self._runner = asyncio.Runner()
        host = settings.graph_url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
        auth = AzureIdentityAuthenticationProvider(
            credential, scopes=settings.scopes, allowed_hosts=[host]
        )
        # mbf's RetryPolicy retries; kiota's handler would sleep on its own on top of it.
        options = {
            **graph_options,
            RetryHandlerOption.get_key(): RetryHandlerOption(max_retries=0, should_retry=False),
        }
        # Our own transport, closed by close(): the SDK's middleware transport does not pass
        # aclose() on, which would leave the pooled connections open.
        self._transport = httpx.AsyncHTTPTransport(http2=True)
        client = httpx.AsyncClient(
            transport=self._transport,
            timeout=httpx.Timeout(DEFAULT_REQUEST_TIMEOUT, connect=DEFAULT_CONNECTION_TIMEOUT),
        )
        self._http = GraphClientFactory.create_with_default_middleware(
            client=client, options=options
        )
        adapter = GraphRequestAdapter(auth, client=self._http)
        adapter.base_url = settings.graph_url.rstrip("/")  # before the client: it keeps a set one
        self._adapter = adapter
        self._client = GraphServiceClient(request_adapter=adapter)

    # -- the three operations --------------------------------------------------------------------

    @_sdk_quiet
    def find(self) -> DriveFile | None:
        """The workbook's drive item, or ``None`` when there is no file at the path yet."""
        builder = self._by_path(self._resolve_drive())
        try:
            item = self._call(
                "look up", lambda: self._send_json(builder.to_get_request_information())
            )
        except MbfError as exc:
            if _status_of(exc.__cause__ or exc) == 404:
                return None
            raise
        return self._drive_file(item)

    @_sdk_quiet
    def download(self, file: DriveFile) -> bytes:
        """The workbook's bytes (Graph answers with a redirect to a short-lived download URL,
        which the SDK's redirect handler follows)."""
        builder = self._client.drives.by_drive_id(file.drive_id).items.by_drive_item_id(file.id)
        content = self._call("download", builder.content.get)
        return content or b""

    @_sdk_quiet
    def upload(self, content: bytes, file: DriveFile | None) -> DriveFile:
        """Replace the workbook (``If-Match`` its eTag) or, when ``file`` is ``None``, create it
        (failing if someone created it meanwhile). Raises :class:`PreconditionFailed` when the
        workbook changed since ``file`` was read."""
        from kiota_abstractions.base_request_configuration import RequestConfiguration

        if len(content) > SIMPLE_UPLOAD_LIMIT:
            raise MbfError(
                f"excel-online: the workbook is {len(content) // (1024 * 1024)} MB, more than the "
                "250 MB Graph takes in one upload; split the backlog"
            )
        config: RequestConfiguration[Any] = RequestConfiguration()
        if file is None:
            request = self._by_path(self._resolve_drive()).content.to_put_request_information(
                content, config
            )
            # Creating: never replace a workbook someone else uploaded in the meantime.
            request.path_parameters["baseurl"] = self._adapter.base_url
            request.url = f"{request.url}?{quote('@microsoft.graph.conflictBehavior')}=fail"
        else:
            config.headers.add("If-Match", file.etag)
            builder = self._client.drives.by_drive_id(file.drive_id).items.by_drive_item_id(file.id)
            request = builder.content.to_put_request_information(content, config)

        async def put() -> dict[str, Any]:
            self.write_requests += 1
            return await self._send_json(request)

        try:
            item = self._call("upload", put)
        except MbfError as exc:
            status = _status_of(exc.__cause__ or exc)
            if status in (409, 412):
                raise PreconditionFailed(
                    f"excel-online: {self.settings.location} was saved by someone else meanwhile"
                ) from None
            raise
        return self._drive_file(item)

    @_sdk_quiet
    def close(self) -> None:
        """Close the HTTP connections and the event loop."""
        try:
            self._runner.run(self._http.aclose())
            self._runner.run(self._transport.aclose())
        finally:
            self._runner.close()

    # -- plumbing ----------------------------------------------------------------------------------

    def _by_path(self, drive_id: str) -> Any:
        """The request builder of the item at ``item_path`` (Graph's ``root:/path:`` address)."""
        path = self.settings.item_path.strip("/")
        return self._client.drives.by_drive_id(drive_id).items.by_drive_item_id(f"root:/{path}:")

    async def _send_json(self, request: Any) -> dict[str, Any]:
        """Send a request built by the SDK's request builders (auth, middleware, error mapping to
        ``ODataError``) and read the JSON answer as a plain dict. The generated ``DriveItem``
        model is skipped on purpose: deserialising any Graph entity imports the SDK's ~1,200
        entity modules, seconds of start-up for the five fields mbf reads."""
        from msgraph.generated.models.o_data_errors.o_data_error import ODataError

        raw = await self._adapter.send_primitive_async(request, "bytes", {"XXX": ODataError})
        document = json.loads(raw) if raw else {}
        return document if isinstance(document, dict) else {}

    def _resolve_drive(self) -> str:
        """The drive id: given, or the site's default document library, or the user's OneDrive
        (one request, once)."""
        if not self._drive_id:
            if self.settings.site_id:
                builder: Any = self._client.sites.by_site_id(self.settings.site_id).drive
            else:
                builder = self._client.me.drive
            request = builder.to_get_request_information()
            drive = self._call("find the drive of", lambda: self._send_json(request))
            if not drive.get("id"):
                raise MbfError(f"excel-online: Graph named no drive for {self.settings.location}")
            self._drive_id = str(drive["id"])
        return self._drive_id

    def _drive_file(self, item: dict[str, Any]) -> DriveFile:
        if not item.get("id"):
            raise MbfError(
                f"excel-online: Graph returned no drive item for {self.settings.location}"
            )
        parent = item.get("parentReference") or {}
        return DriveFile(
            id=str(item["id"]),
            drive_id=str(parent.get("driveId") or self._resolve_drive()),
            name=str(item.get("name") or self.settings.item_path.rsplit("/", 1)[-1]),
            etag=str(item.get("eTag") or ""),
            web_url=str(item.get("webUrl") or ""),
        )

    def _call(self, action: str, request: Callable[[], Awaitable[T]]) -> T:
        """Run one request with mbf's retries; a final failure becomes an :class:`MbfError`
        that says what failed and never carries a secret."""

        def attempt() -> T:
            self.requests += 1
            return self._runner.run(_awaited(request))

        try:
            return self.retry.run(attempt, classify_graph_failure)
        except MbfError:
            raise
        except Exception as exc:
            raise MbfError(
                redact(
                    f"excel-online: could not {action} {self.settings.location}: {_describe(exc)}"
                )
            ) from exc


async def _awaited(request: Callable[[], Awaitable[T]]) -> T:
    return await request()


def _describe(exc: BaseException) -> str:
    """One line about a failure: Graph's error code and message, or the exception's own words."""
    status = _status_of(exc)
    error = getattr(exc, "error", None)
    code = getattr(error, "code", None)
    text = str(exc).strip()
    message = getattr(error, "message", None) or (text.splitlines()[0] if text else "")
    parts = [f"HTTP {status}" if status else type(exc).__name__]
    if code:
        parts.append(str(code))
    if message:
        parts.append(str(message).rstrip("."))
    described = ": ".join(parts)
    if status in (401, 403):
        described += " (check the credential and that it may read and write the file)"
    elif status == 423:
        described += " (the file is checked out or locked; check it in or close it and push again)"
    return described
