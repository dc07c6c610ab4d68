"""Validation names every broken rule of an estate or backlog with the ids involved."""

import pytest

from mbf.domain import (
    Backlog,
    Datacenter,
    Dependency,
    Estate,
    Link,
    Server,
    WorkItem,
    WorkItemKind,
    Workload,
    validate_backlog,
    validate_estate,
)
from mbf.domain.columns import BacklogColumns
from mbf.errors import ValidationError


def item(id_: str, parent: str | None = None, **kw) -> WorkItem:
    return WorkItem(id=id_, kind=WorkItemKind.TASK, title=id_, parent_id=parent, **kw)


def problems_of(backlog: Backlog) -> tuple[str, ...]:
    """The problems validation finds in ``backlog``, the same whether its items are given as
    items or as columns."""
    with pytest.raises(ValidationError) as caught:
        validate_backlog(backlog)
    with pytest.raises(ValidationError) as caught_in_columns:
        validate_backlog(BacklogColumns.of(backlog))
    assert caught_in_columns.value.problems == caught.value.problems
    return caught.value.problems


def test_sample_backlog_and_estate_are_valid(sample_backlog, sample_estate) -> None:
    assert validate_backlog(sample_backlog) is sample_backlog
    assert validate_estate(sample_estate) is sample_estate


def test_duplicate_item_id_is_named() -> None:
    assert problems_of(Backlog(items=[item("a"), item("a")])) == ("duplicate item id 'a'",)


def test_missing_parent_is_named() -> None:
    assert problems_of(Backlog(items=[item("a", "ghost")])) == (
        "item 'a' has parent 'ghost', which does not exist",
    )


def test_parent_cycle_lists_its_members_once() -> None:
    backlog = Backlog(items=[item("a", "c"), item("b", "a"), item("c", "b"), item("d", "a")])
    assert problems_of(backlog) == ("parent cycle: a -> c -> b -> a",)


def test_item_that_is_its_own_parent_is_a_cycle() -> None:
    assert problems_of(Backlog(items=[item("a", "a")])) == ("parent cycle: a -> a",)


def test_link_to_missing_item_is_named() -> None:
    backlog = Backlog(items=[item("a", links=[Link(target_id="nowhere")])])
    assert problems_of(backlog) == ("item 'a' links to 'nowhere', which does not exist",)


def test_unknown_iteration_and_release_are_named() -> None:
    backlog = Backlog(items=[item("a", iteration_id="sprint-9", release_id="r9")])
    assert problems_of(backlog) == (
        "item 'a' is planned in iteration 'sprint-9', which does not exist",
        "item 'a' is in release 'r9', which does not exist",
    )


def test_several_problems_are_all_reported_in_one_message() -> None:
    with pytest.raises(ValidationError) as caught:
        validate_backlog(Backlog(items=[item("a"), item("a"), item("b", "x")]), origin="b.json")
    assert str(caught.value) == (
        "b.json: 2 problems:\n"
        "  duplicate item id 'a'\n"
        "  item 'b' has parent 'x', which does not exist"
    )


def test_datacenter_referenced_but_not_defined_is_named() -> None:
    estate = Estate(servers=[Server(id="srv01", name="SRV01", datacenter_id="ams9")])
    with pytest.raises(
        ValidationError, match="server 'srv01' is in datacenter 'ams9', which is not defined"
    ):
        validate_estate(estate)


def test_estate_duplicates_and_dangling_references_are_named() -> None:
    estate = Estate(
        datacenters=[Datacenter(id="ams1", name="A"), Datacenter(id="ams1", name="B")],
        servers=[Server(id="srv01", name="srv01", workload_ids=("crm",))],
        workloads=[Workload(id="pay", name="Payroll", server_ids=("srv02",))],
        dependencies=[
            Dependency(source_id="srv01", target_id="srv03"),
            Dependency(source_id="srv01", target_id="ip:10.0.0.1"),
        ],
    )
    with pytest.raises(ValidationError) as caught:
        validate_estate(estate)
    assert caught.value.problems == (
        "duplicate datacenter id 'ams1'",
        "server 'srv01' belongs to workload 'crm', which is not defined",
        "workload 'pay' lists server 'srv02', which is not defined",
        "dependency 'srv01' -> 'srv03' names server 'srv03', which is not defined",
    )


def test_domain_objects_are_frozen_and_keyword_only() -> None:
    task = item("a")
    with pytest.raises(AttributeError):
        task.title = "b"  # type: ignore[misc]
    with pytest.raises(TypeError):
        WorkItem("a", WorkItemKind.TASK, "t")  # type: ignore[misc]


def test_estate_duplicate_servers_and_workloads_are_named_once_each() -> None:
    estate = Estate(
        servers=[Server(id=sid, name=sid) for sid in ("srv01", "srv02", "srv01", "srv01")],
        workloads=[Workload(id=wid, name=wid) for wid in ("crm", "pay", "pay")],
        dependencies=[
            Dependency(source_id="srv01", target_id="external:saas"),
            Dependency(source_id="ip:10.0.0.9", target_id="srv02"),
        ],
    )
    with pytest.raises(ValidationError) as caught:
        validate_estate(estate)
    assert caught.value.problems == ("duplicate server id 'srv01'", "duplicate workload id 'pay'")
