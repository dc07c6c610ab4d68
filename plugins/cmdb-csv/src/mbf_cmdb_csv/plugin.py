"""Hook implementations of the CMDB CSV discovery source."""

from __future__ import annotations

from collections.abc import Iterator

from mbf import hookimpl
from mbf.plugin import DiscoverySource


@hookimpl
def mbf_discovery_sources() -> Iterator[DiscoverySource]:
    from mbf_cmdb_csv import reader, settings

    yield DiscoverySource(
        name="cmdb-csv",
        description="Any CMDB CSV; columns mapped by the options of its [[sources]] entry",
        aliases=("cmdb",),
        default_filenames=("*cmdb*.csv",),
        read=reader.read_cmdb,
        settings_type=settings.CmdbSettings,
    )
