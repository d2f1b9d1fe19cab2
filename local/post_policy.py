"""S3's checks of a browser upload (a presigned POST form), for the local S3 endpoint: the
policy's SigV4 signature, its expiry, and each of its conditions against the form's fields and
the file's size. moto's server checks none of them."""

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

ALGORITHM = "AWS4-HMAC-SHA256"
# The fields a policy need not name; S3 refuses any other field it does not name.
UNSIGNED_FIELDS = frozenset({"policy", "x-amz-signature", "file"})
IGNORED_PREFIX = "x-ignore-"


class UploadRefused(Exception):
    """S3's answer to a form it refuses: a status, an error code and message, and extra elements."""

    def __init__(self, status: int, code: str, message: str, **details: int) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details


@dataclass(frozen=True)
class PostPolicy:
    """A policy whose signature, expiry and field conditions hold; the file's size is checked once read."""

    min_size: int = 0
    max_size: int | None = None

    def check_size(self, size: int) -> None:
        if size < self.min_size:
            raise UploadRefused(
                400,
                "EntityTooSmall",
                "Your proposed upload is smaller than the minimum allowed size",
                ProposedSize=size,
                MinSizeAllowed=self.min_size,
            )
        if self.max_size is not None and size > self.max_size:
            raise UploadRefused(
                400,
                "EntityTooLarge",
                "Your proposed upload exceeds the maximum allowed size",
                ProposedSize=size,
                MaxSizeAllowed=self.max_size,
            )


def signing_key(secret: str, date: str, region: str) -> bytes:
    """SigV4's key for S3 on one day in one region."""
    key = f"AWS4{secret}".encode()
    for part in (date, region, "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def verified_policy(bucket: str, fields: Mapping[str, str], secrets: Mapping[str, str], now: datetime) -> PostPolicy:
    """The form's policy, once its signature, its expiry and every field condition are checked.

    `fields` are the form's fields before the file, their names in lower case (names are
    matched without regard to case); `secrets` maps access key ids to secret keys."""
    encoded = fields.get("policy")
    if encoded is None:
        raise UploadRefused(403, "AccessDenied", "Access Denied")  # an anonymous write to a private bucket
    _check_signature(encoded, fields, secrets)
    try:
        document = json.loads(base64.b64decode(encoded, validate=True))
        expiration = datetime.fromisoformat(document["expiration"])
        conditions = list(document["conditions"])
    except (ValueError, KeyError, TypeError) as error:
        raise UploadRefused(400, "InvalidPolicyDocument", "Invalid Policy: Invalid JSON.") from error
    if expiration.replace(tzinfo=expiration.tzinfo or UTC) <= now:
        raise _denied("Policy expired.")

    policy = PostPolicy()
    named = set()
    for condition in conditions:
        if isinstance(condition, list) and condition[:1] == ["content-length-range"]:
            policy = _size_range(condition)
            continue
        operator, name, expected = _field_condition(condition)
        field = name.lower()
        named.add(field)
        actual = bucket if field == "bucket" else fields.get(field)
        if actual is None or not (actual == expected if operator == "eq" else actual.startswith(expected)):
            raise _denied(f"Policy Condition failed: {json.dumps([operator, f'${name}', expected])}")
    extra = [name for name in fields if name not in named | UNSIGNED_FIELDS and not name.startswith(IGNORED_PREFIX)]
    if extra:
        raise _denied(f"Extra input fields: {', '.join(extra)}")
    return policy


def _check_signature(encoded: str, fields: Mapping[str, str], secrets: Mapping[str, str]) -> None:
    """The signature is the policy's HMAC under the key derived from the credential's scope."""
    scope = fields.get("x-amz-credential", "").split("/")
    if fields.get("x-amz-algorithm") != ALGORITHM or len(scope) != 5 or scope[3:] != ["s3", "aws4_request"]:
        raise UploadRefused(
            400, "InvalidArgument", f"The form must be signed with {ALGORITHM} and an S3 credential scope."
        )
    access_key, date, region = scope[:3]
    secret = secrets.get(access_key)
    if secret is None:
        raise UploadRefused(
            403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."
        )
    expected = hmac.new(signing_key(secret, date, region), encoded.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), fields.get("x-amz-signature", "").encode()):
        raise UploadRefused(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. "
            "Check your key and signing method.",
        )


def _field_condition(condition: object) -> tuple[str, str, str]:
    """(operator, field name, value) of `{"name": "value"}`, `["eq", "$name", "value"]` or `["starts-with", ...]`."""
    match condition:
        case dict() if len(condition) == 1:
            ((name, value),) = condition.items()
            if isinstance(name, str) and isinstance(value, str):
                return "eq", name, value
        case ["eq" | "starts-with" as operator, str(name), str(value)] if name.startswith("$"):
            return operator, name[1:], value
    raise _invalid(condition)


def _size_range(condition: list[object]) -> PostPolicy:
    """`["content-length-range", min, max]`, in bytes."""
    match condition:
        case [_, int(low), int(high)]:
            return PostPolicy(low, high)
    raise _invalid(condition)


def _invalid(condition: object) -> UploadRefused:
    return UploadRefused(400, "InvalidPolicyDocument", f"Invalid Policy: Invalid Condition: {json.dumps(condition)}")


def _denied(reason: str) -> UploadRefused:
    return UploadRefused(403, "AccessDenied", f"Invalid according to Policy: {reason}")
