"""The ``excel-online`` service: the real msgraph-sdk client against a loopback fake Graph.

Nothing of msgraph is patched: the client is built as in production, with its base URL set to the
fake and a static test credential (an azure-core ``TokenCredential``) instead of azure-identity's.
Retries run through ``RetryPolicy(sleep=...)`` so no test sleeps.
"""

from __future__ import annotations

import email.utils
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from mbf.domain import Backlog, StateCategory, TrackerRef, WorkItem, WorkItemKind
from mbf.errors import ConfigError, MbfError
from mbf.plugin import Context, hookimpl
from mbf.serialization import read_backlog, write_backlog
from mbf.sync import PushFailure, RetryPolicy, SyncLedger
from mbf_excel.online import SERVICE, ExcelOnlineClient, excel_online_service
from mbf_excel.online_settings import ExcelOnlineSettings
from mbf_excel.xlsx_reader import read_backlog_workbook
from mbf_excel.xlsx_writer import write_backlog_workbook

from .fake_graph import DRIVE_ID, SITE_ID, TOKEN, FakeGraph

PATH = "Migration/backlog.xlsx"
ITEM_ADDRESS = "/v1.0/drives/b%21fakeDrive0001/items/root%3A%2FMigration%2Fbacklog.xlsx%3A"


class StaticCredential:
    """An azure-core TokenCredential handing out the fake's token; counts the tokens asked for."""

    def __init__(self, token: str = TOKEN, error: Exception | None = None) -> None:
        self.token = token
        self.error = error
        self.calls = 0

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        self.calls += 1
        if self.error is not None:
            raise self.error
        return AccessToken(self.token, int(time.time()) + 3600)


@pytest.fixture
def graph(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGraph]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    fake = FakeGraph().start()
    yield fake
    fake.stop()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def settings(graph: FakeGraph) -> ExcelOnlineSettings:
    return ExcelOnlineSettings(item_path=PATH, drive_id=DRIVE_ID, graph_url=graph.base_url)


@pytest.fixture
def credential() -> StaticCredential:
    return StaticCredential()


@pytest.fixture
def context() -> Context:
    return Context()


@pytest.fixture
def connect(
    settings: ExcelOnlineSettings,
    credential: StaticCredential,
    sleeps: list[float],
    context: Context,
) -> Iterator[Any]:
    """``connect(credential_factory=..., **setting_changes)``: a client like ``mbf push`` opens
    (closed after the test); by default with the static test credential, ``None`` for the real
    azure-identity one."""
    clients: list[ExcelOnlineClient] = []

    def open_client(credential_factory: Any = "static", **changes: Any) -> ExcelOnlineClient:
        client = ExcelOnlineClient(
            attrs.evolve(settings, **changes),
            context,
            credential_factory=(
                (lambda _settings: credential)
                if credential_factory == "static"
                else credential_factory
            ),
            retry=RetryPolicy(sleep=sleeps.append),
        )
        clients.append(client)
        return client

    yield open_client
    for client in clients:
        client.close()


@pytest.fixture
def ledger(tmp_path: Path) -> SyncLedger:
    return SyncLedger(tmp_path / "ledger-excel-online.json", SERVICE)


def cloud_backlog(graph: FakeGraph, tmp_path: Path) -> Backlog:
    """The workbook as it is in the fake drive, read with the xlsx reader."""
    path = tmp_path / "cloud-copy.xlsx"
    path.write_bytes(graph.content(PATH))
    return read_backlog_workbook(path, Context())


def colleague_saves(graph: FakeGraph, tmp_path: Path, change: Any) -> None:
    """Someone edits the shared workbook: ``change(backlog) -> backlog``, saved with a new eTag."""
    path = tmp_path / "colleague.xlsx"
    write_backlog_workbook(change(cloud_backlog(graph, tmp_path)), path, Context())
    graph.save(PATH, path.read_bytes())


def with_item(backlog: Backlog, item_id: str, **changes: Any) -> Backlog:
    items = [attrs.evolve(i, **changes) if i.id == item_id else i for i in backlog.items]
    return attrs.evolve(backlog, items=items)


def item(backlog: Backlog, item_id: str) -> WorkItem:
    return next(i for i in backlog.items if i.id == item_id)


def first_story(backlog: Backlog) -> str:
    return next(i.id for i in backlog.items if i.kind is WorkItemKind.STORY)


