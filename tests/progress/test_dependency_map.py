"""The dependency map of a workload: nodes, edges and layers by dependency depth."""

from __future__ import annotations

import attrs
import pytest

from mbf.domain import Link, WorkItemKind
from mbf.engine.dependency_map import (
    build_dependency_map,
    most_connected_workloads,
    resolve_workload,
)
from mbf.errors import InputError


@pytest.fixture
def web_backlog(make_backlog):
    """Workload web (web-1 -> web-2 -> db-1, web-1 -> cache-1), db, cache and an unlinked ftp."""
    return make_backlog(
        {"ams": None},
        [
            {"server": "web-1", "dc": "ams", "workload": "web", "depends_on": ["web-2", "cache-1"]},
            {"server": "web-2", "dc": "ams", "workload": "web", "depends_on": ["db-1"]},
            {"server": "db-1", "dc": "ams", "workload": "db"},
            {"server": "cache-1", "dc": "ams", "workload": "cache"},
            {"server": "ftp-1", "dc": "ams", "workload": "ftp"},
        ],
    )


def _layers(graph):
    return {node.id: node.layer for node in graph.nodes}


def test_layers_follow_the_longest_dependency_chain(web_backlog):
    graph = build_dependency_map(web_backlog, "feature:web")
    assert _layers(graph) == {
        "feature:cache": 0,
        "feature:db": 0,
        "story:web-2": 1,
        "story:web-1": 2,
    }


def test_other_workloads_are_collapsed_into_one_node_each(web_backlog):
    graph = build_dependency_map(web_backlog, "feature:web")
    assert [(e.source, e.target, e.links) for e in graph.edges] == [
        ("story:web-1", "feature:cache", 1),
        ("story:web-1", "story:web-2", 1),
        ("story:web-2", "feature:db", 1),
    ]


def test_a_workload_node_shows_its_dependents_inside_the_focus(web_backlog):
    graph = build_dependency_map(web_backlog, "feature:db")
    assert ([(e.source, e.target) for e in graph.edges], _layers(graph)) == (
        [("feature:web", "story:db-1")],
        {"story:db-1": 0, "feature:web": 1},
    )


def test_a_dependency_cycle_is_drawn_against_the_flow(make_backlog):
    backlog = make_backlog(
        {"ams": None},
        [
            {"server": "a-1", "dc": "ams", "workload": "a", "depends_on": ["b-1"]},
            {"server": "b-1", "dc": "ams", "workload": "b", "depends_on": ["a-1"]},
        ],
    )
    graph = build_dependency_map(backlog, "feature:a")
    assert [(e.source, e.target, e.against_flow) for e in graph.edges] == [
        ("feature:b", "story:a-1", True),
        ("story:a-1", "feature:b", False),
    ]
    assert _layers(graph) == {"story:a-1": 1, "feature:b": 0}


def test_a_feature_link_without_server_links_joins_the_workload_as_a_whole(make_backlog):
    backlog = make_backlog(
        {"ams": None},
        [
            {"server": "app-1", "dc": "ams", "workload": "app"},
            {"server": "ldap-1", "dc": "ams", "workload": "ldap"},
        ],
    )
    backlog = attrs.evolve(
        backlog,
        items=tuple(
            attrs.evolve(item, links=(Link(target_id="feature:ldap"),))
            if item.id == "feature:app"
            else item
            for item in backlog.items
        ),
    )
    graph = build_dependency_map(backlog, "feature:app")
    assert [(e.source, e.target) for e in graph.edges] == [("feature:app#whole", "feature:ldap")]


def test_rows_inside_a_layer_are_numbered_from_the_top(web_backlog):
    graph = build_dependency_map(web_backlog, "feature:web")
    assert [(n.id, n.layer, n.position) for n in graph.nodes] == [
        ("feature:cache", 0, 0),
        ("feature:db", 0, 1),
        ("story:web-2", 1, 0),
        ("story:web-1", 2, 0),
    ]


def test_workloads_by_links_most_connected_first(web_backlog):
    assert most_connected_workloads(web_backlog) == [
        "feature:web",
        "feature:db",
        "feature:cache",
        "feature:ftp",
    ]


def test_a_workload_is_found_by_its_id_or_its_feature_id(web_backlog):
    assert (resolve_workload(web_backlog, "db"), resolve_workload(web_backlog, "feature:db")) == (
        "feature:db",
        "feature:db",
    )


def test_an_unknown_workload_is_an_input_error_naming_some_that_exist(web_backlog):
    with pytest.raises(
        InputError, match=r"no workload 'nope' in the backlog \(workloads include: web, db"
    ):
        resolve_workload(web_backlog, "nope")


def test_the_realistic_plan_maps_erp_with_its_neighbours(realistic_planned):
    graph = build_dependency_map(realistic_planned, "feature:erp")
    servers = [n.id for n in graph.nodes if n.kind == "server"]
    neighbours = sorted(n.id for n in graph.nodes if n.kind == "workload")
    assert (len(servers), neighbours, graph.layers) == (
        5,
        ["feature:bi", "feature:crm", "feature:hr", "feature:pay", "feature:scm"],
        2,
    )
    assert all(
        item.kind is WorkItemKind.STORY for item in realistic_planned.items if item.id in servers
    )
