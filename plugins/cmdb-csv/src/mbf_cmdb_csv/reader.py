"""Reading a CMDB CSV, its columns mapped in mbf.toml, into servers and application workloads."""

from __future__ import annotations

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
    if not servers:
        raise InputError("the CMDB CSV has a header but no rows", path=where)
    return Estate(
        datacenters=tuple(datacenters[k] for k in sorted(datacenters)),
        servers=tuple(servers),
        workloads=tuple(workloads[k] for k in sorted(workloads)),
        sources=(EstateSource(source="cmdb-csv", path=str(path), records=len(servers)),),
    )


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
