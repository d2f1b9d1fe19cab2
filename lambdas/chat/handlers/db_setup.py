"""Runs once per deploy (a CDK trigger): creates any missing MongoDB index, so
a fresh Atlas cluster is ready without manual steps, then fills the search fields of what was
stored before search existed (adapters/mongo/backfill.py), within most of the function's
timeout (60 s: infra/constructs/functions.py SIZING).

A database too large for one run is done over several: each run goes on where the last
stopped, and logs `more: true` until it is done. The trigger runs again on any deploy that
changes the functions' code; between deploys, invoking this function runs it too."""

from collections.abc import Callable
from typing import Any

from chat.adapters.mongo.backfill import backfill_search_fields
from chat.adapters.mongo.indexes import ensure_indexes
from chat.handlers.composition import database
from chat.observability import entry_point, logger
from chat.services.search_terms import terms

RESERVE_S = 10  # of the timeout, kept back: the batch under way, the report, the return
UNKNOWN_TIMEOUT_S = 60  # a caller that says nothing of its time: SIZING's timeout


def prepare_database(db: Any, budget: Callable[[], float]) -> dict[str, Any]:
    """Indexes, then backfill for `budget()` seconds (asked once the indexes are in place: their
    builds take what they take); what each did, logged and returned. The local stack's start-up
    runs it too."""
    created = ensure_indexes(db)
    logger.info("indexes in place", extra={"indexes": created})
    done = backfill_search_fields(db, terms, budget())
    backfill = {"messages": done.messages, "conversations": done.conversations, "read": done.read, "more": done.more}
    if done.more:
        logger.warning("search backfill not finished: the next run goes on where this one stopped", extra=backfill)
    else:
        logger.info("search backfill done", extra=backfill)
    return {"indexes": created, "backfill": backfill}


@entry_point()
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    db = database()
    remaining = getattr(context, "get_remaining_time_in_millis", None)

    def budget() -> float:
        left = remaining() / 1000 if remaining is not None else UNKNOWN_TIMEOUT_S
        return max(0.0, left - RESERVE_S)

    return prepare_database(db, budget)
