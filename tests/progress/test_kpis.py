"""Migration KPIs: exact figures for hand-built backlogs, one rule each, and for a generated plan."""

from __future__ import annotations

import datetime as dt

import attrs

from mbf.config import MbfConfig
from mbf.domain import Backlog, Datacenter
from mbf.engine.kpis import (
    AssetCounts,
    BurndownPoint,
    FinishBasis,
    IterationTiming,
    ScopeKpis,
    compute_status,
)

D = dt.date


def overall(backlog: Backlog, today: dt.date) -> ScopeKpis:
    return compute_status(backlog, today).overall


def test_each_asset_is_in_exactly_one_state(make_backlog):
    backlog = make_backlog(
        {"ams": None},
        [
            {"server": "a", "dc": "ams", "migrate": "done"},
            {"server": "b", "dc": "ams", "migrate": "in_progress"},
            {"server": "c", "dc": "ams", "assess": "done"},
            {"server": "d", "dc": "ams", "remediation": [("Unsupported OS", "todo")]},
            {"server": "e", "dc": "ams"},
        ],
    )
    assert overall(backlog, D(2027, 1, 5)).assets == AssetCounts(
        total=5, migrated=1, in_progress=2, blocked=1, not_started=1
    )


def test_a_migrated_asset_is_not_blocked_by_a_remediation_left_open(make_backlog):
    backlog = make_backlog(
        {"ams": None},
        [{"server": "a", "dc": "ams", "migrate": "done", "remediation": [("x", "todo")]}],
    )
    kpis = overall(backlog, D(2027, 1, 5))
    assert (kpis.assets.migrated, kpis.assets.blocked, kpis.blockers.open) == (1, 0, 0)


def test_a_not_ready_asset_without_remediation_is_a_blocker(make_backlog):
    backlog = make_backlog({"ams": None}, [{"server": "a", "dc": "ams", "readiness": "not_ready"}])
    blockers = overall(backlog, D(2027, 1, 5)).blockers
    assert (blockers.open, blockers.not_ready_assets, blockers.by_type) == (
        1,
        1,
        (("Not ready (no blocker recorded)", 1),),
    )


def test_a_not_ready_asset_whose_remediation_is_done_is_no_longer_blocked(make_backlog):
    backlog = make_backlog(
        {"ams": None},
        [{"server": "a", "dc": "ams", "readiness": "not_ready", "remediation": [("x", "done")]}],
    )
    kpis = overall(backlog, D(2027, 1, 5))
    assert (kpis.assets.blocked, kpis.assets.in_progress, kpis.blockers.open) == (0, 1, 0)


def test_a_migration_mbf_track_flagged_is_blocked_until_done(make_backlog):
    backlog = make_backlog(
        {"ams": None},
        [
            {"server": "a", "dc": "ams", "migrate": "in_progress"},
            {"server": "b", "dc": "ams", "migrate": "done"},
        ],
    )
    backlog = attrs.evolve(
        backlog,
        items=tuple(
            attrs.evolve(item, tags=(*item.tags, "migration-issue"))
            if item.id.endswith("/migrate")
            else item
            for item in backlog.items
        ),
    )
    kpis = overall(backlog, D(2027, 1, 5))
    assert (kpis.assets.blocked, kpis.assets.migrated, kpis.blockers.open) == (1, 1, 1)
    assert kpis.blockers.by_type == (("Migration issue (replication needs attention)", 1),)


def test_a_retired_server_counts_as_migrated_once_decommissioned(make_backlog):
    backlog = make_backlog(
        {"ams": None},
        [
            {"server": "old", "dc": "ams", "retired": True, "migrate": "done"},
            {"server": "older", "dc": "ams", "retired": True},
        ],
    )
    assert overall(backlog, D(2027, 1, 5)).assets.migrated == 1


def test_blockers_by_type_count_open_remediation_most_frequent_first(make_backlog):
    backlog = make_backlog(
        {"ams": None},
        [
            {"server": "a", "dc": "ams", "remediation": [("Unsupported OS", "todo")]},
            {"server": "b", "dc": "ams", "remediation": [("Unsupported  OS", "todo"),
                                                          ("Boot type", "todo")]},
            {"server": "c", "dc": "ams", "remediation": [("Agent missing", "done")]},
        ],
    )  # fmt: skip
    assert overall(backlog, D(2027, 1, 5)).blockers.by_type == (
        ("Unsupported OS", 2),
        ("Boot type", 1),
    )


def test_iterations_are_finished_current_or_future(make_backlog):
    backlog = make_backlog({"ams": None}, [{"server": "a", "dc": "ams"}], iterations=3)
    status = compute_status(backlog, D(2027, 1, 18))
    assert [entry.timing for entry in status.iterations] == [
        IterationTiming.FINISHED,
        IterationTiming.CURRENT,
        IterationTiming.FUTURE,
    ]


