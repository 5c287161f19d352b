"""Extension objects, created unbound; the application factory binds them."""

from __future__ import annotations

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase

from registry import ratelimit  # noqa: F401 - registers the thread-safe memory:// storage


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
# Limits are declared per view; storage comes from IKRAR_RATELIMIT_STORAGE (memory:// is per process).
limiter = Limiter(key_func=get_remote_address, default_limits=[])
