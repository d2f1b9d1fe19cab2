"""Forged, tampered and malformed access tokens, on the HTTP API (Authorization: Bearer)
and on the WebSocket $connect authorizer (?token=). Every one is refused: 401
`not_authenticated` with the documented body on HTTP, and the authorizer raises
"Unauthorized" (API Gateway's 401). The one valid token is let in, so these tests can fail."""

import base64
import datetime
import hashlib
import hmac
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID
from jwt.algorithms import RSAAlgorithm

from tests.security.conftest import PASSWORD, World, assert_error, authorize, http

pytestmark = pytest.mark.usefixtures("restored")

SECRET = os.environ["JWT_SECRET"]
# The three verbatim not_authenticated messages of docs/API.md
NOT_SENT = "Send 'Authorization: Bearer <accessToken>'."
NOT_VALID = "The access token is not valid."
EXPIRED = "The access token has expired; refresh it."
ENDED = "This login has ended; log in again."
ROUTES = ["/api/users/me", "/api/conversations"]


# --- building tokens by hand -----------------------------------------------------------


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def segment(value: Any) -> str:
    return b64(json.dumps(value, separators=(",", ":")).encode())


def hs256(signing_input: str, key: bytes, digest: Any = hashlib.sha256) -> str:
    return b64(hmac.new(key, signing_input.encode(), digest).digest())


def signed(claims: Any, *, key: str | bytes = SECRET, header: Any = None, digest: Any = hashlib.sha256) -> str:
    """An HMAC over exactly these claims and header (pyjwt would refuse to write some of them)."""
    signing_input = f"{segment(header or {'alg': 'HS256', 'typ': 'JWT'})}.{segment(claims)}"
    return f"{signing_input}.{hs256(signing_input, key.encode() if isinstance(key, str) else key, digest)}"


def unsigned(claims: dict[str, Any], alg: str, signature: str = "") -> str:
    return f"{segment({'alg': alg, 'typ': 'JWT'})}.{segment(claims)}.{signature}"


_RSA = rsa.generate_private_key(public_exponent=65537, key_size=2048)
_EC = ec.generate_private_key(ec.SECP256R1())
_ED = ed25519.Ed25519PrivateKey.generate()
_RSA_PUBLIC_PEM = _RSA.public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
)


def _attacker_certificate() -> str:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "chat")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(_RSA.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(_RSA, hashes.SHA256())
    )
    return base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode()


@dataclass(frozen=True)
class Loot:
    """What an attacker works from: a real token of alice's (so its claims and signature),
    her refresh token, and another user's id."""

    token: str
    claims: dict[str, Any]
    refresh_token: str
    other_user_id: str

    def with_claims(self, **changes: Any) -> dict[str, Any]:
        return {**self.claims, **changes}

    def without(self, claim: str) -> dict[str, Any]:
        return {name: value for name, value in self.claims.items() if name != claim}

    @property
    def parts(self) -> list[str]:
        return self.token.split(".")


@dataclass(frozen=True)
class Forgery:
    id: str
    make: Callable[[Loot], str]
    message: str = NOT_VALID  # what HTTP says


def _tampered(loot: Loot, **changes: Any) -> str:
    """New claims, the original header and signature."""
    header, _, signature = loot.parts
    return f"{header}.{segment(loot.with_claims(**changes))}.{signature}"


def _later(seconds: int) -> int:
    return int(time.time()) + seconds


def _missing(claim: str) -> Forgery:
    return Forgery(f"missing-{claim}", lambda t: signed(t.without(claim)))


DUPLICATE_ALG_HEADER = b64(b'{"alg":"HS256","alg":"none"}')  # a parser keeping the last one sees "none"


