"""AWS calls made through boto3 as trace spans: handlers on a client's own events (botocore
emits before-call, after-call and after-call-error around every API call), one span per call."""

import functools
from collections.abc import Callable
from typing import Any

from chat import tracing
from chat.observability import logger

SPAN_KEY = "chat.span"


def _never_fails(handler: Callable[..., None]) -> Callable[..., None]:
    """botocore lets an event handler's exception fail the call: a span is not worth an S3 read."""

    @functools.wraps(handler)
    def guarded(**kwargs: Any) -> None:
        try:
            handler(**kwargs)
        except Exception:
            logger.warning("could not trace an AWS call", exc_info=True)

    return guarded


def traced(client: Any) -> Any:
    """Returns `client`, its calls traced from now on."""
    service = client.meta.service_model.service_id  # "S3", "SQS", "Secrets Manager"
    region = client.meta.region_name

    @_never_fails
    def before(model: Any, context: dict[str, Any], **_: Any) -> None:
        span = tracing.start_span(f"{service}.{model.name}", tracing.aws_call_attributes(service, model.name, region))
        if span is not None:
            context[SPAN_KEY] = span

    @_never_fails
    def after(http_response: Any, parsed: Any, context: dict[str, Any], **_: Any) -> None:
        span = context.pop(SPAN_KEY, None)
        if span is None:
            return
        status = int(getattr(http_response, "status_code", 0) or 0)
        metadata = parsed.get("ResponseMetadata", {}) if isinstance(parsed, dict) else {}
        error = parsed.get("Error", {}).get("Code") if isinstance(parsed, dict) and status >= 400 else None
        attributes: dict[str, tracing.AttributeValue] = {"http.response.status_code": status}
        if metadata.get("RequestId"):
            attributes["aws.request_id"] = metadata["RequestId"]
        tracing.finish(span, error=(error or str(status)) if status >= 400 else None, attributes=attributes)

    @_never_fails
    def failed(exception: BaseException, context: dict[str, Any], **_: Any) -> None:
        span = context.pop(SPAN_KEY, None)
        if span is not None:
            tracing.finish(span, error=type(exception).__name__)

    events = client.meta.events
    events.register("before-call", before, unique_id=f"{SPAN_KEY}.before")
    events.register("after-call", after, unique_id=f"{SPAN_KEY}.after")
    events.register("after-call-error", failed, unique_id=f"{SPAN_KEY}.failed")
    return client
