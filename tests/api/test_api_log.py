"""The verifiable log through the REST API: identity, signed checkpoints, inclusion and
consistency proofs that a client checks with `openscf.trust` alone, on SQLite and
PostgreSQL."""

from __future__ import annotations

import base64

from openscf.trust.merkle import hash_leaf, verify_consistency, verify_inclusion

from .conftest import World, assert_error


def _b(text: str) -> bytes:
    return base64.b64decode(text)


def test_checkpoints_and_proofs_from_the_api_verify_independently(world: World) -> None:
    w = world
    w.confirm(number="LOG-1")
    w.confirm(number="LOG-2")
    log = w.get("S0", "/v1/log").json()
    assert log["object"] == "log" and log["id"] == log["origin"] and log["vkey"]
    head = w.get("S0", "/v1/log/checkpoint").json()
    assert head["size"] == log["size"] > 0
    assert w.get("S0", f"/v1/log/checkpoints/{head['size']}").json() == head
    root = _b(head["root"])

    event = w.get("S0", "/v1/events", params={"limit": 100}).json()["data"][-1]
    proof = w.get("S0", "/v1/log/proofs/inclusion", params={"event_id": event["id"]}).json()
    assert proof["tree_size"] == head["size"] and proof["leaf_index"] == proof["seq"] - 1
    leaf = _b(proof["leaf_hash"])
    assert hash_leaf(_b(proof["body"])) == leaf
    verify_inclusion(
        proof["leaf_index"], proof["tree_size"], leaf, [_b(h) for h in proof["hashes"]], root
    )

    older = next(
        r.json()
        for size in range(head["size"] - 1, 0, -1)
        if (r := w.get("S0", f"/v1/log/checkpoints/{size}")).status_code == 200
    )
    step = w.get(
        "S0", "/v1/log/proofs/consistency", params={"first": older["size"], "second": head["size"]}
    ).json()
    verify_consistency(
        older["size"], head["size"], _b(older["root"]), root, [_b(h) for h in step["hashes"]]
    )


def test_a_proof_for_a_tree_larger_than_the_log_is_refused(world: World) -> None:
    w = world
    w.confirm(number="LOG-3")
    too_large = w.log_size() + 1
    assert_error(
        w.get("S0", "/v1/log/proofs/consistency", params={"first": 1, "second": too_large}),
        400,
        "tree_too_large",
    )
    event = w.get("S0", "/v1/events", params={"limit": 1}).json()["data"][0]
    assert_error(
        w.get(
            "S0",
            "/v1/log/proofs/inclusion",
            params={"event_id": event["id"], "tree_size": too_large},
        ),
        400,
        "tree_too_large",
    )
    assert w.get("S0", "/v1/log/cosignatures").json() == {
        "object": "list",
        "has_more": False,
        "data": [],
    }
