"""Namespace management (create, list, get, update, delete)."""

from __future__ import annotations

import base64
import uuid
from typing import Any

from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError

from odin_common.api.namespaces import NamespaceCreate, NamespaceUpdate
from odin_common.db.engine import read_connection
from odin_common.errors import InvalidArgument, NamespaceAlreadyExists, NamespaceNotFound
from odin_history.engine.context import HistoryContext
from odin_history.store import namespaces as store


def _doc(row: RowMapping) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "description": row["description"],
        "retention_days": row["retention_days"],
        "state": row["state"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


async def create_namespace(ctx: HistoryContext, req: NamespaceCreate) -> dict[str, Any]:
    now = ctx.clock.now()
    row = {
        "id": str(uuid.uuid4()),
        "name": req.name,
        "description": req.description,
        "retention_days": (
            req.retention_days
            if req.retention_days is not None
            else ctx.settings.history_retention_days
        ),
        "state": "registered",
        "search_attributes": {},
        "created_at": now,
        "updated_at": now,
    }
    try:
        async with ctx.db.begin() as conn:
            if await store.read_namespace_by_name(conn, req.name) is not None:
                raise NamespaceAlreadyExists(
                    f"namespace {req.name!r} already exists", namespace=req.name
                )
            await store.insert_namespace(conn, row)
    except IntegrityError as exc:
        raise NamespaceAlreadyExists(
            f"namespace {req.name!r} already exists", namespace=req.name
        ) from exc
    ctx.namespaces.forget(req.name)
    return {k: v for k, v in row.items() if k != "search_attributes"}


def _decode_token(token: str | None) -> str | None:
    if not token:
        return None
    try:
        return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidArgument("next_page_token is not one this server handed out") from exc


def _encode_token(name: str) -> str:
    return base64.urlsafe_b64encode(name.encode()).rstrip(b"=").decode()


async def list_namespaces(
    ctx: HistoryContext, page_size: int, next_page_token: str | None
) -> dict[str, Any]:
    after = _decode_token(next_page_token)
    async with read_connection(ctx.db) as conn:
        rows = await store.list_namespaces(conn, after_name=after, limit=page_size + 1)
    more = len(rows) > page_size
    rows = rows[:page_size]
    return {
        "namespaces": [_doc(r) for r in rows],
        "next_page_token": _encode_token(rows[-1]["name"]) if more and rows else None,
    }


async def _registered(ctx: HistoryContext, name: str) -> RowMapping:
    async with read_connection(ctx.db) as conn:
        row = await store.read_namespace_by_name(conn, name)
    if row is None or row["state"] != "registered":
        raise NamespaceNotFound(f"namespace {name!r} does not exist", namespace=name)
    return row


async def get_namespace(ctx: HistoryContext, name: str) -> dict[str, Any]:
    return _doc(await _registered(ctx, name))


async def update_namespace(ctx: HistoryContext, name: str, req: NamespaceUpdate) -> dict[str, Any]:
    row = await _registered(ctx, name)
    values = req.model_dump(exclude_none=True)
    if values:
        async with ctx.db.begin() as conn:
            await store.update_namespace(conn, row["id"], values, ctx.clock.now())
        ctx.namespaces.forget(name)
    return await get_namespace(ctx, name)


async def delete_namespace(ctx: HistoryContext, name: str) -> dict[str, Any]:
    """Mark the namespace deleted. It is renamed so the name can be used again; its workflows
    become unreachable (their rows stay: nothing removes them yet)."""
    row = await _registered(ctx, name)
    new_name = f"{name[:230]}-deleted-{row['id'][:8]}"
    async with ctx.db.begin() as conn:
        await store.update_namespace(
            conn, row["id"], {"state": "deleted", "name": new_name}, ctx.clock.now()
        )
        deleted = await store.read_namespace_by_id(conn, row["id"])
    ctx.namespaces.forget(name)
    assert deleted is not None
    return _doc(deleted)
