"""Builders for planning tests: small hand-made estates, generated and planned in code."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from mbf.config import IterationsConfig, MbfConfig, PlanningConfig, ProjectConfig
from mbf.domain import Backlog, Datacenter, Dependency, Estate, MigrationStrategy, Server, Workload
from mbf.engine.generation import generate_backlog
from mbf.plugin import Context, PlanResult
from mbf.plugin.manager import MbfPluginManager

START = dt.date(2027, 1, 4)


def _make_estate(
    workloads: Sequence[tuple[str, str, int]],
    *,
    datacenters: Sequence[Datacenter] = (),
    dependencies: Sequence[tuple[str, str, float]] = (),
    environments: dict[str, str] | None = None,
    applications: dict[str, str] | None = None,
    blockers: dict[str, int] | None = None,
    strategies: dict[str, MigrationStrategy] | None = None,
) -> Estate:
    """Workloads as ``(id, datacenter, server count)``; servers are ``<workload>-<n>``;
    dependencies ``(source workload, target workload, weight)`` run between their first servers."""
    environments = environments or {}
    servers = []
    loads = []
    for wid, dc, count in workloads:
        ids = tuple(f"{wid}-{n}" for n in range(1, count + 1))
        for n, sid in enumerate(ids):
            servers.append(
                Server(
                    id=sid,
                    name=sid,
                    datacenter_id=dc,
                    os="Windows Server 2019",
                    workload_ids=(wid,),
                    blockers=tuple(
                        f"blocker {k}" for k in range((blockers or {}).get(wid, 0) if n == 0 else 0)
                    ),
                )
            )
        extra = {"application": applications[wid]} if applications and wid in applications else {}
        loads.append(
            Workload(
                id=wid,
                name=wid.upper(),
                server_ids=ids,
                environment=environments.get(wid, "prod"),
                strategy=(strategies or {}).get(wid, MigrationStrategy.REHOST),
                extra=extra,
            )
        )
    dcs = list(datacenters) or [
        Datacenter(id=dc, name=dc.upper()) for dc in dict.fromkeys(dc for _, dc, _ in workloads)
    ]
    deps = [
        Dependency(source_id=f"{a}-1", target_id=f"{b}-1", weight=w) for a, b, w in dependencies
    ]
    return Estate(
        datacenters=tuple(dcs),
        servers=tuple(servers),
        workloads=tuple(loads),
        dependencies=tuple(deps),
    )


def _make_config(iterations: dict[str, Any] | None = None, **planning: Any) -> MbfConfig:
    """A config starting on :data:`START`, two-week iterations unless ``iterations`` says otherwise."""
    settings = {"length_weeks": 2, **(iterations or {})}
    return MbfConfig(
        project=ProjectConfig(name="Test", start=START),
        iterations=IterationsConfig(**settings),
        planning=PlanningConfig(**planning),
    )


@pytest.fixture
def generate(plugin_manager: MbfPluginManager) -> Callable[..., Backlog]:
    """``generate(estate, config)``: the backlog the built-in rules make."""

    def run(estate: Estate, config: MbfConfig | None = None) -> Backlog:
        return generate_backlog(
            estate, plugin_manager.generation_rules, Context(config=config or MbfConfig())
        )

    return run


@pytest.fixture
def plan(
    plugin_manager: MbfPluginManager, generate: Callable[..., Backlog]
) -> Callable[..., PlanResult]:
    """``plan(estate, config)``: generate then plan with the ``waves`` strategy."""

    def run(estate: Estate, config: MbfConfig) -> PlanResult:
        strategy = plugin_manager.planning_strategies.get("waves")
        return strategy.plan(generate(estate, config), Context(config=config))

    return run


def _placement(result: PlanResult) -> dict[str, str | None]:
    """Feature id -> iteration id of a plan."""
    return {
        item.id: item.iteration_id for item in result.backlog.items if item.kind.value == "feature"
    }


@pytest.fixture(name="make_estate")
def make_estate_fixture() -> Callable[..., Estate]:
    """See :func:`_make_estate`."""
    return _make_estate


@pytest.fixture(name="make_config")
def make_config_fixture() -> Callable[..., MbfConfig]:
    """See :func:`_make_config`."""
    return _make_config


@pytest.fixture(name="placement")
def placement_fixture() -> Callable[[PlanResult], dict[str, str | None]]:
    """See :func:`_placement`."""
    return _placement
