"""Seeded random backlogs survive a write and read unchanged (every field mspdi declares)."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pytest

from mbf.domain import (
    Backlog,
    DependencyType,
    Iteration,
    Link,
    LinkKind,
    Release,
    StateCategory,
    TrackerRef,
    WorkItem,
    WorkItemKind,
)
from mbf.plugin import Context, TrackerFormat
from mbf.testing.suites import project_backlog

ALPHABET = "abcXYZ 019;,[]{}<>&\"'\t\n\r-_/\\éß中🙂"


def _text(rng: random.Random, longest: int = 20) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, longest)))


def _day(rng: random.Random) -> dt.date | None:
    return (
        None if rng.random() < 0.3 else dt.date(2027, 1, 1) + dt.timedelta(days=rng.randint(0, 400))
    )


def _random_backlog(seed: int, size: int = 150) -> Backlog:
    rng = random.Random(seed)
    iterations = tuple(
        Iteration(
            id=f"it-{n}",
            name=_text(rng) or "it",
            path=_text(rng),
            start=_day(rng),
            finish=_day(rng),
            capacity=rng.choice([None, rng.randint(0, 40) / 4]),
        )
        for n in range(rng.randint(0, 4))
    )
    releases = tuple(
        Release(
            id=f"rel-{n}",
            name=_text(rng) or "rel",
            date=_day(rng),
            workload_ids=tuple(_text(rng, 8) for _ in range(rng.randint(0, 3))),
        )
        for n in range(rng.randint(0, 3))
    )
    items: list[WorkItem] = []
    for n in range(size):
        ids = [item.id for item in items]
        links = (
            tuple(
                Link(
                    target_id=rng.choice(ids),
                    kind=rng.choice(list(LinkKind)),
                    type=rng.choice(list(DependencyType)),
                    lag_hours=rng.randint(-9600, 9600) / 600,
                )
                for _ in range(rng.randint(0, 3))
            )
            if ids
            else ()
        )
        items.append(
            WorkItem(
                id=f"item:{n}/{_text(rng, 5)}",
                kind=rng.choice(list(WorkItemKind)),
                title=_text(rng, 60),
                description=_text(rng, 80),
                parent_id=rng.choice([None, *ids[-5:]]) if ids else None,
                state=rng.choice(["New", "Active", "", "Done", _text(rng, 10)]),
                state_category=rng.choice(list(StateCategory)),
                assignee=rng.choice(["", _text(rng, 15)]),
                priority=rng.choice([None, rng.randint(-2, 20)]),
                tags=tuple(_text(rng, 8) for _ in range(rng.randint(0, 3))),
                iteration_id=rng.choice([None, *(i.id for i in iterations)]),
                release_id=rng.choice([None, *(r.id for r in releases)]),
                estimate=rng.choice([None, 0.0, rng.randint(0, 400) / 4]),
                start=_day(rng),
                finish=_day(rng),
                links=links,
                source=tuple(_text(rng, 8) for _ in range(rng.randint(0, 2))),
                refs={
                    _text(rng, 6): TrackerRef(
                        key=_text(rng, 6), url=_text(rng), version=_text(rng, 3)
                    )
                    for _ in range(rng.randint(0, 2))
                },
                extra={
                    _text(rng, 8): rng.choice(
                        [_text(rng), rng.randint(-5, 5), 1.5, None, True, [1, "a"]]
                    )
                    for _ in range(rng.randint(0, 3))
                },
            )
        )
    return Backlog(items=items, iterations=iterations, releases=releases)


@pytest.mark.parametrize("seed", range(8))
def test_random_backlog_round_trips(mspdi: TrackerFormat, tmp_path: Path, seed: int) -> None:
    backlog = _random_backlog(seed)
    assert mspdi.write is not None
    assert mspdi.read is not None
    mspdi.write(backlog, tmp_path / "plan.xml", Context())
    again = mspdi.read(tmp_path / "plan.xml", Context())
    assert project_backlog(again, mspdi.capabilities) == project_backlog(
        backlog, mspdi.capabilities
    )
