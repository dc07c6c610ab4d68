"""Merging takes an export's servers a field at a time: the bulk paths (a field nobody had, a
value equal to the kept one, a longer spelling of the same host name) decide as the server by
server comparison does, and an export naming one server twice is compared in row order."""

from __future__ import annotations

import pytest

from mbf.domain import Estate, EstateSource, Server
from mbf.engine.merge import (
    ServerMerge,
    SourcedEstate,
    _put,
    identify_servers,
    merge_estates,
    merge_servers,
)
from mbf.plugin import Diagnostics


def part(label: str, *servers: Server) -> SourcedEstate:
    source, path = label.split(":")
    return SourcedEstate(
        label=label,
        estate=Estate(servers=servers, sources=(EstateSource(source=source, path=path),)),
    )


def test_each_field_keeps_the_first_value_and_the_longest_name_of_a_host() -> None:
    diagnostics = Diagnostics()
    estate = merge_estates(
        [
            part(
                "rvtools:a.xlsx",
                Server(id="web01", name="WEB01", cores=2, extra={"host": "esx1"}),
                Server(id="db01", name="db01.contoso.local", cores=4),
                Server(id="app01", name="app01", cores=8, os="Linux"),
            ),
            part(
                "azure-migrate:b.csv",
                Server(id="web01", name="web01.contoso.local", cores=2, memory_mb=1024),
                Server(id="db01", name="DB01", cores=6, memory_mb=2048),
                Server(id="app01", name="app-one", cores=8, os="linux", extra={"host": "esx2"}),
            ),
        ],
        diagnostics,
    )
    by_id = {s.id: s for s in estate.servers}
    assert by_id["web01"] == Server(
        id="web01",
        name="web01.contoso.local",
        cores=2,
        memory_mb=1024,
        sources={
            "name": "azure-migrate:b.csv",
            "cores": "rvtools:a.xlsx",
            "memory_mb": "azure-migrate:b.csv",
        },
        extra={"host": "esx1"},
    )
    assert by_id["db01"] == Server(
        id="db01",
        name="db01.contoso.local",
        cores=4,
        memory_mb=2048,
        sources={
            "name": "rvtools:a.xlsx",
            "cores": "rvtools:a.xlsx",
            "memory_mb": "azure-migrate:b.csv",
        },
        extra={"conflicts": {"cores": {"rvtools:a.xlsx": 4, "azure-migrate:b.csv": 6}}},
    )
    assert by_id["app01"] == Server(
        id="app01",
        name="app01",
        os="Linux",
        cores=8,
        sources={"name": "rvtools:a.xlsx", "os": "rvtools:a.xlsx", "cores": "rvtools:a.xlsx"},
        extra={
            "host": "esx2",
            "conflicts": {"name": {"rvtools:a.xlsx": "app01", "azure-migrate:b.csv": "app-one"}},
        },
    )
    assert [s.id for s in estate.servers] == ["app01", "db01", "web01"]
    assert diagnostics.warnings == [
        "cores differs on 1 server(s) between rvtools:a.xlsx and azure-migrate:b.csv; kept the "
        "value from rvtools:a.xlsx, the other is in the server's extra.conflicts (db01: 4 vs 6)",
        "name differs on 1 server(s) between rvtools:a.xlsx and azure-migrate:b.csv; kept the "
        "value from rvtools:a.xlsx, the other is in the server's extra.conflicts "
        "(app01: 'app01' vs 'app-one')",
    ]


def test_a_server_named_twice_in_one_export_is_compared_in_row_order() -> None:
    estate = merge_estates(
        [
            part("rvtools:a.xlsx", Server(id="web01", name="web01", cores=2)),
            part(
                "azure-migrate:b.csv",
                Server(id="web01", name="WEB01.corp", cores=2, memory_mb=1024),
                Server(id="web01", name="web01.corp.contoso.local", memory_mb=4096, cores=2),
            ),
        ],
        Diagnostics(),
    )
    (server,) = estate.servers
    assert (server.name, server.memory_mb, server.sources["name"]) == (
        "web01.corp.contoso.local",
        1024,
        "azure-migrate:b.csv",
    )
    assert server.extra == {
        "conflicts": {"memory_mb": {"azure-migrate:b.csv": 1024}},
    }


def test_extra_values_every_server_has_are_taken_as_columns_in_name_order() -> None:
    estate = merge_estates(
        [
            part(
                "rvtools:a.xlsx",
                Server(id="web01", name="web01", cores=2, extra={"vcenter": "vc1", "host": "e1"}),
                Server(id="db01", name="db01", cores=4, extra={"host": "e2", "vcenter": "vc1"}),
            ),
            part(
                "azure-migrate:b.csv",
                Server(id="db01", name="db01", cores=8, extra={"cluster": "c1"}),
                Server(id="web01", name="web01", extra={"cluster": "c2"}),
            ),
        ],
        Diagnostics(),
    )
    assert [(s.id, list(s.extra.items())) for s in estate.servers] == [
        (
            "db01",
            [
                ("cluster", "c1"),
                ("host", "e2"),
                ("vcenter", "vc1"),
                ("conflicts", {"cores": {"rvtools:a.xlsx": 4, "azure-migrate:b.csv": 8}}),
            ],
        ),
        ("web01", [("cluster", "c2"), ("host", "e1"), ("vcenter", "vc1")]),
    ]
    # The sources of each server are its own mapping, though the servers share a combination.
    first, second = estate.servers
    assert list(first.sources.items()) == [("cores", "rvtools:a.xlsx"), ("name", "rvtools:a.xlsx")]
    assert first.sources == second.sources
    assert first.sources is not second.sources
    assert first.extra is not second.extra


