"""Builders for progress tests: hand-made planned backlogs with task states set as progress would,
and a realistic estate generated and planned in code."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from html.parser import HTMLParser
from typing import Any

import attrs
import pytest

from mbf.config import IterationsConfig, MbfConfig, ProjectConfig
from mbf.domain import (
    Backlog,
    Datacenter,
    Dependency,
    Estate,
    Iteration,
    Link,
    Readiness,
    Server,
    StateCategory,
    WorkItem,
    WorkItemKind,
    Workload,
)
from mbf.engine.generation import generate_backlog
from mbf.plugin import Context
from mbf.plugin.manager import MbfPluginManager

START = dt.date(2027, 1, 4)
"""First day of iteration 1 in every builder (a Monday)."""


def make_iterations(count: int, length_days: int = 14) -> tuple[Iteration, ...]:
    """``count`` back-to-back iterations of ``length_days`` from :data:`START`."""
    return tuple(
        Iteration(
            id=f"iteration-{n}",
            name=f"Sprint {n}",
            start=START + dt.timedelta(days=(n - 1) * length_days),
            finish=START + dt.timedelta(days=n * length_days - 1),
            capacity=10.0,
        )
        for n in range(1, count + 1)
    )


def make_backlog(
    datacenters: Mapping[str, dt.date | None],
    assets: Sequence[Mapping[str, Any]],
    *,
    iterations: int = 4,
) -> Backlog:
    """A planned backlog: one epic per datacenter (``{id: lease end}``), and per asset spec
    ``{"server", "dc", "iteration": n|None, "migrate": state, "assess": state,
    "readiness": ..., "remediation": [(blocker, state)], "workload": id, "retired": bool,
    "depends_on": [server]}`` a feature (shared by servers naming the same workload), a story and
    its tasks. States are ``todo``, ``in_progress`` or ``done``."""
    sprints = make_iterations(iterations)
    items: list[WorkItem] = []
    features: dict[str, list[WorkItem]] = {}
    for dc_id, lease_end in datacenters.items():
        items.append(
            WorkItem(
                id=f"epic:{dc_id}",
                kind=WorkItemKind.EPIC,
                title=f"Migrate datacenter {dc_id.upper()}",
                source=(dc_id,),
                extra={"lease_end": lease_end.isoformat()} if lease_end else {},
            )
        )
        features[dc_id] = []
    for spec in assets:
        server = spec["server"]
        workload = spec.get("workload", server)
        number = spec.get("iteration", 1)
        iteration_id = f"iteration-{number}" if number is not None else None
        feature_id = f"feature:{workload}"
        if all(f.id != feature_id for f in items):
            items.append(
                WorkItem(
                    id=feature_id,
                    kind=WorkItemKind.FEATURE,
                    title=f"Migrate workload {workload}",
                    parent_id=f"epic:{spec['dc']}",
                    iteration_id=iteration_id,
                    source=(workload,),
                    extra={"strategy": "retire" if spec.get("retired") else "rehost"},
                )
            )
        story_id = f"story:{server}"
        items.append(
            WorkItem(
                id=story_id,
                kind=WorkItemKind.STORY,
                title=f"Migrate {server}",
                parent_id=feature_id,
                iteration_id=iteration_id,
                source=(server,),
                links=tuple(Link(target_id=f"story:{t}") for t in spec.get("depends_on", ())),
                extra={"readiness": spec.get("readiness", "ready")},
            )
        )
        for n, (blocker, state) in enumerate(spec.get("remediation", ())):
            items.append(_task(f"task:{server}/remediate/{n:08x}", story_id, None, state,
                               description=blocker, tags=("remediation",)))  # fmt: skip
        if spec.get("retired"):
            items.append(_task(f"task:{server}/decommission", story_id, iteration_id,
                               spec.get("migrate", "todo")))  # fmt: skip
            continue
        items.append(_task(f"task:{server}/assess", story_id, iteration_id,
                           spec.get("assess", "todo")))  # fmt: skip
        items.append(_task(f"task:{server}/migrate", story_id, iteration_id,
                           spec.get("migrate", "todo")))  # fmt: skip
    return Backlog(items=tuple(items), iterations=sprints)


def _task(
    task_id: str,
    story_id: str,
    iteration_id: str | None,
    state: str,
    *,
    description: str = "",
    tags: tuple[str, ...] = (),
) -> WorkItem:
    return WorkItem(
        id=task_id,
        kind=WorkItemKind.TASK,
        title=task_id,
        description=description,
        parent_id=story_id,
        iteration_id=iteration_id,
        state={"todo": "New", "in_progress": "Active", "done": "Done"}[state],
        state_category=StateCategory(state),
        tags=tags,
    )


def realistic_estate() -> Estate:
    """Three datacenters with different lease ends and a blackout, 12 workloads, 40 servers,
    dependencies between workloads and assessment blockers on some servers."""
    datacenters = (
        Datacenter(id="ams1", name="Amsterdam 1", lease_end=dt.date(2027, 4, 30), priority=1),
        Datacenter(id="dub2", name="Dublin 2", lease_end=dt.date(2027, 9, 30), priority=2),
        Datacenter(id="fra3", name="Frankfurt 3", lease_end=dt.date(2028, 3, 31), priority=3),
    )
    layout = [  # workload, datacenter, servers
        ("erp", "ams1", 5), ("crm", "ams1", 4), ("hr", "ams1", 3), ("web", "ams1", 2),
        ("pay", "dub2", 4), ("bi", "dub2", 3), ("mail", "dub2", 3), ("wiki", "dub2", 2),
        ("scm", "fra3", 4), ("mes", "fra3", 4), ("lab", "fra3", 3), ("ftp", "fra3", 3),
    ]  # fmt: skip
    blockers = {
        "erp-2": ("Unsupported operating system",),
        "crm-1": ("Unsupported boot type: UEFI secure boot", "Unsupported operating system"),
        "pay-3": ("Disk count exceeds 64",),
        "mes-1": ("Unsupported operating system",),
    }
    servers = []
    workloads = []
    for workload, dc, count in layout:
        ids = tuple(f"{workload}-{n}" for n in range(1, count + 1))
        workloads.append(Workload(id=workload, name=workload.upper(), server_ids=ids))
        for sid in ids:
            servers.append(
                Server(
                    id=sid,
                    name=sid,
                    datacenter_id=dc,
                    os="Windows Server 2019",
                    environment="prod",
                    readiness=Readiness.NOT_READY if sid in blockers else Readiness.READY,
                    blockers=blockers.get(sid, ()),
                    workload_ids=(workload,),
                )
            )
    dependencies = [  # source server -> target server
        ("crm-1", "erp-1"), ("hr-1", "erp-1"), ("web-1", "crm-1"), ("web-2", "crm-2"),
        ("erp-3", "pay-1"), ("bi-1", "erp-1"), ("bi-2", "pay-2"), ("mail-1", "wiki-1"),
        ("scm-1", "erp-2"), ("mes-1", "scm-1"), ("lab-1", "mes-2"),
    ]  # fmt: skip
    return Estate(
        datacenters=datacenters,
        servers=tuple(servers),
        workloads=tuple(workloads),
        dependencies=tuple(
            Dependency(source_id=s, target_id=t, port=443, weight=5) for s, t in dependencies
        ),
    )


def realistic_config() -> MbfConfig:
    """Two-week iterations from :data:`START`, eight servers each."""
    return MbfConfig(
        project=ProjectConfig(name="Contoso exit", start=START),
        iterations=IterationsConfig(length_weeks=2, capacity_servers=8),
    )


def with_progress(backlog: Backlog, states: Mapping[str, str]) -> Backlog:
    """``backlog`` with the tasks named in ``states`` (id -> state category) set to it."""
    words = {"todo": "New", "in_progress": "Active", "done": "Done"}
    return attrs.evolve(
        backlog,
        items=tuple(
            attrs.evolve(
                item, state=words[states[item.id]], state_category=StateCategory(states[item.id])
            )
            if item.id in states
            else item
            for item in backlog.items
        ),
    )


@pytest.fixture(scope="session")
def realistic_planned() -> Backlog:
    """:func:`realistic_estate` generated and planned by the built-in rules and ``waves`` (a
    frozen backlog, so one is shared by every test)."""
    plugin_manager = MbfPluginManager().load(entry_points=False)
    config = realistic_config()
    context = Context(config=config)
    backlog = generate_backlog(realistic_estate(), plugin_manager.generation_rules, context)
    strategy = plugin_manager.planning_strategies.get("waves")
    return strategy.plan(backlog, Context(config=config)).backlog


@pytest.fixture(name="make_backlog")
def make_backlog_fixture() -> Callable[..., Backlog]:
    """See :func:`make_backlog`."""
    return make_backlog


@pytest.fixture(name="with_progress")
def with_progress_fixture() -> Callable[[Backlog, Mapping[str, str]], Backlog]:
    """See :func:`with_progress`."""
    return with_progress


class _Elements(HTMLParser):
    """Every start tag of a page as ``(tag, attributes)``, in document order."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, {name: value or "" for name, value in attrs}))


