"""How the handlers tell of a request they did not serve, the same way over HTTP and the
WebSocket: one log line whose level says whose move it is, with the status and code the client
was answered, and a count of the refusals an operator watches.

- INFO: a 4xx the client must fix (bad input, no token, not found, a conflict). Normal traffic.
- WARNING: 429 (a limit refused it: abuse, or a limit too tight) and 503 (a dependency, such as
  MongoDB, S3 or the archive, did not answer). Expected, answered well, and worth watching:
  RateLimited (by limit) and ServiceUnavailable count them for alarms.
- ERROR: a bug. `log_crash` logs it with its stack and counts UnhandledErrors; the client is told
  only "Something went wrong on our side"."""

from chat.models.errors import ChatError, RateLimited, ServiceUnavailable
from chat.observability import logger, metrics


def log_refusal(error: ChatError) -> None:
    """Logs (and, for 429 and 503, counts) the refusal `error` was answered with."""
    extra: dict[str, object] = {"status": error.status, "code": error.code, "reason": error.message}
    if isinstance(error, RateLimited):
        extra |= {"limit": error.limit, "retry_after": error.retry_after}
        metrics.count("RateLimited", by={"limit": error.limit})
        logger.warning("request refused: rate limited", extra=extra)
    elif isinstance(error, ServiceUnavailable):
        metrics.count("ServiceUnavailable")
        logger.warning("request refused: service unavailable", extra=extra)
    elif error.status < 500:
        logger.info("request refused", extra=extra)
    else:
        logger.error("request failed", extra=extra)


def log_crash(what: str) -> None:
    """Call from an `except` block: logs the exception being handled at ERROR with its stack."""
    metrics.count("UnhandledErrors")
    logger.exception(what, extra={"status": 500, "code": "internal_error"})
