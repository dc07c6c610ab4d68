"""The ``mbf.toml`` schema: one migration project's settings; unknown keys are refused."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import attrs

from mbf.domain import Datacenter, WorkItemKind
from mbf.errors import ConfigError, MbfError

__all__ = [
    "CONFIG_FILENAME",
    "BuildConfig",
    "DiscoveryConfig",
    "GenerationConfig",
    "IterationsConfig",
    "MbfConfig",
    "OutputConfig",
    "PlanningConfig",
    "ProjectConfig",
    "SourceConfig",
    "check_kind_keys",
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


def _one_of(value: str | None, key: str, choices: tuple[str, ...]) -> None:
    if value is not None and value not in choices:
        raise ValueError(f"{key} must be one of {', '.join(choices)}, not {value!r}")


@attrs.frozen(kw_only=True)
class IterationsConfig:
    """``[iterations]``: the cadence and capacity of the migration factory."""

    length_days: int | None = None
    """Iteration length in days (give this or ``length_weeks``)."""
    length_weeks: int | None = None
    """Iteration length in weeks."""
    calendar: str | None = attrs.field(
        default=None, validator=lambda _i, _a, v: _one_of(v, "calendar", ("month", "quarter"))
    )
    """Calendar cadence instead of a fixed length: ``month`` or ``quarter`` (fiscal quarters)."""
    fiscal_year_start_month: int = attrs.field(
        default=1, validator=[attrs.validators.ge(1), attrs.validators.le(12)]
    )
    """Month (1-12) the fiscal year starts in; sets quarter boundaries and ``{fy}``/``{q}``."""
    capacity_servers: int | None = None
    """Servers that can be migrated per iteration."""
    capacity_hours: float | None = None
    """Hours of work per iteration."""
    team_size: int | None = None
    """People in the migration team; with ``hours_per_person`` gives the hours per iteration."""
    hours_per_person: float | None = None
    """Hours each team member gives per iteration (CAF: velocity = team size x hours)."""
    max_iterations: int | None = None
    """Planning horizon: no iteration beyond this many is created (overflow is a violation)."""
    name_pattern: str = "Sprint {n}"
    """Iteration name; ``{n}`` number, ``{fy}`` fiscal year, ``{q}`` fiscal quarter,
    ``{year}``, ``{month}`` (e.g. ``Jan``), ``{start}``, ``{finish}``."""
    path_prefix: str = ""
    """Prefix of each iteration's tracker path, e.g. ``Contoso\\`` gives ``Contoso\\Sprint 1``."""


def _check_ip_range(
    _instance: object, _attribute: attrs.Attribute[str | None], value: str | None
) -> None:
    if value is not None:
        import ipaddress

        ipaddress.ip_network(value, strict=False)  # ValueError names the bad range


@attrs.frozen(kw_only=True)
class DatacenterRule:
    """``[[discovery.datacenter_rules]]``: servers matching every condition given are in ``datacenter``.

    Patterns are case-insensitive globs (``*``, ``?``); rules apply in order, first match wins, and
    only to servers whose exports named no datacenter.
    """

    datacenter: str
    """Datacenter id the matching servers get."""
    vcenter: str | None = None
    """vCenter (RVTools ``VI SDK Server``) pattern."""
    cluster: str | None = None
    """Cluster name pattern."""
    ip_range: str | None = attrs.field(default=None, validator=_check_ip_range)
    """Network in CIDR notation, e.g. ``10.20.0.0/16``; any of the server's addresses may match."""
    name_pattern: str | None = None
    """Server name pattern, e.g. ``ams*``."""

    def __attrs_post_init__(self) -> None:
        if not any((self.vcenter, self.cluster, self.ip_range, self.name_pattern)):
            raise ValueError(
                f"datacenter rule for {self.datacenter!r} needs vcenter, cluster, ip_range or name_pattern"
            )


_NOISE_PORTS = (
    # DNS, Kerberos, NTP, RPC endpoint mapper, NetBIOS, LDAP(S), SMB, kpasswd, global catalog
    53, 88, 123, 135, 137, 138, 139, 389, 445, 464, 636, 3268, 3269,
    # SNMP, syslog, WSUS, SCOM, Zabbix, Nagios NRPE, Prometheus node exporter, Splunk forwarder
    161, 162, 514, 8530, 8531, 5723, 10050, 10051, 5666, 9100, 9997,
    # backup agents: NetBackup, Commvault, Veeam, NDMP
    1556, 13724, 13782, 8400, 8403, 6160, 6162, 10000,
)  # fmt: skip


