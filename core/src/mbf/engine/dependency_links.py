"""Dependency links and move groups: server traffic between workloads becomes tracker links.

A dependency from a server of workload A to a server of workload B makes ``feature:A`` hold a
``depends-on`` link (start-to-start: B moves in the same or an earlier iteration) to
``feature:B``, and ``story:<source server>`` one to ``story:<target server>``. Traffic inside a
workload, to endpoints outside the estate, lighter than ``dependency_min_weight`` or on an
ignored port makes no link.

Workloads with heavy two-way traffic (total weight of both directions at least
``coupling_threshold``, each direction present) or sharing a server are strongly coupled: their
features get the same ``extra["move_group"]`` (the smallest workload id of the group), which
planning keeps in one iteration.
"""

from __future__ import annotations

from collections import defaultdict

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
)
from mbf.domain.backlog import with_fields
from mbf.plugin.types import Context

__all__ = ["add_dependency_links"]


class _Groups:
    """Union-find over feature ids, for move groups."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, key: str) -> str:
        root = key
        while self.parent.get(root, root) != root:
            root = self.parent[root]
        while key != root:  # path compression keeps later finds O(1)
            self.parent[key], key = root, self.parent.get(key, root)
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        self.parent.setdefault(ra, ra)
        self.parent.setdefault(rb, rb)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def add_dependency_links(estate: Estate, backlog: Backlog, context: Context) -> Backlog:
    """Link features and stories across workloads and mark strongly coupled move groups."""
    settings = context.config.generation
    ignored_ports = set(settings.ignore_ports)
    feature_of: dict[str, str] = {}
    story_of: dict[str, str] = {}  # server id -> id of its story, worked out once per server
    story = WorkItemKind.STORY
    for item in backlog.items:
        if item.kind is story and item.source and item.parent_id is not None:
            server_id = item.source[0]
            feature_of[server_id] = item.parent_id
            story_of[server_id] = item_id("story", server_id)
    traffic: defaultdict[tuple[str, str], float] = defaultdict(float)
    story_links: defaultdict[str, set[str]] = defaultdict(set)
    min_weight = settings.dependency_min_weight
    for dep in estate.dependencies:  # hundreds of thousands: kept to lookups
        weight = dep.weight
        if weight < min_weight or dep.port in ignored_ports:
            continue
        source, target = dep.source_id, dep.target_id
        source_feature = feature_of.get(source)
        target_feature = feature_of.get(target)
        if source_feature is None or target_feature is None or source_feature == target_feature:
            continue
        traffic[source_feature, target_feature] += weight
        story_links[story_of[source]].add(story_of[target])
    feature_links: defaultdict[str, set[str]] = defaultdict(set)
    groups = _Groups()
    for (source, target), weight in traffic.items():
        feature_links[source].add(target)
        back = traffic.get((target, source))
        threshold = settings.coupling_threshold
        if back is not None and threshold is not None and weight + back >= threshold:
            groups.union(source, target)
    known = {item.id for item in backlog.items}
    for server in estate.servers:
        shared = [f for f in (item_id("feature", w) for w in server.workload_ids) if f in known]
        for other in shared[1:]:
            groups.union(shared[0], other)
    members: defaultdict[str, list[str]] = defaultdict(list)
    for feature in groups.parent:
        members[groups.find(feature)].append(feature)

    def move_group(feature_id: str) -> str | None:
        if feature_id not in groups.parent:
            return None
        root = groups.find(feature_id)
        return root.split(":", 1)[1] if len(members[root]) > 1 else None

    # Links are immutable: one object per target, however many items link to it (most stories
    # link to the same few shared servers).
    link_to: dict[str, Link] = {}

    def link(target: str) -> Link:
        found = link_to.get(target)
        if found is None:
            found = link_to[target] = Link(
                target_id=target, kind=LinkKind.DEPENDS_ON, type=DependencyType.SS
            )
        return found

    def linked(item: WorkItem, targets: set[str] | None, group: str | None) -> WorkItem:
        have = {link.target_id for link in item.links if link.kind is LinkKind.DEPENDS_ON}
        new_links = tuple(link(t) for t in sorted(targets or ()) if t not in have)
        extra = item.extra if group is None else {**item.extra, "move_group": group}
        return with_fields(item, links=(*item.links, *new_links), extra=extra)

    items: list[WorkItem] = []
    append = items.append
    feature = WorkItemKind.FEATURE
    for item in backlog.items:  # mostly tasks, which take no links: they are tested first
        kind = item.kind
        if kind is story:
            targets = story_links.get(item.id)
            append(linked(item, targets, None) if targets else item)
        elif kind is feature:
            targets, group = feature_links.get(item.id), move_group(item.id)
            append(linked(item, targets, group) if targets or group is not None else item)
        else:
            append(item)
    return attrs.evolve(backlog, items=tuple(items))
