"""Media on this machine: S3 from moto's server on a free local port, and the
gateway's stand-in for CloudFront, which checks signed URLs as CloudFront does
(the key pair's signature over a canned policy, and its expiry)."""

import base64
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from chat.adapters.cloudfront_links import new_key_pair

BUCKET = "chat-media"
KEY_PAIR_ID = "LOCALMEDIAKEY"
# What CloudFront serves without a signature (see infra/constructs/hosting.py).
PUBLIC_PREFIXES = ("avatars/",)
SIGNED_PREFIXES = ("attachments/",)


@dataclass(frozen=True)
class MediaObject:
    body: bytes
    headers: dict[str, str]


class LocalMedia:
    def __init__(self, media_url: str) -> None:
        from moto.server import ThreadedMotoServer

        self.media_url = media_url.rstrip("/")
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._private_key, public_key = new_key_pair()
        self._public_key = public_key
        self.endpoint_url = ""
        self._s3: Any = None

    def start(self) -> "LocalMedia":
        import logging

        import boto3

        # moto's server logs every request; the gateway's own output is what a developer reads.
        logging.getLogger("werkzeug").setLevel(logging.ERROR)

        self._server.start()
        host, port = self._server.get_host_and_port()
        self.endpoint_url = f"http://{host}:{port}"
        self._s3 = boto3.client("s3", endpoint_url=self.endpoint_url, region_name="us-east-1")
        self._s3.create_bucket(Bucket=BUCKET)
        return self

    def stop(self) -> None:
        self._server.stop()

    def environment(self) -> dict[str, str]:
        """What the functions read to reach media, as the stack sets it on AWS."""
        return {
            "MEDIA_BUCKET": BUCKET,
            "MEDIA_URL": self.media_url,
            "MEDIA_KEY_PAIR_ID": KEY_PAIR_ID,
            "MEDIA_SIGNING_KEY": self._private_key,
            "S3_ENDPOINT_URL": self.endpoint_url,
        }

    def allows(self, key: str, query_string: str) -> bool:
        """CloudFront's decision: public prefixes for anyone; signed ones with a valid, unexpired signature."""
        if key.startswith(PUBLIC_PREFIXES):
            return True
        if not key.startswith(SIGNED_PREFIXES):
            return False  # incoming/ and anything else: never served
        params = {name: values[0] for name, values in parse_qs(query_string).items()}
        try:
            expires = int(params["Expires"])
            signature = base64.b64decode(params["Signature"].translate(str.maketrans("-_~", "+=/")))
        except (KeyError, ValueError):
            return False
        if params.get("Key-Pair-Id") != KEY_PAIR_ID or expires <= time.time():
            return False
        return self._verify(f"{self.media_url}/{key}", expires, signature)

    def _verify(self, resource: str, expires: int, signature: bytes) -> bool:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding
        from cryptography.hazmat.primitives.serialization import load_pem_public_key

        # The canned policy CloudFront rebuilds from the URL, byte for byte.
        condition = {"DateLessThan": {"AWS:EpochTime": expires}}
        policy = json.dumps({"Statement": [{"Resource": resource, "Condition": condition}]}, separators=(",", ":"))
        key: Any = load_pem_public_key(self._public_key.encode())
        try:
            key.verify(signature, policy.encode(), padding.PKCS1v15(), hashes.SHA1())  # noqa: S303 - CloudFront's scheme
        except InvalidSignature:
            return False
        return True

    def fetch(self, key: str) -> MediaObject | None:
        """The object with the headers S3 would give CloudFront; None when there is none."""
        try:
            found = self._s3.get_object(Bucket=BUCKET, Key=key)
        except self._s3.exceptions.NoSuchKey:
            return None
        headers = {"Content-Type": found.get("ContentType") or "application/octet-stream"}
        for name, field in (("Content-Disposition", "ContentDisposition"), ("Cache-Control", "CacheControl")):
            if found.get(field):
                headers[name] = found[field]
        return MediaObject(found["Body"].read(), headers)
