"""Test data: plausible handwritten strokes and signing requests."""

from __future__ import annotations

import math
import random
from typing import Any

from registry.services.signing import Signatory, SigningRequest

DEMO = "purbalingga-smart-city-2024"


def scribble(seed: int = 0, strokes: int = 3, points: int = 40) -> list[list[dict[str, float]]]:
    """A signature-like set of strokes: looping curves across a 600×250 pad, with pressure."""
    rng = random.Random(seed)
    result = []
    t = 1_700_000_000_000.0 + seed
    for s in range(strokes):
        x0, y0 = 60 + s * 160 + rng.uniform(-10, 10), 120 + rng.uniform(-20, 20)
        stroke = []
        for i in range(points):
            a = i / points * 2 * math.pi
            stroke.append(
                {
                    "x": round(x0 + i * 3 + 30 * math.sin(a * 2), 2),
                    "y": round(y0 + 40 * math.cos(a * 3), 2),
                    "t": t,
                    "p": round(0.3 + 0.4 * rng.random(), 3),
                }
            )
            t += 8
        result.append(stroke)
        t += 120
    return result


def walk_in(name: str, **overrides: Any) -> SigningRequest:
    fields: dict[str, Any] = {
        "commitment": DEMO,
        "dimensions": ["smart-governance", "smart-living"],
        "consent_accepted": True,
        "public_display": True,
        "strokes": scribble(len(name)),
        "signatory": Signatory(
            name=name, position="Kepala Bidang", institution="Dinas Uji Coba", category="pemerintah"
        ),
        "operator": "operator-test",
        "device": "device-test",
    }
    fields.update(overrides)
    return SigningRequest(**fields)
