"""The OpenAPI file of the push API: valid, in step with parse_event, and served as is."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from aiohttp import ClientSession

from bot.adapters.dossier_api import OPENAPI_FILE, add_dossier_api
from bot.adapters.http_server import HttpServer
from bot.services.dossiers.events import DossierEventIn, parse_event
from bot.services.dossiers.views import ApplyResult

EVENT_FIELDS = {f.name for f in dataclasses.fields(DossierEventIn)}
"""The one list of event fields: parse_event reads exactly these keys into DossierEventIn."""


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    """The OpenAPI document parsed."""
    parsed = json.loads(OPENAPI_FILE.read_text(encoding="utf-8"))
    assert isinstance(parsed, dict)
    return parsed


def _resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        assert node["$ref"].startswith("#/")
        target: Any = document
        for part in node["$ref"][2:].split("/"):
            target = target[part]
        node = target
    return node


def test_it_is_openapi_3_1_with_a_bearer_scheme(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1.")
    assert document["components"]["securitySchemes"]["bearer"] == {
        **document["components"]["securitySchemes"]["bearer"],
        "type": "http",
        "scheme": "bearer",
    }
    operation = document["paths"]["/api/v1/dossier-events"]["post"]
    assert operation["security"] == [{"bearer": []}]
    assert set(operation["responses"]) == {"200", "400", "401", "409", "413", "422", "503"}


def test_every_reference_resolves(document: dict[str, Any]) -> None:
    def walk(node: Any) -> int:
        if isinstance(node, dict):
            if "$ref" in node:
                _resolve(document, node)
                return 1 + sum(walk(v) for k, v in node.items() if k != "$ref")
            return sum(walk(v) for v in node.values())
        if isinstance(node, list):
            return sum(walk(v) for v in node)
        return 0

    assert walk(document) >= 5


def test_the_event_schema_lists_exactly_the_fields_parse_event_reads(document: dict[str, Any]) -> None:
    schema = document["components"]["schemas"]["DossierEvent"]
    assert set(schema["properties"]) == EVENT_FIELDS
    assert set(schema["required"]) == {"event_id", "code", "status", "occurred_at"}
    assert all(p.get("description") or p.get("enum") for p in schema["properties"].values())
    assert schema["properties"]["status"]["enum"] == [
        "received",
        "in_progress",
        "supplement_requested",
        "ready",
        "returned",
        "rejected",
        "withdrawn",
    ]


def test_the_examples_are_valid_events_and_cover_every_field(document: dict[str, Any]) -> None:
    content = document["paths"]["/api/v1/dossier-events"]["post"]["requestBody"]["content"]
    examples = content["application/json"]["examples"]
    one = examples["one"]["value"]
    batch = examples["batch"]["value"]["events"]
    parsed = [parse_event(raw) for raw in [one, *batch]]
    assert {e.code for e in parsed} == {"000.00.24.H57-250722-0001"}
    assert {name for raw in [one, *batch] for name in raw} == EVENT_FIELDS
    # Every key of an example reaches the parsed event: a renamed key would be silently ignored.
    for raw, parsed_event in zip([one, *batch], parsed, strict=True):
        bare = DossierEventIn(
            parsed_event.event_id, parsed_event.code, parsed_event.status, parsed_event.occurred_at
        )
        for name in set(raw) - {"event_id", "code", "status", "occurred_at"}:
            assert getattr(parsed_event, name) != getattr(bare, name), name


def test_the_errors_example_has_the_answer_shape(document: dict[str, Any]) -> None:
    responses = document["paths"]["/api/v1/dossier-events"]["post"]["responses"]
    example = responses["422"]["content"]["application/json"]["example"]
    assert set(example["errors"][0]) == {"index", "field", "reason"}
    ok = responses["200"]["content"]["application/json"]
    assert (
        set(ok["example"])
        == set(_resolve(document, ok["schema"])["required"])
        # created and notices are whole-batch figures, outcomes are per event: the answer gives neither.
        == {f.name for f in dataclasses.fields(ApplyResult)} - {"created", "notices", "outcomes"}
    )


async def test_the_served_copy_equals_the_file() -> None:
    async def apply(events: list[DossierEventIn]) -> ApplyResult:
        return ApplyResult()

    expected = OPENAPI_FILE.read_bytes()
    server = HttpServer("127.0.0.1", 0)
    assert add_dossier_api(server, path="/api/v1/dossier-events/", token="t", apply=apply)
    await server.start()
    try:
        async with ClientSession() as client:
            url = f"http://127.0.0.1:{server.port}/api/v1/dossier-events/openapi.json"
            async with client.get(url) as response:
                assert response.status == 200
                assert response.content_type == "application/json"
                assert await response.read() == expected
    finally:
        await server.stop()
