"""The waves strategy: exact iteration assignments for hand-built estates, one constraint each."""

from __future__ import annotations

import datetime as dt

import attrs

from mbf.domain import BlackoutWindow, Datacenter, MigrationStrategy, StateCategory
from mbf.plugin import Context, PlanViolation


def test_capacity_is_filled_largest_first(make_estate, make_config, plan, placement):
    estate = make_estate([("a", "ams", 3), ("b", "ams", 2), ("c", "ams", 2), ("d", "ams", 1)])
    result = plan(estate, make_config({"capacity_servers": 4}))
    assert placement(result) == {
        "feature:a": "iteration-1",
        "feature:b": "iteration-2",
        "feature:c": "iteration-2",
        "feature:d": "iteration-1",
    }
    assert result.violations == ()


def test_every_item_of_a_workload_gets_its_iteration_and_dates(make_estate, make_config, plan):
    result = plan(make_estate([("a", "ams", 1)]), make_config({"capacity_servers": 4}))
    planned = {
        (i.id, i.iteration_id, i.start, i.finish)
        for i in result.backlog.items
        if i.kind.value != "epic"
    }
    first, last = dt.date(2027, 1, 4), dt.date(2027, 1, 17)
    assert planned == {
        ("feature:a", "iteration-1", first, last),
        ("story:a-1", "iteration-1", first, last),
        *{
            (f"task:a-1/{t}", "iteration-1", first, last)
            for t in ("assess", "migrate", "optimize", "promote", "secure", "manage")
        },
    }


def test_epics_span_their_features(make_estate, make_config, plan):
    estate = make_estate([("a", "ams", 1), ("b", "ams", 1)])
    result = plan(estate, make_config({"capacity_servers": 1}))
    epic = next(i for i in result.backlog.items if i.id == "epic:ams")
    assert (epic.start, epic.finish) == (dt.date(2027, 1, 4), dt.date(2027, 1, 31))


def test_a_dependency_target_moves_first(make_estate, make_config, plan, placement):
    estate = make_estate([("a", "ams", 1), ("b", "ams", 1)], dependencies=[("a", "b", 5)])
    result = plan(estate, make_config({"capacity_servers": 1}))
    assert placement(result) == {"feature:b": "iteration-1", "feature:a": "iteration-2"}


def test_a_dependency_target_may_share_the_iteration(make_estate, make_config, plan, placement):
    estate = make_estate([("a", "ams", 1), ("b", "ams", 1)], dependencies=[("a", "b", 5)])
    result = plan(estate, make_config({"capacity_servers": 2}))
    assert placement(result) == {"feature:a": "iteration-1", "feature:b": "iteration-1"}


def test_datacenters_are_emptied_in_lease_order(make_estate, make_config, plan, placement):
    datacenters = [
        Datacenter(id="dub", name="Dublin", lease_end=dt.date(2028, 1, 31)),
        Datacenter(id="ams", name="Amsterdam", lease_end=dt.date(2027, 6, 30)),
    ]
    estate = make_estate([("d", "dub", 1), ("a", "ams", 1)], datacenters=datacenters)
    result = plan(estate, make_config({"capacity_servers": 1}))
    assert placement(result) == {"feature:a": "iteration-1", "feature:d": "iteration-2"}


def test_a_target_in_a_later_datacenter_is_pulled_forward(
    make_estate, make_config, plan, placement
):
    datacenters = [
        Datacenter(id="ams", name="Amsterdam", lease_end=dt.date(2027, 6, 30)),
        Datacenter(id="dub", name="Dublin", lease_end=dt.date(2028, 1, 31)),
    ]
    estate = make_estate(
        [("a", "ams", 1), ("e", "dub", 1), ("d", "dub", 1)],
        datacenters=datacenters,
        dependencies=[("a", "d", 5)],
    )
    result = plan(estate, make_config({"capacity_servers": 1}))
    assert placement(result) == {
        "feature:a": "iteration-2",
        "feature:e": "iteration-3",
        "feature:d": "iteration-1",
    }
    assert dict(result.explanations)["feature:a"] == (
        "iteration-2: capacity: dependency: it depends on feature:d in iteration-1; "
        "iteration-1 is full (1/1 servers taken)"
    )


