"""Errors a use case reports to its caller, each with the HTTP status an API maps it to."""

from __future__ import annotations

from registry.core.errors import IkrarError


class ServiceError(IkrarError):
    status = 400
    slug = "bad-request"
    title = "Bad request"

    def __init__(self, detail: str, *, field: str | None = None, **params: object) -> None:
        super().__init__(detail, **params)
        self.detail = str(self)
        self.field = field

    @classmethod
    def wrap(cls, error: IkrarError, *, field: str | None = None) -> ServiceError:
        """This kind of service error carrying a core error's message template and parameters."""
        return cls(error.template or str(error), field=field, **error.params)


class InvalidInput(ServiceError):
    status, slug, title = 422, "invalid-input", "The request is not valid"


class Unauthorized(ServiceError):
    """No usable credential; answered with ``WWW-Authenticate: Bearer`` (registry/api/problems.py)."""

    status, slug, title = 401, "unauthorized", "Unauthorized"
    challenge = 'Bearer realm="ikrar"'


class Forbidden(ServiceError):
    status, slug, title = 403, "forbidden", "Forbidden"


class NotFound(ServiceError):
    status, slug, title = 404, "not-found", "Not found"


class Conflict(ServiceError):
    status, slug, title = 409, "conflict", "Conflict"


class AlreadySigned(Conflict):
    slug, title = "already-signed", "Already signed"


class NotOpen(Conflict):
    slug, title = "not-open", "Signing is not open"


class IdempotencyMismatch(ServiceError):
    status, slug, title = 422, "idempotency-key-reused", "Idempotency-Key reused with another request"


class Erased(ServiceError):
    """The signature exists in the log but its personal data were erased (UU 27/2022)."""

    status, slug, title = 410, "erased", "Personal data erased"


class Unavailable(ServiceError):
    status, slug, title = 503, "unavailable", "Service unavailable"
    retry_after: int | None = None  # seconds, sent as Retry-After (registry/api/problems.py)


class IntegrityFailure(ServiceError):
    """Stored data no longer match what the log or a seal binds: nothing of it may be shown.

    Not the caller's fault and not retryable: the database was altered behind the registry's back
    (or damaged). The detail names what failed; the event is logged for the operators.
    """

    status, slug, title = 500, "integrity-error", "Integrity error"