def test_extra_values_only_some_servers_have_are_in_name_order_too() -> None:
    estate = merge_estates(
        [
            part(
                "rvtools:a.xlsx",
                Server(id="web01", name="web01", extra={"vcenter": "vc1"}),
                Server(id="db01", name="db01", extra={"host": "e2", "vcenter": "vc2"}),
            ),
            part("azure-migrate:b.csv", Server(id="app01", name="app01", extra={"host": "e3"})),
        ],
        Diagnostics(),
    )
    assert [(s.id, list(s.extra.items())) for s in estate.servers] == [
        ("app01", [("host", "e3")]),
        ("db01", [("host", "e2"), ("vcenter", "vc2")]),
        ("web01", [("vcenter", "vc1")]),
    ]


@pytest.mark.parametrize("order", [(0, 1), (1, 0)], ids=["in first-seen order", "reversed"])
def test_a_field_none_of_an_exports_servers_has_yet_is_taken_whole(order: tuple[int, int]) -> None:
    later = [
        Server(id="db01", name="db01", os="RHEL", memory_mb=2048),
        Server(id="app01", name="app01", os="Windows", memory_mb=1024),
    ]
    estate = merge_estates(
        [
            part(
                "rvtools:a.xlsx",
                Server(id="web01", name="web01", os="Linux"),
                Server(id="db01", name="db01"),
                Server(id="app01", name="app01"),
            ),
            part("azure-migrate:b.csv", *(later[i] for i in order)),
        ],
        Diagnostics(),
    )
    assert [(s.id, s.os, s.memory_mb, dict(s.sources)) for s in estate.servers] == [
        (
            "app01",
            "Windows",
            1024,
            {
                "name": "rvtools:a.xlsx",
                "os": "azure-migrate:b.csv",
                "memory_mb": "azure-migrate:b.csv",
            },
        ),
        (
            "db01",
            "RHEL",
            2048,
            {
                "name": "rvtools:a.xlsx",
                "os": "azure-migrate:b.csv",
                "memory_mb": "azure-migrate:b.csv",
            },
        ),
        ("web01", "Linux", None, {"name": "rvtools:a.xlsx", "os": "rvtools:a.xlsx"}),
    ]


def test_positions_are_put_as_one_slice_or_one_by_one_alike() -> None:
    for at in ([2, 3, 4], [4, 2, 3], [3]):
        values: list[object] = [None] * 6
        _put(values, at, ["a", "b", "c"][: len(at)])
        expected: list[object] = [None] * 6
        for position, value in zip(at, ["a", "b", "c"], strict=False):
            expected[position] = value
        assert values == expected


@pytest.mark.parametrize("first", [1, 2, 3])
def test_the_servers_of_later_exports_are_identified_as_the_merge_identifies_them(
    first: int,
) -> None:
    parts = [
        part(
            "rvtools:a.xlsx",
            Server(id="srv01", name="srv01", ip_addresses=("10.0.0.1",)),
            Server(id="srv02", name="srv02", ip_addresses=("10.0.0.2", "127.0.0.1")),
        ),
        part(
            "azure-migrate:b.csv",
            # the same address as srv01, in another export: srv01
            Server(id="web-a", name="web-a", ip_addresses=("10.0.0.1",)),
            # srv02's address spelled otherwise, and a new one: srv02, with both addresses
            Server(id="srv03", name="srv03", ip_addresses=("10.0.0.02", "10.0.0.3")),
        ),
        part(
            "cmdb-csv:c.csv",
            # the same id as an earlier export's, with an address of its own
            Server(id="srv01", name="srv01", ip_addresses=("10.0.0.9",)),
            # an address srv01 has too, in this export: shared, it identifies neither
            Server(id="srv04", name="srv04", ip_addresses=("10.0.0.9", "fe80::1")),
        ),
        part(
            "azure-migrate:d.csv",
            Server(id="srv05", name="srv05", ip_addresses=("10.0.0.3",)),  # srv02's, through srv03
            Server(id="srv06", name="srv06"),
        ),
    ]
    snapshot: list[tuple[dict[str, str], dict[str, tuple[str, int] | None]]] = []

    def before_each(index: int, so_far: ServerMerge) -> None:
        if index == first:
            by_id, by_ip = so_far.identities
            snapshot.append((dict(by_id), dict(by_ip)))

    merged = merge_servers(parts, Diagnostics(), before_each=before_each)
    (identities,) = snapshot
    later = [(index, p.estate.servers) for index, p in enumerate(parts) if index >= first]
    found = identify_servers(later, identities)
    assert (
        found == merged.ip_owner == {"10.0.0.1": "srv01", "10.0.0.2": "srv02", "10.0.0.3": "srv02"}
    )
    assert identities[0] == merged.by_id
    assert merged.by_id == {
        "srv01": "srv01",
        "srv02": "srv02",
        "web-a": "srv01",
        "srv03": "srv02",
        "srv04": "srv04",
        "srv05": "srv02",
        "srv06": "srv06",
    }
