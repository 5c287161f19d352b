"""Ikrar's benchmark: every operation measured beside its limit on this machine, in one table.

    python -m bench                      # full run: 1,000,000-record fixtures, SQLite and PostgreSQL
    python -m bench --smoke              # seconds-long run on a small fixture (CI: it still runs)
    python -m bench --load               # also the event-day and news-spike load scenarios

See docs/PERFORMANCE.md for what each row means and the latest results.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench import fixtures, server, wrk

SLUG = fixtures.SLUG


@dataclass
class Row:
    operation: str
    backend: str
    ikrar: str
    limit: str
    ratio: str
    target: str
    met: bool | None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class Settings:
    records: int
    seconds: float
    connections: int
    samples: int
    rounds: int
    backends: list[str]
    load: bool
    news_seconds: float


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny fixture, 1-second runs: checks it runs")
    parser.add_argument("--records", type=int, help="fixture size (default 1,000,000; smoke 2,000)")
    parser.add_argument("--seconds", type=float, help="length of each HTTP measurement (default 10)")
    parser.add_argument("--backends", default="sqlite,postgresql", help="comma-separated: sqlite,postgresql")
    parser.add_argument("--load", action="store_true", help="also run the event-day and news-spike scenarios")
    parser.add_argument("--news-seconds", type=float, default=300.0, help="news-spike length (default 300)")
    parser.add_argument("--json", type=Path, help="also write the results here as JSON")
    parser.add_argument("--report", type=Path, help="only print the tables of a run saved with --json")
    args = parser.parse_args(argv)
    if args.report:
        saved = json.loads(args.report.read_text())
        print(saved["machine"])
        print(render([Row(**row) for row in saved["rows"]]))
        if saved.get("scenarios"):
            print(render_scenarios(saved["scenarios"]))
        return 0
    if not wrk.available():
        print("wrk is not installed: apt-get install wrk (it is the HTTP load generator)", file=sys.stderr)
        return 2
    settings = Settings(
        records=args.records or (2_000 if args.smoke else 1_000_000),
        seconds=args.seconds or (1.0 if args.smoke else 10.0),
        connections=16,
        samples=3 if args.smoke else 40,
        rounds=1 if args.smoke else 3,
        backends=[b for b in args.backends.split(",") if b],
        load=args.load or args.smoke,
        news_seconds=3.0 if args.smoke else args.news_seconds,
    )
    unknown = set(settings.backends) - {"sqlite", "postgresql"}
    if unknown:
        parser.error(f"unknown backend {sorted(unknown)[0]!r}")
    started = time.perf_counter()
    print(machine_line())
    fixture, generated = fixtures.ensure(settings.records)
    print(
        f"fixture: {settings.records:,} records in {fixture}"
        + (f" (generated in {generated:.0f} s)" if generated is not None else " (cached)")
    )
    rows: list[Row] = []
    logs = fixtures.CACHE / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    scenarios: dict[str, Any] = {}
    for backend in settings.backends:
        rows += signing_rows(backend, settings, logs)
        env = fixture_env(fixture, backend)
        rows += verify_rows(backend, env, fixture, settings, logs)
        rows += probe_rows(backend, env, settings)
    rows.append(audit_row(fixture))
    print()
    print(render(rows), flush=True)
    save(args.json, settings, rows, scenarios)
    if settings.load and "postgresql" in settings.backends:
        scenarios = run_scenarios(fixture, settings, logs)
        print(render_scenarios(scenarios))
        save(args.json, settings, rows, scenarios)
    print(f"\nbenchmark took {time.perf_counter() - started:.0f} s")
    return 0


def save(target: Path | None, settings: Settings, rows: list[Row], scenarios: dict[str, Any]) -> None:
    """Write the results so far (the table is saved before the long load scenarios start)."""
    if target is None:
        return
    document = {"machine": machine_line(), "records": settings.records, "rows": [asdict(r) for r in rows]}
    target.write_text(json.dumps(document | {"scenarios": scenarios}, indent=2))


# --- rows ----------------------------------------------------------------------------------------


def trivial(base: str, settings: Settings) -> wrk.WrkResult:
    return wrk.run(base, "get.lua", ["/healthz"], seconds=settings.seconds, connections=settings.connections)


def beside_trivial(
    base: str, script: str, args: Callable[[int], list[str]], settings: Settings
) -> tuple[wrk.WrkResult, wrk.WrkResult, float]:
    """The operation and /healthz in alternating rounds; the round with the median ratio.

    Alternating cancels slow drifts of this shared machine, and the median drops a round in
    which gunicorn happened to hand most connections to one of its two workers (seen here:
    /healthz anywhere between 950 and 3,400 requests/s from one run to the next).
    """
    rounds = []
    for number in range(settings.rounds):
        floor = trivial(base, settings)
        result = wrk.run(
            base, script, args(number), seconds=settings.seconds, connections=settings.connections
        )
        rounds.append((result.rate / floor.rate if floor.rate else 0.0, result, floor))
    rounds.sort(key=lambda r: r[0])
    ratio, result, floor = rounds[len(rounds) // 2]
    return result, floor, ratio


def signing_rows(backend: str, settings: Settings, logs: Path) -> list[Row]:
    """Signings per second over HTTP on a fresh registry, against /healthz on the same server."""
    env, token = server.fresh_registry(backend)
    run = f"{backend}-{int(time.time())}"
    with server.serving(env, logs / f"signing-{backend}.log") as base:
        signing, floor, ratio = beside_trivial(
            base, "sign.lua", lambda n: [token, SLUG, f"{run}-{n}"], settings
        )
    audit_ok = _log_verifies(env)
    return [
        Row(
            "signing, end to end over HTTP",
            backend,
            f"{signing.rate:,.0f}/s (p95 {signing.p95_ms:.0f} ms, {signing.errors} errors)",
            f"/healthz {floor.rate:,.0f}/s",
            f"{ratio:.2f}",
            "≥ 0.5 and ≥ 300/s",
            ratio >= 0.5 and signing.rate >= 300 and signing.errors == 0 and audit_ok,
            {"signing": asdict(signing), "trivial": asdict(floor), "log_verifies": audit_ok},
        )
    ]


def _log_verifies(env: dict[str, str]) -> bool:
    """After the signing run, the log still verifies end to end (`ikrar log verify` on the database)."""
    done = subprocess.run(
        [sys.executable, "-m", "registry", "log", "verify"], env=env, capture_output=True, text=True
    )
    return done.returncode == 0


def fixture_env(fixture: Path, backend: str) -> dict[str, str]:
    if backend == "postgresql":
        url = fixtures.postgres_copy(fixture, f"ikrar_bench_{fixture.name.split('-')[-1]}")
    else:
        url = fixtures.sqlite_url(fixture)
    return fixtures.instance_env(fixture, url)


def verify_rows(
    backend: str, env: dict[str, str], fixture: Path, settings: Settings, logs: Path
) -> list[Row]:
    """Verify page and JSON on the big fixture, against /healthz; then p95 at a paced 150 req/s."""
    codes = str(fixture / "codes.txt")
    rows = []
    with server.serving(env, logs / f"verify-{backend}.log") as base:
        for label, prefix in (("verify page", "/v/"), ("verify JSON", "/api/v1/verify/")):

            def verify_args(n: int, prefix: str = prefix) -> list[str]:
                return [codes, prefix, str(n)]

            result, floor, ratio = beside_trivial(base, "verify.lua", verify_args, settings)
            paced = wrk.run(
                base,
                ["verify.lua", "paced.lua"],
                [codes, prefix, "2", str(round(10 * 1000 / 150))],
                seconds=max(settings.seconds, 2.0),
                connections=10,
            )
            rows.append(
                Row(
                    f"{label}, {settings.records:,} records",
                    backend,
                    f"{result.rate:,.0f}/s; p95 {paced.p95_ms:.1f} ms at {paced.rate:.0f}/s",
                    f"/healthz {floor.rate:,.0f}/s",
                    f"{ratio:.2f}",
                    "≥ 0.7; p95 ≤ 20 ms at 150/s",
                    ratio >= 0.7 and paced.p95_ms <= 20 and result.errors == 0 and paced.errors == 0,
                    {"saturated": asdict(result), "paced": asdict(paced), "trivial": asdict(floor)},
                )
            )
    return rows


def _probe(env: dict[str, str], *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.probes", *args], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"probe {args[0]} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def probe_rows(backend: str, env: dict[str, str], settings: Settings) -> list[Row]:
    cert = _probe(env, "certificate", str(settings.samples))
    proofs = _probe(env, "proofs", str(settings.samples * 10))
    store = _probe(env, "storage")
    cert_ratio = cert["ikrar_ms"] / cert["bare_ms"]
    worst_proof = max(proofs["inclusion_p50_ms"], proofs["consistency_p50_ms"])
    return [
        Row(
            "certificate PDF",
            backend,
            f"{cert['ikrar_ms']:.0f} ms, {cert['pdf_bytes'] / 1024:.0f} KiB",
            f"bare reportlab+qrcode {cert['bare_ms']:.0f} ms",
            f"{cert_ratio:.2f}×",
            "≤ 1.5×",
            cert_ratio <= 1.5,
            cert,
        ),
        Row(
            f"inclusion / consistency proof, {proofs['size']:,} entries",
            backend,
            f"p50 {proofs['inclusion_p50_ms']:.2f} / {proofs['consistency_p50_ms']:.2f} ms; "
            f"p99 {proofs['inclusion_p99_ms']:.2f} / {proofs['consistency_p99_ms']:.2f} ms",
            "—",
            "—",
            "≤ 2 ms each",
            worst_proof <= 2.0,
            proofs,
        ),
        Row(
            "storage",
            backend,
            f"{store['record_bytes']:,.0f} B/record (+{store['strokes_bytes']:,.0f} B strokes); "
            f"{store['entry_bytes']:,.0f} B/log entry "
            f"(+{store['merkle_bytes_per_entry']:,.0f} B Merkle nodes)",
            "—",
            "—",
            "reported",
            None,
            store,
        ),
    ]


def _timed_command(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - started


def audit_row(fixture: Path) -> Row:
    """`ikrar audit` over the export against hashlib + cryptography over the same bytes (one core each)."""
    log, checkpoint, key = fixture / "log.jsonl", fixture / "checkpoint", fixture / "log.key"
    audit_s = _timed_command(
        [
            sys.executable,
            "-m",
            "registry",
            "audit",
            "--file",
            str(log),
            "--checkpoint",
            str(checkpoint),
            "--key",
            key.read_text().strip(),
        ]
    )
    floor_s = _timed_command([sys.executable, "-m", "bench.audit_floor", str(log), str(checkpoint), str(key)])
    with open(log, "rb") as lines:
        entries = sum(1 for _ in lines)
    ratio = audit_s / floor_s
    return Row(
        f"ikrar audit --file, {entries:,} entries",
        "file",
        f"{audit_s:.1f} s ({entries / audit_s:,.0f} entries/s)",
        f"hashlib+cryptography {floor_s:.1f} s",
        f"{ratio:.1f}×",
        "≤ 1.3×",
        ratio <= 1.3,
        {"audit_s": audit_s, "floor_s": floor_s, "entries": entries, "bytes": log.stat().st_size},
    )


def run_scenarios(fixture: Path, settings: Settings, logs: Path) -> dict[str, Any]:
    """Event day on a fresh PostgreSQL registry; news spike on a copy of the big fixture.

    locust runs in its own process (python -m bench.load): it patches the interpreter for gevent.
    """
    results: dict[str, Any] = {}
    env, token = server.fresh_registry("postgresql")
    small = settings.records < 100_000
    people, tablets = (40, 4) if small else (500, 20)
    with server.serving(env, logs / "event-day.log") as base:
        results["event_day"] = _load(
            "event-day", base, token, "--tablets", str(tablets), "--people", str(people)
        )
    results["event_day"]["log_verifies"] = _log_verifies(env)
    results["event_day"]["records_in_database"] = _count_records(env)
    source = f"ikrar_bench_{fixture.name.split('-')[-1]}"
    fixtures.postgres_copy(fixture, source)
    url = server.recreate_database("ikrar_bench_news", template=source)
    env = fixtures.instance_env(fixture, url)
    # A new copy of the fixture: forget the checkpoint the previous copy's server signed, and
    # accept the copy as an operator does after a deliberate restore (docs/DEPLOY.md §5).
    Path(env["IKRAR_WITNESS_FILE"]).unlink(missing_ok=True)
    server.accept_database(env)
    token = server.device_token(env)
    with server.serving(env, logs / "news-spike.log") as base:
        results["news_spike"] = _load(
            "news-spike",
            base,
            token,
            "--codes",
            str(fixture / "codes.txt"),
            "--seconds",
            str(settings.news_seconds),
        )
    results["news_spike"]["log_verifies"] = _log_verifies(env)
    server.drop_database("ikrar_bench_news")
    return results


def _load(scenario: str, base: str, token: str, *options: str) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.load", scenario, "--url", base, "--token", token, "--slug", SLUG]
    done = subprocess.run([*command, *options], capture_output=True, text=True, check=False)
    if done.returncode not in (0, 1):  # 1: ran, but a check failed; the result says which
        raise RuntimeError(f"bench.load {scenario} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _count_records(env: dict[str, str]) -> int:
    script = (
        "from sqlalchemy import func, select\nfrom registry import create_app\n"
        "from registry.extensions import db\nfrom registry.models import SignatureRecord\n"
        "app = create_app(startup_checks=False)\nwith app.app_context():\n"
        "    print(db.session.execute(select(func.count()).select_from(SignatureRecord)).scalar_one())\n"
    )
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    return int(done.stdout.strip())


# --- output --------------------------------------------------------------------------------------


def machine_line() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        memory = int(Path("/proc/meminfo").read_text().split()[1]) / 1024 / 1024
    except OSError:
        memory = 0.0
    sqlite = __import__("sqlite3").sqlite_version
    return (
        f"machine: {cpu}, {server.cpu_count()} cores, {memory:.0f} GiB; Linux {platform.release()}; "
        f"Python {platform.python_version()}; SQLite {sqlite}; PostgreSQL {_pg_version()}"
    )


def _pg_version() -> str:
    try:
        import psycopg

        with psycopg.connect(server.PG_ADMIN) as conn:
            row = conn.execute("SHOW server_version").fetchone()
            return str(row[0]).split()[0] if row else "?"
    except Exception:
        return "not reachable"


def render(rows: list[Row]) -> str:
    header = ("operation", "db", "Ikrar", "limit measured beside it", "ratio", "target", "met")
    lines = [header] + [
        (r.operation, r.backend, r.ikrar, r.limit, r.ratio, r.target, _met(r.met)) for r in rows
    ]
    return _table(lines)


def _met(value: bool | None) -> str:
    return "—" if value is None else ("yes" if value else "NO")


def _table(lines: Sequence[tuple[str, ...]]) -> str:
    out = ["| " + " | ".join(lines[0]) + " |", "|" + "|".join("---" for _ in lines[0]) + "|"]
    out += ["| " + " | ".join(line) + " |" for line in lines[1:]]
    return "\n".join(out)


def render_scenarios(results: dict[str, Any]) -> str:
    """The load scenarios as a second table (the full numbers are in the --json file)."""
    lines: list[tuple[str, ...]] = [("scenario", "requests", "p50 / p95 / p99 ms", "errors", "checks")]
    day = results.get("event_day")
    if day:
        lat = day["latency_ms"]
        lines.append(
            (
                f"event day: {day['tablets']} tablets, {day['people']} people, bursts of {day['tablets']}",
                f"{day['first_submissions']} + {day['retries']} idempotent retries in {day['wall_s']} s "
                f"({day['signings_per_s']} signings/s)",
                f"{lat['p50']} / {lat['p95']} / {lat['p99']}",
                str(day["errors"]),
                f"{day['distinct_record_ids']} distinct records, "
                f"{day['records_in_database']} in the database; "
                f"log verifies: {'yes' if day['log_verifies'] else 'NO'}",
            )
        )
    spike = results.get("news_spike")
    if spike:
        verify, signing = spike["verify"], spike["signing"]
        lines.append(
            (
                f"news spike: {spike['target_rate']:.0f} verify/s for {spike['seconds']:.0f} s, 20 % invalid",
                f"{verify['count']} verify ({verify['achieved_rate']}/s), {signing['count']} signings",
                "verify "
                + " / ".join(str(verify["latency_ms"][k]) for k in ("p50", "p95", "p99"))
                + "; signing "
                + " / ".join(str(signing["latency_ms"][k]) for k in ("p50", "p95", "p99")),
                f"{spike['server_errors_5xx']} 5xx, {spike['unexpected']} unexpected",
                f"log verifies: {'yes' if spike['log_verifies'] else 'NO'}",
            )
        )
    return "\nload scenarios (PostgreSQL, locust, against ikrar serve):\n" + _table(lines)


if __name__ == "__main__":
    raise SystemExit(main())
