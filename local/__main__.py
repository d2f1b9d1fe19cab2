"""`python -m local`: the whole chat backend on this machine (what `make dev` runs)."""

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from local.environment import developer_defaults, set_defaults, stack_environment

if TYPE_CHECKING:
    from local.media import LocalMedia

ROOT = Path(__file__).resolve().parent.parent


def _web_origins(host: str, port: int) -> list[str]:
    """The pages of the web client: the one served here, and Vite's dev server."""
    return [f"http://{host}:{port}", f"http://localhost:{port}", "http://localhost:5173", "http://127.0.0.1:5173"]


def _configure_environment(host: str, port: int) -> None:
    # The functions' code, and the settings they read on AWS with local values (the developer's own win).
    sys.path.insert(0, str(ROOT / "lambdas"))
    set_defaults(stack_environment(f"http://{host}:{port}", _web_origins(host, port)) | developer_defaults())


def main() -> int:
    parser = argparse.ArgumentParser(description="Run the chat backend locally, as API Gateway would.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    args = parser.parse_args()
    _configure_environment(args.host, args.port)

    from chat.config import environment_settings, positive_setting

    try:
        environment_settings()  # a setting that makes no sense stops here, named, before anything starts
    except RuntimeError as error:
        print(f"Cannot start: {error}", file=sys.stderr)
        return 1

    from local.media import LocalMedia
    from local.queues import LocalFanOut, LocalNotifier

    # S3 behind an endpoint that checks upload forms, and media from an origin of its own, as on AWS;
    # the same pages may upload as may open a socket. Its settings go into the environment before
    # any handler code reads (and caches) settings.
    media = LocalMedia(_web_origins(args.host, args.port), host=args.host).start()
    os.environ.update(media.environment())
    # Large fan-outs go through SQS (moto's, the server behind S3) to local fan-out workers.
    fan_out = LocalFanOut(media.moto_url, workers=positive_setting("LOCAL_FAN_OUT_WORKERS", 4)).start()
    os.environ.update(fan_out.environment())
    # Push notifications go through SQS to the notifier, as on AWS.
    notifier = LocalNotifier(media.moto_url, workers=positive_setting("LOCAL_NOTIFIER_WORKERS", 2)).start()
    os.environ.update(notifier.environment())
    try:
        return _serve(args.host, args.port, media)
    finally:
        notifier.stop()
        fan_out.stop()
        media.stop()


def _serve(host: str, port: int, media: "LocalMedia") -> int:
    from aiohttp import web

    from chat.adapters.mongo import client as mongo
    from chat.config import positive_setting, settings
    from chat.handlers.db_setup import prepare_database
    from chat.models.errors import ServiceUnavailable
    from local.gateway import LocalGateway

    if os.environ.get("MONGODB_URI"):
        store = "MongoDB at MONGODB_URI"
    else:
        from local.embedded_store import embedded_client

        mongo.use_client(embedded_client())
        store = "the embedded store (in memory: data is gone when this stops; set MONGODB_URI for a real MongoDB)"
    try:
        settings()  # the secrets, read once (a JWT_SECRET too short stops here)
    except RuntimeError as error:
        print(f"Cannot start: {error}", file=sys.stderr)
        return 1
    try:
        # As at deploy: the indexes, then what search needs of data stored before it (a persistent
        # MONGODB_URI database), for up to 20 s; a later start goes on where this one stopped.
        prepare_database(mongo.database(), lambda: 20)
    except ServiceUnavailable as error:
        print(f"Cannot start: {error.message}", file=sys.stderr)
        return 1
    except Exception as error:  # a wrong URI, bad credentials: say so plainly
        print(f"Cannot start: MongoDB refused the index set-up: {error}", file=sys.stderr)
        return 1

    base = f"http://{host}:{port}"
    banner = (
        f"Chat running, storing data in {store}\n"
        f"  Web app      {base}/\n"
        f"  HTTP API     {base}/api   (Swagger UI {base}/api/docs, OpenAPI {base}/api/openapi.json)\n"
        f"  WebSocket    ws://{host}:{port}/ws?token=<accessToken>\n"
        f"  Management   {base}/@connections/{{id}}\n"
        f"  Archiver     POST {base}/@schedules/archive   (runs it now; on its own every LOCAL_ARCHIVE_EVERY_SECONDS)\n"
        f"  Media        {media.media_url}/   (CloudFront's stand-in, on its own origin)\n"
        f"  S3           {media.s3_url}   (checks upload forms as S3 does; moto at {media.moto_url}, in memory)\n"
        f"  Push faults  {base}/_local/faults   (LOCAL_PUSH_FAULTS, LOCAL_PUSH_LATENCY_MS; counts at /_local/pushes)\n"
        "Press Ctrl-C to stop."
    )
    # run_app calls `print` once the socket is listening, so the URLs work when shown.
    gateway = LocalGateway(
        web_root=ROOT / "web" / "dist",
        media=media,
        # As the stack's daily schedule; POST /@schedules/archive runs it at once.
        archive_every=positive_setting("LOCAL_ARCHIVE_EVERY_SECONDS", 3600),
    )
    if gateway.web_root is None:
        banner += "\n(The web client is not built: `make dev` builds it; until then / shows the API docs.)"
    web.run_app(gateway.app(), host=host, port=port, print=lambda _: print(banner, flush=True))
    print("Stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
