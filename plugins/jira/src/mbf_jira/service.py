"""The live ``jira`` service: push a backlog into a Jira project and pull it back, through the
``jira`` package (REST v2 and the Agile API).

What a push sends, and why it is cheap and safe to repeat:

- The core's :func:`mbf.sync.run_push` decides what to create and update from the ledger; an
  unchanged backlog sends nothing, and no connection is even opened.
- Project and issue-type ids, fields and link types are read **once** per run; every create
  request carries ids, so the package makes no per-item look-up, and ``prefetch=False`` spares the
  re-read of each created issue. Creates go 50 at a time to ``issue/bulk`` (the package does not
  chunk); per-item refusals come back as per-item errors.
- Every created issue carries its mbf id (label ``mbf-id-<id>``, see :mod:`.mapping`), so a batch
  whose answer was lost (a dropped connection, a killed push) is found by JQL and adopted, never
  created twice. A retried bulk create searches for the batch's markers first for the same reason.
- Links, sprint membership (Agile API, 50 issues per call) come last, once every issue exists;
  versions and sprints are created once and found again by name on the next push.
- The package's own retries are off (``max_retries=0``: it cannot read an HTTP-date Retry-After);
  every request goes through :class:`mbf.sync.RetryPolicy`, which honours Retry-After on 429 and
  503 and backs off on other 5xx, resets and timeouts.

Three requests go through the package's session rather than its helper, each to save requests:
issue edits (``Issue.update`` re-reads the issue after every PUT), issue links
(``create_issue_link`` re-reads all link types on every call) and versions (``create_version``
sleeps a second after each).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar, cast

import attrs

from mbf.domain import (
    Backlog,
    Iteration,
    LinkKind,
    Release,
    WorkItem,
    WorkItemKind,
    hierarchy_order,
)
from mbf.errors import ConfigError, MbfError
from mbf.plugin import Context, PushReport
from mbf.sync import (
    BatchWriter,
    ItemOutcome,
    LedgerEntry,
    RetryPolicy,
    SyncLedger,
    Transient,
    chunks,
    plan_push,
    retry_after_seconds,
    run_push,
    secret_from_environment,
)
from mbf_jira.mapping import (
    MAX_LABEL_LENGTH,
    IssueType,
    Site,
    id_label,
    id_of_labels,
    issue_fields,
    iteration_marker,
    jql_string,
    pulled_item,
    pulled_iteration,
    pulled_release,
)
from mbf_jira.settings import JiraSettings

if TYPE_CHECKING:
    from jira import JIRA

__all__ = ["BULK_CREATE_LIMIT", "JiraRequestError", "JiraTracker", "classify", "connect"]

T = TypeVar("T")

BULK_CREATE_LIMIT = 50
"""Most issues Jira accepts in one ``issue/bulk`` request."""
SPRINT_MOVE_LIMIT = 50
"""Most issues one Agile ``sprint/{id}/issue`` or ``backlog/issue`` request may move."""
SEARCH_PAGE = 100
"""Issues per search page."""
MARKER_CHUNK = 50
"""Marker labels per JQL ``labels in (...)`` look-up (keeps the query short)."""

_SPRINT_FIELD = "com.pyxis.greenhopper.jira:gh-sprint"
_EPIC_LINK_FIELD = "com.pyxis.greenhopper.jira:gh-epic-link"
_PULLED_FIELDS = (
    "summary",
    "description",
    "issuetype",
    "parent",
    "status",
    "assignee",
    "priority",
    "labels",
    "fixVersions",
    "timeoriginalestimate",
    "duedate",
    "issuelinks",
    "updated",
)


class JiraRequestError(MbfError):
    """A Jira request failed for good (after the retries); ``status`` is the HTTP status, 0 when
    no answer came."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status

    @property
    def refused(self) -> bool:
        """Jira understood the request and refused its content (a 4xx other than auth/limits)."""
        return 400 <= self.status < 500 and self.status not in (401, 403, 429)


