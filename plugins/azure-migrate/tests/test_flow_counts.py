"""Counting flows: the line-based way for plain files and the csv way give the same counts."""

from __future__ import annotations

import codecs
import csv
import random
from collections import Counter
from pathlib import Path

import pytest

from mbf.domain import Dependency
from mbf.errors import InputError
from mbf.plugin import Context
from mbf.tabular import read_csv_table
from mbf_azure_migrate.exports import read_azure_migrate
from mbf_azure_migrate.flow_counts import _count_plain_lines, count_flows

HEADER = "Time slot,Source server name,Source IP,Destination server name,Destination port"
ROWS = [
    "7/28/2026 00:00-06:00,WEB01,10.1.0.11,DB01,1433",
    "7/28/2026 06:00-12:00,WEB01,10.1.0.11,DB01,1433",
    "7/28/2026 06:00-12:00,WEB01,10.1.0.11,DB01,1434",
    "7/28/2026 12:00-18:00,WEB02,,DB01,1433",
    "7/28/2026 18:00-00:00,WEB01,10.1.0.11,DB01,1433",
]
POSITIONS = [1, 2, 3, 4]
COUNTS = {
    ("WEB01", "10.1.0.11", "DB01", "1433"): 3,
    ("WEB01", "10.1.0.11", "DB01", "1434"): 1,
    ("WEB02", "", "DB01", "1433"): 1,
}


def write(path: Path, lines: list[str], *, newline: str = "\n", prefix: bytes = b"") -> Path:
    path.write_bytes(prefix + newline.join(lines).encode("utf-8") + newline.encode())
    return path


def test_a_plain_file_is_counted_by_its_lines(tmp_path: Path) -> None:
    table = read_csv_table(write(tmp_path / "deps.csv", [HEADER, *ROWS]))
    assert _count_plain_lines(table, POSITIONS) == COUNTS
    assert count_flows(table, POSITIONS) == COUNTS


@pytest.mark.parametrize(
    ("newline", "prefix"), [("\r\n", b""), ("\n", codecs.BOM_UTF8), ("\r\n", codecs.BOM_UTF8)]
)
def test_windows_line_ends_and_a_bom_are_plain_too(
    tmp_path: Path, newline: str, prefix: bytes
) -> None:
    table = read_csv_table(
        write(tmp_path / "deps.csv", [HEADER, *ROWS], newline=newline, prefix=prefix)
    )
    assert _count_plain_lines(table, POSITIONS) == COUNTS


def test_semicolons_and_an_excel_separator_line_are_plain_too(tmp_path: Path) -> None:
    lines = ["sep=;", HEADER.replace(",", ";"), *(row.replace(",", ";") for row in ROWS)]
    table = read_csv_table(write(tmp_path / "deps.csv", lines))
    assert _count_plain_lines(table, POSITIONS) == COUNTS


