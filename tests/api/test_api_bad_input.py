"""Bad input gets a 4xx with the error shape and changes nothing; never a 5xx.

The TestClient re-raises any exception that reaches the catch-all handler, so each of
these tests would fail loudly if bad input ever got that far."""

from __future__ import annotations

import json

import pytest

from .conftest import TestClient, World, assert_error

GOOD_SPLIT = {"amounts_minor": [60_000_00, 40_000_00]}


@pytest.fixture
def piece(world: World) -> str:
    return str(world.confirm(100_000_00)["receivable_id"])


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"{not json", "invalid_json"),
        (b'{"amounts_minor": [1, 2]', "invalid_json"),
        (b"[1, 2]", "invalid_body"),
        (b'"text"', "invalid_body"),
        (b"null", "invalid_body"),
        (b"[" * 100_000 + b"]" * 100_000, None),
        (b'{"amounts_minor": [NaN, 1]}', "invalid_type"),
        (b'{"amounts_minor": [1e400, 1]}', "invalid_type"),
        (b"\xff\xfe{}", None),
    ],
)
def test_a_body_that_is_not_a_json_object_is_refused(
    world: World, piece: str, content: bytes, code: str | None
) -> None:
    rows = world.rows()
    response = world.client.post(
        f"/v1/receivables/{piece}/split",
        content=content,
        headers=world.h("S0", **{"Content-Type": "application/json"}),
    )
    error = assert_error(response, 400, code)
    assert error["type"] == "invalid_request_error"
    assert world.rows() == rows


@pytest.mark.parametrize(
    ("body", "code", "param"),
    [
        ({"amounts_minor": ["60000", 40_000_00]}, "invalid_type", "amounts_minor.0"),
        ({"amounts_minor": [60_000.0, 40_000_00]}, "invalid_type", "amounts_minor.0"),
        ({"amounts_minor": [True, 1]}, "invalid_type", "amounts_minor.0"),
        ({"amounts_minor": "60000,40000"}, "invalid_type", "amounts_minor"),
        ({}, "missing_field", "amounts_minor"),
        ({**GOOD_SPLIT, "colour": "red"}, "unknown_field", "colour"),
        ({"amounts_minor": [0, 100_000_00]}, "invalid_value", "amounts_minor.0"),
        ({"amounts_minor": [-1, 100_000_01]}, "invalid_value", "amounts_minor.0"),
        ({"amounts_minor": [2**63, 1]}, "invalid_value", "amounts_minor.0"),
        ({"amounts_minor": [1, 1]}, "pieces_do_not_sum", "amounts_minor"),
        ({"amounts_minor": [100_000_00]}, "invalid_value", "amounts_minor"),
        ({**GOOD_SPLIT, "piece_ids": ["inv_1", "inv_2"]}, "invalid_value", "piece_ids.0"),
    ],
)
def test_wrong_types_missing_unknown_and_refused_fields_change_nothing(
    world: World, piece: str, body: dict[str, object], code: str, param: str
) -> None:
    rows = world.rows()
    error = assert_error(world.post("S0", f"/v1/receivables/{piece}/split", body), 400, code)
    assert error["param"] == param
    assert world.rows() == rows


@pytest.mark.parametrize(
    "field_value",
    [
        {"invoice_number": "INV\x00-1"},
        {"invoice_number": "INV\ud800"},
        {"invoice_number": ""},
        {"invoice_number": "x" * 65},
        {"due_on": "29.05.2026"},
        {"due_on": "2026-05-29T00:00:00"},
        {"due_on": 1780000000},
        {"due_on": "9999-12-31"},
        {"due_on": "2026-02-30"},
        {"currency": "eur"},
        {"supplier_id": "rcv_01ABC"},
        {"supplier_id": "org_"},
        {"program_id": "prg_" + "x" * 80},
    ],
)
def test_bad_text_dates_and_ids_in_a_confirmation_are_refused(
    world: World, field_value: dict[str, object]
) -> None:
    body = {
        "program_id": world.programs["P"],
        "supplier_id": world.orgs["S0"],
        "invoice_number": "INV-1",
        "amount_minor": 1_000_00,
        "currency": "EUR",
        "due_on": "2026-05-29",
        **field_value,
    }
    rows = world.rows()
    # json.dumps escapes a lone surrogate as \ud800, as a hostile client would send it.
    response = world.client.post(
        "/v1/confirmations",
        content=json.dumps(body).encode(),
        headers=world.h("A", **{"Content-Type": "application/json"}),
    )
    assert_error(response, 400)
    assert world.rows() == rows


