"""The waves strategy keeps lease ends and strict datacenter order where a plan can: hand-built
estates where the first, greedy plan would break one, with exact iteration assignments."""

from __future__ import annotations

import datetime as dt

from mbf.domain import Datacenter
from mbf.plugin import PlanViolation

AMS_BY_ITERATION_2 = Datacenter(id="ams", name="AMS", lease_end=dt.date(2027, 1, 31))
"""Iterations are two weeks from 2027-01-04: ``ams`` must be empty after iteration 2."""
DUB = Datacenter(id="dub", name="DUB", lease_end=dt.date(2028, 6, 30))


def test_a_dev_test_chain_moves_first_so_that_the_lease_end_is_met(
    make_estate, make_config, plan, placement
):
    # Largest first would put b and e into iteration 1, pay-dev into 2 and pay-prod into 3.
    estate = make_estate(
        [("b", "ams", 2), ("e", "ams", 1), ("pay-dev", "ams", 1), ("pay-prod", "ams", 1)],
        datacenters=[AMS_BY_ITERATION_2],
        environments={"pay-dev": "dev"},
        applications={"pay-prod": "Payroll", "pay-dev": "Payroll"},
    )
    result = plan(estate, make_config({"capacity_servers": 3}, dev_test_first=True))
    assert placement(result) == {
        "feature:b": "iteration-2",
        "feature:e": "iteration-1",
        "feature:pay-dev": "iteration-1",
        "feature:pay-prod": "iteration-2",
    }
    assert result.violations == ()


def test_the_lease_end_search_holds_a_workload_back_to_keep_room(
    make_estate, make_config, plan, placement
):
    # ams holds 8 servers for two iterations of 4: only {w0, w1} then {w2, w5} fits, as w5 needs
    # both w0 and w2 and w1 needs w0; placing w2 (the largest) first misses the lease end.
    estate = make_estate(
        [("w0", "ams", 2), ("w1", "ams", 2), ("w2", "ams", 3), ("w3", "dub", 3),
         ("w4", "dub", 2), ("w5", "ams", 1)],
        datacenters=[AMS_BY_ITERATION_2, DUB],
        dependencies=[("w1", "w0", 5), ("w4", "w2", 5), ("w5", "w0", 5), ("w5", "w2", 5)],
    )  # fmt: skip
    result = plan(estate, make_config({"capacity_servers": 4}))
    assert placement(result) == {
        "feature:w0": "iteration-1",
        "feature:w1": "iteration-1",
        "feature:w2": "iteration-2",
        "feature:w3": "iteration-3",
        "feature:w4": "iteration-4",
        "feature:w5": "iteration-2",
    }
    assert result.violations == ()
    assert dict(result.explanations)["feature:w2"] == (
        "iteration-2: lease ends: its bounds allow iteration-1 (earliest iteration: nothing holds "
        "it back), but it waits so that earlier iterations keep room for workloads due out of "
        "their datacenter sooner"
    )


def test_a_lease_end_no_plan_can_meet_keeps_the_first_plan_and_is_reported(
    make_estate, make_config, plan, placement
):
    estate = make_estate(
        [("a", "ams", 2), ("b", "ams", 2), ("c", "ams", 2)], datacenters=[AMS_BY_ITERATION_2]
    )
    result = plan(estate, make_config({"capacity_servers": 2}))
    assert placement(result) == {
        "feature:a": "iteration-1",
        "feature:b": "iteration-2",
        "feature:c": "iteration-3",
    }
    assert [(v.constraint, v.item_ids) for v in result.violations] == [
        ("lease-end", ("feature:c",))
    ]


def test_strict_order_moves_a_dependency_on_the_next_datacenter_in_the_boundary_iteration(
    make_estate, make_config, plan, placement
):
    # a (ams) depends on d (dub): d may not move before ams is done, nor a after d, so both
    # move in ams's last iteration, after c.
    estate = make_estate(
        [("a", "ams", 2), ("c", "ams", 2), ("d", "dub", 1), ("e", "dub", 1)],
        datacenters=[AMS_BY_ITERATION_2, DUB],
        dependencies=[("a", "d", 5)],
    )
    result = plan(estate, make_config({"capacity_servers": 3}, strict_datacenter_order=True))
    assert placement(result) == {
        "feature:a": "iteration-2",
        "feature:c": "iteration-1",
        "feature:d": "iteration-2",
        "feature:e": "iteration-3",
    }
    assert result.violations == ()
    assert dict(result.explanations)["feature:d"] == (
        "iteration-2: capacity: datacenter order: earlier datacenters finish in iteration-1; "
        "iteration-1 is full (2/3 servers taken) (moves with its dependencies across datacenters "
        "in strict order: feature:a, feature:d)"
    )


def test_strict_order_that_no_plan_can_keep_is_reported(make_estate, make_config, plan, placement):
    # a and d would have to share an iteration, but 2 + 2 servers do not fit 3.
    estate = make_estate(
        [("a", "ams", 2), ("d", "dub", 2)],
        datacenters=[AMS_BY_ITERATION_2, DUB],
        dependencies=[("a", "d", 5)],
    )
    result = plan(estate, make_config({"capacity_servers": 3}, strict_datacenter_order=True))
    assert placement(result) == {"feature:a": "iteration-2", "feature:d": "iteration-1"}
    assert result.violations == (
        PlanViolation(
            constraint="datacenter-order",
            message="datacenter dub must wait for the datacenters before it (ams migrates until "
            "iteration-2), but 1 workload(s) move earlier, the first in iteration-1",
            item_ids=("feature:d",),
        ),
    )
