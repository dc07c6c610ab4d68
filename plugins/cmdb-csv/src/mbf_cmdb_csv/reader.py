"""Reading a CMDB CSV, its columns mapped in mbf.toml, into servers and application workloads."""

from __future__ import annotations

import operator
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mbf.domain import (
    Datacenter,
    Estate,
    EstateSource,
    MigrationStrategy,
    Server,
    Workload,
    server_id,
    server_ids,
    slug,
)
from mbf.domain.estate import normalised_servers
from mbf.errors import InputError
from mbf.plugin import Context
from mbf.tabular import (
    Columns,
    ColumnSpec,
    Table,
    cell_float,
    cell_int,
    float_column,
    int_column,
    read_csv_table,
    split_list,
    text_column,
)
from mbf_cmdb_csv.settings import DEFAULT_HEADERS, CmdbSettings

__all__ = ["read_cmdb"]

_STRATEGIES = {s.value: s for s in MigrationStrategy}
_STRATEGY_TEXTS = frozenset({"", *_STRATEGIES})
_LIST_SEPARATOR = re.compile(r"[\s,;\[\]]")
"""What :func:`mbf.tabular.split_list` splits at."""


def _specs(settings: CmdbSettings) -> list[ColumnSpec]:
    specs = []
    for field, defaults in DEFAULT_HEADERS.items():
        mapped = settings.columns.get(field)
        if mapped is not None:
            specs.append(ColumnSpec(mapped, (), required=True))
        else:
            specs.append(ColumnSpec(defaults[0], defaults[1:], required=field == "name"))
    return specs


def read_cmdb(path: Path, context: Context) -> Estate:
    """One server per row; each application named becomes a workload with its owner and criticality."""
    settings = context.settings if isinstance(context.settings, CmdbSettings) else CmdbSettings()
    table = read_csv_table(path, delimiter=settings.delimiter, encoding=settings.encoding)
    specs = _specs(settings)
    header_of = {field: spec.name for field, spec in zip(DEFAULT_HEADERS, specs, strict=True)}
    cols = Columns.locate(table.header, specs, table=table)
    read = _read_by_column(table, cols, header_of, settings)
    if read is None:  # a blank row, a cell to report or a row to warn about: row by row
        read = _read_row_by_row(table, cols, header_of, settings, context)
    servers, workloads, datacenters = read
    if not servers:
        raise InputError("the CMDB CSV has a header but no rows", path=table.where)
    return Estate(
        datacenters=tuple(datacenters[k] for k in sorted(datacenters)),
        servers=tuple(servers),
        workloads=tuple(workloads[k] for k in sorted(workloads)),
        sources=(EstateSource(source="cmdb-csv", path=str(path), records=len(servers)),),
    )


_Read = tuple[list[Server], dict[str, Workload], dict[str, Datacenter]]
"""The servers, and the workloads and datacenters by id."""


