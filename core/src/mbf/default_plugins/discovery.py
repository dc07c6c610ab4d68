"""`mbf discover`: reading discovery exports and merging them into one estate."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import click

from mbf.plugin import hookimpl

_existing_file = click.Path(exists=True, dir_okay=False, path_type=Path)
_MAX_WARNINGS = 40
"""Warnings printed before the rest are only counted (conflicts are grouped already)."""


@click.command("discover")
@click.argument("exports", nargs=-1, type=_existing_file)
@click.option(
    "--source",
    "source_name",
    metavar="NAME",
    help="Discovery source for every EXPORT (default: detected per file; see `mbf plugins`).",
)
@click.option(
    "-c",
    "--config",
    "config_path",
    type=_existing_file,
    help="mbf.toml: datacenters, [discovery] rules, and [[sources]] read when no EXPORT is given.",
)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Estate file to write.",
)
@click.option(
    "--parallel/--no-parallel",
    default=True,
    show_default=True,
    help="Read the exports in two processes where that pays: on Linux, with two cores or more "
    "and 1 MB of exports or more. --no-parallel reads them one by one in this process (a busy "
    "machine, a plugin being debugged); the estate is the same either way.",
)
def discover_command(
    exports: tuple[Path, ...],
    source_name: str | None,
    config_path: Path | None,
    output: Path,
    parallel: bool,
) -> None:
    """Read discovery exports (Azure Migrate, RVTools, CMDB sheets...) into one estate file.

    The same server in several exports appears once; where exports disagree the first EXPORT's
    value is kept and the difference reported. Nothing is written when any export is bad.
    """
    from mbf.config import load_config
    from mbf.engine.discovery import Export, discover_to_file, exports_from_config
    from mbf.plugin import Context

    app = click.get_current_context().obj
    config = load_config(config_path)
    configured = {e.path.resolve(): e for e in exports_from_config(config)}
    if exports:
        chosen = []
        for path in exports:
            entry = configured.get(path.resolve())
            chosen.append(
                Export(
                    path=path,
                    display=path.as_posix(),
                    source=source_name or (entry.source if entry else None),
                    datacenter=entry.datacenter if entry else None,
                    options=entry.options if entry else {},
                )
            )
    elif configured:
        chosen = [
            Export(path=e.path, display=e.display, source=source_name or e.source,
                   datacenter=e.datacenter, options=e.options)
            for e in configured.values()
        ]  # fmt: skip
    else:
        raise click.UsageError("name at least one EXPORT, or a config (-c) with [[sources]]")
    context = Context(config=config)
    discovery = discover_to_file(
        app.plugin_manager,
        chosen,
        output,
        config=config,
        context=context,
        parallel=None if parallel else False,  # on: where it pays, as discover() decides
        keep=app.kept,
    )
    estate = discovery.estate
    warnings = context.diagnostics.warnings
    for warning in warnings[:_MAX_WARNINGS]:
        click.echo(f"Warning: {warning}", err=True)
    if len(warnings) > _MAX_WARNINGS:
        click.echo(f"Warning: ... and {len(warnings) - _MAX_WARNINGS} more warnings", err=True)
    for source in estate.sources:
        click.echo(f"  {source.path} ({source.source}): {source.records} records")
    click.echo(
        f"Discovered {len(estate.servers)} servers, {len(estate.workloads)} workloads, "
        f"{discovery.dependency_count} dependencies in {len(estate.datacenters)} datacenters "
        f"-> {output}"
    )
    app.finish()


@hookimpl
def mbf_commands() -> Iterator[click.Command]:
    yield discover_command
