"""Servers and dependencies built without the converters equal those attrs builds."""

from __future__ import annotations

import attrs
import pytest

from mbf.domain import Dependency, Readiness, Server
from mbf.domain.estate import (
    normalised_dependencies,
    normalised_dependency,
    normalised_server,
    normalised_servers,
)


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


def test_servers_made_a_field_at_a_time_are_those_made_one_by_one() -> None:
    servers = normalised_servers(
        ["srv01", "srv02"],
        ["SRV01", "srv02.contoso.local"],
        cores=[4, None],
        storage_gb=[100.0, 2.5],
        ip_addresses=[("10.0.0.1",), ()],
        readiness=None,
        sources=[{"cores": "rvtools:a.xlsx"}, {}],
    )
    assert servers == [
        Server(
            id="srv01",
            name="SRV01",
            cores=4,
            storage_gb=100,
            ip_addresses=("10.0.0.1",),
            sources={"cores": "rvtools:a.xlsx"},
        ),
        Server(id="srv02", name="srv02.contoso.local", storage_gb=2.5),
    ]
    assert servers[0].extra == servers[1].extra == {}
    assert servers[0].extra is not servers[1].extra  # each server's own, as Server makes them
    assert normalised_servers([], []) == []


def test_columns_of_another_length_or_field_are_refused() -> None:
    with pytest.raises(ValueError, match=r"^a column of 1 values for 2 records$"):
        normalised_servers(["a", "b"], ["a", "b"], cores=[1])
    with pytest.raises(TypeError, match=r"^not fields of a server: colour$"):
        normalised_servers(["a"], ["a"], colour=["red"])
    with pytest.raises(ValueError, match=r"^a column of 1 values for 2 records$"):
        normalised_dependencies(["a", "b"], ["c", "d"], ports=[1])


def test_dependencies_made_a_field_at_a_time_are_those_made_one_by_one() -> None:
    assert normalised_dependencies(
        ["a", "b"],
        ["b", "ip:10.0.0.9"],
        ports=[1433, None],
        processes=["sql", ""],
        weights=[3.0, 1.0],
    ) == [
        Dependency(source_id="a", target_id="b", port=1433, process="sql", weight=3),
        Dependency(source_id="b", target_id="ip:10.0.0.9"),
    ]
    assert normalised_dependencies(["a"], ["b"]) == [Dependency(source_id="a", target_id="b")]
