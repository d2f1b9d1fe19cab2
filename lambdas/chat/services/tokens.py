"""Access tokens (JWT, HS256) and opaque refresh tokens. `verify_access_token`
is the one JWT check: the HTTP API and the WebSocket authorizer both call it."""

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta

import jwt

from chat.models.errors import NotAuthenticated

ALGORITHM = "HS256"
TOKEN_TYPE = "access"  # noqa: S105 - the JWT typ claim, not a secret


class AccessTokens:
    def __init__(self, secret: str, issuer: str, audience: str, ttl_seconds: int) -> None:
        self._secret = secret
        self._issuer = issuer
        self._audience = audience
        self.ttl_seconds = ttl_seconds

    def issue(self, user_id: str, login_id: str, now: datetime) -> str:
        claims = {
            "sub": user_id,
            "sid": login_id,
            "typ": TOKEN_TYPE,
            "iss": self._issuer,
            "aud": self._audience,
            "iat": now,
            "exp": now + timedelta(seconds=self.ttl_seconds),
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def verify_access_token(self, token: str) -> str:
        """Returns the user id of a valid access token; raises NotAuthenticated otherwise."""
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],  # pinned: never let the token pick
                issuer=self._issuer,
                audience=self._audience,
                options={"require": ["exp", "iat", "iss", "aud", "sub", "typ"]},
            )
        except jwt.ExpiredSignatureError as error:
            raise NotAuthenticated("The access token has expired; refresh it.") from error
        except jwt.InvalidTokenError as error:
            raise NotAuthenticated("The access token is not valid.") from error
        if claims["typ"] != TOKEN_TYPE or not isinstance(claims["sub"], str):
            raise NotAuthenticated("The access token is not valid.")
        return claims["sub"]


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)  # 256 bits


def hash_refresh_token(token: str) -> str:
    # The token is 256 random bits, so a fast hash is enough: nothing to brute-force.
    return hashlib.sha256(token.encode()).hexdigest()
