"""The privacy notice (UU 27/2022 Pasal 21): who the controller is, what is collected, who sees it."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template

from registry.services import privacy as privacy_service

privacy = Blueprint("privacy", __name__)

# Shown while IKRAR_CONTROLLER_CONTACT is unset, marked on the page as an example (RFC 2606 domain):
# a notice must never send people's requests to an address nobody reads.
EXAMPLE_CONTACT = "ppid@example.org"


@privacy.get("/privasi")
def notice() -> Response:
    """Privacy notice: controller, purposes, data collected, audiences, retention, rights, breaches."""
    contact = current_app.config.get("IKRAR_CONTROLLER_CONTACT")
    html = render_template(
        "privacy.html",
        controller=current_app.config["IKRAR_CONTROLLER_NAME"],
        contact=contact or EXAMPLE_CONTACT,
        contact_is_example=not contact,
        retention=privacy_service.published_retention(),
    )
    response = Response(html, mimetype="text/html")
    response.cache_control.public = True
    response.cache_control.max_age = 300
    return response
