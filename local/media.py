"""Media on this machine, on origins of their own as on AWS: moto's server for S3 (and SQS)
on a free local port; in front of it, the S3 endpoint the functions and browsers use, which
checks upload forms against their signed policy as S3 does (local/s3_front.py); and the
stand-in for CloudFront, which checks signed URLs as CloudFront does (the key pair's signature
over a canned policy, and its expiry) and sends the headers the media distribution sends."""

import asyncio
import base64
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from aiohttp import web

from chat.adapters.cloudfront_links import new_key_pair
from infra.web_policy import MEDIA_CSP
from local.s3_front import S3Front, s3_error

if TYPE_CHECKING:
    from local.background import BackgroundServer

# Links name this host whatever host a page was opened on, as the gateway's CSP expects.
HOST = "127.0.0.1"
BUCKET = "chat-media"
REGION = "us-east-1"
KEY_PAIR_ID = "LOCALMEDIAKEY"
MEDIA_PATH = "/media"
# What CloudFront serves without a signature (see infra/constructs/hosting.py).
PUBLIC_PREFIXES = ("avatars/",)
SIGNED_PREFIXES = ("attachments/",)
# The media distribution's response headers (infra/constructs/hosting.py), less HSTS: this is http.
SECURITY_HEADERS = {
    "Content-Security-Policy": MEDIA_CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


@dataclass(frozen=True)
class MediaObject:
    body: bytes
    headers: dict[str, str]


class LocalMedia:
    def __init__(self, web_origins: Sequence[str], host: str = HOST) -> None:
        """`web_origins` are the pages that may upload (the bucket's CORS rule); `host` is where
        browsers reach the upload endpoint and media (the gateway's own --host)."""
        from moto.server import ThreadedMotoServer

        self._web_origins = tuple(web_origins)
        self._host = host
        self._moto = ThreadedMotoServer(ip_address=HOST, port=0, verbose=False)
        self._servers: BackgroundServer | None = None
        self._private_key, self._public_key = new_key_pair()
        self.moto_url = ""  # moto's server: SQS, and S3 behind the S3 endpoint
        self.s3_url = ""  # the S3 endpoint: the functions' S3_ENDPOINT_URL and the browsers' upload URL
        self.media_url = ""  # CloudFront's stand-in: MEDIA_URL
        self._s3: Any = None

    def start(self) -> "LocalMedia":
        import logging

        import boto3

        from local.background import BackgroundServer

        # moto's server logs every request; the gateway's own output is what a developer reads.
        logging.getLogger("werkzeug").setLevel(logging.ERROR)

        self._moto.start()
        host, port = self._moto.get_host_and_port()
        self.moto_url = f"http://{host}:{port}"
        self._s3 = boto3.client("s3", endpoint_url=self.moto_url, region_name=REGION)
        self._s3.create_bucket(Bucket=BUCKET)
        # Forms are signed with the functions' credentials: the ones in this environment.
        credentials = boto3.Session().get_credentials()
        secrets = {credentials.access_key: credentials.secret_key} if credentials else {}
        self._servers = BackgroundServer("local-media")
        s3_front = S3Front(self._s3, self.moto_url, secrets, self._web_origins)
        self.s3_url = f"http://{self._host}:{self._servers.serve(s3_front.app(), self._host)}"
        self.media_url = f"http://{self._host}:{self._servers.serve(self._cloudfront(), self._host)}{MEDIA_PATH}"
        return self

    def stop(self) -> None:
        if self._servers is not None:
            self._servers.stop()
        self._moto.stop()

    @property
    def media_origin(self) -> str:
        return self.media_url.removesuffix(MEDIA_PATH)

    def environment(self) -> dict[str, str]:
        """What the functions read to reach media, as the stack sets it on AWS."""
        return {
            "MEDIA_BUCKET": BUCKET,
            "MEDIA_URL": self.media_url,
            "MEDIA_KEY_PAIR_ID": KEY_PAIR_ID,
            "MEDIA_SIGNING_KEY": self._private_key,
            "S3_ENDPOINT_URL": self.s3_url,
        }

    def _cloudfront(self) -> web.Application:
        app = web.Application()
        app.router.add_get(MEDIA_PATH + "/{key:.*}", self._serve)
        return app

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        key = request.match_info["key"]
        found = None
        if self.allows(key, request.query_string):
            found = await asyncio.get_running_loop().run_in_executor(None, self.fetch, key)
        if found is None:
            return s3_error(403, "AccessDenied", "Access Denied")  # with OAC, a missing object is a 403 too
        return web.Response(body=found.body, headers={**found.headers, **SECURITY_HEADERS})

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
