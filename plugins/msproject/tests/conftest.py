"""Fixtures of the msproject plugin's tests: the format, the MSPDI corpus, an XML reader."""

from __future__ import annotations

from pathlib import Path

import pytest

from mbf.domain import Backlog
from mbf.plugin import Context, TrackerFormat
from mbf_msproject.format import mspdi_format

MSPDI_CORPUS = Path(__file__).resolve().parents[3] / ".." / "shared" / "corpus" / "mspdi"
"""MSPDI files saved by Microsoft Project 2002-2019 (read in place, never copied)."""

NS = "{http://schemas.microsoft.com/project}"


@pytest.fixture
def mspdi() -> TrackerFormat:
    """The ``mspdi`` format."""
    return mspdi_format()


@pytest.fixture
def written_sample(mspdi: TrackerFormat, sample_backlog: Backlog, tmp_path: Path) -> Path:
    """The sample backlog written as MSPDI."""
    path = tmp_path / "plan.xml"
    assert mspdi.write is not None
    mspdi.write(sample_backlog, path, Context())
    return path


def read(fmt: TrackerFormat, path: Path, context: Context | None = None) -> Backlog:
    """Read ``path`` with ``fmt`` (asserting it can read)."""
    assert fmt.read is not None
    return fmt.read(path, context or Context())


def write(fmt: TrackerFormat, backlog: Backlog, path: Path, context: Context | None = None) -> Path:
    """Write ``backlog`` to ``path`` with ``fmt`` (asserting it can write)."""
    assert fmt.write is not None
    fmt.write(backlog, path, context or Context())
    return path
