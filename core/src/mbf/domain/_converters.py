"""attrs converters shared by the domain classes: what callers pass is normalised on the way in."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any


def to_tuple(value: Any) -> tuple[Any, ...]:
    """Any iterable as a tuple, so sequences in frozen objects cannot change."""
    return tuple(value)


def to_dict(value: Any) -> Mapping[str, Any]:
    """A mapping copied, so the caller's dict cannot change the object afterwards."""
    return dict(value)


def to_float(value: Any) -> float:
    """``float(value)``, as a Python function: attrs inspects each converter's signature, and
    for the builtin ``float`` that means parsing its text signature with the tokenizer, a tenth
    of ``mbf --help``."""
    return float(value)


def to_optional_float(value: float | None) -> float | None:
    """``4`` becomes ``4.0`` so equal values serialise to equal bytes."""
    return None if value is None else float(value)


if TYPE_CHECKING:

    def as_tuple(value: Iterable[Any]) -> tuple[Any, ...]:
        """``tuple``, as mypy's attrs plugin should see it."""

    def as_dict(value: Mapping[str, Any]) -> dict[str, Any]:
        """``dict``, as mypy's attrs plugin should see it."""

else:
    # The builtins themselves: the converters of the work item's sequences and mappings, where
    # a Python function's call would cost a tenth of building an item.
    as_tuple = tuple
    as_dict = dict
