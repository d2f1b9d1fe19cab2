"""The local stack: the product's own Lambda handlers behind a gateway that
behaves like API Gateway (HTTP API, WebSocket API and @connections)."""
