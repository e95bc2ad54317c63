"""Odin frontend: the public REST API (API.md) on port 8080.

A stateless, validating, routing proxy: every request is parsed with the models in
``odin_common.api`` (bad input never leaves this process) and forwarded, with the same
method, path, query string and raw body, to the history process that owns the workflow's
shard or to matching; the answer comes back unchanged. It also serves the Swagger UI.
"""