FORGERIES = [
    # alg "none", in every spelling, with and without a signature segment
    Forgery("alg-none", lambda t: unsigned(t.claims, "none")),
    Forgery("alg-None", lambda t: unsigned(t.claims, "None")),
    Forgery("alg-NONE", lambda t: unsigned(t.claims, "NONE")),
    Forgery("alg-nOnE", lambda t: unsigned(t.claims, "nOnE")),
    Forgery("alg-none-no-signature-segment", lambda t: unsigned(t.claims, "none")[:-1]),
    Forgery("alg-none-original-signature", lambda t: unsigned(t.claims, "none", t.parts[2])),
    Forgery("alg-none-as-another-user", lambda t: unsigned(t.with_claims(sub=t.other_user_id), "none")),
    Forgery("alg-HS256-empty-signature", lambda t: f"{t.parts[0]}.{t.parts[1]}."),
    Forgery("alg-HS256-no-signature-segment", lambda t: f"{t.parts[0]}.{t.parts[1]}"),
    Forgery("header-duplicate-alg-none-last", lambda t: f"{DUPLICATE_ALG_HEADER}.{segment(t.claims)}."),
    # algorithm confusion: another HMAC with the secret, or a key pair of the attacker's
    Forgery("alg-HS384-with-the-secret", lambda t: signed(t.claims, header={"alg": "HS384"}, digest=hashlib.sha384)),
    Forgery("alg-HS512-with-the-secret", lambda t: signed(t.claims, header={"alg": "HS512"}, digest=hashlib.sha512)),
    Forgery("alg-RS256-attacker-key", lambda t: jwt.encode(t.claims, _RSA, algorithm="RS256")),
    Forgery("alg-RS512-attacker-key", lambda t: jwt.encode(t.claims, _RSA, algorithm="RS512")),
    Forgery("alg-PS256-attacker-key", lambda t: jwt.encode(t.claims, _RSA, algorithm="PS256")),
    Forgery("alg-ES256-attacker-key", lambda t: jwt.encode(t.claims, _EC, algorithm="ES256")),
    Forgery("alg-EdDSA-attacker-key", lambda t: jwt.encode(t.claims, _ED, algorithm="EdDSA")),
    Forgery(
        "alg-RS256-header-hmac-with-the-secret",
        lambda t: signed(t.claims, header={"alg": "RS256", "typ": "JWT"}),
    ),
    Forgery(
        "alg-HS512-header-hs256-signature",
        lambda t: signed(t.claims, header={"alg": "HS512", "typ": "JWT"}),
    ),
    Forgery("hs256-keyed-with-attacker-public-pem", lambda t: signed(t.claims, key=_RSA_PUBLIC_PEM)),
    # claims changed under the original signature
    Forgery("tampered-sub", lambda t: _tampered(t, sub=t.other_user_id)),
    Forgery("tampered-exp", lambda t: _tampered(t, exp=_later(365 * 86400))),
    Forgery("tampered-typ", lambda t: _tampered(t, typ="admin")),
    Forgery("tampered-aud", lambda t: _tampered(t, aud="other-api")),
    Forgery("tampered-iss", lambda t: _tampered(t, iss="evil")),
    Forgery("tampered-sid", lambda t: _tampered(t, sid="0" * 32)),
    Forgery(
        "same-claims-re-encoded",  # the signature covers the bytes, not the meaning
        lambda t: f"{t.parts[0]}.{b64(json.dumps(t.claims, indent=1).encode())}.{t.parts[2]}",
    ),
    # a secret that is not the secret
    Forgery("wrong-secret", lambda t: signed(t.claims, key="not-the-secret-" + "x" * 40)),
    Forgery("empty-secret", lambda t: signed(t.claims, key=b"")),
    Forgery("secret-one-char-short", lambda t: signed(t.claims, key=SECRET[:-1])),
    Forgery("secret-one-char-more", lambda t: signed(t.claims, key=SECRET + "k")),
    # every required claim missing in turn, signed with the real secret
    *(_missing(claim) for claim in ("exp", "iat", "iss", "aud", "sub", "typ", "sid")),
    # wrong values, signed with the real secret
    Forgery("typ-refresh", lambda t: signed(t.with_claims(typ="refresh"))),
    Forgery("typ-ACCESS", lambda t: signed(t.with_claims(typ="ACCESS"))),
    Forgery("typ-null", lambda t: signed(t.with_claims(typ=None))),
    Forgery("sub-integer", lambda t: signed(t.with_claims(sub=42))),
    Forgery("sub-null", lambda t: signed(t.with_claims(sub=None))),
    Forgery("sub-list", lambda t: signed(t.with_claims(sub=[t.claims["sub"]]))),
    Forgery("sub-operator-object", lambda t: signed(t.with_claims(sub={"$ne": None}))),
    Forgery("sid-operator-object", lambda t: signed(t.with_claims(sid={"$ne": None}))),
    Forgery("aud-other", lambda t: signed(t.with_claims(aud="other-api"))),
    Forgery("aud-list-without-ours", lambda t: signed(t.with_claims(aud=["other-api", "chat"]))),
    Forgery("iss-other", lambda t: signed(t.with_claims(iss="evil"))),
    Forgery("exp-not-a-number", lambda t: signed(t.with_claims(exp="never"))),
    Forgery("iat-not-a-number", lambda t: signed(t.with_claims(iat="yesterday"))),
    Forgery("iat-in-the-future", lambda t: signed(t.with_claims(iat=_later(3600), exp=_later(4500)))),
    Forgery("nbf-in-the-future", lambda t: signed(t.with_claims(nbf=_later(3600)))),
    Forgery("expired-an-hour-ago", lambda t: signed(t.with_claims(iat=_later(-4500), exp=_later(-3600))), EXPIRED),
    Forgery("expired-seconds-ago", lambda t: signed(t.with_claims(iat=_later(-905), exp=_later(-5))), EXPIRED),
    # headers naming a key of the attacker's
    Forgery(
        "kid-path-traversal-empty-key",
        lambda t: signed(t.claims, key=b"", header={"alg": "HS256", "kid": "../../../../dev/null"}),
    ),
    Forgery(
        "kid-sql-injection",
        lambda t: signed(t.claims, key=b"x", header={"alg": "HS256", "kid": "' UNION SELECT 'x' --"}),
    ),
    Forgery(
        "jku-attacker-jwks",
        lambda t: jwt.encode(
            t.claims, _RSA, algorithm="RS256", headers={"jku": "https://evil.example/jwks.json", "kid": "1"}
        ),
    ),
    Forgery(
        "jwk-embedded-attacker-rsa-key",
        lambda t: jwt.encode(
            t.claims,
            _RSA,
            algorithm="RS256",
            headers={"jwk": json.loads(RSAAlgorithm.to_jwk(_RSA.public_key()))},
        ),
    ),
    Forgery(
        "jwk-embedded-attacker-oct-key",
        lambda t: signed(
            t.claims,
            key=b"attacker",
            header={"alg": "HS256", "jwk": {"kty": "oct", "k": b64(b"attacker")}},
        ),
    ),
    Forgery(
        "x5u-attacker-certificate",
        lambda t: jwt.encode(t.claims, _RSA, algorithm="RS256", headers={"x5u": "https://evil.example/cert.pem"}),
    ),
    Forgery(
        "x5c-self-signed-certificate",
        lambda t: jwt.encode(t.claims, _RSA, algorithm="RS256", headers={"x5c": [_attacker_certificate()]}),
    ),
    # the other kind of token
    Forgery("refresh-token-as-access-token", lambda t: t.refresh_token),
    # garbage
    Forgery("empty", lambda t: "", NOT_SENT),
    Forgery("spaces", lambda t: "   ", NOT_SENT),
    Forgery("not-base64", lambda t: "!!!.@@@.###"),
    Forgery("one-segment", lambda t: t.parts[1]),
    Forgery("two-segments-of-letters", lambda t: "abc.def"),
    Forgery("four-segments", lambda t: t.token + ".extra"),
    Forgery("jwe-shaped", lambda t: ".".join([t.parts[0], "", "aaaa", t.parts[1], "bbbb"])),
    Forgery("huge-100-kb", lambda t: f"{t.parts[0]}.{'A' * 100_000}.{t.parts[2]}"),
    Forgery("unicode", lambda t: "\u0167\u00f8\u0137\u044d\u00f1.\U0001f600.\u202ex"),
    Forgery("nul-appended", lambda t: t.token + "\x00"),
    Forgery("space-inside", lambda t: t.token[:20] + " " + t.token[20:]),
    Forgery("literal-null", lambda t: "null"),
    Forgery("header-not-an-object", lambda t: signed(t.claims, header=["HS256"])),
    Forgery("payload-not-json", lambda t: f"{t.parts[0]}.{b64(b'not json')}.{t.parts[2]}"),
    Forgery("payload-a-json-array", lambda t: signed([t.claims])),
    # well signed, but for nobody: a user who does not exist (say, after the database was reset)
    # Well signed, but no login of that user is going on: only logins on record let anyone in.
    Forgery("user-does-not-exist", lambda t: signed(t.with_claims(sub="f" * 32)), ENDED),
    Forgery("sub-empty-string", lambda t: signed(t.with_claims(sub="")), ENDED),
    Forgery("login-never-recorded", lambda t: signed(t.with_claims(sid="0" * 32)), ENDED),
]


