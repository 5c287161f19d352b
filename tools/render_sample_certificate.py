"""Render a sample certificate with the Purbalingga demo data (no database, no server).

    python tools/render_sample_certificate.py [--pdf OUT.pdf] [--png OUT.png] [--withdrawn]

Writes docs/screenshots/certificate.png (page 1 at 150 dpi) by default. The sample is sealed with
a throw-away key derived from a fixed public string (it is not any registry's key), so the
output is the same on every run and the screenshot only changes when the layout does.
Rasterising needs pypdfium2 (a test dependency, not a runtime one).
"""

from __future__ import annotations

import argparse
import hashlib
import math
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

from registry.core import codes, qr  # noqa: E402
from registry.core.canonical import canonical_bytes, sha256_hex  # noqa: E402
from registry.core.errors import FormatError  # noqa: E402
from registry.core.keys import Signer  # noqa: E402
from registry.core.records import RECORD_TYPE, sign_record  # noqa: E402
from registry.core.strokes import canonicalise, strokes_sha256  # noqa: E402
from registry.pdf.certificate import CertificateData, render_certificate  # noqa: E402

TITLE = "Komitmen Bersama mewujudkan Purbalingga Smart City"
PLACE = "Operation Room Graha Adiguna, Kompleks Setda Purbalingga"


def _spline(points: list[tuple[float, float]], steps: int = 10) -> list[tuple[float, float]]:
    """A Catmull-Rom curve through ``points``: how a pen moves between the places it passes."""
    padded = [points[0], *points, points[-1]]
    curve = []
    for i in range(1, len(padded) - 2):
        p0, p1, p2, p3 = padded[i - 1 : i + 3]
        for step in range(steps):
            u = step / steps
            curve.append(
                tuple(
                    0.5
                    * (
                        2 * p1[k]
                        + (p2[k] - p0[k]) * u
                        + (2 * p0[k] - 5 * p1[k] + 4 * p2[k] - p3[k]) * u**2
                        + (3 * p1[k] - p0[k] - 3 * p2[k] + p3[k]) * u**3
                    )
                    for k in (0, 1)
                )
            )
    curve.append(points[-1])
    return curve  # type: ignore[return-value]


def handwriting(seed: int = 7) -> list[list[dict[str, float]]]:
    """A plausible signature ("Sri W."): initials, a running hand, a dot and an underline flourish."""
    rng = random.Random(seed)
    strokes: list[list[dict[str, float]]] = []
    t = 0.0

    def add(points: list[tuple[float, float]]) -> None:
        nonlocal t
        stroke = []
        for i, (x, y) in enumerate(points):
            swell = math.sin(math.pi * i / max(len(points) - 1, 1))
            pressure = min(max(0.3 + 0.45 * swell + rng.uniform(-0.05, 0.05), 0.0), 1.0)
            stroke.append({"x": round(x, 1), "y": round(y, 1), "t": t, "p": round(pressure, 3)})
            t += 9
        strokes.append(stroke)
        t += 150

    # "S"
    add(_spline([(98, 62), (74, 52), (54, 70), (72, 98), (100, 122), (96, 152), (66, 162), (44, 146)]))
    # "ri"
    add(
        _spline(
            [(108, 140), (118, 112), (124, 142), (134, 118), (146, 116), (150, 142), (157, 118), (166, 140)]
        )
    )
    # the dot of the i
    add([(158, 100)])
    # "W" and a running tail
    add(
        _spline(
            [
                (192, 84),
                (204, 148),
                (221, 104),
                (238, 148),
                (256, 80),
                (262, 122),
                (276, 138),
                (286, 116),
                (293, 140),
                (304, 116),
                (312, 142),
                (324, 118),
                (340, 128),
            ]
        )
    )
    # the underline flourish
    add(_spline([(36, 178), (120, 184), (222, 176), (318, 160), (364, 146)], steps=14))
    return strokes


def sample_code(body: str) -> str:
    """``body`` plus the check symbol that makes it a valid verification code."""
    for check in codes.ALPHABET:
        try:
            return codes.normalise_code(body + check)
        except FormatError:  # not the check symbol
            continue
    raise AssertionError("no check symbol found")


def sample(withdrawn: bool = False) -> CertificateData:
    seed = hashlib.sha256(b"ikrar sample certificate: a public, throw-away key").digest()
    signer = Signer(Ed25519PrivateKey.from_private_bytes(seed))
    strokes = canonicalise(handwriting())
    record = {
        "type": RECORD_TYPE,
        "id": "g4kq7zr2m5xw3a6bn2c7dpe5fu",
        "code": sample_code("PBG24SC0KM"),
        "commitment": {
            "id": "purbalingga-smart-city-2024",
            "version": 1,
            "text_sha256": sha256_hex(b"Komitmen Bersama mewujudkan Purbalingga Smart City"),
        },
        "signatory": {
            "name": "Dra. Sri Wahyuningsih, M.Si.",
            "position": "Kepala Dinas Komunikasi dan Informatika",
            "institution": "Dinas Kominfo Kabupaten Purbalingga",
            "category": "pemerintah",
        },
        "dimensions": ["smart-governance", "smart-living"],
        "consent": {"text_sha256": sha256_hex(b"consent"), "public_display": True},
        "handwriting": {"strokes_sha256": strokes_sha256(strokes)},
        "signed_at": "2024-09-12T03:15:00.000Z",
        "claimed_at": "2024-09-12T03:14:52.000Z",
        "operator": "operator-1",
        "device": "tablet-1",
        "kid": signer.kid,
    }
    signed = sign_record(record, signer)
    assert signed.canonical == canonical_bytes(record)
    return CertificateData(
        record=record,
        signature=signed.signature,
        commitment_title=TITLE,
        place=PLACE,
        category_label="Pemerintah / OPD",
        dimension_labels=["Smart Governance", "Smart Living"],
        strokes=strokes,
        # The QR carries the signed QR statement (docs/FORMATS.md, "QR statement") in its fragment.
        verify_url=qr.qr_url(record, 17, "https://ikrar.purbalinggakab.go.id", signer),
        log_index=17,
        withdrawn=("2024-09-13T02:00:00.000Z", "Ditandatangani oleh orang yang salah") if withdrawn else None,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pdf", type=Path, help="also write the PDF here")
    parser.add_argument("--png", type=Path, default=ROOT / "docs" / "screenshots" / "certificate.png")
    parser.add_argument("--withdrawn", action="store_true", help="render a withdrawn certificate")
    args = parser.parse_args()
    pdf = render_certificate(sample(args.withdrawn))
    if args.pdf:
        args.pdf.write_bytes(pdf)
    import pypdfium2  # a test/development dependency only

    document = pypdfium2.PdfDocument(pdf)
    try:
        image = document[0].render(scale=150 / 72).to_pil()
    finally:
        document.close()
    args.png.parent.mkdir(parents=True, exist_ok=True)
    image.save(args.png, optimize=True)
    print(f"{args.png} ({len(pdf)} bytes of PDF)")


if __name__ == "__main__":
    main()
