"""Believing a reverse proxy's forwarded headers only when the operator says how many there are.

Behind nginx every request comes from the proxy's address, so per-address limits would lump all
clients together. ``IKRAR_TRUSTED_PROXIES=N`` applies Werkzeug's ProxyFix for N hops to exactly
two headers: ``X-Forwarded-For`` (the client address that limits and throttling count) and
``X-Forwarded-Proto`` (http or https). ``X-Forwarded-Host``, ``-Port`` and ``-Prefix`` are never
read: public links come from ``IKRAR_BASE_URL``, so nothing needs them, and a forged host would
only be a risk. With the default 0 nothing is wrapped and a client's ``X-Forwarded-For`` is
ignored: anyone can send one.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix


def install(app: Flask) -> None:
    hops = int(app.config.get("IKRAR_TRUSTED_PROXIES", 0))
    if hops:
        # ProxyFix takes the N-th address from the right: the one the outermost trusted proxy saw.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=0, x_port=0, x_prefix=0
        )