def second_story(backlog: Backlog) -> str:
    return [i.id for i in backlog.items if i.kind is WorkItemKind.STORY][1]


# -- push ------------------------------------------------------------------------------------------


def test_first_push_creates_the_workbook_holding_every_item(
    graph: FakeGraph, connect: Any, ledger: SyncLedger, sample_backlog: Backlog, tmp_path: Path
) -> None:
    report = connect().push(sample_backlog, ledger)

    assert sorted(report.created) == sorted(i.id for i in sample_backlog.items)
    assert report.write_requests == 1
    assert [(r.method, r.path, r.status) for r in graph.log] == [
        ("GET", ITEM_ADDRESS, 404),
        ("PUT", f"{ITEM_ADDRESS}/content", 201),
    ]
    assert graph.log[1].query == "%40microsoft.graph.conflictBehavior=fail"
    cloud = cloud_backlog(graph, tmp_path)
    assert {i.id: i for i in cloud.items} == {i.id: i for i in sample_backlog.items}
    assert (cloud.iterations, cloud.releases) == (
        sample_backlog.iterations,
        sample_backlog.releases,
    )


def test_first_push_records_every_item_in_the_ledger_keyed_by_its_mbf_id(
    graph: FakeGraph, connect: Any, ledger: SyncLedger, sample_backlog: Backlog
) -> None:
    connect().push(sample_backlog, ledger)

    reloaded = SyncLedger.load(ledger.path, SERVICE)
    story = first_story(sample_backlog)
    assert reloaded.entries[story].key == story
    assert reloaded.entries[story].url == (
        "https://contoso.sharepoint.com/sites/migration/Shared%20Documents/" + PATH
    )
    assert sorted(reloaded.entries) == sorted(i.id for i in sample_backlog.items)
    assert reloaded.pending == set()


def test_second_push_of_an_unchanged_backlog_sends_no_request_at_all(
    graph: FakeGraph,
    connect: Any,
    ledger: SyncLedger,
    sample_backlog: Backlog,
    credential: StaticCredential,
) -> None:
    connect().push(sample_backlog, ledger)
    requests_after_first_push, tokens_after_first_push = len(graph.log), credential.calls

    report = connect().push(sample_backlog, SyncLedger.load(ledger.path, SERVICE))

    assert report.write_requests == 0
    assert len(report.unchanged) == len(sample_backlog.items)
    assert len(graph.log) == requests_after_first_push
    assert credential.calls == tokens_after_first_push


def test_push_of_a_change_uploads_once_with_the_downloaded_etag(
    graph: FakeGraph, connect: Any, ledger: SyncLedger, sample_backlog: Backlog
) -> None:
    connect().push(sample_backlog, ledger)
    etag = graph.etag(PATH)
    story = first_story(sample_backlog)
    graph.log.clear()

    report = connect().push(with_item(sample_backlog, story, title="Rehost web01"), ledger)

    assert report.updated == (story,)
    assert report.write_requests == 1
    assert [(r.method, r.status) for r in graph.log] == [
        ("GET", 200),  # the drive item: id, eTag
        ("GET", 302),  # its content: a redirect to the download URL
        ("GET", 200),  # the download
        ("PUT", 200),  # the upload, If-Match the eTag
    ]
    assert graph.log[-1].headers["if-match"] == etag
    assert graph.etag(PATH) != etag


def test_push_keeps_an_edit_made_in_the_shared_workbook(
    graph: FakeGraph, connect: Any, ledger: SyncLedger, sample_backlog: Backlog, tmp_path: Path
) -> None:
    connect().push(sample_backlog, ledger)
    theirs, mine = first_story(sample_backlog), second_story(sample_backlog)
    colleague_saves(
        graph,
        tmp_path,
        lambda b: with_item(b, theirs, state="Done", state_category=StateCategory.DONE),
    )

    report = connect().push(with_item(sample_backlog, mine, title="Replatform db01"), ledger)

    cloud = cloud_backlog(graph, tmp_path)
    assert (item(cloud, theirs).state, item(cloud, mine).title) == ("Done", "Replatform db01")
    assert report.updated == (mine,)


