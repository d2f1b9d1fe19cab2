"""The P-256 keys of Web Push: browsers' subscription keys (RFC 8291) and the server's VAPID
key pair (RFC 8292), as base64url and PEM. Plain functions on `cryptography`, shared by the
services that check keys and the adapters that use them."""

import base64

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

KEY_LENGTH = 65  # an uncompressed P-256 point


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def public_point(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)


def browser_key(p256dh: str) -> ec.EllipticCurvePublicKey:
    """The subscription's public key; ValueError unless it is a point on P-256."""
    raw = b64url_decode(p256dh)
    if len(raw) != KEY_LENGTH or raw[0] != 4:
        raise ValueError("p256dh is not an uncompressed P-256 public key")
    return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)


def new_vapid_key() -> str:
    """A fresh VAPID private key (P-256), PEM."""
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return pem.decode()


def vapid_public_key(private_pem: str) -> str:
    """The application server key browsers subscribe with: the public point, base64url."""
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise ValueError("the VAPID key must be a P-256 private key")
    return b64url_encode(public_point(key.public_key()))
