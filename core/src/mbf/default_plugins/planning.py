"""Iteration planning: the default ``waves`` strategy and ``mbf plan``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import click

from mbf.plugin import PlanningStrategy, hookimpl

_existing_file = click.Path(exists=True, dir_okay=False, path_type=Path)
_output_file = click.Path(dir_okay=False, path_type=Path)


@click.command("plan")
@click.argument("backlog_path", metavar="BACKLOG", type=_existing_file)
@click.option("-c", "--config", "config_path", type=_existing_file, help="mbf.toml of the project.")
@click.option(
    "--strategy", metavar="NAME", help="Planning strategy (default: [planning] strategy, or waves)."
)
@click.option("--explain", is_flag=True, help="Say, per workload, why it got its iteration.")
@click.option(
    "-o",
    "--output",
    "output",
    type=_output_file,
    required=True,
    help="Planned backlog file to write.",
)
def plan_command(
    backlog_path: Path, config_path: Path | None, strategy: str | None, explain: bool, output: Path
) -> None:
    """Plan a backlog into iterations and releases; report every constraint that cannot be met."""
    from mbf.config import load_config
    from mbf.engine.planning import format_summary, plan_summary
    from mbf.plugin import Context
    from mbf.serialization import read_backlog, write_backlog

    app = click.get_current_context().obj
    config = load_config(config_path)
    app.plugin_manager.hook.mbf_configure.call_historic(kwargs={"config": config})
    chosen = app.plugin_manager.planning_strategies.get(
        strategy or config.planning.strategy, flag="--strategy"
    )
    context = Context(config=config)
    result = chosen.plan(read_backlog(backlog_path), context)
    write_backlog(result.backlog, output)
    for warning in context.diagnostics.warnings:
        click.echo(f"Warning: {warning}", err=True)
    click.echo(f"Planned {backlog_path} with strategy {chosen.name} -> {output}")
    for line in format_summary(plan_summary(result.backlog, config)):
        click.echo(line)
    if result.violations:
        click.echo(f"{len(result.violations)} constraint(s) not met:")
        for violation in result.violations:
            click.echo(f"  [{violation.constraint}] {violation.message}")
    if explain:
        click.echo("Why each workload got its iteration:")
        for item_id, why in result.explanations:
            click.echo(f"  {item_id} -> {why}")
    app.finish()


@hookimpl
def mbf_planning_strategies() -> Iterator[PlanningStrategy]:
    from mbf.engine.waves import plan_waves

    yield PlanningStrategy(
        name="waves",
        description="Whole workloads into iterations in business order, under capacity, dependencies first",
        plan=plan_waves,
    )


@hookimpl
def mbf_commands() -> Iterator[click.Command]:
    yield plan_command
