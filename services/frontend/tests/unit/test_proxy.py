"""How the upstream target is rebuilt from the ASGI scope."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from odin_frontend.routers._proxy import upstream_target


def request(path: str, raw_path: bytes | None, query: bytes = b"") -> Request:
    scope: dict[str, Any] = {"type": "http", "path": path, "query_string": query, "headers": []}
    if raw_path is not None:
        scope["raw_path"] = raw_path
    return Request(scope)


def test_the_raw_path_and_query_are_used_as_sent() -> None:
    req = request("/api/v1/namespaces/a b", b"/api/v1/namespaces/a%20b", b"x=1+2&y=%2F")
    assert upstream_target(req) == "/api/v1/namespaces/a%20b?x=1+2&y=%2F"


def test_without_a_raw_path_the_decoded_path_is_quoted() -> None:
    assert upstream_target(request("/w/a b/é", None)) == "/w/a%20b/%C3%A9"


def test_non_ascii_bytes_are_percent_encoded() -> None:
    req = request("/w/é", "/w/é".encode(), "q=é&r=1".encode())
    assert upstream_target(req) == "/w/%C3%A9?q=%C3%A9&r=1"
