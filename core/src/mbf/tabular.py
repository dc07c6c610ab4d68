"""Reading tabular discovery exports: CSV dialects and encodings, header matching, cell values.

Discovery sources share these so that every export reads the same way: UTF-8 with or without a
BOM, UTF-16, Windows-1252 and ``;``- or tab-separated files from European Excel all work; headers
match whatever their spelling (``*Server Name``, ``server name``, ``Server_Name``); a bad cell is
an :class:`~mbf.errors.InputError` naming file, row and column. Spreadsheet sheets (read by a
plugin with python-calamine) come in as the same :class:`Table`.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import itertools
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar, overload

import attrs

from mbf.errors import InputError

__all__ = [
    "FORMULA_STARTS",
    "ColumnSpec",
    "Columns",
    "Memo",
    "Table",
    "bool_column",
    "cell_bool",
    "cell_date",
    "cell_float",
    "cell_int",
    "cell_text",
    "csv_rows",
    "extras_column",
    "float_column",
    "int_column",
    "neutralise",
    "normalise_header",
    "read_csv_table",
    "read_text",
    "restore",
    "sniff_text",
    "split_list",
    "text_column",
]

_SNIFF_BYTES = 64 * 1024
_DELIMITERS = (",", ";", "\t", "|")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_GROUPING = re.compile(r"[ '\u00a0]")
_LIST_SEPARATORS = re.compile(r"[\s,;\[\]]+")
_TRUE = frozenset({"true", "yes", "y", "1", "x", "wahr", "vrai", "ja"})
_FALSE = frozenset({"false", "no", "n", "0", "", "falsch", "faux", "nee", "nein"})


def normalise_header(text: str) -> str:
    """The comparable form of a column header: lower case, letters and digits only.

    ``*Memory (In MB)``, ``memory (in mb)`` and ``Memory_In_MB`` all become ``memoryinmb``.
    """
    return _NOT_ALNUM.sub("", str(text).lower())


@attrs.frozen
class Table:
    """A header and its data rows, from one CSV file or one spreadsheet sheet."""

    path: Path
    """File the table was read from."""
    header: tuple[str, ...]
    """Column headers as written in the file."""
    rows: Iterable[Sequence[Any]]
    """Data rows, in file order (an iterator for CSV files: read it once)."""
    sheet: str | None = None
    """Sheet name for spreadsheets, ``None`` for CSV files."""
    header_row: int = 1
    """1-based row number of the header; data rows follow it."""
    encoding: str | None = None
    """The text encoding a CSV file is read in (``None`` for a spreadsheet)."""

    @property
    def where(self) -> str:
        """The file (and sheet) for messages."""
        return f"{self.path} [{self.sheet}]" if self.sheet else str(self.path)

    def numbered_rows(self) -> Iterator[tuple[int, Sequence[Any]]]:
        """``(row number as a spreadsheet shows it, row)`` for each non-blank data row."""
        if isinstance(self.rows, _CsvRows):
            yield from self.rows.numbered()
            return
        for offset, row in enumerate(self.rows, start=self.header_row + 1):
            if any(cell not in ("", None) for cell in row):
                yield offset, row

    @contextlib.contextmanager
    def bulk_rows(self) -> Iterator[Iterator[Sequence[Any]]]:
        """The non-empty data rows without their numbers, as fast as the csv module reads them.

        For the hot loop over a million-row export; when a row turns out to be bad, find its
        number with :meth:`numbered_rows`. Use as ``with table.bulk_rows() as rows: ...``.
        """
        if isinstance(self.rows, _CsvRows):
            with self.rows.raw() as rows:
                yield rows
        else:
            yield (row for row in self.rows if any(cell not in ("", None) for cell in row))


def _str_tuple(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(values)


@attrs.frozen
class ColumnSpec:
    """A column a source reads: its canonical name and the headers it may appear under."""

    name: str
    """Canonical name used in code and messages, e.g. ``*Server Name``."""
    aliases: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    """Other spellings; compared after :func:`normalise_header`."""
    required: bool = False
    """Whether a table without this column is refused."""


class Columns:
    """Where each wanted column sits in a table's header.

    >>> cols = Columns.locate(("*Server Name", "*Cores"), [ColumnSpec("name", ("server name",))])
    >>> cols.index["name"]
    0
    """

    def __init__(self, index: Mapping[str, int], table: Table | None = None) -> None:
        self.index = dict(index)
        self.table = table

    @classmethod
    def locate(
        cls, header: Sequence[str], specs: Iterable[ColumnSpec], *, table: Table | None = None
    ) -> Columns:
        """Find each spec's column; raise :class:`InputError` naming a missing required one."""
        positions: dict[str, int] = {}
        for position, text in enumerate(header):
            positions.setdefault(normalise_header(text), position)
        index: dict[str, int] = {}
        for spec in specs:
            for candidate in (spec.name, *spec.aliases):
                found = positions.get(normalise_header(candidate))
                if found is not None:
                    index[spec.name] = found
                    break
            else:
                if spec.required:
                    where = table.where if table is not None else None
                    accepted = ", ".join(repr(a) for a in spec.aliases)
                    raise InputError(
                        "missing mandatory column"
                        + (f" (also accepted: {accepted})" if accepted else ""),
                        path=where,
                        row=table.header_row if table is not None else None,
                        column=spec.name,
                    )
        return cls(index, table)

    def __contains__(self, name: str) -> bool:
        return name in self.index

    def get(self, row: Sequence[Any], name: str) -> Any:
        """The raw cell of column ``name`` in ``row``, ``None`` when the column or cell is absent."""
        position = self.index.get(name)
        if position is None or position >= len(row):
            return None
        return row[position]

    def text(self, row: Sequence[Any], name: str) -> str:
        """The cell as stripped text (``""`` when absent)."""
        return cell_text(self.get(row, name))

    def texts(self, row: Sequence[Any]) -> dict[str, str]:
        """Every located column of ``row`` as stripped text, by name, in one pass (the fast way
        to read a wide row); a column the table lacks is absent, so read with ``.get(name, "")``."""
        width = len(row)
        return {
            name: cell_text(row[position]) if position < width else ""
            for name, position in self.index.items()
        }


