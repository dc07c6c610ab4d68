"""Hook implementations of the Azure Migrate discovery source."""

from __future__ import annotations

from collections.abc import Iterator

from mbf import hookimpl
from mbf.plugin import DiscoverySource


@hookimpl
def mbf_discovery_sources() -> Iterator[DiscoverySource]:
    from mbf_azure_migrate import exports

    yield DiscoverySource(
        name="azure-migrate",
        description=(
            "Azure Migrate: import CSV, discovered servers, assessments (readiness, blockers), "
            "dependency analysis CSV"
        ),
        aliases=("azmigrate",),
        default_filenames=(
            "azuremigrate*.xlsx",
            "azuremigrate*.csv",
            "*dependenc*.csv",
            "*assessment*.xlsx",
        ),
        can_read=exports.looks_like_azure_migrate,
        read=exports.read_azure_migrate,
    )
