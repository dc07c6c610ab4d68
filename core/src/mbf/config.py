"""The ``mbf.toml`` schema: one migration project's settings; unknown keys are refused."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import attrs

from mbf.domain import Datacenter
from mbf.errors import ConfigError, MbfError

__all__ = [
    "CONFIG_FILENAME",
    "DiscoveryConfig",
    "GenerationConfig",
    "IterationsConfig",
    "MbfConfig",
    "OutputConfig",
    "PlanningConfig",
    "ProjectConfig",
    "SourceConfig",
    "load_config",
    "plugin_settings",
]

CONFIG_FILENAME = "mbf.toml"

T = TypeVar("T")

_SECRET_KEYS = ("token", "password", "secret", "pat", "api_key", "apikey", "client_secret")


def _tuple(value: Any) -> tuple[Any, ...]:
    return tuple(value)


@attrs.frozen(kw_only=True)
class ProjectConfig:
    """``[project]``: what the migration is for; generation copies it into the epics."""

    name: str = ""
    """Project name, e.g. ``Contoso datacenter exit``."""
    start: dt.date | None = None
    """First day of the first iteration."""
    outcomes: tuple[str, ...] = attrs.field(default=(), converter=_tuple)
    """Business outcomes the migration must deliver."""
    priorities: tuple[str, ...] = attrs.field(default=(), converter=_tuple)
    """Business priorities that order the work."""
    assumptions: tuple[str, ...] = attrs.field(default=(), converter=_tuple)
    """Core assumptions the plan rests on."""


@attrs.frozen(kw_only=True)
class IterationsConfig:
    """``[iterations]``: the cadence and capacity of the migration factory."""

    length_days: int | None = None
    """Iteration length in days (give this or ``length_weeks``)."""
    length_weeks: int | None = None
    """Iteration length in weeks."""
    capacity_servers: int | None = None
    """Servers that can be migrated per iteration."""
    capacity_hours: float | None = None
    """Hours of work per iteration."""
    name_pattern: str = "Sprint {n}"
    """Iteration name; ``{n}`` is the iteration number."""


@attrs.frozen(kw_only=True)
class DiscoveryConfig:
    """``[discovery]``: how exports are merged into one estate (owned by the discovery engine)."""


@attrs.frozen(kw_only=True)
class GenerationConfig:
    """``[generation]``: which generation rules run and how they shape the backlog."""


@attrs.frozen(kw_only=True)
class PlanningConfig:
    """``[planning]``: the planning strategy and its constraints."""


@attrs.frozen(kw_only=True)
class SourceConfig:
    """``[[sources]]``: one discovery export read by ``mbf build``."""

    path: str
    """Export file, relative to mbf.toml."""
    source: str | None = None
    """Discovery source name; detected from the file when left out."""
    datacenter: str | None = None
    """Datacenter id for servers of this export that name none."""
    options: Mapping[str, Any] = attrs.field(factory=dict)
    """Settings for this source, validated by the source plugin."""


@attrs.frozen(kw_only=True)
class OutputConfig:
    """``[[outputs]]``: one file ``mbf build`` writes."""

    path: str
    """Output file, relative to mbf.toml."""
    format: str | None = None
    """Tracker format name; taken from the file name when left out."""


@attrs.frozen(kw_only=True)
class MbfConfig:
    """A whole ``mbf.toml``. Plugin tables (``[services.<name>]``) are validated by their plugin."""

    project: ProjectConfig = ProjectConfig()
    """``[project]``."""
    datacenters: tuple[Datacenter, ...] = attrs.field(default=(), converter=_tuple)
    """``[[datacenters]]``: lease ends, priorities and blackout windows."""
    iterations: IterationsConfig = IterationsConfig()
    """``[iterations]``."""
    sources: tuple[SourceConfig, ...] = attrs.field(default=(), converter=_tuple)
    """``[[sources]]``."""
    discovery: DiscoveryConfig = DiscoveryConfig()
    """``[discovery]``."""
    generation: GenerationConfig = GenerationConfig()
    """``[generation]``."""
    planning: PlanningConfig = PlanningConfig()
    """``[planning]``."""
    outputs: tuple[OutputConfig, ...] = attrs.field(default=(), converter=_tuple)
    """``[[outputs]]``."""
    services: Mapping[str, Mapping[str, Any]] = attrs.field(factory=dict)
    """``[services.<name>]``: settings of each live tracker service, without secrets."""
    base_dir: Path = Path()
    """Directory of the mbf.toml file; relative paths in it are resolved against it."""

    def resolve(self, path: str) -> Path:
        """``path`` from the config file, made relative to the directory of mbf.toml."""
        return self.base_dir / path


def _refuse_secrets(raw: Mapping[str, Any], origin: str) -> None:
    """Tokens belong in the environment or a credential store, never in a file kept in git."""
    for service, table in raw.get("services", {}).items():
        if not isinstance(table, Mapping):
            continue
        for key in table:
            if key.lower() in _SECRET_KEYS or key.lower().endswith(("_token", "_password", "_secret")):
                raise ConfigError(
                    f"{origin}: services.{service}.{key} looks like a secret; secrets are never read "
                    "from mbf.toml. Set it in the environment instead (see `mbf push --help`)."
                )


def load_config(path: Path | None) -> MbfConfig:
    """Read and validate ``mbf.toml``; ``None`` gives the defaults (a project with no config)."""
    from mbf.serialization import load_toml, structure_strict

    if path is None:
        return MbfConfig()
    raw = load_toml(path)
    origin = path.name if path.name == CONFIG_FILENAME else str(path)
    if "base_dir" in raw:
        raise ConfigError(f"{origin}: unknown key base_dir")
    _refuse_secrets(raw, origin)
    try:
        config = structure_strict(raw, MbfConfig, origin=origin)
    except MbfError as exc:
        raise ConfigError(str(exc)) from None
    return attrs.evolve(config, base_dir=path.parent)


def plugin_settings(
    raw: Mapping[str, Any] | None, settings_type: type[T], *, origin: str
) -> T:
    """Structure a plugin's table of mbf.toml into its ``settings_type``, refusing unknown keys."""
    from mbf.serialization import structure_strict

    try:
        return structure_strict(dict(raw or {}), settings_type, origin=origin)
    except MbfError as exc:
        raise ConfigError(str(exc)) from None
