"""``mbf track``: fold replication and migration progress into the backlog's task states."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import click

from mbf.plugin import hookimpl

_existing_file = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.command("track")
@click.argument("backlog_path", metavar="BACKLOG", type=_existing_file)
@click.argument(
    "progress_paths", metavar="PROGRESS...", nargs=-1, required=True, type=_existing_file
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Backlog file to write (may be BACKLOG itself).",
)
def track_command(backlog_path: Path, progress_paths: tuple[Path, ...], output: Path) -> None:
    """Move migrate tasks forward from what Azure Migrate and the migration team report.

    PROGRESS is a replication status CSV (Get-AzMigrateServerMigrationStatus | Export-Csv) or a
    Migration Execution Guide workbook whose 8. Wave sheet has replication, test and final
    migration statuses. Replication started moves a server's migrate task to in progress, migrated
    to done; a failure or unhealthy replication tags it migration-issue. Give the files oldest
    first: the last report of a server sets its status. Tasks never move back, and servers the
    backlog does not know are listed.
    """
    from mbf.engine.convert import read_backlog_file, write_backlog_file
    from mbf.engine.progress import read_progress, track_progress
    from mbf.plugin import Context

    app = click.get_current_context().obj
    context = Context()
    backlog, _reader = read_backlog_file(app.plugin_manager, backlog_path, None, context)
    records = [
        record
        for path in progress_paths
        for record in read_progress(app.plugin_manager, path, context)
    ]
    tracked, report = track_progress(backlog, records)
    write_backlog_file(app.plugin_manager, tracked, output, None, context)
    for warning in context.diagnostics.warnings:
        click.echo(f"Warning: {warning}", err=True)
    for record in report.unknown:
        click.echo(
            f"Warning: {record.origin}: server {record.server!r} is not in the backlog", err=True
        )
    for record in report.without_task:
        click.echo(
            f"Warning: {record.origin}: server {record.server!r} has no migrate task", err=True
        )
    for task_id, record in report.issues:
        click.echo(f"Warning: {record.origin}: {task_id} needs attention: {record.issue}", err=True)
    for task_id, state in report.ahead:
        click.echo(f"Kept {task_id} at {state!r}: the backlog is further than the report")
    for label, task_ids in (
        ("in progress", report.started),
        ("done", report.done),
        ("flagged migration-issue", report.flagged),
        ("no longer flagged", report.cleared),
    ):
        for task_id in task_ids:
            click.echo(f"  {task_id}: {label}")
    click.echo(
        f"Tracked {report.servers} servers from {len(progress_paths)} file(s): "
        f"{len(report.started)} started, {len(report.done)} done, {len(report.flagged)} flagged, "
        f"{len(report.cleared)} cleared, {len(report.unknown)} not in the backlog -> {output}"
    )


@hookimpl
def mbf_commands() -> Iterator[click.Command]:
    yield track_command
