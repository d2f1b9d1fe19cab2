"""One aiohttp server that stands in for API Gateway: the HTTP API under /api,
the WebSocket API at /ws, and the Management API at /@connections/{id}; and for
CloudFront: the web client everywhere else (media has an origin of its own, local/media.py).

Handlers are the product's own `lambda_handler`s, called with the events API
Gateway would send, on worker threads so a slow one never stalls the loop."""

import asyncio
import base64
import contextlib
import importlib
import json
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from chat.handlers.json_input import nested_too_deeply
from infra.routes import ARCHIVER, HTTP_HANDLER, WS_AUTHORIZER, WS_ROUTES
from infra.web_policy import content_security_policy
from local import events
from local.faults import FaultSettingError, PushFaults, PushLog
from local.media import LocalMedia

# A function that fails is logged here, as Lambda would log it (the client gets API Gateway's bare answer).
log = logging.getLogger("local.gateway")

# API Gateway's WebSocket quotas.
MAX_FRAME_BYTES = 32 * 1024
MAX_POST_BYTES = 128 * 1024
IDLE_TIMEOUT_SECONDS = 10 * 60

Handler = Callable[[dict[str, Any], Any], Any]


@dataclass
class Socket:
    connection_id: str
    ws: web.WebSocketResponse
    authorizer: dict[str, Any]
    host: str
    source_ip: str
    user_agent: str
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    connected_at: int = field(default_factory=lambda: int(time.time() * 1000))
    last_active_at: int = field(default_factory=lambda: int(time.time() * 1000))

    def event(self, route_key: str, event_type: str, **extra: Any) -> dict[str, Any]:
        """The event API Gateway sends a route for this socket."""
        return events.websocket_event(
            route_key=route_key,
            event_type=event_type,
            connection_id=self.connection_id,
            connected_at=self.connected_at,
            host=self.host,
            source_ip=self.source_ip,
            authorizer=self.authorizer,
            **extra,
        )


def _gone(connection_id: str) -> web.Response:
    return web.json_response(
        {"message": f"Connection {connection_id} is gone"},
        status=410,
        headers={"x-amzn-ErrorType": "GoneException"},
    )


