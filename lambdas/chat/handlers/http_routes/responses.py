from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from pydantic import BaseModel


def created_or_existing(model: BaseModel, created: bool) -> Response[Any]:
    """201 for something made by this call, 200 for what an earlier call made."""
    return Response(201 if created else 200, content_types.APPLICATION_JSON, model.model_dump(mode="json"))
