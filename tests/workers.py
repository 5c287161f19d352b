"""A signing worker run as its own process by the concurrency tests: ``python -m tests.workers TAG N``."""

from __future__ import annotations

import sys
import time

from registry import create_app
from registry.services import signing
from tests.factories import walk_in


def main(tag: str, count: int, start_at: float) -> None:
    app = create_app(startup_checks=False)
    signers = app.extensions["ikrar.signers"]
    with app.app_context():
        # Start together so the appends really contend.
        time.sleep(max(0.0, start_at - time.time()))
        for i in range(count):
            signing.sign(walk_in(f"Penanda {tag}-{i}", idempotency_key=f"{tag}-{i}", client_id=tag), signers)
    print(f"{tag} signed {count}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), float(sys.argv[3]))