@pytest.mark.parametrize(
    ("rows", "counts"),
    [
        pytest.param(
            [*ROWS[:2], '"7/28/2026, 06:00-12:00",WEB01,10.1.0.11,DB01,1434', *ROWS[3:]],
            COUNTS,
            id="a quoted first cell holding the separator",
        ),
        pytest.param(
            [*ROWS[:2], '7/28/2026 06:00-12:00,WEB01,"10.1.0.11', '10.1.0.12",DB01,1434'],
            {
                ("WEB01", "10.1.0.11", "DB01", "1433"): 2,
                ("WEB01", "10.1.0.11\n10.1.0.12", "DB01", "1434"): 1,
            },
            id="a quoted cell over two lines",
        ),
        pytest.param(
            [
                *ROWS,
                '7/29/2026 00:00-06:00,WEB01,"10.1.0.11',
                '7/29/2026 06:00-12:00,WEB02",10.1.0.13,DB01,1433',
            ],
            # the remainders read alone make one row of two: fewer rows than remainders
            {**COUNTS, ("WEB01", "10.1.0.11\n7/29/2026 06:00-12:00,WEB02", "10.1.0.13", "DB01"): 1},
            id="a quoted cell over two lines that closes on the next",
        ),
        pytest.param(
            [*ROWS, '7/29/2026 00:00-06:00,WEB01,10.1.0.11,"DB01', ROWS[0]],
            # the csv module reads on to the end of the file inside the quotes
            {
                **COUNTS,
                (
                    "WEB01",
                    "10.1.0.11",
                    "DB01\n7/28/2026 00:00-06:00,WEB01,10.1.0.11,DB01,1433\n",
                    "",
                ): 1,
            },
            id="a quote left open",
        ),
        pytest.param(
            [*ROWS, '7/29/2026 00:00-06:00,"WEB"01,10.1.0.11,DB01,1433'],
            {**COUNTS, ("WEB01", "10.1.0.11", "DB01", "1433"): 4},
            id="text after a closing quote",
        ),
        pytest.param(
            [*ROWS[:3], "7/28/2026 12:00-18:00,WEB02,,DB01,1433", "", ROWS[4]],
            COUNTS,
            id="blank line",
        ),
        pytest.param(
            [*ROWS, "7/29/2026 00:00-06:00,WEB03"],
            {**COUNTS, ("WEB03", "", "", ""): 1},
            id="short row",
        ),
        pytest.param(
            [*ROWS, "7/29/2026 00:00\r06:00,WEB01,10.1.0.11,DB01,1433"],
            {
                **COUNTS,
                # the csv module ends the line at the \r: a short row, then the rest of it
                ("WEB01", "10.1.0.11", "DB01", "1433"): 4,
                ("", "", "", ""): 1,
            },
            id="carriage return inside a line",
        ),
    ],
)
def test_other_files_are_counted_row_by_row_with_the_same_result(
    tmp_path: Path, rows: list[str], counts: dict[tuple[str, ...], int]
) -> None:
    table = read_csv_table(write(tmp_path / "deps.csv", [HEADER, *rows]))
    assert _count_plain_lines(table, POSITIONS) is None
    assert count_flows(table, POSITIONS) == counts


def test_a_counted_first_column_needs_every_cell(tmp_path: Path) -> None:
    table = read_csv_table(write(tmp_path / "deps.csv", [HEADER, *ROWS]))
    assert _count_plain_lines(table, [0, 1]) is None
    assert count_flows(table, [0, 4]) == {
        ("7/28/2026 00:00-06:00", "1433"): 1,
        ("7/28/2026 06:00-12:00", "1433"): 1,
        ("7/28/2026 06:00-12:00", "1434"): 1,
        ("7/28/2026 12:00-18:00", "1433"): 1,
        ("7/28/2026 18:00-00:00", "1433"): 1,
    }


def test_a_plain_export_and_the_same_export_quoted_read_alike(tmp_path: Path) -> None:
    header = (
        "Time slot,Source server name,Source IP,Source application,Source process,"
        "Destination server name,Destination IP,Destination application,Destination process,"
        "Destination port"
    )
    rows = [
        "7/28/2026 00:00-06:00,WEB01,10.1.0.11,IIS,w3wp.exe,DB01,10.1.0.21,SQL,sqlservr.exe,1433",
        "7/28/2026 06:00-12:00,WEB01,10.1.0.11,IIS,w3wp.exe,DB01,10.1.0.21,SQL,sqlservr.exe,1433",
        "7/28/2026 06:00-12:00,web01.contoso.local,10.1.0.12,,,,10.1.0.99,,,443",
        "7/28/2026 12:00-18:00,,10.9.9.9,,,WEB01,10.1.0.11,IIS,Unknown process,80",
    ]
    plain = read_azure_migrate(write(tmp_path / "plain.csv", [header, *rows]), Context())
    quoted_rows = [f'"{row}"'.replace(",", '","') for row in rows]
    quoted = read_azure_migrate(write(tmp_path / "quoted.csv", [header, *quoted_rows]), Context())
    assert (
        plain.dependencies
        == quoted.dependencies
        == (
            Dependency(source_id="ip:10.9.9.9", target_id="web01", port=80, weight=1),
            Dependency(
                source_id="web01", target_id="db01", port=1433, process="sqlservr.exe", weight=2
            ),
            Dependency(source_id="web01", target_id="ip:10.1.0.99", port=443, weight=1),
        )
    )
    assert plain.servers == quoted.servers
    assert [(s.id, s.name, s.ip_addresses) for s in plain.servers] == [
        ("db01", "DB01", ("10.1.0.21",)),
        ("web01", "WEB01", ("10.1.0.11", "10.1.0.12")),
    ]
    assert plain.sources[0].records == quoted.sources[0].records == 4


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_split_lines_give_the_cells_the_csv_module_gives(tmp_path: Path, newline: str) -> None:
    rows = [
        *ROWS,
        "7/29/2026 00:00-06:00,WEB04,10.1.0.14,DB01,",  # a blank last cell
        "7/29/2026 00:00-06:00,,,,",  # separators only
        "7/29/2026 06:00-12:00, WEB05 ,\t10.1.0.15,DB01 ,1433",  # spaces kept, as csv does
    ]
    table = read_csv_table(write(tmp_path / "deps.csv", [HEADER, *rows], newline=newline))
    expected = {
        **COUNTS,
        ("WEB04", "10.1.0.14", "DB01", ""): 1,
        ("", "", "", ""): 1,
        (" WEB05 ", "\t10.1.0.15", "DB01 ", "1433"): 1,
    }
    assert _count_plain_lines(table, POSITIONS) == expected
    with table.bulk_rows() as csv_rows:  # the csv module's reading of the same file
        assert Counter(tuple(row[p] for p in POSITIONS) for row in csv_rows) == expected


