"""A wheel built from the repository runs on its own: templates, migrations and static files inside.

Builds the wheel from a copy of the sources (so the checkout gets no build/ folder), installs it
with ``--no-deps`` into a fresh venv outside the checkout, lends that venv the dependencies already
installed for the tests (a .pth line: plain path entries, so the editable ``registry`` of the test
environment is not among them), then runs ``ikrar init`` and ``ikrar serve`` with no IKRAR_*
setting but IKRAR_INSTANCE_DIR (SQLite, keys and passphrase file then default into it).
The build fetches setuptools and wheel from the configured package index (offline mirror here).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT, free_port

pytestmark = pytest.mark.same_on_every_database

SOURCES = (
    "registry",
    "templates",
    "migrations",
    "setup.py",
    "setup.cfg",
    "pyproject.toml",
    "MANIFEST.in",
    "README.md",
    "tools/verify_log.py",
    "docs/FORMATS.md",
)


def _run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _get(url: str) -> tuple[int, str, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.headers.get("Content-Type", ""), response.read()


@pytest.mark.slow
def test_built_wheel_initialises_and_serves(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    _run(
        sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", tmp_path / "dist", source, cwd=tmp_path
    )
    (wheel,) = (tmp_path / "dist").glob("ikrar-*.whl")

    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp_path)
    _run(
        sys.executable,
        "-m",
        "pip",
        "--python",
        venv / "bin" / "python",
        "install",
        "-q",
        "--no-deps",
        wheel,
        cwd=tmp_path,
    )
    (site,) = (venv / "lib").glob("python3*/site-packages")
    lent = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "zz_test_dependencies.pth").write_text("\n".join(sorted(lent)) + "\n", encoding="utf-8")

    run = tmp_path / "run"
    run.mkdir()
    instance = run / "instance"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IKRAR_", "PYTHON"))}
    env["IKRAR_INSTANCE_DIR"] = str(instance)  # the only setting: the rest are the defaults
    python = venv / "bin" / "python"
    where = _run(
        python,
        "-c",
        "import registry.paths as p; print(p.installed(), p.TEMPLATES, p.MIGRATIONS)",
        cwd=run,
        env=env,
    )
    installed, templates, migrations = where.split()
    assert installed == "True"
    assert Path(templates).is_relative_to(site) and Path(migrations).is_relative_to(site)

    initialised = _run(venv / "bin" / "ikrar", "init", cwd=run, env=env)
    assert "generated key" in initialised and "database ready" in initialised
    assert (instance / "ikrar.sqlite3").is_file() and any((instance / "keys").glob("*.pem"))

    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen(
        [str(venv / "bin" / "ikrar"), "serve", "--port", str(port), "--workers", "1"],
        cwd=run,
        env=env | {"IKRAR_BASE_URL": f"http://127.0.0.1:{port}"},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                status, _, _ = _get(base + "/healthz")
                break
            except OSError:
                assert server.poll() is None, (tmp_path / "serve.log").read_text()
                time.sleep(0.2)
        assert status == 200
        status, kind, body = _get(base + "/static/kiosk/kiosk.js")
        assert status == 200 and "javascript" in kind and body
        status, kind, body = _get(base + "/kiosk/sw.js")
        assert status == 200 and "javascript" in kind and body
        status, kind, body = _get(base + "/openapi.json")
        assert status == 200 and b'"openapi"' in body
        # The /audit downloads come from the package (registry/_downloads), byte for byte.
        status, kind, body = _get(base + "/audit/verify_log.py")
        assert status == 200 and body == (ROOT / "tools" / "verify_log.py").read_bytes()
        status, kind, body = _get(base + "/audit/FORMATS.md")
        assert status == 200 and "markdown" in kind and body == (ROOT / "docs" / "FORMATS.md").read_bytes()
        assert (site / "registry" / "_downloads" / "verify_log.py").is_file()
        status, kind, body = _get(base + "/favicon.ico")
        assert status == 200 and b"<svg" in body
        status, kind, body = _get(base + "/")  # the public home page, from the wheel's templates
        assert status == 200 and b'name="code"' in body
        status, kind, body = _get(base + "/login")  # a template from the wheel
        assert status == 200 and "text/html" in kind and b"<form" in body
    finally:
        server.terminate()
        server.wait(timeout=15)
        log.close()
