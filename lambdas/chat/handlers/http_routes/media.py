from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from chat.handlers.composition import media_service
from chat.handlers.http_routes.security import BEARER, CurrentUserId
from chat.models.api import UploadTicket, UploadUrlRequest

router = APIGatewayHttpRouter()


@router.post(
    "/upload-url",
    status_code=201,
    tags=["media"],
    security=BEARER,
    summary="A presigned POST form for uploading one file to a conversation (members only, 5 minutes)",
)
def upload_url(user_id: CurrentUserId, body: UploadUrlRequest) -> UploadTicket:
    return media_service().attachment_upload(user_id, body)
