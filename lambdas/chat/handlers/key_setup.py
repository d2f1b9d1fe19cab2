"""What the deploy-time key resources share: on create, a fresh key pair whose private half
goes straight into the stack's secret (the deploy never sees it), the public half answered
as the resource's `PublicKey` attribute. Updates keep the key the secret holds; a delete
leaves it to the secret's own removal policy."""

from collections.abc import Callable
from typing import Any

from chat.adapters.secrets_store import SecretsStore
from chat.observability import logger

PEM_HEADER = "-----BEGIN PRIVATE KEY-----"


def key_pair_resource(
    event: dict[str, Any], name: str, new_key: Callable[[], str], public_key_of: Callable[[str], str]
) -> dict[str, Any]:
    """The custom resource's answer for the key called `name`: `new_key` makes a private key
    (PEM), `public_key_of` gives its public half as the resource hands it on."""
    secret_arn = event["ResourceProperties"]["SecretArn"]
    physical_id = f"{name}:{secret_arn}"
    if event["RequestType"] == "Delete":
        return {"PhysicalResourceId": event.get("PhysicalResourceId", physical_id)}
    secrets = SecretsStore()
    private_key = secrets.read(secret_arn)
    if not private_key.startswith(PEM_HEADER):  # the placeholder the secret was created with
        private_key = new_key()
        secrets.write(secret_arn, private_key)
        logger.info("generated a new key pair", extra={"key": name})
    return {"PhysicalResourceId": physical_id, "Data": {"PublicKey": public_key_of(private_key)}}
