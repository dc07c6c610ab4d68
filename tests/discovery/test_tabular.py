"""mbf.tabular reads CSV exports whatever their encoding and separator, and names bad cells."""

from __future__ import annotations

from pathlib import Path

import pytest

from mbf.errors import InputError
from mbf.tabular import (
    Columns,
    ColumnSpec,
    Memo,
    bool_column,
    cell_bool,
    cell_float,
    cell_int,
    cell_text,
    float_column,
    int_column,
    normalise_header,
    read_csv_table,
    split_list,
    text_column,
)

ROWS = [["srv01", "2"], ["srv02", "4"]]


def numbered(path: Path) -> list[tuple[int, list[str]]]:
    return [(n, list(r)) for n, r in read_csv_table(path).numbered_rows()]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1252"])
def test_every_usual_encoding_reads(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "x.csv"
    path.write_text("Näme,Cores\nsrv01,2\nsrv02,4\n", encoding=encoding)
    table = read_csv_table(path)
    assert (table.header, numbered(path)) == (("Näme", "Cores"), [(2, ROWS[0]), (3, ROWS[1])])


@pytest.mark.parametrize("separator", [",", ";", "\t", "|"])
def test_separator_is_detected_from_the_header(tmp_path: Path, separator: str) -> None:
    path = tmp_path / "x.csv"
    path.write_text(
        f"Name{separator}Cores\nsrv01{separator}2\nsrv02{separator}4\n", encoding="utf-8"
    )
    assert [r for _, r in numbered(path)] == ROWS


def test_excel_sep_hint_line_and_blank_lines_keep_row_numbers(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("sep=;\nName;Cores\nsrv01;2\n\nsrv02;4\n", encoding="utf-8")
    table = read_csv_table(path)
    assert (table.header_row, numbered(path)) == (2, [(3, ROWS[0]), (5, ROWS[1])])


def test_quoted_cells_may_hold_separators_and_line_breaks(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text('Name,Note\nsrv01,"a, b\nc"\nsrv02,d\n', encoding="utf-8")
    assert numbered(path) == [(2, ["srv01", "a, b\nc"]), (4, ["srv02", "d"])]


def test_empty_and_blank_files_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("\n\n  \n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_csv_table(path)
    assert str(caught.value) == f"{path}: the file is empty; expected a header row"


def test_binary_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(b"PK\x03\x04\x00\x00\x08\x00binary")
    with pytest.raises(InputError, match=r"not a text file \(binary content\)"):
        read_csv_table(path)


def test_headers_compare_without_case_punctuation_or_asterisks() -> None:
    assert {normalise_header(h) for h in ("*Memory (In MB)", "memory (in mb)", "Memory_In_MB")} == {
        "memoryinmb"
    }


def test_columns_find_aliases_and_name_a_missing_required_one() -> None:
    specs = [ColumnSpec("*Server Name", ("Server name",), required=True), ColumnSpec("Cores")]
    assert Columns.locate(["x", "server NAME"], specs).index == {"*Server Name": 1}
    with pytest.raises(InputError) as caught:
        Columns.locate(["Cores"], specs)
    assert (
        str(caught.value)
        == "column '*Server Name': missing mandatory column (also accepted: 'Server name')"
    )


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (4, 4.0),
        (4.5, 4.5),
        ("4,5", 4.5),
        ("16,384", 16384.0),
        ("1,024.5", 1024.5),
        ("0.125", 0.125),
        ("1 024", 1024.0),
        ("1\u00a0024,5", 1024.5),
        ("", None),
    ],
)
def test_numbers_in_every_locale(cell: object, expected: float | None) -> None:
    assert cell_float(cell, where="f", row=2, column="c") == expected


def test_dotted_thousands_are_not_guessed_so_whole_numbers_refuse_them() -> None:
    with pytest.raises(InputError, match=r"expected a whole number, found '16.384'"):
        cell_int("16.384", where="f.csv", row=2, column="Memory")


def test_whole_number_refuses_fractions() -> None:
    with pytest.raises(InputError) as caught:
        cell_int("2.5", where="f.csv", row=7, column="Cores")
    assert str(caught.value) == "f.csv, row 7, column 'Cores': expected a whole number, found '2.5'"


def test_yes_no_cells() -> None:
    assert [
        cell_bool(v, where="f", row=1, column="c") for v in (True, "TRUE", "yes", "", "False", 0)
    ] == [
        True,
        True,
        True,
        False,
        False,
        False,
    ]


def test_list_cells_split_on_brackets_commas_and_semicolons() -> None:
    assert split_list("[10.0.0.1,fe80::1];[10.0.0.2];") == ("10.0.0.1", "fe80::1", "10.0.0.2")


def test_whole_columns_read_what_their_cells_read() -> None:
    texts = [" srv01 ", "srv02"]
    mixed = ["srv01 ", 2.0, 2.5, None, True]
    assert text_column(texts) == ["srv01", "srv02"]
    assert text_column(mixed) == [cell_text(v) for v in mixed] == ["srv01", "2", "2.5", "", "True"]
    assert float_column([2.0, -0.0, 3]) == [2.0, 0.0, 3.0]
    assert str(float_column([-0.0])) == "[0.0]"  # as cell_float(cell_text(-0.0)) reads "0"
    assert float_column([" 4.5", "16,384", "", "1 024"]) == [4.5, 16384.0, None, 1024.0]
    assert float_column(["4", "8"]) == [4.0, 8.0]
    assert int_column([2.0, "16,384", ""]) == [2, 16384, None]
    assert int_column([8.0, 4]) == [8, 4]
    assert bool_column([True, False]) == [True, False]
    assert bool_column(["yes", "", None, 0]) == [True, False, False, False]


@pytest.mark.parametrize(
    "values", [["four"], [float("inf")], ["nan"], [True], [10**400], ["1e999"]]
)
def test_whole_number_columns_decline_what_a_cell_would_report(values: list[object]) -> None:
    assert float_column(values) is None
    assert int_column(values) is None


def test_columns_decline_fractions_and_non_booleans() -> None:
    assert int_column([2.5]) is None
    assert int_column(["2.5", ""]) is None
    assert bool_column(["maybe"]) is None


def test_a_memo_works_each_key_out_once_after_the_known_ones() -> None:
    calls: list[str] = []

    def shout(word: str) -> str:
        calls.append(word)
        return word.upper()

    memo = Memo(shout, {None: ""})
    assert list(map(memo.__getitem__, ["a", None, "b", "a", "b"])) == ["A", "", "B", "A", "B"]
    assert calls == ["a", "b"]
