"""Deploy-time custom resource: the key pair CloudFront checks media links with.

On create, a fresh RSA key is generated here and its private half stored in
the stack's secret (the deploy never sees it); CloudFront's key group gets the
public half from this resource's `PublicKey` attribute. Updates keep the key."""

from typing import Any

from chat.adapters.cloudfront_links import new_key_pair, public_key_of
from chat.adapters.secrets_store import SecretsStore
from chat.observability import logger

PEM_HEADER = "-----BEGIN PRIVATE KEY-----"


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    secret_arn = event["ResourceProperties"]["SecretArn"]
    physical_id = f"media-signing-key:{secret_arn}"
    if event["RequestType"] == "Delete":
        return {"PhysicalResourceId": event.get("PhysicalResourceId", physical_id)}
    secrets = SecretsStore()
    private_key = secrets.read(secret_arn)
    if not private_key.startswith(PEM_HEADER):  # the placeholder the secret was created with
        private_key, public_key = new_key_pair()
        secrets.write(secret_arn, private_key)
        logger.info("generated a new media signing key")
    else:
        public_key = public_key_of(private_key)
    return {"PhysicalResourceId": physical_id, "Data": {"PublicKey": public_key}}