@pytest.fixture
def loot(restored: World) -> Loot:
    claims = jwt.decode(restored.alice.access_token, options={"verify_signature": False})
    return Loot(restored.alice.access_token, claims, restored.alice.refresh_token, restored.bob.user_id)


def test_there_are_at_least_forty_forgeries() -> None:
    assert len(FORGERIES) >= 40
    assert len({forgery.id for forgery in FORGERIES}) == len(FORGERIES)


# --- HTTP ------------------------------------------------------------------------------


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("forgery", FORGERIES, ids=lambda forgery: forgery.id)
def test_http_refuses_a_forged_token(loot: Loot, forgery: Forgery, route: str) -> None:
    # Given a token built by someone without the right to one
    token = forgery.make(loot)
    # When it is presented as a bearer token
    answer = http("GET", route, authorization=f"Bearer {token}")
    # Then the answer is the documented 401, word for word
    assert_error(answer, 401, "not_authenticated")
    assert answer.body == {"error": {"code": "not_authenticated", "message": forgery.message}}


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER", "bEaReR", "Bearer  "])
def test_http_takes_the_valid_token_under_any_spelling_of_bearer(restored: World, route: str, scheme: str) -> None:
    # RFC 7235: the scheme is case-insensitive, and one or more spaces separate it from the token
    answer = http("GET", route, authorization=f"{scheme} {restored.alice.access_token}")
    assert answer.status == 200, answer.body
    if route == "/api/users/me":
        assert answer.body["id"] == restored.alice.user_id
    else:
        assert {conversation["id"] for conversation in answer.body["items"]} == {restored.group, restored.direct}


