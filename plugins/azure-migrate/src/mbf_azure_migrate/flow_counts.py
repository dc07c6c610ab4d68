"""Counting how often each flow occurs in a dependency export, the hot loop of reading one.

A 50,000-server estate exports about a million rows: one per connection and 6-hour slot (or
day). Rows of one flow differ only in their first column, the time slot, which is not part of
the flow. So where the file allows it, each line is counted without its first cell, as bytes,
and only the distinct remainders (a fifth of the rows) are parsed as CSV. The file allows it
when its lines are whole rows and its first cells end at the first separator:

- in UTF-8 or Windows-1252 as it is, since no byte of another character is a separator, a
  quote or a line end there, so a remainder decodes as it would within its line; in any other
  encoding (UTF-16) decoded as the csv module decodes it, and its lines encoded in UTF-8;
- no carriage return but before a line feed;
- where a line holds a quote (PowerShell's ``Export-Csv`` quotes every cell, other tools the
  cells that hold a separator): each distinct first cell holding one is read by the csv module
  as a cell that ends at the first separator, and the distinct remainders are read by the csv
  module, strictly, one row each. A quoted cell that spans lines leaves a remainder that ends
  inside quotes: the csv module then reads fewer rows than remainders, or stops at its end.

Any other file, and any surprise, is counted row by row with the csv module, which also reports
what is wrong with a bad file.
"""

from __future__ import annotations

import codecs
import collections
import contextlib
import csv
import itertools
import operator
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Protocol, TextIO

from mbf.tabular import Table

__all__ = ["count_flows"]

_SEPARATORS = (",", ";", "\t", "|")
"""The separators mbf.tabular detects."""
_CHUNK_BYTES = 1 << 20
"""About how much of the file is checked and counted at a time."""
_BYTEWISE_ENCODINGS = frozenset({"utf-8", "utf-8-sig", "cp1252", "iso8859-1"})
"""Codecs (:func:`codecs.lookup` names) in which no byte of a non-ASCII character is ASCII: a
file in one is counted in its own bytes."""


def count_flows(table: Table, positions: Sequence[int]) -> dict[tuple[str, ...], int]:
    """How often each tuple of the cells at ``positions`` occurs in ``table``'s rows.

    A row shorter than the header has blank cells where it ends. Blank lines are not rows.
    """
    plain = _count_plain_lines(table, positions)
    if plain is not None:
        return plain
    getter = operator.itemgetter(*positions)
    with table.bulk_rows() as rows:
        try:
            return Counter(map(getter, rows))
        except IndexError:
            pass  # a row shorter than the header: count again, padding each row
    width = max(positions) + 1
    counts: Counter[tuple[str, ...]] = Counter()
    for _number, row in table.numbered_rows():
        padded = row if len(row) >= width else [*row, *([""] * (width - len(row)))]
        counts[getter(padded)] += 1
    return counts


def _count_plain_lines(table: Table, positions: Sequence[int]) -> dict[tuple[str, ...], int] | None:
    """The counts, from each line's text after its first cell; ``None`` unless the file allows it
    (see the module docstring) and its first column is not counted.

    The file is read in chunks of whole lines, so only the distinct remainders sit in memory.
    """
    if table.sheet is not None or 0 in positions or len(positions) < 2:
        return None
    try:
        with _byte_lines(table) as (stream, encoding):
            before = [stream.readline() for _ in range(table.header_row)]  # as mbf.tabular did
            if not all(map(_lines_end_alike, before)):
                return None
            separator = _separator(before[-1].decode(encoding), table.header)
            if separator is None:
                return None
            rests: Counter[bytes] = Counter()
            firsts: set[bytes] = set()  # the first cells of the chunks that hold a quote
            cut = itertools.repeat(separator.encode())
            carriage_returns = 0
            while lines := stream.readlines(_CHUNK_BYTES):
                text = b"".join(lines)
                carriage_returns += text.count(b"\r")
                if b'"' in text:
                    parts = list(map(bytes.partition, lines, cut))
                    firsts.update(map(_first, parts))
                    rests.update(map(_third, parts))
                else:
                    rests.update(map(_third, map(bytes.partition, lines, cut)))
    except (OSError, LookupError, ValueError):  # unreadable, or not in its encoding after all
        return None
    if b"" in rests:
        return None  # a line without a separator: blank, or a row of one cell
    # Every carriage return must end a line (Windows line ends): as many as lines that end in
    # one, counted on the distinct remainders (each line ends in its remainder) rather than by
    # searching the whole file for the pair.
    windows_ends = map(bytes.endswith, rests, itertools.repeat(b"\r\n"))
    if carriage_returns != sum(map(operator.mul, windows_ends, rests.values())):
        return None
    try:
        if not all(
            _ends_at_separator(first.decode(encoding), separator)
            for first in firsts
            if b'"' in first
        ):
            return None
    except ValueError:  # a byte the encoding does not know: the csv module's error
        return None
    cells = operator.itemgetter(*(p - 1 for p in positions))
    long_lines = max(map(len, rests), default=0) > csv.field_size_limit()
    try:
        # A file without quotes is split as it is counted, a remainder at a time; the others'
        # remainders are read once, into a list.
        read = (
            _read_by_csv(rests, separator, cells, encoding=encoding, everyone=long_lines)
            if firsts or long_lines
            else None
        )

        def keys() -> Iterator[tuple[str, ...]]:
            if read is not None:
                return iter(read)
            return map(cells, _split(rests, separator, encoding))

        counts = dict(zip(keys(), rests.values(), strict=True))
        if len(counts) < len(rests):  # remainders that differ outside the key: add them up
            counts = {}
            for key, repeats in zip(keys(), rests.values(), strict=True):
                counts[key] = counts.get(key, 0) + repeats
    except (csv.Error, IndexError, ValueError):
        # a quote out of place, a field over the limit, a short row, a byte the encoding does
        # not know: the careful way
        return None
    return counts