def _read_row_by_row(
    table: Table,
    cols: Columns,
    header_of: dict[str, str],
    settings: CmdbSettings,
    context: Context,
) -> _Read:
    """Every row, one at a time; a bad cell is an error naming its row and column, and a row
    that disagrees with an earlier one about an application is reported by its number."""
    where = table.where
    servers: list[Server] = []
    workloads: dict[str, Workload] = {}
    datacenters: dict[str, Datacenter] = {}
    slugs: dict[str, str] = {}  # a few thousand applications and datacenters for many servers

    def slugged(text: str) -> str:
        found = slugs.get(text)
        if found is None:
            found = slugs[text] = slug(text)
        return found

    for number, row in table.numbered_rows():
        cells = cols.texts(row)  # by header; a field without a column is absent
        name = cells.get(header_of["name"], "")
        if not name:
            raise InputError(
                "the server name is empty", path=where, row=number, column=header_of["name"]
            )
        datacenter = cells.get(header_of["datacenter"], "")
        datacenter_id = slugged(datacenter) if datacenter else ""
        if datacenter and datacenter_id not in datacenters:
            datacenters[datacenter_id] = Datacenter(id=datacenter_id, name=datacenter)
        strategy_text = cells.get(header_of["strategy"], "").lower()
        if strategy_text and strategy_text not in _STRATEGIES:
            raise InputError(
                f"unknown strategy {strategy_text!r}; expected one of: {', '.join(_STRATEGIES)}",
                path=where,
                row=number,
                column=header_of["strategy"],
            )
        strategy = _STRATEGIES.get(strategy_text, MigrationStrategy.REHOST)
        workload_ids = []
        for application in (
            a.strip()
            for a in cells.get(header_of["application"], "").split(settings.application_separator)
        ):
            if not application:
                continue
            workload_id = slugged(application)
            _add_workload(
                workloads,
                workload_id=workload_id,
                application=application,
                details={
                    "owner": cells.get(header_of["owner"], ""),
                    "criticality": cells.get(header_of["criticality"], ""),
                    "strategy": strategy,
                },
                context=context,
                where=where,
                row=number,
            )
            workload_ids.append(workload_id)
        servers.append(
            Server(
                id=server_id(name),
                name=name,
                datacenter_id=datacenter_id or None,
                os=cells.get(header_of["os"], ""),
                os_version=cells.get(header_of["os_version"], ""),
                cores=cell_int(
                    cols.get(row, header_of["cores"]),
                    where=where,
                    row=number,
                    column=header_of["cores"],
                ),
                memory_mb=cell_int(
                    cols.get(row, header_of["memory_mb"]),
                    where=where,
                    row=number,
                    column=header_of["memory_mb"],
                ),
                storage_gb=cell_float(
                    cols.get(row, header_of["storage_gb"]),
                    where=where,
                    row=number,
                    column=header_of["storage_gb"],
                ),
                environment=cells.get(header_of["environment"], ""),
                ip_addresses=split_list(cells.get(header_of["ip_addresses"], "")),
                workload_ids=tuple(workload_ids),
            )
        )
    return servers, workloads, datacenters


def _read_by_column(
    table: Table, cols: Columns, header_of: dict[str, str], settings: CmdbSettings
) -> _Read | None:
    """What :func:`_read_row_by_row` reads, a column at a time; ``None`` when a row is blank
    or short, a cell needs the careful per-cell path, or rows disagree about an application
    (the row-by-row way reports each by its row number)."""
    try:
        with table.bulk_rows() as bulk:
            rows = list(bulk)
    except InputError:
        return None  # the numbered rows say on which line
    if not rows or min(map(len, rows)) <= max(cols.index.values()):
        return None
    blank = [""] * len(rows)

    def texts(field: str) -> list[str]:
        at = cols.index.get(header_of[field])
        return blank if at is None else text_column(list(map(operator.itemgetter(at), rows)))

    names = texts("name")
    if "" in names:
        return None
    numbers: list[Sequence[float | None]] = []
    for field in ("cores", "memory_mb", "storage_gb"):
        if header_of[field] not in cols:
            numbers.append([None] * len(rows))
            continue
        column = (float_column if field == "storage_gb" else int_column)(texts(field))
        if column is None:
            return None
        numbers.append(column)
    strategy_texts = list(map(str.lower, texts("strategy")))
    if not set(strategy_texts) <= _STRATEGY_TEXTS:
        return None
    datacenters: dict[str, Datacenter] = {}
    slugs: dict[str, str] = {}
    for datacenter in dict.fromkeys(texts("datacenter")):
        if datacenter:
            slugs[datacenter] = datacenter_id = slug(datacenter)
            datacenters.setdefault(datacenter_id, Datacenter(id=datacenter_id, name=datacenter))
    workloads = _workloads_by_column(
        texts("application"), texts("owner"), texts("criticality"), strategy_texts, settings
    )
    if workloads is None:
        return None
    workload_ids, applications = workloads
    cores, memory_mb, storage_gb = numbers
    servers = normalised_servers(
        server_ids(names),
        names,
        datacenter_id=[
            (slugs[datacenter] or None) if datacenter else None
            for datacenter in texts("datacenter")
        ],
        os=texts("os"),
        os_version=texts("os_version"),
        cores=cores,
        memory_mb=memory_mb,
        storage_gb=storage_gb,
        environment=texts("environment"),
        ip_addresses=_list_column(texts("ip_addresses")),
        workload_ids=workload_ids,
    )
    return servers, applications, datacenters