def test_burndown_gives_planned_and_actual_remaining_per_iteration(make_backlog):
    backlog = make_backlog(
        {"ams": None},
        [
            {"server": "a", "dc": "ams", "iteration": 1, "migrate": "done"},
            {"server": "b", "dc": "ams", "iteration": 1},
            {"server": "c", "dc": "ams", "iteration": 2, "migrate": "done"},
            {"server": "d", "dc": "ams", "iteration": 3},
        ],
        iterations=3,
    )
    assert overall(backlog, D(2027, 1, 20)).burndown == (
        BurndownPoint(iteration_id="iteration-1", planned_migrated=2, planned_remaining=2,
                      actual_migrated=1, actual_remaining=3),
        BurndownPoint(iteration_id="iteration-2", planned_migrated=1, planned_remaining=1,
                      actual_migrated=1, actual_remaining=2),
        BurndownPoint(iteration_id="iteration-3", planned_migrated=1, planned_remaining=0,
                      actual_migrated=None, actual_remaining=None),
    )  # fmt: skip


def test_an_asset_migrated_ahead_of_plan_counts_in_the_current_iteration(make_backlog):
    backlog = make_backlog(
        {"ams": None},
        [{"server": "a", "dc": "ams", "iteration": 3, "migrate": "done"}],
        iterations=3,
    )
    burndown = overall(backlog, D(2027, 1, 20)).burndown
    assert [p.actual_migrated for p in burndown] == [0, 1, None]


def test_velocity_counts_finished_iterations_from_the_first_planned_one(make_backlog):
    backlog = make_backlog(
        {"ams": None},
        [
            {"server": "a", "dc": "ams", "iteration": 2, "migrate": "done"},
            {"server": "b", "dc": "ams", "iteration": 3, "migrate": "done"},
            {"server": "c", "dc": "ams", "iteration": 3, "migrate": "done"},
            {"server": "d", "dc": "ams", "iteration": 4},
        ],
        iterations=5,
    )
    velocity = overall(backlog, D(2027, 2, 20)).velocity  # iterations 1-3 finished
    assert (velocity.finished_iterations, velocity.migrated, velocity.per_iteration) == (2, 3, 1.5)


def test_projected_finish_follows_velocity_and_margin_is_days_to_the_lease_end(make_backlog):
    spec = [{"server": f"s{n}", "dc": "ams", "iteration": 1 + n // 2,
             "migrate": "done" if n < 2 else "todo"} for n in range(6)]  # fmt: skip
    backlog = make_backlog({"ams": D(2027, 3, 31)}, spec, iterations=3)
    finish = compute_status(backlog, D(2027, 1, 18)).datacenters[0].kpis.finish
    # 2 per iteration, 4 left: iterations 2 and 3, which ends 2027-02-14
    assert (finish.basis, finish.projected, finish.margin_days) == (
        FinishBasis.VELOCITY,
        D(2027, 2, 14),
        45,
    )


def test_a_projection_past_the_plan_continues_at_the_last_iteration_length(make_backlog):
    spec = [{"server": f"s{n}", "dc": "ams", "iteration": 1,
             "migrate": "done" if n == 0 else "todo"} for n in range(4)]  # fmt: skip
    backlog = make_backlog({"ams": D(2027, 2, 1)}, spec, iterations=2)
    finish = compute_status(backlog, D(2027, 1, 18)).datacenters[0].kpis.finish
    # 1 per iteration, 3 left: iteration 2 (ends 01-31) and two more of 14 days
    assert (finish.projected, finish.margin_days) == (D(2027, 2, 28), -27)


def test_before_any_iteration_finishes_the_projection_is_the_plan(make_backlog):
    backlog = make_backlog(
        {"ams": D(2027, 1, 31)},
        [
            {"server": "a", "dc": "ams", "iteration": 1},
            {"server": "b", "dc": "ams", "iteration": 3},
        ],
        iterations=3,
    )
    finish = compute_status(backlog, D(2027, 1, 5)).datacenters[0].kpis.finish
    assert (finish.basis, finish.planned, finish.projected, finish.margin_days) == (
        FinishBasis.PLAN,
        D(2027, 2, 14),
        D(2027, 2, 14),
        -14,
    )


def test_an_unplanned_asset_leaves_a_plan_based_projection_open(make_backlog):
    backlog = make_backlog(
        {"ams": None},
        [
            {"server": "a", "dc": "ams", "iteration": 1},
            {"server": "b", "dc": "ams", "iteration": None},
        ],
    )
    finish = overall(backlog, D(2027, 1, 5)).finish
    assert (finish.planned, finish.projected, finish.unplanned_assets) == (D(2027, 1, 17), None, 1)


def test_nothing_migrated_in_finished_iterations_is_stalled(make_backlog):
    backlog = make_backlog({"ams": None}, [{"server": "a", "dc": "ams", "iteration": 1}])
    finish = overall(backlog, D(2027, 2, 1)).finish
    assert (finish.basis, finish.projected) == (FinishBasis.STALLED, None)


