"""The pusher over real HTTP: what each Management API answer becomes, and kept-alive
connections that the server closed while idle."""

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from chat.adapters import apigw_push
from chat.adapters.apigw_push import ApiGatewayPusher, PushRefused
from chat.models.ports import ConnectionGone, PushRejected


class Api(BaseHTTPRequestHandler):
    """Answers by connection id: `gone…` 410, `busy…` 429, `deny…` 403, `slow…` after a second,
    `close…` 200 then closes the connection."""

    protocol_version = "HTTP/1.1"
    posts: ClassVar[list[tuple[str, bytes, str]]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        connection_id = self.path.rsplit("/", 1)[-1]
        if connection_id.startswith("slow"):
            time.sleep(1)
        self.posts.append((self.path, body, self.headers.get("Authorization", "")))
        status, error_type = {
            "gone": (410, "GoneException"),
            "busy": (429, "LimitExceededException"),
            "deny": (403, "ForbiddenException"),
        }.get(connection_id[:4], (200, None))
        self.send_response(status)
        if error_type:
            self.send_header("x-amzn-ErrorType", error_type)
        self.send_header("Content-Length", "0")
        self.end_headers()
        if connection_id.startswith("close"):
            self.close_connection = True

    def do_DELETE(self) -> None:
        connection_id = self.path.rsplit("/", 1)[-1]
        self.posts.append((f"DELETE {self.path}", b"", self.headers.get("Authorization", "")))
        self.send_response(410 if connection_id.startswith("gone") else 204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def api() -> Iterator[tuple[str, list[tuple[str, bytes, str]]]]:
    class ThisTestsApi(Api):  # the server makes a handler per request: the posts live on the class
        posts: ClassVar[list[tuple[str, bytes, str]]] = []

    server = ThreadingHTTPServer(("127.0.0.1", 0), ThisTestsApi)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/live", ThisTestsApi.posts
    server.shutdown()
    server.server_close()


def test_a_push_is_a_signed_post_to_the_connection(api: tuple[str, list[Any]]) -> None:
    endpoint, posts = api
    ApiGatewayPusher(endpoint).push("L0SM9cOFvHcCIhw=", b'{"type":"pong"}')
    assert len(posts) == 1
    path, body, authorization = posts[0]
    assert (path, body) == ("/live/@connections/L0SM9cOFvHcCIhw%3D", b'{"type":"pong"}')
    assert authorization.startswith("AWS4-HMAC-SHA256 Credential=")


def test_disconnect_is_a_signed_delete_of_the_connection(api: tuple[str, list[Any]]) -> None:
    endpoint, posts = api
    pusher = ApiGatewayPusher(endpoint)
    pusher.disconnect("L0SM9cOFvHcCIhw=")
    with pytest.raises(ConnectionGone):
        pusher.disconnect("gone-2")
    pusher.push("fine-2", b"{}")  # the kept-alive connection carries pushes after a close
    assert [path for path, _, _ in posts] == [
        "DELETE /live/@connections/L0SM9cOFvHcCIhw%3D",
        "DELETE /live/@connections/gone-2",
        "/live/@connections/fine-2",
    ]
    assert posts[0][2].startswith("AWS4-HMAC-SHA256 Credential=")


def test_410_is_a_gone_connection_and_other_refusals_say_what_they_were(api: tuple[str, list[Any]]) -> None:
    endpoint, _ = api
    pusher = ApiGatewayPusher(endpoint)
    with pytest.raises(ConnectionGone):
        pusher.push("gone-1", b"{}")
    with pytest.raises(PushRefused) as refused:
        pusher.push("busy-1", b"{}")
    assert (refused.value.status, refused.value.error_type) == (429, "LimitExceededException")
    with pytest.raises(PushRejected, match="403 ForbiddenException"):  # for good: not worth retrying
        pusher.push("deny-1", b"{}")
    pusher.push("fine-1", b"{}")  # the connection is still good after refusals


def test_a_connection_the_server_closed_is_replaced_without_losing_the_push(api: tuple[str, list[Any]]) -> None:
    endpoint, posts = api
    pusher = ApiGatewayPusher(endpoint)
    pusher.push("close-1", b"{}")  # answered, then the server closes the kept-alive connection
    pusher.push("next-1", b"{}")
    pusher.push("next-2", b"{}")
    assert [path.rsplit("/", 1)[-1] for path, _, _ in posts] == ["close-1", "next-1", "next-2"]


def test_an_unreachable_api_raises_for_the_fan_out_to_retry() -> None:
    with pytest.raises(ConnectionRefusedError):
        ApiGatewayPusher("http://127.0.0.1:9/live").push("c1", b"{}")


def test_a_push_that_times_out_leaves_the_thread_able_to_push_again(
    api: tuple[str, list[Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoint, posts = api
    monkeypatch.setattr(apigw_push, "TIMEOUT_SECONDS", 0.2)
    pusher = ApiGatewayPusher(endpoint)
    pusher.push("ok-0", b"{}")  # a kept-alive connection
    with pytest.raises(TimeoutError):
        pusher.push("slow-1", b"{}")
    pusher.push("ok-2", b"{}")
    pusher.push("ok-3", b"{}")
    assert [path.rsplit("/", 1)[-1] for path, _, _ in posts][-2:] == ["ok-2", "ok-3"]