def cell_text(value: Any) -> str:
    """A cell as stripped text; whole floats lose their ``.0`` (Excel stores ``2`` as ``2.0``)."""
    if type(value) is str:  # the common case first: this runs for every cell read
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _number_text(text: str) -> str:
    """Spreadsheet number text as Python reads it: ``16,384`` and ``1 024`` are thousands, a lone
    comma is a decimal comma (``4,5``, European Excel); a dot is always the decimal point."""
    text = _GROUPING.sub("", text)
    if _THOUSANDS.match(text):
        return text.replace(",", "")
    return text.replace(",", ".") if text.count(",") == 1 and "." not in text else text


def cell_float(value: Any, *, where: object, row: int, column: str) -> float | None:
    """A numeric cell as a float, ``None`` when blank; anything else is an :class:`InputError`."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise InputError(f"expected a number, found {value!r}", path=where, row=row, column=column)
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = str(value).strip()
        try:
            number = float(text)  # the common case, at C speed
        except ValueError:
            text = _number_text(text)
            if not text:
                return None
            try:
                number = float(text)
            except ValueError:
                raise InputError(
                    f"expected a number, found {str(value)!r}", path=where, row=row, column=column
                ) from None
    if not math.isfinite(number):
        raise InputError(f"expected a number, found {value!r}", path=where, row=row, column=column)
    return number


def cell_int(value: Any, *, where: object, row: int, column: str) -> int | None:
    """A whole-number cell (``4``, ``4.0``, ``"4"``, ``"16,384"``), ``None`` when blank."""
    number = cell_float(value, where=where, row=row, column=column)
    if number is None:
        return None
    if not number.is_integer():
        raise InputError(
            f"expected a whole number, found {cell_text(value)!r}",
            path=where,
            row=row,
            column=column,
        )
    return int(number)


def cell_bool(value: Any, *, where: object, row: int, column: str) -> bool:
    """A yes/no cell (``True``, ``"TRUE"``, ``"yes"``, ``1``); blank is ``False``."""
    if isinstance(value, bool):
        return value
    text = cell_text(value).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise InputError(f"expected true or false, found {text!r}", path=where, row=row, column=column)


# -- whole columns: the cell functions above, for every cell of a column at once ------------------
#
# A source reading 50,000 rows calls a cell function per cell and per row; these give the same
# values a column at a time, at C speed where the column allows (all text, all numbers), and
# return ``None`` where a value needs the careful per-cell path: the caller then reads row by
# row, which also names the row and column of a bad cell.

_NUMBER_TYPES = frozenset({float, int})


def text_column(values: Sequence[Any]) -> list[str]:
    """:func:`cell_text` of each value."""
    if set(map(type, values)) == {str}:
        return list(map(str.strip, values))
    return list(map(cell_text, values))


def float_column(values: Sequence[Any]) -> list[float | None] | None:
    """``cell_float(cell_text(value))`` of each value (``None`` for a blank one), or ``None``
    when a value is not a finite number."""
    if _NUMBER_TYPES.issuperset(map(type, values)):
        try:  # + 0.0: cell_text writes -0.0 as "0", which reads back as 0.0
            numbers: list[float | None] = list(
                map(float.__add__, map(float, values), itertools.repeat(0.0))
            )
        except OverflowError:  # an integer too large for a float
            return None
        return numbers if all(map(math.isfinite, numbers)) else None  # type: ignore[arg-type]
    if set(map(type, values)) == {str}:
        try:  # "4" and " 4.5 " at C speed; a blank or "16,384" needs cell_float
            numbers = list(map(float, values))
        except ValueError:
            pass
        else:
            return numbers if all(map(math.isfinite, numbers)) else None  # type: ignore[arg-type]
    try:
        return [cell_float(cell_text(v), where="", row=0, column="") for v in values]
    except InputError:
        return None


def int_column(values: Sequence[Any]) -> list[int | None] | None:
    """``cell_int(cell_text(value))`` of each value (``None`` for a blank one), or ``None``
    when a value is not a whole number."""
    numbers = float_column(values)
    if numbers is None:
        return None
    if None not in numbers:
        whole: Sequence[float] = numbers  # type: ignore[assignment]  # no blank: all floats
        return list(map(int, whole)) if all(map(float.is_integer, whole)) else None
    if not all(n is None or n.is_integer() for n in numbers):
        return None
    return [None if n is None else int(n) for n in numbers]


def bool_column(values: Sequence[Any]) -> list[bool] | None:
    """:func:`cell_bool` of each value, or ``None`` when a value is not a yes/no."""
    if set(map(type, values)) == {bool}:
        return list(values)
    try:
        return [cell_bool(v, where="", row=0, column="") for v in values]
    except InputError:
        return None


def extras_column(columns: Mapping[str, Sequence[Any]], count: int) -> list[dict[str, Any]]:
    """Each record's ``extra`` from one column of values per key (each ``count`` long): the
    values that are neither ``""`` nor ``None``, keys in the order of ``columns``."""
    keys = [key for key, column in columns.items() if not set(column) <= _BLANK_CELLS]
    if all("" not in columns[key] and None not in columns[key] for key in keys):
        # Every record has every one of those keys (as every VM of an RVTools export).
        rows = zip(*(columns[key] for key in keys), strict=True) if keys else [()] * count
        return list(map(dict, map(zip, itertools.repeat(keys), rows)))
    return [
        {key: value for key, value in zip(keys, row, strict=True) if value not in _BLANK_CELLS}
        for row in zip(*(columns[key] for key in keys), strict=True)
    ]


_BLANK_CELLS = frozenset({"", None})


def split_list(text: str) -> tuple[str, ...]:
    """Split a list cell such as ``[10.0.0.1,fe80::1];[10.0.0.2];`` or ``10.0.0.1; 10.0.0.2``."""
    return tuple(part for part in _LIST_SEPARATORS.split(text) if part)


def cell_date(value: Any) -> dt.date | None:
    """A date cell as a date, ``None`` when blank or not a date."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = cell_text(value)
    try:
        return dt.date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