def test_push_keeps_a_row_a_colleague_added_to_the_workbook(
    graph: FakeGraph, connect: Any, ledger: SyncLedger, sample_backlog: Backlog, tmp_path: Path
) -> None:
    connect().push(sample_backlog, ledger)
    story = first_story(sample_backlog)
    added = attrs.evolve(
        item(sample_backlog, story), id="task:colleague/extra", title="Extra check"
    )
    added = attrs.evolve(added, kind=WorkItemKind.TASK, parent_id=story)
    colleague_saves(graph, tmp_path, lambda b: attrs.evolve(b, items=(*b.items, added)))

    connect().push(with_item(sample_backlog, story, title="Rehost web01"), ledger)

    assert item(cloud_backlog(graph, tmp_path), "task:colleague/extra").title == "Extra check"


def test_a_field_changed_on_both_sides_is_reported_and_takes_the_backlog_value(
    graph: FakeGraph,
    connect: Any,
    ledger: SyncLedger,
    sample_backlog: Backlog,
    tmp_path: Path,
) -> None:
    client = connect()
    client.push(sample_backlog, ledger)
    story = first_story(sample_backlog)
    colleague_saves(graph, tmp_path, lambda b: with_item(b, story, assignee="erin@contoso.com"))

    connect().push(with_item(sample_backlog, story, assignee="sam@contoso.com"), ledger)

    assert item(cloud_backlog(graph, tmp_path), story).assignee == "sam@contoso.com"
    assert client.context.diagnostics.warnings == [
        f"Conflict: {story} assignee: the workbook had 'erin@contoso.com', changed there and "
        "here since the last push; pushed 'sam@contoso.com'"
    ]


def test_an_item_deleted_in_the_workbook_but_changed_here_is_put_back_with_a_warning(
    graph: FakeGraph,
    connect: Any,
    ledger: SyncLedger,
    sample_backlog: Backlog,
    tmp_path: Path,
) -> None:
    client = connect()
    client.push(sample_backlog, ledger)
    story = first_story(sample_backlog)
    colleague_saves(
        graph,
        tmp_path,
        lambda b: attrs.evolve(b, items=[i for i in b.items if story not in (i.id, i.parent_id)]),
    )

    connect().push(with_item(sample_backlog, story, title="Rehost web01"), ledger)

    assert item(cloud_backlog(graph, tmp_path), story).title == "Rehost web01"
    assert client.context.diagnostics.warnings == [
        f"{PATH} in drive {DRIVE_ID}: 'task:pay-app01/migrate' linked to '{story}', which is not "
        "in the workbook; link dropped",  # reading the workbook as the colleague left it
        f"{story} had been deleted from the workbook; this push put it back",
    ]


def test_someone_saving_between_download_and_upload_gets_a_412_and_both_edits_survive(
    graph: FakeGraph, connect: Any, ledger: SyncLedger, sample_backlog: Backlog, tmp_path: Path
) -> None:
    connect().push(sample_backlog, ledger)
    theirs, mine = first_story(sample_backlog), second_story(sample_backlog)
    graph.before_upload.append(
        lambda fake: colleague_saves(fake, tmp_path, lambda b: with_item(b, theirs, priority=1))
    )
    graph.log.clear()

    report = connect().push(with_item(sample_backlog, mine, title="Replatform db01"), ledger)

    assert [r.status for r in graph.requests("PUT")] == [412, 200]
    assert report.write_requests == 2
    cloud = cloud_backlog(graph, tmp_path)
    assert (item(cloud, theirs).priority, item(cloud, mine).title) == (1, "Replatform db01")


def test_a_push_that_keeps_meeting_412_gives_up_and_records_nothing(
    graph: FakeGraph, connect: Any, ledger: SyncLedger, sample_backlog: Backlog, tmp_path: Path
) -> None:
    connect().push(sample_backlog, ledger)
    story = first_story(sample_backlog)
    before = SyncLedger.load(ledger.path, SERVICE).entries[story]
    for priority in (1, 2, 3):
        graph.before_upload.append(
            lambda fake, p=priority: colleague_saves(
                fake, tmp_path, lambda b: with_item(b, story, priority=p)
            )
        )

    with pytest.raises(PushFailure) as failure:
        connect().push(with_item(sample_backlog, story, title="Rehost web01"), ledger)

    assert "was saved by someone else during each of 3 tries (HTTP 412)" in str(failure.value)
    assert failure.value.not_pushed == [story]
    assert [r.status for r in graph.requests("PUT")] == [201, 412, 412, 412]
    assert SyncLedger.load(ledger.path, SERVICE).entries[story] == before


