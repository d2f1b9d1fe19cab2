"""Runs once per deploy (a CDK trigger): creates any missing MongoDB index, so
a fresh Atlas cluster is ready without manual steps."""

from typing import Any

from chat.adapters.indexes import ensure_indexes
from chat.adapters.mongo import database
from chat.observability import logger


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    created = ensure_indexes(database())
    logger.info("indexes in place", extra={"indexes": created})
    return {"indexes": created}
