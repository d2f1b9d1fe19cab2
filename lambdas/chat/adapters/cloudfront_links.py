"""Links to media on CloudFront: signed URLs (a canned policy, checked by
CloudFront against the stack's key group) and plain URLs for public avatars.
Also makes the key pair the deploy stores in Secrets Manager."""

from datetime import datetime
from typing import Any


class CloudFrontLinks:
    def __init__(self, base_url: str, key_pair_id: str, private_key_pem: str) -> None:
        from botocore.signers import CloudFrontSigner
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding
        from cryptography.hazmat.primitives.serialization import load_pem_private_key

        key: Any = load_pem_private_key(private_key_pem.encode(), password=None)
        self._base_url = base_url.rstrip("/")

        def sign(policy: bytes) -> bytes:
            # CloudFront verifies signed URLs as RSA-SHA1 (PKCS #1 v1.5); it is not our choice.
            return bytes(key.sign(policy, padding.PKCS1v15(), hashes.SHA1()))  # noqa: S303

        self._signer = CloudFrontSigner(key_pair_id, sign)

    def signed_url(self, key: str, expires_at: datetime) -> str:
        return str(self._signer.generate_presigned_url(self.public_url(key), date_less_than=expires_at))

    def public_url(self, key: str) -> str:
        return f"{self._base_url}/{key}"


def new_key_pair() -> tuple[str, str]:
    """A fresh RSA-2048 key pair as (private PKCS #8 PEM, public SubjectPublicKeyInfo PEM): what CloudFront takes."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return private_pem(private_key), public_pem(private_key)


def public_key_of(private_key_pem: str) -> str:
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    return public_pem(load_pem_private_key(private_key_pem.encode(), password=None))


def private_pem(private_key: Any) -> str:
    from cryptography.hazmat.primitives import serialization

    return str(
        private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
    )


def public_pem(private_key: Any) -> str:
    from cryptography.hazmat.primitives import serialization

    return str(
        private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