def test_strongly_coupled_workloads_move_together(make_estate, make_config, plan, placement):
    estate = make_estate(
        [("c", "ams", 3), ("a", "ams", 2), ("b", "ams", 2)],
        dependencies=[("a", "b", 30), ("b", "a", 30)],
    )
    result = plan(estate, make_config({"capacity_servers": 4}))
    assert placement(result) == {
        "feature:c": "iteration-2",
        "feature:a": "iteration-1",
        "feature:b": "iteration-1",
    }
    assert result.violations == ()
    assert dict(result.explanations)["feature:b"] == (
        "iteration-1: earliest iteration: nothing holds it back "
        "(moves with its move group a: feature:a, feature:b)"
    )


def test_a_weak_dependency_cycle_is_reported_and_moves_together(
    make_estate, make_config, plan, placement
):
    estate = make_estate(
        [("a", "ams", 1), ("b", "ams", 1), ("c", "ams", 1)],
        dependencies=[("a", "b", 1), ("b", "c", 1), ("c", "a", 1)],
    )
    result = plan(estate, make_config({"capacity_servers": 3}))
    assert set(placement(result).values()) == {"iteration-1"}
    assert result.violations == (
        PlanViolation(
            constraint="dependency-cycle",
            message="workloads feature:a, feature:b, feature:c depend on each other in a cycle; they move together",
            item_ids=("feature:a", "feature:b", "feature:c"),
        ),
    )


def test_remediation_lands_an_iteration_before_migration(make_estate, make_config, plan, placement):
    estate = make_estate([("a", "ams", 1), ("b", "ams", 1)], blockers={"a": 2})
    result = plan(estate, make_config({"capacity_servers": 2}))
    assert placement(result) == {"feature:a": "iteration-2", "feature:b": "iteration-1"}
    remediation = {i.id: i.iteration_id for i in result.backlog.items if "/remediate/" in i.id}
    assert set(remediation.values()) == {"iteration-1"}
    assert len(remediation) == 2
    assert dict(result.explanations)["feature:a"] == (
        "iteration-2: remediation: its open remediation lands 1 iteration(s) before"
    )


def test_remediation_lead_zero_keeps_remediation_in_the_same_iteration(
    make_estate, make_config, plan, placement
):
    estate = make_estate([("a", "ams", 1)], blockers={"a": 1})
    result = plan(estate, make_config({"capacity_servers": 2}, remediation_lead=0))
    assert placement(result) == {"feature:a": "iteration-1"}
    assert {i.iteration_id for i in result.backlog.items if "/remediate/" in i.id} == {
        "iteration-1"
    }


def test_dev_test_moves_before_prod_of_the_same_application(
    make_estate, make_config, plan, placement
):
    estate = make_estate(
        [("pay-prod", "ams", 1), ("pay-dev", "ams", 1)],
        environments={"pay-dev": "dev"},
        applications={"pay-prod": "Payroll", "pay-dev": "Payroll"},
    )
    result = plan(estate, make_config(dev_test_first=True))
    assert placement(result) == {
        "feature:pay-prod": "iteration-2",
        "feature:pay-dev": "iteration-1",
    }
    assert dict(result.explanations)["feature:pay-prod"] == (
        "iteration-2: dev/test first: feature:pay-dev moves in iteration-1"
    )


def test_without_dev_test_first_both_environments_share_an_iteration(
    make_estate, make_config, plan, placement
):
    estate = make_estate(
        [("pay-prod", "ams", 1), ("pay-dev", "ams", 1)],
        environments={"pay-dev": "dev"},
        applications={"pay-prod": "Payroll", "pay-dev": "Payroll"},
    )
    result = plan(estate, make_config())
    assert placement(result) == {
        "feature:pay-prod": "iteration-1",
        "feature:pay-dev": "iteration-1",
    }