def test_a_line_that_may_hold_a_cell_over_the_csv_limit_is_left_to_the_csv_module(
    tmp_path: Path,
) -> None:
    long_name = "W" * (csv.field_size_limit() + 1)
    rows = [*ROWS, f"7/29/2026 00:00-06:00,{long_name},10.1.0.11,DB01,1433"]
    table = read_csv_table(write(tmp_path / "deps.csv", [HEADER, *rows]))
    assert _count_plain_lines(table, POSITIONS) is None


ONE_MORE = {**COUNTS, ("WEB01", "10.1.0.11", "DB01", "1433"): 4}


@pytest.mark.parametrize(
    ("tail", "counts"),
    [
        pytest.param(
            "7/29/2026 00:00-06:00,WEB01,10.1.0.11,DB01,1433\r\r\n",
            ONE_MORE,
            id="two before a line end",
        ),
        pytest.param(
            "7/29/2026 00:00-06:00,WEB01,10.1.0.11,DB01,1433\r", ONE_MORE, id="at the end"
        ),
        pytest.param(
            "7/29/2026 00:00-06:00,WEB01,10.1.0.11\r,DB01,1433\r\n",
            # the csv module ends the row at the \r: a short row, then the rest of it
            {**COUNTS, ("WEB01", "10.1.0.11", "", ""): 1, ("DB01", "1433", "", ""): 1},
            id="inside a counted cell",
        ),
    ],
)
def test_a_carriage_return_that_ends_no_line_leaves_the_file_to_the_csv_module(
    tmp_path: Path, tail: str, counts: dict[tuple[str, ...], int]
) -> None:
    path = tmp_path / "deps.csv"
    path.write_bytes("\r\n".join([HEADER, *ROWS]).encode() + b"\r\n" + tail.encode())
    table = read_csv_table(path)
    assert _count_plain_lines(table, POSITIONS) is None
    assert count_flows(table, POSITIONS) == counts


