"""The settings the functions read on AWS, with values for a stack on this machine: defined
here once for `make dev`, the tests' local stacks and the benchmarks."""

import os
import secrets
from collections.abc import Mapping, Sequence


def stack_environment(base_url: str, web_origins: Sequence[str] = ()) -> dict[str, str]:
    """Where the stack at `base_url` answers and what may reach it: the gateway's Management
    API, the pages that may open a socket (`web_origins`, else the stack's own), and test push
    services on 127.0.0.1 beside the real ones."""
    return {
        "WS_MANAGEMENT_ENDPOINT": base_url,
        "WS_ALLOWED_ORIGINS": ",".join(web_origins or [base_url]),
        "PUSH_ALLOW_LOOPBACK": "true",
    }


def developer_defaults() -> dict[str, str]:
    """What a developer may set themselves, else these: secrets of this run's own (the deploy
    keeps them in Secrets Manager), credentials boto3 signs Management API calls with (the
    local gateway accepts any signature), and limits per address raised because every local
    user comes from the one address (the per-user limits are the ones AWS has)."""
    from chat.push_keys import new_vapid_key

    return {
        "JWT_SECRET": secrets.token_urlsafe(48),
        "VAPID_PRIVATE_KEY": new_vapid_key(),
        "POWERTOOLS_SERVICE_NAME": "chat",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "POWERTOOLS_METRICS_DISABLED": "true",  # no EMF lines locally; a deployed function prints them
        "RATE_LIMIT_SIGNUP": "1000/3600",
        "RATE_LIMIT_LOGIN": "1000/60",
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "us-east-1",
    }


def set_defaults(environment: Mapping[str, str]) -> None:
    """Each setting that is not in the environment yet: what the developer set wins."""
    for name, value in environment.items():
        os.environ.setdefault(name, value)


def stand_ins() -> dict[str, str]:
    """What the handlers require at import (chat.config.require), for tools that import them
    with no stack behind (the schema export, the import-time benchmarks): nothing is called
    at these addresses, and a stack started later sets its own. Not the notification queue: a
    sender that has its URL queues every message, and only the notifier requires it."""
    nowhere = "http://127.0.0.1:9"
    return {
        "WS_MANAGEMENT_ENDPOINT": nowhere,
        "MEDIA_BUCKET": "chat-media",
        "MEDIA_URL": f"{nowhere}/media",
        "MEDIA_KEY_PAIR_ID": "LOCAL",
        "MEDIA_SIGNING_KEY": "not-a-key: links are signed by a started stack only",
    }
