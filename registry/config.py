"""Settings, read from environment variables prefixed ``IKRAR_``, with safe embedded defaults."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from registry.core.errors import IkrarError


class ConfigError(IkrarError):
    """A setting is missing or malformed."""


@dataclass(frozen=True)
class Setting:
    env: str
    default: str
    description: str


# The README's configuration table is generated from this list (see docs/CONFIGURATION.md).
SETTINGS = (
    Setting(
        "IKRAR_INSTANCE_DIR",
        "<project>/instance",
        "Folder of the embedded database, secret key, witness file and demo passwords (kept 0700).",
    ),
    Setting(
        "IKRAR_DATABASE_URL",
        "sqlite:///<instance>/ikrar.sqlite3",
        "SQLAlchemy URL. `postgresql+psycopg://user@host/db` for PostgreSQL.",
    ),
    Setting("IKRAR_KEYS_DIR", "<project>/keys", "Directory of the encrypted private keys."),
    Setting(
        "IKRAR_KEY_PASSPHRASE", "(read from IKRAR_KEY_PASSPHRASE_FILE)", "Passphrase of the private keys."
    ),
    Setting(
        "IKRAR_KEY_PASSPHRASE_FILE",
        "<keys dir>/passphrase",
        "File holding the passphrase; `ikrar init` creates it (0600) in embedded mode.",
    ),
    Setting("IKRAR_BASE_URL", "http://127.0.0.1:5000", "Public address printed in QR codes."),
    Setting(
        "IKRAR_LOG_ORIGIN",
        "ikrar.localhost/log",
        "Origin line of signed checkpoints (schema-less URL, e.g. `purbalinggakab.go.id/ikrar`).",
    ),
    Setting(
        "IKRAR_WITNESS_FILE",
        "<instance>/checkpoint.witness",
        "Where this server remembers the last checkpoint it signed (outside the database).",
    ),
    Setting(
        "IKRAR_RATELIMIT_STORAGE",
        "sqlite:///<instance>/ratelimit.sqlite3",
        "Where rate limits and sign-in throttling count: the SQLite file every worker of one host "
        "shares, or redis://HOST:PORT/DB shared by several hosts (memory:// only with one worker).",
    ),
    Setting(
        "IKRAR_LOGIN_DELAY",
        "1",
        "First wait in seconds (1-60) after the free failed sign-ins; each further failure doubles it, "
        "up to 15 minutes.",
    ),
    Setting(
        "IKRAR_TRUSTED_PROXIES",
        "0",
        "Reverse proxies in front of Ikrar (0-5) whose X-Forwarded-For and X-Forwarded-Proto are believed.",
    ),
    Setting(
        "IKRAR_SECRET_KEY",
        "(generated into <instance>/secret_key)",
        "Flask secret for sessions and CSRF tokens.",
    ),
    Setting(
        "IKRAR_CONTROLLER_NAME",
        "Dinas Komunikasi dan Informatika Kabupaten Purbalingga",
        "Personal-data controller named on the privacy notice (/privasi): the office running the event.",
    ),
    Setting(
        "IKRAR_CONTROLLER_CONTACT",
        "(unset: the notice shows an example address, marked as such)",
        "Where data subjects send requests (access, correction, erasure, objection); set it in production.",
    ),
    Setting("IKRAR_MAX_BODY_BYTES", "1048576", "Largest request body accepted (413 above)."),
    Setting("IKRAR_SIGNING_LIMIT", "600 per minute", "Signings per credential or kiosk (Flask-Limiter)."),
    Setting("IKRAR_VERIFY_LIMIT", "60 per minute", "Verify page, JSON and upload requests per address."),
    Setting(
        "IKRAR_LOGIN_LIMIT",
        "10 per minute;100 per day",
        "Failed sign-in attempts per account and client address (staff and kiosk exit).",
    ),
)

DEMO_CONTROLLER = "Dinas Komunikasi dan Informatika Kabupaten Purbalingga"

# Rate-limit settings read from the environment when set (Flask-Limiter's "N per period;…").
_LIMITS = ("IKRAR_SIGNING_LIMIT", "IKRAR_VERIFY_LIMIT", "IKRAR_LOGIN_LIMIT")


def _project_root() -> Path:
    return Path(__file__).resolve().parent.parent


def instance_dir() -> str | None:
    """IKRAR_INSTANCE_DIR as an absolute path, or None for Flask's default (<project>/instance)."""
    value = os.environ.get("IKRAR_INSTANCE_DIR")
    return str(Path(value).resolve()) if value else None


def _secret_key(instance: Path) -> str:
    env = os.environ.get("IKRAR_SECRET_KEY")
    if env:
        return env
    target = instance / "secret_key"
    try:
        return target.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        instance.mkdir(mode=0o700, parents=True, exist_ok=True)
        value = secrets.token_urlsafe(48)
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another worker won the race
            return target.read_text(encoding="ascii").strip()
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(value)
        return value


