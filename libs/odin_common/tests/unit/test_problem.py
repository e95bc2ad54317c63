"""The problem+json handler and the body limit, through a tiny app."""

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict

from odin_common import errors
from odin_common.api.types import Duration
from odin_common.problem import install_error_handling


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    wait: Duration


def make_app() -> FastAPI:
    app = FastAPI()
    install_error_handling(app, max_body_bytes=1024)

    @app.post("/things")
    async def create(body: Body) -> dict[str, str]:
        if body.name == "taken":
            raise errors.NamespaceAlreadyExists("taken already", namespace="taken")
        return {"name": body.name}

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("bug")

    @app.get("/down")
    async def down() -> None:
        raise ConnectionRefusedError("the database is down")

    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=make_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        yield c


async def test_odin_errors_render_as_problem_json(client: httpx.AsyncClient) -> None:
    resp = await client.post("/things", json={"name": "taken", "wait": "1s"})
    assert resp.status_code == 409
    assert resp.headers["content-type"] == "application/problem+json"
    assert resp.json()["code"] == "namespace_already_exists"
    assert resp.json()["namespace"] == "taken"


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b'{"name": "x"}',
        b'{"name": "x", "wait": "soon"}',
        b'{"name": 5, "wait": "1s"}',
        b'{"name": "x", "wait": "1s", "extra": 1}',
        b"[]",
    ],
)
async def test_bad_input_is_a_400_invalid_argument(client: httpx.AsyncClient, body: bytes) -> None:
    resp = await client.post("/things", content=body, headers={"content-type": "application/json"})
    assert resp.status_code == 400
    doc = resp.json()
    assert doc["code"] == "invalid_argument"
    assert doc["errors"]


@pytest.mark.parametrize("number", [b"NaN", b"Infinity", b"-Infinity"])
async def test_nan_and_infinity_are_not_json(client: httpx.AsyncClient, number: bytes) -> None:
    body = b'{"name": "x", "wait": ' + number + b"}"
    resp = await client.post("/things", content=body, headers={"content-type": "application/json"})
    assert resp.status_code == 400
    assert "NaN and Infinity" in resp.json()["detail"]


async def test_the_words_nan_and_infinity_inside_strings_are_fine(
    client: httpx.AsyncClient,
) -> None:
    resp = await client.post("/things", json={"name": "NaN to Infinity", "wait": "1s"})
    assert resp.status_code == 200


async def test_oversized_bodies_are_refused_with_413(client: httpx.AsyncClient) -> None:
    resp = await client.post("/things", json={"name": "x" * 2000, "wait": "1s"})
    assert resp.status_code == 413
    assert resp.json()["code"] == "payload_too_large"


async def test_unknown_paths_and_methods(client: httpx.AsyncClient) -> None:
    resp = await client.get("/nope")
    assert resp.status_code == 404
    assert resp.json()["code"] == "not_found"
    resp = await client.delete("/things")
    assert resp.status_code == 405
    assert resp.json()["code"] == "method_not_allowed"


async def test_unexpected_errors_are_a_problem_too(client: httpx.AsyncClient) -> None:
    resp = await client.get("/boom")
    assert resp.status_code == 500
    assert resp.json()["code"] == "internal"
    # the server closes the connection after an unhandled error: the client must not reuse it
    assert resp.headers["connection"] == "close"
    down = await client.get("/down")
    assert (down.status_code, down.json()["code"]) == (503, "unavailable")
    assert down.headers["connection"] == "close"
