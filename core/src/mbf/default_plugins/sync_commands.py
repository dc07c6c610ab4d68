"""``mbf push`` and ``mbf pull``: keep a backlog file and a live tracker in step."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from mbf.plugin import hookimpl

if TYPE_CHECKING:
    from mbf.plugin import Context, TrackerService
    from mbf.sync import SyncLedger

_existing_file = click.Path(exists=True, dir_okay=False, path_type=Path)
_output_file = click.Path(dir_okay=False, path_type=Path)
_config_option = click.option(
    "-c", "--config", "config_path", type=_existing_file, help="Project configuration (mbf.toml)."
)
_service_option = click.option(
    "--service", "service_name", required=True, metavar="NAME", help="Tracker service."
)
_ledger_option = click.option(
    "--ledger",
    "ledger_path",
    type=_output_file,
    help="Sync ledger file (default: .mbf/ledger-SERVICE.json beside mbf.toml).",
)


def _connect(
    service_name: str, config_path: Path | None, ledger_path: Path | None
) -> tuple[TrackerService, Any, SyncLedger, Context]:
    """Resolve the service, its settings and its ledger; return what push and pull share."""
    from mbf.engine.push import open_service

    app = click.get_current_context().obj
    session = open_service(
        app.plugin_manager,
        app.load_config(config_path),
        service_name,
        ledger_path=ledger_path,
        config_name=config_path.name if config_path else "mbf.toml",
    )
    return session.service, session.settings, session.ledger, session.context


@click.command("push")
@click.argument("backlog_path", metavar="BACKLOG", type=_existing_file)
@_service_option
@_config_option
@_ledger_option
@click.option(
    "--dry-run", is_flag=True, help="Say what would be created and updated; send nothing."
)
def push_command(
    backlog_path: Path,
    service_name: str,
    config_path: Path | None,
    ledger_path: Path | None,
    dry_run: bool,
) -> None:
    """Create and update the backlog's items in a live tracker.

    Idempotent and resumable: an unchanged backlog sends nothing; a push that was interrupted
    finishes without creating anything twice. The tracker keys are written back into BACKLOG.
    """
    from mbf.engine.push import ServiceSession, push_backlog
    from mbf.errors import MbfError
    from mbf.serialization import read_backlog, write_backlog
    from mbf.sync import plan_push

    service, settings, ledger, context = _connect(service_name, config_path, ledger_path)
    backlog = read_backlog(backlog_path)
    if dry_run:
        plan = plan_push(backlog, ledger)
        click.echo(
            f"Dry run ({service.name}): would create {len(plan.create)}, update {len(plan.update)}; "
            f"{len(plan.unchanged)} unchanged"
        )
        return
    session = ServiceSession(service=service, settings=settings, ledger=ledger, context=context)
    report = push_backlog(session, backlog, lambda linked: write_backlog(linked, backlog_path))
    for warning in context.diagnostics.warnings:
        click.echo(f"Warning: {warning}", err=True)
    click.echo(
        f"Pushed to {service.name}: {len(report.created)} created, {len(report.updated)} updated, "
        f"{len(report.unchanged)} unchanged ({report.write_requests} write requests)"
    )
    if report.failed:
        lines = "\n".join(f"  {item_id}: {reason}" for item_id, reason in report.failed)
        raise MbfError(f"{len(report.failed)} item(s) were refused by {service.name}:\n{lines}")


@click.command("pull")
@_service_option
@_config_option
@_ledger_option
@click.option(
    "-o",
    "--output",
    "output_path",
    type=_output_file,
    required=True,
    help="Backlog file to update (merged when it exists).",
)
def pull_command(
    service_name: str, config_path: Path | None, ledger_path: Path | None, output_path: Path
) -> None:
    """Bring states, assignees, iterations and new items back from a live tracker.

    A field changed on both sides since the last push is reported as a conflict and keeps the
    local value.
    """
    from mbf.engine.sync_merge import merge_pull
    from mbf.serialization import read_backlog, write_backlog

    service, settings, ledger, context = _connect(service_name, config_path, ledger_path)
    local = read_backlog(output_path) if output_path.exists() else None
    client = service.connect(settings, context)
    try:
        remote = client.pull()
    finally:
        client.close()
    result = merge_pull(local, remote, ledger)
    write_backlog(result.backlog, output_path)
    ledger.save()
    for warning in context.diagnostics.warnings:
        click.echo(f"Warning: {warning}", err=True)
    for conflict in result.conflicts:
        click.echo(
            f"Conflict: {conflict.item_id} {conflict.field}: kept local {conflict.local!r}, "
            f"{service.name} has {conflict.remote!r}",
            err=True,
        )
    click.echo(
        f"Pulled from {service.name}: {len(result.updated)} updated, {len(result.added)} added, "
        f"{len(result.conflicts)} conflict(s) -> {output_path}"
    )


@hookimpl
def mbf_commands() -> Iterator[click.Command]:
    yield push_command
    yield pull_command