# -- CSV ---------------------------------------------------------------------------------------


def _detect_encoding(head: bytes) -> str:
    """The encoding of a text file from its first bytes: BOM first, then UTF-8, else cp1252."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if len(head) >= 4 and head[1] == 0 and head[3] == 0 and head[0] != 0:
        return "utf-16-le"  # UTF-16 without a BOM: every other byte of ASCII text is zero
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(head, final=False)  # a multi-byte character cut at the end is fine
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def sniff_text(path: Path, max_bytes: int = _SNIFF_BYTES) -> str:
    """The decoded beginning of a text file, for cheap content detection; ``""`` if unreadable."""
    try:
        with path.open("rb") as stream:
            head = stream.read(max_bytes)
    except OSError:
        return ""
    if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = _detect_encoding(head)
        if not encoding.startswith("utf-16"):
            return ""  # binary
    else:
        encoding = _detect_encoding(head)
    return head.decode(encoding, errors="ignore")


def _delimiter(header_line: str) -> str:
    """The separator of a CSV file from its header line (quoted text ignored)."""
    unquoted = re.sub(r'"[^"]*"', "", header_line)
    counts = {d: unquoted.count(d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


class _CsvRows:
    """Data rows of a CSV file, numbered as the file's lines; the file is opened while iterating."""

    def __init__(self, path: Path, *, encoding: str, delimiter: str, lines_before: int) -> None:
        self._path = path
        self._encoding = encoding
        self._delimiter = delimiter
        self._lines_before = lines_before

    def __iter__(self) -> Iterator[Sequence[Any]]:
        return (row for _, row in self.numbered())

    @contextlib.contextmanager
    def raw(self) -> Iterator[Iterator[list[str]]]:
        """The rows that are not empty lines, straight from the csv module."""
        with self._path.open("r", encoding=self._encoding, newline="") as stream:
            for _ in range(self._lines_before):
                stream.readline()
            try:
                yield filter(None, csv.reader(stream, delimiter=self._delimiter))
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"cannot decode the text as {self._encoding} ({exc.reason}); save the file as UTF-8",
                    path=self._path,
                ) from None
            except csv.Error as exc:
                raise InputError(f"malformed CSV: {exc}", path=self._path) from None

    def numbered(self) -> Iterator[tuple[int, Sequence[Any]]]:
        with self._path.open("r", encoding=self._encoding, newline="") as stream:
            for _ in range(self._lines_before):
                stream.readline()
            reader = csv.reader(stream, delimiter=self._delimiter)
            line = self._lines_before
            try:
                for row in reader:
                    number = line + 1
                    line = self._lines_before + reader.line_num
                    if row and any(row):
                        yield number, row
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"cannot decode the text after line {line} as {self._encoding} ({exc.reason}); "
                    "save the file as UTF-8",
                    path=self._path,
                ) from None
            except csv.Error as exc:
                raise InputError(f"malformed CSV: {exc}", path=self._path, row=line + 1) from None


