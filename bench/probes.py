"""In-process measurements, each run as ``python -m bench.probes NAME ...`` with an instance's env.

Each prints one JSON object on its last line. They run in their own process so every row starts
from the same state (no warm caches carried over from another row).
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from io import BytesIO
from typing import Any


def _timed(fn: Callable[[], Any], repeat: int) -> list[float]:
    """Wall times in milliseconds of ``repeat`` calls, after two warm-up calls."""
    fn()
    fn()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return times


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def certificate(count: int) -> dict[str, Any]:
    """Ikrar's certificate PDF against bare reportlab + qrcode drawing the same content."""
    from sqlalchemy import select

    from registry import create_app
    from registry.extensions import db
    from registry.models import LogHead, SignatureRecord
    from registry.pdf.certificate import render_certificate
    from registry.services import certificates

    app = create_app(startup_checks=False)
    rng = random.Random(7)
    with app.test_request_context():
        size = db.session.execute(select(LogHead.size)).scalar_one()
        rows: list[SignatureRecord] = []
        while len(rows) < count:
            row = db.session.execute(
                select(SignatureRecord).where(SignatureRecord.log_index == rng.randrange(size))
            ).scalar_one_or_none()
            if row is not None:
                rows.append(row)
        data = [certificates.certificate_data(row) for row in rows]
        cycle = iter(range(10**9))

        def whole() -> None:
            certificates.certificate_pdf(rows[next(cycle) % count])

        def gather() -> None:
            certificates.certificate_data(rows[next(cycle) % count])

        def render() -> None:
            render_certificate(data[next(cycle) % count])

        def bare() -> None:
            _bare_certificate(data[next(cycle) % count])

        pdf_bytes = len(certificates.certificate_pdf(rows[0]))
        result = {
            "ikrar_ms": statistics.median(_timed(whole, count)),
            "gather_ms": statistics.median(_timed(gather, count)),
            "render_ms": statistics.median(_timed(render, count)),
            "bare_ms": statistics.median(_timed(bare, count)),
            "pdf_bytes": pdf_bytes,
            "bare_bytes": len(_bare_certificate(data[0])),
        }
    return result


def _bare_certificate(data: Any) -> bytes:
    """The floor: one reportlab canvas with the same strings, the handwriting as an image and a QR
    code from qrcode, in the same embedded font; no layout engine, no attachments, no signing."""
    import qrcode
    from qrcode.image.pil import PilImage
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas as pdf_canvas

    from registry.core import strokes as strokes_core
    from registry.pdf.layout import register_fonts
    from registry.pdf.printable import REGULAR

    register_fonts()
    buffer = BytesIO()
    canvas = pdf_canvas.Canvas(buffer, pagesize=A4, invariant=1, pageCompression=1)
    record = data.record
    lines = [
        data.commitment_title,
        record["signatory"]["name"],
        record["signatory"]["position"],
        record["signatory"]["institution"],
        data.category_label,
        ", ".join(data.dimension_labels),
        data.place,
        record["signed_at"],
        record["code"],
        record["id"],
        data.signature,
        data.verify_url,
    ]
    y = 780.0
    for text in lines:
        canvas.setFont(REGULAR, 10)
        canvas.drawString(60, y, text)
        y -= 18
    # The handwriting as a raster image (what a "bare" generator would do with a signature PNG).
    from PIL import Image as PilImageModule
    from PIL import ImageDraw

    left, bottom, right, top = strokes_core.bounding_box(data.strokes)
    picture = PilImageModule.new("L", (600, 200), 255)
    draw = ImageDraw.Draw(picture)
    scale = min(580 / max(right - left, 1), 180 / max(top - bottom, 1))
    for stroke in data.strokes:
        points = [((p[0] - left) * scale + 10, (p[1] - bottom) * scale + 10) for p in stroke]
        if len(points) > 1:
            draw.line(points, fill=0, width=3)
    canvas.drawImage(ImageReader(picture), 60, 400, width=300, height=100)
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(data.verify_url)
    code.make(fit=True)
    canvas.drawImage(ImageReader(code.make_image(image_factory=PilImage).get_image()), 400, 60, 120, 120)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def proofs(count: int) -> dict[str, Any]:
    """Inclusion and consistency proofs at the current log size, through the real views."""
    from registry import create_app
    from registry.core import merkle
    from registry.services import checkpoints

    app = create_app(startup_checks=False)
    client = app.test_client()
    rng = random.Random(11)
    with app.app_context():
        size = checkpoints.log_size()

    def inclusion() -> None:
        answer = client.get(f"/log/proof/inclusion?index={rng.randrange(size)}&size={size}")
        assert answer.status_code == 200, answer.data

    def consistency() -> None:
        answer = client.get(f"/log/proof/consistency?old={rng.randrange(1, size)}&new={size}")
        assert answer.status_code == 200, answer.data

    def inclusion_service() -> None:
        index = rng.randrange(size)
        checkpoints.fetch_once(
            lambda fetch: (
                merkle.inclusion_proof(index, size, fetch),
                fetch([(0, index)]),
                merkle.root_hash(size, fetch),
            )
        )

    def consistency_service() -> None:
        old = rng.randrange(1, size)
        checkpoints.fetch_once(
            lambda fetch: (
                merkle.consistency_proof(old, size, fetch),
                merkle.root_hash(old, fetch),
                merkle.root_hash(size, fetch),
            )
        )

    def trivial() -> None:
        assert client.get("/healthz").status_code == 200

    inc, con = _timed(inclusion, count), _timed(consistency, count)
    with app.app_context():
        inc_service, con_service = _timed(inclusion_service, count), _timed(consistency_service, count)
    return {
        "inclusion_service_p50_ms": statistics.median(inc_service),
        "consistency_service_p50_ms": statistics.median(con_service),
        "trivial_request_p50_ms": statistics.median(_timed(trivial, count)),
        "size": size,
        "inclusion_p50_ms": statistics.median(inc),
        "inclusion_p99_ms": _p(inc, 0.99),
        "consistency_p50_ms": statistics.median(con),
        "consistency_p99_ms": _p(con, 0.99),
    }


