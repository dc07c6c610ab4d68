"""Iteration cadence, the plan summary, and ``mbf plan`` on the command line."""

from __future__ import annotations

import datetime as dt

import pytest

from mbf.config import IterationsConfig, MbfConfig, ProjectConfig
from mbf.engine.cadence import make_cadence
from mbf.errors import ConfigError
from mbf.serialization import read_backlog, write_estate


def _iterations(start: dt.date, **settings):
    cadence = make_cadence(
        MbfConfig(project=ProjectConfig(start=start), iterations=IterationsConfig(**settings))
    )
    return [(it.id, it.name, it.start, it.finish) for it in map(cadence.iteration, (1, 2, 3))]


def test_fixed_length_iterations_in_weeks():
    assert _iterations(dt.date(2027, 1, 4), length_weeks=3) == [
        ("iteration-1", "Sprint 1", dt.date(2027, 1, 4), dt.date(2027, 1, 24)),
        ("iteration-2", "Sprint 2", dt.date(2027, 1, 25), dt.date(2027, 2, 14)),
        ("iteration-3", "Sprint 3", dt.date(2027, 2, 15), dt.date(2027, 3, 7)),
    ]


def test_calendar_months_start_at_the_project_start():
    assert _iterations(dt.date(2027, 1, 18), calendar="month", name_pattern="{month} {year}") == [
        ("iteration-1", "Jan 2027", dt.date(2027, 1, 18), dt.date(2027, 1, 31)),
        ("iteration-2", "Feb 2027", dt.date(2027, 2, 1), dt.date(2027, 2, 28)),
        ("iteration-3", "Mar 2027", dt.date(2027, 3, 1), dt.date(2027, 3, 31)),
    ]


def test_fiscal_quarters_follow_the_fiscal_year_start():
    assert _iterations(
        dt.date(2027, 5, 10),
        calendar="quarter",
        fiscal_year_start_month=7,
        name_pattern="FY{fy} Q{q}",
    ) == [
        ("iteration-1", "FY2027 Q4", dt.date(2027, 5, 10), dt.date(2027, 6, 30)),
        ("iteration-2", "FY2028 Q1", dt.date(2027, 7, 1), dt.date(2027, 9, 30)),
        ("iteration-3", "FY2028 Q2", dt.date(2027, 10, 1), dt.date(2027, 12, 31)),
    ]


def test_the_iteration_path_uses_the_prefix():
    cadence = make_cadence(
        MbfConfig(
            project=ProjectConfig(start=dt.date(2027, 1, 4)),
            iterations=IterationsConfig(path_prefix="Contoso\\"),
        )
    )
    assert cadence.iteration(2).path == "Contoso\\Sprint 2"


@pytest.mark.parametrize(
    ("project", "settings", "message"),
    [
        ({}, {}, "mbf.toml: project.start is required to plan (the first day of iteration 1)"),
        (
            {"start": dt.date(2027, 1, 4)},
            {"length_days": 10, "calendar": "month"},
            "mbf.toml: iterations.length_days and iterations.calendar exclude each other",
        ),
        (
            {"start": dt.date(2027, 1, 4)},
            {"team_size": 5},
            "mbf.toml: iterations.team_size and iterations.hours_per_person go together",
        ),
        (
            {"start": dt.date(2027, 1, 4)},
            {"capacity_servers": 0},
            "mbf.toml: iterations.capacity_servers must be positive",
        ),
    ],
)
def test_incomplete_or_contradictory_cadence_is_refused(project, settings, message):
    with pytest.raises(ConfigError) as caught:
        make_cadence(
            MbfConfig(project=ProjectConfig(**project), iterations=IterationsConfig(**settings))
        )
    assert str(caught.value) == message


_TOML = """
[project]
start = 2027-01-04
[iterations]
length_weeks = 2
capacity_servers = 2
"""


def test_mbf_plan_prints_summary_violations_and_explanations(mbf_cli, sample_estate, tmp_path):
    write_estate(sample_estate, tmp_path / "estate.json")
    (tmp_path / "mbf.toml").write_text(_TOML)
    mbf_cli("generate", str(tmp_path / "estate.json"), "-o", str(tmp_path / "backlog.json"))
    result = mbf_cli(
        "plan",
        str(tmp_path / "backlog.json"),
        "-c",
        str(tmp_path / "mbf.toml"),
        "--explain",
        "-o",
        str(tmp_path / "planned.json"),
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1:] == [
        "Iterations used: 3 of 3",
        "  iteration-1 (Sprint 1) 2027-01-04..2027-01-17: 1 workloads, 0/2 servers, 6 h",
        "  iteration-2 (Sprint 2) 2027-01-18..2027-01-31: 1 workloads, 2/2 servers, 28 h",
        "  iteration-3 (Sprint 3) 2027-02-01..2027-02-14: 1 workloads, 2/2 servers, 24 h",
        "Datacenter ams1: empty after iteration-3 (2027-02-14), lease ends 2027-09-30: 228 days to spare",
        "Datacenter dub2: empty after iteration-1 (2027-01-17), lease ends 2028-03-31: 439 days to spare",
        "Dependencies across iterations: 1 of 1 workload links",
        "Why each workload got its iteration:",
        "  feature:payroll -> iteration-2: remediation: its open remediation lands 1 iteration(s) before",
        "  feature:crm -> iteration-3: capacity: remediation: its open remediation lands 1 iteration(s) before; "
        "dependency: it depends on feature:payroll in iteration-2; iteration-2 is full (2/2 servers taken)",
        "  feature:intranet -> iteration-1: earliest iteration: nothing holds it back",
    ]
    planned = read_backlog(tmp_path / "planned.json")
    assert [it.id for it in planned.iterations] == ["iteration-1", "iteration-2", "iteration-3"]


def test_mbf_plan_lists_violations(mbf_cli, sample_estate, tmp_path):
    write_estate(sample_estate, tmp_path / "estate.json")
    (tmp_path / "mbf.toml").write_text(
        _TOML.replace("capacity_servers = 2", "capacity_servers = 1")
    )
    mbf_cli("generate", str(tmp_path / "estate.json"), "-o", str(tmp_path / "backlog.json"))
    result = mbf_cli(
        "plan",
        str(tmp_path / "backlog.json"),
        "-c",
        str(tmp_path / "mbf.toml"),
        "-o",
        str(tmp_path / "p.json"),
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-3:] == [
        "2 constraint(s) not met:",
        "  [oversized] feature:payroll is larger than an iteration (2/1 servers); it goes alone into iteration-2",
        "  [oversized] feature:crm is larger than an iteration (2/1 servers); it goes alone into iteration-3",
    ]


def test_mbf_plan_refuses_an_unknown_strategy(mbf_cli, sample_backlog, tmp_path):
    from mbf.serialization import write_backlog

    write_backlog(sample_backlog, tmp_path / "b.json")
    (tmp_path / "mbf.toml").write_text(_TOML)
    result = mbf_cli(
        "plan",
        str(tmp_path / "b.json"),
        "-c",
        str(tmp_path / "mbf.toml"),
        "--strategy",
        "magic",
        "-o",
        str(tmp_path / "p.json"),
    )
    assert result.exit_code == 1
    assert (
        result.output
        == "Error: unknown planning strategy 'magic'; available: waves (pass one with --strategy)\n"
    )
    assert not (tmp_path / "p.json").exists()
