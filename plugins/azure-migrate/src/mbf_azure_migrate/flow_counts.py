"""Counting how often each flow occurs in a dependency export, the hot loop of reading one.

A 50,000-server estate exports about a million rows: one per connection and 6-hour slot (or
day). Rows of one flow differ only in their first column, the time slot, which is not part of
the flow. So where the file allows it, each line is counted without its first cell, as bytes,
and only the distinct remainders (a fifth of the rows) are parsed as CSV. The file allows it
when every line is plain: ASCII (so each encoding mbf reads decodes it alike), no quote, no NUL
and no carriage return but before a line feed; then a cell is exactly the text between two
separators, as the csv module would read it. Any other file, and any surprise, is counted row by
row with the csv module, which also reports what is wrong with a bad file.
"""

from __future__ import annotations

import codecs
import csv
import itertools
import operator
from collections import Counter
from collections.abc import Iterator, Sequence

from mbf.tabular import Table

__all__ = ["count_flows"]

_SEPARATORS = (",", ";", "\t", "|")
"""The separators mbf.tabular detects."""
_CHUNK_BYTES = 1 << 20
"""About how much of the file is checked and counted at a time."""


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
    """The counts, from each line's text after its first cell; ``None`` unless the file is plain
    (see the module docstring) and its first column is not counted.

    The file is read in chunks of whole lines, so only the distinct remainders sit in memory.
    """
    if table.sheet is not None or 0 in positions or len(positions) < 2:
        return None
    try:
        with table.path.open("rb") as stream:
            if stream.read(len(codecs.BOM_UTF8)) != codecs.BOM_UTF8:
                stream.seek(0)  # UTF-8 with a BOM is read like ASCII after it
            before = [stream.readline() for _ in range(table.header_row)]  # as mbf.tabular did
            if not all(map(_plain, before)):
                return None
            separator = _separator(before[-1].decode("ascii").rstrip("\r\n"), table.header)
            if separator is None:
                return None
            rests: Counter[bytes] = Counter()
            cut = itertools.repeat(separator.encode())
            carriage_returns = 0
            while lines := stream.readlines(_CHUNK_BYTES):
                text = b"".join(lines)
                if not _plain_but_line_ends(text):
                    return None
                carriage_returns += text.count(b"\r")
                rests.update(map(operator.itemgetter(2), map(bytes.partition, lines, cut)))
    except OSError:
        return None
    if b"" in rests:
        return None  # a line without a separator: blank, or a row of one cell
    # Every carriage return must end a line (Windows line ends): as many as lines that end in
    # one, counted on the distinct remainders (each line ends in its remainder) rather than by
    # searching the whole file for the pair.
    windows_ends = map(bytes.endswith, rests, itertools.repeat(b"\r\n"))
    if carriage_returns != sum(map(operator.mul, windows_ends, rests.values())):
        return None
    cells = operator.itemgetter(*(p - 1 for p in positions))
    # A plain line is its cells joined by the separator, as the csv module reads it: split at
    # each one, after the line break. Only a line long enough to hold a cell over the csv
    # module's limit goes to the csv module, for its error.
    by_csv = max(map(len, rests), default=0) > csv.field_size_limit()

    def keys() -> Iterator[tuple[str, ...]]:
        texts = map(bytes.decode, rests)
        if by_csv:
            return map(cells, csv.reader(texts, delimiter=separator))
        lines = map(str.rstrip, texts, itertools.repeat("\r\n"))
        return map(cells, map(str.split, lines, itertools.repeat(separator)))

    try:
        counts = dict(zip(keys(), rests.values(), strict=True))
        if len(counts) < len(rests):  # remainders that differ outside the key: add them up
            counts = {}
            for key, repeats in zip(keys(), rests.values(), strict=True):
                counts[key] = counts.get(key, 0) + repeats
    except (csv.Error, IndexError, ValueError):
        return None  # a field over the csv module's limit, or a short row: the careful way
    return counts


def _plain(text: bytes) -> bool:
    """Whether ``text`` (whole lines) is ASCII without quotes, NULs or lone carriage returns."""
    return _plain_but_line_ends(text) and text.count(b"\r") == text.count(b"\r\n")


def _plain_but_line_ends(text: bytes) -> bool:
    """Whether ``text`` is ASCII without quotes or NULs (its carriage returns are not checked)."""
    return text.isascii() and b'"' not in text and b"\x00" not in text


def _separator(line: str, header: Sequence[str]) -> str | None:
    """The separator that splits the header ``line`` into ``header``, if exactly one does."""
    found = [s for s in _SEPARATORS if tuple(h.strip() for h in line.split(s)) == tuple(header)]
    return found[0] if len(found) == 1 else None