@pytest.mark.parametrize(
    "path",
    [
        "/v1/receivables/not-an-id",
        "/v1/receivables/org_01ABC",
        "/v1/receivables/rcv_",
        "/v1/financing_requests/rcv_01ABC",
        "/v1/events/evt_%00",
    ],
)
def test_a_malformed_id_in_the_path_is_a_400(world: World, path: str) -> None:
    error = assert_error(world.get("A", path), 400, "invalid_id")
    assert error["param"]


def test_an_unknown_id_is_a_404(world: World) -> None:
    assert_error(
        world.get("A", "/v1/receivables/rcv_01KJPWD6M01X12VESPZEAB6GJF"), 404, "unknown_receivable"
    )
    assert_error(
        world.post("S0", "/v1/receivables/rcv_nothing/split", GOOD_SPLIT), 404, "unknown_receivable"
    )


def test_an_oversized_body_is_a_413_and_changes_nothing(world: World, piece: str) -> None:
    rows = world.rows()
    big = b'{"amounts_minor": [' + b"1, " * 400_000 + b"1]}"
    response = world.client.post(
        f"/v1/receivables/{piece}/split",
        content=big,
        headers=world.h("S0", **{"Content-Type": "application/json"}),
    )
    assert_error(response, 413, "body_too_large")

    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(20):
            yield b" " * 100_000

    streamed = world.client.post(
        f"/v1/receivables/{piece}/split",
        content=chunks(),
        headers=world.h("S0", **{"Content-Type": "application/json"}),
    )
    assert_error(streamed, 413, "body_too_large")
    assert world.rows() == rows


def test_a_body_that_is_not_json_is_a_415(world: World, piece: str) -> None:
    response = world.client.post(
        f"/v1/receivables/{piece}/split", data={"amounts_minor": "1"}, headers=world.h("S0")
    )
    assert_error(response, 415, "unsupported_media_type")


def test_an_action_without_fields_refuses_unknown_ones(world: World, piece: str) -> None:
    assert_error(
        world.post("A", f"/v1/receivables/{piece}/settle", {"now": True}), 400, "unknown_field"
    )


def test_bad_query_parameters_are_400s(world: World) -> None:
    for params in (
        {"limit": 0},
        {"limit": 101},
        {"limit": "ten"},
        {"status": "lost"},
        {"starting_after": "x" * 200},
        {"holder_id": "usr_1"},
    ):
        assert_error(world.get("A", "/v1/receivables", params=params), 400)


def test_a_bad_idempotency_key_header_is_a_400(world: World, piece: str) -> None:
    assert_error(
        world.post(
            "S0",
            f"/v1/receivables/{piece}/split",
            GOOD_SPLIT,
            headers={"Idempotency-Key": "x" * 300},
        ),
        400,
        "invalid_header",
    )


def test_unknown_routes_and_methods_answer_with_the_error_shape(world: World) -> None:
    assert_error(world.get("A", "/v1/nothing-here"), 404, "unknown_route")
    assert_error(
        world.client.delete("/v1/receivables", headers=world.h("A")), 405, "method_not_allowed"
    )


def test_a_refused_command_is_an_error_with_the_domain_code_and_param(
    world: World, piece: str
) -> None:
    error = assert_error(world.post("A", f"/v1/receivables/{piece}/settle"), 409, "not_yet_due")
    assert error["type"] == "conflict_error" and error["param"] == "receivable_id"


def test_a_limit_breach_is_a_422(world: World) -> None:
    body = {
        "program_id": world.programs["P"],
        "supplier_id": world.orgs["S1"],
        "invoice_number": "HUGE",
        "amount_minor": 10**9 + 1,
        "currency": "EUR",
        "due_on": "2026-05-29",
    }
    error = assert_error(world.post("A", "/v1/confirmations", body), 422)
    assert error["type"] == "limit_error"


def test_a_bug_is_a_500_with_the_error_shape_and_no_internals(world: World) -> None:
    app = world.client.app

    @app.get("/v1/_test_bug")  # type: ignore[attr-defined, untyped-decorator]
    def _bug() -> None:
        raise RuntimeError("secret internal detail")

    with TestClient(app, base_url="https://testserver", raise_server_exceptions=False) as c:
        response = c.get("/v1/_test_bug")
    error = assert_error(response, 500, "internal_error")
    assert error["type"] == "api_error"
    assert "secret" not in response.text and "Traceback" not in response.text
