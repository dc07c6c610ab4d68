"""The typed objects registry hooks yield, and what mbf passes to the callables they carry.

Every object is frozen and validates its own name, so a plugin with a malformed object is
reported when it is loaded rather than when a user first reaches for it.

These are dataclasses, not attrs classes like the domain model, because every plugin imports
them when ``mbf`` starts: importing attrs and building its classes was a third of ``mbf --help``.
Nothing here imports :mod:`mbf.domain` at run time either, for the same reason.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from mbf.config import MbfConfig
    from mbf.domain import Backlog, Estate, WorkItemKind
    from mbf.domain.columns import BacklogColumns
    from mbf.sync import SyncLedger

__all__ = [
    "ALL_CAPABILITIES",
    "Context",
    "Diagnostics",
    "DiscoverySource",
    "GenerationRule",
    "MbfPlugin",
    "PlanResult",
    "PlanViolation",
    "PlanningStrategy",
    "PushReport",
    "TrackerClient",
    "TrackerFormat",
    "TrackerService",
]

_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")

ALL_CAPABILITIES: frozenset[str] = frozenset(
    {
        "id", "kind", "title", "description", "parent_id", "state", "state_category",
        "assignee", "priority", "tags", "iteration_id", "release_id", "estimate", "start",
        "finish", "links", "source", "refs", "extra", "iterations", "releases",
    }
)  # fmt: skip
"""What a tracker format can hold: the :class:`~mbf.domain.WorkItem` field names, plus
``iterations`` and ``releases`` for the backlog's own lists (a test keeps the two in step)."""


def _set(instance: object, name: str, value: object) -> None:
    """Normalise a field of a frozen instance in ``__post_init__``."""
    object.__setattr__(instance, name, value)


def _normalise_name(value: str) -> str:
    return value.strip().lower().replace("_", "-")


def _check_name(field_name: str, value: str) -> None:
    if not _NAME.match(value):
        raise ValueError(
            f"{field_name} {value!r} must be lower-case letters, digits and single hyphens, "
            "starting with a letter"
        )


def _names(field_name: str, value: Iterable[str]) -> tuple[str, ...]:
    names = tuple(_normalise_name(v) for v in value)
    for name in names:
        _check_name(field_name, name)
    return names


def _all_kinds() -> frozenset[WorkItemKind]:
    from mbf.domain import WorkItemKind

    return frozenset(WorkItemKind)


def _kinds(value: Iterable[str]) -> frozenset[WorkItemKind]:
    from mbf.domain import WorkItemKind

    return frozenset(WorkItemKind(kind) for kind in value)


def _default_config() -> MbfConfig:
    # mbf.config is imported on first use: building the command line does not need it.
    from mbf.config import MbfConfig

    return MbfConfig()


class Diagnostics:
    """Warnings collected while a command runs; the CLI prints them at the end.

    Plugins call :meth:`warn` for anything the user should know but that does not stop the work,
    e.g. a field a format cannot hold or a row that was skipped.
    """

    def __init__(self) -> None:
        self.warnings: list[str] = []

    def warn(self, message: str) -> None:
        """Record one warning."""
        self.warnings.append(message)