def test_dev_test_first_that_dependencies_contradict_is_reported(
    make_estate, make_config, plan, placement
):
    estate = make_estate(
        [("pay-prod", "ams", 1), ("pay-dev", "ams", 1)],
        environments={"pay-dev": "dev"},
        applications={"pay-prod": "Payroll", "pay-dev": "Payroll"},
        dependencies=[("pay-dev", "pay-prod", 1)],
    )
    result = plan(estate, make_config(dev_test_first=True))
    assert placement(result) == {
        "feature:pay-prod": "iteration-1",
        "feature:pay-dev": "iteration-1",
    }
    assert [(v.constraint, v.item_ids) for v in result.violations] == [
        ("dev-test-before-prod", ("feature:pay-prod", "feature:pay-dev"))
    ]


def test_no_migration_lands_in_a_blackout_window(make_estate, make_config, plan, placement):
    freeze = BlackoutWindow(
        start=dt.date(2027, 1, 10), end=dt.date(2027, 1, 20), reason="quarter close"
    )
    estate = make_estate(
        [("a", "ams", 1)], datacenters=[Datacenter(id="ams", name="AMS", blackout=(freeze,))]
    )
    result = plan(estate, make_config())
    assert placement(result) == {"feature:a": "iteration-3"}
    assert dict(result.explanations)["feature:a"] == (
        "iteration-3: change freeze: iteration-1 overlaps the ams change freeze 2027-01-10..2027-01-20 "
        "(quarter close); iteration-2 overlaps the ams change freeze 2027-01-10..2027-01-20 (quarter close)"
    )


def test_blackout_of_one_datacenter_does_not_hold_another(
    make_estate, make_config, plan, placement
):
    freeze = BlackoutWindow(start=dt.date(2027, 1, 1), end=dt.date(2027, 1, 31))
    datacenters = [
        Datacenter(id="ams", name="AMS", blackout=(freeze,)),
        Datacenter(id="dub", name="DUB"),
    ]
    estate = make_estate([("a", "ams", 1), ("d", "dub", 1)], datacenters=datacenters)
    result = plan(estate, make_config())
    assert placement(result) == {"feature:a": "iteration-3", "feature:d": "iteration-1"}


def test_a_datacenter_emptied_after_its_lease_end_is_reported(make_estate, make_config, plan):
    estate = make_estate(
        [("a", "ams", 1), ("b", "ams", 1)],
        datacenters=[Datacenter(id="ams", name="AMS", lease_end=dt.date(2027, 1, 20))],
    )
    result = plan(estate, make_config({"capacity_servers": 1}))
    assert result.violations == (
        PlanViolation(
            constraint="lease-end",
            message="datacenter ams must be empty by 2027-01-20, but 1 workload(s) move later; "
            "the last in iteration-2 ending 2027-01-31",
            item_ids=("feature:b",),
        ),
    )


def test_a_workload_larger_than_an_iteration_goes_alone_and_is_reported(
    make_estate, make_config, plan, placement
):
    estate = make_estate([("a", "ams", 5), ("b", "ams", 1)])
    result = plan(estate, make_config({"capacity_servers": 2}))
    assert placement(result) == {"feature:a": "iteration-1", "feature:b": "iteration-2"}
    assert result.violations == (
        PlanViolation(
            constraint="oversized",
            message="feature:a is larger than an iteration (5/2 servers); it goes alone into iteration-1",
            item_ids=("feature:a",),
        ),
    )


def test_overflow_within_the_horizon_is_a_capacity_violation(
    make_estate, make_config, plan, placement
):
    estate = make_estate([("a", "ams", 1), ("b", "ams", 1)])
    result = plan(estate, make_config({"capacity_servers": 1, "max_iterations": 1}))
    assert placement(result) == {"feature:a": "iteration-1", "feature:b": "iteration-1"}
    assert result.violations == (
        PlanViolation(
            constraint="capacity",
            message="feature:b: no iteration up to iteration-1 has room; iteration-1 is over capacity",
            item_ids=("feature:b",),
        ),
    )


