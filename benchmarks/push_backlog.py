"""The 10,000-item backlog every push benchmark sends to its tracker's loopback fake.

100 epics, 3,000 stories (30 per epic, each depending on the one before it in its epic: 2,900
links) planned into 20 sprints of 150, and 6,900 tasks (2 or 3 per story). With ``releases``, the
stories are spread evenly over that many releases.
"""

from __future__ import annotations

import datetime as dt

from mbf.domain import Backlog, Iteration, Link, Release, WorkItem, WorkItemKind

EPICS, STORIES_PER_EPIC, SPRINT_SIZE = 100, 30, 150


def make_push_backlog(*, releases: int = 0) -> Backlog:
    """The benchmark backlog, parents before children."""
    stories = EPICS * STORIES_PER_EPIC
    items = [
        WorkItem(id=f"epic:e{e}", kind=WorkItemKind.EPIC, title=f"Datacenter {e}")
        for e in range(EPICS)
    ]
    for e in range(EPICS):
        for s in range(STORIES_PER_EPIC):
            n = e * STORIES_PER_EPIC + s
            items.append(
                WorkItem(
                    id=f"story:e{e}/s{s}",
                    kind=WorkItemKind.STORY,
                    title=f"Migrate server {n}",
                    parent_id=f"epic:e{e}",
                    iteration_id=f"sprint-{n // SPRINT_SIZE + 1}",
                    release_id=f"release-{n * releases // stories + 1}" if releases else None,
                    estimate=8.0,
                    links=(Link(target_id=f"story:e{e}/s{s - 1}"),) if s else (),
                )
            )
    for e in range(EPICS):
        for s in range(STORIES_PER_EPIC):
            for t in range(3 if (e * STORIES_PER_EPIC + s) % 10 < 3 else 2):
                items.append(
                    WorkItem(
                        id=f"task:e{e}/s{s}/t{t}",
                        kind=WorkItemKind.TASK,
                        title=f"Task {t}",
                        parent_id=f"story:e{e}/s{s}",
                    )
                )
    start = dt.date(2027, 1, 4)
    iterations = [
        Iteration(
            id=f"sprint-{n}",
            name=f"Sprint {n}",
            start=start + dt.timedelta(days=14 * (n - 1)),
            finish=start + dt.timedelta(days=14 * (n - 1) + 11),
        )
        for n in range(1, stories // SPRINT_SIZE + 1)
    ]
    release_list = [Release(id=f"release-{n}", name=f"Release {n}") for n in range(1, releases + 1)]
    return Backlog(items=items, iterations=iterations, releases=release_list)
