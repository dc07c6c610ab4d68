"""``[services.excel-online]`` in mbf.toml: where the shared backlog workbook lives and how to sign in.

Only addresses and names live here. Secrets never do: the client secret of an app registration is
read from ``AZURE_CLIENT_SECRET`` in the environment, and every other sign-in is azure-identity's.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import attrs

from mbf.errors import ConfigError

__all__ = ["CREDENTIALS", "GRAPH_URL", "ExcelOnlineSettings"]

GRAPH_URL = "https://graph.microsoft.com/v1.0"
"""Microsoft Graph, global cloud."""

CREDENTIALS = ("default", "client-secret", "azure-cli", "device-code")
"""How mbf signs in to Microsoft Graph (azure-identity credentials):

- ``default``: ``DefaultAzureCredential`` (environment variables, workload or managed identity,
  Azure CLI, ... in azure-identity's order);
- ``client-secret``: an app registration, ``tenant_id`` and ``client_id`` here and the secret in
  ``AZURE_CLIENT_SECRET``;
- ``azure-cli``: whoever ran ``az login``;
- ``device-code``: a person signs in on another device (needs ``client_id``).
"""

_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


@attrs.frozen(kw_only=True)
class ExcelOnlineSettings:
    """Where the backlog workbook is kept on OneDrive or SharePoint, and how to reach it."""

    item_path: str
    """Path of the workbook in the drive, e.g. ``Migration/backlog.xlsx``."""
    drive_id: str = ""
    """Id of the drive (a SharePoint document library or a OneDrive); preferred."""
    site_id: str = ""
    """Id of a SharePoint site whose default document library holds the workbook (when no
    ``drive_id``), e.g. ``contoso.sharepoint.com,<site guid>,<web guid>``. With neither, the
    signed-in user's own OneDrive (``/me/drive``) is used."""
    tenant_id: str = ""
    """Microsoft Entra tenant (directory) id; needed by ``client-secret``."""
    client_id: str = ""
    """Application (client) id of the app registration; needed by ``client-secret`` and
    ``device-code``."""
    credential: str = "default"
    """One of :data:`CREDENTIALS`."""
    graph_url: str = GRAPH_URL
    """Graph endpoint with its version (a national cloud's, or a loopback fake in tests)."""
    conflict_retries: int = 2
    """How many times a push downloads and merges again when someone saved the workbook between
    its download and its upload (HTTP 412), before giving up."""

    def check(self) -> None:
        """Refuse settings that cannot work, naming the key (before anything is sent)."""
        where = "mbf.toml [services.excel-online]"
        path = self.item_path.strip("/")
        if not path:
            raise ConfigError(f"{where}: item_path is empty; give the workbook's path in the drive")
        if not path.lower().endswith(".xlsx"):
            raise ConfigError(
                f"{where}: item_path {self.item_path!r} is not an .xlsx workbook "
                "(Graph keeps Excel workbooks as .xlsx)"
            )
        if self.credential not in CREDENTIALS:
            raise ConfigError(
                f"{where}: credential {self.credential!r} is not one of {', '.join(CREDENTIALS)}"
            )
        if self.credential == "client-secret" and not (self.tenant_id and self.client_id):
            raise ConfigError(f"{where}: credential 'client-secret' needs tenant_id and client_id")
        if self.credential == "device-code" and not self.client_id:
            raise ConfigError(f"{where}: credential 'device-code' needs client_id")
        if self.conflict_retries < 0:
            raise ConfigError(f"{where}: conflict_retries cannot be negative")
        url = urlsplit(self.graph_url)
        if url.scheme != "https" and not (url.scheme == "http" and url.hostname in _LOOPBACK_HOSTS):
            raise ConfigError(f"{where}: graph_url must be an https address")

    @property
    def location(self) -> str:
        """The workbook's place, for messages: ``drive b!x3…: Migration/backlog.xlsx``."""
        if self.drive_id:
            drive = f"drive {self.drive_id}"
        elif self.site_id:
            drive = f"site {self.site_id}"
        else:
            drive = "your OneDrive"
        return f"{self.item_path.strip('/')} in {drive}"

    @property
    def scopes(self) -> list[str]:
        """The ``.default`` scope of the Graph endpoint in use (app permissions or consented ones)."""
        url = urlsplit(self.graph_url)
        return [f"{url.scheme}://{url.netloc}/.default"]
