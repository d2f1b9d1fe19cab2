"""Web Push's message encryption (RFC 8291, `aes128gcm` of RFC 8188).

Written on `cryptography`'s primitives rather than taken from http_ece, the reference
implementation: http_ece ships no wheel, and the layer is built from wheels for the Lambda
platform only. The tests check this against RFC 8291's worked example and decrypt what it
writes with http_ece."""

import hashlib
import hmac
import os
import struct

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from chat.push_keys import KEY_LENGTH, b64url_decode, browser_key, public_point

RECORD_SIZE = 4096  # one record: a push message is at most 4,096 bytes on the wire
TAG_LENGTH = 16
HEADER_LENGTH = 16 + 4 + 1 + KEY_LENGTH  # salt, record size, key id length, key id
# The most plaintext one record carries: the record, less its header, tag and delimiter.
MAX_PLAINTEXT = RECORD_SIZE - HEADER_LENGTH - TAG_LENGTH - 1


def _hmac(key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, hashlib.sha256).digest()


def encrypt(
    plaintext: bytes,
    p256dh: str,
    auth: str,
    *,
    sender_key: ec.EllipticCurvePrivateKey | None = None,
    salt: bytes | None = None,
) -> bytes:
    """The request body for one push: the aes128gcm header (salt, record size, the sender's
    one-time public key) and one encrypted record. `sender_key` and `salt` are fresh for
    every message; the tests pass RFC 8291's to check the result byte for byte."""
    if len(plaintext) > MAX_PLAINTEXT:
        raise ValueError(f"a push payload holds at most {MAX_PLAINTEXT} bytes")
    receiver = browser_key(p256dh)
    auth_secret = b64url_decode(auth)
    if len(auth_secret) != 16:
        raise ValueError("auth is not a 16-byte secret")
    sender_key = sender_key or ec.generate_private_key(ec.SECP256R1())
    salt = salt or os.urandom(16)
    sender_public = public_point(sender_key.public_key())
    shared = sender_key.exchange(ec.ECDH(), receiver)
    # RFC 8291 section 3.4: the input keying material, from the ECDH secret and auth secret.
    key_info = b"WebPush: info\x00" + public_point(receiver) + sender_public
    ikm = _hmac(_hmac(auth_secret, shared), key_info + b"\x01")
    # RFC 8188 section 2.2: the content encryption key and nonce.
    prk = _hmac(salt, ikm)
    content_key = _hmac(prk, b"Content-Encoding: aes128gcm\x00\x01")[:16]
    nonce = _hmac(prk, b"Content-Encoding: nonce\x00\x01")[:12]
    record = AESGCM(content_key).encrypt(nonce, plaintext + b"\x02", None)  # \x02: the last record
    return salt + struct.pack("!IB", RECORD_SIZE, KEY_LENGTH) + sender_public + record
