"""The estate writer sorts a server's ``sources`` and ``extra`` keys, as the converter does, and
passes a mapping whose keys are already sorted (as the merge makes them) without a copy."""

from __future__ import annotations

from types import MappingProxyType

import orjson

from mbf import serialization
from mbf._native_estate import servers_to_json
from mbf.domain import Server
from mbf.domain.estate import normalised_server


def test_sources_and_extra_are_written_sorted_whatever_their_order() -> None:
    in_order = {"cores": "rvtools:a.xlsx", "name": "azure-migrate:b.csv"}
    servers = [
        normalised_server(id="a", name="a", sources=in_order, extra={"host": "e1", "vc": "v"}),
        normalised_server(
            id="b", name="b", sources={"name": "x", "cores": "y"}, extra={"vc": "v", "host": "e"}
        ),
        Server(id="c", name="c", sources=MappingProxyType({"os": "z", "cores": "y"})),
    ]
    unstructure = serialization._native_converter.unstructure
    written = servers_to_json(servers, unstructure)
    assert [list(record["sources"].items()) for record in written] == [
        [("cores", "rvtools:a.xlsx"), ("name", "azure-migrate:b.csv")],
        [("cores", "y"), ("name", "x")],
        [("cores", "y"), ("os", "z")],
    ]
    assert [list(record.get("extra", {})) for record in written] == [
        ["host", "vc"],
        ["host", "vc"],
        [],
    ]
    assert written[0]["sources"] is in_order  # already sorted: no copy
    assert orjson.dumps(written) == orjson.dumps([unstructure(server) for server in servers])
