import threading
from datetime import datetime, timedelta

import jwt
import pytest

from chat.clock import utc_now
from chat.models.api import LoginRequest, SignupRequest
from chat.models.chat import Connection
from chat.models.errors import InvalidCredentials, InvalidRefreshToken, NotAuthenticated, RateLimited, UsernameTaken
from chat.models.ports import RefreshGrant
from chat.services.passwords import Passwords
from chat.services.tokens import hash_refresh_token
from tests.unit.conftest import SECRET, Chat

HERE, ELSEWHERE = "198.51.100.7", "203.0.113.66"  # documentation addresses: alice's, and a guesser's


def signup(chat: Chat, name: str = "alice", password: str = "correct horse") -> str:
    return chat.auth.signup(SignupRequest(username=name, password=password)).refreshToken


def test_signup_gives_a_working_access_token(chat: Chat) -> None:
    session = chat.auth.signup(SignupRequest(username="alice", password="correct horse", displayName=" Alice A "))
    assert session.user.displayName == "Alice A"
    assert session.expiresIn == 900
    assert chat.access.verify_access_token(session.accessToken).user_id == session.user.id
    # the refresh token is stored only as a hash
    assert session.refreshToken not in chat.tokens.tokens
    assert hash_refresh_token(session.refreshToken) in chat.tokens.tokens
    assert len(session.refreshToken) >= 43  # 256 bits, url-safe base64


def test_display_name_defaults_to_username(chat: Chat) -> None:
    assert chat.auth.signup(SignupRequest(username="bob", password="password1")).user.displayName == "bob"


def test_username_is_taken_in_any_case(chat: Chat) -> None:
    signup(chat, "alice")
    with pytest.raises(UsernameTaken):
        signup(chat, "ALICE")


def test_passwords_are_argon2id_at_owasp_strength(chat: Chat) -> None:
    signup(chat)
    stored = next(iter(chat.users.hashes.values()))
    assert stored.startswith("$argon2id$")
    assert "m=19456,t=2,p=1" in stored
    assert "correct horse" not in stored


def test_login_is_case_insensitive_on_username(chat: Chat) -> None:
    signup(chat)
    assert chat.auth.login(LoginRequest(username="ALICE", password="correct horse"), HERE).user.username == "alice"


class CountingPasswords(Passwords):
    def __init__(self) -> None:
        super().__init__()
        self.checked: list[str | None] = []

    def verify(self, password_hash: str | None, password: str) -> bool:
        self.checked.append(password_hash)
        return super().verify(password_hash, password)


def test_wrong_username_and_wrong_password_take_the_same_path(chat: Chat) -> None:
    # Given a user, and a password checker that records every check
    passwords = CountingPasswords()
    chat.auth._passwords = passwords
    signup(chat)
    # When both a wrong password and an unknown name log in
    with pytest.raises(InvalidCredentials) as wrong_password:
        chat.auth.login(LoginRequest(username="alice", password="wrong password"), HERE)
    with pytest.raises(InvalidCredentials) as wrong_name:
        chat.auth.login(LoginRequest(username="nobody", password="correct horse"), HERE)
    # Then each paid for one argon2 check and got the same answer
    assert len(passwords.checked) == 2
    assert passwords.checked[1] is None
    assert wrong_password.value.message == wrong_name.value.message
    assert wrong_password.value.status == wrong_name.value.status == 401


def test_unknown_user_never_matches_the_dummy_hash() -> None:
    assert Passwords().verify(None, "a password that no account has") is False


def test_refresh_rotates_and_the_old_token_stops_working(chat: Chat) -> None:
    first = signup(chat)
    pair = chat.auth.refresh(first, HERE)
    assert pair.refreshToken != first
    assert chat.access.verify_access_token(pair.accessToken)
    second = chat.auth.refresh(pair.refreshToken, HERE)
    assert second.refreshToken not in (first, pair.refreshToken)


def test_reusing_a_refresh_token_revokes_the_whole_login(chat: Chat) -> None:
    # Given a login that has rotated once, and another login of the same user
    stolen = signup(chat)
    current = chat.auth.refresh(stolen, HERE).refreshToken
    other_device = chat.auth.login(LoginRequest(username="alice", password="correct horse"), HERE).refreshToken
    # When the already-used token comes back
    with pytest.raises(InvalidRefreshToken):
        chat.auth.refresh(stolen, HERE)
    # Then every token of that login is dead, and the other login lives
    with pytest.raises(InvalidRefreshToken):
        chat.auth.refresh(current, HERE)
    assert chat.auth.refresh(other_device, HERE).refreshToken


