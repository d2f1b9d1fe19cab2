"""AWS Signature Version 4, and the connections signed requests go over, for the two AWS calls
on the hot paths that skip boto3: pushes to the Management API (apigw_push.py) and reading a
secret (secrets_manager.py).

botocore's signer costs a cold start its import (about 250 ms with boto3's) and each request
about 0.15 ms of CPU; this one is the same algorithm over hashlib and hmac, checked against
botocore's signatures by the tests, and keeps the day's signing key (it depends only on the date,
the region, the service and the secret key), as SigV4 allows.

Credentials: what Lambda gives a function in its environment (AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), read directly. Where they are not there, botocore's:
its container provider where the environment names the container endpoint
(AWS_CONTAINER_CREDENTIALS_FULL_URI with AWS_CONTAINER_AUTHORIZATION_TOKEN), which is how
Lambda gives a SnapStart function its credentials instead of the environment, else its whole
chain (profiles, SSO, instance roles); built once per container, refreshing what expires.

Connections: plain HTTP (the local stand-ins) or HTTPS with the system's trusted CAs, as on
Lambda, the one TLS context shared by every connection of the container (loading the CA bundle
takes about 25 ms)."""

import hashlib
import hmac
import http.client
import os
import ssl
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import quote

from chat.clock import utc_now

ALGORITHM = "AWS4-HMAC-SHA256"


@dataclass(frozen=True)
class AwsCredentials:
    access_key: str
    secret_key: str
    token: str | None


class CredentialSource(Protocol):
    """What botocore's credentials offer too: the current keys, refreshed where they expire."""

    def get_frozen_credentials(self) -> Any: ...


class EnvironmentCredentials:
    """The role's keys Lambda puts in the environment, for the container's life."""

    def __init__(self, credentials: AwsCredentials) -> None:
        self._credentials = credentials

    def get_frozen_credentials(self) -> AwsCredentials:
        return self._credentials


# Where Lambda (SnapStart), ECS or EKS tell the SDKs to read credentials from an HTTP endpoint.
CONTAINER_ENDPOINT_VARIABLES = frozenset(
    {"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"}
)

_lock = threading.Lock()
_chain: CredentialSource | None = None  # botocore's, once built
_https: ssl.SSLContext | None = None


def aws_credentials(purpose: str) -> CredentialSource:
    """The function's credentials: from the environment where Lambda sets them, else from
    botocore (imported only then): its container provider alone where the environment names the
    container endpoint (a SnapStart function; building a whole botocore session would cost a
    restored container about 15 ms more), its whole chain otherwise. `purpose` names what they
    sign, for the error if there are none."""
    global _chain
    access_key, secret_key = os.environ.get("AWS_ACCESS_KEY_ID"), os.environ.get("AWS_SECRET_ACCESS_KEY")
    if access_key and secret_key:
        return EnvironmentCredentials(AwsCredentials(access_key, secret_key, os.environ.get("AWS_SESSION_TOKEN")))
    with _lock:
        if _chain is None:
            if CONTAINER_ENDPOINT_VARIABLES & os.environ.keys():
                from botocore.credentials import ContainerProvider

                _chain = ContainerProvider().load()
            else:
                import botocore.session

                _chain = botocore.session.get_session().get_credentials()
        if _chain is None:
            raise RuntimeError(f"no AWS credentials to sign {purpose} with")
        return _chain


def connector(scheme: str, host: str, port: int | None, timeout: float) -> Callable[[], http.client.HTTPConnection]:
    """Opens connections to one endpoint: `timeout` bounds the connect and each read."""
    if scheme != "https":
        return lambda: http.client.HTTPConnection(host, port, timeout=timeout)
    return lambda: http.client.HTTPSConnection(host, port, timeout=timeout, context=_https_context())


def _https_context() -> ssl.SSLContext:
    global _https
    with _lock:
        if _https is None:
            _https = ssl.create_default_context()  # the system's trusted CAs, as on Lambda
        return _https


def forget() -> None:
    """Drops the credential chain and the TLS context kept: a container restored from a
    SnapStart snapshot builds its own."""
    global _chain, _https
    with _lock:
        _chain = _https = None


def aws_region(purpose: str) -> str:
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if not region:
        raise RuntimeError(f"no AWS region to sign {purpose} for: set AWS_REGION")
    return region


class SigV4Signer:
    """Signs requests to one service in one region. Thread-safe: the fan-out's threads share one."""

    def __init__(self, service: str, region: str, credentials: CredentialSource) -> None:
        self.service = service
        self.region = region
        self._credentials = credentials
        # (date, secret key, signing key): replaced whole, so threads never see half of one
        self._keys: tuple[str, str, bytes] | None = None

    def sign(
        self,
        method: str,
        host: str,
        path: str,
        body: bytes,
        *,
        headers: Mapping[str, str] | None = None,
        now: datetime | None = None,
    ) -> dict[str, str]:
        """The headers to send with a request of no query string: `headers`, each of them
        signed, with X-Amz-Date, X-Amz-Security-Token (temporary credentials) and Authorization
        added. `path` is as sent, already percent-encoded; `host` is as the Host header gives
        it (with the port, where not the scheme's)."""
        stamp = (now or utc_now()).strftime("%Y%m%dT%H%M%SZ")
        credentials = self._credentials.get_frozen_credentials()
        signed = {"host": host, "x-amz-date": stamp}
        if headers:
            signed |= {name.lower(): " ".join(value.split()) for name, value in headers.items()}
        if credentials.token:
            signed["x-amz-security-token"] = credentials.token
        names = sorted(signed)
        signed_names = ";".join(names)
        canonical = "\n".join(
            [
                method,
                quote(path, safe="/~"),  # every service but S3 encodes the path twice
                "",  # no query string
                *(f"{name}:{signed[name]}" for name in names),
                "",
                signed_names,
                hashlib.sha256(body).hexdigest(),
            ]
        )
        scope = f"{stamp[:8]}/{self.region}/{self.service}/aws4_request"
        to_sign = "\n".join([ALGORITHM, stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()])
        signature = hmac.new(self._signing_key(stamp[:8], credentials.secret_key), to_sign.encode(), hashlib.sha256)
        return {
            **(headers or {}),
            "X-Amz-Date": stamp,
            **({"X-Amz-Security-Token": credentials.token} if credentials.token else {}),
            "Authorization": f"{ALGORITHM} Credential={credentials.access_key}/{scope}, "
            f"SignedHeaders={signed_names}, Signature={signature.hexdigest()}",
        }

    def _signing_key(self, date: str, secret_key: str) -> bytes:
        """The day's signing key (it depends only on the date, region, service and secret)."""
        keys = self._keys
        if keys is None or keys[0] != date or keys[1] != secret_key:
            key = hmac.new(f"AWS4{secret_key}".encode(), date.encode(), hashlib.sha256).digest()
            for part in (self.region, self.service, "aws4_request"):
                key = hmac.new(key, part.encode(), hashlib.sha256).digest()
            keys = self._keys = (date, secret_key, key)
        return keys[2]
