"""Settings, read from environment variables prefixed ``IKRAR_``, with safe embedded defaults."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any, NamedTuple

from registry import paths
from registry.core.errors import IkrarError


class ConfigError(IkrarError):
    """A setting is missing or malformed."""


class Argon2Cost(NamedTuple):
    """argon2id parameters for staff passwords (memory in KiB)."""

    time_cost: int
    memory_cost: int
    parallelism: int


# argon2id, t=3, m=64 MiB, p=4 (RFC 9106's second recommended profile): above OWASP ASVS 5.0's
# minimum of m=19 MiB, t=2, p=1. Not an environment setting: nothing in production lowers it.
PRODUCTION_ARGON2 = Argon2Cost(time_cost=3, memory_cost=64 * 1024, parallelism=4)

DEMO_CONTROLLER = "Dinas Komunikasi dan Informatika Kabupaten Purbalingga"

# Rate-limit settings read from the environment when set (Flask-Limiter's "N per period;…").
_LIMITS = ("IKRAR_SIGNING_LIMIT", "IKRAR_VERIFY_LIMIT", "IKRAR_LOGIN_LIMIT")


def _default_keys_dir(instance: Path) -> Path:
    # A checkout keeps keys/ at its top (git-ignored); an installed wheel has no checkout, and
    # site-packages is no place for private keys: there they default into the instance folder.
    return instance / "keys" if paths.installed() else paths.CHECKOUT / "keys"


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
    keys_dir = Path(env.get("IKRAR_KEYS_DIR") or _default_keys_dir(instance))
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
        # Test suite only: key files with argon2's smallest parameters (no protection at all).
        "IKRAR_TEST_FAST_KDF": env.get("IKRAR_TEST_FAST_KDF") == "1",
        "IKRAR_BASE_URL": base_url,
        "IKRAR_LOG_ORIGIN": env.get("IKRAR_LOG_ORIGIN", "ikrar.localhost/log"),
        "IKRAR_CONTROLLER_NAME": env.get("IKRAR_CONTROLLER_NAME") or DEMO_CONTROLLER,
        "IKRAR_CONTROLLER_CONTACT": env.get("IKRAR_CONTROLLER_CONTACT") or None,
        "IKRAR_WITNESS_FILE": Path(env.get("IKRAR_WITNESS_FILE") or instance / "checkpoint.witness"),
        "MAX_CONTENT_LENGTH": max_body,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": base_url.startswith("https://"),
        # The __Host- prefix makes browsers refuse the cookie unless it is Secure, for path / and
        # without a Domain: no sibling subdomain or plain-http page can set or overwrite it.
        "SESSION_COOKIE_NAME": "__Host-ikrar_session" if base_url.startswith("https://") else "ikrar_session",
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
        "IKRAR_ARGON2": PRODUCTION_ARGON2,
        "IKRAR_MFA": _mfa(env.get("IKRAR_MFA") or "required"),
    }
    for name in _LIMITS:
        if env.get(name):
            config[name] = _limit(name, env[name])
    if overrides:
        config.update(overrides)
    _check_argon2(config)
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


def _mfa(value: str) -> str:
    # "off" exists for the embedded demo (``ikrar demo``); production keeps MFA required.
    if value not in ("required", "off"):
        raise ConfigError("IKRAR_MFA must be 'required' (admins and auditors use MFA) or 'off'")
    return value


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


def _check_argon2(config: dict[str, Any]) -> None:
    """Cheaper password hashing than production is for the test suite only (TESTING=True)."""
    cost = config["IKRAR_ARGON2"] = Argon2Cost(*config["IKRAR_ARGON2"])
    weaker = any(mine < floor for mine, floor in zip(cost, PRODUCTION_ARGON2, strict=True))
    if weaker and not config.get("TESTING"):
        raise ConfigError("IKRAR_ARGON2 below the production parameters is allowed in tests only")
