"""Merging estates: one server per host, first value kept, conflicts kept and reported."""

from __future__ import annotations

import random

import pytest

from mbf.domain import Dependency, Estate, EstateSource, Readiness, Server, Workload
from mbf.engine.merge import SourcedEstate, merge_estates
from mbf.plugin import Diagnostics


def part(
    label: str,
    *servers: Server,
    dependencies: tuple[Dependency, ...] = (),
    workloads: tuple[Workload, ...] = (),
) -> SourcedEstate:
    source, path = label.split(":")
    return SourcedEstate(
        label=label,
        estate=Estate(
            servers=servers,
            dependencies=dependencies,
            workloads=workloads,
            sources=(EstateSource(source=source, path=path, records=len(servers)),),
        ),
    )


def test_short_name_and_fqdn_are_one_server_named_by_its_fqdn() -> None:
    estate = merge_estates(
        [
            part("rvtools:a.xlsx", Server(id="srv01", name="SRV01", cores=2)),
            part(
                "azure-migrate:b.csv",
                Server(id="srv01", name="srv01.contoso.local", memory_mb=4096),
            ),
        ],
        Diagnostics(),
    )
    assert estate.servers == (
        Server(
            id="srv01",
            name="srv01.contoso.local",
            cores=2,
            memory_mb=4096,
            sources={
                "name": "azure-migrate:b.csv",
                "cores": "rvtools:a.xlsx",
                "memory_mb": "azure-migrate:b.csv",
            },
        ),
    )


def test_conflicting_values_keep_the_first_and_record_both() -> None:
    diagnostics = Diagnostics()
    estate = merge_estates(
        [
            part("rvtools:a.xlsx", Server(id="srv01", name="srv01", cores=2, os="Windows 2016")),
            part("cmdb-csv:c.csv", Server(id="srv01", name="srv01", cores=4, os="windows 2016")),
        ],
        diagnostics,
    )
    (server,) = estate.servers
    assert (server.cores, server.sources["cores"]) == (2, "rvtools:a.xlsx")
    assert server.extra == {"conflicts": {"cores": {"rvtools:a.xlsx": 2, "cmdb-csv:c.csv": 4}}}
    assert diagnostics.warnings == [
        "cores differs on 1 server(s) between rvtools:a.xlsx and cmdb-csv:c.csv; kept the value from "
        "rvtools:a.xlsx, the other is in the server's extra.conflicts (srv01: 2 vs 4)"
    ]


def test_same_address_in_two_exports_is_one_server() -> None:
    diagnostics = Diagnostics()
    estate = merge_estates(
        [
            part(
                "rvtools:a.xlsx", Server(id="vm-1234", name="VM-1234", ip_addresses=("10.0.0.5",))
            ),
            part(
                "cmdb-csv:c.csv",
                Server(id="payroll-db", name="payroll-db", ip_addresses=("10.0.0.5",)),
            ),
        ],
        diagnostics,
    )
    assert [(s.id, s.name) for s in estate.servers] == [("vm-1234", "VM-1234")]
    assert estate.servers[0].extra["conflicts"] == {
        "name": {"rvtools:a.xlsx": "VM-1234", "cmdb-csv:c.csv": "payroll-db"}
    }


def test_an_address_a_later_export_adds_to_a_server_identifies_it_in_the_next() -> None:
    estate = merge_estates(
        [
            part("rvtools:a.xlsx", Server(id="web01", name="WEB01", ip_addresses=("10.0.0.5",))),
            # The same address again (nothing new to record), then a second one.
            part(
                "azure-migrate:b.csv", Server(id="web01", name="web01", ip_addresses=(" 10.0.0.5",))
            ),
            part(
                "azure-migrate:c.csv",
                Server(id="web01", name="web01", ip_addresses=("10.0.0.5", "10.0.9.5")),
            ),
            part(
                "cmdb-csv:d.csv",
                Server(id="payroll-web", name="payroll-web", ip_addresses=("10.0.9.5",)),
                Server(id="payroll-web2", name="payroll-web2", ip_addresses=("10.0.0.5",)),
            ),
        ],
        Diagnostics(),
    )
    assert [(s.id, s.ip_addresses) for s in estate.servers] == [("web01", ("10.0.0.5", "10.0.9.5"))]
    assert estate.servers[0].extra["conflicts"]["name"] == {
        "rvtools:a.xlsx": "WEB01",
        "cmdb-csv:d.csv": "payroll-web",
    }


def test_same_address_within_one_export_stays_two_servers() -> None:
    clones = part(
        "rvtools:a.xlsx",
        Server(id="app01", name="app01", ip_addresses=("10.0.0.7",)),
        Server(id="app01-clone", name="app01-clone", ip_addresses=("10.0.0.7",)),
    )
    assert [s.id for s in merge_estates([clones], Diagnostics()).servers] == [
        "app01",
        "app01-clone",
    ]


