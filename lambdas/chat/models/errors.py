"""Domain errors. Each carries the status and code the API contract gives it;
handlers turn them into an HTTP error body or a WebSocket `error` frame in one place."""

from typing import Any, ClassVar


class ChatError(Exception):
    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"

    def __init__(self, message: str, *, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_body(self) -> dict[str, Any]:
        """The HTTP error body; chat.models.api.ErrorBody is its schema."""
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details is not None:
            error["details"] = self.details
        return {"error": error}


def unexpected() -> ChatError:
    """What a client is told about a bug: no trace, no detail (the log has those)."""
    return ChatError("Something went wrong on our side.")


class InvalidRequest(ChatError):
    status = 422
    code = "invalid_request"


class NotAuthenticated(ChatError):
    status = 401
    code = "not_authenticated"


class InvalidCredentials(NotAuthenticated):
    code = "invalid_credentials"


class InvalidRefreshToken(NotAuthenticated):
    code = "invalid_refresh_token"


class Forbidden(ChatError):
    status = 403
    code = "forbidden"


class NotFound(ChatError):
    status = 404
    code = "not_found"


class MethodNotAllowed(ChatError):
    """A path the API has, asked with a method it does not take there."""

    status = 405
    code = "method_not_allowed"

    def __init__(self, message: str, *, allowed: list[str]) -> None:
        super().__init__(message)
        self.allowed = allowed  # HTTP also sends them as Allow


class UsernameTaken(ChatError):
    status = 409
    code = "username_taken"


class Conflict(ChatError):
    """The request cannot apply to the thing as it is now (say, editing a deleted message)."""

    status = 409
    code = "conflict"


class Archived(Conflict):
    """The message is in the archive: it can be read, not changed."""

    code = "archived"


class PayloadTooLarge(ChatError):
    status = 413
    code = "payload_too_large"


class UnsupportedMediaType(ChatError):
    status = 415
    code = "unsupported_media_type"


class InvalidMedia(ChatError):
    """An upload that is missing, larger than declared, or not what it claims to be."""

    status = 422
    code = "invalid_media"


class RateLimited(ChatError):
    status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int, limit: str) -> None:
        super().__init__(message)
        self.retry_after = retry_after  # whole seconds; HTTP also sends it as Retry-After
        self.limit = limit  # which limit refused it (logged and counted, never sent)

    def to_body(self) -> dict[str, Any]:
        body = super().to_body()
        body["error"]["retryAfter"] = self.retry_after
        return body


class ServiceUnavailable(ChatError):
    status = 503
    code = "service_unavailable"


class DependencyUnavailable(ServiceUnavailable):
    """The deep health check found a dependency down: the 503 names each one checked and its state."""

    def __init__(self, checks: dict[str, str]) -> None:
        down = ", ".join(name for name, state in checks.items() if state != "ok")
        super().__init__(f"Unreachable right now: {down}. Try again shortly.")
        self.checks = checks

    def to_body(self) -> dict[str, Any]:
        body = super().to_body()
        body["error"]["checks"] = self.checks
        return body
