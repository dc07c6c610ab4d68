"""The raw-I/O floors mbf's figures are divided by, each run as its own process by ``run.py``.

A floor is the least any program must do for the same job: read the same files with the csv
module (python-calamine for workbooks), or write the same cells with the fastest xlsx writer.
No domain model, no validation, nothing kept. Usage (the runner calls these)::

    python benchmarks/floors.py read-exports FILE...        # discover's floor
    python benchmarks/floors.py copy-csv OUT FILE...        # convert's floor: read + write rows
    python benchmarks/floors.py xlsx-cells WORKBOOK CELLS   # dump a workbook's cells (not timed)
    python benchmarks/floors.py write-xlsx CELLS OUT        # the xlsx floor: write those cells
"""

from __future__ import annotations

import csv
import datetime as dt
import pickle
import sys
from pathlib import Path
from typing import Any


def read_exports(paths: list[Path]) -> int:
    """Read every row of the discovery exports: csv for CSV, calamine for every xlsx sheet."""
    count = 0
    for path in paths:
        if path.suffix == ".xlsx":
            from python_calamine import CalamineWorkbook

            book = CalamineWorkbook.from_path(str(path))
            for name in book.sheet_names:
                count += len(book.get_sheet_by_name(name).to_python())
            continue
        with path.open(encoding="utf-8-sig", newline="") as stream:
            delimiter = ";" if stream.readline().count(";") else ","
            stream.seek(0)
            count += sum(1 for _ in csv.reader(stream, delimiter=delimiter))
    return count


def copy_csv(target: Path, parts: list[Path]) -> int:
    """Read every row of ``parts`` and write them all to ``target``."""
    rows = 0
    with target.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        for part in parts:
            with part.open(encoding="utf-8-sig", newline="") as stream:
                for row in csv.reader(stream):
                    writer.writerow(row)
                    rows += 1
    return rows


def dump_cells(workbook: Path, cells: Path) -> int:
    """Save every sheet's cells of ``workbook`` (as calamine reads them) for :func:`write_xlsx`."""
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(workbook))
    sheets = [(name, book.get_sheet_by_name(name).to_python()) for name in book.sheet_names]
    with cells.open("wb") as stream:
        pickle.dump(sheets, stream, protocol=pickle.HIGHEST_PROTOCOL)
    return sum(len(rows) for _, rows in sheets)


def write_xlsx(cells: Path, target: Path) -> int:
    """Write the saved cells with xlsxwriter in constant-memory mode, the fastest writer measured
    (openpyxl's write-only mode takes about twice as long): strings, numbers, dates; no styling
    beyond a date format, no tables."""
    import xlsxwriter

    with cells.open("rb") as stream:
        sheets: list[tuple[str, list[list[Any]]]] = pickle.load(stream)
    book = xlsxwriter.Workbook(str(target), {"constant_memory": True})
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    written = 0
    for name, rows in sheets:
        sheet = book.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value == "" or value is None:
                    continue
                if isinstance(value, str):
                    sheet.write_string(r, c, value)
                elif isinstance(value, bool):
                    sheet.write_boolean(r, c, value)
                elif isinstance(value, dt.date | dt.datetime):
                    sheet.write_datetime(r, c, value, date_format)
                else:
                    sheet.write_number(r, c, value)
            written += 1
    book.close()
    return written


def main(argv: list[str]) -> None:
    command, *args = argv
    paths = [Path(a) for a in args]
    if command == "read-exports":
        count = read_exports(paths)
    elif command == "copy-csv":
        count = copy_csv(paths[0], paths[1:])
    elif command == "xlsx-cells":
        count = dump_cells(paths[0], paths[1])
    elif command == "write-xlsx":
        count = write_xlsx(paths[0], paths[1])
    else:
        raise SystemExit(f"unknown floor {command!r}")
    print(f"{count} rows")


if __name__ == "__main__":
    main(sys.argv[1:])
