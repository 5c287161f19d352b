"""The signing use case through the service layer: one record, one entry, all or nothing."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import func, select

from registry.core.canonical import canonical_bytes, parse_canonical
from registry.core.records import verify_record
from registry.extensions import db
from registry.models import Invitee, LogEntry, SignatureRecord
from registry.services import commitments, integrity, keyring, signing
from registry.services.errors import (
    AlreadySigned,
    IdempotencyMismatch,
    InvalidInput,
    NotFound,
    NotOpen,
)
from tests.factories import DEMO, walk_in


def _sign(app: Flask, request: signing.SigningRequest) -> signing.SigningResult:
    return signing.sign(request, app.extensions["ikrar.signers"])


def _counts() -> tuple[int, int]:
    return (
        db.session.execute(select(func.count()).select_from(SignatureRecord)).scalar_one(),
        db.session.execute(select(func.count()).select_from(LogEntry)).scalar_one(),
    )


def test_signing_persists_seals_and_logs(ctx: Flask) -> None:
    result = _sign(ctx, walk_in("Siti Aminah"))
    row = result.record
    assert result.created
    signed, key = verify_record(bytes(row.body), row.signature, keyring.keyring())
    record = signed.record
    assert key.purpose == "record" and key.kid == row.kid
    assert record["signatory"]["name"] == "Siti Aminah"
    assert record["commitment"]["id"] == DEMO
    assert record["commitment"]["text_sha256"] == commitments.get_version(DEMO).text_sha256
    assert record["dimensions"] == ["smart-governance", "smart-living"]
    entry = db.session.get(LogEntry, row.log_index)
    payload = parse_canonical(bytes(entry.body))["payload"]
    assert payload["record_sha256"] == signed.sha256
    # The public log carries no personal data in clear.
    assert b"Siti" not in bytes(entry.body)
    assert integrity.verify_database().records == 1


def test_nfd_input_is_stored_and_signed_as_nfc(ctx: Flask) -> None:
    nfd = unicodedata.normalize("NFD", "Dédé Ñoño")
    assert nfd != "Dédé Ñoño"
    row = _sign(ctx, walk_in(nfd)).record
    assert row.name == "Dédé Ñoño"
    record = parse_canonical(bytes(row.body))
    assert record["signatory"]["name"] == "Dédé Ñoño"
    assert "Dédé Ñoño".encode() in bytes(row.body)
    assert nfd.encode() not in bytes(row.body)


def test_dimensions_are_signed_in_the_commitments_order(ctx: Flask) -> None:
    row = _sign(ctx, walk_in("Order Test", dimensions=["smart-environment", "smart-governance"])).record
    assert parse_canonical(bytes(row.body))["dimensions"] == ["smart-governance", "smart-environment"]


def test_invitee_signs_once_then_409(ctx: Flask) -> None:
    invitee = db.session.execute(select(Invitee).order_by(Invitee.id)).scalars().first()
    first = _sign(ctx, walk_in("x", signatory=None, invitee_id=invitee.id)).record
    assert first.name == invitee.name
    before = _counts()
    with pytest.raises(AlreadySigned, match="already signed"):
        _sign(ctx, walk_in("x", signatory=None, invitee_id=invitee.id))
    assert _counts() == before


def test_walk_in_twin_is_refused(ctx: Flask) -> None:
    _sign(ctx, walk_in("Budi Santoso"))
    with pytest.raises(AlreadySigned):
        _sign(ctx, walk_in("BUDI SANTOSO"))


def test_idempotent_repeat_returns_the_first_record(ctx: Flask) -> None:
    request = walk_in(
        "Rina",
        client_id="tablet-1",
        idempotency_key="k-123",
        claimed_at=datetime(2024, 9, 12, 2, 0, tzinfo=UTC),
    )
    first = _sign(ctx, request).record
    before = _counts()
    again = _sign(ctx, request)
    assert not again.created
    assert again.record.id == first.id and bytes(again.record.body) == bytes(first.body)
    assert _counts() == before
    with pytest.raises(IdempotencyMismatch):
        _sign(ctx, walk_in("Rina Lain", client_id="tablet-1", idempotency_key="k-123"))


@pytest.mark.parametrize(
    ("overrides", "error", "field"),
    [
        ({"consent_accepted": False}, InvalidInput, "consent"),
        ({"dimensions": []}, InvalidInput, "dimensions"),
        ({"dimensions": ["smart-moon"]}, InvalidInput, "dimensions"),
        ({"dimensions": ["smart-living", "smart-living"]}, InvalidInput, "dimensions"),
        ({"strokes": []}, InvalidInput, "strokes"),
        ({"strokes": [[{"x": 1, "y": 1, "t": 0}]]}, InvalidInput, "strokes"),
        ({"invitee_id": 999999, "signatory": None}, NotFound, "invitee_id"),
        ({"invitee_id": 1}, InvalidInput, "signatory"),
        ({"commitment": "no-such-thing"}, NotFound, None),
    ],
)
def test_bad_requests_leave_nothing_behind(
    ctx: Flask, overrides: dict, error: type, field: str | None
) -> None:
    before = _counts()
    with pytest.raises(error) as caught:
        _sign(ctx, walk_in("Bad Input", **overrides))
    assert caught.value.field == field
    assert _counts() == before


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Bad\x00Name", "control character"),
        ("Bad\x1bName", "control character"),
        ("Bad\u0085Name", "control character"),
        ("   ", "must not be empty"),
        ("x" * 201, "longer than 200"),
    ],
)
def test_hostile_names_are_refused_precisely(ctx: Flask, name: str, message: str) -> None:
    before = _counts()
    with pytest.raises(InvalidInput, match=message):
        _sign(ctx, walk_in(name))
    assert _counts() == before


def test_markup_in_names_is_kept_verbatim(ctx: Flask) -> None:
    # Real institution names contain <, > and &; outputs escape them, storage keeps them.
    row = _sign(ctx, walk_in("PT <Maju> & Jaya")).record
    assert row.name == "PT <Maju> & Jaya"


def test_draft_and_closed_versions_refuse_signing(ctx: Flask) -> None:
    commitments.close(DEMO, 1)
    with pytest.raises(NotOpen, match="closed"):
        _sign(ctx, walk_in("Late Comer", version=1))
    from dataclasses import replace

    from registry import demo

    draft = commitments.revise(DEMO, replace(demo.draft(), text=demo.TEXT + "\n\nRevisi."))
    with pytest.raises(NotOpen, match="draft"):
        _sign(ctx, walk_in("Early Bird", version=draft.version))


def test_a_failure_after_the_append_rolls_everything_back(
    ctx: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _counts()

    def explode(*_a: object, **_k: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(db.session, "flush", explode)
    with pytest.raises(RuntimeError):
        _sign(ctx, walk_in("Half Done"))
    monkeypatch.undo()
    db.session.rollback()
    assert _counts() == before
    assert integrity.verify_database().entries == before[1]


def test_rotation_signs_with_the_new_key_and_old_records_still_verify(ctx: Flask) -> None:
    from registry.app import key_settings

    old_row = _sign(ctx, walk_in("Sebelum Rotasi")).record
    old_kid, new_kid = keyring.rotate(key_settings(ctx))
    assert old_row.kid == old_kid
    new_row = _sign(ctx, walk_in("Sesudah Rotasi")).record
    assert new_row.kid == new_kid
    ring = keyring.keyring()
    verify_record(bytes(old_row.body), old_row.signature, ring)
    verify_record(bytes(new_row.body), new_row.signature, ring)
    assert integrity.verify_database().records == 2


def test_canonical_bytes_are_what_is_stored(ctx: Flask) -> None:
    row = _sign(ctx, walk_in("Kanonik")).record
    assert canonical_bytes(parse_canonical(bytes(row.body))) == bytes(row.body)
