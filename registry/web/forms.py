"""The base of the staff, kiosk and upload forms: Flask-WTF forms that read what was posted.

Their fields carry no validators of their own where a service checks the value: the service's
message (an English template with an ``id`` catalogue) and its status code are what the page
shows, the same whichever form sent the value. CSRF is checked once per request, before any view
runs, by ``CSRFProtect`` (registry/extensions.py) — for form posts and the kiosk's header alike —
so these forms do not check the token a second time.
"""

from __future__ import annotations

from typing import Any

from flask import request
from flask_wtf import FlaskForm
from flask_wtf.form import SUBMIT_METHODS
from werkzeug.datastructures import CombinedMultiDict


class PostedForm(FlaskForm):  # type: ignore[misc]
    class Meta:
        csrf = False  # checked by CSRFProtect for every request (see above)

    def __init__(self, **kwargs: Any) -> None:
        # Only a form body is read: Flask-WTF would also read a JSON body, and a hostile one (not
        # an object, or not JSON) would end in a 500 or a bare 400 where the page's own answer is
        # due. A JSON body gives the form nothing, as ``request.form`` did.
        posted = request.method in SUBMIT_METHODS
        formdata: CombinedMultiDict[str, Any] | None = (
            CombinedMultiDict([request.files, request.form]) if posted else None
        )
        super().__init__(formdata=formdata, **kwargs)

    def posted(self, name: str) -> str:
        """A text field as posted; ``""`` when it was left out."""
        value = self[name].data
        return value if isinstance(value, str) else ""

    def texts(self, *names: str) -> dict[str, str]:
        """Several text fields by name, as the pages redisplay them."""
        return {name: self.posted(name) for name in names}

    def ticked(self, name: str, value: str) -> bool:
        """Whether a checkbox (or button) ``name`` was posted with exactly ``value``."""
        return self.posted(name) == value
