"""Fixtures: small xlsx workbooks written by the test, in the exact shapes of real exports."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

WriteWorkbook = Callable[[Path, Mapping[str, Sequence[Sequence[Any]]]], Path]


@pytest.fixture
def write_workbook() -> WriteWorkbook:
    """``write_workbook(path, {"vInfo": [header, row, ...]})`` writes an xlsx with xlsxwriter."""

    def write(path: Path, sheets: Mapping[str, Sequence[Sequence[Any]]]) -> Path:
        import xlsxwriter

        book = xlsxwriter.Workbook(str(path))
        for name, rows in sheets.items():
            sheet = book.add_worksheet(name)
            for index, row in enumerate(rows):
                sheet.write_row(index, 0, row)
        book.close()
        return path

    return write
