"""Built-in commands that need no tracker: ``convert`` and ``plugins``."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import click

from mbf.plugin import hookimpl

_existing_file = click.Path(exists=True, dir_okay=False, path_type=Path)
_output_file = click.Path(dir_okay=False, path_type=Path)


@click.command("convert")
@click.argument("source", type=_existing_file)
@click.argument("target", type=_output_file)
@click.option(
    "--from", "from_format", metavar="FORMAT", help="Format of SOURCE (default: detected)."
)
@click.option(
    "--to", "to_format", metavar="FORMAT", help="Format of TARGET (default: from its name)."
)
@click.option(
    "-c",
    "--config",
    "config_path",
    type=_existing_file,
    help="mbf.toml whose [formats.NAME] tables set the formats' options.",
)
def convert_command(
    source: Path,
    target: Path,
    from_format: str | None,
    to_format: str | None,
    config_path: Path | None,
) -> None:
    """Convert a backlog between tracker formats (see `mbf plugins` for the formats)."""
    from mbf.engine.convert import convert
    from mbf.plugin import Context

    app = click.get_current_context().obj
    context = Context(config=app.load_config(config_path))
    report = convert(
        app.plugin_manager,
        source,
        target,
        from_format=from_format,
        to_format=to_format,
        context=context,
    )
    for warning in context.diagnostics.warnings:
        click.echo(f"Warning: {warning}", err=True)
    for field, count in report.lost.items():
        click.echo(
            f"Warning: {report.writer} cannot hold {field!r}; lost on {count} item(s)", err=True
        )
    click.echo(
        f"Converted {report.items} items: {source} ({report.reader}) -> {target} ({report.writer})"
    )
    app.finish()


@click.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def plugins_command(as_json: bool) -> None:
    """List the installed plugins, what each provides, and the plugins that failed to load."""
    app = click.get_current_context().obj
    plugin_manager = app.plugin_manager
    infos = [dataclasses.asdict(info) for info in plugin_manager.plugin_infos()]
    broken = [dataclasses.asdict(b) for b in plugin_manager.broken]
    conflicts = [
        {"kind": registry.kind, "name": name, "plugins": list(pair)}
        for registry in (
            plugin_manager.tracker_formats,
            plugin_manager.discovery_sources,
            plugin_manager.tracker_services,
            plugin_manager.generation_rules,
            plugin_manager.planning_strategies,
            plugin_manager.commands,
        )
        for name, pair in registry.conflicts.items()
    ]
    if as_json:
        import json

        click.echo(
            json.dumps({"plugins": infos, "broken": broken, "conflicts": conflicts}, indent=2)
        )
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="mbf plugins")
    for column in ("name", "distribution", "version", "provides"):
        table.add_column(column)
    for info in infos:
        provides = "\n".join(
            f"{kind}: {', '.join(names)}" for kind, names in info["provides"].items()
        )
        table.add_row(info["name"], info["distribution"], info["version"], provides)
    console = Console()
    console.print(table)
    for b in broken:
        console.print(
            f"[red]broken[/red] {b['name']} ({b['distribution']}): {b['error']}", markup=True
        )
    for c in conflicts:
        console.print(
            f"[red]conflict[/red] {c['kind']} {c['name']!r} from {' and '.join(c['plugins'])}"
        )


@hookimpl
def mbf_commands() -> Iterator[click.Command]:
    yield convert_command
    yield plugins_command
