"""Hook specifications: every hook an mbf plugin can implement, with its contract.

Built-in plugins (:mod:`mbf.default_plugins`) and installed ones (entry-point group ``mbf``)
implement these with :data:`mbf.hookimpl`. Registry hooks take no arguments and yield objects
from :mod:`mbf.plugin.types`; the plugin manager calls each implementation separately, attributes
every object to its plugin, refuses two objects of one name (naming both plugins) and sorts by
name. Never rely on registration order.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    import click

    from mbf.config import MbfConfig
    from mbf.plugin.types import (
        DiscoverySource,
        GenerationRule,
        PlanningStrategy,
        TrackerFormat,
        TrackerService,
    )

PROJECT_NAME = "mbf"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)
"""Marks hook implementations in plugins; import it as ``from mbf import hookimpl``."""


# -- Initialisation ----------------------------------------------------------------------------


@hookspec(historic=True)
def mbf_configure(config: MbfConfig) -> None:
    """Called once per command that reads mbf.toml, after every plugin is registered.

    Historic: a plugin registered later (in a test, say) is called as soon as it registers.
    Validate your own settings here and raise :class:`mbf.errors.ConfigError` when they are
    wrong; do no network or file I/O. Returns nothing.

    :param config: the loaded and validated project configuration.

    **Example**::

        @hookimpl
        def mbf_configure(config):
            if "jira" in config.services and not config.services["jira"].get("project"):
                raise ConfigError("mbf.toml: services.jira.project is required")
    """


# -- Registries --------------------------------------------------------------------------------


@hookspec
def mbf_discovery_sources() -> Iterable[DiscoverySource]:
    """Register readers that turn a discovery export into an estate.

    Called the first time a command needs a discovery source (``mbf discover``, ``mbf build``).
    Yield one :class:`~mbf.plugin.types.DiscoverySource` per kind of export.

    :returns: discovery sources; each name and alias must be unique among installed plugins.

    **Example**::

        @hookimpl
        def mbf_discovery_sources():
            yield DiscoverySource(
                name="rvtools",
                description="RVTools export (vInfo, vPartition, vHost)",
                default_filenames=("RVTools_export_all*.xlsx", "*vInfo*.csv"),
                can_read=looks_like_rvtools,
                read=read_rvtools,
            )
    """
    raise NotImplementedError


@hookspec
def mbf_tracker_formats() -> Iterable[TrackerFormat]:
    """Register file formats a backlog can be read from or written to.

    Called the first time a command needs a format (``mbf convert``, the outputs of
    ``mbf build``). A format may read, write or both; ``mbf convert`` always goes through the
    domain model, never from one format to another directly. Declare ``capabilities`` honestly:
    ``convert`` tells the user which fields a format cannot hold.

    :returns: tracker formats; each name and alias must be unique among installed plugins.

    **Example**::

        @hookimpl
        def mbf_tracker_formats():
            yield TrackerFormat(
                name="jira-csv",
                description="Jira CSV importer input / 'Export CSV (all fields)'",
                default_filenames=("*.jira.csv",),
                read=read_jira_csv,
                write=write_jira_csv,
                can_read=looks_like_jira_csv,
                capabilities={"id", "kind", "title", "parent_id", "state", "tags"},
            )
    """
    raise NotImplementedError


@hookspec
def mbf_tracker_services() -> Iterable[TrackerService]:
    """Register live trackers that ``mbf push`` and ``mbf pull`` talk to.

    Called the first time a command needs a service. ``settings_type`` is structured from
    ``[services.<name>]`` in mbf.toml (unknown keys refused); secrets come from the environment.

    :returns: tracker services; each name must be unique among installed plugins.

    **Example**::

        @hookimpl
        def mbf_tracker_services():
            yield TrackerService(
                name="jira",
                description="Jira Cloud or Data Center through its REST API",
                settings_type=JiraSettings,
                connect=connect_jira,
            )
    """
    raise NotImplementedError


@hookspec
def mbf_generation_rules() -> Iterable[GenerationRule]:
    """Register steps that turn an estate into a backlog.

    Called by ``mbf generate`` and ``mbf build``. Rules run in ascending ``order``, each taking the
    backlog the previous one produced; mbf.toml can switch any rule off by name. Items a rule
    creates must have deterministic ids (:func:`mbf.domain.item_id`).

    :returns: generation rules; each name must be unique among installed plugins.

    **Example**::

        @hookimpl
        def mbf_generation_rules():
            yield GenerationRule(
                name="security-review",
                description="A security review task under every internet-facing workload",
                apply=add_security_reviews,
                order=600,
            )
    """
    raise NotImplementedError


@hookspec
def mbf_planning_strategies() -> Iterable[PlanningStrategy]:
    """Register strategies that place backlog items into iterations and releases.

    Called by ``mbf plan`` and ``mbf build``. Exactly one strategy runs per invocation, chosen by
    name (``--strategy`` or the config), never by registration order.

    :returns: planning strategies; each name must be unique among installed plugins.

    **Example**::

        @hookimpl
        def mbf_planning_strategies():
            yield PlanningStrategy(
                name="one-by-one",
                description="One workload per iteration",
                plan=plan_one_by_one,
            )
    """
    raise NotImplementedError


# -- Command line ------------------------------------------------------------------------------


@hookspec
def mbf_commands() -> Iterable[click.Command]:
    """Register ``mbf`` subcommands (a ``click.Group`` is a command too).

    Called once when the command line is built (:func:`mbf.cli.make_cli`), never at import
    time. Built-in commands come through this same hook. ``click.get_current_context().obj`` is
    the :class:`mbf.cli.App` (plugin manager, debug flag). Raise :class:`mbf.errors.MbfError`
    for user errors: the CLI prints the message and exits with status 1.

    :returns: click commands; each name must be unique among installed plugins.

    **Example**::

        @click.command("jira-fields")
        def jira_fields():
            "List the custom fields of the configured Jira project."

        @hookimpl
        def mbf_commands():
            yield jira_fields
    """
    raise NotImplementedError
