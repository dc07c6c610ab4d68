"""Iterations from the configured cadence: a fixed length from the project start, or calendar
months or fiscal quarters; and the capacity of each iteration.

Iteration ids are ``iteration-<n>`` (n from 1), so a re-plan with the same cadence gives the same
ids. Names come from ``[iterations] name_pattern`` with ``{n}``, ``{fy}`` (the fiscal year, named
by the calendar year it ends in), ``{q}`` (fiscal quarter), ``{year}``, ``{month}`` (``Jan``),
``{start}`` and ``{finish}`` (ISO dates).
"""

from __future__ import annotations

import datetime as dt

import attrs

from mbf.config import IterationsConfig, MbfConfig
from mbf.domain import Iteration
from mbf.errors import ConfigError

__all__ = ["Cadence", "Capacity", "iteration_id", "make_cadence"]

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
DEFAULT_LENGTH_DAYS = 14
"""Iteration length when mbf.toml gives none: two weeks, as CAF suggests."""


def iteration_id(number: int) -> str:
    """Id of the iteration numbered ``number`` (from 1)."""
    return f"iteration-{number}"


@attrs.frozen(kw_only=True)
class Capacity:
    """What fits in one iteration; ``None`` means no limit on that measure."""

    servers: int | None = None
    """Servers migrated per iteration."""
    hours: float | None = None
    """Hours of work per iteration."""

    @property
    def headline(self) -> float | None:
        """The number recorded as :attr:`Iteration.capacity`: servers if limited, else hours."""
        return float(self.servers) if self.servers is not None else self.hours


def _month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def _first_of(month_index: int) -> dt.date:
    return dt.date(month_index // 12, month_index % 12 + 1, 1)


@attrs.frozen(kw_only=True)
class Cadence:
    """How iterations follow each other from the project start."""

    start: dt.date
    """First day of iteration 1."""
    length_days: int | None = None
    """Fixed length, or ``None`` for a calendar cadence."""
    months_per_iteration: int = 0
    """1 for monthly, 3 for quarterly iterations (calendar cadence)."""
    fiscal_year_start_month: int = 1
    """Month the fiscal year starts in."""
    name_pattern: str = "Sprint {n}"
    """Iteration name pattern."""
    path_prefix: str = ""
    """Prefix of each iteration's tracker path."""
    capacity: Capacity = Capacity()
    """Capacity of every iteration."""

    def window(self, number: int) -> tuple[dt.date, dt.date]:
        """First and last day of iteration ``number``."""
        if self.length_days is not None:
            first = self.start + dt.timedelta(days=self.length_days * (number - 1))
            return first, first + dt.timedelta(days=self.length_days - 1)
        months = self.months_per_iteration
        offset = (self.start.month - self.fiscal_year_start_month) % months
        period = _month_index(self.start) - offset + months * (number - 1)
        first = self.start if number == 1 else _first_of(period)
        return first, _first_of(period + months) - dt.timedelta(days=1)

    def iteration(self, number: int) -> Iteration:
        """Iteration ``number`` with its dates, name, path and capacity."""
        first, last = self.window(number)
        fiscal_month = (first.month - self.fiscal_year_start_month) % 12
        fiscal_year = first.year + (
            1
            if self.fiscal_year_start_month > 1 and first.month >= self.fiscal_year_start_month
            else 0
        )
        try:
            name = self.name_pattern.format(
                n=number,
                fy=fiscal_year,
                q=fiscal_month // 3 + 1,
                year=first.year,
                month=_MONTHS[first.month - 1],
                start=first.isoformat(),
                finish=last.isoformat(),
            )
        except (KeyError, IndexError, ValueError) as exc:
            raise ConfigError(
                f"mbf.toml: iterations.name_pattern {self.name_pattern!r} is not valid ({exc}); "
                "use {n}, {fy}, {q}, {year}, {month}, {start}, {finish}"
            ) from None
        return Iteration(
            id=iteration_id(number),
            name=name,
            path=f"{self.path_prefix}{name}" if self.path_prefix else "",
            start=first,
            finish=last,
            capacity=self.capacity.headline,
        )


def _capacity(settings: IterationsConfig) -> Capacity:
    hours = settings.capacity_hours
    team = (settings.team_size, settings.hours_per_person)
    if (team[0] is None) != (team[1] is None):
        raise ConfigError(
            "mbf.toml: iterations.team_size and iterations.hours_per_person go together"
        )
    if team[0] is not None and team[1] is not None:
        if hours is not None:
            raise ConfigError(
                "mbf.toml: give iterations.capacity_hours or team_size and hours_per_person, not both"
            )
        hours = team[0] * team[1]
    for key, value in (("capacity_servers", settings.capacity_servers), ("capacity_hours", hours)):
        if value is not None and value <= 0:
            raise ConfigError(f"mbf.toml: iterations.{key} must be positive")
    return Capacity(servers=settings.capacity_servers, hours=hours)


def make_cadence(config: MbfConfig) -> Cadence:
    """The cadence ``[project] start`` and ``[iterations]`` describe; a clear error when they
    are incomplete or contradict each other."""
    settings = config.iterations
    if config.project.start is None:
        raise ConfigError(
            "mbf.toml: project.start is required to plan (the first day of iteration 1)"
        )
    given = [
        key
        for key, value in (
            ("length_days", settings.length_days),
            ("length_weeks", settings.length_weeks),
            ("calendar", settings.calendar),
        )
        if value is not None
    ]
    if len(given) > 1:
        raise ConfigError(
            f"mbf.toml: iterations.{given[0]} and iterations.{given[1]} exclude each other"
        )
    length: int | None = DEFAULT_LENGTH_DAYS
    months = 0
    if settings.length_days is not None:
        length = settings.length_days
    elif settings.length_weeks is not None:
        length = settings.length_weeks * 7
    elif settings.calendar is not None:
        length = None
        months = 1 if settings.calendar == "month" else 3
    if length is not None and length <= 0:
        raise ConfigError("mbf.toml: the iteration length must be positive")
    return Cadence(
        start=config.project.start,
        length_days=length,
        months_per_iteration=months,
        fiscal_year_start_month=settings.fiscal_year_start_month,
        name_pattern=settings.name_pattern,
        path_prefix=settings.path_prefix,
        capacity=_capacity(settings),
    )
