"""The $connect REQUEST authorizer: checks `?token=` and hands `userId` to every route."""

from typing import Any

from chat.handlers.composition import access_tokens
from chat.handlers.ws_protocol import Event
from chat.models.errors import NotAuthenticated
from chat.observability import logger


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: Event, context: Any) -> Event:
    token = (event.get("queryStringParameters") or {}).get("token", "")
    try:
        user_id = access_tokens().verify_access_token(token)
    except NotAuthenticated as error:
        logger.info("handshake refused", extra={"reason": error.message})
        # The exact message "Unauthorized" is what makes API Gateway answer 401.
        raise Exception("Unauthorized") from None
    return {
        "principalId": user_id,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": event["methodArn"]}],
        },
        "context": {"userId": user_id},
    }
