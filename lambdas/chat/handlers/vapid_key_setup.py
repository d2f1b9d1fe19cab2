"""Deploy-time custom resource: the VAPID key pair push services know this deploy by.

On create, a fresh P-256 key is generated here and its private half stored in the stack's
secret (the deploy never sees it); the public half, this resource's `PublicKey` attribute,
goes to the web client (config.json) and the HTTP API. Updates keep the key: a new one
would orphan every browser's subscription, which names the key it was made for."""

from typing import Any

from chat.adapters.secrets_store import SecretsStore
from chat.observability import logger
from chat.push_keys import new_vapid_key, vapid_public_key

PEM_HEADER = "-----BEGIN PRIVATE KEY-----"


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    secret_arn = event["ResourceProperties"]["SecretArn"]
    physical_id = f"vapid-key:{secret_arn}"
    if event["RequestType"] == "Delete":
        return {"PhysicalResourceId": event.get("PhysicalResourceId", physical_id)}
    secrets = SecretsStore()
    private_key = secrets.read(secret_arn)
    if not private_key.startswith(PEM_HEADER):  # the placeholder the secret was created with
        private_key = new_vapid_key()
        secrets.write(secret_arn, private_key)
        logger.info("generated a new VAPID key")
    return {"PhysicalResourceId": physical_id, "Data": {"PublicKey": vapid_public_key(private_key)}}
