"""The dependency map of one workload: its servers, the workloads they depend on or serve, and
the links between them, laid out in layers by dependency depth (what moves first on the left).

Nodes are the focus workload's stories (one per server) and, collapsed to one node each, the
other workloads its stories link to or are linked from. An edge ``a -> b`` means *a depends on b*
(``depends-on`` links of stories; a feature-level link with no story link behind it joins the
other workload to a node standing for the focus workload as a whole). A node's layer is the
longest chain of dependencies below it (0: depends on nothing in the map); links that close a
cycle are kept but drawn against the flow. Order inside a layer follows the mean position of
each node's targets (one barycentre sweep), so edges cross less. All steps are linear in the
items and links read, plus ``n log n`` sorting of the map's own nodes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

import attrs

from mbf.domain import Backlog, LinkKind, WorkItem, WorkItemKind
from mbf.engine.planning import feature_index
from mbf.errors import InputError

__all__ = [
    "DependencyMap",
    "MapEdge",
    "MapNode",
    "build_dependency_map",
    "most_connected_workloads",
    "resolve_workload",
]

_KIND_ORDER = {"server": 0, "workload": 1, "focus-workload": 2}


@attrs.frozen(kw_only=True)
class MapNode:
    """A server of the focus workload, another workload, or the focus workload as a whole."""

    id: str
    """Item id (story or feature)."""
    label: str
    """Server or workload name."""
    kind: str
    """``server``, ``workload`` or ``focus-workload``."""
    state: str
    """Tracker-neutral state category of the item."""
    iteration_id: str | None
    """Iteration it is planned in."""
    layer: int = 0
    """Dependency depth: 0 depends on nothing in the map."""
    position: int = 0
    """Row inside its layer, from the top."""


@attrs.frozen(kw_only=True)
class MapEdge:
    """``source`` depends on ``target``; ``links`` story links stand behind it."""

    source: str
    """Dependent node id."""
    target: str
    """Node id depended upon."""
    links: int
    """Underlying links (several server links to one workload make one edge)."""
    against_flow: bool = False
    """It closes a dependency cycle, so it points to a node in the same or a later layer."""


@attrs.frozen(kw_only=True)
class DependencyMap:
    """A laid-out dependency map of one workload."""

    feature_id: str
    """The focus workload's feature."""
    title: str
    """Its title."""
    nodes: tuple[MapNode, ...]
    """By layer, then position."""
    edges: tuple[MapEdge, ...]
    """Sorted by source, then target."""

    @property
    def layers(self) -> int:
        """Number of layers."""
        return 1 + max((node.layer for node in self.nodes), default=-1)


def _depends_on(item: WorkItem) -> Iterable[str]:
    return (link.target_id for link in item.links if link.kind is LinkKind.DEPENDS_ON)


def most_connected_workloads(
    backlog: Backlog, feature_of: Mapping[str, str] | None = None
) -> list[str]:
    """Feature ids by the number of depends-on links their stories and they themselves have to
    other workloads (both directions), most first; ties keep backlog order. ``feature_of`` is
    :func:`~mbf.engine.planning.feature_index` of the backlog, if already at hand."""
    feature_of = feature_of if feature_of is not None else feature_index(backlog.items)
    count: defaultdict[str, int] = defaultdict(int)
    order = [item.id for item in backlog.items if item.kind is WorkItemKind.FEATURE]
    for item in backlog.items:
        if item.kind not in (WorkItemKind.STORY, WorkItemKind.FEATURE):
            continue
        own = feature_of.get(item.id)
        for target in _depends_on(item):
            other = feature_of.get(target)
            if own is not None and other is not None and other != own:
                count[own] += 1
                count[other] += 1
    position = {fid: n for n, fid in enumerate(order)}
    return sorted(order, key=lambda fid: (-count[fid], position[fid]))


def resolve_workload(backlog: Backlog, name: str) -> str:
    """The feature id of workload ``name`` (a workload id, or the feature id itself)."""
    features = [item for item in backlog.items if item.kind is WorkItemKind.FEATURE]
    for feature in features:
        if feature.id == name or name in feature.source:
            return feature.id
    known = ", ".join(f.source[0] if f.source else f.id for f in features[:10])
    raise InputError(f"no workload {name!r} in the backlog (workloads include: {known})")


def _layers(
    nodes: Sequence[str], out_edges: Mapping[str, Sequence[str]]
) -> tuple[dict[str, int], set[tuple[str, str]]]:
    """Longest-path depth of each node towards its targets, by an iterative depth-first search;
    returns the depths and the edges found closing a cycle (ignored for depth)."""
    depth: dict[str, int] = {}
    back: set[tuple[str, str]] = set()
    on_path: set[str] = set()
    for root in nodes:
        if root in depth:
            continue
        stack: list[tuple[str, int]] = [(root, 0)]
        on_path.add(root)
        while stack:
            node, next_edge = stack[-1]
            targets = out_edges.get(node, ())
            if next_edge < len(targets):
                stack[-1] = (node, next_edge + 1)
                target = targets[next_edge]
                if target in on_path:
                    back.add((node, target))
                elif target not in depth:
                    on_path.add(target)
                    stack.append((target, 0))
                continue
            depth[node] = 1 + max((depth[t] for t in targets if (node, t) not in back), default=-1)
            on_path.discard(node)
            stack.pop()
    return depth, back


