"""Runs once per deploy (a CDK trigger): creates any missing MongoDB index, so
a fresh Atlas cluster is ready without manual steps."""

from typing import Any

from chat.adapters.mongo.indexes import ensure_indexes
from chat.handlers.composition import database
from chat.observability import entry_point, logger


@entry_point()
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    created = ensure_indexes(database())
    logger.info("indexes in place", extra={"indexes": created})
    return {"indexes": created}
