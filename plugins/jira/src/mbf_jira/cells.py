"""Cell values of Jira CSV files: formula neutralisation, dates in Jira's formats, estimates."""

from __future__ import annotations

import datetime as dt

from mbf.tabular import FORMULA_STARTS, neutralise, restore

__all__ = ["DATE_FORMAT", "FORMULA_STARTS", "format_date", "neutralise", "parse_date", "restore"]

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
