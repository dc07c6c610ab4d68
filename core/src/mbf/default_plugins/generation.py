"""CAF backlog generation: the default generation rules and ``mbf generate``.

Rules, in run order (each switchable and reorderable under ``[generation]`` in mbf.toml):

- ``caf-hierarchy`` (100): epic per datacenter, feature per workload, story per asset, the
  configured tasks per asset (see :mod:`mbf.engine.caf_hierarchy` for the id contract);
- ``remediation`` (200): a task per readiness blocker, before the migrate task;
- ``dependency-links`` (300): feature and story links across workloads, move groups;
- ``estimate-rollup`` (900): stories, features and epics estimate the sum of their children.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import click

from mbf.plugin import GenerationRule, hookimpl

_existing_file = click.Path(exists=True, dir_okay=False, path_type=Path)
_output_file = click.Path(dir_okay=False, path_type=Path)


@click.command("generate")
@click.argument("estate_path", metavar="ESTATE", type=_existing_file)
@click.option("-c", "--config", "config_path", type=_existing_file, help="mbf.toml of the project.")
@click.option(
    "-o", "--output", "output", type=_output_file, required=True, help="Backlog file to write."
)
@click.option(
    "--previous",
    type=_existing_file,
    help="Backlog generated before: keep its ids, states and tracker fields; mark vanished items removed.",
)
def generate_command(
    estate_path: Path, config_path: Path | None, output: Path, previous: Path | None
) -> None:
    """Turn an estate into a CAF migration backlog (epics, features, stories, tasks)."""
    from mbf.config import load_config
    from mbf.engine.generation import generate_backlog, merge_regenerated
    from mbf.plugin import Context
    from mbf.serialization import read_backlog, read_estate, write_backlog

    app = click.get_current_context().obj
    config = load_config(config_path)
    app.plugin_manager.hook.mbf_configure.call_historic(kwargs={"config": config})
    context = Context(config=config)
    backlog = generate_backlog(
        read_estate(estate_path), app.plugin_manager.generation_rules, context
    )
    summary = ""
    if previous is not None:
        backlog, report = merge_regenerated(read_backlog(previous), backlog)
        summary = (
            f" ({len(report.added)} added, {len(report.kept)} kept, {len(report.removed)} removed)"
        )
    write_backlog(backlog, output)
    for warning in context.diagnostics.warnings:
        click.echo(f"Warning: {warning}", err=True)
    counts = dict.fromkeys(("epic", "feature", "story", "task"), 0)
    for item in backlog.items:
        counts[item.kind.value] += 1
    click.echo(
        f"Generated {len(backlog.items)} items ({counts['epic']} epics, {counts['feature']} features, "
        f"{counts['story']} stories, {counts['task']} tasks){summary} -> {output}"
    )
    app.finish()


@hookimpl
def mbf_generation_rules() -> Iterator[GenerationRule]:
    from mbf.engine.caf_hierarchy import add_caf_hierarchy
    from mbf.engine.dependency_links import add_dependency_links
    from mbf.engine.remediation import add_remediation
    from mbf.engine.rollup import roll_up_estimates

    yield GenerationRule(
        name="caf-hierarchy",
        description="Epic per datacenter, feature per workload, story per asset, tasks per asset",
        apply=add_caf_hierarchy,
        order=100,
    )
    yield GenerationRule(
        name="remediation",
        description="A remediation task per readiness blocker, before the asset's migrate task",
        apply=add_remediation,
        order=200,
    )
    yield GenerationRule(
        name="dependency-links",
        description="Links between features and stories of dependent workloads; move groups",
        apply=add_dependency_links,
        order=300,
    )
    yield GenerationRule(
        name="estimate-rollup",
        description="Stories, features and epics estimate the sum of their children",
        apply=roll_up_estimates,
        order=900,
    )


@hookimpl
def mbf_commands() -> Iterator[click.Command]:
    yield generate_command
