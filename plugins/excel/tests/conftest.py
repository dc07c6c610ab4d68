"""Fixtures of the Excel plugin's tests: the formats, a written workbook, the MEG corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

from mbf.domain import Backlog
from mbf.plugin import Context, TrackerFormat
from mbf_excel.formats import meg_format, xlsx_format

MEG_CORPUS = Path(__file__).resolve().parents[3] / ".." / "shared" / "corpus" / "meg"
"""The real Migration Execution Guide workbooks (read in place, never copied)."""


@pytest.fixture
def xlsx() -> TrackerFormat:
    """The ``xlsx`` backlog-workbook format."""
    return xlsx_format()


@pytest.fixture
def meg() -> TrackerFormat:
    """The ``meg`` Migration Execution Guide format."""
    return meg_format()


@pytest.fixture
def workbook_path(xlsx: TrackerFormat, sample_backlog: Backlog, tmp_path: Path) -> Path:
    """The sample backlog written as a backlog workbook."""
    path = tmp_path / "backlog.xlsx"
    assert xlsx.write is not None
    xlsx.write(sample_backlog, path, Context())
    return path


@pytest.fixture(scope="session")
def meg_framework() -> Path:
    """``MEG v0.97 - Framework.xlsx`` from the shared corpus."""
    return MEG_CORPUS / "MEG v0.97 - Framework.xlsx"