def test_a_workbook_created_by_someone_else_meanwhile_is_merged_not_replaced(
    graph: FakeGraph, connect: Any, ledger: SyncLedger, sample_backlog: Backlog, tmp_path: Path
) -> None:
    extra = attrs.evolve(sample_backlog.items[0], id="epic:theirs", title="Their epic")
    theirs = Backlog(items=[extra])

    def create_it(fake: FakeGraph) -> None:
        path = tmp_path / "theirs.xlsx"
        write_backlog_workbook(theirs, path, Context())
        fake.save(PATH, path.read_bytes())

    graph.before_upload.append(create_it)

    connect().push(sample_backlog, ledger)

    assert [r.status for r in graph.requests("PUT")] == [409, 200]
    cloud_ids = {i.id for i in cloud_backlog(graph, tmp_path).items}
    assert cloud_ids == {i.id for i in sample_backlog.items} | {"epic:theirs"}


class Killed(BaseException):
    """The process died (like SIGKILL): nothing mbf could catch."""


class LedgerKilledAfterUpload(SyncLedger):
    """A ledger whose process dies right after the upload, before the batch is recorded."""

    def end_batch(self, item_ids: Any) -> None:
        raise Killed


def test_a_push_killed_after_its_upload_finishes_without_duplicating_rows(
    graph: FakeGraph, connect: Any, ledger: SyncLedger, sample_backlog: Backlog, tmp_path: Path
) -> None:
    with pytest.raises(Killed):
        connect().push(sample_backlog, LedgerKilledAfterUpload(ledger.path, SERVICE))
    written_ahead = SyncLedger.load(ledger.path, SERVICE)
    assert (written_ahead.entries, len(written_ahead.pending)) == ({}, 2)  # the two epics

    report = connect().push(sample_backlog, written_ahead)

    assert [r.status for r in graph.requests("PUT")] == [201]  # the resumed push uploads nothing
    assert report.write_requests == 0
    assert sorted(i.id for i in cloud_backlog(graph, tmp_path).items) == sorted(
        i.id for i in sample_backlog.items
    )
    assert sorted(SyncLedger.load(ledger.path, SERVICE).entries) == sorted(
        i.id for i in sample_backlog.items
    )


def test_a_site_id_is_resolved_to_its_document_library_once(
    graph: FakeGraph, connect: Any, ledger: SyncLedger, sample_backlog: Backlog
) -> None:
    client = connect(drive_id="", site_id=SITE_ID)
    client.push(sample_backlog, ledger)
    client.push(with_item(sample_backlog, first_story(sample_backlog), title="x"), ledger)

    site = SITE_ID.replace(",", "%2C")
    assert [r.path for r in graph.requests("GET")].count(f"/v1.0/sites/{site}/drive") == 1


def test_without_drive_or_site_the_users_own_onedrive_is_used(
    graph: FakeGraph, connect: Any, ledger: SyncLedger, sample_backlog: Backlog
) -> None:
    connect(drive_id="").push(sample_backlog, ledger)

    assert [(r.method, r.path) for r in graph.log][:2] == [
        ("GET", "/v1.0/me/drive"),
        ("GET", ITEM_ADDRESS),
    ]


def test_a_dry_run_says_what_would_be_written_and_sends_nothing(
    graph: FakeGraph, connect: Any, ledger: SyncLedger, sample_backlog: Backlog
) -> None:
    report = connect().push(sample_backlog, ledger, dry_run=True)

    assert len(report.created) == len(sample_backlog.items)
    assert (report.write_requests, graph.log, ledger.entries) == (0, [], {})


# -- failures and retries -------------------------------------------------------------------------


def test_429_waits_the_seconds_retry_after_gives(
    graph: FakeGraph, connect: Any, ledger: SyncLedger, sample_backlog: Backlog, sleeps: list[float]
) -> None:
    graph.fail(429, method="PUT", retry_after="7")

    report = connect().push(sample_backlog, ledger)

    assert sleeps == [7.0]
    assert [r.status for r in graph.requests("PUT")] == [429, 201]
    assert report.write_requests == 2


