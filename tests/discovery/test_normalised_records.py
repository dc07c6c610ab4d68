"""Servers and dependencies built without the converters equal those attrs builds."""

from __future__ import annotations

import attrs

from mbf.domain import Dependency, Readiness, Server
from mbf.domain.estate import normalised_dependency, normalised_server


def test_a_normalised_server_is_the_server_attrs_builds() -> None:
    values = {
        "id": "srv01",
        "name": "SRV01.contoso.local",
        "datacenter_id": "ams1",
        "os": "Windows",
        "os_version": "10.0",
        "cores": 4,
        "memory_mb": 8192,
        "storage_gb": 100.0,
        "environment": "prod",
        "ip_addresses": ("10.0.0.1",),
        "readiness": Readiness.READY,
        "blockers": ("Unsupported boot type",),
        "workload_ids": ("payroll",),
        "sources": {"cores": "rvtools:a.xlsx"},
        "extra": {"host": "esx01"},
    }
    built = normalised_server(**values)  # type: ignore[arg-type]
    assert built == Server(**values)  # type: ignore[arg-type]
    assert attrs.asdict(built, recurse=False) == values
    assert normalised_server(id="srv02", name="srv02") == Server(id="srv02", name="srv02")
    assert normalised_server(id="srv02", name="srv02").sources == {}


def test_a_normalised_dependency_is_the_dependency_attrs_builds() -> None:
    assert normalised_dependency(
        source_id="a", target_id="b", port=1433, protocol="tcp", process="sql", weight=3.0
    ) == Dependency(
        source_id="a", target_id="b", port=1433, protocol="tcp", process="sql", weight=3
    )
    assert normalised_dependency(source_id="a", target_id="b") == Dependency(
        source_id="a", target_id="b"
    )
