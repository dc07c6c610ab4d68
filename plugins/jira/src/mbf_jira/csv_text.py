"""A Jira CSV file's text split into columns: the cells ``csv.reader`` (default dialect,
``strict=True``) reads from it, for a file whose rows are all as wide as its header.

Jira and mbf quote a cell only when it holds a comma, a quote or a line break, and end every
row with CRLF. Most lines then hold no quote at all: the text is split at its commas in one
call in C, with a marker cell at the end of each line, and the columns are slices of that list
(the markers prove every line has as many cells as the header). The few lines with quotes
(descriptions, mostly) are blanked out of that text and read by the csv module. Any text where
that could read differently from the csv module reading the whole file (a line break inside
quotes, a lone CR or LF, a very long line, mostly quoted lines…) is read by the csv module as
a whole.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from operator import methodcaller

__all__ = ["csv_columns"]

_CRLF = "\r\n"
_MARKER = "\0"
"""Put at the end of each line before splitting; a text holding it is not split this way.
(A one-character string: every marker cell is the same object.)"""
_ENDS_WITH_BREAK = methodcaller("endswith", ("\r", "\n"))
_BLOCK = 1 << 18
"""Characters of lines split at a time: each block and its cells stay in the processor caches
and reuse the same memory (68 MB of lines: 0.94 s split at once, 0.77 s in such blocks)."""


def csv_columns(text: str) -> tuple[list[str], list[Sequence[str]]] | None:
    """The header and the cells of each column of ``text`` (``columns[j][i]``: row ``i + 2``'s
    cell in column ``j``), exactly as ``csv.reader(io.StringIO(text, newline=""), strict=True)``
    reads them; ``None`` when the text is empty, the csv module refuses it, or a row is not as
    wide as the header (the caller's row by row reading then says what is wrong)."""
    if not text:
        return None
    split = _split(text)
    if split is not None:
        return split
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error:
        return None
    if not rows:
        return None
    header = rows[0]
    width = len(header)
    if any(len(row) != width for row in rows):
        return None
    return header, _transposed(rows[1:], width)


def _transposed(rows: Sequence[Sequence[str]], width: int) -> list[Sequence[str]]:
    if not rows:
        return [()] * width
    return list(zip(*rows, strict=True))


def _split(text: str) -> tuple[list[str], list[Sequence[str]]] | None:
    """:func:`csv_columns` for a text of CRLF lines that each hold one whole row, most without
    quotes; ``None`` for any other text (and for one whose rows are not as wide as the header)."""
    if not text.endswith(_CRLF) or _MARKER in text or _long_line(text):
        return None
    header_end = text.find(_CRLF)
    header_rows = _rows_of_lines([text[:header_end]])
    if header_rows is None:
        return None
    header = header_rows[0]
    width = len(header)
    if width < 2:
        return None  # a blank line would be a row as wide as the header
    body_start = header_end + 2
    if body_start == len(text):
        return header, [()] * width
    quoted = _quoted_lines(text, body_start)
    if quoted is None:
        return None
    numbers, spans = quoted
    # The text without its quoted lines (each left as a line of empty cells), every line break
    # a marker cell.
    pieces: list[str] = []
    blank_line = "," * (width - 1)
    position = body_start
    for start, end in spans:
        pieces += (text[position:start], blank_line)
        position = end
    pieces.append(text[position:-2])
    joined = "".join(pieces)
    del pieces
    if not joined or joined.endswith(_CRLF):
        return None  # the last line is blank
    columns: list[list[str]] = [[] for _ in range(width)]
    at = 0
    while at < len(joined):
        end = joined.find(_CRLF, at + _BLOCK)
        if end < 0:
            end = len(joined)
        if not _split_block(joined[at:end], columns):
            return None
        at = end + 2
    if numbers:
        quoted_rows = _rows_of_lines([text[start:end] for start, end in spans])
        if quoted_rows is None or any(len(row) != width for row in quoted_rows):
            return None
        for column, values in zip(columns, zip(*quoted_rows, strict=True), strict=True):
            for _ in map(column.__setitem__, numbers, values):  # the assignments, in C
                pass
    return header, list(columns)


def _split_block(lines: str, columns: list[list[str]]) -> bool:
    """Add the cells of ``lines`` (whole lines, CRLF between them, none holding a quote) to
    ``columns``; ``False`` when a line is not as wide as the header or holds a lone CR or LF."""
    plain = lines.replace(_CRLF, "," + _MARKER + ",")
    if "\r" in plain or "\n" in plain:  # a lone CR or LF ends a row for the csv module
        return False
    cells = plain.split(",")
    width = len(columns)
    stride = width + 1
    rows, rest = divmod(len(cells) + 1, stride)
    # Every line as wide as the header: as many markers as line breaks (each made the text one
    # character longer), all in their place.
    breaks = len(plain) - len(lines)
    if rest or breaks != rows - 1 or cells[width::stride].count(_MARKER) != breaks:
        return False
    for j, column in enumerate(columns):
        column.extend(cells[j::stride])
    return True


def _long_line(text: str) -> bool:
    """Whether ``text`` may hold a line longer than the csv module's cell size limit (half the
    limit without a line break is enough to send the text to the csv module)."""
    window = csv.field_size_limit() // 2
    if len(text) <= window:
        return False
    return any(
        text.find(_CRLF, at, at + window) < 0 for at in range(0, len(text) - window + 1, window)
    )


def _quoted_lines(text: str, body_start: int) -> tuple[list[int], list[tuple[int, int]]] | None:
    """The row numbers (from 0, the line after the header) and ``(start, end)`` of the lines
    of ``text`` from ``body_start`` that hold a quote; ``None`` when they are more than a
    quarter of the lines in the first quarter of the text or beyond (then the csv module reads
    the whole text as fast)."""
    quarter = body_start + (len(text) - body_start) // 4
    numbers: list[int] = []
    spans: list[tuple[int, int]] = []
    line = 0
    line_start = body_start
    at = text.find('"', body_start)
    while at >= 0:
        start = text.rfind(_CRLF, line_start, at)
        start = line_start if start < 0 else start + 2
        line += text.count(_CRLF, line_start, start)
        end = text.find(_CRLF, at)
        numbers.append(line)
        spans.append((start, end))
        if end > quarter and len(spans) > 1_000 and 4 * len(spans) > line:
            return None
        line += 1
        line_start = end + 2
        at = text.find('"', line_start)
    return numbers, spans


def _rows_of_lines(lines: Sequence[str]) -> list[list[str]] | None:
    """The row of each of ``lines`` as the csv module reads it; ``None`` when a line is not one
    whole row (a quoted line break joins two lines into one row; a line ending with CR or LF
    would be followed by an empty row) or the csv module refuses it."""
    if any(map(_ENDS_WITH_BREAK, lines)):
        return None
    try:
        rows = list(csv.reader(lines, strict=True))
    except csv.Error:
        return None
    return rows if len(rows) == len(lines) else None