def read_csv_table(
    path: Path, *, delimiter: str | None = None, encoding: str | None = None
) -> Table:
    """Open a CSV export: detect its encoding and separator, read its header, stream its rows.

    The rows are read lazily, so a million-row export never sits in memory; iterate them once.
    Raise :class:`InputError` for a missing, empty or binary file.
    """
    try:
        with path.open("rb") as probe:
            head = probe.read(_SNIFF_BYTES)
    except FileNotFoundError:
        raise InputError("no such file", path=path) from None
    except IsADirectoryError:
        raise InputError("is a directory, expected a file", path=path) from None
    if not head.strip():
        raise InputError("the file is empty; expected a header row", path=path)
    chosen = encoding or _detect_encoding(head)
    if b"\x00" in head and not chosen.startswith("utf-16"):
        raise InputError("not a text file (binary content); expected a CSV export", path=path)
    try:
        with path.open("r", encoding=chosen, newline="") as stream:
            first_line = stream.readline()
            lines_read = 1
            while first_line and not first_line.strip():
                first_line = stream.readline()
                lines_read += 1
            if first_line.startswith("sep=") and len(first_line.strip()) == 5:
                delimiter = delimiter or first_line.strip()[4]  # Excel's "sep=;" hint line
                first_line = stream.readline()
                lines_read += 1
            if first_line.startswith("#TYPE "):  # Windows PowerShell's Export-Csv type line
                first_line = stream.readline()
                lines_read += 1
    except UnicodeDecodeError:
        raise InputError(f"cannot decode the header as {chosen}", path=path) from None
    sep = delimiter or _delimiter(first_line)
    header = next(csv.reader([first_line], delimiter=sep), [])
    if not any(h.strip() for h in header):
        raise InputError("the file is empty; expected a header row", path=path)
    return Table(
        path=path,
        header=tuple(h.strip() for h in header),
        rows=_CsvRows(path, encoding=chosen, delimiter=sep, lines_before=lines_read),
        header_row=lines_read,
        encoding=chosen,
    )


