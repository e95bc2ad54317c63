from odin_common.hashing import fnv1a_64, rendezvous_owner, shard_for


def test_fnv1a_matches_the_published_test_vectors() -> None:
    assert fnv1a_64(b"") == 0xCBF29CE484222325
    assert fnv1a_64(b"a") == 0xAF63DC4C8601EC8C
    assert fnv1a_64(b"foobar") == 0x85944171F73967E8


def test_shard_assignment_is_pinned() -> None:
    # These values are part of the deployed contract: changing them moves workflows.
    assert shard_for("default", "order-1", 512) == 478
    assert [shard_for("default", f"wf-{i}", 512) for i in range(3)] == [51, 323, 138]


def test_namespaces_do_not_share_a_shard_layout() -> None:
    same = sum(
        shard_for("default", f"w{i}", 8) == shard_for("payments", f"w{i}", 8) for i in range(1000)
    )
    assert same < 200  # about 1 in 8 by chance


def test_shards_spread_evenly() -> None:
    counts = [0] * 16
    for i in range(16000):
        counts[shard_for("ns", f"workflow-{i}", 16)] += 1
    assert min(counts) > 800
    assert max(counts) < 1200


def test_rendezvous_moves_only_the_shards_of_a_removed_member() -> None:
    members = ["a", "b", "c"]
    before = {s: rendezvous_owner(s, members) for s in range(256)}
    after = {s: rendezvous_owner(s, ["a", "b"]) for s in range(256)}
    for shard, owner in before.items():
        if owner != "c":
            assert after[shard] == owner
    assert rendezvous_owner(1, []) is None
