"""The report as headless Chromium draws it: where the marks land after layout, and a screenshot
that is not blank.

Needs the Debian package ``chromium`` (``/usr/bin/chromium``); CI installs it. Without it these
tests fail (they never skip). The test adds a small script to a copy of the report that records
each SVG mark's laid-out box in a ``data-box`` attribute, then reads the DOM Chromium dumps.
"""

from __future__ import annotations

import datetime as dt
import shutil
import struct
import subprocess
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from mbf.engine.report import write_report

TODAY = dt.date(2027, 2, 20)
_MEASURE = """<script>
for (const el of document.querySelectorAll("svg.chart, svg [class]")) {
  const b = el.getBoundingClientRect();
  el.setAttribute("data-box", [b.left + scrollX, b.top + scrollY, b.width, b.height]
    .map((v) => v.toFixed(1)).join(" "));
}
</script>
"""
Box = tuple[float, float, float, float]


def _chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.fail(
            "headless Chromium is required for the report test: install the Debian package "
            "'chromium' (apt-get install -y chromium); .ci/run installs it"
        )
    return path


def _run_chromium(profile: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    command = [
        _chromium(), "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run", "--hide-scrollbars", f"--user-data-dir={profile}",
        "--window-size=1280,2400", *args,
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, timeout=180, check=True)


@pytest.fixture(scope="module")
def report_path(in_flight, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("report") / "report.html"
    write_report(in_flight, path, today=TODAY)
    return path


@pytest.fixture(scope="module")
def laid_out(report_path: Path, tmp_path_factory) -> str:
    """The DOM after layout, each SVG mark carrying its box as ``data-box``."""
    measured = report_path.with_name("measured.html")
    page = report_path.read_text(encoding="utf-8")
    measured.write_text(page.replace("</body>", _MEASURE + "</body>"), encoding="utf-8")
    profile = tmp_path_factory.mktemp("chromium-profile")
    return _run_chromium(profile, "--dump-dom", measured.as_uri()).stdout.decode("utf-8")


@pytest.fixture
def marks(laid_out: str, elements) -> Callable[[str], list[tuple[dict[str, str], Box]]]:
    """``marks(css_class)``: attributes and laid-out box of each element of that class."""
    tags = elements(laid_out)

    def find(css_class: str) -> list[tuple[dict[str, str], Box]]:
        found = []
        for _, attrs in tags:
            if css_class in attrs.get("class", "").split():
                left, top, width, height = (float(v) for v in attrs["data-box"].split())
                found.append((attrs, (left, top, width, height)))
        return found

    return find


def test_every_chart_is_laid_out_with_a_size(marks):
    charts = marks("chart")
    assert [a["id"] for a, _ in charts] == [
        "burnup-1", "burnup-2", "burnup-3", "gantt", "blockers", "map-1",
    ]  # fmt: skip
    assert all(width > 300 and height > 50 for _, (_, _, width, height) in charts)


def test_charts_are_stacked_down_the_page(marks):
    tops = [box[1] for _, box in marks("chart")]
    assert tops == sorted(tops)


def _wave_spans(marks) -> list[tuple[str, str, float, float]]:
    """(iteration, datacenter, left, right) of each Gantt bar, from its state segments."""
    spans: dict[tuple[str, str], tuple[float, float]] = {}
    segments = marks("segment")
    waves = marks("wave")
    for attrs, (_, top, _, height) in waves:
        inside = [
            box for _, box in segments if box[1] >= top - 0.5 and box[1] + box[3] <= top + height
        ]
        spans[(attrs["data-iteration"], attrs["data-datacenter"])] = (
            min(b[0] for b in inside),
            max(b[0] + b[2] for b in inside),
        )
    return [(it, dc, left, right) for (it, dc), (left, right) in spans.items()]


def test_gantt_bars_move_right_iteration_after_iteration(marks):
    lefts: dict[str, set[float]] = {}
    for iteration, _, left, _ in _wave_spans(marks):
        lefts.setdefault(iteration, set()).add(round(left))
    ordered = [lefts[f"iteration-{n}"] for n in range(1, 7)]
    assert all(len(group) == 1 for group in ordered)
    starts = [next(iter(group)) for group in ordered]
    assert starts == sorted(starts)
    assert len(set(starts)) == 6


def test_gantt_bars_of_equal_iterations_have_equal_widths(marks):
    widths = {round(right - left) for _, _, left, right in _wave_spans(marks)}
    assert len(widths) == 1
    assert widths.pop() > 10


def test_every_wave_of_a_datacenter_ends_left_of_its_lease_end(marks):
    lease = {
        a["data-datacenter"]: box[0] for a, box in marks("lease-end") if "data-datacenter" in a
    }
    assert sorted(lease) == ["ams1", "dub2", "fra3"]
    assert all(right <= lease[dc] + 0.5 for _, dc, _, right in _wave_spans(marks))


def test_burnup_points_climb_and_the_last_sits_on_today(marks):
    (chart, chart_box), *_ = marks("burnup")
    points = [
        (box[0] + box[2] / 2, box[1] + box[3] / 2)
        for _, box in marks("actual-point")
        if chart_box[1] <= box[1] <= chart_box[1] + chart_box[3]
    ]
    today = [
        box[0] for _, box in marks("today") if chart_box[1] <= box[1] <= chart_box[1] + chart_box[3]
    ]
    assert (chart["data-datacenter"], len(points)) == ("ams1", 4)
    ys = [y for _, y in points]
    assert ys == sorted(ys, reverse=True)  # screen y falls as migrated assets rise
    assert ys[0] > ys[-1]
    assert abs(points[-1][0] - today[0]) < 2


def test_dependents_sit_right_of_what_they_depend_on(marks):
    nodes = {a["data-node"]: box for a, box in marks("node")}
    edges = [a for a, _ in marks("edge")]
    assert (len(nodes), len(edges)) == (10, 5)
    for edge in edges:
        source, target = nodes[edge["data-source"]], nodes[edge["data-target"]]
        assert source[0] > target[0] + target[2]


def test_blocker_bars_are_as_long_as_their_counts(marks):
    bars = [box[2] for _, box in marks("bar")]
    assert len(bars) == 3
    assert bars[0] == pytest.approx(2 * bars[1], abs=1.0)
    assert bars[1] == pytest.approx(bars[2], abs=0.5)


def _png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and the rows (RGB bytes) of an 8-bit RGB or RGBA non-interlaced PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    offset, chunks, header = 8, [], b""
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            chunks.append(body)
        offset += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    assert (depth, header[12]) == (8, 0)
    channels = {2: 3, 6: 4}[colour]
    raw = zlib.decompress(b"".join(chunks))
    stride = width * channels
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        if kind == 2:  # most rows: a fast path for "up"
            line = bytearray([(a + b) & 0xFF for a, b in zip(line, previous, strict=True)])
        elif kind:
            for x in range(stride):
                left = line[x - channels] if x >= channels else 0
                up = previous[x]
                if kind == 1:
                    line[x] = (line[x] + left) & 0xFF
                elif kind == 3:
                    line[x] = (line[x] + (left + up) // 2) & 0xFF
                else:
                    corner = previous[x - channels] if x >= channels else 0
                    p = left + up - corner
                    pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                    pred = left if pa <= pb and pa <= pc else (up if pb <= pc else corner)
                    line[x] = (line[x] + pred) & 0xFF
        rows.append(b"".join(bytes(line[i : i + 3]) for i in range(0, stride, channels)))
        previous = line
    return width, height, rows


def test_the_screenshot_shows_the_charts_in_colour(report_path, tmp_path):
    shot = tmp_path / "report.png"
    _run_chromium(tmp_path / "profile", f"--screenshot={shot}", report_path.as_uri())
    width, height, rows = _png_pixels(shot.read_bytes())
    colours = {row[i : i + 3] for row in rows[::4] for i in range(0, len(row), 12)}
    assert (width, height) == (1280, 2400)
    assert {bytes.fromhex("2e7d32"), bytes.fromhex("c62828")} <= colours  # migrated, blocked
    assert len(colours) > 50
