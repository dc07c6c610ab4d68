"""Turning domain values into MSPDI text and back: durations, dates, lists, JSON, working days."""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Iterable
from typing import Any

from mbf_msproject.schema import HOURS_PER_DAY

__all__ = [
    "decode_list",
    "dump_json",
    "encode_list",
    "first_escape",
    "format_duration",
    "parse_duration_hours",
    "working_days",
    "xml_text",
]

# xsd:duration as Project writes it (PT8H0M0S, -PT4H30M0S); days are elapsed 24 h.
_DURATION = re.compile(
    r"^(-)?P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$"
)
# Characters XML 1.0 cannot carry at all; they are dropped from written text.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_NEEDS_ESCAPE = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

_LIST_SEPARATOR = "; "


def parse_duration_hours(text: str) -> float:
    """Hours in an MSPDI duration such as ``PT8H0M0S``; raise ``ValueError`` if malformed."""
    match = _DURATION.match(text.strip())
    if match is None or text.strip() in ("P", "PT", "-P", "-PT"):
        raise ValueError(f"not a duration: {text!r}")
    sign, days, hours, minutes, seconds = match.groups()
    total = (
        float(days or 0) * 24
        + float(hours or 0)
        + float(minutes or 0) / 60
        + float(seconds or 0) / 3600
    )
    return -total if sign else total


@functools.lru_cache(maxsize=4096)  # plans repeat a handful of durations thousands of times
def format_duration(hours: float) -> str:
    """``PTnHnMnS`` for ``hours``, to the second, as Project writes it."""
    seconds = round(abs(hours) * 3600)
    text = f"PT{seconds // 3600}H{seconds % 3600 // 60}M{seconds % 60}S"
    return "-" + text if hours < 0 and seconds else text


def working_days(start: dt.date, finish: dt.date) -> int:
    """Monday-Friday days from ``start`` to ``finish``, both included; 0 if finish is earlier."""
    if finish < start:
        return 0
    span = (finish - start).days + 1
    weeks, rest = divmod(span, 7)
    days = weeks * 5
    weekday = start.weekday()
    for offset in range(rest):
        if (weekday + offset) % 7 < 5:
            days += 1
    return days


def duration_hours(start: dt.date, finish: dt.date) -> float:
    """Working hours between two dates on the standard calendar."""
    return float(working_days(start, finish) * HOURS_PER_DAY)


first_escape = _NEEDS_ESCAPE.search
"""``first_escape(value)``: where ``value`` first holds a character :func:`xml_text` would change
(a match), else ``None``; a bound method, so the writer's check per value costs no Python call."""


def xml_text(value: str) -> str:
    """``value`` escaped for element text; characters XML cannot hold are dropped."""
    if _NEEDS_ESCAPE.search(value) is None:
        return value
    value = _NOT_XML.sub("", value)
    return (
        value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    )


def has_invalid_xml(value: str) -> bool:
    """Whether ``value`` holds characters XML 1.0 cannot carry (they would be dropped)."""
    return _NOT_XML.search(value) is not None


def encode_list(values: Iterable[str]) -> str:
    """Join tags or ids with ``"; "`` (readable in Project); JSON when that would be ambiguous."""
    values = list(values)
    for value in values:
        if not value or value != value.strip() or ";" in value or value[0] == "[":
            return dump_json(values)
    return _LIST_SEPARATOR.join(values)


def decode_list(text: str) -> tuple[str, ...]:
    """Inverse of :func:`encode_list`; a plain ``a; b`` typed in Project also reads."""
    if ";" not in text and not text.startswith("[") and text == text.strip():
        return (text,) if text else ()
    if text.startswith("["):
        try:
            loaded = json.loads(text)
        except ValueError:
            loaded = None
        if isinstance(loaded, list) and all(isinstance(v, str) for v in loaded):
            return tuple(loaded)
    return tuple(part.strip() for part in text.split(";") if part.strip())


def dump_json(value: Any) -> str:
    """Compact, key-sorted JSON: the same value always gives the same text."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
