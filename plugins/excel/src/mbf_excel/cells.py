"""Turning the values python-calamine reads from cells into domain values, with errors that point
at the sheet, row and column a user has to fix."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from mbf.errors import InputError

__all__ = ["FORMULA_PREFIXES", "SheetPosition", "cell_text", "column_letter", "is_blank"]

FORMULA_PREFIXES = ("=", "+", "-", "@")
"""Text starting with these would turn into a formula if typed into Excel (OWASP CSV injection);
the writers store such text as a string with Excel's quote prefix."""

_EXCEL_EPOCH = dt.date(1899, 12, 30)
"""Day zero of Excel's 1900 date system (serial numbers count days from here)."""


def column_letter(index: int) -> str:
    """Excel column letters of a 0-based column index: 0 is ``A``, 27 is ``AB``."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def is_blank(value: Any) -> bool:
    """Whether a cell holds nothing (calamine gives ``""`` for empty cells)."""
    return value is None or (isinstance(value, str) and not value.strip())


def cell_text(value: Any) -> str:
    """A cell as text, as Excel shows it: ``3`` not ``3.0``, dates in ISO form, blank as ``""``.

    Text keeps its spaces (titles round-trip exactly); whitespace-only text counts as blank.
    """
    if is_blank(value):
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


class SheetPosition:
    """Where cells come from: a file, a sheet and the header of each column; builds errors."""

    def __init__(
        self, path: Path, sheet: str, headers: dict[int, str], first_column: int = 0
    ) -> None:
        self.path = path
        self.sheet = sheet
        self.headers = headers
        self.first_column = first_column

    def error(
        self, message: str, *, row: int | None = None, column: int | None = None
    ) -> InputError:
        """An :class:`InputError` naming the file, sheet, 1-based Excel ``row`` and ``column``."""
        where = None
        if column is not None:
            header = self.headers.get(column, "")
            letter = column_letter(column + self.first_column)
            where = f"{letter} ({header})" if header else letter
        return InputError(message, path=f"{self.path}, sheet {self.sheet!r}", row=row, column=where)

    def text(self, value: Any) -> str:
        """See :func:`cell_text`."""
        return cell_text(value)

    def optional_date(self, value: Any, *, row: int, column: int) -> dt.date | None:
        """A date cell, an ISO date typed as text, or an Excel serial number; blank is ``None``."""
        if is_blank(value):
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < 2958466:
            return _EXCEL_EPOCH + dt.timedelta(days=int(value))
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip()[:10])
            except ValueError:
                pass
        raise self.error(f"{value!r} is not a date (use YYYY-MM-DD)", row=row, column=column)

    def optional_number(self, value: Any, *, row: int, column: int) -> float | None:
        """A number cell or a number typed as text; blank is ``None``."""
        if is_blank(value):
            return None
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value.strip().replace(",", "."))
            except ValueError:
                pass
        raise self.error(f"{value!r} is not a number", row=row, column=column)

    def optional_int(self, value: Any, *, row: int, column: int) -> int | None:
        """A whole number; ``2.0`` is accepted, ``2.5`` is an error; blank is ``None``."""
        number = self.optional_number(value, row=row, column=column)
        if number is None:
            return None
        if not number.is_integer():
            raise self.error(f"{value!r} is not a whole number", row=row, column=column)
        return int(number)