@dataclasses.dataclass(frozen=True, kw_only=True)
class Context:
    """Passed to every plugin callable. New fields are added here, never as new arguments."""

    config: MbfConfig = dataclasses.field(default_factory=_default_config)
    """The project's configuration (defaults when no mbf.toml was given)."""
    diagnostics: Diagnostics = dataclasses.field(default_factory=Diagnostics)
    """Where to report warnings."""
    settings: Any = None
    """This component's own settings instance (``settings_type``), or ``None``."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class MbfPlugin:
    """Base of every object a registry hook yields."""

    name: str
    """User-facing name: lower-case letters, digits and hyphens; used on the CLI and in mbf.toml."""
    description: str = ""
    """One line, shown by ``mbf plugins``."""

    def __post_init__(self) -> None:
        _set(self, "name", _normalise_name(self.name))
        _check_name("name", self.name)


@dataclasses.dataclass(frozen=True, kw_only=True)
class DiscoverySource(MbfPlugin):
    """Reads one kind of discovery export into an :class:`~mbf.domain.Estate`."""

    read: Callable[[Path, Context], Estate]
    """``read(path, context)``: the estate the export describes; raise ``InputError`` on bad rows."""
    can_read: Callable[[Path], bool] | None = None
    """Cheap content sniff: ``True`` when the file is this source's; never raises."""
    default_filenames: tuple[str, ...] = ()
    """Case-insensitive globs of the file names this source's exports usually have."""
    aliases: tuple[str, ...] = ()
    """Other names the source answers to."""
    settings_type: type | None = None
    """attrs class the ``options`` of its ``[[sources]]`` entries are structured into."""

    def __post_init__(self) -> None:
        super().__post_init__()
        _set(self, "default_filenames", tuple(self.default_filenames))
        _set(self, "aliases", _names("aliases", self.aliases))


@dataclasses.dataclass(frozen=True, kw_only=True)
class TrackerFormat(MbfPlugin):
    """A file format a backlog can be read from and/or written to."""

    read: Callable[[Path, Context], Backlog] | None = None
    """``read(path, context)``: the backlog in the file. Made from :attr:`read_columns` when
    only that is given."""
    write: Callable[[Backlog, Path, Context], None] | None = None
    """``write(backlog, path, context)``: write the file; may add numbered siblings of ``path``.
    Made from :attr:`write_columns` when only that is given."""
    read_columns: Callable[[Path, Context], BacklogColumns] | None = None
    """Optional ``read_columns(path, context)``: the backlog in the file with its items as
    columns (:class:`mbf.domain.columns.BacklogColumns`), for a reader that works out the file
    column by column. ``mbf convert`` keeps the columns when the target writes columns too."""
    write_columns: Callable[[BacklogColumns, Path, Context], None] | None = None
    """Optional ``write_columns(backlog, path, context)``: write a backlog given as columns."""
    can_read: Callable[[Path], bool] | None = None
    """Cheap content sniff: ``True`` when the file is in this format; never raises."""
    default_filenames: tuple[str, ...] = ()
    """Case-insensitive globs of this format's usual file names, e.g. ``("*.xlsx",)``."""
    aliases: tuple[str, ...] = ()
    """Other names the format answers to."""
    capabilities: frozenset[str] = ALL_CAPABILITIES
    """Fields that survive a write and read back (see :data:`ALL_CAPABILITIES`); ``convert``
    reports the others as lost."""
    kinds: frozenset[WorkItemKind] = dataclasses.field(default_factory=_all_kinds)
    """Kinds of item the format holds; ``convert`` reports items of other kinds as lost (a Wave
    sheet holds workloads and servers, not tasks)."""
    settings_type: type | None = None
    """attrs class of this format's settings, if it has any."""

    def __post_init__(self) -> None:
        super().__post_init__()
        _set(self, "default_filenames", tuple(self.default_filenames))
        _set(self, "aliases", _names("aliases", self.aliases))
        _set(self, "capabilities", frozenset(self.capabilities))
        _set(self, "kinds", _kinds(self.kinds))
        if self.read is None and self.read_columns is not None:
            _set(self, "read", partial(_read_from_columns, self.read_columns))
        if self.write is None and self.write_columns is not None:
            _set(self, "write", partial(_write_as_columns, self.write_columns))
        if self.read is None and self.write is None:
            raise ValueError(f"tracker format {self.name!r} can neither read nor write")
        unknown = self.capabilities - ALL_CAPABILITIES
        if unknown:
            raise ValueError(
                f"tracker format {self.name!r} declares unknown capabilities {sorted(unknown)}"
            )


