"""Work items as columns: the same items either way, defaults for absent fields, items of their
own, and the hierarchy levels worked out once."""

import random
from types import MappingProxyType

import pytest

from mbf.domain import Backlog, TrackerRef, WorkItem, WorkItemKind
from mbf.domain.columns import ITEM_FIELDS, BacklogColumns, ItemColumns
from mbf.domain.order import DepthFirst, depth_first, hierarchy_levels
from mbf.testing.samples import make_sample_backlog

TASK = WorkItemKind.TASK


def test_item_fields_are_the_work_item_fields_in_class_order() -> None:
    assert ITEM_FIELDS == (
        "id", "kind", "title", "description", "parent_id", "state", "state_category",
        "assignee", "priority", "tags", "iteration_id", "release_id", "estimate", "start",
        "finish", "links", "source", "refs", "extra",
    )  # fmt: skip


def test_a_backlog_as_columns_gives_back_equal_items_and_the_same_lists() -> None:
    backlog = make_sample_backlog()
    columns = BacklogColumns.of(backlog)
    assert len(columns.items) == len(backlog.items) == 9
    assert list(columns.items.column("title")) == [item.title for item in backlog.items]
    assert columns.iterations == backlog.iterations
    assert columns.releases == backlog.releases
    assert columns.backlog() == backlog


def test_items_built_from_columns_equal_items_made_with_init() -> None:
    columns = ItemColumns(
        {
            "id": ("a", "b"),
            "kind": (WorkItemKind.EPIC, TASK),
            "title": ("Alpha", "Beta"),
            "parent_id": (None, "a"),
            "tags": (("x", "y"), ()),
            "estimate": (None, 2.5),
            "refs": ({}, {"ado": TrackerRef(key="12")}),
        }
    )
    assert columns.items() == (
        WorkItem(id="a", kind=WorkItemKind.EPIC, title="Alpha", tags=("x", "y")),
        WorkItem(
            id="b", kind=TASK, title="Beta", parent_id="a", estimate=2.5,
            refs={"ado": TrackerRef(key="12")},
        ),
    )  # fmt: skip
    assert columns.items() is columns.items()  # built once
    # Same dictionary layout as attrs' __init__ gives (the keys shared between items).
    assert list(vars(columns.items()[0])) == list(vars(WorkItem(id="", kind=TASK, title="")))


def test_a_field_without_a_column_is_its_default_on_every_item() -> None:
    columns = ItemColumns({"id": ("a", "b"), "kind": (TASK, TASK), "title": ("A", "B")})
    assert columns.column("state") == ("New", "New")
    assert columns.column("tags") == ((), ())
    assert columns.column("refs") == (MappingProxyType({}), MappingProxyType({}))
    with pytest.raises(KeyError):
        columns.column("colour")


def test_items_get_dictionaries_of_their_own_from_shared_read_only_ones() -> None:
    shared: dict[str, object] = {}
    columns = ItemColumns(
        {"id": ("a", "b"), "kind": (TASK, TASK), "title": ("A", "B"), "extra": (shared, shared)}
    )
    a, b = columns.items()
    assert a.extra == b.extra == {}
    assert a.extra is not b.extra
    assert a.extra is not shared
    assert a.refs is not b.refs
    assert type(a.refs) is dict


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        ({"id": ("a",), "kind": (TASK,), "title": ("A",), "colour": ("red",)},
         "not work item fields: ['colour']"),
        ({"id": ("a",), "kind": (TASK,)}, "item columns need ['title']"),
        ({"id": ("a", "b"), "kind": (TASK,), "title": ("A",)},
         "item columns of different lengths: [1, 2]"),
    ],
)  # fmt: skip
def test_malformed_columns_are_refused(
    columns: dict[str, tuple[object, ...]], message: str
) -> None:
    with pytest.raises(ValueError, match=r"^" + message.replace("[", r"\[")):
        ItemColumns(columns)


def test_no_items_give_empty_columns() -> None:
    columns = BacklogColumns.of(Backlog())
    assert len(columns.items) == 0
    assert columns.items.column("id") == ()
    assert columns.backlog() == Backlog()


def test_hierarchy_levels_are_worked_out_once() -> None:
    backlog = make_sample_backlog()
    columns = ItemColumns.of_items(backlog.items)
    levels = columns.hierarchy_levels()
    assert levels == hierarchy_levels(
        (item.id for item in backlog.items), (item.parent_id for item in backlog.items)
    )
    assert levels is not None
    assert columns.hierarchy_levels() is levels


