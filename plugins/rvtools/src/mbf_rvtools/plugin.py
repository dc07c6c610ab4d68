"""Hook implementations of the RVTools discovery source."""

from __future__ import annotations

from collections.abc import Iterator

from mbf import hookimpl
from mbf.plugin import DiscoverySource


@hookimpl
def mbf_discovery_sources() -> Iterator[DiscoverySource]:
    from mbf_rvtools import vinfo

    yield DiscoverySource(
        name="rvtools",
        description="RVTools export: vInfo (+ vPartition, vHost), xlsx or csv",
        default_filenames=("rvtools*.xlsx", "*vinfo*.csv", "rvtools*.csv"),
        can_read=vinfo.looks_like_rvtools,
        read=vinfo.read_rvtools,
    )
