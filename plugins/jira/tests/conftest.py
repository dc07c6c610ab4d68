"""Fixtures of the ``jira`` service tests: a loopback fake Jira (Cloud or Server) and trackers
pointed at it. (The root conftest loads ``mbf.testing``; this one declares no ``pytest_plugins``.)"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mbf.domain import Backlog, Iteration, Release, WorkItem, WorkItemKind
from mbf.plugin import Context

sys.path.insert(0, str(Path(__file__).parent))

from fake_jira import FakeJira

from mbf.sync import RetryPolicy
from mbf_jira.service import JiraTracker
from mbf_jira.settings import JiraSettings


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """requests honours proxy variables; the fake is on loopback."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    for name in ("JIRA_API_TOKEN", "JIRA_EMAIL", "JIRA_PAT"):
        monkeypatch.delenv(name, raising=False)


def _start(
    request: pytest.FixtureRequest, deployment: str, monkeypatch: pytest.MonkeyPatch
) -> FakeJira:
    fake = FakeJira(deployment)
    context = fake.running()
    context.__enter__()
    request.addfinalizer(lambda: context.__exit__(None, None, None))
    if deployment == "Cloud":
        monkeypatch.setenv("JIRA_EMAIL", fake.email)
        monkeypatch.setenv("JIRA_API_TOKEN", fake.token)
    else:
        monkeypatch.setenv("JIRA_PAT", fake.token)
    return fake


@pytest.fixture
def fake(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> FakeJira:
    """A fake Jira Cloud site, with the credentials in the environment."""
    return _start(request, "Cloud", monkeypatch)


@pytest.fixture
def fake_server(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> FakeJira:
    """A fake Jira Data Center site (``deploymentType`` Server, bearer token)."""
    return _start(request, "Server", monkeypatch)


@pytest.fixture
def sleeps() -> list[float]:
    """The waits the retry policy asked for (nothing really sleeps)."""
    return []


@pytest.fixture
def make_tracker(sleeps: list[float]) -> Iterator[Callable[..., JiraTracker]]:
    """``make_tracker(fake, **settings)``: a tracker on the fake with a recording retry policy."""
    made: list[JiraTracker] = []

    def make(fake: FakeJira, context: Context | None = None, **settings: object) -> JiraTracker:
        tracker = JiraTracker(
            JiraSettings(url=fake.url, project="MIG", **settings),  # type: ignore[arg-type]
            context or Context(),
            retry=RetryPolicy(sleep=sleeps.append),
        )
        made.append(tracker)
        return tracker

    yield make
    for tracker in made:
        tracker.close()


def wide_backlog(epics: int, stories_per_epic: int, *, sprint_size: int = 0) -> Backlog:
    """``epics`` epics with ``stories_per_epic`` stories each; with ``sprint_size``, stories are
    planned into consecutive sprints of that many and every epic ships in one release."""
    items: list[WorkItem] = []
    iterations: list[Iteration] = []
    count = 0
    for e in range(epics):
        items.append(WorkItem(id=f"epic:e{e}", kind=WorkItemKind.EPIC, title=f"Epic {e}"))
        for s in range(stories_per_epic):
            sprint = f"sprint-{count // sprint_size + 1}" if sprint_size else None
            items.append(
                WorkItem(
                    id=f"story:e{e}/s{s}",
                    kind=WorkItemKind.STORY,
                    title=f"Story {e}.{s}",
                    parent_id=f"epic:e{e}",
                    iteration_id=sprint,
                    release_id="release-1" if sprint_size else None,
                )
            )
            count += 1
    if sprint_size:
        for n in range(1, (count + sprint_size - 1) // sprint_size + 1):
            start = dt.date(2027, 1, 4) + dt.timedelta(days=14 * (n - 1))
            iterations.append(
                Iteration(
                    id=f"sprint-{n}",
                    name=f"Sprint {n}",
                    start=start,
                    finish=start + dt.timedelta(days=11),
                )
            )
    releases = (
        [Release(id="release-1", name="Release 1", date=dt.date(2027, 6, 30))]
        if sprint_size
        else []
    )
    return Backlog(items=items, iterations=iterations, releases=releases)


@pytest.fixture
def make_wide_backlog() -> Callable[..., Backlog]:
    return wide_backlog
