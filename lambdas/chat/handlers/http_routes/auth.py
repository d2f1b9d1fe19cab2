import ipaddress

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from chat.handlers.composition import auth_service, rate_limits
from chat.handlers.http_routes.responses import answers
from chat.handlers.http_routes.security import BEARER, CurrentBearer
from chat.models.api import LoginRequest, LogoutRequest, RefreshRequest, Session, SignupRequest, TokenPair

router = APIGatewayHttpRouter()


def source_ip() -> str:
    """Where the request comes from, for limits counted before anyone is logged in: the
    address API Gateway saw, or for IPv6 its /64 (one subscriber's network, which holds
    2^64 addresses: counting each apart would let one client count as many)."""
    address = router.current_event.request_context.http.source_ip
    if ":" not in address:
        return address
    try:
        ip = ipaddress.IPv6Address(address)
    except ValueError:
        return address
    if ip.ipv4_mapped is not None:  # ::ffff:a.b.c.d is that IPv4 client
        return str(ip.ipv4_mapped)
    return str(ipaddress.IPv6Network(f"{ip}/64", strict=False))


@router.post(
    "/signup",
    status_code=201,
    responses=answers(201, 409, 413, 415, 422, 429, 500, 503),
    tags=["auth"],
    summary="Create an account and log in",
)
def signup(body: SignupRequest) -> Session:
    rate_limits().check("signup", source_ip())
    return auth_service().signup(body)


@router.post("/login", responses=answers(200, 401, 413, 415, 422, 429, 500, 503), tags=["auth"], summary="Log in")
def login(body: LoginRequest) -> Session:
    rate_limits().check("login", source_ip())
    return auth_service().login(body, source_ip())


@router.post(
    "/refresh",
    responses=answers(200, 401, 413, 415, 422, 429, 500, 503),
    tags=["auth"],
    summary="Trade a refresh token for a new pair (single use)",
)
def refresh(body: RefreshRequest) -> TokenPair:
    rate_limits().check("refresh", source_ip())
    return auth_service().refresh(body.refreshToken, source_ip())


@router.post(
    "/logout",
    status_code=204,
    responses=answers(204, 413, 415, 422, 500, 503),
    tags=["auth"],
    summary="End the login this refresh token belongs to",
)
def logout(body: LogoutRequest) -> Response[None]:
    auth_service().logout(body.refreshToken)
    return Response(status_code=204)


@router.post(
    "/logout-all",
    status_code=204,
    responses=answers(204, 401, 500, 503),
    tags=["auth"],
    security=BEARER,
    summary="End every login of the caller: all devices' tokens and sockets, this one's included",
)
def logout_everywhere(bearer: CurrentBearer) -> Response[None]:
    auth_service().logout_everywhere(bearer.user_id)
    return Response(status_code=204)
