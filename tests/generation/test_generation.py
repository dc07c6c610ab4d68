"""Generation rules: exact backlogs for hand-built estates, switches, and regeneration keeping ids."""

from __future__ import annotations

import datetime as dt
import json

import attrs
import pytest

from mbf.config import GenerationConfig, MbfConfig, ProjectConfig, SizeClassConfig, TaskConfig
from mbf.domain import (
    Datacenter,
    Dependency,
    DependencyType,
    Estate,
    Link,
    MigrationStrategy,
    Server,
    StateCategory,
    Workload,
    stable_hash,
)
from mbf.engine.generation import generate_backlog, merge_regenerated
from mbf.errors import ConfigError
from mbf.plugin import Context
from mbf.serialization import write_estate


@pytest.fixture
def generate(plugin_manager):
    def run(estate, config=None):
        return generate_backlog(
            estate, plugin_manager.generation_rules, Context(config=config or MbfConfig())
        )

    return run


def test_the_sample_estate_gives_the_caf_tree(generate, sample_estate):
    backlog = generate(sample_estate)
    outline = [
        (i.id, i.parent_id, i.title, i.estimate) for i in backlog.items if i.kind.value != "task"
    ]
    assert outline == [
        ("epic:ams1", None, "Migrate datacenter Amsterdam 1", 56.0),
        ("feature:payroll", "epic:ams1", "Migrate workload Payroll", 28.0),
        ("story:pay-app01", "feature:payroll", "Migrate PAY-APP01.contoso.local", 12.0),
        ("story:pay-db01", "feature:payroll", "Migrate PAY-DB01", 16.0),
        ("feature:crm", "epic:ams1", "Migrate workload CRM", 28.0),
        ("story:crm-web01", "feature:crm", "Migrate crm-web01", 12.0),
        ("story:crm-sql01", "feature:crm", "Migrate crm-sql01", 16.0),
        ("epic:dub2", None, "Migrate datacenter Dublin 2", 2.0),
        ("feature:intranet", "epic:dub2", "Retire workload Intranet", 2.0),
        ("story:intra-web01", "feature:intranet", "Decommission intra-web01", 2.0),
    ]


def test_each_asset_gets_the_six_caf_tasks(generate, sample_estate):
    backlog = generate(sample_estate)
    tasks = [(i.id, i.title, i.estimate) for i in backlog.items if i.parent_id == "story:pay-app01"]
    assert tasks == [
        ("task:pay-app01/assess", "Assess PAY-APP01.contoso.local", 2.0),
        ("task:pay-app01/migrate", "Migrate PAY-APP01.contoso.local", 4.0),
        ("task:pay-app01/optimize", "Optimize PAY-APP01.contoso.local", 2.0),
        ("task:pay-app01/promote", "Promote PAY-APP01.contoso.local", 1.0),
        ("task:pay-app01/secure", "Secure PAY-APP01.contoso.local", 2.0),
        ("task:pay-app01/manage", "Manage PAY-APP01.contoso.local", 1.0),
    ]


def test_a_retired_workload_gets_only_decommission_work(generate, sample_estate):
    backlog = generate(sample_estate)
    under = [
        i.id for i in backlog.items if i.parent_id in ("feature:intranet", "story:intra-web01")
    ]
    assert under == ["story:intra-web01", "task:intra-web01/decommission"]


def test_a_retained_workload_gets_a_feature_and_nothing_to_move(generate):
    estate = Estate(
        datacenters=(Datacenter(id="ams", name="AMS"),),
        servers=(Server(id="mf1", name="mf1", datacenter_id="ams", workload_ids=("mainframe",)),),
        workloads=(
            Workload(
                id="mainframe",
                name="Mainframe",
                server_ids=("mf1",),
                strategy=MigrationStrategy.RETAIN,
            ),
        ),
    )
    backlog = generate(estate)
    assert [(i.id, i.title) for i in backlog.items] == [
        ("epic:ams", "Migrate datacenter AMS"),
        ("feature:mainframe", "Retain workload Mainframe"),
    ]


def test_features_and_stories_carry_strategy_environment_and_readiness(generate, sample_estate):
    items = {i.id: i for i in generate(sample_estate).items}
    assert dict(items["feature:crm"].extra) == {
        "strategy": "refactor",
        "environment": "prod",
        "application": "CRM",
        "servers": "2",
        "criticality": "medium",
    }
    assert items["feature:crm"].tags == ("refactor",)
    assert dict(items["story:crm-sql01"].extra) == {
        "readiness": "not_ready",
        "os": "Windows Server 2008 R2",
        "os_family": "windows",
        "size_class": "medium",
        "environment": "prod",
    }