def test_random_exports_count_alike_by_lines_and_by_the_csv_module(tmp_path: Path) -> None:
    """Three hundred small exports drawn from a fixed seed: separators of the four kinds, both
    line ends, BOMs, Excel separator lines, blank lines, short and long rows, no final line
    end. Wherever the line-based way counts one, the csv module counts it alike."""
    draw = random.Random(20261126)
    header = [
        "Time slot", "Source server name", "Source IP", "Destination server name",
        "Destination IP", "Destination process", "Destination port",
    ]  # fmt: skip
    cells = [
        ["7/1/2026 00:00-06:00", "7/1/2026 06:00-12:00"],
        ["srv01", "SRV01", "web-02", " app04 ", "", "x.contoso.local"],
        ["10.0.0.1", "", " 10.0.0.3", "fe80::1"],
        ["db01", "DB01", "", "db 02"],
        ["10.0.0.2", "", "10.0.0.9"],
        ["sqlservr.exe", "", "unknown process"],
        ["443", "1433", " 80", "", "8080.0"],
    ]
    positions = list(range(1, len(header)))
    counted_by_lines = 0
    for case in range(300):
        separator, line_end = draw.choice(",;\t|"), draw.choice(["\n", "\r\n"])
        lines = [separator.join(header)]
        for _ in range(draw.randint(1, 20)):
            row = [draw.choice(choices) for choices in cells]
            shape = draw.random()
            if shape < 0.04:
                row = row[: draw.randint(1, len(row) - 1)]  # a short row
            elif shape < 0.08:
                row.append("extra")  # a long one
            elif shape < 0.1:
                lines.append("")  # a blank line before it
            lines.append(separator.join(row))
        if draw.random() < 0.1:
            lines.insert(0, f"sep={separator}")
        text = line_end.join(lines) + (line_end if draw.random() < 0.7 else "")
        prefix = codecs.BOM_UTF8 if draw.random() < 0.2 else b""
        path = tmp_path / f"deps-{case}.csv"
        path.write_bytes(prefix + text.encode("utf-8"))
        table = read_csv_table(path)
        by_lines = _count_plain_lines(table, positions)
        if by_lines is None:
            continue
        counted_by_lines += 1
        with table.bulk_rows() as csv_rows:
            by_csv = Counter(tuple(row[p] for p in positions) for row in csv_rows)
        assert by_lines == by_csv, path.read_bytes()
    assert counted_by_lines == 177  # the others have a short or blank line: csv counts those


@pytest.mark.parametrize(
    ("rows", "counts"),
    [
        pytest.param(
            [*ROWS[:2], '"7/28/2026 06:00-12:00",WEB01,10.1.0.11,"DB01",1434', *ROWS[3:]],
            COUNTS,
            id="quoted cells",
        ),
        pytest.param(
            [*ROWS, '7/29/2026 00:00-06:00,"WEB,01",10.1.0.11,DB01,1433'],
            {**COUNTS, ("WEB,01", "10.1.0.11", "DB01", "1433"): 1},
            id="a separator inside quotes",
        ),
        pytest.param(
            [*ROWS, '7/29/2026 00:00-06:00,"WEB ""01""",,DB01,1433'],
            {**COUNTS, ('WEB "01"', "", "DB01", "1433"): 1},
            id="doubled quotes",
        ),
        pytest.param(
            [*ROWS, '7/29/2026 00:00-06:00,WE"B01,,DB01,1433'],
            {**COUNTS, ('WE"B01', "", "DB01", "1433"): 1},
            id="a quote inside a cell",
        ),
        pytest.param(
            [*ROWS, 'slot "7",WEB01,10.1.0.11,DB01,1433'],
            {**COUNTS, ("WEB01", "10.1.0.11", "DB01", "1433"): 4},
            id="a quote inside the first cell",
        ),
    ],
)
def test_quoted_cells_are_counted_by_lines_too(
    tmp_path: Path, rows: list[str], counts: dict[tuple[str, ...], int]
) -> None:
    table = read_csv_table(write(tmp_path / "deps.csv", [HEADER, *rows]))
    assert _count_plain_lines(table, POSITIONS) == counts
    with table.bulk_rows() as csv_rows:  # the csv module's reading of the same file
        assert Counter(tuple(row[p] for p in POSITIONS) for row in csv_rows) == counts


def test_an_export_quoted_as_powershell_writes_it_is_counted_by_lines(tmp_path: Path) -> None:
    # Export-Csv quotes every cell, the header's too, and ends lines with \r\n
    lines = [",".join(f'"{cell}"' for cell in line.split(",")) for line in [HEADER, *ROWS]]
    table = read_csv_table(write(tmp_path / "deps.csv", lines, newline="\r\n"))
    assert table.header == tuple(HEADER.split(","))
    assert _count_plain_lines(table, POSITIONS) == COUNTS


