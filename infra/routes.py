"""Route keys and the handler behind each, in one place: the CDK stack wires
these on AWS and the local gateway calls the same modules, so the two cannot
drift apart."""

HTTP_HANDLER = "chat.handlers.http_api"
# Every HTTP route of the contract. The greedy last route sends everything else
# under /api (such as the contract's trailing-slash spellings) to the same
# handler, which answers unknown paths with the contract's 404 body.
HTTP_ROUTES = (
    ("GET", "/api/health"),
    ("GET", "/api/openapi.json"),
    ("GET", "/api/docs"),
    ("POST", "/api/auth/signup"),
    ("POST", "/api/auth/login"),
    ("POST", "/api/auth/refresh"),
    ("POST", "/api/auth/logout"),
    ("GET", "/api/users"),
    ("GET", "/api/users/me"),
    ("PUT", "/api/users/me"),
    ("POST", "/api/users/me/avatar"),
    ("GET", "/api/users/{userId}"),
    ("GET", "/api/users/me/blocks"),
    ("PUT", "/api/users/{userId}/block"),
    ("DELETE", "/api/users/{userId}/block"),
    ("POST", "/api/groups/create"),
    ("POST", "/api/conversations/direct"),
    ("GET", "/api/conversations"),
    ("GET", "/api/conversations/{id}"),
    ("GET", "/api/conversations/{id}/changes"),
    ("PUT", "/api/conversations/{id}/archived"),
    ("DELETE", "/api/conversations/{id}/archived"),
    ("PUT", "/api/conversations/{id}/mute"),
    ("DELETE", "/api/conversations/{id}/mute"),
    ("GET", "/api/conversations/{id}/receipts"),
    ("POST", "/api/conversations/{id}/receipts"),
    ("POST", "/api/groups/{id}/members"),
    ("DELETE", "/api/groups/{id}/members/{userId}"),
    ("PATCH", "/api/groups/{id}"),
    ("POST", "/api/messages"),
    # One parameter name per path: the history's {id} is a conversation's, the others a message's.
    ("GET", "/api/messages/{id}"),
    ("PATCH", "/api/messages/{id}"),
    ("DELETE", "/api/messages/{id}"),
    ("POST", "/api/messages/{id}/reactions"),
    ("GET", "/api/search"),
    ("POST", "/api/media/upload-url"),
    ("GET", "/api/push/config"),
    ("POST", "/api/push/subscriptions"),
    ("DELETE", "/api/push/subscriptions"),
    ("ANY", "/api/{proxy+}"),
)

WS_AUTHORIZER = "chat.handlers.ws_authorizer"
WS_ROUTES = {
    "$connect": "chat.handlers.ws_connect",
    "$disconnect": "chat.handlers.ws_disconnect",
    "$default": "chat.handlers.ws_default",
    "sendMessage": "chat.handlers.ws_send_message",
    "typing": "chat.handlers.ws_typing",
    "markDelivered": "chat.handlers.ws_receipts",
    "markRead": "chat.handlers.ws_receipts",
    "editMessage": "chat.handlers.ws_message_changes",
    "deleteMessage": "chat.handlers.ws_message_changes",
    "react": "chat.handlers.ws_message_changes",
    "ping": "chat.handlers.ws_ping",
}
# API Gateway picks a WebSocket route by this expression.
WS_ROUTE_SELECTION = "$request.body.action"
WS_TOKEN_SOURCE = "route.request.querystring.token"  # noqa: S105 - where the token is read, not a token

# Deploy-time jobs.
DB_SETUP_HANDLER = "chat.handlers.db_setup"
MEDIA_KEY_SETUP_HANDLER = "chat.handlers.media_key_setup"
VAPID_KEY_SETUP_HANDLER = "chat.handlers.vapid_key_setup"

# Fan-out jobs from the SQS queue: one frame to one batch of sockets per invocation.
FAN_OUT_WORKER = "chat.handlers.fan_out_worker"

# On a schedule (EventBridge Scheduler): old messages move to S3 chunks; the deep health check (prod).
ARCHIVER = "chat.handlers.archiver"
HEALTH_CHECK = "chat.handlers.health_check"

# Web Push jobs from the notification queue: one message's notifications to members who are away.
NOTIFIER = "chat.handlers.notifier"
