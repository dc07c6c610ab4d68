"""The fast path for an estate's servers and dependencies writes exactly what cattrs writes, and
hands irregular servers to cattrs."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

import attrs
import orjson
import pytest

from mbf import serialization
from mbf._native_estate import dependencies_to_json, servers_to_json
from mbf.domain import Datacenter, Dependency, Estate, EstateSource, Readiness, Server, Workload

_CONVERTER = serialization._native_converter

FULL = Server(
    id="srv01",
    name="srv01.contoso.local",
    datacenter_id="ams1",
    os="Windows Server 2019",
    os_version="10.0",
    cores=0,
    memory_mb=8192,
    storage_gb=0,
    environment="prod",
    ip_addresses=("10.0.0.1", "fe80::1"),
    readiness=Readiness.NOT_READY,
    blockers=("Unsupported OS",),
    workload_ids=("payroll",),
    sources={"os": "rvtools:a.xlsx", "cores": "azure-migrate:b.csv"},
    extra={"vcenter": "vc01", "cluster": "", "storage_used_gb": 1.5, "tools": None, "on": True},
)
BARE = Server(id="srv02", name="srv02")
CONFLICTED = attrs.evolve(
    FULL,
    extra={"z": 1, "conflicts": {"os": {"b": "Linux", "a": "Windows"}, "cores": {"a": 2, "b": 4}}},
)
NATIVE_EXTRA = attrs.evolve(
    BARE,
    extra={
        "disks": ("C:", "D:"),
        "sizes": [100, 250.5],
        "state": Readiness.READY,
        "bios": uuid.UUID(int=5),
        "nested": {"b": [{"x": None}], "a": True},
    },
)
"""Values orjson writes natively, as it writes what the converter makes of them."""
UNPLAIN_EXTRAS = [
    attrs.evolve(BARE, extra={"z": 1, "seen": {"on": dt.date(2026, 7, 1)}}),
    attrs.evolve(BARE, extra={"tags": {"web", "prod"}}),
    attrs.evolve(BARE, extra={"raw": b"x"}),
    attrs.evolve(BARE, extra={"owner": Workload(id="payroll", name="Payroll")}),
    attrs.evolve(BARE, extra={"ports": {443: "https"}}),
]
"""Values the converter writes otherwise (a date, a set, bytes, an attrs instance) or refuses
(a key that is not text): the converter decides."""
ODD_READINESS = attrs.evolve(BARE, readiness="ready")  # type: ignore[arg-type]  # cattrs decides
DEPENDENCIES = (
    Dependency(source_id="srv01", target_id="srv02"),
    Dependency(source_id="srv01", target_id="ip:10.0.0.9", port=0, protocol="tcp", weight=0),
    Dependency(source_id="srv02", target_id="srv01", port=1433, process="sqlservr.exe", weight=7),
)


def _json(value: Any) -> bytes:
    """What orjson writes of ``value``: the fast path's tuples are the converter's lists."""
    return orjson.dumps(value)


def test_servers_are_what_cattrs_makes() -> None:
    servers = [FULL, BARE, CONFLICTED, NATIVE_EXTRA]
    fast = servers_to_json(servers, _CONVERTER.unstructure)
    assert _json(fast) == _json([_CONVERTER.unstructure(s) for s in servers])
    assert fast[0] == {
        "id": "srv01",
        "name": "srv01.contoso.local",
        "datacenter_id": "ams1",
        "os": "Windows Server 2019",
        "os_version": "10.0",
        "cores": 0,
        "memory_mb": 8192,
        "storage_gb": 0.0,
        "environment": "prod",
        "ip_addresses": ("10.0.0.1", "fe80::1"),
        "readiness": "not_ready",
        "blockers": ("Unsupported OS",),
        "workload_ids": ("payroll",),
        "sources": {"cores": "azure-migrate:b.csv", "os": "rvtools:a.xlsx"},
        "extra": {
            "cluster": "",
            "on": True,
            "storage_used_gb": 1.5,
            "tools": None,
            "vcenter": "vc01",
        },
    }
    assert list(fast[0]["sources"]) == ["cores", "os"]  # sorted, as the converter sorts
    assert fast[1] == {"id": "srv02", "name": "srv02"}
    # A merge's conflicts: extra's own keys sorted, the mapping inside as it is.
    assert _json(fast[2]["extra"]) == (
        b'{"conflicts":{"os":{"b":"Linux","a":"Windows"},"cores":{"a":2,"b":4}},"z":1}'
    )
    assert fast[3]["extra"] is not NATIVE_EXTRA.extra  # sorted: a copy, values as they are
    assert fast[3]["extra"]["bios"] is NATIVE_EXTRA.extra["bios"]
    assert _json(fast[3]["extra"]) == (
        b'{"bios":"00000000-0000-0000-0000-000000000005","disks":["C:","D:"],'
        b'"nested":{"b":[{"x":null}],"a":true},"sizes":[100,250.5],"state":"ready"}'
    )


def test_servers_sharing_keys_in_another_order_are_sorted_each() -> None:
    # Whether a server's keys are in order is remembered per tuple of keys within one call:
    # the same keys in another order are another tuple, and sorted.
    in_order = attrs.evolve(BARE, sources={"cores": "a", "os": "b"}, extra={"x": 1, "y": 2})
    reversed_ = attrs.evolve(BARE, sources={"os": "b", "cores": "a"}, extra={"y": 2, "x": 1})
    servers = [in_order, reversed_, in_order, reversed_]
    fast = servers_to_json(servers, _CONVERTER.unstructure)
    assert [list(record["sources"]) for record in fast] == [["cores", "os"]] * 4
    assert [list(record["extra"]) for record in fast] == [["x", "y"]] * 4
    assert fast[0]["sources"] is in_order.sources  # already in order: not copied
    assert fast[1]["sources"] is not reversed_.sources
    assert _json(fast) == _json([_CONVERTER.unstructure(s) for s in servers])


def test_irregular_servers_go_to_the_converter() -> None:
    calls: list[Any] = []

    def unstructure(value: Any) -> Any:
        calls.append(value)
        return {"by": "converter"}

    servers = [BARE, CONFLICTED, NATIVE_EXTRA, *UNPLAIN_EXTRAS, ODD_READINESS]
    fast = servers_to_json(servers, unstructure)
    assert fast[0] == {"id": "srv02", "name": "srv02"}
    assert fast[3:] == [{"by": "converter"}] * 6
    assert calls == [*UNPLAIN_EXTRAS, ODD_READINESS]


def test_dependencies_are_what_cattrs_makes() -> None:
    fast = dependencies_to_json(DEPENDENCIES)
    assert _json(fast) == _json([_CONVERTER.unstructure(d) for d in DEPENDENCIES])
    assert fast == [
        {"source_id": "srv01", "target_id": "srv02"},
        {
            "source_id": "srv01",
            "target_id": "ip:10.0.0.9",
            "port": 0,
            "protocol": "tcp",
            "weight": 0.0,
        },
        {
            "source_id": "srv02",
            "target_id": "srv01",
            "port": 1433,
            "process": "sqlservr.exe",
            "weight": 7.0,
        },
    ]


def _cattrs_bytes(estate: Estate) -> bytes:
    document = {"format": "mbf-estate", "version": 1, **_CONVERTER.unstructure(estate)}
    return orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)


def test_estate_files_are_the_bytes_cattrs_writes() -> None:
    full = Estate(
        datacenters=(Datacenter(id="ams1", name="Amsterdam 1"),),
        servers=(FULL, BARE, CONFLICTED, NATIVE_EXTRA),
        workloads=(Workload(id="payroll", name="Payroll", server_ids=("srv01",)),),
        dependencies=DEPENDENCIES,
        sources=(EstateSource(source="rvtools", path="a.xlsx", records=2),),
    )
    estates = [
        full,
        Estate(),
        Estate(dependencies=DEPENDENCIES),
        Estate(servers=(BARE,), sources=full.sources),
    ]
    for estate in estates:
        assert serialization.estate_to_json(estate) == _cattrs_bytes(estate)
    assert (
        serialization.estate_to_json(Estate())
        == b'{\n  "format": "mbf-estate",\n  "version": 1\n}\n'
    )
    keys = list(orjson.loads(serialization.estate_to_json(full)))
    assert keys == [
        "format",
        "version",
        "datacenters",
        "servers",
        "workloads",
        "dependencies",
        "sources",
    ]


def test_an_estate_written_in_parts_is_the_bytes_cattrs_writes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(serialization, "_RECORDS_PER_PART", 2)
    tricky = Workload(
        id="payroll",
        name='"servers": []',
        extra={"dependencies": [], "servers": [], "note": '\n  "dependencies": []'},
    )
    estates = [
        Estate(
            datacenters=(Datacenter(id="ams1", name='\n  "servers": []'),),
            servers=(FULL, BARE, CONFLICTED, attrs.evolve(BARE, id="srv03")),
            workloads=(tricky,),
            dependencies=DEPENDENCIES,
            sources=(EstateSource(source="rvtools", path="a.xlsx", records=2),),
        ),
        Estate(servers=(BARE,)),
        Estate(dependencies=DEPENDENCIES[:2], workloads=(tricky,)),
    ]
    for estate in estates:
        parts = list(serialization.estate_json_parts(estate))
        assert b"".join(parts) == _cattrs_bytes(estate)
        serialization.write_estate(estate, tmp_path / "estate.json")
        assert (tmp_path / "estate.json").read_bytes() == _cattrs_bytes(estate)
    assert len(list(serialization.estate_json_parts(estates[0]))) == 1 + 2 + 1 + 2 + 1


def test_dependencies_written_elsewhere_take_their_place_in_the_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(serialization, "_RECORDS_PER_PART", 2)
    estate = Estate(
        servers=(FULL, BARE),
        dependencies=DEPENDENCIES,
        sources=(EstateSource(source="rvtools", path="a.xlsx", records=2),),
    )
    members = serialization.dependencies_json_members(DEPENDENCIES)
    without = attrs.evolve(estate, dependencies=())
    serialization.write_estate(without, tmp_path / "estate.json", dependencies_json=lambda: members)
    assert (tmp_path / "estate.json").read_bytes() == _cattrs_bytes(estate)
    with pytest.raises(ValueError, match="given twice"):
        list(serialization.estate_json_parts(estate, dependencies_json=lambda: members))


def test_server_records_made_beforehand_take_the_servers_place(tmp_path: Path) -> None:
    estate = Estate(servers=(FULL, BARE, CONFLICTED), dependencies=DEPENDENCIES)
    records = serialization.server_records(estate.servers)
    serialization.write_estate(estate, tmp_path / "estate.json", server_records=records)
    assert (tmp_path / "estate.json").read_bytes() == _cattrs_bytes(estate)
    with pytest.raises(ValueError, match="one record per server"):
        list(serialization.estate_json_parts(estate, server_records=records[:2]))