class TestHierarchyLevels:
    def test_items_in_hierarchy_order_give_the_positions_of_each_depth(self) -> None:
        ids = ["e1", "f1", "s1", "t1", "s2", "e2", "f2"]
        parents = [None, "e1", "f1", "s1", "f1", None, "e2"]
        assert hierarchy_levels(ids, parents) == [[0, 5], [1, 6], [2, 4], [3]]

    def test_a_parent_that_is_not_an_item_makes_a_root(self) -> None:
        assert hierarchy_levels(["a", "b"], ["elsewhere", "a"]) == [[0], [1]]

    def test_a_child_whose_parent_was_left_is_out_of_order(self) -> None:
        # f2's parent e1 is not on the path e2 -> ..., so the items are not depth-first.
        assert hierarchy_levels(["e1", "e2", "f2"], [None, None, "e1"]) is None

    def test_a_parent_after_its_child_is_out_of_order(self) -> None:
        assert hierarchy_levels(["s1", "f1"], ["f1", None]) is None

    def test_a_repeated_id_gives_no_levels(self) -> None:
        assert hierarchy_levels(["a", "a"], [None, None]) is None

    def test_a_cycle_gives_no_levels(self) -> None:
        assert hierarchy_levels(["a", "b"], ["b", "a"]) is None


class TestDepthFirst:
    def test_items_top_down_are_walked_depth_first_and_completely(self) -> None:
        walk = depth_first(["e1", "e2", "f1", "f2", "s1"], [None, None, "e1", "e2", "f1"])
        assert walk == DepthFirst(positions=[0, 2, 4, 1, 3], complete=True)

    def test_items_already_depth_first_stay_where_they_are(self) -> None:
        assert depth_first(["e1", "f1", "x"], [None, "e1", "gone"]) == DepthFirst([0, 1, 2], True)

    def test_a_cycle_is_reached_from_no_root(self) -> None:
        assert depth_first(["a", "b", "c"], ["b", "a", None]) == DepthFirst([2, 0, 1], False)

    def test_repeated_ids_make_the_walk_incomplete(self) -> None:
        assert depth_first(["x", "x", "y"], [None, "x", "x"]).complete is False


def test_columns_tell_a_backlog_free_of_parent_cycles_by_levels_or_by_walk() -> None:
    in_order = ItemColumns({"id": ("e", "t"), "kind": (TASK, TASK), "title": ("E", "T"),
                            "parent_id": (None, "e")})  # fmt: skip
    assert in_order.free_of_parent_cycles() is True
    top_down = ItemColumns({"id": ("e1", "e2", "t1"), "kind": (TASK,) * 3, "title": ("",) * 3,
                            "parent_id": (None, None, "e1")})  # fmt: skip
    assert top_down.hierarchy_levels() is None
    assert top_down.free_of_parent_cycles() is True
    assert top_down.depth_first() is top_down.depth_first()
    assert top_down.depth_first().positions == [0, 2, 1]
    cycle = ItemColumns({"id": ("a", "b"), "kind": (TASK, TASK), "title": ("A", "B"),
                         "parent_id": ("b", "a")})  # fmt: skip
    assert cycle.free_of_parent_cycles() is False


def test_hierarchy_levels_exist_exactly_when_the_depth_first_walk_moves_nothing() -> None:
    """On random small backlogs (repeated ids, missing parents, cycles), levels are given exactly
    when the ids are unique and the walk from the roots reaches every item in the items' own
    order, and each item's level is the number of its ancestors."""
    rng = random.Random(20261126)
    pool = ["a", "b", "c", "d", "e", "f"]
    for _ in range(3_000):
        count = rng.randint(0, 7)
        ids = [rng.choice(pool) for _ in range(count)]
        parents = [rng.choice([*pool, None, None, "gone"]) for _ in range(count)]
        walk = depth_first(ids, parents)
        in_order = len(set(ids)) == count and walk.complete and walk.positions == list(range(count))
        levels = hierarchy_levels(ids, parents)
        assert (levels is not None) == in_order, (ids, parents)
        parent_of = dict(zip(ids, parents, strict=True))
        for depth, positions in enumerate(levels or ()):
            for position in positions:
                ancestors, parent = 0, parents[position]
                while parent in parent_of:
                    ancestors, parent = ancestors + 1, parent_of[parent]
                assert ancestors == depth, (ids, parents)