def test_a_workload_forced_past_the_horizon_is_reported(make_estate, make_config, plan, placement):
    estate = make_estate([("a", "ams", 1)], blockers={"a": 1})
    result = plan(estate, make_config({"capacity_servers": 1, "max_iterations": 1}))
    assert placement(result) == {"feature:a": "iteration-2"}
    assert [i.id for i in result.backlog.iterations] == ["iteration-1", "iteration-2"]
    assert [(v.constraint, v.item_ids) for v in result.violations] == [("horizon", ("feature:a",))]


def test_the_horizon_creates_every_iteration_up_to_it(make_estate, make_config, plan):
    result = plan(make_estate([("a", "ams", 1)]), make_config({"max_iterations": 4}))
    assert [i.id for i in result.backlog.iterations] == [
        "iteration-1",
        "iteration-2",
        "iteration-3",
        "iteration-4",
    ]


def test_strict_datacenter_order_starts_the_next_datacenter_at_the_last_iteration(
    make_estate, make_config, plan, placement
):
    datacenters = [
        Datacenter(id="ams", name="AMS", lease_end=dt.date(2027, 6, 30)),
        Datacenter(id="dub", name="DUB", lease_end=dt.date(2028, 6, 30)),
    ]
    estate = make_estate(
        [("a", "ams", 2), ("c", "ams", 2), ("d", "dub", 1)], datacenters=datacenters
    )
    loose = plan(estate, make_config({"capacity_servers": 3}))
    strict = plan(estate, make_config({"capacity_servers": 3}, strict_datacenter_order=True))
    assert placement(loose)["feature:d"] == "iteration-1"
    assert placement(strict)["feature:d"] == "iteration-2"


def test_hours_capacity_from_team_size_times_hours(make_estate, make_config, plan, placement):
    # Each one-server workload has 12 h of tasks by default; 2 people x 12 h fit two per iteration.
    estate = make_estate([("a", "ams", 1), ("b", "ams", 1), ("c", "ams", 1)])
    result = plan(estate, make_config({"team_size": 2, "hours_per_person": 12}))
    assert placement(result) == {
        "feature:a": "iteration-1",
        "feature:b": "iteration-1",
        "feature:c": "iteration-2",
    }
    assert {it.capacity for it in result.backlog.iterations} == {24.0}


def test_retained_workloads_are_not_planned(make_estate, make_config, plan, placement):
    estate = make_estate([("a", "ams", 1)], strategies={"a": MigrationStrategy.RETAIN})
    result = plan(estate, make_config())
    assert placement(result) == {"feature:a": None}
    assert result.backlog.iterations == ()


def test_work_already_started_keeps_its_iteration(
    make_estate, make_config, generate, plugin_manager
):
    config = make_config({"capacity_servers": 1})
    backlog = generate(make_estate([("a", "ams", 1), ("b", "ams", 1)]), config)
    started = tuple(
        attrs.evolve(
            i, state="Active", state_category=StateCategory.IN_PROGRESS, iteration_id="iteration-3"
        )
        if i.id == "feature:b"
        else i
        for i in backlog.items
    )
    result = plugin_manager.planning_strategies.get("waves").plan(
        attrs.evolve(backlog, items=started), Context(config=config)
    )
    features = {i.id: i.iteration_id for i in result.backlog.items if i.kind.value == "feature"}
    assert features == {"feature:a": "iteration-1", "feature:b": "iteration-3"}
    assert (
        dict(result.explanations)["feature:b"]
        == "iteration-3: work on it has started in iteration-3; it stays there"
    )


