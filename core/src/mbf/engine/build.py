"""The main job: mbf.toml in, every configured output out (discover, generate, plan, write, push).

Each step is the engine function the single-step command uses: :func:`~mbf.engine.discovery.discover`
(``mbf discover``), :func:`~mbf.engine.generation.generate_backlog` and
:func:`~mbf.engine.generation.merge_regenerated` (``mbf generate --previous``), the configured
planning strategy (``mbf plan``), :func:`~mbf.engine.convert.write_backlog_file` (``mbf convert``)
and :func:`~mbf.engine.push.push_backlog` (``mbf push``).

The native estate and backlog are written beside the outputs (``[build]`` in mbf.toml). When the
backlog file exists, the new backlog is folded into it, so ids, states, assignees and tracker keys
set since the last build survive, and a rebuild of an unchanged project writes the same bytes.
"""

from __future__ import annotations

import glob
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import attrs

from mbf.config import MbfConfig
from mbf.domain import Backlog, Estate
from mbf.engine.convert import lost_fields, write_backlog_file
from mbf.engine.discovery import discover, exports_from_config
from mbf.engine.generation import RegenerationReport, generate_backlog, merge_regenerated
from mbf.engine.planning import PlanSummary, plan_summary
from mbf.errors import ConfigError
from mbf.plugin.manager import MbfPluginManager
from mbf.plugin.types import Context, PlanViolation, PushReport

if TYPE_CHECKING:
    from mbf.engine.push import ServiceSession

__all__ = ["BuildObserver", "BuildReport", "OutputWritten", "build_project"]


class BuildObserver(Protocol):
    """Told what the build is doing, e.g. to draw progress bars; every method may do nothing."""

    def step(self, description: str, total: int) -> None:
        """A step starts; it has ``total`` units of work."""

    def advance(self) -> None:
        """One unit of the current step is done."""


class _Quiet:
    """The observer of a build nobody watches."""

    def step(self, description: str, total: int) -> None:
        del description, total

    def advance(self) -> None:
        pass


@attrs.frozen(kw_only=True)
class OutputWritten:
    """One file the build wrote."""

    path: str
    """As mbf.toml names it (relative to mbf.toml)."""
    format: str
    """Tracker format it was written in (``mbf-estate`` for the estate file)."""
    lost: dict[str, int] = attrs.field(factory=dict)
    """Field -> items whose value that format cannot hold (see ``mbf convert``)."""
    parts: tuple[str, ...] = ()
    """Numbered siblings the format split the output into (``azure-devops-2.csv``), by name."""


@attrs.frozen(kw_only=True)
class BuildReport:
    """What a build did: the figures of its summary."""

    estate: Estate
    """The discovered estate."""
    backlog: Backlog
    """The planned backlog, as written (with tracker keys when pushed)."""
    items_by_kind: dict[str, int]
    """Items per kind (``epic``, ``feature``, ``story``, ``task``)."""
    plan: PlanSummary
    """Iterations used, datacenter finishes against their lease ends."""
    violations: tuple[PlanViolation, ...]
    """Constraints the plan could not meet."""
    strategy: str
    """Planning strategy used."""
    regeneration: RegenerationReport | None
    """Items added, kept and removed against the previous backlog file (``None``: first build)."""
    outputs: tuple[OutputWritten, ...]
    """Files written, the native ones first."""
    pushes: tuple[tuple[str, PushReport], ...]
    """Per service pushed to, what the push did."""
    timings: tuple[tuple[str, float], ...]
    """Seconds spent per step."""


class _Clock:
    """Times the steps and tells the observer about them."""

    def __init__(self, observer: BuildObserver) -> None:
        self.observer = observer
        self.timings: list[tuple[str, float]] = []

    @contextmanager
    def step(self, name: str, description: str, total: int = 1) -> Iterator[None]:
        self.observer.step(description, total)
        started = time.perf_counter()
        yield
        self.timings.append((name, round(time.perf_counter() - started, 3)))


