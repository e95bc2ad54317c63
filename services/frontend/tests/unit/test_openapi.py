"""The OpenAPI document: committed copy up to date, Swagger UI served, and every operation
documented for a person exploring the API (summary, description, tag, an example, its
errors) with examples that are true to the models."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import BaseModel, TypeAdapter

from odin_common.api.worker import ActivityTask, PollRequest, WorkflowTask
from odin_common.tokens import TaskToken
from odin_frontend import examples, message_examples
from odin_frontend.app import CAPABILITIES, create_app
from odin_frontend.domain.waits import MAX_WAIT
from odin_frontend.openapi import REQUEST_MODELS, RESPONSE_MODELS, Problem

COMMITTED = Path(__file__).resolve().parents[4] / "openapi" / "frontend.json"
METHODS = {"get", "post", "put", "patch", "delete"}
MODELS: dict[str, type[BaseModel]] = {
    model.__name__: model for model in (*REQUEST_MODELS, *RESPONSE_MODELS)
}


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return create_app().openapi()


def operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield method.upper(), path, operation


def media_examples(media: dict[str, Any]) -> list[Any]:
    found = [e["value"] for e in media.get("examples", {}).values()]
    if "example" in media:
        found.append(media["example"])
    return found


def test_the_committed_document_is_up_to_date(doc: dict[str, Any]) -> None:
    current = json.dumps(doc, indent=2, sort_keys=True) + "\n"
    committed = COMMITTED.read_text() if COMMITTED.exists() else ""
    assert current == committed, (
        "openapi/frontend.json is out of date: run `make openapi` to regenerate it"
    )


async def test_docs_serve_the_swagger_ui_and_the_document() -> None:
    app = create_app()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://frontend") as client:
        docs = await client.get("/docs")
        served = await client.get("/openapi.json")
    assert docs.status_code == 200
    assert "text/html" in docs.headers["content-type"]
    assert "swagger-ui" in docs.text
    assert "/openapi.json" in docs.text
    # the page's assets come from this server, not a CDN
    assert "cdn." not in docs.text
    async with httpx.AsyncClient(transport=transport, base_url="http://frontend") as client:
        script = await client.get("/docs/static/swagger-ui-bundle.js")
        css = await client.get("/docs/static/swagger-ui.css")
    assert script.status_code == 200
    assert "SwaggerUIBundle" in script.text
    assert css.status_code == 200
    assert served.status_code == 200
    assert served.json() == app.openapi()


def test_only_the_public_api_and_operations_are_declared(doc: dict[str, Any]) -> None:
    declared = {(method, path) for method, path, _ in operations(doc)}
    ns = "/api/v1/namespaces"
    wf = ns + "/{namespace}/workflows/{workflow_id}"
    assert declared == {
        ("GET", "/healthz"),
        ("GET", "/readyz"),
        ("GET", "/api/v1/system-info"),
        ("POST", ns),
        ("GET", ns),
        ("GET", ns + "/{namespace}"),
        ("PATCH", ns + "/{namespace}"),
        ("DELETE", ns + "/{namespace}"),
        ("POST", wf),
        ("GET", wf),
        ("GET", wf + "/history"),
        ("GET", wf + "/result"),
        ("POST", wf + "/signal/{signal_name}"),
        ("POST", wf + "/signal-with-start/{signal_name}"),
        ("POST", wf + "/query/{query_name}"),
        ("POST", wf + "/cancel"),
        ("POST", wf + "/terminate"),
        ("POST", ns + "/{namespace}/task-queues/{task_queue}/poll"),
        ("GET", ns + "/{namespace}/task-queues/{task_queue}"),
        ("POST", ns + "/{namespace}/workflow-tasks/complete"),
        ("POST", ns + "/{namespace}/workflow-tasks/fail"),
        ("POST", ns + "/{namespace}/activity-tasks/heartbeat"),
        ("POST", ns + "/{namespace}/activity-tasks/complete"),
        ("POST", ns + "/{namespace}/activity-tasks/fail"),
        ("POST", ns + "/{namespace}/activity-tasks/cancel"),
        ("POST", ns + "/{namespace}/query-tasks/respond"),
    }


def test_every_operation_has_an_example(doc: dict[str, Any]) -> None:
    for method, path, operation in operations(doc):
        found = []
        body = operation.get("requestBody", {}).get("content", {})
        for media in body.values():
            found += media_examples(media)
        for status, response in operation["responses"].items():
            if status.startswith("2"):
                for media in response.get("content", {}).values():
                    found += media_examples(media)
        assert found, f"{method} {path} has no example"


def test_every_operation_is_described_and_documents_its_errors(doc: dict[str, Any]) -> None:
    tags = {tag["name"] for tag in doc["tags"]}
    assert tags == {"namespaces", "workflows", "workers", "operations"}
    for method, path, operation in operations(doc):
        where = f"{method} {path}"
        assert operation.get("summary"), where
        assert operation.get("description"), where
        assert len(operation["tags"]) == 1
        assert operation["tags"][0] in tags, where
        assert "422" not in operation["responses"], where
        if operation["tags"][0] == "operations":
            continue
        assert "400" in operation["responses"], where
        assert "503" in operation["responses"], where
        if "requestBody" in operation:
            assert "413" in operation["responses"], where
        for status, response in operation["responses"].items():
            if status.startswith(("4", "5")):
                media = response["content"]["application/problem+json"]
                assert media["schema"] == {"$ref": "#/components/schemas/Problem"}
                for example in media_examples(media):
                    problem = Problem.model_validate(example)
                    assert str(problem.status) == status, where
                    assert f"`{problem.code.value}`" in response["description"], where


def test_every_reference_resolves(doc: dict[str, Any]) -> None:
    schemas = doc["components"]["schemas"]

    def walk(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "$ref":
                    yield value
                else:
                    yield from walk(value)
        elif isinstance(node, list):
            for value in node:
                yield from walk(value)

    refs = set(walk(doc))
    assert refs
    for ref in refs:
        assert ref.startswith("#/components/schemas/")
        assert ref.removeprefix("#/components/schemas/") in schemas, ref


def _schema_models(schema: dict[str, Any]) -> list[type[BaseModel]]:
    refs = [schema] if "$ref" in schema else schema.get("oneOf", [])
    return [MODELS[ref["$ref"].rsplit("/", 1)[1]] for ref in refs]


def test_request_examples_are_valid_input(doc: dict[str, Any]) -> None:
    checked = 0
    for _, _, operation in operations(doc):
        if "requestBody" not in operation:
            continue
        media = operation["requestBody"]["content"]["application/json"]
        (model,) = _schema_models(media["schema"])
        for example in media_examples(media):
            parsed = model.model_validate_json(json.dumps(example))
            token = getattr(parsed, "task_token", None)
            if token is not None:
                TaskToken.decode(token, namespace="default")
            if isinstance(parsed, PollRequest):
                assert parsed.wait <= MAX_WAIT
            checked += 1
    assert checked >= 20


def test_response_examples_match_their_models(doc: dict[str, Any]) -> None:
    checked = 0
    for _, _, operation in operations(doc):
        for status, response in operation["responses"].items():
            media = response.get("content", {}).get("application/json")
            if not status.startswith("2") or media is None or "$ref" not in str(media["schema"]):
                continue
            models = _schema_models(media["schema"])
            adapter: TypeAdapter[Any] = TypeAdapter(
                models[0] if len(models) == 1 else WorkflowTask | ActivityTask
            )
            for example in media_examples(media):
                adapter.validate_json(json.dumps(example))
                checked += 1
    assert checked >= 20


def test_example_task_tokens_name_the_example_workflow() -> None:
    workflow = TaskToken.decode(examples.WORKFLOW_TASK_TOKEN, namespace="default")
    activity = TaskToken.decode(examples.ACTIVITY_TASK_TOKEN, namespace="default")
    assert (workflow.kind, activity.kind) == ("workflow", "activity")
    assert workflow.run_id == activity.run_id == examples.RUN_ID
    assert workflow.workflow_id == activity.workflow_id == "order-1"


def test_the_example_query_token_names_the_example_query() -> None:
    token = TaskToken.decode(message_examples.QUERY_TASK_TOKEN, namespace="default")
    assert token.kind == "query"
    assert token.query_id == message_examples.QUERY_ID
    assert (token.workflow_id, token.run_id) == ("order-1", examples.RUN_ID)


def test_the_new_endpoints_document_their_tags_and_answers(doc: dict[str, Any]) -> None:
    wf = "/api/v1/namespaces/{namespace}/workflows/{workflow_id}"
    expected = {
        wf + "/signal/{signal_name}": ("workflows", {"202"}, {"404", "409"}),
        wf + "/signal-with-start/{signal_name}": ("workflows", {"200", "201"}, {"404", "409"}),
        wf + "/query/{query_name}": ("workflows", {"200"}, {"404", "504"}),
        wf + "/cancel": ("workflows", {"202"}, {"404", "409"}),
        "/api/v1/namespaces/{namespace}/query-tasks/respond": ("workers", {"200"}, set()),
    }
    for path, (tag, successes, failures) in expected.items():
        operation = doc["paths"][path]["post"]
        assert operation["tags"] == [tag], path
        statuses = set(operation["responses"])
        assert {s for s in statuses if s.startswith("2")} == successes, path
        assert failures <= statuses, path
    query = doc["paths"][wf + "/query/{query_name}"]["post"]["responses"]
    assert "`query_failed`" in query["400"]["description"]
    assert "`query_timeout`" in query["504"]["description"]


def test_the_system_info_example_is_true() -> None:
    (example,) = examples.SYSTEM_INFO.values()
    assert example["value"]["capabilities"] == CAPABILITIES
