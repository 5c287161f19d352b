"""The append transaction (services/log.py) and signing's work before the head lock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask

from registry.core.records import verify_record
from registry.services import checkpoints, integrity, keyring, log, signing
from tests.factories import walk_in


def _signers(app: Flask) -> keyring.ActiveSigners:
    signers: keyring.ActiveSigners = app.extensions["ikrar.signers"]
    return signers


def test_an_append_is_sealed_and_witnessed_and_a_failed_one_leaves_nothing(ctx: Flask) -> None:
    sealer = checkpoints.sealer()
    before = checkpoints.latest()

    def fail(writer: log.LogWriter) -> None:
        writer.append("test:append", {"n": 1})
        raise RuntimeError("the use case fails after appending")

    with pytest.raises(RuntimeError):
        log.append_transaction(sealer, fail)
    assert checkpoints.latest() == before
    entry = log.append_transaction(sealer, lambda writer: writer.append("test:append", {"n": 2}))
    size, note = checkpoints.latest()
    assert size == entry.index + 1 == before[0] + 1
    assert checkpoints.witness_problem() is None  # the witness was told after the commit
    assert note != before[1]


def test_work_that_appends_nothing_seals_nothing(ctx: Flask) -> None:
    before = checkpoints.latest()
    assert log.append_transaction(checkpoints.sealer(), lambda writer: writer.size) == before[0]
    assert checkpoints.latest() == before


def test_a_record_prepared_before_a_later_entry_is_signed_again_under_the_lock(ctx: Flask) -> None:
    signers = _signers(ctx)
    first = signing.sign(walk_in("Yang Pertama"), signers).record
    request = walk_in("Yang Kedua")
    checked = signing._check(request)
    prepared = signing._prepare(request, checked, signers, lambda: first.signed_at - timedelta(seconds=5))
    assert prepared.moment < first.signed_at
    result = log.append_transaction(
        checkpoints.sealer(signers),
        lambda writer: signing._append(request, checked, prepared, signers, writer),
    )
    row = result.record
    assert row.signed_at >= first.signed_at  # the log's time never goes backwards
    assert prepared.signed is not None and bytes(row.body) != prepared.signed.canonical
    verify_record(bytes(row.body), row.signature, keyring.keyring())
    assert integrity.verify_database().records == 2


def test_a_record_prepared_with_a_key_rotated_meanwhile_is_signed_with_the_new_key(ctx: Flask) -> None:
    from registry.app import key_settings

    signers = _signers(ctx)
    request = walk_in("Sebelum Rotasi Kunci")
    checked = signing._check(request)
    prepared = signing._prepare(request, checked, signers, checkpoints.sealer(signers).clock)
    old_kid, new_kid = keyring.rotate(key_settings(ctx))
    assert prepared.signed is not None and prepared.signed.record["kid"] == old_kid
    result = log.append_transaction(
        checkpoints.sealer(signers),
        lambda writer: signing._append(request, checked, prepared, signers, writer),
    )
    assert result.record.kid == new_kid
    verify_record(bytes(result.record.body), result.record.signature, keyring.keyring())
    assert integrity.verify_database().records == 1
