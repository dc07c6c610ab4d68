"""``mbf build``: the whole job of a project's mbf.toml in one command, with a summary at the end."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from mbf.plugin import hookimpl

if TYPE_CHECKING:
    from mbf.engine.build import BuildReport

_MAX_WARNINGS = 40
"""Warnings printed before the rest are only counted."""


class _ProgressBars:
    """Draws one rich progress bar per build step on stderr (only used on a terminal)."""

    def __init__(self, progress: Any) -> None:
        self.progress = progress
        self.task: Any = None

    def step(self, description: str, total: int) -> None:
        if self.task is not None:
            self.progress.update(self.task, completed=self.progress.tasks[-1].total)
        self.task = self.progress.add_task(description, total=total)

    def advance(self) -> None:
        self.progress.advance(self.task)


@click.command("build")
@click.option(
    "-c",
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("mbf.toml"),
    show_default=True,
    help="The project's mbf.toml.",
)
@click.option(
    "--push", is_flag=True, help="Also push the backlog to every [services.<name>] of mbf.toml."
)
def build_command(config_path: Path, push: bool) -> None:
    """Discover the [[sources]], generate and plan the backlog, write every [[outputs]] file.

    The native estate and backlog are written too ([build] estate and backlog, by default
    out/estate.json and out/backlog.json); a rebuild keeps the states and tracker keys the backlog
    file holds, and an unchanged project rebuilds to the same bytes. Nothing is sent to a live
    tracker without --push.
    """
    from rich.console import Console
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from mbf.engine.build import build_project
    from mbf.errors import ConfigError, MbfError
    from mbf.plugin import Context

    if not config_path.is_file():
        raise ConfigError(f"{config_path}: no such file; pass the project's mbf.toml with -c")
    app = click.get_current_context().obj
    config = app.load_config(config_path)
    context = Context(config=config)
    console = Console(stderr=True)
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as progress:
        report = build_project(
            app.plugin_manager,
            config,
            push=push,
            observer=_ProgressBars(progress),
            context=context,
        )
    warnings = context.diagnostics.warnings
    for warning in warnings[:_MAX_WARNINGS]:
        click.echo(f"Warning: {warning}", err=True)
    if len(warnings) > _MAX_WARNINGS:
        click.echo(f"Warning: ... and {len(warnings) - _MAX_WARNINGS} more warnings", err=True)
    for line in summary_lines(report, config_path):
        click.echo(line)
    failed = [(name, r) for name, r in report.pushes if r.failed]
    if failed:
        lines = "\n".join(
            f"  {name} {item_id}: {reason}" for name, r in failed for item_id, reason in r.failed
        )
        raise MbfError(f"items were refused by the tracker:\n{lines}")
    app.finish()


def summary_lines(report: BuildReport, config_path: Path) -> list[str]:
    """The summary ``mbf build`` prints: what was read, made, planned and written."""
    estate, plan = report.estate, report.plan
    kinds = report.items_by_kind
    seconds = sum(t for _, t in report.timings)
    steps = ", ".join(f"{name} {t:.1f}" for name, t in report.timings)
    lines = [
        f"Built {config_path} in {seconds:.1f} s ({steps})",
        f"  Servers: {len(estate.servers)} in {len(estate.datacenters)} datacenters, "
        f"{len(estate.workloads)} workloads, {len(estate.dependencies)} dependencies "
        f"(from {len(estate.sources)} exports)",
        f"  Items: {sum(kinds.values())} ({kinds['epic']} epics, {kinds['feature']} features, "
        f"{kinds['story']} stories, {kinds['task']} tasks)",
    ]
    if report.regeneration is not None:
        regen = report.regeneration
        lines.append(
            f"  Against the previous backlog: {len(regen.added)} added, {len(regen.kept)} kept, "
            f"{len(regen.removed)} removed"
        )
    lines.append(
        f"  Iterations: {len(report.backlog.iterations)} ({plan.iterations_used} with workloads), "
        f"{len(report.backlog.releases)} releases, strategy {report.strategy}"
    )
    for finish in plan.finishes:
        dc = finish.datacenter
        if finish.last_iteration is None:
            lines.append(f"    {dc.id}: nothing planned")
            continue
        line = f"    {dc.id}: empty after {finish.last_iteration.name}"
        if finish.last_iteration.finish is not None:
            line += f" ({finish.last_iteration.finish.isoformat()})"
        spare = finish.days_to_spare
        if dc.lease_end is not None and spare is not None:
            verdict = f"{spare} days to spare" if spare >= 0 else f"{-spare} days LATE"
            line += f", lease ends {dc.lease_end.isoformat()}: {verdict}"
        lines.append(line)
    lines.append(f"  Constraints not met: {len(report.violations)}")
    lines += [f"    [{v.constraint}] {v.message}" for v in report.violations]
    lines.append(f"  Outputs written: {len(report.outputs)}")
    for output in report.outputs:
        lost = f"; cannot hold {', '.join(sorted(output.lost))}" if output.lost else ""
        lines.append(f"    {output.path} ({output.format}{lost})")
    for name, push in report.pushes:
        lines.append(
            f"  Pushed to {name}: {len(push.created)} created, {len(push.updated)} updated, "
            f"{len(push.unchanged)} unchanged, {len(push.failed)} refused"
        )
    return lines


@hookimpl
def mbf_commands() -> Iterator[click.Command]:
    yield build_command
