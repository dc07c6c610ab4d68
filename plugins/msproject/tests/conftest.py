"""Fixtures of the msproject plugin's tests: the format, a written sample, the MSPDI corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

from mbf.domain import Backlog
from mbf.plugin import Context, TrackerFormat
from mbf_msproject.format import mspdi_format

MSPDI_CORPUS = Path(__file__).resolve().parents[3] / ".." / "shared" / "corpus" / "mspdi"
"""MSPDI files saved by Microsoft Project 2002-2019 (read in place, never copied)."""


@pytest.fixture
def mspdi_corpus() -> Path:
    """The folder of MSPDI files saved by Microsoft Project."""
    return MSPDI_CORPUS


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
