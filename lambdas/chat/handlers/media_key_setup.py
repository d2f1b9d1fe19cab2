"""Deploy-time custom resource: the key pair CloudFront checks media links with (RSA).
CloudFront's key group gets the public half from this resource's `PublicKey` attribute."""

from typing import Any

from chat.adapters.cloudfront_links import new_key_pair, public_key_of
from chat.handlers.key_setup import key_pair_resource
from chat.observability import entry_point


@entry_point()
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return key_pair_resource(event, "media-signing-key", lambda: new_key_pair()[0], public_key_of)