def test_loopback_and_link_local_addresses_never_merge_servers() -> None:
    estate = merge_estates(
        [
            part("a:a.csv", Server(id="x", name="x", ip_addresses=("127.0.0.1", "fe80::1"))),
            part("b:b.csv", Server(id="y", name="y", ip_addresses=("127.0.0.1", "fe80::1"))),
        ],
        Diagnostics(),
    )
    assert [s.id for s in estate.servers] == ["x", "y"]


def test_readiness_blockers_and_workloads_accumulate() -> None:
    estate = merge_estates(
        [
            part(
                "cmdb-csv:c.csv",
                Server(id="s1", name="s1", workload_ids=("payroll",)),
                workloads=(Workload(id="payroll", name="Payroll", owner="Alice"),),
            ),
            part(
                "azure-migrate:a.xlsx",
                Server(
                    id="s1",
                    name="s1",
                    readiness=Readiness.NOT_READY,
                    blockers=("Unsupported boot type",),
                ),
            ),
        ],
        Diagnostics(),
    )
    (server,) = estate.servers
    assert (server.readiness, server.blockers, server.workload_ids) == (
        Readiness.NOT_READY,
        ("Unsupported boot type",),
        ("payroll",),
    )
    assert estate.workloads == (
        Workload(id="payroll", name="Payroll", owner="Alice", server_ids=("s1",)),
    )


def test_environment_words_are_normalised_before_comparing() -> None:
    diagnostics = Diagnostics()
    estate = merge_estates(
        [
            part("a:a.csv", Server(id="s1", name="s1", environment="Production")),
            part("b:b.csv", Server(id="s1", name="s1", environment="PRD")),
        ],
        diagnostics,
    )
    assert (estate.servers[0].environment, diagnostics.warnings) == ("prod", [])


def test_dependencies_resolve_addresses_and_add_up_weights() -> None:
    inventory = part(
        "rvtools:a.xlsx",
        Server(id="db01", name="db01", ip_addresses=("10.0.0.21",)),
        Server(id="web01", name="web01"),
    )
    traffic = part(
        "azure-migrate:deps.csv",
        Server(id="web01", name="WEB01", ip_addresses=("10.0.0.11",)),
        dependencies=(
            Dependency(source_id="web01", target_id="ip:10.0.0.21", port=1433, weight=3),
            Dependency(
                source_id="web01", target_id="db01", port=1433, process="sqlservr.exe", weight=2
            ),
            Dependency(source_id="ip:10.0.0.11", target_id="web01", port=80, weight=1),
            Dependency(source_id="web01", target_id="ip:10.9.9.9", port=443, weight=4),
        ),
    )
    estate = merge_estates([inventory, traffic], Diagnostics())
    assert estate.dependencies == (
        Dependency(
            source_id="web01", target_id="db01", port=1433, process="sqlservr.exe", weight=5
        ),
        Dependency(source_id="web01", target_id="ip:10.9.9.9", port=443, weight=4),
    )
    assert estate.sources == (
        EstateSource(source="rvtools", path="a.xlsx", records=2),
        EstateSource(source="azure-migrate", path="deps.csv", records=1),
    )


def test_canonical_addresses() -> None:
    from mbf.engine.merge import canonical_ip

    assert [
        canonical_ip(t)
        for t in (
            "10.1.0.5",
            " 10.001.0.5 ",
            "127.0.0.1",
            "169.254.1.1",
            "224.0.0.5",
            "0.0.0.0",
            "10.1.0.256",
        )
    ] == ["10.1.0.5", "10.1.0.5", None, None, None, None, None]
    assert [canonical_ip(t) for t in ("2404:F801::1", "fe80::1", "::1", "db01")] == [
        "2404:f801::1",
        None,
        None,
        None,
    ]
    # Not dotted quads: too many parts, an empty part, a digit that is not a decimal one (a
    # superscript two used to crash discovery); decimal digits of other scripts are digits.
    assert [
        canonical_ip(t) for t in ("10.1.0.5.1", "10..0.5", "10.1.0.\u00b2", "\u0967.2.3.4")
    ] == [
        None,
        None,
        None,
        "1.2.3.4",
    ]


