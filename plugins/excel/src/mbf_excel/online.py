"""The ``excel-online`` service: the backlog workbook kept as one OneDrive / SharePoint file the
whole team works in, pushed and pulled through Microsoft Graph.

A push downloads the workbook (remembering its eTag), reads it with the ``xlsx`` reader, folds in
the items this backlog changed since its last push (:mod:`mbf_excel.online_merge`: edits made in
the workbook are kept, conflicts reported), writes it with the ``xlsx`` writer and uploads it with
``If-Match: <eTag>``. When someone saved in between, Graph answers 412 and the push downloads and
merges again (``conflict_retries`` times) before giving up with nothing lost. An unchanged
backlog sends nothing at all: the sync ledger says so before any request (or sign-in).

A pull downloads and reads the workbook; each item's ``refs["excel-online"]`` is its mbf id (the
ID column is the marker a lost ledger is rebuilt from), the workbook's address and its eTag.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from mbf.domain import Backlog, TrackerRef, WorkItem
from mbf.errors import MbfError
from mbf.plugin import Context, PushReport, TrackerService
from mbf.sync import BatchWriter, ItemOutcome, RetryPolicy, SyncLedger, plan_push, run_push
from mbf_excel.online_settings import ExcelOnlineSettings

if TYPE_CHECKING:
    from mbf_excel.graph_drive import DriveFile, GraphDrive
    from mbf_excel.online_merge import WorkbookMerge

__all__ = ["SERVICE", "ExcelOnlineClient", "excel_online_service"]

SERVICE = "excel-online"
"""The service's name on the command line and in mbf.toml."""

CredentialFactory = Callable[[ExcelOnlineSettings], Any]
"""``factory(settings)``: an azure-core ``TokenCredential`` (or async one) for Graph."""


def excel_online_service(
    credential_factory: CredentialFactory | None = None, retry: RetryPolicy | None = None
) -> TrackerService:
    """The ``excel-online`` tracker service. ``credential_factory`` defaults to the azure-identity
    credential the settings name; ``retry`` to :class:`mbf.sync.RetryPolicy` defaults."""

    def connect(settings: ExcelOnlineSettings, context: Context) -> ExcelOnlineClient:
        settings.check()
        return ExcelOnlineClient(
            settings, context, credential_factory=credential_factory, retry=retry
        )

    return TrackerService(
        name=SERVICE,
        description="Excel backlog workbook shared on OneDrive / SharePoint (Microsoft Graph)",
        settings_type=ExcelOnlineSettings,
        connect=connect,
    )


