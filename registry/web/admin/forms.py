"""The admin forms (registry/web/forms.py): what each admin page posts, read by field.

The services check the values and name the field at fault; the views show their messages.
"""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from flask_wtf.file import FileField
from wtforms import SelectField, StringField, TextAreaField

from registry.services import commitments
from registry.services.errors import InvalidInput
from registry.web.forms import PostedForm

COMMITMENT_FIELDS = (
    "slug",
    "issuer",
    "title",
    "text",
    "place",
    "event_date",
    "dimensions",
    "categories",
    "consent_text",
)


def _lines(text: str, field: str) -> list[dict[str, str]]:
    """``id | label`` per line, as the form writes dimensions and categories."""
    items = []
    for number, line in enumerate(text.replace("\r\n", "\n").split("\n"), start=1):
        if not line.strip():
            continue
        if "|" not in line:
            raise InvalidInput(_("baris %(n)d: tulis \u201cid | label\u201d", n=number), field=field)
        ident, label = line.split("|", 1)
        items.append({"id": ident.strip(), "label": label.strip()})
    return items


class CommitmentForm(PostedForm):
    """A commitment version's text and metadata (creating, editing a draft, revising)."""

    slug = StringField("slug", default="")
    issuer = StringField("issuer", default="")
    title = StringField("title", default="")
    text = TextAreaField("text", default="")
    place = StringField("place", default="")
    event_date = StringField("event_date", default="")
    dimensions = TextAreaField("dimensions", default="")
    categories = TextAreaField("categories", default="")
    consent_text = TextAreaField("consent_text", default="")

    def values(self) -> dict[str, str]:
        return self.texts(*COMMITMENT_FIELDS)

    def draft(self) -> commitments.CommitmentDraft:
        """The version as the services take it; :class:`InvalidInput` naming the field when unreadable."""
        try:
            event_date = date.fromisoformat(self.posted("event_date").strip())
        except ValueError:
            raise InvalidInput(_("tanggal harus berbentuk YYYY-MM-DD"), field="event_date") from None
        return commitments.CommitmentDraft(
            title=self.posted("title"),
            text=self.posted("text"),
            place=self.posted("place"),
            event_date=event_date,
            dimensions=_lines(self.posted("dimensions"), "dimensions"),
            categories=_lines(self.posted("categories"), "categories"),
            consent_text=self.posted("consent_text"),
            issuer=self.posted("issuer"),
        )


class StatusChangeForm(PostedForm):
    """Publishing, closing or reopening a version: the confirmation box, and reopening's reason."""

    confirm = StringField("confirm", default="")
    reason = TextAreaField("reason", default="")

    @property
    def confirmed(self) -> bool:
        return self.ticked("confirm", "yes")


class WithdrawalForm(PostedForm):
    """Withdrawing a signature made in error: a public reason and the confirmation box."""

    reason = TextAreaField("reason", default="")
    confirm = StringField("confirm", default="")

    @property
    def confirmed(self) -> bool:
        return self.ticked("confirm", "yes")


class ErasureForm(PostedForm):
    """Erasing a signature's personal data: the legal ground and the typed verification code."""

    ground = SelectField("ground", default="", validate_choice=False)
    confirm = StringField("confirm", default="")


class RetentionForm(PostedForm):
    """Until when a commitment's signatories' personal data are kept (empty: no end set)."""

    retain_until = StringField("retain_until", default="")


INVITEE_FIELDS = ("name", "position", "institution", "category")


class InviteeForm(PostedForm):
    """Correcting an invitee before they sign, with the reason the change log keeps."""

    name = StringField("name", default="")
    position = StringField("position", default="")
    institution = StringField("institution", default="")
    category = SelectField("category", default="", validate_choice=False)
    reason = StringField("reason", default="")

    def values(self) -> dict[str, str]:
        return self.texts(*INVITEE_FIELDS, "reason")


class InviteeImportForm(PostedForm):
    """The invitee list as a CSV file (registry/services/invitees.py reads it)."""

    file = FileField("file")


class EmblemForm(PostedForm):
    """The issuer's emblem of a draft version, a PNG or SVG file (registry/emblem.py re-encodes it)."""

    emblem = FileField("emblem")