def build_dependency_map(
    backlog: Backlog, feature_id: str, feature_of: Mapping[str, str] | None = None
) -> DependencyMap:
    """The laid-out dependency map of the workload whose feature is ``feature_id`` (``feature_of``
    as for :func:`most_connected_workloads`)."""
    by_id = {item.id: item for item in backlog.items}
    feature_of = feature_of if feature_of is not None else feature_index(backlog.items)
    focus = by_id[feature_id]
    nodes: dict[str, MapNode] = {}

    def node_for(item_id: str) -> str | None:
        """The map node standing for a story or feature; ``None`` outside stories/features."""
        item = by_id.get(item_id)
        owner = feature_of.get(item_id)
        if item is None or owner is None:
            return None
        if owner == feature_id:
            if item.kind is WorkItemKind.STORY:
                key, kind = item.id, "server"
            elif item.kind is WorkItemKind.FEATURE:
                key, kind = item.id + "#whole", "focus-workload"
            else:
                return None
        else:
            item = by_id[owner]
            key, kind = owner, "workload"
        if key not in nodes:
            label = item.title
            if kind == "server":  # the story title names the server after its verb
                label = item.title.removeprefix("Migrate ").removeprefix("Decommission ")
            nodes[key] = MapNode(
                id=key,
                label=label,
                kind=kind,
                state=item.state_category.value,
                iteration_id=item.iteration_id,
            )
        return key

    story_pairs: set[frozenset[str]] = set()
    weights: defaultdict[tuple[str, str], int] = defaultdict(int)
    feature_links: list[tuple[str, str]] = []
    for item in backlog.items:
        if item.kind not in (WorkItemKind.STORY, WorkItemKind.FEATURE):
            continue
        own = feature_of.get(item.id)
        for target in _depends_on(item):
            other = feature_of.get(target)
            target_item = by_id.get(target)
            if own is None or other is None or target_item is None:
                continue
            if feature_id not in (own, other):
                continue
            if item.kind is WorkItemKind.FEATURE:
                if target_item.kind is WorkItemKind.FEATURE and own != other:
                    feature_links.append((item.id, target))
                continue
            if target_item.kind is not WorkItemKind.STORY:
                continue
            source_node, target_node = node_for(item.id), node_for(target)
            if source_node is None or target_node is None or source_node == target_node:
                continue
            weights[(source_node, target_node)] += 1
            if own != other:
                story_pairs.add(frozenset((own, other)))
    for source, target in feature_links:
        own, other = feature_of[source], feature_of[target]
        if frozenset((own, other)) in story_pairs:
            continue  # the server links already show it
        source_node, target_node = node_for(source), node_for(target)
        if source_node is not None and target_node is not None:
            weights[(source_node, target_node)] += 1
    for item in backlog.items:  # servers with no link are part of the workload too
        if item.kind is WorkItemKind.STORY and feature_of.get(item.id) == feature_id:
            node_for(item.id)

    ordered = sorted(nodes.values(), key=lambda n: (_KIND_ORDER[n.kind], n.label, n.id))
    out_edges: defaultdict[str, list[str]] = defaultdict(list)
    for source, target in sorted(weights):
        out_edges[source].append(target)
    depth, back = _layers([n.id for n in ordered], out_edges)

    by_layer: defaultdict[int, list[str]] = defaultdict(list)
    for node in ordered:
        by_layer[depth[node.id]].append(node.id)
    row: dict[str, int] = {}
    for layer in sorted(by_layer):
        members = by_layer[layer]
        initial = {node_id: n for n, node_id in enumerate(members)}

        def barycentre(node_id: str, initial: Mapping[str, int] = initial) -> tuple[float, int]:
            placed = [row[t] for t in out_edges.get(node_id, ()) if t in row]
            mean = sum(placed) / len(placed) if placed else float(initial[node_id])
            return (mean, initial[node_id])

        for position, node_id in enumerate(sorted(members, key=barycentre)):
            row[node_id] = position

    laid_out = sorted(
        (attrs.evolve(node, layer=depth[node.id], position=row[node.id]) for node in ordered),
        key=lambda n: (n.layer, n.position),
    )
    edges = tuple(
        MapEdge(source=s, target=t, links=weights[(s, t)], against_flow=(s, t) in back)
        for s, t in sorted(weights)
    )
    return DependencyMap(
        feature_id=feature_id, title=focus.title, nodes=tuple(laid_out), edges=edges
    )
