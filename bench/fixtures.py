"""Benchmark fixtures: a registry of N signature records made with the real signing code.

A fixture is a folder under ``bench/.cache/`` holding its own keys, a SQLite database, the log
export an auditor would download (JSON Lines), the signed checkpoint, the log verifier key and a
sample of verification codes. It is generated once and reused while ``meta.json`` matches the
requested size and ``FIXTURE_VERSION``. The PostgreSQL twin is copied from the SQLite file.

Generation uses the same functions the signing service uses (``sign_record``, ``make_entry``,
``Frontier.append``, ``sign_checkpoint``); only the per-request transaction is replaced by bulk
inserts, because a million HTTP signings would take hours and measure nothing new.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

CACHE = Path(__file__).resolve().parent / ".cache"
# Bump when the fixture's content or layout changes, so stale caches are regenerated.
FIXTURE_VERSION = 1
BATCH = 5000
SAMPLE_CODES = 10_000
SLUG = "purbalingga-smart-city-2024"
STROKES = [[[10 + 30 * i, 40 + (25 if i % 2 else -25), 20 * i, 500] for i in range(10)]]
# Any rate far above the load the benchmark offers: the limiter still runs, it never refuses.
NO_LIMIT = "1000000 per minute"
BASE_URL = "http://127.0.0.1:8000"


def instance_env(directory: Path, database_url: str, base_url: str = BASE_URL) -> dict[str, str]:
    """Environment for an Ikrar process on this fixture's keys and the given database.

    Each database gets its own witness file: a server remembers the last checkpoint it signed
    per database, and a clone that grew must not make the original look rewound.
    """
    label = database_url.rsplit("/", 1)[-1].replace(".", "-")
    return {
        **os.environ,
        "IKRAR_DATABASE_URL": database_url,
        "IKRAR_KEYS_DIR": str(directory / "keys"),
        "IKRAR_WITNESS_FILE": str(directory / f"witness-{label}"),
        "IKRAR_SECRET_KEY": "benchmark-only-secret",
        "IKRAR_SIGNING_LIMIT": NO_LIMIT,
        "IKRAR_VERIFY_LIMIT": NO_LIMIT,
        "IKRAR_BASE_URL": base_url,
    }


def sqlite_url(directory: Path) -> str:
    # Absolute: Flask-SQLAlchemy would read a relative path against the instance folder.
    return f"sqlite:///{(directory / 'ikrar.sqlite3').resolve()}"


def ensure(records: int, *, echo: Any = print) -> tuple[Path, float | None]:
    """The fixture folder for ``records`` records; generates it if missing. Returns (folder, seconds
    spent generating, or None when the cache was used)."""
    directory = CACHE / f"fixture-{records}"
    meta = directory / "meta.json"
    if meta.exists():
        data = json.loads(meta.read_text())
        if data.get("version") == FIXTURE_VERSION and data.get("records") == records:
            return directory, None
    echo(f"generating a {records:,}-record fixture in {directory} (cached for later runs)…")
    if directory.exists():
        subprocess.run(["rm", "-rf", str(directory)], check=True)
    directory.mkdir(parents=True)
    started = time.perf_counter()
    env = instance_env(directory, sqlite_url(directory))
    command = [sys.executable, "-m", "bench.fixtures", str(directory), str(records)]
    subprocess.run(command, env=env, check=True)
    elapsed = time.perf_counter() - started
    meta.write_text(json.dumps({"version": FIXTURE_VERSION, "records": records, "seconds": elapsed}))
    return directory, elapsed


def postgres_copy(directory: Path, database: str, *, echo: Any = print) -> str:
    """The PostgreSQL twin of the fixture (database ``database``), copied from SQLite when stale.

    The twin is current when its stored checkpoint is the fixture's: same log key, same size,
    same root. (Another checkout's fixture of the same size has other keys, hence another note.)
    """
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{database}"
    env = instance_env(directory, url)
    if _pg_checkpoint(database) != (directory / "checkpoint").read_text():
        echo(f"copying the fixture into PostgreSQL database {database}…")
        Path(env["IKRAR_WITNESS_FILE"]).unlink(missing_ok=True)  # a new database: nothing signed on it yet
        subprocess.run([sys.executable, "-m", "bench.pgcopy", str(directory), database], env=env, check=True)
    # The copy is a database this server has never signed: its witness accepts it, as an operator
    # does after a deliberate restore (docs/DEPLOY.md §5). Harmless when already accepted.
    subprocess.run(
        [sys.executable, "-m", "registry", "log", "accept-database", "--yes"],
        env=env,
        check=True,
        capture_output=True,
    )
    return url


def _pg_checkpoint(database: str) -> str | None:
    import psycopg

    try:
        with psycopg.connect(f"host=127.0.0.1 user=postgres dbname={database}") as conn:
            row = conn.execute("SELECT checkpoint FROM log_head WHERE id = 1").fetchone()
            return str(row[0]) if row else None
    except psycopg.Error:
        return None


# --- generation (runs in its own process, with instance_env set) ---------------------------------


def _generate(directory: Path, records: int) -> None:
    from sqlalchemy import insert, select

    from registry import create_app, demo
    from registry.cli.setup import initialise
    from registry.core import codes, merkle
    from registry.core import strokes as strokes_core
    from registry.core.canonical import format_instant, sha256_hex
    from registry.core.chain import make_entry
    from registry.core.records import RECORD_TYPE, sign_record
    from registry.core.tlog import Checkpoint, sign_checkpoint
    from registry.extensions import db
    from registry.models import LogEntry, LogHead, MerkleNode, SignatureRecord
    from registry.services import checkpoints, commitments
    from registry.services.signing import new_record_id

    app = create_app(startup_checks=False)
    rng = random.Random(20240912)
    with app.app_context():
        initialise()
        demo.load()
        signer = app.extensions["ikrar.signers"].for_purpose("record")
        version = commitments.get_version(SLUG, published_only=True)
        dims, cats = version.dimension_ids, version.category_ids
        strokes = strokes_core.canonicalise(
            [[{"x": x, "y": y, "t": t, "p": p / 1000} for x, y, t, p in s] for s in STROKES]
        )
        strokes_blob = strokes_core.strokes_bytes(strokes)
        strokes_hash = sha256_hex(strokes_blob)
        head = db.session.execute(select(LogHead)).scalar_one()
        last_time = db.session.execute(
            select(LogEntry.time).where(LogEntry.index == head.size - 1)
        ).scalar_one()
        frontier = merkle.Frontier.from_bytes(head.size, head.frontier)
        prev, index = head.head_hash, head.size
        db.session.commit()
        seen_codes: set[str] = set()
        sample: list[str] = []
        entries: list[dict[str, Any]] = []
        rows: list[dict[str, Any]] = []
        nodes: list[dict[str, Any]] = []
        started = time.perf_counter()
        for n in range(records):
            # A thousand signings per millisecond keeps the whole fixture within seconds of now.
            moment = last_time + timedelta(milliseconds=n // 1000)
            code = codes.new_code()
            while code in seen_codes:
                code = codes.new_code()
            seen_codes.add(code)
            if len(sample) < SAMPLE_CODES and rng.random() < 1.1 * SAMPLE_CODES / records:
                sample.append(code)
            record_id = new_record_id()
            signatory = {
                "name": f"Peserta Uji {n:07d}",
                "position": rng.choice(["Kepala Dinas", "Dosen", "Direktur", "Ketua Komunitas"]),
                "institution": f"Instansi {n % 997:03d}",
                "category": cats[n % len(cats)],
            }
            chosen = [d for d in dims if rng.random() < 0.5] or [dims[0]]
            public_display = n % 5 != 0
            record = {
                "type": RECORD_TYPE,
                "id": record_id,
                "code": code,
                "commitment": {"id": SLUG, "version": version.version, "text_sha256": version.text_sha256},
                "signatory": signatory,
                "dimensions": chosen,
                "consent": {"text_sha256": version.consent_sha256, "public_display": public_display},
                "handwriting": {"strokes_sha256": strokes_hash},
                "signed_at": format_instant(moment),
                "claimed_at": None,
                "operator": None,
                "device": "bench",
                "kid": signer.kid,
            }
            signed = sign_record(record, signer)
            entry = make_entry(
                index,
                moment,
                "signature:create",
                {
                    "record_id": record_id,
                    "record_sha256": signed.sha256,
                    "commitment": SLUG,
                    "version": version.version,
                    "kid": signer.kid,
                },
                prev,
            )
            frontier, completed = frontier.append(merkle.leaf_hash(entry.canonical))
            entries.append(
                {
                    "index": index,
                    "body": entry.canonical,
                    "hash": entry.hash,
                    "prev": prev,
                    "type": entry.type,
                    "time": moment,
                }
            )
            nodes.extend({"level": lv, "index": ix, "hash": h} for lv, ix, h in completed)
            rows.append(
                {
                    "id": record_id,
                    "code": code,
                    "commitment_version_id": version.id,
                    "invitee_id": None,
                    "body": signed.canonical,
                    "signature": signed.signature,
                    "kid": signer.kid,
                    "log_index": index,
                    "signed_at": moment,
                    "claimed_at": None,
                    "public_display": public_display,
                    "strokes": strokes_blob,
                    "client_id": None,
                    "idempotency_key": None,
                    "request_sha256": None,
                    **signatory,
                }
            )
            prev, index = entry.hash, index + 1
            if len(rows) >= BATCH or n == records - 1:
                db.session.execute(insert(LogEntry), entries)
                db.session.execute(insert(MerkleNode), nodes)
                db.session.execute(insert(SignatureRecord), rows)
                db.session.commit()
                entries, rows, nodes = [], [], []
                if (n + 1) % 100_000 == 0:
                    rate = (n + 1) / (time.perf_counter() - started)
                    print(f"  {n + 1:,} records ({rate:,.0f}/s)", flush=True)
        sealer = checkpoints.sealer()
        signer = sealer.note_signer()
        note = sign_checkpoint(Checkpoint(sealer.origin, index, frontier.root()), signer)
        head = db.session.execute(select(LogHead)).scalar_one()
        head.size, head.head_hash, head.frontier = index, prev, frontier.to_bytes()
        head.checkpoint, head.checkpoint_size = note, index
        db.session.commit()
        checkpoints.witness_after_commit(sealer, signer, note, index)()
        _export(directory, note, sample)
        # The verifier key exactly as GET /log/key serves it.
        (directory / "log.key").write_text(checkpoints.log_verifier().verifier_key() + "\n")


def _export(directory: Path, note: str, sample: list[str]) -> None:
    """What an auditor downloads: every entry's canonical bytes, one per line, and the checkpoint."""
    from sqlalchemy import select

    from registry.extensions import db
    from registry.models import LogEntry

    with open(directory / "log.jsonl", "wb") as out:
        result = db.session.execute(
            select(LogEntry.body).order_by(LogEntry.index).execution_options(yield_per=10_000)
        )
        for (body,) in result:
            out.write(bytes(body) + b"\n")
    (directory / "checkpoint").write_text(note)
    (directory / "codes.txt").write_text("\n".join(sample) + "\n")


if __name__ == "__main__":
    _generate(Path(sys.argv[1]), int(sys.argv[2]))
