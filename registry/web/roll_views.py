"""The public list of signatories (everyone), on the ``public`` blueprint that serves all of ``/c``
(registry/web/public.py); the live screen (live_screen_views.py) joins it.

The signed roll and the certificate archive are admin pages: registry/web/admin/certificates.py.
"""

from __future__ import annotations

from flask import Response, abort, render_template, url_for

from registry.services import roll as roll_service
from registry.services.errors import NotFound
from registry.web.public import public


@public.get("/c/<slug>")
def public_list(slug: str) -> Response:
    """Public list of a commitment's signatories who consented to public display, with counts."""
    try:
        data = roll_service.public_list(slug)
    except NotFound:
        abort(404)
    top_category = max([c.count for c in data.by_category] + [1])
    top_dimension = max([c.count for c in data.by_dimension] + [1])
    response = Response(
        render_template(
            "public_list.html",
            data=data,
            version=data.version,
            api_url=url_for("api.get_commitment", slug=slug, version=data.version.version),
            top_category=top_category,
            top_dimension=top_dimension,
        )
    )
    # The page carries the language form's CSRF token (and, when signed in, the user's name):
    # no shared cache may keep it.
    response.cache_control.private = True
    response.cache_control.no_cache = True
    return response
