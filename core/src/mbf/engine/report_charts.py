"""The report's charts as inline SVG text: burn-up, wave Gantt, blockers by type, dependency map.

Every mark carries a class and ``data-*`` attributes naming what it stands for (iteration,
datacenter, node, count), so tests and readers of the page can find what is drawn. Coordinates
are written with one decimal, and nothing depends on the clock or on dict order, so the same
input always gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterable, Mapping, Sequence

from mbf.domain import BlackoutWindow
from mbf.engine.dependency_map import DependencyMap
from mbf.engine.kpis import (
    AssetCounts,
    DatacenterKpis,
    FinishBasis,
    IterationStatus,
    IterationTiming,
    ScopeKpis,
    WaveLoad,
)

__all__ = ["STATE_COLOURS", "blockers_chart", "burnup_chart", "dependency_map_chart", "gantt_chart"]

STATE_COLOURS: Mapping[str, str] = {
    "migrated": "#2e7d32",
    "in_progress": "#1565c0",
    "blocked": "#c62828",
    "not_started": "#b0bec5",
}
"""Fill of each asset state, shared by the charts and the legend."""

_ITEM_STATE_COLOURS = {"done": "#c8e6c9", "in_progress": "#bbdefb", "todo": "#eceff1"}
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DAY = dt.timedelta(days=1)


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _n(value: float) -> str:
    """A coordinate with one decimal (``-0.0`` written as ``0.0``)."""
    text = f"{value:.1f}"
    return "0.0" if text == "-0.0" else text


def _short(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


class _TimeAxis:
    """Dates to x coordinates over ``[first, last]``."""

    def __init__(self, first: dt.date, last: dt.date, left: float, width: float) -> None:
        self.first = first
        self.last = last if last > first else first + dt.timedelta(days=14)
        self.left = left
        self.width = width
        self.days = (self.last - self.first).days

    def x(self, day: dt.date) -> float:
        return self.left + self.width * (day - self.first).days / self.days

    def month_ticks(self, top: float, bottom: float) -> str:
        """Grid lines and labels at the first of each month (at most about 12 labels)."""
        months = []
        day = dt.date(self.first.year, self.first.month, 1)
        while day <= self.last:
            if day >= self.first:
                months.append(day)
            day = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
        step = max(1, -(-len(months) // 12))
        parts = []
        for n, month in enumerate(months):
            x = _n(self.x(month))
            parts.append(f'<line class="grid" x1="{x}" y1="{_n(top)}" x2="{x}" y2="{_n(bottom)}"/>')
            if n % step == 0:
                parts.append(
                    f'<text class="tick" x="{x}" y="{_n(bottom + 14)}" text-anchor="middle">'
                    f"{_MONTHS[month.month - 1]} {month.year}</text>"
                )
        return "".join(parts)


def _span(
    iterations: Sequence[IterationStatus], today: dt.date, extra: Iterable[dt.date | None]
) -> tuple[dt.date, dt.date]:
    starts = [entry.iteration.start for entry in iterations if entry.iteration.start]
    ends = [entry.iteration.finish + _DAY for entry in iterations if entry.iteration.finish]
    first = min(starts, default=today)
    last = max([*ends, today, *(d + _DAY for d in extra if d is not None)])
    return first, last + dt.timedelta(days=7)


def burnup_chart(
    key: str,
    scope: DatacenterKpis,
    iterations: Sequence[IterationStatus],
    today: dt.date,
    blackout: Sequence[BlackoutWindow] = (),
) -> str:
    """Burn-up of one datacenter: planned and actual migrated assets per iteration against the
    total, the lease end, today, blackout windows and the projection."""
    kpis: ScopeKpis = scope.kpis
    finish = kpis.finish
    width, height, left, right, top, bottom = 720.0, 250.0, 48.0, 16.0, 24.0, 40.0
    plot_h = height - top - bottom
    axis = _TimeAxis(
        *_span(iterations, today, (finish.lease_end, finish.projected)),
        left,
        width - left - right,
    )
    total = kpis.assets.total
    scale = max(total, 1)

    def y(value: float) -> float:
        return top + plot_h - plot_h * value / scale

    parts = [
        f'<svg id="{_e(key)}" class="chart burnup" data-datacenter="{_e(scope.id)}" '
        f'data-total="{total}" data-migrated="{kpis.assets.migrated}" '
        f'data-lease-end="{_e(finish.lease_end or "")}" width="{_n(width)}" '
        f'height="{_n(height)}" viewBox="0 0 {_n(width)} {_n(height)}" role="img">',
        f"<title>Burn-up of {_e(scope.name)}</title>",
    ]
    for window in blackout:
        x1, x2 = axis.x(max(window.start, axis.first)), axis.x(min(window.end + _DAY, axis.last))
        if x2 > x1:
            parts.append(
                f'<rect class="blackout" data-start="{window.start}" data-end="{window.end}" '
                f'x="{_n(x1)}" y="{_n(top)}" width="{_n(x2 - x1)}" height="{_n(plot_h)}">'
                f"<title>Blackout {window.start}..{window.end} {_e(window.reason)}</title></rect>"
            )
    parts.append(axis.month_ticks(top, top + plot_h))
    for value in sorted({0, total // 2, total}):
        parts.append(
            f'<text class="tick" x="{_n(left - 6)}" y="{_n(y(value) + 4)}" '
            f'text-anchor="end">{value}</text>'
        )
    parts.append(
        f'<line class="axis" x1="{_n(left)}" y1="{_n(top + plot_h)}" '
        f'x2="{_n(width - right)}" y2="{_n(top + plot_h)}"/>'
    )
    parts.append(
        f'<line class="total" data-value="{total}" x1="{_n(left)}" y1="{_n(y(total))}" '
        f'x2="{_n(width - right)}" y2="{_n(y(total))}"/>'
    )

    start = axis.first
    planned = [(axis.x(start), y(0))]
    actual: list[tuple[float, float, str, int]] = []
    first = kpis.burndown[0] if kpis.burndown else None
    if first is not None and first.actual_remaining is not None:
        before_plan = total - first.actual_remaining - (first.actual_migrated or 0)
        actual.append((axis.x(start), y(before_plan), "", before_plan))
    for entry, point in zip(iterations, kpis.burndown, strict=True):
        end = entry.iteration.finish
        if end is None:
            continue
        planned.append((axis.x(end + _DAY), y(total - point.planned_remaining)))
        if point.actual_remaining is not None:
            day = end + _DAY if entry.timing is IterationTiming.FINISHED else today
            done = total - point.actual_remaining
            actual.append((axis.x(day), y(done), point.iteration_id, done))
    parts.append(
        f'<polyline class="planned" data-points="{len(planned)}" points="'
        + " ".join(f"{_n(px)},{_n(py)}" for px, py in planned)
        + '"/>'
    )
    if actual:
        parts.append(
            f'<polyline class="actual" data-points="{len(actual)}" points="'
            + " ".join(f"{_n(px)},{_n(py)}" for px, py, _, _ in actual)
            + '"/>'
        )
        for px, py, iteration_id, done in actual[1:]:
            parts.append(
                f'<circle class="actual-point" data-iteration="{_e(iteration_id)}" '
                f'data-value="{done}" cx="{_n(px)}" cy="{_n(py)}" r="3"/>'
            )
        if finish.basis is FinishBasis.VELOCITY and finish.projected is not None:
            px, py, _, _ = actual[-1]
            parts.append(
                f'<line class="projection" data-date="{finish.projected}" x1="{_n(px)}" '
                f'y1="{_n(py)}" x2="{_n(axis.x(finish.projected + _DAY))}" y2="{_n(y(total))}"/>'
            )
    if finish.lease_end is not None:
        x = _n(axis.x(finish.lease_end + _DAY))
        parts.append(
            f'<line class="lease-end" data-date="{finish.lease_end}" x1="{x}" y1="{_n(top - 8)}" '
            f'x2="{x}" y2="{_n(top + plot_h)}"/>'
            f'<text class="marker-label lease-label" x="{x}" y="{_n(top - 10)}" '
            f'text-anchor="end">lease end {finish.lease_end}</text>'
        )
    x = _n(axis.x(today))
    parts.append(
        f'<line class="today" data-date="{today}" x1="{x}" y1="{_n(top)}" x2="{x}" '
        f'y2="{_n(top + plot_h)}"/>'
        f'<text class="marker-label" x="{x}" y="{_n(top - 10)}" text-anchor="start">today</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def _segments(assets: AssetCounts, x: float, y: float, width: float, height: float) -> str:
    parts = []
    for state in ("migrated", "in_progress", "blocked", "not_started"):
        count = getattr(assets, state)
        if not count:
            continue
        part = width * count / assets.total
        parts.append(
            f'<rect class="segment {state}" data-state="{state}" data-count="{count}" '
            f'x="{_n(x)}" y="{_n(y)}" width="{_n(part)}" height="{_n(height)}" '
            f'fill="{STATE_COLOURS[state]}"/>'
        )
        x += part
    return "".join(parts)


def gantt_chart(
    waves: Sequence[WaveLoad],
    iterations: Sequence[IterationStatus],
    datacenters: Sequence[DatacenterKpis],
    blackout: Mapping[str, Sequence[BlackoutWindow]],
    today: dt.date,
) -> str:
    """One row per wave (datacenter in iteration): a bar over the iteration's dates split by
    asset state; lease ends, blackout windows and today drawn across."""
    by_id = {entry.iteration.id: entry for entry in iterations}
    names = {dc.id: dc.name for dc in datacenters}
    lease = {dc.id: dc.kpis.finish.lease_end for dc in datacenters}
    width, label_w, right, top, row_h, bar_h = 960.0, 230.0, 16.0, 40.0, 24.0, 16.0
    height = top + row_h * max(len(waves), 1) + 43 + 13 * len(datacenters)
    # A lease end far past the plan would squash every bar: those are written at the right edge.
    first, last = _span(iterations, today, ())
    reach = last + max(dt.timedelta(days=28), (last - first) / 2)
    near = [end for end in lease.values() if end is not None and end < reach]
    axis = _TimeAxis(*_span(iterations, today, near), label_w, width - label_w - right)
    bottom = top + row_h * len(waves)
    parts = [
        f'<svg id="gantt" class="chart gantt" data-rows="{len(waves)}" width="{_n(width)}" '
        f'height="{_n(height)}" viewBox="0 0 {_n(width)} {_n(height)}" role="img">',
        "<title>Iterations and waves</title>",
        axis.month_ticks(top, bottom),
    ]
    for entry in iterations:
        it = entry.iteration
        if it.start is None or it.finish is None:
            continue
        x1, x2 = axis.x(it.start), axis.x(it.finish + _DAY)
        parts.append(
            f'<rect class="iteration-band {entry.timing.value}" data-iteration="{_e(it.id)}" '
            f'x="{_n(x1)}" y="{_n(top - 22)}" width="{_n(x2 - x1)}" height="14">'
            f"<title>{_e(it.name)} {it.start}..{it.finish}</title></rect>"
        )
        if x2 - x1 >= 7 * len(it.name):  # label only where it fits
            parts.append(
                f'<text class="tick" x="{_n(x1 + 2)}" y="{_n(top - 26)}">{_e(it.name)}</text>'
            )
    for row, wave in enumerate(waves):
        entry = by_id[wave.iteration_id]
        it = entry.iteration
        y = top + row * row_h
        for window in blackout.get(wave.datacenter_id, ()):
            x1 = axis.x(max(window.start, axis.first))
            x2 = axis.x(min(window.end + _DAY, axis.last))
            if x2 > x1:
                parts.append(
                    f'<rect class="blackout" data-datacenter="{_e(wave.datacenter_id)}" '
                    f'x="{_n(x1)}" y="{_n(y)}" width="{_n(x2 - x1)}" height="{_n(row_h)}"/>'
                )
        label = f"{it.name} · {names.get(wave.datacenter_id, wave.datacenter_id)}"
        parts.append(
            f'<text class="row-label" x="{_n(label_w - 8)}" y="{_n(y + row_h / 2 + 4)}" '
            f'text-anchor="end">{_e(_short(label, 34))}</text>'
        )
        if it.start is None or it.finish is None:
            continue
        x1, x2 = axis.x(it.start), axis.x(it.finish + _DAY)
        bar_y = y + (row_h - bar_h) / 2
        parts.append(
            f'<g class="wave" data-iteration="{_e(it.id)}" '
            f'data-datacenter="{_e(wave.datacenter_id)}" data-start="{it.start}" '
            f'data-finish="{it.finish}" data-assets="{wave.assets.total}" '
            f'data-migrated="{wave.assets.migrated}" data-workloads="{wave.workloads}">'
            f"<title>{_e(label)}: {wave.assets.total} servers in {wave.workloads} workloads, "
            f"{wave.assets.migrated} migrated</title>"
            + _segments(wave.assets, x1, bar_y, x2 - x1, bar_h)
            + f'<text class="bar-label" x="{_n(x2 + 4)}" y="{_n(bar_y + bar_h - 4)}">'
            f"{wave.assets.total}</text></g>"
        )
    beyond = 0
    for dc in datacenters:
        end = lease[dc.id]
        if end is None:
            continue
        label = f"{_short(dc.id, 12)} lease"
        css, anchor, label_y = "lease-end", "middle", bottom + 26
        if end + _DAY > axis.last:
            css, anchor, label_y = "lease-end beyond", "end", bottom + 39 + 13 * beyond
            label = f"{label} {end} →"
            beyond += 1
        x = _n(min(axis.x(end + _DAY), axis.left + axis.width))
        parts.append(
            f'<line class="{css}" data-datacenter="{_e(dc.id)}" data-date="{end}" '
            f'x1="{x}" y1="{_n(top)}" x2="{x}" y2="{_n(bottom)}"><title>{_e(dc.name)} lease '
            f"ends {end}</title></line>"
            f'<text class="marker-label lease-label" x="{x}" y="{_n(label_y)}" '
            f'text-anchor="{anchor}">{_e(label)}</text>'
        )
    x = _n(axis.x(today))
    parts.append(
        f'<line class="today" data-date="{today}" x1="{x}" y1="{_n(top - 24)}" x2="{x}" '
        f'y2="{_n(bottom)}"/></svg>'
    )
    return "".join(parts)


def blockers_chart(by_type: Sequence[tuple[str, int]], limit: int = 12) -> str:
    """Horizontal bars of open blockers by type, most frequent first; the rest as one bar."""
    rows = list(by_type[:limit])
    rest = by_type[limit:]
    if rest:
        rows.append((f"{len(rest)} other types", sum(count for _, count in rest)))
    width, label_w, row_h = 720.0, 340.0, 24.0
    height = row_h * max(len(rows), 1) + 8
    most = max((count for _, count in rows), default=1)
    parts = [
        f'<svg id="blockers" class="chart blockers" data-types="{len(by_type)}" '
        f'width="{_n(width)}" height="{_n(height)}" viewBox="0 0 {_n(width)} {_n(height)}" '
        'role="img"><title>Open blockers by type</title>'
    ]
    for n, (name, count) in enumerate(rows):
        y = 4 + n * row_h
        bar = (width - label_w - 60) * count / most
        parts.append(
            f'<g class="blocker-type" data-type="{_e(name)}" data-count="{count}">'
            f"<title>{_e(name)}: {count}</title>"
            f'<text class="row-label" x="{_n(label_w - 8)}" y="{_n(y + 16)}" '
            f'text-anchor="end">{_e(_short(name, 52))}</text>'
            f'<rect class="bar" x="{_n(label_w)}" y="{_n(y + 3)}" width="{_n(bar)}" '
            f'height="{_n(row_h - 6)}" fill="{STATE_COLOURS["blocked"]}"/>'
            f'<text class="bar-label" x="{_n(label_w + bar + 6)}" y="{_n(y + 16)}">{count}</text>'
            "</g>"
        )
    parts.append("</svg>")
    return "".join(parts)


def dependency_map_chart(key: str, graph: DependencyMap, iteration_names: Mapping[str, str]) -> str:
    """The layered map: one column per dependency depth (what moves first on the left), a box
    per node coloured by state, an arrow from each dependent to what it depends on."""
    col_w, node_w, node_h, row_h, pad = 250.0, 200.0, 34.0, 46.0, 20.0
    rows = max((node.position for node in graph.nodes), default=0) + 1
    width = pad * 2 + col_w * max(graph.layers - 1, 0) + node_w
    height = pad * 2 + row_h * rows
    where = {
        node.id: (pad + col_w * node.layer, pad + row_h * node.position) for node in graph.nodes
    }
    marker = f"{key}-arrow"
    parts = [
        f'<svg id="{_e(key)}" class="chart dependency-map" data-feature="{_e(graph.feature_id)}" '
        f'data-nodes="{len(graph.nodes)}" data-edges="{len(graph.edges)}" '
        f'data-layers="{graph.layers}" width="{_n(width)}" height="{_n(height)}" '
        f'viewBox="0 0 {_n(width)} {_n(height)}" role="img">'
        f"<title>Dependency map of {_e(graph.title)}</title>"
        f'<defs><marker id="{_e(marker)}" viewBox="0 0 10 10" refX="10" refY="5" '
        'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        '<path d="M0,0 L10,5 L0,10 z" fill="#546e7a"/></marker></defs>'
    ]
    for edge in graph.edges:
        sx, sy = where[edge.source]
        tx, ty = where[edge.target]
        y1, y2 = sy + node_h / 2, ty + node_h / 2
        if edge.against_flow or sx <= tx:
            # closes a cycle (or stays in a layer): bow out so it is not hidden behind boxes
            x1, x2 = sx + node_w / 2, tx + node_w / 2
            bend = min(y1, y2) - row_h * 0.6 if sx == tx else (y1 + y2) / 2 - row_h
            d = f"M{_n(x1)},{_n(y1)} Q{_n((x1 + x2) / 2)},{_n(bend)} {_n(x2)},{_n(y2)}"
        else:
            x1, x2 = sx, tx + node_w
            mid = (x1 + x2) / 2
            d = f"M{_n(x1)},{_n(y1)} C{_n(mid)},{_n(y1)} {_n(mid)},{_n(y2)} {_n(x2)},{_n(y2)}"
        parts.append(
            f'<path class="edge{" against-flow" if edge.against_flow else ""}" '
            f'data-source="{_e(edge.source)}" data-target="{_e(edge.target)}" '
            f'data-links="{edge.links}" d="{d}" marker-end="url(#{_e(marker)})" '
            f'stroke-width="{_n(min(1 + edge.links / 2, 4))}"/>'
        )
    for node in graph.nodes:
        x, y = where[node.id]
        iteration = iteration_names.get(node.iteration_id or "", "unplanned")
        parts.append(
            f'<g class="node {node.kind}" data-node="{_e(node.id)}" data-kind="{node.kind}" '
            f'data-layer="{node.layer}" data-position="{node.position}" '
            f'data-state="{node.state}"><title>{_e(node.label)} ({node.kind}, {node.state}, '
            f"{_e(iteration)})</title>"
            f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(node_w)}" height="{_n(node_h)}" rx="5" '
            f'fill="{_ITEM_STATE_COLOURS.get(node.state, "#eceff1")}"/>'
            f'<text class="node-label" x="{_n(x + 8)}" y="{_n(y + 14)}">'
            f"{_e(_short(node.label, 28))}</text>"
            f'<text class="node-detail" x="{_n(x + 8)}" y="{_n(y + 28)}">'
            f"{_e(_short(iteration, 30))}</text></g>"
        )
    parts.append("</svg>")
    return "".join(parts)