def test_a_fully_migrated_datacenter_finished_in_its_last_iteration(make_backlog):
    backlog = make_backlog(
        {"ams": D(2027, 3, 1)},
        [{"server": "a", "dc": "ams", "iteration": 1, "migrate": "done"}],
    )
    finish = compute_status(backlog, D(2027, 2, 1)).datacenters[0].kpis.finish
    assert (finish.basis, finish.projected, finish.margin_days) == (
        FinishBasis.COMPLETE,
        D(2027, 1, 17),
        43,
    )


def test_a_datacenter_with_no_assets_is_empty(make_backlog):
    backlog = make_backlog({"ams": None, "dub": None}, [{"server": "a", "dc": "ams"}])
    dub = compute_status(backlog, D(2027, 1, 5)).datacenters[1]
    assert (dub.id, dub.kpis.assets.total, dub.kpis.finish.basis, dub.kpis.assets.percent_done) == (
        "dub",
        0,
        FinishBasis.EMPTY,
        None,
    )


def test_datacenters_come_in_lease_order_with_mbf_toml_overriding_the_lease(make_backlog):
    backlog = make_backlog(
        {"ams": D(2027, 6, 30), "dub": D(2027, 12, 31)},
        [{"server": "a", "dc": "ams"}, {"server": "b", "dc": "dub"}],
    )
    config = MbfConfig(datacenters=(Datacenter(id="dub", name="Dublin", lease_end=D(2027, 3, 31)),))
    status = compute_status(backlog, D(2027, 1, 5), config)
    assert [(dc.id, dc.rank, dc.kpis.finish.lease_end) for dc in status.datacenters] == [
        ("dub", 1, D(2027, 3, 31)),
        ("ams", 2, D(2027, 6, 30)),
    ]


# -- a generated and planned estate, with progress as replication would report it -------------

TODAY = D(2027, 2, 20)  # iterations 1-3 finished, iteration 4 current (see ``in_flight``)


def test_generated_plan_assets_by_state_per_datacenter(in_flight):
    status = compute_status(in_flight, TODAY)
    assert [(dc.id, dc.kpis.assets) for dc in status.datacenters] == [
        ("ams1", AssetCounts(total=14, migrated=6, in_progress=1, blocked=1, not_started=6)),
        ("dub2", AssetCounts(total=12, migrated=7, in_progress=0, blocked=1, not_started=4)),
        ("fra3", AssetCounts(total=14, migrated=2, in_progress=1, blocked=1, not_started=10)),
    ]
    assert status.overall.assets == AssetCounts(
        total=40, migrated=15, in_progress=2, blocked=3, not_started=20
    )
    assert status.overall.assets.percent_done == 37.5


def test_generated_plan_open_blockers_by_type(in_flight):
    blockers = compute_status(in_flight, TODAY).overall.blockers
    assert (blockers.open, blockers.by_type) == (
        4,
        (
            ("Unsupported operating system", 2),
            ("Disk count exceeds 64", 1),
            ("Unsupported boot type: UEFI secure boot", 1),
        ),
    )


def test_generated_plan_velocity_projection_and_margin_per_datacenter(in_flight):
    status = compute_status(in_flight, TODAY)
    rows = [
        (dc.id, dc.kpis.velocity.per_iteration, dc.kpis.finish.planned,
         dc.kpis.finish.projected, dc.kpis.finish.margin_days)
        for dc in status.datacenters
    ]  # fmt: skip
    assert rows == [
        ("ams1", 5.0, D(2027, 2, 28), D(2027, 3, 14), 47),
        ("dub2", 2.33, D(2027, 3, 14), D(2027, 3, 28), 186),
        ("fra3", 0.67, D(2027, 3, 28), D(2027, 10, 24), 159),
    ]
    assert (status.overall.velocity.per_iteration, status.overall.finish.projected) == (
        4.67,
        D(2027, 5, 9),
    )


def test_generated_plan_burndown_of_a_datacenter(in_flight):
    ams1 = compute_status(in_flight, TODAY).datacenters[0].kpis
    assert [(p.planned_remaining, p.actual_remaining) for p in ams1.burndown] == [
        (14, 14),
        (14, 14),
        (6, 9),
        (0, 8),
        (0, None),
        (0, None),
    ]


def test_a_backlog_not_yet_planned_has_no_burndown_and_no_projection(make_backlog):
    backlog = make_backlog(
        {"ams": None}, [{"server": "a", "dc": "ams", "iteration": None}], iterations=0
    )
    kpis = overall(backlog, D(2027, 1, 5))
    assert (
        kpis.burndown,
        kpis.finish.basis,
        kpis.finish.projected,
        kpis.finish.unplanned_assets,
    ) == (
        (),
        FinishBasis.PLAN,
        None,
        1,
    )
