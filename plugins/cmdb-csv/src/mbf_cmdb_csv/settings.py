"""The options of a ``cmdb-csv`` source: which CSV column holds which field.

In mbf.toml, per ``[[sources]]`` entry (a ``[sources.cmdb-csv.columns]`` table cannot sit beside
the ``[[sources]]`` array in TOML, so the column map lives in the entry's ``options``)::

    [[sources]]
    path = "exports/cmdb.csv"
    source = "cmdb-csv"
    options.columns = { name = "CI Name", application = "Business Service", datacenter = "Site" }
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

__all__ = ["DEFAULT_HEADERS", "FIELDS", "CmdbSettings"]

DEFAULT_HEADERS: dict[str, tuple[str, ...]] = {
    "name": ("Name", "Server", "Server Name", "Hostname", "Host Name", "CI Name", "FQDN"),
    "ip_addresses": ("IP Address", "IP Addresses", "IP"),
    "datacenter": ("Datacenter", "Data Center", "Data Centre", "Site"),
    "application": ("Application", "Application Name", "Business Service", "Workload"),
    "environment": ("Environment", "Env"),
    "owner": ("Owner", "Application Owner", "Business Owner"),
    "criticality": ("Criticality", "Business Criticality"),
    "strategy": ("Strategy", "Migration Strategy", "Rationalization"),
    "os": ("OS", "Operating System"),
    "os_version": ("OS Version",),
    "cores": ("Cores", "CPUs", "vCPU", "vCPUs"),
    "memory_mb": ("Memory (MB)", "Memory MB", "RAM (MB)"),
    "storage_gb": ("Storage (GB)", "Disk (GB)"),
}
"""Headers each field is looked for under when the column map does not name one."""

FIELDS = tuple(DEFAULT_HEADERS)


def _check_columns(
    _instance: object, _attribute: attrs.Attribute[Any], value: Mapping[str, str]
) -> None:
    unknown = sorted(set(value) - set(FIELDS))
    if unknown:
        raise ValueError(
            f"unknown field(s) {', '.join(unknown)} in columns; known: {', '.join(FIELDS)}"
        )


def _columns(value: Mapping[str, str]) -> dict[str, str]:
    return dict(value)


@attrs.frozen(kw_only=True)
class CmdbSettings:
    """``options`` of a ``cmdb-csv`` entry in ``[[sources]]``."""

    columns: Mapping[str, str] = attrs.field(
        factory=dict, converter=_columns, validator=_check_columns
    )
    """Field -> CSV header, e.g. ``{name = "CI Name", application = "Business Service"}``.
    A field left out is looked for under its usual headers (:data:`DEFAULT_HEADERS`)."""
    delimiter: str | None = None
    """Column separator; detected from the header line when left out."""
    encoding: str | None = None
    """Text encoding; detected (BOM, UTF-8, else Windows-1252) when left out."""
    application_separator: str = ";"
    """Separates several applications in one cell."""
