"""The plugin manager: loads built-in and installed plugins, collects what they provide, finds formats.

Load order: hook specs; blocked names (``MBF_DISABLE_PLUGINS``, ``--disable-plugin``); the
built-in plugins; the ``mbf`` entry points. Each plugin is checked as it registers, so a plugin
that fails to import or implements a misspelt hook is reported and skipped and the rest of mbf
keeps working.
"""

from __future__ import annotations

import dataclasses
import difflib
import fnmatch
import importlib
import os
import types
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

import click
import pluggy

from mbf.errors import (
    AmbiguousFormatError,
    FormatNotFoundError,
    PluginConflictError,
)
from mbf.plugin import hookspecs
from mbf.plugin.entry_points import find_entry_points
from mbf.plugin.types import (
    DiscoverySource,
    GenerationRule,
    PlanningStrategy,
    TrackerFormat,
    TrackerService,
)

if TYPE_CHECKING:
    from mbf.config import MbfConfig

__all__ = [
    "DEFAULT_PLUGINS",
    "DISABLE_ENV",
    "ENTRY_POINT_GROUP",
    "BrokenPlugin",
    "MbfPluginManager",
    "PluginInfo",
    "Registry",
]

ENTRY_POINT_GROUP = "mbf"
DISABLE_ENV = "MBF_DISABLE_PLUGINS"

DEFAULT_PLUGINS: tuple[tuple[str, str], ...] = (
    ("native-format", "mbf.default_plugins.native_format"),
    ("core-commands", "mbf.default_plugins.core_commands"),
    ("discovery", "mbf.default_plugins.discovery"),
    ("generation", "mbf.default_plugins.generation"),
    ("planning", "mbf.default_plugins.planning"),
    ("sync", "mbf.default_plugins.sync_commands"),
    ("build", "mbf.default_plugins.build_command"),
    ("track", "mbf.default_plugins.track_command"),
    ("progress", "mbf.default_plugins.progress_commands"),
)
"""Built-in plugins as ``(name, module)``: written exactly like external ones."""

ESSENTIAL_PLUGINS = frozenset({"core-commands"})
"""Built-ins that cannot be disabled: without them a user could not even list the plugins."""


T = TypeVar("T")


@dataclasses.dataclass(frozen=True, kw_only=True)
class BrokenPlugin:
    """A plugin that was skipped, and why."""

    name: str
    """Plugin (entry point) name."""
    distribution: str
    """Distribution that ships it."""
    error: str
    """What went wrong."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class PluginInfo:
    """A loaded plugin as ``mbf plugins`` shows it."""

    name: str
    """Plugin (entry point) name."""
    distribution: str
    """Distribution that ships it."""
    version: str
    """Version of that distribution."""
    builtin: bool
    """Whether it ships with mbf itself."""
    provides: dict[str, list[str]]
    """Per registry hook, the names of the objects it yields."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class Registry(Generic[T]):
    """The objects of one registry hook, by name, with the plugin that provided each."""

    kind: str
    """What the objects are, for messages (``tracker format``)."""
    objects: dict[str, T]
    """By name, sorted."""
    aliases: dict[str, str]
    """Alias -> name."""
    owners: dict[str, str]
    """Name -> plugin name."""
    conflicts: dict[str, tuple[str, str]]
    """Names provided twice -> the two plugins; such objects are not used."""

    def __iter__(self) -> Iterator[T]:
        return iter(self.objects.values())

    def lookup(self, name: str) -> T | None:
        """The object called ``name`` (or aliased so); ``None`` when there is none."""
        key = name.strip().lower()
        if key in self.conflicts:
            first, second = self.conflicts[key]
            raise PluginConflictError(
                f"{self.kind} {key!r} is provided by two plugins, {first!r} and {second!r}; "
                f"disable one with --disable-plugin or {DISABLE_ENV}"
            )
        key = self.aliases.get(key, key)
        return self.objects.get(key)

    def get(self, name: str, *, flag: str = "") -> T:
        """The object called ``name``; an error listing the available names when there is none."""
        found = self.lookup(name)
        if found is None:
            available = ", ".join(self.objects) or "none installed"
            hint = f" (pass one with {flag})" if flag else ""
            raise FormatNotFoundError(f"unknown {self.kind} {name!r}; available: {available}{hint}")
        return found