def _read_from_columns(
    read_columns: Callable[[Path, Context], BacklogColumns], path: Path, context: Context
) -> Backlog:
    return read_columns(path, context).backlog()


def _write_as_columns(
    write_columns: Callable[[BacklogColumns, Path, Context], None],
    backlog: Backlog,
    path: Path,
    context: Context,
) -> None:
    from mbf.domain.columns import BacklogColumns

    write_columns(BacklogColumns.of(backlog), path, context)


@dataclasses.dataclass(frozen=True, kw_only=True)
class PushReport:
    """What a push did, per item id."""

    created: tuple[str, ...] = ()
    """Items created in the tracker."""
    updated: tuple[str, ...] = ()
    """Items whose tracker copy was changed."""
    unchanged: tuple[str, ...] = ()
    """Items already up to date (no request sent)."""
    failed: tuple[tuple[str, str], ...] = ()
    """``(item id, reason)`` for each item the tracker refused."""
    write_requests: int = 0
    """HTTP requests that created or changed something (0 for an unchanged backlog)."""


class TrackerClient(Protocol):
    """A live connection to one tracker project, returned by :attr:`TrackerService.connect`.

    ``push`` consults and updates the :class:`mbf.sync.SyncLedger` (see :func:`mbf.sync.plan_push`):
    it creates what the ledger does not know (parents first, links in a second pass), updates what
    changed, sends nothing for the rest, saves the ledger after every batch, and stamps the mbf id
    on each item it creates. ``pull`` returns the tracker's items with ``refs`` set and, for items
    carrying the mbf stamp, their mbf ids.
    """

    def pull(self) -> Backlog:
        """Read the project's items into a backlog."""

    def push(self, backlog: Backlog, ledger: SyncLedger, *, dry_run: bool = False) -> PushReport:
        """Create and update items so the tracker matches ``backlog``."""

    def close(self) -> None:
        """Release connections."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class TrackerService(MbfPlugin):
    """A live tracker reached through its API."""

    settings_type: type
    """attrs class ``[services.<name>]`` is structured into (unknown keys refused)."""
    connect: Callable[[Any, Context], TrackerClient]
    """``connect(settings, context)``: an open :class:`TrackerClient`."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class GenerationRule(MbfPlugin):
    """One step of turning an estate into a backlog; rules run in ``order``."""

    apply: Callable[[Estate, Backlog, Context], Backlog]
    """``apply(estate, backlog, context)``: the backlog with this rule's items added or changed."""
    order: int = 500
    """Position in the pipeline; lower runs first (the CAF hierarchy rule is 100)."""
    enabled_by_default: bool = True
    """Whether the rule runs unless mbf.toml switches it off."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class PlanViolation:
    """A constraint the plan could not meet."""

    constraint: str
    """Which rule, e.g. ``lease-end``, ``capacity``, ``dependency-cycle``."""
    message: str
    """What happened, in words a user can act on."""
    item_ids: tuple[str, ...] = ()
    """The items involved."""

    def __post_init__(self) -> None:
        _set(self, "item_ids", tuple(self.item_ids))


@dataclasses.dataclass(frozen=True, kw_only=True)
class PlanResult:
    """A planned backlog and what the planner has to say about it."""

    backlog: Backlog
    """The backlog with iterations, releases and item placements set."""
    violations: tuple[PlanViolation, ...] = ()
    """Constraints not met."""
    explanations: tuple[tuple[str, str], ...] = ()
    """``(item id, why it got its iteration)`` for ``mbf plan --explain``."""

    def __post_init__(self) -> None:
        _set(self, "violations", tuple(self.violations))
        _set(self, "explanations", tuple(self.explanations))


@dataclasses.dataclass(frozen=True, kw_only=True)
class PlanningStrategy(MbfPlugin):
    """Assigns backlog items to iterations and releases."""

    plan: Callable[[Backlog, Context], PlanResult]
    """``plan(backlog, context)``: the planned backlog; the config has cadence and capacity."""
