"""The fake answers in the shapes of the official REST spec (``workItemTracking.json`` and its
``httpExamples``), read in place from ../shared/corpus/ado-rest-spec."""

from __future__ import annotations

import base64
import json
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest

from .fake_ado import FakeAzureDevOps

SPEC = Path(__file__).resolve().parents[3] / ".." / "shared" / "corpus" / "ado-rest-spec"
_TYPES = {"integer": int, "string": str, "boolean": bool, "object": dict, "array": list}
# Typed "object" by the spec, described as "either a primitive or a JToken".
_ANY_JSON = {("JsonPatchOperation", "value")}


@cache
def spec() -> dict[str, Any]:
    return json.loads((SPEC / "workItemTracking.json").read_text(encoding="utf-8-sig"))


def example(relative: str) -> dict[str, Any]:
    document = json.loads((SPEC / "httpExamples" / relative).read_text(encoding="utf-8-sig"))
    return document["responses"]


def properties(definition: str) -> dict[str, Any]:
    """Properties of a spec definition, those of its ``allOf`` bases included."""
    node = spec()["definitions"][definition]
    merged: dict[str, Any] = {}
    for base in node.get("allOf", ()):
        merged |= properties(base["$ref"].rsplit("/", 1)[1])
    return merged | node.get("properties", {})


def violations(document: Any, definition: str, where: str = "") -> list[str]:
    """What in ``document`` the spec's ``definition`` does not allow (unknown keys, wrong types)."""
    allowed = properties(definition)
    found: list[str] = []
    for key, value in document.items():
        schema = allowed.get(key)
        if schema is None:
            found.append(f"{where}{key}: not in {definition}")
            continue
        if "enum" in schema and value not in schema["enum"]:
            found.append(f"{where}{key}: {value!r} is not one of {schema['enum']}")
        if (definition, key) in _ANY_JSON:
            continue
        if schema.get("$ref", "").endswith("/ReferenceLinks"):
            # Modelled as {"links": {...}} in the spec; the wire (and every example) is the map itself.
            if not all(set(link) == {"href"} for link in value.values()):
                found.append(f"{where}{key}: links are not {{name: {{href}}}}")
            continue
        if "$ref" in schema:
            target = schema["$ref"].rsplit("/", 1)[1]
            if isinstance(value, dict) and "properties" in spec()["definitions"][target]:
                found += violations(value, target, f"{where}{key}.")
            continue
        expected = _TYPES.get(schema.get("type", ""))
        if expected is not None and not isinstance(value, expected):
            found.append(f"{where}{key}: {type(value).__name__} is not {schema['type']}")
        items = schema.get("items", {})
        if expected is list and "$ref" in items:
            target = items["$ref"].rsplit("/", 1)[1]
            for n, element in enumerate(value):
                found += violations(element, target, f"{where}{key}[{n}].")
    return found


@pytest.fixture
def http(fake: FakeAzureDevOps) -> httpx.Client:
    auth = "Basic " + base64.b64encode(f":{fake.pat}".encode()).decode()
    with httpx.Client(
        base_url=f"{fake.organization_url}/Contoso/", headers={"Authorization": auth}
    ) as client:
        yield client


def create(http: httpx.Client, title: str, *ops: dict[str, Any]) -> dict[str, Any]:
    response = http.post(
        "_apis/wit/workitems/$Task?api-version=7.1",
        content=json.dumps([{"op": "add", "path": "/fields/System.Title", "value": title}, *ops]),
        headers={"Content-Type": "application/json-patch+json"},
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_spec_corpus_is_there() -> None:
    assert (spec()["info"]["title"], spec()["info"]["version"]) == ("WorkItemTracking", "7.1")


def test_a_created_work_item_has_the_spec_shape(http, fake) -> None:
    parent = create(http, "Parent")
    child = create(
        http,
        "Child",
        {
            "op": "add",
            "path": "/relations/-",
            "value": {
                "rel": "System.LinkTypes.Hierarchy-Reverse",
                "url": fake.item_url(parent["id"]),
            },
        },
    )
    assert violations(child, "WorkItem") == []
    assert violations(child["relations"][0], "WorkItemRelation") == []
    documented = example("workItems/POST__wit_workitems_create.json")["200"]["body"]
    assert set(documented) <= set(child)
    assert set(documented["fields"]["System.CreatedBy"]) >= set(child["fields"]["System.CreatedBy"])
    assert child["fields"]["System.State"] == documented["fields"]["System.State"] == "New"


def test_workitemsbatch_answers_like_the_documented_example(http) -> None:
    created = create(http, "One")
    response = http.post(
        "_apis/wit/workitemsbatch?api-version=7.1",
        json={
            "ids": [created["id"]],
            "fields": ["System.Id", "System.Title", "System.WorkItemType"],
        },
    )
    documented = example("workItemsBatch/POST__wit_WorkItemsBatch_ids-_ids__fields-_columns_.json")[
        "200"
    ]["body"]
    body = response.json()
    assert set(body) == set(documented)
    assert set(body["value"][0]) == set(documented["value"][0])
    assert set(body["value"][0]["fields"]) == set(documented["value"][0]["fields"])
    assert violations(body["value"][0], "WorkItem") == []


def test_wiql_answers_ids_only_in_the_spec_shape(http, fake) -> None:
    create(http, "One")
    response = http.post(
        "Contoso%20Team/_apis/wit/wiql?api-version=7.1",
        json={"query": "SELECT [System.Id] FROM WorkItems WHERE [System.TeamProject] = @project"},
    )
    body = response.json()
    assert violations(body, "WorkItemQueryResult") == []
    documented = example("wiql/GET__wit_get_id_workitems.json")["200"]["body"]
    assert set(body["workItems"][0]) == set(documented["workItems"][0]) == {"id", "url"}
    assert body["queryType"] == documented["queryType"] == "flat"


def test_a_created_iteration_node_has_the_spec_shape(http) -> None:
    response = http.post(
        "_apis/wit/classificationnodes/Iterations?api-version=7.1",
        json={
            "name": "Sprint 1",
            "attributes": {
                "startDate": "2027-01-04T00:00:00Z",
                "finishDate": "2027-01-15T00:00:00Z",
            },
        },
    )
    assert response.status_code == 201
    node = response.json()
    assert violations(node, "WorkItemClassificationNode") == []
    documented = example("classificationNodes/POST__wit_classificationNodes_iterations.json")[
        "201"
    ]["body"]
    assert set(node) == set(documented)
    tree = http.get("_apis/wit/classificationnodes/Iterations?api-version=7.1&$depth=2").json()
    assert violations(tree, "WorkItemClassificationNode") == []
    assert [child["name"] for child in tree["children"]] == ["Sprint 1"]


def test_the_service_sends_json_patch_operations_the_spec_defines(
    connect, fake, ledger, sample_backlog
) -> None:
    connect().push(sample_backlog, ledger)
    allowed_ops = set(spec()["definitions"]["JsonPatchOperation"]["properties"]["op"]["enum"])
    sent = [
        op
        for r in fake.requests
        if r.path.endswith("$batch")
        for sub in r.body
        for op in sub["body"]
    ]
    assert {op["op"] for op in sent} <= allowed_ops
    assert all(violations(op, "JsonPatchOperation") == [] for op in sent)