def _workloads_by_column(
    cells: list[str],
    owners: list[str],
    criticalities: list[str],
    strategies: list[str],
    settings: CmdbSettings,
) -> tuple[list[tuple[str, ...]], dict[str, Workload]] | None:
    """The workload ids of each row's application cell and the workloads they name; ``None``
    when two rows disagree about an application (a warning names the later row)."""
    ids_of: dict[str, tuple[str, ...]] = {}
    applications: dict[str, tuple[str, dict[str, Any]]] = {}
    workload_ids: list[tuple[str, ...]] = []
    for cell, owner, criticality, strategy_text in zip(
        cells, owners, criticalities, strategies, strict=True
    ):
        ids = ids_of.get(cell)
        if ids is None:
            names = [a.strip() for a in cell.split(settings.application_separator)]
            ids = ids_of[cell] = tuple(slug(a) for a in names if a)
        details = {
            "owner": owner,
            "criticality": criticality,
            "strategy": _STRATEGIES.get(strategy_text, MigrationStrategy.REHOST),
        }
        for position, workload_id in enumerate(ids):
            kept = applications.get(workload_id)
            if kept is None:
                application = [a.strip() for a in cell.split(settings.application_separator)]
                applications[workload_id] = ([a for a in application if a][position], details)
            elif _differs(kept[1], details):
                return None
        workload_ids.append(ids)
    workloads = {
        workload_id: Workload(
            id=workload_id, name=name, reason=f"CMDB application {name}", **details
        )
        for workload_id, (name, details) in applications.items()
    }
    return workload_ids, workloads


def _differs(kept: dict[str, Any], details: dict[str, Any]) -> bool:
    """Whether :func:`_add_workload` would warn about a row with ``details``."""
    for field in ("owner", "criticality", "strategy"):
        mine, theirs = kept[field], details[field]
        if (
            theirs
            and mine != theirs
            and (field != "strategy" or theirs is not MigrationStrategy.REHOST)
        ):
            return True
    return False


def _list_column(texts: list[str]) -> list[tuple[str, ...]]:
    """:func:`split_list` of each cell; at C speed when no cell holds a list."""
    if _LIST_SEPARATOR.search("\x00".join(texts)):  # NUL is no separator, so joins none
        return list(map(split_list, texts))
    return [(text,) if text else () for text in texts]


def _add_workload(
    workloads: dict[str, Workload],
    *,
    workload_id: str,
    application: str,
    details: dict[str, Any],
    context: Context,
    where: str,
    row: int,
) -> None:
    """Keep the first row's owner, criticality and strategy of an application; report rows that
    differ (``where`` and ``row`` name the row; a new workload is only built for the first)."""
    kept = workloads.get(workload_id)
    if kept is None:
        workloads[workload_id] = Workload(
            id=workload_id,
            name=application,
            reason=f"CMDB application {application}",
            **details,
        )
        return
    for field in ("owner", "criticality", "strategy"):
        mine, theirs = getattr(kept, field), details[field]
        if (
            theirs
            and mine != theirs
            and (field != "strategy" or theirs is not MigrationStrategy.REHOST)
        ):
            context.diagnostics.warn(
                f"{where}, row {row}: application {application!r} has {field} {theirs!r}, an earlier row "
                f"{mine!r}; kept {mine!r}"
            )