def test_503_waits_until_the_http_date_retry_after_gives(
    graph: FakeGraph, connect: Any, ledger: SyncLedger, sample_backlog: Backlog, sleeps: list[float]
) -> None:
    graph.fail(503, method="GET", retry_after=email.utils.formatdate(time.time() + 30, usegmt=True))

    connect().push(sample_backlog, ledger)

    assert len(sleeps) == 1
    assert 28.0 <= sleeps[0] <= 30.0
    assert [r.status for r in graph.requests("GET")] == [503, 404]


def test_a_500_is_retried_with_backoff(
    graph: FakeGraph, connect: Any, ledger: SyncLedger, sample_backlog: Backlog, sleeps: list[float]
) -> None:
    graph.fail(500, method="PUT")

    connect().push(sample_backlog, ledger)

    assert len(sleeps) == 1
    assert 0.25 <= sleeps[0] <= 0.5  # first backoff: 0.5 s with jitter
    assert [r.status for r in graph.requests("PUT")] == [500, 201]


def test_a_dropped_connection_is_retried(
    graph: FakeGraph, connect: Any, ledger: SyncLedger, sample_backlog: Backlog, sleeps: list[float]
) -> None:
    graph.fail(0, method="GET", drop=True)

    connect().push(sample_backlog, ledger)

    assert len(sleeps) == 1
    assert [r.status for r in graph.requests("GET")] == [None, 404]


def test_a_lasting_outage_stops_the_push_saying_nothing_was_pushed(
    graph: FakeGraph, connect: Any, ledger: SyncLedger, sample_backlog: Backlog, sleeps: list[float]
) -> None:
    graph.fail(500, method="GET", times=6)

    with pytest.raises(PushFailure) as failure:
        connect().push(sample_backlog, ledger)

    message = str(failure.value)
    assert message.startswith(
        f"push stopped: excel-online: could not look up {PATH} in drive {DRIVE_ID}: "
        "HTTP 500: generalException: injected failure. 0 item(s) were pushed and recorded; "
        f"{len(sample_backlog.items)} were not"
    )
    assert len(sleeps) == 5
    assert graph.uploads == []


def test_a_rejected_token_is_a_clear_error(
    graph: FakeGraph, connect: Any, ledger: SyncLedger, sample_backlog: Backlog
) -> None:
    client = connect(credential_factory=lambda _settings: StaticCredential(token="expired"))

    with pytest.raises(PushFailure) as failure:
        client.push(sample_backlog, ledger)

    assert (
        f"could not look up {PATH} in drive {DRIVE_ID}: HTTP 401: InvalidAuthenticationToken: "
        "Access token is empty (check the credential and that it may read and write the file)"
    ) in str(failure.value)


def test_a_locked_workbook_is_a_final_error_that_says_so(
    graph: FakeGraph, connect: Any, ledger: SyncLedger, sample_backlog: Backlog, sleeps: list[float]
) -> None:
    graph.fail(423, method="PUT")

    with pytest.raises(PushFailure) as failure:
        connect().push(sample_backlog, ledger)

    assert (
        f"could not upload {PATH} in drive {DRIVE_ID}: HTTP 423: resourceLocked: injected "
        "failure (the file is checked out or locked; check it in or close it and push again)"
    ) in str(failure.value)
    assert sleeps == []