def test_epics_follow_lease_end_then_priority(generate):
    estate = Estate(
        datacenters=(
            Datacenter(id="none", name="No lease", priority=1),
            Datacenter(id="late", name="Late", lease_end=dt.date(2028, 1, 1)),
            Datacenter(id="p2", name="P2", lease_end=dt.date(2027, 6, 30), priority=2),
            Datacenter(id="p1", name="P1", lease_end=dt.date(2027, 6, 30), priority=1),
        )
    )
    epics = [(i.id, i.priority) for i in generate(estate).items]
    assert epics == [("epic:p1", 1), ("epic:p2", 2), ("epic:late", 3), ("epic:none", 4)]


def test_the_epic_description_carries_outcomes_priorities_and_assumptions(generate):
    estate = Estate(
        datacenters=(
            Datacenter(
                id="ams1",
                name="Amsterdam 1",
                location="Amsterdam",
                lease_end=dt.date(2027, 9, 30),
                priority=1,
            ),
        )
    )
    config = MbfConfig(
        project=ProjectConfig(
            outcomes=("Exit AMS1 before its lease ends",),
            priorities=("Customer-facing workloads last",),
            assumptions=("Rehost unless the assessment says otherwise",),
        )
    )
    (epic,) = generate(estate, config).items
    assert epic.description == (
        "Empty datacenter Amsterdam 1 (Amsterdam).\n"
        "Lease ends 2027-09-30: it must be empty by then.\n"
        "Business priority 1.\n"
        "Business outcomes:\n- Exit AMS1 before its lease ends\n"
        "Priorities:\n- Customer-facing workloads last\n"
        "Assumptions:\n- Rehost unless the assessment says otherwise"
    )


def test_the_epic_records_lease_end_and_blackout_for_planning(generate, sample_estate):
    epic = generate(sample_estate).items[0]
    assert dict(epic.extra) == {
        "business_rank": "1",
        "lease_end": "2027-09-30",
        "blackout": "2027-04-01..2027-04-14: quarter close",
    }
    assert epic.source == ("ams1",)


def test_config_datacenters_override_the_estate(generate, sample_estate):
    config = MbfConfig(
        datacenters=(Datacenter(id="dub2", name="Dublin Two", lease_end=dt.date(2027, 3, 31)),)
    )
    epics = [
        (i.id, i.title) for i in generate(sample_estate, config).items if i.kind.value == "epic"
    ]
    assert epics == [
        ("epic:dub2", "Migrate datacenter Dublin Two"),
        ("epic:ams1", "Migrate datacenter Amsterdam 1"),
    ]


def test_task_list_titles_and_estimates_come_from_the_config(generate, sample_estate):
    config = MbfConfig(
        generation=GenerationConfig(
            tasks=("migrate", "backup"),
            task={
                "migrate": TaskConfig(
                    title="Replicate and cut over {server} ({workload})",
                    hours=3,
                    os={"linux": 5},
                    size={"large": 9},
                ),
                "backup": TaskConfig(hours=0.5),
            },
        )
    )
    items = {i.id: i for i in generate(sample_estate, config).items}
    assert [(i.id, i.title) for i in items.values() if i.parent_id == "story:crm-web01"] == [
        ("task:crm-web01/migrate", "Replicate and cut over crm-web01 (CRM)"),
        ("task:crm-web01/backup", "Backup crm-web01"),
    ]
    # crm-web01 is Linux and small, pay-db01 large, pay-app01 neither.
    assert items["task:crm-web01/migrate"].estimate == 5.0
    assert items["task:pay-db01/migrate"].estimate == 9.0
    assert items["task:pay-app01/migrate"].estimate == 3.0
    assert items["task:pay-app01/backup"].estimate == 0.5


def test_size_classes_are_configurable(generate, sample_estate):
    config = MbfConfig(
        generation=GenerationConfig(
            size_classes=(SizeClassConfig(name="tiny", max_cores=2), SizeClassConfig(name="big"))
        )
    )
    sizes = {
        i.id: i.extra["size_class"]
        for i in generate(sample_estate, config).items
        if i.kind.value == "story"
    }
    assert sizes == {
        "story:pay-app01": "big",
        "story:pay-db01": "big",
        "story:crm-web01": "tiny",
        "story:crm-sql01": "big",
        "story:intra-web01": "tiny",
    }


