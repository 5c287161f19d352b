"""docs/FORMATS.md §4's worked example of the version document, reproduced three ways: by the
registry's own code, by the rfc8785 package and by tools/verify_log.py (the outside verifier)."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import sys
from pathlib import Path
from types import ModuleType

import rfc8785

from registry.core.canonical import sha256_hex
from registry.core.version_entries import served_version_problem
from registry.core.versions import document_from_json, version_document, version_sha256

ROOT = Path(__file__).resolve().parent.parent


def _section_4() -> str:
    formats = (ROOT / "docs" / "FORMATS.md").read_text("utf-8")
    return formats.split("## 4. ", 1)[1].split("\n## 5. ", 1)[0]


def _example() -> tuple[dict[str, object], bytes, dict[str, str]]:
    section = _section_4().split("Worked example", 1)[1]
    blocks = re.findall(r"```(?:json)?\n(.*?)```", section, re.S)
    document = json.loads(blocks[0])
    canonical = blocks[1].rstrip("\n").encode("utf-8")
    hashes = dict(re.findall(r"`(\w+_sha256)` = `([0-9a-f]{64})`", section))
    return document, canonical, hashes


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("verify_log", ROOT / "tools" / "verify_log.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_the_worked_example_reproduces() -> None:
    document, canonical, hashes = _example()
    assert set(hashes) == {"version_sha256", "text_sha256", "consent_sha256"}
    assert f"({len(canonical)} bytes, one line)" in _section_4()
    built = version_document(
        commitment=document["id"],  # type: ignore[arg-type]
        version=document["version"],  # type: ignore[arg-type]
        title=document["title"],  # type: ignore[arg-type]
        text=document["text"],  # type: ignore[arg-type]
        place=document["place"],  # type: ignore[arg-type]
        event_date=document["event_date"],  # type: ignore[arg-type]
        dimensions=document["dimensions"],  # type: ignore[arg-type]
        categories=document["categories"],  # type: ignore[arg-type]
        consent_text=document["consent_text"],  # type: ignore[arg-type]
    )
    assert built == document
    assert rfc8785.dumps(document) == canonical
    assert _tool().canonical_bytes(document) == canonical
    assert version_sha256(built) == hashlib.sha256(canonical).hexdigest() == hashes["version_sha256"]
    assert sha256_hex(str(document["text"]).encode()) == hashes["text_sha256"]
    assert sha256_hex(str(document["consent_text"]).encode()) == hashes["consent_sha256"]


def test_a_served_version_is_checked_against_its_publish_entry() -> None:
    document, _, hashes = _example()
    served = {k: v for k, v in document.items() if k != "type"} | {
        "status": "open",
        "text_sha256": hashes["text_sha256"],
        "consent_sha256": hashes["consent_sha256"],
        "version_sha256": hashes["version_sha256"],
        "opened_at": None,
    }
    assert version_sha256(document_from_json(served)) == hashes["version_sha256"]
    payload = {"commitment": "contoh-2024", "version": 1} | {
        k: hashes[k] for k in ("text_sha256", "consent_sha256", "version_sha256")
    }
    legacy = {k: v for k, v in payload.items() if k != "version_sha256"}
    assert served_version_problem(payload, served) is None
    assert served_version_problem(legacy, served) is None
    retitled = served | {"title": "Judul Lain"}
    # The title is bound by version_sha256 only: a legacy entry cannot see it changed.
    assert "version_sha256" in str(served_version_problem(payload, retitled))
    assert served_version_problem(legacy, retitled | {"version_sha256": None}) is None
    relabelled = served | {"dimensions": [{"id": "smart-governance", "label": "Lain"}]}
    assert served_version_problem(payload, relabelled) is not None
    new_text = "Kami berjanji hal lain."
    rewritten = served | {
        "text": new_text,
        "text_sha256": sha256_hex(new_text.encode()),
        "version_sha256": None,
    }
    assert "text_sha256" in str(served_version_problem(legacy, rewritten))
    assert served_version_problem(payload, served | {"status": "draft"}) is not None
