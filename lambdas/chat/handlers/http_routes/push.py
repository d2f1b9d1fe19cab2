from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from chat.handlers.composition import push_subscription_service, rate_limits
from chat.handlers.http_routes.responses import answers
from chat.handlers.http_routes.security import BEARER, CurrentBearer
from chat.models.api import PushConfig, PushEndpointRequest, PushSubscriptionRequest, PushSubscriptionView

router = APIGatewayHttpRouter()


@router.get(
    "/config",
    responses=answers(200, 500, 503),
    tags=["push"],
    summary="The application server key browsers subscribe to push notifications with",
)
def push_config() -> PushConfig:
    return push_subscription_service().config()


@router.post(
    "/subscriptions",
    status_code=201,
    responses=answers(201, 401, 409, 413, 415, 422, 429, 500, 503),
    tags=["push"],
    security=BEARER,
    summary="Get push notifications in this browser: its PushSubscription, as toJSON() gives it",
)
def subscribe(bearer: CurrentBearer, body: PushSubscriptionRequest) -> PushSubscriptionView:
    rate_limits().check("subscription", bearer.user_id)
    return push_subscription_service().subscribe(bearer.user_id, bearer.login_id, body)


@router.delete(
    "/subscriptions",
    status_code=204,
    responses=answers(204, 401, 413, 415, 422, 429, 500, 503),
    tags=["push"],
    security=BEARER,
    summary="Stop push notifications to this browser's endpoint",
)
def unsubscribe(bearer: CurrentBearer, body: PushEndpointRequest) -> Response[None]:
    rate_limits().check("subscription", bearer.user_id)
    push_subscription_service().unsubscribe(bearer.user_id, body.endpoint)
    return Response(status_code=204)
