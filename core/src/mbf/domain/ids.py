"""Deterministic ids: the same estate always yields the same ids, so regenerating keeps them."""

from __future__ import annotations

import hashlib
import ipaddress
import itertools
import operator
import re
from collections.abc import Sequence

__all__ = ["item_id", "server_id", "server_ids", "slug", "stable_hash"]

_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_SHORT_NAMES = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*(?:\n[a-z][a-z0-9]*(?:-[a-z0-9]+)*)*")
"""Lines of host names up to their first dot, each already a slug and starting with a letter."""


def slug(text: str) -> str:
    """Lower-case ``text`` and join its letters and digits with single hyphens.

    >>> slug("Amsterdam 1 / Hall B")
    'amsterdam-1-hall-b'
    """
    lowered = text.lower()
    if (
        lowered.isascii()
        and lowered.replace("-", "").isalnum()
        and "--" not in lowered
        and lowered[0] != "-"
        and lowered[-1] != "-"
    ):
        return lowered  # already a slug, as most host names are: no pattern to run
    return _NOT_SLUG.sub("-", lowered).strip("-")


def server_id(name: str) -> str:
    """Id of a server from its host name: the short name, so ``SRV01.contoso.local`` is ``srv01``.

    An IP address stands for itself (dots become hyphens).

    >>> server_id("SRV01.contoso.local")
    'srv01'
    """
    name = name.strip()
    # Only text starting with a digit (IPv4) or holding a colon (IPv6) can be an address; the
    # guard spares host names the cost of a failed parse (discovery calls this 150,000 times).
    if not (name[:1].isdigit() or ":" in name):
        return slug(name.split(".", 1)[0])
    try:
        ipaddress.ip_address(name)
    except ValueError:
        name = name.split(".", 1)[0]
    return slug(name)


def server_ids(names: Sequence[str]) -> list[str]:
    """``[server_id(name) for name in names]``, a column at a time where it can be.

    The common case (every name a host name whose part up to the first dot, lower-cased, is
    already a slug starting with a letter) is checked for the whole column with one pattern:
    no name of that shape can be an address (an IPv4 one starts with a digit, an IPv6 one has a
    colon before any dot), so each id is that short name. Any other column is done a name at a
    time.
    """
    stripped = map(str.strip, names)
    shorts = list(map(str.lower, map(_first, map(str.partition, stripped, itertools.repeat(".")))))
    lines = "\n".join(shorts)
    one_per_line = lines.count("\n") == len(shorts) - 1  # no name holds a line break
    if one_per_line and _SHORT_NAMES.fullmatch(lines):
        return shorts
    return list(map(server_id, names))


_first = operator.itemgetter(0)


def stable_hash(text: str, length: int = 8) -> str:
    """A short hex digest of ``text`` that never changes between runs or machines."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()[:length]


def item_id(kind: str, *parts: str) -> str:
    """Id of a work item of ``kind`` standing for the estate ids ``parts``.

    >>> item_id("task", "srv01", "migrate")
    'task:srv01/migrate'
    """
    return f"{kind}:{'/'.join(parts)}"
