"""docs/DEPLOY.md as a script: its rehearsed code blocks, moved onto the test machine.

A block marked ``<!-- rehearsed: NAME -->`` right before its fence is taken as written; only the
places that name the production host change (paths, database, ports, the public address), by
plain text substitution in a fixed order, so what runs is what an operator would type. Lines an
operator runs as root on the real host (packages, git, systemd) are skipped and counted.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "DEPLOY.md"
MARKED = re.compile(r"<!-- rehearsed: ([a-z-]+) -->\n\s*```[a-z]*\n(.*?)\n\s*```", re.S)
# Lines of a rehearsed block that only make sense on the real host; the guide calls them manual
# (``pip install``: the test runs in its own, already installed environment).
MANUAL = ("git ", "systemctl ", "python3 -m venv ", "apt-get ")


def blocks() -> dict[str, str]:
    """Each rehearsed block of the guide by name, its lines dedented."""
    found: dict[str, str] = {}
    for name, text in MARKED.findall(GUIDE.read_text()):
        assert name not in found, f"two blocks named {name} in {GUIDE.name}"
        found[name] = "\n".join(line.strip() for line in text.splitlines())
    return found


@dataclass
class Host:
    """Where the guide's host lives in this test: a temporary folder, a test database, free ports."""

    home: Path  # the guide's /srv/ikrar
    etc: Path  # the guide's /etc/ikrar
    database: str  # a database name on the test's PostgreSQL server
    server: str  # that server as host:port
    port: int  # instead of 8000
    substitutions: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        environment = str(Path(sys.prefix))
        self.substitutions = [
            ("sudo -E -u ikrar ", ""),
            ("sudo -u ikrar ", ""),
            ("sudo -u postgres ", ""),
            ("createdb -O ikrar ", "createdb "),  # the test's server has no role ikrar; postgres owns
            ("postgresql+psycopg://ikrar@/ikrar_restored", self.url("_restored")),
            ("postgresql+psycopg://ikrar@/ikrar", self.url()),
            ("ikrar_restored", f"{self.database}_restored"),
            ("--dbname=ikrar ", f"--dbname={self.database} "),
            ("/srv/ikrar/app/.venv", environment),
            (".venv/bin/", f"{environment}/bin/"),
            ("/srv/ikrar/app", str(ROOT)),
            ("/srv/ikrar", str(self.home)),
            ("/etc/ikrar", str(self.etc)),
            ("https://ikrar.purbalinggakab.go.id", self.base_url),
            ("--port 8000", f"--port {self.port}"),
            ("~/ikrar-audit", str(self.home / "audit-state")),
        ]

    def url(self, suffix: str = "") -> str:
        return f"postgresql+psycopg://postgres@{self.server}/{self.database}{suffix}"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def moved(self, text: str) -> str:
        """One pass, the first listed (longest) production text winning where several start."""
        table = dict(self.substitutions)
        pattern = "|".join(re.escape(production) for production, _ in self.substitutions)
        return re.sub(pattern, lambda found: table[found.group(0)], text)

    def shell_environment(self) -> dict[str, str]:
        """The test's environment without its IKRAR_ settings; libpq pointed at the test server."""
        host, port = self.server.split(":")
        variables = {k: v for k, v in os.environ.items() if not k.startswith(("IKRAR_", "PG"))}
        return variables | {"PGHOST": host, "PGPORT": port, "PGUSER": "postgres"}

    def run(
        self, block: str, *, settings: bool = False, move: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Run a block's lines in bash (stopping at the first failure), skipping the manual ones."""
        moved = self.moved(block) if move else block
        lines = [line for line in moved.splitlines() if not line.startswith(MANUAL)]
        if settings:  # "as ikrar in /srv/ikrar/app with the settings loaded"
            lines = [f"cd {ROOT}", f"set -a; . {self.etc / 'ikrar.env'}; set +a", *lines]
        script = "\n".join(line for line in lines if "pip install" not in line)
        return subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            env=self.shell_environment(),
            cwd=self.home,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )


def read_settings(path: Path) -> dict[str, str]:
    """KEY=VALUE lines as systemd's EnvironmentFile reads them (double quotes around a value removed)."""
    return {key: value.removeprefix('"').removesuffix('"') for key, value in _pairs(path.read_text()).items()}


def unit_service(unit: str) -> dict[str, str]:
    """The [Service] section of the guide's systemd unit."""
    return _pairs(unit.split("[Service]", 1)[1].split("\n[", 1)[0])


def _pairs(text: str) -> dict[str, str]:
    lines = (line.strip() for line in text.splitlines())
    pairs = (line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))
    return {key.strip(): value.strip() for key, value in pairs}
