"""Reading a CMDB CSV, its columns mapped in mbf.toml, into servers and application workloads."""

from __future__ import annotations

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
    slug,
)
from mbf.errors import InputError
from mbf.plugin import Context
from mbf.tabular import Columns, ColumnSpec, cell_float, cell_int, read_csv_table, split_list
from mbf_cmdb_csv.settings import DEFAULT_HEADERS, CmdbSettings

__all__ = ["read_cmdb"]

_STRATEGIES = {s.value: s for s in MigrationStrategy}


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
    where = table.where
    servers: list[Server] = []
    workloads: dict[str, Workload] = {}
    datacenters: dict[str, Datacenter] = {}

    def text(row: Sequence[Any], field: str) -> str:
        return cols.text(row, header_of[field])

    for number, row in table.numbered_rows():
        name = text(row, "name")
        if not name:
            raise InputError(
                "the server name is empty", path=where, row=number, column=header_of["name"]
            )
        datacenter = text(row, "datacenter")
        if datacenter and slug(datacenter) not in datacenters:
            datacenters[slug(datacenter)] = Datacenter(id=slug(datacenter), name=datacenter)
        strategy_text = text(row, "strategy").lower()
        if strategy_text and strategy_text not in _STRATEGIES:
            raise InputError(
                f"unknown strategy {strategy_text!r}; expected one of: {', '.join(_STRATEGIES)}",
                path=where,
                row=number,
                column=header_of["strategy"],
            )
        workload_ids = []
        for application in (
            a.strip() for a in text(row, "application").split(settings.application_separator)
        ):
            if not application:
                continue
            workload = Workload(
                id=slug(application),
                name=application,
                owner=text(row, "owner"),
                criticality=text(row, "criticality"),
                strategy=_STRATEGIES.get(strategy_text, MigrationStrategy.REHOST),
                reason=f"CMDB application {application}",
            )
            _add_workload(workloads, workload, context, f"{where}, row {number}")
            workload_ids.append(workload.id)
        servers.append(
            Server(
                id=server_id(name),
                name=name,
                datacenter_id=slug(datacenter) or None,
                os=text(row, "os"),
                os_version=text(row, "os_version"),
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
                environment=text(row, "environment"),
                ip_addresses=split_list(text(row, "ip_addresses")),
                workload_ids=tuple(workload_ids),
            )
        )
    if not servers:
        raise InputError("the CMDB CSV has a header but no rows", path=where)
    return Estate(
        datacenters=tuple(datacenters[k] for k in sorted(datacenters)),
        servers=tuple(servers),
        workloads=tuple(workloads[k] for k in sorted(workloads)),
        sources=(EstateSource(source="cmdb-csv", path=str(path), records=len(servers)),),
    )


def _add_workload(
    workloads: dict[str, Workload], workload: Workload, context: Context, where: str
) -> None:
    """Keep the first row's owner and criticality of an application; report rows that differ."""
    kept = workloads.get(workload.id)
    if kept is None:
        workloads[workload.id] = workload
        return
    for field in ("owner", "criticality", "strategy"):
        mine, theirs = getattr(kept, field), getattr(workload, field)
        if (
            theirs
            and mine != theirs
            and (field != "strategy" or theirs is not MigrationStrategy.REHOST)
        ):
            context.diagnostics.warn(
                f"{where}: application {workload.name!r} has {field} {theirs!r}, an earlier row "
                f"{mine!r}; kept {mine!r}"
            )
