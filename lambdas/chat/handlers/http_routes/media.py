from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from chat.handlers.composition import media_service, rate_limits
from chat.handlers.http_routes.responses import answers
from chat.handlers.http_routes.security import BEARER, CurrentUserId
from chat.models.api import UploadTicket, UploadUrlRequest

router = APIGatewayHttpRouter()


@router.post(
    "/upload-url",
    status_code=201,
    responses=answers(201, 401, 403, 404, 413, 415, 422, 429, 500, 503),
    tags=["media"],
    security=BEARER,
    summary="A presigned POST form for uploading one file to a conversation (members only, 5 minutes)",
)
def upload_url(user_id: CurrentUserId, body: UploadUrlRequest) -> UploadTicket:
    rate_limits().check("upload", user_id)
    return media_service().attachment_upload(user_id, body)
