"""Expected failures: every error a user can act on is an ``MbfError`` the CLI prints without a traceback."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "AmbiguousFormatError",
    "ConfigError",
    "FormatNotFoundError",
    "InputError",
    "MbfError",
    "PluginConflictError",
    "PluginError",
    "ValidationError",
]


class MbfError(Exception):
    """A failure caused by input, configuration or environment, with a message a user can act on."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InputError(MbfError):
    """An input file is malformed; the message names the file and, where known, row and column."""

    def __init__(
        self,
        message: str,
        *,
        path: object | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        where = [str(path)] if path is not None else []
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column {column!r}")
        super().__init__(f"{', '.join(where)}: {message}" if where else message)
        self.path = path
        self.row = row
        self.column = column


class ConfigError(MbfError):
    """``mbf.toml`` (or a plugin's settings in it) is invalid."""


class ValidationError(MbfError):
    """An estate or backlog breaks a rule of the domain model (duplicate id, missing parent, ...)."""

    def __init__(self, problems: Iterable[str], *, origin: object | None = None) -> None:
        self.problems = tuple(problems)
        prefix = f"{origin}: " if origin is not None else ""
        if len(self.problems) == 1:
            message = prefix + self.problems[0]
        else:
            shown = "\n  ".join(self.problems[:20])
            more = len(self.problems) - 20
            tail = f"\n  ... and {more} more" if more > 0 else ""
            message = f"{prefix}{len(self.problems)} problems:\n  {shown}{tail}"
        super().__init__(message)


class PluginError(MbfError):
    """A plugin is broken: it failed to import, implements an unknown hook or yields bad objects."""


class PluginConflictError(PluginError):
    """Two plugins provide an object of the same name; neither is used until one is disabled."""


class FormatNotFoundError(MbfError):
    """No tracker format or discovery source matches the name or file given."""


class AmbiguousFormatError(FormatNotFoundError):
    """Several formats or sources could read a file; the user must name one."""