def _basic(world: World) -> str:
    return "Basic " + base64.b64encode(f"alice:{PASSWORD}".encode()).decode()


WRONG_SCHEMES: list[tuple[str, Callable[[World], str], str]] = [
    ("basic-with-the-password", _basic, NOT_SENT),
    ("token-scheme", lambda w: f"Token {w.alice.access_token}", NOT_SENT),
    ("jwt-scheme", lambda w: f"JWT {w.alice.access_token}", NOT_SENT),
    ("no-scheme", lambda w: w.alice.access_token, NOT_SENT),
    ("bearer-without-token", lambda w: "Bearer", NOT_SENT),
    ("bearer-without-space", lambda w: f"Bearer{w.alice.access_token}", NOT_SENT),
    ("bearer-with-two-tokens", lambda w: f"Bearer {w.alice.access_token} {w.alice.access_token}", NOT_VALID),
    ("two-bearer-credentials", lambda w: f"Bearer {w.alice.access_token}, Bearer {w.bob.access_token}", NOT_VALID),
]


@pytest.mark.parametrize(("case", "header", "message"), WRONG_SCHEMES, ids=[case for case, _, _ in WRONG_SCHEMES])
def test_http_refuses_anything_but_one_bearer_token(
    restored: World, case: str, header: Callable[[World], str], message: str
) -> None:
    answer = http("GET", "/api/users/me", authorization=header(restored))
    assert_error(answer, 401, "not_authenticated")
    assert answer.body["error"]["message"] == message


@pytest.mark.parametrize("where", ["query-token", "query-access-token", "cookie", "x-access-token-header"])
def test_http_takes_the_token_from_the_authorization_header_only(restored: World, where: str) -> None:
    token = restored.alice.access_token
    answer = {
        "query-token": lambda: http("GET", "/api/users/me", query={"token": token}),
        "query-access-token": lambda: http("GET", "/api/users/me", query={"access_token": token}),
        "cookie": lambda: http("GET", "/api/users/me", cookies=[f"accessToken={token}", f"token={token}"]),
        "x-access-token-header": lambda: http("GET", "/api/users/me", headers={"x-access-token": token}),
    }[where]()
    assert_error(answer, 401, "not_authenticated")
    assert answer.body["error"]["message"] == NOT_SENT


# --- the WebSocket authorizer ----------------------------------------------------------


