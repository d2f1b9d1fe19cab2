"""The one clock: every timestamp in the product comes from here."""

from datetime import UTC, datetime


def utc_now() -> datetime:
    # MongoDB stores milliseconds; truncating here keeps stored and returned values equal.
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def iso(moment: datetime) -> str:
    """ISO 8601 UTC with milliseconds and a Z, as the API contract writes timestamps."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