# -- cells bound for spreadsheets -----------------------------------------------------------------

FORMULA_STARTS = frozenset("=+-@\t\r'")
"""First characters :func:`neutralise` guards: a spreadsheet evaluates cells starting with them
(OWASP CSV injection). The apostrophe itself is included so a value that really starts with one
survives the round trip."""


def _decode_errors(encoding: str) -> str:
    """Strict for UTF-8, so that a file in another encoding fails and is read again in it; a
    one-byte code page (Excel's Windows-1252) replaces the few bytes it has no character for."""
    return "strict" if encoding.startswith("utf-8") else "replace"


def read_text(path: Path, encoding: str) -> str | None:
    """The whole of a tracker's CSV file as text, ``None`` when it is not UTF-8 after all (the
    row-by-row reading, :func:`csv_rows`, then meets the bad byte where it lies)."""
    with path.open(encoding=encoding, errors=_decode_errors(encoding), newline="") as stream:
        try:
            return stream.read()
        except UnicodeDecodeError:
            return None


@contextlib.contextmanager
def csv_rows(
    path: Path, encoding: str, *, expected: str
) -> Iterator[tuple[list[str], Iterator[list[str]]]]:
    """The header and the data rows of a tracker's CSV file, read strictly: an unclosed quote
    is an error rather than a cell that eats the rest of the file. A file with no header is an
    :class:`InputError` saying it should have ``expected`` (e.g. ``a header with 'Summary'``).
    A byte that does not decode raises :class:`UnicodeDecodeError` where it is read."""
    with path.open(encoding=encoding, errors=_decode_errors(encoding), newline="") as stream:
        rows = csv.reader(stream, strict=True)
        try:
            header = next(rows, None)
        except csv.Error as exc:
            raise InputError(f"malformed CSV: {exc}", path=path, row=1) from None
        if header is None:
            raise InputError(f"the file is empty; expected {expected}", path=path)
        yield header, rows


def neutralise(value: str) -> str:
    """``value`` made inert for spreadsheets: a leading ``'`` when it could start a formula."""
    if value and value[0] in FORMULA_STARTS:
        return "'" + value
    return value


def restore(value: str) -> str:
    """Undo :func:`neutralise`: drop the ``'`` mbf (or a careful user) put before a formula start."""
    if len(value) > 1 and value[0] == "'" and value[1] in FORMULA_STARTS:
        return value[1:]
    return value


_K = TypeVar("_K")
_V = TypeVar("_V")


class Memo(dict[_K, _V]):
    """``key -> compute(key)``, each key computed on its first lookup (after the ``known``
    ones), so that ``map(memo.__getitem__, cells)`` works out a whole column in C: a file's
    columns repeat a few words (types, states, dates, names) on thousands of rows, and each is
    read or written once."""

    @overload
    def __init__(self, compute: Callable[[_K], _V]) -> None: ...
    @overload  # (``known`` holds the keys ``compute`` does not take, such as None)
    def __init__(self, compute: Callable[[Any], _V], known: Mapping[_K, _V]) -> None: ...
    def __init__(self, compute: Callable[[Any], _V], known: Mapping[_K, _V] | None = None) -> None:
        super().__init__(known or {})
        self.compute = compute

    def __missing__(self, key: _K) -> _V:
        value = self[key] = self.compute(key)
        return value
