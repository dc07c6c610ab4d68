"""``mbf report``: one self-contained, deterministic HTML page and what its SVG charts hold."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import attrs
import pytest

from mbf.engine.report import render_report
from mbf.serialization import write_backlog

TODAY = "2027-02-20"


@pytest.fixture
def backlog_file(in_flight, tmp_path: Path) -> Path:
    path = tmp_path / "backlog.json"
    write_backlog(in_flight, path)
    return path


@pytest.fixture
def page(in_flight) -> str:
    html, _ = render_report(in_flight, today=dt.date.fromisoformat(TODAY))
    return html


def _marks(elements, page: str, css_class: str) -> list[dict[str, str]]:
    return [attrs for _, attrs in elements(page) if css_class in attrs.get("class", "").split()]


def test_the_report_is_the_same_bytes_for_the_same_input(mbf_cli, backlog_file, tmp_path):
    first, second = tmp_path / "a.html", tmp_path / "b.html"
    mbf_cli("report", str(backlog_file), "-o", str(first), "--today", TODAY)
    mbf_cli("report", str(backlog_file), "-o", str(second), "--today", TODAY)
    assert first.read_bytes() == second.read_bytes()


def test_the_report_command_says_what_it_wrote(mbf_cli, backlog_file, tmp_path):
    out = tmp_path / "out" / "report.html"
    result = mbf_cli("report", str(backlog_file), "-o", str(out), "--today", TODAY)
    assert (result.exit_code, result.output) == (
        0,
        f"Wrote report {out}, dependency map of feature:erp\n",
    )


def test_the_report_fetches_nothing_and_runs_no_script(page):
    assert re.findall(r"https?:|<script|<link|<img|<iframe|@import|url\((?!#)", page) == []


def test_a_burnup_per_datacenter_carries_its_lease_end(elements, page):
    charts = _marks(elements, page, "burnup")
    assert [
        (c["id"], c["data-datacenter"], c["data-lease-end"], c["data-total"]) for c in charts
    ] == [
        ("burnup-1", "ams1", "2027-04-30", "14"),
        ("burnup-2", "dub2", "2027-09-30", "12"),
        ("burnup-3", "fra3", "2028-03-31", "14"),
    ]


def test_a_burnup_plots_actual_progress_up_to_today(elements, page):
    tags = elements(page)
    start = next(n for n, (_, a) in enumerate(tags) if a.get("id") == "burnup-1")
    end = next(n for n, (_, a) in enumerate(tags) if a.get("id") == "burnup-2")
    points = [a for _, a in tags[start:end] if a.get("class") == "actual-point"]
    assert [(p["data-iteration"], p["data-value"]) for p in points] == [
        ("iteration-1", "0"),
        ("iteration-2", "0"),
        ("iteration-3", "5"),
        ("iteration-4", "6"),
    ]


def test_the_gantt_has_a_bar_per_wave_split_by_state(elements, page):
    waves = _marks(elements, page, "wave")
    assert [
        (w["data-iteration"], w["data-datacenter"], w["data-assets"], w["data-migrated"],
         w["data-workloads"])
        for w in waves
    ] == [
        ("iteration-1", "dub2", "5", "5", "2"),
        ("iteration-1", "fra3", "3", "2", "1"),
        ("iteration-2", "dub2", "4", "2", "1"),
        ("iteration-3", "ams1", "8", "5", "2"),
        ("iteration-4", "ams1", "6", "1", "2"),
        ("iteration-5", "dub2", "3", "0", "1"),
        ("iteration-5", "fra3", "4", "0", "1"),
        ("iteration-6", "fra3", "7", "0", "2"),
    ]  # fmt: skip


def test_the_gantt_marks_each_lease_end_those_far_past_the_plan_at_its_edge(elements, page):
    tags = elements(page)
    start = next(n for n, (_, a) in enumerate(tags) if a.get("id") == "gantt")
    lines = [a for _, a in tags[start:] if "lease-end" in a.get("class", "").split()]
    assert [(a["data-datacenter"], a["data-date"], a["class"]) for a in lines] == [
        ("ams1", "2027-04-30", "lease-end"),
        ("dub2", "2027-09-30", "lease-end beyond"),
        ("fra3", "2028-03-31", "lease-end beyond"),
    ]


def test_blockers_are_drawn_by_type(elements, page):
    bars = _marks(elements, page, "blocker-type")
    assert [(b["data-type"], b["data-count"]) for b in bars] == [
        ("Unsupported operating system", "2"),
        ("Disk count exceeds 64", "1"),
        ("Unsupported boot type: UEFI secure boot", "1"),
    ]


def test_the_default_dependency_map_is_the_most_connected_workload(elements, page):
    (chart,) = _marks(elements, page, "dependency-map")
    assert (chart["data-feature"], chart["data-nodes"], chart["data-edges"]) == (
        "feature:erp",
        "10",
        "5",
    )


def test_dependency_maps_of_chosen_workloads(elements, in_flight):
    html, drawn = render_report(
        in_flight, today=dt.date.fromisoformat(TODAY), workloads=("mail", "feature:lab")
    )
    charts = _marks(elements, html, "dependency-map")
    assert (drawn, [c["data-feature"] for c in charts]) == (
        ("feature:mail", "feature:lab"),
        ["feature:mail", "feature:lab"],
    )


def test_the_kpi_table_has_a_row_per_datacenter_and_overall(elements, page):
    rows = [a for tag, a in elements(page) if tag == "tr" and "data-datacenter" in a]
    margins = [a["data-margin"] for tag, a in elements(page) if "data-margin" in a]
    assert ([r["data-datacenter"] for r in rows], margins) == (
        ["ams1", "dub2", "fra3", ""],
        ["47", "186", "159", "–"],
    )


def test_an_unknown_workload_fails_and_leaves_the_old_report(mbf_cli, backlog_file, tmp_path):
    out = tmp_path / "report.html"
    out.write_text("previous report", encoding="utf-8")
    result = mbf_cli(
        "report", str(backlog_file), "-o", str(out), "--today", TODAY, "--workload", "nope"
    )
    assert result.exit_code == 1
    assert result.output.startswith("Error: no workload 'nope' in the backlog")
    assert (out.read_text(encoding="utf-8"), sorted(p.name for p in tmp_path.iterdir())) == (
        "previous report",
        ["backlog.json", "report.html"],
    )


def test_blackout_windows_are_shaded_in_the_burnup_and_the_gantt(elements, make_backlog):
    backlog = make_backlog({"ams": dt.date(2027, 6, 30)}, [{"server": "a", "dc": "ams"}])
    backlog = attrs.evolve(
        backlog,
        items=tuple(
            attrs.evolve(item, extra={**item.extra, "blackout": "2027-01-25..2027-02-07: freeze"})
            if item.id == "epic:ams"
            else item
            for item in backlog.items
        ),
    )
    html, _ = render_report(backlog, today=dt.date(2027, 1, 5))
    shaded = [(tag, a.get("data-start"), a.get("data-datacenter")) for tag, a in elements(html)
              if a.get("class") == "blackout"]  # fmt: skip
    assert shaded == [("rect", "2027-01-25", None), ("rect", None, "ams")]


def test_an_unplanned_backlog_reports_without_iterations(elements, make_backlog):
    backlog = make_backlog(
        {"ams": dt.date(2027, 6, 30)},
        [{"server": "a", "dc": "ams", "iteration": None}],
        iterations=0,
    )
    html, drawn = render_report(backlog, today=dt.date(2027, 1, 5))
    gantt = next(a for _, a in elements(html) if a.get("id") == "gantt")
    burnup = next(a for _, a in elements(html) if a.get("id") == "burnup-1")
    assert (drawn, gantt["data-rows"], burnup["data-total"]) == (("feature:a",), "0", "1")
