"""The HTTP layer of the ``azure-devops`` service: REST 7.1 calls over httpx, with mbf's retries.

Every call carries ``api-version`` and Basic auth with an empty user name and the personal access
token as password (what Azure DevOps documents for PATs). Failures are sorted for
:class:`mbf.sync.RetryPolicy`: 429 and 503 wait for ``Retry-After`` (seconds or an HTTP date),
other 5xx, dropped connections and timeouts back off; anything else is final and becomes an
:class:`AzureDevOpsError` whose message names the call and Azure DevOps' own message, never the
token. Azure DevOps also sends ``Retry-After`` on *successful* responses when a caller nears its
rate limit; the client then waits that long before its next request.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from mbf.errors import MbfError
from mbf.sync import RetryPolicy, Transient, retry_after_seconds

if TYPE_CHECKING:
    import httpx

__all__ = ["JSON_PATCH", "AzureDevOpsError", "HttpStatusError", "RestClient", "segment"]

JSON_PATCH = "application/json-patch+json"
"""Content type of work item create and update bodies."""

_RETRY_AFTER_STATUSES = frozenset({429, 503})


def segment(name: str) -> str:
    """One URL path segment (a project, team or type name may hold spaces)."""
    return quote(name, safe="")


class AzureDevOpsError(MbfError):
    """A call Azure DevOps refused or that could not be completed after the retries."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        """The HTTP status of the refusal, ``None`` when no answer came."""


class HttpStatusError(Exception):
    """A response with an error status; :meth:`RestClient.classify` decides whether to retry."""

    def __init__(self, status: int, message: str, retry_after: str | None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class RestClient:
    """httpx client bound to one organization, with the PAT, the API version and mbf's retries.

    ``transport`` and ``retry`` exist for tests (a mounted transport, a sleep recorder).
    """

    def __init__(
        self,
        organization_url: str,
        pat: str,
        *,
        api_version: str,
        timeout: float,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        import httpx

        self.organization_url = organization_url.rstrip("/")
        self.api_version = api_version
        self.retry = retry or RetryPolicy()
        self.requests = 0
        """Requests sent, retries included."""
        self.write_requests = 0
        """Of those, the ones that create or change something."""
        self._pause = 0.0
        self._http = httpx.Client(
            base_url=self.organization_url + "/",
            auth=httpx.BasicAuth("", pat),
            timeout=timeout,
            headers={"Accept": "application/json"},
            transport=transport,
        )

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        content_type: str = "application/json",
        retry: bool = True,
        read: bool = False,
    ) -> Any:
        """Send one request to ``path`` (relative to the organization URL) and return its JSON.

        With ``retry`` the call is repeated on transient failures; without, the first failure is
        raised as is (for a caller that must look before it repeats a create). ``read`` marks a
        POST that only reads (WIQL, ``workitemsbatch``), so it is not counted as a write."""
        if not retry:
            return self.send_once(
                method, path, params=params, body=body, content_type=content_type, read=read
            )
        try:
            return self.retry.run(
                lambda: self.send_once(
                    method, path, params=params, body=body, content_type=content_type, read=read
                ),
                self.classify,
            )
        except Exception as exc:
            raise self.final_error(exc, method, path) from None

    def send_once(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        content_type: str = "application/json",
        read: bool = False,
    ) -> Any:
        """One try: the response's JSON, or :class:`HttpStatusError` / an httpx error."""
        if self._pause > 0:
            # The server asked the last successful response's caller to slow down.
            pause, self._pause = self._pause, 0.0
            self.retry.sleep(pause)
        query = {"api-version": self.api_version, **(params or {})}
        content = None if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": content_type} if content is not None else {}
        self.requests += 1
        if method != "GET" and not read:
            self.write_requests += 1
        response = self._http.request(method, path, params=query, content=content, headers=headers)
        retry_after = response.headers.get("Retry-After")
        if response.status_code in {203, 401}:
            # A bad PAT gets 401, or 203 with the sign-in page on some deployments.
            raise AzureDevOpsError(
                f"Azure DevOps refused the personal access token (HTTP {response.status_code}); "
                "check AZURE_DEVOPS_EXT_PAT and its Work Items (read & write) scope"
            )
        if response.status_code >= 400:
            raise HttpStatusError(response.status_code, _error_message(response), retry_after)
        if retry_after is not None:
            self._pause = retry_after_seconds(retry_after) or 0.0
        if not response.content:
            return None
        return response.json()

    @staticmethod
    def classify(exc: Exception) -> Transient | None:
        """Which failures are worth another try, and how long the server asked to wait."""
        import httpx

        if isinstance(exc, HttpStatusError):
            if exc.status in _RETRY_AFTER_STATUSES:
                return Transient(wait=retry_after_seconds(exc.retry_after))
            if exc.status >= 500:
                return Transient()
            return None
        if isinstance(exc, httpx.TransportError):  # resets, refused connections, timeouts
            return Transient()
        return None

    def final_error(self, exc: Exception, method: str, path: str) -> MbfError:
        """The error to report once retrying is over (never containing the token)."""
        where = f"{method} {path.split('?', 1)[0]}"
        if isinstance(exc, MbfError):
            return exc
        if isinstance(exc, HttpStatusError):
            return AzureDevOpsError(
                f"Azure DevOps answered {exc.status} to {where}: {exc}", status=exc.status
            )
        return AzureDevOpsError(
            f"Azure DevOps at {self.organization_url} did not answer {where}: "
            f"{type(exc).__name__}{f' ({exc})' if str(exc) else ''}"
        )


def _error_message(response: httpx.Response) -> str:
    """Azure DevOps' own message (``{"message": "TF401320: ..."}``), else the status text."""
    try:
        document = response.json()
    except ValueError:
        return response.reason_phrase or "error"
    if isinstance(document, Mapping) and isinstance(document.get("message"), str):
        return str(document["message"])
    return response.reason_phrase or "error"