@attrs.frozen(kw_only=True)
class DiscoveryConfig:
    """``[discovery]``: how exports are merged into one estate (owned by the discovery engine)."""

    datacenter_rules: tuple[DatacenterRule, ...] = attrs.field(default=(), converter=_tuple)
    """Rules giving servers a datacenter when no export column did."""
    group_by_dependencies: bool = True
    """Group servers without application data into workloads by the servers they talk to."""
    noise_ports: tuple[int, ...] = attrs.field(default=_NOISE_PORTS, converter=_tuple)
    """Destination ports of shared infrastructure (DNS, Kerberos, LDAP, SMB, monitoring, backup)
    that never join servers into one workload."""
    extra_noise_ports: tuple[int, ...] = attrs.field(default=(), converter=_tuple)
    """More noise ports, added to ``noise_ports`` rather than replacing them."""
    noise_processes: tuple[str, ...] = attrs.field(
        default=("healthservice", "monitoringhost", "zabbix_agentd", "splunkd", "nscp", "beremote"),
        converter=_tuple,
    )
    """Destination process names (case-insensitive, without ``.exe``) of monitoring and backup
    agents; their traffic never joins servers into one workload."""
    hub_fan_in: int = attrs.field(default=20, validator=attrs.validators.ge(1))
    """A server that more than this many servers connect to is shared infrastructure (a domain
    controller, a file server) and never joins the servers that use it into one workload."""


@attrs.frozen(kw_only=True)
class TaskConfig:
    """``[generation.task.<name>]``: title and estimate of one per-asset task."""

    title: str | None = None
    """Title pattern; ``{server}`` is the server name, ``{workload}`` the workload name."""
    hours: float | None = None
    """Estimate in hours for any server."""
    os: Mapping[str, float] = attrs.field(factory=dict)
    """Estimate per OS family (``windows``, ``linux``, ``other``, ``unknown``)."""
    size: Mapping[str, float] = attrs.field(factory=dict)
    """Estimate per size class name; beats ``os``, which beats ``hours``."""


@attrs.frozen(kw_only=True)
class SizeClassConfig:
    """``[[generation.size_classes]]``: a server is in the first class whose limits it fits."""

    name: str
    """Class name, e.g. ``small``."""
    max_cores: int | None = None
    """Most cores a server of this class has (no limit when left out)."""
    max_memory_gb: float | None = None
    """Most memory in GiB."""
    max_storage_gb: float | None = None
    """Most provisioned disk in GiB."""


def _default_size_classes() -> tuple[SizeClassConfig, ...]:
    return (
        SizeClassConfig(name="small", max_cores=2, max_memory_gb=8, max_storage_gb=256),
        SizeClassConfig(name="medium", max_cores=8, max_memory_gb=32, max_storage_gb=1024),
        SizeClassConfig(name="large"),
    )


@attrs.frozen(kw_only=True)
class GenerationConfig:
    """``[generation]``: which generation rules run and how they shape the backlog."""

    disable: tuple[str, ...] = attrs.field(default=(), converter=_tuple)
    """Names of rules not to run (e.g. ``["dependency-links"]``)."""
    enable: tuple[str, ...] = attrs.field(default=(), converter=_tuple)
    """Names of rules that are off by default to run."""
    order: Mapping[str, int] = attrs.field(factory=dict)
    """Per rule name, a run position replacing the rule's own ``order``."""
    tasks: tuple[str, ...] = attrs.field(
        default=("assess", "migrate", "optimize", "promote", "secure", "manage"), converter=_tuple
    )
    """Tasks created under every asset's story, in this order."""
    retire_tasks: tuple[str, ...] = attrs.field(default=("decommission",), converter=_tuple)
    """Tasks of an asset whose workload is retired."""
    task: Mapping[str, TaskConfig] = attrs.field(factory=dict)
    """Per task name, its title and estimates."""
    size_classes: tuple[SizeClassConfig, ...] = attrs.field(
        factory=_default_size_classes, converter=_tuple
    )
    """Size classes, first match wins; task estimates can differ per class."""
    remediation_hours: float = 4.0
    """Estimate of each remediation task."""
    dependency_min_weight: float = 0.0
    """Dependencies lighter than this (connections, time slots) make no link."""
    ignore_ports: tuple[int, ...] = attrs.field(default=(), converter=_tuple)
    """Destination ports treated as noise (e.g. 53, 123, 389): they make no link."""
    coupling_threshold: float | None = 50.0
    """Two workloads with traffic both ways of at least this total weight form one move group;
    ``None`` never couples on traffic."""


