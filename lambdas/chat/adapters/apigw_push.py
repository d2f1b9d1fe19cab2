"""Pushes frames to WebSockets through the API Gateway Management API."""

from typing import Any

from chat.models.ports import ConnectionGone


class ApiGatewayPusher:
    def __init__(self, endpoint_url: str, *, pool_size: int, region: str | None = None) -> None:
        """`pool_size` is the fan-out's thread count: with boto3's default pool of 10
        connections, the other threads would queue for a socket."""
        import boto3
        from botocore.config import Config

        self._client: Any = boto3.client(
            "apigatewaymanagementapi",
            endpoint_url=endpoint_url,
            region_name=region,
            config=Config(
                max_pool_connections=pool_size,
                connect_timeout=2,
                read_timeout=3,
                # The push service retries with its own backoff and logging.
                retries={"total_max_attempts": 1},
            ),
        )

    def push(self, connection_id: str, frame: bytes) -> None:
        try:
            self._client.post_to_connection(ConnectionId=connection_id, Data=frame)
        except self._client.exceptions.GoneException as error:
            raise ConnectionGone(connection_id) from error
