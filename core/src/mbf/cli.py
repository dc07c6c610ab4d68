"""The ``mbf`` command line, built at run time from the commands plugins register.

Nothing here runs at import: :func:`make_cli` builds the group from a plugin manager, and
:func:`main` loads the plugins first. A user error (:class:`~mbf.errors.MbfError`) prints one
message and exits 1; ``--debug`` shows the traceback instead. Usage errors exit 2 (click's rule).
"""

from __future__ import annotations

import atexit
import dataclasses
import gc
import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from mbf import __version__
from mbf.errors import MbfError
from mbf.plugin.manager import MbfPluginManager

if TYPE_CHECKING:
    from mbf.config import MbfConfig

__all__ = ["App", "MbfGroup", "main", "make_cli"]


@dataclasses.dataclass(kw_only=True)
class App:
    """What every command receives as ``click.get_current_context().obj``."""

    plugin_manager: MbfPluginManager
    """The loaded plugins."""
    debug: bool = False
    """Show tracebacks instead of one-line errors."""
    ends_process: bool = False
    """Whether :meth:`finish` ends the process: in the ``mbf`` script, not in a test's runner."""
    kept: list[object] = dataclasses.field(default_factory=list)
    """What a command built on the way and no longer needs, kept rather than freed one object
    at a time: :meth:`finish` ends the process without freeing it, and elsewhere it goes with
    the App (``discover`` leaves the merge's working state here)."""

    def finish(self) -> None:
        """End a command that succeeded and has written and printed everything.

        In the ``mbf`` script this ends the process at once, as a normal exit would but without
        freeing what the command built one object at a time: at 50,000 servers that took
        0.1-0.25 s of ``mbf discover``, ``generate`` and ``plan``, only for the process to end.
        ``atexit`` handlers run and the standard streams are flushed first, as at any exit.
        Elsewhere (a test's runner), while another thread runs (which a normal exit would wait
        for), or under a profiler or tracer (``python -m cProfile``, which writes its figures
        after the command returns), the command just returns.
        """
        if (
            not self.ends_process
            or threading.active_count() > 1
            or sys.getprofile() is not None
            or sys.gettrace() is not None
        ):
            return
        atexit._run_exitfuncs()
        status = 0
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):  # closed early (| head): Python's own exit says 120
                status = 120
        os._exit(status)

    def load_config(self, path: Path | None) -> MbfConfig:
        """Read ``mbf.toml`` (defaults when ``path`` is ``None``) and let the plugins check it."""
        from mbf.config import load_config

        return self.plugin_manager.configure(load_config(path))


class MbfGroup(click.Group):
    """The root group: turns user errors into one message and exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MbfError as exc:
            app = ctx.obj
            if isinstance(app, App) and app.debug:
                raise
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(1)


def make_cli(plugin_manager: MbfPluginManager, *, ends_process: bool = False) -> click.Group:
    """Build the ``mbf`` group with every command the plugins of ``plugin_manager`` register.

    ``ends_process``: :meth:`App.finish` ends the process (only :func:`main` says so).
    """

    @click.group(cls=MbfGroup, name="mbf", context_settings={"help_option_names": ["-h", "--help"]})
    @click.version_option(__version__, prog_name="mbf", message="%(prog)s %(version)s")
    @click.option("--debug", is_flag=True, help="Show the full traceback of errors.")
    @click.option(
        "--disable-plugin",
        "disabled_plugins",
        multiple=True,
        metavar="NAME",
        help="Do not load this plugin (repeatable; also MBF_DISABLE_PLUGINS=a,b).",
    )
    @click.pass_context
    def cli(ctx: click.Context, debug: bool, disabled_plugins: tuple[str, ...]) -> None:
        """mbf, the migration backlog framework: turn a datacenter estate into a cloud-migration
        backlog and keep it in Azure DevOps, Jira, Excel or Microsoft Project."""
        ctx.obj = App(plugin_manager=plugin_manager, debug=debug, ends_process=ends_process)
        if ctx.invoked_subcommand != "plugins":
            for broken in plugin_manager.broken:
                click.echo(
                    f"Warning: plugin {broken.name!r} ({broken.distribution}) skipped: {broken.error}",
                    err=True,
                )

    for command in plugin_manager.commands:
        cli.add_command(command)
    return cli


def _disabled_from_argv(argv: Sequence[str]) -> list[str]:
    """``--disable-plugin`` values, read before click runs because they decide what click sees."""
    names: list[str] = []
    for i, arg in enumerate(argv):
        if arg == "--disable-plugin" and i + 1 < len(argv):
            names.append(argv[i + 1])
        elif arg.startswith("--disable-plugin="):
            names.append(arg.split("=", 1)[1])
    return [n for name in names for n in name.split(",")]


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``mbf`` script."""
    args = list(sys.argv[1:] if argv is None else argv)
    # No cyclic garbage collection while a command runs. A command builds hundreds of thousands
    # of objects (items, servers, links) that live until it ends and hold no reference cycles,
    # so the collector only walked them again and again to find nothing: at 50,000 servers it
    # was 1.2 s of ``mbf plan``'s 10.8 s and 0.55 s of ``mbf generate``, even collecting only
    # every 100,000 new objects. Reference counting still frees everything a command drops.
    enabled = gc.isenabled()
    gc.disable()
    try:
        plugin_manager = MbfPluginManager().load(disabled=_disabled_from_argv(args))
        make_cli(plugin_manager, ends_process=True).main(args, prog_name="mbf")
    finally:
        if enabled:
            gc.enable()