def load(instance_path: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The Flask config mapping for this process."""
    instance = Path(instance_path)
    env = os.environ
    keys_dir = Path(env.get("IKRAR_KEYS_DIR") or _project_root() / "keys")
    database_url = env.get("IKRAR_DATABASE_URL") or f"sqlite:///{instance / 'ikrar.sqlite3'}"
    if database_url.startswith(("postgresql://", "postgres://")):
        # psycopg 3 is the driver Ikrar installs; the bare scheme would ask for psycopg2.
        database_url = "postgresql+psycopg://" + database_url.split("://", 1)[1]
    if not database_url.startswith(("sqlite:///", "postgresql+psycopg://")):
        raise ConfigError(
            "IKRAR_DATABASE_URL must be sqlite:///PATH or postgresql+psycopg://USER@HOST/DB, "
            f"not {database_url.split('://', 1)[0]!r}"
        )
    try:
        max_body = int(env.get("IKRAR_MAX_BODY_BYTES", "1048576"))
    except ValueError as exc:
        raise ConfigError("IKRAR_MAX_BODY_BYTES must be an integer number of bytes") from exc
    base_url = env.get("IKRAR_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    if not base_url.startswith(("http://", "https://")):
        raise ConfigError("IKRAR_BASE_URL must start with http:// or https://")
    config: dict[str, Any] = {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "IKRAR_KEYS_DIR": keys_dir,
        "IKRAR_KEY_PASSPHRASE": env.get("IKRAR_KEY_PASSPHRASE"),
        "IKRAR_KEY_PASSPHRASE_FILE": Path(env.get("IKRAR_KEY_PASSPHRASE_FILE") or keys_dir / "passphrase"),
        "IKRAR_BASE_URL": base_url,
        "IKRAR_LOG_ORIGIN": env.get("IKRAR_LOG_ORIGIN", "ikrar.localhost/log"),
        "IKRAR_CONTROLLER_NAME": env.get("IKRAR_CONTROLLER_NAME") or DEMO_CONTROLLER,
        "IKRAR_CONTROLLER_CONTACT": env.get("IKRAR_CONTROLLER_CONTACT") or None,
        "IKRAR_WITNESS_FILE": Path(env.get("IKRAR_WITNESS_FILE") or instance / "checkpoint.witness"),
        "MAX_CONTENT_LENGTH": max_body,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": base_url.startswith("https://"),
        "SESSION_COOKIE_NAME": "ikrar_session",
        "PERMANENT_SESSION_LIFETIME": 12 * 60 * 60,
        "WTF_CSRF_TIME_LIMIT": 12 * 60 * 60,
        "RATELIMIT_STORAGE_URI": _ratelimit_storage(
            env.get("IKRAR_RATELIMIT_STORAGE") or f"sqlite:///{instance / 'ratelimit.sqlite3'}"
        ),
        "RATELIMIT_STRATEGY": "fixed-window",
        "RATELIMIT_HEADERS_ENABLED": True,
        "IKRAR_TRUSTED_PROXIES": _trusted_proxies(env.get("IKRAR_TRUSTED_PROXIES") or "0"),
        "IKRAR_LOGIN_DELAY": _small_int("IKRAR_LOGIN_DELAY", env.get("IKRAR_LOGIN_DELAY") or "1", 1, 60),
        "JSON_SORT_KEYS": False,
    }
    for name in _LIMITS:
        if env.get(name):
            config[name] = _limit(name, env[name])
    if overrides:
        config.update(overrides)
    if "SECRET_KEY" not in config:
        config["SECRET_KEY"] = _secret_key(instance)
    return config


# The rate-limit stores Ikrar documents and tests (README, Rate limits).
_STORAGE_SCHEMES = ("memory", "sqlite", "redis", "rediss", "redis+unix", "redis+sentinel", "redis+cluster")
MAX_TRUSTED_PROXIES = 5


def _ratelimit_storage(uri: str) -> str:
    scheme = uri.split("://", 1)[0] if "://" in uri else ""
    if scheme not in _STORAGE_SCHEMES:
        raise ConfigError(
            "IKRAR_RATELIMIT_STORAGE must be sqlite:///PATH, redis://HOST:PORT/DB or memory://, "
            f"not {uri!r:.60}"
        )
    if scheme.startswith("redis"):
        import importlib.util

        if importlib.util.find_spec("redis") is None:
            raise ConfigError(
                "IKRAR_RATELIMIT_STORAGE is a Redis URL but the redis client is not installed: "
                "pip install 'ikrar[redis]'"
            )
    return uri


def _trusted_proxies(value: str) -> int:
    # A wrong count is a security bug either way: too high believes a forged X-Forwarded-For,
    # so anything but a small integer stops the start.
    text = value.strip()
    if not text.isascii() or not text.isdigit() or int(text) > MAX_TRUSTED_PROXIES:
        raise ConfigError(
            f"IKRAR_TRUSTED_PROXIES must be the number of reverse proxies in front of Ikrar, "
            f"an integer from 0 to {MAX_TRUSTED_PROXIES}, not {value!r:.40}"
        )
    return int(text)


def _small_int(name: str, value: str, low: int, high: int) -> int:
    text = value.strip()
    if not text.isascii() or not text.isdigit() or not low <= int(text) <= high:
        raise ConfigError(f"{name} must be an integer from {low} to {high}, not {value!r:.40}")
    return int(text)


def _limit(name: str, value: str) -> str:
    from limits import parse_many

    try:
        parse_many(value)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a rate limit like '600 per minute', not {value!r:.60}") from exc
    return value
