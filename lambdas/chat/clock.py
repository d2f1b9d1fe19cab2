"""The one clock: every timestamp in the product comes from here."""

from datetime import UTC, datetime


def utc_now() -> datetime:
    return as_stored(datetime.now(UTC))


def as_stored(moment: datetime) -> datetime:
    """In UTC, to the millisecond: MongoDB stores milliseconds, so stored and returned values stay equal."""
    moment = moment.astimezone(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def iso(moment: datetime) -> str:
    """ISO 8601 UTC with milliseconds and a Z, as the API contract writes timestamps."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