def test_a_sign_in_failure_never_shows_the_client_secret(
    graph: FakeGraph,
    connect: Any,
    ledger: SyncLedger,
    sample_backlog: Backlog,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from azure.core.exceptions import ClientAuthenticationError

    secret = "s3cr3t-Value~from.env"
    monkeypatch.setenv("AZURE_CLIENT_SECRET", secret)
    refusal = ClientAuthenticationError(f"AADSTS7000215: Invalid client secret provided: {secret}")
    client = connect(credential_factory=lambda _settings: StaticCredential(error=refusal))

    with pytest.raises(PushFailure) as failure:
        client.push(sample_backlog, ledger)

    assert secret not in str(failure.value)
    assert "AADSTS7000215: Invalid client secret provided: ***" in str(failure.value)


def test_a_credential_azure_identity_refuses_is_a_clear_error(
    graph: FakeGraph, connect: Any, ledger: SyncLedger, sample_backlog: Backlog
) -> None:
    client = connect(
        credential_factory=None,  # the real azure-identity credential
        credential="client-secret",
        tenant_id="not a tenant!",
        client_id="c",
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AZURE_CLIENT_SECRET", "s3cr3t-Value~from.env")

        with pytest.raises(PushFailure) as failure:
            client.push(sample_backlog, ledger)

    assert (
        "excel-online: cannot set up the 'client-secret' credential: Invalid tenant ID provided."
    ) in str(failure.value)
    assert "s3cr3t-Value~from.env" not in str(failure.value)
    assert graph.log == []


def test_without_the_online_extra_the_service_says_what_to_install(
    connect: Any, ledger: SyncLedger, sample_backlog: Backlog, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "msgraph", None)  # as if msgraph-sdk were not installed

    with pytest.raises(PushFailure) as failure:
        connect().push(sample_backlog, ledger)

    assert "excel-online needs msgraph-sdk and azure-identity: install the extra, pip install " in (
        str(failure.value)
    )


def test_client_secret_sign_in_needs_the_secret_in_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from mbf_excel.graph_drive import make_credential

    monkeypatch.delenv("AZURE_CLIENT_SECRET", raising=False)
    settings = ExcelOnlineSettings(
        item_path=PATH, credential="client-secret", tenant_id="t", client_id="c"
    )

    with pytest.raises(ConfigError) as error:
        make_credential(settings)

    assert str(error.value) == (
        "excel-online: set AZURE_CLIENT_SECRET in the environment (never in mbf.toml)"
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"item_path": "Migration/backlog.csv"}, "item_path 'Migration/backlog.csv' is not an"),
        ({"credential": "password"}, "credential 'password' is not one of default, client-secret"),
        (
            {"credential": "client-secret"},
            "credential 'client-secret' needs tenant_id and client_id",
        ),
        ({"graph_url": "http://graph.example.com/v1.0"}, "graph_url must be an https address"),
    ],
)
def test_settings_that_cannot_work_are_refused_before_any_request(
    changes: dict[str, str], message: str
) -> None:
    settings = ExcelOnlineSettings(**{"item_path": PATH, "drive_id": DRIVE_ID, **changes})

    with pytest.raises(ConfigError) as error:
        settings.check()

    assert message in str(error.value)


# -- pull ------------------------------------------------------------------------------------------


def test_pull_reads_the_workbook_with_each_items_ref(
    graph: FakeGraph, connect: Any, ledger: SyncLedger, sample_backlog: Backlog
) -> None:
    connect().push(sample_backlog, ledger)

    pulled = connect().pull()

    story = first_story(sample_backlog)
    assert item(pulled, story).refs[SERVICE] == TrackerRef(
        key=story,
        url=f"https://contoso.sharepoint.com/sites/migration/Shared%20Documents/{PATH}",
        version=graph.etag(PATH),
    )
    assert [i.id for i in pulled.items] == [i.id for i in sample_backlog.items]


def test_pull_of_a_workbook_that_does_not_exist_says_to_push_first(
    graph: FakeGraph, connect: Any
) -> None:
    with pytest.raises(MbfError) as error:
        connect().pull()

    assert str(error.value) == (
        f"excel-online: there is no workbook at {PATH} in drive {DRIVE_ID} yet; "
        "push a backlog first"
    )


def test_pull_names_the_drive_item_when_the_workbook_is_not_a_backlog(
    graph: FakeGraph, connect: Any
) -> None:
    graph.save(PATH, b"not a zip archive")

    with pytest.raises(MbfError) as error:
        connect().pull()

    assert str(error.value).startswith(f"{PATH} in drive {DRIVE_ID}: ")
    assert "workbook.xlsx" not in str(error.value)


# -- through the command line ----------------------------------------------------------------------


class TestPlugin:
    """The real service, with the test credential and a retry policy that does not sleep."""

    @hookimpl
    def mbf_tracker_services(self) -> Iterator[Any]:
        yield excel_online_service(
            credential_factory=lambda _settings: StaticCredential(),
            retry=RetryPolicy(sleep=lambda _seconds: None),
        )


@pytest.fixture
def project(
    graph: FakeGraph, tmp_path: Path, sample_backlog: Backlog, register_plugin: Any
) -> Path:
    register_plugin(TestPlugin(), name="excel-online-test")
    (tmp_path / "mbf.toml").write_text(
        "[services.excel-online]\n"
        f'item_path = "{PATH}"\n'
        f'drive_id = "{DRIVE_ID}"\n'
        f'graph_url = "{graph.base_url}"\n'
    )
    write_backlog(sample_backlog, tmp_path / "backlog.json")
    return tmp_path


