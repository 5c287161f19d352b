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
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the registry is imported only in the generating process (after instance_env)
    from registry.core import merkle
    from registry.core.keys import Signer
    from registry.models import CommitmentVersion

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


@dataclass
class _Run:
    """What every signing of the fixture shares, and the log as it grows (next index, last hash)."""

    version: CommitmentVersion
    signer: Signer
    strokes_blob: bytes
    strokes_hash: str
    rng: random.Random
    index: int
    prev: str
    frontier: merkle.Frontier
    seen_codes: set[str] = field(default_factory=set)
    sample: list[str] = field(default_factory=list)


def _generate(directory: Path, records: int) -> None:
    from registry import create_app, demo
    from registry.cli.setup import initialise

    app = create_app(startup_checks=False)
    with app.app_context():
        initialise()
        demo.load()
        run, last_time = _start(app.extensions["ikrar.signers"].for_purpose("record"))
        _sign_all(run, records, last_time)
        _seal(directory, run)


def _start(signer: Signer) -> tuple[_Run, datetime]:
    """The demo commitment's published version, the one handwriting, and the log's head to grow from."""
    from sqlalchemy import select

    from registry.core import merkle
    from registry.core import strokes as strokes_core
    from registry.core.canonical import sha256_hex
    from registry.extensions import db
    from registry.models import LogEntry, LogHead
    from registry.services import commitments

    rng = random.Random(20240912)
    version = commitments.get_version(SLUG, published_only=True)
    strokes = strokes_core.canonicalise(
        [[{"x": x, "y": y, "t": t, "p": p / 1000} for x, y, t, p in s] for s in STROKES]
    )
    strokes_blob = strokes_core.strokes_bytes(strokes)
    head = db.session.execute(select(LogHead)).scalar_one()
    last_time = db.session.execute(select(LogEntry.time).where(LogEntry.index == head.size - 1)).scalar_one()
    frontier = merkle.Frontier.from_bytes(head.size, head.frontier)
    run = _Run(
        version, signer, strokes_blob, sha256_hex(strokes_blob), rng, head.size, head.head_hash, frontier
    )
    db.session.commit()
    return run, last_time


def _sign_all(run: _Run, records: int, last_time: datetime) -> None:
    """Sign ``records`` records and append them to the log, inserted in batches of BATCH."""
    from sqlalchemy import insert

    from registry.extensions import db
    from registry.models import LogEntry, MerkleNode, SignatureRecord

    entries: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    nodes: list[dict[str, Any]] = []
    started = time.perf_counter()
    for n in range(records):
        # A thousand signings per millisecond keeps the whole fixture within seconds of now.
        _sign_one(run, n, records, last_time + timedelta(milliseconds=n // 1000), entries, rows, nodes)
        if len(rows) >= BATCH or n == records - 1:
            db.session.execute(insert(LogEntry), entries)
            db.session.execute(insert(MerkleNode), nodes)
            db.session.execute(insert(SignatureRecord), rows)
            db.session.commit()
            entries, rows, nodes = [], [], []
            if (n + 1) % 100_000 == 0:
                rate = (n + 1) / (time.perf_counter() - started)
                print(f"  {n + 1:,} records ({rate:,.0f}/s)", flush=True)


def _new_code(run: _Run, records: int) -> str:
    from registry.core import codes

    code = codes.new_code()
    while code in run.seen_codes:
        code = codes.new_code()
    run.seen_codes.add(code)
    if len(run.sample) < SAMPLE_CODES and run.rng.random() < 1.1 * SAMPLE_CODES / records:
        run.sample.append(code)
    return code


def _record(run: _Run, n: int, code: str, record_id: str, moment: datetime) -> dict[str, Any]:
    """The n-th signatory's record as the signing service would build it, before it is signed."""
    from registry.core.canonical import format_instant
    from registry.core.records import RECORD_TYPE

    version, rng = run.version, run.rng
    signatory = {
        "name": f"Peserta Uji {n:07d}",
        "position": rng.choice(["Kepala Dinas", "Dosen", "Direktur", "Ketua Komunitas"]),
        "institution": f"Instansi {n % 997:03d}",
        "category": version.category_ids[n % len(version.category_ids)],
    }
    chosen = [d for d in version.dimension_ids if rng.random() < 0.5] or [version.dimension_ids[0]]
    return {
        "type": RECORD_TYPE,
        "id": record_id,
        "code": code,
        "commitment": {"id": SLUG, "version": version.version, "text_sha256": version.text_sha256},
        "signatory": signatory,
        "dimensions": chosen,
        "consent": {"text_sha256": version.consent_sha256, "public_display": n % 5 != 0},
        "handwriting": {"strokes_sha256": run.strokes_hash},
        "signed_at": format_instant(moment),
        "claimed_at": None,
        "operator": None,
        "device": "bench",
        "kid": run.signer.kid,
    }


def _sign_one(
    run: _Run,
    n: int,
    records: int,
    moment: datetime,
    entries: list[dict[str, Any]],
    rows: list[dict[str, Any]],
    nodes: list[dict[str, Any]],
) -> None:
    """The n-th signing: its record signed, its log entry chained, and the rows that hold them."""
    from registry.core import merkle
    from registry.core.chain import make_entry
    from registry.core.records import sign_record
    from registry.services.signing import new_record_id

    version, signer, index, prev = run.version, run.signer, run.index, run.prev
    code = _new_code(run, records)
    record_id = new_record_id()
    record = _record(run, n, code, record_id, moment)
    signatory, public_display = record["signatory"], record["consent"]["public_display"]
    signed = sign_record(record, signer)
    payload = {
        "record_id": record_id,
        "record_sha256": signed.sha256,
        "commitment": SLUG,
        "version": version.version,
        "kid": signer.kid,
    }
    entry = make_entry(index, moment, "signature:create", payload, prev)
    run.frontier, completed = run.frontier.append(merkle.leaf_hash(entry.canonical))
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
            "strokes": run.strokes_blob,
            "client_id": None,
            "idempotency_key": None,
            "request_sha256": None,
            **signatory,
        }
    )
    run.prev, run.index = entry.hash, index + 1


def _seal(directory: Path, run: _Run) -> None:
    """Sign the grown log's checkpoint, store the head, witness it, and write what an auditor downloads."""
    from sqlalchemy import select

    from registry.core.tlog import Checkpoint, sign_checkpoint
    from registry.extensions import db
    from registry.models import LogHead
    from registry.services import checkpoints

    sealer = checkpoints.sealer()
    signer = sealer.note_signer()
    note = sign_checkpoint(Checkpoint(sealer.origin, run.index, run.frontier.root()), signer)
    head = db.session.execute(select(LogHead)).scalar_one()
    head.size, head.head_hash, head.frontier = run.index, run.prev, run.frontier.to_bytes()
    head.checkpoint, head.checkpoint_size = note, run.index
    db.session.commit()
    checkpoints.witness_after_commit(sealer, signer, note, run.index)()
    _export(directory, note, run.sample)
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