def _iso(epoch_ms: int) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class LocalGateway:
    def __init__(
        self,
        *,
        workers: int = 32,
        web_root: Path | None = None,
        media: LocalMedia | None = None,
        archive_every: float | None = None,
    ) -> None:
        self.media = media
        # The archiver's schedule (EventBridge Scheduler on AWS); None: only on request.
        self.archive_every = archive_every
        # The built web client (web/dist), served as CloudFront serves it on AWS.
        self.web_root = web_root if web_root and (web_root / "index.html").is_file() else None
        self.sockets: dict[str, Socket] = {}
        self._stopping = False  # the server is shutting down: no socket stays open
        self._executor = ThreadPoolExecutor(workers, thread_name_prefix="lambda")
        self._handlers: dict[str, Handler] = {}
        self._containers: dict[str, threading.Lock] = {}
        self.faults = PushFaults.from_environment()
        self.pushes = PushLog()

    def app(self) -> web.Application:
        app = web.Application(client_max_size=10 * 1024 * 1024)
        app.router.add_get("/config.json", self.web_config)
        # Any character, a newline too: API Gateway hands every /api path to the function.
        app.router.add_route("*", r"/api/{tail:[\s\S]*}", self.http_api)
        app.router.add_route("*", "/api", self.http_api)
        app.router.add_get("/ws", self.websocket)
        app.router.add_post("/@connections/{connection_id}", self.post_to_connection)
        app.router.add_get("/@connections/{connection_id}", self.get_connection)
        app.router.add_delete("/@connections/{connection_id}", self.delete_connection)
        # The scheduler's side: run a scheduled function once, now.
        app.router.add_post("/@schedules/archive", self.run_archiver)
        if self.archive_every:
            app.on_startup.append(self._archive_on_a_timer)
        # Local only: fault injection and push counts, for client developers and tests.
        app.router.add_route("*", "/_local/faults", self.local_faults)
        app.router.add_route("*", "/_local/pushes", self.local_pushes)
        # Last: everything else is the web client, with the SPA fallback to index.html.
        app.router.add_get("/{path:.*}", self.web_client)
        app.on_shutdown.append(self._close_sockets)
        app.on_cleanup.append(self._stop_workers)
        return app

    async def _invoke(self, module: str, event: dict[str, Any]) -> Any:
        """Runs one event through a function's handler on a worker thread.

        Like one warm Lambda container, a function takes one event at a time
        (its module-level state, such as the Powertools resolver, is not
        shared between concurrent events); different functions run in
        parallel, and the gateway's loop never waits on any of them."""
        if module not in self._handlers:
            self._handlers[module] = importlib.import_module(module).lambda_handler
            self._containers[module] = threading.Lock()
        handler, container = self._handlers[module], self._containers[module]

        def run() -> Any:
            with container:
                return handler(event, events.lambda_context(module.rsplit(".", 1)[-1]))

        return await asyncio.get_running_loop().run_in_executor(self._executor, run)

    # --- HTTP API --------------------------------------------------------------

    async def web_config(self, request: web.Request) -> web.StreamResponse:
        """What the deploy writes to the web bucket as config.json. Locally the APIs share the
        page's origin (also behind Vite's dev proxy), so the URLs are relative to the page."""
        from chat.config import vapid_public_key

        config = {"apiUrl": "", "wsUrl": "/ws", "vapidPublicKey": vapid_public_key() or ""}
        return web.json_response(config, headers={"Cache-Control": "no-store"})

    async def web_client(self, request: web.Request) -> web.StreamResponse:
        if self.web_root is None:
            if request.path == "/":
                raise web.HTTPFound("/api/docs")  # no client built: the API docs are the front page
            raise web.HTTPNotFound()
        root = self.web_root.resolve()
        target = (root / request.match_info["path"]).resolve()
        if not target.is_relative_to(root) or not target.is_file():
            target = root / "index.html"  # client-side routes, as CloudFront's SPA fallback
        # Only Vite's hashed assets never change under their name; the page, the service worker
        # (whose updates browsers look for) and the manifest are asked for afresh.
        hashed = target.parent.name == "assets"
        cache = "public, max-age=31536000, immutable" if hashed else "no-cache"
        return web.FileResponse(target, headers={"Cache-Control": cache, **self._web_headers(request.host)})

    def _web_headers(self, host: str) -> dict[str, str]:
        """What CloudFront's response headers policy sends with the web app, with this stack's
        origins: the WebSocket on this host, uploads to the local S3 endpoint, media from its origin."""
        # Both name 127.0.0.1 whatever host the page was opened on (localhost, say).
        uploads = [self.media.s3_url] if self.media is not None else []
        media = [self.media.media_origin] if self.media is not None else []
        return {
            "Content-Security-Policy": content_security_policy([f"ws://{host}", *uploads], media),
            "X-Frame-Options": "DENY",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "strict-origin-when-cross-origin",
        }

    async def http_api(self, request: web.Request) -> web.StreamResponse:
        query: dict[str, list[str]] = {}
        for key, value in request.query.items():
            query.setdefault(key, []).append(value)
        event = events.http_event(
            method=request.method,
            path=request.path,
            query_string=request.query_string,
            query=query,
            headers=request.headers,
            body=await request.read(),
            source_ip=request.remote or "127.0.0.1",
            host=request.host,
        )
        try:
            result = await self._invoke(HTTP_HANDLER, event)
        except Exception:
            # What API Gateway answers when the function itself fails; Lambda would log why.
            log.exception("the HTTP function failed (a bad setting stops it at its cold start)")
            return web.json_response({"message": "Internal Server Error"}, status=500)
        body = result.get("body") or ""
        payload = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode()
        response = web.Response(status=result.get("statusCode", 200), body=payload, headers=result.get("headers"))
        for cookie in result.get("cookies") or []:
            response.headers.add("Set-Cookie", cookie)
        return response

    # --- WebSocket API ----------------------------------------------------------

    async def websocket(self, request: web.Request) -> web.StreamResponse:
        query = dict(request.query)
        source_ip = request.remote or "127.0.0.1"
        connection_id = events.new_connection_id()
        if not web.WebSocketResponse().can_prepare(request).ok:
            # Not a WebSocket handshake: API Gateway answers it without running a route.
            return web.json_response({"message": "Bad Request"}, status=400)
        if not query.get("token"):
            # The identity source is missing: API Gateway refuses without calling the authorizer.
            return web.json_response({"message": "Unauthorized"}, status=401)
        authorizer = await self._authorize(connection_id, request, query, source_ip)
        if isinstance(authorizer, web.Response):
            return authorizer
        socket = Socket(
            connection_id=connection_id,
            # aiohttp checks a frame's declared length before reading its payload, and closes with
            # 1009 as API Gateway does: a huge frame is refused, never buffered.
            ws=web.WebSocketResponse(max_msg_size=MAX_FRAME_BYTES + 1, autoping=True),
            authorizer=authorizer,
            host=request.host,
            source_ip=source_ip,
            user_agent=request.headers.get("User-Agent", ""),
        )
        try:
            result = await self._invoke(
                WS_ROUTES["$connect"], socket.event("$connect", "CONNECT", headers=request.headers, query=query)
            )
            status = int(result.get("statusCode", 200)) if isinstance(result, dict) else 200
        except Exception:
            log.exception("the $connect function failed")
            status = 500
        if not 200 <= status < 300:
            return web.json_response({"message": "Forbidden" if status == 403 else "Connection refused"}, status=status)

        # Registered as the handshake completes, so a push never races the client's first frame.
        self.sockets[connection_id] = socket
        pending: set[asyncio.Task[None]] = set()
        try:
            # (a handshake that fails here still ends in $disconnect, as $connect said yes)
            await socket.ws.prepare(request)
            socket.ready.set()
            if self._stopping:
                # Its handshake finished after the server began to stop: it goes as the others did.
                await socket.ws.close(code=WSCloseCode.GOING_AWAY, message=b"Server shutting down")
            await self._read_frames(socket, pending)
        finally:
            self.sockets.pop(connection_id, None)
            if pending:
                await asyncio.gather(*pending, return_exceptions=True)
            # API Gateway ignores $disconnect's outcome too.
            with contextlib.suppress(Exception):
                await self._invoke(WS_ROUTES["$disconnect"], socket.event("$disconnect", "DISCONNECT"))
        return socket.ws

    async def _authorize(
        self, connection_id: str, request: web.Request, query: dict[str, str], source_ip: str
    ) -> dict[str, Any] | web.Response:
        event = events.authorizer_event(
            connection_id=connection_id, headers=request.headers, query=query, host=request.host, source_ip=source_ip
        )
        started = time.monotonic()
        try:
            policy = await self._invoke(WS_AUTHORIZER, event)
        except Exception as error:
            if str(error) == "Unauthorized":
                return web.json_response({"message": "Unauthorized"}, status=401)
            log.exception("the authorizer failed")
            return web.json_response({"message": "Internal Server Error"}, status=500)
        statements = policy.get("policyDocument", {}).get("Statement", [])
        if not statements or any(s.get("Effect") != "Allow" for s in statements):
            return web.json_response({"message": "Forbidden"}, status=403)
        latency_ms = int((time.monotonic() - started) * 1000)
        return {**policy.get("context", {}), "principalId": policy.get("principalId"), "integrationLatency": latency_ms}

    async def _read_frames(self, socket: Socket, pending: set[asyncio.Task[None]]) -> None:
        ws = socket.ws
        while not ws.closed:
            try:
                message = await ws.receive(timeout=IDLE_TIMEOUT_SECONDS)
            except TimeoutError:
                await ws.close(code=WSCloseCode.GOING_AWAY, message=b"Going away")
                return
            if message.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR):
                return
            if message.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                continue
            data = message.data if isinstance(message.data, bytes) else message.data.encode()
            socket.last_active_at = int(time.time() * 1000)
            # Each frame is its own invocation, as on AWS: frames do not wait for one another.
            task = asyncio.create_task(self._route_frame(socket, data.decode(errors="replace")))
            pending.add(task)
            task.add_done_callback(pending.discard)

    async def _route_frame(self, socket: Socket, body: str) -> None:
        route_key = select_route(body)
        try:
            result = await self._invoke(WS_ROUTES[route_key], socket.event(route_key, "MESSAGE", body=body))
        except Exception:
            log.exception("the %s function failed", route_key)
            reply: str | None = json.dumps({"message": "Internal server error", "connectionId": socket.connection_id})
        else:
            # Every route has a route response, so the integration's body goes back to the caller.
            reply = result.get("body") if isinstance(result, dict) else None
        if reply is not None and not socket.ws.closed:
            await socket.ws.send_str(reply)

    # --- Scheduler -----------------------------------------------------------------

    async def run_archiver(self, request: web.Request) -> web.StreamResponse:
        """What EventBridge Scheduler does on its schedule: invoke the archiver with its event.
        Answers the function's result, e.g. {"archived": 120, "chunks": 1, ...}."""
        try:
            result = await self._invoke(ARCHIVER, events.scheduler_event("archive"))
        except Exception as error:  # a run that died: say so, as the function's log would
            return web.json_response({"error": type(error).__name__, "message": str(error)}, status=500)
        return web.json_response(result)

    async def _archive_on_a_timer(self, app: web.Application) -> None:
        async def every() -> None:
            assert self.archive_every is not None
            while True:
                await asyncio.sleep(self.archive_every)
                with contextlib.suppress(Exception):  # the next run tries again, as on AWS
                    await self._invoke(ARCHIVER, events.scheduler_event("archive"))

        task = asyncio.get_running_loop().create_task(every())
        app.on_cleanup.append(lambda _: _cancelled(task))

    # --- Management API ------------------------------------------------------------

    async def post_to_connection(self, request: web.Request) -> web.StreamResponse:
        connection_id = request.match_info["connection_id"]
        socket = self.sockets.get(connection_id)
        data = (await request.read()).decode(errors="replace")
        faults = self.faults
        if faults.latency_ms:
            await asyncio.sleep(faults.latency_ms / 1000)
        fault = faults.status_for(data)
        self.pushes.record(data, delivered=fault is None and socket is not None and not socket.ws.closed)
        if fault == 410 and socket is not None:
            # What 410 means on AWS: the socket is gone, and its client will reconnect.
            await socket.ws.close(code=WSCloseCode.GOING_AWAY, message=b"Gone (injected)")
        if socket is None or socket.ws.closed or fault == 410:
            return _gone(connection_id)
        if fault == 429:
            return web.json_response(
                {"message": "Too Many Requests"}, status=429, headers={"x-amzn-ErrorType": "LimitExceededException"}
            )
        if fault == 500:
            return web.json_response(
                {"message": "Internal server error"},
                status=500,
                headers={"x-amzn-ErrorType": "InternalServerErrorException"},
            )
        if len(data.encode()) > MAX_POST_BYTES:
            return web.json_response(
                {"message": "Message too long"}, status=413, headers={"x-amzn-ErrorType": "PayloadTooLargeException"}
            )
        try:
            await asyncio.wait_for(socket.ready.wait(), 5)
            await socket.ws.send_str(data)
        except (ConnectionError, TimeoutError):
            return _gone(connection_id)
        return web.Response(status=200)

    # --- Local only: faults and counts ------------------------------------------------

    async def local_faults(self, request: web.Request) -> web.StreamResponse:
        """GET shows the faults in force, PUT replaces them, DELETE clears them."""
        if request.method == "PUT":
            try:
                self.faults = PushFaults.from_json(await request.json())
            except (ValueError, FaultSettingError) as error:
                return web.json_response({"message": str(error)}, status=400)
        elif request.method == "DELETE":
            self.faults = PushFaults()
        elif request.method != "GET":
            return web.json_response({"message": "GET, PUT or DELETE"}, status=405)
        return web.json_response(self.faults.to_json())

    async def local_pushes(self, request: web.Request) -> web.StreamResponse:
        """GET counts the functions' posts to @connections since the last DELETE."""
        if request.method == "DELETE":
            self.pushes = PushLog()
        elif request.method != "GET":
            return web.json_response({"message": "GET or DELETE"}, status=405)
        return web.json_response(self.pushes.to_json())

    async def get_connection(self, request: web.Request) -> web.StreamResponse:
        connection_id = request.match_info["connection_id"]
        socket = self.sockets.get(connection_id)
        if socket is None:
            return _gone(connection_id)
        return web.json_response(
            {
                "connectedAt": _iso(socket.connected_at),
                "identity": {"sourceIp": socket.source_ip, "userAgent": socket.user_agent},
                "lastActiveAt": _iso(socket.last_active_at),
            }
        )

    async def delete_connection(self, request: web.Request) -> web.StreamResponse:
        connection_id = request.match_info["connection_id"]
        socket = self.sockets.get(connection_id)
        if socket is None:
            return _gone(connection_id)
        try:
            # Registered a moment before its handshake completes (see websocket): closed once it has.
            await asyncio.wait_for(socket.ready.wait(), 5)
        except TimeoutError:
            return _gone(connection_id)
        if socket.ws.closed or self.sockets.get(connection_id) is not socket:
            return _gone(connection_id)
        await socket.ws.close(code=WSCloseCode.OK, message=b"Closed by the server")
        return web.Response(status=204)

    async def _close_sockets(self, app: web.Application) -> None:
        # A socket still in its handshake closes itself once open (see websocket).
        self._stopping = True
        await asyncio.gather(
            *(
                socket.ws.close(code=WSCloseCode.GOING_AWAY, message=b"Server shutting down")
                for socket in list(self.sockets.values())
                if socket.ready.is_set()
            ),
            return_exceptions=True,
        )

    async def _stop_workers(self, app: web.Application) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


def select_route(body: str) -> str:
    """Route selection on `$request.body.action`, with `$default` as the fallback."""
    if nested_too_deeply(body):
        return "$default"  # whose handler answers it; parsing here would overflow the stack
    try:
        frame = json.loads(body)
    except ValueError:
        return "$default"
    action = frame.get("action") if isinstance(frame, dict) else None
    return action if isinstance(action, str) and action in WS_ROUTES and not action.startswith("$") else "$default"


async def _cancelled(task: "asyncio.Task[None]") -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
