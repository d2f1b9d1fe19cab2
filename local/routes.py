"""Which handler serves which route, as the CDK stack wires them on AWS."""

HTTP_HANDLER = "chat.handlers.http_api"
WS_AUTHORIZER = "chat.handlers.ws_authorizer"
WS_ROUTES = {
    "$connect": "chat.handlers.ws_connect",
    "$disconnect": "chat.handlers.ws_disconnect",
    "$default": "chat.handlers.ws_default",
    "sendMessage": "chat.handlers.ws_send_message",
    "ping": "chat.handlers.ws_ping",
}