def build_project(
    plugin_manager: MbfPluginManager,
    config: MbfConfig,
    *,
    push: bool = False,
    observer: BuildObserver | None = None,
    context: Context | None = None,
) -> BuildReport:
    """Run the whole job ``config`` describes; nothing is pushed unless ``push``.

    Raises :class:`~mbf.errors.ConfigError` when mbf.toml names no ``[[sources]]``, or, with
    ``push``, no service or a service with bad settings (before any work is done). Each file is
    written atomically, so a failure never leaves a half-written file; and nothing is written
    before the plan is made, so a bad export leaves the previous build's files untouched.
    """
    from mbf.engine.push import open_service
    from mbf.serialization import read_backlog, write_backlog, write_estate

    if not config.sources:
        raise ConfigError("mbf.toml: no [[sources]]: name the discovery exports `mbf build` reads")
    sessions: list[ServiceSession] = []
    if push:
        if not config.services:
            raise ConfigError(
                "mbf.toml: --push given but no [services.<name>] table names a tracker"
            )
        sessions = [open_service(plugin_manager, config, name) for name in config.services]
    context = context or Context(config=config)
    clock = _Clock(observer or _Quiet())
    exports = exports_from_config(config)

    with clock.step("discover", f"Discovering {len(exports)} exports"):
        estate = discover(plugin_manager, exports, config=config, context=context)
        clock.observer.advance()

    backlog_path = config.resolve(config.build.backlog)
    with clock.step("generate", "Generating the backlog"):
        backlog = generate_backlog(estate, plugin_manager.generation_rules, context)
        regeneration = None
        if backlog_path.is_file():
            backlog, regeneration = merge_regenerated(read_backlog(backlog_path), backlog)
        clock.observer.advance()

    strategy = plugin_manager.planning_strategies.get(config.planning.strategy)
    with clock.step("plan", f"Planning with {strategy.name}"):
        result = strategy.plan(backlog, context)
        backlog = result.backlog
        clock.observer.advance()

    pushes: list[tuple[str, PushReport]] = []
    if push:
        backlog, pushes = _push_everywhere(sessions, config, backlog, clock, context)

    outputs: list[OutputWritten] = []
    with clock.step("write", "Writing outputs", total=2 + len(config.outputs)):
        write_estate(estate, config.resolve(config.build.estate))
        outputs.append(OutputWritten(path=config.build.estate, format="mbf-estate"))
        clock.observer.advance()
        write_backlog(backlog, backlog_path)
        outputs.append(OutputWritten(path=config.build.backlog, format="mbf-json"))
        clock.observer.advance()
        for output in config.outputs:
            target = config.resolve(output.path)
            parts_before = _numbered_parts(target)
            writer = write_backlog_file(plugin_manager, backlog, target, output.format, context)
            _drop_stale_parts(parts_before, context)
            parts = sorted(
                (part for part, inode in _numbered_parts(target).items()
                 if parts_before.get(part) != inode),
                key=lambda part: int(part.stem.rsplit("-", 1)[1]),
            )  # fmt: skip
            outputs.append(
                OutputWritten(
                    path=output.path,
                    format=writer.name,
                    lost=lost_fields(backlog, writer.capabilities, writer.kinds),
                    parts=tuple(part.name for part in parts),
                )
            )
            clock.observer.advance()

    counts = Counter(item.kind.value for item in backlog.items)
    return BuildReport(
        estate=estate,
        backlog=backlog,
        items_by_kind={kind: counts[kind] for kind in ("epic", "feature", "story", "task")},
        plan=plan_summary(backlog, config),
        violations=result.violations,
        strategy=strategy.name,
        regeneration=regeneration,
        outputs=tuple(outputs),
        pushes=tuple(pushes),
        timings=tuple(clock.timings),
    )


def _numbered_parts(path: Path) -> dict[Path, int]:
    """The numbered siblings a format may split ``path`` into (``ado-2.csv``), with their inodes."""
    if not path.parent.is_dir():
        return {}
    prefix = f"{path.stem}-"
    return {
        part: part.stat().st_ino
        for part in path.parent.glob(f"{glob.escape(prefix)}*{glob.escape(path.suffix)}")
        if part.name[len(prefix) : len(part.name) - len(path.suffix)].isdigit()
    }


def _drop_stale_parts(parts_before: dict[Path, int], context: Context) -> None:
    """Remove the numbered parts of an earlier build that this write did not replace (a smaller
    backlog needs fewer parts); a leftover part would be imported twice."""
    for part, inode in sorted(parts_before.items()):
        if part.exists() and part.stat().st_ino == inode:
            part.unlink()
            context.diagnostics.warn(f"{part.name}: removed, a part of an earlier build")


def _push_everywhere(
    sessions: list[ServiceSession],
    config: MbfConfig,
    backlog: Backlog,
    clock: _Clock,
    context: Context,
) -> tuple[Backlog, list[tuple[str, PushReport]]]:
    """Push to every ``[services.<name>]`` in order; the backlog comes back with tracker keys.

    When a push fails, the keys recorded so far are saved into the backlog file before the error
    shows, as ``mbf push`` does, so the next build or push resumes without duplicates.
    """
    from mbf.engine.push import push_backlog
    from mbf.serialization import write_backlog

    reports: list[tuple[str, PushReport]] = []
    current = [backlog]
    keep: Callable[[Backlog], None] = current.append
    for session in sessions:
        with clock.step(f"push {session.service.name}", f"Pushing to {session.service.name}"):
            try:
                report = push_backlog(session, current[-1], keep)
            except BaseException:
                write_backlog(current[-1], config.resolve(config.build.backlog))
                raise
            for warning in session.context.diagnostics.warnings:
                context.diagnostics.warn(f"{session.service.name}: {warning}")
            clock.observer.advance()
        reports.append((session.service.name, report))
    return current[-1], reports