def elements(page: str) -> list[tuple[str, dict[str, str]]]:
    """The start tags of ``page`` (HTML text) as ``(tag, attributes)``."""
    parser = _Elements()
    parser.feed(page)
    return parser.found


@pytest.fixture(name="elements")
def elements_fixture() -> Callable[[str], list[tuple[str, dict[str, str]]]]:
    """See :func:`elements`."""
    return elements


@pytest.fixture(scope="session")
def in_flight(realistic_planned: Backlog) -> Backlog:
    """The realistic plan on 2027-02-20 (iteration 4 current): iterations 1 (mail, wiki, ftp),
    2 (pay) and 3 (erp, hr) partly migrated, erp-2's blocker fixed, crm-2 migrated early."""
    done = ["mail-1", "mail-2", "mail-3", "wiki-1", "wiki-2", "ftp-1", "ftp-2", "pay-1",
            "pay-2", "erp-1", "erp-3", "hr-1", "hr-2", "hr-3", "crm-2"]  # fmt: skip
    states = {f"task:{s}/migrate": "done" for s in done}
    states |= {"task:ftp-3/migrate": "in_progress", "task:erp-2/migrate": "in_progress"}
    states |= {
        item.id: "done"
        for item in realistic_planned.items
        if item.id.startswith("task:erp-2/remediate/")
    }
    return with_progress(realistic_planned, states)
