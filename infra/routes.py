"""Which handler serves which route: the CDK stack wires these on AWS and the
local gateway calls the same modules, so the two cannot drift apart."""

HTTP_HANDLER = "chat.handlers.http_api"
WS_AUTHORIZER = "chat.handlers.ws_authorizer"
WS_ROUTES = {
    "$connect": "chat.handlers.ws_connect",
    "$disconnect": "chat.handlers.ws_disconnect",
    "$default": "chat.handlers.ws_default",
    "sendMessage": "chat.handlers.ws_send_message",
    "ping": "chat.handlers.ws_ping",
}
# API Gateway picks a WebSocket route by this expression.
WS_ROUTE_SELECTION = "$request.body.action"
