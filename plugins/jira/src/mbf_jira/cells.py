"""Cell values of Jira CSV files: formula neutralisation, dates in Jira's formats, estimates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from mbf.tabular import FORMULA_STARTS, neutralise, restore

__all__ = [
    "DATE_FORMAT",
    "FORMULA_STARTS",
    "csv_cell",
    "csv_lines",
    "format_date",
    "neutralise",
    "parse_date",
    "restore",
]

DATE_FORMAT = "dd/MMM/yy h:mm a"
"""The date format mbf's files use: the Jira importer's default (Java ``SimpleDateFormat``).

Years are written with four digits, which that pattern reads literally."""

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_NUMBERS = {name.casefold(): number for number, name in enumerate(_MONTHS, start=1)}


def format_date(day: dt.date) -> str:
    """``day`` in :data:`DATE_FORMAT` with English month names: ``04/Jan/2027 12:00 AM``."""
    return f"{day.day:02d}/{_MONTHS[day.month - 1]}/{day.year:04d} 12:00 AM"


def _year(text: str) -> int:
    year = int(text)
    if len(text) <= 2:  # Jira's own two-digit years are this century for any migration project
        year += 2000 if year < 70 else 1900
    return year


def parse_date(text: str) -> dt.date:
    """The day of a Jira date in any format exports use; the time of day is dropped.

    Accepts ``28/Nov/25 5:03 PM``, ``11/May/24 03:26 PM``, ``04/Jan/2027 12:00 AM``,
    ``6/21/2025 16:14`` (month first, unless the first number cannot be a month),
    ``21.06.2025 16:14``, ``2025-06-21`` and ISO date-times. Raises ``ValueError`` otherwise.
    """
    day_part = text.strip().split(" ", 1)[0]
    if len(day_part) >= 10 and day_part[4] == "-":
        return dt.date.fromisoformat(day_part[:10])
    pieces = day_part.split("/")
    if len(pieces) == 3:
        first, middle, last = pieces
        month = _MONTH_NUMBERS.get(middle[:3].casefold()) if middle.isalpha() else None
        if month is not None:
            return dt.date(_year(last), month, int(first))
        if first.isdigit() and middle.isdigit() and last.isdigit():
            month_number, day_number = int(first), int(middle)
            if month_number > 12:
                month_number, day_number = day_number, month_number
            return dt.date(_year(last), month_number, day_number)
    pieces = day_part.split(".")
    if len(pieces) == 3 and all(p.isdigit() for p in pieces):
        return dt.date(_year(pieces[2]), int(pieces[1]), int(pieces[0]))
    raise ValueError(f"not a date: {text!r}")


def csv_cell(value: Any) -> str:
    """``value`` as ``csv.writer`` (default dialect) writes it among the other cells of a row: as
    it is, or quoted with its quotes doubled when it holds a comma, a quote or a line break;
    ``None`` is the empty cell and any other object its ``str``."""
    text: str = value if isinstance(value, str) else "" if value is None else str(value)
    # (a str subclass is written as its text, as csv.writer does)
    if '"' in text:
        return '"' + text.replace('"', '""') + '"'
    if "," in text or "\n" in text or "\r" in text:
        return '"' + text + '"'
    return text


class _CsvCells(dict[str, str]):
    """Cell -> its CSV text; a column's repeated words are quoted once."""

    def __missing__(self, value: str) -> str:
        cell = self[value] = csv_cell(value)
        return cell


def csv_lines(columns: Sequence[Sequence[Any]]) -> str:
    """The CSV lines, each ending ``\\r\\n``, of the rows whose cells ``columns`` hold column by
    column (every column as long), byte for byte what ``csv.writer`` writes row by row with the
    default dialect: for at least two columns, whose rows never are the lone empty cell it
    quotes.

    A column of plain text (no comma, quote or line break in any cell, the usual case) is joined
    as it is, so hundreds of thousands of rows take a few calls in C rather than a ``writerow``
    each.
    """
    if len(columns) < 2:
        raise ValueError("csv_lines writes rows of two or more cells")
    if not columns[0]:
        return ""
    texts: list[Sequence[str]] = []
    for cells in columns:
        try:
            joined = "".join(cells)
        except TypeError:  # a cell that is not text: csv.writer writes its str()
            texts.append(list(map(csv_cell, cells)))
            continue
        if "," in joined or '"' in joined or "\n" in joined or "\r" in joined:
            texts.append(list(map(_CsvCells().__getitem__, cells)))
        else:
            texts.append(cells)
    return "\r\n".join(map(",".join, zip(*texts, strict=True))) + "\r\n"
