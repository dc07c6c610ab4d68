"""Every installed format to every other, through mbf convert: what both formats declare survives."""

from itertools import product
from pathlib import Path

import pytest

from mbf.domain import Backlog
from mbf.engine.convert import convert, read_backlog_file
from mbf.plugin import Context, TrackerFormat
from mbf.plugin.manager import MbfPluginManager
from mbf.serialization import write_backlog
from mbf.testing.samples import make_sample_backlog
from mbf.testing.suites import project_backlog


def _installed() -> MbfPluginManager:
    return MbfPluginManager().load()


def _round_trip_formats() -> list[TrackerFormat]:
    return [f for f in _installed().tracker_formats if f.read is not None and f.write is not None]


def _file_name(tracker_format: TrackerFormat, stem: str) -> str:
    pattern = tracker_format.default_filenames[0] if tracker_format.default_filenames else "*.out"
    return pattern.replace("*", stem)


PAIRS = [
    pytest.param(a.name, b.name, id=f"{a.name}->{b.name}")
    for a, b in product(_round_trip_formats(), repeat=2)
    if a.name != b.name and "mbf-json" not in (a.name, b.name)
]


def test_the_matrix_covers_the_tracker_formats() -> None:
    names = {f.name for f in _round_trip_formats()}
    assert "mbf-json" in names
    assert len(PAIRS) == (len(names) - 1) * (len(names) - 2)


@pytest.mark.parametrize(("first", "second"), PAIRS)
def test_convert_keeps_what_both_formats_hold(first: str, second: str, tmp_path: Path) -> None:
    manager = _installed()
    formats = manager.tracker_formats
    sample: Backlog = make_sample_backlog()
    native = tmp_path / "start.json"
    write_backlog(sample, native)
    a = tmp_path / _file_name(formats.get(first), "a")
    b = tmp_path / _file_name(formats.get(second), "b")
    convert(manager, native, a, to_format=first)
    report = convert(manager, a, b, from_format=first, to_format=second)
    back, _ = read_backlog_file(manager, b, second, Context())
    kept = formats.get(first).capabilities & formats.get(second).capabilities
    kinds = formats.get(first).kinds & formats.get(second).kinds
    assert report.items == sum(1 for item in sample.items if item.kind in formats.get(first).kinds)
    assert (
        differences(project_backlog(sample, kept, kinds), project_backlog(back, kept, kinds)) == []
    )


def differences(expected: dict, actual: dict) -> list[str]:
    """Readable (item, field) differences between two projected backlogs."""
    found = []
    for part in sorted(set(expected) | set(actual)):
        want, got = expected.get(part, []), actual.get(part, [])
        if len(want) != len(got):
            found.append(f"{part}: {len(want)} expected, {len(got)} read back")
            continue
        for index, (w, g) in enumerate(zip(want, got, strict=True)):
            if isinstance(w, dict):
                found += [
                    f"{part}[{index}] {w.get('id', '')} {k}: {w[k]!r} != {g.get(k)!r}"
                    for k in w
                    if w[k] != g.get(k)
                ]
            elif w != g:
                found.append(f"{part}[{index}]: {w!r} != {g!r}")
    return found