def test_releases_follow_iterations(make_estate, make_config, plan):
    estate = make_estate(
        [("a", "ams", 1), ("b", "ams", 1), ("r", "ams", 1)],
        strategies={"r": MigrationStrategy.RETIRE},
    )
    result = plan(estate, make_config({"capacity_servers": 1}))
    assert [(r.id, r.name, r.date, r.workload_ids) for r in result.backlog.releases] == [
        ("release-1", "Release 1", dt.date(2027, 1, 17), ("a",)),
        ("release-2", "Release 2", dt.date(2027, 1, 31), ("b",)),
    ]
    releases = {
        i.id: i.release_id for i in result.backlog.items if i.id.startswith(("feature:", "story:"))
    }
    assert releases == {
        "feature:a": "release-1",
        "story:a-1": "release-1",
        "feature:b": "release-2",
        "story:b-1": "release-2",
        "feature:r": None,
        "story:r-1": None,
    }


def test_a_release_can_span_several_iterations(make_estate, make_config, plan):
    estate = make_estate([("a", "ams", 1), ("b", "ams", 1), ("c", "ams", 1)])
    result = plan(
        estate, make_config({"capacity_servers": 1}, release_every=2, release_name_pattern="R{n}")
    )
    assert [(r.id, r.name, r.date, r.workload_ids) for r in result.backlog.releases] == [
        ("release-1", "R1", dt.date(2027, 1, 31), ("a", "b")),
        ("release-2", "R2", dt.date(2027, 2, 14), ("c",)),
    ]


def test_releases_per_datacenter(make_estate, make_config, plan):
    datacenters = [
        Datacenter(id="ams", name="AMS", lease_end=dt.date(2027, 6, 30)),
        Datacenter(id="dub", name="DUB", lease_end=dt.date(2028, 6, 30)),
    ]
    estate = make_estate(
        [("d", "dub", 1), ("a", "ams", 1), ("b", "ams", 1)], datacenters=datacenters
    )
    result = plan(estate, make_config({"capacity_servers": 1}, releases="datacenter"))
    assert [(r.id, r.date, r.workload_ids) for r in result.backlog.releases] == [
        ("release-1", dt.date(2027, 1, 31), ("a", "b")),
        ("release-2", dt.date(2027, 2, 14), ("d",)),
    ]


def test_no_releases_when_configured(make_estate, make_config, plan):
    result = plan(make_estate([("a", "ams", 1)]), make_config(releases="none"))
    assert result.backlog.releases == ()
    assert {i.release_id for i in result.backlog.items} == {None}


def test_config_datacenters_override_the_backlog_at_planning_time(
    make_estate, make_config, generate, plugin_manager
):
    estate = make_estate([("a", "ams", 1), ("d", "dub", 1)])
    backlog = generate(estate)
    config = attrs.evolve(
        make_config({"capacity_servers": 1}),
        datacenters=(Datacenter(id="dub", name="DUB", lease_end=dt.date(2027, 3, 1)),),
    )
    result = plugin_manager.planning_strategies.get("waves").plan(backlog, Context(config=config))
    features = {i.id: i.iteration_id for i in result.backlog.items if i.kind.value == "feature"}
    assert features == {"feature:a": "iteration-2", "feature:d": "iteration-1"}


def test_the_summary_of_a_plan_reuses_its_model_and_says_what_a_fresh_read_says(
    make_estate, make_config, plan
):
    from mbf.domain import Backlog
    from mbf.engine import planning

    estate = make_estate([("a", "ams", 3), ("b", "ams", 2), ("c", "ams", 2), ("d", "ams", 1)])
    config = make_config({"capacity_servers": 4})
    result = plan(estate, config)
    remembered = planning._planned_models[id(result.backlog)]
    assert remembered[0]() is result.backlog
    copy = Backlog(items=result.backlog.items, iterations=result.backlog.iterations)
    fresh = planning.plan_summary(copy, config)  # another object: the model is read again
    assert planning.plan_summary(result.backlog, config) == fresh
    assert [(load.servers, load.workloads) for load in fresh.loads] == [(4, 2), (4, 2)]
