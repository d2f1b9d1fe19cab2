from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from chat.handlers.composition import auth_service
from chat.models.api import LoginRequest, LogoutRequest, RefreshRequest, Session, SignupRequest, TokenPair

router = APIGatewayHttpRouter()


@router.post("/signup", status_code=201, tags=["auth"], summary="Create an account and log in")
def signup(body: SignupRequest) -> Session:
    return auth_service().signup(body)


@router.post("/login", tags=["auth"], summary="Log in")
def login(body: LoginRequest) -> Session:
    return auth_service().login(body, router.current_event.request_context.http.source_ip)


@router.post("/refresh", tags=["auth"], summary="Trade a refresh token for a new pair (single use)")
def refresh(body: RefreshRequest) -> TokenPair:
    return auth_service().refresh(body.refreshToken)


@router.post("/logout", status_code=204, tags=["auth"], summary="End the login this refresh token belongs to")
def logout(body: LogoutRequest) -> Response[None]:
    auth_service().logout(body.refreshToken)
    return Response(status_code=204)