class ExcelOnlineClient:
    """A connection to the shared workbook. Graph is reached (and msgraph-sdk imported, and the
    credential asked for a token) only when a request is actually needed."""

    def __init__(
        self,
        settings: ExcelOnlineSettings,
        context: Context,
        *,
        credential_factory: CredentialFactory | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.settings = settings
        self.context = context
        self._credential_factory = credential_factory
        self._retry = retry
        self._drive: GraphDrive | None = None

    @property
    def requests(self) -> int:
        """HTTP requests sent so far (retries included)."""
        return self._drive.requests if self._drive else 0

    @property
    def write_requests(self) -> int:
        """Uploads sent so far (refused ones included)."""
        return self._drive.write_requests if self._drive else 0

    @property
    def drive(self) -> GraphDrive:
        """The Graph connection, opened on first use."""
        if self._drive is None:
            if importlib.util.find_spec("msgraph") is None:
                raise MbfError(
                    "excel-online needs msgraph-sdk and azure-identity: install the extra, "
                    "pip install 'mbf-excel[online]' (or uv sync --all-packages --all-extras)"
                )
            from mbf_excel.graph_drive import GraphDrive, make_credential, redact

            factory = self._credential_factory or make_credential
            try:
                credential = factory(self.settings)
            except MbfError:
                raise
            except Exception as exc:  # azure-identity refuses malformed ids with ValueError
                raise MbfError(
                    redact(
                        f"excel-online: cannot set up the {self.settings.credential!r} "
                        f"credential: {exc}"
                    )
                ) from None
            self._drive = GraphDrive(self.settings, credential, self._retry)
        return self._drive

    def pull(self) -> Backlog:
        """The workbook's items, each with ``refs["excel-online"]`` (mbf id, web address, eTag)."""
        file = self.drive.find()
        if file is None:
            raise MbfError(
                f"excel-online: there is no workbook at {self.settings.location} yet; "
                "push a backlog first"
            )
        workbook = self._read(self.drive.download(file))
        items = []
        for item in workbook.items:
            ref = TrackerRef(key=item.id, url=file.web_url, version=file.etag)
            items.append(attrs.evolve(item, refs={**item.refs, SERVICE: ref}))
        return attrs.evolve(workbook, items=items)

    def push(self, backlog: Backlog, ledger: SyncLedger, *, dry_run: bool = False) -> PushReport:
        """Fold the items changed since the last push into the shared workbook (one upload)."""
        if dry_run:
            plan = plan_push(backlog, ledger)
            return PushReport(
                created=tuple(i.id for i in plan.create),
                updated=tuple(i.id for i in plan.update),
                unchanged=tuple(i.id for i in plan.unchanged),
            )
        uploads_before = self.write_requests
        session = _WorkbookPush(self, backlog, ledger)
        report = run_push(
            backlog,
            ledger,
            BatchWriter(
                # One "batch" per hierarchy level: the whole workbook goes in one upload anyway.
                batch_size=max(1, len(backlog.items)),
                create=session.outcomes,
                update=session.outcomes,
                find_marked=session.find_marked,
            ),
        )
        return dataclasses.replace(report, write_requests=self.write_requests - uploads_before)

    def close(self) -> None:
        """Close the Graph connection, if one was opened."""
        if self._drive is not None:
            self._drive.close()
            self._drive = None

    # -- the workbook as bytes ---------------------------------------------------------------------

    def _read(self, content: bytes) -> Backlog:
        """Read downloaded workbook bytes with the ``xlsx`` reader (an empty file is an empty
        backlog); messages name the drive item, not the temporary file."""
        from mbf_excel.xlsx_reader import read_backlog_workbook

        if not content:
            return Backlog()
        with tempfile.TemporaryDirectory(prefix="mbf-excel-online-") as folder:
            path = Path(folder) / "workbook.xlsx"
            path.write_bytes(content)
            scratch = Context(config=self.context.config)
            try:
                backlog = read_backlog_workbook(path, scratch)
            except MbfError as exc:
                raise MbfError(self._rename(str(exc), path)) from None
            for warning in scratch.diagnostics.warnings:
                self.context.diagnostics.warn(self._rename(warning, path))
        return backlog

    def _write(self, backlog: Backlog) -> bytes:
        """The workbook's bytes, from the ``xlsx`` writer (the same backlog, the same bytes)."""
        from mbf_excel.xlsx_writer import write_backlog_workbook

        with tempfile.TemporaryDirectory(prefix="mbf-excel-online-") as folder:
            path = Path(folder) / "workbook.xlsx"
            scratch = Context(config=self.context.config)
            write_backlog_workbook(backlog, path, scratch)
            for warning in scratch.diagnostics.warnings:
                self.context.diagnostics.warn(self._rename(warning, path))
            return path.read_bytes()

    def _rename(self, message: str, path: Path) -> str:
        return message.replace(str(path), self.settings.location)

    def _fetch(self) -> tuple[DriveFile | None, Backlog]:
        """The workbook's drive item (``None`` if absent) and its content."""
        file = self.drive.find()
        if file is None:
            return None, Backlog()
        return file, self._read(self.drive.download(file))


class _WorkbookPush:
    """One push's side of :func:`mbf.sync.run_push`: the first batch it is handed merges and
    uploads every change at once; each batch then reports its items as written (the ledger
    records them only after the upload succeeded)."""

    def __init__(self, client: ExcelOnlineClient, backlog: Backlog, ledger: SyncLedger) -> None:
        self.client = client
        self.backlog = backlog
        self.ledger = ledger
        self.web_url: str | None = None

    def outcomes(self, items: Sequence[WorkItem], keys: Mapping[str, str]) -> list[ItemOutcome]:
        """``BatchWriter.create`` and ``update``: the item's key in the workbook is its mbf id."""
        if self.web_url is None:
            self.web_url = self._sync()
        return [ItemOutcome(item_id=item.id, key=item.id, url=self.web_url) for item in items]

    def find_marked(self, ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        """Of ``ids``, those with a row in the workbook (its ID column is the mbf marker)."""
        file, workbook = self.client._fetch()
        if file is None:
            return {}
        present = {item.id for item in workbook.items}
        return {item_id: (item_id, file.web_url) for item_id in ids if item_id in present}

    def _sync(self) -> str:
        """Download, merge, upload with ``If-Match``; again after a 412. Returns the web URL."""
        from mbf_excel.graph_drive import PreconditionFailed
        from mbf_excel.online_merge import merge_into_workbook

        client, ledger = self.client, self.ledger
        plan = plan_push(self.backlog, ledger)
        changed = [item.id for item in (*plan.create, *plan.update)]
        bases = {}
        for item_id in changed:
            entry = ledger.entries.get(item_id)
            if entry is not None and entry.snapshot:
                bases[item_id] = entry.snapshot
        tries = 1 + client.settings.conflict_retries
        for _ in range(tries):
            file, workbook = client._fetch()
            merge = merge_into_workbook(workbook, self.backlog, changed, bases, service=SERVICE)
            if file is not None and not merge.changed:
                return file.web_url  # the workbook already says all this backlog would write
            try:
                uploaded = client.drive.upload(client._write(merge.backlog), file)
            except PreconditionFailed:
                continue  # saved by someone in between: their version is the new starting point
            self._report(merge)
            return uploaded.web_url
        raise MbfError(
            f"excel-online: {client.settings.location} was saved by someone else during each of "
            f"{tries} tries (HTTP 412); nothing was written. Push again when it is quieter"
        )

    def _report(self, merge: WorkbookMerge) -> None:
        warn = self.client.context.diagnostics.warn
        for conflict in merge.conflicts:
            warn(
                f"Conflict: {conflict.item_id} {conflict.field}: the workbook had "
                f"{conflict.workbook!r}, changed there and here since the last push; "
                f"pushed {conflict.pushed!r}"
            )
        for item_id in merge.restored:
            warn(f"{item_id} had been deleted from the workbook; this push put it back")