def test_addresses_spelled_canonically_are_read_as_their_octets_would_be(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import re

    from mbf.engine import merge

    octets = (0, 1, 9, 10, 22, 23, 99, 100, 126, 127, 128, 169, 223, 224, 229, 230, 239, 240, 255)
    texts = [
        *(
            f"{a}.{b}.1.{d}"
            for a in (*octets, 256)
            for b in (0, 253, 254, 255)
            for d in (0, 7, 256)
        ),
        *("010.1.1.1", "1.02.3.4", " 8.8.8.8 ", "\u0967.2.3.4", "1.2.3.4.5", "1.2.3"),
    ]
    read = merge.canonical_ip.__wrapped__
    fast = [read(text) for text in texts]
    monkeypatch.setattr(merge, "_CANONICAL_IPV4", re.compile("(?!)"))  # never matches
    assert fast == [read(text) for text in texts]
    assert [
        read(t) for t in ("23.1.2.3", "230.1.2.3", "169.254.0.1", "169.253.0.1", "0.1.2.3")
    ] == [
        "23.1.2.3",
        None,
        None,
        "169.253.0.1",
        None,
    ]
    # 80 with a 256th last octet, 8 a 256th first one, 16 in 0 and 127, 32 multicast, 2 link-local
    # and two that are not four octets
    assert fast.count(None) == 140


def _ipaddress_reading(text: str) -> str | None:
    """What canonical_ip answers, read with ipaddress alone (the reference)."""
    import ipaddress

    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if address.is_loopback or address.is_link_local or address.is_unspecified:
        return None
    return None if address.is_multicast else str(address)


def _ipv6_spellings(rng: random.Random) -> list[str]:
    """IPv6 texts of many shapes: zero runs anywhere, upper case, leading zeros, the full form,
    IPv4 tails, scopes, shared ranges, and strings of hex digits and colons that are not
    addresses at all."""
    texts = []
    for _ in range(4000):
        groups = [rng.choice((0, 0, 0, 1, 0xFFFF, rng.randrange(1 << 16))) for _ in range(8)]
        if rng.random() < 0.15:
            groups[0] = rng.choice((0xFE80, 0xFEBF, 0xFEC0, 0xFF02, 0xFD00, 0))
        digits = [
            rng.choice(("%x", "%X", "%04x", "%02x")) % group if group or rng.random() < 0.5 else "0"
            for group in groups
        ]
        text = ":".join(digits)
        runs = [i for i in range(8) if groups[i] == 0]
        if runs and rng.random() < 0.7:  # drop a run of zero groups for "::"
            start = rng.choice(runs)
            end = start
            while end + 1 < 8 and groups[end + 1] == 0 and rng.random() < 0.8:
                end += 1
            text = ":".join(digits[:start]) + "::" + ":".join(digits[end + 1 :])
        if rng.random() < 0.05:
            text = (
                text.rsplit(":", 2)[0] + ":" + ".".join(str(rng.randrange(256)) for _ in range(4))
            )
        if rng.random() < 0.03:
            text += "%eth0"
        texts.append(text)
    alphabet = "0123456789abcdefABCDEF::::"
    texts += [
        "".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 20))) for _ in range(3000)
    ]
    return texts


def test_ipv6_addresses_are_read_as_ipaddress_reads_them() -> None:
    from mbf.engine import merge

    texts = _ipv6_spellings(random.Random(20261126))
    read = merge.canonical_ip.__wrapped__
    assert [read(text) for text in texts] == [_ipaddress_reading(text) for text in texts]
    # Most of them take the system's parser; those with an IPv4 tail or a scope, the ::/96 and
    # ::ffff:0:0/96 ranges and what is not IPv6 at all are left to ipaddress.
    fast = [merge._canonical_ipv6(text) for text in texts]
    assert sum(1 for answer in fast if answer is not merge._UNSURE) == 3733
    assert fast.count(None) == 826  # link-local and multicast
    # 117 of the 3,000 random strings of hex digits and colons are addresses
    assert sum(1 for text in texts[4000:] if _ipaddress_reading(text) is not None) == 117
    assert [
        read(t)
        for t in (
            "2001:0DB8:0000:0000:0000:0000:0000:0001",
            "1:0:0:2:0:0:0:3",
            "1:0:0:2:0:0:3:4",
            "0:0:1::",
            "1::",
            "1:0:1:1:1:1:1:1",
            "FEBF::1",
            "fec0::1",
            "ff02::1:2",
            "2001:db8::1%eth0",
            "2001:db8:::1",
            "2001:db8::1\x00",
        )
    ] == [
        "2001:db8::1",
        "1:0:0:2::3",
        "1::2:0:0:3:4",
        "0:0:1::",
        "1::",
        "1:0:1:1:1:1:1:1",
        None,
        "fec0::1",
        None,
        "2001:db8::1%eth0",
        None,
        None,
    ]
    # An IPv4 tail is spelled by ipaddress itself, as each Python version does (3.13 keeps the
    # dotted form that 3.11 writes as two groups)
    import ipaddress

    assert read("::ffff:10.0.0.1") == str(ipaddress.ip_address("::ffff:10.0.0.1"))
