"""The $connect REQUEST authorizer: checks `?token=` and the page's `Origin`, and hands
`userId` (and `loginId`) to every route."""

from typing import Any

from chat.config import require, settings
from chat.handlers import cold_start
from chat.handlers.composition import access_tokens
from chat.handlers.refusals import log_crash, log_refusal
from chat.handlers.ws_protocol import Event, websocket_entry_point
from chat.models.errors import ChatError, NotAuthenticated
from chat.observability import logger

require("jwt_key")


def origin_refused(event: Event) -> str | None:
    """A browser always sends the page's Origin: a page elsewhere must not open a socket with a
    token it got hold of. Native clients send none, and are let in."""
    allowed = settings().ws_allowed_origins
    headers = {str(name).lower(): str(value) for name, value in (event.get("headers") or {}).items()}
    origin = headers.get("origin")
    # Scheme and host are case-insensitive: compare them as the settings are kept, lower case.
    if not allowed or origin is None or origin.rstrip("/").lower() in allowed:
        return None
    return origin


def policy(principal: str, effect: str, resource: str, context: dict[str, str]) -> Event:
    return {
        "principalId": principal,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}],
        },
        "context": context,
    }


@websocket_entry_point
def lambda_handler(event: Event, context: Any) -> Event:
    origin = origin_refused(event)
    if origin is not None:
        logger.warning(
            "handshake refused: origin not allowed", extra={"status": 403, "code": "forbidden", "origin": origin}
        )
        return policy("anonymous", "Deny", event["methodArn"], {})  # API Gateway answers 403
    token = (event.get("queryStringParameters") or {}).get("token", "")
    try:
        bearer = access_tokens().verify_access_token(token)
    except NotAuthenticated as error:
        logger.info("handshake refused", extra={"status": 401, "code": error.code, "reason": error.message})
        # The exact message "Unauthorized" is what makes API Gateway answer 401. Lambda counts it as an
        # error, so the stack sets no Errors alarm on this function: its real failures are counted below.
        raise Exception("Unauthorized") from None
    except ChatError as error:
        log_refusal(error)  # a 503 (MongoDB did not answer) counts as ServiceUnavailable
        raise
    except Exception:
        log_crash("unhandled error in the $connect authorizer")  # counts UnhandledErrors, which alarms
        raise
    logger.append_keys(user_id=bearer.user_id)
    # The login goes with the socket, so ending that login can close it.
    context = {"userId": bearer.user_id, "loginId": bearer.login_id}
    return policy(bearer.user_id, "Allow", event["methodArn"], context)


# Last: what the first event imports goes into a SnapStart snapshot, and the import's objects are frozen.
cold_start.imported(cold_start.MONGODB, "chat.services.tokens")
