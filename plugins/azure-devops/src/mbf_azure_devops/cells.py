"""Cell values of Boards CSV files: formula neutralisation, numbers, dates."""

from __future__ import annotations

import datetime as dt

from mbf.tabular import neutralise, restore

__all__ = ["format_number", "neutralise", "parse_date", "restore"]


def format_number(value: float) -> str:
    """Shortest exact text of ``value``: ``24`` rather than ``24.0``, ``1.5`` kept."""
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


_US_FORMATS = ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %I:%M %p", "%m/%d/%Y %H:%M", "%m/%d/%Y")


def parse_date(text: str) -> dt.date:
    """The date of an ISO date or date-time, or of the ``M/d/yyyy h:mm:ss tt`` Boards exports show.

    Only the calendar day is kept: Boards shows date-times in the exporting user's time zone, and
    the day they saw is the day they meant. Raises ``ValueError`` for anything else.
    """
    text = text.strip()
    if len(text) >= 10 and text[4] == "-":
        return dt.date.fromisoformat(text[:10])
    for pattern in _US_FORMATS:
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(f"not a date: {text!r}")