def classify(exc: Exception) -> Transient | None:
    """Which failures of the ``jira`` package are worth retrying (for :class:`RetryPolicy`)."""
    import requests
    from jira import JIRAError

    if isinstance(exc, JIRAError):
        status = exc.status_code or 0
        if status in (429, 503):
            headers = exc.response.headers if exc.response is not None else {}
            return Transient(wait=retry_after_seconds(headers.get("Retry-After")))
        return Transient() if 500 <= status < 600 else None
    if isinstance(
        exc,
        requests.ConnectionError | requests.Timeout | requests.exceptions.ChunkedEncodingError,
    ):
        return Transient()
    return None


class JiraTracker:
    """A connection to one Jira project: what :func:`connect` returns for ``mbf push``/``pull``.

    Nothing is sent until a push has something to write or a pull starts.
    """

    def __init__(
        self, settings: JiraSettings, context: Context, *, retry: RetryPolicy | None = None
    ) -> None:
        self.settings = settings
        self.context = context
        self.retry = retry or RetryPolicy()
        self._jira: JIRA | None = None
        self._secret = ""
        self._site: Site | None = None
        self._board: int | None = settings.board
        self._versions: dict[str, str] | None = None  # release id -> version id
        self._sprints: dict[str, int] | None = None  # iteration id -> sprint id
        # State of the push in progress.
        self._by_id: dict[str, WorkItem] = {}
        self._releases: dict[str, Release] = {}
        self._iterations: dict[str, Iteration] = {}
        self._before: dict[str, LedgerEntry] = {}
        self._ledger: SyncLedger | None = None
        self._created: list[str] = []
        self._updated: list[str] = []
        self._extra_writes = 0
        self._warned: set[str] = set()

    # --- connection and requests ----------------------------------------------------------

    def _auth(self) -> dict[str, Any]:
        """Credentials from the environment: an API token with its e-mail (Cloud) or a personal
        access token (Data Center)."""
        token = os.environ.get("JIRA_API_TOKEN")
        if token:
            email = secret_from_environment(
                "JIRA_EMAIL", purpose="jira: JIRA_API_TOKEN goes with the account's e-mail;"
            )
            self._secret = token
            return {"basic_auth": (email, token)}
        self._secret = secret_from_environment("JIRA_API_TOKEN", "JIRA_PAT", purpose="jira")
        return {"token_auth": self._secret}

    def _client(self) -> JIRA:
        """The ``jira`` client, built on first use (its constructor reads ``serverInfo``)."""
        if self._jira is None:
            from jira import JIRA

            auth = self._auth()
            self._jira = self._call(
                "connect",
                lambda: JIRA(
                    server=self.settings.server,
                    max_retries=0,  # mbf's RetryPolicy retries; see the module docstring
                    timeout=self.settings.timeout,
                    logging=False,
                    **auth,
                ),
            )
        return self._jira

    @property
    def _cloud(self) -> bool:
        return self._client().deploymentType == "Cloud"

    def _call(self, what: str, operation: Callable[[], T]) -> T:
        """Run one request with retries; a final failure becomes a one-line
        :class:`JiraRequestError` that never holds the token."""
        import requests
        from jira import JIRAError

        try:
            return self.retry.run(operation, classify)
        except JIRAError as exc:
            status = exc.status_code or 0
            detail = (exc.text or "").strip() or (
                exc.response.reason if exc.response is not None else ""
            )
            if status == 401:
                detail = (
                    "the credentials were refused (check JIRA_EMAIL/JIRA_API_TOKEN or JIRA_PAT)"
                )
            message = f"Jira: {what} failed: HTTP {status}" + (f" {detail}" if detail else "")
            raise JiraRequestError(self._scrub(message), status) from None
        except requests.RequestException as exc:
            message = (
                f"Jira: {what} failed: no answer from {self.settings.server} ({type(exc).__name__})"
            )
            raise JiraRequestError(self._scrub(message), 0) from None

    def _scrub(self, text: str) -> str:
        return text.replace(self._secret, "***") if self._secret else text

    def _post(self, path: str, payload: Mapping[str, Any], *, agile: bool = False) -> Any:
        """POST through the package's session (auth, headers, error parsing) in one request."""
        jira = self._client()
        base = jira.AGILE_BASE_URL if agile else jira.JIRA_BASE_URL
        response = jira._session.post(jira._get_url(path, base=base), data=json.dumps(payload))
        return response.json() if response.content else {}

    def _search(self, jql: str, fields: Sequence[str]) -> Iterator[dict[str, Any]]:
        """Every issue ``jql`` finds, page by page: ``search/jql`` with ``nextPageToken`` on
        Cloud (the old ``search`` answers 410 there), ``search`` with ``startAt`` elsewhere."""
        jira = self._client()
        if self._cloud:
            token: str | None = None
            while True:
                page = cast(
                    dict[str, Any],
                    self._call(
                        "search",
                        partial(
                            jira.enhanced_search_issues,
                            jql,
                            nextPageToken=token,
                            maxResults=SEARCH_PAGE,
                            fields=list(fields),
                            json_result=True,
                        ),
                    ),
                )
                yield from page.get("issues", ())
                token = page.get("nextPageToken")
                if page.get("isLast") or not token:
                    return
        start = 0
        while True:
            page = cast(
                dict[str, Any],
                self._call(
                    "search",
                    partial(
                        jira.search_issues,
                        jql,
                        startAt=start,
                        maxResults=SEARCH_PAGE,
                        fields=list(fields),
                        json_result=True,
                    ),
                ),
            )
            issues = page.get("issues", ())
            yield from issues
            start += len(issues)
            if not issues or start >= int(page.get("total", 0)):
                return

    def _resolve_site(self) -> Site:
        """The project, its issue types and the custom fields mbf uses: read once."""
        if self._site is not None:
            return self._site
        jira = self._client()
        key = self.settings.project
        project = self._call(
            f"read project {key}", lambda: jira.project(key, expand="issueTypes")
        ).raw
        fields = self._call("read fields", jira.fields)
        available = {
            str(t["name"]).casefold(): IssueType(
                id=str(t["id"]), name=str(t["name"]), subtask=bool(t.get("subtask"))
            )
            for t in project.get("issueTypes", ())
        }
        wanted = self.settings.types_by_kind()
        types = {
            kind: available[name.casefold()]
            for kind, name in wanted.items()
            if name.casefold() in available
        }
        self._missing_types = {kind: name for kind, name in wanted.items() if kind not in types}
        self._type_names = sorted(t.name for t in available.values())
        custom = {str((f.get("schema") or {}).get("custom", "")): str(f["id"]) for f in fields}
        start_field = self.settings.start_field or next(
            (
                str(f["id"])
                for f in fields
                if f.get("custom") and str(f.get("name", "")).casefold() == "start date"
            ),
            "",
        )
        cloud = self._cloud
        self._site = Site(
            server=self.settings.server,
            cloud=cloud,
            project_id=str(project["id"]),
            project_key=str(project.get("key", key)),
            types=types,
            kind_of_type={name.casefold(): kind for kind, name in wanted.items()},
            sprint_field=custom.get(_SPRINT_FIELD, ""),
            start_field=start_field,
            epic_link_field="" if cloud else custom.get(_EPIC_LINK_FIELD, ""),
            id_field=self.settings.id_field,
            assignees=dict(self.settings.assignees),
        )
        return self._site

    def _issue_type(self, site: Site, kind: WorkItemKind) -> IssueType:
        if kind not in site.types:
            raise ConfigError(
                f"jira: issue type {self._missing_types[kind]!r} (for {kind.value} items) is not "
                f"in project {site.project_key} (it has {', '.join(self._type_names)}); set "
                f"[services.jira] issue_types.{kind.value}"
            )
        return site.types[kind]

    def close(self) -> None:
        """Close the HTTP session."""
        if self._jira is not None:
            self._jira.close()  # type: ignore[no-untyped-call]
            self._jira = None

    # --- push -------------------------------------------------------------------------------

    def push(self, backlog: Backlog, ledger: SyncLedger, *, dry_run: bool = False) -> PushReport:
        """Create and update ``backlog``'s items (see the module docstring)."""
        if dry_run:
            plan = plan_push(backlog, ledger)
            return PushReport(
                created=tuple(i.id for i in plan.create),
                updated=tuple(i.id for i in plan.update),
                unchanged=tuple(i.id for i in plan.unchanged),
            )
        self._by_id = {item.id: item for item in backlog.items}
        self._releases = {release.id: release for release in backlog.releases}
        self._iterations = {iteration.id: iteration for iteration in backlog.iterations}
        self._before = dict(ledger.entries)
        self._ledger = ledger
        self._created, self._updated, self._extra_writes = [], [], 0
        writer = BatchWriter(
            batch_size=BULK_CREATE_LIMIT,
            create=self._create,
            update=self._update,
            find_marked=self._find_marked,
            finish=self._finish,
        )
        return run_push(backlog, ledger, writer)

    def _warn_unassignable(self, site: Site, items: Iterable[WorkItem]) -> None:
        """Say once per assignee that Jira cannot be told who it is (never a silent fallback)."""
        for item in items:
            if (
                item.assignee
                and item.assignee not in self._warned
                and site.user(item.assignee) is None
            ):
                self._warned.add(item.assignee)
                self.context.diagnostics.warn(
                    f"jira: assignee {item.assignee!r} left unassigned; map it to a Jira "
                    f"{'account id' if site.cloud else 'user name'} in [services.jira] assignees"
                )

    def _parent_kind(self, item: WorkItem) -> WorkItemKind | None:
        parent = self._by_id.get(item.parent_id) if item.parent_id else None
        return parent.kind if parent is not None else None

    def _create(self, items: Sequence[WorkItem], keys: Mapping[str, str]) -> list[ItemOutcome]:
        """One ``issue/bulk`` request for ``items`` (at most 50), parents already in ``keys``."""
        site = self._resolve_site()
        version_ids = self._version_ids(items)
        self._warn_unassignable(site, items)
        outcomes: list[ItemOutcome] = []
        pending: list[tuple[WorkItem, dict[str, Any]]] = []
        for item in items:
            self._issue_type(site, item.kind)
            if len(id_label(item.id)) > MAX_LABEL_LENGTH:
                outcomes.append(
                    ItemOutcome(item_id=item.id, error="the mbf id is too long for a Jira label")
                )
            elif item.parent_id and item.parent_id not in keys:
                outcomes.append(
                    ItemOutcome(
                        item_id=item.id, error=f"its parent {item.parent_id} is not in Jira"
                    )
                )
            else:
                fields = issue_fields(
                    item,
                    site,
                    keys=keys,
                    version_ids=version_ids,
                    creating=True,
                    parent_kind=self._parent_kind(item),
                )
                pending.append((item, fields))
        jira = self._client()
        sent = 0

        def attempt() -> list[dict[str, Any]]:
            nonlocal pending, sent
            if sent:
                # The last try may have created some before its answer was lost: adopt those.
                found = self._find_marked([item.id for item, _ in pending])
                outcomes.extend(
                    ItemOutcome(item_id=i, key=key, url=url) for i, (key, url) in found.items()
                )
                pending = [(item, f) for item, f in pending if item.id not in found]
            if not pending:
                return []
            sent += 1
            try:
                return jira.create_issues([f for _, f in pending], prefetch=False)
            except (KeyError, ValueError):  # a 400 without per-issue results
                raise MbfError("Jira: bulk create answered without per-issue results") from None

        results = self._call(f"create {len(pending)} issue(s)", attempt) if pending else []
        self._extra_writes += max(sent - 1, 0)
        for (item, _), result in zip(pending, results, strict=True):
            if result["status"] == "Success":
                key = str(result["issue"].key)
                outcomes.append(ItemOutcome(item_id=item.id, key=key, url=site.browse_url(key)))
                self._created.append(item.id)
            else:
                outcomes.append(ItemOutcome(item_id=item.id, error=_element_error(result["error"])))
        return outcomes

    def _update(self, items: Sequence[WorkItem], keys: Mapping[str, str]) -> list[ItemOutcome]:
        """One edit (PUT) per changed item; a refused edit is that item's error."""
        site = self._resolve_site()
        version_ids = self._version_ids(items)
        self._warn_unassignable(site, items)
        jira = self._client()
        query = "" if self.settings.notify_users else "?notifyUsers=false"
        outcomes: list[ItemOutcome] = []
        for item in items:
            key = keys[item.id]
            before = self._before.get(item.id)
            parent_changed = bool(
                before is not None
                and before.snapshot
                and before.snapshot.get("parent_id") != item.parent_id
            )
            fields = issue_fields(
                item,
                site,
                keys=keys,
                version_ids=version_ids,
                creating=False,
                parent_kind=self._parent_kind(item),
                parent_changed=parent_changed,
            )
            url = jira._get_url(f"issue/{key}") + query
            body = json.dumps({"fields": fields})
            try:
                self._call(f"update {key}", partial(jira._session.put, url, data=body))
            except JiraRequestError as exc:
                if not exc.refused:
                    raise
                outcomes.append(ItemOutcome(item_id=item.id, error=str(exc)))
                continue
            outcomes.append(ItemOutcome(item_id=item.id, key=key, url=site.browse_url(key)))
            self._updated.append(item.id)
        self._extra_writes += max(len(items) - 1, 0)  # run_push counts one request per batch
        return outcomes

    def _find_marked(self, ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        """Of ``ids``, those an issue of the project carries as its marker label."""
        site = self._resolve_site()
        wanted = set(ids)
        found: dict[str, tuple[str, str]] = {}
        for chunk in chunks(sorted(wanted), MARKER_CHUNK):
            labels = ", ".join(jql_string(id_label(i)) for i in chunk)
            jql = f"project = {jql_string(site.project_key)} AND labels in ({labels}) ORDER BY key"
            for issue in self._search(jql, ["labels"]):
                item_id = id_of_labels((issue.get("fields") or {}).get("labels") or ())
                key = str(issue["key"])
                if item_id not in wanted:
                    continue
                if item_id in found:
                    self.context.diagnostics.warn(
                        f"jira: {key} carries the mbf id {item_id} of {found[item_id][0]} too; "
                        f"kept {found[item_id][0]}"
                    )
                    continue
                found[item_id] = (key, site.browse_url(key))
        return found

    def _version_ids(self, items: Iterable[WorkItem]) -> dict[str, str]:
        """Version id of each release the items ship in; missing versions are created once."""
        needed = {i.release_id for i in items if i.release_id}
        if self._versions is None and needed:
            jira = self._client()
            key = self.settings.project
            existing = self._call(f"read versions of {key}", lambda: jira.project_versions(key))
            self._versions = {}
            by_name = {}
            for version in existing:
                raw = cast(dict[str, Any], version.raw)
                self._versions[pulled_release(raw).id] = str(raw["id"])
                by_name[str(raw.get("name", "")).casefold()] = str(raw["id"])
            for release in self._releases.values():
                if release.id not in self._versions and release.name.casefold() in by_name:
                    self._versions[release.id] = by_name[release.name.casefold()]
        versions = self._versions if self._versions is not None else {}
        for release_id in sorted(needed - set(versions)):
            known_release = self._releases.get(release_id)
            if known_release is None:
                self.context.diagnostics.warn(
                    f"jira: release {release_id} is not in the backlog's releases; no fix version set"
                )
                versions[release_id] = ""
                continue
            release = known_release
            payload: dict[str, Any] = {
                "name": release.name,
                "projectId": int(self._resolve_site().project_id),
                "released": False,
                "archived": False,
            }
            if release.date is not None:
                payload["releaseDate"] = release.date.isoformat()
            if marker := iteration_marker(release.id, release.name):
                payload["description"] = marker
            created = self._call(
                f"create version {release.name!r}",
                partial(self._post, "version", payload),
            )
            self._extra_writes += 1
            versions[release_id] = str(created["id"])
        return {k: v for k, v in versions.items() if v}

    # --- last pass: links and sprints -------------------------------------------------------

    def _finish(self, backlog: Backlog, keys: Mapping[str, str]) -> int:
        """Links and sprint membership of what this push wrote. Until they are in place the
        touched items' fingerprints are kept blank in the ledger (saved), so a push killed here
        is finished by the next one."""
        touched = [*self._created, *self._updated]
        ledger = self._ledger
        assert ledger is not None
        held = {i: ledger.entries[i] for i in touched if i in ledger.entries}
        for item_id, entry in held.items():
            ledger.record(item_id, attrs.evolve(entry, fingerprint=""))
        ledger.save()
        writes = self._apply_links(keys, set(touched))
        writes += self._apply_sprints(keys, touched)
        writes += (
            self._extra_writes
        )  # versions, sprints, edits beyond one per batch, re-sent creates
        for item_id, entry in held.items():
            ledger.record(item_id, entry)
        ledger.save()
        return writes

    def _known(self, item_id: str) -> LedgerEntry | None:
        """The ledger entry from before this push when it says exactly what Jira holds."""
        before = self._before.get(item_id)
        return before if before is not None and before.fingerprint else None

    def _apply_links(self, keys: Mapping[str, str], touched: set[str]) -> int:
        """Create the links of what this push wrote (and links to it), remove the links the
        backlog dropped; where the ledger cannot say what Jira holds, read the links first."""
        created = set(self._created)
        types = {
            LinkKind.DEPENDS_ON: self.settings.dependency_link_type,
            LinkKind.RELATES_TO: self.settings.relates_link_type,
        }
        wanted: dict[tuple[str, str, LinkKind], bool] = {}  # (source, target, kind) -> surely new
        removed: list[tuple[str, str, LinkKind]] = []
        for item in self._by_id.values():
            source_touched = item.id in touched
            pairs = {(link.target_id, link.kind) for link in item.links}
            if not source_touched and not any(t in touched for t, _ in pairs):
                continue
            known = self._known(item.id)
            old = (
                {
                    (str(link["target_id"]), LinkKind(link["kind"]))
                    for link in known.snapshot.get("links", ())
                }
                if known is not None
                else set()
            )
            for target, kind in sorted(pairs):
                if not source_touched and target not in touched:
                    continue
                if item.id in created or target in created:
                    wanted[(item.id, target, kind)] = True
                elif source_touched and known is not None:
                    if (target, kind) not in old:
                        wanted[(item.id, target, kind)] = True
                elif not source_touched and target not in self._before:
                    wanted[(item.id, target, kind)] = True  # the target was adopted just now
                else:
                    wanted[(item.id, target, kind)] = False  # Jira may have it: look first
            if source_touched and known is not None:
                removed += [(item.id, t, k) for t, k in sorted(old - pairs)]
        writes = 0
        jira = self._client()
        check = sorted(
            {s for (s, _, _), new in wanted.items() if not new} | {s for s, _, _ in removed}
        )
        existing = self._existing_links(check, keys)
        for source, target, kind in removed:
            for link_id in existing.get((source, keys.get(target, ""), types[kind].casefold()), ()):
                self._call(f"remove link {link_id}", partial(jira.delete_issue_link, link_id))
                writes += 1
        for (source, target, kind), new in wanted.items():
            if target not in keys or source not in keys:
                missing = target if target not in keys else source
                self.context.diagnostics.warn(
                    f"jira: link {source} -> {target} not made: {missing} is not in Jira"
                )
                continue
            if not new and existing.get((source, keys[target], types[kind].casefold())):
                continue
            payload = {
                "type": {"name": types[kind]},
                "inwardIssue": {"key": keys[target]},  # the predecessor blocks ...
                "outwardIssue": {"key": keys[source]},  # ... the item that depends on it
            }
            try:
                self._call(
                    f"link {keys[source]} to {keys[target]}",
                    partial(self._post, "issueLink", payload),
                )
            except JiraRequestError as exc:
                if not exc.refused:
                    raise
                self.context.diagnostics.warn(str(exc))
                continue
            writes += 1
        return writes

    def _existing_links(
        self, sources: Sequence[str], keys: Mapping[str, str]
    ) -> dict[tuple[str, str, str], list[str]]:
        """(source id, target key, link type) -> ids of the links Jira holds for ``sources``."""
        found: dict[tuple[str, str, str], list[str]] = {}
        id_of_key = {keys[s]: s for s in sources if s in keys}
        for chunk in chunks(sorted(id_of_key), SEARCH_PAGE):
            jql = f"key in ({', '.join(chunk)})"
            for issue in self._search(jql, ["issuelinks"]):
                source = id_of_key.get(str(issue["key"]))
                for link in (issue.get("fields") or {}).get("issuelinks") or ():
                    target = (link.get("inwardIssue") or {}).get("key")
                    name = str((link.get("type") or {}).get("name", "")).casefold()
                    if source and target:
                        found.setdefault((source, str(target), name), []).append(str(link["id"]))
        return found

    def _apply_sprints(self, keys: Mapping[str, str], touched: Sequence[str]) -> int:
        """Add the items whose iteration is new or changed to their sprints (50 per request);
        items taken out of every iteration go back to the backlog. Sub-tasks follow their
        parent's sprint in Jira, so they are not moved."""
        site = self._resolve_site()
        moves: dict[str, list[str]] = {}
        to_backlog: list[str] = []
        for item_id in touched:
            item = self._by_id[item_id]
            if site.types[item.kind].subtask:
                continue
            known = self._known(item_id)
            old = known.snapshot.get("iteration_id") if known is not None else None
            if known is not None and old == item.iteration_id:
                continue
            if item.iteration_id:
                moves.setdefault(item.iteration_id, []).append(keys[item_id])
            elif old:
                to_backlog.append(keys[item_id])
        writes = 0
        sprint_ids = self._sprint_ids(sorted(moves)) if moves else {}
        jira = self._client()
        for iteration_id, issue_keys in moves.items():
            sprint = sprint_ids.get(iteration_id)
            if sprint is None:
                continue
            for chunk in chunks(issue_keys, SPRINT_MOVE_LIMIT):
                try:
                    self._call(
                        f"add {len(chunk)} issue(s) to sprint {sprint}",
                        partial(jira.add_issues_to_sprint, sprint, list(chunk)),
                    )
                except JiraRequestError as exc:
                    if not exc.refused:
                        raise
                    self.context.diagnostics.warn(str(exc))
                    continue
                writes += 1
        for chunk in chunks(to_backlog, SPRINT_MOVE_LIMIT):
            self._call(
                f"move {len(chunk)} issue(s) to the backlog",
                partial(jira.move_to_backlog, list(chunk)),
            )
            writes += 1
        return writes

    def _board_id(self) -> int:
        if self._board is None:
            jira = self._client()
            key = self.settings.project
            boards = self._call(
                f"find the Scrum board of {key}",
                lambda: jira.boards(projectKeyOrID=key, type="scrum"),
            )
            if not boards:
                raise ConfigError(
                    f"jira: project {key} has no Scrum board for sprints; set [services.jira] board"
                )
            self._board = int(boards[0].id)
        return self._board

    def _board_sprints(self) -> list[dict[str, Any]]:
        jira = self._client()
        board = self._board_id()
        sprints = self._call(
            f"read the sprints of board {board}", lambda: jira.sprints(board, maxResults=0)
        )
        return [cast(dict[str, Any], sprint.raw) for sprint in sprints]

    def _sprint_ids(self, iteration_ids: Sequence[str]) -> dict[str, int]:
        """Sprint id of each iteration, creating the missing sprints on the board once."""
        if self._sprints is None:
            self._sprints = {}
            by_name: dict[str, int] = {}
            for raw in self._board_sprints():
                self._sprints.setdefault(pulled_iteration(raw).id, int(raw["id"]))
                by_name.setdefault(str(raw.get("name", "")).casefold(), int(raw["id"]))
            for iteration in self._iterations.values():
                if iteration.id not in self._sprints and iteration.name.casefold() in by_name:
                    self._sprints[iteration.id] = by_name[iteration.name.casefold()]
        jira = self._client()
        for iteration_id in iteration_ids:
            if iteration_id in self._sprints:
                continue
            known_iteration = self._iterations.get(iteration_id)
            if known_iteration is None:
                self.context.diagnostics.warn(
                    f"jira: iteration {iteration_id} is not in the backlog's iterations; "
                    "its items were not put in a sprint"
                )
                continue
            iteration = known_iteration
            board = self._board_id()
            start = f"{iteration.start.isoformat()}T00:00:00.000Z" if iteration.start else None
            end = f"{iteration.finish.isoformat()}T23:59:00.000Z" if iteration.finish else None
            goal = iteration_marker(iteration.id, iteration.name) or None
            sprint = self._call(
                f"create sprint {iteration.name!r}",
                partial(
                    jira.create_sprint,
                    iteration.name,
                    board,
                    startDate=start,
                    endDate=end,
                    goal=goal,
                ),
            )
            self._sprints[iteration_id] = int(sprint.id)
            self._extra_writes += 1
        return self._sprints

    # --- pull -------------------------------------------------------------------------------

    def pull(self) -> Backlog:
        """Every issue of the project as a work item (mbf ids from the markers), with the
        board's sprints as iterations and the project's versions as releases."""
        site = self._resolve_site()
        fields = [
            *_PULLED_FIELDS,
            *(
                f
                for f in (site.sprint_field, site.start_field, site.epic_link_field, site.id_field)
                if f
            ),
        ]
        issues = list(
            self._search(f"project = {jql_string(site.project_key)} ORDER BY key", fields)
        )
        id_of_key: dict[str, str] = {}
        claimed: dict[str, str] = {}
        for issue in issues:
            key = str(issue["key"])
            raw_fields = issue.get("fields") or {}
            item_id = (
                (str(raw_fields.get(site.id_field) or "") if site.id_field else "")
                or id_of_labels(raw_fields.get("labels") or ())
                or f"jira:{key}"
            )
            if item_id in claimed:
                self.context.diagnostics.warn(
                    f"jira: {key} carries the mbf id {item_id} of {claimed[item_id]} too; "
                    f"read as jira:{key}"
                )
                item_id = f"jira:{key}"
            claimed[item_id] = key
            id_of_key[key] = item_id
        items = [
            pulled_item(
                issue,
                site,
                id_of_key=id_of_key,
                dependency_type=self.settings.dependency_link_type,
                relates_type=self.settings.relates_link_type,
            )
            for issue in issues
        ]
        jira = self._client()
        key = self.settings.project
        versions = self._call(f"read versions of {key}", lambda: jira.project_versions(key))
        releases = [pulled_release(cast(dict[str, Any], v.raw)) for v in versions]
        iterations = [pulled_iteration(raw) for raw in self._pulled_sprints()]
        return Backlog(
            items=hierarchy_order(tuple(items)), iterations=iterations, releases=releases
        )

    def _pulled_sprints(self) -> list[dict[str, Any]]:
        """The board's sprints, or none when the project has no Scrum board (and none is set)."""
        try:
            return self._board_sprints()
        except ConfigError:
            return []


def _element_error(error: Mapping[str, Any] | None) -> str:
    """One line from a bulk response's ``elementErrors.errors`` of one issue."""
    if not error:
        return "refused by Jira (no reason given)"
    return "; ".join(f"{field}: {message}" for field, message in sorted(error.items()))


def connect(settings: JiraSettings, context: Context) -> JiraTracker:
    """The ``connect`` of the ``jira`` service: nothing is sent yet."""
    return JiraTracker(settings, context)
