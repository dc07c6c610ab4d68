"""Reading spreadsheet exports (xlsx, xls, ods) with python-calamine into :class:`mbf.tabular.Table`.

Shared by the discovery sources so that every workbook export is opened, sniffed and reported on
the same way; python-calamine is imported only when a workbook is actually read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mbf.errors import InputError
from mbf.tabular import Table

__all__ = ["Workbook", "sheet_names"]


class Workbook:
    """An open xlsx (or xls/ods) workbook whose sheets are read on demand."""

    def __init__(self, path: Path) -> None:
        from python_calamine import CalamineWorkbook

        if not path.is_file():
            raise InputError("no such file", path=path)
        if path.stat().st_size == 0:
            raise InputError("the file is empty; expected an xlsx workbook", path=path)
        try:
            self._book: Any = CalamineWorkbook.from_path(str(path))
        except Exception as exc:  # calamine reports corrupt zips and XML with several types
            raise InputError(f"not a readable xlsx workbook ({exc})", path=path) from None
        self.path = path
        self.sheet_names: list[str] = list(self._book.sheet_names)

    def find_sheet(self, *names: str) -> str | None:
        """The workbook's name of the first of ``names`` it has (case-insensitive), else ``None``."""
        present = {n.strip().lower(): n for n in self.sheet_names}
        return next((present[n.lower()] for n in names if n.lower() in present), None)

    def table(self, sheet: str) -> Table:
        """The sheet as a table: its first non-blank row is the header."""
        try:
            rows = self._book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        except Exception as exc:  # a damaged sheet part
            raise InputError(f"cannot read sheet {sheet!r} ({exc})", path=self.path) from None
        for index, row in enumerate(rows):
            if any(cell not in ("", None) for cell in row):
                header = tuple(str(cell).strip() for cell in row)
                return Table(
                    path=self.path,
                    header=header,
                    rows=rows[index + 1 :],
                    sheet=sheet,
                    header_row=index + 1,
                )
        raise InputError(f"sheet {sheet!r} is empty; expected a header row", path=self.path)


def sheet_names(path: Path) -> list[str]:
    """The sheet names of a workbook, or ``[]`` when it is not one (for cheap detection)."""
    try:
        from python_calamine import CalamineWorkbook

        return list(CalamineWorkbook.from_path(str(path)).sheet_names)
    except Exception:  # detection must never raise
        return []