def test_each_blocker_becomes_a_remediation_task_before_migration(generate, sample_estate):
    items = {i.id: i for i in generate(sample_estate).items}
    remediation_id = (
        f"task:pay-db01/remediate/{stable_hash('Unsupported boot type: UEFI secure boot')}"
    )
    assert (
        items[remediation_id].title == "Remediate PAY-DB01: Unsupported boot type: UEFI secure boot"
    )
    assert items[remediation_id].parent_id == "story:pay-db01"
    assert items["task:pay-db01/migrate"].links == (
        Link(target_id=remediation_id, type=DependencyType.FS),
    )
    assert [i for i in items if "/remediate/" in i] == [
        remediation_id,
        f"task:crm-sql01/remediate/{stable_hash('Unsupported operating system')}",
    ]


def test_a_dependency_between_workloads_links_features_and_stories(generate, sample_estate):
    items = {i.id: i for i in generate(sample_estate).items}
    assert items["feature:crm"].links == (
        Link(target_id="feature:payroll", type=DependencyType.SS),
    )
    assert items["story:crm-web01"].links == (
        Link(target_id="story:pay-app01", type=DependencyType.SS),
    )
    # Traffic inside Payroll and to an outside endpoint makes no link.
    assert items["feature:payroll"].links == ()
    assert items["story:pay-app01"].links == ()


def _two_workloads(*dependencies: Dependency) -> Estate:
    return Estate(
        datacenters=(Datacenter(id="ams", name="AMS"),),
        servers=(
            Server(id="a1", name="a1", datacenter_id="ams", workload_ids=("a",)),
            Server(id="b1", name="b1", datacenter_id="ams", workload_ids=("b",)),
        ),
        workloads=(
            Workload(id="a", name="A", server_ids=("a1",)),
            Workload(id="b", name="B", server_ids=("b1",)),
        ),
        dependencies=dependencies,
    )


def test_noise_ports_and_light_dependencies_make_no_link(generate):
    estate = _two_workloads(
        Dependency(source_id="a1", target_id="b1", port=53, weight=100),
        Dependency(source_id="b1", target_id="a1", port=443, weight=2),
    )
    config = MbfConfig(generation=GenerationConfig(ignore_ports=(53,), dependency_min_weight=5))
    assert [i.links for i in generate(estate, config).items if i.kind.value == "feature"] == [
        (),
        (),
    ]


def test_heavy_two_way_traffic_makes_a_move_group(generate):
    estate = _two_workloads(
        Dependency(source_id="a1", target_id="b1", weight=40),
        Dependency(source_id="b1", target_id="a1", weight=10),
    )
    groups = [
        i.extra.get("move_group") for i in generate(estate).items if i.kind.value == "feature"
    ]
    assert groups == ["a", "a"]


def test_light_two_way_traffic_makes_no_move_group(generate):
    estate = _two_workloads(
        Dependency(source_id="a1", target_id="b1", weight=40),
        Dependency(source_id="b1", target_id="a1", weight=9),
    )
    groups = [
        i.extra.get("move_group") for i in generate(estate).items if i.kind.value == "feature"
    ]
    assert groups == [None, None]


def test_a_shared_server_couples_its_workloads(generate):
    estate = attrs.evolve(
        _two_workloads(),
        servers=(
            Server(id="a1", name="a1", datacenter_id="ams", workload_ids=("a", "b")),
            Server(id="b1", name="b1", datacenter_id="ams", workload_ids=("b",)),
        ),
        workloads=(
            Workload(id="a", name="A", server_ids=("a1",)),
            Workload(id="b", name="B", server_ids=("a1", "b1")),
        ),
    )
    items = {i.id: i for i in generate(estate).items}
    assert (items["feature:a"].extra["move_group"], items["feature:b"].extra["move_group"]) == (
        "a",
        "a",
    )
    assert items["story:a1"].parent_id == "feature:a"


def test_a_server_of_no_workload_gets_its_own_feature(generate):
    estate = Estate(servers=(Server(id="lonely", name="LONELY"),))
    assert [(i.id, i.parent_id) for i in generate(estate).items][:3] == [
        ("epic:unassigned", None),
        ("feature:unassigned/lonely", "epic:unassigned"),
        ("story:lonely", "feature:unassigned/lonely"),
    ]


def test_a_rule_can_be_switched_off(generate, sample_estate):
    config = MbfConfig(generation=GenerationConfig(disable=("remediation", "estimate-rollup")))
    items = generate(sample_estate, config).items
    assert [i.id for i in items if "/remediate/" in i.id] == []
    assert items[0].estimate is None


def test_an_unknown_rule_name_is_refused(generate, sample_estate):
    config = MbfConfig(generation=GenerationConfig(disable=("remediaton",)))
    with pytest.raises(ConfigError) as caught:
        generate(sample_estate, config)
    assert str(caught.value) == (
        "mbf.toml: generation.disable names unknown rule(s) remediaton; "
        "available: caf-hierarchy, dependency-links, estimate-rollup, remediation"
    )


