"""Deterministic ids: the same estate always yields the same ids, so regenerating keeps them."""

from __future__ import annotations

import hashlib
import ipaddress
import re

__all__ = ["item_id", "server_id", "slug", "stable_hash"]

_NOT_SLUG = re.compile(r"[^a-z0-9]+")


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


def stable_hash(text: str, length: int = 8) -> str:
    """A short hex digest of ``text`` that never changes between runs or machines."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()[:length]


def item_id(kind: str, *parts: str) -> str:
    """Id of a work item of ``kind`` standing for the estate ids ``parts``.

    >>> item_id("task", "srv01", "migrate")
    'task:srv01/migrate'
    """
    return f"{kind}:{'/'.join(parts)}"