@attrs.frozen(kw_only=True)
class PlanningConfig:
    """``[planning]``: the planning strategy and its constraints."""

    strategy: str = "waves"
    """Strategy ``mbf plan`` uses unless ``--strategy`` names another."""
    dev_test_first: bool = False
    """Move the dev/test workloads of an application in an earlier iteration than its prod ones."""
    remediation_lead: int = attrs.field(default=1, validator=attrs.validators.ge(0))
    """Iterations between a server's open remediation and its migration (0: same iteration)."""
    strict_datacenter_order: bool = False
    """Start no workload of a datacenter before the previous datacenter's last iteration."""
    releases: str = attrs.field(
        default="iteration",
        validator=lambda _i, _a, v: _one_of(v, "releases", ("iteration", "datacenter", "none")),
    )
    """What forms a release: the workloads of each ``iteration`` (or of ``release_every``
    iterations), of each ``datacenter``, or ``none``."""
    release_every: int = attrs.field(default=1, validator=attrs.validators.ge(1))
    """With ``releases = "iteration"``: iterations per release."""
    release_name_pattern: str = "Release {n}"
    """Release name; ``{n}`` is the release number."""


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
class BuildConfig:
    """``[build]``: where ``mbf build`` keeps the native files, so a project can live in git."""

    estate: str = "out/estate.json"
    """Estate file ``mbf build`` writes after discovery, relative to mbf.toml."""
    backlog: str = "out/backlog.json"
    """Planned backlog file; a rebuild keeps the ids, states and tracker keys it holds."""


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
    build: BuildConfig = BuildConfig()
    """``[build]``."""
    services: Mapping[str, Mapping[str, Any]] = attrs.field(factory=dict)
    """``[services.<name>]``: settings of each live tracker service, without secrets."""
    formats: Mapping[str, Mapping[str, Any]] = attrs.field(factory=dict)
    """``[formats.<name>]``: settings of a tracker format (e.g. ``ado-csv`` work item types),
    validated by the format's plugin."""
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
            if key.lower() in _SECRET_KEYS or key.lower().endswith(
                ("_token", "_password", "_secret")
            ):
                raise ConfigError(
                    f"{origin}: services.{service}.{key} looks like a secret; secrets are never read "
                    "from mbf.toml. Set it in the environment instead (see `mbf push --help`)."
                )


def load_config(path: Path | None) -> MbfConfig:
    """Read and validate ``mbf.toml``; ``None`` gives the defaults (a project with no config)."""
    if path is None:
        return MbfConfig()  # without importing cattrs: a convert with no config never needs it
    from mbf.serialization import load_toml, structure_strict

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


def check_kind_keys(
    _instance: object, attribute: attrs.Attribute[Any], value: Mapping[str, Any]
) -> None:
    """attrs validator for a settings table keyed by work item kind (``issue_types``,
    ``work_item_types``...): refuse keys that name no kind."""
    unknown = sorted(set(value) - {kind.value for kind in WorkItemKind})
    if unknown:
        raise ConfigError(
            f"{attribute.name}: unknown kind(s) {', '.join(unknown)}; use epic, feature, story or task"
        )


def plugin_settings(raw: Mapping[str, Any] | None, settings_type: type[T], *, origin: str) -> T:
    """Structure a plugin's table of mbf.toml into its ``settings_type``, refusing unknown keys."""
    if not raw:
        try:  # the defaults, without importing cattrs: a convert with no config never needs it
            return settings_type()
        except TypeError:
            pass  # a required setting: cattrs says which
    from mbf.serialization import structure_strict

    try:
        return structure_strict(dict(raw or {}), settings_type, origin=origin)
    except MbfError as exc:
        raise ConfigError(str(exc)) from None
