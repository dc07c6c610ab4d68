"""Opt-in pytest plugin for plugin authors: fixtures and standard test suites.

Enable it with ``pytest_plugins = ["mbf.testing"]`` in your top-level ``conftest.py`` (install
``mbf[testing]``). It is never loaded automatically, so installing mbf changes no other test run.

Fixtures:

- ``plugin_manager``: a fresh plugin manager with the built-ins only (no entry points);
- ``register_plugin``: ``register_plugin(module_or_object, name=...)`` for one test;
- ``mbf_cli``: ``mbf_cli("convert", "a.json", "b.json")`` runs the CLI of ``plugin_manager``;
- ``sample_estate``, ``sample_backlog``: the objects of :mod:`mbf.testing.samples`.

Suites: :class:`~mbf.testing.suites.TrackerFormatTests`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from click.testing import CliRunner, Result

from mbf.domain import Backlog, Estate
from mbf.errors import PluginError
from mbf.plugin.manager import MbfPluginManager
from mbf.testing.samples import make_sample_backlog, make_sample_estate
from mbf.testing.suites import TrackerFormatTests

__all__ = ["TrackerFormatTests", "make_sample_backlog", "make_sample_estate"]


@pytest.fixture
def plugin_manager() -> MbfPluginManager:
    """A fresh plugin manager with mbf's built-in plugins and no installed ones."""
    return MbfPluginManager().load(entry_points=False)


@pytest.fixture
def register_plugin(plugin_manager: MbfPluginManager) -> Iterator[Callable[..., object]]:
    """Register a plugin (module or object) for the current test; it is unregistered afterwards."""
    registered: list[object] = []

    def register(plugin: object, name: str | None = None) -> object:
        plugin_name = name or getattr(plugin, "__name__", None) or type(plugin).__name__
        if not plugin_manager.add_plugin(plugin, plugin_name, ("test", "0")):
            raise PluginError(
                f"plugin {plugin_name!r} is broken: {plugin_manager.broken[-1].error}"
            )
        registered.append(plugin)
        return plugin

    yield register
    for plugin in registered:
        if plugin_manager.is_registered(plugin):
            plugin_manager.unregister(plugin)


@pytest.fixture
def mbf_cli(plugin_manager: MbfPluginManager) -> Callable[..., Result]:
    """Run the ``mbf`` command line of ``plugin_manager``: ``mbf_cli("plugins", "--json")``."""
    from mbf.cli import make_cli

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(make_cli(plugin_manager), list(args), prog_name="mbf")

    return invoke


@pytest.fixture
def sample_estate() -> Estate:
    """See :func:`mbf.testing.samples.make_sample_estate`."""
    return make_sample_estate()


@pytest.fixture
def sample_backlog() -> Backlog:
    """See :func:`mbf.testing.samples.make_sample_backlog`."""
    return make_sample_backlog()
