"""WSGI entry point: ``gunicorn wsgi:app``. Refuses to start on a key or schema problem."""

from registry import create_app

app = create_app()
