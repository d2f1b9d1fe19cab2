"""Deploy-time custom resource: the VAPID key pair push services know this deploy by (P-256).
The public half goes to the web client (config.json) and the HTTP API. Updates keep the key:
a new one would orphan every browser's subscription, which names the key it was made for."""

from typing import Any

from chat.handlers.key_setup import key_pair_resource
from chat.observability import entry_point
from chat.push_keys import new_vapid_key, vapid_public_key


@entry_point()
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return key_pair_resource(event, "vapid-key", new_vapid_key, vapid_public_key)
