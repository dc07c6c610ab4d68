"""Remediation: one task per readiness blocker, which the asset's migrate task depends on.

Ids: ``task:<server id>/remediate/<stable_hash(blocker text)>``, so the same blocker keeps its id
across discoveries and a fixed blocker simply disappears. The migrate task holds a finish-to-start
``depends-on`` link to each remediation task of its server.
"""

from __future__ import annotations

import attrs

from mbf.domain import (
    Backlog,
    DependencyType,
    Estate,
    Link,
    LinkKind,
    WorkItem,
    WorkItemKind,
    item_id,
    stable_hash,
)
from mbf.plugin.types import Context

__all__ = ["add_remediation", "remediation_id"]

_TITLE_LENGTH = 80


def remediation_id(server_id: str, blocker: str) -> str:
    """Id of the task remediating ``blocker`` on ``server_id``."""
    return item_id("task", server_id, "remediate", stable_hash(blocker.strip()))


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _TITLE_LENGTH else text[: _TITLE_LENGTH - 1] + "…"


def add_remediation(estate: Estate, backlog: Backlog, context: Context) -> Backlog:
    """Add the remediation tasks of every server with a story and a migrate task, and link them."""
    items = list(backlog.items)
    position = {item.id: n for n, item in enumerate(items)}
    hours = context.config.generation.remediation_hours
    after_story: dict[int, list[WorkItem]] = {}
    for server in estate.servers:
        story_at = position.get(item_id("story", server.id))
        migrate_at = position.get(item_id("task", server.id, "migrate"))
        if story_at is None or migrate_at is None or not server.blockers:
            continue  # retired, retained or unmoved servers need no remediation
        story = items[story_at]
        tasks: dict[str, WorkItem] = {}
        for blocker in server.blockers:
            task_id = remediation_id(server.id, blocker)
            tasks.setdefault(
                task_id,
                WorkItem(
                    id=task_id,
                    kind=WorkItemKind.TASK,
                    title=f"Remediate {server.name}: {_short(blocker)}",
                    description=blocker,
                    parent_id=story.id,
                    estimate=hours,
                    tags=("remediation",),
                    source=(server.id,),
                ),
            )
        after_story[story_at] = list(tasks.values())
        migrate = items[migrate_at]
        known = {link.target_id for link in migrate.links}
        links = [
            Link(target_id=task_id, kind=LinkKind.DEPENDS_ON, type=DependencyType.FS)
            for task_id in tasks
            if task_id not in known
        ]
        items[migrate_at] = attrs.evolve(migrate, links=(*migrate.links, *links))
    if not after_story:
        return backlog
    result: list[WorkItem] = []
    for n, item in enumerate(items):
        result.append(item)
        result += after_story.get(n, ())
    return attrs.evolve(backlog, items=tuple(result))
