"""Cell values as Azure Migrate writes them: readiness words, bracketed address lists, issue lists."""

from __future__ import annotations

import re
from collections.abc import Sequence

from mbf.domain import Readiness
from mbf.tabular import normalise_header, split_list

__all__ = ["address_column", "addresses", "application_group", "issues", "readiness"]

_NO_ISSUE = frozenset({"", "notapplicable", "none", "na"})
_ISSUE_SEPARATORS = re.compile(r"[;\n]+")
_LIST_SEPARATOR = re.compile(r"[\s,;\[\]]")
"""What :func:`mbf.tabular.split_list` splits at."""
_BRACKETED_CELL = r"(?:\[(?:[^\s,;\[\]\x00]+(?:,[^\s,;\[\]\x00]+)*)?\];)?"
"""A blank cell, or one bracketed list of addresses as Azure Migrate writes them."""
_BRACKETED_COLUMN = re.compile(rf"{_BRACKETED_CELL}(?:\x00{_BRACKETED_CELL})*")
"""Cells of :data:`_BRACKETED_CELL`, joined by NULs."""
_GENERATED_GROUP = re.compile(r"-AME-\d+$", re.IGNORECASE)
"""Azure Migrate Export names the groups it creates ``AzureVM-Prod-AME-18285``: per environment,
not per application, so they say nothing about which servers belong together."""


def readiness(text: str) -> Readiness:
    """``Ready For Azure``, ``Ready With Conditions``, ``Not Ready``, ``Unknown Readiness`` ..."""
    key = normalise_header(text).replace("forazure", "")
    if key.startswith(("notready", "unsupported", "notsupported")):
        return Readiness.NOT_READY
    if "condition" in key:
        return Readiness.READY_WITH_CONDITIONS
    if key == "ready":
        return Readiness.READY
    return Readiness.UNKNOWN


def issues(text: str) -> tuple[str, ...]:
    """The readiness issues of one cell (``;``- or line-separated), without ``NotApplicable``."""
    found = (part.strip() for part in _ISSUE_SEPARATORS.split(text))
    return tuple(dict.fromkeys(p for p in found if normalise_header(p) not in _NO_ISSUE))


def addresses(text: str) -> tuple[str, ...]:
    """``[2404:f801::1,10.150.90.32];[10.150.168.100];`` -> each address once, in order."""
    return tuple(dict.fromkeys(split_list(text)))


def address_column(texts: Sequence[str]) -> list[tuple[str, ...]]:
    """:func:`addresses` of each cell of a column; at C speed when no cell holds a list, and
    nearly so when every list is written as Azure Migrate writes it (``[a,b];``)."""
    joined = "\x00".join(texts)  # NUL is no separator, so joins none
    if not _LIST_SEPARATOR.search(joined):
        return [(text,) if text else () for text in texts]
    if joined.count("\x00") >= len(texts) or not _BRACKETED_COLUMN.fullmatch(joined):
        return list(map(addresses, texts))  # a cell holds a NUL, or a list written otherwise
    # Each cell is blank, "[];" or "[a,b,...];" with no blank or spaced address: the addresses
    # are what lies between the brackets, split at the commas.
    inside = [text[1:-2] for text in texts]
    return [
        tuple(dict.fromkeys(text.split(","))) if "," in text else (text,) if text else ()
        for text in inside
    ]


def application_group(group: str) -> str | None:
    """An assessment group that names an application, or ``None`` for generated ones."""
    group = group.strip()
    return None if not group or _GENERATED_GROUP.search(group) else group