def test_random_quoted_exports_count_alike_by_lines_and_by_the_csv_module(
    tmp_path: Path,
) -> None:
    """Three hundred small exports whose cells are quoted at random: some hold the separator,
    doubled quotes or a quote inside, a few a line break, an unclosed quote or text after the
    closing one, and a few time slots the separator. Wherever the line-based way counts one, the csv module counts it alike, and
    count_flows always does."""
    draw = random.Random(20261127)
    header = ["Time slot", "Source server name", "Source IP", "Destination server name", "Port"]
    positions = [1, 2, 3, 4]

    def cell(text: str, separator: str) -> str:
        shape = draw.random()
        if shape < 0.4:
            return text
        if shape < 0.7:
            return f'"{text}"'
        if shape < 0.8:
            return f'"{text}{separator} Inc."'
        if shape < 0.88:
            return f'"{text} ""{text}"""'
        if shape < 0.985:
            return f'{text[:1]}"{text[1:]}' if text else text  # a quote inside, not first
        if shape < 0.99:
            return f'"{text}\n{text}"'  # a line break inside quotes
        if shape < 0.995:
            return f'"{text}'  # never closed
        return f'"{text}"x'  # text after the closing quote

    counted_by_lines = 0
    for case in range(300):
        separator, line_end = draw.choice(",;\t|"), draw.choice(["\n", "\r\n"])
        lines = [separator.join(f'"{h}"' if draw.random() < 0.3 else h for h in header)]
        for _ in range(draw.randint(1, 12)):
            slot = draw.choice(["7/1/2026 00:00-06:00", "7/1/2026 06:00-12:00"])
            shape = draw.random()  # quoted, rarely round a separator (then read by the csv module)
            slot = slot if shape < 0.5 else f'"{slot}"' if shape < 0.98 else f'"{slot}{separator}"'
            names = [draw.choice(["srv01", "SRV02", "db 03"]), draw.choice(["10.0.0.1", ""])]
            target = [draw.choice(["db01", "web02"]), draw.choice(["443", "1433"])]
            lines.append(separator.join([slot, *(cell(c, separator) for c in names + target)]))
        path = tmp_path / f"deps-{case}.csv"
        path.write_bytes((line_end.join(lines) + line_end).encode())
        table = read_csv_table(path)
        try:
            with table.bulk_rows() as csv_rows:
                by_csv = Counter(
                    tuple(row[p] if p < len(row) else "" for p in positions) for row in csv_rows
                )
        except InputError:
            by_csv = None  # the csv module refuses the file (a field over its limit): so do we
        by_lines = _count_plain_lines(table, positions)
        if by_lines is not None:
            counted_by_lines += 1
            assert by_lines == by_csv, path.read_bytes()
        if by_csv is not None:
            assert count_flows(table, positions) == by_csv, path.read_bytes()
    assert counted_by_lines == 176


NAMED = [
    *ROWS,
    "7/29/2026 00:00-06:00,SRVÉ-Müller,,DB01,80",
    '7/29/2026 06:00-12:00,"Ærø, 2",,DB01,80',
]
NAMED_COUNTS = {**COUNTS, ("SRVÉ-Müller", "", "DB01", "80"): 1, ("Ærø, 2", "", "DB01", "80"): 1}


@pytest.mark.parametrize(
    ("encoding", "prefix", "detected", "by_lines"),
    [
        ("utf-8", b"", "utf-8", True),
        ("utf-8", codecs.BOM_UTF8, "utf-8-sig", True),
        ("cp1252", b"", "cp1252", True),
        ("utf-16-le", codecs.BOM_UTF16_LE, "utf-16", True),  # decoded, its lines in UTF-8
        ("utf-16-le", b"", "utf-16-le", True),
    ],
)
def test_names_beyond_ascii_are_counted_by_lines_in_every_encoding(
    tmp_path: Path, encoding: str, prefix: bytes, detected: str, by_lines: bool
) -> None:
    path = tmp_path / "deps.csv"
    path.write_bytes(prefix + "\r\n".join([HEADER, *NAMED, ""]).encode(encoding))
    table = read_csv_table(path)
    assert table.encoding == detected
    assert _count_plain_lines(table, POSITIONS) == (NAMED_COUNTS if by_lines else None)
    assert count_flows(table, POSITIONS) == NAMED_COUNTS