def run(mbf_cli: Any, project: Path, command: str) -> Any:
    config = ["--service", SERVICE, "-c", str(project / "mbf.toml")]
    if command == "push":
        return mbf_cli("push", str(project / "backlog.json"), *config)
    return mbf_cli("pull", *config, "-o", str(project / "backlog.json"))


def test_mbf_push_uploads_the_backlog_and_records_the_refs(
    mbf_cli: Any, project: Path, sample_backlog: Backlog, graph: FakeGraph
) -> None:
    result = run(mbf_cli, project, "push")

    assert result.exit_code == 0, result.output
    assert result.output == (
        f"Pushed to excel-online: {len(sample_backlog.items)} created, 0 updated, 0 unchanged "
        "(1 write requests)\n"
    )
    story = first_story(sample_backlog)
    ref = item(read_backlog(project / "backlog.json"), story).refs[SERVICE]
    assert ref.key == story


def test_mbf_push_again_sends_nothing(
    mbf_cli: Any, project: Path, sample_backlog: Backlog, graph: FakeGraph
) -> None:
    run(mbf_cli, project, "push")
    requests = len(graph.log)

    result = run(mbf_cli, project, "push")

    assert result.output == (
        f"Pushed to excel-online: 0 created, 0 updated, {len(sample_backlog.items)} unchanged "
        "(0 write requests)\n"
    )
    assert len(graph.log) == requests


def test_mbf_pull_brings_back_a_state_changed_in_the_workbook(
    mbf_cli: Any, project: Path, sample_backlog: Backlog, graph: FakeGraph, tmp_path: Path
) -> None:
    run(mbf_cli, project, "push")
    story = first_story(sample_backlog)
    colleague_saves(
        graph,
        tmp_path,
        lambda b: with_item(b, story, state="Done", state_category=StateCategory.DONE),
    )

    result = run(mbf_cli, project, "pull")

    assert result.exit_code == 0, result.output
    assert result.output.endswith(
        f"Pulled from excel-online: 1 updated, 0 added, 0 conflict(s) -> {project / 'backlog.json'}\n"
    )
    assert item(read_backlog(project / "backlog.json"), story).state == "Done"


def test_mbf_pull_reports_a_field_changed_on_both_sides(
    mbf_cli: Any, project: Path, sample_backlog: Backlog, graph: FakeGraph, tmp_path: Path
) -> None:
    run(mbf_cli, project, "push")
    story = first_story(sample_backlog)
    colleague_saves(graph, tmp_path, lambda b: with_item(b, story, title="Theirs"))
    local = read_backlog(project / "backlog.json")
    write_backlog(with_item(local, story, title="Mine"), project / "backlog.json")

    result = run(mbf_cli, project, "pull")

    assert f"Conflict: {story} title: kept local 'Mine', excel-online has 'Theirs'" in result.output
    assert item(read_backlog(project / "backlog.json"), story).title == "Mine"


def test_a_lost_ledger_is_rebuilt_by_pull_and_the_next_push_sends_nothing(
    mbf_cli: Any, project: Path, graph: FakeGraph
) -> None:
    run(mbf_cli, project, "push")
    shutil.rmtree(project / ".mbf")  # the ledger, whatever files it is kept in
    run(mbf_cli, project, "pull")
    uploads = len(graph.uploads)

    result = run(mbf_cli, project, "push")

    assert "(0 write requests)" in result.output
    assert len(graph.uploads) == uploads


def test_a_secret_in_mbf_toml_is_refused(mbf_cli: Any, project: Path) -> None:
    config = project / "mbf.toml"
    config.write_text(config.read_text() + 'client_secret = "do-not-keep-me-here"\n')

    result = run(mbf_cli, project, "push")

    assert result.exit_code == 1
    assert "services.excel-online.client_secret looks like a secret" in result.output
    assert "do-not-keep-me-here" not in result.output


def test_the_installed_excel_plugin_offers_the_service(plugin_manager: Any) -> None:
    plugin_manager.load_entry_points()

    service = plugin_manager.tracker_services.get(SERVICE)

    assert service.settings_type is ExcelOnlineSettings
