"""Shard routing: which history shard owns a workflow.

``shard_for(namespace, workflow_id, shard_count)`` is the first 8 bytes (big-endian) of
BLAKE2b over the UTF-8 bytes of ``namespace + "\\x00" + workflow_id``, reduced modulo the shard
count. Not Python's ``hash()``, which is salted per process: the frontend, matching, system
workers and every history pod, in any Python version, must give the same answer. Not a plain
FNV either: its low bits depend only on the low bits of the input, and shard counts are often
powers of two. Changing this function moves every workflow to another shard: never do it on a
live cluster (the unit tests pin known values).
"""

from __future__ import annotations

import hashlib

_FNV64_OFFSET = 0xCBF29CE484222325
_FNV64_PRIME = 0x100000001B3
_MASK64 = 0xFFFFFFFFFFFFFFFF


def fnv1a_64(data: bytes) -> int:
    """The 64-bit FNV-1a hash of ``data``."""
    h = _FNV64_OFFSET
    for byte in data:
        h ^= byte
        h = (h * _FNV64_PRIME) & _MASK64
    return h


def shard_for(namespace: str, workflow_id: str, shard_count: int) -> int:
    """The shard (0 .. shard_count-1) that owns ``workflow_id`` in ``namespace``."""
    if shard_count <= 0:
        raise ValueError("shard_count must be positive")
    key = namespace.encode() + b"\x00" + workflow_id.encode()
    digest = hashlib.blake2b(key, digest_size=8).digest()
    return int.from_bytes(digest, "big") % shard_count


def rendezvous_owner(shard_id: int, members: list[str]) -> str | None:
    """The member that should own ``shard_id`` by rendezvous (highest-random-weight) hashing.

    Every process computes the same owner from the same member list, and removing a member
    only moves the shards it owned.
    """
    best: tuple[int, str] | None = None
    for member in members:
        weight = fnv1a_64(f"{member}\x00{shard_id}".encode())
        if best is None or (weight, member) > best:
            best = (weight, member)
    return best[1] if best else None
