"""Standard test suites a plugin subclasses to prove it keeps mbf's promises.

A format plugin writes::

    class TestMyFormat(TrackerFormatTests):
        @pytest.fixture
        def tracker_format(self):
            return my_format()

and inherits every test below. To opt out of one, override it with
``@pytest.mark.xfail(reason=..., strict=True)`` so the exception is visible and reasoned.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import attrs
import pytest

from mbf.domain import Backlog, WorkItemKind, hierarchy_order, validate_backlog
from mbf.plugin import Context, TrackerFormat
from mbf.serialization import backlog_to_json

__all__ = ["TrackerFormatTests", "project_backlog"]

_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


def project_backlog(
    backlog: Backlog,
    capabilities: frozenset[str],
    kinds: frozenset[WorkItemKind] = frozenset(WorkItemKind),
) -> dict[str, Any]:
    """The part of ``backlog`` a format with ``capabilities`` (holding items of ``kinds``) must
    keep, in a comparable shape: items in hierarchy order, each a dict of only the declared fields.
    """
    items = [
        {
            name: value
            for name, value in attrs.asdict(item, recurse=False).items()
            if name in capabilities
        }
        for item in hierarchy_order(backlog.items)
        if item.kind in kinds
    ]
    projected: dict[str, Any] = {"items": items}
    for field in ("iterations", "releases"):
        if field in capabilities:
            projected[field] = list(getattr(backlog, field))
    return projected


class TrackerFormatTests:
    """Checks every tracker format must pass; override ``tracker_format`` (and maybe ``backlog``)."""

    @pytest.fixture
    def tracker_format(self) -> TrackerFormat:
        """The format under test; subclasses must override this fixture."""
        raise NotImplementedError("override the tracker_format fixture")

    @pytest.fixture
    def backlog(self, sample_backlog: Backlog) -> Backlog:
        """The backlog written and read back; override to give a format-specific one."""
        return sample_backlog

    @pytest.fixture
    def file_name(self, tracker_format: TrackerFormat) -> str:
        """A file name this format would be detected from."""
        pattern = (
            tracker_format.default_filenames[0] if tracker_format.default_filenames else "*.out"
        )
        return pattern.replace("*", "backlog")

    @pytest.fixture
    def written(
        self, tracker_format: TrackerFormat, backlog: Backlog, tmp_path: Path, file_name: str
    ) -> Path:
        """The backlog written by the format into an empty directory."""
        if tracker_format.write is None:
            pytest.skip("format cannot write")  # read-only formats have no file of their own
        out = tmp_path / "out"
        out.mkdir()
        path = out / file_name
        tracker_format.write(backlog, path, Context())
        return path

    def test_standard_tests_are_not_silently_overridden(self) -> None:
        """An override of a standard test must carry an xfail mark with a reason."""
        silent = []
        for name, standard in vars(TrackerFormatTests).items():
            override = getattr(type(self), name, None)
            if not name.startswith("test_") or override is None or override is standard:
                continue
            marks = getattr(override, "pytestmark", [])
            if not any(m.name == "xfail" and m.kwargs.get("reason") for m in marks):
                silent.append(name)
        assert silent == [], f"override these with @pytest.mark.xfail(reason=...): {silent}"

    def test_name_and_aliases_are_normalised(self, tracker_format: TrackerFormat) -> None:
        assert _NAME.match(tracker_format.name), tracker_format.name
        assert all(_NAME.match(alias) for alias in tracker_format.aliases), tracker_format.aliases
        assert tracker_format.description, "a format needs a one-line description"

    def test_round_trip_keeps_declared_fields(
        self, tracker_format: TrackerFormat, backlog: Backlog, written: Path
    ) -> None:
        if tracker_format.read is None:
            pytest.skip("format cannot read")
        read_back = tracker_format.read(written, Context())
        caps, kinds = tracker_format.capabilities, tracker_format.kinds
        assert project_backlog(read_back, caps, kinds) == project_backlog(backlog, caps, kinds)

    def test_read_back_backlog_is_valid(self, tracker_format: TrackerFormat, written: Path) -> None:
        if tracker_format.read is None:
            pytest.skip("format cannot read")
        backlog = tracker_format.read(written, Context())
        assert validate_backlog(backlog) is backlog

    def test_can_read_accepts_its_own_file(
        self, tracker_format: TrackerFormat, written: Path
    ) -> None:
        if tracker_format.can_read is None:
            pytest.skip("format does not sniff content")
        assert tracker_format.can_read(written) is True

    def test_can_read_refuses_other_files(
        self, tracker_format: TrackerFormat, tmp_path: Path, backlog: Backlog
    ) -> None:
        if tracker_format.can_read is None:
            pytest.skip("format does not sniff content")
        others = {
            "notes.txt": b"Meeting notes\nnothing to see here\n",
            "people.csv": b"name,email\nDana,dana@contoso.com\n",
            "empty.bin": b"",
            "random.bin": bytes(range(256)) * 4,
        }
        if tracker_format.name != "mbf-json":
            others["backlog.json"] = backlog_to_json(backlog)
        for name, content in others.items():
            path = tmp_path / name
            path.write_bytes(content)
            assert tracker_format.can_read(path) is False, name

    def test_write_does_not_change_its_input(
        self, tracker_format: TrackerFormat, backlog: Backlog, tmp_path: Path, file_name: str
    ) -> None:
        if tracker_format.write is None:
            pytest.skip("format cannot write")
        before = copy.deepcopy(backlog)
        tracker_format.write(backlog, tmp_path / file_name, Context())
        assert backlog == before

    def test_write_creates_files_only_beside_the_target(
        self, tracker_format: TrackerFormat, written: Path
    ) -> None:
        stem = written.name.split(".", 1)[0]
        produced = sorted(p.name for p in written.parent.iterdir())
        assert written.name in produced
        assert all(name.startswith(stem) for name in produced), produced

    def test_writing_twice_gives_the_same_bytes(
        self, tracker_format: TrackerFormat, backlog: Backlog, written: Path, tmp_path: Path
    ) -> None:
        again = tmp_path / "again" / written.name
        again.parent.mkdir()
        assert tracker_format.write is not None
        tracker_format.write(backlog, again, Context())
        assert again.read_bytes() == written.read_bytes()
