"""Access tokens (JWT, HS256) and opaque refresh tokens. `verify_access_token`
is the one JWT check: the HTTP API and the WebSocket authorizer both call it."""

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import jwt

from chat.models.errors import NotAuthenticated

if TYPE_CHECKING:  # the authorizer imports this module: no models (pydantic) on its cold start
    from chat.models.ports import LoginStore

ALGORITHM = "HS256"
TOKEN_TYPE = "access"  # noqa: S105 - the JWT typ claim, not a secret


@dataclass(frozen=True)
class Bearer:
    """Who a valid access token speaks for, and the login it was issued to."""

    user_id: str
    login_id: str


class AccessTokens:
    def __init__(self, secret: str, issuer: str, audience: str, ttl_seconds: int, *, logins: "LoginStore") -> None:
        self._secret = secret
        self._issuer = issuer
        self._audience = audience
        self.ttl_seconds = ttl_seconds
        self._logins = logins

    def issue(self, user_id: str, login_id: str, now: datetime, login_ends: datetime | None = None) -> str:
        """A token for `ttl_seconds`, never past the end of its login."""
        expires = now + timedelta(seconds=self.ttl_seconds)
        claims = {
            "sub": user_id,
            "sid": login_id,
            "typ": TOKEN_TYPE,
            "iss": self._issuer,
            "aud": self._audience,
            "iat": now,
            "exp": min(expires, login_ends) if login_ends else expires,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def verify_access_token(self, token: str) -> Bearer:
        """Who a valid access token of a login that is going on speaks for; raises
        NotAuthenticated otherwise. Costs one point read of the login."""
        if not token.isascii():  # a JWT is base64url and dots; anything else is not one
            raise NotAuthenticated("The access token is not valid.")
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],  # pinned: never let the token pick
                issuer=self._issuer,
                audience=self._audience,
                options={"require": ["exp", "iat", "iss", "aud", "sub", "typ", "sid"]},
            )
        except jwt.ExpiredSignatureError as error:
            raise NotAuthenticated("The access token has expired; refresh it.") from error
        except jwt.InvalidTokenError as error:
            raise NotAuthenticated("The access token is not valid.") from error
        if claims["typ"] != TOKEN_TYPE or not isinstance(claims["sub"], str) or not isinstance(claims["sid"], str):
            raise NotAuthenticated("The access token is not valid.")
        # Logged out, logged out everywhere, its refresh token stolen and reused, or never
        # recorded (a user or login that does not exist): its tokens let no one in.
        if self._logins.state(claims["sid"], claims["sub"]) != "going on":
            raise NotAuthenticated("This login has ended; log in again.")
        return Bearer(user_id=claims["sub"], login_id=claims["sid"])


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)  # 256 bits


def hash_refresh_token(token: str) -> str:
    # The token is 256 random bits, so a fast hash is enough: nothing to brute-force.
    return hashlib.sha256(token.encode()).hexdigest()