def test_logout_ends_that_login(chat: Chat) -> None:
    token = signup(chat)
    rotated = chat.auth.refresh(token, HERE).refreshToken
    chat.auth.logout(token)
    with pytest.raises(InvalidRefreshToken):
        chat.auth.refresh(rotated, HERE)
    chat.auth.logout("never issued")  # unknown tokens are ignored


def test_garbage_refresh_token_is_refused(chat: Chat) -> None:
    with pytest.raises(InvalidRefreshToken):
        chat.auth.refresh("garbage", HERE)


def claims(**overrides: object) -> dict[str, object]:
    now = utc_now()
    base: dict[str, object] = {
        "sub": "u1",
        "sid": "login1",
        "typ": "access",
        "iss": "chat",
        "aud": "chat-api",
        "iat": now,
        "exp": now + timedelta(minutes=5),
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


@pytest.mark.parametrize(
    ("token_claims", "key", "algorithm"),
    [
        pytest.param(claims(exp=utc_now() - timedelta(seconds=1)), SECRET, "HS256", id="expired"),
        pytest.param(claims(aud="someone-else"), SECRET, "HS256", id="wrong audience"),
        pytest.param(claims(iss="someone-else"), SECRET, "HS256", id="wrong issuer"),
        pytest.param(claims(typ="refresh"), SECRET, "HS256", id="not an access token"),
        pytest.param(claims(typ=None), SECRET, "HS256", id="no typ"),
        pytest.param(claims(iat=None), SECRET, "HS256", id="no iat"),
        pytest.param(claims(sid=None), SECRET, "HS256", id="no login id"),
        pytest.param(claims(sid=7), SECRET, "HS256", id="login id not a string"),
        pytest.param(claims(), "another-key-" + "x" * 40, "HS256", id="wrong key"),
        pytest.param(claims(), SECRET + "x" * 16, "HS512", id="other algorithm"),
    ],
)
def test_access_token_checks(chat: Chat, token_claims: dict[str, object], key: str, algorithm: str) -> None:
    chat.logins.start("login1", "u1", utc_now() + timedelta(days=1))  # only the token is wrong
    token = jwt.encode(token_claims, key, algorithm=algorithm)
    with pytest.raises(NotAuthenticated):
        chat.access.verify_access_token(token)


def test_the_claims_those_checks_start_from_are_accepted(chat: Chat) -> None:
    chat.logins.start("login1", "u1", utc_now() + timedelta(days=1))
    bearer = chat.access.verify_access_token(jwt.encode(claims(), SECRET, algorithm="HS256"))
    assert (bearer.user_id, bearer.login_id) == ("u1", "login1")


def test_unsigned_token_is_refused(chat: Chat) -> None:
    token = jwt.encode(claims(), None, algorithm="none")  # type: ignore[arg-type]  # "none" takes no key
    with pytest.raises(NotAuthenticated):
        chat.access.verify_access_token(token)


def test_access_token_carries_the_required_claims(chat: Chat) -> None:
    token = chat.access.issue("u1", "login1", utc_now())
    decoded = jwt.decode(token, SECRET, algorithms=["HS256"], audience="chat-api")
    assert {"sub", "typ", "iss", "aud", "iat", "exp", "sid"} <= decoded.keys()
    assert decoded["exp"] - decoded["iat"] <= 900


def test_a_logout_racing_a_refresh_still_ends_the_login(chat: Chat) -> None:
    # Given a log-out that lands between the refresh consuming the old token and saving the new one
    token = signup(chat)
    original_save = chat.tokens.save

    def save_after_a_racing_logout(token_hash: str, grant: RefreshGrant, expires_at: datetime) -> None:
        chat.auth.logout(token)
        original_save(token_hash, grant, expires_at)

    chat.tokens.save = save_after_a_racing_logout  # type: ignore[method-assign]
    # When the refresh finishes, Then it fails, and the token it saved is dead too
    with pytest.raises(InvalidRefreshToken):
        chat.auth.refresh(token, HERE)
    chat.tokens.save = original_save  # type: ignore[method-assign]
    grant = next(iter(chat.tokens.tokens.values())).grant
    assert chat.logins.state(grant.family_id, grant.user_id) == "ended"  # so the token it saved leads nowhere


def access_of(chat: Chat, name: str = "alice") -> tuple[str, str]:
    """A fresh login's access and refresh tokens."""
    session = chat.auth.login(LoginRequest(username=name, password="correct horse"), HERE)
    return session.accessToken, session.refreshToken


def socket_of(chat: Chat, access_token: str, connection_id: str) -> None:
    bearer = chat.access.verify_access_token(access_token)
    chat.connections.add(
        Connection(connectionId=connection_id, userId=bearer.user_id, loginId=bearer.login_id), utc_now()
    )


def test_logout_refuses_that_logins_access_tokens_and_closes_its_sockets(chat: Chat) -> None:
    # Given alice logged in on a laptop (two tabs) and a phone
    signup(chat)
    laptop, laptop_refresh = access_of(chat)
    phone, _ = access_of(chat)
    socket_of(chat, laptop, "laptop-1")
    socket_of(chat, laptop, "laptop-2")
    socket_of(chat, phone, "phone-1")
    # When the laptop logs out
    chat.auth.logout(laptop_refresh)
    # Then the laptop's access token is refused at once, though it has not expired
    with pytest.raises(NotAuthenticated, match="login has ended"):
        chat.access.verify_access_token(laptop)
    # And its sockets were closed through the Management API and forgotten; the phone's lives
    assert sorted(chat.pusher.closed) == ["laptop-1", "laptop-2"]
    assert [c.connectionId for c in chat.connections.for_users([chat.access.verify_access_token(phone).user_id])] == [
        "phone-1"
    ]


def test_logout_everywhere_ends_every_login_of_the_user_and_no_one_elses(chat: Chat) -> None:
    signup(chat)
    signup(chat, "bob")
    laptop, laptop_refresh = access_of(chat)
    phone, phone_refresh = access_of(chat)
    bob, bob_refresh = access_of(chat, "bob")
    for token, socket in ((laptop, "laptop-1"), (phone, "phone-1"), (bob, "bob-1")):
        socket_of(chat, token, socket)
    caller = chat.access.verify_access_token(phone)

    chat.auth.logout_everywhere(caller.user_id)

    for token in (laptop, phone):
        with pytest.raises(NotAuthenticated):
            chat.access.verify_access_token(token)
    for refresh_token in (laptop_refresh, phone_refresh):
        with pytest.raises(InvalidRefreshToken):
            chat.auth.refresh(refresh_token, HERE)
    assert sorted(chat.pusher.closed) == ["laptop-1", "phone-1"]
    assert chat.access.verify_access_token(bob).user_id != caller.user_id
    assert chat.auth.refresh(bob_refresh, HERE).refreshToken


def test_a_reused_refresh_token_ends_the_logins_access_tokens_and_sockets(chat: Chat) -> None:
    # Given a login whose refresh token was stolen and used by the thief first
    signup(chat)
    access, stolen = access_of(chat)
    socket_of(chat, access, "victim-1")
    thief = chat.auth.refresh(stolen, HERE)
    socket_of(chat, thief.accessToken, "thief-1")
    # When the victim's client tries the same token
    with pytest.raises(InvalidRefreshToken):
        chat.auth.refresh(stolen, HERE)
    # Then both access tokens of that login are refused and both sockets closed
    for token in (access, thief.accessToken):
        with pytest.raises(NotAuthenticated):
            chat.access.verify_access_token(token)
    assert sorted(chat.pusher.closed) == ["thief-1", "victim-1"]


def test_a_token_of_a_login_never_recorded_lets_no_one_in(chat: Chat) -> None:
    # A well-signed token whose login (or user) is not on record: the database was reset, or
    # the key leaked and someone minted one. Only logins that are going on let anyone in.
    with pytest.raises(NotAuthenticated, match="login has ended"):
        chat.access.verify_access_token(chat.access.issue("u-nobody", "login-nobody", utc_now()))
    signup(chat)
    alice_token, _ = access_of(chat)
    alice = chat.access.verify_access_token(alice_token)
    with pytest.raises(NotAuthenticated):  # someone else's login id with alice's name
        chat.access.verify_access_token(chat.access.issue("u-other", alice.login_id, utc_now()))


def test_a_login_from_before_logins_were_recorded_is_recorded_at_its_next_refresh(chat: Chat) -> None:
    token = signup(chat)
    login_id = chat.tokens.tokens[hash_refresh_token(token)].grant.family_id
    chat.logins.logins.clear()  # as a login made by the previous version
    pair = chat.auth.refresh(token, HERE)
    assert chat.access.verify_access_token(pair.accessToken).login_id == login_id


def test_no_access_token_outlives_its_login(chat: Chat) -> None:
    # Given a login a minute from its 30-day end
    token = signup(chat)
    stored = chat.tokens.tokens[hash_refresh_token(token)]
    assert stored.grant.logged_in_at is not None
    ends = utc_now() + timedelta(minutes=1)
    old = RefreshGrant(stored.grant.user_id, stored.grant.family_id, logged_in_at=ends - timedelta(days=30))
    stored.grant, stored.expires_at = old, ends
    # When it is refreshed, the access token expires with the login, not 15 minutes later
    pair = chat.auth.refresh(token, HERE)
    decoded = jwt.decode(pair.accessToken, SECRET, algorithms=["HS256"], audience="chat-api")
    assert decoded["exp"] <= ends.timestamp()
    assert pair.expiresIn <= 60


def test_a_login_ends_thirty_days_after_it_began_however_often_it_is_refreshed(chat: Chat) -> None:
    # Given a login, refreshed twice
    token = signup(chat)
    first = chat.tokens.tokens[hash_refresh_token(token)]
    for _ in range(2):
        token = chat.auth.refresh(token, HERE).refreshToken

    # Then its newest token expires when the first did: 30 days after log-in, not after the refresh
    newest = chat.tokens.tokens[hash_refresh_token(token)]
    assert newest.expires_at == first.expires_at
    assert newest.grant.logged_in_at == first.grant.logged_in_at
    assert first.grant.logged_in_at is not None
    assert newest.expires_at == first.grant.logged_in_at + timedelta(days=30)
    # And once that moment has passed, the login is over
    newest.expires_at = utc_now() - timedelta(seconds=1)
    with pytest.raises(InvalidRefreshToken):
        chat.auth.refresh(token, HERE)


def test_wrong_passwords_from_one_source_are_limited_and_nobody_else_is_locked_out(chat: Chat) -> None:
    from chat.services.auth import LOGIN_FAILURE_WINDOW, MAX_LOGIN_FAILURES

    signup(chat)
    for _ in range(MAX_LOGIN_FAILURES):
        with pytest.raises(InvalidCredentials):
            chat.auth.login(LoginRequest(username="alice", password="guess"), ELSEWHERE)
    # Then that source waits, even with the right password, with a Retry-After inside the window
    with pytest.raises(RateLimited) as limited:
        chat.auth.login(LoginRequest(username="ALICE", password="correct horse"), ELSEWHERE)
    assert 0 < limited.value.retry_after <= LOGIN_FAILURE_WINDOW.total_seconds()
    assert limited.value.status == 429
    # But alice, from her own device, is not locked out by someone else's guesses
    assert chat.auth.login(LoginRequest(username="alice", password="correct horse"), HERE).user.username == "alice"
    # Another name is not affected either
    with pytest.raises(InvalidCredentials):
        chat.auth.login(LoginRequest(username="bob", password="guess"), ELSEWHERE)
    # When the window has passed, that source may try again
    key = f"source:alice|{ELSEWHERE}"
    count, _ = chat.login_attempts.windows[key]
    chat.login_attempts.windows[key] = (count, utc_now() - timedelta(seconds=1))
    assert chat.auth.login(LoginRequest(username="alice", password="correct horse"), ELSEWHERE).user.username == "alice"
    assert key not in chat.login_attempts.windows


def test_a_successful_log_in_clears_earlier_failures(chat: Chat) -> None:
    signup(chat)
    for _ in range(3):
        with pytest.raises(InvalidCredentials):
            chat.auth.login(LoginRequest(username="alice", password="guess"), HERE)
    chat.auth.login(LoginRequest(username="alice", password="correct horse"), HERE)
    assert f"source:alice|{HERE}" not in chat.login_attempts.windows


def test_no_username_counts_against_someone_elses_address(chat: Chat) -> None:
    from chat.services.auth import MAX_LOGIN_FAILURES

    # Given guesses for names built to look like alice's own key for her address
    signup(chat)
    for name in (f"alice|{HERE}", f"source:alice|{HERE}", "user:alice"):
        for _ in range(MAX_LOGIN_FAILURES):
            with pytest.raises((InvalidCredentials, RateLimited)):
                chat.auth.login(LoginRequest(username=name, password="guess"), ELSEWHERE)

    # Then alice, from her address, logs in
    assert chat.auth.login(LoginRequest(username="alice", password="correct horse"), HERE).user.username == "alice"


def test_concurrent_guesses_never_check_more_passwords_than_the_limit(chat: Chat) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from chat.services.auth import MAX_LOGIN_FAILURES

    # Given 64 wrong guesses for one name from one source, all at once
    signup(chat)
    checked: list[str] = []
    verify = chat.auth._passwords.verify

    def counted(password_hash: str | None, password: str) -> bool:
        checked.append(password)
        return verify(password_hash, password)

    chat.auth._passwords.verify = counted  # type: ignore[method-assign]
    barrier = threading.Barrier(64)

    def guess(index: int) -> str:
        barrier.wait()
        try:
            chat.auth.login(LoginRequest(username="alice", password=f"guess {index}"), ELSEWHERE)
        except (InvalidCredentials, RateLimited) as error:
            return type(error).__name__
        return "logged in"

    with ThreadPoolExecutor(64) as pool:
        outcomes = list(pool.map(guess, range(64)))

    # Then at most the limit were checked; the rest were refused before any hashing
    assert len(checked) == MAX_LOGIN_FAILURES
    assert outcomes.count("InvalidCredentials") == MAX_LOGIN_FAILURES
    assert outcomes.count("RateLimited") == 64 - MAX_LOGIN_FAILURES


def test_unknown_names_are_limited_the_same_way(chat: Chat) -> None:
    from chat.services.auth import MAX_LOGIN_FAILURES

    for _ in range(MAX_LOGIN_FAILURES):
        with pytest.raises(InvalidCredentials):
            chat.auth.login(LoginRequest(username="nobody", password="guess"), HERE)
    with pytest.raises(RateLimited):
        chat.auth.login(LoginRequest(username="nobody", password="guess"), HERE)


def test_a_socket_whose_login_ended_during_its_handshake_is_refused(chat: Chat) -> None:
    # Given a handshake the authorizer let in, then a log-out before its $connect ran
    signup(chat)
    access, refresh_token = access_of(chat)
    bearer = chat.access.verify_access_token(access)
    chat.auth.logout(refresh_token)
    presence = chat.services.presence
    # When its $connect runs, Then it is refused and nothing of it is kept
    with pytest.raises(NotAuthenticated):
        presence.connected(Connection(connectionId="late-1", userId=bearer.user_id, loginId=bearer.login_id))
    assert chat.connections.for_users([bearer.user_id]) == []


def test_closing_sockets_retries_a_failed_close_and_forgets_them_all(chat: Chat) -> None:
    for connection_id in ("blip", "down", "gone"):
        chat.connections.add(Connection(connectionId=connection_id, userId="u1"), utc_now())
    chat.pusher.flaky.update({"blip": 1, "down": 9})  # one failure, then fine; never fine
    chat.pusher.gone.add("gone")

    chat.fan_out.close(["blip", "down", "gone"])

    assert chat.pusher.closed == ["blip"]  # closed on its second try; "gone" was already closed
    assert chat.pusher.flaky["down"] == 6  # three tries
    assert chat.connections.for_users(["u1"]) == []  # none hears anything more


def test_log_out_everywhere_also_ends_a_login_from_before_logins_were_recorded(chat: Chat) -> None:
    # Given a device whose login began before logins were recorded, and one that began after
    old_device = signup(chat)
    chat.logins.logins.clear()
    access, _ = access_of(chat)
    user_id = chat.access.verify_access_token(access).user_id
    # When the user logs out everywhere, Then the old device's refresh token starts nothing
    chat.auth.logout_everywhere(user_id)
    with pytest.raises(InvalidRefreshToken):
        chat.auth.refresh(old_device, HERE)
    # while a login made afterwards is not affected
    _, fresh = access_of(chat)
    assert chat.auth.refresh(fresh, HERE).refreshToken


def test_a_token_past_its_logins_end_is_not_taken_for_a_stolen_one(chat: Chat) -> None:
    token = signup(chat)
    stored = chat.tokens.tokens[hash_refresh_token(token)]
    stored.expires_at = utc_now() - timedelta(seconds=1)  # never used: only too old
    with pytest.raises(InvalidRefreshToken):
        chat.auth.refresh(token, HERE)
    assert chat.logins.state(stored.grant.family_id, stored.grant.user_id) == "going on"  # not ended as a theft


def test_a_log_out_closes_a_socket_whose_handshake_it_raced(chat: Chat) -> None:
    # Given a socket on record whose $connect is not done: API Gateway answers 410 for a while
    signup(chat)
    access, refresh_token = access_of(chat)
    socket_of(chat, access, "connecting-1")
    chat.pusher.connecting["connecting-1"] = 2
    chat.auth.logout(refresh_token)
    assert chat.pusher.closed == ["connecting-1"]  # closed once its handshake was over
