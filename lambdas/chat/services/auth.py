"""Sign-up, log-in, refresh-token rotation with reuse detection, and logins that end.
Every login is on record (`LoginStore`); log-out, log-out everywhere and a reused
refresh token end it, and an ended login's refresh tokens, access tokens (the one token
check reads the record) and open sockets all stop working."""

import math
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING

from chat.clock import utc_now
from chat.models.api import LoginRequest, Session, SignupRequest, TokenPair
from chat.models.chat import User
from chat.models.errors import InvalidCredentials, InvalidRefreshToken, RateLimited
from chat.models.ports import (
    ConnectionStore,
    LoginAttemptStore,
    LoginStore,
    Metrics,
    RefreshGrant,
    RefreshTokenStore,
    UserStore,
)
from chat.observability import logger
from chat.services.ids import new_id
from chat.services.passwords import Passwords
from chat.services.tokens import AccessTokens, hash_refresh_token, new_refresh_token

if TYPE_CHECKING:
    from chat.services.push import FanOut

# Online guessing: at most this many passwords are checked for one username from one
# source in a window (the attempt is taken before argon2 runs, so concurrent guesses
# cannot overrun it); then that source waits for the window to end. Counting per source
# means nobody can lock a user out from elsewhere. Across all sources a username has a
# higher ceiling that is logged, not enforced, for an alarm to watch (distributed guessing).
MAX_LOGIN_FAILURES = 10
MAX_LOGIN_ATTEMPTS_PER_USERNAME = 100
LOGIN_FAILURE_WINDOW = timedelta(minutes=15)


