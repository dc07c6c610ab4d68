"""Ids are derived from estate ids and never change; items order parents first, stably."""

from mbf.domain import (
    WorkItem,
    WorkItemKind,
    hierarchy_order,
    item_id,
    server_id,
    server_ids,
    slug,
    stable_hash,
)
from mbf.domain.order import hierarchy_positions


def test_server_id_is_the_short_lower_case_name() -> None:
    assert [server_id(n) for n in ("SRV01", "srv01.contoso.local", " Srv01 ")] == ["srv01"] * 3


def test_server_id_of_an_ip_address_keeps_the_whole_address() -> None:
    assert server_id("10.1.2.3") == "10-1-2-3"


def test_server_ids_of_a_column_of_host_names_are_their_short_names() -> None:
    names = ["SRV01", "srv02.contoso.local", " Web-03.Contoso.Local ", "a\u212a"]  # a Kelvin sign
    assert server_ids(names) == ["srv01", "srv02", "web-03", "ak"]
    assert server_ids(names) == [server_id(n) for n in names]


def test_server_ids_of_a_column_with_other_names_are_those_of_server_id() -> None:
    others = [
        "10.1.2.3",  # an address: the whole of it
        "fe80::1",  # an IPv6 one starting with a letter
        "1srv.contoso.local",  # a digit first, not an address
        "web_01.x",  # not a slug yet
        "a.b:c",  # a colon after the first dot
        "abc\ndef",  # a line break inside the name
        "Ünïcode",
        "",
        "--",
    ]
    for other in others:
        column = ["srv01", other, "srv02.contoso.local"]
        assert server_ids(column) == [server_id(n) for n in column], other
    assert server_ids(["fe80::1", "abc\ndef", "10.1.2.3"]) == ["fe80-1", "abc-def", "10-1-2-3"]
    assert server_ids([]) == []


def test_slug_and_item_id() -> None:
    assert slug("Amsterdam 1 / Hall B") == "amsterdam-1-hall-b"
    assert item_id("task", "srv01", "migrate") == "task:srv01/migrate"


def test_slug_of_names_that_are_slugs_already_and_of_those_that_are_not() -> None:
    names = ("web-01", "WEB-01", "-web-01-", "web--01", "web_01", "Ünïcode", "a\u00b2", "", "--")
    assert [slug(n) for n in names] == [
        "web-01",
        "web-01",
        "web-01",
        "web-01",
        "web-01",
        "n-code",
        "a",
        "",
        "",
    ]


def test_stable_hash_is_fixed_across_runs() -> None:
    assert stable_hash("Unsupported operating system") == "5c4b64ca"


def _item(id_: str, parent: str | None = None) -> WorkItem:
    return WorkItem(id=id_, kind=WorkItemKind.TASK, title=id_, parent_id=parent)


def test_hierarchy_order_puts_parents_first_and_keeps_sibling_order() -> None:
    items = (_item("t2", "s1"), _item("s1", "e1"), _item("e2"), _item("t1", "s1"), _item("e1"))
    assert [i.id for i in hierarchy_order(items)] == ["e2", "e1", "s1", "t2", "t1"]


def test_hierarchy_order_keeps_items_of_a_cycle() -> None:
    items = (_item("a", "b"), _item("b", "a"), _item("c"))
    assert [i.id for i in hierarchy_order(items)] == ["c", "a", "b"]


def test_hierarchy_order_returns_items_already_in_that_order_as_they_are() -> None:
    items = (
        _item("e1"),
        _item("s1", "e1"),
        _item("t1", "s1"),
        _item("s2", "e1"),
        _item("x", "gone"),
    )
    assert hierarchy_order(items) is items


def test_hierarchy_order_moves_a_child_whose_parent_is_not_its_ancestor_in_the_input() -> None:
    # Every parent comes before its children, but t1 follows e2's subtree, not s1's.
    items = (_item("e1"), _item("s1", "e1"), _item("e2"), _item("t1", "s1"))
    assert [i.id for i in hierarchy_order(items)] == ["e1", "s1", "t1", "e2"]


def test_hierarchy_order_keeps_both_items_of_a_repeated_id() -> None:
    items = (_item("e1"), _item("s1", "e1"), _item("s1", "e1"))
    assert [i.id for i in hierarchy_order(items)] == ["e1", "s1", "s1"]


def test_hierarchy_order_of_an_item_whose_repeated_id_is_its_own_parent_ends() -> None:
    # Two items "x", the second naming "x" as its parent: the walk used to loop for ever.
    first, second, child = _item("x"), _item("x", "x"), _item("y", "x")
    assert hierarchy_order((first, second, child)) == (first, second, child)
    assert hierarchy_order((second, child, first)) == (first, second, child)


def test_hierarchy_positions_give_the_depth_first_order_of_items_given_as_columns() -> None:
    # The items of the first hierarchy_order test: e2, e1, s1, t2, t1.
    ids = ["t2", "s1", "e2", "t1", "e1"]
    parents = ["s1", "e1", None, "s1", None]
    assert hierarchy_positions(ids, parents) == [2, 4, 1, 0, 3]


def test_hierarchy_positions_of_items_already_in_order_count_up() -> None:
    assert hierarchy_positions(["e1", "s1", "t1", "x"], [None, "e1", "s1", "gone"]) == [0, 1, 2, 3]
    assert hierarchy_positions([], []) == []


def test_hierarchy_positions_put_a_cycle_last_and_keep_repeated_ids() -> None:
    assert hierarchy_positions(["a", "b", "c"], ["b", "a", None]) == [2, 0, 1]
    assert hierarchy_positions(["x", "x", "y"], [None, "x", "x"]) == [0, 1, 2]
    assert hierarchy_positions(["x", "y", "x"], ["x", "x", None]) == [2, 0, 1]
