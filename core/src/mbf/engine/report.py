"""``mbf report``: one self-contained HTML file of the migration's KPIs and charts.

The page needs no network and runs no script: styles are inline, charts are SVG drawn by
:mod:`mbf.engine.report_charts`. It holds the KPI table, a burn-up per datacenter against its
lease end, the iteration / wave Gantt, open blockers by type and the dependency map of one or
more workloads. The same backlog, mbf.toml and *today* always give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import html
import importlib.resources
import string
from collections.abc import Sequence
from pathlib import Path

from mbf import __version__
from mbf.config import MbfConfig
from mbf.domain import Backlog
from mbf.engine.dependency_map import (
    build_dependency_map,
    most_connected_workloads,
    resolve_workload,
)
from mbf.engine.kpis import DatacenterKpis, FinishBasis, MigrationStatus, compute_status
from mbf.engine.planning import feature_index
from mbf.engine.report_charts import (
    STATE_COLOURS,
    blockers_chart,
    burnup_chart,
    dependency_map_chart,
    gantt_chart,
)
from mbf.files import atomic_output

__all__ = ["render_report", "write_report"]

_STATE_NAMES = {
    "migrated": "migrated",
    "in_progress": "in progress",
    "blocked": "blocked",
    "not_started": "not started",
}


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _cell(value: object) -> str:
    return "–" if value is None else _e(value)


def _kpi_table(status: MigrationStatus) -> str:
    head = (
        "datacenter", "assets", "migrated", "in progress", "blocked", "% done", "open blockers",
        "velocity", "planned finish", "projected finish", "lease end", "margin (days)",
    )  # fmt: skip
    rows = [
        (dc.id, f"{dc.name} ({dc.id})" if dc.id else dc.name, dc.kpis, "")
        for dc in status.datacenters
    ]
    rows.append(("", "Overall", status.overall, "overall"))
    body = []
    for dc_id, label, kpis, css in rows:
        margin = kpis.finish.margin_days
        margin_css = (
            "" if margin is None else (' class="late"' if margin < 0 else ' class="on-time"')
        )
        projected = _cell(kpis.finish.projected)
        if kpis.finish.basis is not FinishBasis.VELOCITY:
            projected += f" ({kpis.finish.basis.value})"
        cells = [
            _e(label),
            str(kpis.assets.total),
            str(kpis.assets.migrated),
            str(kpis.assets.in_progress),
            str(kpis.assets.blocked),
            _cell(kpis.assets.percent_done),
            str(kpis.blockers.open),
            _cell(kpis.velocity.per_iteration),
            _cell(kpis.finish.planned),
            projected,
            _cell(kpis.finish.lease_end),
        ]
        body.append(
            f'<tr class="{css}" data-datacenter="{_e(dc_id)}">'
            + "".join(f"<td>{cell}</td>" for cell in cells)
            + f'<td{margin_css} data-margin="{_cell(margin)}">{_cell(margin)}</td></tr>'
        )
    return (
        '<table id="kpis" class="kpis"><thead><tr>'
        + "".join(f"<th>{_e(h)}</th>" for h in head)
        + "</tr></thead><tbody>"
        + "\n".join(body)
        + "</tbody></table>"
    )


def _legend() -> str:
    return (
        '<div class="legend">'
        + "".join(
            f'<span style="--swatch: {STATE_COLOURS[state]}">{name}</span>'
            for state, name in _STATE_NAMES.items()
        )
        + "</div>"
    )


def _summary(status: MigrationStatus) -> str:
    assets = status.overall.assets
    late = [dc for dc in status.datacenters if (dc.kpis.finish.margin_days or 0) < 0]
    text = (
        f"{assets.migrated} of {assets.total} assets migrated"
        f" ({assets.percent_done if assets.percent_done is not None else 0} %),"
        f" {assets.blocked} blocked, {len(status.datacenters)} datacenters"
    )
    if late:
        text += "; projected late: " + ", ".join(dc.id for dc in late)
    return _e(text)


def _map_sections(
    backlog: Backlog, status: MigrationStatus, workloads: Sequence[str]
) -> tuple[str, tuple[str, ...]]:
    features = [resolve_workload(backlog, name) for name in workloads]
    feature_of = feature_index(backlog.items)
    if not features:
        features = most_connected_workloads(backlog, feature_of)[:1]
    names = {entry.iteration.id: entry.iteration.name for entry in status.iterations}
    parts = []
    for n, feature_id in enumerate(dict.fromkeys(features), start=1):
        graph = build_dependency_map(backlog, feature_id, feature_of)
        parts.append(f"<h3>{_e(graph.title)}</h3>")
        parts.append(dependency_map_chart(f"map-{n}", graph, names))
    if not parts:
        parts.append('<p class="note">The backlog has no workloads.</p>')
    return "\n".join(parts), tuple(dict.fromkeys(features))


def _burnups(status: MigrationStatus) -> str:
    parts = []
    scopes: list[DatacenterKpis] = list(status.datacenters)
    for n, dc in enumerate(scopes, start=1):
        parts.append(f"<h3>{_e(dc.name)}</h3>")
        parts.append(
            burnup_chart(
                f"burnup-{n}",
                dc,
                status.iterations,
                status.today,
                dc.blackout,
            )
        )
    return "\n".join(parts)


def render_report(
    backlog: Backlog,
    *,
    today: dt.date,
    config: MbfConfig | None = None,
    workloads: Sequence[str] = (),
    title: str = "",
) -> tuple[str, tuple[str, ...]]:
    """The report's HTML, and the feature ids whose dependency maps it draws."""
    config = config or MbfConfig()
    status = compute_status(backlog, today, config)
    maps, drawn = _map_sections(backlog, status, workloads)
    template = string.Template(
        importlib.resources.files("mbf.engine")
        .joinpath("report_template.html")
        .read_text(encoding="utf-8")
    )
    page = template.substitute(
        version=_e(__version__),
        title=_e(title or config.project.name or "Migration report"),
        today=today.isoformat(),
        summary=_summary(status),
        kpi_table=_kpi_table(status),
        burnups=_burnups(status),
        legend=_legend(),
        gantt=gantt_chart(
            status.waves,
            status.iterations,
            status.datacenters,
            {dc.id: dc.blackout for dc in status.datacenters},
            today,
        ),
        blockers=blockers_chart(status.overall.blockers.by_type)
        if status.overall.blockers.by_type
        else '<p class="note" id="no-blockers">No open blockers.</p>',
        maps=maps,
    )
    return page, drawn


def write_report(
    backlog: Backlog,
    path: Path,
    *,
    today: dt.date,
    config: MbfConfig | None = None,
    workloads: Sequence[str] = (),
) -> tuple[str, ...]:
    """Write the report to ``path`` atomically; returns the feature ids whose maps it draws."""
    page, drawn = render_report(backlog, today=today, config=config, workloads=workloads)
    with atomic_output(path) as staging:
        staging.write_bytes(page.encode("utf-8"))
    return drawn