@pytest.mark.parametrize(
    ("tail", "encoding"),
    [
        pytest.param(b"7/29/2026 00:00-06:00,SRV\xff,,DB01,80\n", "utf-8", id="not UTF-8"),
        pytest.param(b"7/29/2026 00:00-06:00,SRV\x81,,DB01,80\n", "cp1252", id="not Windows-1252"),
        pytest.param(b'7/29/2026 00:00-06:00,"SRV\x81",,DB01,80\n', "cp1252", id="quoted"),
        pytest.param(
            "7/29/2026 00:00-06:00,SRV".encode("utf-16-le")
            + b"\x00\xd8"
            + ",,DB01,80\n".encode("utf-16-le"),
            "utf-16-le",
            id="not UTF-16 (a lone surrogate)",
        ),
    ],
)
def test_a_byte_the_encoding_does_not_know_is_the_csv_module_s_error(
    tmp_path: Path, tail: bytes, encoding: str
) -> None:
    # past the part of the file read to detect its encoding: found only by reading on
    lines = [HEADER, *NAMED, *[ROWS[0]] * 3000]
    path = tmp_path / "deps.csv"
    path.write_bytes("\n".join([*lines, ""]).encode(encoding) + tail)
    table = read_csv_table(path)
    assert table.encoding == encoding
    assert _count_plain_lines(table, POSITIONS) is None
    with pytest.raises(InputError, match="cannot decode"):
        count_flows(table, POSITIONS)


def test_an_encoding_whose_characters_hold_a_separator_byte_is_counted_in_its_characters(
    tmp_path: Path,
) -> None:
    # "ポ" is 0x83 0x7C in Shift JIS: a "|" byte inside a character
    lines = [HEADER.replace(",", "|"), *(row.replace(",", "|") for row in ROWS)]
    lines.append("7/29/2026 00:00-06:00|ポータル|10.1.0.9|DB01|443")
    path = tmp_path / "deps.csv"
    path.write_bytes("\n".join([*lines, ""]).encode("shift_jis"))
    table = read_csv_table(path, encoding="shift_jis")
    expected = {**COUNTS, ("ポータル", "10.1.0.9", "DB01", "443"): 1}
    assert _count_plain_lines(table, POSITIONS) == expected
    with table.bulk_rows() as csv_rows:
        assert Counter(tuple(row[p] for p in POSITIONS) for row in csv_rows) == expected


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252"])
def test_a_header_beyond_ascii_is_read_in_the_file_s_encoding(
    tmp_path: Path, encoding: str
) -> None:
    lines = [f"{HEADER},Anmerkung für Änderungen", *(f"{row},geprüft" for row in NAMED)]
    path = tmp_path / "deps.csv"
    path.write_bytes("\n".join([*lines, ""]).encode(encoding))
    table = read_csv_table(path)
    assert table.header[-1] == "Anmerkung für Änderungen"
    assert _count_plain_lines(table, POSITIONS) == NAMED_COUNTS


def test_a_nul_past_the_detected_head_is_a_character_like_any_other(tmp_path: Path) -> None:
    # mbf.tabular refuses a NUL in the head as binary content; further on, the csv module
    # (Python 3.11 and later) reads it as a character, and so do the lines
    lines = [HEADER, *ROWS, *[ROWS[0]] * 3000, "7/29/2026 00:00-06:00,SRV\x00X,,DB01,80"]
    table = read_csv_table(write(tmp_path / "deps.csv", lines))
    expected = {
        **COUNTS,
        ("WEB01", "10.1.0.11", "DB01", "1433"): 3003,
        ("SRV\x00X", "", "DB01", "80"): 1,
    }
    assert _count_plain_lines(table, POSITIONS) == expected
    with table.bulk_rows() as csv_rows:
        assert Counter(tuple(row[p] for p in POSITIONS) for row in csv_rows) == expected


def test_a_bom_inside_a_line_is_a_character_after_the_file_s_own(tmp_path: Path) -> None:
    lines = [HEADER, *ROWS, "7/29/2026 00:00-06:00,\ufeffWEB01,10.1.0.11,DB01,1433"]
    table = read_csv_table(write(tmp_path / "deps.csv", lines, prefix=codecs.BOM_UTF8))
    assert table.encoding == "utf-8-sig"
    expected = {**COUNTS, ("\ufeffWEB01", "10.1.0.11", "DB01", "1433"): 1}
    assert _count_plain_lines(table, POSITIONS) == expected
    with table.bulk_rows() as csv_rows:
        assert Counter(tuple(row[p] for p in POSITIONS) for row in csv_rows) == expected