def storage() -> dict[str, Any]:
    """Bytes on disk per signature record (strokes excluded) and per log entry, indexes included."""
    from sqlalchemy import func, select, text

    from registry import create_app
    from registry.extensions import db
    from registry.models import LogEntry, SignatureRecord

    app = create_app(startup_checks=False)
    with app.app_context():
        records = db.session.execute(select(func.count()).select_from(SignatureRecord)).scalar_one()
        entries = db.session.execute(select(func.count()).select_from(LogEntry)).scalar_one()
        if db.engine.dialect.name == "postgresql":
            sizes = {
                name: db.session.execute(text(f"SELECT pg_total_relation_size('{name}')")).scalar_one()
                for name in ("signature_record", "log_entry", "merkle_node")
            }
            strokes = db.session.execute(
                text("SELECT SUM(pg_column_size(strokes)) FROM signature_record")
            ).scalar_one()
        else:
            sizes = _sqlite_sizes(db)
            strokes = db.session.execute(
                text("SELECT SUM(LENGTH(strokes)) FROM signature_record")
            ).scalar_one()
        return {
            "records": records,
            "entries": entries,
            "record_bytes": (sizes["signature_record"] - int(strokes or 0)) / max(records, 1),
            "strokes_bytes": int(strokes or 0) / max(records, 1),
            "entry_bytes": sizes["log_entry"] / max(entries, 1),
            "merkle_bytes_per_entry": sizes["merkle_node"] / max(entries, 1),
        }


def _sqlite_sizes(db: Any) -> dict[str, int]:
    """Pages of each table plus its indexes, from SQLite's dbstat table."""
    from sqlalchemy import text

    owner = {
        name: table
        for name, table in db.session.execute(
            text("SELECT name, tbl_name FROM sqlite_master WHERE type IN ('table','index')")
        )
    }
    totals: dict[str, int] = {}
    for name, size in db.session.execute(text("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name")):
        table = owner.get(name, name)
        totals[table] = totals.get(table, 0) + int(size)
    return totals


PROBES: dict[str, Callable[..., dict[str, Any]]] = {
    "certificate": certificate,
    "proofs": proofs,
    "storage": storage,
}

if __name__ == "__main__":
    name, *args = sys.argv[1:]
    print(json.dumps(PROBES[name](*(int(a) for a in args))))