class MbfPluginManager(pluggy.PluginManager):
    """pluggy's manager with mbf's loading rules, plugin bookkeeping and registries."""

    def __init__(self) -> None:
        super().__init__(hookspecs.PROJECT_NAME)
        self.add_hookspecs(hookspecs)
        self.broken: list[BrokenPlugin] = []
        self._distributions: dict[str, tuple[str, str]] = {}
        self._registries: dict[str, Registry[Any]] = {}

    # -- loading -------------------------------------------------------------------------------

    def load(self, *, disabled: Iterable[str] = (), entry_points: bool = True) -> MbfPluginManager:
        """Block ``disabled`` (and ``MBF_DISABLE_PLUGINS``), register built-ins, load entry points."""
        blocked = {name.strip() for name in disabled if name.strip()}
        blocked |= {n.strip() for n in os.environ.get(DISABLE_ENV, "").split(",") if n.strip()}
        for name in sorted(blocked - ESSENTIAL_PLUGINS):
            self.set_blocked(name)
        from mbf import __version__

        for name, module_name in DEFAULT_PLUGINS:
            if not self.is_blocked(name):
                self.add_plugin(importlib.import_module(module_name), name, ("mbf", __version__))
        if entry_points:
            self.load_entry_points()
        self.check_pending()
        return self

    def load_entry_points(self) -> None:
        """Register every plugin of the ``mbf`` entry-point group; report and skip broken ones."""
        for entry_point in find_entry_points(ENTRY_POINT_GROUP):
            dist_name, version = entry_point.distribution, entry_point.version
            if self.is_blocked(entry_point.name) or self.is_blocked(dist_name):
                continue
            if self.get_plugin(entry_point.name) is not None:
                continue
            try:
                plugin = entry_point.load()
            except Exception as exc:  # a third-party import may raise anything
                self._report_broken(entry_point.name, dist_name, f"import failed: {exc!r}")
                continue
            self.add_plugin(plugin, entry_point.name, (dist_name, version))

    def add_plugin(
        self, plugin: object, name: str, distribution: tuple[str, str] = ("?", "?")
    ) -> bool:
        """Register ``plugin`` under ``name``; return ``False`` (and report it) when it is broken."""
        try:
            self.register(plugin, name=name)
        except (pluggy.PluginValidationError, ValueError) as exc:
            self._report_broken(name, distribution[0], str(exc))
            return False
        unknown = [
            caller.name
            for caller in self.get_hookcallers(plugin) or ()
            if not caller.has_spec()
            and any(
                impl.plugin is plugin and not impl.optionalhook for impl in caller.get_hookimpls()
            )
        ]
        if unknown:
            self.unregister(plugin)
            self._report_broken(
                name, distribution[0], "; ".join(self._unknown_hook(h) for h in unknown)
            )
            return False
        self._distributions[name] = distribution
        self._registries.clear()
        return True

    def _unknown_hook(self, hook_name: str) -> str:
        known = [name for name in dir(hookspecs) if name.startswith("mbf_")]
        close = difflib.get_close_matches(hook_name, known, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return f"implements unknown hook {hook_name!r}{hint}"

    def _report_broken(self, name: str, distribution: str, error: str) -> None:
        self.broken.append(BrokenPlugin(name=name, distribution=distribution, error=error))

    def unregister(self, plugin: object | None = None, name: str | None = None) -> Any:
        """Unregister a plugin (as pluggy does) and forget what it provided."""
        self._registries.clear()
        return super().unregister(plugin, name)

    def configure(self, config: MbfConfig) -> MbfConfig:
        """Let every plugin (also those registered later) validate ``config``; return it."""
        self.hook.mbf_configure.call_historic(kwargs={"config": config})
        return config

    # -- what plugins provide ------------------------------------------------------------------

    def _collect(
        self, hook_name: str, type_: type[T], kind: str, key: Callable[[T], str]
    ) -> Registry[T]:
        if hook_name in self._registries:
            return self._registries[hook_name]
        objects: dict[str, T] = {}
        aliases: dict[str, str] = {}
        owners: dict[str, str] = {}
        conflicts: dict[str, tuple[str, str]] = {}
        for impl in getattr(self.hook, hook_name).get_hookimpls():  # in registration order
            plugin_name = self.get_name(impl.plugin) or "?"
            try:
                provided = list(impl.function())
            except Exception as exc:  # a plugin bug must not take the CLI down
                self._report_broken(
                    plugin_name, self.distribution_of(plugin_name), f"{hook_name} raised {exc!r}"
                )
                continue
            for obj in provided:
                if not isinstance(obj, type_):
                    self._report_broken(
                        plugin_name,
                        self.distribution_of(plugin_name),
                        f"{hook_name} yielded {type(obj).__name__}, expected {type_.__name__}",
                    )
                    continue
                name = key(obj)
                for claimed in (name, *getattr(obj, "aliases", ())):
                    holder = owners.get(claimed) or owners.get(aliases.get(claimed, ""))
                    if holder is not None and claimed not in conflicts:
                        conflicts[claimed] = (holder, plugin_name)
                if name in conflicts:
                    continue
                objects[name] = obj
                owners[name] = plugin_name
                for alias in getattr(obj, "aliases", ()):
                    if alias not in conflicts:
                        aliases[alias] = name
        for name in conflicts:
            objects.pop(name, None)
            aliases.pop(name, None)
        registry = Registry(
            kind=kind,
            objects=dict(sorted(objects.items())),
            aliases=aliases,
            owners=owners,
            conflicts=conflicts,
        )
        self._registries[hook_name] = registry
        return registry

    def distribution_of(self, plugin_name: str) -> str:
        """Name of the distribution that ships ``plugin_name``."""
        return self._distributions.get(plugin_name, ("?", "?"))[0]

    @property
    def tracker_formats(self) -> Registry[TrackerFormat]:
        """Every tracker format, by name."""
        return self._collect(
            "mbf_tracker_formats", TrackerFormat, "tracker format", lambda f: f.name
        )

    @property
    def discovery_sources(self) -> Registry[DiscoverySource]:
        """Every discovery source, by name."""
        return self._collect(
            "mbf_discovery_sources", DiscoverySource, "discovery source", lambda s: s.name
        )

    @property
    def tracker_services(self) -> Registry[TrackerService]:
        """Every live tracker service, by name."""
        return self._collect(
            "mbf_tracker_services", TrackerService, "tracker service", lambda s: s.name
        )

    @property
    def generation_rules(self) -> Registry[GenerationRule]:
        """Every generation rule, by name."""
        return self._collect(
            "mbf_generation_rules", GenerationRule, "generation rule", lambda r: r.name
        )

    @property
    def planning_strategies(self) -> Registry[PlanningStrategy]:
        """Every planning strategy, by name."""
        return self._collect(
            "mbf_planning_strategies", PlanningStrategy, "planning strategy", lambda s: s.name
        )

    @property
    def commands(self) -> Registry[click.Command]:
        """Every CLI command, by name."""
        return self._collect("mbf_commands", click.Command, "command", lambda c: c.name or "")

    def plugin_infos(self) -> list[PluginInfo]:
        """Every loaded plugin with what it provides, sorted by name."""
        registries: dict[str, Registry[Any]] = {
            "tracker_formats": self.tracker_formats,
            "discovery_sources": self.discovery_sources,
            "tracker_services": self.tracker_services,
            "generation_rules": self.generation_rules,
            "planning_strategies": self.planning_strategies,
            "commands": self.commands,
        }
        infos = []
        for name, plugin in sorted(self.list_name_plugin()):
            if plugin is None:
                continue
            dist, version = self._distributions.get(name, ("?", "?"))
            provides = {
                label: [obj_name for obj_name, owner in registry.owners.items() if owner == name]
                for label, registry in registries.items()
            }
            infos.append(
                PluginInfo(
                    name=name,
                    distribution=dist,
                    version=version,
                    builtin=isinstance(plugin, types.ModuleType)
                    and plugin.__name__.startswith("mbf."),
                    provides={label: sorted(v) for label, v in provides.items() if v},
                )
            )
        return infos

    # -- detection -----------------------------------------------------------------------------

    def find_tracker_format(
        self, path: Path, name: str | None = None, *, for_reading: bool
    ) -> TrackerFormat:
        """The format to read (or write) ``path`` with: by name, alias, file name, then content."""
        flag = "--from" if for_reading else "--to"
        registry = self.tracker_formats
        if name:
            found = registry.get(name, flag=flag)
            if for_reading and found.read is None:
                raise FormatNotFoundError(f"tracker format {found.name!r} cannot read files")
            if not for_reading and found.write is None:
                raise FormatNotFoundError(f"tracker format {found.name!r} cannot write files")
            return found
        usable = [f for f in registry if (f.read if for_reading else f.write) is not None]
        return _detect(registry.kind, usable, path, for_reading=for_reading, flag=flag)

    def find_discovery_source(self, path: Path, name: str | None = None) -> DiscoverySource:
        """The source to read ``path`` with: by name, alias, file name, then content."""
        registry = self.discovery_sources
        if name:
            return registry.get(name, flag="--source")
        return _detect(registry.kind, list(registry), path, for_reading=True, flag="--source")


class _Detectable(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def default_filenames(self) -> tuple[str, ...]: ...
    @property
    def can_read(self) -> Callable[[Path], bool] | None: ...


D = TypeVar("D", bound=_Detectable)


def _sniff(candidate: _Detectable, path: Path) -> bool:
    if candidate.can_read is None:
        return False
    try:
        return bool(candidate.can_read(path))
    except Exception:  # a sniffer must never take detection down; treat it as "not mine"
        return False


def _detect(kind: str, candidates: list[D], path: Path, *, for_reading: bool, flag: str) -> D:
    """Pick the one candidate for ``path``: file-name match first (confirmed by content when
    several match), then content alone. Anything but exactly one is an error listing candidates."""
    file_name = path.name.lower()
    by_name = [
        c
        for c in candidates
        if any(fnmatch.fnmatch(file_name, g.lower()) for g in c.default_filenames)
    ]
    if for_reading and path.is_file():
        if len(by_name) > 1:
            confirmed = [c for c in by_name if _sniff(c, path)]
            by_name = confirmed or by_name
        if not by_name:
            by_name = [c for c in candidates if _sniff(c, path)]
    if len(by_name) == 1:
        return by_name[0]
    names = ", ".join(c.name for c in by_name) if by_name else ""
    if by_name:
        raise AmbiguousFormatError(
            f"{path}: could be read as any {kind} of: {names}; choose one with {flag} NAME"
            if for_reading
            else f"{path}: could be written as any {kind} of: {names}; choose one with {flag} NAME"
        )
    available = ", ".join(c.name for c in candidates) or "none installed"
    raise FormatNotFoundError(
        f"{path}: no {kind} recognises this file; pass {flag} NAME (available: {available})"
    )
