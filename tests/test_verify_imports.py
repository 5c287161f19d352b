"""Offline verification of a certificate PDF loads no PDF writer, no QR encoder and no Flask.

``ikrar verify FILE.pdf --jwks F`` runs on an auditor's machine: its library side
(registry.offline_verify.verify_pdf, the attachment reader, the printed-text check) uses the
standard library, registry.core and pypdf only. A fresh interpreter verifies a certificate the
application issued, and a forgery of its printed name, and must not have imported reportlab,
qrcode or flask on the way; the verdicts must be the ones the full check gives.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask

from registry.services import certificates
from tests.test_printed import FAKE_NAME, FAKE_POSITION, forged_layout, registry_certificate

ROOT = Path(__file__).resolve().parent.parent

# Runs in a fresh interpreter: argv = JWKS file, then the PDFs; prints the verdicts and what
# was imported, as JSON.
SCRIPT = """
import json, sys
from pathlib import Path
from registry.core.keys import KeyRing
from registry.offline_verify import verify_pdf

ring = KeyRing.from_jwks(json.loads(Path(sys.argv[1]).read_text()))
verdicts = {}
for name in sys.argv[2:]:
    verdict = verify_pdf(Path(name).read_bytes(), ring)
    verdicts[Path(name).name] = {
        "status": verdict.status,
        "differing": verdict.printed.differing if verdict.printed else None,
    }
loaded = sorted({m.split(".")[0] for m in sys.modules} & {"reportlab", "qrcode", "flask"})
print(json.dumps({"verdicts": verdicts, "loaded": loaded}))
"""


@pytest.mark.slow  # starts another process (tests/process_guard.py)
def test_verify_pdf_imports_neither_reportlab_qrcode_nor_flask(app: Flask, tmp_path: Path) -> None:
    row, genuine = registry_certificate(app)
    with app.app_context():
        data = certificates.certificate_data(row)
        jwks = app.test_client().get("/.well-known/jwks.json").data
    (tmp_path / "jwks.json").write_bytes(jwks)
    (tmp_path / "genuine.pdf").write_bytes(genuine)
    # Our own layout drawn for another name and position, the genuine record and signature attached.
    (tmp_path / "forged.pdf").write_bytes(
        forged_layout(data, genuine, name=FAKE_NAME, position=FAKE_POSITION)
    )

    run = subprocess.run(
        [
            sys.executable,
            "-c",
            SCRIPT,
            str(tmp_path / "jwks.json"),
            *(str(tmp_path / n) for n in ("genuine.pdf", "forged.pdf")),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert result["loaded"] == []
    assert result["verdicts"]["genuine.pdf"] == {"status": "valid", "differing": []}
    assert result["verdicts"]["forged.pdf"] == {"status": "altered", "differing": ["name", "position"]}
