"""The floor for ``ikrar audit --file``: the same cryptography on the same bytes, nothing else.

Reads the export once and, per line, computes the entry hash (SHA-256, what the next entry's
``prev`` names) and the RFC 6962 leaf hash, folds the Merkle tree (one SHA-256 per interior
node), then verifies the checkpoint's Ed25519 signature and compares the root. It parses no
JSON and checks no form, links or times: that is the work the audit adds on top.

Only the standard library and ``cryptography``: ``python -m bench.audit_floor LOG CHECKPOINT KEY``.
"""

from __future__ import annotations

import base64
import hashlib
import sys
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def floor(log: Path, checkpoint: str, key: str) -> int:
    sha256 = hashlib.sha256
    stack: list[tuple[int, bytes]] = []  # (height, hash) of complete subtrees, left to right
    size = 0
    with open(log, "rb") as lines:
        for raw in lines:
            line = raw[:-1]
            sha256(line).digest()  # the entry hash
            node, height = sha256(b"\x00" + line).digest(), 0
            while stack and stack[-1][0] == height:
                node = sha256(b"\x01" + stack.pop()[1] + node).digest()
                height += 1
            stack.append((height, node))
            size += 1
    root = stack.pop()[1] if stack else hashlib.sha256(b"").digest()
    while stack:
        root = sha256(b"\x01" + stack.pop()[1] + root).digest()
    body, _, signatures = checkpoint.partition("\n\n")
    name, key_id, public = key.strip().split("+", 2)
    raw_key = base64.b64decode(public)
    for signature_line in signatures.splitlines():
        if signature_line.startswith(f"\u2014 {name} "):
            blob = base64.b64decode(signature_line.rsplit(" ", 1)[1])
            if blob[:4].hex() == key_id:
                Ed25519PublicKey.from_public_bytes(raw_key[1:]).verify(blob[4:], (body + "\n").encode())
                break
    else:
        raise SystemExit("no signature by the key")
    claimed = base64.b64decode(body.splitlines()[2])
    if claimed != root:
        raise SystemExit("root mismatch")
    return size


if __name__ == "__main__":
    entries = floor(Path(sys.argv[1]), Path(sys.argv[2]).read_text(), Path(sys.argv[3]).read_text())
    print(f"{entries} entries hashed, checkpoint signature verified")
