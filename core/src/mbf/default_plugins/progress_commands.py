"""Progress commands: ``mbf status`` (migration KPIs) and ``mbf report`` (a self-contained HTML report)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import click

from mbf.plugin import hookimpl

if TYPE_CHECKING:
    from rich.table import Table

    from mbf.config import MbfConfig
    from mbf.engine.kpis import MigrationStatus, ScopeKpis

_existing_file = click.Path(exists=True, dir_okay=False, path_type=Path)
_output_file = click.Path(dir_okay=False, path_type=Path)
_day = click.DateTime(formats=["%Y-%m-%d"])


def _load_config(path: Path | None) -> MbfConfig:
    app = click.get_current_context().obj
    config: MbfConfig = app.load_config(path)
    return config


def _today(value: dt.datetime | None) -> dt.date:
    return value.date() if value is not None else dt.date.today()


def _text(value: object) -> str:
    return "–" if value is None else str(value)


def _scopes(status: MigrationStatus) -> list[tuple[str, ScopeKpis]]:
    rows = [(dc.id or dc.name, dc.kpis) for dc in status.datacenters]
    return [*rows, ("overall", status.overall)]


def _assets_table(status: MigrationStatus) -> Table:
    from rich import box
    from rich.table import Table

    table = Table(title=f"Assets on {status.today.isoformat()}", box=box.SIMPLE_HEAD)
    table.add_column("DC")
    for column in ("total", "migrated", "in progress", "blocked", "not started", "% done"):
        table.add_column(column, justify="right")
    table.add_column("open blockers", justify="right")
    for label, kpis in _scopes(status):
        assets = kpis.assets
        table.add_row(
            label,
            str(assets.total),
            str(assets.migrated),
            str(assets.in_progress),
            str(assets.blocked),
            str(assets.not_started),
            _text(assets.percent_done),
            str(kpis.blockers.open),
        )
    return table


def _finish_table(status: MigrationStatus) -> Table:
    from rich import box
    from rich.table import Table

    table = Table(title="Velocity and projected finish against the lease end", box=box.SIMPLE_HEAD)
    table.add_column("DC")
    for column in ("velocity", "planned", "projected", "basis", "lease end", "margin"):
        table.add_column(column, justify="left" if column == "basis" else "right", no_wrap=True)
    for label, kpis in _scopes(status):
        finish = kpis.finish
        table.add_row(
            label,
            _text(kpis.velocity.per_iteration),
            _text(finish.planned),
            _text(finish.projected),
            finish.basis.value,
            _text(finish.lease_end),
            _text(finish.margin_days),
        )
    return table


def _burndown_table(status: MigrationStatus) -> Table:
    from rich import box
    from rich.table import Table

    table = Table(
        title="Burn-down: assets left after each iteration (planned / actual)", box=box.SIMPLE_HEAD
    )
    table.add_column("iteration")
    table.add_column("finish")
    scopes = _scopes(status)
    for label, _ in scopes:
        table.add_column(label, justify="right")
    for n, entry in enumerate(status.iterations):
        cells = [
            f"{scope.burndown[n].planned_remaining} / {_text(scope.burndown[n].actual_remaining)}"
            for _, scope in scopes
        ]
        table.add_row(
            f"{entry.iteration.name} ({entry.timing.value})",
            _text(entry.iteration.finish),
            *cells,
        )
    return table


@click.command("status")
@click.argument("backlog_path", metavar="BACKLOG", type=_existing_file)
@click.option("--json", "as_json", is_flag=True, help="Print the mbf-status JSON document.")
@click.option(
    "--today", type=_day, metavar="YYYY-MM-DD", help="Compute the figures as of this day."
)
@click.option(
    "-c", "--config", "config_path", type=_existing_file, help="mbf.toml (lease end overrides)."
)
def status_command(
    backlog_path: Path, as_json: bool, today: dt.datetime | None, config_path: Path | None
) -> None:
    """Migration KPIs per datacenter and overall: assets migrated, blocked, velocity, projected
    finish against the lease end, burn-down per iteration."""
    import json

    from mbf.engine.kpis import compute_status, status_document
    from mbf.serialization import read_backlog

    status = compute_status(read_backlog(backlog_path), _today(today), _load_config(config_path))
    if as_json:
        click.echo(json.dumps(status_document(status), indent=2, ensure_ascii=False))
        return
    from rich.console import Console

    console = Console()
    console.print(_assets_table(status))
    console.print(_finish_table(status))
    if status.iterations:
        console.print(_burndown_table(status))


@click.command("report")
@click.argument("backlog_path", metavar="BACKLOG", type=_existing_file)
@click.option("-o", "--output", type=_output_file, required=True, help="HTML report file to write.")
@click.option("--today", type=_day, metavar="YYYY-MM-DD", help="Draw the report as of this day.")
@click.option(
    "--workload",
    "workloads",
    multiple=True,
    metavar="ID",
    help="Workload whose dependency map to draw (repeatable; default: the most connected).",
)
@click.option(
    "-c", "--config", "config_path", type=_existing_file, help="mbf.toml (lease end overrides)."
)
def report_command(
    backlog_path: Path,
    output: Path,
    today: dt.datetime | None,
    workloads: tuple[str, ...],
    config_path: Path | None,
) -> None:
    """Write one self-contained HTML report: KPIs, burn-up per datacenter against its lease end,
    iteration Gantt, blockers by type and the dependency map of a workload."""
    from mbf.engine.report import write_report
    from mbf.serialization import read_backlog

    drawn = write_report(
        read_backlog(backlog_path),
        output,
        today=_today(today),
        config=_load_config(config_path),
        workloads=workloads,
    )
    maps = f", dependency map of {', '.join(drawn)}" if drawn else ""
    click.echo(f"Wrote report {output}{maps}")


@hookimpl
def mbf_commands() -> Iterator[click.Command]:
    yield status_command
    yield report_command