def test_rules_run_in_configured_order(plugin_manager):
    from mbf.engine.generation import active_rules

    config = GenerationConfig(order={"dependency-links": 150})
    names = [r.name for r in active_rules(plugin_manager.generation_rules, config)]
    assert names == ["caf-hierarchy", "dependency-links", "remediation", "estimate-rollup"]


def test_regenerating_after_a_new_discovery_keeps_every_id(generate, sample_estate):
    first = generate(sample_estate)
    worked = tuple(
        attrs.evolve(i, state="Active", state_category=StateCategory.IN_PROGRESS, assignee="Dana")
        if i.id == "task:pay-app01/migrate"
        else i
        for i in first.items
    )
    new_server = Server(
        id="pay-app02", name="PAY-APP02", datacenter_id="ams1", workload_ids=("payroll",)
    )
    rediscovered = attrs.evolve(
        sample_estate,
        servers=(*[s for s in sample_estate.servers if s.id != "crm-web01"], new_server),
        workloads=tuple(
            attrs.evolve(w, server_ids=(*w.server_ids, "pay-app02"))
            if w.id == "payroll"
            else attrs.evolve(w, server_ids=("crm-sql01",))
            if w.id == "crm"
            else w
            for w in sample_estate.workloads
        ),
        dependencies=(),
    )
    merged, report = merge_regenerated(attrs.evolve(first, items=worked), generate(rediscovered))
    assert {i.id for i in first.items} <= {i.id for i in merged.items}
    assert report.added == (
        "story:pay-app02",
        "task:pay-app02/assess",
        "task:pay-app02/migrate",
        "task:pay-app02/optimize",
        "task:pay-app02/promote",
        "task:pay-app02/secure",
        "task:pay-app02/manage",
    )
    assert set(report.removed) == {
        f"task:crm-web01/{t}"
        for t in ("assess", "migrate", "optimize", "promote", "secure", "manage")
    } | {"story:crm-web01"}
    items = {i.id: i for i in merged.items}
    assert (items["story:crm-web01"].state, items["story:crm-web01"].state_category) == (
        "Removed",
        StateCategory.DONE,
    )
    # Its link survives: the story it points to is still there.
    assert items["story:crm-web01"].links == (
        Link(target_id="story:pay-app01", type=DependencyType.SS),
    )
    kept = items["task:pay-app01/migrate"]
    assert (kept.state, kept.state_category, kept.assignee) == (
        "Active",
        StateCategory.IN_PROGRESS,
        "Dana",
    )


def test_mbf_generate_writes_the_backlog(mbf_cli, sample_estate, tmp_path):
    write_estate(sample_estate, tmp_path / "estate.json")
    result = mbf_cli(
        "generate", str(tmp_path / "estate.json"), "-o", str(tmp_path / "backlog.json")
    )
    assert result.exit_code == 0, result.output
    assert result.output == (
        f"Generated 37 items (2 epics, 3 features, 5 stories, 27 tasks) -> {tmp_path / 'backlog.json'}\n"
    )
    document = json.loads((tmp_path / "backlog.json").read_text())
    assert document["items"][0]["id"] == "epic:ams1"


def test_mbf_generate_with_previous_reports_what_changed(mbf_cli, sample_estate, tmp_path):
    write_estate(sample_estate, tmp_path / "estate.json")
    mbf_cli("generate", str(tmp_path / "estate.json"), "-o", str(tmp_path / "backlog.json"))
    smaller = attrs.evolve(
        sample_estate,
        servers=sample_estate.servers[:4],
        workloads=sample_estate.workloads[:2],
        datacenters=sample_estate.datacenters[:1],
    )
    write_estate(smaller, tmp_path / "estate2.json")
    result = mbf_cli(
        "generate",
        str(tmp_path / "estate2.json"),
        "--previous",
        str(tmp_path / "backlog.json"),
        "-o",
        str(tmp_path / "b2.json"),
    )
    assert result.exit_code == 0, result.output
    assert "(0 added, 33 kept, 4 removed)" in result.output


def test_mbf_generate_refuses_an_unknown_config_key(mbf_cli, sample_estate, tmp_path):
    write_estate(sample_estate, tmp_path / "estate.json")
    (tmp_path / "mbf.toml").write_text("[generation]\ntaskz = []\n")
    result = mbf_cli(
        "generate",
        str(tmp_path / "estate.json"),
        "-c",
        str(tmp_path / "mbf.toml"),
        "-o",
        str(tmp_path / "b.json"),
    )
    assert result.exit_code == 1
    assert result.output == "Error: mbf.toml: unknown key generation.taskz\n"
    assert not (tmp_path / "b.json").exists()