def test_authorizer_lets_the_valid_token_in(restored: World) -> None:
    policy = authorize({"token": restored.alice.access_token})
    assert policy["principalId"] == restored.alice.user_id
    assert policy["context"]["userId"] == restored.alice.user_id
    assert policy["policyDocument"]["Statement"][0]["Effect"] == "Allow"


@pytest.mark.parametrize("forgery", FORGERIES, ids=lambda forgery: forgery.id)
def test_authorizer_refuses_a_forged_token(loot: Loot, forgery: Forgery) -> None:
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        authorize({"token": forgery.make(loot)})


AUTHORIZER_MISSES: list[tuple[str, Callable[[World], dict[str, Any]]]] = [
    ("no-query-string", lambda w: {"query": None}),
    ("empty-query-string", lambda w: {"query": {}}),
    ("token-param-capitalized", lambda w: {"query": {"Token": w.alice.access_token}}),
    ("access-token-param", lambda w: {"query": {"access_token": w.alice.access_token}}),
    ("bearer-prefix-in-query", lambda w: {"query": {"token": f"Bearer {w.alice.access_token}"}}),
    ("token-in-header-only", lambda w: {"query": {}, "headers": {"Authorization": f"Bearer {w.alice.access_token}"}}),
    ("two-tokens-joined", lambda w: {"query": {"token": f"{w.alice.access_token},{w.bob.access_token}"}}),
]


@pytest.mark.parametrize(("case", "request_of"), AUTHORIZER_MISSES, ids=[case for case, _ in AUTHORIZER_MISSES])
def test_authorizer_takes_the_token_from_the_token_parameter_only(
    restored: World, case: str, request_of: Callable[[World], dict[str, Any]]
) -> None:
    request = request_of(restored)
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        authorize(request["query"], request.get("headers"))


def _log_in_again(world: World) -> tuple[str, str]:
    """A second login of alice's: its access and refresh tokens."""
    body = http("POST", "/api/auth/login", {"username": "alice", "password": PASSWORD}).body
    return body["accessToken"], body["refreshToken"]


def _logged_out(world: World) -> str:
    access, refresh = _log_in_again(world)
    assert http("POST", "/api/auth/logout", {"refreshToken": refresh}).status == 204
    return access


def _logged_out_everywhere(world: World) -> str:
    access, _ = _log_in_again(world)
    assert http("POST", "/api/auth/logout-all", token=world.alice.access_token).status == 204
    return access


def _refresh_token_reused(world: World) -> str:
    access, refresh = _log_in_again(world)
    assert http("POST", "/api/auth/refresh", {"refreshToken": refresh}).status == 200
    assert http("POST", "/api/auth/refresh", {"refreshToken": refresh}).status == 401  # reused: the login ends
    return access


def _refreshed_then_reused(world: World) -> str:
    """The access token a thief got from the stolen refresh token, once the reuse is seen."""
    _, refresh = _log_in_again(world)
    stolen = http("POST", "/api/auth/refresh", {"refreshToken": refresh}).body["accessToken"]
    http("POST", "/api/auth/refresh", {"refreshToken": refresh})
    return str(stolen)


def _another_users_login(world: World) -> str:
    """bob's name on alice's live login, signed with the real key."""
    claims = jwt.decode(world.alice.access_token, options={"verify_signature": False})
    return jwt.encode({**claims, "sub": world.bob.user_id}, SECRET, algorithm="HS256")


ENDED_LOGINS: list[tuple[str, Callable[[World], str]]] = [
    ("logged-out", _logged_out),
    ("logged-out-everywhere", _logged_out_everywhere),
    ("refresh-token-reused", _refresh_token_reused),
    ("thiefs-token-after-reuse", _refreshed_then_reused),
    ("another-users-login", _another_users_login),
]


@pytest.mark.parametrize(("case", "ended"), ENDED_LOGINS, ids=[case for case, _ in ENDED_LOGINS])
def test_a_token_of_an_ended_login_is_refused_before_it_expires(
    restored: World, case: str, ended: Callable[[World], str]
) -> None:
    token = ended(restored)
    assert jwt.decode(token, options={"verify_signature": False})["exp"] > time.time()  # not expired
    for route in ROUTES:
        answer = http("GET", route, token=token)
        assert_error(answer, 401, "not_authenticated")
        assert answer.body["error"]["message"] == ENDED
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        authorize({"token": token})