class AuthService:
    def __init__(
        self,
        users: UserStore,
        refresh_tokens: RefreshTokenStore,
        access_tokens: AccessTokens,
        passwords: Passwords,
        *,
        refresh_ttl: timedelta,
        login_attempts: LoginAttemptStore,
        logins: LoginStore,
        connections: ConnectionStore,
        sockets: Callable[[], "FanOut"],
        metrics: Metrics,
    ) -> None:
        self._users = users
        self._refresh_tokens = refresh_tokens
        self._access_tokens = access_tokens
        self._passwords = passwords
        self._refresh_ttl = refresh_ttl
        self._login_attempts = login_attempts
        self._logins = logins
        self._connections = connections
        self._sockets = sockets  # built on first use: log-in and sign-up never push
        self._metrics = metrics

    def signup(self, request: SignupRequest) -> Session:
        user = User(
            id=new_id(),
            username=request.username,
            displayName=(request.displayName or request.username).strip(),
            createdAt=utc_now(),
        )
        self._users.create_user(user, self._passwords.hash(request.password))
        return self._start_login(user)

    def login(self, request: LoginRequest, source: str) -> Session:
        """`source` is where the attempt comes from (the client's IP address)."""
        # Counted per name whether or not the account exists, so a 429 says nothing about who is registered.
        name = request.username.lower()
        # Two kinds of key in one collection, told apart by their prefix: a username may contain
        # anything, so no name can be made to count against someone else's address.
        key = f"source:{name}|{source}"
        now = utc_now()
        ends = self._login_attempts.reserve(key, now, LOGIN_FAILURE_WINDOW, MAX_LOGIN_FAILURES)
        if ends is not None:
            wait = max(1, math.ceil((ends - now).total_seconds()))
            # Logged where it is answered (handlers/refusals.py), with its limit and wait.
            self._metrics.count("LoginLockouts")
            raise RateLimited(
                f"Too many wrong passwords for this username from here; try again in {wait} seconds.",
                retry_after=wait,
                limit="login_failures",
            )
        ceiling = self._login_attempts.reserve(
            f"user:{name}", now, LOGIN_FAILURE_WINDOW, MAX_LOGIN_ATTEMPTS_PER_USERNAME
        )
        if ceiling is not None:
            self._metrics.count("LoginCeilingExceeded")
            logger.error(
                "log-in attempts for one username past the ceiling", extra={"username": name, "source": source}
            )
        credentials = self._users.find_credentials(request.username)
        # An unknown name still pays for a hash check: same path, same time, same answer.
        password_hash = credentials.password_hash if credentials else None
        if not self._passwords.verify(password_hash, request.password) or credentials is None:
            self._metrics.count("LoginFailures")
            raise InvalidCredentials("The username or password is wrong.")
        self._login_attempts.clear(key)
        if self._passwords.needs_rehash(credentials.password_hash):
            self._users.update_password_hash(credentials.user.id, self._passwords.hash(request.password))
        return self._start_login(credentials.user)

    def refresh(self, refresh_token: str, source: str) -> TokenPair:
        """`source` is where the request comes from (logged with a reuse)."""
        now = utc_now()
        token_hash = hash_refresh_token(refresh_token)
        grant = self._refresh_tokens.consume(token_hash, now)
        if grant is None:
            # Only a token used before is a reuse; one merely past its login's end is not.
            used = self._refresh_tokens.spent(token_hash)
            if used is not None and self._logins.state(used.family_id, used.user_id) != "ended":
                # A used token came back: it may be stolen, so the whole login ends
                # (RFC 9700 §4.14.2), its access tokens and sockets included.
                logger.warning(
                    "refresh token reused; login ended",
                    extra={"user_id": used.user_id, "login_id": used.family_id, "source": source},
                )
                self._metrics.count("RefreshTokenReuse")
                self._end_logins(used.user_id, [used.family_id])
            raise InvalidRefreshToken("The refresh token is not valid; log in again.")
        state = self._logins.state(grant.family_id, grant.user_id)
        # A login from before logins were recorded is recorded now, unless its user has
        # logged out everywhere since (which no record of it could show).
        if state == "ended" or (state == "unknown" and self._logins.ended_everywhere(grant.user_id)):
            raise InvalidRefreshToken("The refresh token is not valid; log in again.")
        pair = self._issue_pair(grant, new_login=state == "unknown")
        # A log-out (or a reuse seen elsewhere) may have landed since the check above and
        # missed the token just saved: its login's record says so.
        if self._logins.state(grant.family_id, grant.user_id) == "ended":
            raise InvalidRefreshToken("The refresh token is not valid; log in again.")
        return pair

    def logout(self, refresh_token: str) -> None:
        """Ends the login the refresh token belongs to; an unknown token ends nothing."""
        grant = self._refresh_tokens.grant_of(hash_refresh_token(refresh_token))
        if grant is not None:
            self._end_logins(grant.user_id, [grant.family_id])

    def logout_everywhere(self, user_id: str) -> None:
        """Ends every login of the user: all devices, this one included."""
        self._end_logins(user_id, None)

    def _end_logins(self, user_id: str, login_ids: list[str] | None) -> None:
        """Ends these logins (None: all of the user's): first their records, so their access
        and refresh tokens let no one in, then their open sockets. Both steps are
        idempotent, so a retry after a failure finishes the job."""
        now = utc_now()
        self._logins.end(user_id, login_ids, now, keep_until=now + self._refresh_ttl)
        sockets = self._connections.for_users([user_id])
        # Sockets from before they carried their login are closed only by "everywhere".
        closing = [s.connectionId for s in sockets if login_ids is None or s.loginId in login_ids]
        if closing:
            # A handshake racing this log-out may be mid-$connect: wait it out, then close it.
            self._sockets().close(closing, may_be_connecting=True)
        logger.info("logins ended", extra={"user_id": user_id, "logins": login_ids or "all", "sockets": len(closing)})

    def _start_login(self, user: User) -> Session:
        pair = self._issue_pair(RefreshGrant(user_id=user.id, family_id=new_id(), logged_in_at=utc_now()))
        return Session(user=user, **pair.model_dump())

    def _issue_pair(self, grant: RefreshGrant, *, new_login: bool = True) -> TokenPair:
        """A new access token and the login's next refresh token. A login lasts refresh_ttl from
        when it began, however often it is refreshed: every token of it expires then."""
        now = utc_now()
        refresh_token = new_refresh_token()
        # Tokens from before logins kept their start begin their lifetime now, once.
        grant = grant if grant.logged_in_at else RefreshGrant(grant.user_id, grant.family_id, logged_in_at=now)
        assert grant.logged_in_at is not None
        ends = grant.logged_in_at + self._refresh_ttl
        if new_login:  # a log-in, or a login from before logins were recorded, at its first refresh
            self._logins.start(grant.family_id, grant.user_id, ends)
        self._refresh_tokens.save(hash_refresh_token(refresh_token), grant, ends)
        # No access token outlives its login (so ending a login never misses one).
        expires_in = min(self._access_tokens.ttl_seconds, max(1, int((ends - now).total_seconds())))
        return TokenPair(
            accessToken=self._access_tokens.issue(grant.user_id, grant.family_id, now, login_ends=ends),
            refreshToken=refresh_token,
            expiresIn=expires_in,
        )