@contextlib.contextmanager
def _byte_lines(table: Table) -> Iterator[tuple[_LineSource, str]]:
    """The file's lines as bytes, and the codec to decode a part of one in, on its own.

    A file in one of :data:`_BYTEWISE_ENCODINGS` is read as it is, after its BOM (decoded as
    UTF-8 then: a BOM inside a line is a character). A file in any other encoding (UTF-16) is
    decoded as the csv module decodes it and its lines encoded in UTF-8.
    """
    encoding = table.encoding or "utf-8"
    name = codecs.lookup(encoding).name
    if name in _BYTEWISE_ENCODINGS:
        with table.path.open("rb") as stream:
            if stream.read(len(codecs.BOM_UTF8)) != codecs.BOM_UTF8:
                stream.seek(0)
            yield stream, "utf-8" if name == "utf-8-sig" else name
        return
    with table.path.open("r", encoding=encoding, newline="") as text:
        yield _Utf8Lines(text), "utf-8"


class _LineSource(Protocol):
    """What the lines are read from: a binary file, or :class:`_Utf8Lines`."""

    def readline(self) -> bytes: ...

    def readlines(self, hint: int, /) -> list[bytes]: ...


class _Utf8Lines:
    """The lines of a text stream, encoded in UTF-8."""

    def __init__(self, text: TextIO) -> None:
        self._text = text

    def readline(self) -> bytes:
        return self._text.readline().encode()

    def readlines(self, hint: int) -> list[bytes]:
        return list(map(str.encode, self._text.readlines(hint)))


def _split(rests: Iterable[bytes], separator: str, encoding: str) -> Iterator[list[str]]:
    """The cells of remainders without quotes, as the csv module reads them: split at each
    separator, after the line break."""
    texts = map(bytes.decode, rests, itertools.repeat(encoding))
    lines = map(str.rstrip, texts, itertools.repeat("\r\n"))
    return map(str.split, lines, itertools.repeat(separator))


def _read_by_csv(
    rests: Iterable[bytes],
    separator: str,
    cells: operator.itemgetter[Any],
    *,
    encoding: str,
    everyone: bool,
) -> list[Any]:
    """The counted cells of each remainder, those with quotes (or ``everyone``'s: where a line
    may hold a cell over the csv module's limit, for its error) read by the csv module, strictly,
    the others split (:func:`_split`).

    Raises :class:`csv.Error`, :class:`IndexError` (a short row) or :class:`ValueError` (fewer
    rows than remainders: a quoted cell over two lines) where the csv module must read the file.
    """
    texts = list(rests)
    quoted_ones = [everyone or b'"' in text for text in texts]
    by_csv = list(itertools.compress(itertools.count(), quoted_ones))
    by_split = list(itertools.compress(itertools.count(), map(operator.not_, quoted_ones)))
    quoted = map(bytes.decode, map(texts.__getitem__, by_csv), itertools.repeat(encoding))
    read = list(map(cells, csv.reader(quoted, delimiter=separator, strict=True)))
    if len(read) != len(by_csv):
        raise ValueError("a quoted cell over several lines")
    keys: list[Any] = [()] * len(texts)
    collections.deque(map(keys.__setitem__, by_csv, read), maxlen=0)
    split = map(cells, _split(map(texts.__getitem__, by_split), separator, encoding))
    collections.deque(map(keys.__setitem__, by_split, split), maxlen=0)
    return keys


_first, _third = operator.itemgetter(0), operator.itemgetter(2)


def _lines_end_alike(text: bytes) -> bool:
    """Whether ``text`` (whole lines) has no carriage return but before a line feed, so that
    the csv module ends its lines where ``readline`` does."""
    return text.count(b"\r") == text.count(b"\r\n")


def _one_row(line: str, separator: str) -> list[str] | None:
    """The cells the csv module reads, strictly, from ``line`` alone; ``None`` unless they are
    exactly one row."""
    try:
        rows = list(csv.reader([line], delimiter=separator, strict=True))
    except csv.Error:
        return None
    return rows[0] if len(rows) == 1 else None


def _ends_at_separator(first: str, separator: str) -> bool:
    """Whether the csv module reads a line that starts with ``first`` and the separator as a
    first cell that ends at that separator (``"7/28/2026 12:00-18:00"``; not ``"7/28``).

    ``first`` holds no separator: unless the separator ends the cell, it is inside quotes, and
    so is the line end after it, which the csv module refuses strictly.
    """
    return _one_row(f"{first}{separator}\n", separator) is not None


def _separator(line: str, header: Sequence[str]) -> str | None:
    """The separator that splits the header ``line`` into ``header``, if exactly one does."""
    wanted = tuple(header)
    found = [
        s
        for s in _SEPARATORS
        if (row := _one_row(line, s)) is not None and tuple(h.strip() for h in row) == wanted
    ]
    return found[0] if len(found) == 1 else None
