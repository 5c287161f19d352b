"""Drive wrk (a C load generator, so the client costs the 2-core machine little) and read its numbers."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent / "wrk"


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p95_ms: float
    p99_ms: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def available() -> bool:
    return shutil.which("wrk") is not None


def run(
    base_url: str, script: str | list[str], args: list[str], *, seconds: float, connections: int
) -> WrkResult:
    """Closed-loop load: ``connections`` keep-alive connections, one wrk thread, for ``seconds``.

    ``script`` is one file of bench/wrk/ or several, joined in order (e.g. verify.lua + paced.lua).
    """
    parts = [script] if isinstance(script, str) else script
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as combined:
        # wrk takes one script: the scenario's parts followed by the shared JSON reporter.
        combined.write("\n".join((SCRIPTS / name).read_text() for name in [*parts, "report.lua"]))
    try:
        done = subprocess.run(
            [
                "wrk",
                "-t1",
                f"-c{connections}",
                f"-d{max(1, round(seconds))}s",
                "--timeout",
                "10s",
                "-s",
                combined.name,
                base_url,
                "--",
                *args,
            ],
            check=True,
            capture_output=True,
            text=True,
        )
    finally:
        Path(combined.name).unlink()
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRKJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result:\n{done.stdout}\n{done.stderr}")
    data = json.loads(line.removeprefix("WRKJSON "))
    errors = sum(
        data[k] for k in ("connect_errors", "read_errors", "write_errors", "status_errors", "timeouts")
    )
    return WrkResult(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        errors=errors,
        p50_ms=data["p50_us"] / 1000,
        p95_ms=data["p95_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
    )
